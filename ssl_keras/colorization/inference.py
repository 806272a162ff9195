"""Colorizing images at their own resolution, loading a saved colorizer, and colorizing
image files (the ``ssl-keras colorize`` command)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import color, image_files
from ssl_keras._checks import as_image_tensor
from ssl_keras.colorization.backbone import MIN_SIDE


def model_size(model: keras.Model) -> tuple[int | None, int | None]:
    """The ``(height, width)`` the model was built for (``None`` where any size works)."""
    shape = tuple(model.inputs[0].shape)
    if len(shape) != 4 or shape[-1] != 1 or tuple(model.outputs[0].shape)[-1:] != (2,):
        raise ValueError(
            f"Model {model.name!r} maps {shape} to {tuple(model.outputs[0].shape)}; a "
            "colorizer maps L (N, H, W, 1) to ab (N, H, W, 2). Build it with colorizer()."
        )
    return shape[1], shape[2]


def colorize(model: keras.Model, images, batch_size: int = 16) -> np.ndarray:
    """Colorize images at their own resolution.

    Each image's L is resized to the model's input size, ab is predicted there, upsampled
    bilinearly to the image's size and combined with the image's full-resolution L, so fine
    detail (edges, text) comes from the original, only the color is at model resolution.

    Args:
        model: a colorizer (see :func:`colorizer`).
        images: float RGB ``(H, W, 3)`` or ``(N, H, W, 3)`` in [0, 1]; color or gray (the
            color is ignored: only L is used). A list of differently sized images works too.
        batch_size: images per model call.

    Returns:
        float32 RGB in [0, 1], same shape(s) as ``images`` (a list for a list).
    """
    if isinstance(images, (list, tuple)):
        return [colorize(model, image, batch_size) for image in images]
    images = as_image_tensor(images, "images")
    single = images.shape.rank == 3
    if single:
        images = images[None]
    if images.shape[-1] != 3:
        raise ValueError(f"images must be RGB (…, 3), got shape {tuple(images.shape)}.")
    height, width = int(images.shape[1]), int(images.shape[2])
    if min(height, width) < MIN_SIDE:
        raise ValueError(
            f"Image of {width}×{height} pixels is too small to colorize: each side must be "
            f"≥ {MIN_SIDE} pixels. Upscale it first."
        )
    target_h, target_w = model_size(model)
    target = (target_h or height, target_w or width)
    rows = _strip_rows(width, int(images.shape[0]))
    # Colour conversions run strip by strip: on a 24-megapixel photo the whole-image
    # conversion's temporaries took ~20× the image's float size (5.7 GB peak).
    lightness = np.concatenate(
        [
            color.rgb_to_lab(images[:, r : r + rows])[..., :1].numpy()
            for r in range(0, height, rows)
        ],
        axis=1,
    )
    small = lightness
    if target != (height, width):
        small = tf.image.resize(lightness, target, method="bilinear", antialias=True)
        small = tf.clip_by_value(small, 0.0, 100.0)
    ab = np.concatenate(
        [
            np.asarray(model(small[i : i + batch_size], training=False))
            for i in range(0, int(small.shape[0]), batch_size)
        ]
    )
    if target != (height, width):
        ab = tf.image.resize(ab, (height, width), method="bilinear").numpy()
    rgb = np.empty((*lightness.shape[:3], 3), np.float32)
    for r in range(0, height, rows):
        rgb[:, r : r + rows] = color.lab_parts_to_rgb(
            lightness[:, r : r + rows], ab[:, r : r + rows]
        ).numpy()
    return rgb[0] if single else rgb


STRIP_PIXELS = 1 << 20  # pixels per colour-conversion strip in colorize()


def _strip_rows(width: int, count: int) -> int:
    """Rows per strip so that ``count`` images' strips hold about :data:`STRIP_PIXELS`."""
    return max(1, STRIP_PIXELS // max(1, width * count))


def load_colorizer(path: str | os.PathLike) -> keras.Model:
    """Load a colorizer saved with ``model.save("….keras")``; clear errors for a missing file
    or one that is not a saved colorizer."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"Model file {str(path)!r} does not exist. Train one in notebook 05 "
            "(it saves artifacts/colorizer/colorizer.keras) or pass the right path."
        )
    if path.suffix != ".keras":
        raise ValueError(f"Model file {str(path)!r} must be a Keras 3 '.keras' file.")
    try:
        model = keras.saving.load_model(str(path), compile=False)
    except Exception as error:  # zip, JSON or deserialization errors of many kinds
        raise ValueError(
            f"Cannot load model {str(path)!r}: {type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}. Is it a colorizer saved "
            "with model.save('….keras')?"
        ) from None
    model_size(model)
    return model


def _write_rgb(path: Path, rgb: np.ndarray) -> None:
    """Float RGB to ``path`` (:func:`ssl_keras.image_files.write_image`), clipped to [0, 1]
    first: the Lab → RGB conversion can step slightly outside it."""
    image_files.write_image(path, np.clip(rgb, 0.0, 1.0))


def _output_name(source: str) -> str:
    stem = Path(source).stem
    return f"{stem}.png"


def _folder_targets(files: Sequence[str], output: Path) -> list[Path]:
    """``output / <stem>.png`` per file; two files that would write one name (``x.jpg`` and
    ``x.png``, or names that differ only in case, which case-insensitive disks merge) are
    refused, naming both."""
    targets, seen = [], {}
    for file in files:
        target = output / _output_name(file)
        key = target.name.casefold()
        if key in seen:
            raise ValueError(
                f"{seen[key]!r} and {file!r} would both be written to {str(target)!r}; rename "
                "one of them (or move it to another folder) and run again."
            )
        seen[key] = file
        targets.append(target)
    return targets


def colorize_files(
    input_path: str | os.PathLike, model_path: str | os.PathLike, output: str | os.PathLike
) -> list[str]:
    """Colorize one image file or every image in a folder; return the written paths.

    A file goes to ``output`` (its extension picks PNG or JPEG); a folder goes to the folder
    ``output`` as ``<name>.png``. Inputs may be gray, RGB, RGBA (composited over white), 8- or
    16-bit. Before any image is decoded, every input is checked to be an image and the output
    names are compared (two inputs that would write one file are refused, naming both). Then
    the images stream: each is decoded, colorized and written before the next is read, so
    memory holds one image at a time, and each file is written under a temporary name and
    renamed when complete, so an interrupted or failed run leaves only complete files (those
    of the images finished before it stopped). An image under :data:`MIN_SIDE` pixels a side
    raises ``ValueError`` naming its file.
    """
    source, output = Path(input_path), Path(output)
    if not source.exists():
        raise FileNotFoundError(f"Input {str(source)!r} does not exist.")
    files = image_files.input_image_files(source)
    if source.is_dir():
        if output.exists() and not output.is_dir():
            raise ValueError(
                f"Input is a folder, so --output must be a folder; {str(output)!r} is a file."
            )
        targets = _folder_targets(files, output)
    else:
        if output.is_dir():
            raise ValueError(
                f"--output {str(output)!r} is a folder; give a file name such as out.png."
            )
        if output.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise ValueError(f"--output {str(output)!r} must end in .png, .jpg or .jpeg.")
        targets = [output]
    model = load_colorizer(model_path)
    parent = output if source.is_dir() else output.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"Cannot write into {str(parent)!r}: {error}.") from None
    written = []
    for file, target in zip(files, targets, strict=True):
        image = image_files.load_image(file).numpy()
        if min(image.shape[:2]) < MIN_SIDE:  # colorize() says so too, without the file name
            raise ValueError(
                f"{file!r} is {image.shape[1]}×{image.shape[0]} pixels, too small to colorize: "
                f"each side must be ≥ {MIN_SIDE} pixels. Upscale it or remove it."
            )
        _write_rgb(target, colorize(model, image))
        written.append(str(target))
    return written
