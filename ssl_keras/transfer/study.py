"""The label-efficiency study: SSL-pretrained encoder vs the same architecture from scratch
vs logistic regression on raw pixels, several label counts and seeds, and its summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import layers, pipelines, report, runtime, training
from ssl_keras.transfer.data import repeated_batches, sample_per_class
from ssl_keras.transfer.features import _head, _head_layers, probe_features

METHODS = ("SSL (frozen)", "scratch", "logistic regression")


def augmenter(seed: int = 0) -> keras.Sequential:
    """Label-preserving augmentation as Keras layers, active only in training: horizontal
    flips, rotations up to ±36°, zoom and shifts up to ±15 % / ±10 % (edges reflected).
    Maps float32 ``(N, H, W, 3)`` in [0, 1] to the same shape and range."""
    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal", seed=seed),
            keras.layers.RandomRotation(0.1, fill_mode="reflect", seed=seed + 1),
            keras.layers.RandomZoom(0.15, fill_mode="reflect", seed=seed + 2),
            keras.layers.RandomTranslation(0.1, 0.1, fill_mode="reflect", seed=seed + 3),
        ],
        name="augment",
    )


def _rng_states(model: keras.Model) -> list:
    """The seed-generator state variables of ``model``'s layers (Dropout, augmentation)."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


@dataclasses.dataclass(frozen=True)
class Budget:
    """How every Keras arm of the study trains: epochs of :meth:`steps` steps on the repeated,
    shuffled labeled subset, at most ``max_epochs``, stopped when the validation loss has not
    improved for ``patience`` epochs, best weights restored. An epoch has at least
    ``min_steps`` steps, so with ten labeled images early stopping judges more than one
    update at a time. Adam's ``learning_rate`` trains networks end to end (the scratch arm);
    ``head_learning_rate`` trains a head on frozen features (stage 1, the SSL arm), where a
    linear layer on standardised features needs larger steps to converge within the epochs."""

    max_epochs: int = 40
    patience: int = 8
    batch_size: int = 16
    learning_rate: float = 1e-3
    min_steps: int = 10
    head_learning_rate: float = 1e-2

    def __post_init__(self):
        for field in ("max_epochs", "patience", "batch_size", "min_steps"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Budget.{field} must be an int ≥ 1, got {value!r}.")
        for field in ("learning_rate", "head_learning_rate"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"Budget.{field} must be a number > 0, got {value!r}.")

    def steps(self, n_examples: int) -> int:
        """Steps per epoch for ``n_examples`` labeled images: one pass, at least
        ``min_steps``."""
        return max(self.min_steps, int(n_examples) // self.batch_size)


class _Resettable:
    """A compiled model plus a factory of fresh initial weights: ``fit_predict`` resets the
    weights, random states and optimizer instead of building and tracing a new model. Built
    and compiled under :func:`ssl_keras.runtime.scope`."""

    def __init__(self, build: Callable[[], keras.Model], learning_rate: float):
        self.build = build
        with runtime.scope():
            self.model = build()
            optimizer = keras.optimizers.Adam(learning_rate)
        training.compile_model(
            self.model,
            optimizer=optimizer,
            loss="binary_crossentropy",
            metrics=["accuracy"],
            steps_per_execution=1,
        )

    def reset(self, seed: int) -> None:
        keras.utils.set_random_seed(seed)
        fresh = self.build()
        training.restart(self.model, fresh.get_weights())
        # Random layers keep their state in variables that are not weights: reset them too.
        for target, source in zip(_rng_states(self.model), _rng_states(fresh), strict=True):
            target.assign(source)

    def fit_predict(
        self, x, y, validation: tuple, x_test, budget: Budget, seed: int
    ) -> tuple[np.ndarray, int, int]:
        """Train from fresh weights; return ``(P(class 1) on x_test, restored epoch, epochs
        run)`` (epochs count from 1)."""
        self.reset(seed)
        stop = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=budget.patience, restore_best_weights=True
        )
        history = self.model.fit(
            repeated_batches(x, y, budget.batch_size, seed),
            steps_per_epoch=budget.steps(len(x)),
            epochs=budget.max_epochs,
            validation_data=validation,
            callbacks=[stop],
            verbose=0,
        )
        epochs_run = len(history.history["loss"])
        restored = int(np.argmin(history.history["val_loss"])) + 1
        return pipelines.predict(self.model, x_test, 64)[:, 0], restored, epochs_run


def raw_pixel_baseline(x, y, x_test, C: float = 0.01) -> np.ndarray:
    """Logistic regression on standardised raw pixels; returns P(class 1) for ``x_test``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    flat = np.asarray(x, np.float32).reshape(len(x), -1)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
    clf.fit(flat, np.asarray(y))
    return clf.predict_proba(np.asarray(x_test, np.float32).reshape(len(x_test), -1))[:, 1]


def label_efficiency(
    encoder: keras.Model,
    x_train,
    y_train,
    x_val,
    y_val,
    x_test,
    y_test,
    label_counts: Sequence[int],
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    budget: Budget | None = None,
    scratch_counts: Sequence[int] | None = None,
    hidden: int = 0,
    dropout: float = 0.0,
    verbose: bool = True,
) -> list[dict[str, object]]:
    """Test scores of the three :data:`METHODS` for each label count and seed (2 classes).

    Args:
        encoder: the pretrained encoder (e.g. ``models.encoder_from(denoiser, level=2)``);
            the scratch arm clones its architecture with fresh weights.
        x_train, y_train: the labeled pool, float32 ``(N, H, W, 3)`` in [0, 1], labels 0/1.
        x_val, y_val: the validation split that early stopping of both Keras arms watches.
        x_test, y_test: the test split.
        label_counts: labeled images per class, e.g. ``(10, 25, 50)``.
        seeds: one run per seed: the seed picks the labeled subset, initial weights,
            dropout and augmentation.
        budget: how the Keras arms train (:class:`Budget`; the same for both).
        scratch_counts: the label counts at which the scratch arm runs (``None``: all). It
            is the expensive arm: every epoch trains the whole encoder.
        hidden, dropout: the head of both Keras arms
            (:func:`~ssl_keras.transfer.features.probe_classifier`; ``hidden=0`` is a linear
            head).
        verbose: print one line per label count (mean balanced accuracy over seeds).

    Returns:
        Rows ``{"method", "n_per_class", "seed", "accuracy", "balanced_accuracy",
        "restored_epoch", "epochs"}`` (the epochs are 0 for logistic regression). The
        balanced accuracy (scikit-learn's ``balanced_accuracy_score``, the mean of the
        per-class recalls) is 0.5 for any constant answer, whatever the class balance.
    """
    from sklearn.metrics import balanced_accuracy_score

    budget = budget or Budget()
    y_train = np.asarray(y_train).astype(np.int32)
    y_val = np.asarray(y_val).astype(np.int32)
    y_test = np.asarray(y_test).astype(np.int32)
    classes = np.unique(y_train)
    if len(classes) != 2:
        raise ValueError(f"label_efficiency needs 2 classes, got labels {classes.tolist()}.")
    counts = [int(c) for c in label_counts]
    most = int(np.min(np.bincount(y_train)))
    if not counts or min(counts) < 1 or max(counts) > most:
        raise ValueError(
            f"label_counts must be ints in 1…{most} (the smallest class), got {list(label_counts)}."
        )
    scratch_at = set(counts if scratch_counts is None else (int(c) for c in scratch_counts))
    if not scratch_at <= set(counts):
        raise ValueError(
            f"scratch_counts {sorted(scratch_at)} must be among label_counts {counts}."
        )
    # Batch by batch: only the pooled (N, 2·C) features are kept, never all feature maps.
    features = {
        split: probe_features(encoder, images)
        for split, images in (("train", x_train), ("val", x_val), ("test", x_test))
    }

    def build_scratch() -> keras.Model:
        inputs = keras.Input(shape=tuple(encoder.inputs[0].shape[1:]), name="image")
        fresh = keras.models.clone_model(encoder)
        x = layers.MeanStdPooling2D(name="pool")(fresh(augmenter()(inputs)))
        return keras.Model(inputs, _head_layers(x, hidden, dropout), name="scratch_classifier")

    # Random layers draw their seeds when built: fix them, so the same arguments give the
    # same rows (each run then resets weights, random states, optimizer and global seed).
    keras.utils.set_random_seed(int(seeds[0]) if len(seeds) else 0)
    ssl_head = _Resettable(
        lambda: _head(features["train"].shape[1], hidden, dropout), budget.head_learning_rate
    )
    scratch = _Resettable(build_scratch, budget.learning_rate)
    validation_images = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(64).cache()
    rows: list[dict[str, object]] = []
    for n in counts:
        for seed in seeds:
            subset = sample_per_class(y_train, n, seed)
            mean = features["train"][subset].mean(axis=0)
            scale = features["train"][subset].std(axis=0) + 1e-6
            standard = {split: (f - mean) / scale for split, f in features.items()}
            runs = {
                "SSL (frozen)": ssl_head.fit_predict(
                    standard["train"][subset],
                    y_train[subset],
                    (standard["val"], y_val),
                    standard["test"],
                    budget,
                    seed,
                )
            }
            if n in scratch_at:
                runs["scratch"] = scratch.fit_predict(
                    x_train[subset], y_train[subset], validation_images, x_test, budget, seed
                )
            pixels = raw_pixel_baseline(x_train[subset], y_train[subset], x_test)
            runs["logistic regression"] = (pixels, 0, 0)
            for method in METHODS:
                if method not in runs:
                    continue
                probabilities, restored, epochs = runs[method]
                predicted = (probabilities > 0.5).astype(np.int32)
                rows.append(
                    {
                        "method": method,
                        "n_per_class": n,
                        "seed": int(seed),
                        "accuracy": float(np.mean(predicted == y_test)),
                        "balanced_accuracy": float(balanced_accuracy_score(y_test, predicted)),
                        "restored_epoch": restored,
                        "epochs": epochs,
                    }
                )
        if verbose:
            means = summarize([r for r in rows if r["n_per_class"] == n])
            parts = [f"{m} {means[m]['mean'][-1]:.3f}" for m in METHODS if m in means]
            print(f"{n:>4} labels per class: " + ", ".join(parts), flush=True)
    return rows


def summarize(
    rows: Sequence[dict[str, object]], metric: str = "balanced_accuracy"
) -> dict[str, dict[str, list[float]]]:
    """``metric`` (a score key of the rows: ``"accuracy"`` or ``"balanced_accuracy"``) over
    seeds, per method and label count: ``{method: {"counts", "mean", "std", "half"}}`` with
    the sample standard deviation and the half-width of the 95 % Student-t interval
    (:func:`ssl_keras.report.seed_stats`; needs ≥ 2 seeds)."""
    if not rows:
        raise ValueError("rows is empty: run label_efficiency first.")
    if metric not in rows[0]:
        scores = [k for k in rows[0] if k not in ("method", "n_per_class", "seed")]
        raise ValueError(f"Rows have no {metric!r}; choose one of {scores}.")
    summary: dict[str, dict[str, list[float]]] = {}
    for method in dict.fromkeys(str(r["method"]) for r in rows):
        counts = sorted({int(r["n_per_class"]) for r in rows if r["method"] == method})
        stats = [
            report.seed_stats(
                [float(r[metric]) for r in rows if r["method"] == method and r["n_per_class"] == n]
            )
            for n in counts
        ]
        summary[method] = {
            "counts": counts,
            "mean": [s.mean for s in stats],
            "std": [s.std for s in stats],
            "half": [s.half for s in stats],
        }
    return summary
