"""Self-supervised denoising pretraining: the recipe that notebooks 02, 03 and 04 share.

The pretext task: add noise to unlabeled images and train a U-Net to remove it; the clean
image is the label, so no annotation is needed. The encoder that learns to tell image
structure from noise is then reused where labels are scarce (notebook 04).

>>> from ssl_keras import denoising
>>> denoiser = denoising.load_or_pretrain("smoke")   # artifacts/denoiser/, or trains it
>>> encoder = keras.models.load_model(denoising.artifacts_folder() / "encoder.keras")

==============  ================================================================================
module          holds
==============  ================================================================================
``recipes``     ``NOISE_LEVELS``, ``ARTIFACTS``, ``FILES``, ``POOLS``, ``QUICK_STEPS``, ``Recipe``,
                ``recipe``: everything that decides a run
``data``        ``toy_pets_root``, ``pool_files``, ``pool_sources``, ``split_pool``,
                ``mixed_noise``, ``noisy_dataset``, ``training_batches``: the unlabeled pool,
                its splits, noisy batches
``pretrain``    ``build_denoiser``, ``artifacts_folder``, ``optimizer``, ``compile_denoiser``,
                ``pretrain_denoiser``, ``save_denoiser``, ``read_history``,
                ``load_or_pretrain``: training, saving, reloading
``evaluation``  ``apply_denoiser``, ``Evaluation``, ``evaluate``: PSNR/SSIM against the
                classical denoisers
==============  ================================================================================

Every public name is available from this package: ``from ssl_keras import denoising``, then
``denoising.recipe(...)``.

Choices, and why:

* **Unlabeled pool** — smoke: random crops of scikit-image's photographs (natural textures
  and edges) plus the toy-pets unlabeled pool (the domain of the cat-vs-turtle task in 04),
  both generated offline; full: the 5,000 real photographs of COCO val2017 (downloaded once,
  annotations never read). :func:`pool_files` is the one place that decides.
* **Held-out test by source** — crops of one photograph share its content, so
  :func:`split_pool` keeps each source (:func:`pool_sources`: a crop's photograph, any other
  file itself) in one split; the test photographs give no training or validation crop.
* **Noise** — generated on the fly in ``tf.data``, a new draw every time an image is seen:
  ``"mixed"`` gives each image Gaussian noise (σ = 25/255) or salt-and-pepper noise (5 %),
  so one blind model handles both (:data:`NOISE_LEVELS`).
* **Residual U-Net** — the model predicts a correction that is added to its input (as
  DnCNN does), and the 1×1 head starts at zero, so training starts from the identity (the
  noisy PSNR) instead of from a random image. The output is unbounded; clip it to [0, 1]
  for display and metrics (:func:`apply_denoiser` does).
* **Small random crops** — training on ``patch_size`` crops (half the image side in smoke)
  buys four times as many optimizer steps for the same pixels; on a CPU budget more steps
  beat bigger batches. Convolutions do not care: the model is evaluated on whole images.
* **Mixed noise** — half of the images get Gaussian noise, half salt-and-pepper noise
  (``gaussian_share`` shifts the balance: more Gaussian helps Gaussian and costs
  salt-and-pepper PSNR, about 0.3 dB against 2 dB at a two-thirds share in smoke).
* **L1 loss** (mean absolute error) — with squared error the few huge salt-and-pepper
  errors dominate the gradient; L1 weighs every pixel alike (restoration networks such as
  EDSR train with L1 for the same reason). Adam with cosine learning-rate decay.
"""

from ssl_keras.denoising.data import (
    mixed_noise,
    noisy_dataset,
    pool_files,
    pool_sources,
    split_pool,
    toy_pets_root,
    training_batches,
)
from ssl_keras.denoising.evaluation import Evaluation, apply_denoiser, evaluate
from ssl_keras.denoising.pretrain import (
    artifacts_folder,
    build_denoiser,
    compile_denoiser,
    load_or_pretrain,
    optimizer,
    pretrain_denoiser,
    read_history,
    save_denoiser,
)
from ssl_keras.denoising.recipes import (
    ARTIFACTS,
    FILES,
    NOISE_LEVELS,
    POOLS,
    QUICK_STEPS,
    Recipe,
    recipe,
)

__all__ = [
    "ARTIFACTS",
    "FILES",
    "NOISE_LEVELS",
    "POOLS",
    "QUICK_STEPS",
    "Evaluation",
    "Recipe",
    "apply_denoiser",
    "artifacts_folder",
    "build_denoiser",
    "compile_denoiser",
    "evaluate",
    "load_or_pretrain",
    "mixed_noise",
    "noisy_dataset",
    "optimizer",
    "pool_files",
    "pool_sources",
    "pretrain_denoiser",
    "read_history",
    "recipe",
    "save_denoiser",
    "split_pool",
    "toy_pets_root",
    "training_batches",
]
