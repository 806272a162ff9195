"""What decides a denoising-pretraining run: the noise levels of the study, the names of the
stored artifacts, the unlabeled pools, and each profile's :class:`Recipe` (:func:`recipe`)."""

from __future__ import annotations

import dataclasses

from ssl_keras import runtime
from ssl_keras.profiles import Profile, get_profile

NOISE_LEVELS: dict[str, float] = {"gaussian": 25 / 255, "salt_and_pepper": 0.05}
"""The two noise types of the study at their reference levels (σ, fraction of pixels)."""

ARTIFACTS = "denoiser"
FILES = ("denoiser.keras", "encoder.keras", "history.csv", "recipe.json")

POOLS = ("generated", "coco_val2017")
"""Unlabeled pools of :func:`pool_files`: photo crops + toy pets generated offline, or COCO
val2017's photographs (downloaded)."""

QUICK_STEPS = 2_000
"""Step budget of the quick recipe (``recipe(profile, quick=True)``) that
:func:`load_or_pretrain` trains when no denoiser is stored."""


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Everything that determines a pretrained denoiser (stored beside it as ``recipe.json``)."""

    profile: str
    image_size: int  # side of the pool images and of evaluation inputs
    patch_size: int  # side of the random training crops
    base_filters: int
    depth: int
    batch_size: int  # per replica: a run on several replicas trains on global_batch_size
    steps: int  # optimizer steps in all (the budget)
    epochs: int  # validation / checkpoint points; steps_per_epoch = steps // epochs
    learning_rate: float  # peak of the cosine decay
    patience: int  # EarlyStopping patience in epochs
    n_photo_crops: int  # natural-photo crops in a "generated" pool
    n_unlabeled: int  # toy-pets unlabeled images in a "generated" pool
    n_val: int
    n_test: int
    noise: str = "mixed"  # "mixed" or one name of NOISE_LEVELS
    gaussian_share: float = 0.5  # of the images in "mixed" batches; the rest salt-and-pepper
    loss: str = "mae"
    pool: str = "generated"  # one of POOLS

    @property
    def steps_per_epoch(self) -> int:
        return max(1, self.steps // self.epochs)

    @property
    def global_batch_size(self) -> int:
        """``batch_size`` × the replicas of the active strategy (see
        :func:`ssl_keras.runtime.setup`). The stored recipe keeps the per-replica batch, so
        a denoiser trained on one device is reused on several and the other way round."""
        return self.batch_size * runtime.replicas()


def recipe(profile: str | Profile | None = None, quick: bool = False) -> Recipe:
    """The pretraining recipe for a profile (``None``: the active one): the profile's
    architecture and batch with its :class:`~ssl_keras.profiles.Denoising` settings, on
    random crops of half the image side.

    smoke (2-core CPU, ≈ 2 minutes): generated pool, 64-px images, 32-px crops, 1200 steps
    of 16 crops, 96 held-out test images (the crops of about two photographs + toy pets).
    full (GPU): COCO val2017 (4,000 train / 500 val / 500 test images) at 128 px, 64-px
    crops, 20 000 steps of 32 crops per replica.

    ``quick=True``: the same recipe cut to :data:`QUICK_STEPS` steps (and at most 10
    epochs), what :func:`load_or_pretrain` trains when no denoiser is stored; the same
    architecture, so every encoder cut and head of notebooks 03-05 fits it. A recipe that is
    already that short (smoke) is returned unchanged.
    """
    chosen = get_profile(profile)
    standard = Recipe(
        profile=chosen.name,
        image_size=chosen.image_size,
        patch_size=chosen.image_size // 2,
        base_filters=chosen.base_filters,
        depth=chosen.depth,
        batch_size=chosen.batch_size,
        **dataclasses.asdict(chosen.denoising),
    )
    if not quick or standard.steps <= QUICK_STEPS:
        return standard
    return dataclasses.replace(standard, steps=QUICK_STEPS, epochs=min(standard.epochs, 10))
