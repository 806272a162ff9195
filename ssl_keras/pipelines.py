"""tf.data building blocks: files → decode → resize or crop → noisy pairs → batch → prefetch.

The files and their decoding are :mod:`ssl_keras.image_files`; resizing and cropping one
image is :mod:`ssl_keras.resizing`. This module assembles them into datasets.

Everything after listing the files runs as TensorFlow ops with ``num_parallel_calls``, so
the input pipeline keeps up with training and nothing per-sample happens in Python.

>>> paths = image_files.list_image_files("data/photos")
>>> clean = image_dataset(paths, size=64, mode="random_crop", seed=0)
>>> train = noisy_batches(clean, 16, "gaussian", 25 / 255, seed=1, shuffle=256)

On several replicas (``tf.distribute``), training batches drop the last partial batch
(:func:`batch`) and validation / test data go through :func:`eval_batches`,
:func:`eval_dataset` or :func:`rebatch_for_replicas`, and :func:`predict`, which regroup
the examples so every batch splits over the replicas and the metrics stay exact.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from ssl_keras._checks import check_size
from ssl_keras.image_files import naming_bad_files, read_image, read_image_uint8
from ssl_keras.noise import NOISES, as_seed, mixed
from ssl_keras.resizing import check_mode, map_to_size, resize_shorter_side

AUTOTUNE = tf.data.AUTOTUNE


def image_dataset(
    paths: Sequence[str],
    size: int | tuple[int, int],
    mode: str = "resize",
    seed: int = 0,
    shorter_side: int | None = None,
    cache: bool = True,
    repeat: bool = False,
) -> tf.data.Dataset:
    """A dataset of float32 RGB images ``(H, W, 3)`` in [0, 1] read from ``paths``.

    Args:
        paths: image files (e.g. from :func:`list_image_files`).
        size: output size, an int or ``(height, width)``.
        mode: ``"resize"`` (stretch to size), ``"center_crop"`` (keep aspect, cut the middle)
            or ``"random_crop"`` (a new seeded window every time an image is seen).
        seed: seeds the random crops; the same seed gives the same crops.
        shorter_side: in ``random_crop`` mode, first rescale each image so its shorter side
            has this many pixels (controls how much of the scene one crop sees).
        cache: keep decoded (and rescaled) images in memory after the first pass, so later
            epochs skip file reading and decoding. Random crops are still drawn anew; in
            ``random_crop`` mode without ``shorter_side`` the cache holds the decoded uint8
            pixels and each crop is converted to float, which is 2–3× faster than cropping
            float images and takes a quarter of the memory.
        repeat: repeat forever (for ``steps_per_epoch`` training). Random crops differ per
            pass either way (:func:`element_seeds`).
    """
    check_mode(mode)
    if len(paths) == 0:
        raise ValueError("paths is empty: there are no images to read.")
    shape = check_size(size)
    ds = tf.data.Dataset.from_tensor_slices([str(p) for p in paths])
    as_uint8 = mode == "random_crop" and shorter_side is None
    ds = ds.map(read_image_uint8 if as_uint8 else read_image, num_parallel_calls=AUTOTUNE)
    # Resizing and centre crops are cached; random crops come after the cache, new each pass.
    if mode != "random_crop":
        ds = map_to_size(ds, shape, mode)
    elif shorter_side is not None:
        ds = ds.map(lambda x: resize_shorter_side(x, shorter_side), num_parallel_calls=AUTOTUNE)
    if cache:
        ds = ds.cache()
    if repeat:
        ds = ds.repeat()
    if mode == "random_crop":
        ds = map_to_size(ds, shape, mode, element_seeds(seed))
    return ds


def image_stream(
    images, channels: int | None = None, what: str = "image"
) -> tuple[tf.data.Dataset, int | None]:
    """``(dataset of single images, count)`` from ``images``: a float ``(N, H, W, C)`` array in
    [0, 1] (``count`` is N) or a ``tf.data.Dataset`` of ``(H, W, C)`` images, passed through
    (``count`` is ``None``). ``channels`` fixes C where the caller needs it; ``what`` names the
    images in the message for an empty array (e.g. ``"defect-free image"``). Bad shapes,
    dtypes and empty arrays raise ``ValueError``."""
    if isinstance(images, tf.data.Dataset):
        spec = images.element_spec
        if not isinstance(spec, tf.TensorSpec) or spec.shape.rank != 3:
            raise ValueError(
                f"images must be a dataset of single (H, W, C) images, got elements {spec}."
            )
        return images, None
    array = np.asarray(images)
    wrong_channels = channels is not None and array.ndim == 4 and array.shape[-1] != channels
    if array.ndim != 4 or wrong_channels or not np.issubdtype(array.dtype, np.floating):
        c = "C" if channels is None else channels
        raise ValueError(
            f"images must be a float (N, H, W, {c}) array in [0, 1], got shape {array.shape} "
            f"and dtype {array.dtype}."
        )
    if len(array) == 0:
        raise ValueError(f"images is empty: pass at least one {what}.")
    return tf.data.Dataset.from_tensor_slices(array.astype(np.float32)), len(array)


def element_seeds(seed: int = 0) -> tf.data.Dataset:
    """An endless dataset of stateless-op seeds, int64 ``(2,)``, to zip with another dataset:
    each new pass over the zipped dataset (each epoch of ``fit``) draws a new sequence, and the
    same ``seed`` gives the same sequences in every run (``Dataset.random`` with
    ``rerandomize_each_iteration``). Counting elements with ``enumerate`` instead would repeat
    the same draws every epoch of a dataset that is not repeated."""
    return tf.data.Dataset.random(seed=int(seed), rerandomize_each_iteration=True).batch(2)


def noisy_pairs(
    clean: tf.data.Dataset,
    noise: str | Callable[[tf.Tensor, tf.Tensor], tf.Tensor] = "gaussian",
    level: float | None = None,
    seed: int = 0,
) -> tf.data.Dataset:
    """Map a dataset of clean images to ``(noisy, clean)`` pairs.

    ``noise`` is a name from :data:`ssl_keras.noise.NOISES`, ``"mixed"`` (Gaussian σ=25/255 or
    salt-and-pepper 5 % per image), or a function ``f(image, seed) -> noisy``. Each element
    gets its own seed derived from ``seed`` and its position, so the noise is reproducible and
    differs between images and between epochs of a repeated dataset.
    """
    if callable(noise):
        apply = noise
    elif noise == "mixed":

        def apply(x, s):
            return mixed(x, seed=s)
    elif noise in NOISES:
        if level is None:
            raise ValueError(f"noise={noise!r} needs a level (σ, amount or peak).")
        function = NOISES[noise]

        def apply(x, s):
            return function(x, level, seed=s)
    else:
        raise ValueError(
            f"Unknown noise {noise!r}. Use one of: {', '.join(NOISES)}, 'mixed', or a function."
        )
    base = as_seed(seed)
    return clean.enumerate().map(
        lambda i, x: (apply(x, tf.stack([base[0] + 1_000_003, base[1] + i])), x),
        num_parallel_calls=AUTOTUNE,
    )


def noisy_batches(
    clean: tf.data.Dataset,
    batch_size: int,
    noise: str | Callable[[tf.Tensor, tf.Tensor], tf.Tensor] = "gaussian",
    level: float | None = None,
    seed: int = 0,
    shuffle: int | None = None,
    drop_remainder: bool | None = None,
) -> tf.data.Dataset:
    """Shuffle, batch, add noise to whole batches, prefetch: ``(noisy, clean)`` batches.

    The fast way to feed a denoiser: the noise ops run once per batch instead of once per
    image (see :func:`noisy_pairs` for the arguments). ``drop_remainder=None`` drops the last
    partial batch only on several replicas, as :func:`batch` does; pass validation batches
    through :func:`rebatch_for_replicas` instead.
    """
    clean = batch(clean, batch_size, shuffle, seed, drop_remainder, prefetch=False)
    return noisy_pairs(clean, noise, level, seed).prefetch(AUTOTUNE)


def batch(
    ds: tf.data.Dataset,
    batch_size: int,
    shuffle: int | None = None,
    seed: int = 0,
    drop_remainder: bool | None = None,
    replicas: int | None = None,
    prefetch: bool = True,
) -> tf.data.Dataset:
    """Training batches: optionally shuffle (buffer ``shuffle``, seeded), batch, prefetch.

    ``drop_remainder=None`` drops the last, partial batch of each pass only when training on
    several replicas (``replicas``, default :func:`ssl_keras.runtime.replicas`): Keras's
    distributed ``fit`` fails on a batch that does not split evenly over the replicas, while
    on one device every image is used. Batch validation and test data with
    :func:`eval_batches` instead, which keeps every example. ``prefetch=False`` leaves the
    prefetch to a caller that maps the batches further (:func:`noisy_batches`).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be ≥ 1, got {batch_size}.")
    if shuffle:
        ds = ds.shuffle(shuffle, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(
        batch_size,
        drop_remainder=_drop_remainder(drop_remainder, replicas),
        num_parallel_calls=AUTOTUNE,
    )
    return ds.prefetch(AUTOTUNE) if prefetch else ds


def _replicas(replicas: int | None) -> int:
    if replicas is None:
        from ssl_keras import runtime  # runtime imports Keras; keep this module light

        return runtime.replicas()
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise ValueError(f"replicas must be an int ≥ 1, got {replicas!r}.")
    return replicas


def _drop_remainder(drop_remainder: bool | None, replicas: int | None) -> bool:
    return _replicas(replicas) > 1 if drop_remainder is None else bool(drop_remainder)


def _multiple(batch_size: int, replicas: int) -> int:
    integral = isinstance(batch_size, numbers.Integral) and not isinstance(batch_size, bool)
    if not integral or batch_size < 1:
        raise ValueError(f"batch_size must be an int ≥ 1, got {batch_size!r}.")
    return -(-int(batch_size) // replicas) * replicas


def replica_batch_sizes(count: int, batch_size: int, replicas: int) -> list[int] | None:
    """Batch sizes (summing to ``count``) that ``replicas`` replicas can evaluate: the first a
    multiple of ``replicas``, none smaller than it, none above ``batch_size`` (rounded up to
    a multiple of ``replicas``) plus ``replicas``. ``None`` when no such split exists
    (``count`` below ``2 * replicas`` and not a multiple of it).

    >>> replica_batch_sizes(9, 4, 2)
    [4, 2, 3]
    """
    size = _multiple(batch_size, replicas)
    full, rest = divmod(count, size)
    sizes = [size] * full + ([rest] if rest else [])
    if len(sizes) == 1 and sizes[0] % replicas:  # one uneven batch: split it in two
        first = (count // replicas - 1) * replicas
        sizes = [first, count - first] if first >= replicas else []
    elif 0 < rest < replicas:  # a last batch some replica would get nothing of
        if size >= 2 * replicas:
            sizes[-2:] = [size - replicas, rest + replicas]
        else:  # batches of one example per replica: the rest joins a later batch
            sizes[-2:] = [size + rest] if full >= 2 else []
    return sizes or None


def _regroup(batches: tf.data.Dataset, count: int, batch_size: int, replicas: int):
    sizes = replica_batch_sizes(count, batch_size, replicas)
    if sizes is None:
        batches, sizes = batches.repeat(replicas), _multiple(batch_size, replicas)
    return batches.rebatch(sizes).prefetch(AUTOTUNE)


def _count(ds: tf.data.Dataset) -> int:
    """Number of elements of a finite dataset (one pass over it when TF cannot tell)."""
    count = int(ds.cardinality())
    if count == tf.data.INFINITE_CARDINALITY:
        raise ValueError("The dataset is infinite (repeated); evaluate a finite one.")
    if count == tf.data.UNKNOWN_CARDINALITY:
        count = int(ds.reduce(tf.constant(0, tf.int64), lambda n, _: n + 1))
    if count == 0:
        raise ValueError("The dataset is empty: there is nothing to evaluate.")
    return count


def holdout(
    pairs: tf.data.Dataset, n_val: int, n_train: int | None = None
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """Split one dataset into ``(train, val)``: its first ``n_val`` elements are held out for
    validation, the next ``n_train`` (all the rest when ``None``) train.

    For a folder with a single annotated split (COCO val2017 in notebook 08). Raises
    ``ValueError`` naming the counts when the dataset cannot spare ``n_val`` elements and
    still train on at least one, instead of handing back an empty training set.
    """
    for name, value in (("n_val", n_val), ("n_train", n_train)):
        if value is None and name == "n_train":
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be an int ≥ 1, got {value!r}.")
    count = _count(pairs)
    if count <= n_val:
        raise ValueError(
            f"The dataset has {count} elements, too few to hold out n_val={n_val} for "
            "validation and keep any for training; lower n_val (e.g. to a fifth of the data, "
            f"{max(1, count // 5)}) or add images."
        )
    train = pairs.skip(n_val)
    return (train if n_train is None else train.take(n_train)), pairs.take(n_val)


def eval_batches(
    ds: tf.data.Dataset, batch_size: int, replicas: int | None = None
) -> tf.data.Dataset:
    """Validation / test batches of single examples that any replica count evaluates exactly.

    On one device (``replicas``, default :func:`ssl_keras.runtime.replicas`) this is
    ``batch`` → prefetch. On several, ``batch_size`` is rounded up to a multiple of the
    replica count and the last batches are regrouped (:func:`replica_batch_sizes`), so
    ``evaluate`` and ``fit(validation_data=...)`` never fail and report the single-device
    numbers (up to float32 rounding). A dataset whose size TensorFlow cannot tell (e.g.
    after ``filter``) is read once to count it.
    """
    replicas = _replicas(replicas)
    size = _multiple(batch_size, replicas)
    batches = ds.batch(size, num_parallel_calls=AUTOTUNE)
    if replicas == 1:
        return batches.prefetch(AUTOTUNE)
    return _regroup(batches, _count(ds), size, replicas)


def eval_dataset(
    x, y, batch_size: int = 32, sample_weight=None, replicas: int | None = None
) -> tf.data.Dataset:
    """:func:`eval_batches` of NumPy arrays, to pass as ``validation_data`` or to ``evaluate``
    instead of ``(x, y)``, so a multi-replica run never sees a batch it cannot split:
    ``model.fit(..., validation_data=pipelines.eval_dataset(x_val, y_val, 32))``.

    ``x``, ``y`` (and ``sample_weight``): arrays with the same first dimension.
    """
    arrays = (x, y) if sample_weight is None else (x, y, sample_weight)
    lengths = sorted({len(tf.nest.flatten(a)[0]) for a in arrays})
    if len(lengths) != 1:
        raise ValueError(f"x, y and sample_weight must have one length, got {lengths}.")
    if lengths == [0]:
        raise ValueError("x is empty: there is nothing to evaluate.")
    return eval_batches(tf.data.Dataset.from_tensor_slices(arrays), batch_size, replicas)


def rebatch_for_replicas(
    batches: tf.data.Dataset, batch_size: int, replicas: int | None = None
) -> tf.data.Dataset:
    """Already batched validation / test data regrouped as :func:`eval_batches` does (the
    batches are read once to count the examples); unchanged on one device."""
    replicas = _replicas(replicas)
    if replicas == 1:
        return batches

    def add(total, element):
        return total + tf.shape(tf.nest.flatten(element)[0], out_type=tf.int64)[0]

    count = int(batches.reduce(tf.constant(0, tf.int64), add))
    if count == 0:
        raise ValueError("The dataset is empty: there is nothing to evaluate.")
    return _regroup(batches, count, batch_size, replicas)


def predict(model, x, batch_size: int = 32, verbose: int = 0):
    """``model.predict(x, batch_size)`` that also works when the examples do not split over
    the replicas of the model's strategy (batches regrouped as in :func:`eval_batches`).

    ``x``: an array (or a tuple / dict of arrays) with the examples on the first axis.
    Returns what ``model.predict`` returns, one row per example of ``x``.
    """
    replicas = model.distribute_strategy.num_replicas_in_sync
    if replicas == 1:
        return model.predict(x, batch_size=batch_size, verbose=verbose)
    count = len(tf.nest.flatten(x)[0])
    if count == 0:
        raise ValueError("x is empty: there is nothing to predict.")
    size = _multiple(batch_size, replicas)
    batches = tf.data.Dataset.from_tensor_slices((x,)).batch(size)
    outputs = model.predict(_regroup(batches, count, size, replicas), verbose=verbose)
    return tf.nest.map_structure(lambda a: a[:count], outputs)


def to_numpy(ds: tf.data.Dataset, limit: int | None = None):
    """Materialize a (possibly batched) dataset of images or tuples into NumPy arrays; an
    image file that fails to decode on the way is named (:func:`naming_bad_files`)."""
    if limit is not None:
        ds = ds.take(limit)
    with naming_bad_files():
        parts = list(ds.as_numpy_iterator())
    if not parts:
        raise ValueError("The dataset is empty.")
    if isinstance(parts[0], tuple):
        stack = np.concatenate if parts[0][0].ndim == 4 else np.stack
        return tuple(stack([p[k] for p in parts]) for k in range(len(parts[0])))
    return (np.concatenate if parts[0].ndim == 4 else np.stack)(parts)
