"""Tests of ssl_keras.pretext.finetune: one compiled classifier that fine-tunes any arm."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_keras import models, pretext

TINY = pretext.PretextBudget(steps=4, batch_size=8, epochs=2, depth=2, base_filters=4, patch=4)
SHORT = pretext.FineTuneBudget(steps=6, batch_size=4, learning_rate=1e-2)


def _labeled(n=16, size=16, seed=0):
    """Bright images are class 1, dark ones class 0: a few steps learn it."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2).astype(np.int32)
    x = rng.random((n, size, size, 3)).astype(np.float32) * 0.5 + 0.5 * y[:, None, None, None]
    return x, y


@pytest.fixture(scope="module")
def arms():
    return {
        "a": pretext.untrained_unet(16, TINY, seed=0),
        "b": pretext.untrained_unet(16, TINY, seed=1),
    }


@pytest.fixture(scope="module")
def tuner():
    return pretext.FineTuner(16, 2, 2, TINY, SHORT)


def test_a_run_does_not_depend_on_the_runs_before_it(arms, tuner):
    x, y = _labeled()
    x_test, y_test = _labeled(seed=1)
    first = tuner.run(arms["a"], x, x, y, x_test, y_test, seed=3)
    tuner.run(arms["b"], x, x, y, x_test, y_test, seed=4)
    assert tuner.run(arms["a"], x, x, y, x_test, y_test, seed=3) == first


def test_the_arms_own_weights_are_left_alone(arms, tuner):
    before = [w.copy() for w in arms["a"].get_weights()]
    x, y = _labeled()
    tuner.run(arms["a"], x, x, y, x, y, seed=0)
    for kept, now in zip(before, arms["a"].get_weights(), strict=True):
        np.testing.assert_array_equal(kept, now)


def test_the_encoder_trains_and_batch_norm_stays_frozen(arms, tuner):
    x, y = _labeled()
    tuner.run(arms["a"], x, x, y, x, y, seed=0)
    source = models.encoder_from(arms["a"], level=2)
    moved = [
        not np.allclose(a, b)
        for a, b in zip(source.get_weights(), tuner.encoder.get_weights(), strict=True)
    ]
    trainable = {id(w) for w in tuner.model.trainable_weights}
    pairs = [
        (mine, theirs)
        for mine, theirs in zip(tuner.encoder.weights, source.weights, strict=True)
        if "moving" in mine.path
    ]
    assert any(moved) and pairs and not any(id(mine) in trainable for mine, _ in pairs)
    for mine, theirs in pairs:  # loaded from the arm, never updated by the labeled batches
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs))


def test_an_easy_task_is_learned(arms, tuner):
    x, y = _labeled(n=24)
    x_test, y_test = _labeled(n=40, seed=2)
    assert tuner.run(arms["a"], x, x, y, x_test, y_test, seed=0) >= 0.9


def test_study_rows_and_seeds(arms, tuner):
    x, y = _labeled()
    rows = pretext.fine_tune_study(tuner, arms, x, y, x, y, [2, 8], seeds=[0, 1])
    assert [(r["method"], r["n_per_class"], r["seed"]) for r in rows] == [
        (m, n, s) for m in ("a", "b") for n in (2, 8) for s in (0, 1)
    ]
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in rows)
    assert [name for name, _ in pretext.ranking(rows, 2)] in (["a", "b"], ["b", "a"])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda t, a, x, y: t.run(a, x, x, y[:3], x, y), "one label per image"),
        (lambda t, a, x, y: t.run(a, x, x, y + 1, x, y), r"Labels must lie in 0…1"),
        (
            lambda t, a, x, y: pretext.fine_tune_study(
                t, {"a": [a, a, a]}, x, y, x, y, [2], [0, 1]
            ),
            "give one, or one per seed",
        ),
        (
            lambda t, a, x, y: pretext.fine_tune_study(t, {"a": a}, x, y, x, y, [9], [0]),
            "fewer than",
        ),
    ],
)
def test_bad_input_is_named(arms, tuner, call, message):
    x, y = _labeled()
    with pytest.raises(ValueError, match=message):
        call(tuner, arms["a"], x, y)


@pytest.mark.parametrize(
    "field, value", [("steps", 0), ("batch_size", 1.5), ("learning_rate", 0.0)]
)
def test_budget_checks_its_fields(field, value):
    with pytest.raises(ValueError, match=field):
        pretext.FineTuneBudget(**{field: value})


def test_one_class_is_not_a_classifier():
    with pytest.raises(ValueError, match="n_classes"):
        pretext.FineTuner(16, 1, 2, TINY)
