"""Pretext tasks compared on one encoder: rotation prediction and masked-patch inpainting,
the lessons' own three on a shared budget, and the linear probe that scores them.

Notebooks 02 (denoising), 05 (colorization) and 06 (CutPaste) each teach one pretext task
in their own package. ``rotation`` and ``inpainting`` complete the set that notebook 09
compares on one encoder, one unlabeled pool and one step budget (``tasks``), read out by
one downstream protocol (``probe``):

=============  ==================================================================================
module         holds
=============  ==================================================================================
``rotation``   RotNet: ``rotate_all`` (each image in its four rotations), ``rotation_dataset``,
               ``rotation_model`` (encoder + head → 4 logits), ``CLASS_NAMES``
``inpainting`` masked patches: ``patch_mask``, ``hide_patches``, ``masked_example``,
               ``masked_batches`` (hidden, clean, loss weights), ``inpainting_model`` (a U-Net),
               ``hidden_psnr``
``tasks``      ``TASKS``, ``PretextBudget``, ``pretext_batches``, ``pretext_network``,
               ``train_pretext`` (→ the U-Net whose encoder it trained), ``untrained_unet``,
               ``load_or_train`` (cached in a folder), ``gray_and_ab``, ``examples``
``probe``      ``encoder_features``, ``linear_probe``, ``probe_study``, ``ranking``,
               ``vgg16_features`` (the ImageNet reference), ``ROTNET_CIFAR10`` (published)
``finetune``   ``FineTuneBudget``, ``FineTuner`` (one compiled classifier, any arm's encoder),
               ``fine_tune_study``
``segment``    ``frozen_segmentation_study`` (notebook 07's task on every frozen encoder)
``data``       ``labeled_root``, ``unlabeled_pool`` (toy pets offline, CIFAR-10 online)
``reuse``      ``notebook_encoders``: the encoders notebooks 02, 05 and 06 saved, for the probe
=============  ==================================================================================

Every task generates its examples per batch inside ``tf.data`` from seeds (nothing per
image in Python) and trains through :func:`ssl_keras.training.compile_model`.
"""

from ssl_keras.pretext import data, finetune, inpainting, probe, reuse, rotation, segment, tasks
from ssl_keras.pretext.data import labeled_root, unlabeled_pool
from ssl_keras.pretext.finetune import FineTuneBudget, FineTuner, fine_tune_study
from ssl_keras.pretext.inpainting import (
    hidden_psnr,
    hide_patches,
    inpainting_model,
    masked_batches,
    masked_example,
    patch_mask,
)
from ssl_keras.pretext.probe import (
    ROTNET_CIFAR10,
    encoder_features,
    linear_probe,
    probe_study,
    ranking,
    vgg16_features,
)
from ssl_keras.pretext.reuse import NotebookEncoder, notebook_encoders
from ssl_keras.pretext.rotation import (
    N_ROTATIONS,
    rotate_all,
    rotation_dataset,
    rotation_model,
)
from ssl_keras.pretext.segment import frozen_segmentation_study
from ssl_keras.pretext.tasks import (
    TASKS,
    PretextBudget,
    check_task,
    examples,
    gray_and_ab,
    load_or_train,
    pretext_batches,
    pretext_network,
    train_pretext,
    untrained_unet,
)

__all__ = [
    "ROTNET_CIFAR10",
    "vgg16_features",
    "FineTuneBudget",
    "FineTuner",
    "data",
    "examples",
    "fine_tune_study",
    "frozen_segmentation_study",
    "finetune",
    "unlabeled_pool",
    "N_ROTATIONS",
    "NotebookEncoder",
    "notebook_encoders",
    "reuse",
    "TASKS",
    "PretextBudget",
    "check_task",
    "encoder_features",
    "gray_and_ab",
    "linear_probe",
    "load_or_train",
    "pretext_batches",
    "pretext_network",
    "probe",
    "probe_study",
    "ranking",
    "tasks",
    "train_pretext",
    "untrained_unet",
    "hidden_psnr",
    "hide_patches",
    "inpainting",
    "inpainting_model",
    "labeled_root",
    "masked_batches",
    "masked_example",
    "patch_mask",
    "rotate_all",
    "rotation",
    "rotation_dataset",
    "rotation_model",
    "segment",
]
