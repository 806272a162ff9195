"""The unlabeled pool of a recipe, its held-out splits by source, and ``(noisy, clean)``
batches whose noise is drawn on the fly in ``tf.data``."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from ssl_keras import image_files, noise, paths, pipelines, resizing
from ssl_keras.denoising.recipes import NOISE_LEVELS, POOLS, Recipe, recipe
from ssl_keras.profiles import Profile, get_profile


def toy_pets_root(
    profile: str | Profile | None = None, size: int | None = None, n_unlabeled: int | None = None
) -> Path:
    """Generate (once) the toy cat-vs-turtle set the notebooks share and return its root.

    ``<data>/synthetic/toy_pets/{train,test}/{cat,turtle}/`` and ``unlabeled/``, with the
    profile's :class:`~ssl_keras.profiles.ToyPets` counts (smoke: 64 training and 100 test
    images per class and a 512-image unlabeled pool) at its image size (smoke: 64 px).
    ``size`` and ``n_unlabeled`` override the profile's.
    """
    chosen = get_profile(profile)
    from ssl_keras.datasets import synthetic

    counts = dataclasses.asdict(chosen.toy_pets)
    if n_unlabeled is not None:
        counts["n_unlabeled"] = n_unlabeled
    return synthetic.toy_pets(
        paths.data_dir("synthetic", "toy_pets"), size=size or chosen.image_size, seed=0, **counts
    )


def pool_files(
    profile: str | Profile | Recipe | None = None,
    extra_folders: Sequence[str | os.PathLike] = (),
) -> list[str]:
    """The unlabeled pool of the recipe's ``pool`` (+ your folders), as sorted file paths.

    ``"generated"`` (smoke): natural-photo crops + the toy-pets unlabeled images, generated
    offline on first use into ``data/synthetic`` with the recipe's counts and size.
    ``"coco_val2017"`` (full): the 5,000 photographs of COCO val2017, downloaded once with
    :func:`ssl_keras.datasets.download.fetch_dataset` into ``data/coco/val2017/`` (the
    download notebooks 05 and 08 share; offline it fails fast naming the folder to fill).
    ``extra_folders`` adds every image below each folder (labels are never read).
    """
    chosen = profile if isinstance(profile, Recipe) else recipe(profile)
    if chosen.pool not in POOLS:
        raise ValueError(f"Unknown pool {chosen.pool!r} in the recipe; use one of {POOLS}.")
    if chosen.pool == "coco_val2017":
        from ssl_keras.datasets import download

        coco = download.fetch_dataset("coco", paths.data_dir())
        files = image_files.list_image_files(coco / "val2017")
    else:
        from ssl_keras.datasets import synthetic

        crops = synthetic.photo_crops(
            paths.data_dir("synthetic", f"photo_crops_{chosen.image_size}"),
            n=chosen.n_photo_crops,
            size=chosen.image_size,
            seed=0,
        )
        files = image_files.list_image_files(crops)
        pets = toy_pets_root(chosen.profile, size=chosen.image_size, n_unlabeled=chosen.n_unlabeled)
        files += image_files.list_image_files(pets / "unlabeled")
    for folder in extra_folders:
        files += image_files.list_image_files(folder, recursive=True)
    return sorted(str(f) for f in files)


def pool_sources(files: Sequence[str | os.PathLike]) -> list[str]:
    """The source of each pool file: ``"photo:<name>"`` for a crop of a bundled photograph
    (:func:`ssl_keras.datasets.synthetic.crops.source_photo`), else the file itself (a toy
    pet, a COCO photograph, one of your images is its own source)."""
    from ssl_keras.datasets.synthetic import crops

    sources = []
    for file in files:
        photo = crops.source_photo(file)
        sources.append(str(file) if photo is None else f"photo:{photo}")
    return sources


def split_pool(
    files: Sequence[str],
    n_val: int,
    n_test: int,
    seed: int = 0,
    sources: Sequence[str] | None = None,
) -> dict[str, list[str]]:
    """Cut ``files`` into ``{"test", "val", "train"}``, seeded; test is held out from
    pretraining entirely, val drives checkpoints and early stopping.

    ``sources``: one name per file (:func:`pool_sources`); all files of a source land in the
    same split, so the test images come from sources (photographs) that give no training or
    validation image. Sources are taken whole in a seeded random order, sources of several
    files (photographs cut into crops) and single-file sources each filling their share of
    ``n_test`` in proportion to the pool, so test can exceed ``n_test`` by less than one
    source. ``None``: every file is its own source (test then has exactly ``n_test``). The
    rest is shuffled again and cut into ``n_val`` validation and the training files.
    """
    for name, value in (("n_val", n_val), ("n_test", n_test)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an int ≥ 1, got {value!r}.")
    if sources is not None and len(sources) != len(files):
        raise ValueError(
            f"sources must name one source per file: {len(sources)} sources for "
            f"{len(files)} files; use pool_sources(files)."
        )
    if len(files) < n_val + n_test + 1:
        raise ValueError(
            f"The pool has {len(files)} images, too few for {n_val} validation + {n_test} "
            "test images and a training set; add images or lower n_val / n_test."
        )
    groups: dict[str, list[int]] = {}
    for index, source in enumerate(sources if sources is not None else map(str, files)):
        groups.setdefault(source, []).append(index)
    rng = np.random.default_rng(seed)
    shuffled = [list(groups.values())[k] for k in rng.permutation(len(groups))]
    shared = [group for group in shuffled if len(group) > 1]
    single = [group for group in shuffled if len(group) == 1]
    shared_quota = round(n_test * sum(map(len, shared)) / len(files))
    test: list[int] = []
    for quota, queue in ((shared_quota, shared), (n_test, single), (n_test, shared)):
        while queue and len(test) < quota:
            test += queue.pop(0)
    rest = [index for group in shared + single for index in group]
    rest = [rest[k] for k in rng.permutation(len(rest))]
    if len(rest) < n_val + 1:
        raise ValueError(
            f"After holding out {len(test)} test images from whole sources, {len(rest)} are "
            f"left, too few for {n_val} validation images and a training set; add images or "
            "lower n_val / n_test."
        )
    return {
        "test": [str(files[i]) for i in test],
        "val": [str(files[i]) for i in rest[:n_val]],
        "train": [str(files[i]) for i in rest[n_val:]],
    }


def mixed_noise(images, seed: noise.Seed = 0, gaussian_share: float = 0.5) -> tf.Tensor:
    """Notebook 02's noise: :func:`ssl_keras.noise.mixed` at the lesson's levels (Gaussian
    σ = 25/255 with probability ``gaussian_share``, else salt-and-pepper at 5 %).

    ``images``: float32 ``(H, W, C)`` or ``(N, H, W, C)`` in [0, 1]; same shape out.
    """
    return noise.mixed(
        images,
        NOISE_LEVELS["gaussian"],
        NOISE_LEVELS["salt_and_pepper"],
        seed=seed,
        gaussian_share=gaussian_share,
    )


def noisy_dataset(
    files: Sequence[str],
    size: int,
    batch_size: int,
    noise_kind: str = "mixed",
    level: float | None = None,
    seed: int = 0,
    training: bool = False,
    patch_size: int | None = None,
    gaussian_share: float = 0.5,
) -> tf.data.Dataset:
    """``(noisy, clean)`` float32 batches ``(B, s, s, 3)`` in [0, 1] for a denoiser.

    Args:
        files: image files (e.g. a split from :func:`split_pool`).
        size: images are resized to ``size``² (pool images already have this size).
        batch_size: images per batch.
        noise_kind: ``"mixed"`` (Gaussian σ=25/255 or salt-and-pepper 5 % per image, see
            :func:`mixed_noise`), or a noise name of :mod:`ssl_keras.noise` with its ``level``.
        level: σ / fraction / peak for a single noise type (``None`` for ``"mixed"``; a
            name in :data:`NOISE_LEVELS` defaults to its reference level).
        seed: seeds crops, shuffling and noise; the same seed gives the same batches.
        training: repeat forever, shuffle, and cut seeded random ``patch_size`` crops (new
            crops and new noise every pass); else one pass in file order.
        patch_size: crop side for training (default ``size``).
        gaussian_share: for ``"mixed"``, the probability of Gaussian noise per image.
    """
    apply = noise_kind
    if noise_kind == "mixed":
        if not 0.0 <= gaussian_share <= 1.0:
            raise ValueError(f"gaussian_share must be in [0, 1], got {gaussian_share!r}.")

        def apply(x, s):
            return mixed_noise(x, s, gaussian_share)

    elif level is None:
        level = NOISE_LEVELS.get(noise_kind)
    if training:
        crop = patch_size or size
        clean = pipelines.image_dataset(files, size, seed=seed, repeat=True)
        if crop != size:
            base = noise.as_seed(seed)
            clean = clean.enumerate().map(
                lambda i, x: resizing.random_crop(x, crop, tf.stack([base[0] + 7, base[1] + i])),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
        shuffle = min(len(files), 1024)
        return pipelines.noisy_batches(
            clean, batch_size, apply, level, seed=seed, shuffle=shuffle, drop_remainder=True
        )
    clean = pipelines.image_dataset(files, size)
    batches = pipelines.noisy_batches(
        clean, batch_size, apply, level, seed=seed, drop_remainder=False
    )
    return pipelines.rebatch_for_replicas(batches, batch_size)  # evaluable on any replicas


def training_batches(
    splits: Mapping[str, Sequence[str]], chosen: Recipe, seed: int = 0
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """The recipe's ``(train, val)`` datasets of ``(noisy, clean)`` batches from a
    :func:`split_pool` split: endless seeded ``patch_size`` crops of the training files with
    fresh noise (``(B, p, p, 3)``), and one pass over the whole validation images
    (``(B, s, s, 3)``, noise seeded with ``seed + 1``); float32 in [0, 1]."""
    train = noisy_dataset(
        splits["train"],
        chosen.image_size,
        chosen.global_batch_size,
        chosen.noise,
        seed=seed,
        training=True,
        patch_size=chosen.patch_size,
        gaussian_share=chosen.gaussian_share,
    )
    val = noisy_dataset(
        splits["val"],
        chosen.image_size,
        chosen.global_batch_size,
        chosen.noise,
        seed=seed + 1,
        gaussian_share=chosen.gaussian_share,
    )
    return train, val
