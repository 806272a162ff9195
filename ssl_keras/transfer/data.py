"""The labeled data of the study: class-folder splits in memory, per-class sampling and the
batches and label counts that training on a few labeled images needs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from ssl_keras import denoising, image_files, paths, pipelines
from ssl_keras.profiles import Profile, get_profile


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
    ds = tf.data.Dataset.from_tensor_slices((np.asarray(x, np.float32), np.asarray(y)))
    # Shuffling after repeat() lets batches run across pass boundaries: every one is full.
    shuffle = max(len(x), batch_size) * 2
    return pipelines.batch(ds.repeat(), batch_size, shuffle, seed, drop_remainder=True)


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
