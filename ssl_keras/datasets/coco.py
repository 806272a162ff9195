"""COCO instance annotations → semantic masks (foreground or per category), served by tf.data.

Layout (the real COCO 2017 layout; also written by
:func:`ssl_keras.datasets.synthetic.coco_instances`)::

    <root>/val2017/000000397133.jpg …
    <root>/annotations/instances_val2017.json

Masks are rasterized once with pycocotools (polygons and crowd RLEs alike) and cached as
PNG files, so the input pipeline itself only reads files. ``mode="foreground"`` gives 1 on
any instance (crowds included) and 0 elsewhere; ``mode="category"`` gives 0 = background and
1…K for the categories in the order of their ids (smaller instances painted over larger).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from ssl_keras import image_files
from ssl_keras.datasets import _common
from ssl_keras.datasets.fetch import file_digest

_LAYOUT = "  <root>/<split>/*.jpg and <root>/annotations/instances_<split>.json"
_MODES = ("foreground", "category")


def build_coco_masks(
    annotation_file: str | os.PathLike,
    image_dir: str | os.PathLike,
    cache_dir: str | os.PathLike,
    mode: str = "foreground",
    on_missing: str = "raise",
) -> tuple[list[str], list[str], list[str]]:
    """Rasterize masks for every image of ``annotation_file`` into ``cache_dir`` (once).

    Returns ``(image paths, mask paths, class names)``; masks are uint8 PNGs of the image's
    size (see module docstring for values); class names start with ``"background"``.
    Images listed in the JSON but missing from ``image_dir`` raise ``FileNotFoundError``
    (``on_missing="raise"``) or are skipped with one counted warning (``"warn"``). An image
    whose size differs from its JSON entry raises ``ValueError``, and so do two images with
    one name stem (``x.jpg`` and ``x.png``): their masks would overwrite each other in the
    cache, each named ``<stem>.png``.
    """
    from pycocotools.coco import COCO

    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}.")
    if on_missing not in ("raise", "warn"):
        raise ValueError(f"on_missing must be 'raise' or 'warn', got {on_missing!r}.")
    annotation_file, image_dir = Path(annotation_file), Path(image_dir)
    if not annotation_file.is_file():
        raise FileNotFoundError(
            f"COCO annotation file {str(annotation_file)!r} does not exist. Expected layout:\n{_LAYOUT}"
        )
    _common.require_dir(image_dir, "COCO image", _LAYOUT)
    try:
        with _quiet():
            coco = COCO(str(annotation_file))
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"{str(annotation_file)!r} is not a COCO instances file: {error!r}."
        ) from None
    categories = sorted(coco.getCatIds())
    names = ["background"] + (
        [coco.cats[c]["name"] for c in categories] if mode == "category" else ["foreground"]
    )
    index = {c: i + 1 for i, c in enumerate(categories)}

    images, missing = [], []
    for image_id in sorted(coco.getImgIds()):
        info = coco.imgs[image_id]
        path = image_dir / info["file_name"]
        (images if path.is_file() else missing).append((image_id, path))
    if missing:
        if on_missing == "raise":
            raise FileNotFoundError(
                f"{str(annotation_file)!r} references {len(missing)} image(s) missing from "
                f"{str(image_dir)!r}, e.g. {str(missing[0][1])!r}. Put the images there, point "
                "image_dir at the right folder, or pass on_missing='warn' to skip them."
            )
        _common.warn_skipped(
            "COCO images missing on disk", [str(p) for _, p in missing], "Copy them in to use them."
        )
    if not images:
        raise ValueError(f"No image of {str(annotation_file)!r} exists in {str(image_dir)!r}.")

    twin = _common.stem_twin([path for _, path in images])
    if twin:
        raise ValueError(
            f"Images {twin[0]!r} and {twin[1]!r} of {str(annotation_file)!r} have the same name "
            "stem, so their cached masks would be one file. Rename or remove one of them (and "
            "its entry)."
        )

    cache = Path(cache_dir)
    record = {"annotations": file_digest(annotation_file), "mode": mode, "version": 1}
    marker = cache / ".complete.json"
    mask_paths = [str(cache / f"{Path(p).stem}.png") for _, p in images]
    fresh = marker.is_file() and json.loads(marker.read_text()) == record
    if not fresh or not all(os.path.isfile(m) for m in mask_paths):
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OSError(
                f"Cannot create the mask cache {str(cache)!r} ({error}); pass a writable cache_dir."
            ) from None
        for (image_id, path), mask_path in zip(images, mask_paths, strict=True):
            info = coco.imgs[image_id]
            if _common.image_size(path) != (info["height"], info["width"]):
                raise ValueError(
                    f"Image {str(path)!r} is {_common.image_size(path)} (H, W) but "
                    f"{str(annotation_file)!r} says {(info['height'], info['width'])}. Use the "
                    "original image file or fix its entry."
                )
            mask = np.zeros((info["height"], info["width"]), np.uint8)
            annotations = coco.loadAnns(coco.getAnnIds(imgIds=[image_id], iscrowd=None))
            for ann in sorted(annotations, key=lambda a: -float(a.get("area", 0))):
                instance = coco.annToMask(ann).astype(bool)
                mask[instance] = 1 if mode == "foreground" else index[ann["category_id"]]
            image_files.write_image(mask_path, mask, png_compression=3)
        marker.write_text(json.dumps(record))
    return [str(p) for _, p in images], mask_paths, names


class _quiet:
    """Silence pycocotools' progress prints."""

    def __enter__(self):
        import contextlib
        import io

        self._redirect = contextlib.redirect_stdout(io.StringIO())
        return self._redirect.__enter__()

    def __exit__(self, *exc):
        return self._redirect.__exit__(*exc)


def coco_dataset(
    root: str | os.PathLike,
    split: str = "val2017",
    size: int | tuple[int, int] | None = None,
    mode: str = "foreground",
    cache_dir: str | os.PathLike | None = None,
    annotation_file: str | os.PathLike | None = None,
    image_dir: str | os.PathLike | None = None,
    on_missing: str = "raise",
) -> tuple[tf.data.Dataset, list[str]]:
    """``(image, mask)`` pairs from a COCO instances file, and the class names.

    ``image``: float32 RGB ``(H, W, 3)`` in [0, 1] (bilinear, antialiased resize); ``mask``:
    int32 ``(H, W, 1)``: 0/1 for ``mode="foreground"``, 0…K for ``"category"`` (nearest resize).
    Defaults: annotations ``<root>/annotations/instances_<split>.json``, images
    ``<root>/<split>/``, masks cached in ``<root>/masks/<split>_<mode>/`` (pass ``cache_dir``
    when ``root`` is read-only).
    """
    base = _common.require_dir(root, "COCO", _LAYOUT)
    annotation_file = (
        Path(annotation_file)
        if annotation_file
        else base / "annotations" / f"instances_{split}.json"
    )
    image_dir = Path(image_dir) if image_dir else base / split
    cache_dir = Path(cache_dir) if cache_dir else base / "masks" / f"{split}_{mode}"
    images, masks, names = build_coco_masks(annotation_file, image_dir, cache_dir, mode, on_missing)
    _common.check_images(images, "COCO image")
    return _common.paired_dataset(images, masks, size), names
