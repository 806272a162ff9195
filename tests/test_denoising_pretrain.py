"""Tests of ssl_keras.denoising.pretrain: the identity start, compiling and training on the
recipe's batches, saved artifacts and their history, and load_or_pretrain (tiny sizes)."""

from __future__ import annotations

import dataclasses
import json

import keras
import numpy as np
import pytest

from ssl_keras import denoising, models, paths
from ssl_keras.datasets.synthetic import crops
from ssl_keras.denoising import pretrain
from tests.test_denoising_recipes import TINY


def test_denoiser_starts_as_the_identity():
    model = denoising.build_denoiser(TINY)
    images = np.random.default_rng(0).random((2, 12, 20, 3), dtype=np.float32)
    np.testing.assert_allclose(model.predict(images, verbose=0), images, atol=1e-6)


@pytest.mark.slow
def test_pretrain_saves_artifacts_and_load_or_pretrain_reuses_them(home, capsys, monkeypatch):
    folder = home / "artifacts" / "denoiser"
    split_seeds = []
    split_pool = denoising.split_pool

    def recording_split(files, n_val, n_test, seed=0, sources=None):
        split_seeds.append(seed)
        assert sources == denoising.pool_sources(files)  # whole photographs stay together
        return split_pool(files, n_val, n_test, seed, sources)

    monkeypatch.setattr(pretrain, "split_pool", recording_split)  # where pretraining looks it up
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
    original = pretrain.recipe
    pretrain.recipe = lambda profile=None, quick=False: (
        (quick_recipe or chosen) if quick else chosen
    )
    try:
        return denoising.load_or_pretrain("smoke", folder, quick=quick)
    finally:
        pretrain.recipe = original


def _retrained(capsys) -> tuple[str, list[str]]:
    """The line of the fit saying which epoch it restored, and the lines after it (one)."""
    restored, *out = capsys.readouterr().out.strip().splitlines()
    assert restored.startswith("restored the weights of epoch"), restored
    assert len(out) == 1, out
    return restored, out


@pytest.mark.slow
def test_load_or_pretrain_rebuilds_missing_artifacts_in_one_line(home, capsys):
    folder = home / "elsewhere"
    model = _load_with_recipe(folder, TINY)
    _, out = _retrained(capsys)
    assert out[0].startswith("No pretrained smoke denoiser"), out
    assert (folder / "denoiser.keras").is_file()
    assert isinstance(model, keras.Model)


@pytest.mark.slow
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


@pytest.mark.slow
def test_training_batches_and_compile_follow_the_recipe(tmp_path):
    tiny = dataclasses.replace(TINY, patch_size=8, steps=10)
    files = crops.photo_crops(tmp_path / "crops", n=12, size=16, seed=0).glob("*.png")
    files = sorted(str(f) for f in files)
    splits = {"train": files[:8], "val": files[8:]}
    train, val = denoising.training_batches(splits, tiny, seed=2)
    noisy, clean = next(iter(train))
    assert noisy.shape == clean.shape == (4, 8, 8, 3)
    assert [tuple(b[0].shape) for b in val] == [(4, 16, 16, 3)]
    model = denoising.compile_denoiser(denoising.build_denoiser(tiny), tiny)
    schedule = model.optimizer.get_config()["learning_rate"]
    assert schedule["class_name"] == "CosineDecay"
    assert schedule["config"]["decay_steps"] == tiny.steps
    assert schedule["config"]["initial_learning_rate"] == pytest.approx(tiny.learning_rate)
    assert isinstance(model.optimizer, keras.optimizers.Adam) and model.loss == "mae"
    first = model.evaluate(val, verbose=0)
    model.fit(train, steps_per_epoch=4, epochs=1, verbose=0)
    assert np.isfinite(first) and model.optimizer.iterations.numpy() == 4


@pytest.mark.slow
def test_pretraining_a_pool_smaller_than_one_batch_returns(home, deadline):
    small = dataclasses.replace(TINY, batch_size=64, steps=2, epochs=1)  # 12 training images
    with deadline(240):
        model, history = denoising.pretrain_denoiser(small, home / "small", verbose=False)
    assert len(history["loss"]) == 1 and np.isfinite(history["loss"]).all()


def test_data_and_artifacts_follow_ssl_keras_home(tmp_path, monkeypatch):
    # As on Colab with Drive mounted: a folder that does not exist yet, "~" allowed.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SSL_KERAS_HOME", "~/drive/MyDrive/ssl-keras")
    drive = tmp_path / "drive" / "MyDrive" / "ssl-keras"
    assert paths.data_dir("cifar_cats_turtles") == drive / "data" / "cifar_cats_turtles"
    assert denoising.artifacts_folder() == drive / "artifacts" / "denoiser"
    assert (drive / "artifacts" / "denoiser").is_dir()  # created for the denoiser to land in
