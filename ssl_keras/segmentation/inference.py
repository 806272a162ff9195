"""Running a segmentation model: over a dataset (:func:`predict_masks`, :func:`evaluate`) and
over image files at their original size (:func:`segment_files`, the ``ssl-keras segment``
command)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import image_files, postprocess
from ssl_keras.metrics import confusion_matrix
from ssl_keras.segmentation.augment import preprocess
from ssl_keras.segmentation.scoring import Scores, scores

MIN_SIDE = 16
"""Smallest image side :func:`segment_files` accepts: a smaller image's mask would be a
blow-up of one or two model pixels."""


def head_activation(model: keras.Model) -> str:
    """Name of the output layer's activation (``"linear"`` for logits, ``"sigmoid"``, ...)."""
    layer = model.layers[-1]
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", "linear") if activation is not None else "linear"


def _probabilities(output: tf.Tensor, activation: str) -> tf.Tensor:
    """Foreground probabilities in [0, 1] from a one-channel head's ``output``, of any shape:
    as they are after a ``"sigmoid"`` head, through a sigmoid after a logits head."""
    return output if activation == "sigmoid" else tf.sigmoid(output)


def predict_masks(
    model: keras.Model, ds: tf.data.Dataset
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``model`` over batches of ``(image, mask)``; return NumPy ``(images, truth,
    output)``: images float32 ``(N, H, W, 3)``, truth int32 ``(N, H, W)``, and output
    float32 ``(N, H, W)`` foreground probabilities for a one-channel model (logits or
    sigmoid head) or int32 ``(N, H, W)`` argmax classes for a multi-channel one.

    Probabilities are returned as they are: threshold them with
    :func:`ssl_keras.postprocess.threshold`.
    """
    activation = head_activation(model)
    images, truths, outputs = [], [], []
    for image, mask in ds:
        output = model(image, training=False)
        if output.shape[-1] == 1:
            output = _probabilities(output[..., 0], activation)
        else:
            output = tf.argmax(output, axis=-1, output_type=tf.int32)
        images.append(image.numpy())
        truths.append(tf.cast(mask[..., 0], tf.int32).numpy())
        outputs.append(output.numpy())
    if not images:
        raise ValueError("The dataset is empty: nothing to predict.")
    return np.concatenate(images), np.concatenate(truths), np.concatenate(outputs)


def evaluate(
    model: keras.Model, ds: tf.data.Dataset, n_classes: int, ignore_class: int | None = None
) -> Scores:
    """Per-class IoU, mean IoU and pixel accuracy of a multi-class model on batches of
    ``(image, mask)``; ``ignore_class`` pixels (void) are not counted."""
    matrix = np.zeros((n_classes, n_classes), np.int64)
    for image, mask in ds:
        predicted = tf.argmax(model(image, training=False), axis=-1, output_type=tf.int32)
        matrix += confusion_matrix(mask.numpy(), predicted.numpy(), n_classes, ignore_class)
    return scores(matrix)


# ------------------------------------------------------------------------- image files


def load_foreground_model(
    path: str | os.PathLike, size: Sequence[int] | None = None
) -> tuple[keras.Model, tuple[int, int], str]:
    """Load a saved foreground model; return ``(model, (H, W) of its input, head activation)``.

    The model must map one RGB image ``(None, H, W, 3)`` to one channel of the same height
    and width (logits or sigmoid). ``size`` gives ``(H, W)`` for a model that accepts any
    size; for a model of fixed size it must match. ``ValueError`` saying what is wrong.
    """
    import ssl_keras.layers  # noqa: F401  (registers the U-Net layers for loading)
    import ssl_keras.losses  # noqa: F401

    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001  (any failure here means "not a usable model")
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"cannot load model {str(path)!r}: {reason[:200]}. Pass a .keras file saved with "
            "model.save()."
        ) from None
    input_shape = tuple(model.input_shape) if not isinstance(model.input_shape, list) else None
    output_shape = tuple(model.output_shape) if not isinstance(model.output_shape, list) else None
    if input_shape is None or len(input_shape) != 4 or input_shape[-1] != 3:
        raise ValueError(
            f"model {str(path)!r} takes input {model.input_shape}; segment needs one RGB image "
            "input of shape (None, H, W, 3)."
        )
    if output_shape is None or len(output_shape) != 4 or output_shape[-1] != 1:
        raise ValueError(
            f"model {str(path)!r} has output shape {model.output_shape}; segment needs a "
            "foreground model with one output channel, (None, H, W, 1)."
        )
    height, width = input_shape[1:3]
    if size is not None:
        if (height, width) != (None, None) and tuple(size) != (height, width):
            raise ValueError(
                f"--size {size[0]} {size[1]} does not match the model's input size "
                f"{height} {width}; leave --size out."
            )
        height, width = size
    if height is None or width is None:
        raise ValueError(
            f"model {str(path)!r} accepts any input size, so the training size is unknown; "
            "pass it with --size H W."
        )
    if output_shape[1:3] not in ((height, width), (None, None)):
        raise ValueError(
            f"model {str(path)!r} maps {input_shape} to {output_shape}; segment needs an output "
            "of the input's height and width."
        )
    return model, (int(height), int(width)), head_activation(model)


def input_files(path: str | os.PathLike) -> list[str]:
    """The image files to segment: ``path`` itself or every image file in the folder
    ``path``, each checked to be an image; two with one stem (they would write the same
    output files) are refused, naming both."""
    files = image_files.input_image_files(path, prefix="input ")
    stems: dict[str, str] = {}
    for file in files:
        stem = Path(file).stem
        if stem in stems:
            raise ValueError(
                f"{stems[stem]!r} and {file!r} would write the same output files "
                f"({stem}_mask.png, ...); rename one of them."
            )
        stems[stem] = file
    return files


def foreground_mask(
    model: keras.Model,
    image: tf.Tensor,
    size: tuple[int, int],
    activation: str,
    threshold: float = 0.5,
    clean: bool = True,
) -> np.ndarray:
    """bool ``(H, W)`` foreground of one float32 RGB image ``(H, W, 3)`` at its own size:
    :func:`preprocess` to the model's ``size``, foreground probabilities resized back
    bilinearly, thresholded, and (``clean``) cleaned by :func:`ssl_keras.postprocess.clean`
    with its sizes scaled from the model's resolution to the image's."""
    height, width = (int(s) for s in image.shape[:2])
    output = _probabilities(model(preprocess(image, size)[None], training=False), activation)
    probabilities = tf.image.resize(output, (height, width), method="bilinear", antialias=True)
    probabilities = np.clip(probabilities[0, ..., 0].numpy(), 0.0, 1.0)
    if clean:
        return postprocess.clean(probabilities, threshold, scale=min(height, width) / min(size))
    return postprocess.threshold(probabilities, threshold)


class SegmentedFile(NamedTuple):
    """What :func:`segment_files` did with one input file."""

    source: str
    width: int
    height: int
    foreground: float  # share of the pixels, in [0, 1]
    written: list[str]  # <stem>_mask.png, <stem>_overlay.png, <stem>_cutout.png


def segment_files(
    input_path: str | os.PathLike,
    model_path: str | os.PathLike,
    output: str | os.PathLike,
    threshold: float = 0.5,
    clean: bool = True,
    size: Sequence[int] | None = None,
) -> Iterator[SegmentedFile]:
    """Segment one image file or every image in a folder, writing per image, at its original
    size, ``<stem>_mask.png`` (0/255 gray), ``<stem>_overlay.png`` (the mask tinted over the
    image, outlined) and ``<stem>_cutout.png`` (RGBA, background transparent) into the folder
    ``output``; yields a :class:`SegmentedFile` after each image.

    The inputs are checked (:func:`input_files`) and the model loaded
    (:func:`load_foreground_model`) before any image is decoded; then the images stream, one
    in memory at a time, each file written under a temporary name and renamed when complete
    (:func:`ssl_keras.image_files.write_image`), so an interrupted run leaves only complete
    files. An image under :data:`MIN_SIDE` pixels a side raises ``ValueError`` naming it.
    """
    files = input_files(input_path)
    model, model_size, activation = load_foreground_model(model_path, size)
    folder = Path(output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot create output folder {str(folder)!r}: {error}.") from None
    for file in files:
        image = image_files.load_image(file)
        height, width = (int(s) for s in image.shape[:2])
        if min(height, width) < MIN_SIDE:
            raise ValueError(
                f"{file!r} is {width}x{height} px; segment needs at least {MIN_SIDE} px "
                "a side (a mask of fewer pixels would be a blow-up of one or two model pixels). "
                "Remove the file or pass a larger image."
            )
        mask = foreground_mask(model, image, model_size, activation, threshold, clean)
        pixels = np.round(image.numpy() * 255).astype(np.uint8)
        stem = Path(file).stem
        outputs = {
            "mask": mask.astype(np.uint8) * 255,
            "overlay": postprocess.overlay(pixels, mask.astype(np.int32)),
            "cutout": postprocess.cutout(pixels, mask),
        }
        written = []
        for kind, content in outputs.items():
            target = folder / f"{stem}_{kind}.png"
            image_files.write_image(target, content)
            written.append(str(target))
        yield SegmentedFile(file, width, height, float(mask.mean()), written)
