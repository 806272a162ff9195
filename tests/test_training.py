import keras
import numpy as np
import pytest
from tensorflow.python.framework import config as tf_config

from ssl_keras import models, training


@pytest.fixture
def determinism():
    """Yield a setter for op determinism and restore the previous state afterwards."""
    before = tf_config.is_op_determinism_enabled()

    def set_state(on: bool) -> None:
        if on:
            tf_config.enable_op_determinism()
        else:
            tf_config.disable_op_determinism()

    yield set_state
    set_state(before)


def tiny_unet() -> keras.Model:
    return models.unet((16, 16, 3), depth=2, base_filters=4)


@pytest.mark.parametrize("deterministic", [True, False])
def test_xla_left_to_keras_off_on_cpu(determinism, deterministic):
    """Keras's "auto" keeps XLA off on CPU-only machines, with or without determinism
    (measured slower there); an explicit choice is passed through."""
    determinism(deterministic)
    assert training.compile_model(tiny_unet(), loss="mse").jit_compile is False
    determinism(False)
    assert training.compile_model(tiny_unet(), loss="mse", jit_compile=True).jit_compile is True


@pytest.mark.slow
def test_compiled_model_trains(determinism):
    determinism(False)
    model = training.compile_model(tiny_unet(), loss="mse", steps_per_execution=2)
    x = np.random.default_rng(0).random((8, 16, 16, 3), dtype=np.float32)
    history = model.fit(x, x, batch_size=2, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_bad_steps_per_execution():
    with pytest.raises(ValueError, match="steps_per_execution"):
        training.compile_model(tiny_unet(), loss="mse", steps_per_execution=0)


def test_seed_stats_interval_matches_student_t():
    from ssl_keras import report

    result = report.seed_stats([0.5, 0.6, 0.7, 0.6, 0.6])
    assert result.n == 5 and abs(result.mean - 0.6) < 1e-12
    assert abs(result.std - 0.070710678) < 1e-6
    # t(0.975, 4) = 2.776: half-width = 2.776 · s / sqrt(5)
    assert abs(result.half - 2.7764451 * result.std / 5**0.5) < 1e-6
    assert result.low < 0.6 < result.high and result.format(2) == "0.60 ± 0.09"
    with pytest.raises(ValueError, match="at least 2 seeds"):
        report.seed_stats([0.5])
    with pytest.raises(ValueError, match="finite"):
        report.seed_stats([0.5, float("nan")])


def test_separation_counts_pooled_deviations():
    from ssl_keras import report

    assert report.separation([1.0, 1.2, 1.4], [0.0, 0.2, 0.4]) == pytest.approx(5.0)
    assert report.separation([0.0, 0.2, 0.4], [1.0, 1.2, 1.4]) == pytest.approx(-5.0)
    assert report.separation([1.0, 1.0], [0.0, 0.0]) == float("inf")
    assert report.separation([1.0, 1.0], [1.0, 1.0]) == 0.0
