"""The label-efficiency study (tiny sizes): the three arms' balanced scores, seeded rows, the
training budget, augmentation and the summary's intervals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ssl_keras import denoising, models, report, transfer

TINY = dataclasses.replace(
    denoising.recipe("smoke"), image_size=16, patch_size=16, base_filters=4, depth=2
)


@pytest.mark.slow
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


def test_augmenter_keeps_shape_and_range_and_is_identity_at_inference():
    images = np.random.default_rng(4).random((3, 24, 24, 3), dtype=np.float32)
    augment = transfer.augmenter(seed=1)
    changed = np.asarray(augment(images, training=True))
    assert changed.shape == images.shape and changed.min() >= 0 and changed.max() <= 1
    assert not np.allclose(changed, images)
    np.testing.assert_array_equal(np.asarray(augment(images, training=False)), images)


@pytest.mark.slow
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


@pytest.mark.slow
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
