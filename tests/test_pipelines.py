import warnings

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from ssl_keras import pipelines

RGB = (np.arange(20 * 30 * 3).reshape(20, 30, 3) % 251).astype(np.uint8)


def _save(path, image, **kwargs):
    image.save(path, **kwargs)
    return str(path)


@pytest.fixture
def image_folder(tmp_path):
    """One file per supported case, named after it."""
    folder = tmp_path / "images"
    folder.mkdir()
    _save(folder / "plain.jpg", Image.fromarray(RGB), quality=95)
    _save(folder / "upper.JPEG", Image.fromarray(RGB), quality=95)
    _save(folder / "gray.png", Image.fromarray(RGB[..., 0]))
    palette = Image.fromarray(RGB).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = 0
    _save(folder / "palette_alpha.png", palette)
    rgba = np.dstack([RGB, np.full(RGB.shape[:2], 255, np.uint8)])
    rgba[:5, :5, 3] = 0  # transparent corner
    _save(folder / "rgba.png", Image.fromarray(rgba))
    _save(folder / "sixteen_bit.png", Image.fromarray(RGB[..., 0].astype(np.uint16) * 257))
    _save(folder / "bitmap.bmp", Image.fromarray(RGB))
    frames = [Image.fromarray(RGB), Image.fromarray(255 - RGB)]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:])
    _save(folder / "photo.webp", Image.fromarray(RGB), lossless=True)
    _save(folder / "jpeg_bytes.png", Image.fromarray(RGB), format="JPEG")  # lying extension
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_lists_images_and_ignores_other_extensions(image_folder):
    names = [p.rsplit("/", 1)[-1] for p in pipelines.list_image_files(image_folder)]
    assert "notes.txt" not in names
    assert len(names) == 10
    assert names == sorted(names)


def test_decodes_every_format_to_float_rgb(image_folder):
    for path in pipelines.list_image_files(image_folder):
        image = pipelines.load_image(path).numpy()
        assert image.shape == (20, 30, 3), path
        assert image.dtype == np.float32
        assert 0.0 <= image.min() and image.max() <= 1.0


def test_lossless_formats_keep_pixel_values(image_folder):
    expected = RGB / 255.0
    for name in ("bitmap.bmp", "photo.webp", "animated.gif"):
        image = pipelines.load_image(image_folder / name).numpy()
        tolerance = 0.06 if name.endswith(".gif") else 1e-6  # GIF quantizes to 256 colors
        assert np.abs(image - expected).mean() < tolerance, name


def test_grayscale_and_sixteen_bit_become_three_equal_channels(image_folder):
    for name in ("gray.png", "sixteen_bit.png"):
        image = pipelines.load_image(image_folder / name).numpy()
        assert np.allclose(image[..., 0], RGB[..., 0] / 255.0, atol=1e-4)
        assert np.array_equal(image[..., 0], image[..., 2])


def test_transparent_pixels_become_white(image_folder):
    image = pipelines.load_image(image_folder / "rgba.png").numpy()
    assert np.allclose(image[:5, :5], 1.0)
    assert np.allclose(image[10:, 10:], RGB[10:, 10:] / 255.0, atol=1e-6)


def test_gif_first_frame(image_folder):
    image = pipelines.load_image(image_folder / "animated.gif").numpy()
    assert np.abs(image - RGB / 255.0).mean() < np.abs(image - (255 - RGB) / 255.0).mean()


def test_lying_extension_is_sniffed(image_folder):
    assert pipelines.sniff_format(image_folder / "jpeg_bytes.png") == "jpeg"
    assert pipelines.sniff_format(image_folder / "photo.webp") == "webp"


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        pipelines.list_image_files(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="No image files"):
        pipelines.list_image_files(tmp_path / "empty")


def test_corrupt_file_raises_or_is_skipped(image_folder):
    bad = image_folder / "broken.jpg"
    bad.write_bytes(b"this is not a jpeg at all")
    with pytest.raises(ValueError, match="broken.jpg"):
        pipelines.list_image_files(image_folder)
    with pytest.warns(UserWarning, match="broken.jpg"):
        paths = pipelines.list_image_files(image_folder, on_error="warn")
    assert str(bad) not in paths


def test_truncated_image_names_the_file(tmp_path):
    path = tmp_path / "truncated.png"
    Image.fromarray(RGB).save(path)
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(ValueError, match="truncated.png"):
        pipelines.load_image(path)
    with pytest.raises(FileNotFoundError, match="missing.png"):
        pipelines.load_image(tmp_path / "missing.png")


@pytest.mark.parametrize("mode", ["resize", "center_crop", "random_crop"])
@pytest.mark.parametrize("size", [16, (13, 29), 64])
def test_image_dataset_sizes(image_folder, mode, size):
    paths = pipelines.list_image_files(image_folder)
    images = pipelines.to_numpy(pipelines.image_dataset(paths, size, mode=mode, seed=1))
    height, width = (size, size) if isinstance(size, int) else size
    assert images.shape == (len(paths), height, width, 3)
    assert images.min() >= 0.0 and images.max() <= 1.0


def test_random_crops_are_seeded(image_folder):
    paths = pipelines.list_image_files(image_folder)

    def crops(seed):
        return pipelines.to_numpy(pipelines.image_dataset(paths, 8, "random_crop", seed=seed))

    assert np.array_equal(crops(3), crops(3))
    assert not np.array_equal(crops(3), crops(4))


def test_random_crops_change_every_pass_without_repeat(image_folder):
    """Each epoch over a dataset that is not repeated sees new windows, reproducibly."""
    paths = pipelines.list_image_files(image_folder)
    dataset = pipelines.image_dataset(paths, 8, "random_crop", seed=3)
    first, second = pipelines.to_numpy(dataset), pipelines.to_numpy(dataset)
    assert not np.array_equal(first, second)
    again = pipelines.image_dataset(paths, 8, "random_crop", seed=3)
    assert np.array_equal(pipelines.to_numpy(again), first)
    assert np.array_equal(pipelines.to_numpy(again), second)


def test_uint8_read_matches_float_read(image_folder):
    for path in pipelines.list_image_files(image_folder):
        as_uint8 = pipelines.read_image_uint8(tf.constant(path))
        assert as_uint8.dtype == tf.uint8 and as_uint8.shape[-1] == 3
        as_float = pipelines.read_image(tf.constant(path)).numpy()
        widened = tf.image.convert_image_dtype(as_uint8, tf.float32).numpy()
        # 8-bit files agree exactly; 16-bit and alpha-composited PNGs within rounding
        assert np.abs(widened - as_float).max() <= 0.5 / 255 + 1e-6, path


def test_full_frame_random_crop_is_the_whole_image(image_folder):
    path = str(image_folder / "plain.jpg")
    crop = pipelines.to_numpy(pipelines.image_dataset([path], (20, 30), "random_crop"))[0]
    assert np.array_equal(crop, pipelines.read_image(tf.constant(path)).numpy())


@pytest.mark.parametrize("dtype", [tf.uint8, tf.float32])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_random_crop_upscales_small_images_and_keeps_dtype(dtype, channels):
    image = tf.image.convert_image_dtype(tf.fill([5, 9, channels], 0.5), dtype)
    crop = pipelines.random_crop(image, 12, seed=0)
    assert crop.shape == (12, 12, channels) and crop.dtype == dtype


def test_resize_downscaling_averages_instead_of_aliasing():
    stripes = np.zeros((64, 64, 3), np.float32)
    stripes[:, ::2] = 1.0
    small = pipelines.resize(stripes, 8).numpy()
    assert np.allclose(small, 0.5, atol=0.05)


def test_batches_of_pairs(image_folder):
    paths = pipelines.list_image_files(image_folder)
    clean = pipelines.image_dataset(paths, 16, "random_crop", seed=0)
    ds = pipelines.batch(pipelines.noisy_pairs(clean, "mixed", seed=0), 4, shuffle=10)
    noisy, target = next(iter(ds))
    assert noisy.shape == target.shape == (4, 16, 16, 3)
    assert noisy.dtype == tf.float32


def test_bad_arguments(image_folder):
    paths = pipelines.list_image_files(image_folder)
    with pytest.raises(ValueError, match="mode"):
        pipelines.image_dataset(paths, 16, mode="zoom")
    with pytest.raises(ValueError, match="size"):
        pipelines.image_dataset(paths, (0, 16))
    with pytest.raises(ValueError, match="empty"):
        pipelines.image_dataset([], 16)
    clean = pipelines.image_dataset(paths, 16)
    with pytest.raises(ValueError, match="needs a level"):
        pipelines.noisy_pairs(clean, "gaussian")
    with pytest.raises(ValueError, match="Unknown noise"):
        pipelines.noisy_pairs(clean, "blur", 0.1)
    with pytest.raises(ValueError, match="batch_size"):
        pipelines.batch(clean, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipelines.list_image_files(image_folder)  # a clean folder gives no warning


def test_noisy_batches_match_shapes_and_are_seeded(image_folder):
    paths = pipelines.list_image_files(image_folder)
    clean = pipelines.image_dataset(paths, 16, "center_crop")

    def first(seed):
        return next(iter(pipelines.noisy_batches(clean, 4, "gaussian", 0.1, seed=seed)))

    noisy, target = first(0)
    assert noisy.shape == target.shape == (4, 16, 16, 3)
    assert np.array_equal(noisy, first(0)[0]) and not np.array_equal(noisy, first(1)[0])
    with pytest.raises(ValueError, match="batch_size"):
        pipelines.noisy_batches(clean, 0)


def test_holdout_splits_first_elements_for_validation():
    pairs = tf.data.Dataset.range(10)
    train, val = pipelines.holdout(pairs, n_val=3, n_train=4)
    assert list(val.as_numpy_iterator()) == [0, 1, 2]
    assert list(train.as_numpy_iterator()) == [3, 4, 5, 6]
    train_all, _ = pipelines.holdout(pairs, n_val=3)
    assert list(train_all.as_numpy_iterator()) == list(range(3, 10))


def test_holdout_refuses_to_leave_no_training_data():
    with pytest.raises(ValueError, match=r"has 8 elements.*n_val=8.*lower n_val"):
        pipelines.holdout(tf.data.Dataset.range(8), n_val=8)
    with pytest.raises(ValueError, match="n_val must be an int"):
        pipelines.holdout(tf.data.Dataset.range(8), n_val=0)


def _read(path):
    """Pixels as stored, in RGB(A) order (``cv2.imread`` gives BGR(A))."""
    import cv2

    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if pixels.ndim == 2:
        return pixels
    return cv2.cvtColor(pixels, cv2.COLOR_BGRA2RGBA if pixels.shape[-1] == 4 else cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize("channels", [None, 1, 3, 4])
def test_write_image_uint8_keeps_pixels_and_leaves_no_temporary_file(tmp_path, channels):
    pixels = {None: RGB[..., 0], 1: RGB[..., :1], 3: RGB, 4: np.dstack([RGB, RGB[..., 0]])}
    path = tmp_path / "out.png"
    pipelines.write_image(path, pixels[channels])
    expected = pixels[channels][..., 0] if channels == 1 else pixels[channels]
    np.testing.assert_array_equal(_read(path), expected)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


@pytest.mark.parametrize("gray", [True, False])
def test_write_image_float_is_scaled_and_rounded(tmp_path, gray):
    pixels = RGB[..., 0] if gray else RGB
    path = tmp_path / "float.png"
    pipelines.write_image(path, pixels.astype(np.float32) / 255)
    np.testing.assert_array_equal(_read(path), pixels)
    pipelines.write_image(path, np.full((4, 5, 3), 0.5019, np.float64))  # overwrites
    assert (_read(path) == 128).all()
    assert [p.name for p in tmp_path.iterdir()] == ["float.png"]


def test_write_image_compression_changes_bytes_not_pixels(tmp_path):
    pipelines.write_image(tmp_path / "fast.png", RGB, png_compression=0)
    pipelines.write_image(tmp_path / "small.png", RGB, png_compression=9)
    assert (tmp_path / "fast.png").stat().st_size > (tmp_path / "small.png").stat().st_size
    np.testing.assert_array_equal(_read(tmp_path / "fast.png"), _read(tmp_path / "small.png"))
    pipelines.write_image(tmp_path / "low.jpg", RGB, jpeg_quality=20, png_compression=0)
    pipelines.write_image(tmp_path / "high.jpg", RGB, jpeg_quality=98)
    assert (tmp_path / "low.jpg").stat().st_size < (tmp_path / "high.jpg").stat().st_size


def test_write_image_errors_name_the_path(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    for path in (tmp_path / "missing" / "x.png", blocker / "x.png"):
        with pytest.raises(pipelines.ImageWriteError, match="not an existing folder") as raised:
            pipelines.write_image(path, RGB)
        assert str(path) in str(raised.value)
        assert isinstance(raised.value, OSError) and isinstance(raised.value, ValueError)
    with pytest.raises(pipelines.ImageWriteError, match=r"out\.xyz.*no image format"):
        pipelines.write_image(tmp_path / "out.xyz", RGB)
    (tmp_path / "taken.png").mkdir()  # a folder where the file should go
    with pytest.raises(pipelines.ImageWriteError, match=r"taken\.png"):
        pipelines.write_image(tmp_path / "taken.png", RGB)
    with pytest.raises(ValueError, match=r"in \[0, 1\].*max=250"):
        pipelines.write_image(tmp_path / "f.png", RGB.astype(np.float32))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "taken.png"]


def test_write_image_unwritable_folder(tmp_path, monkeypatch):
    import os

    import cv2

    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # root ignores the folder's permissions
            monkeypatch.setattr(cv2, "imwrite", lambda *args: False)
        with pytest.raises(pipelines.ImageWriteError, match=r"locked/x\.png.*writable"):
            pipelines.write_image(folder / "x.png", RGB)
    finally:
        folder.chmod(0o700)
    assert list(folder.iterdir()) == []


def test_find_image_files_matches_names_only(tmp_path):
    for name in ("b.PNG", "a.jpg", "notes.txt", ".hidden.png", "sub/c.png", ".cache/d.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    names = [p.relative_to(tmp_path).as_posix() for p in pipelines.find_image_files(tmp_path)]
    assert names == [".hidden.png", "a.jpg", "b.PNG"]
    deep = pipelines.find_image_files(tmp_path, recursive=True, skip_hidden=True)
    assert [p.relative_to(tmp_path).as_posix() for p in deep] == ["a.jpg", "b.PNG", "sub/c.png"]
    assert pipelines.find_image_files(tmp_path, extensions=(".JPG",)) == [tmp_path / "a.jpg"]
