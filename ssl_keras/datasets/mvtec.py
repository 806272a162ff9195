"""MVTec AD anomaly detection: one category folder in the official layout.

Layout (``<root>`` is the folder holding the categories, e.g. ``mvtec_anomaly_detection/``)::

    <root>/<category>/train/good/000.png
    <root>/<category>/test/good/000.png
    <root>/<category>/test/<defect type>/000.png
    <root>/<category>/ground_truth/<defect type>/000_mask.png    (0 / 255)

Sets exported by other tools often name the masks like their images (``000.png``): both
names are found (:data:`MASK_PATTERNS`), and ``mask_pattern`` names any other scheme. Also
written by :func:`ssl_keras.datasets.synthetic.mvtec_like`. Grayscale categories
(``grid``, ``screw``, ``zipper``) are served as three equal channels.
"""

from __future__ import annotations

import os
from pathlib import Path

import tensorflow as tf

from ssl_keras import image_files, pipelines
from ssl_keras._checks import check_size
from ssl_keras.datasets import _common

AUTOTUNE = pipelines.AUTOTUNE
GOOD = "good"
_LAYOUT = (
    "  <root>/<category>/train/good/*.png\n"
    "  <root>/<category>/test/good/*.png and test/<defect>/*.png\n"
    "  <root>/<category>/ground_truth/<defect>/<name>_mask.png"
)
MASK_PATTERNS = ("{stem}_mask.png", "{stem}.png")
"""Mask file names tried, in order, for a defect image ``<stem>.<ext>``: the official
``000_mask.png`` and the ``000.png`` of sets exported by other tools."""


def _mask_path(folder: Path, image: Path, patterns: tuple[str, ...]) -> Path | None:
    for pattern in patterns:
        candidate = folder / pattern.format(stem=image.stem, suffix=image.suffix)
        if candidate.is_file():
            return candidate
    return None


def _patterns(mask_pattern: str | None) -> tuple[str, ...]:
    if mask_pattern is None:
        return MASK_PATTERNS
    if not isinstance(mask_pattern, str) or "{stem}" not in mask_pattern:
        raise ValueError(
            f"mask_pattern must be a file name containing '{{stem}}' (the image's name without "
            f"extension; '{{suffix}}' is its extension), e.g. '{{stem}}_gt.png'; got "
            f"{mask_pattern!r}."
        )
    return (mask_pattern,)


def mvtec_categories(root: str | os.PathLike) -> list[str]:
    """Sorted names of the category folders under ``root`` (those holding ``train/good``)."""
    base = _common.require_dir(root, "MVTec AD", _LAYOUT)
    found = sorted(p.name for p in base.iterdir() if (p / "train" / GOOD).is_dir())
    if not found:
        raise FileNotFoundError(
            f"No MVTec AD category (a folder with train/good/) in {str(base)!r}. Expected layout:\n{_LAYOUT}"
        )
    return found


def mvtec_files(
    root: str | os.PathLike,
    category: str,
    split: str = "train",
    mask_pattern: str | None = None,
) -> tuple[list[str], list[str], list[int], list[str]]:
    """``(image paths, mask paths, labels, defect types)`` of one category and split.

    Labels are 0 (good) / 1 (defective); good images get mask path ``""`` (an empty mask).
    A defect image ``test/<defect>/<stem>.<ext>`` has its mask in ``ground_truth/<defect>/``
    named by ``mask_pattern`` (``"{stem}"`` and ``"{suffix}"`` filled in, e.g.
    ``"{stem}_gt.png"``), or, when it is ``None``, by the first of :data:`MASK_PATTERNS` that
    exists. Raises ``FileNotFoundError`` when ``train/good`` (or ``test``) is missing and
    ``ValueError`` when a defect image has no mask.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    patterns = _patterns(mask_pattern)
    base = _common.require_dir(Path(root) / category, f"MVTec AD category {category!r}", _LAYOUT)
    train_good = base / "train" / GOOD
    if not train_good.is_dir():
        raise FileNotFoundError(
            f"{str(train_good)!r} is missing: every MVTec AD category needs defect-free training "
            f"images there. Expected layout:\n{_LAYOUT}"
        )
    if split == "train":
        paths = [str(p) for p in _common.folder_image_files(train_good, "MVTec AD train/good")]
        return paths, [""] * len(paths), [0] * len(paths), [GOOD] * len(paths)
    test = _common.require_dir(base / "test", f"MVTec AD {category!r} test", _LAYOUT)
    images, masks, labels, kinds = [], [], [], []
    for folder in sorted(p for p in test.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = _common.folder_image_files(folder, f"MVTec AD test/{folder.name}")
        for path in files:
            if folder.name == GOOD:
                mask = ""
            else:
                truth = base / "ground_truth" / folder.name
                mask_path = _mask_path(truth, path, patterns)
                if mask_path is None:
                    tried = ", ".join(
                        repr(p.format(stem=path.stem, suffix=path.suffix)) for p in patterns
                    )
                    raise ValueError(
                        f"Defect image {str(path)!r} has no mask: looked in {str(truth)!r} for "
                        f"{tried}. Add the mask (0 = normal, 255 = defect), remove the image, "
                        "or name your masks' scheme with mask_pattern (e.g. '{stem}_gt.png')."
                    )
                mask = str(mask_path)
            images.append(str(path))
            masks.append(mask)
            labels.append(0 if folder.name == GOOD else 1)
            kinds.append(folder.name)
    return images, masks, labels, kinds


def _read_binary_mask(path: tf.Tensor, image: tf.Tensor) -> tf.Tensor:
    def load() -> tf.Tensor:
        mask = tf.io.decode_png(tf.io.read_file(path), channels=1)
        return tf.cast(mask > 0, tf.int32)

    def empty() -> tf.Tensor:
        return tf.zeros(tf.concat([tf.shape(image)[:2], [1]], 0), tf.int32)

    mask = tf.cond(tf.strings.length(path) > 0, load, empty)
    mask.set_shape([None, None, 1])
    return mask


def mvtec_dataset(
    root: str | os.PathLike,
    category: str,
    split: str = "train",
    size: int | tuple[int, int] | None = None,
    validate: bool = True,
    mask_pattern: str | None = None,
) -> tf.data.Dataset:
    """``(image, mask, label, defect_type)`` of one MVTec AD category.

    ``image`` float32 RGB ``(H, W, 3)`` in [0, 1] (bilinear, antialiased resize); ``mask``
    int32 ``(H, W, 1)`` in {0, 1} (nearest resize; all zeros for good images); ``label`` int32
    0 = good / 1 = defective; ``defect_type`` a string (``"good"`` or the folder name).
    ``validate`` checks that every mask is binary and has its image's size; ``mask_pattern``
    names the masks as in :func:`mvtec_files`.
    """
    images, masks, labels, kinds = mvtec_files(root, category, split, mask_pattern)
    if validate:
        pairs = [(i, m) for i, m in zip(images, masks, strict=True) if m]
        if pairs:
            _common.validate_pairs(*zip(*pairs, strict=True), binary_255=True)
    target = None if size is None else check_size(size)
    ds = tf.data.Dataset.from_tensor_slices((images, masks, tf.constant(labels, tf.int32), kinds))

    def load(image_path, mask_path, label, kind):
        image = image_files.read_image(image_path)
        image, mask = _common.resize_pair(image, _read_binary_mask(mask_path, image), target)
        return image, mask, label, kind

    return ds.map(load, num_parallel_calls=AUTOTUNE)
