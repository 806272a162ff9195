"""Street scenes in the CamVid formats (and the CARLA layout) with pixel-exact labels.

A perspective road toward a random vanishing point, pavements, building facades with
windows, sky with clouds, trees, poles with signs, fences, cars, pedestrians, bicyclists and
some void, under random lighting. Each scene is drawn once into an RGB image and a 32-class
CamVid label map; the SegNet 11-class labels are derived with
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

import os
from pathlib import Path

import cv2
import numpy as np

from ssl_keras._checks import check_size
from ssl_keras.datasets import palettes
from ssl_keras.datasets.synthetic import _draw
from ssl_keras.datasets.synthetic._io import generate_once, to_uint8, write_image

_NAMES32 = tuple(palettes.CAMVID32_COLORS)
_ID = {name: i for i, name in enumerate(_NAMES32)}
_TO11 = np.array([palettes.CAMVID32_TO_11.get(n, palettes.CAMVID_VOID) for n in _NAMES32], np.uint8)
_COLORS32 = np.array(list(palettes.CAMVID32_COLORS.values()), np.uint8)


class _Scene:
    """An image and a 32-class label map painted together, so they always agree."""

    def __init__(self, height: int, width: int) -> None:
        self.image = np.zeros((height, width, 3), np.float32)
        self.label = np.full((height, width), _ID["Void"], np.uint8)

    def poly(self, points, color, name: str) -> None:
        pts = [np.round(np.asarray(points)).astype(np.int32)]
        cv2.fillPoly(self.image, pts, tuple(map(float, color)))
        cv2.fillPoly(self.label, pts, _ID[name])

    def rect(self, x0, y0, x1, y1, color, name: str) -> None:
        self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], color, name)

    def ellipse(self, center, axes, color, name: str, angle: float = 0.0) -> None:
        c = (int(round(center[0])), int(round(center[1])))
        a = (max(1, int(round(axes[0]))), max(1, int(round(axes[1]))))
        cv2.ellipse(self.image, c, a, angle, 0, 360, tuple(map(float, color)), -1)
        cv2.ellipse(self.label, c, a, angle, 0, 360, _ID[name], -1)

    def line(self, start, end, color, thickness, name: str) -> None:
        s = (int(round(start[0])), int(round(start[1])))
        e = (int(round(end[0])), int(round(end[1])))
        t = max(1, int(round(thickness)))
        cv2.line(self.image, s, e, tuple(map(float, color)), t)
        cv2.line(self.label, s, e, _ID[name], t)


def _jitter(rng: np.random.Generator, color, amount: float = 0.08) -> np.ndarray:
    return np.clip(np.asarray(color, np.float32) + rng.uniform(-amount, amount, 3), 0, 1)


def render_street(
    rng: np.random.Generator, height: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """One scene: ``(image uint8 (H, W, 3) RGB, label uint8 (H, W) 32-class index)``.

    Indices refer to ``tuple(palettes.CAMVID32_COLORS)``.
    """
    s = _Scene(height, width)
    H, W = float(height), float(width)
    horizon = H * rng.uniform(0.38, 0.52)
    vx = W * rng.uniform(0.35, 0.65)

    def toward(x0: float, y0: float, t: float) -> tuple[float, float]:
        """The point a fraction ``t`` of the way from (x0, y0) to the vanishing point."""
        return x0 + (vx - x0) * t, y0 + (horizon - y0) * t

    # Sky with a vertical gradient and soft clouds.
    top, low = _jitter(rng, (0.35, 0.55, 0.85), 0.12), _jitter(rng, (0.75, 0.82, 0.9), 0.08)
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    s.image[:] = top * (1 - t) + low * t
    s.image += 0.25 * (_draw.smooth_field(rng, height, width, 6)[..., None] - 0.5)
    s.label[: int(np.ceil(horizon)) + 1] = _ID["Sky"]

    # Ground: pavements below the horizon, then the road wedge, lane markings, road shoulder.
    ground = _jitter(rng, (0.55, 0.55, 0.55), 0.1)
    s.rect(0, horizon, W, H, ground, "Sidewalk")
    left_bottom, right_bottom = W * rng.uniform(-0.1, 0.2), W * rng.uniform(0.8, 1.1)
    road = _jitter(rng, (0.3, 0.3, 0.32), 0.06)
    s.poly(
        [(left_bottom, H), (right_bottom, H), (vx + 1, horizon), (vx - 1, horizon)], road, "Road"
    )
    if rng.random() < 0.5:
        shoulder = (left_bottom - W * 0.06, H)
        s.poly(
            [shoulder, (left_bottom, H), (vx - 1, horizon), (vx - 1.5, horizon)],
            road * 1.15,
            "RoadShoulder",
        )
    mid = (left_bottom + right_bottom) / 2
    phase = rng.uniform(0, 1)
    for k in range(6):  # dashed center line, dashes shrink with distance
        t0, t1 = (k + phase) / 6.5, (k + phase + 0.4) / 6.5
        if t1 >= 1:
            continue
        (xa, ya), (xb, yb) = toward(mid, H, t0), toward(mid, H, t1)
        s.line((xa, ya), (xb, yb), (0.9, 0.9, 0.85), max(1, W * 0.012 * (1 - t0)), "LaneMkgsDriv")

    # Building facades on both sides: tops and bottoms converge to the vanishing point.
    for side in (-1, 1):
        edge = 0.0 if side < 0 else W
        x = edge
        while (x < vx - W * 0.05) if side < 0 else (x > vx + W * 0.05):
            span = W * rng.uniform(0.08, 0.22)
            x_next = x + span if side < 0 else x - span
            t_a, t_b = (
                abs(x - edge) / abs(vx - edge),
                min(abs(x_next - edge) / abs(vx - edge), 0.95),
            )
            height_near = H * rng.uniform(0.0, 0.35)
            base = horizon + (H - horizon) * 0.25
            ya_top, yb_top = (
                height_near + (horizon - height_near) * t_a,
                height_near + (horizon - height_near) * t_b,
            )
            ya_bot, yb_bot = base + (horizon - base) * t_a, base + (horizon - base) * t_b
            name = "Building" if rng.random() < 0.85 else "Wall"
            color = _draw.random_color(rng, saturation=(0.05, 0.45), value=(0.3, 0.8))
            facade = [(x, ya_top), (x_next, yb_top), (x_next, yb_bot), (x, ya_bot)]
            s.poly(facade, color, name)
            window = color * rng.uniform(0.3, 0.6)
            for wy in np.linspace(0.15, 0.75, 3):
                for wx in np.linspace(0.2, 0.8, 2):
                    px = x + (x_next - x) * wx
                    py = (ya_top + (yb_top - ya_top) * wx) * (1 - wy) + (
                        ya_bot + (yb_bot - ya_bot) * wx
                    ) * wy
                    half = max(1.0, abs(x_next - x) * 0.08)
                    cv2.rectangle(
                        s.image,
                        (int(px - half), int(py - half)),
                        (int(px + half), int(py + half)),
                        tuple(map(float, window)),
                        -1,
                    )
            x = x_next

    # Objects on the ground, drawn far to near; size grows linearly with closeness.
    objects = []
    for _ in range(int(rng.integers(1, 4))):
        objects.append(("car", rng.uniform(0.15, 0.95)))
    for _ in range(int(rng.integers(0, 3))):
        objects.append(("pedestrian", rng.uniform(0.2, 0.95)))
    for _ in range(int(rng.integers(0, 2))):
        objects.append(("bicyclist", rng.uniform(0.2, 0.9)))
    for _ in range(int(rng.integers(1, 4))):
        objects.append(("tree", rng.uniform(0.1, 0.9)))
    for _ in range(int(rng.integers(1, 3))):
        objects.append(("pole", rng.uniform(0.15, 0.95)))
    if rng.random() < 0.6:
        objects.append(("fence", 0.5))
    for kind, near in sorted(objects, key=lambda o: o[1]):
        y = horizon + (H - horizon) * near
        k = near * H / 100.0  # pixels per "unit" at this depth
        road_left = left_bottom + (vx - left_bottom) * (1 - near)
        road_right = right_bottom + (vx - right_bottom) * (1 - near)
        on_left = rng.random() < 0.5
        curb = road_left if on_left else road_right
        if kind == "car":
            cx = rng.uniform(
                road_left + 0.1 * (road_right - road_left),
                road_right - 0.1 * (road_right - road_left),
            )
            w, h = 34 * k * rng.uniform(0.8, 1.2), 16 * k * rng.uniform(0.8, 1.2)
            name = ("Car", "SUVPickupTruck", "Truck_Bus")[int(rng.integers(0, 3))]
            color = _draw.random_color(rng)
            s.rect(cx - w / 2, y - h, cx + w / 2, y - 0.25 * h, color, name)
            s.rect(cx - 0.3 * w, y - 1.6 * h, cx + 0.3 * w, y - h, color * 0.85, name)
            cv2.rectangle(
                s.image,
                (int(cx - 0.25 * w), int(y - 1.5 * h)),
                (int(cx + 0.25 * w), int(y - 1.05 * h)),
                (0.15, 0.2, 0.25),
                -1,
            )
            for dx in (-0.3, 0.3):
                s.ellipse(
                    (cx + dx * w, y - 0.25 * h), (0.13 * w, 0.25 * h), (0.05, 0.05, 0.05), name
                )
        elif kind == "pedestrian":
            px = curb + (-1 if on_left else 1) * rng.uniform(2, 12) * k
            name = "Pedestrian" if rng.random() < 0.8 else "Child"
            tall = 38 * k * (0.65 if name == "Child" else 1.0)
            color = _draw.random_color(rng)
            s.line((px - 2 * k, y), (px, y - 0.45 * tall), (0.15, 0.15, 0.2), 2.5 * k, name)
            s.line((px + 2 * k, y), (px, y - 0.45 * tall), (0.15, 0.15, 0.2), 2.5 * k, name)
            s.ellipse((px, y - 0.65 * tall), (3.5 * k, 0.22 * tall), color, name)
            s.ellipse((px, y - 0.92 * tall), (3 * k, 3 * k), (0.8, 0.65, 0.5), name)
        elif kind == "bicyclist":
            bx = curb + (1 if on_left else -1) * rng.uniform(3, 8) * k
            r = 6 * k
            for dx in (-1.3, 1.3):
                cv2.circle(
                    s.image,
                    (int(bx + dx * r), int(y - r)),
                    max(1, int(r)),
                    (0.1, 0.1, 0.1),
                    max(1, int(k)),
                )
                cv2.circle(
                    s.label,
                    (int(bx + dx * r), int(y - r)),
                    max(1, int(r)),
                    _ID["Bicyclist"],
                    max(1, int(k)),
                )
            color = _draw.random_color(rng)
            s.line((bx, y - r), (bx, y - 3.5 * r), color, 3 * k, "Bicyclist")
            s.ellipse((bx, y - 3.9 * r), (2.2 * k, 2.2 * k), (0.8, 0.65, 0.5), "Bicyclist")
        elif kind == "tree":
            tx = curb + (-1 if on_left else 1) * rng.uniform(8, 20) * k
            tall = 60 * k * rng.uniform(0.7, 1.3)
            s.line((tx, y), (tx, y - 0.6 * tall), (0.35, 0.25, 0.15), 3 * k, "Tree")
            green = _jitter(rng, (0.25, 0.5, 0.2), 0.12)
            for _ in range(3):
                offset = rng.uniform(-0.12, 0.12, 2) * tall
                s.ellipse(
                    (tx + offset[0], y - 0.75 * tall + offset[1]),
                    (0.25 * tall, 0.2 * tall),
                    green * rng.uniform(0.8, 1.1),
                    "Tree",
                )
            if rng.random() < 0.5:
                s.ellipse((tx + 10 * k, y - 3 * k), (8 * k, 4 * k), green * 0.8, "VegetationMisc")
        elif kind == "pole":
            px = curb + (-1 if on_left else 1) * rng.uniform(1, 5) * k
            tall = 70 * k * rng.uniform(0.8, 1.2)
            s.line(
                (px, y),
                (px, y - tall),
                _jitter(rng, (0.25, 0.25, 0.28), 0.05),
                1.5 * k,
                "Column_Pole",
            )
            sign = (0.8, 0.1, 0.1) if rng.random() < 0.5 else (0.1, 0.3, 0.8)
            if rng.random() < 0.5:
                s.ellipse((px, y - tall), (5 * k, 5 * k), sign, "SignSymbol")
            else:
                s.rect(
                    px - 5 * k, y - tall - 4 * k, px + 5 * k, y - tall + 4 * k, sign, "SignSymbol"
                )
        else:  # a fence along one pavement, in perspective
            x_near = (0.0 if on_left else W) if rng.random() < 0.5 else curb
            near_y, far_t = H * 0.98, rng.uniform(0.5, 0.85)
            (x_far, y_far) = toward(x_near, near_y, far_t)
            tall_near = 18 * H / 100.0
            fence_color = _jitter(rng, (0.45, 0.35, 0.25), 0.1)
            s.poly(
                [
                    (x_near, near_y),
                    (x_far, y_far),
                    (x_far, y_far - tall_near * (1 - far_t)),
                    (x_near, near_y - tall_near),
                ],
                fence_color,
                "Fence",
            )
            for t in np.linspace(0, far_t, 12)[1:-1]:
                px, py = toward(x_near, near_y, t)
                cv2.line(
                    s.image,
                    (int(px), int(py)),
                    (int(px), int(py - tall_near * (1 - t))),
                    tuple(map(float, fence_color * 0.6)),
                    1,
                )

    # Void: a little unlabeled clutter (a rubbish bin, a blurred foreground object).
    for _ in range(int(rng.integers(0, 3))):
        center = (rng.uniform(0, W), rng.uniform(horizon, H))
        s.poly(
            _draw.blob_polygon(rng, center, rng.uniform(0.02, 0.06) * W),
            _draw.random_color(rng),
            "Void",
        )

    image = _draw.apply_lighting(s.image, rng, strength=0.4)
    image = cv2.GaussianBlur(image, (3, 3), 0.6)
    return to_uint8(_draw.finish(image, rng, noise=0.015)), s.label


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
    params = {**counts, "size": [height, width], "seed": seed, "color_labels": color_labels}

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
    params = {"n": n, "size": [height, width], "seed": seed}

    def write(folder: Path) -> None:
        rng = np.random.default_rng(seed)
        for i in range(n):
            image, label32 = render_street(rng, height, width)
            mask = np.zeros((height, width, 3), np.uint8)
            mask[..., 0] = to_segnet_labels(label32)
            write_image(folder / "CameraRGB" / f"{i:06d}.png", image)
            write_image(folder / "CameraMask" / f"{i:06d}.png", mask)

    return generate_once(root, "carla_scenes", params, write, overwrite)
