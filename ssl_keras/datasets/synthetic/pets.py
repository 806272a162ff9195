"""Toy pets: procedurally drawn cat-like and turtle-like figures in class folders.

Layout written (the class-folder layout of :func:`ssl_keras.datasets.classfolders.class_folder_dataset`)::

    <root>/train/cat/00000.png   <root>/train/turtle/00000.png
    <root>/test/cat/…            <root>/test/turtle/…
    <root>/unlabeled/00000.png   (both kinds, no labels: the self-supervised pool)

Both classes draw body colors from the same distribution and sit at random positions,
angles, scales and mirror images on cluttered, unevenly lit backgrounds, so raw pixels do
not separate them linearly; only shape tells a cat (ears, whiskers, tail, legs) from a
turtle (domed patterned shell, four flippers, small head).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ssl_keras.datasets.synthetic import _draw
from ssl_keras.datasets.synthetic._io import generate_once, to_uint8, write_image

PET_CLASSES = ("cat", "turtle")


def _ellipse(canvas, alpha, center, axes, angle, color):
    center = (int(round(center[0])), int(round(center[1])))
    axes = (max(1, int(round(axes[0]))), max(1, int(round(axes[1]))))
    cv2.ellipse(canvas, center, axes, float(angle), 0, 360, color, -1, cv2.LINE_AA)
    cv2.ellipse(alpha, center, axes, float(angle), 0, 360, 1.0, -1, cv2.LINE_AA)


def _poly(canvas, alpha, points, color):
    points = [np.round(np.asarray(points)).astype(np.int32)]
    cv2.fillPoly(canvas, points, color, cv2.LINE_AA)
    cv2.fillPoly(alpha, points, 1.0, cv2.LINE_AA)


def _line(canvas, alpha, start, end, color, thickness):
    start = (int(round(start[0])), int(round(start[1])))
    end = (int(round(end[0])), int(round(end[1])))
    cv2.line(canvas, start, end, color, max(1, int(thickness)), cv2.LINE_AA)
    cv2.line(alpha, start, end, 1.0, max(1, int(thickness)), cv2.LINE_AA)


def _colors(rng: np.random.Generator) -> tuple[tuple, tuple, tuple]:
    body = _draw.random_color(rng, saturation=(0.1, 0.8), value=(0.3, 0.95))
    pattern = np.clip(body * rng.uniform(0.45, 0.75), 0, 1)
    detail = np.clip(body * 0.25, 0, 1)
    return tuple(map(float, body)), tuple(map(float, pattern)), tuple(map(float, detail))


def draw_cat(rng: np.random.Generator, side: int) -> tuple[np.ndarray, np.ndarray]:
    """A cat facing right on a ``side``² canvas: ``(rgb (S, S, 3), alpha (S, S))`` float32."""
    canvas = np.zeros((side, side, 3), np.float32)
    alpha = np.zeros((side, side), np.float32)
    body, pattern, detail = _colors(rng)
    u = side / 100.0
    bx, by = 44 * u, 58 * u
    blen, bh = rng.uniform(18, 24) * u, rng.uniform(10, 13) * u
    for dx in (-0.7, -0.35, 0.35, 0.7):  # legs
        x = bx + dx * blen
        _line(
            canvas,
            alpha,
            (x, by),
            (x + rng.uniform(-2, 2) * u, by + rng.uniform(16, 20) * u),
            body,
            3.5 * u,
        )
    tail_y = by - rng.uniform(10, 25) * u  # tail curls up from the rear
    tail = [(bx - blen, by), (bx - blen - 10 * u, by - 4 * u), (bx - blen - 13 * u, tail_y)]
    for start, end in zip(tail[:-1], tail[1:], strict=True):
        _line(canvas, alpha, start, end, body, 3.5 * u)
    _ellipse(canvas, alpha, (bx, by), (blen, bh), rng.uniform(-8, 8), body)
    for k in range(int(rng.integers(0, 4))):  # tabby stripes
        x = bx - 0.5 * blen + k * 0.3 * blen
        cv2.line(
            canvas,
            (int(x), int(by - bh)),
            (int(x + 3 * u), int(by)),
            pattern,
            max(1, int(2 * u)),
            cv2.LINE_AA,
        )
    hx, hy, hr = bx + blen + 4 * u, by - bh - 4 * u, rng.uniform(10, 13) * u
    for side_sign in (-1, 1):  # ears
        base = hx + side_sign * 0.55 * hr
        _poly(
            canvas,
            alpha,
            [
                (base - 0.45 * hr, hy - 0.5 * hr),
                (base + 0.45 * hr, hy - 0.5 * hr),
                (base + side_sign * 0.15 * hr, hy - 1.55 * hr),
            ],
            body,
        )
    _ellipse(canvas, alpha, (hx, hy), (hr, 0.9 * hr), 0, body)
    for side_sign in (-1, 1):  # eyes
        cv2.circle(
            canvas,
            (int(hx + side_sign * 0.38 * hr), int(hy - 0.15 * hr)),
            max(1, int(0.16 * hr)),
            detail,
            -1,
            cv2.LINE_AA,
        )
    nose = (hx, hy + 0.3 * hr)
    for angle in (-20, 0, 20):  # whiskers
        for side_sign in (-1, 1):
            end = (
                nose[0] + side_sign * 1.5 * hr * np.cos(np.radians(angle)),
                nose[1] + 1.5 * hr * np.sin(np.radians(angle)),
            )
            _line(canvas, alpha, nose, end, detail, max(1, 0.8 * u))
    return canvas, np.clip(alpha, 0, 1)


def draw_turtle(rng: np.random.Generator, side: int) -> tuple[np.ndarray, np.ndarray]:
    """A turtle seen from above-side on a ``side``² canvas: ``(rgb, alpha)`` float32."""
    canvas = np.zeros((side, side, 3), np.float32)
    alpha = np.zeros((side, side), np.float32)
    body, pattern, detail = _colors(rng)
    skin = tuple(float(c) for c in np.clip(np.array(body) * rng.uniform(0.6, 1.3), 0, 1))
    u = side / 100.0
    cx, cy = 48 * u, 52 * u
    sa, sb = rng.uniform(22, 27) * u, rng.uniform(15, 19) * u
    for fx, fy, angle in ((-0.65, -0.8, -35), (0.65, -0.8, 35), (-0.65, 0.8, 35), (0.65, 0.8, -35)):
        _ellipse(canvas, alpha, (cx + fx * sa, cy + fy * sb), (9 * u, 4 * u), angle, skin)
    _poly(
        canvas,
        alpha,
        [(cx - sa - 7 * u, cy), (cx - sa + 2 * u, cy - 3 * u), (cx - sa + 2 * u, cy + 3 * u)],
        skin,
    )
    head_x = cx + sa + rng.uniform(4, 8) * u
    _ellipse(canvas, alpha, (head_x, cy + rng.uniform(-3, 3) * u), (7 * u, 5.5 * u), 0, skin)
    cv2.circle(
        canvas,
        (int(head_x + 3 * u), int(cy - 2 * u)),
        max(1, int(1.3 * u)),
        detail,
        -1,
        cv2.LINE_AA,
    )
    _ellipse(canvas, alpha, (cx, cy), (sa, sb), 0, body)
    # Domed shell: shading toward the rim and a plate pattern of a central and ring plates.
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    r2 = ((xx - cx) / sa) ** 2 + ((yy - cy) / sb) ** 2
    dome = np.where(r2 < 1.0, 1.0 - 0.35 * r2, 1.0)[..., None]
    canvas *= dome
    cv2.ellipse(
        canvas,
        (int(cx), int(cy)),
        (int(sa), int(sb)),
        0,
        0,
        360,
        pattern,
        max(1, int(1.5 * u)),
        cv2.LINE_AA,
    )
    plate = np.array(
        [
            (np.cos(a) * 0.45 * sa + cx, np.sin(a) * 0.45 * sb + cy)
            for a in np.linspace(0, 2 * np.pi, 7)[:-1]
        ]
    )
    cv2.polylines(
        canvas, [np.round(plate).astype(np.int32)], True, pattern, max(1, int(1.3 * u)), cv2.LINE_AA
    )
    for a in np.linspace(0, 2 * np.pi, 7)[:-1]:
        inner = (int(np.cos(a) * 0.45 * sa + cx), int(np.sin(a) * 0.45 * sb + cy))
        outer = (int(np.cos(a) * sa + cx), int(np.sin(a) * sb + cy))
        cv2.line(canvas, inner, outer, pattern, max(1, int(1.3 * u)), cv2.LINE_AA)
    return canvas, np.clip(alpha, 0, 1)


def render_pet(rng: np.random.Generator, kind: str, size: int) -> np.ndarray:
    """One ``size``² toy-pet image, uint8 RGB; ``kind`` is ``"cat"`` or ``"turtle"``."""
    if kind not in PET_CLASSES:
        raise ValueError(f"kind must be one of {PET_CLASSES}, got {kind!r}.")
    side = 2 * size  # drawn at twice the size, then area-downsampled (smooth edges)
    image = _draw.gradient_background(rng, side, side)
    _draw.add_clutter(image, rng, int(rng.integers(4, 10)), scale=side * 0.08)
    figure, alpha = (draw_cat if kind == "cat" else draw_turtle)(rng, side)
    if rng.random() < 0.5:
        figure, alpha = figure[:, ::-1], alpha[:, ::-1]
    scale = rng.uniform(0.65, 1.15)
    angle = rng.uniform(-45, 45)
    shift = rng.uniform(-0.14, 0.14, 2) * side
    matrix = cv2.getRotationMatrix2D((side / 2, side / 2), angle, scale)
    matrix[:, 2] += shift
    figure = cv2.warpAffine(
        np.ascontiguousarray(figure), matrix, (side, side), flags=cv2.INTER_LINEAR
    )
    alpha = cv2.warpAffine(
        np.ascontiguousarray(alpha), matrix, (side, side), flags=cv2.INTER_LINEAR
    )[..., None]
    image = image * (1 - alpha) + figure * alpha
    _draw.add_clutter(image, rng, int(rng.integers(0, 3)), scale=side * 0.05)  # occluders
    image = _draw.apply_lighting(image, rng)
    image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    return to_uint8(_draw.finish(image, rng, noise=0.02))


def toy_pets(
    root: str | os.PathLike,
    n_train: int = 200,
    n_test: int = 100,
    n_unlabeled: int = 400,
    size: int = 64,
    seed: int = 0,
    overwrite: bool = False,
) -> Path:
    """Write the toy cat-vs-turtle set (see the module docstring) and return ``root``.

    ``n_train`` / ``n_test`` count images per class; ``n_unlabeled`` counts the pool. Images
    are ``size``² RGB PNGs. The same arguments give byte-identical files; a complete set with
    the same arguments is reused, not rewritten.
    """
    for name, value in (("n_train", n_train), ("n_test", n_test), ("n_unlabeled", n_unlabeled)):
        if value < 0:
            raise ValueError(f"{name} must be ≥ 0, got {value}.")
    if size < 16:
        raise ValueError(f"size must be ≥ 16 pixels, got {size}.")
    params = {
        "n_train": n_train,
        "n_test": n_test,
        "n_unlabeled": n_unlabeled,
        "size": size,
        "seed": seed,
    }

    def write(folder: Path) -> None:
        rng = np.random.default_rng(seed)
        for split, count in (("train", n_train), ("test", n_test)):
            for kind in PET_CLASSES:
                for i in range(count):
                    write_image(folder / split / kind / f"{i:05d}.png", render_pet(rng, kind, size))
        (folder / "unlabeled").mkdir(parents=True, exist_ok=True)
        for i in range(n_unlabeled):
            kind = PET_CLASSES[int(rng.integers(0, 2))]
            write_image(folder / "unlabeled" / f"{i:05d}.png", render_pet(rng, kind, size))

    return generate_once(root, "toy_pets", params, write, overwrite)
