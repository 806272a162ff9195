"""Tests of ssl_keras.datasets.synthetic.pets: texture and shape tell the class, color does not."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from skimage.feature import hog
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from ssl_keras.datasets import classfolders, synthetic
from ssl_keras.datasets.synthetic import pets


@pytest.fixture(scope="module")
def rendered():
    """80 images per class at 64 px, class 0 = cat, 1 = turtle."""
    rng = np.random.default_rng(7)
    images, labels = [], []
    for i in range(160):
        kind = pets.PET_CLASSES[i % 2]
        images.append(pets.render_pet(rng, kind, 64))
        labels.append(i % 2)
    return np.stack(images), np.array(labels)


def _saturation(images: np.ndarray) -> np.ndarray:
    hsv = np.stack([cv2.cvtColor(image, cv2.COLOR_RGB2HSV) for image in images])
    return hsv[..., 1].reshape(len(images), -1).mean(axis=1) / 255.0


def test_color_and_brightness_do_not_tell_the_classes(rendered):
    images, labels = rendered
    flat = images.reshape(len(images), -1, 3).astype(np.float32) / 255
    color = np.concatenate([flat.mean(axis=1), flat.std(axis=1), _saturation(images)[:, None]], 1)
    accuracy = cross_val_score(LogisticRegression(max_iter=2000), color, labels, cv=4).mean()
    assert accuracy <= 0.7, accuracy
    gray = _saturation(images) < 0.15  # sensor noise in dark pixels adds some saturation
    for label in (0, 1):  # gray-ish photos in both classes
        assert gray[labels == label].mean() >= 0.1, gray[labels == label].mean()


@pytest.mark.slow
def test_texture_and_parts_tell_the_classes(rendered):
    """Gradient-orientation histograms (HOG, a classical texture and part descriptor) with a
    linear classifier separate the classes; raw pixels with the same classifier do not."""
    images, labels = rendered
    gray = images.astype(np.float32).mean(axis=-1) / 255
    features = np.stack([hog(g, pixels_per_cell=(8, 8), cells_per_block=(2, 2)) for g in gray])
    by_texture = cross_val_score(LogisticRegression(C=0.1, max_iter=3000), features, labels, cv=4)
    pixels = images.reshape(len(images), -1).astype(np.float32) / 255
    by_pixels = cross_val_score(LogisticRegression(C=0.01, max_iter=3000), pixels, labels, cv=4)
    assert by_texture.mean() >= 0.85, by_texture
    assert by_pixels.mean() <= 0.75, by_pixels
    assert by_texture.mean() - by_pixels.mean() >= 0.2


def test_cat_coat_is_striped_or_spotted_and_turtle_shell_has_seams():
    """Inside the silhouette, a cat's coat and a turtle's shell hold far more edges than a
    flat fill of the same color would."""
    rng = np.random.default_rng(3)
    for draw in (pets.draw_cat, pets.draw_turtle):
        rgb, alpha = draw(rng, 128)
        assert rgb.dtype == np.float32 and rgb.shape == (128, 128, 3)
        assert 0.0 <= rgb.min() and rgb.max() <= 1.0 and alpha.max() == pytest.approx(1.0)
        inside = cv2.erode((alpha > 0.99).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        edges = np.abs(cv2.Laplacian(rgb.mean(axis=-1), cv2.CV_32F))
        assert edges[inside].mean() > 0.02, (draw.__name__, float(edges[inside].mean()))


def test_version_bump_regenerates_old_sets(tmp_path):
    root = synthetic.toy_pets(tmp_path / "pets", 2, 1, 3, size=32)
    marker = json.loads((root / ".complete.json").read_text())
    assert marker["version"] == 2
    marker["version"] = 1  # a set written by the previous generator
    (root / ".complete.json").write_text(json.dumps(marker))
    before = (root / "train" / "cat" / "00000.png").read_bytes()
    (root / "train" / "cat" / "00000.png").write_bytes(b"old")
    synthetic.toy_pets(root, 2, 1, 3, size=32)
    assert (root / "train" / "cat" / "00000.png").read_bytes() == before
    paths, labels, names = classfolders.class_folder_files(root / "train")
    assert names == ["cat", "turtle"] and np.bincount(labels).tolist() == [2, 2]
    assert len(list((root / "unlabeled").glob("*.png"))) == 3  # the denoiser's pool layout


def test_toy_pets_are_not_linearly_separable_on_raw_pixels(tmp_path):
    from sklearn.linear_model import LogisticRegression

    root = synthetic.toy_pets(
        tmp_path / "pets", n_train=150, n_test=75, n_unlabeled=0, size=64, seed=3
    )

    def load(split):
        paths, labels, _ = classfolders.class_folder_files(root / split)
        pixels = np.stack([cv2.imread(p).reshape(-1) for p in paths]).astype(np.float32) / 255
        return pixels, np.array(labels)

    (x_train, y_train), (x_test, y_test) = load("train"), load("test")
    model = LogisticRegression(C=0.01, max_iter=200).fit(x_train, y_train)
    assert model.score(x_test, y_test) <= 0.75


def test_toy_pet_shapes_carry_the_class():
    """Silhouettes alone (no background, pose or color) separate the classes: the task is
    learnable from shape, which a CNN can extract and a raw-pixel linear model cannot."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x, y = [], []
    for i in range(160):
        _, alpha = (pets.draw_cat if i % 2 == 0 else pets.draw_turtle)(rng, 64)
        x.append(cv2.resize(alpha, (32, 32), interpolation=cv2.INTER_AREA).reshape(-1))
        y.append(i % 2)
    x, y = np.array(x), np.array(y)
    model = LogisticRegression(max_iter=500).fit(x[:100], y[:100])
    assert model.score(x[100:], y[100:]) >= 0.95
