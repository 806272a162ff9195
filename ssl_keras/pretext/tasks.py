"""Five pretext tasks on one encoder, one unlabeled pool and one step budget.

Each task trains the encoder of the same U-Net (:func:`ssl_keras.models.unet`, the same
depth and widths) for the same number of optimizer steps on batches of the same size drawn
from the same images; only what the network is asked to do differs:

==============  ======================================  ==========================================
task            input → target                          the lesson it comes from
==============  ======================================  ==========================================
denoising       image + Gaussian noise → image          02 (residual U-Net, mean squared error)
colorization    gray image → its Lab ``ab`` / 100       05 (a U-Net backbone, mean absolute error)
cutpaste        normal / cut-paste / scar → its class   06 (the 3-class pretext, cross-entropy)
rotation        image turned by k·90° → k               RotNet (:mod:`~ssl_keras.pretext.rotation`)
inpainting      image with hidden patches → image       context encoder / MAE
                                                        (:mod:`~ssl_keras.pretext.inpainting`)
==============  ======================================  ==========================================

The classifier tasks (cutpaste, rotation) put their head on the U-Net's encoder
(:func:`ssl_keras.models.encoder_from` shares the layers), so every task returns a U-Net
whose encoder it trained, and the downstream study cuts the features out of all of them the
same way. The decoder of a classifier task's U-Net is never trained.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import anomaly, color, image_files, models, pipelines, resizing, runtime, training
from ssl_keras._checks import as_image_tensor, check_int
from ssl_keras.pretext.inpainting import masked_batches
from ssl_keras.pretext.rotation import CLASS_NAMES, N_ROTATIONS, rotation_dataset, rotation_model

TASKS = ("denoising", "colorization", "cutpaste", "rotation", "inpainting")
AB_SCALE = 100.0  # Lab a and b lie within about ±100: the colorization target is ab / 100


@dataclasses.dataclass(frozen=True)
class PretextBudget:
    """What every pretext task gets: ``steps`` Adam steps (``learning_rate``, cosine decay)
    on batches of ``batch_size`` examples, logged over ``epochs`` equal parts, training the
    encoder of a U-Net of ``depth`` levels starting at ``base_filters`` channels.
    ``crop``: the tasks train on random ``crop × crop`` windows of the images, a new window
    every time an image is drawn (``None``: whole images); the U-Net takes any size, so its
    encoder reads whole images downstream, as notebook 02's denoiser does after training on
    crops. ``sigma`` is the denoising task's noise level (of [0, 1] images); ``patch`` and
    ``ratio`` are the inpainting task's patch side and hidden share."""

    steps: int = 400
    batch_size: int = 32
    learning_rate: float = 2e-3
    epochs: int = 4
    depth: int = 3
    base_filters: int = 16
    sigma: float = 25 / 255
    patch: int = 8
    ratio: float = 0.5
    crop: int | None = None

    def __post_init__(self):
        for field in ("steps", "batch_size", "epochs", "depth", "base_filters", "patch"):
            check_int(getattr(self, field), f"PretextBudget.{field}")
        if self.batch_size % N_ROTATIONS:
            raise ValueError(
                f"PretextBudget.batch_size must be a multiple of {N_ROTATIONS} (rotation "
                f"prediction shows each image in its four rotations), got {self.batch_size}."
            )
        if self.steps % self.epochs:
            raise ValueError(
                f"PretextBudget.steps ({self.steps}) must split into {self.epochs} equal epochs."
            )
        for field in ("learning_rate", "sigma"):
            if not float(getattr(self, field)) > 0:
                raise ValueError(
                    f"PretextBudget.{field} must be > 0, got {getattr(self, field)!r}."
                )
        if not 0.0 < float(self.ratio) < 1.0:
            raise ValueError(f"PretextBudget.ratio must be in (0, 1), got {self.ratio!r}.")
        if self.crop is not None and check_int(self.crop, "PretextBudget.crop") % 2**self.depth:
            raise ValueError(
                f"PretextBudget.crop ({self.crop}) must be a multiple of 2**depth = "
                f"{2**self.depth}, so the U-Net needs no padding while it trains."
            )


def check_task(task: str) -> str:
    """``task`` if it is one of :data:`TASKS`, else ``ValueError`` listing them."""
    if task not in TASKS:
        raise ValueError(f"Unknown pretext task {task!r}; use one of {', '.join(TASKS)}.")
    return task


def _check_images(images) -> np.ndarray:
    """The unlabeled pool as float32 ``(N, S, S, 3)`` in [0, 1]; dtype, rank and range are
    checked by :func:`ssl_keras._checks.as_image_tensor`, the square RGB shape here."""
    array = as_image_tensor(images).numpy()
    if array.ndim != 4 or array.shape[-1] != 3 or array.shape[1] != array.shape[2]:
        raise ValueError(
            "images must be float (N, S, S, 3) RGB arrays in [0, 1] with square sides, got "
            f"shape {array.shape}."
        )
    if len(array) == 0:
        raise ValueError("images is empty: pass the unlabeled pool.")
    return array


def gray_and_ab(images) -> tuple[tf.Tensor, tf.Tensor]:
    """The colorization example of RGB ``images`` (float32 ``(..., 3)`` in [0, 1]): the gray
    image of their lightness, repeated to three channels (:func:`ssl_keras.color.
    lightness_to_gray`, so the encoder sees the same kind of input as in the other tasks),
    and their Lab ``ab`` divided by :data:`AB_SCALE`."""
    lightness, ab = color.split_lab(images)
    gray = color.lightness_to_gray(lightness)
    return tf.concat([gray, gray, gray], axis=-1), ab / AB_SCALE


def pretext_batches(task: str, images, budget: PretextBudget, seed: int = 0) -> tf.data.Dataset:
    """The endless, seeded training batches of ``task`` drawn from ``images`` (float32
    ``(N, S, S, 3)`` in [0, 1]): ``(input, target)`` pairs, or ``(input, target, weights)``
    for inpainting."""
    check_task(task)
    return _batches(task, _check_images(images), budget, seed)


def _batches(task: str, array: np.ndarray, budget: PretextBudget, seed: int) -> tf.data.Dataset:
    """:func:`pretext_batches` of a checked pool: one shuffled, endless stream of images (or
    of random crops of them, a new window per draw) that every task batches and transforms."""
    if budget.crop is not None and budget.crop > array.shape[1]:
        raise ValueError(
            f"PretextBudget.crop ({budget.crop}) is larger than the images "
            f"({array.shape[1]}×{array.shape[2]}); lower it or pass crop=None."
        )
    stream = tf.data.Dataset.from_tensor_slices(array)
    stream = stream.shuffle(len(array), seed=seed, reshuffle_each_iteration=True).repeat()
    if budget.crop is not None:
        seeds = pipelines.element_seeds(seed + 1)
        stream = resizing.map_to_size(stream, budget.crop, "random_crop", seeds)
    size = budget.batch_size
    if task == "cutpaste":
        return anomaly.pretext_dataset(stream, size, seed=seed, shuffle=False)
    if task == "rotation":
        return rotation_dataset(stream, size, seed=seed, shuffle=False)
    if task == "inpainting":
        return masked_batches(stream, size, seed, budget.patch, budget.ratio, shuffle=False)
    if task == "denoising":
        return pipelines.noisy_batches(stream, size, "gaussian", budget.sigma, seed)
    batches = pipelines.batch(stream, size, seed=seed, drop_remainder=True, prefetch=False)
    return batches.map(gray_and_ab, num_parallel_calls=pipelines.AUTOTUNE).prefetch(
        pipelines.AUTOTUNE
    )


def _side(size: int, budget: PretextBudget) -> int | None:
    """The U-Net's input side: any size (``None``) when the tasks train on crops, so the
    encoder reads whole images later; else the images' side."""
    return None if budget.crop is not None else size


def _unet(task: str, side: int | None, budget: PretextBudget) -> keras.Model:
    outputs = {"denoising": (3, None), "colorization": (2, None), "inpainting": (3, "sigmoid")}
    channels, activation = outputs.get(task, (3, None))
    unet = models.unet(
        (side, side, 3),
        depth=budget.depth,
        base_filters=budget.base_filters,
        output_channels=channels,
        output_activation=activation,
        residual=task == "denoising",
        bn_momentum=0.9,
        name=f"{task}_unet",
    )
    if task == "denoising":  # the identity at the start, as 02's denoiser
        head = unet.get_layer("head")
        head.kernel.assign(tf.zeros_like(head.kernel))
    return unet


def pretext_network(task: str, size: int, budget: PretextBudget) -> tuple[keras.Model, keras.Model]:
    """``(model to train, U-Net)`` for ``task`` on ``size × size`` RGB images (any size when
    ``budget.crop`` is set), built under :func:`ssl_keras.runtime.scope`: the U-Net itself
    for the image-to-image tasks, a classifier on its shared encoder for cutpaste (the
    3-class :func:`ssl_keras.anomaly.pretext_model`) and rotation (:func:`rotation_model`)."""
    check_task(task)
    side = _side(size, budget)
    with runtime.scope():
        unet = _unet(task, side, budget)
        encoder = models.encoder_from(unet)
        if task == "cutpaste":
            return anomaly.pretext_model((side, side, 3), encoder, name="cutpaste_classifier"), unet
        if task == "rotation":
            return rotation_model((side, side, 3), encoder, name="rotation_classifier"), unet
    return unet, unet


def _loss(task: str):
    if task in ("cutpaste", "rotation"):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"]
    return ("mean_absolute_error" if task == "colorization" else "mean_squared_error"), None


def train_pretext(
    task: str, images, budget: PretextBudget | None = None, seed: int = 0, verbose: int = 0
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train ``task`` on the unlabeled ``images`` (float32 ``(N, S, S, 3)`` in [0, 1]) for
    exactly ``budget.steps`` steps, seeded by ``seed`` (initial weights and data stream).

    Returns ``(U-Net, history)``: the U-Net whose encoder the task trained (cut it out with
    :func:`ssl_keras.models.encoder_from`) and the per-epoch training loss (and accuracy for
    the classifier tasks). Compiled through :func:`ssl_keras.training.compile_model`."""
    check_task(task)
    return _train(task, _check_images(images), budget or PretextBudget(), seed, verbose)


def _train(task: str, array: np.ndarray, budget: PretextBudget, seed: int, verbose: int):
    keras.utils.set_random_seed(seed)
    model, unet = pretext_network(task, array.shape[1], budget)
    with runtime.scope(model):
        schedule = keras.optimizers.schedules.CosineDecay(budget.learning_rate, budget.steps)
        optimizer = keras.optimizers.Adam(schedule)
    loss, metrics = _loss(task)
    training.compile_model(model, optimizer=optimizer, loss=loss, metrics=metrics)
    with image_files.naming_bad_files():
        history = model.fit(
            _batches(task, array, budget, seed),
            epochs=budget.epochs,
            steps_per_epoch=budget.steps // budget.epochs,
            verbose=verbose,
        )
    return unet, history.history


def untrained_unet(size: int, budget: PretextBudget | None = None, seed: int = 0) -> keras.Model:
    """The random-initialisation arm: the same U-Net, built with ``seed`` and not trained."""
    budget = budget or PretextBudget()
    keras.utils.set_random_seed(seed)
    with runtime.scope():
        return _unet("random", _side(size, budget), budget)


def _fingerprint(task: str, array: np.ndarray, budget: PretextBudget, seed: int) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]
    settings = dataclasses.asdict(budget) | {"task": task, "seed": seed, "images": digest}
    settings["shape"] = list(array.shape)
    return json.dumps(settings, sort_keys=True)


def load_or_train(
    task: str,
    images,
    folder: str | os.PathLike,
    budget: PretextBudget | None = None,
    seed: int = 0,
    verbose: int = 0,
) -> tuple[keras.Model, bool]:
    """:func:`train_pretext`, cached: ``folder/<task>_seed<seed>.keras`` is reused when its
    ``.json`` beside it records the same task, seed, budget and images (a hash of their
    pixels); otherwise the task is trained and both files are written. Returns ``(U-Net,
    trained now?)``; ``task="random"`` caches :func:`untrained_unet` the same way."""
    if task != "random":
        check_task(task)
    budget = budget or PretextBudget()
    array = _check_images(images)
    folder = Path(folder)
    path = folder / f"{task}_seed{seed}.keras"
    record = path.with_suffix(".json")
    wanted = _fingerprint(task, array, budget, seed)
    if path.is_file() and record.is_file() and record.read_text(encoding="utf-8") == wanted:
        with runtime.scope():
            return keras.models.load_model(path), False
    if task == "random":
        unet = untrained_unet(array.shape[1], budget, seed)
    else:
        unet, _ = _train(task, array, budget, seed, verbose)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{path.name}.{os.getpid()}.partial.keras"
    unet.save(partial)
    os.replace(partial, path)  # an interrupted save never leaves a half-written model
    record.write_text(wanted, encoding="utf-8")
    return unet, True


def examples(
    task: str, images, budget: PretextBudget, n: int = 4, seed: int = 0
) -> list[tuple[np.ndarray, str]]:
    """``n`` training examples of ``task`` from ``images`` (float32 ``(N, S, S, 3)`` in
    [0, 1]) as ``(image, caption)`` cells to show (:func:`ssl_keras.viz.captioned_rows`):
    input and target images for the image-to-image tasks (colorization's target as the
    colour image it encodes), the input captioned with its class for the classifier tasks."""
    check_task(task)
    n = check_int(n, "n")
    batch = next(iter(_batches(task, _check_images(images), budget, seed)))
    inputs, targets = np.asarray(batch[0], np.float32), np.asarray(batch[1])
    if len(inputs) < n:
        raise ValueError(f"A batch holds {len(inputs)} examples, fewer than n={n}.")
    if task in ("cutpaste", "rotation"):
        names = anomaly.CLASS_NAMES if task == "cutpaste" else CLASS_NAMES
        # Cycle through the classes: a rotation batch holds the whole batch turned by 0°,
        # then by 90°, …, so this shows each image in its four rotations.
        queues = [list(np.flatnonzero(targets == k)) for k in range(len(names))]
        picks: list[int] = []
        while len(picks) < n:
            picks += [queue.pop(0) for queue in queues if queue][: n - len(picks)]
        return [(inputs[i], names[int(targets[i])]) for i in picks]
    if task == "colorization":
        lightness, _ = color.split_lab(inputs)
        targets = color.lab_parts_to_rgb(lightness, targets * AB_SCALE).numpy()
    captions = {
        "denoising": ("noisy input", "clean target"),
        "colorization": ("gray input", "colour target"),
        "inpainting": ("hidden patches", "whole target"),
    }[task]
    cells = []
    for i in range(n // 2 if n > 1 else 1):
        cells += [(inputs[i], captions[0]), (np.clip(targets[i], 0.0, 1.0), captions[1])]
    return cells[:n]
