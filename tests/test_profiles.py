"""Profiles: the choice from the environment, and the sizes each profile gives every lesson."""

import dataclasses

import pytest

from ssl_keras import profiles


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


def test_every_profile_sizes_every_lesson():
    lessons = [f.name for f in dataclasses.fields(profiles.Profile)][-8:]
    assert lessons == [
        "denoising",
        "toy_pets",
        "transfer",
        "colorization",
        "anomaly",
        "segmentation",
        "foreground",
        "pretext",
    ]
    for profile in profiles.PROFILES.values():
        for lesson in lessons:
            assert dataclasses.is_dataclass(getattr(profile, lesson)), (profile.name, lesson)
        # The scratch arm trains at label counts the study has.
        assert set(profile.transfer.scratch_counts) <= set(profile.label_counts)
        # Notebook 09 fine-tunes at label counts its probe reads; crops fit its U-Net.
        assert set(profile.pretext.fine_tune_counts) <= set(profile.pretext.label_counts)
        assert profile.pretext.crop % 2**profile.pretext.depth == 0
        assert profile.pretext.level <= profile.pretext.depth
    assert [p.name for p in profiles.PROFILES.values() if p.committed] == ["smoke"]
    hash(profiles.SMOKE)  # frozen all the way down: usable as a key


def test_seed_spread_reads_like_a_mapping():
    spread = profiles.SMOKE.colorization.seed_sd
    assert spread["gain_db"] == 0.054 and "ratio" in spread.keys()
    with pytest.raises(KeyError, match="No seed spread 'psnr'"):
        spread["psnr"]
    assert profiles.FULL.colorization.seed_sd is None
    keys = profiles.SMOKE.anomaly.seed_sd.keys()
    for category in (profiles.SMOKE.anomaly.category, *profiles.SMOKE.anomaly.other_categories):
        assert f"{category}/overall" in keys
