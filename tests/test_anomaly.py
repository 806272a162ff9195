"""Tests of ssl_keras.anomaly: pretext transforms, density scores, maps, AUROC helpers."""

from __future__ import annotations

import shutil

import matplotlib

matplotlib.use("Agg")

import cv2  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from ssl_keras import anomaly, viz  # noqa: E402
from ssl_keras.datasets import synthetic  # noqa: E402

NO_JITTER = dict(brightness=0.0, contrast=0.0, saturation=0.0, hue=0.0, patch_jitter=0.0)


def _noise_image(size=(64, 64), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random((*size, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def mvtec_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mvtec")
    return synthetic.mvtec_like(root, n_train=6, n_test_good=3, n_test_defect=2, size=32, seed=1)


# --- pretext sampler ------------------------------------------------------------------------


def test_label_distribution_is_uniform_and_seeded():
    images = np.zeros((4, 16, 16, 3), np.float32)
    stream = anomaly.pretext_dataset(images, batch_size=300, seed=5)
    labels = next(iter(stream))[1].numpy()
    counts = np.bincount(labels, minlength=3)
    assert counts.sum() == 300 and set(np.unique(labels)) == {0, 1, 2}
    assert (counts > 300 * 0.25).all() and (counts < 300 * 0.42).all(), counts

    again = next(iter(anomaly.pretext_dataset(images, batch_size=300, seed=5)))[1].numpy()
    other = next(iter(anomaly.pretext_dataset(images, batch_size=300, seed=6)))[1].numpy()
    np.testing.assert_array_equal(labels, again)  # exact for a fixed seed
    assert not np.array_equal(labels, other)


def test_same_seed_same_images():
    image = _noise_image((32, 32))
    for label in range(3):
        first, mask_a = anomaly.apply_pretext(image, label, seed=(3, 4))
        second, mask_b = anomaly.apply_pretext(image, label, seed=(3, 4))
        np.testing.assert_array_equal(first, second)
        np.testing.assert_array_equal(mask_a, mask_b)


def test_normal_class_is_not_changed_geometrically():
    image = _noise_image()
    out, mask = anomaly.apply_pretext(image, 0, seed=1, config=anomaly.PretextConfig(**NO_JITTER))
    np.testing.assert_array_equal(out, image)
    assert int(tf.reduce_sum(mask)) == 0
    # With the default photometric jitter, every pixel keeps its place: the jittered image
    # is a per-channel monotone function of the input, so the correlation stays near 1.
    gray = np.repeat(_noise_image()[..., :1], 3, axis=-1)
    out, mask = anomaly.apply_pretext(gray, 0, seed=2)
    assert int(tf.reduce_sum(mask)) == 0
    assert np.corrcoef(gray[..., 0].ravel(), out.numpy()[..., 0].ravel())[0, 1] > 0.95
    assert np.allclose(out[..., 0], out[..., 1]) and np.allclose(out[..., 0], out[..., 2])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cutpaste_changes_a_region_of_the_expected_area(seed):
    config = anomaly.PretextConfig(
        patch_area=(0.1, 0.1), patch_aspect=(2.0, 2.0), patch_scale=(1.0, 1.0),
        polygon_probability=0.0, **NO_JITTER,
    )  # fmt: skip
    image = _noise_image(seed=seed)
    out, mask = anomaly.apply_pretext(image, 1, seed=seed, config=config)
    out, mask = out.numpy(), mask.numpy()[..., 0].astype(bool)
    assert out.shape == image.shape and mask.shape == image.shape[:2]
    assert abs(mask.sum() - 0.1 * 64 * 64) < 0.1 * 0.1 * 64 * 64  # rotated rectangle, ±10 %
    np.testing.assert_array_equal(out[~mask], image[~mask])  # nothing changes outside
    assert np.abs(out[mask] - image[mask]).mean() > 0.1  # the pasted content is different


def test_polygon_patch_is_inside_its_rectangle():
    config = anomaly.PretextConfig(
        patch_area=(0.1, 0.1), patch_scale=(1.0, 1.0), polygon_probability=1.0, **NO_JITTER
    )
    for seed in range(3):
        _, mask = anomaly.apply_pretext(_noise_image(), 1, seed=seed, config=config)
        area = int(tf.reduce_sum(mask))
        assert 0.3 * 0.1 * 64 * 64 < area < 0.1 * 64 * 64 * 1.05


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scar_is_a_thin_strip_of_the_expected_area(seed):
    config = anomaly.PretextConfig(scar_width=(0.05, 0.05), scar_length=(0.25, 0.25), **NO_JITTER)
    image = _noise_image(seed=seed)
    out, mask = anomaly.apply_pretext(image, 2, seed=seed, config=config)
    mask = mask.numpy()[..., 0].astype(bool)
    expected = (0.05 * 64) * (0.25 * 64)
    assert 0.7 * expected < mask.sum() < 1.3 * expected
    np.testing.assert_array_equal(out.numpy()[~mask], image[~mask])


def test_pretext_dataset_shapes_and_masks():
    images = np.stack([_noise_image((24, 20), seed=i) for i in range(5)])
    ds = anomaly.pretext_dataset(images, batch_size=4, seed=0, with_masks=True)
    x, y, m = next(iter(ds))
    assert x.shape == (4, 24, 20, 3) and x.dtype == tf.float32
    assert y.shape == (4,) and y.dtype == tf.int32
    assert m.shape == (4, 24, 20, 1) and m.dtype == tf.int32
    assert float(tf.reduce_min(x)) >= 0.0 and float(tf.reduce_max(x)) <= 1.0
    for label, mask in zip(y.numpy(), m.numpy(), strict=True):
        assert (mask.sum() == 0) == (label == 0)
    finite = anomaly.pretext_dataset(images, batch_size=4, repeat=False)
    assert sum(len(b[1]) for b in finite) == 5


def test_pretext_bad_inputs():
    with pytest.raises(ValueError, match="patch_area"):
        anomaly.PretextConfig(patch_area=(0.3, 0.1))
    with pytest.raises(ValueError, match="hue"):
        anomaly.PretextConfig(hue=0.8)
    with pytest.raises(ValueError, match="label"):
        anomaly.apply_pretext(_noise_image(), 3, seed=0)
    with pytest.raises(ValueError, match="RGB"):
        anomaly.apply_pretext(np.zeros((8, 8, 1), np.float32), 0, seed=0)
    with pytest.raises(ValueError, match="float"):
        anomaly.apply_pretext(np.zeros((8, 8, 3), np.uint8), 0, seed=0)
    with pytest.raises(ValueError, match="images"):
        anomaly.pretext_dataset(np.zeros((2, 8, 8), np.float32))


# --- density and metrics --------------------------------------------------------------------


def test_density_scores_shifted_samples_higher():
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(8, 8))
    good = rng.normal(size=(200, 8)) @ mixing
    test_good = rng.normal(size=(50, 8)) @ mixing
    # 5 standard deviations along one latent axis
    shifted = rng.normal(size=(50, 8)) @ mixing + 5.0 * mixing[0]
    labels = np.r_[np.zeros(50), np.ones(50)]
    for scorer in (anomaly.GaussianDensity(), anomaly.GaussianDensity(0.1), anomaly.KNNScorer(3)):
        scorer.fit(good)
        scores = scorer.score(np.r_[test_good, shifted])
        assert scores.shape == (100,) and scores.dtype == np.float32 and (scores >= 0).all()
        assert anomaly.image_auroc(scores, labels) > 0.95
    density = anomaly.GaussianDensity().fit(good)
    assert 0.0 <= density.shrinkage_ <= 1.0 and density.precision_.shape == (8, 8)
    # Fewer samples than dimensions: the shrunk covariance stays invertible.
    few = anomaly.GaussianDensity().fit(rng.normal(size=(5, 20)))
    assert np.isfinite(few.score(rng.normal(size=(3, 20)))).all()


def test_density_bad_inputs():
    with pytest.raises(ValueError, match="not fitted"):
        anomaly.GaussianDensity().score(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="dimensions"):
        anomaly.GaussianDensity().fit(np.random.rand(10, 3)).score(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        anomaly.GaussianDensity().fit(np.full((4, 2), np.nan))
    with pytest.raises(ValueError, match="at least 2"):
        anomaly.GaussianDensity().fit(np.zeros((1, 2)))


def test_auroc_helpers_on_a_known_case():
    scores = [0.1, 0.4, 0.35, 0.8]
    labels = [0, 0, 1, 1]
    assert anomaly.image_auroc(scores, labels) == pytest.approx(0.75)
    by_type = anomaly.auroc_by_defect(
        [0.1, 0.2, 0.9, 0.15, 0.8], [0, 0, 1, 1, 1], ["good", "good", "hole", "hole", "crack"]
    )
    assert by_type == {"overall": pytest.approx(5 / 6), "crack": 1.0, "hole": pytest.approx(0.75)}
    with pytest.raises(ValueError, match="good"):
        anomaly.image_auroc([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="match"):
        anomaly.image_auroc([0.1, 0.2], [0, 1, 1])


def test_threshold_and_precision_recall():
    threshold = anomaly.threshold_from_good(np.arange(101.0), quantile=0.95)
    assert threshold == pytest.approx(95.0)
    counts = anomaly.precision_recall([1, 2, 96, 97, 50, 99], [0, 0, 0, 1, 1, 1], threshold)
    assert (counts["tp"], counts["fp"], counts["fn"], counts["tn"]) == (2, 1, 1, 2)
    assert counts["precision"] == pytest.approx(2 / 3) and counts["recall"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="empty"):
        anomaly.threshold_from_good([])


def test_pixel_auroc_checks_shapes_and_masks():
    maps = np.zeros((2, 4, 4), np.float32)
    masks = np.zeros((2, 4, 4, 1), np.int32)
    maps[0, 1, 1] = masks[0, 1, 1] = 1
    assert anomaly.pixel_auroc(maps, masks) == 1.0
    with pytest.raises(ValueError, match="differ"):
        anomaly.pixel_auroc(maps, np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match="empty"):
        anomaly.pixel_auroc(maps, np.zeros_like(masks))


def test_project_2d():
    rng = np.random.default_rng(0)
    points, ratio = anomaly.project_2d(rng.normal(size=(30, 5)), fit_on=rng.normal(size=(10, 5)))
    assert points.shape == (30, 2) and ratio.shape == (2,)


# --- model, maps, data ----------------------------------------------------------------------


def test_model_embeddings_and_map_shape_equal_image_shape():
    images = np.stack([_noise_image((38, 45), seed=i) for i in range(3)])
    model = anomaly.pretext_model((38, 45, 3), depth=2, base_filters=4, hidden=8)
    assert model.output_shape == (None, 3)
    assert anomaly.embed(model, images, ("enc2", "bottleneck")).shape == (3, 8 + 16)
    features = anomaly.patch_features(model, images, "enc2")  # padded to 40x48, stride 2
    assert features.shape == (3, 20, 24, 8)
    density = anomaly.fit_patch_density(features)
    maps = anomaly.anomaly_maps(density, features, (38, 45), sigma=2.0)
    assert maps.shape == (3, 38, 45) and maps.dtype == np.float32
    assert np.isfinite(maps).all()


def test_pretext_model_builds_its_fresh_encoder_with_or_without_batch_norm():
    for batch_norm in (True, False):
        model = anomaly.pretext_model((16, 16, 3), depth=2, base_filters=4, batch_norm=batch_norm)
        kinds = {type(layer).__name__ for layer in model.get_layer("encoder")._flatten_layers()}
        assert ("BatchNormalization" in kinds) == batch_norm


def test_load_category_and_bad_folders(mvtec_root, tmp_path):
    data = anomaly.load_category(mvtec_root, "weave", size=24, holdout=0.34)
    assert data.grayscale and data.train.shape == (4, 24, 24, 3) and len(data.holdout) == 2
    assert data.masks.shape == (len(data.test), 24, 24) and set(np.unique(data.masks)) <= {0, 1}
    assert data.masks[data.labels == 1].any(axis=(1, 2)).all()
    assert "weave: grayscale" in data.describe()
    assert not anomaly.load_category(mvtec_root, "cap", size=24).grayscale

    broken = tmp_path / "broken"
    shutil.copytree(mvtec_root / "cap", broken / "cap")
    shutil.rmtree(broken / "cap" / "train" / "good")
    with pytest.raises(FileNotFoundError, match="train/good"):
        anomaly.load_category(broken, "cap")

    no_mask = tmp_path / "no_mask"
    shutil.copytree(mvtec_root / "cap", no_mask / "cap")
    next((no_mask / "cap" / "ground_truth" / "crack").glob("*.png")).unlink()
    with pytest.raises(ValueError, match="no mask"):
        anomaly.load_category(no_mask, "cap")

    wrong_size = tmp_path / "wrong_size"
    shutil.copytree(mvtec_root / "cap", wrong_size / "cap")
    mask_path = next((wrong_size / "cap" / "ground_truth" / "crack").glob("*.png"))
    tf.io.write_file(str(mask_path), tf.io.encode_png(np.zeros((16, 16, 1), np.uint8)))
    with pytest.raises(ValueError, match="size"):
        anomaly.load_category(wrong_size, "cap")

    with pytest.raises(ValueError, match="holdout"):
        anomaly.load_category(mvtec_root, "cap", holdout=0.9)

    # Files that are no image, or that stop half-way, are named (no TensorFlow traceback).
    empty = tmp_path / "empty"
    shutil.copytree(mvtec_root / "cap", empty / "cap")
    zero = next((empty / "cap" / "test" / "crack").glob("*.png"))
    zero.write_bytes(b"")
    with pytest.raises(ValueError, match=rf"{zero.name}.*not an image"):
        anomaly.load_category(empty, "cap")
    truncated = tmp_path / "truncated"
    shutil.copytree(mvtec_root / "cap", truncated / "cap")
    cut = sorted((truncated / "cap" / "train" / "good").glob("*.png"))[1]
    cut.write_bytes(cut.read_bytes()[:200])
    with pytest.raises(ValueError, match=rf"{cut.name}.*does not decode: cut short"):
        anomaly.load_category(truncated, "cap")


def test_plots():
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(10), np.ones(10)]
    fig = viz.roc_curves({"gauss": (rng.random(20) + labels, labels)}, title="ROC")
    assert "AUROC" in fig.axes[0].get_legend().get_texts()[0].get_text()
    images = rng.random((2, 16, 16, 3)).astype(np.float32)
    masks = np.zeros((2, 16, 16), np.int32)
    masks[0, 4:8, 4:8] = 1
    fig = viz.anomaly_overlays(images, masks, rng.random((2, 16, 16)), col_titles=["a", "b"])
    assert [fig.axes[i].get_ylabel() for i in (0, 2, 4)] == ["Input", "Truth", "Anomaly map"]
    fig = viz.embedding_scatter(rng.random((6, 2)), ["good"] * 3 + ["defect"] * 3)
    assert len(fig.axes[0].get_legend().get_texts()) == 2
    with pytest.raises(ValueError, match="share"):
        viz.anomaly_overlays(images, masks[:1], rng.random((2, 16, 16)))
    plt.close("all")


# --- graded synthetic defects ---------------------------------------------------------------


def test_severity_tiers_run_from_obvious_to_subtle():
    tiers = synthetic.anomaly.severity_tiers(12)
    assert tiers == ["obvious"] * 4 + ["moderate"] * 4 + ["subtle"] * 4
    assert synthetic.anomaly.severity_tiers(2) == ["obvious", "moderate"]
    kinds = ["contamination"] * 3 + ["good"] * 2 + ["hole"] * 3
    np.testing.assert_array_equal(
        synthetic.anomaly.severities(kinds),
        ["obvious", "moderate", "subtle", "good", "good", "obvious", "moderate", "subtle"],
    )
    with pytest.raises(ValueError, match="n_test_defect"):
        synthetic.anomaly.severity_tiers(-1)
    with pytest.raises(ValueError, match="flat"):
        synthetic.anomaly.severities([["hole"]])


@pytest.mark.parametrize(
    "category, defect",
    [(c, d) for c, defects in synthetic.anomaly.DEFECTS.items() for d in defects],
)
def test_subtle_defects_change_the_image_far_less_than_obvious_ones(category, defect):
    # The same seed gives the same defect-free image underneath: the difference to it,
    # inside the mask, is what the defect changed.
    def change(severity, seed):
        good = synthetic.anomaly.render_good(np.random.default_rng(seed), category, 128)
        bad, mask = synthetic.anomaly.render_defect(
            np.random.default_rng(seed), category, defect, 128, severity
        )
        assert set(np.unique(mask).tolist()) == {0, 255}
        inside = mask > 0
        return np.abs(bad.astype(np.float32) - good)[inside].mean() / 255, inside.sum()

    obvious = [change(1.0, seed) for seed in range(4)]
    subtle = [change(0.0, seed) for seed in range(4)]
    assert np.mean([c for c, _ in subtle]) < 0.5 * np.mean([c for c, _ in obvious])
    assert np.mean([a for _, a in subtle]) < np.mean([a for _, a in obvious])  # smaller too
    with pytest.raises(ValueError, match="severity"):
        synthetic.anomaly.render_defect(np.random.default_rng(0), category, defect, 64, 1.5)


def test_mvtec_like_writes_tiers_in_file_order(tmp_path):
    root = synthetic.mvtec_like(
        tmp_path, ("weave",), n_train=2, n_test_good=1, n_test_defect=6, size=64, seed=3
    )
    areas = [
        (cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) > 0).sum()
        for path in sorted((root / "weave" / "ground_truth" / "hole").glob("*_mask.png"))
    ]
    assert len(areas) == 6 and min(areas[:2]) > max(areas[4:])  # obvious holes are larger


def test_pretext_training_on_fewer_images_than_a_batch_returns(mvtec_root, deadline):
    data = anomaly.load_category(mvtec_root, "weave", size=24, holdout=0.34)  # 4 + 2 images
    model = anomaly.pretext_model((24, 24, 3), depth=2, base_filters=4, hidden=8)
    with deadline(240):
        history = anomaly.train_pretext(model, data, epochs=1, steps_per_epoch=2, batch_size=16)
    assert len(history.history["loss"]) == 1
