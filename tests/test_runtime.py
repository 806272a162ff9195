import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import profiles, report, runtime


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


def test_two_logical_cpus_get_mirrored_strategy():
    code = textwrap.dedent(
        """
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from ssl_keras import runtime
        rt = runtime.setup(seed=0, profile="smoke")
        print("REPLICAS", rt.replicas, rt.strategy_name)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert "REPLICAS 2 MirroredStrategy" in out


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
