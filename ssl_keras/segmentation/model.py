"""The multi-class segmentation U-Net, from scratch or with a pretrained encoder."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from ssl_keras import models


def unet(
    input_shape: Sequence[int | None],
    n_classes: int,
    depth: int,
    base_filters: int,
    dropout: float = 0.0,
    pretrained: keras.Model | None = None,
    seed: int | None = None,
    bn_momentum: float = 0.99,
    name: str = "segmenter",
) -> keras.Model:
    """The multi-class segmentation U-Net, from scratch or with a pretrained encoder.

    :func:`ssl_keras.models.unet` with ``Conv2DTranspose`` upsampling, ``he_normal``
    kernels, ``dropout`` after the deepest encoder block and the bottleneck, and a 1×1 head
    of ``n_classes`` logits: float32 ``(N, H, W, C)`` in [0, 1] → float32 logits
    ``(N, H, W, n_classes)``. With ``pretrained`` (a U-Net such as notebook 02's denoiser,
    or its encoder), the encoder blocks ``enc1``… and ``bottleneck`` (convolutions and BN
    statistics) are copied from it by :func:`ssl_keras.models.load_encoder_weights`; the
    decoder and head stay freshly initialised. Convolutions do not depend on the image size,
    so a denoiser trained on 64×64 crops fits 48×64 scenes. ``depth`` and ``base_filters``
    must match the pretrained model's (else ``ValueError`` naming the block).

    ``seed``: seeds Keras before building, so the same seed gives the same initial weights.
    ``bn_momentum``: of the BN moving statistics; 0.9 lets them catch up in runs of a few
    hundred steps, where 0.99 leaves validation scores lagging far behind training.
    """
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative int or None, got {seed!r}.")
        keras.utils.set_random_seed(int(seed))
    model = models.unet(
        input_shape,
        depth=depth,
        base_filters=base_filters,
        upsampling="transpose",
        dropout=dropout,
        output_channels=n_classes,
        output_activation=None,
        kernel_initializer="he_normal",
        bn_momentum=bn_momentum,
        name=name,
    )
    if pretrained is not None:
        models.load_encoder_weights(model, pretrained)
    return model
