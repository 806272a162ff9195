"""U-Net builder, encoder extraction by layer name, weight transfer and a classification head.

One builder, :func:`unet`, serves every notebook: denoising (3 channels out, sigmoid or
residual), binary segmentation (1 channel, logits or sigmoid) and multi-class segmentation
(``n_classes`` channels, logits). Its blocks have stable names, so the pretrained encoder can
be cut out (:func:`encoder_from`), inspected (:func:`feature_extractor`), copied into a fresh
model (:func:`load_encoder_weights`) and topped with a classifier (:func:`classifier`,
:func:`set_trainable_levels`).

============  ===================================================================================
module        holds
============  ===================================================================================
``builder``   ``unet`` (how any input size is padded and cropped), ``UPSAMPLING``,
              ``count_params`` → ``ParamCount``
``levels``    ``find_levels`` → ``UNetLevels``, ``encoder_from``, ``feature_extractor``,
              ``load_encoder_weights``, ``set_trainable_levels`` (why BatchNorm stays frozen
              through ``trainable`` when fine-tuning)
``heads``     ``classifier``, ``classification_head``
============  ===================================================================================

Layer names of a ``unet(depth=N)`` (the U-Net "contract" the helpers rely on):

====================  ==========================================================
``image``             the input, ``(batch, H, W, C)`` float32
``pad``               only when H or W is unknown or not divisible by ``2**N``
``enc1`` … ``encN``   :class:`~ssl_keras.layers.ConvBlock` at 1/1 … 1/2**(N-1) scale,
                      ``base_filters * 2**(i-1)`` channels (the output before pooling)
``pool1`` … ``poolN`` 2×2 max pooling
``bottleneck``        ConvBlock at 1/2**N scale, ``base_filters * 2**N`` channels
``dec{i}_up``         upsampling to the scale of ``enc{i}`` (``dec{i}_upsample`` too
                      for bilinear)
``dec{i}_concat``     ``[enc{i}, dec{i}_up]`` along channels
``decN`` … ``dec1``   ConvBlock; ``dec{i}`` mirrors ``enc{i}`` (same scale and width),
                      so ``decN`` runs first and ``dec1`` last
``crop``              only with ``pad``: crops back to the input size
``head``              1×1 convolution to ``output_channels`` (float32 under mixed
                      precision, so losses and softmax stay stable)
``residual``          only with ``residual=True``: ``image + head``
====================  ==========================================================

Every public name is available from this package: ``from ssl_keras import models``, then
``models.unet(...)``.
"""

from ssl_keras.models.builder import UPSAMPLING, ParamCount, count_params, unet
from ssl_keras.models.heads import classification_head, classifier
from ssl_keras.models.levels import (
    UNetLevels,
    encoder_from,
    feature_extractor,
    find_levels,
    load_encoder_weights,
    set_trainable_levels,
)

__all__ = [
    "UPSAMPLING",
    "ParamCount",
    "UNetLevels",
    "classification_head",
    "classifier",
    "count_params",
    "encoder_from",
    "feature_extractor",
    "find_levels",
    "load_encoder_weights",
    "set_trainable_levels",
    "unet",
]
