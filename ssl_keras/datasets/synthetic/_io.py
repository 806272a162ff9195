"""Writing generated datasets: fixed PNG/JPEG parameters (same seed → same bytes) and
all-or-nothing folders (written next to the target, renamed into place when complete)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ssl_keras import image_files

MARKER = ".complete.json"
FORMAT_VERSION = 1
PNG_COMPRESSION = 3
JPEG_QUALITY = 92


def write_image(path: Path, image: np.ndarray) -> None:
    """Write uint8 ``(H, W)`` (gray / index) or ``(H, W, 3)`` (RGB) as PNG or JPEG by suffix,
    creating its folder, with fixed parameters (same pixels → same bytes), through
    :func:`ssl_keras.image_files.write_image`."""
    if image.dtype != np.uint8:
        raise ValueError(f"write_image needs uint8 data, got {image.dtype} for {str(path)!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    image_files.write_image(path, image, png_compression=PNG_COMPRESSION, jpeg_quality=JPEG_QUALITY)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float image in [0, 1] → uint8 (rounded, clipped)."""
    return np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)


def generate_once(
    root: str | os.PathLike,
    generator: str,
    params: dict,
    write: Callable[[Path], None],
    overwrite: bool = False,
) -> Path:
    """Run ``write(folder)`` unless ``root`` already holds a complete set with ``params``.

    The set is written into a sibling ``.<name>.partial`` folder and renamed to ``root`` only
    when complete, so an interrupted run leaves no half-written set behind and is redone.
    A ``root`` that exists but was not written by a generator is never deleted.
    """
    root = Path(root)
    record = {"generator": generator, "format_version": FORMAT_VERSION, **params}
    marker = root / MARKER
    ours = marker.is_file()
    if ours and not overwrite:
        try:
            if json.loads(marker.read_text()) == json.loads(json.dumps(record)):
                return root
        except ValueError:
            pass
    if root.exists() and not ours and any(root.iterdir()):
        raise ValueError(
            f"{str(root)!r} exists and was not written by a synthetic generator (no {MARKER}). "
            "Choose an empty or new folder; existing files are never deleted."
        )
    partial = root.parent / f".{root.name}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    write(partial)
    (partial / MARKER).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    if root.exists():
        shutil.rmtree(root)
    os.replace(partial, root)
    return root
