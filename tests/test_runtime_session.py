import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import profiles, runtime


def test_setup_prints_one_line_and_seeds(capsys):
    rt = runtime.setup(seed=5, profile="smoke", data="test data")
    line = capsys.readouterr().out
    assert line.count("\n") == 1
    for part in (f"TF {tf.__version__}", "profile: smoke", "data: test data", "strategy: default"):
        assert part in line
    first = (np.random.rand(), tf.random.uniform([3]).numpy())
    runtime.setup(seed=5, profile="smoke", verbose=False)
    second = (np.random.rand(), tf.random.uniform([3]).numpy())
    assert first[0] == second[0] and np.array_equal(first[1], second[1])
    assert rt.precision == "float32"  # no reduced precision on CPU
    assert rt.batch_size == profiles.SMOKE.batch_size * rt.replicas
    assert runtime.profile().name == "smoke"


def test_setup_rejects_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        runtime.setup(seed=-1, verbose=False)
