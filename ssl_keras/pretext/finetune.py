"""The second downstream protocol of the pretext comparison: a short fine-tune.

The linear probe (:mod:`~ssl_keras.pretext.probe`) asks what a frozen encoder already
carries; a fine-tune asks how good a starting point it is. Every arm gets the same
classifier — its encoder cut at one level, the mean and standard deviation of each channel
(:class:`~ssl_keras.layers.MeanStdPooling2D`), standardisation with the statistics of the
arm's own features on the whole training pool (no labels), and a linear layer to one logit
per class — trained end to end for a fixed number of Adam steps (cosine decay) on the
labeled subset. BatchNorm stays frozen, in inference mode, so a few labeled images do not
overwrite the pretraining statistics. There is nothing to early-stop on with five labels
per class, so the schedule is fixed and the same for every arm.

:class:`FineTuner` builds and compiles that classifier once. Each run copies an arm's
encoder blocks in (:func:`ssl_keras.models.load_encoder_weights`), adapts the
standardisation, draws a fresh head from the run's seed and zeroes the optimizer state, so
Keras traces the training step once for all arms and seeds: a trace costs seconds, a run of
a few dozen steps less than one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf
from sklearn.metrics import balanced_accuracy_score

from ssl_keras import layers, models, pipelines, runtime, training
from ssl_keras._checks import check_int
from ssl_keras.pretext.probe import arm_models
from ssl_keras.pretext.tasks import PretextBudget, untrained_unet
from ssl_keras.transfer import probe_features, repeated_batches, sample_per_class


@dataclasses.dataclass(frozen=True)
class FineTuneBudget:
    """Every fine-tune run: ``steps`` Adam steps from ``learning_rate`` with cosine decay, on
    batches of ``batch_size`` labeled images drawn with replacement across passes."""

    steps: int = 60
    batch_size: int = 16
    learning_rate: float = 1e-3

    def __post_init__(self):
        check_int(self.steps, "FineTuneBudget.steps")
        check_int(self.batch_size, "FineTuneBudget.batch_size")
        if not float(self.learning_rate) > 0:
            raise ValueError(
                f"FineTuneBudget.learning_rate must be > 0, got {self.learning_rate!r}."
            )


class FineTuner:
    """The fine-tune classifier of U-Nets built with ``pretext_budget`` (depth, widths) on
    ``size × size`` RGB images, cut at encoder ``level``, for ``n_classes`` classes; compiled
    once. :meth:`run` fine-tunes one arm on one labeled subset."""

    def __init__(
        self,
        size: int,
        n_classes: int,
        level: int | str | None,
        pretext_budget: PretextBudget | None = None,
        budget: FineTuneBudget | None = None,
    ):
        self.n_classes = check_int(n_classes, "n_classes", low=2)
        self.level = level
        self.budget = budget or FineTuneBudget()
        template = untrained_unet(size, pretext_budget)
        with runtime.scope():
            self.encoder = models.encoder_from(template, level=level, name="finetuned_encoder")
            inputs = keras.Input(shape=tuple(template.inputs[0].shape[1:]), name="image")
            pooled = layers.MeanStdPooling2D(name="pool")(self.encoder(inputs))
            self.standardize = layers.Standardization(name="standardize")
            self.head = keras.layers.Dense(self.n_classes, dtype="float32", name="logits")
            logits = self.head(self.standardize(pooled))
            self.model = keras.Model(inputs, logits, name="finetune_classifier")
        # Pool features of each arm, computed once: id(U-Net) → (U-Net, features).
        self._pool_features: dict[int, tuple[keras.Model, np.ndarray]] = {}
        # Every encoder block trains; BatchNorm stays frozen (inference mode).
        blocks = models.find_levels(self.model, "FineTuner").blocks
        models.set_trainable_levels(self.model, len(blocks))
        with runtime.scope(self.model):
            schedule = keras.optimizers.schedules.CosineDecay(
                self.budget.learning_rate, self.budget.steps
            )
            self.optimizer = keras.optimizers.Adam(schedule)
            self.optimizer.build(self.model.trainable_variables)
        training.compile_model(
            self.model,
            optimizer=self.optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            steps_per_execution=1,
        )

    def _reset(self, unet: keras.Model, x_pool, seed: int) -> None:
        """Load ``unet``'s encoder, standardise with its pool features, draw a fresh head
        and zero the optimizer's moments and step count (the schedule starts over)."""
        source = models.encoder_from(unet, level=self.level)
        models.load_encoder_weights(self.encoder, source)
        cached = self._pool_features.get(id(unet))
        if cached is None or cached[0] is not unet or len(cached[1]) != len(x_pool):
            cached = self._pool_features[id(unet)] = (unet, probe_features(source, x_pool))
        self.standardize.set_statistics(cached[1])
        kernel = keras.initializers.GlorotUniform(seed=seed)(self.head.kernel.shape)
        self.head.kernel.assign(kernel)
        self.head.bias.assign(tf.zeros_like(self.head.bias))
        training.zero_optimizer_state(self.model)

    def run(self, unet: keras.Model, x_pool, x, y, x_test, y_test, seed: int = 0) -> float:
        """Fine-tune ``unet``'s encoder on the labeled ``x`` (float32 ``(N, S, S, 3)`` in
        [0, 1]) and ``y`` (int ``(N,)`` in ``0…n_classes − 1``) and return the balanced
        accuracy on ``x_test``, ``y_test``. ``x_pool``: the whole training pool, whose
        features set the standardisation. ``seed`` draws the head and the batch order."""
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(x):
            raise ValueError(f"y must hold one label per image: {len(x)} images, y {y.shape}.")
        if y.min() < 0 or y.max() >= self.n_classes:
            raise ValueError(
                f"Labels must lie in 0…{self.n_classes - 1} for {self.n_classes} classes, got "
                f"{int(y.min())}…{int(y.max())}."
            )
        keras.utils.set_random_seed(seed)
        self._reset(unet, x_pool, seed)
        self.model.fit(
            repeated_batches(x, y.astype(np.int32), self.budget.batch_size, seed=seed),
            steps_per_epoch=self.budget.steps,
            epochs=1,
            shuffle=False,  # the batches are shuffled by their seed already
            verbose=0,
        )
        logits = pipelines.predict(self.model, np.asarray(x_test, np.float32), 64)
        return float(balanced_accuracy_score(y_test, np.argmax(logits, axis=-1)))


def fine_tune_study(
    tuner: FineTuner,
    unets: Mapping[str, keras.Model | Sequence[keras.Model]],
    x_train,
    y_train,
    x_test,
    y_test,
    label_counts: Sequence[int],
    seeds: Sequence[int],
) -> list[dict]:
    """:meth:`FineTuner.run` for every arm of ``unets`` (name → U-Net, or one U-Net per
    seed), label count and seed; the seed draws the labeled subset of ``x_train``
    (:func:`ssl_keras.transfer.sample_per_class`), the head and the batch order. A label
    count equal to the smallest class's size trains on every labeled image. Returns rows
    ``{"method", "n_per_class", "seed", "accuracy"}`` as :func:`~ssl_keras.pretext.probe.
    probe_study` does, so :func:`~ssl_keras.pretext.probe.ranking` reads both."""
    x_train = np.asarray(x_train, np.float32)
    y_train = np.asarray(y_train)
    rows = []
    for name, arm in unets.items():
        arm = arm_models(name, arm, len(seeds))
        for n in label_counts:
            for i, seed in enumerate(seeds):
                chosen = sample_per_class(y_train, int(n), seed=int(seed))
                unet = arm[i if len(arm) > 1 else 0]
                accuracy = tuner.run(
                    unet, x_train, x_train[chosen], y_train[chosen], x_test, y_test, int(seed)
                )
                rows.append(
                    {"method": name, "n_per_class": int(n), "seed": int(seed), "accuracy": accuracy}
                )
    return rows
