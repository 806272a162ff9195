"""COCO-style instance sets: shapes on cluttered photos-like backgrounds + COCO JSON.

Layout written (the real COCO 2017 layout)::

    <root>/train2017/000000000001.jpg …
    <root>/val2017/…
    <root>/annotations/instances_train2017.json   instances_val2017.json

The JSON follows the real schema: ``info``, ``licenses``, ``images`` (id, file_name, height,
width, license, coco_url, flickr_url, date_captured), ``annotations`` (id, image_id,
category_id, segmentation, area, bbox ``[x, y, w, h]``, iscrowd) and ``categories`` (id,
name, supercategory). Instances are polygons (``iscrowd=0``); a cluster of small disks in
some images is one ``iscrowd=1`` annotation with an uncompressed RLE (column-major run
lengths starting with background, as in real COCO crowd annotations). Image sizes vary a
little around ``size``, like real photographs do.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np

from ssl_keras._checks import check_size
from ssl_keras.datasets.synthetic import _draw
from ssl_keras.datasets.synthetic._io import generate_once, to_uint8, write_image

COCO_CATEGORIES = (
    {"supercategory": "round", "id": 1, "name": "disk"},
    {"supercategory": "polygon", "id": 2, "name": "square"},
    {"supercategory": "polygon", "id": 3, "name": "triangle"},
    {"supercategory": "polygon", "id": 4, "name": "star"},
)


def _shape_polygon(rng: np.random.Generator, category: int, center, radius: float) -> np.ndarray:
    """Outline ``(N, 2)`` float of one instance of ``category`` (COCO id)."""
    angle = rng.uniform(0, 2 * np.pi)
    if category == 1:
        axes = (radius, radius * rng.uniform(0.6, 1.0))
        t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        x, y = axes[0] * np.cos(t), axes[1] * np.sin(t)
    else:
        corners = {2: 4, 3: 3, 4: 10}[category]
        t = np.linspace(0, 2 * np.pi, corners, endpoint=False)
        r = (
            np.where(np.arange(corners) % 2 == 1, 0.45, 1.0) * radius
            if category == 4
            else np.full(corners, radius)
        )
        x, y = r * np.cos(t), r * np.sin(t)
    xr = np.cos(angle) * x - np.sin(angle) * y + center[0]
    yr = np.sin(angle) * x + np.cos(angle) * y + center[1]
    return np.stack([xr, yr], axis=1)


def rle_uncompressed(mask: np.ndarray) -> dict:
    """COCO uncompressed RLE of a binary mask ``(H, W)``: column-major run lengths that
    start with a (possibly empty) run of zeros."""
    flat = np.asarray(mask, np.uint8).flatten(order="F")
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        counts = [0] + counts
    return {"counts": [int(c) for c in counts], "size": [int(mask.shape[0]), int(mask.shape[1])]}


def render_coco_image(
    rng: np.random.Generator, height: int, width: int, crowd: bool
) -> tuple[np.ndarray, list[dict]]:
    """One image (uint8 RGB) and its annotations (without ids/image ids)."""
    from pycocotools import mask as mask_utils

    image = _draw.gradient_background(rng, height, width)
    _draw.add_clutter(image, rng, int(rng.integers(6, 14)), scale=min(height, width) * 0.04)
    annotations = []
    for _ in range(int(rng.integers(2, 6))):
        category = int(rng.integers(1, 5))
        radius = min(height, width) * rng.uniform(0.08, 0.2)
        center = (rng.uniform(radius, width - radius), rng.uniform(radius, height - radius))
        polygon = _shape_polygon(rng, category, center, radius)
        polygon[:, 0] = np.clip(polygon[:, 0], 0, width - 1)
        polygon[:, 1] = np.clip(polygon[:, 1], 0, height - 1)
        color = _draw.random_color(rng)
        cv2.fillPoly(
            image,
            [np.round(polygon * 4).astype(np.int32)],
            tuple(map(float, color)),
            cv2.LINE_AA,
            2,
        )
        flat = [round(float(v), 2) for v in polygon.reshape(-1)]
        rle = mask_utils.frPyObjects([flat], height, width)
        x0, y0 = polygon.min(axis=0)
        x1, y1 = polygon.max(axis=0)
        annotations.append(
            {
                "segmentation": [flat],
                "area": float(mask_utils.area(rle)[0]),
                "iscrowd": 0,
                "bbox": [
                    round(float(x0), 2),
                    round(float(y0), 2),
                    round(float(x1 - x0), 2),
                    round(float(y1 - y0), 2),
                ],
                "category_id": category,
            }
        )
    if crowd:
        mask = np.zeros((height, width), np.uint8)
        cx, cy = rng.uniform(0.25, 0.75) * width, rng.uniform(0.25, 0.75) * height
        color = tuple(map(float, _draw.random_color(rng)))
        for _ in range(int(rng.integers(8, 16))):
            center = (int(cx + rng.normal(0, 0.08 * width)), int(cy + rng.normal(0, 0.08 * height)))
            r = max(1, int(min(height, width) * rng.uniform(0.015, 0.035)))
            cv2.circle(image, center, r, color, -1)
            cv2.circle(mask, center, r, 1, -1)
        ys, xs = np.nonzero(mask)
        if len(xs):
            annotations.append(
                {
                    "segmentation": rle_uncompressed(mask),
                    "area": int(mask.sum()),
                    "iscrowd": 1,
                    "bbox": [
                        int(xs.min()),
                        int(ys.min()),
                        int(xs.max() - xs.min() + 1),
                        int(ys.max() - ys.min() + 1),
                    ],
                    "category_id": 1,
                }
            )
    image = _draw.apply_lighting(image, rng, strength=0.3)
    return to_uint8(_draw.finish(image, rng, noise=0.015)), annotations


def coco_instances(
    root: str | os.PathLike,
    n_train: int = 64,
    n_val: int = 16,
    size: int | tuple[int, int] = (96, 128),
    seed: int = 0,
    overwrite: bool = False,
) -> Path:
    """Write a COCO-style instance set (see module docstring) and return ``root``.

    ``size`` is the typical ``(height, width)``; each image varies by up to ±12 %. Every
    split gets at least one crowd (RLE) annotation. Same arguments → same bytes.
    """
    height, width = check_size(size)
    if min(height, width) < 32:
        raise ValueError(f"size must be at least 32 pixels per side, got {size!r}.")
    params = {"n_train": n_train, "n_val": n_val, "size": [height, width], "seed": seed}

    def write(folder: Path) -> None:
        rng = np.random.default_rng(seed)
        image_id, annotation_id = 0, 0
        for split, count in (("train2017", n_train), ("val2017", n_val)):
            images, annotations = [], []
            (folder / split).mkdir(parents=True)
            for i in range(count):
                image_id += 1
                h = int(round(height * rng.uniform(0.88, 1.12)))
                w = int(round(width * rng.uniform(0.88, 1.12)))
                pixels, instances = render_coco_image(rng, h, w, crowd=i % 4 == 0)
                name = f"{image_id:012d}.jpg"
                write_image(folder / split / name, pixels)
                images.append(
                    {
                        "license": 1,
                        "file_name": name,
                        "coco_url": "",
                        "height": h,
                        "width": w,
                        "date_captured": "2024-01-01 00:00:00",
                        "flickr_url": "",
                        "id": image_id,
                    }
                )
                for instance in instances:
                    annotation_id += 1
                    annotations.append({**instance, "image_id": image_id, "id": annotation_id})
            document = {
                "info": {
                    "description": "ssl-keras synthetic shapes (COCO format)",
                    "url": "",
                    "version": "1.0",
                    "year": 2024,
                    "contributor": "ssl_keras.datasets.synthetic",
                    "date_created": "2024/01/01",
                },
                "licenses": [
                    {
                        "url": "https://www.apache.org/licenses/LICENSE-2.0",
                        "id": 1,
                        "name": "Apache License 2.0",
                    }
                ],
                "images": images,
                "annotations": annotations,
                "categories": [dict(c) for c in COCO_CATEGORIES],
            }
            out = folder / "annotations" / f"instances_{split}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(document))

    return generate_once(root, "coco_instances", params, write, overwrite)
