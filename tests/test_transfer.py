"""Transfer helpers of notebooks 03 and 04: data of a profile, streamed feature summaries,
label counts, steps per epoch, the probe classifier, the study's balanced scores and
intervals, and their plots (tiny sizes)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import denoising, models, paths, profiles, report, transfer
from ssl_keras.datasets import download, synthetic

TINY = dataclasses.replace(
    denoising.recipe("smoke"), image_size=16, patch_size=16, base_filters=4, depth=2
)


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """Data and artifacts under a temporary folder."""
    monkeypatch.setenv("SSL_KERAS_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def extractor():
    """Every level of a tiny random U-Net (trained BatchNorm statistics are not needed)."""
    tf.keras.utils.set_random_seed(0)
    return models.feature_extractor(denoising.build_denoiser(TINY))


def test_streamed_statistics_equal_the_in_memory_result(extractor):
    images = np.random.default_rng(0).random((7, 16, 16, 3), dtype=np.float32)
    maps = extractor.predict(images, verbose=0)
    streamed = transfer.feature_statistics(extractor, images, batch_size=3)
    assert list(streamed.pooled) == list(maps) == ["enc1", "enc2", "bottleneck"]
    for level, full in maps.items():
        assert streamed.pooled[level].shape == (7, full.shape[-1])
        assert streamed.pooled[level].dtype == np.float32
        np.testing.assert_allclose(streamed.pooled[level], full.mean(axis=(1, 2)), atol=1e-5)
        assert streamed.mean_activation[level] == pytest.approx(float(full.mean()), abs=1e-5)
        assert streamed.inactive_fraction[level] == pytest.approx(float((full <= 0).mean()))
    from_dataset = transfer.pooled_features(
        extractor, tf.data.Dataset.from_tensor_slices((images, np.zeros(7))).batch(4)
    )
    for level in maps:
        np.testing.assert_allclose(from_dataset[level], streamed.pooled[level], atol=1e-5)


def test_feature_statistics_of_an_encoder_and_bad_inputs(extractor):
    encoder = models.encoder_from(denoising.build_denoiser(TINY), level=1)
    images = np.random.default_rng(1).random((5, 16, 16, 3), dtype=np.float32)
    pooled = transfer.pooled_features(encoder, images, batch_size=2)
    assert list(pooled) == ["features"] and pooled["features"].shape == (5, 4)
    with pytest.raises(ValueError, match="non-empty batch"):
        transfer.feature_statistics(extractor, images[:0])
    with pytest.raises(ValueError, match="non-empty batch"):
        transfer.feature_statistics(extractor, images[0])
    with pytest.raises(ValueError, match="batch_size"):
        transfer.feature_statistics(extractor, images, batch_size=0)
    empty = tf.data.Dataset.from_tensor_slices(images[:0]).batch(2)
    with pytest.raises(ValueError, match="images is empty"):
        transfer.feature_statistics(extractor, empty)


def test_fitting_label_counts_keep_what_the_smallest_class_supplies():
    # Balanced CIFAR cats vs turtles: 500 per class, 14 per class kept for validation.
    labels = np.repeat([0, 1], 500 - 14)
    assert transfer.fitting_label_counts(profiles.FULL.label_counts, labels) == (
        10,
        25,
        50,
        100,
        250,
    )
    unbalanced = np.array([0] * 30 + [1] * 12)
    assert transfer.fitting_label_counts((5, 10, 25), unbalanced) == (5, 10)
    with pytest.raises(ValueError, match="smallest class has 12"):
        transfer.fitting_label_counts((25, 50), unbalanced)
    with pytest.raises(ValueError, match="≥ 1"):
        transfer.fitting_label_counts((0, 5), unbalanced)
    with pytest.raises(ValueError, match="empty"):
        transfer.fitting_label_counts((5,), [])


def test_steps_per_epoch_never_zero():
    assert transfer.steps_per_epoch(100, 16) == 6
    assert transfer.steps_per_epoch(32, 32) == 1
    with pytest.raises(ValueError, match="20 training examples are fewer than one batch of 32"):
        transfer.steps_per_epoch(20, 32)
    with pytest.raises(ValueError, match="n_examples"):
        transfer.steps_per_epoch(0, 32)
    with pytest.raises(ValueError, match="batch_size"):
        transfer.steps_per_epoch(10, 0)


def test_constant_answers_score_one_half_balanced():
    # Identical images: every arm can only give one answer for all test images.
    x = np.full((8, 16, 16, 3), 0.5, np.float32)
    y = np.array([0, 1] * 4)
    x_test = np.full((12, 16, 16, 3), 0.5, np.float32)
    y_test = np.array([0] * 9 + [1] * 3)
    encoder = models.encoder_from(denoising.build_denoiser(TINY), level=1)
    budget = transfer.Budget(max_epochs=3, patience=1, batch_size=4, min_steps=1)
    rows = transfer.label_efficiency(
        encoder,
        x,
        y,
        x[:4],
        y[:4],
        x_test,
        y_test,
        (2, 4),
        seeds=(0, 1),
        budget=budget,
        scratch_counts=(2,),
        verbose=False,
    )
    # Scratch runs only where asked: 2 seeds × (3 arms at 2 labels + 2 arms at 4 labels).
    assert len(rows) == 10
    assert {r["n_per_class"] for r in rows if r["method"] == "scratch"} == {2}
    for row in rows:
        assert row["balanced_accuracy"] == 0.5, row
        assert row["accuracy"] in (0.75, 0.25), row
        if row["method"] != "logistic regression":
            assert 1 <= row["restored_epoch"] <= row["epochs"] <= 3, row
    summary = transfer.summarize(rows)
    assert summary["scratch"] == {"counts": [2], "mean": [0.5], "std": [0.0], "half": [0.0]}
    assert summary["SSL (frozen)"]["counts"] == [2, 4]
    # Each seed answers one class for all images: 0.75 or 0.25, so the mean is one of three.
    assert transfer.summarize(rows, "accuracy")["scratch"]["mean"][0] in (0.75, 0.5, 0.25)
    assert transfer.scores(rows, "scratch", 2) == [0.5, 0.5]
    with pytest.raises(ValueError, match="no 'auroc'"):
        transfer.summarize(rows, "auroc")
    with pytest.raises(ValueError, match="No rows for 'scratch' at 4"):
        transfer.scores(rows, "scratch", 4)
    with pytest.raises(ValueError, match="scratch_counts"):
        transfer.label_efficiency(
            encoder, x, y, x[:4], y[:4], x_test, y_test, (2,), scratch_counts=(3,)
        )


def test_summary_intervals_are_the_seed_statistics():
    rows = [
        {"method": "a", "n_per_class": 5, "seed": s, "balanced_accuracy": v}
        for s, v in enumerate((0.6, 0.7, 0.8, 0.65, 0.75))
    ]
    expected = report.seed_stats([0.6, 0.7, 0.8, 0.65, 0.75])
    summary = transfer.summarize(rows)["a"]
    assert summary["mean"] == [pytest.approx(0.7)]
    assert summary["std"] == [pytest.approx(expected.std)]
    assert summary["half"] == [pytest.approx(expected.half)]
    with pytest.raises(ValueError, match="at least 2 seeds"):
        transfer.summarize(rows[:1])


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_epochs", 0),
        ("patience", 1.5),
        ("batch_size", True),
        ("learning_rate", 0.0),
        ("head_learning_rate", -1e-2),
    ],
)
def test_budget_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=f"Budget.{field}"):
        transfer.Budget(**{field: value})


def test_budget_epochs_are_one_pass_but_at_least_min_steps():
    budget = transfer.Budget(batch_size=16, min_steps=10)
    assert budget.steps(10) == 10 and budget.steps(160) == 10 and budget.steps(400) == 25
    with pytest.raises(ValueError, match="Budget.min_steps"):
        transfer.Budget(min_steps=0)


def test_probe_classifier_standardises_pooled_features_and_unfreezes_the_top():
    tf.keras.utils.set_random_seed(0)
    encoder = models.encoder_from(denoising.build_denoiser(TINY), level=2)
    images = np.random.default_rng(2).random((6, 16, 16, 3), dtype=np.float32)
    model = transfer.probe_classifier(encoder, images, hidden=8, dropout=0.1)
    pooled = transfer.probe_features(encoder, images)
    maps = np.asarray(encoder.predict(images, verbose=0))
    channels = maps.shape[-1]
    # Means then standard deviations over space, channel by channel.
    np.testing.assert_allclose(pooled[:, :channels], maps.mean(axis=(1, 2)), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(pooled[:, channels:], maps.std(axis=(1, 2)), rtol=1e-3, atol=1e-3)
    standardize = model.get_layer("standardize")
    np.testing.assert_allclose(np.ravel(standardize.mean), pooled.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(np.ravel(standardize.variance), pooled.var(axis=0), rtol=1e-3)
    frozen = models.count_params(model)
    assert frozen.trainable == 2 * channels * 8 + 8 + 8 + 1  # the head only
    linear = transfer.probe_classifier(encoder, images)  # the default: a linear probe
    assert models.count_params(linear).trainable == 2 * channels + 1
    with pytest.raises(ValueError, match="hidden"):
        transfer.probe_classifier(encoder, images, hidden=-1)
    with pytest.raises(ValueError, match="dropout"):
        transfer.probe_classifier(encoder, images, dropout=1.0)
    with pytest.raises(ValueError, match="non-empty batch"):
        transfer.probe_features(encoder, images[0])
    probabilities = model.predict(images, verbose=0)
    assert probabilities.shape == (6, 1) and np.all((probabilities >= 0) & (probabilities <= 1))
    assert models.set_trainable_levels(model, 1) == ["enc2"]
    assert models.count_params(model).trainable > frozen.trainable


def test_augmenter_keeps_shape_and_range_and_is_identity_at_inference():
    images = np.random.default_rng(4).random((3, 24, 24, 3), dtype=np.float32)
    augment = transfer.augmenter(seed=1)
    changed = np.asarray(augment(images, training=True))
    assert changed.shape == images.shape and changed.min() >= 0 and changed.max() <= 1
    assert not np.allclose(changed, images)
    np.testing.assert_array_equal(np.asarray(augment(images, training=False)), images)


def test_confusion_plot_writes_the_counts_in_the_cells():
    import matplotlib.pyplot as plt

    from ssl_keras import viz

    fig = viz.confusion_matrix_plot(np.array([[64, 36], [12, 88]]), ["cat", "turtle"])
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["12\n12 %", "36\n36 %", "64\n64 %", "88\n88 %"]
    plt.close(fig)
    with pytest.raises(ValueError, match="2 class names for a 3×3"):
        viz.confusion_matrix_plot(np.eye(3, dtype=int), ["cat", "turtle"])


def test_label_efficiency_bands_shade_the_intervals():
    import matplotlib.pyplot as plt

    from ssl_keras import viz

    summary = {
        "SSL (frozen)": {"counts": [5, 10], "mean": [0.8, 0.9], "half": [0.05, 0.02]},
        "scratch": {"counts": [5], "mean": [0.6], "half": [0.1]},
    }
    fig = viz.label_efficiency_bands(summary, title="t")
    ax = fig.axes[0]
    assert len(ax.collections) >= 2  # one band, one error bar
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "SSL (frozen)",
        "scratch",
        "chance",
    ]
    plt.close(fig)
    with pytest.raises(ValueError, match="summary is empty"):
        viz.label_efficiency_bands({})


def test_labeled_root_smoke_generates_the_toy_pets(home):
    root = transfer.labeled_root("smoke")
    assert root == paths.data_dir("synthetic", "toy_pets")
    x, y, names = transfer.load_split(root / "test", 64)
    assert names == ["cat", "turtle"] and np.bincount(y).tolist() == [100, 100]


def test_labeled_root_full_uses_the_cifar_download(home, monkeypatch):
    calls = []

    def fake_cifar(root, **options):
        calls.append(root)
        return synthetic.toy_pets(root, n_train=3, n_test=2, n_unlabeled=0, size=32)

    monkeypatch.setattr(download, "cifar_cats_turtles", fake_cifar)
    root = transfer.labeled_root("full")
    assert calls == [paths.data_dir("cifar_cats_turtles")] and root == calls[0]
    x, y, _ = transfer.load_split(root / "train", 128)
    assert x.shape == (6, 128, 128, 3) and np.bincount(y).tolist() == [3, 3]


def test_pool_files_full_are_the_coco_val2017_photos(home, monkeypatch):
    def fake_fetch(name, root="data", **options):
        assert name == "coco" and root == paths.data_dir()
        folder = root / "coco"
        synthetic.photo_crops(folder / "val2017", n=9, size=24, seed=0)
        return folder

    monkeypatch.setattr(download, "fetch_dataset", fake_fetch)
    chosen = denoising.recipe("full")
    assert chosen.pool == "coco_val2017" and (chosen.n_val, chosen.n_test) == (500, 500)
    files = denoising.pool_files(chosen)
    assert len(files) == 9 and all("val2017" in f for f in files)
    small = dataclasses.replace(chosen, n_val=2, n_test=3)
    splits = denoising.split_pool(denoising.pool_files(small), small.n_val, small.n_test, 5)
    assert [len(splits[k]) for k in ("train", "val", "test")] == [4, 2, 3]
    with pytest.raises(ValueError, match="Unknown pool"):
        denoising.pool_files(dataclasses.replace(chosen, pool="imagenet"))


def test_data_and_artifacts_follow_ssl_keras_home(tmp_path, monkeypatch):
    # As on Colab with Drive mounted: a folder that does not exist yet, "~" allowed.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SSL_KERAS_HOME", "~/drive/MyDrive/ssl-keras")
    drive = tmp_path / "drive" / "MyDrive" / "ssl-keras"
    assert paths.data_dir("cifar_cats_turtles") == drive / "data" / "cifar_cats_turtles"
    assert denoising.artifacts_folder() == drive / "artifacts" / "denoiser"
    assert (drive / "artifacts" / "denoiser").is_dir()  # created for the denoiser to land in


def test_label_efficiency_rows_are_seeded_and_record_the_restored_epoch():
    rng = np.random.default_rng(0)
    x = rng.random((16, 16, 16, 3), dtype=np.float32)
    y = np.array([0, 1] * 8)
    x[y == 1] *= 0.3  # dark images are class 1: learnable in a few steps
    encoder = models.encoder_from(denoising.build_denoiser(TINY), level=2)
    budget = transfer.Budget(max_epochs=2, patience=1, batch_size=4, min_steps=2)

    def run():
        return transfer.label_efficiency(
            encoder,
            x,
            y,
            x[:4],
            y[:4],
            x,
            y,
            label_counts=(2, 4),
            seeds=(0, 1),
            budget=budget,
            scratch_counts=(2,),
            verbose=False,
        )

    rows = run()
    methods = [r["method"] for r in rows]
    assert methods.count("scratch") == 2 and methods.count("SSL (frozen)") == 4
    assert all(0.0 <= r["balanced_accuracy"] <= 1.0 for r in rows)
    assert all(1 <= r["restored_epoch"] <= r["epochs"] <= 2 for r in rows if r["epochs"])
    assert [r["balanced_accuracy"] for r in run()] == [r["balanced_accuracy"] for r in rows]
    with pytest.raises(ValueError, match="label_counts"):
        transfer.label_efficiency(encoder, x, y, x, y, x, y, label_counts=(9,), verbose=False)
    with pytest.raises(ValueError, match="scratch_counts"):
        transfer.label_efficiency(
            encoder, x, y, x, y, x, y, label_counts=(2,), scratch_counts=(4,), verbose=False
        )


def test_load_split_names_the_files_it_could_not_decode(tmp_path):
    import cv2

    rng = np.random.default_rng(5)
    for name in ("cat", "turtle"):
        (tmp_path / name).mkdir()
        for i in range(4 if name == "cat" else 3):
            pixels = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
            assert cv2.imwrite(str(tmp_path / name / f"{i}.jpg"), pixels)
    whole = (tmp_path / "cat" / "3.jpg").read_bytes()
    (tmp_path / "cat" / "3.jpg").write_bytes(whole[: len(whole) // 2])  # a truncated download
    # Files are checked per class folder: 1 of the cat folder's 4 is skipped.
    with pytest.warns(UserWarning, match=r"Skipped 1 of 4 image files.*cat/3\.jpg"):
        images, labels, names = transfer.load_split(tmp_path, 16)
    assert images.shape == (6, 16, 16, 3) and names == ["cat", "turtle"]
    assert np.bincount(labels).tolist() == [3, 3]


def test_label_efficiency_with_fewer_images_than_a_batch_returns(deadline):
    rng = np.random.default_rng(1)
    x = rng.random((6, 16, 16, 3), dtype=np.float32)
    y = np.array([0, 1] * 3)
    encoder = models.encoder_from(denoising.build_denoiser(TINY), level=1)
    budget = transfer.Budget(max_epochs=1, patience=1, batch_size=16, min_steps=1)
    with deadline(240):
        rows = transfer.label_efficiency(
            encoder, x, y, x, y, x, y, (2,), seeds=(0, 1), budget=budget, verbose=False
        )
    assert {r["method"] for r in rows} == set(transfer.METHODS)
    assert all(r["epochs"] == 1 for r in rows if r["method"] != "logistic regression")
