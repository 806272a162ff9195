"""Colorization in Lab: a frozen pretrained backbone sees L, a decoder predicts ab.

The recipe of notebook 05, in four modules: :mod:`~ssl_keras.colorization.backbone` (which
backbone, built fresh), :mod:`~ssl_keras.colorization.model` (the network, unfreezing,
compiling), :mod:`~ssl_keras.colorization.data` (photos → ``(L, ab)`` batches) and
:mod:`~ssl_keras.colorization.inference` (any resolution; files for the CLI). Every public
name is importable from here.

The model (:func:`colorizer`) maps ``L (N, H, W, 1)`` in [0, 100] to ``ab (N, H, W, 2)`` in
Lab units, at the full input resolution:

====================  ==================================================================
``lightness``         the input L
``pad`` / ``crop``    only when H or W is unknown or not a multiple of 16 (``2**depth``)
``backbone_input``    :class:`~ssl_keras.color.LightnessInput`: VGG16 preprocessing of L
                      (``preprocess_input`` of the 0–255 gray image), or gray in [0, 1]
``backbone``          nested model returning 5 feature maps at scales 1, 1/2, …, 1/16:
                      VGG16 ``block1_conv2`` … ``block5_conv3``, or a U-Net encoder's
                      ``enc1`` … ``enc4`` and ``bottleneck``
``dec4`` … ``dec1``   bilinear ×2 upsampling → concatenate the skip → ConvBlock
``ab_tanh``           1×1 convolution, tanh, at full resolution
``ab``                ``Rescaling(AB_RANGE)``: tanh's (-1, 1) → Lab units (no resampling
                      after the activation, so the output stays smooth and bounded)
====================  ==================================================================

Backbones (:func:`choose_backbone`): ``"vgg16"`` with ImageNet weights when they are in the
Keras cache or can be downloaded into it (or from a weights file you pass); offline, the
denoising-pretrained U-Net encoder of notebook 02 (``artifacts/denoiser/encoder.keras``)
when it exists; else a small VGG-style encoder trained end to end.

Data (:func:`photo_splits`, :func:`color_images`, :func:`lab_batches`): the profile picks
the photos (smoke: generated street scenes and photo crops; full: COCO val2017), or your
folder; files → decode → shorter side to the model size → gray photos skipped → random crop
and flip (training) or center crop → ``(L, ab)`` batches, all in ``tf.data``.

Inference at any resolution: :func:`colorize` predicts ab at the model's size, upsamples ab
and recombines it with the image's own full-resolution L.
"""

from ssl_keras.colorization.backbone import (
    BACKBONES,
    DEPTH,
    MIN_SIDE,
    VGG16_SKIPS,
    VGG16_WEIGHTS_FILE,
    VGG16_WEIGHTS_MD5,
    VGG16_WEIGHTS_URL,
    BackboneChoice,
    build_backbone,
    choose_backbone,
    default_encoder_path,
    imagenet_weights,
    keras_cache_dir,
)
from ssl_keras.colorization.data import (
    MIN_CHROMA,
    SMOKE_PHOTO_CROPS,
    SMOKE_STREET_SCENES,
    SPLITS,
    color_images,
    lab_batches,
    lab_pairs,
    mean_ab,
    photo_splits,
    split_files,
)
from ssl_keras.colorization.inference import (
    STRIP_PIXELS,
    colorize,
    colorize_files,
    load_colorizer,
    model_size,
)
from ssl_keras.colorization.model import colorizer, compile_colorizer, unfreeze_top

__all__ = [
    "BACKBONES",
    "DEPTH",
    "MIN_CHROMA",
    "MIN_SIDE",
    "SMOKE_PHOTO_CROPS",
    "SMOKE_STREET_SCENES",
    "SPLITS",
    "STRIP_PIXELS",
    "VGG16_SKIPS",
    "VGG16_WEIGHTS_FILE",
    "VGG16_WEIGHTS_MD5",
    "VGG16_WEIGHTS_URL",
    "BackboneChoice",
    "build_backbone",
    "choose_backbone",
    "color_images",
    "colorize",
    "colorize_files",
    "colorizer",
    "compile_colorizer",
    "default_encoder_path",
    "imagenet_weights",
    "keras_cache_dir",
    "lab_batches",
    "lab_pairs",
    "load_colorizer",
    "mean_ab",
    "model_size",
    "photo_splits",
    "split_files",
    "unfreeze_top",
]
