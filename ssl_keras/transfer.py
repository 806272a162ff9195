"""Transfer a pretrained encoder to a small labeled task, and measure when it helps.

Notebook 03's and 04's machinery: the labeled data of a profile (:func:`labeled_root`),
labeled arrays from class folders, per-level feature summaries streamed batch by batch
(:func:`feature_statistics`), per-class sampling, the label-efficiency study
(SSL-pretrained encoder vs the same architecture from scratch vs logistic regression on raw
pixels, several label counts and seeds) and its summary.

>>> x, y, names = transfer.load_split(transfer.labeled_root("smoke") / "train", size=64)
>>> rows = transfer.label_efficiency(encoder, x, y, x_test, y_test, (5, 10, 25), seeds=(0, 1, 2))
>>> transfer.summarize(rows)   # {method: {"counts", "mean", "std"}}

How the three arms are trained (the same for every label count and seed):

* **SSL (frozen)** — the pretrained encoder with frozen weights and BatchNorm in inference
  mode, global average pooling, then the head of :func:`ssl_keras.models.classifier`
  (Dense → Dropout → Dense). A frozen encoder is a fixed function, so the pooled features
  are computed once and only the head trains. They are standardised with the mean and
  standard deviation of the labeled subset, as for any linear probe: a frozen denoiser's
  channels differ in scale by orders of magnitude, and without it a few dozen steps leave
  the small but informative channels unused (accuracy near chance in the smoke study).
* **scratch** — the same encoder architecture with fresh weights and the same head, all
  trained end to end for the same number of steps.
* **logistic regression** — scikit-learn's L2-regularised logistic regression on
  standardised raw pixels: what "no features at all" reaches.

Each model is compiled once and reset to new initial weights per run (no re-tracing), and
trained for a fixed number of ``steps`` of ``batch_size`` images drawn from the repeated,
shuffled labeled set, so small label counts see as many updates as large ones. Scores are
balanced accuracies (the mean of the per-class recalls), so a test split with more of one
class cannot reward always answering that class.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import denoising, models, paths, pipelines, runtime
from ssl_keras.profiles import Profile, get_profile

METHODS = ("SSL (frozen)", "scratch", "logistic regression")


def labeled_root(profile: str | Profile | None = None) -> Path:
    """The cat-vs-turtle class folders of a profile (``train/`` and ``test/``, each with
    ``cat/`` and ``turtle/``); ``None``: the active profile.

    Offline profiles (smoke): the toy pets generated on first use
    (:func:`ssl_keras.denoising.toy_pets_root`). Download profiles (full): CIFAR-10 cats and
    CIFAR-100 turtles, written once into ``data/cifar_cats_turtles/`` by
    :func:`ssl_keras.datasets.download.cifar_cats_turtles` (offline and without the Keras
    cache it fails fast, naming the folder to fill by hand).
    """
    chosen = get_profile(profile)
    if chosen.data == "synthetic":
        return denoising.toy_pets_root(chosen)
    from ssl_keras.datasets import download

    return download.cifar_cats_turtles(paths.data_dir("cifar_cats_turtles"))


def load_split(
    root: str | os.PathLike, size: int, class_names: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read a class-folder split into memory: float32 images ``(N, size, size, 3)`` in [0, 1],
    int32 labels ``(N,)`` and the class names (see
    :func:`ssl_keras.datasets.classfolders.class_folder_dataset` for the layout and the
    errors for one class or an empty class)."""
    from ssl_keras.datasets import classfolders

    ds, names = classfolders.class_folder_dataset(root, size, class_names=class_names)
    images, labels = pipelines.to_numpy(ds.batch(64))
    return images.astype(np.float32), labels.astype(np.int32), names


def sample_per_class(labels, n_per_class: int, seed: int = 0) -> np.ndarray:
    """Indices of ``n_per_class`` examples of every class (seeded, sorted).

    Raises ``ValueError`` when a class has fewer than ``n_per_class`` examples.
    """
    labels = np.asarray(labels)
    if isinstance(n_per_class, bool) or not isinstance(n_per_class, (int, np.integer)):
        raise ValueError(f"n_per_class must be an int ≥ 1, got {n_per_class!r}.")
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be an int ≥ 1, got {n_per_class!r}.")
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < n_per_class:
            raise ValueError(
                f"Class {int(label)} has {len(members)} labeled examples, fewer than "
                f"n_per_class={n_per_class}; lower the label count or add images."
            )
        chosen.append(rng.choice(members, n_per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def split_per_class(labels, n_val_per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split indices into ``(train, val)`` with ``n_val_per_class`` validation examples per
    class (stratified, seeded)."""
    val = sample_per_class(labels, n_val_per_class, seed)
    train = np.setdiff1d(np.arange(len(labels)), val)
    return train, val


def repeated_batches(x, y, batch_size: int, seed: int = 0) -> tf.data.Dataset:
    """Shuffled ``(x, y)`` batches of exactly ``batch_size``, repeated forever (fit with
    ``steps_per_epoch``); every batch has the same shape, so one trace serves all runs."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be ≥ 1, got {batch_size}.")
    ds = tf.data.Dataset.from_tensor_slices((np.asarray(x, np.float32), np.asarray(y)))
    ds = ds.repeat().shuffle(max(len(x), batch_size) * 2, seed=seed)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def steps_per_epoch(n_examples: int, batch_size: int) -> int:
    """Full batches in one pass over ``n_examples``: ``n_examples // batch_size``.

    Raises ``ValueError`` naming both numbers when there is not even one full batch (a
    repeated dataset fitted with ``steps_per_epoch=0`` would otherwise wait forever).
    """
    for name, value in (("n_examples", n_examples), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an int ≥ 1, got {value!r}.")
    if n_examples < batch_size:
        raise ValueError(
            f"{n_examples} training examples are fewer than one batch of {batch_size}: add "
            "labeled images, or lower the batch size (the profile's batch_size)."
        )
    return int(n_examples // batch_size)


def fitting_label_counts(label_counts: Sequence[int], labels) -> tuple[int, ...]:
    """The ``label_counts`` (images per class) that every class of ``labels`` can supply:
    those ≤ the smallest class, in the given order.

    Pass the labels the study samples from (e.g. the training split after the validation
    images are taken out). Raises ``ValueError`` when none fits or ``labels`` is empty.
    """
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    if labels.size == 0:
        raise ValueError("labels is empty: there are no labeled examples to count.")
    counts = [int(c) for c in label_counts]
    if any(c < 1 for c in counts):
        raise ValueError(f"label_counts must be ints ≥ 1, got {list(label_counts)}.")
    per_class = np.bincount(labels)
    smallest = int(per_class[per_class > 0].min())
    fitting = tuple(c for c in counts if c <= smallest)
    if not fitting:
        raise ValueError(
            f"None of the label counts {counts} fits: the smallest class has {smallest} "
            f"examples (per class {per_class.tolist()}). Add images or lower the counts."
        )
    return fitting


@dataclasses.dataclass(frozen=True)
class FeatureStatistics:
    """Per-level summaries of feature maps over a set of images (:func:`feature_statistics`).

    ``pooled[level]``: float32 ``(N, C)``, each map averaged over space (global average
    pooling), in image order; ``mean_activation[level]``: the mean over all images, positions
    and channels; ``inactive_fraction[level]``: the share of activations ≤ 0, in [0, 1].
    """

    pooled: dict[str, np.ndarray]
    mean_activation: dict[str, float]
    inactive_fraction: dict[str, float]


def _image_batches(images, batch_size: int):
    if isinstance(images, tf.data.Dataset):
        for element in images:
            yield element[0] if isinstance(element, (tuple, list)) else element
        return
    array = np.asarray(images, np.float32)
    if array.ndim != 4 or len(array) == 0:
        raise ValueError(f"images must be a non-empty batch (N, H, W, C), got {array.shape}.")
    for start in range(0, len(array), batch_size):
        yield array[start : start + batch_size]


def feature_statistics(extractor: keras.Model, images, batch_size: int = 32) -> FeatureStatistics:
    """Run ``images`` through ``extractor`` batch by batch and keep only per-level summaries.

    Memory stays at one batch of feature maps plus the ``(N, C)`` pooled features, where
    keeping every map would not fit: at 128 px the five levels of a base-32 U-Net hold
    about 4 MB per image.

    Args:
        extractor: a model returning ``{level: (n, h, w, C)}`` maps
            (:func:`ssl_keras.models.feature_extractor`), or one ``(n, h, w, C)`` tensor
            (an encoder), summarised under the key ``"features"``.
        images: float32 ``(N, H, W, 3)`` in [0, 1], or a ``tf.data.Dataset`` of such batches
            (or of ``(images, labels)`` batches; labels are ignored).
        batch_size: images per forward pass for arrays (a dataset keeps its own batches).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(f"batch_size must be an int ≥ 1, got {batch_size!r}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be an int ≥ 1, got {batch_size!r}.")
    pooled: dict[str, list[np.ndarray]] = {}
    totals: dict[str, list[float]] = {}  # level → [sum, inactive count, count]
    for batch in _image_batches(images, batch_size):
        outputs = extractor.predict_on_batch(batch)
        if not isinstance(outputs, dict):
            outputs = {"features": outputs}
        for level, maps in outputs.items():
            maps = np.asarray(maps, np.float32)  # float16 under mixed precision
            pooled.setdefault(level, []).append(maps.mean(axis=(1, 2)))
            total = totals.setdefault(level, [0.0, 0.0, 0.0])
            total[0] += float(maps.sum(dtype=np.float64))
            total[1] += float(np.count_nonzero(maps <= 0))
            total[2] += maps.size
    if not pooled:
        raise ValueError("images is empty: there are no images to extract features from.")
    return FeatureStatistics(
        pooled={level: np.concatenate(parts) for level, parts in pooled.items()},
        mean_activation={level: t[0] / t[2] for level, t in totals.items()},
        inactive_fraction={level: t[1] / t[2] for level, t in totals.items()},
    )


def pooled_features(extractor: keras.Model, images, batch_size: int = 32) -> dict[str, np.ndarray]:
    """Global-average-pooled features per level, float32 ``(N, C)``, streamed batch by batch:
    ``feature_statistics(extractor, images, batch_size).pooled``."""
    return feature_statistics(extractor, images, batch_size).pooled


def _head(n_features: int, hidden: int, dropout: float, name: str) -> keras.Model:
    """The :func:`ssl_keras.models.classifier` head after pooling: Dense → Dropout → Dense."""
    inputs = keras.Input(shape=(n_features,), name="pooled_features")
    x = keras.layers.Dense(hidden, activation="relu", name="hidden")(inputs)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


def _rng_states(model: keras.Model) -> list:
    """The seed-generator state variables of ``model``'s layers (Dropout), in layer order."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


class _Resettable:
    """A compiled model plus a factory of fresh initial weights: ``run(seed)`` resets the
    weights and the optimizer state instead of building and tracing a new model. Built and
    compiled under :func:`ssl_keras.runtime.scope`."""

    def __init__(self, build: Callable[[], keras.Model], learning_rate: float):
        self.build = build
        with runtime.scope():
            self.model = build()
            self.model.compile(
                optimizer=keras.optimizers.Adam(learning_rate),
                loss="binary_crossentropy",
                metrics=["accuracy"],
            )

    def reset(self, seed: int) -> None:
        keras.utils.set_random_seed(seed)
        fresh = self.build()
        self.model.set_weights(fresh.get_weights())
        # Dropout's random state is a variable too, but not a weight: reset it as well.
        for target, source in zip(_rng_states(self.model), _rng_states(fresh), strict=True):
            target.assign(source)
        for variable in self.model.optimizer.variables:
            if not variable.path.endswith("learning_rate"):  # step count and moments
                variable.assign(tf.zeros_like(variable))

    def fit_predict(self, x, y, x_test, steps: int, batch_size: int, seed: int) -> np.ndarray:
        self.reset(seed)
        self.model.fit(
            repeated_batches(x, y, batch_size, seed), epochs=1, steps_per_epoch=steps, verbose=0
        )
        return pipelines.predict(self.model, x_test, 64)[:, 0]


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
    x_test,
    y_test,
    label_counts: Sequence[int],
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 60,
    batch_size: int = 16,
    learning_rate: float = 3e-3,
    hidden: int = 128,
    dropout: float = 0.3,
    verbose: bool = True,
) -> list[dict[str, object]]:
    """Test scores of the three :data:`METHODS` for each label count and seed (2 classes).

    Args:
        encoder: the pretrained encoder (e.g. ``models.encoder_from(denoiser, level=3)``);
            the scratch arm clones its architecture with fresh weights.
        x_train, y_train: the labeled pool, float32 ``(N, H, W, 3)`` in [0, 1], labels 0/1.
        x_test, y_test: the test split.
        label_counts: labeled images per class, e.g. ``(5, 10, 25, 50)``.
        seeds: one run per seed: the seed picks the labeled subset and initial weights.
        steps: optimizer steps per run (all arms that train with Keras).
        batch_size, learning_rate, hidden, dropout: training and head settings.
        verbose: print one line per label count (mean balanced accuracy over seeds).

    Returns:
        Rows ``{"method", "n_per_class", "seed", "accuracy", "balanced_accuracy"}``; the
        balanced accuracy (scikit-learn's ``balanced_accuracy_score``, the mean of the
        per-class recalls) is 0.5 for any constant answer, whatever the class balance.
    """
    from sklearn.metrics import balanced_accuracy_score

    y_train = np.asarray(y_train).astype(np.int32)
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
    # Streamed: only the pooled (N, C) features are kept, never all feature maps.
    (pooled_train,) = pooled_features(encoder, x_train, batch_size=64).values()
    (pooled_test,) = pooled_features(encoder, x_test, batch_size=64).values()

    def build_scratch() -> keras.Model:
        fresh = keras.models.clone_model(encoder)
        return models.classifier(fresh, hidden=hidden, dropout=dropout, freeze_encoder=False)

    # Dropout layers draw their seeds when built: fix them, so the same arguments give the
    # same rows (each run then resets weights, optimizer state and the global seed).
    keras.utils.set_random_seed(int(seeds[0]) if len(seeds) else 0)
    ssl_head = _Resettable(
        lambda: _head(pooled_train.shape[1], hidden, dropout, "ssl_head"), learning_rate
    )
    scratch = _Resettable(build_scratch, learning_rate)
    rows: list[dict[str, object]] = []
    for n in counts:
        for seed in seeds:
            subset = sample_per_class(y_train, n, seed)
            mean = pooled_train[subset].mean(axis=0)
            scale = pooled_train[subset].std(axis=0) + 1e-6
            probabilities = {
                "SSL (frozen)": ssl_head.fit_predict(
                    (pooled_train[subset] - mean) / scale,
                    y_train[subset],
                    (pooled_test - mean) / scale,
                    steps,
                    batch_size,
                    seed,
                ),
                "scratch": scratch.fit_predict(
                    x_train[subset], y_train[subset], x_test, steps, batch_size, seed
                ),
            }
            probabilities["logistic regression"] = raw_pixel_baseline(
                x_train[subset], y_train[subset], x_test
            )
            for method in METHODS:
                predicted = (probabilities[method] > 0.5).astype(np.int32)
                rows.append(
                    {
                        "method": method,
                        "n_per_class": n,
                        "seed": int(seed),
                        "accuracy": float(np.mean(predicted == y_test)),
                        "balanced_accuracy": float(balanced_accuracy_score(y_test, predicted)),
                    }
                )
        if verbose:
            means = summarize(rows)
            parts = [f"{m} {means[m]['mean'][-1]:.3f}" for m in METHODS]
            print(f"{n:>4} labels per class: " + ", ".join(parts), flush=True)
    return rows


def summarize(
    rows: Sequence[dict[str, object]], metric: str = "balanced_accuracy"
) -> dict[str, dict[str, list[float]]]:
    """Mean and standard deviation of ``metric`` (a score key of the rows: ``"accuracy"`` or
    ``"balanced_accuracy"``) over seeds: ``{method: {"counts", "mean", "std"}}``."""
    if not rows:
        raise ValueError("rows is empty: run label_efficiency first.")
    if metric not in rows[0]:
        scores = [k for k in rows[0] if k not in ("method", "n_per_class", "seed")]
        raise ValueError(f"Rows have no {metric!r}; choose one of {scores}.")
    summary: dict[str, dict[str, list[float]]] = {}
    for method in dict.fromkeys(str(r["method"]) for r in rows):
        counts = sorted({int(r["n_per_class"]) for r in rows if r["method"] == method})
        values = [
            [float(r[metric]) for r in rows if r["method"] == method and r["n_per_class"] == n]
            for n in counts
        ]
        summary[method] = {
            "counts": counts,
            "mean": [float(np.mean(v)) for v in values],
            "std": [float(np.std(v)) for v in values],
        }
    return summary


def confusion(y_true, y_pred, n_classes: int = 2) -> np.ndarray:
    """Confusion counts, int64 ``(n_classes, n_classes)``: rows = truth, columns = prediction."""
    truth = np.asarray(y_true).astype(np.int64).reshape(-1)
    prediction = np.asarray(y_pred).astype(np.int64).reshape(-1)
    if truth.shape != prediction.shape:
        raise ValueError(
            f"y_true and y_pred differ in length: {truth.shape} vs {prediction.shape}."
        )
    for name, values in (("y_true", truth), ("y_pred", prediction)):
        if values.size and (values.min() < 0 or values.max() >= n_classes):
            raise ValueError(f"{name} holds labels outside 0…{n_classes - 1}.")
    counts = np.bincount(truth * n_classes + prediction, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)
