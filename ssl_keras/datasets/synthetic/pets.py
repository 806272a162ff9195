"""Toy pets: procedurally drawn cat-like and turtle-like figures in class folders.

Layout written (the class-folder layout of :func:`ssl_keras.datasets.classfolders.class_folder_dataset`)::

    <root>/train/cat/00000.png   <root>/train/turtle/00000.png
    <root>/test/cat/…            <root>/test/turtle/…
    <root>/unlabeled/00000.png   (both kinds, no labels: the self-supervised pool)

A person tells them apart at a glance, as with real photos: a cat has a striped or spotted
coat with streaky fur, pointed ears, whiskers, four legs and a curling tail; a turtle has a
shell of plates (scutes) with dark seams and a rim of small plates, a head on a neck and
four flippers. Both classes draw body colors from the same distribution (a third of them
gray-ish) and sit at random positions, angles, scales and mirror images on cluttered,
unevenly lit backgrounds, so neither color nor position gives the class away and raw
pixels do not separate them linearly: texture and part structure do.
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
    """Body, pattern and detail colors; about a third of the animals are gray-ish, whatever
    their class, so color never tells the classes apart."""
    saturation = (0.0, 0.1) if rng.random() < 0.35 else (0.15, 0.8)
    body = _draw.random_color(rng, saturation=saturation, value=(0.4, 0.95))
    pattern = np.clip(body * rng.uniform(0.3, 0.55), 0, 1)
    detail = np.clip(body * 0.2, 0, 1)
    return tuple(map(float, body)), tuple(map(float, pattern)), tuple(map(float, detail))


def _grain(rng: np.random.Generator, side: int, angle: float, length: int) -> np.ndarray:
    """Fine streaky noise ``(S, S)`` around 0: white noise smeared along ``angle`` (degrees)
    over ``length`` pixels, like fur grain."""
    noise = rng.normal(0.0, 1.0, (side, side)).astype(np.float32)
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    rotation = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (length, length))
    smeared = cv2.filter2D(noise, -1, kernel / max(float(kernel.sum()), 1e-6))
    return smeared / max(float(smeared.std()), 1e-6)


def _fur(rng: np.random.Generator, side: int, axis_angle: float, u: float) -> np.ndarray:
    """Coat pattern ``(S, S)`` in [0, 1] (1 = dark marking): tabby stripes across the body
    axis (wavy, 7–11 units apart) or leopard-like spots."""
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    if rng.random() < 0.6:
        theta = np.radians(axis_angle + rng.uniform(-15, 15))
        along = xx * np.cos(theta) + yy * np.sin(theta)
        across = -xx * np.sin(theta) + yy * np.cos(theta)
        period = rng.uniform(7, 11) * u
        wobble = 2.0 * u * np.sin(across / (rng.uniform(6, 10) * u) + rng.uniform(0, 6.3))
        phase = np.cos(2 * np.pi * (along + wobble) / period + rng.uniform(0, 6.3))
        return np.clip((phase - 0.35) * 3.0, 0, 1)
    spots = np.zeros((side, side), np.float32)
    for _ in range(int(rng.integers(40, 70))):
        center = (int(rng.integers(0, side)), int(rng.integers(0, side)))
        radius = max(1, int(rng.uniform(1.5, 3.0) * u))
        cv2.circle(spots, center, radius, 1.0, -1, cv2.LINE_AA)
    return spots


def draw_cat(rng: np.random.Generator, side: int) -> tuple[np.ndarray, np.ndarray]:
    """A cat facing right on a ``side``² canvas: ``(rgb (S, S, 3), alpha (S, S))`` float32.

    Parts: four legs with paws, a curling tail, an oval body, a round head with pointed ears,
    eyes, nose and whiskers. Texture: a striped or spotted coat over streaky fur grain.
    """
    canvas = np.zeros((side, side, 3), np.float32)
    alpha = np.zeros((side, side), np.float32)
    body, pattern, detail = _colors(rng)
    u = side / 100.0
    bx, by = 44 * u, 56 * u
    blen, bh = rng.uniform(18, 24) * u, rng.uniform(10, 13) * u
    tilt = rng.uniform(-10, 10)
    stride = rng.uniform(-6, 6) * u
    for k, dx in enumerate((-0.7, -0.4, 0.4, 0.7)):  # legs, front and back pairs in step
        x = bx + dx * blen
        foot = (x + (stride if k % 2 else -stride), by + rng.uniform(17, 21) * u)
        _line(canvas, alpha, (x, by), foot, body, 4 * u)
        _ellipse(canvas, alpha, (foot[0] + 1.5 * u, foot[1]), (3 * u, 2 * u), 0, body)
    curl = rng.uniform(-1, 1)
    tail = [(bx - blen + 2 * u, by - 2 * u)]
    heading = np.radians(rng.uniform(200, 240))
    for _ in range(4):  # tail: four segments that bend one way
        heading += np.radians(35 * curl + 15)
        x, y = tail[-1]
        tail.append((x + 7 * u * np.cos(heading), y - 7 * u * abs(np.sin(heading)) - 2 * u))
    for start, end in zip(tail[:-1], tail[1:], strict=True):
        _line(canvas, alpha, start, end, body, 3.5 * u)
    _ellipse(canvas, alpha, (bx, by), (blen, bh), tilt, body)
    hx = bx + blen + rng.uniform(2, 6) * u
    hy = by - bh - rng.uniform(2, 7) * u
    hr = rng.uniform(10, 12.5) * u
    for side_sign in (-1, 1):  # ears
        base = hx + side_sign * 0.55 * hr
        ear = [
            (base - 0.45 * hr, hy - 0.5 * hr),
            (base + 0.45 * hr, hy - 0.5 * hr),
            (base + side_sign * 0.2 * hr, hy - 1.7 * hr),
        ]
        _poly(canvas, alpha, ear, body)
    _ellipse(canvas, alpha, (hx, hy), (hr, 0.9 * hr), 0, body)
    # Coat: stripes or spots plus fur grain, on the whole silhouette drawn so far.
    coat = _fur(rng, side, tilt, u)
    grain = _grain(rng, side, tilt + 90 + rng.uniform(-20, 20), max(3, int(4 * u)))
    shade = 1.0 + 0.12 * grain[..., None]
    marks = coat[..., None] * rng.uniform(0.7, 1.0)
    canvas = (canvas * (1 - marks) + np.array(pattern, np.float32) * marks) * shade
    canvas = np.ascontiguousarray(np.clip(canvas, 0, 1), np.float32)
    for side_sign in (-1, 1):  # inner ears, eyes
        base = hx + side_sign * 0.55 * hr
        inner = [
            (base - 0.22 * hr, hy - 0.65 * hr),
            (base + 0.22 * hr, hy - 0.65 * hr),
            (base + side_sign * 0.15 * hr, hy - 1.35 * hr),
        ]
        cv2.fillPoly(canvas, [np.round(np.array(inner)).astype(np.int32)], pattern, cv2.LINE_AA)
        eye = (int(hx + side_sign * 0.4 * hr), int(hy - 0.1 * hr))
        cv2.ellipse(
            canvas,
            eye,
            (max(1, int(0.2 * hr)), max(1, int(0.13 * hr))),
            0,
            0,
            360,
            (0.85, 0.8, 0.3),
            -1,
            cv2.LINE_AA,
        )
        cv2.circle(canvas, eye, max(1, int(0.08 * hr)), detail, -1, cv2.LINE_AA)
    nose = (hx, hy + 0.3 * hr)
    cv2.circle(canvas, (int(nose[0]), int(nose[1])), max(1, int(0.1 * hr)), detail, -1)
    for angle in (-18, 0, 18):  # whiskers, light so they show on any coat
        for side_sign in (-1, 1):
            end = (
                nose[0] + side_sign * 1.6 * hr * np.cos(np.radians(angle)),
                nose[1] + 1.6 * hr * np.sin(np.radians(angle)),
            )
            _line(canvas, alpha, nose, end, (0.92, 0.92, 0.9), max(1, 0.7 * u))
    return canvas, np.clip(alpha, 0, 1)


def _scutes(
    rng: np.random.Generator, side: int, center: tuple[float, float], axes: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shell plates of an elliptic carapace: ``(cell, seam, rim)``, each ``(S, S)``.

    ``cell`` is a per-pixel brightness factor (each plate its own shade, lighter toward its
    middle), ``seam`` in [0, 1] marks the dark grooves between plates, ``rim`` the marginal
    ring of small plates along the edge.
    """
    cx, cy = center
    sa, sb = axes
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    # Vertebral plates along the spine, costal plates on both sides (jittered).
    seeds = [(t, 0.0) for t in (-0.5, 0.0, 0.5)]
    seeds += [(t, s * 0.55) for t in (-0.55, -0.05, 0.45) for s in (-1, 1)]
    seeds = np.array(seeds, np.float32) + rng.uniform(-0.08, 0.08, (len(seeds), 2))
    px = cx + seeds[:, 0] * sa
    py = cy + seeds[:, 1] * sb
    dist = np.sqrt((xx[None] - px[:, None, None]) ** 2 + (yy[None] - py[:, None, None]) ** 2)
    order = np.sort(dist, axis=0)
    nearest = np.argmin(dist, axis=0)
    width = 0.06 * min(sa, sb)
    seam = np.clip(1.0 - (order[1] - order[0]) / width, 0, 1)
    shades = rng.uniform(0.8, 1.15, len(seeds)).astype(np.float32)
    cell = shades[nearest] * (1.1 - 0.25 * np.clip(order[0] / (0.45 * sb), 0, 1))
    r = np.sqrt(((xx - cx) / sa) ** 2 + ((yy - cy) / sb) ** 2)
    angle = np.arctan2((yy - cy) / sb, (xx - cx) / sa)
    segments = int(rng.integers(18, 24))
    spoke = np.abs(np.sin(angle * segments / 2))
    rim = ((r > 0.82) & (r < 1.0)).astype(np.float32)
    ring = np.clip(1.0 - np.abs(r - 0.82) / 0.04, 0, 1)
    seam = np.where(r > 0.82, np.maximum(ring, (spoke < 0.2) * rim), np.maximum(seam, ring))
    return cell, seam.astype(np.float32), rim


def draw_turtle(rng: np.random.Generator, side: int) -> tuple[np.ndarray, np.ndarray]:
    """A turtle seen from above on a ``side``² canvas: ``(rgb, alpha)`` float32.

    Parts: four flippers, a small tail, a head with eyes on a neck, and a domed shell of
    plates (scutes) with dark seams and a rim of small marginal plates. Texture: the plate
    mosaic on the shell, scaly speckles on the skin.
    """
    canvas = np.zeros((side, side, 3), np.float32)
    alpha = np.zeros((side, side), np.float32)
    body, pattern, detail = _colors(rng)
    skin = tuple(float(c) for c in np.clip(np.array(body) * rng.uniform(0.75, 1.25), 0, 1))
    u = side / 100.0
    cx, cy = 46 * u, 52 * u
    sa, sb = rng.uniform(24, 29) * u, rng.uniform(17, 21) * u
    swing = rng.uniform(-20, 20)
    for fx, fy, angle in ((0.55, -0.9, 35), (0.55, 0.9, -35), (-0.6, -0.85, -30), (-0.6, 0.85, 30)):
        size = (11 * u, 4.5 * u) if fx > 0 else (7 * u, 4 * u)  # front flippers are longer
        turn = angle + np.sign(fy) * swing
        center = (cx + fx * sa + 0.5 * size[0] * np.sign(fx), cy + fy * sb)
        _ellipse(canvas, alpha, center, size, turn, skin)
    _poly(
        canvas,
        alpha,
        [(cx - sa - 7 * u, cy), (cx - sa + 2 * u, cy - 3 * u), (cx - sa + 2 * u, cy + 3 * u)],
        skin,
    )
    head_y = cy + rng.uniform(-4, 4) * u
    head_x = cx + sa + rng.uniform(5, 9) * u
    _line(canvas, alpha, (cx + sa - 3 * u, cy), (head_x, head_y), skin, 7 * u)
    _ellipse(canvas, alpha, (head_x, head_y), (7.5 * u, 5.5 * u), 0, skin)
    speckles = np.zeros((side, side), np.float32)
    for _ in range(int(rng.integers(60, 90))):
        center = (int(rng.integers(0, side)), int(rng.integers(0, side)))
        cv2.circle(speckles, center, max(1, int(1.2 * u)), 1.0, -1, cv2.LINE_AA)
    canvas = canvas * (1 - 0.45 * speckles[..., None])
    for side_sign in (-1, 1):
        eye = (int(head_x + 3 * u), int(head_y + side_sign * 2.6 * u))
        cv2.circle(canvas, eye, max(1, int(1.3 * u)), detail, -1, cv2.LINE_AA)
    shell = np.zeros((side, side), np.float32)
    _ellipse(canvas, shell, (cx, cy), (sa, sb), 0, body)
    alpha = np.maximum(alpha, shell)
    cell, seam, rim = _scutes(rng, side, (cx, cy), (sa, sb))
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    dome = 1.0 - 0.3 * (((xx - cx) / sa) ** 2 + ((yy - cy) / sb) ** 2)
    rim_shade = 1.0 - 0.15 * rim
    carapace = np.array(body, np.float32) * (cell * dome * rim_shade)[..., None]
    carapace = carapace * (1 - seam[..., None]) + np.array(pattern, np.float32) * seam[..., None]
    inside = shell[..., None]
    canvas = canvas * (1 - inside) + np.clip(carapace, 0, 1) * inside
    return np.ascontiguousarray(canvas, np.float32), np.clip(alpha, 0, 1)


def render_pet(rng: np.random.Generator, kind: str, size: int) -> np.ndarray:
    """One ``size``² toy-pet image, uint8 RGB; ``kind`` is ``"cat"`` or ``"turtle"``.

    The animal is mirrored, rotated, scaled and shifted at random on a cluttered, unevenly
    lit background; about a quarter of the photos (of either class) are nearly gray.
    """
    if kind not in PET_CLASSES:
        raise ValueError(f"kind must be one of {PET_CLASSES}, got {kind!r}.")
    side = 2 * size  # drawn at twice the size, then area-downsampled (smooth edges)
    image = _draw.gradient_background(rng, side, side)
    _draw.add_clutter(image, rng, int(rng.integers(4, 10)), scale=side * 0.08)
    figure, alpha = (draw_cat if kind == "cat" else draw_turtle)(rng, side)
    if rng.random() < 0.5:
        figure, alpha = figure[:, ::-1], alpha[:, ::-1]
    scale = rng.uniform(0.7, 1.15)
    angle = rng.uniform(-40, 40)
    shift = rng.uniform(-0.12, 0.12, 2) * side
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
    if rng.random() < 0.25:  # a nearly gray photo
        gray = image @ np.array([0.299, 0.587, 0.114], np.float32)
        image = 0.1 * image + 0.9 * gray[..., None]
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
        "version": 2,  # 2: coat and shell textures, parts, gray-ish variants
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
