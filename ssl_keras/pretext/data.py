"""The data of notebook 09: the unlabeled pool every pretext task trains on, and the labeled
classes the downstream protocols read."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ssl_keras import denoising, image_files, paths, pipelines
from ssl_keras.profiles import Profile, get_profile


def labeled_root(profile: str | Profile | None = None) -> Path:
    """The class folders (``train/<class>/``, ``test/<class>/``) of the profile's downstream
    task; ``None``: the active profile.

    - smoke: notebook 04's toy cats and turtles (:func:`ssl_keras.transfer.labeled_root`);
    - full: all of CIFAR-10 (:func:`ssl_keras.datasets.download.cifar10`, downloaded once
      into ``data/cifar10/``), the setting of RotNet's label-efficiency study.
    """
    chosen = get_profile(profile)
    if chosen.data == "synthetic":
        from ssl_keras import transfer

        return transfer.labeled_root(chosen)
    from ssl_keras.datasets import download

    return download.cifar10(paths.data_dir("cifar10"))


def unlabeled_pool(profile: str | Profile | None = None) -> np.ndarray:
    """The profile's unlabeled pool as float32 ``(N, S, S, 3)`` in [0, 1], ``S`` its
    ``pretext.image_size``, ``N`` its ``pretext.n_unlabeled``; labels are never read:

    - smoke: the toy pets' ``unlabeled/`` images (the domain of the cat-vs-turtle task,
      generated offline on first use by :func:`ssl_keras.denoising.toy_pets_root`);
    - full: the CIFAR-10 training images of :func:`labeled_root` (RotNet's setting: the
      pretext tasks see every training image, the probes some of their labels).
    """
    chosen = get_profile(profile)
    settings = chosen.pretext
    if chosen.data == "synthetic":
        folder = denoising.toy_pets_root(chosen) / "unlabeled"
        files = image_files.list_image_files(folder)
    else:
        folder = labeled_root(chosen) / "train"
        files = image_files.list_image_files(folder, recursive=True)
    files = sorted(str(f) for f in files)[: settings.n_unlabeled]
    if len(files) < settings.n_unlabeled:
        raise ValueError(
            f"The unlabeled pool {str(folder)!r} has {len(files)} images, fewer than the "
            f"profile's pretext.n_unlabeled = {settings.n_unlabeled}; add images or lower "
            "n_unlabeled."
        )
    dataset = pipelines.image_dataset(files, settings.image_size, "center_crop", cache=False)
    return np.asarray(pipelines.to_numpy(dataset.batch(256)), np.float32)
