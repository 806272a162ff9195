import os
import subprocess
import sys
import textwrap

import keras
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


ACCELERATOR_VARIABLES = (
    "TPU_NAME",
    "COLAB_TPU_ADDR",
    "TPU_ACCELERATOR_TYPE",
    "TPU_WORKER_ID",
    "COLAB_GPU",
    "NVIDIA_VISIBLE_DEVICES",
)


@pytest.fixture
def bare_machine(monkeypatch):
    """No accelerator variables and no device files; returns the set of files to fake."""
    for name in ACCELERATOR_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("KAGGLE_ACCELERATOR")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv(profiles.ENV_VAR, raising=False)
    files: set[str] = set()
    monkeypatch.setattr(runtime, "_present", files.__contains__)
    return files


def test_tpu_address_for_tpu_vms_and_tpu_nodes(bare_machine, monkeypatch):
    assert runtime.tpu_address() is None and runtime.expected_accelerator() is None
    bare_machine.add("/dev/accel0")  # a TPU VM without the variables
    assert runtime.tpu_address() == "local"
    assert runtime.expected_accelerator() == ("TPU", "/dev/accel0")
    bare_machine.clear()
    monkeypatch.setenv("TPU_ACCELERATOR_TYPE", "v2-8")  # Colab / Kaggle TPU VM
    assert runtime.tpu_address() == "local"
    assert runtime.expected_accelerator() == ("TPU", "TPU_ACCELERATOR_TYPE=v2-8")
    monkeypatch.setenv("COLAB_TPU_ADDR", "10.0.0.2:8470")  # the old TPU node runtime
    assert runtime.tpu_address() == "grpc://10.0.0.2:8470"
    monkeypatch.setenv("TPU_NAME", "my-tpu")
    assert runtime.tpu_address() == "my-tpu"


def test_expected_gpu_from_variables_and_device_files(bare_machine, monkeypatch):
    for value in ("void", "none", "", "all"):  # "all" alone: set by GPU images everywhere
        monkeypatch.setenv("NVIDIA_VISIBLE_DEVICES", value)
        assert runtime.expected_accelerator() is None, value
    bare_machine.add("/dev/nvidiactl")
    assert runtime.expected_accelerator() == ("GPU", "NVIDIA_VISIBLE_DEVICES=all")
    monkeypatch.setenv("NVIDIA_VISIBLE_DEVICES", "0,1")
    assert runtime.expected_accelerator()[0] == "GPU"
    monkeypatch.delenv("NVIDIA_VISIBLE_DEVICES")
    bare_machine.clear()
    monkeypatch.setenv("COLAB_GPU", "0")
    assert runtime.expected_accelerator() is None
    monkeypatch.setenv("COLAB_GPU", "1")
    assert runtime.expected_accelerator() == ("GPU", "COLAB_GPU=1")
    monkeypatch.delenv("COLAB_GPU")
    bare_machine.add("/dev/nvidia0")
    assert runtime.expected_accelerator() == ("GPU", "/dev/nvidia0")
    bare_machine.clear()
    monkeypatch.setenv("KAGGLE_ACCELERATOR_TYPE", "NvidiaTeslaT4")
    assert runtime.expected_accelerator()[0] == "GPU"
    monkeypatch.setenv("KAGGLE_ACCELERATOR_TYPE", "TpuV38")
    assert runtime.expected_accelerator()[0] == "TPU"
    assert runtime.tpu_address() == "local"


def test_setup_is_loud_when_a_provided_gpu_is_unusable(bare_machine, monkeypatch, capsys):
    monkeypatch.setenv("COLAB_GPU", "1")
    monkeypatch.setattr(runtime, "_built_with_cuda", lambda: False)
    with pytest.warns(runtime.AcceleratorWarning, match=r"COLAB_GPU=1.*CPU-only build.*and-cuda"):
        rt = runtime.setup(seed=0)  # profile auto (SSL_KERAS_PROFILE unset)
    line = capsys.readouterr().out
    assert line.count("\n") == 1
    assert "device: CPU" in line and "GPU unusable" in line and "profile: smoke" in line
    assert rt.profile.name == "smoke" and rt.precision == "float32"
    monkeypatch.setattr(runtime, "_built_with_cuda", lambda: True)
    with pytest.warns(runtime.AcceleratorWarning, match="nvidia-smi"):
        rt = runtime.setup(seed=0, profile="full", verbose=False)  # asked for: kept
    assert rt.profile.name == "full" and rt.device.endswith("GPU unusable")


def test_setup_is_loud_when_tpu_initialisation_fails(bare_machine, monkeypatch, capsys):
    """This CPU-only TensorFlow cannot initialise a TPU: the real failure path."""
    monkeypatch.setenv("TPU_ACCELERATOR_TYPE", "v2-8")
    with pytest.warns(runtime.AcceleratorWarning) as caught:
        rt = runtime.setup(seed=0)
    message = str(caught[0].message)
    for part in ("TPU_ACCELERATOR_TYPE=v2-8", "no TPU support", "restart the runtime", "'smoke'"):
        assert part in message, message
    assert "TPU unusable" in capsys.readouterr().out
    assert rt.profile.name == "smoke" and not rt.device.startswith("TPU")


def test_setup_is_quiet_without_accelerator_evidence(bare_machine, recwarn):
    rt = runtime.setup(seed=0, verbose=False)
    assert not [w for w in recwarn if issubclass(w.category, runtime.AcceleratorWarning)]
    assert rt.profile.name == ("full" if profiles.accelerator_visible() else "smoke")


# ---- precision ---------------------------------------------------------------------------


def _cpu_with(monkeypatch, flags: set[str]) -> None:
    monkeypatch.setattr(runtime, "cpu_flags", lambda: flags)


def test_precision_by_device_and_request(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fast, slow = (lambda: 2.1), (lambda: 1.05)
    _cpu_with(monkeypatch, {"avx2", "amx_bf16", "avx512_bf16"})
    assert runtime.choose_precision("CPU (2 cores)", "float32") == ("float32", "asked")
    # Nothing asked is auto: the probe decides on a CPU with bfloat16 arithmetic.
    assert runtime.choose_precision("CPU (2 cores)", None, fast) == (
        "mixed_bfloat16",
        "auto: bf16 2.1× float32",
    )
    assert runtime.choose_precision("CPU (2 cores)", "auto", fast)[0] == "mixed_bfloat16"
    assert runtime.choose_precision("GPU (T4)", None) == ("mixed_float16", "auto")
    assert runtime.choose_precision("TPU ×8", None) == ("mixed_bfloat16", "auto")
    assert runtime.choose_precision("GPU (T4)", "float32")[0] == "float32"
    # The probe ran once for this machine: the cached speed-up is used, not the new probe.
    assert runtime.choose_precision("CPU (2 cores)", "auto", slow)[0] == "mixed_bfloat16"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other"))
    assert runtime.choose_precision("CPU (2 cores)", "auto", slow) == (
        "float32",
        "auto: bf16 only 1.1× float32",
    )


def test_cpu_without_bf16_never_probes_and_warns_when_forced(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _cpu_with(monkeypatch, {"avx2", "fma"})

    def probe():
        raise AssertionError("no probe on a CPU without bfloat16 arithmetic")

    assert runtime.choose_precision("CPU (2 cores)", "auto", probe)[0] == "float32"
    assert runtime.choose_precision("CPU (2 cores)", None, probe) == (
        "float32",
        "auto: no bf16 on this CPU",
    )
    with pytest.warns(runtime.PrecisionWarning, match="no bfloat16 arithmetic"):
        assert runtime.choose_precision("CPU (2 cores)", "mixed_bfloat16", probe)[0] == "float32"
    _cpu_with(monkeypatch, {"avx512_bf16"})
    assert runtime.choose_precision("CPU (2 cores)", "mixed_bfloat16", probe)[0] == (
        "mixed_bfloat16"
    )


def test_precision_request_from_the_environment(monkeypatch):
    monkeypatch.delenv(runtime.PRECISION_VAR, raising=False)
    assert runtime.requested_precision() is None
    monkeypatch.setenv(runtime.PRECISION_VAR, " Mixed_BFloat16 ")
    assert runtime.requested_precision() == "mixed_bfloat16"
    assert runtime.requested_precision("float32") == "float32"
    monkeypatch.setenv(runtime.PRECISION_VAR, "fp16")
    with pytest.raises(ValueError, match="auto, float32, mixed_bfloat16") as raised:
        runtime.setup(verbose=False)
    assert "SSL_KERAS_PRECISION" in str(raised.value)


def test_setup_applies_and_prints_the_chosen_precision(monkeypatch, capsys):
    _cpu_with(monkeypatch, {"amx_bf16"})
    monkeypatch.setattr(runtime, "bf16_speedup", lambda probe=None: 2.0)
    try:
        rt = runtime.setup(profile="smoke", precision="auto")
        line = capsys.readouterr().out
        assert rt.precision == "mixed_bfloat16"
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        assert "precision: mixed_bfloat16 (auto: bf16 2.0× float32)" in line
    finally:
        rt = runtime.setup(profile="smoke", verbose=False)
    assert rt.precision == "float32" and keras.mixed_precision.global_policy().name == "float32"


def test_the_probe_measures_a_positive_ratio():
    assert 0.01 < runtime.probe_bf16_speedup(repeats=1) < 100
