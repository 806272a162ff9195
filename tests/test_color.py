"""Lab conversion, VGG input preparation, colorfulness, the colorizer and its CLI."""

from __future__ import annotations

import hashlib
import shutil
import warnings
from pathlib import Path

import cv2
import keras
import numpy as np
import pytest
import skimage.color
import tensorflow as tf

from ssl_keras import cli, color, colorization, image_files, pipelines
from ssl_keras.datasets import download
from tests._data import shared


@pytest.fixture(scope="module")
def rgb() -> np.ndarray:
    rng = np.random.default_rng(0)
    image = rng.random((24, 20, 3)).astype(np.float32)
    image[0, :4] = 0.0  # black, white, mid gray and the primaries: the gamut's corners
    image[1, :4] = 1.0
    image[2, :4] = 0.5
    image[3, :3] = np.eye(3)
    return image


# --------------------------------------------------------------------------- color


def test_rgb_to_lab_agrees_with_scikit_image(rgb):
    ours = color.rgb_to_lab(rgb).numpy()
    np.testing.assert_allclose(ours, skimage.color.rgb2lab(rgb), atol=2e-3)
    assert ours.dtype == np.float32 and ours.shape == rgb.shape


def test_lab_to_rgb_agrees_with_scikit_image():
    rng = np.random.default_rng(1)
    lab = np.concatenate(
        [rng.uniform(0, 100, (16, 16, 1)), rng.uniform(-110, 110, (16, 16, 2))], axis=-1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-image warns about out-of-gamut colors
        expected = skimage.color.lab2rgb(lab)
    ours = color.lab_to_rgb(lab.astype(np.float32)).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-4)
    assert ours.min() >= 0.0 and ours.max() <= 1.0


def test_lab_round_trip_batch(rgb):
    batch = np.stack([rgb, rgb[::-1]])
    back = color.lab_to_rgb(color.rgb_to_lab(batch)).numpy()
    np.testing.assert_allclose(back, batch, atol=1e-4)


def test_split_and_merge_in_tf_data(rgb):
    ds = tf.data.Dataset.from_tensor_slices(np.stack([rgb, rgb])).map(
        color.split_lab, num_parallel_calls=tf.data.AUTOTUNE
    )
    lightness, ab = next(iter(ds))
    assert lightness.shape == (24, 20, 1) and ab.shape == (24, 20, 2)
    assert 0.0 <= float(tf.reduce_min(lightness)) and float(tf.reduce_max(lightness)) <= 100.0
    np.testing.assert_allclose(color.lab_parts_to_rgb(lightness, ab).numpy(), rgb, atol=1e-4)


def test_gray_image_has_zero_ab_and_exact_gray_inverse():
    gray = np.repeat(np.linspace(0, 1, 256, dtype=np.float32)[:, None, None], 3, axis=-1)
    lightness, ab = color.split_lab(gray)
    assert float(tf.reduce_max(tf.abs(ab))) < 1e-2
    np.testing.assert_allclose(color.lightness_to_gray(lightness).numpy(), gray[..., :1], atol=1e-5)


def test_vgg_input_matches_preprocess_input_on_gray_rgb():
    rng = np.random.default_rng(2)
    gray = np.repeat(rng.random((2, 12, 10, 1)).astype(np.float32), 3, axis=-1)
    expected = keras.applications.vgg16.preprocess_input(gray * 255.0)
    lightness = color.rgb_to_lab(gray)[..., :1]
    np.testing.assert_allclose(color.vgg_input(lightness).numpy(), expected, atol=1e-2)
    layer = color.LightnessInput("vgg16")
    np.testing.assert_allclose(np.asarray(layer(lightness)), expected, atol=1e-2)


def test_lightness_input_gray_mode_and_config():
    layer = color.LightnessInput("gray", channels=1)
    restored = color.LightnessInput.from_config(layer.get_config())
    out = np.asarray(restored(np.full((1, 4, 4, 1), 100.0, np.float32)))
    assert out.shape == (1, 4, 4, 1)
    np.testing.assert_allclose(out, 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="mode"):
        color.LightnessInput("rgb")
    with pytest.raises(ValueError, match="3 channels"):
        color.LightnessInput("vgg16", channels=1)


def test_colorfulness(rgb):
    gray = np.full((8, 8, 3), 0.4, np.float32)
    assert color.colorfulness(gray) == pytest.approx(0.0, abs=1e-6)
    red = np.zeros((8, 8, 3), np.float32)
    red[..., 0] = 1.0
    # rg = 255, yb = 127.5, no spread: 0.3 · sqrt(255² + 127.5²)
    assert color.colorfulness(red) == pytest.approx(0.3 * np.hypot(255.0, 127.5), rel=1e-5)
    scores = color.colorfulness(np.stack([gray, rgb[:8, :8]]))
    assert scores.shape == (2,) and scores[1] > 20


def test_mean_chroma_is_zero_for_gray_only(rgb):
    gray = np.repeat(np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8, 1), 3, axis=-1)
    scores = color.mean_chroma(np.stack([gray, rgb[:8, :8]])).numpy()
    assert scores.shape == (2,) and scores[0] < 0.01 and scores[1] > 20
    lab = skimage.color.rgb2lab(rgb)
    expected = np.hypot(lab[..., 1], lab[..., 2]).mean()
    assert float(color.mean_chroma(rgb)) == pytest.approx(expected, rel=1e-3)


def test_color_bad_inputs():
    with pytest.raises(ValueError, match="3 channels"):
        color.rgb_to_lab(np.zeros((4, 4, 4), np.float32))
    with pytest.raises(ValueError, match="floating point"):
        color.rgb_to_lab(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="rgb must be"):
        color.colorfulness(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match="rgb must be"):
        color.mean_chroma(np.zeros((4, 3), np.float32))


# --------------------------------------------------------------------------- model


@pytest.mark.parametrize("size", [(32, 48), (40, 56), (17, 33)])
def test_colorizer_output_has_input_size(size):
    model = colorization.colorizer((None, None, 1), "small", decoder_filters=4, base_filters=4)
    ab = model(np.full((2, *size, 1), 50.0, np.float32))
    assert tuple(ab.shape) == (2, *size, 2)
    # zero-initialised head: the untrained model is the gray baseline
    assert float(tf.reduce_max(tf.abs(ab))) == 0.0


def test_colorizer_fixed_non_square_size_and_range():
    model = colorization.colorizer((48, 80, 1), "small", decoder_filters=4, base_filters=4)
    assert model.output_shape == (None, 48, 80, 2)
    assert model.get_layer("ab_tanh").activation.__name__ == "tanh"
    head = model.get_layer("ab_tanh")
    head.kernel.assign(tf.fill(head.kernel.shape, 10.0))
    ab = model(np.full((1, 48, 80, 1), 70.0, np.float32))
    assert float(tf.reduce_max(tf.abs(ab))) <= color.AB_RANGE


def test_vgg16_colorizer_frozen_then_block5():
    backbone = colorization.BackboneChoice("vgg16", None, "test, random weights")
    model = colorization.colorizer((32, 48, 1), backbone, decoder_filters=4)
    assert model.output_shape == (None, 32, 48, 2)
    assert model.get_layer("backbone_input").mode == "vgg16"
    unfrozen = colorization.unfreeze_top(model)
    assert unfrozen == ["block5_conv1", "block5_conv2", "block5_conv3"]
    trainable = {w.path.split("/")[0] for w in model.get_layer("backbone").trainable_weights}
    assert trainable == set(unfrozen)


def test_pretrained_unet_backbone_is_frozen(tmp_path):
    from ssl_keras import models

    unet = models.unet((None, None, 3), depth=4, base_filters=4)
    path = tmp_path / "encoder.keras"
    models.encoder_from(unet).save(path)
    choice = colorization.choose_backbone("denoiser", encoder_path=path)
    model = colorization.colorizer((32, 32, 1), choice, decoder_filters=4)
    backbone = model.get_layer("backbone")
    assert not backbone.trainable_weights
    np.testing.assert_array_equal(
        backbone.get_layer("enc2").conv1.kernel.numpy(),
        unet.get_layer("enc2").conv1.kernel.numpy(),
    )
    assert colorization.unfreeze_top(model) == ["bottleneck"]


def test_choose_backbone_offline_fallbacks(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    missing = tmp_path / "nothing.keras"
    assert colorization.choose_backbone(encoder_path=missing).kind == "small"
    present = tmp_path / "encoder.keras"
    present.write_bytes(b"x")
    choice = colorization.choose_backbone(encoder_path=present)
    assert choice.kind == "denoiser" and "offline" in choice.describe()
    forced = colorization.choose_backbone("vgg16", encoder_path=present)
    assert (forced.kind, forced.weights) == ("vgg16", None)
    assert "random initialisation" in forced.describe()
    with pytest.raises(FileNotFoundError, match="notebook 02"):
        colorization.choose_backbone("denoiser", encoder_path=missing)
    with pytest.raises(ValueError, match="prefer"):
        colorization.choose_backbone("resnet")


def test_choose_backbone_takes_imagenet_weights_downloaded_then_cached(tmp_path, monkeypatch):
    payload = tmp_path / "served" / colorization.VGG16_WEIGHTS_FILE
    payload.parent.mkdir()
    payload.write_bytes(b"stand-in for the weights file" * 100)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(colorization.backbone, "VGG16_WEIGHTS_URL", payload.as_uri())
    monkeypatch.setattr(
        colorization.backbone, "VGG16_WEIGHTS_MD5", hashlib.md5(payload.read_bytes()).hexdigest()
    )
    cache = tmp_path / "keras" / "models" / colorization.VGG16_WEIGHTS_FILE
    choice = colorization.choose_backbone(encoder_path=tmp_path / "encoder.keras")
    assert (choice.kind, choice.weights) == ("vgg16", str(cache))
    assert cache.read_bytes() == payload.read_bytes() and "downloaded" in choice.reason
    assert "ImageNet weights" in choice.describe()
    payload.unlink()  # from now on only the cache can answer
    assert "cached" in colorization.choose_backbone().reason
    cache.write_bytes(b"truncated")  # a damaged cache is not used
    with pytest.raises(download.DownloadError, match="unavailable"):
        colorization.imagenet_weights()
    assert colorization.choose_backbone(encoder_path=tmp_path / "encoder.keras").kind == "small"


@pytest.fixture(scope="module")
def vgg16_weights_file(tmp_path_factory) -> Path:
    """A local VGG16 (no top) weights file, random weights: what a test can have offline."""
    keras.utils.set_random_seed(1)
    path = tmp_path_factory.mktemp("vgg16") / "vgg16.weights.h5"
    keras.applications.VGG16(include_top=False, weights=None).save_weights(path)
    return path


def test_vgg16_colorizer_from_local_weights_file(vgg16_weights_file, tmp_path):
    choice = colorization.choose_backbone("vgg16", weights=vgg16_weights_file)
    assert (choice.kind, choice.weights, choice.pretrained) == (
        "vgg16",
        str(vgg16_weights_file),
        True,
    )
    assert "vgg16.weights.h5" in choice.describe()
    keras.utils.set_random_seed(7)  # a fresh VGG16 would get other random weights
    model = colorization.colorizer((128, 128, 1), choice, decoder_filters=8)
    reference = keras.applications.VGG16(include_top=False, weights=None)
    reference.load_weights(vgg16_weights_file)
    backbone = model.get_layer("backbone")
    for name in ("block1_conv1", "block5_conv3"):
        np.testing.assert_array_equal(
            backbone.get_layer(name).kernel.numpy(), reference.get_layer(name).kernel.numpy()
        )
    assert not backbone.trainable_weights
    assert model.get_layer("backbone_input").mode == "vgg16"
    with pytest.raises(FileNotFoundError, match="not found"):
        colorization.choose_backbone("vgg16", weights=tmp_path / "missing.h5")
    with pytest.raises(ValueError, match="prefer='vgg16'"):
        colorization.choose_backbone("small", weights=vgg16_weights_file)


def test_colorizer_bad_arguments():
    with pytest.raises(ValueError, match="one channel"):
        colorization.colorizer((32, 32, 3))
    with pytest.raises(ValueError, match="≥ 16"):
        colorization.colorizer((8, 32, 1))
    with pytest.raises(ValueError, match="backbone"):
        colorization.colorizer((32, 32, 1), "resnet")
    model = colorization.colorizer((32, 32, 1), "small", decoder_filters=2, base_filters=2)
    with pytest.raises(ValueError, match="loss"):
        colorization.compile_colorizer(model, "cross_entropy")


def test_compile_colorizer_takes_a_learning_rate_schedule():
    model = colorization.colorizer((16, 16, 1), "small", decoder_filters=2, base_filters=2)
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=4)
    colorization.compile_colorizer(model, "mae", schedule)
    lightness = np.full((2, 16, 16, 1), 50.0, np.float32)
    model.fit(lightness, np.ones((2, 16, 16, 2), np.float32), epochs=1, verbose=0)
    assert float(model.optimizer.learning_rate) == pytest.approx(float(schedule(1)))


# --------------------------------------------------------------------------- data


def _coco_folder(tmp_path: Path) -> Path:
    """A copy of the real COCO val2017 sample laid out as the download leaves it."""
    folder = tmp_path / "data" / "coco" / "val2017"
    shutil.copytree(shared("coco_mini", "val2017"), folder)
    return folder


def _is_gray(path: str) -> bool:
    image = cv2.imread(path).astype(np.int16)
    return int(np.abs(np.diff(image, axis=-1)).max()) <= 8


def test_photo_splits_smoke_generates_the_offline_sets(tmp_path, monkeypatch):
    monkeypatch.setenv("SSL_KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(colorization.data, "SMOKE_STREET_SCENES", {"train": 4, "val": 2, "test": 2})
    monkeypatch.setattr(colorization.data, "SMOKE_PHOTO_CROPS", {"train": 3, "val": 1, "test": 1})
    splits = colorization.photo_splits("smoke")
    assert {k: len(v) for k, v in splits.items()} == {"train": 7, "val": 3, "test": 3}
    assert all(f.startswith(str(tmp_path / "data" / "colorize")) for f in sum(splits.values(), []))
    assert Path(splits["test"][0]).parent.name == "test"  # a street scene of the test split
    assert len(set(sum(splits.values(), []))) == 13
    assert colorization.photo_splits("smoke") == splits


def test_photo_splits_full_is_coco_val2017(tmp_path, monkeypatch):
    folder = _coco_folder(tmp_path)
    calls = []

    def fetch(name, root, *args, **kwargs):
        calls.append((name, Path(root)))
        return folder.parent

    monkeypatch.setenv("SSL_KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(download, "fetch_dataset", fetch)
    splits = colorization.photo_splits("full", seed=0)
    assert calls == [("coco", tmp_path / "data")]
    everything = sorted(str(p) for p in folder.glob("*.jpg"))
    n = len(everything)
    assert {k: len(v) for k, v in splits.items()} == {
        "train": n - 2 * (n // 10),
        "val": n // 10,
        "test": n // 10,
    }
    assert sorted(sum(splits.values(), [])) == everything  # disjoint and complete
    assert colorization.photo_splits("full", seed=0) == splits
    assert colorization.photo_splits("full", seed=1)["test"] != splits["test"]


def test_photo_splits_user_folder(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(20):
        sub = tmp_path / "photos" / ("a" if i % 2 else "b")
        sub.mkdir(parents=True, exist_ok=True)
        _write(sub / f"{i}.png", rng.integers(0, 256, (20, 24, 3), dtype=np.uint8))
    splits = colorization.photo_splits("smoke", data=tmp_path / "photos", seed=3)
    assert {k: len(v) for k, v in splits.items()} == {"train": 16, "val": 2, "test": 2}
    assert len(set(sum(splits.values(), []))) == 20
    few = tmp_path / "few"
    few.mkdir()
    _write(few / "one.png", np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(ValueError, match="at least 3 photos"):
        colorization.photo_splits("smoke", data=few)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        colorization.photo_splits("smoke", data=tmp_path / "missing")


def test_color_images_skip_gray_photos(tmp_path):
    files = sorted(str(p) for p in _coco_folder(tmp_path).glob("*.jpg"))
    gray = [f for f in files if _is_gray(f)]
    assert gray  # COCO val2017 has black-and-white photos stored as RGB JPEGs
    dataset = colorization.color_images(files, 32)
    assert len(dataset) == len(files) - len(gray)
    kept = pipelines.to_numpy(dataset)
    assert kept.shape == (len(files) - len(gray), 32, 32, 3)
    assert color.mean_chroma(kept).numpy().min() >= colorization.MIN_CHROMA
    everything = pipelines.to_numpy(colorization.color_images(files, 32, min_chroma=0))
    assert everything.shape[0] == len(files)
    # the gray ones are usable (ab = 0), just not worth training on
    lightness, ab = color.split_lab(image_files.load_image(gray[0], 32))
    assert float(tf.reduce_max(tf.abs(ab))) < 2.0 and float(tf.reduce_max(lightness)) > 0


def test_color_images_crops_flips_and_seeds(tmp_path):
    rng = np.random.default_rng(0)
    files = [_write(tmp_path / f"{i}.png", rng.integers(0, 256, (40, 60, 3), np.uint8))
             for i in range(4)]  # fmt: skip
    evaluation = pipelines.to_numpy(colorization.color_images(files, 32))
    expected = pipelines.to_numpy(pipelines.image_dataset(files, 32, mode="center_crop"))
    np.testing.assert_allclose(evaluation, expected, atol=1 / 255 + 1e-6)  # uint8 cache
    training = colorization.color_images(files, 32, training=True, seed=5)
    first, second = pipelines.to_numpy(training), pipelines.to_numpy(training)
    assert first.shape == (4, 32, 32, 3) and first.dtype == np.float32
    assert not np.array_equal(first, second)  # new crops, flips and order every epoch
    again = pipelines.to_numpy(colorization.color_images(files, 32, training=True, seed=5))
    np.testing.assert_array_equal(first, again)  # the same seed, the same sequence
    with pytest.raises(ValueError, match="files is empty"):
        colorization.color_images([], 32)
    gray = _write(tmp_path / "gray.png", np.full((40, 40, 3), 99, np.uint8))
    with pytest.raises(ValueError, match="are gray"):
        colorization.color_images([gray], 32)
    assert (
        len(colorization.lab_batches(colorization.color_images(files, 32, training=True), 3)) == 2
    )
    with pytest.raises(ValueError, match="batch_size"):
        colorization.lab_batches(colorization.color_images(files, 32), 0)


def test_mean_ab_of_arrays_and_datasets():
    rng = np.random.default_rng(4)
    images = rng.random((6, 8, 8, 3)).astype(np.float32)
    expected = color.rgb_to_lab(images).numpy()[..., 1:].reshape(-1, 2).mean(axis=0)
    np.testing.assert_allclose(colorization.mean_ab(images), expected, atol=1e-3)
    dataset = tf.data.Dataset.from_tensor_slices(images)
    np.testing.assert_allclose(colorization.mean_ab(dataset), expected, atol=1e-3)
    np.testing.assert_allclose(colorization.mean_ab(dataset.batch(4)), expected, atol=1e-3)


def test_vgg16_colorizer_one_step_on_real_photos_at_128(tmp_path, vgg16_weights_file):
    files = sorted(str(p) for p in _coco_folder(tmp_path).glob("*.jpg"))[:4]
    train = colorization.lab_batches(colorization.color_images(files, 128, training=True), 2)
    lightness, ab = next(iter(train))
    assert lightness.shape == (2, 128, 128, 1) and ab.shape == (2, 128, 128, 2)
    keras.utils.set_random_seed(0)
    choice = colorization.choose_backbone("vgg16", weights=vgg16_weights_file)
    model = colorization.compile_colorizer(
        colorization.colorizer((128, 128, 1), choice, decoder_filters=8), "mae", 1e-3
    )
    backbone_before = model.get_layer("backbone").get_layer("block3_conv1").kernel.numpy()
    head_before = model.get_layer("ab_tanh").kernel.numpy()
    history = model.fit(train.take(1), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and history.history["loss"][0] > 0
    assert not np.array_equal(model.get_layer("ab_tanh").kernel.numpy(), head_before)
    np.testing.assert_array_equal(
        model.get_layer("backbone").get_layer("block3_conv1").kernel.numpy(), backbone_before
    )


# --------------------------------------------------------------------------- inference + CLI


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory) -> str:
    """A tiny colorizer fitted for a few steps to 'top half blue, bottom half green'."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    images = np.empty((16, 32, 32, 3), np.float32)
    images[:, :16] = [0.2, 0.4, 0.9]
    images[:, 16:] = [0.2, 0.7, 0.2]
    images = np.clip(images * rng.uniform(0.6, 1.1, (16, 1, 1, 1)), 0, 1).astype(np.float32)
    lightness, ab = color.split_lab(images)
    model = colorization.colorizer((32, 32, 1), "small", decoder_filters=4, base_filters=4)
    # eager steps: a tiny model trains faster than tf.function traces it
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mae", run_eagerly=True)
    model.fit(lightness, ab, batch_size=8, epochs=8, verbose=0)
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return str(path)


def _write(path, array: np.ndarray) -> str:
    data = cv2.cvtColor(array, cv2.COLOR_RGBA2BGRA if array.shape[-1] == 4 else cv2.COLOR_RGB2BGR)
    assert cv2.imwrite(str(path), data)
    return str(path)


def _cli(*argv: str) -> int:
    return cli.main(list(argv))


def test_colorize_keeps_original_resolution_and_lightness(trained_model):
    model = colorization.load_colorizer(trained_model)
    gray = np.repeat(np.linspace(0.2, 0.8, 50, dtype=np.float32)[:, None], 70, axis=1)
    image = np.repeat(gray[..., None], 3, axis=-1)  # 50×70 gray, model size 32×32
    out = colorization.colorize(model, image)
    assert out.shape == (50, 70, 3)
    # L comes from the original image: only a and b are predicted
    np.testing.assert_allclose(
        color.rgb_to_lab(out)[..., 0].numpy(), color.rgb_to_lab(image)[..., 0].numpy(), atol=1.0
    )
    assert color.colorfulness(out) > 1.0  # it learned some color
    with pytest.raises(ValueError, match="too small"):
        colorization.colorize(model, np.zeros((8, 40, 3), np.float32))


def test_colorize_in_strips_equals_the_whole_image(trained_model, monkeypatch):
    """The colour conversions run in strips of rows to bound memory on large photos; the
    result must not depend on where the strips are cut."""
    model = colorization.load_colorizer(trained_model)
    rng = np.random.default_rng(5)
    images = rng.uniform(0, 1, (2, 37, 45, 3)).astype(np.float32)
    whole = colorization.colorize(model, images)
    monkeypatch.setattr(colorization.inference, "STRIP_PIXELS", 7 * 45 * 2)  # 7 rows per strip
    assert colorization.inference._strip_rows(45, 2) == 7
    np.testing.assert_allclose(colorization.colorize(model, images), whole, atol=1e-6)
    np.testing.assert_allclose(colorization.colorize(model, images[1]), whole[1], atol=1e-6)


def test_cli_file_and_folder(trained_model, tmp_path):
    rng = np.random.default_rng(3)
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "rgb.png", rng.integers(0, 256, (40, 60, 3), dtype=np.uint8))
    rgba = rng.integers(0, 256, (33, 47, 4), dtype=np.uint8)
    _write(folder / "rgba.png", rgba)
    assert cv2.imwrite(str(folder / "gray16.png"), rng.integers(0, 65536, (36, 36), np.uint16))
    assert cv2.imwrite(str(folder / "gray.jpg"), rng.integers(0, 256, (64, 48), np.uint8))

    out_file = tmp_path / "out.png"
    assert _cli("colorize", "--input", str(folder / "rgba.png"), "--model", trained_model,
                "--output", str(out_file)) == 0  # fmt: skip
    assert cv2.imread(str(out_file)).shape == (33, 47, 3)

    out_dir = tmp_path / "out"
    assert _cli("colorize", "--input", str(folder), "--model", trained_model,
                "--output", str(out_dir)) == 0  # fmt: skip
    written = sorted(p.name for p in out_dir.iterdir())
    assert written == ["gray.png", "gray16.png", "rgb.png", "rgba.png"]
    assert cv2.imread(str(out_dir / "gray16.png")).shape == (36, 36, 3)


def test_cli_errors_write_nothing(trained_model, tmp_path, capsys):
    image = _write(tmp_path / "ok.png", np.full((32, 32, 3), 128, np.uint8))
    not_image = tmp_path / "notes.png"
    not_image.write_text("not an image")
    tiny = _write(tmp_path / "tiny.png", np.full((8, 8, 3), 128, np.uint8))
    bad_model = tmp_path / "broken.keras"
    bad_model.write_text("garbage")
    out = tmp_path / "out"
    cases = [
        (image, str(tmp_path / "missing.keras"), "does not exist"),
        (image, str(bad_model), "Cannot load model"),
        (image, image, "must be a Keras 3 '.keras' file"),
        (str(not_image), trained_model, "not a readable image"),
        (tiny, trained_model, "too small"),
        (str(tmp_path / "nope.png"), trained_model, "does not exist"),
    ]
    for source, model, message in cases:
        code = _cli("colorize", "--input", source, "--model", model, "--output", str(out / "x.png"))
        assert code != 0
        assert message in capsys.readouterr().err
    # a folder with one non-image file: error before anything is written
    folder = tmp_path / "mixed"
    folder.mkdir()
    _write(folder / "a.png", np.full((32, 32, 3), 90, np.uint8))
    (folder / "b.png").write_text("not an image")
    assert _cli("colorize", "--input", str(folder), "--model", trained_model,
                "--output", str(out)) != 0  # fmt: skip
    assert not out.exists() or not any(out.iterdir())
    leftovers = [p for p in tmp_path.rglob("*") if p.name.startswith(".colorize-")]
    assert leftovers == []


def test_cli_refuses_colliding_output_names_up_front(trained_model, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "x.png", np.full((32, 32, 3), 120, np.uint8))
    assert cv2.imwrite(str(folder / "x.jpg"), np.full((32, 32, 3), 60, np.uint8))
    out = tmp_path / "out"
    code = _cli("colorize", "--input", str(folder), "--model", trained_model, "--output", str(out))
    err = capsys.readouterr().err
    assert code != 0
    assert "x.jpg" in err and "x.png" in err and "rename" in err
    assert not out.exists() or not any(out.iterdir())  # refused before anything is written


def test_cli_streams_and_leaves_only_complete_files(trained_model, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "a.png", np.full((32, 40, 3), 90, np.uint8))
    pixels = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    whole = bytearray(cv2.imencode(".png", pixels)[1].tobytes())
    (folder / "b.png").write_bytes(whole[: len(whole) // 2])  # a PNG header, then cut off
    _write(folder / "c.png", np.full((32, 32, 3), 150, np.uint8))
    out = tmp_path / "out"
    code = _cli("colorize", "--input", str(folder), "--model", trained_model, "--output", str(out))
    err = capsys.readouterr().err
    # A file cut short is found by its missing end when the folder is listed: nothing starts.
    assert code != 0 and "b.png" in err and "does not decode" in err
    assert not out.exists() or not list(out.iterdir())
    # A file that ends well but is corrupt inside fails only when decoded: the images before
    # it are finished, whole, and nothing is half-written.
    whole[len(whole) // 2 : len(whole) // 2 + 40] = bytes(40)
    (folder / "b.png").write_bytes(bytes(whole))
    code = _cli("colorize", "--input", str(folder), "--model", trained_model, "--output", str(out))
    err = capsys.readouterr().err
    assert code != 0 and "b.png" in err
    assert sorted(p.name for p in out.iterdir()) == ["a.png"]
    assert cv2.imread(str(out / "a.png")).shape == (32, 40, 3)
    assert "on_error" not in err
