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
class Profile:
    """Sizes shared by the notebooks. Every field is a plain number or tuple, so a profile
    can be printed, compared and varied with :func:`dataclasses.replace`."""

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
