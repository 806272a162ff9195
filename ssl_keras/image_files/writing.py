"""Writing image files atomically: under a temporary name, renamed when complete."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class ImageWriteError(OSError, ValueError):
    """:func:`write_image` could not write an image file (no such folder, not writable,
    disk full, an extension OpenCV has no writer for). An ``OSError`` and also a
    ``ValueError``, so callers that catch either keep working."""


def write_image(
    path: str | os.PathLike,
    pixels: np.ndarray,
    png_compression: int | None = None,
    jpeg_quality: int | None = None,
) -> None:
    """Write gray ``(H, W)`` (or ``(H, W, 1)``), RGB or RGBA ``(H, W, 3|4)`` pixels to ``path``
    (its extension picks the format, e.g. PNG or JPEG) under a temporary name in the same
    folder, renamed when complete: ``path`` is never a half-written file, even if the run stops.

    ``pixels``: uint8 (or uint16, for formats that hold it) written as they are, or floating
    point in [0, 1], scaled to 0-255 and rounded. ``png_compression`` (zlib level 0-9) and
    ``jpeg_quality`` (0-100) apply to their format only; ``None`` keeps OpenCV's defaults.
    Raises :class:`ImageWriteError` naming ``path`` when it cannot be written, and
    ``ValueError`` for floats outside [0, 1].
    """
    import cv2

    path = Path(path)
    pixels = np.asarray(pixels)
    if np.issubdtype(pixels.dtype, np.floating):
        if pixels.size and not (
            np.all(np.isfinite(pixels)) and 0 <= pixels.min() <= pixels.max() <= 1
        ):
            raise ValueError(
                f"Float pixels for {str(path)!r} must be finite and in [0, 1], got "
                f"min={float(np.min(pixels)):.4g}, max={float(np.max(pixels)):.4g}. Divide 0-255 "
                "images by 255, clip with np.clip(x, 0, 1), or pass uint8."
            )
        pixels = np.round(pixels * 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim == 3:
        code = cv2.COLOR_RGBA2BGRA if pixels.shape[-1] == 4 else cv2.COLOR_RGB2BGR
        pixels = cv2.cvtColor(pixels, code)
    suffix = path.suffix.lower()
    params = []
    if png_compression is not None and suffix == ".png":
        params += [cv2.IMWRITE_PNG_COMPRESSION, int(png_compression)]
    if jpeg_quality is not None and suffix in (".jpg", ".jpeg"):
        params += [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]
    if not path.parent.is_dir():
        raise ImageWriteError(
            f"Could not write {str(path)!r}: {str(path.parent)!r} is not an existing folder. "
            "Create it or write elsewhere."
        )
    if not cv2.haveImageWriter(str(path)):
        raise ImageWriteError(
            f"Could not write {str(path)!r}: OpenCV has no image format for the extension "
            f"{path.suffix!r}. Use .png, .jpg, .bmp, .tif or .webp."
        )
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        if not cv2.imwrite(str(partial), pixels, params):
            raise ImageWriteError(
                f"Could not write {str(path)!r}; check that the folder is writable and the "
                "disk not full."
            )
        try:
            os.replace(partial, path)
        except OSError as error:
            raise ImageWriteError(f"Could not write {str(path)!r}: {error}.") from None
    finally:
        partial.unlink(missing_ok=True)
