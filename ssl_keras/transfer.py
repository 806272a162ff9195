"""Transfer a pretrained encoder to a small labeled task, and measure when it helps.

Notebook 03's and 04's machinery: the labeled data of a profile (:func:`labeled_root`),
labeled arrays from class folders, per-level feature summaries streamed batch by batch
(:func:`feature_statistics`), per-class sampling, the label-efficiency study
(SSL-pretrained encoder vs the same architecture from scratch vs logistic regression on raw
pixels, several label counts and seeds) and its summary.

>>> x, y, names = transfer.load_split(transfer.labeled_root("smoke") / "train", size=64)
>>> rows = transfer.label_efficiency(encoder, x, y, x_val, y_val, x_test, y_test, (10, 25, 50))
>>> transfer.summarize(rows)   # {method: {"counts", "mean", "std", "half"}}

How the three arms are trained (the same for every label count and seed):

* **SSL (frozen)** — the pretrained encoder with frozen weights and BatchNorm in inference
  mode, each channel pooled to its mean and standard deviation over the image
  (:class:`~ssl_keras.layers.MeanStdPooling2D`), standardised, then a linear head: the
  stage-1 model of :func:`probe_classifier`, a linear probe. A frozen encoder is a fixed
  function, so the pooled features are computed once and only the head trains; they are
  standardised with the mean and standard deviation of the labeled subset (a frozen
  denoiser's channels differ in scale by orders of magnitude).
* **scratch** — the same encoder architecture with fresh weights, the same pooling and
  head, all trained end to end, with augmentation (:func:`augmenter`: flips, rotations, zoom,
  shifts) against overfitting the few labeled images.
* **logistic regression** — scikit-learn's L2-regularised logistic regression on
  standardised raw pixels: what "no features at all" reaches.

Both Keras arms get the same :class:`Budget` (the head on frozen features its own, higher
learning rate): epochs of one pass (at least ``min_steps``
steps) over the repeated, shuffled labeled subset, up to ``max_epochs``, early stopping on the loss of
a fixed validation split with the best weights restored, so each trains until it stops
improving, not for an arbitrary number of steps. Each model is compiled once and reset to
new initial weights per run (no re-tracing). Scores are balanced accuracies (the mean of
the per-class recalls), so a test split with more of one class cannot reward always
answering that class.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import (
    denoising,
    image_files,
    layers,
    metrics,
    models,
    paths,
    pipelines,
    report,
    runtime,
    training,
)
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
    errors for one class or an empty class).

    Files that look like images but do not decode (truncated downloads) are skipped with a
    Python warning that counts and names them, so a smaller split never goes unnoticed.
    """
    import warnings

    from ssl_keras.datasets import classfolders

    ds, names = classfolders.class_folder_dataset(root, size, class_names=class_names)
    images, labels = pipelines.to_numpy(ds.batch(64))
    with warnings.catch_warnings():  # non-image files were reported above already
        warnings.simplefilter("ignore")
        listed, _, _ = classfolders.class_folder_files(root, names, on_error="warn")
    if len(images) < len(listed):
        broken = image_files.undecodable(listed)
        shown = ", ".join(repr(p) for p in broken[:5]) + (" …" if len(broken) > 5 else "")
        warnings.warn(
            f"Skipped {len(listed) - len(images)} of {len(listed)} image files in "
            f"{str(root)!r} that could not be decoded (truncated or corrupt): {shown}. "
            "Re-save or remove them.",
            stacklevel=2,
        )
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


def probe_features(encoder: keras.Model, images, batch_size: int = 64) -> np.ndarray:
    """What a probe reads from ``encoder``: the mean and the standard deviation over space of
    each output channel (:class:`~ssl_keras.layers.MeanStdPooling2D`), float32 ``(N, 2·C)``,
    in image order. ``images``: float32 ``(N, H, W, 3)`` in [0, 1]; BatchNorm runs in
    inference mode."""
    array = np.asarray(images, np.float32)
    if array.ndim != 4 or len(array) == 0:
        raise ValueError(f"images must be a non-empty batch (N, H, W, C), got {array.shape}.")
    pooled = keras.Model(encoder.inputs, layers.MeanStdPooling2D(name="pool")(encoder.outputs[0]))
    return np.asarray(pipelines.predict(pooled, array, batch_size), np.float32)


def probe_classifier(
    encoder: keras.Model,
    images,
    hidden: int = 0,
    dropout: float = 0.0,
    name: str = "probe_classifier",
) -> keras.Model:
    """The stage-1 classifier: frozen ``encoder`` → mean and standard deviation of each
    channel (:class:`~ssl_keras.layers.MeanStdPooling2D`) → ``Normalization`` → the head:
    ``Dense(1, sigmoid)`` (a linear probe, ``hidden=0``) or Dense(``hidden``, relu) →
    Dropout(``dropout``) → Dense(1, sigmoid). With ``hidden=0`` the dropout acts on the
    standardised features.

    The Normalization layer is adapted to the pooled features of ``images`` (float32
    ``(N, H, W, 3)`` in [0, 1], the labeled training images): a frozen denoiser's channels
    differ in scale by orders of magnitude, and standardising them, as for any linear probe,
    lets the head use the small but informative ones. Returns a model mapping images to
    P(class 1), float32 ``(N, 1)``; unfreeze top blocks later with
    :func:`ssl_keras.models.set_trainable_levels`.
    """
    pooled = probe_features(encoder, images)
    inputs = keras.Input(shape=tuple(encoder.inputs[0].shape[1:]), name="image")
    x = layers.MeanStdPooling2D(name="pool")(encoder(inputs))
    standardize = keras.layers.Normalization(name="standardize")
    standardize.adapt(pooled)
    outputs = _head_layers(standardize(x), hidden, dropout)
    model = keras.Model(inputs, outputs, name=name)
    models.set_trainable_levels(model, 0)
    return model


def _head_layers(x, hidden: int, dropout: float):
    """[Dense(hidden, relu)] → Dropout → Dense(1, sigmoid, float32) on ``x``
    (:func:`ssl_keras.models.classification_head`; ``hidden`` 0: a linear head)."""
    return models.classification_head(x, 2, hidden, dropout)


def _head(n_features: int, hidden: int, dropout: float) -> keras.Model:
    """The head of :func:`probe_classifier` on standardised pooled features."""
    inputs = keras.Input(shape=(n_features,), name="pooled_features")
    return keras.Model(inputs, _head_layers(inputs, hidden, dropout), name="ssl_head")


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
        hidden, dropout: the head of both Keras arms (:func:`probe_classifier`; ``hidden=0``
            is a linear head).
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


def scores(
    rows: Sequence[dict[str, object]],
    method: str,
    n_per_class: int,
    metric: str = "balanced_accuracy",
) -> list[float]:
    """The per-seed ``metric`` of ``method`` at ``n_per_class`` labels, in seed order."""
    found = [
        float(r[metric]) for r in rows if r["method"] == method and r["n_per_class"] == n_per_class
    ]
    if not found:
        raise ValueError(f"No rows for {method!r} at {n_per_class} labels per class.")
    return found


def confusion(y_true, y_pred, n_classes: int = 2) -> np.ndarray:
    """Confusion counts, int64 ``(n_classes, n_classes)``: rows = truth, columns = prediction
    (:func:`ssl_keras.metrics.confusion_matrix`, except that a true label outside
    ``0…n_classes-1`` raises instead of being skipped: every test image must count)."""
    truth = np.asarray(y_true).astype(np.int64)
    if truth.size and (truth.min() < 0 or truth.max() >= n_classes):
        raise ValueError(f"y_true holds labels outside 0…{n_classes - 1}.")
    return metrics.confusion_matrix(truth, np.asarray(y_pred).astype(np.int64), n_classes)
