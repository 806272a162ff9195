"""The colorizer's data: which photos (:func:`photo_splits`), decoded, gray ones skipped,
cropped and flipped (:func:`color_images`), as ``(L, ab)`` batches (:func:`lab_batches`), and
the mean-colour baseline (:func:`mean_ab`)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from ssl_keras import color, image_files, paths, pipelines, resizing
from ssl_keras._checks import as_image_tensor, check_int, check_size
from ssl_keras.datasets import download
from ssl_keras.profiles import Profile, get_profile

SPLITS = ("train", "val", "test")
SMOKE_STREET_SCENES = {"train": 192, "val": 32, "test": 32}
"""Generated street scenes (96×128) per split in the smoke profile."""
SMOKE_PHOTO_CROPS = {"train": 128, "val": 16, "test": 16}
"""Crops of scikit-image's color photographs per split in the smoke profile."""
MIN_CHROMA = 1.0
"""Images whose :func:`~ssl_keras.color.mean_chroma` is below this (Lab units) count as gray
and are skipped: they have ab = 0 everywhere and would only teach the model to predict gray."""


def split_files(
    files: Sequence[str], n_val: int, n_test: int, n_train: int, seed: int = 0
) -> dict[str, list[str]]:
    """Shuffle ``files`` (seeded) and cut ``{"train", "val", "test"}``: 10 % each for
    validation and test (at least 1, at most ``n_val`` / ``n_test``), the rest for training
    (at most ``n_train``)."""
    if len(files) < 3:
        raise ValueError(
            f"Need at least 3 photos for training, validation and test, got {len(files)}; "
            "add photos to the folder."
        )
    order = np.random.default_rng(seed).permutation(len(files))
    shuffled = [str(files[i]) for i in order]
    val = min(n_val, max(1, len(files) // 10))
    test = min(n_test, max(1, len(files) // 10))
    return {
        "train": shuffled[val + test :][:n_train],
        "val": shuffled[:val],
        "test": shuffled[val : val + test],
    }


def _smoke_sources(size: int, seed: int) -> dict[str, list[str]]:
    """Generated street scenes (their own splits) + color photo crops, written once."""
    from ssl_keras.datasets import photos, synthetic

    street = synthetic.street_scenes(
        paths.data_dir("colorize", "street"),
        **{f"n_{split}": n for split, n in SMOKE_STREET_SCENES.items()},
        size=(96, 128),
        seed=seed,
    )
    crops = image_files.list_image_files(
        synthetic.photo_crops(
            paths.data_dir("colorize", "photo_crops"),
            n=sum(SMOKE_PHOTO_CROPS.values()),
            size=size,
            seed=seed,
            names=photos.COLOR_PHOTOS,
        )
    )
    ends = np.cumsum([0, *(SMOKE_PHOTO_CROPS[split] for split in SPLITS)])
    return {
        split: image_files.list_image_files(street / split) + crops[ends[i] : ends[i + 1]]
        for i, split in enumerate(SPLITS)
    }


def photo_splits(
    profile: str | Profile | None = None, data: str | os.PathLike | None = None, seed: int = 0
) -> dict[str, list[str]]:
    """The color photographs to train, validate and test on: ``{"train", "val", "test"}``
    lists of image files.

    * ``data`` (a folder, searched recursively): your photos, split by :func:`split_files`
      with the profile's caps (``n_val``, ``n_test``, ``n_train``).
    * profile ``smoke`` (``data="synthetic"``): synthetic street scenes (their own splits,
      96×128) and crops of scikit-image's color photographs, generated once into
      ``data/colorize/`` (:data:`SMOKE_STREET_SCENES`, :data:`SMOKE_PHOTO_CROPS`).
    * profile ``full`` (``data="download"``): the 5000 COCO val2017 photographs, downloaded
      once into ``data/coco/`` (as notebook 08 does) and split 4000 / 500 / 500.

    The lists may hold black-and-white photos (COCO has a few); :func:`color_images` skips
    them. Same arguments → same lists.
    """
    chosen = get_profile(profile)
    caps = {"n_val": chosen.n_val, "n_test": chosen.n_test, "n_train": chosen.n_train}
    if data is not None:
        files = image_files.list_image_files(data, recursive=True)
        return split_files(files, seed=seed, **caps)
    if chosen.data == "synthetic":
        return _smoke_sources(chosen.image_size, seed)
    folder = download.fetch_dataset("coco", paths.data_dir()) / "val2017"
    return split_files(image_files.list_image_files(folder), seed=seed, **caps)


def color_images(
    files: Sequence[str],
    size: int | tuple[int, int],
    training: bool = False,
    seed: int = 0,
    min_chroma: float = MIN_CHROMA,
) -> tf.data.Dataset:
    """float32 RGB images ``(height, width, 3)`` in [0, 1] from ``files``, as ``tf.data``.

    Each file is decoded, its shorter side scaled to ``max(size)``, and skipped when gray
    (:func:`~ssl_keras.color.mean_chroma` below ``min_chroma``; 0 keeps every image); the
    result is cached as uint8, filled right away (one pass over the files, which also counts
    the kept images: ``len(dataset)``). ``training=True``: shuffled every epoch, a random
    crop and a random horizontal flip, new draws each epoch, the same sequence for the same
    ``seed``. Otherwise: the central crop, in file order.
    """
    height, width = check_size(size)
    if len(files) == 0:
        raise ValueError("files is empty: there are no images to read.")
    side = max(height, width)

    def load(path: tf.Tensor) -> tf.Tensor:
        return resizing.resize_shorter_side(image_files.read_image(path), side)

    ds = tf.data.Dataset.from_tensor_slices([str(f) for f in files])
    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if min_chroma > 0:
        ds = ds.filter(lambda image: color.mean_chroma(image) >= min_chroma)
    ds = ds.map(
        lambda image: tf.image.convert_image_dtype(image, tf.uint8, saturate=True),
        num_parallel_calls=tf.data.AUTOTUNE,
    ).cache()
    # One pass now fills the cache and counts what the filter kept, so fit() knows the
    # number of batches from the first epoch on.
    with image_files.naming_bad_files():
        count = int(ds.reduce(np.int64(0), lambda n, _: n + 1))
    if count == 0:
        raise ValueError(
            f"All {len(files)} images are gray (mean chroma below {min_chroma} Lab units), "
            f"e.g. {str(files[0])!r}; a colorizer needs color photos (min_chroma=0 keeps them)."
        )
    ds = ds.apply(tf.data.experimental.assert_cardinality(count))
    if training:
        ds = ds.shuffle(count, seed=seed, reshuffle_each_iteration=True)
        # Seeds drawn anew every epoch (reproducibly): fresh crops and flips each pass.
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(4)

        def augment(image: tf.Tensor, draw: tf.Tensor) -> tf.Tensor:
            image = resizing.random_crop(image, (height, width), draw[:2])
            return tf.image.stateless_random_flip_left_right(image, draw[2:])

        ds = tf.data.Dataset.zip(ds, seeds).map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(
            lambda image: tf.image.resize_with_crop_or_pad(image, height, width),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return ds.map(
        lambda image: tf.image.convert_image_dtype(image, tf.float32),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def lab_batches(images: tf.data.Dataset, batch_size: int) -> tf.data.Dataset:
    """Batches of ``(L (B, H, W, 1) in [0, 100], ab (B, H, W, 2) in Lab units)`` from a
    dataset of float32 RGB images (:func:`color_images`): batch → Lab → prefetch.

    >>> train = lab_batches(color_images(files["train"], 128, training=True), 32)
    """
    batch_size = check_int(batch_size, "batch_size")
    # eval_batches: on several replicas no batch is left that they cannot split.
    return (
        pipelines.eval_batches(images, batch_size)
        .map(color.split_lab, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def lab_pairs(images: tf.data.Dataset) -> tf.data.Dataset:
    """Map float32 RGB images ``(…, H, W, 3)`` in [0, 1] to ``(L (…, 1), ab (…, 2))`` pairs."""
    return images.map(color.split_lab, num_parallel_calls=tf.data.AUTOTUNE)


def mean_ab(images) -> np.ndarray:
    """The mean ``(a, b)`` over all pixels of RGB ``images`` ``(N, H, W, 3)`` in [0, 1], or
    of a ``tf.data.Dataset`` of such images or batches (read once, batch by batch): the
    constant prediction of the mean-color baseline. float32 ``(2,)``."""
    if not isinstance(images, tf.data.Dataset):
        images = tf.data.Dataset.from_tensors(as_image_tensor(images, "images"))
    elif images.element_spec.shape.rank == 3:
        images = images.batch(64)
    total, count = np.zeros(2, np.float64), 0
    for batch in images:
        ab = tf.reshape(color.rgb_to_lab(batch)[..., 1:], (-1, 2))
        total += tf.reduce_sum(tf.cast(ab, tf.float64), axis=0).numpy()
        count += int(ab.shape[0])
    if count == 0:
        raise ValueError("images is empty: no pixels to average.")
    return (total / count).astype(np.float32)
