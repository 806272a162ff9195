"""Tests of ssl_keras.denoising.recipes: the recipe of each profile and its quick cut."""

from __future__ import annotations

import dataclasses

from ssl_keras import denoising

# A recipe at test sizes (16 px, 4 filters, 4 steps), shared by the denoising test files.
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


def test_recipe_is_the_profiles_settings_and_ignores_the_replicas(monkeypatch):
    from ssl_keras import profiles, runtime

    smoke = denoising.recipe("smoke")
    assert dataclasses.asdict(profiles.SMOKE.denoising).items() <= dataclasses.asdict(smoke).items()
    assert smoke.batch_size == profiles.SMOKE.batch_size == smoke.global_batch_size
    # Several replicas train on a larger global batch, but the stored recipe is the same, so a
    # denoiser pretrained on one device is reused on eight.
    monkeypatch.setattr(runtime, "replicas", lambda: 8)
    assert denoising.recipe("smoke") == smoke
    assert denoising.recipe("smoke").global_batch_size == 8 * smoke.batch_size
