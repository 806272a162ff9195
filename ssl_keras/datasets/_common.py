"""Helpers shared by the real-format loaders: folder checks, eager label validation, and the
TensorFlow ops that read, resize and pair images with masks."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from ssl_keras import image_files, pipelines, resizing
from ssl_keras._checks import check_size

AUTOTUNE = pipelines.AUTOTUNE
Size = int | tuple[int, int] | None


def require_dir(path: str | os.PathLike, what: str, layout: str = "") -> Path:
    """Return ``path`` as a ``Path``; raise ``FileNotFoundError`` naming it and the expected
    layout when it is not a folder."""
    folder = Path(path)
    if not folder.is_dir():
        hint = f" Expected layout:\n{layout}" if layout else ""
        raise FileNotFoundError(f"{what} folder {str(folder)!r} does not exist.{hint}")
    return folder


def folder_image_files(folder: Path, what: str) -> list[Path]:
    """Sorted image files (by extension) directly in ``folder``; ``ValueError`` when none, and
    a ``ValueError`` naming the file when one's content is no image (empty, text, another
    format), before any decoding inside ``tf.data`` could fail without a name."""
    found = image_files.find_image_files(folder)
    if not found:
        raise ValueError(
            f"{what} folder {str(folder)!r} holds no image files "
            f"({', '.join(image_files.IMAGE_EXTENSIONS)}). Add images or point to another folder."
        )
    check_images([str(p) for p in found], what)
    return found


def check_images(paths: Sequence[str], what: str) -> None:
    """Raise ``ValueError`` naming the first of ``paths`` that is no image or does not decode
    (:func:`ssl_keras.image_files.check_image_files`: a cut-short file is found by its last
    bytes), so no ``tf.data`` pipeline fails on it later without a name."""
    try:
        image_files.check_image_files(paths)
    except image_files.NotAnImageError as error:
        raise ValueError(error.describe("Re-save or remove it.", prefix=f"{what} file ")) from None


def pair_by_stem(
    images: Sequence[Path],
    masks: Sequence[Path],
    mask_suffix: str = "",
    image_dir: Path | None = None,
    mask_dir: Path | None = None,
) -> tuple[list[str], list[str]]:
    """Match images to masks by file stem (mask stem = image stem + ``mask_suffix``).

    Raises ``ValueError`` naming the first image without a mask or mask without an image,
    and naming both files when two images (or two masks) share a stem, as ``x.png`` and
    ``x.jpg`` do: one of them would otherwise be dropped without a word.
    """
    for kind, files in (("Images", images), ("Masks", masks)):
        first = stem_twin(files)
        if first:
            raise ValueError(
                f"{kind} {first[0]!r} and {first[1]!r} have the same name stem, so they cannot "
                "be paired by name. Rename or remove one of them."
            )
    by_stem = {m.stem: m for m in masks}
    wanted = {i.stem + mask_suffix: i for i in images}
    missing = [str(i) for stem, i in wanted.items() if stem not in by_stem]
    if missing:
        where = f" in {str(mask_dir)!r}" if mask_dir else ""
        raise ValueError(
            f"Image {missing[0]!r} has no mask{where} (expected "
            f"'{Path(missing[0]).stem}{mask_suffix}.png'){_more(missing)}. "
            "Add the mask or remove the image."
        )
    orphans = [str(m) for stem, m in by_stem.items() if stem not in wanted]
    if orphans:
        where = f" in {str(image_dir)!r}" if image_dir else ""
        raise ValueError(
            f"Mask {orphans[0]!r} has no image{where}{_more(orphans)}. "
            "Add the image or remove the mask."
        )
    ordered = sorted(wanted)
    return [str(wanted[s]) for s in ordered], [str(by_stem[s]) for s in ordered]


def stem_twin(files: Sequence[Path]) -> tuple[str, str] | None:
    """The first two of ``files`` that share a stem, or ``None``."""
    seen: dict[str, Path] = {}
    for file in files:
        if file.stem in seen:
            return str(seen[file.stem]), str(file)
        seen[file.stem] = file
    return None


def pair_folders(
    image_dir: Path, mask_dir: Path, what: str, mask_word: str = "mask"
) -> tuple[list[str], list[str]]:
    """Images in ``image_dir`` paired by stem with masks in ``mask_dir`` (see :func:`pair_by_stem`)."""
    return pair_by_stem(
        folder_image_files(image_dir, f"{what} image"),
        folder_image_files(mask_dir, f"{what} {mask_word}"),
        image_dir=image_dir,
        mask_dir=mask_dir,
    )


def require_files(paths: Sequence[str], what: str, fix: str) -> None:
    """Raise ``FileNotFoundError`` naming the first missing file of ``paths`` and the fix."""
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError(f"{what} {missing[0]!r} is missing{_more(missing)}. {fix}")


def _more(items: Sequence[object]) -> str:
    return f" and {len(items) - 1} more" if len(items) > 1 else ""


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """``(height, width)`` read from the file header only (no decoding)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
    except OSError as error:
        raise ValueError(
            f"Cannot read image file {str(path)!r}: {error}. Re-save or remove it."
        ) from None
    return height, width


def read_label_array(path: str | os.PathLike) -> np.ndarray:
    """A label image as stored: uint8/uint16 ``(H, W)`` or ``(H, W, C)`` (RGB order)."""
    import cv2

    array = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if array is None:
        raise ValueError(
            f"Cannot read label file {str(path)!r}: corrupt or not an image. Re-save it."
        )
    if array.ndim == 3:
        array = array[..., 2::-1] if array.shape[2] >= 3 else array
    return array


def validate_pairs(
    image_paths: Sequence[str],
    mask_paths: Sequence[str],
    num_classes: int | None = None,
    reduce_channels: bool = False,
    binary_255: bool = False,
) -> None:
    """Eagerly check every image/mask pair: readable, equal sizes, single-channel index mask
    (or any channels when ``reduce_channels``), values below ``num_classes`` (or in {0, 255}
    when ``binary_255``). Raises ``ValueError`` naming the file and the fix."""
    for image_path, mask_path in zip(image_paths, mask_paths, strict=True):
        mask = read_label_array(mask_path)
        if mask.ndim == 3:
            if not reduce_channels:
                raise ValueError(
                    f"Mask {mask_path!r} has {mask.shape[2]} channels; this layout needs "
                    "single-channel (mode L) PNGs of class indices. For color-coded labels use "
                    "the color loader (e.g. camvid_color_dataset) or convert the file."
                )
            mask = mask.max(axis=-1)
        if image_size(image_path) != mask.shape[:2]:
            raise ValueError(
                f"Mask {mask_path!r} is {mask.shape[1]}x{mask.shape[0]} (WxH) but image "
                f"{image_path!r} is {image_size(image_path)[1]}x{image_size(image_path)[0]}. "
                "Masks must have their image's size; re-export the mask."
            )
        if binary_255:
            values = np.unique(mask)
            if not np.isin(values, (0, 255)).all() and not np.isin(values, (0, 1)).all():
                raise ValueError(
                    f"Mask {mask_path!r} holds values {values[:8].tolist()}; expected a binary "
                    "mask with values 0/255 (or 0/1)."
                )
        elif num_classes is not None and mask.size and int(mask.max()) >= num_classes:
            raise ValueError(
                f"Mask {mask_path!r} holds class index {int(mask.max())}, but there are only "
                f"{num_classes} classes (0-{num_classes - 1}). Fix the label file or pass the "
                "right number of classes."
            )


def read_index_mask(path: tf.Tensor) -> tf.Tensor:
    """Decode a single-channel PNG of class indices into int32 ``(H, W, 1)``."""
    mask = tf.io.decode_png(tf.io.read_file(path), channels=1, dtype=tf.uint8)
    return tf.cast(mask, tf.int32)


def read_max_channel_mask(path: tf.Tensor) -> tf.Tensor:
    """Decode a PNG label and take the maximum over its channels: int32 ``(H, W, 1)``."""
    mask = tf.io.decode_png(tf.io.read_file(path), channels=0, dtype=tf.uint8)
    return tf.cast(tf.reduce_max(mask, axis=-1, keepdims=True), tf.int32)


def resize_mask(mask: tf.Tensor, size: tuple[int, int]) -> tf.Tensor:
    """Nearest-neighbour resize of an int mask ``(H, W, 1)`` (class indices stay valid)."""
    return tf.cast(tf.image.resize(mask, size, method="nearest"), tf.int32)


# Bilinear, antialiased and clipped to [0, 1]: the one image resize every loader uses.
resize_image = resizing.resize


def resize_pair(image: tf.Tensor, mask: tf.Tensor, size: Size) -> tuple[tf.Tensor, tf.Tensor]:
    """Bilinear (antialiased) image resize and nearest mask resize to the same ``size``."""
    if size is None:
        return image, mask
    height, width = check_size(size)
    return resize_image(image, (height, width)), resize_mask(mask, (height, width))


def paired_dataset(
    image_paths: Sequence[str],
    mask_paths: Sequence[str],
    size: Size,
    read_mask: Callable[[tf.Tensor], tf.Tensor] = read_index_mask,
) -> tf.data.Dataset:
    """``(image float32 (H, W, 3) in [0, 1], mask int32 (H, W, 1))`` pairs from files."""
    if size is not None:
        size = check_size(size)
    ds = tf.data.Dataset.from_tensor_slices((list(image_paths), list(mask_paths)))

    def load(image_path: tf.Tensor, mask_path: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return resize_pair(image_files.read_image(image_path), read_mask(mask_path), size)

    return ds.map(load, num_parallel_calls=AUTOTUNE)


def warn_skipped(what: str, skipped: Sequence[str], fix: str) -> None:
    """One warning that counts and names (up to five of) the skipped items."""
    if skipped:
        shown = ", ".join(repr(s) for s in skipped[:5])
        warnings.warn(
            f"Skipped {len(skipped)} {what}: {shown}{' …' if len(skipped) > 5 else ''}. {fix}",
            stacklevel=3,
        )
