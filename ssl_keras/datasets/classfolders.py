"""Image classification from class folders: ``<root>/<class name>/<image files>``.

>>> ds, class_names = class_folder_dataset("data/toy_pets/train", size=64)
>>> ds, class_names = class_folder_dataset(
...     {"cat": "photos/cats", "turtle": ["turtles/a/images", "turtles/b/images"]}, size=128)

Class names are the sorted folder names (label 0, 1, …) unless given. Files with any of
``.jpg .jpeg .png .bmp .gif .webp`` (any case) are read by content, so an extension that lies
is fine; grayscale and palette/transparent PNGs become RGB (transparency over white).
Folders whose names start with ``.`` (``.ipynb_checkpoints``) are ignored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import tensorflow as tf

from ssl_keras import image_files, pipelines, resizing
from ssl_keras._checks import check_size

AUTOTUNE = pipelines.AUTOTUNE
Folders = str | os.PathLike | Sequence[str | os.PathLike]

_LAYOUT = "  <root>/<class A>/*.jpg|png|…\n  <root>/<class B>/*.jpg|png|…"


def _class_folders(root: str | os.PathLike) -> dict[str, list[Path]]:
    base = Path(root)
    if not base.is_dir():
        raise FileNotFoundError(
            f"Class-folder root {str(base)!r} does not exist. Expected layout:\n{_LAYOUT}"
        )
    found = {
        p.name: [p] for p in sorted(base.iterdir()) if p.is_dir() and not p.name.startswith(".")
    }
    return found


def _list_class(
    name: str, folders: Sequence[Path], extensions: Sequence[str], recursive: bool
) -> list[str]:
    wanted = {e.lower() for e in extensions}
    files: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            raise FileNotFoundError(f"Folder {str(folder)!r} of class {name!r} does not exist.")
        files += [
            str(p)
            for p in image_files.find_image_files(folder, extensions, recursive, skip_hidden=True)
        ]
    if not files:
        raise ValueError(
            f"Class {name!r} has no image files ({', '.join(sorted(wanted))}) in "
            f"{', '.join(repr(str(f)) for f in folders)}. Add images or remove the folder."
        )
    return files


def class_folder_files(
    root: str | os.PathLike | Mapping[str, Folders],
    class_names: Sequence[str] | None = None,
    recursive: bool = False,
    extensions: Sequence[str] = image_files.IMAGE_EXTENSIONS,
    on_error: str = "warn",
) -> tuple[list[str], list[int], list[str]]:
    """List ``(paths, labels, class_names)`` of a class-folder dataset.

    Args:
        root: a folder with one subfolder per class, or a mapping ``class name → folder``
            (or list of folders) for classes that live in different places.
        class_names: the classes to use, in label order (default: all, sorted by name).
        recursive: also take images from subfolders of each class folder.
        extensions: file extensions to consider (case-insensitive).
        on_error: files whose content is no image are skipped with a warning naming them
            (``"warn"``) or raise ``ValueError`` (``"raise"``).

    Raises ``ValueError`` for fewer than two classes, an empty class or an unknown class name.
    """
    if on_error not in ("raise", "warn"):
        raise ValueError(f"on_error must be 'raise' or 'warn', got {on_error!r}.")
    if isinstance(root, Mapping):
        folders = {
            str(name): [
                Path(f) for f in ([value] if isinstance(value, (str, os.PathLike)) else value)
            ]
            for name, value in root.items()
        }
    else:
        folders = _class_folders(root)
    names = sorted(folders) if class_names is None else [str(c) for c in class_names]
    unknown = [c for c in names if c not in folders]
    if unknown:
        raise ValueError(f"Class {unknown[0]!r} has no folder; found classes {sorted(folders)}.")
    if len(names) < 2:
        where = f" in {str(root)!r}" if not isinstance(root, Mapping) else ""
        raise ValueError(
            f"Found {len(names)} class folder(s) {names}{where}; classification needs at least "
            f"two. Expected layout:\n{_LAYOUT}"
        )
    paths: list[str] = []
    labels: list[int] = []
    for label, name in enumerate(names):
        files = _list_class(name, folders[name], extensions, recursive)
        good = set(image_files.check_image_files(files, on_error=on_error)) if files else set()
        kept = [f for f in files if f in good]
        paths += kept
        labels += [label] * len(kept)
    return paths, labels, names


def class_folder_dataset(
    root: str | os.PathLike | Mapping[str, Folders],
    size: int | tuple[int, int],
    class_names: Sequence[str] | None = None,
    mode: str = "resize",
    recursive: bool = False,
    extensions: Sequence[str] = image_files.IMAGE_EXTENSIONS,
    on_error: str = "warn",
) -> tuple[tf.data.Dataset, list[str]]:
    """A dataset of ``(image, label)`` and the class names.

    ``image`` is float32 RGB ``(H, W, 3)`` in [0, 1] at ``size`` (``mode="resize"`` stretches,
    ``"center_crop"`` keeps the aspect ratio and cuts the middle; both are bilinear with
    antialiasing); ``label`` is an int32 scalar indexing ``class_names``. Elements come in
    class order: shuffle before batching. With ``on_error="warn"``, files that pass the
    header check but fail to decode (truncated) are dropped as the dataset runs, which a
    lazy dataset cannot report file by file: :func:`ssl_keras.transfer.load_split` reads a
    split into memory and warns with the count and names of such files.
    """
    resizing.check_mode(mode, ("resize", "center_crop"))
    height, width = check_size(size)
    paths, labels, names = class_folder_files(root, class_names, recursive, extensions, on_error)
    ds = tf.data.Dataset.from_tensor_slices((paths, tf.constant(labels, tf.int32)))
    shape = (height, width)

    def load(path: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return resizing.to_size(image_files.read_image(path), shape, mode), label  # in [0, 1]

    ds = ds.map(load, num_parallel_calls=AUTOTUNE)
    if on_error == "warn":
        ds = ds.ignore_errors(log_warning=True)
    return ds, names
