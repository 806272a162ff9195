import keras
import numpy as np
import pytest
from tensorflow.python.framework import config as tf_config

from ssl_keras import models, training


@pytest.fixture
def determinism():
    """Yield a setter for op determinism and restore the previous state afterwards."""
    before = not training.xla_allowed()

    def set_state(on: bool) -> None:
        if on:
            tf_config.enable_op_determinism()
        else:
            tf_config.disable_op_determinism()

    yield set_state
    set_state(before)


def tiny_unet() -> keras.Model:
    return models.unet((16, 16, 3), depth=2, base_filters=4)


def test_xla_follows_op_determinism(determinism):
    determinism(True)
    assert not training.xla_allowed()
    assert training.compile_model(tiny_unet(), loss="mse").jit_compile is False
    determinism(False)
    assert training.xla_allowed()
    assert training.compile_model(tiny_unet(), loss="mse").jit_compile is True


def test_compiled_model_trains(determinism):
    determinism(False)
    model = training.compile_model(tiny_unet(), loss="mse", steps_per_execution=2)
    x = np.random.default_rng(0).random((8, 16, 16, 3), dtype=np.float32)
    history = model.fit(x, x, batch_size=2, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_bad_steps_per_execution():
    with pytest.raises(ValueError, match="steps_per_execution"):
        training.compile_model(tiny_unet(), loss="mse", steps_per_execution=0)
