"""Drawing street scenes: the scene canvas (image and label painted together), the road's
perspective, colours with a realistic spread, and each kind of object. Used by
:mod:`ssl_keras.datasets.synthetic.street`, which composes whole scenes and writes them."""

from __future__ import annotations

import colorsys
import dataclasses

import cv2
import numpy as np

from ssl_keras.datasets import palettes
from ssl_keras.datasets.synthetic import _draw

NAMES32 = tuple(palettes.CAMVID32_COLORS)


ID = {name: i for i, name in enumerate(NAMES32)}


# (RGB, weight) palettes: a color is picked by weight, then jittered a little.
FACADES = (
    ((0.62, 0.27, 0.2), 0.3),  # brick red
    ((0.84, 0.76, 0.6), 0.22),  # beige
    ((0.9, 0.9, 0.87), 0.16),  # white render
    ((0.58, 0.58, 0.6), 0.16),  # gray concrete
    ((0.86, 0.72, 0.45), 0.1),  # cream / ochre
    ((0.45, 0.32, 0.24), 0.06),  # brown
)


CARS = (  # roughly the world's car-color shares
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


SKIN = (
    ((0.95, 0.8, 0.69), 0.3),
    ((0.88, 0.68, 0.53), 0.25),
    ((0.74, 0.53, 0.38), 0.2),
    ((0.53, 0.36, 0.24), 0.15),
    ((0.35, 0.23, 0.16), 0.1),
)


TROUSERS = (
    ((0.15, 0.2, 0.35), 0.45),  # denim
    ((0.1, 0.1, 0.11), 0.3),
    ((0.45, 0.42, 0.36), 0.15),
    ((0.6, 0.55, 0.45), 0.1),
)


SIGNS = (((0.78, 0.08, 0.08), 0.5), ((0.08, 0.28, 0.7), 0.35), ((0.95, 0.78, 0.1), 0.15))


WINDOW = (0.16, 0.2, 0.26)


TRUNK = (0.33, 0.24, 0.16)


# Amplitude of the per-pixel texture each class gets (fraction of its brightness).
TEXTURE = {
    "Tree": 0.35,
    "VegetationMisc": 0.3,
    "Road": 0.1,
    "RoadShoulder": 0.1,
    "Sidewalk": 0.08,
    "Building": 0.05,
    "Wall": 0.06,
    "Fence": 0.08,
}


class Scene:
    """An image and a 32-class label map painted together, so they always agree."""

    def __init__(self, height: int, width: int) -> None:
        self.image = np.zeros((height, width, 3), np.float32)
        self.label = np.full((height, width), ID["Void"], np.uint8)

    def poly(self, points, color, name: str) -> None:
        pts = [np.round(np.asarray(points)).astype(np.int32)]
        cv2.fillPoly(self.image, pts, tuple(map(float, color)))
        cv2.fillPoly(self.label, pts, ID[name])

    def rect(self, x0, y0, x1, y1, color, name: str) -> None:
        self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], color, name)

    def ellipse(self, center, axes, color, name: str, angle: float = 0.0) -> None:
        c = (int(round(center[0])), int(round(center[1])))
        a = (max(1, int(round(axes[0]))), max(1, int(round(axes[1]))))
        cv2.ellipse(self.image, c, a, angle, 0, 360, tuple(map(float, color)), -1)
        cv2.ellipse(self.label, c, a, angle, 0, 360, ID[name], -1)

    def line(self, start, end, color, thickness, name: str) -> None:
        s = (int(round(start[0])), int(round(start[1])))
        e = (int(round(end[0])), int(round(end[1])))
        t = max(1, int(round(thickness)))
        cv2.line(self.image, s, e, tuple(map(float, color)), t)
        cv2.line(self.label, s, e, ID[name], t)

    def paint(self, points, color) -> None:
        """Color only (details that keep the label underneath, e.g. windows)."""
        pts = [np.round(np.asarray(points)).astype(np.int32)]
        cv2.fillPoly(self.image, pts, tuple(map(float, color)))


def jitter(rng: np.random.Generator, color, amount: float = 0.05) -> np.ndarray:
    """``color`` with its brightness scaled by up to ±2·amount and each channel moved by up to
    ±amount: the same material under a different light, not a different material."""
    gain = 1.0 + rng.uniform(-2 * amount, 2 * amount)
    shift = rng.uniform(-amount, amount, 3)
    return np.clip(np.asarray(color, np.float32) * gain + shift, 0, 1).astype(np.float32)


def pick(rng: np.random.Generator, palette, amount: float = 0.05) -> np.ndarray:
    colors, weights = zip(*palette, strict=True)
    weights = np.asarray(weights) / np.sum(weights)
    return jitter(rng, colors[int(rng.choice(len(colors), p=weights))], amount)


def green(rng: np.random.Generator) -> np.ndarray:
    """Foliage: yellow-green to blue-green, mid to dark."""
    rgb = colorsys.hsv_to_rgb(
        rng.uniform(0.2, 0.36), rng.uniform(0.45, 0.75), rng.uniform(0.3, 0.55)
    )
    return np.array(rgb, np.float32)


@dataclasses.dataclass(frozen=True)
class Road:
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


def sky(s: Scene, rng: np.random.Generator, horizon: float) -> None:
    height, width = s.label.shape
    if rng.random() < 0.12:  # overcast
        top = jitter(rng, (0.72, 0.74, 0.78), 0.05)
        low = jitter(rng, (0.86, 0.87, 0.88), 0.03)
    else:
        hue, value = rng.uniform(0.56, 0.62), rng.uniform(0.75, 0.95)
        top = np.array(colorsys.hsv_to_rgb(hue, rng.uniform(0.4, 0.65), value), np.float32)
        low = np.array(colorsys.hsv_to_rgb(hue, rng.uniform(0.08, 0.2), min(1.0, value + 0.08)))
    t = np.clip(np.linspace(0, 1, height, dtype=np.float32) / max(horizon / height, 0.2), 0, 1)
    s.image[:] = top * (1 - t[:, None, None]) + low.astype(np.float32) * t[:, None, None]
    cover = rng.uniform(0.0, 0.5)
    clouds = np.clip((_draw.smooth_field(rng, height, width, 7) - 1 + cover) * 3, 0, 1)
    s.image += (jitter(rng, (0.95, 0.95, 0.96), 0.02) - s.image) * clouds[..., None]
    s.label[: int(np.ceil(horizon)) + 1] = ID["Sky"]


def skyline(s: Scene, rng: np.random.Generator, horizon: float, trees: bool) -> None:
    """Far trees or buildings along the horizon, faded by haze."""
    height, width = s.label.shape
    xs = np.linspace(-2, width + 2, 40)
    if trees:
        tops = horizon - height * (0.03 + 0.06 * _draw.smooth_field(rng, 1, 40, 8)[0])
        color, name = green(rng) * 0.9 + 0.1 * np.array([0.6, 0.7, 0.8]), "Tree"
    else:
        steps = rng.uniform(0.03, 0.12, 8)[np.minimum((xs / width * 8).astype(int), 7)]
        tops = horizon - height * steps
        color, name = pick(rng, FACADES) * 0.6 + 0.4 * np.array([0.7, 0.72, 0.78]), "Building"
    points = [(x, y) for x, y in zip(xs, tops, strict=True)] + [
        (width + 2, horizon + 1),
        (-2, horizon + 1),
    ]
    s.poly(points, color, name)


def facades(s: Scene, rng: np.random.Generator, road: Road, side: int, skip) -> None:
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
        color = pick(rng, FACADES)
        name = "Building" if rng.random() < 0.9 else "Wall"

        lateral = inner + setback

        ends = ((near_a, 1), (near_b, 1), (near_b, 0), (near_a, 0))
        s.poly([road.point(n, lateral, up * tall_m) for n, up in ends], color, name)
        if name == "Wall":
            continue
        window = jitter(rng, WINDOW, 0.04)
        columns, floors = max(1, int((near_a - near_b) * 12)), max(1, int(tall_m / 3.2))
        for i in range(columns):
            n0 = near_a - (near_a - near_b) * (i + 0.3) / columns
            n1 = near_a - (near_a - near_b) * (i + 0.7) / columns
            for j in range(floors):
                u0, u1 = (j + 0.35) / floors * tall_m, (j + 0.75) / floors * tall_m
                ends = ((n0, u0), (n1, u0), (n1, u1), (n0, u1))
                s.paint([road.point(n, lateral, up) for n, up in ends], window)


def car(s: Scene, rng: np.random.Generator, x: float, y: float, k: float) -> None:
    """A car seen from behind, 1.8 m wide, its wheels on the ground at ``y``."""
    name = ("Car", "Car", "SUVPickupTruck", "Truck_Bus")[int(rng.integers(0, 4))]
    big = {"Car": 1.0, "SUVPickupTruck": 1.15, "Truck_Bus": 1.5}[name]
    w, h = 1.8 * k * big, 0.8 * k * big
    body = pick(rng, CARS, 0.03)
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
        jitter(rng, WINDOW, 0.03),
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


def person(s: Scene, rng: np.random.Generator, x: float, y: float, k: float) -> None:
    name = "Pedestrian" if rng.random() < 0.85 else "Child"
    tall = (1.75 if name == "Pedestrian" else 1.15) * rng.uniform(0.9, 1.08) * k
    legs = pick(rng, TROUSERS)
    s.line((x - 0.1 * tall, y), (x - 0.03 * tall, y - 0.48 * tall), legs, 0.09 * tall, name)
    s.line((x + 0.1 * tall, y), (x + 0.03 * tall, y - 0.48 * tall), legs, 0.09 * tall, name)
    shirt = _draw.random_color(rng, saturation=(0.1, 0.7), value=(0.2, 0.85))
    s.ellipse((x, y - 0.66 * tall), (0.13 * tall, 0.2 * tall), shirt, name)
    skin = pick(rng, SKIN, 0.03)
    s.ellipse((x, y - 0.92 * tall), (0.065 * tall, 0.08 * tall), skin, name)
    for dx in (-0.15, 0.15):
        s.line(
            (x + dx * tall, y - 0.78 * tall),
            (x + 1.3 * dx * tall, y - 0.5 * tall),
            skin,
            0.05 * tall,
            name,
        )


def bicyclist(s: Scene, rng: np.random.Generator, x: float, y: float, k: float) -> None:
    r = 0.33 * k
    for dx in (-1.4, 1.4):
        centre, radius = (int(x + dx * r), int(y - r)), max(1, int(r))
        cv2.circle(s.image, centre, radius, (0.08, 0.08, 0.08), max(1, int(0.08 * k)))
        cv2.circle(s.label, centre, radius, ID["Bicyclist"], max(1, int(0.08 * k)))
    shirt = _draw.random_color(rng, saturation=(0.2, 0.8), value=(0.3, 0.9))
    s.line(
        (x - 1.4 * r, y - r),
        (x + 1.2 * r, y - 2.2 * r),
        jitter(rng, (0.3, 0.3, 0.32)),
        0.1 * k,
        "Bicyclist",
    )
    s.line((x, y - 2.0 * r), (x + 0.3 * r, y - 4.2 * r), shirt, 0.35 * k, "Bicyclist")
    s.ellipse((x + 0.4 * r, y - 4.8 * r), (0.13 * k, 0.15 * k), pick(rng, SKIN, 0.03), "Bicyclist")


def tree(s: Scene, rng: np.random.Generator, x: float, y: float, k: float) -> None:
    tall = rng.uniform(4.5, 9.0) * k
    s.line((x, y), (x, y - 0.55 * tall), jitter(rng, TRUNK), 0.35 * k, "Tree")
    leaves = green(rng)
    for _ in range(4):
        dx, dy = rng.uniform(-0.15, 0.15, 2) * tall
        s.ellipse(
            (x + dx, y - 0.72 * tall + dy),
            (0.24 * tall, 0.2 * tall),
            jitter(rng, leaves, 0.04),
            "Tree",
        )


def pole(s: Scene, rng: np.random.Generator, x: float, y: float, k: float) -> None:
    tall = rng.uniform(3.0, 5.0) * k
    s.line((x, y), (x, y - tall), jitter(rng, (0.42, 0.43, 0.45)), 0.12 * k, "Column_Pole")
    sign = pick(rng, SIGNS, 0.03)
    if rng.random() < 0.5:
        s.ellipse((x, y - tall), (0.35 * k, 0.35 * k), sign, "SignSymbol")
        s.ellipse((x, y - tall), (0.22 * k, 0.22 * k), (0.93, 0.93, 0.93), "SignSymbol")
    else:
        s.rect(x - 0.4 * k, y - tall - 0.3 * k, x + 0.4 * k, y - tall + 0.3 * k, sign, "SignSymbol")
