"""Decoding image bytes and files into float32 RGB in [0, 1]: JPEG, PNG (8 or 16-bit,
palette, alpha composited over white), BMP, GIF, WebP and TIFF (8 or 16-bit, through
``tifffile``), in ``tf.data`` maps (:func:`read_image`, :func:`read_image_uint8`) or eagerly
(:func:`load_image`, which names a file that does not decode)."""

from __future__ import annotations

import io
import os
import re

import numpy as np
import tensorflow as tf
import tifffile

from ssl_keras.resizing import resize


def _decode_tiff(contents: np.ndarray) -> np.ndarray:
    """First page of a TIFF file's bytes (a 0-d object array, as ``tf.numpy_function`` passes
    a string) as float32 RGB ``(H, W, 3)`` in [0, 1] (tifffile)."""
    try:
        page = tifffile.TiffFile(io.BytesIO(np.asarray(contents).item())).pages[0]
        image = page.asarray()
    except (tifffile.TiffFileError, IndexError, KeyError, ValueError, OSError) as error:
        raise ValueError(f"unreadable TIFF data ({error})") from None
    if page.axes.startswith("S"):  # planar RGB stored channel-first
        image = np.moveaxis(image, 0, -1)
    if image.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"TIFF samples must be 8- or 16-bit unsigned integers, got {image.dtype}.")
    image = image.astype(np.float32) / np.iinfo(image.dtype).max
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"TIFF page of shape {image.shape} is not a gray or RGB(A) image.")
    if image.shape[-1] in (2, 4):  # gray or RGB with alpha: composite over white, as PNG
        image, alpha = image[..., :-1], image[..., -1:]
        image = image * alpha + (1.0 - alpha)
    return np.ascontiguousarray(np.broadcast_to(image, image.shape[:2] + (3,)))


def _is_tiff(contents: tf.Tensor) -> tf.Tensor:
    """Whether encoded bytes start like a TIFF file (either byte order)."""
    head = tf.strings.substr(contents, 0, 4)
    return (head == b"II*\x00") | (head == b"MM\x00*")


def decode_image(contents: tf.Tensor) -> tf.Tensor:
    """Decode encoded image bytes into float32 RGB ``(H, W, 3)`` in [0, 1].

    JPEG, PNG (8 or 16 bit, grayscale, palette, with or without alpha), BMP, GIF (first
    frame), WebP and TIFF (8 or 16 bit, gray or RGB, with or without alpha; first page;
    decoded by tifffile, so TIFFs go through Python). Transparent PNG and TIFF pixels are
    composited over white, so a transparent background does not turn into black. Grayscale
    images are repeated into three channels.
    """
    is_png = tf.strings.substr(contents, 0, 8) == b"\x89PNG\r\n\x1a\n"
    is_tiff = _is_tiff(contents)

    def png() -> tf.Tensor:
        rgba = tf.image.convert_image_dtype(
            tf.io.decode_png(contents, channels=4, dtype=tf.uint16), tf.float32
        )
        alpha = rgba[..., 3:]
        return rgba[..., :3] * alpha + (1.0 - alpha)

    def tiff() -> tf.Tensor:
        return tf.numpy_function(_decode_tiff, [contents], tf.float32, stateful=False)

    def other() -> tf.Tensor:
        # JPEG, BMP, GIF and WebP are 8-bit formats (WebP decodes only to uint8).
        image = tf.io.decode_image(contents, channels=3, expand_animations=False)
        return tf.image.convert_image_dtype(image, tf.float32)

    image = tf.cond(is_png, png, lambda: tf.cond(is_tiff, tiff, other))
    image.set_shape([None, None, 3])
    return image


def read_image(path: tf.Tensor) -> tf.Tensor:
    """``decode_image(tf.io.read_file(path))`` — for use inside ``Dataset.map``."""
    return decode_image(tf.io.read_file(path))


def read_image_uint8(path: tf.Tensor) -> tf.Tensor:
    """Like :func:`read_image` but uint8 ``(H, W, 3)``: a quarter of the memory in a cache.

    8-bit files decode to exactly the bytes that :func:`read_image` scales by 1/255, so
    ``convert_image_dtype(read_image_uint8(p), tf.float32) == read_image(p)`` for them; PNGs
    and TIFFs are decoded by :func:`decode_image` (alpha composited over white) and rounded
    to 8 bits.
    """
    contents = tf.io.read_file(path)
    is_png = tf.strings.substr(contents, 0, 8) == b"\x89PNG\r\n\x1a\n"
    is_tiff = _is_tiff(contents)
    image = tf.cond(
        is_png | is_tiff,
        lambda: tf.cast(tf.round(decode_image(contents) * 255.0), tf.uint8),
        lambda: tf.io.decode_image(contents, channels=3, expand_animations=False),
    )
    image.set_shape([None, None, 3])
    return image


def load_image(path: str | os.PathLike, size: int | tuple[int, int] | None = None) -> tf.Tensor:
    """Eagerly read one image file as float32 RGB ``(H, W, 3)`` in [0, 1], optionally resized.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file when
    its content cannot be decoded.
    """
    path = str(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Image file {path!r} does not exist.")
    try:
        image = read_image(tf.constant(path))
    except (tf.errors.InvalidArgumentError, tf.errors.UnknownError, ValueError) as error:
        # TensorFlow errors carry .message; a TIFF decoding error comes through as ValueError.
        reason = getattr(error, "message", str(error)).splitlines()[0]
        reason = re.sub(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\]", "", reason)
        raise ValueError(
            f"Cannot decode image file {path!r}: it is corrupt or not a JPEG/PNG/BMP/GIF/WebP/TIFF "
            f"image ({reason}). Re-save or remove it."
        ) from None
    return resize(image, size) if size is not None else image
