"""Colorization in Lab: a frozen pretrained backbone sees L, a decoder predicts ab.

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

Backbones (:func:`choose_backbone`): ``"vgg16"`` with ImageNet weights when Keras has them
cached or can download them; offline, the denoising-pretrained U-Net encoder of notebook 02
(``artifacts/denoiser/encoder.keras``) when it exists; else a small VGG-style encoder
trained end to end. Inference at any resolution: :func:`colorize` predicts ab at the
model's size, upsamples ab and recombines it with the image's own full-resolution L.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import shutil
import socket
import tempfile
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import color, models, paths, pipelines, runtime
from ssl_keras._checks import as_image_tensor
from ssl_keras.layers import ConvBlock, CropToMatch, PadToMultiple

BACKBONES = ("vgg16", "denoiser", "small")
VGG16_SKIPS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
VGG16_WEIGHTS_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
DEPTH = 4  # poolings between the finest and the deepest feature map (VGG16: 4 before block5)
MIN_SIDE = 2**DEPTH
"""Smallest image side :func:`colorize` accepts (the deepest features are 1/16 scale)."""


# --------------------------------------------------------------------------- backbones


@dataclasses.dataclass(frozen=True)
class BackboneChoice:
    """Which backbone :func:`colorizer` builds, and why (``describe()`` is one line)."""

    kind: str  # one of BACKBONES
    weights: str | None  # "imagenet", a path to encoder.keras, or None (trained from scratch)
    reason: str

    @property
    def pretrained(self) -> bool:
        return self.weights is not None

    def describe(self) -> str:
        what = {
            "vgg16": "VGG16 (ImageNet weights, frozen)",
            "denoiser": "U-Net encoder pretrained by denoising (notebook 02, frozen)",
            "small": "small VGG-style encoder trained end to end (no pretrained weights)",
        }[self.kind]
        return f"backbone: {what} — {self.reason}"


def keras_cache_dir() -> Path:
    """The folder where Keras caches downloaded weights (``$KERAS_HOME/models``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def _reachable(host: str, port: int, timeout: float) -> bool:
    """True when a TCP connection to ``host`` opens within ``timeout`` seconds (DNS included)."""

    def connect() -> bool:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            return True
        except OSError:
            return False

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(connect).result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        return False  # e.g. a DNS lookup that hangs; the thread is left to finish alone
    finally:
        pool.shutdown(wait=False)


def imagenet_weights_status(timeout: float = 3.0) -> str:
    """``"cached"``, ``"downloadable"`` or ``"offline"`` for VGG16's ImageNet weights.

    Checks the Keras cache file first, then whether the download host answers within
    ``timeout`` seconds, so an offline machine finds out at once instead of hanging.
    """
    if (keras_cache_dir() / VGG16_WEIGHTS_FILE).is_file():
        return "cached"
    return "downloadable" if _reachable("storage.googleapis.com", 443, timeout) else "offline"


def default_encoder_path() -> Path:
    """Where notebook 02 saves its denoising-pretrained encoder."""
    return paths.artifacts_dir("denoiser", create=False) / "encoder.keras"


def choose_backbone(
    prefer: str = "auto", encoder_path: str | os.PathLike | None = None, timeout: float = 3.0
) -> BackboneChoice:
    """Pick the backbone: ``prefer="auto"`` takes the first available of VGG16 + ImageNet,
    the denoising encoder at ``encoder_path`` (default :func:`default_encoder_path`), and the
    small encoder trained from scratch. ``"vgg16"``, ``"denoiser"`` or ``"small"`` force one
    (``"vgg16"`` offline means random initialisation, trained end to end: slow on a CPU).
    """
    if prefer not in ("auto", *BACKBONES):
        raise ValueError(f"prefer must be 'auto' or one of {BACKBONES}, got {prefer!r}.")
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
    status = imagenet_weights_status(timeout)
    if status != "offline":
        return BackboneChoice("vgg16", "imagenet", f"ImageNet weights {status}")
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


def _unet_blocks(model: keras.Model) -> dict[str, ConvBlock]:
    """The ConvBlocks named enc1…/bottleneck of a U-Net or encoder (possibly nested)."""
    stack = [model]
    while stack:
        current = stack.pop(0)
        blocks = {layer.name: layer for layer in current.layers if isinstance(layer, ConvBlock)}
        if "enc1" in blocks:
            return blocks
        stack.extend(layer for layer in current.layers if isinstance(layer, keras.Model))
    raise ValueError(
        f"Model {model.name!r} is not a U-Net encoder: it has no ConvBlock named 'enc1'. "
        "Pass the encoder.keras saved by notebook 02 (ssl_keras.models.encoder_from)."
    )


def _unet_backbone(
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


def _load_denoiser(path: str) -> keras.Model:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Denoising encoder {path!r} not found; run notebook 02 first.")
    encoder = keras.saving.load_model(path, compile=False)
    blocks = _unet_blocks(encoder)
    depth = sum(1 for name in blocks if name.startswith("enc"))
    if depth != DEPTH or "bottleneck" not in blocks:
        raise ValueError(
            f"The encoder in {path!r} has depth {depth}; the colorizer needs a depth-{DEPTH} "
            "U-Net encoder with a bottleneck (models.unet(depth=4), encoder_from(unet))."
        )
    return encoder


# --------------------------------------------------------------------------- the model


def colorizer(
    input_shape: Sequence[int | None] = (None, None, 1),
    backbone: BackboneChoice | str = "small",
    decoder_filters: int = 32,
    base_filters: int = 16,
    batch_norm: bool = True,
    batch_norm_momentum: float = 0.9,
    name: str = "colorizer",
) -> keras.Model:
    """Build the colorizer ``L (N, H, W, 1) in [0, 100] → ab (N, H, W, 2) in Lab units``.

    Args:
        input_shape: ``(H, W, 1)``; H and W may be ``None``. Sizes that are not multiples of
            16 are padded inside the model (symmetric) and cropped back, so the output
            always has the input's height and width.
        backbone: a :class:`BackboneChoice` (from :func:`choose_backbone`) or a kind:
            ``"vgg16"`` (ImageNet weights, needs them cached or a network), ``"denoiser"``
            (the default encoder path) or ``"small"``.
        decoder_filters: channels of the finest decoder block ``dec1``; doubled per level.
        base_filters: width of the ``"small"`` backbone's first level (ignored otherwise).
        batch_norm: BatchNormalization in the decoder blocks and the ``"small"`` backbone.
        batch_norm_momentum: momentum of those BN layers' moving statistics. Keras's 0.99
            needs several hundred steps to forget its initial values, so after a short
            training inference-mode predictions (validation, test) fall apart; 0.9 forgets
            in tens of steps. (Used in training only; a reloaded model has Keras's default.)
        name: model name.

    Pretrained backbones are frozen (stage 1: only the decoder trains; BatchNorm in
    inference mode); the ``"small"`` one trains with the decoder. See :func:`unfreeze_top`
    for stage 2.
    """
    if isinstance(backbone, str):
        if backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {BACKBONES}, got {backbone!r}.")
        backbone = (
            BackboneChoice("vgg16", "imagenet", "requested")
            if backbone == "vgg16"
            else choose_backbone(backbone)
        )
    try:
        height, width, channels = tuple(input_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"input_shape must be (height, width, 1), e.g. (64, 64, 1), got {input_shape!r}."
        ) from None
    if channels != 1:
        raise ValueError(
            f"The colorizer's input is L, one channel; got input_shape {input_shape!r}."
        )
    for side in (height, width):
        if side is not None and (not isinstance(side, (int, np.integer)) or side < MIN_SIDE):
            raise ValueError(
                f"input_shape sides must be None or ints ≥ {MIN_SIDE}, got {input_shape!r}."
            )
    for value, label in ((decoder_filters, "decoder_filters"), (base_filters, "base_filters")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a positive int, got {value!r}.")
    if not 0.0 <= batch_norm_momentum < 1.0:
        raise ValueError(f"batch_norm_momentum must be in [0, 1), got {batch_norm_momentum!r}.")

    if backbone.kind == "vgg16":
        vgg = keras.applications.VGG16(
            include_top=False, weights=backbone.weights, input_shape=(None, None, 3)
        )
        features = keras.Model(
            vgg.inputs, [vgg.get_layer(n).output for n in VGG16_SKIPS], name="backbone"
        )
        prepare = color.LightnessInput("vgg16", name="backbone_input")
    else:
        source = _load_denoiser(backbone.weights) if backbone.kind == "denoiser" else None
        if source is not None:
            blocks = _unet_blocks(source)
            in_channels = int(blocks["enc1"].conv1.kernel.shape[2])
            features = _unet_backbone(
                in_channels, blocks["enc1"].filters, blocks["enc1"].batch_norm, source
            )
        else:
            in_channels = 3
            features = _unet_backbone(3, base_filters, batch_norm, None)
        prepare = color.LightnessInput("gray", channels=in_channels, name="backbone_input")
    if backbone.pretrained:
        features.trainable = False  # stage 1; frozen BatchNorm runs in inference mode

    multiple = 2**DEPTH
    needs_padding = any(side is None or side % multiple for side in (height, width))
    inputs = keras.Input(shape=(height, width, 1), name="lightness")
    x = PadToMultiple(multiple, mode="symmetric", name="pad")(inputs) if needs_padding else inputs
    skips = features(prepare(x))
    x = skips[-1]
    for level in range(DEPTH, 0, -1):
        x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"dec{level}_upsample")(x)
        x = keras.layers.Concatenate(name=f"dec{level}_concat")([skips[level - 1], x])
        x = ConvBlock(
            decoder_filters * 2 ** (level - 1), batch_norm=batch_norm, name=f"dec{level}"
        )(x)
    if needs_padding:
        x = CropToMatch(name="crop")([x, inputs])
    # Zero-initialised head: the untrained model predicts ab = 0, exactly the gray baseline.
    x = keras.layers.Conv2D(
        2, 1, activation="tanh", kernel_initializer="zeros", dtype="float32", name="ab_tanh"
    )(x)
    outputs = keras.layers.Rescaling(color.AB_RANGE, dtype="float32", name="ab")(x)
    model = keras.Model(inputs, outputs, name=name)
    blocks = [model.get_layer(f"dec{level}") for level in range(1, DEPTH + 1)]
    if not backbone.pretrained:
        blocks += [layer for layer in features.layers if isinstance(layer, ConvBlock)]
    for block in blocks:
        if block.batch_norm:
            block.bn1.momentum = block.bn2.momentum = batch_norm_momentum
    return model


def unfreeze_top(model: keras.Model) -> list[str]:
    """Stage 2: make the deepest backbone block trainable (VGG16 ``block5``; a U-Net encoder's
    ``bottleneck``), keeping BatchNorm in inference mode. Re-``compile`` afterwards with a
    low learning rate (e.g. 1e-5 for VGG16). Returns the names of the unfrozen layers."""
    try:
        features = model.get_layer("backbone")
    except ValueError:
        raise ValueError(
            f"Model {model.name!r} has no 'backbone' layer; build it with colorizer()."
        ) from None
    if any(layer.name.startswith("block5_conv") for layer in features.layers):
        features.trainable = False  # flip twice: TF skips assigning an unchanged flag
        features.trainable = True
        for layer in features.layers:
            layer.trainable = layer.name.startswith("block5_conv")
        return [layer.name for layer in features.layers if layer.trainable and layer.weights]
    return models.set_trainable_levels(features, 1)


def compile_colorizer(
    model: keras.Model, loss: str | keras.losses.Loss = "huber", learning_rate: float = 1e-3
) -> keras.Model:
    """Compile with Adam and ``loss`` on ab in Lab units, tracking the mean absolute ab error.

    ``loss``: ``"mse"``, ``"mae"`` (L1), ``"huber"`` (Huber with δ = 5 Lab units: L2 for small
    errors, L1 for large ones) or a Keras loss. The optimizer is created under the strategy
    ``model`` was built under (:func:`ssl_keras.runtime.scope`): build the model inside
    ``rt.strategy.scope()`` to train it on every replica.
    """
    named = {
        "mse": keras.losses.MeanSquaredError(name="mse"),
        "mae": keras.losses.MeanAbsoluteError(name="mae"),
        "huber": keras.losses.Huber(delta=5.0, name="huber"),
    }
    if isinstance(loss, str):
        if loss not in named:
            raise ValueError(f"loss must be one of {sorted(named)} or a keras Loss, got {loss!r}.")
        loss = named[loss]
    with runtime.scope(model):  # the optimizer lives under the model's strategy
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss=loss,
            metrics=[keras.metrics.MeanAbsoluteError(name="ab_mae")],
        )
    return model


# --------------------------------------------------------------------------- data


def lab_pairs(images: tf.data.Dataset) -> tf.data.Dataset:
    """Map float32 RGB images ``(…, H, W, 3)`` in [0, 1] to ``(L (…, 1), ab (…, 2))`` pairs."""
    return images.map(color.split_lab, num_parallel_calls=tf.data.AUTOTUNE)


def mean_ab(images) -> np.ndarray:
    """The mean ``(a, b)`` over all pixels of RGB ``images`` ``(N, H, W, 3)``: the constant
    prediction of the mean-color baseline. float32 ``(2,)``."""
    ab = color.rgb_to_lab(images)[..., 1:]
    return tf.reduce_mean(tf.reshape(ab, (-1, 2)), axis=0).numpy()


# --------------------------------------------------------------------------- inference


def model_size(model: keras.Model) -> tuple[int | None, int | None]:
    """The ``(height, width)`` the model was built for (``None`` where any size works)."""
    shape = tuple(model.inputs[0].shape)
    if len(shape) != 4 or shape[-1] != 1 or tuple(model.outputs[0].shape)[-1:] != (2,):
        raise ValueError(
            f"Model {model.name!r} maps {shape} to {tuple(model.outputs[0].shape)}; a "
            "colorizer maps L (N, H, W, 1) to ab (N, H, W, 2). Build it with colorizer()."
        )
    return shape[1], shape[2]


def colorize(model: keras.Model, images, batch_size: int = 16) -> np.ndarray:
    """Colorize images at their own resolution.

    Each image's L is resized to the model's input size, ab is predicted there, upsampled
    bilinearly to the image's size and combined with the image's full-resolution L, so fine
    detail (edges, text) comes from the original, only the color is at model resolution.

    Args:
        model: a colorizer (see :func:`colorizer`).
        images: float RGB ``(H, W, 3)`` or ``(N, H, W, 3)`` in [0, 1]; color or gray (the
            color is ignored: only L is used). A list of differently sized images works too.
        batch_size: images per model call.

    Returns:
        float32 RGB in [0, 1], same shape(s) as ``images`` (a list for a list).
    """
    if isinstance(images, (list, tuple)):
        return [colorize(model, image, batch_size) for image in images]
    images = as_image_tensor(images, "images")
    single = images.shape.rank == 3
    if single:
        images = images[None]
    if images.shape[-1] != 3:
        raise ValueError(f"images must be RGB (…, 3), got shape {tuple(images.shape)}.")
    height, width = int(images.shape[1]), int(images.shape[2])
    if min(height, width) < MIN_SIDE:
        raise ValueError(
            f"Image of {width}×{height} pixels is too small to colorize: each side must be "
            f"≥ {MIN_SIDE} pixels. Upscale it first."
        )
    target_h, target_w = model_size(model)
    target = (target_h or height, target_w or width)
    lightness = color.rgb_to_lab(images)[..., :1]
    small = lightness
    if target != (height, width):
        small = tf.image.resize(lightness, target, method="bilinear", antialias=True)
        small = tf.clip_by_value(small, 0.0, 100.0)
    ab = np.concatenate(
        [
            np.asarray(model(small[i : i + batch_size], training=False))
            for i in range(0, int(small.shape[0]), batch_size)
        ]
    )
    if target != (height, width):
        ab = tf.image.resize(ab, (height, width), method="bilinear")
    rgb = color.lab_parts_to_rgb(lightness, ab).numpy()
    return rgb[0] if single else rgb


def load_colorizer(path: str | os.PathLike) -> keras.Model:
    """Load a colorizer saved with ``model.save("….keras")``; clear errors for a missing file
    or one that is not a saved colorizer."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"Model file {str(path)!r} does not exist. Train one in notebook 05 "
            "(it saves artifacts/colorizer/colorizer.keras) or pass the right path."
        )
    if path.suffix != ".keras":
        raise ValueError(f"Model file {str(path)!r} must be a Keras 3 '.keras' file.")
    try:
        model = keras.saving.load_model(str(path), compile=False)
    except Exception as error:  # zip, JSON or deserialization errors of many kinds
        raise ValueError(
            f"Cannot load model {str(path)!r}: {type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}. Is it a colorizer saved "
            "with model.save('….keras')?"
        ) from None
    model_size(model)
    return model


# --------------------------------------------------------------------------- files (CLI)


def _write_rgb(path: Path, rgb: np.ndarray) -> None:
    import cv2

    data = np.round(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)
    if not cv2.imwrite(str(path), cv2.cvtColor(data, cv2.COLOR_RGB2BGR)):
        raise ValueError(f"Could not write {str(path)!r}; check the folder and the extension.")


def _output_name(source: str) -> str:
    stem = Path(source).stem
    return f"{stem}.png"


def colorize_files(
    input_path: str | os.PathLike, model_path: str | os.PathLike, output: str | os.PathLike
) -> list[str]:
    """Colorize one image file or every image in a folder; return the written paths.

    A file goes to ``output`` (its extension picks PNG or JPEG); a folder goes to the folder
    ``output`` as ``<name>.png``. Inputs may be gray, RGB, RGBA (composited over white), 8- or
    16-bit. Everything is checked and computed before anything is written; files appear in
    ``output`` only when all succeeded (no half-written results).
    """
    source, output = Path(input_path), Path(output)
    if not source.exists():
        raise FileNotFoundError(f"Input {str(source)!r} does not exist.")
    if source.is_dir():
        files = pipelines.list_image_files(source)
        if output.exists() and not output.is_dir():
            raise ValueError(
                f"Input is a folder, so --output must be a folder; {str(output)!r} is a file."
            )
    else:
        files = pipelines.check_image_files([str(source)])
        if output.is_dir():
            raise ValueError(
                f"--output {str(output)!r} is a folder; give a file name such as out.png."
            )
        if output.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise ValueError(f"--output {str(output)!r} must end in .png, .jpg or .jpeg.")
    model = load_colorizer(model_path)
    images = [pipelines.load_image(path) for path in files]
    results = colorize(model, [image.numpy() for image in images])

    parent = output if source.is_dir() else output.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".colorize-", dir=parent))
    except OSError as error:
        raise ValueError(f"Cannot write into {str(parent)!r}: {error}.") from None
    try:
        if source.is_dir():
            targets = [output / _output_name(path) for path in files]
        else:
            targets = [output]
        staged = []
        for target, rgb in zip(targets, results, strict=True):
            staged_path = staging / target.name
            _write_rgb(staged_path, rgb)
            staged.append(staged_path)
        for staged_path, target in zip(staged, targets, strict=True):
            os.replace(staged_path, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [str(target) for target in targets]
