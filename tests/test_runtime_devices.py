import os
import subprocess
import sys
import textwrap

import pytest

from ssl_keras import profiles, runtime
from ssl_keras.runtime import devices


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
    monkeypatch.setattr(devices, "_present", files.__contains__)
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
    monkeypatch.setattr(devices, "_built_with_cuda", lambda: False)
    with pytest.warns(runtime.AcceleratorWarning, match=r"COLAB_GPU=1.*CPU-only build.*and-cuda"):
        rt = runtime.setup(seed=0)  # profile auto (SSL_KERAS_PROFILE unset)
    line = capsys.readouterr().out
    assert line.count("\n") == 1
    assert "device: CPU" in line and "GPU unusable" in line and "profile: smoke" in line
    assert rt.profile.name == "smoke" and rt.precision == "float32"
    monkeypatch.setattr(devices, "_built_with_cuda", lambda: True)
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
