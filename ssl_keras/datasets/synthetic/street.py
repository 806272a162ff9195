"""Street scenes in the CamVid formats (and the CARLA layout) with pixel-exact labels.

Each scene draws an image and a 32-class CamVid label map together. The layout varies from
scene to scene: camera height and pitch (the horizon), the vanishing point, straight or
curving roads, streets lined on both sides, on one side only, crossings with zebra stripes,
and open roads through grass and trees; cars drive in the lanes or are parked at the curb.
Colors follow what things are, with the spread real photographs show, so that lightness and
texture tell the color as they do in photos: a blue sky paling toward the horizon with
clouds, leafy green trees and grass, dark textured asphalt, lighter paving, facades in
brick red, beige, white, cream or gray with dark windows, cars in the colors cars are sold
in (mostly white, black, gray and silver), people with skin tones and clothes, red or blue
signs on gray poles, under random lighting. The SegNet 11-class labels are derived with
:data:`ssl_keras.datasets.palettes.CAMVID32_TO_11`, exactly as the color loader does.

SegNet layout (:func:`street_scenes`)::

    <root>/train/NNNN.png  <root>/trainannot/NNNN.png   (mode-L, 0-10, 11 = void)
    <root>/val/…           <root>/valannot/…
    <root>/test/…          <root>/testannot/…
    <root>/train.txt …     lines "/SegNet/CamVid/train/NNNN.png /SegNet/CamVid/trainannot/NNNN.png"

With ``color_labels=True`` also the 32-class color layout of the Kaggle CamVid copy:
``<root>/train_labels/NNNN_L.png`` (RGB), ``class_dict.csv`` and ``label_colors.txt``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import cv2
import numpy as np

from ssl_keras._checks import check_size
from ssl_keras.datasets import palettes
from ssl_keras.datasets.synthetic import _draw
from ssl_keras.datasets.synthetic._io import generate_once, to_uint8, write_image
from ssl_keras.datasets.synthetic._street_drawing import (
    ID,
    NAMES32,
    TEXTURE,
    Road,
    Scene,
    bicyclist,
    car,
    facades,
    green,
    jitter,
    person,
    pole,
    sky,
    skyline,
    tree,
)

VERSION = 2
"""Bumped whenever the drawing changes, so sets written by an older version are redone."""


_TO11 = np.array([palettes.CAMVID32_TO_11.get(n, palettes.CAMVID_VOID) for n in NAMES32], np.uint8)


_COLORS32 = np.array(list(palettes.CAMVID32_COLORS.values()), np.uint8)


LAYOUTS = {"street": 0.4, "one_sided": 0.2, "crossing": 0.2, "open": 0.2}
"""Scene layouts and how often each is drawn."""


def render_street(
    rng: np.random.Generator, height: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """One scene: ``(image uint8 (H, W, 3) RGB, label uint8 (H, W) 32-class index)``.

    Indices refer to ``tuple(palettes.CAMVID32_COLORS)``.
    """
    s = Scene(height, width)
    H, W = float(height), float(width)
    layout = str(rng.choice(list(LAYOUTS), p=np.array(list(LAYOUTS.values()))))
    horizon = H * rng.uniform(0.28, 0.55)  # camera height and pitch
    half_m = rng.uniform(3.5, 7.0)
    road = Road(
        height=H,
        horizon=horizon,
        vanish_x=W * rng.uniform(0.25, 0.75),
        bottom_x=W * rng.uniform(0.3, 0.7),
        half_m=half_m,
        pavement_m=rng.uniform(1.5, 4.0),
        ppm=W * rng.uniform(0.3, 0.45) / half_m,
        bend=0.0 if rng.random() < 0.6 else W * rng.uniform(0.15, 0.45) * rng.choice([-1, 1]),
    )

    sky(s, rng, horizon)
    open_side = {"street": (), "crossing": (), "one_sided": (int(rng.choice([-1, 1])),)}
    grass_sides = open_side.get(layout, (-1, 1))
    if rng.random() < 0.7:
        skyline(s, rng, horizon, trees=layout in ("open", "one_sided"))
    grass = green(rng) * np.array([1.05, 1.1, 0.8], np.float32)
    paving = jitter(rng, (0.62, 0.6, 0.56), 0.05)
    ground = "VegetationMisc" if grass_sides else "Sidewalk"
    s.rect(-1, horizon, W + 1, H + 1, grass if grass_sides else paving, ground)
    for side in (-1, 1):
        if layout != "open" or rng.random() < 0.3:
            near_edge, far_edge = sorted(
                (side * road.half_m, side * (road.half_m + road.pavement_m))
            )
            s.poly(road.strip(near_edge, far_edge), paving, "Sidewalk")
    asphalt = jitter(rng, (0.3, 0.3, 0.31), 0.05)
    s.poly(road.strip(-road.half_m, road.half_m), asphalt, "Road")

    crossing = None
    if layout == "crossing":
        mid = rng.uniform(0.25, 0.55)
        crossing = (mid - 0.08, mid + 0.08 + 0.1 * mid)
        y0, y1 = road.y(crossing[0]), road.y(crossing[1])
        s.rect(-1, y0, W + 1, y1, asphalt, "Road")
        for i in range(-4, 5):
            lateral = i * road.half_m / 5
            n0, n1 = crossing[1] + 0.02, crossing[1] + 0.07
            s.poly(
                [
                    (road.x(n0, lateral - 0.25), road.y(n0)),
                    (road.x(n0, lateral + 0.25), road.y(n0)),
                    (road.x(n1, lateral + 0.25), road.y(n1)),
                    (road.x(n1, lateral - 0.25), road.y(n1)),
                ],
                (0.88, 0.88, 0.85),
                "LaneMkgsNonDriv",
            )
    phase = rng.uniform(0, 1)
    for k in range(14):  # dashed center line, dashes shrink with distance
        n0 = 1.3 * (k + phase) / 14
        n1 = n0 + 0.05
        if crossing is not None and crossing[0] - 0.02 < n1 and n0 < crossing[1] + 0.08:
            continue
        s.poly(road.strip(-0.08, 0.08, n0, n1), (0.9, 0.88, 0.8), "LaneMkgsDriv")

    if layout != "open":
        for side in (-1, 1):
            if side not in grass_sides:
                facades(s, rng, road, side, crossing)
    if layout == "open" and rng.random() < 0.5:
        for side in (-1, 1):
            facades(s, rng, dataclasses.replace(road, half_m=road.half_m + 25), side, None)

    objects = []
    for _ in range(int(rng.integers(1, 4))):
        objects.append(("car", rng.uniform(0.15, 1.0), rng.uniform(-0.7, 0.7) * road.half_m))
    for _ in range(int(rng.integers(0, 4)) if layout != "open" else 0):
        side = rng.choice([-1, 1])
        objects.append(("car", rng.uniform(0.15, 1.1), side * (road.half_m - 1.1)))  # parked
    for _ in range(int(rng.integers(0, 4))):
        side = rng.choice([-1, 1])
        objects.append(
            (
                "person",
                rng.uniform(0.2, 1.0),
                side * (road.half_m + rng.uniform(0.4, road.pavement_m)),
            )
        )
    for _ in range(int(rng.integers(0, 2))):
        objects.append(
            ("bicyclist", rng.uniform(0.2, 0.9), rng.choice([-1, 1]) * (road.half_m - 0.6))
        )
    for _ in range(int(rng.integers(1, 4)) + (4 if grass_sides else 0)):
        side = rng.choice([-1, 1])
        beyond = rng.uniform(3, 15) if side in grass_sides else rng.uniform(0.6, road.pavement_m)
        objects.append(("tree", rng.uniform(0.1, 1.0), side * (road.half_m + beyond)))
    for _ in range(int(rng.integers(1, 3))):
        objects.append(("pole", rng.uniform(0.15, 1.0), rng.choice([-1, 1]) * (road.half_m + 0.3)))
    draw = {"car": car, "person": person, "bicyclist": bicyclist, "tree": tree, "pole": pole}
    for kind, near, lateral in sorted(objects, key=lambda o: o[1]):
        draw[kind](s, rng, road.x(near, lateral), road.y(near), road.scale(near))
    if grass_sides and rng.random() < 0.6:
        side = int(rng.choice(grass_sides))
        post = side * (road.half_m + road.pavement_m * 0.5 + 1.0)
        wood = jitter(rng, (0.5, 0.38, 0.26) if rng.random() < 0.6 else (0.45, 0.46, 0.48), 0.05)
        far = rng.uniform(0.1, 0.4)
        top = [
            (road.x(n, post), road.y(n) - 1.1 * road.scale(n)) for n in np.linspace(1.4, far, 16)
        ]
        bottom = [(road.x(n, post), road.y(n)) for n in np.linspace(far, 1.4, 16)]
        s.poly(top + bottom, wood, "Fence")

    # Void: a little unlabeled clutter (rubbish bins, bollards) in dull colors.
    for _ in range(int(rng.integers(0, 3))):
        center = (rng.uniform(0, W), rng.uniform(horizon, H))
        clutter = jitter(
            rng, ((0.2, 0.3, 0.2), (0.25, 0.25, 0.27), (0.45, 0.4, 0.35))[int(rng.integers(0, 3))]
        )
        s.poly(_draw.blob_polygon(rng, center, rng.uniform(0.02, 0.05) * W), clutter, "Void")

    grain = cv2.GaussianBlur(rng.standard_normal((height, width)).astype(np.float32), (0, 0), 0.8)
    amplitude = np.zeros(len(NAMES32), np.float32)
    for name, value in TEXTURE.items():
        amplitude[ID[name]] = value
    s.image *= 1.0 + (amplitude[s.label] * 1.6 * grain)[..., None]
    image = _draw.apply_lighting(np.clip(s.image, 0, 1), rng, strength=0.3)
    image = cv2.GaussianBlur(image, (3, 3), 0.5)
    return to_uint8(_draw.finish(image, rng, noise=0.012)), s.label


def to_segnet_labels(label32: np.ndarray) -> np.ndarray:
    """32-class index map (order of ``palettes.CAMVID32_COLORS``) → SegNet 0-11 uint8."""
    return _TO11[label32]


def to_color_labels(label32: np.ndarray) -> np.ndarray:
    """32-class index map → RGB uint8 ``(H, W, 3)`` in the CamVid colors."""
    return _COLORS32[label32]


def _write_palette_files(folder: Path) -> None:
    lines = [f"{r} {g} {b}\t\t{name}" for name, (r, g, b) in palettes.CAMVID32_COLORS.items()]
    (folder / "label_colors.txt").write_text("\n".join(lines) + "\n")
    rows = ["name,r,g,b"] + [
        f"{name},{r},{g},{b}" for name, (r, g, b) in palettes.CAMVID32_COLORS.items()
    ]
    (folder / "class_dict.csv").write_text("\n".join(rows) + "\n")


def street_scenes(
    root: str | os.PathLike,
    n_train: int = 96,
    n_val: int = 24,
    n_test: int = 24,
    size: int | tuple[int, int] = (96, 128),
    seed: int = 0,
    color_labels: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write CamVid-style scenes in the SegNet layout (see module docstring); return ``root``.

    ``size`` is ``(height, width)`` (CamVid itself is 360×480). Same arguments → same bytes.
    """
    height, width = check_size(size)
    if min(height, width) < 32:
        raise ValueError(f"size must be at least 32 pixels per side, got {size!r}.")
    counts = {"train": n_train, "val": n_val, "test": n_test}
    if any(v < 0 for v in counts.values()):
        raise ValueError(f"Image counts must be ≥ 0, got {counts}.")
    params = {
        **counts,
        "size": [height, width],
        "seed": seed,
        "color_labels": color_labels,
        "version": VERSION,
    }

    def write(folder: Path) -> None:
        rng = np.random.default_rng(seed)
        for split, count in counts.items():
            (folder / split).mkdir()
            (folder / f"{split}annot").mkdir()
            lines = []
            for i in range(count):
                name = f"synth_{split}_{i:04d}.png"
                image, label32 = render_street(rng, height, width)
                write_image(folder / split / name, image)
                write_image(folder / f"{split}annot" / name, to_segnet_labels(label32))
                if color_labels:
                    write_image(
                        folder / f"{split}_labels" / name.replace(".png", "_L.png"),
                        to_color_labels(label32),
                    )
                lines.append(f"/SegNet/CamVid/{split}/{name} /SegNet/CamVid/{split}annot/{name}")
            (folder / f"{split}.txt").write_text("".join(line + "\n" for line in lines))
        if color_labels:
            _write_palette_files(folder)

    return generate_once(root, "street_scenes", params, write, overwrite)


def carla_scenes(
    root: str | os.PathLike,
    n: int = 64,
    size: int | tuple[int, int] = (96, 128),
    seed: int = 0,
    overwrite: bool = False,
) -> Path:
    """Write street scenes in the CARLA layout of the Coursera U-Net lab; return ``root``.

    ``<root>/CameraRGB/NNNNNN.png`` (RGB) and ``<root>/CameraMask/NNNNNN.png`` (RGB, the
    class index in the red channel, other channels 0). Class indices are the SegNet 0-11.
    """
    height, width = check_size(size)
    params = {"n": n, "size": [height, width], "seed": seed, "version": VERSION}

    def write(folder: Path) -> None:
        rng = np.random.default_rng(seed)
        for i in range(n):
            image, label32 = render_street(rng, height, width)
            mask = np.zeros((height, width, 3), np.uint8)
            mask[..., 0] = to_segnet_labels(label32)
            write_image(folder / "CameraRGB" / f"{i:06d}.png", image)
            write_image(folder / "CameraMask" / f"{i:06d}.png", mask)

    return generate_once(root, "carla_scenes", params, write, overwrite)
