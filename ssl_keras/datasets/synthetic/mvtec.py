"""Anomaly-detection sets in the MVTec AD layout: a woven texture and a round object.

Layout written (the real MVTec AD layout, one folder per category)::

    <root>/<category>/train/good/000.png
    <root>/<category>/test/good/000.png
    <root>/<category>/test/<defect>/000.png
    <root>/<category>/ground_truth/<defect>/000_mask.png    (0 = normal, 255 = defect)

Categories: ``weave`` (a grayscale woven texture, like MVTec's ``grid``/``carpet``, with
``scratch``, ``hole`` and ``contamination`` defects) and ``cap`` (an RGB bottle cap seen from
above, like ``bottle``/``metal_nut``, with ``scratch``, ``crack`` and ``contamination``).
Normal images vary in phase, angle, scale, brightness and color. Each defect type comes at
graded severities (size, contrast and, for stains, color difference to the surface they
cover): the first third of ``test/<defect>/`` is ``obvious``, the second ``moderate``, the
last ``subtle``, barely visible at 64 px (:func:`severity_tiers` names the tier of each
file).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ssl_keras.datasets.synthetic import _draw
from ssl_keras.datasets.synthetic._io import generate_once, to_uint8, write_image

DEFECTS = {
    "weave": ("scratch", "hole", "contamination"),
    "cap": ("scratch", "crack", "contamination"),
}
SEVERITIES = ("obvious", "moderate", "subtle")


def render_weave(rng: np.random.Generator, size: int) -> np.ndarray:
    """A woven texture, float32 ``(S, S, 3)`` gray in [0, 1]: threads alternate over/under."""
    period = rng.uniform(9, 13) * size / 128
    angle = np.radians(rng.uniform(-4, 4))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    u = (np.cos(angle) * xx + np.sin(angle) * yy) / period + rng.random()
    v = (-np.sin(angle) * xx + np.cos(angle) * yy) / period + rng.random()
    across = np.sin(np.pi * (u % 1.0)) ** 0.6  # bright thread centers, dark gaps
    down = np.sin(np.pi * (v % 1.0)) ** 0.6
    over = (np.floor(u) + np.floor(v)) % 2 == 0
    threads = np.where(over, across * (0.75 + 0.25 * down), down * (0.75 + 0.25 * across))
    base, contrast = rng.uniform(0.3, 0.5), rng.uniform(0.3, 0.45)
    gray = base + contrast * threads + 0.06 * (_draw.smooth_field(rng, size, size, 5) - 0.5)
    image = np.repeat(gray[..., None], 3, axis=-1).astype(np.float32)
    return _draw.apply_lighting(image, rng, strength=0.2)


def render_cap(rng: np.random.Generator, size: int) -> np.ndarray:
    """A bottle cap from above, centered, float32 RGB ``(S, S, 3)`` in [0, 1]."""
    background = _draw.random_color(rng, saturation=(0.0, 0.15), value=(0.08, 0.2))
    image = np.ones((size, size, 3), np.float32) * background
    image += 0.03 * (_draw.smooth_field(rng, size, size, 4)[..., None] - 0.5)
    color = _draw.random_color(rng, saturation=(0.4, 0.8), value=(0.55, 0.9))
    center = size / 2 + rng.uniform(-0.03, 0.03, 2) * size
    radius = size * rng.uniform(0.33, 0.37)
    ridges, phase = 36, rng.uniform(0, 2 * np.pi)
    angles = np.linspace(0, 2 * np.pi, 4 * ridges, endpoint=False)
    wobble = 1.0 + 0.035 * np.sign(np.sin(ridges * angles + phase))
    rim = np.stack(
        [
            center[0] + radius * wobble * np.cos(angles),
            center[1] + radius * wobble * np.sin(angles),
        ],
        1,
    )
    cv2.fillPoly(
        image, [np.round(rim * 8).astype(np.int32)], tuple(map(float, color * 0.8)), cv2.LINE_AA, 3
    )
    c = (int(round(center[0] * 8)), int(round(center[1] * 8)))
    cv2.circle(image, c, int(radius * 0.86 * 8), tuple(map(float, color)), -1, cv2.LINE_AA, 3)
    cv2.circle(
        image,
        c,
        int(radius * 0.6 * 8),
        tuple(map(float, color * 0.9)),
        max(1, size // 64),
        cv2.LINE_AA,
        3,
    )
    logo = rng.uniform(0, 180)  # an embossed bar at a random angle: the pose varies
    dx, dy = np.cos(np.radians(logo)) * radius * 0.4, np.sin(np.radians(logo)) * radius * 0.4
    cv2.line(
        image,
        (int((center[0] - dx) * 8), int((center[1] - dy) * 8)),
        (int((center[0] + dx) * 8), int((center[1] + dy) * 8)),
        tuple(map(float, color * 1.15)),
        max(1, size // 24),
        cv2.LINE_AA,
        3,
    )
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    highlight = np.exp(
        -(
            ((xx - center[0] + radius * 0.3) ** 2 + (yy - center[1] + radius * 0.3) ** 2)
            / (2 * (radius * 0.5) ** 2)
        )
    )
    image = image + 0.12 * highlight[..., None]
    return _draw.apply_lighting(image, rng, strength=0.15)


def _lerp(severity: float, subtle: float, obvious: float) -> float:
    return subtle + severity * (obvious - subtle)


def _scratch(rng, image, size, mask, severity):
    start = rng.uniform(0.3, 0.7, 2) * size
    length, angle = _lerp(severity, 0.1, 0.3) * size, rng.uniform(0, np.pi)
    bend = rng.normal(0, 0.05 * size, 2)
    points = np.array(
        [
            start + t * length * np.array([np.cos(angle), np.sin(angle)]) + np.sin(np.pi * t) * bend
            for t in np.linspace(0, 1, 8)
        ]
    )
    pts = [np.round(points).astype(np.int32)]
    # Notebooks train at 64 px on images written at 128 px: the widest scratch spans
    # 1.5 px there, the thinnest is a faint sub-pixel line.
    width = max(1, round(_lerp(severity, size / 128, size / 42)))
    layer = np.zeros(mask.shape, np.float32)
    cv2.polylines(layer, pts, False, 1.0, width, cv2.LINE_AA)
    shade = rng.choice([-1, 1]) * _lerp(severity, 0.06, 0.4)
    image += shade * layer[..., None]
    cv2.polylines(mask, pts, False, 255, width + 2)


def _hole(rng, image, size, mask, severity, crack: bool = False):
    center = rng.uniform(0.3, 0.7, 2) * size
    layer = np.zeros(mask.shape, np.float32)
    if crack:
        points = [center]
        for _ in range(round(_lerp(severity, 3, 7))):
            points.append(points[-1] + rng.normal(0, 0.04 * size, 2) + np.array([0.03 * size, 0]))
        pts = [np.round(np.array(points)).astype(np.int32)]
        width = max(1, round(_lerp(severity, size / 128, size / 40)))
        cv2.polylines(layer, pts, False, 1.0, width, cv2.LINE_AA)
        cv2.polylines(mask, pts, False, 255, width + 2)
    else:
        radius = max(1.5, _lerp(severity, 0.02, 0.06) * size)  # at least a few pixels
        polygon = _draw.blob_polygon(rng, tuple(center), radius)
        cv2.fillPoly(layer, [polygon], 1.0, cv2.LINE_AA)
        cv2.fillPoly(mask, [polygon], 255)
    image *= 1.0 - _lerp(severity, 0.12, 0.65) * layer[..., None]


def _contamination(rng, image, size, mask, severity, gray: bool):
    center = rng.uniform(0.3, 0.7, 2) * size
    radius = max(1.5, _lerp(severity, 0.03, 0.08) * size)  # a mask of at least a few pixels
    polygon = _draw.blob_polygon(rng, tuple(center), radius)
    layer = np.zeros(mask.shape, np.float32)
    cv2.fillPoly(layer, [polygon], 1.0, cv2.LINE_AA)
    layer = cv2.GaussianBlur(layer, (0, 0), max(0.5, size / 128))
    # The stain's color differs from the surface it covers by a set distance: subtle stains
    # are nearly the surface's own color and mostly see-through.
    below = image[layer > 0.5].mean(axis=0) if (layer > 0.5).any() else image.mean(axis=(0, 1))
    direction = np.ones(3) if gray else rng.normal(size=3)
    direction = rng.choice([-1, 1]) * direction / np.linalg.norm(direction)
    stain = np.clip(below + _lerp(severity, 0.05, 0.45) * np.sqrt(3) * direction, 0, 1)
    strength = _lerp(severity, 0.3, 0.75)
    image[:] = image * (1 - strength * layer[..., None]) + stain * strength * layer[..., None]
    mask[layer > 0.25] = 255


def severity_tiers(n_test_defect: int) -> list[str]:
    """The severity tier of ``test/<defect>/000.png``, ``001.png``, … written by
    :func:`mvtec_like`: equal thirds of :data:`SEVERITIES`, obvious first (a list of
    ``n_test_defect`` names)."""
    if isinstance(n_test_defect, bool) or not isinstance(n_test_defect, int) or n_test_defect < 0:
        raise ValueError(f"n_test_defect must be a non-negative int, got {n_test_defect!r}.")
    return [SEVERITIES[i * len(SEVERITIES) // n_test_defect] for i in range(n_test_defect)]


def severities(defect_types: Sequence[str]) -> np.ndarray:
    """The severity tier of each test image of a :func:`mvtec_like` category.

    ``defect_types`` lists the test images' types in file order, as
    :func:`ssl_keras.datasets.mvtec.mvtec_files` reads ``test/`` (e.g.
    ``anomaly.CategoryData.defect_types``). Returns a str array of the same length:
    ``"good"`` for good images, else a tier of :data:`SEVERITIES` (see :func:`severity_tiers`).
    """
    kinds = np.asarray(defect_types).astype(str)
    if kinds.ndim != 1:
        raise ValueError(f"defect_types must be a flat list of names, got shape {kinds.shape}.")
    tiers = np.full(kinds.shape, "good", dtype=object)
    for kind in set(kinds.tolist()) - {"good"}:
        chosen = kinds == kind
        tiers[chosen] = severity_tiers(int(chosen.sum()))
    return tiers.astype(str)


def render_defect(
    rng: np.random.Generator, category: str, defect: str, size: int, severity: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """One defective image and its mask: ``(uint8 image, uint8 mask (S, S) in {0, 255})``.

    The image is ``(S, S)`` gray for ``weave`` and ``(S, S, 3)`` RGB for ``cap``.
    ``severity`` in [0, 1] sets size, contrast and color difference of the defect, from
    barely visible (0) to obvious (1).
    """
    if category not in DEFECTS or defect not in DEFECTS[category]:
        raise ValueError(f"Unknown category/defect {category!r}/{defect!r}; choose from {DEFECTS}.")
    if not 0.0 <= severity <= 1.0:
        raise ValueError(f"severity must be in [0, 1] (0 subtle, 1 obvious), got {severity!r}.")
    image = (render_weave if category == "weave" else render_cap)(rng, size)
    mask = np.zeros((size, size), np.uint8)
    if defect == "scratch":
        _scratch(rng, image, size, mask, severity)
    elif defect in ("hole", "crack"):
        _hole(rng, image, size, mask, severity, crack=defect == "crack")
    else:
        _contamination(rng, image, size, mask, severity, gray=category == "weave")
    return _finish(rng, category, image), mask


def render_good(rng: np.random.Generator, category: str, size: int) -> np.ndarray:
    """One defect-free uint8 image (gray ``(S, S)`` for ``weave``, RGB for ``cap``)."""
    if category not in DEFECTS:
        raise ValueError(f"Unknown category {category!r}; choose from {tuple(DEFECTS)}.")
    image = (render_weave if category == "weave" else render_cap)(rng, size)
    return _finish(rng, category, image)


def _finish(rng: np.random.Generator, category: str, image: np.ndarray) -> np.ndarray:
    image = to_uint8(_draw.finish(image, rng, noise=0.012))
    return image[..., 0] if category == "weave" else image


def mvtec_like(
    root: str | os.PathLike,
    categories: tuple[str, ...] = ("weave", "cap"),
    n_train: int = 60,
    n_test_good: int = 12,
    n_test_defect: int = 6,
    size: int = 128,
    seed: int = 0,
    overwrite: bool = False,
) -> Path:
    """Write MVTec-AD-style categories under ``root`` (see module docstring); return ``root``.

    ``n_test_defect`` counts images per defect type. Same arguments → same bytes.
    """
    unknown = [c for c in categories if c not in DEFECTS]
    if unknown or not categories:
        raise ValueError(f"categories must be chosen from {tuple(DEFECTS)}, got {categories!r}.")
    if size < 32:
        raise ValueError(f"size must be ≥ 32 pixels, got {size}.")
    params = {
        "categories": list(categories),
        "n_train": n_train,
        "n_test_good": n_test_good,
        "n_test_defect": n_test_defect,
        "size": size,
        "seed": seed,
        "version": 2,  # 2: defects rendered at graded severities
    }

    def write(folder: Path) -> None:
        for index, category in enumerate(categories):
            rng = np.random.default_rng([seed, index])
            base = folder / category
            for i in range(n_train):
                write_image(
                    base / "train" / "good" / f"{i:03d}.png", render_good(rng, category, size)
                )
            for i in range(n_test_good):
                write_image(
                    base / "test" / "good" / f"{i:03d}.png", render_good(rng, category, size)
                )
            for defect in DEFECTS[category]:
                for i, tier in enumerate(severity_tiers(n_test_defect)):
                    low = SEVERITIES[::-1].index(tier) / len(SEVERITIES)
                    severity = rng.uniform(low, low + 1 / len(SEVERITIES))
                    image, mask = render_defect(rng, category, defect, size, severity)
                    write_image(base / "test" / defect / f"{i:03d}.png", image)
                    write_image(base / "ground_truth" / defect / f"{i:03d}_mask.png", mask)

    return generate_once(root, "mvtec_like", params, write, overwrite)
