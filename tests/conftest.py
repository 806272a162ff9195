"""Shared fixtures of the unit tests."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The tests' numeric bars were set in float32; pinning it keeps them independent of the CPU
# kind CI draws (``auto`` would pick bfloat16 on CPUs with matrix units). bench/notebooks.py
# --precision measures the lessons in both.
os.environ.setdefault("SSL_KERAS_PRECISION", "float32")

SHARED_DATA = Path(
    os.environ.get("SSL_KERAS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real dataset samples beside the checkout; tests using it skip without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data samples not found at {SHARED_DATA}")
    return SHARED_DATA


@contextlib.contextmanager
def time_limit(seconds: int):
    """``with time_limit(seconds):`` raises ``TimeoutError`` when the block has not returned
    in time. POSIX only (``SIGALRM``)."""

    def expire(signum, frame):
        raise TimeoutError(f"did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def deadline():
    """``with deadline(seconds):`` fails the test with ``TimeoutError`` when the block has not
    returned in time — for code whose failure mode is to never return (a ``fit`` with zero
    steps per epoch on a repeating dataset): :func:`time_limit`."""
    return time_limit


@pytest.fixture(scope="session")
def mvtec_root(tmp_path_factory):
    """A small generated MVTec-layout root (categories weave and cap), built once."""
    from ssl_keras.datasets import synthetic

    root = tmp_path_factory.mktemp("mvtec")
    return synthetic.mvtec_like(root, n_train=6, n_test_good=3, n_test_defect=2, size=32, seed=1)


@pytest.fixture(scope="session")
def sets(tmp_path_factory) -> dict[str, Path]:
    """Small generated sets the loaders read (pets, street, carla, mvtec, coco), built once;
    a test that moves a file puts it back."""
    from ssl_keras.datasets import synthetic

    base = tmp_path_factory.mktemp("synthetic")
    return {
        "pets": synthetic.toy_pets(base / "pets", 6, 3, 5, size=48, seed=0),
        "street": synthetic.street_scenes(base / "street", 6, 3, 3, (72, 96), 0, color_labels=True),
        "carla": synthetic.carla_scenes(base / "carla", 5, (72, 96), 0),
        "mvtec": synthetic.mvtec_like(
            base / "mvtec", n_train=5, n_test_good=3, n_test_defect=2, size=64, seed=0
        ),
        "coco": synthetic.coco_instances(base / "coco", 6, 5, (64, 80), 0),
    }


@pytest.fixture
def image_folder(tmp_path):
    """A folder with one image file per supported format (:func:`tests._data.write_image_folder`)."""
    from tests._data import write_image_folder

    return write_image_folder(tmp_path)


@pytest.fixture
def no_network(monkeypatch):
    """Every socket connection fails at once, as on an offline laptop."""
    from tests import upstream_archives

    upstream_archives.refuse_connections(monkeypatch)


@pytest.fixture
def mirror(monkeypatch):
    """Every dataset URL goes to a loopback server on 127.0.0.1 (same path)."""
    from ssl_keras.datasets import fetch
    from tests import upstream_archives

    with upstream_archives.ScriptedServer() as server:
        monkeypatch.setenv(fetch.MIRROR_ENV, server.base)
        yield server


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Data and artifacts under a temporary folder."""
    monkeypatch.setenv("SSL_KERAS_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def tiny_unet():
    """A depth-3 U-Net with 4 base filters and any input size, built once per test module."""
    import keras

    from ssl_keras import models

    keras.utils.set_random_seed(1)
    return models.unet((None, None, 3), depth=3, base_filters=4)


@pytest.fixture(scope="module")
def vgg16_weights_file(tmp_path_factory) -> Path:
    """A local VGG16 (no top) weights file, random weights: what a test can have offline."""
    import keras

    keras.utils.set_random_seed(1)
    path = tmp_path_factory.mktemp("vgg16") / "vgg16.weights.h5"
    keras.applications.VGG16(include_top=False, weights=None).save_weights(path)
    return path


@pytest.fixture(scope="module")
def clean():
    """Two float32 colour images (2, 48, 40, 3) in [0.2, 0.8], mirror images of each other."""
    import numpy as np

    # smooth shapes plus texture, so denoisers have something to keep
    y, x = np.mgrid[0:48, 0:40] / 40.0
    base = 0.5 + 0.3 * np.sin(6 * x) * np.cos(4 * y)
    image = np.stack([base, base[::-1], np.full_like(base, 0.4)], -1).astype(np.float32)
    return np.stack([image, image[:, ::-1]])
