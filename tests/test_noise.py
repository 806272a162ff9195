import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import noise, pipelines

GRAY = np.full((256, 256, 3), 0.5, np.float32)


@pytest.mark.parametrize("sigma", [0.02, 0.05, 0.1])
def test_gaussian_sigma_matches_request(sigma):
    measured = np.std(noise.gaussian(GRAY, sigma, seed=1).numpy() - GRAY)
    assert measured == pytest.approx(sigma, rel=0.03)


def test_speckle_sigma_scales_with_intensity():
    measured = np.std(noise.speckle(GRAY, 0.2, seed=1).numpy() - GRAY)
    assert measured == pytest.approx(0.5 * 0.2, rel=0.03)


def test_poisson_variance_equals_mean_over_peak():
    peak = 50.0
    out = noise.poisson(GRAY, peak, seed=1).numpy()
    assert np.mean(out) == pytest.approx(0.5, abs=0.01)
    assert np.var(out) == pytest.approx(0.5 / peak, rel=0.05)


@pytest.mark.parametrize("amount,ratio", [(0.05, 0.5), (0.2, 0.3), (0.1, 1.0)])
def test_salt_and_pepper_fraction_and_ratio(amount, ratio):
    out = noise.salt_and_pepper(GRAY, amount, ratio, seed=4).numpy()
    hit = out[..., 0] != 0.5
    assert hit.mean() == pytest.approx(amount, rel=0.05)
    assert (out[..., 0][hit] == 1.0).mean() == pytest.approx(ratio, abs=0.03)
    # a corrupted pixel is corrupted in every channel
    assert np.all((out != 0.5).all(-1) == hit)


@pytest.mark.parametrize(
    "kind,level", [("gaussian", 0.1), ("salt_and_pepper", 0.1), ("speckle", 0.3), ("poisson", 10.0)]
)
def test_seeding_and_range(kind, level):
    images = np.random.default_rng(0).random((2, 33, 47, 3), dtype=np.float32)
    a = noise.add_noise(images, kind, level, seed=7).numpy()
    b = noise.add_noise(images, kind, level, seed=7).numpy()
    c = noise.add_noise(images, kind, level, seed=(7, 1)).numpy()
    assert a.shape == images.shape and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0.0 and a.max() <= 1.0


@pytest.mark.parametrize("shape", [(17, 23, 3), (3, 17, 23, 3), (9, 9, 1)])
def test_single_image_and_batch_shapes(shape):
    images = np.full(shape, 0.3, np.float32)
    for kind, level in [
        ("gaussian", 0.1),
        ("salt_and_pepper", 0.1),
        ("speckle", 0.1),
        ("poisson", 20.0),
    ]:
        assert noise.add_noise(images, kind, level).shape == shape
    assert noise.mixed(images, seed=3).shape == shape


def test_mixed_chooses_per_image():
    batch = np.full((64, 16, 16, 3), 0.5, np.float32)
    out = noise.mixed(batch, sigma=0.1, amount=0.2, seed=5).numpy()
    impulse = np.all(np.isin(out, [0.0, 0.5, 1.0]), axis=(1, 2, 3))
    assert 16 < impulse.sum() < 48


def test_usable_inside_tf_data():
    ds = tf.data.Dataset.from_tensor_slices(np.full((4, 8, 8, 3), 0.5, np.float32))
    ds = ds.enumerate().map(lambda i, x: noise.gaussian(x, 0.1, seed=tf.stack([i, i])))
    first = np.stack(list(ds.as_numpy_iterator()))
    second = np.stack(list(ds.as_numpy_iterator()))
    assert np.array_equal(first, second)
    assert not np.array_equal(first[0], first[1])


def test_graph_mode_checks_range():
    ds = tf.data.Dataset.from_tensor_slices(np.full((2, 8, 8, 3), 2.0, np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[0, 1\]"):
        list(ds.map(lambda x: noise.gaussian(x, 0.1)))


def test_graph_mode_catches_nan():
    ds = tf.data.Dataset.from_tensor_slices(np.full((2, 8, 8, 3), np.nan, np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"finite values in \[0, 1\]"):
        list(ds.map(lambda x: noise.gaussian(x, 0.1)))


@pytest.mark.parametrize("shape", [(1_000_001,), (7, 333, 301, 3)])
def test_standard_normal_moments(shape):
    z = noise.standard_normal(shape, seed=3).numpy()
    assert z.shape == shape and z.dtype == np.float32
    assert abs(z.mean()) < 0.005 and z.std() == pytest.approx(1.0, abs=0.005)
    assert np.mean(z**4) == pytest.approx(3.0, abs=0.05)  # Gaussian kurtosis
    assert np.mean(np.abs(z) > 1.96) == pytest.approx(0.05, abs=0.002)
    assert np.abs(z).max() < 4.86  # the cut of the 16-bit radius
    assert np.array_equal(z, noise.standard_normal(shape, seed=3).numpy())


def test_noisy_pairs_differ_between_elements_and_repeat():
    clean = tf.data.Dataset.from_tensor_slices(np.full((3, 8, 8, 3), 0.5, np.float32)).repeat(2)
    pairs = list(pipelines.noisy_pairs(clean, "gaussian", 0.1, seed=1).as_numpy_iterator())
    noisy = [p[0] for p in pairs]
    assert all(np.array_equal(p[1], np.full((8, 8, 3), 0.5)) for p in pairs)
    assert not np.array_equal(noisy[0], noisy[3])  # second epoch, new noise


@pytest.mark.parametrize(
    "images,message",
    [
        (np.zeros((8, 8, 3), np.uint8), "floating point"),
        (np.full((8, 8, 3), 1.5, np.float32), r"\[0, 1\]"),
        (np.full((8, 8, 3), -0.1, np.float32), r"\[0, 1\]"),
        (np.zeros((8, 8), np.float32), "rank 3"),
        (np.zeros((1, 1, 8, 8, 3), np.float32), "rank 3"),
        (np.full((8, 8, 3), np.nan, np.float32), r"\[0, 1\]"),
    ],
)
def test_bad_images(images, message):
    with pytest.raises(ValueError, match=message):
        noise.gaussian(images, 0.1)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda x: noise.gaussian(x, sigma=-0.1), "sigma"),
        (lambda x: noise.gaussian(x, sigma=2.0), "sigma"),
        (lambda x: noise.salt_and_pepper(x, amount=1.5), "amount"),
        (lambda x: noise.salt_and_pepper(x, amount=0.1, salt_ratio=-1), "salt_ratio"),
        (lambda x: noise.poisson(x, peak=0), "peak"),
        (lambda x: noise.speckle(x, sigma="big"), "number"),
        (lambda x: noise.add_noise(x, "blur", 0.1), "Unknown noise"),
        (lambda x: noise.gaussian(x, 0.1, seed="abc"), "seed"),
    ],
)
def test_bad_parameters(call, message):
    with pytest.raises(ValueError, match=message):
        call(GRAY[:8, :8])
