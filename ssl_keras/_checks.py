"""Input validation shared by the package: clear ``ValueError`` messages, never bare asserts."""

from __future__ import annotations

import numbers
import sys
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import tensorflow as tf

# TensorFlow is imported lazily: the backend-independent modules (layers, models) use the
# scalar checks below and must not pull TensorFlow in.


def as_image_tensor(images, name: str = "images") -> tf.Tensor:
    """Return ``images`` as a float tensor of rank 3 (HWC) or 4 (NHWC) with values in [0, 1].

    Eager inputs are checked in Python and fail with a ``ValueError`` that names the problem
    and the fix. Symbolic tensors (inside ``tf.data.Dataset.map``) get graph assertions instead.
    """
    import tensorflow as tf

    if isinstance(images, np.ndarray) or not tf.is_tensor(images):
        array = np.asarray(images)
        if array.dtype == object:
            raise ValueError(f"{name} must be a numeric array, got dtype=object.")
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(
                f"{name} must be floating point in [0, 1], got dtype={array.dtype}. "
                "Convert uint8 images with `images.astype('float32') / 255` or "
                "`tf.image.convert_image_dtype(images, tf.float32)`."
            )
        images = tf.convert_to_tensor(array)
    elif not images.dtype.is_floating:
        raise ValueError(
            f"{name} must be floating point in [0, 1], got dtype={images.dtype.name}. "
            "Convert with `tf.image.convert_image_dtype(images, tf.float32)`."
        )
    rank = images.shape.rank
    if rank not in (3, 4):
        raise ValueError(
            f"{name} must have rank 3 (H, W, C) or 4 (N, H, W, C), got shape {images.shape}."
        )
    if images.dtype != tf.float32:
        images = tf.cast(images, tf.float32)
    if tf.executing_eagerly():
        if tf.size(images) > 0:
            low = float(tf.reduce_min(images))
            high = float(tf.reduce_max(images))
            if low < 0.0 or high > 1.0 or not np.isfinite(low) or not np.isfinite(high):
                raise ValueError(
                    f"{name} must hold values in [0, 1], got min={low:.4g}, max={high:.4g}. "
                    "Divide 0-255 images by 255, or clip with `tf.clip_by_value(x, 0, 1)`."
                )
    else:
        # One pass: NaN fails both comparisons, so this also catches NaN (and ±Inf).
        in_range = tf.reduce_all(tf.logical_and(images >= 0.0, images <= 1.0))
        message = f"{name} must hold finite values in [0, 1]"
        with tf.control_dependencies([tf.debugging.Assert(in_range, [message])]):
            images = tf.identity(images)
    return images


def check_range(value, name: str, low: float, high: float, *, low_open: bool = False) -> None:
    """Raise ``ValueError`` unless ``low <= value <= high`` (``low < value`` if ``low_open``).

    Tensors are not checked here (they may be symbolic): only Python/NumPy scalars are.
    """
    tf = sys.modules.get("tensorflow")  # without TensorFlow loaded, value is no TF tensor
    if tf is not None and tf.is_tensor(value):
        return
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}.") from None
    too_low = number <= low if low_open else number < low
    if too_low or number > high or not np.isfinite(number):
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be in {bracket}{low}, {high}], got {value!r}.")


def check_size(size, name: str = "size") -> tuple[int, int]:
    """Return ``(height, width)`` from an int or a pair of positive ints."""
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    try:
        height, width = (int(s) for s in size)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be an int or a (height, width) pair, got {size!r}."
        ) from None
    if height < 1 or width < 1:
        raise ValueError(f"{name} must be positive, got {size!r}.")
    return height, width


def check_int(value, name: str, low: int = 1) -> int:
    """Return ``value`` as an ``int``; it must be a Python or NumPy int (not a bool) ≥ ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int ≥ {low}, got {value!r}.")
    return int(value)


def check_fraction(value, name: str) -> float:
    """Return ``value`` as a ``float``; it must be a real number (not a bool) in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}.")
    return float(value)


def check_interval(value, name: str, low: float, high: float, low_open: bool = False) -> None:
    """Raise ``ValueError`` unless ``value`` is a pair ``first ≤ second`` inside ``[low, high]``
    (``(low, high]`` if ``low_open``)."""
    try:
        first, second = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (low, high) pair of numbers, got {value!r}.") from None
    too_low = first <= low if low_open else first < low
    if too_low or second > high or first > second:
        bracket = "(" if low_open else "["
        raise ValueError(
            f"{name} must be a pair low ≤ high inside {bracket}{low}, {high}], got {value!r}."
        )
