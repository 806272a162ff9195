import keras
import pytest

from ssl_keras import runtime
from ssl_keras.runtime import precision


def _cpu_with(monkeypatch, flags: set[str]) -> None:
    monkeypatch.setattr(precision, "cpu_flags", lambda: flags)


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
    monkeypatch.setattr(precision, "bf16_speedup", lambda probe=None: 2.0)
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
