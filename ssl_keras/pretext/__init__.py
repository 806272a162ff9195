"""Pretext tasks beside the lessons' own: rotation prediction and masked-patch inpainting.

Notebooks 02 (denoising), 05 (colorization) and 06 (CutPaste) each teach one pretext task
in their own package. The two here complete the set that notebook 09 compares on one
encoder, one unlabeled pool and one step budget:

=============  ==================================================================================
module         holds
=============  ==================================================================================
``rotation``   RotNet: ``rotate_all`` (each image in its four rotations), ``rotation_dataset``,
               ``rotation_model`` (encoder + head → 4 logits), ``CLASS_NAMES``
``inpainting`` masked patches: ``patch_mask``, ``hide_patches``, ``masked_example``,
               ``masked_batches`` (hidden, clean, loss weights), ``inpainting_model`` (a U-Net),
               ``hidden_psnr``
=============  ==================================================================================

Both generate their examples per batch inside ``tf.data`` from seeds (nothing per image in
Python), and both train through :func:`ssl_keras.training.compile_model`.
"""

from ssl_keras.pretext import inpainting, rotation
from ssl_keras.pretext.inpainting import (
    hidden_psnr,
    hide_patches,
    inpainting_model,
    masked_batches,
    masked_example,
    patch_mask,
)
from ssl_keras.pretext.rotation import (
    N_ROTATIONS,
    rotate_all,
    rotation_dataset,
    rotation_model,
)

__all__ = [
    "N_ROTATIONS",
    "hidden_psnr",
    "hide_patches",
    "inpainting",
    "inpainting_model",
    "masked_batches",
    "masked_example",
    "patch_mask",
    "rotate_all",
    "rotation",
    "rotation_dataset",
    "rotation_model",
]
