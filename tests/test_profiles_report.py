"""Tests of ssl_keras.profiles (choice from the environment, sizes) and ssl_keras.report."""

import pytest

from ssl_keras import profiles, report


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv(profiles.ENV_VAR, "full")
    assert profiles.get_profile().name == "full"
    monkeypatch.setenv(profiles.ENV_VAR, "auto")
    expected = "full" if profiles.accelerator_visible() else "smoke"
    assert profiles.get_profile().name == expected
    monkeypatch.setenv(profiles.ENV_VAR, "huge")
    with pytest.raises(ValueError, match="Unknown profile 'huge'"):
        profiles.get_profile()
    assert profiles.get_profile("SMOKE").name == "smoke"
    assert profiles.get_profile(profiles.FULL) is profiles.FULL


def test_smoke_profile_is_small():
    smoke = profiles.SMOKE
    assert smoke.image_size <= 64 and smoke.base_filters <= 16
    assert smoke.image_size % 2**smoke.depth == 0
    assert smoke.data == "synthetic"


def test_format_table_and_results(tmp_path, monkeypatch, capsys):
    table = report.format_table(
        [{"method": "median", "psnr": 28.456}, {"method": "tv", "psnr": 1.0}]
    )
    assert table.splitlines()[0].split() == ["method", "psnr"]
    assert "28.46" in table
    with pytest.raises(ValueError):
        report.format_table([])
    monkeypatch.setenv("SSL_KERAS_HOME", str(tmp_path))
    report.record_results("nb", {"psnr_db": 30.12345})
    assert "psnr_db = 30.123" in capsys.readouterr().out
    assert (tmp_path / "artifacts" / "results" / "nb.json").is_file()
