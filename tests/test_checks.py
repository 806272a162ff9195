"""The shared argument validators of ``ssl_keras._checks`` and the modules that use them."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from ssl_keras import _checks, anomaly, color, colorization, layers, losses, models


@pytest.mark.parametrize(
    ("value", "low"),
    [(1, 1), (7, 1), (np.int64(3), 1), (np.int32(2), 2), (np.uint8(5), 1), (0, 0), (2, 2)],
)
def test_check_int_accepts_python_and_numpy_ints(value, low):
    result = _checks.check_int(value, "n", low=low)
    assert result == value and type(result) is int


@pytest.mark.parametrize(
    ("value", "low"),
    [
        (0, 1),
        (-3, 1),
        (1, 2),
        (-1, 0),
        (True, 1),
        (False, 0),
        (np.bool_(True), 1),
        (1.0, 1),
        (np.float64(2.0), 1),
        ("3", 1),
        (None, 1),
    ],
)
def test_check_int_rejects_non_ints_bools_and_small_values(value, low):
    with pytest.raises(
        ValueError, match=rf"^n must be an int ≥ {low}, got {re.escape(repr(value))}\.$"
    ):
        _checks.check_int(value, "n", low=low)


@pytest.mark.parametrize(
    "value", [0, 0.0, 0.5, 0.999, np.float32(0.25), np.float64(0.1), np.int64(0), Fraction(1, 3)]
)
def test_check_fraction_accepts_real_numbers_in_0_1(value):
    result = _checks.check_fraction(value, "rate")
    assert type(result) is float and result == pytest.approx(float(value))


@pytest.mark.parametrize(
    "value",
    [1, 1.0, -0.1, math.nan, math.inf, True, False, np.bool_(False), "0.5", None, [0.5]],
)
def test_check_fraction_rejects_bools_strings_and_values_outside_0_1(value):
    with pytest.raises(ValueError, match=r"^rate must be a number in \[0, 1\), got .+\.$"):
        _checks.check_fraction(value, "rate")


@pytest.mark.parametrize(
    ("value", "low", "high", "low_open"),
    [
        ((0.1, 0.2), 0.0, 1.0, True),
        ([0.5, 0.5], 0.0, 1.0, True),
        ((0, 1), 0.0, 1.0, False),
        ((-180, 180), -180.0, 180.0, False),
        ((np.float32(0.5), 2), 0.0, math.inf, True),
    ],
)
def test_check_interval_accepts_ordered_pairs_inside(value, low, high, low_open):
    assert _checks.check_interval(value, "span", low, high, low_open=low_open) is None


@pytest.mark.parametrize(
    ("value", "low_open", "match"),
    [
        ((0.0, 0.5), True, r"pair low ≤ high inside \(0\.0, 1\.0\]"),
        ((-0.1, 0.5), False, r"pair low ≤ high inside \[0\.0, 1\.0\]"),
        ((0.2, 1.5), False, "pair low ≤ high"),
        ((0.6, 0.4), False, "pair low ≤ high"),
        ((0.5,), False, r"\(low, high\) pair of numbers"),
        ((0.1, 0.2, 0.3), False, r"\(low, high\) pair of numbers"),
        (0.5, False, r"\(low, high\) pair of numbers"),
        (("a", "b"), False, r"\(low, high\) pair of numbers"),
    ],
)
def test_check_interval_rejects_bad_pairs(value, low_open, match):
    with pytest.raises(
        ValueError, match=rf"^span must be .*{match}.*got {re.escape(repr(value))}\.$"
    ):
        _checks.check_interval(value, "span", 0.0, 1.0, low_open=low_open)


def test_check_range_bounds_and_message():
    _checks.check_range(1.0, "t", 0.0, 1.0, low_open=True)
    for bad in (0.0, 1.5, math.nan):
        with pytest.raises(ValueError, match=r"t must be in \(0\.0, 1\.0\]"):
            _checks.check_range(bad, "t", 0.0, 1.0, low_open=True)
    with pytest.raises(ValueError, match="t must be a number, got 'x'"):
        _checks.check_range("x", "t", 0.0, 1.0)


def test_scalar_checks_do_not_import_tensorflow():
    """layers and models run on any Keras backend: their validators must not need TensorFlow."""
    code = (
        "import sys; sys.modules['tensorflow'] = None\n"
        "from ssl_keras import _checks as c\n"
        "assert c.check_int(3, 'n') == 3 and c.check_fraction(0.5, 'r') == 0.5\n"
        "c.check_interval((0.1, 0.2), 'p', 0.0, 1.0); c.check_range(0.5, 'x', 0.0, 1.0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- the modules that call them -------------------------------------------------------------


def test_layers_take_numpy_ints_and_store_python_ints():
    pad = layers.PadToMultiple(np.int64(8))
    assert pad.multiple == 8 and type(pad.multiple) is int
    assert type(layers.ConvBlock(np.int32(4)).get_config()["filters"]) is int
    assert color.LightnessInput("gray", channels=np.int64(1)).channels == 1


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: layers.ConvBlock(0), "filters must be an int ≥ 1, got 0."),
        (lambda: layers.ConvBlock(8, kernel_size=True), "kernel_size must be an int ≥ 1, got True"),
        (lambda: layers.PadToMultiple(2.0), "multiple must be an int ≥ 1, got 2.0."),
        (lambda: color.LightnessInput("gray", channels=False), "channels must be an int ≥ 1"),
        (lambda: anomaly.KNNScorer(0), "k must be an int ≥ 1, got 0."),
        (lambda: anomaly.PretextConfig(brightness=1.0), r"brightness must be a number in \[0, 1\)"),
        (lambda: anomaly.PretextConfig(contrast=True), r"contrast must be a number in \[0, 1\)"),
        (lambda: anomaly.PretextConfig(patch_area=(0.0, 0.1)), "patch_area must be a pair"),
        (lambda: anomaly.PretextConfig(scar_rotation=(-200, 0)), "scar_rotation must be a pair"),
        (lambda: anomaly.pretext_dataset(np.zeros((1, 8, 8, 3)), 0), "batch_size must be an int"),
        (lambda: colorization.lab_batches(None, True), "batch_size must be an int ≥ 1, got True"),
        (lambda: colorization.colorizer((8, 32, 1)), "input_shape height .* must be an int ≥ 16"),
        (lambda: colorization.colorizer(decoder_filters=0), "decoder_filters must be an int ≥ 1"),
        (
            lambda: colorization.colorizer(batch_norm_momentum=1.0),
            r"batch_norm_momentum must be a number in \[0, 1\), got 1\.0",
        ),
        (lambda: losses.DiceLoss(smooth=0.0), r"smooth must be in \(0\.0, 1000000\.0\]"),
        (lambda: losses.soft_dice([[1.0]], [[0.0]], smooth=-1), "smooth must be in"),
        (lambda: models.unet(depth=np.float64(2)), "depth must be an int ≥ 1"),
        (lambda: models.unet(dropout=True), r"dropout must be a number in \[0, 1\), got True"),
    ],
)
def test_modules_raise_the_shared_messages(build, message):
    with pytest.raises(ValueError, match=message):
        build()
