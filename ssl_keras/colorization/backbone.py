"""The colorizer's backbone: VGG16 with ImageNet weights, the denoising-pretrained U-Net
encoder of notebook 02, or a small encoder trained from scratch, and the choice between them
(:func:`choose_backbone`: the first one available, online or offline)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import keras

from ssl_keras import color, models, paths
from ssl_keras.datasets import download

BACKBONES = ("vgg16", "denoiser", "small")
VGG16_SKIPS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
VGG16_WEIGHTS_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG16_WEIGHTS_URL = (
    f"https://storage.googleapis.com/tensorflow/keras-applications/vgg16/{VGG16_WEIGHTS_FILE}"
)
VGG16_WEIGHTS_MD5 = "6d6bbae143d832006294945121d1f1fc"  # the hash Keras checks for this file
DEPTH = 4  # poolings between the finest and the deepest feature map (VGG16: 4 before block5)
MIN_SIDE = 2**DEPTH
"""Smallest image side :func:`colorize` accepts (the deepest features are 1/16 scale)."""


@dataclasses.dataclass(frozen=True)
class BackboneChoice:
    """Which backbone :func:`colorizer` builds, and why (``describe()`` is one line)."""

    kind: str  # one of BACKBONES
    # vgg16: "imagenet" (Keras fetches them), a VGG16 weights file, or None (random init);
    # denoiser: the path of encoder.keras; small: None (trained from scratch)
    weights: str | None
    reason: str

    @property
    def pretrained(self) -> bool:
        return self.weights is not None

    def describe(self) -> str:
        if self.kind == "vgg16" and self.weights is None:
            what = "VGG16 (random initialisation, trained end to end)"
        elif self.kind == "vgg16":
            imagenet = self.weights == "imagenet" or Path(self.weights).name == VGG16_WEIGHTS_FILE
            source = "ImageNet weights" if imagenet else f"weights from {Path(self.weights).name}"
            what = f"VGG16 ({source}, frozen)"
        elif self.kind == "denoiser":
            what = "U-Net encoder pretrained by denoising (notebook 02, frozen)"
        else:
            what = "small VGG-style encoder trained end to end (no pretrained weights)"
        return f"backbone: {what} — {self.reason}"


def keras_cache_dir() -> Path:
    """The folder where Keras caches downloaded weights (``models/`` of the writable
    :func:`ssl_keras.paths.keras_homes` folder, as ``keras.utils.get_file`` picks it)."""
    return paths.keras_homes()[-1] / "models"


def imagenet_weights(timeout: float = 3.0) -> Path:
    """The file of VGG16's ImageNet weights (no top), downloaded into :func:`keras_cache_dir`
    unless it is there already (md5-checked, as Keras does).

    Raises :class:`~ssl_keras.datasets.download.DownloadError` when the file cannot be had:
    offline (the connection attempt gives up after ``timeout`` seconds), a cache folder that
    cannot be written, or a checksum mismatch (something else answered the URL).
    """
    path = keras_cache_dir() / VGG16_WEIGHTS_FILE
    try:
        return download.download(VGG16_WEIGHTS_URL, path, md5=VGG16_WEIGHTS_MD5, timeout=timeout)
    except (OSError, ValueError) as error:
        raise download.DownloadError(f"VGG16 ImageNet weights unavailable: {error}") from None


def default_encoder_path() -> Path:
    """Where notebook 02 saves its denoising-pretrained encoder."""
    return paths.artifacts_dir("denoiser", create=False) / "encoder.keras"


def choose_backbone(
    prefer: str = "auto",
    encoder_path: str | os.PathLike | None = None,
    timeout: float = 3.0,
    weights: str | os.PathLike | None = None,
) -> BackboneChoice:
    """Pick the backbone: ``prefer="auto"`` takes the first available of VGG16 + ImageNet
    (cached, or downloaded now: see :func:`imagenet_weights`), the denoising encoder at
    ``encoder_path`` (default :func:`default_encoder_path`), and the small encoder trained
    from scratch. ``"vgg16"``, ``"denoiser"`` or ``"small"`` force one (``"vgg16"`` offline
    means random initialisation, trained end to end: slow on a CPU).

    ``weights``: a VGG16 weights file (``include_top=False``, e.g. written by
    ``keras.applications.VGG16(include_top=False).save_weights("vgg16.weights.h5")``) to use
    instead of downloading; only with ``prefer`` ``"auto"`` or ``"vgg16"``.
    """
    if prefer not in ("auto", *BACKBONES):
        raise ValueError(f"prefer must be 'auto' or one of {BACKBONES}, got {prefer!r}.")
    if weights is not None:
        if prefer not in ("auto", "vgg16"):
            raise ValueError(
                f"weights= is a VGG16 weights file; it needs prefer='vgg16' or 'auto', "
                f"got prefer={prefer!r}."
            )
        weights = Path(weights)
        if not weights.is_file():
            raise FileNotFoundError(
                f"VGG16 weights file {str(weights)!r} not found. Pass an existing .h5 file, "
                "or weights=None to use the ImageNet weights."
            )
        return BackboneChoice("vgg16", str(weights), f"weights file {str(weights)!r}")
    encoder = Path(encoder_path) if encoder_path is not None else default_encoder_path()
    if prefer == "small":
        return BackboneChoice("small", None, "chosen explicitly")
    if prefer == "denoiser":
        if not encoder.is_file():
            raise FileNotFoundError(
                f"Denoising encoder {str(encoder)!r} not found. Run notebook 02 "
                "(02_unet_denoising) to create it, or pass encoder_path=..."
            )
        return BackboneChoice("denoiser", str(encoder), f"loaded from {encoder.name}")
    cached = (keras_cache_dir() / VGG16_WEIGHTS_FILE).is_file()
    try:
        path = imagenet_weights(timeout)
    except download.DownloadError:
        path = None
    if path is not None:
        return BackboneChoice(
            "vgg16", str(path), f"ImageNet weights {'cached' if cached else 'downloaded'}"
        )
    if prefer == "vgg16":
        return BackboneChoice(
            "vgg16", None, "offline: no ImageNet weights, random initialisation, trained end to end"
        )
    hint = f"put {VGG16_WEIGHTS_FILE} in {keras_cache_dir()} to use VGG16"
    if encoder.is_file():
        return BackboneChoice(
            "denoiser", str(encoder), f"offline fallback, no ImageNet weights ({hint})"
        )
    return BackboneChoice(
        "small",
        None,
        f"offline fallback: no ImageNet weights and no {encoder.name} from notebook 02 ({hint})",
    )


def _load_denoiser(path: str) -> tuple[keras.Model, models.UNetLevels]:
    """The encoder saved by notebook 02 at ``path`` and its U-Net levels (depth 4 needed)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Denoising encoder {path!r} not found; run notebook 02 first.")
    encoder = keras.saving.load_model(path, compile=False)
    levels = models.find_levels(encoder, "colorizer (denoising encoder)")
    if levels.depth != DEPTH or not levels.bottleneck:
        raise ValueError(
            f"The encoder in {path!r} has depth {levels.depth}; the colorizer needs a "
            f"depth-{DEPTH} U-Net encoder with a bottleneck (models.unet(depth=4), "
            "encoder_from(unet))."
        )
    return encoder, levels


def _unet_features(
    channels: int, base_filters: int, batch_norm: bool, source: keras.Model | None
) -> keras.Model:
    """A U-Net encoder returning [enc1, …, enc4, bottleneck]; weights copied from ``source``."""
    unet = models.unet(
        (None, None, channels), depth=DEPTH, base_filters=base_filters, batch_norm=batch_norm
    )
    if source is not None:
        models.load_encoder_weights(unet, source)
    names = [f"enc{i}" for i in range(1, DEPTH + 1)] + ["bottleneck"]
    return keras.Model(unet.inputs, [unet.get_layer(n).output for n in names], name="backbone")


def build_backbone(
    choice: BackboneChoice, base_filters: int = 16, batch_norm: bool = True
) -> tuple[keras.Model, color.LightnessInput]:
    """The backbone ``choice`` names, fresh: a model mapping the prepared input to 5 feature
    maps at scales 1, 1/2, …, 1/16, and the layer preparing L ``(N, H, W, 1)`` in [0, 100]
    for it (VGG16 preprocessing, or gray in [0, 1] with the encoder's channel count).

    Pretrained weights are copied into a new model, so a loaded encoder is never changed;
    the ``"small"`` backbone is built with ``base_filters`` and ``batch_norm``.
    """
    if choice.kind == "vgg16":
        vgg = keras.applications.VGG16(
            include_top=False, weights=choice.weights, input_shape=(None, None, 3)
        )
        features = keras.Model(
            vgg.inputs, [vgg.get_layer(n).output for n in VGG16_SKIPS], name="backbone"
        )
        return features, color.LightnessInput("vgg16", name="backbone_input")
    if choice.kind == "denoiser":
        source, levels = _load_denoiser(choice.weights)
        first = levels.layer("enc1")
        channels = int(first.conv1.kernel.shape[2])
        features = _unet_features(channels, first.filters, first.batch_norm, source)
    else:
        channels = 3
        features = _unet_features(3, base_filters, batch_norm, None)
    return features, color.LightnessInput("gray", channels=channels, name="backbone_input")
