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

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import color, models, paths, pipelines, runtime, training
from ssl_keras._checks import as_image_tensor, check_fraction, check_int, check_size
from ssl_keras.datasets import download
from ssl_keras.layers import ConvBlock, CropToMatch, PadToMultiple
from ssl_keras.profiles import Profile, get_profile

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


# --------------------------------------------------------------------------- backbones


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
        backbone: a :class:`BackboneChoice` (from :func:`choose_backbone`, e.g.
            ``choose_backbone("vgg16", weights="vgg16.weights.h5")`` for a local weights
            file) or a kind: ``"vgg16"`` (ImageNet weights, needs them cached or a
            network), ``"denoiser"`` (the default encoder path) or ``"small"``.
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
    for side, label in ((height, "height"), (width, "width")):
        if side is not None:
            check_int(side, f"input_shape {label} (or None)", low=MIN_SIDE)
    decoder_filters = check_int(decoder_filters, "decoder_filters")
    base_filters = check_int(base_filters, "base_filters")
    batch_norm_momentum = check_fraction(batch_norm_momentum, "batch_norm_momentum")

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
    model: keras.Model,
    loss: str | keras.losses.Loss = "huber",
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 1e-3,
) -> keras.Model:
    """Compile with Adam and ``loss`` on ab in Lab units, tracking the mean absolute ab error.

    ``loss``: ``"mse"``, ``"mae"`` (L1), ``"huber"`` (Huber with δ = 5 Lab units: L2 for small
    errors, L1 for large ones) or a Keras loss. ``learning_rate``: a number or a Keras
    schedule (e.g. ``CosineDecay``, so the last epochs settle and the final weights are a
    fair model to compare). The optimizer is created under the strategy
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
        optimizer = keras.optimizers.Adam(learning_rate)
    return training.compile_model(
        model,
        optimizer=optimizer,
        loss=loss,
        metrics=[keras.metrics.MeanAbsoluteError(name="ab_mae")],
        steps_per_execution=1,
    )


# --------------------------------------------------------------------------- data

SPLITS = ("train", "val", "test")
SMOKE_STREET_SCENES = {"train": 192, "val": 32, "test": 32}
"""Generated street scenes (96×128) per split in the smoke profile."""
SMOKE_PHOTO_CROPS = {"train": 128, "val": 16, "test": 16}
"""Crops of scikit-image's color photographs per split in the smoke profile."""
MIN_CHROMA = 1.0
"""Images whose :func:`~ssl_keras.color.mean_chroma` is below this (Lab units) count as gray
and are skipped: they have ab = 0 everywhere and would only teach the model to predict gray."""


def split_files(
    files: Sequence[str], n_val: int, n_test: int, n_train: int, seed: int = 0
) -> dict[str, list[str]]:
    """Shuffle ``files`` (seeded) and cut ``{"train", "val", "test"}``: 10 % each for
    validation and test (at least 1, at most ``n_val`` / ``n_test``), the rest for training
    (at most ``n_train``)."""
    if len(files) < 3:
        raise ValueError(
            f"Need at least 3 photos for training, validation and test, got {len(files)}; "
            "add photos to the folder."
        )
    order = np.random.default_rng(seed).permutation(len(files))
    shuffled = [str(files[i]) for i in order]
    val = min(n_val, max(1, len(files) // 10))
    test = min(n_test, max(1, len(files) // 10))
    return {
        "train": shuffled[val + test :][:n_train],
        "val": shuffled[:val],
        "test": shuffled[val : val + test],
    }


def _smoke_sources(size: int, seed: int) -> dict[str, list[str]]:
    """Generated street scenes (their own splits) + color photo crops, written once."""
    from ssl_keras.datasets import photos, synthetic

    street = synthetic.street_scenes(
        paths.data_dir("colorize", "street"),
        **{f"n_{split}": n for split, n in SMOKE_STREET_SCENES.items()},
        size=(96, 128),
        seed=seed,
    )
    crops = pipelines.list_image_files(
        synthetic.photo_crops(
            paths.data_dir("colorize", "photo_crops"),
            n=sum(SMOKE_PHOTO_CROPS.values()),
            size=size,
            seed=seed,
            names=photos.COLOR_PHOTOS,
        )
    )
    ends = np.cumsum([0, *(SMOKE_PHOTO_CROPS[split] for split in SPLITS)])
    return {
        split: pipelines.list_image_files(street / split) + crops[ends[i] : ends[i + 1]]
        for i, split in enumerate(SPLITS)
    }


def photo_splits(
    profile: str | Profile | None = None, data: str | os.PathLike | None = None, seed: int = 0
) -> dict[str, list[str]]:
    """The color photographs to train, validate and test on: ``{"train", "val", "test"}``
    lists of image files.

    * ``data`` (a folder, searched recursively): your photos, split by :func:`split_files`
      with the profile's caps (``n_val``, ``n_test``, ``n_train``).
    * profile ``smoke`` (``data="synthetic"``): synthetic street scenes (their own splits,
      96×128) and crops of scikit-image's color photographs, generated once into
      ``data/colorize/`` (:data:`SMOKE_STREET_SCENES`, :data:`SMOKE_PHOTO_CROPS`).
    * profile ``full`` (``data="download"``): the 5000 COCO val2017 photographs, downloaded
      once into ``data/coco/`` (as notebook 08 does) and split 4000 / 500 / 500.

    The lists may hold black-and-white photos (COCO has a few); :func:`color_images` skips
    them. Same arguments → same lists.
    """
    chosen = get_profile(profile)
    caps = {"n_val": chosen.n_val, "n_test": chosen.n_test, "n_train": chosen.n_train}
    if data is not None:
        files = pipelines.list_image_files(data, recursive=True)
        return split_files(files, seed=seed, **caps)
    if chosen.data == "synthetic":
        return _smoke_sources(chosen.image_size, seed)
    folder = download.fetch_dataset("coco", paths.data_dir()) / "val2017"
    return split_files(pipelines.list_image_files(folder), seed=seed, **caps)


def color_images(
    files: Sequence[str],
    size: int | tuple[int, int],
    training: bool = False,
    seed: int = 0,
    min_chroma: float = MIN_CHROMA,
) -> tf.data.Dataset:
    """float32 RGB images ``(height, width, 3)`` in [0, 1] from ``files``, as ``tf.data``.

    Each file is decoded, its shorter side scaled to ``max(size)``, and skipped when gray
    (:func:`~ssl_keras.color.mean_chroma` below ``min_chroma``; 0 keeps every image); the
    result is cached as uint8, filled right away (one pass over the files, which also counts
    the kept images: ``len(dataset)``). ``training=True``: shuffled every epoch, a random
    crop and a random horizontal flip, new draws each epoch, the same sequence for the same
    ``seed``. Otherwise: the central crop, in file order.
    """
    height, width = check_size(size)
    if len(files) == 0:
        raise ValueError("files is empty: there are no images to read.")
    side = max(height, width)

    def load(path: tf.Tensor) -> tf.Tensor:
        return pipelines.resize_shorter_side(pipelines.read_image(path), side)

    ds = tf.data.Dataset.from_tensor_slices([str(f) for f in files])
    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if min_chroma > 0:
        ds = ds.filter(lambda image: color.mean_chroma(image) >= min_chroma)
    ds = ds.map(
        lambda image: tf.image.convert_image_dtype(image, tf.uint8, saturate=True),
        num_parallel_calls=tf.data.AUTOTUNE,
    ).cache()
    # One pass now fills the cache and counts what the filter kept, so fit() knows the
    # number of batches from the first epoch on.
    with pipelines.naming_bad_files():
        count = int(ds.reduce(np.int64(0), lambda n, _: n + 1))
    if count == 0:
        raise ValueError(
            f"All {len(files)} images are gray (mean chroma below {min_chroma} Lab units), "
            f"e.g. {str(files[0])!r}; a colorizer needs color photos (min_chroma=0 keeps them)."
        )
    ds = ds.apply(tf.data.experimental.assert_cardinality(count))
    if training:
        ds = ds.shuffle(count, seed=seed, reshuffle_each_iteration=True)
        # Seeds drawn anew every epoch (reproducibly): fresh crops and flips each pass.
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(4)

        def augment(image: tf.Tensor, draw: tf.Tensor) -> tf.Tensor:
            image = pipelines.random_crop(image, (height, width), draw[:2])
            return tf.image.stateless_random_flip_left_right(image, draw[2:])

        ds = tf.data.Dataset.zip(ds, seeds).map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(
            lambda image: tf.image.resize_with_crop_or_pad(image, height, width),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return ds.map(
        lambda image: tf.image.convert_image_dtype(image, tf.float32),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def lab_batches(images: tf.data.Dataset, batch_size: int) -> tf.data.Dataset:
    """Batches of ``(L (B, H, W, 1) in [0, 100], ab (B, H, W, 2) in Lab units)`` from a
    dataset of float32 RGB images (:func:`color_images`): batch → Lab → prefetch.

    >>> train = lab_batches(color_images(files["train"], 128, training=True), 32)
    """
    batch_size = check_int(batch_size, "batch_size")
    # eval_batches: on several replicas no batch is left that they cannot split.
    return (
        pipelines.eval_batches(images, batch_size)
        .map(color.split_lab, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def lab_pairs(images: tf.data.Dataset) -> tf.data.Dataset:
    """Map float32 RGB images ``(…, H, W, 3)`` in [0, 1] to ``(L (…, 1), ab (…, 2))`` pairs."""
    return images.map(color.split_lab, num_parallel_calls=tf.data.AUTOTUNE)


def mean_ab(images) -> np.ndarray:
    """The mean ``(a, b)`` over all pixels of RGB ``images`` ``(N, H, W, 3)`` in [0, 1], or
    of a ``tf.data.Dataset`` of such images or batches (read once, batch by batch): the
    constant prediction of the mean-color baseline. float32 ``(2,)``."""
    if not isinstance(images, tf.data.Dataset):
        images = tf.data.Dataset.from_tensors(as_image_tensor(images, "images"))
    elif images.element_spec.shape.rank == 3:
        images = images.batch(64)
    total, count = np.zeros(2, np.float64), 0
    for batch in images:
        ab = tf.reshape(color.rgb_to_lab(batch)[..., 1:], (-1, 2))
        total += tf.reduce_sum(tf.cast(ab, tf.float64), axis=0).numpy()
        count += int(ab.shape[0])
    if count == 0:
        raise ValueError("images is empty: no pixels to average.")
    return (total / count).astype(np.float32)


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
    rows = _strip_rows(width, int(images.shape[0]))
    # Colour conversions run strip by strip: on a 24-megapixel photo the whole-image
    # conversion's temporaries took ~20× the image's float size (5.7 GB peak).
    lightness = np.concatenate(
        [
            color.rgb_to_lab(images[:, r : r + rows])[..., :1].numpy()
            for r in range(0, height, rows)
        ],
        axis=1,
    )
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
        ab = tf.image.resize(ab, (height, width), method="bilinear").numpy()
    rgb = np.empty((*lightness.shape[:3], 3), np.float32)
    for r in range(0, height, rows):
        rgb[:, r : r + rows] = color.lab_parts_to_rgb(
            lightness[:, r : r + rows], ab[:, r : r + rows]
        ).numpy()
    return rgb[0] if single else rgb


STRIP_PIXELS = 1 << 20  # pixels per colour-conversion strip in colorize()


def _strip_rows(width: int, count: int) -> int:
    """Rows per strip so that ``count`` images' strips hold about :data:`STRIP_PIXELS`."""
    return max(1, STRIP_PIXELS // max(1, width * count))


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
    """Float RGB to ``path`` (:func:`ssl_keras.pipelines.write_image`), clipped to [0, 1]
    first: the Lab → RGB conversion can step slightly outside it."""
    pipelines.write_image(path, np.clip(rgb, 0.0, 1.0))


def _output_name(source: str) -> str:
    stem = Path(source).stem
    return f"{stem}.png"


def _folder_targets(files: Sequence[str], output: Path) -> list[Path]:
    """``output / <stem>.png`` per file; two files that would write one name (``x.jpg`` and
    ``x.png``, or names that differ only in case, which case-insensitive disks merge) are
    refused, naming both."""
    targets, seen = [], {}
    for file in files:
        target = output / _output_name(file)
        key = target.name.casefold()
        if key in seen:
            raise ValueError(
                f"{seen[key]!r} and {file!r} would both be written to {str(target)!r}; rename "
                "one of them (or move it to another folder) and run again."
            )
        seen[key] = file
        targets.append(target)
    return targets


def colorize_files(
    input_path: str | os.PathLike, model_path: str | os.PathLike, output: str | os.PathLike
) -> list[str]:
    """Colorize one image file or every image in a folder; return the written paths.

    A file goes to ``output`` (its extension picks PNG or JPEG); a folder goes to the folder
    ``output`` as ``<name>.png``. Inputs may be gray, RGB, RGBA (composited over white), 8- or
    16-bit. Before any image is decoded, every input is checked to be an image and the output
    names are compared (two inputs that would write one file are refused, naming both). Then
    the images stream: each is decoded, colorized and written before the next is read, so
    memory holds one image at a time, and each file is written under a temporary name and
    renamed when complete, so an interrupted or failed run leaves only complete files (those
    of the images finished before it stopped). An image under :data:`MIN_SIDE` pixels a side
    raises ``ValueError`` naming its file.
    """
    source, output = Path(input_path), Path(output)
    if not source.exists():
        raise FileNotFoundError(f"Input {str(source)!r} does not exist.")
    try:
        files = (
            pipelines.list_image_files(source)
            if source.is_dir()
            else pipelines.check_image_files([str(source)])
        )
    except pipelines.NotAnImageError as error:
        fix = "Delete or re-save it, or move it out of the input folder."
        raise ValueError(error.describe(fix)) from None
    if source.is_dir():
        if output.exists() and not output.is_dir():
            raise ValueError(
                f"Input is a folder, so --output must be a folder; {str(output)!r} is a file."
            )
        targets = _folder_targets(files, output)
    else:
        if output.is_dir():
            raise ValueError(
                f"--output {str(output)!r} is a folder; give a file name such as out.png."
            )
        if output.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise ValueError(f"--output {str(output)!r} must end in .png, .jpg or .jpeg.")
        targets = [output]
    model = load_colorizer(model_path)
    parent = output if source.is_dir() else output.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"Cannot write into {str(parent)!r}: {error}.") from None
    written = []
    for file, target in zip(files, targets, strict=True):
        image = pipelines.load_image(file).numpy()
        if min(image.shape[:2]) < MIN_SIDE:  # colorize() says so too, without the file name
            raise ValueError(
                f"{file!r} is {image.shape[1]}×{image.shape[0]} pixels, too small to colorize: "
                f"each side must be ≥ {MIN_SIDE} pixels. Upscale it or remove it."
            )
        _write_rgb(target, colorize(model, image))
        written.append(str(target))
    return written
