"""Denoising pretraining recipe, transfer study helpers and their plots (tiny sizes)."""

from __future__ import annotations

import dataclasses
import json

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ssl_keras import denoising, models, transfer, viz  # noqa: E402
from ssl_keras.datasets import synthetic  # noqa: E402

TINY = dataclasses.replace(
    denoising.recipe("smoke"),
    image_size=16,
    patch_size=16,
    base_filters=4,
    depth=2,
    batch_size=4,
    steps=4,
    epochs=2,
    n_photo_crops=10,
    n_unlabeled=10,
    n_val=4,
    n_test=4,
)


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """Data and artifacts under a temporary folder."""
    monkeypatch.setenv("SSL_KERAS_HOME", str(tmp_path))
    return tmp_path


def test_recipes_follow_the_profiles():
    smoke, full = denoising.recipe("smoke"), denoising.recipe("full")
    assert smoke.image_size == 64 and smoke.patch_size == 32 and smoke.depth == 4
    assert smoke.steps_per_epoch * smoke.epochs == smoke.steps
    assert full.image_size == 128 and full.steps > smoke.steps
    assert (smoke.pool, full.pool) == ("generated", "coco_val2017")


def test_quick_recipe_is_the_same_model_with_fewer_steps():
    full, quick = denoising.recipe("full"), denoising.recipe("full", quick=True)
    assert quick.steps == denoising.QUICK_STEPS < full.steps
    assert quick.steps_per_epoch * quick.epochs == quick.steps
    unchanged = ("image_size", "patch_size", "base_filters", "depth", "batch_size", "pool")
    assert all(getattr(quick, f) == getattr(full, f) for f in unchanged)
    assert denoising.recipe("smoke", quick=True) == denoising.recipe("smoke")  # already short


def test_split_pool_is_disjoint_and_seeded():
    files = [f"f{i}.png" for i in range(20)]
    a = denoising.split_pool(files, n_val=3, n_test=4, seed=1)
    b = denoising.split_pool(files, n_val=3, n_test=4, seed=1)
    assert a == b
    assert (len(a["train"]), len(a["val"]), len(a["test"])) == (13, 3, 4)
    assert sorted(a["train"] + a["val"] + a["test"]) == sorted(files)
    with pytest.raises(ValueError, match="too few"):
        denoising.split_pool(files[:5], n_val=3, n_test=4)
    with pytest.raises(ValueError, match="n_val"):
        denoising.split_pool(files, n_val=0, n_test=4)


def test_pool_and_noisy_batches(home):
    files = denoising.pool_files(TINY)
    assert len(files) == TINY.n_photo_crops + TINY.n_unlabeled
    assert all(str(home) in f for f in files)
    train = denoising.noisy_dataset(files, 16, 4, training=True, patch_size=8, seed=3)
    noisy, clean = next(iter(train))
    assert noisy.shape == clean.shape == (4, 8, 8, 3)
    assert 0.0 <= float(np.min(noisy)) and float(np.max(noisy)) <= 1.0
    again, _ = next(
        iter(denoising.noisy_dataset(files, 16, 4, training=True, patch_size=8, seed=3))
    )
    np.testing.assert_array_equal(noisy, again)
    impulses, clean = next(iter(denoising.noisy_dataset(files, 16, 4, "salt_and_pepper")))
    changed = np.any(impulses.numpy() != clean.numpy(), axis=-1)
    assert 0.01 < changed.mean() < 0.1  # 5 % of the pixels, minus those already 0 or 1
    with pytest.raises(ValueError, match="level"):
        denoising.noisy_dataset(files, 16, 4, "speckle")


def test_denoiser_starts_as_the_identity():
    model = denoising.build_denoiser(TINY)
    images = np.random.default_rng(0).random((2, 12, 20, 3), dtype=np.float32)
    np.testing.assert_allclose(model.predict(images, verbose=0), images, atol=1e-6)


def test_pretrain_saves_artifacts_and_load_or_pretrain_reuses_them(home, capsys, monkeypatch):
    folder = home / "artifacts" / "denoiser"
    split_seeds = []
    split_pool = denoising.split_pool

    def recording_split(files, n_val, n_test, seed=0, sources=None):
        split_seeds.append(seed)
        assert sources == denoising.pool_sources(files)  # whole photographs stay together
        return split_pool(files, n_val, n_test, seed, sources)

    monkeypatch.setattr(denoising, "split_pool", recording_split)
    model, history = denoising.pretrain_denoiser(TINY, folder, seed=3, verbose=False)
    assert split_seeds == [3]  # the seed also picks the pool split
    assert set(history) >= {"loss", "val_loss"} and len(history["loss"]) == TINY.epochs
    for name in denoising.FILES:
        assert (folder / name).is_file(), name
    assert json.loads((folder / "recipe.json").read_text())["base_filters"] == 4
    assert denoising.read_history(folder)["val_loss"] == pytest.approx(history["val_loss"])
    encoder = keras.models.load_model(folder / "encoder.keras")
    images = np.random.default_rng(1).random((2, 16, 16, 3), dtype=np.float32)
    np.testing.assert_allclose(
        encoder.predict(images, verbose=0),
        models.encoder_from(model).predict(images, verbose=0),
        atol=1e-5,
    )
    # verbose=False prints no epoch lines, only which epoch's weights the model holds
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("restored the weights of epoch"), out

    loaded = _load_with_recipe(folder, TINY)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("Loaded")
    np.testing.assert_allclose(
        loaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-5
    )


def _load_with_recipe(folder, chosen, quick_recipe=None, quick=True):
    """load_or_pretrain for custom recipes (the public function takes a profile)."""
    original = denoising.recipe
    denoising.recipe = lambda profile=None, quick=False: (
        (quick_recipe or chosen) if quick else chosen
    )
    try:
        return denoising.load_or_pretrain("smoke", folder, quick=quick)
    finally:
        denoising.recipe = original


def _retrained(capsys) -> tuple[str, list[str]]:
    """The line of the fit saying which epoch it restored, and the lines after it (one)."""
    restored, *out = capsys.readouterr().out.strip().splitlines()
    assert restored.startswith("restored the weights of epoch"), restored
    assert len(out) == 1, out
    return restored, out


def test_load_or_pretrain_rebuilds_missing_artifacts_in_one_line(home, capsys):
    folder = home / "elsewhere"
    model = _load_with_recipe(folder, TINY)
    _, out = _retrained(capsys)
    assert out[0].startswith("No pretrained smoke denoiser"), out
    assert (folder / "denoiser.keras").is_file()
    assert isinstance(model, keras.Model)


def test_load_or_pretrain_falls_back_on_the_quick_recipe(home, capsys):
    folder = home / "fresh_vm"
    short = dataclasses.replace(TINY, steps=2, epochs=1)
    _load_with_recipe(folder, TINY, short)
    _, out = _retrained(capsys)
    assert out[0].startswith("No pretrained smoke denoiser"), out
    assert "quick smoke recipe: 2 of notebook 02's 4 steps" in out[0]
    assert "run notebook 02" in out[0] and "quick=False" in out[0]
    assert json.loads((folder / "recipe.json").read_text())["steps"] == 2

    _load_with_recipe(folder, TINY, short)  # the stored quick one is reused
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("Loaded") and "quick" in out[0], out

    _load_with_recipe(folder, TINY, short, quick=False)  # insists on the full recipe
    _, out = _retrained(capsys)
    assert "notebook 02's recipe" in out[0] and "quick" not in out[0], out
    assert json.loads((folder / "recipe.json").read_text())["steps"] == 4

    _load_with_recipe(folder, TINY, short)  # the full one is accepted where quick would do
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["Loaded the pretrained denoiser (smoke recipe) from fresh_vm."], out


def test_evaluate_table_and_best_classical():
    model = denoising.build_denoiser(TINY)  # the identity: scores equal the noisy input
    clean = np.random.default_rng(0).random((2, 16, 16, 3), dtype=np.float32) * 0.5 + 0.25
    result = denoising.evaluate(model, clean, methods=("median", "gaussian_blur"), seed=0)
    assert len(result.rows) == 2 * 4
    for kind in denoising.NOISE_LEVELS:
        assert result.score(kind, "U-Net") == pytest.approx(result.score(kind, "noisy input"))
        assert result.best_classical(kind) in ("median", "gaussian_blur")
        assert result.images[kind]["median"].shape == clean.shape
    with pytest.raises(ValueError, match="Unknown methods"):
        denoising.evaluate(model, clean, methods=("bm3d",))
    with pytest.raises(ValueError, match="batch"):
        denoising.evaluate(model, clean[0])


def test_sample_per_class_and_split():
    labels = np.array([0] * 6 + [1] * 4)
    picked = transfer.sample_per_class(labels, 3, seed=0)
    assert np.bincount(labels[picked]).tolist() == [3, 3]
    np.testing.assert_array_equal(picked, transfer.sample_per_class(labels, 3, seed=0))
    with pytest.raises(ValueError, match="Class 1 has 4"):
        transfer.sample_per_class(labels, 5)
    train, val = transfer.split_per_class(labels, 1, seed=0)
    assert len(val) == 2 and len(np.intersect1d(train, val)) == 0 and len(train) == 8


def test_load_split_rejects_one_class_and_empty_class(tmp_path):
    root = synthetic.toy_pets(tmp_path / "pets", n_train=3, n_test=1, n_unlabeled=0, size=16)
    x, y, names = transfer.load_split(root / "train", 16)
    assert x.shape == (6, 16, 16, 3) and names == ["cat", "turtle"]
    assert np.bincount(y).tolist() == [3, 3]
    with pytest.raises(ValueError, match="at least two"):
        transfer.load_split(root / "train", 16, class_names=["cat"])
    (root / "train" / "dog").mkdir()
    with pytest.raises(ValueError, match="'dog' has no image files"):
        transfer.load_split(root / "train", 16)


def test_encoder_extraction_from_a_non_unet_is_a_clear_error():
    plain = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3, name="conv")])
    with pytest.raises(ValueError, match="no ConvBlock named 'enc1'"):
        models.encoder_from(plain)
    with pytest.raises(ValueError, match="expects a keras.Model"):
        models.encoder_from("denoiser.keras")


def test_loading_encoder_weights_into_another_depth_is_a_clear_error():
    source = denoising.build_denoiser(TINY)
    target = models.unet((None, None, 3), depth=3, base_filters=4)
    with pytest.raises(ValueError, match="depth 2 ≠ 3"):
        models.load_encoder_weights(target, source)


def test_confusion_counts():
    matrix = transfer.confusion([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])
    assert matrix.tolist() == [[1, 1], [1, 2]]
    with pytest.raises(ValueError, match="outside"):
        transfer.confusion([0, 2], [0, 1])


def test_plots_return_figures():
    rng = np.random.default_rng(0)
    images = rng.random((4, 16, 16, 3), dtype=np.float32)
    fig = viz.prediction_grid(images, [0, 1, 0, 1], [0.1, 0.8, 0.7, 0.2], ["cat", "turtle"], 3)
    assert len(fig.axes) == 6
    with pytest.raises(ValueError, match="same length"):
        viz.prediction_grid(images, [0], [0.5, 0.5], ["cat", "turtle"])
    plt.close("all")


def test_stage_curves_put_stages_on_one_axis():
    first = {"loss": [1.0, 0.8], "val_loss": [1.1, 0.9], "accuracy": [0.5, 0.6]}
    second = {"loss": [0.7], "val_loss": [0.8], "accuracy": [0.7]}
    fig = viz.stage_curves({"stage 1": first, "stage 2": second}, ["loss", "accuracy"])
    assert len(fig.axes) == 2
    assert fig.axes[0].lines[-1].get_xdata()[0] == 2.5  # the stage boundary
    with pytest.raises(ValueError, match="no \\['accuracy'\\]"):
        viz.stage_curves({"stage 1": {"loss": [1.0]}}, ["accuracy"])
    plt.close("all")


def test_mixed_noise_share_and_seed():
    images = np.full((64, 8, 8, 3), 0.5, np.float32)
    noisy = denoising.mixed_noise(images, seed=3, gaussian_share=0.75).numpy()
    impulse_only = np.all(np.isin(noisy, [0.0, 0.5, 1.0]).reshape(64, -1), axis=1)
    assert 0.1 < impulse_only.mean() < 0.4  # about a quarter got salt-and-pepper
    np.testing.assert_array_equal(noisy, denoising.mixed_noise(images, 3, 0.75).numpy())
    assert np.all(np.isin(denoising.mixed_noise(images, 1, 0.0).numpy(), [0.0, 0.5, 1.0]))
    with pytest.raises(ValueError, match="gaussian_share"):
        denoising.mixed_noise(images, 0, 1.5)


def test_pretraining_a_pool_smaller_than_one_batch_returns(home, deadline):
    small = dataclasses.replace(TINY, batch_size=64, steps=2, epochs=1)  # 12 training images
    with deadline(240):
        model, history = denoising.pretrain_denoiser(small, home / "small", verbose=False)
    assert len(history["loss"]) == 1 and np.isfinite(history["loss"]).all()
