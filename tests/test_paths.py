"""Where data, artifacts and the Keras cache live: $SSL_KERAS_HOME, the checkout, $KERAS_HOME."""

from __future__ import annotations

import pytest

from ssl_keras import colorization, paths


def test_home_variable_places_data_and_artifacts(tmp_path, monkeypatch):
    home = tmp_path / "drive" / "ssl-keras"  # not created yet, as a fresh Drive folder
    monkeypatch.setenv(paths.HOME_VAR, str(home))
    monkeypatch.chdir(tmp_path)
    assert paths.root() == home.resolve()
    assert paths.data_dir("coco", "val2017") == home / "data" / "coco" / "val2017"
    assert not (home / "data").exists()  # data folders are left to the download
    assert paths.artifacts_dir("colorizer", create=False) == home / "artifacts" / "colorizer"
    assert not (home / "artifacts").exists()
    assert paths.artifacts_dir("colorizer").is_dir()


@pytest.mark.parametrize("home_var", [None, ""])
def test_root_is_the_checkout_above_the_working_directory(tmp_path, monkeypatch, home_var):
    if home_var is None:
        monkeypatch.delenv(paths.HOME_VAR, raising=False)
    else:
        monkeypatch.setenv(paths.HOME_VAR, home_var)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "ssl-keras"\n')
    other = tmp_path / "notebooks" / "vendored"
    other.mkdir(parents=True)
    (other / "pyproject.toml").write_text('[project]\nname = "something-else"\n')
    monkeypatch.chdir(other)
    assert paths.root() == tmp_path.resolve()
    assert paths.data_dir() == tmp_path.resolve() / "data"


def test_root_outside_a_checkout_is_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(paths.HOME_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert paths.root() == tmp_path.resolve()


def test_keras_homes_follow_keras_get_file(monkeypatch, tmp_path):
    """$KERAS_HOME first (writable, even before Keras creates it); /tmp/.keras after it when
    it cannot be written — where the VGG16 weights and CIFAR batches are looked up."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert paths.keras_homes() == [tmp_path / "keras"]
    assert colorization.keras_cache_dir() == tmp_path / "keras" / "models"
    monkeypatch.setattr(paths.os, "access", lambda path, mode: False)
    homes = paths.keras_homes()
    assert homes[0] == tmp_path / "keras" and homes[1].name == ".keras" and len(homes) == 2
    assert colorization.keras_cache_dir() == homes[1] / "models"
