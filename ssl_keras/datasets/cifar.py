"""Reading CIFAR batch files and writing balanced class folders from them.

:func:`ssl_keras.datasets.download.cifar_cats_turtles` finds the batches (a warm Keras cache,
:func:`keras_cifar_folders`, or the two official archives) and uses :func:`class_images` and
:func:`write_balanced`. Batches are read from the ``.tar.gz`` without extracting it, and
unpickled with an allow-list of numpy globals, so a tampered batch file cannot run code.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import shutil
import tarfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ssl_keras import paths
from ssl_keras.datasets.archives import DAMAGED, member_path

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
CAT = 3  # CIFAR-10 "cat"
TURTLE = 93  # CIFAR-100 fine label "turtle"
ClassFiles = tuple[dict[str, list[str]], bytes, int]
CLASS_FILES: tuple[ClassFiles, ClassFiles] = (
    (
        {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]},
        b"labels",
        CAT,
    ),
    ({"train": ["train"], "test": ["test"]}, b"fine_labels", TURTLE),
)
"""(file names per split, label key, label) of the CIFAR-10 cats and the CIFAR-100 turtles."""
_PICKLE_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("_codecs", "encode"),  # bytes in protocol-2 pickles written by Python 3
    }
)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists and numpy arrays only: a tampered batch file cannot run code."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")
        if module == "numpy.core.multiarray":  # spelled so by the original files (numpy < 2)
            try:
                return super().find_class("numpy._core.multiarray", name)
            except ImportError:
                pass
        return super().find_class(module, name)


def _keras_batch_folder(inner: str, files: ClassFiles) -> Path | None:
    """The folder of a warm Keras cache holding every batch file of ``files``, or ``None``."""
    names = [n for split in files[0].values() for n in split]
    for base in paths.keras_homes():
        for folder in (base / "datasets" / f"{inner}-target" / inner, base / "datasets" / inner):
            if all((folder / n).is_file() for n in names):
                return folder
    return None


def keras_cifar10_folder() -> Path | None:
    """The CIFAR-10 batch folder of a warm Keras cache (see :func:`keras_cifar_folders`), or
    ``None``."""
    return _keras_batch_folder("cifar-10-batches-py", CLASS_FILES[0])


def keras_cifar_folders() -> tuple[Path, Path] | None:
    """The CIFAR-10 and CIFAR-100 batch folders of a warm Keras cache, or ``None``.

    Keras 3 extracts to ``datasets/cifar-10-batches-py-target/cifar-10-batches-py/``, older
    Keras to ``datasets/cifar-10-batches-py/``; the cache is ``$KERAS_HOME`` (else
    ``~/.keras``), or ``/tmp/.keras`` where that is not writable.
    """
    ten = keras_cifar10_folder()
    hundred = _keras_batch_folder("cifar-100-python", CLASS_FILES[1])
    return (ten, hundred) if ten and hundred else None


def _read_batches(source: Path, names: list[str], prefix: str) -> dict[str, bytes]:
    """Bytes of the batch files ``names`` from a folder or from a ``.tar.gz`` archive (whose
    members are ``<prefix>/<name>``, ``./`` prefixes allowed)."""
    if source.is_dir():
        return {name: (source / name).read_bytes() for name in names}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(source) as handle:
            for member in handle:
                name = member_path(member.name)
                if member.isfile() and name.startswith(prefix) and name[len(prefix) :] in names:
                    found[name[len(prefix) :]] = handle.extractfile(member).read()
    except (*DAMAGED, gzip.BadGzipFile) as error:
        raise ValueError(f"{str(source)!r} is damaged or truncated ({error!r}).") from None
    missing = [n for n in names if n not in found]
    if missing:
        raise ValueError(f"{str(source)!r} lacks {', '.join(prefix + n for n in missing)}.")
    return found


def _batch(blob: bytes, what: str, label_key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """uint8 ``(N, 32, 32, 3)`` images and int ``(N,)`` labels of one CIFAR batch file."""
    try:
        batch = _ArrayUnpickler(io.BytesIO(blob), encoding="bytes").load()
        data = np.asarray(batch[b"data"], np.uint8)
        labels = np.asarray(batch[label_key])
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{what} is not a CIFAR batch (a pickled dict with b'data' and {label_key!r}): "
            f"{error!r}."
        ) from None
    if data.ndim != 2 or data.shape[1] != 3072 or labels.shape != (len(data),):
        raise ValueError(
            f"{what} holds data {data.shape} and {labels.shape[0]} labels; expected (N, 3072) "
            "and N labels."
        )
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def _class_images(blob: bytes, what: str, label_key: bytes, label: int) -> np.ndarray:
    """uint8 ``(N, 32, 32, 3)`` images of class ``label`` in one CIFAR batch file."""
    images, labels = _batch(blob, what, label_key)
    return images[labels == label]


def cifar10_images(source: Path, prefix: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """All of CIFAR-10 from a batch folder or the ``.tar.gz`` archive (members
    ``<prefix><name>``): ``{"train", "test"}`` → (uint8 ``(N, 32, 32, 3)`` images, int
    ``(N,)`` labels in 0…9, :data:`CIFAR10_CLASSES` order). ``ValueError`` naming ``source``
    when it is damaged, not CIFAR, or a label lies outside 0…9."""
    files, label_key, _ = CLASS_FILES[0]
    blobs = _read_batches(source, [n for split in files.values() for n in split], prefix)
    out = {}
    for split, names in files.items():
        parts = [_batch(blobs[n], f"{str(source)!r}: {n}", label_key) for n in names]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts]).astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= len(CIFAR10_CLASSES)):
            raise ValueError(
                f"{str(source)!r} holds labels {int(labels.min())}…{int(labels.max())}; "
                f"CIFAR-10 has {len(CIFAR10_CLASSES)} classes (0…9)."
            )
        out[split] = (images, labels)
    return out


def write_class_folders(
    folder: Path, images: dict[str, tuple[np.ndarray, np.ndarray]], class_names: Sequence[str]
) -> None:
    """Write ``{split: (images, labels)}`` as ``<folder>/<split>/<class>/NNNNN.png`` through a
    staging folder (an interrupted write leaves no half-filled split), then check the counts
    per class."""
    from ssl_keras.datasets.synthetic._io import write_image

    staging = folder / ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    expected = {}
    for split, (pixels, labels) in images.items():
        for index, (image, label) in enumerate(zip(pixels, labels, strict=True)):
            path = staging / split / class_names[int(label)] / f"{index:05d}.png"
            write_image(path, np.ascontiguousarray(image))
        counts = np.bincount(labels, minlength=len(class_names))
        expected[split] = dict(zip(class_names, counts.tolist(), strict=True))
    _publish(folder, staging, expected)


def _publish(folder: Path, staging: Path, expected: dict[str, dict[str, int]]) -> None:
    """Move each written split from ``staging`` into ``folder`` (replacing an older one) and
    check that every ``<split>/<class>`` holds the ``expected`` number of images."""
    for split, counts in expected.items():
        shutil.rmtree(folder / split, ignore_errors=True)
        os.replace(staging / split, folder / split)
        for name, count in counts.items():
            written = len(list((folder / split / name).glob("*.png"))) if count else 0
            if written != count:
                raise ValueError(
                    f"{str(folder / split / name)!r} holds {written} images, expected {count}; "
                    "nothing was marked complete, run again."
                )
    staging.rmdir()


def class_images(source: Path, prefix: str, wanted: ClassFiles) -> dict[str, np.ndarray]:
    """``{"train", "test"}`` uint8 ``(N, 32, 32, 3)`` images of one class from a CIFAR batch
    folder or ``.tar.gz`` archive (members ``<prefix><name>``); ``wanted`` is one entry of
    :data:`CLASS_FILES`. ``ValueError`` naming ``source`` when it is damaged or not CIFAR."""
    files, label_key, label = wanted
    names = [n for split in files.values() for n in split]
    blobs = _read_batches(source, names, prefix)
    return {
        split: np.concatenate(
            [
                _class_images(blobs[n], f"{str(source)!r}: {n}", label_key, label)
                for n in split_names
            ]
        )
        for split, split_names in files.items()
    }


def write_balanced(
    folder: Path, cats: dict[str, np.ndarray], turtles: dict[str, np.ndarray], seed: int
) -> None:
    """Write every turtle and as many seeded-drawn cats per split, then check the counts."""
    from ssl_keras.datasets.synthetic._io import write_image

    rng = np.random.default_rng(seed)
    staging = folder / ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    counts = {}
    for split in ("train", "test"):
        count = len(turtles[split])
        if count == 0 or len(cats[split]) < count:
            raise ValueError(
                f"The CIFAR {split} split holds {len(cats[split])} cats and {count} turtles; "
                "need at least one turtle and as many cats as turtles."
            )
        chosen = np.sort(rng.choice(len(cats[split]), count, replace=False))
        for kind, batch in (("cat", cats[split][chosen]), ("turtle", turtles[split])):
            for i, image in enumerate(batch):
                write_image(staging / split / kind / f"{i:05d}.png", np.ascontiguousarray(image))
        counts[split] = {"cat": count, "turtle": count}
    _publish(folder, staging, counts)
