"""Run profiles: one place that sizes every notebook for a 2-core CPU or for a GPU.

``smoke`` is sized so every notebook runs in a few minutes on a 2-core laptop or CI machine
with synthetic data; ``full`` is sized for a Colab/Kaggle GPU and the real datasets.
Choose with the environment variable ``SSL_KERAS_PROFILE=auto|smoke|full`` (``auto`` picks
``full`` when TensorFlow sees a GPU or TPU) or by passing a name to :func:`get_profile`.
"""

from __future__ import annotations

import dataclasses
import os

ENV_VAR = "SSL_KERAS_PROFILE"


@dataclasses.dataclass(frozen=True)
class SeedSpread:
    """Standard deviations of a lesson's results over training seeds, measured offline for
    one profile's recipe (``measured_on`` names the CPU and the seeds). Read like a mapping:
    ``spread["gain_db"]``."""

    values: tuple[tuple[str, float], ...]
    measured_on: str

    def __getitem__(self, key: str) -> float:
        for name, value in self.values:
            if name == key:
                return value
        raise KeyError(f"No seed spread {key!r}; measured: {[n for n, _ in self.values]}.")

    def keys(self) -> list[str]:
        return [name for name, _ in self.values]


@dataclasses.dataclass(frozen=True)
class Denoising:
    """Notebook 02's pretraining run (see :func:`ssl_keras.denoising.recipe`)."""

    steps: int  # optimizer steps in all (the budget)
    epochs: int  # validation / checkpoint points
    learning_rate: float  # peak of the cosine decay
    patience: int  # EarlyStopping patience in epochs
    n_photo_crops: int  # natural-photo crops in a generated pool (0: downloaded pool)
    n_unlabeled: int  # toy-pets unlabeled images in a generated pool
    n_val: int
    n_test: int
    pool: str  # "generated" or "coco_val2017"


@dataclasses.dataclass(frozen=True)
class ToyPets:
    """The generated cat-vs-turtle set (:func:`ssl_keras.denoising.toy_pets_root`)."""

    n_train: int  # per class
    n_test: int  # per class
    n_unlabeled: int


@dataclasses.dataclass(frozen=True)
class Transfer:
    """Notebook 04's label-efficiency study."""

    scratch_counts: tuple[int, ...]  # labels per class at which the scratch arm also trains


@dataclasses.dataclass(frozen=True)
class Colorization:
    """Notebook 05's two-stage colorizer."""

    epochs: int  # stage 1, per loss: decoder only
    fine_tune_epochs: int  # stage 2: the backbone's last block unfrozen (0: no stage 2)
    decoder_filters: int  # channels of the full-resolution decoder block
    seed_sd: SeedSpread | None  # None: the spread was not measured for this profile


@dataclasses.dataclass(frozen=True)
class Anomaly:
    """Notebook 06's pretext training and MVTec categories."""

    category: str  # the category the lesson studies
    other_categories: tuple[str, ...]  # checked with the same recipe at the end
    epochs: int  # at most: early stopping ends the run sooner
    steps_per_epoch: int
    seed_sd: SeedSpread | None  # image AUROC, keys "<category>/<overall|obvious|subtle>"


@dataclasses.dataclass(frozen=True)
class Segmentation:
    """Notebook 07's multi-class U-Net and its seed study."""

    epochs: int
    patience: int  # early stopping on validation mean IoU
    study_labeled: int  # labeled scenes per study run
    study_epochs: int  # at most, early stopping on validation mean IoU


@dataclasses.dataclass(frozen=True)
class Foreground:
    """Notebook 08's foreground segmentation."""

    epochs: int


@dataclasses.dataclass(frozen=True)
class Pretext:
    """Notebook 09's comparison of pretext tasks (:mod:`ssl_keras.pretext`)."""

    image_size: int  # side of the pool, labeled and test images
    steps: int  # Adam steps of every pretext task (the shared budget)
    batch_size: int  # examples per pretext step
    crop: int  # side of the random crops the pretext tasks train on
    depth: int  # of the shared U-Net
    base_filters: int
    patch: int  # inpainting: side of a hidden patch
    level: int  # encoder level the probe and the fine-tune read
    n_unlabeled: int  # images of the unlabeled pool (smoke: toy pets; full: CIFAR-10 train)
    label_counts: tuple[int, ...]  # labels per class of the linear probe
    fine_tune_counts: tuple[int, ...]  # labels per class of the fine-tune runs
    fine_tune_steps: int
    fine_tune_batch: int
    supervised_steps: int  # the arm trained from scratch on every labeled image
    seed_sd: SeedSpread | None  # over pretext seeds, keys "<probe|fine_tune>/<arm>"


@dataclasses.dataclass(frozen=True)
class Profile:
    """Sizes shared by the notebooks, and each lesson's own (``profile.colorization`` …).
    Every field is a plain number, string, tuple or frozen dataclass, so a profile can be
    printed, compared and varied with :func:`dataclasses.replace`."""

    name: str
    image_size: int  # square side in pixels of model inputs
    base_filters: int  # filters of the first U-Net level; doubled at each level
    depth: int  # number of encoder levels (pooling steps)
    batch_size: int  # per replica; runtime.Runtime.batch_size scales it by the replicas
    epochs: int  # upper bound; early stopping may end sooner
    steps_per_epoch: int | None  # None: one pass over the training data
    n_train: int  # synthetic dataset sizes (images), or caps on real datasets
    n_val: int
    n_test: int
    label_counts: tuple[int, ...]  # labeled images per class in the label-efficiency study
    n_seeds: int  # repeats for mean ± std
    data: str  # "synthetic" (offline, generated) or "download" (real datasets)
    committed: bool  # the committed notebooks hold this profile's run; their text describes it
    denoising: Denoising
    toy_pets: ToyPets
    transfer: Transfer
    colorization: Colorization
    anomaly: Anomaly
    segmentation: Segmentation
    foreground: Foreground
    pretext: Pretext

    def describe(self) -> str:
        """One short line with the sizes that matter most."""
        return (
            f"{self.name} ({self.image_size}px, base {self.base_filters}, depth {self.depth}, "
            f"batch {self.batch_size}, ≤{self.epochs} epochs)"
        )


SMOKE = Profile(
    name="smoke",
    image_size=64,
    base_filters=16,
    depth=4,
    batch_size=16,
    epochs=4,
    steps_per_epoch=None,
    n_train=256,
    n_val=48,
    n_test=48,
    label_counts=(10, 25, 50),
    n_seeds=3,
    data="synthetic",
    committed=True,
    # ≈ 2 minutes on 2 CPU cores: 1200 steps of 16 crops of 32 px; 96 held-out test images
    # (the crops of about two photographs + toy pets).
    denoising=Denoising(
        steps=1200,
        epochs=8,
        learning_rate=2e-3,
        patience=3,
        n_photo_crops=256,
        n_unlabeled=512,
        n_val=48,
        n_test=96,
        pool="generated",
    ),
    toy_pets=ToyPets(n_train=64, n_test=100, n_unlabeled=512),
    transfer=Transfer(scratch_counts=(10,)),
    colorization=Colorization(
        epochs=16,
        fine_tune_epochs=0,
        decoder_filters=16,
        # L1, denoiser backbone; SEED = 0's images with initial weights, crops and batch
        # order from seeds 0…4; and L1 minus MSE with everything from seeds 0…4.
        seed_sd=SeedSpread(
            (
                ("gain_db", 0.054),  # L1's PSNR gain over gray, dB
                ("ratio", 0.011),  # L1's colorfulness error / gray's
                ("l1_minus_mse_db", 0.59),  # PSNR, dB
                ("l1_minus_mse_colorfulness", 4.4),  # mean Hasler–Süsstrunk colorfulness
            ),
            measured_on="2-core AMD EPYC, seeds 0-4",
        ),
    ),
    anomaly=Anomaly(
        category="weave",
        other_categories=("cap",),
        epochs=20,
        steps_per_epoch=40,
        # Generated data with 12 test images per defect type; split, initial weights and
        # pretext stream from SEED = 0…4.
        seed_sd=SeedSpread(
            (
                ("weave/overall", 0.030),
                ("weave/obvious", 0.003),
                ("weave/subtle", 0.072),
                ("cap/overall", 0.035),
                ("cap/obvious", 0.034),
                ("cap/subtle", 0.088),
            ),
            measured_on="2-core Intel Xeon with AMX, float32, seeds 0-4",
        ),
    ),
    segmentation=Segmentation(epochs=8, patience=3, study_labeled=32, study_epochs=6),
    foreground=Foreground(epochs=8),
    # ≈ 2 minutes of pretext training on 2 CPU cores: 5 tasks × 240 steps of 32 crops of 32 px.
    pretext=Pretext(
        image_size=64,
        steps=240,
        batch_size=32,
        crop=32,
        depth=3,
        base_filters=16,
        patch=4,
        level=2,
        n_unlabeled=512,
        label_counts=(5, 10, 25, 50),
        fine_tune_counts=(5,),
        fine_tune_steps=60,
        fine_tune_batch=8,
        supervised_steps=120,
        # Over SEED = 0…4 (bench/pretext_compare.py): each seed trains every task anew and
        # reads it with its own 5 labeled subsets; the SD of that mean at 5 labels per class
        # (the supervised arm: at every label).
        seed_sd=SeedSpread(
            (
                ("probe/denoising", 0.028),
                ("probe/colorization", 0.029),
                ("probe/cutpaste", 0.015),
                ("probe/rotation", 0.029),
                ("probe/inpainting", 0.006),
                ("probe/random init", 0.008),
                ("fine_tune/denoising", 0.039),
                ("fine_tune/colorization", 0.017),
                ("fine_tune/cutpaste", 0.013),
                ("fine_tune/rotation", 0.017),
                ("fine_tune/inpainting", 0.009),
                ("fine_tune/random init", 0.01),
                ("fine_tune/supervised, all labels", 0.059),
            ),
            measured_on="2-core AMD EPYC (Zen 4), float32, SEED 0-4",
        ),
    ),
)

FULL = Profile(
    name="full",
    image_size=128,
    base_filters=32,
    depth=4,
    batch_size=32,
    epochs=40,
    steps_per_epoch=None,
    n_train=20000,
    n_val=1000,
    n_test=1000,
    label_counts=(10, 25, 50, 100, 250, 1000),
    n_seeds=3,
    data="download",
    committed=False,
    # COCO val2017 has 5,000 photos: 4,000 train, 500 validation, 500 test.
    denoising=Denoising(
        steps=20_000,
        epochs=40,
        learning_rate=1e-3,
        patience=8,
        n_photo_crops=0,
        n_unlabeled=0,
        n_val=500,
        n_test=500,
        pool="coco_val2017",
    ),
    toy_pets=ToyPets(n_train=1000, n_test=500, n_unlabeled=20000),
    transfer=Transfer(scratch_counts=(10, 25, 50, 100, 250, 1000)),
    colorization=Colorization(epochs=20, fine_tune_epochs=5, decoder_filters=32, seed_sd=None),
    anomaly=Anomaly(
        category="bottle",
        other_categories=("grid",),
        epochs=40,
        steps_per_epoch=100,
        seed_sd=None,
    ),
    segmentation=Segmentation(epochs=60, patience=10, study_labeled=100, study_epochs=40),
    foreground=Foreground(epochs=30),
    # RotNet's semi-supervised setting: pretext tasks on the 50,000 CIFAR-10 training images,
    # probes with 20 to 5,000 of their labels per class, scored on the 10,000 test images.
    pretext=Pretext(
        image_size=32,
        steps=5000,
        batch_size=128,
        crop=32,
        depth=3,
        base_filters=32,
        patch=4,
        level=3,
        n_unlabeled=50000,
        label_counts=(20, 100, 400, 1000, 5000),
        fine_tune_counts=(20, 400),
        fine_tune_steps=500,
        fine_tune_batch=64,
        supervised_steps=5000,
        seed_sd=None,
    ),
)

PROFILES = {"smoke": SMOKE, "full": FULL}


def accelerator_visible() -> bool:
    """True when TensorFlow sees a GPU or TPU."""
    import tensorflow as tf

    # Environment variables alone (COLAB_TPU_ADDR, TPU_NAME) prove nothing: a TPU that fails to
    # initialise must not select the full profile; runtime.setup() warns about it instead.
    return bool(tf.config.list_physical_devices("GPU") or tf.config.list_physical_devices("TPU"))


def get_profile(name: str | Profile | None = None) -> Profile:
    """Return the profile called ``name``; ``None`` reads ``SSL_KERAS_PROFILE`` (default auto).

    ``auto`` resolves to ``full`` when an accelerator is visible, else ``smoke``.
    """
    if isinstance(name, Profile):
        return name
    chosen = (name or os.environ.get(ENV_VAR) or "auto").strip().lower()
    if chosen == "auto":
        chosen = "full" if accelerator_visible() else "smoke"
    if chosen not in PROFILES:
        raise ValueError(
            f"Unknown profile {chosen!r} (from {'argument' if name else ENV_VAR}). "
            f"Use one of: auto, {', '.join(PROFILES)}."
        )
    return PROFILES[chosen]
