"""One MVTec AD category in memory: good training images, held-out good images, the test set.

The bad-input checks come from :mod:`ssl_keras.datasets.mvtec`: a category without
``train/good`` raises ``FileNotFoundError``; a defect image without its mask, or a mask whose
size differs from its image, raises ``ValueError`` naming the file. Grayscale categories
(MVTec ``grid``, ``screw``, ``zipper``) are served as three equal channels.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from ssl_keras import image_files
from ssl_keras._checks import check_fraction, check_size


class CategoryData(NamedTuple):
    """One MVTec AD category in memory (images float32 in [0, 1], masks int32 {0, 1}).

    ``train`` and ``holdout`` split ``train/good`` (the held-out good images set the
    threshold); ``test``, ``masks`` ``(M, H, W)``, ``labels`` (0 good / 1 defect) and
    ``defect_types`` come from ``test/``.
    """

    category: str
    train: np.ndarray
    holdout: np.ndarray
    test: np.ndarray
    masks: np.ndarray
    labels: np.ndarray
    defect_types: np.ndarray
    grayscale: bool

    def describe(self) -> str:
        kinds = sorted(set(self.defect_types.tolist()) - {"good"})
        gray = "grayscale" if self.grayscale else "RGB"
        return (
            f"{self.category}: {gray} {self.train.shape[1]}x{self.train.shape[2]}, "
            f"{len(self.train)} train + {len(self.holdout)} held-out good, test "
            f"{int((self.labels == 0).sum())} good + {int(self.labels.sum())} defective "
            f"({', '.join(kinds)})"
        )


def load_category(
    root: str | os.PathLike,
    category: str,
    size: int | tuple[int, int] = 64,
    holdout: float = 0.2,
    seed: int = 0,
    mask_pattern: str | None = None,
) -> CategoryData:
    """Load one MVTec AD category folder (real or :func:`~ssl_keras.datasets.synthetic.mvtec_like`).

    Args:
        root: the folder holding the category folders.
        category: e.g. ``"bottle"``, ``"grid"`` or the synthetic ``"weave"``, ``"cap"``.
        size: images and masks are resized to this (bilinear / nearest).
        holdout: fraction of ``train/good`` held out (seeded) to choose the threshold.
        seed: seed of the held-out split.
        mask_pattern: how the masks are named when neither ``000_mask.png`` nor ``000.png``
            (:data:`ssl_keras.datasets.mvtec.MASK_PATTERNS`) is, e.g. ``"{stem}_gt.png"``.

    Raises:
        FileNotFoundError: the category has no ``train/good`` (or no ``test``) folder.
        ValueError: a defect image has no mask, a mask's size differs from its image's, a
            file is no image or does not decode (named), or ``holdout`` leaves fewer than two
            training images.
    """
    from ssl_keras.datasets import mvtec

    holdout = check_fraction(holdout, "holdout")
    size = check_size(size)
    try:
        train = np.stack([x for x, *_ in mvtec.mvtec_dataset(root, category, "train", size)])
        test = list(
            mvtec.mvtec_dataset(
                root, category, "test", size, mask_pattern=mask_pattern
            ).as_numpy_iterator()
        )
    except (tf.errors.InvalidArgumentError, tf.errors.DataLossError, tf.errors.UnknownError):
        # A file that starts like an image but does not decode (truncated): name it.
        files = []
        for split in ("train", "test"):
            images, masks, _, _ = mvtec.mvtec_files(root, category, split, mask_pattern)
            files += images + [mask for mask in masks if mask]
        bad = image_files.undecodable(files)
        if not bad:
            raise
        raise ValueError(
            f"Cannot decode {bad[0]!r}"
            f"{f' (and {len(bad) - 1} more files)' if len(bad) > 1 else ''}: it is truncated "
            "or corrupt. Re-save or remove it."
        ) from None
    n_holdout = int(round(holdout * len(train)))
    if len(train) - n_holdout < 2:
        raise ValueError(
            f"{category!r} has {len(train)} train/good images; holding out {n_holdout} "
            "leaves fewer than two to train on. Lower holdout or add images."
        )
    order = np.random.default_rng(seed).permutation(len(train))
    images = np.stack([t[0] for t in test])
    gray = bool(
        np.allclose(train[..., 0], train[..., 1]) and np.allclose(train[..., 0], train[..., 2])
    )
    return CategoryData(
        category=category,
        train=train[np.sort(order[n_holdout:])],
        holdout=train[np.sort(order[:n_holdout])],
        test=images,
        masks=np.stack([t[1][..., 0] for t in test]).astype(np.int32),
        labels=np.array([t[2] for t in test], np.int32),
        defect_types=np.array([t[3].decode() for t in test]),
        grayscale=gray,
    )
