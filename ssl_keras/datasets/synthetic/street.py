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

import colorsys
import dataclasses
import os
from pathlib import Path

import cv2
import numpy as np

from ssl_keras._checks import check_size
from ssl_keras.datasets import palettes
from ssl_keras.datasets.synthetic import _draw
from ssl_keras.datasets.synthetic._io import generate_once, to_uint8, write_image

VERSION = 2
"""Bumped whenever the drawing changes, so sets written by an older version are redone."""

_NAMES32 = tuple(palettes.CAMVID32_COLORS)
_ID = {name: i for i, name in enumerate(_NAMES32)}
_TO11 = np.array([palettes.CAMVID32_TO_11.get(n, palettes.CAMVID_VOID) for n in _NAMES32], np.uint8)
_COLORS32 = np.array(list(palettes.CAMVID32_COLORS.values()), np.uint8)

LAYOUTS = {"street": 0.4, "one_sided": 0.2, "crossing": 0.2, "open": 0.2}
"""Scene layouts and how often each is drawn."""

# (RGB, weight) palettes: a color is picked by weight, then jittered a little.
_FACADES = (
    ((0.62, 0.27, 0.2), 0.3),  # brick red
    ((0.84, 0.76, 0.6), 0.22),  # beige
    ((0.9, 0.9, 0.87), 0.16),  # white render
    ((0.58, 0.58, 0.6), 0.16),  # gray concrete
    ((0.86, 0.72, 0.45), 0.1),  # cream / ochre
    ((0.45, 0.32, 0.24), 0.06),  # brown
)
_CARS = (  # roughly the world's car-color shares
    ((0.92, 0.92, 0.92), 0.25),
    ((0.07, 0.07, 0.08), 0.2),
    ((0.5, 0.51, 0.53), 0.17),
    ((0.74, 0.75, 0.77), 0.12),
    ((0.13, 0.22, 0.5), 0.1),
    ((0.66, 0.07, 0.07), 0.09),
    ((0.2, 0.33, 0.22), 0.03),
    ((0.78, 0.7, 0.52), 0.02),
    ((0.9, 0.74, 0.1), 0.02),
)
_SKIN = (
    ((0.95, 0.8, 0.69), 0.3),
    ((0.88, 0.68, 0.53), 0.25),
    ((0.74, 0.53, 0.38), 0.2),
    ((0.53, 0.36, 0.24), 0.15),
    ((0.35, 0.23, 0.16), 0.1),
)
_TROUSERS = (
    ((0.15, 0.2, 0.35), 0.45),  # denim
    ((0.1, 0.1, 0.11), 0.3),
    ((0.45, 0.42, 0.36), 0.15),
    ((0.6, 0.55, 0.45), 0.1),
)
_SIGNS = (((0.78, 0.08, 0.08), 0.5), ((0.08, 0.28, 0.7), 0.35), ((0.95, 0.78, 0.1), 0.15))
_WINDOW = (0.16, 0.2, 0.26)
_TRUNK = (0.33, 0.24, 0.16)
# Amplitude of the per-pixel texture each class gets (fraction of its brightness).
_TEXTURE = {
    "Tree": 0.35,
    "VegetationMisc": 0.3,
    "Road": 0.1,
    "RoadShoulder": 0.1,
    "Sidewalk": 0.08,
    "Building": 0.05,
    "Wall": 0.06,
    "Fence": 0.08,
}


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

    def paint(self, points, color) -> None:
        """Color only (details that keep the label underneath, e.g. windows)."""
        pts = [np.round(np.asarray(points)).astype(np.int32)]
        cv2.fillPoly(self.image, pts, tuple(map(float, color)))


def _jitter(rng: np.random.Generator, color, amount: float = 0.05) -> np.ndarray:
    """``color`` with its brightness scaled by up to ±2·amount and each channel moved by up to
    ±amount: the same material under a different light, not a different material."""
    gain = 1.0 + rng.uniform(-2 * amount, 2 * amount)
    shift = rng.uniform(-amount, amount, 3)
    return np.clip(np.asarray(color, np.float32) * gain + shift, 0, 1).astype(np.float32)


def _pick(rng: np.random.Generator, palette, amount: float = 0.05) -> np.ndarray:
    colors, weights = zip(*palette, strict=True)
    weights = np.asarray(weights) / np.sum(weights)
    return _jitter(rng, colors[int(rng.choice(len(colors), p=weights))], amount)


def _green(rng: np.random.Generator) -> np.ndarray:
    """Foliage: yellow-green to blue-green, mid to dark."""
    rgb = colorsys.hsv_to_rgb(
        rng.uniform(0.2, 0.36), rng.uniform(0.45, 0.75), rng.uniform(0.3, 0.55)
    )
    return np.array(rgb, np.float32)


@dataclasses.dataclass(frozen=True)
class _Road:
    """Where the road runs. ``near`` is 1 at the image bottom and 0 at the horizon; lateral
    offsets are in metres (``ppm`` pixels per metre at the bottom, shrinking with ``near``)."""

    height: float
    horizon: float
    vanish_x: float
    bottom_x: float
    half_m: float  # half the road's width in metres
    pavement_m: float  # width of the pavement on each side, metres
    ppm: float
    bend: float  # sideways shift of the far end, pixels (0 = straight)

    def y(self, near):
        return self.horizon + (self.height - self.horizon) * near

    def scale(self, near):
        return self.ppm * near

    def x(self, near, lateral_m=0.0):
        """Image x of a point ``lateral_m`` metres right of the road's center line."""
        center = (
            self.vanish_x + (self.bottom_x - self.vanish_x) * near + self.bend * (1 - near) ** 2
        )
        return center + lateral_m * self.scale(near)

    def point(self, near, lateral_m: float, up_m: float = 0.0) -> tuple[float, float]:
        """Image (x, y) of a point ``lateral_m`` right of the center line, ``up_m`` above
        the ground."""
        return self.x(near, lateral_m), self.y(near) - up_m * self.scale(near)

    def strip(self, left_m: float, right_m: float, near0: float = 0.0, near1: float = 1.4):
        """Polygon of the ground between two lateral offsets, from ``near1`` to ``near0``."""
        nears = np.linspace(near0, near1, 24)
        left = [(self.x(n, left_m), self.y(n)) for n in nears]
        right = [(self.x(n, right_m), self.y(n)) for n in nears[::-1]]
        return left + right


def _sky(s: _Scene, rng: np.random.Generator, horizon: float) -> None:
    height, width = s.label.shape
    if rng.random() < 0.12:  # overcast
        top = _jitter(rng, (0.72, 0.74, 0.78), 0.05)
        low = _jitter(rng, (0.86, 0.87, 0.88), 0.03)
    else:
        hue, value = rng.uniform(0.56, 0.62), rng.uniform(0.75, 0.95)
        top = np.array(colorsys.hsv_to_rgb(hue, rng.uniform(0.4, 0.65), value), np.float32)
        low = np.array(colorsys.hsv_to_rgb(hue, rng.uniform(0.08, 0.2), min(1.0, value + 0.08)))
    t = np.clip(np.linspace(0, 1, height, dtype=np.float32) / max(horizon / height, 0.2), 0, 1)
    s.image[:] = top * (1 - t[:, None, None]) + low.astype(np.float32) * t[:, None, None]
    cover = rng.uniform(0.0, 0.5)
    clouds = np.clip((_draw.smooth_field(rng, height, width, 7) - 1 + cover) * 3, 0, 1)
    s.image += (_jitter(rng, (0.95, 0.95, 0.96), 0.02) - s.image) * clouds[..., None]
    s.label[: int(np.ceil(horizon)) + 1] = _ID["Sky"]


def _skyline(s: _Scene, rng: np.random.Generator, horizon: float, trees: bool) -> None:
    """Far trees or buildings along the horizon, faded by haze."""
    height, width = s.label.shape
    xs = np.linspace(-2, width + 2, 40)
    if trees:
        tops = horizon - height * (0.03 + 0.06 * _draw.smooth_field(rng, 1, 40, 8)[0])
        color, name = _green(rng) * 0.9 + 0.1 * np.array([0.6, 0.7, 0.8]), "Tree"
    else:
        steps = rng.uniform(0.03, 0.12, 8)[np.minimum((xs / width * 8).astype(int), 7)]
        tops = horizon - height * steps
        color, name = _pick(rng, _FACADES) * 0.6 + 0.4 * np.array([0.7, 0.72, 0.78]), "Building"
    points = [(x, y) for x, y in zip(xs, tops, strict=True)] + [
        (width + 2, horizon + 1),
        (-2, horizon + 1),
    ]
    s.poly(points, color, name)


def _facades(s: _Scene, rng: np.random.Generator, road: _Road, side: int, skip) -> None:
    """Building fronts along one side (``side`` -1 left, +1 right), far ones first."""
    inner = side * (road.half_m + road.pavement_m)
    near, fronts = 1.5, []
    while near > 0.06:
        depth = rng.uniform(0.15, 0.45) * near  # each front spans a stretch of street
        fronts.append((near, max(near - depth, 0.04)))
        near -= depth
    for near_a, near_b in reversed(fronts):
        if skip is not None and near_b < skip[1] and near_a > skip[0]:
            continue
        setback = side * rng.uniform(0.0, 1.5)
        tall_m = rng.uniform(6.0, 22.0)
        color = _pick(rng, _FACADES)
        name = "Building" if rng.random() < 0.9 else "Wall"

        lateral = inner + setback

        ends = ((near_a, 1), (near_b, 1), (near_b, 0), (near_a, 0))
        s.poly([road.point(n, lateral, up * tall_m) for n, up in ends], color, name)
        if name == "Wall":
            continue
        window = _jitter(rng, _WINDOW, 0.04)
        columns, floors = max(1, int((near_a - near_b) * 12)), max(1, int(tall_m / 3.2))
        for i in range(columns):
            n0 = near_a - (near_a - near_b) * (i + 0.3) / columns
            n1 = near_a - (near_a - near_b) * (i + 0.7) / columns
            for j in range(floors):
                u0, u1 = (j + 0.35) / floors * tall_m, (j + 0.75) / floors * tall_m
                ends = ((n0, u0), (n1, u0), (n1, u1), (n0, u1))
                s.paint([road.point(n, lateral, up) for n, up in ends], window)


def _car(s: _Scene, rng: np.random.Generator, x: float, y: float, k: float) -> None:
    """A car seen from behind, 1.8 m wide, its wheels on the ground at ``y``."""
    name = ("Car", "Car", "SUVPickupTruck", "Truck_Bus")[int(rng.integers(0, 4))]
    big = {"Car": 1.0, "SUVPickupTruck": 1.15, "Truck_Bus": 1.5}[name]
    w, h = 1.8 * k * big, 0.8 * k * big
    body = _pick(rng, _CARS, 0.03)
    s.rect(x - w / 2, y - h - 0.2 * k, x + w / 2, y - 0.2 * k, body, name)
    s.poly(
        [
            (x - 0.42 * w, y - h - 0.2 * k),
            (x + 0.42 * w, y - h - 0.2 * k),
            (x + 0.33 * w, y - 1.75 * h),
            (x - 0.33 * w, y - 1.75 * h),
        ],
        body * 0.9,
        name,
    )
    s.paint(
        [
            (x - 0.36 * w, y - 1.1 * h),
            (x + 0.36 * w, y - 1.1 * h),
            (x + 0.3 * w, y - 1.65 * h),
            (x - 0.3 * w, y - 1.65 * h),
        ],
        _jitter(rng, _WINDOW, 0.03),
    )
    for dx in (-0.42, 0.42):
        s.paint(
            [
                (x + dx * w - 0.08 * w, y - 0.7 * h),
                (x + dx * w + 0.08 * w, y - 0.7 * h),
                (x + dx * w + 0.08 * w, y - 0.55 * h),
                (x + dx * w - 0.08 * w, y - 0.55 * h),
            ],
            (0.75, 0.1, 0.08),
        )
        s.rect(x + dx * w - 0.1 * w, y - 0.3 * k, x + dx * w + 0.1 * w, y, (0.04, 0.04, 0.04), name)


def _person(s: _Scene, rng: np.random.Generator, x: float, y: float, k: float) -> None:
    name = "Pedestrian" if rng.random() < 0.85 else "Child"
    tall = (1.75 if name == "Pedestrian" else 1.15) * rng.uniform(0.9, 1.08) * k
    legs = _pick(rng, _TROUSERS)
    s.line((x - 0.1 * tall, y), (x - 0.03 * tall, y - 0.48 * tall), legs, 0.09 * tall, name)
    s.line((x + 0.1 * tall, y), (x + 0.03 * tall, y - 0.48 * tall), legs, 0.09 * tall, name)
    shirt = _draw.random_color(rng, saturation=(0.1, 0.7), value=(0.2, 0.85))
    s.ellipse((x, y - 0.66 * tall), (0.13 * tall, 0.2 * tall), shirt, name)
    skin = _pick(rng, _SKIN, 0.03)
    s.ellipse((x, y - 0.92 * tall), (0.065 * tall, 0.08 * tall), skin, name)
    for dx in (-0.15, 0.15):
        s.line(
            (x + dx * tall, y - 0.78 * tall),
            (x + 1.3 * dx * tall, y - 0.5 * tall),
            skin,
            0.05 * tall,
            name,
        )


def _bicyclist(s: _Scene, rng: np.random.Generator, x: float, y: float, k: float) -> None:
    r = 0.33 * k
    for dx in (-1.4, 1.4):
        centre, radius = (int(x + dx * r), int(y - r)), max(1, int(r))
        cv2.circle(s.image, centre, radius, (0.08, 0.08, 0.08), max(1, int(0.08 * k)))
        cv2.circle(s.label, centre, radius, _ID["Bicyclist"], max(1, int(0.08 * k)))
    shirt = _draw.random_color(rng, saturation=(0.2, 0.8), value=(0.3, 0.9))
    s.line(
        (x - 1.4 * r, y - r),
        (x + 1.2 * r, y - 2.2 * r),
        _jitter(rng, (0.3, 0.3, 0.32)),
        0.1 * k,
        "Bicyclist",
    )
    s.line((x, y - 2.0 * r), (x + 0.3 * r, y - 4.2 * r), shirt, 0.35 * k, "Bicyclist")
    s.ellipse(
        (x + 0.4 * r, y - 4.8 * r), (0.13 * k, 0.15 * k), _pick(rng, _SKIN, 0.03), "Bicyclist"
    )


def _tree(s: _Scene, rng: np.random.Generator, x: float, y: float, k: float) -> None:
    tall = rng.uniform(4.5, 9.0) * k
    s.line((x, y), (x, y - 0.55 * tall), _jitter(rng, _TRUNK), 0.35 * k, "Tree")
    green = _green(rng)
    for _ in range(4):
        dx, dy = rng.uniform(-0.15, 0.15, 2) * tall
        s.ellipse(
            (x + dx, y - 0.72 * tall + dy),
            (0.24 * tall, 0.2 * tall),
            _jitter(rng, green, 0.04),
            "Tree",
        )


def _pole(s: _Scene, rng: np.random.Generator, x: float, y: float, k: float) -> None:
    tall = rng.uniform(3.0, 5.0) * k
    s.line((x, y), (x, y - tall), _jitter(rng, (0.42, 0.43, 0.45)), 0.12 * k, "Column_Pole")
    sign = _pick(rng, _SIGNS, 0.03)
    if rng.random() < 0.5:
        s.ellipse((x, y - tall), (0.35 * k, 0.35 * k), sign, "SignSymbol")
        s.ellipse((x, y - tall), (0.22 * k, 0.22 * k), (0.93, 0.93, 0.93), "SignSymbol")
    else:
        s.rect(x - 0.4 * k, y - tall - 0.3 * k, x + 0.4 * k, y - tall + 0.3 * k, sign, "SignSymbol")


def render_street(
    rng: np.random.Generator, height: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """One scene: ``(image uint8 (H, W, 3) RGB, label uint8 (H, W) 32-class index)``.

    Indices refer to ``tuple(palettes.CAMVID32_COLORS)``.
    """
    s = _Scene(height, width)
    H, W = float(height), float(width)
    layout = str(rng.choice(list(LAYOUTS), p=np.array(list(LAYOUTS.values()))))
    horizon = H * rng.uniform(0.28, 0.55)  # camera height and pitch
    half_m = rng.uniform(3.5, 7.0)
    road = _Road(
        height=H,
        horizon=horizon,
        vanish_x=W * rng.uniform(0.25, 0.75),
        bottom_x=W * rng.uniform(0.3, 0.7),
        half_m=half_m,
        pavement_m=rng.uniform(1.5, 4.0),
        ppm=W * rng.uniform(0.3, 0.45) / half_m,
        bend=0.0 if rng.random() < 0.6 else W * rng.uniform(0.15, 0.45) * rng.choice([-1, 1]),
    )

    _sky(s, rng, horizon)
    open_side = {"street": (), "crossing": (), "one_sided": (int(rng.choice([-1, 1])),)}
    grass_sides = open_side.get(layout, (-1, 1))
    if rng.random() < 0.7:
        _skyline(s, rng, horizon, trees=layout in ("open", "one_sided"))
    grass = _green(rng) * np.array([1.05, 1.1, 0.8], np.float32)
    paving = _jitter(rng, (0.62, 0.6, 0.56), 0.05)
    ground = "VegetationMisc" if grass_sides else "Sidewalk"
    s.rect(-1, horizon, W + 1, H + 1, grass if grass_sides else paving, ground)
    for side in (-1, 1):
        if layout != "open" or rng.random() < 0.3:
            near_edge, far_edge = sorted(
                (side * road.half_m, side * (road.half_m + road.pavement_m))
            )
            s.poly(road.strip(near_edge, far_edge), paving, "Sidewalk")
    asphalt = _jitter(rng, (0.3, 0.3, 0.31), 0.05)
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
                _facades(s, rng, road, side, crossing)
    if layout == "open" and rng.random() < 0.5:
        for side in (-1, 1):
            _facades(s, rng, dataclasses.replace(road, half_m=road.half_m + 25), side, None)

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
    draw = {"car": _car, "person": _person, "bicyclist": _bicyclist, "tree": _tree, "pole": _pole}
    for kind, near, lateral in sorted(objects, key=lambda o: o[1]):
        draw[kind](s, rng, road.x(near, lateral), road.y(near), road.scale(near))
    if grass_sides and rng.random() < 0.6:
        side = int(rng.choice(grass_sides))
        post = side * (road.half_m + road.pavement_m * 0.5 + 1.0)
        wood = _jitter(rng, (0.5, 0.38, 0.26) if rng.random() < 0.6 else (0.45, 0.46, 0.48), 0.05)
        far = rng.uniform(0.1, 0.4)
        top = [
            (road.x(n, post), road.y(n) - 1.1 * road.scale(n)) for n in np.linspace(1.4, far, 16)
        ]
        bottom = [(road.x(n, post), road.y(n)) for n in np.linspace(far, 1.4, 16)]
        s.poly(top + bottom, wood, "Fence")

    # Void: a little unlabeled clutter (rubbish bins, bollards) in dull colors.
    for _ in range(int(rng.integers(0, 3))):
        center = (rng.uniform(0, W), rng.uniform(horizon, H))
        clutter = _jitter(
            rng, ((0.2, 0.3, 0.2), (0.25, 0.25, 0.27), (0.45, 0.4, 0.35))[int(rng.integers(0, 3))]
        )
        s.poly(_draw.blob_polygon(rng, center, rng.uniform(0.02, 0.05) * W), clutter, "Void")

    grain = cv2.GaussianBlur(rng.standard_normal((height, width)).astype(np.float32), (0, 0), 0.8)
    amplitude = np.zeros(len(_NAMES32), np.float32)
    for name, value in _TEXTURE.items():
        amplitude[_ID[name]] = value
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
