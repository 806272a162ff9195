"""One category end to end: train the pretext model, score the test images, evaluate."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Sequence

import keras
import numpy as np

from ssl_keras import image_files, runtime, training
from ssl_keras.anomaly.data import CategoryData, load_category
from ssl_keras.anomaly.density import (
    GaussianDensity,
    anomaly_maps,
    embed,
    fit_patch_density,
    patch_features,
)
from ssl_keras.anomaly.network import pretext_model
from ssl_keras.anomaly.pretext import PretextConfig, pretext_dataset
from ssl_keras.anomaly.scores import (
    auroc_by_defect,
    pixel_auroc,
    precision_recall,
    threshold_from_good,
)
from ssl_keras.callbacks import BestEpoch


@dataclasses.dataclass
class CategoryResult:
    """What :func:`run_category` returns: headline ``metrics``, the trained ``model`` and
    its ``history`` dict, the test ``scores`` and anomaly ``maps``."""

    metrics: dict[str, float]
    model: keras.Model
    history: dict[str, list[float]]
    scores: np.ndarray
    maps: np.ndarray


def train_pretext(
    model: keras.Model,
    data: CategoryData,
    epochs: int = 4,
    steps_per_epoch: int = 40,
    batch_size: int = 16,
    learning_rate: float = 1e-3,
    seed: int = 0,
    config: PretextConfig | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    restore_best: bool = True,
) -> keras.callbacks.History:
    """Compile ``model`` (:func:`ssl_keras.training.compile_model`: Adam, cross-entropy on
    logits, accuracy) and train it on pretext batches of ``data.train``, validating on
    pretext versions of ``data.holdout`` (three fixed transforms per image).

    A short run oscillates from epoch to epoch; ``restore_best`` (with held-out images) ends
    with the weights of the epoch with the lowest validation loss, through an EarlyStopping
    of its own unless ``callbacks`` already decide (an EarlyStopping or a
    :class:`~ssl_keras.callbacks.BestEpoch`, as ``ssl_keras.callbacks.standard`` holds).
    ``batch_size`` is the global batch; the optimizer is created under the strategy
    ``model`` was built under."""
    with runtime.scope(model):
        optimizer = keras.optimizers.Adam(learning_rate)
    training.compile_model(
        model,
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    train = pretext_dataset(data.train, batch_size, seed=seed, config=config)
    fit_args = {}
    callbacks = list(callbacks)
    if len(data.holdout):
        decided = any(isinstance(c, (keras.callbacks.EarlyStopping, BestEpoch)) for c in callbacks)
        if restore_best and not decided:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=epochs, restore_best_weights=True
                )
            )
        validation = np.concatenate([data.holdout] * 3)
        fit_args["validation_data"] = pretext_dataset(
            validation, batch_size, seed=seed + 1, config=config, repeat=False, shuffle=False
        ).cache()
    with image_files.naming_bad_files():
        return model.fit(
            train,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            callbacks=callbacks,
            verbose=0,
            **fit_args,
        )


def run_category(
    root: str | os.PathLike,
    category: str,
    size: int = 64,
    epochs: int = 8,
    steps_per_epoch: int = 40,
    batch_size: int = 16,
    learning_rate: float = 1e-3,
    depth: int = 3,
    base_filters: int = 16,
    levels: str | Sequence[str] = ("enc3", "bottleneck"),
    pooling: str = "max",
    patch_level: str = "enc3",
    holdout: float = 0.2,
    seed: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> CategoryResult:
    """Train the pretext model on one category and evaluate it: the whole notebook in a call.

    Metrics: ``image_auroc``, ``auroc_<defect type>``, ``pixel_auroc``, ``precision``,
    ``recall`` (threshold: 95th percentile of held-out good scores), ``pretext_accuracy``
    (validation), ``train_seconds`` and the image counts.
    """
    keras.utils.set_random_seed(seed)
    data = load_category(root, category, size, holdout=holdout, seed=seed)
    model = pretext_model((size, size, 3), depth=depth, base_filters=base_filters)
    start = time.perf_counter()
    history = train_pretext(
        model,
        data,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - start
    density = GaussianDensity().fit(embed(model, data.train, levels, pooling))
    scores = density.score(embed(model, data.test, levels, pooling))
    aurocs = auroc_by_defect(scores, data.labels, data.defect_types)
    metrics: dict[str, float] = {"image_auroc": aurocs.pop("overall")}
    metrics.update({f"auroc_{kind}": value for kind, value in aurocs.items()})
    if len(data.holdout):
        holdout_scores = density.score(embed(model, data.holdout, levels, pooling))
        counts = precision_recall(scores, data.labels, threshold_from_good(holdout_scores))
        metrics.update(precision=counts["precision"], recall=counts["recall"])
    patch_density = fit_patch_density(patch_features(model, data.train, patch_level), seed=seed)
    maps = anomaly_maps(patch_density, patch_features(model, data.test, patch_level), size)
    metrics["pixel_auroc"] = pixel_auroc(maps, data.masks)
    logs = history.history
    if "val_accuracy" in logs:
        metrics["pretext_accuracy"] = float(logs["val_accuracy"][int(np.argmin(logs["val_loss"]))])
    metrics.update(
        train_seconds=seconds,
        n_train=len(data.train),
        n_test_good=int((data.labels == 0).sum()),
        n_test_defect=int(data.labels.sum()),
    )
    return CategoryResult(metrics, model, dict(logs), scores, maps)
