"""Training precision: float32, or bfloat16 where the CPU computes it faster.

:func:`choose_precision` maps a device and a request (argument or ``SSL_KERAS_PRECISION``)
to a Keras policy; on a CPU with bfloat16 arithmetic it measures the speed-up once per
machine (:func:`bf16_speedup`) and caches it.
"""

from __future__ import annotations

import json
import os
import platform
import time
import warnings
from pathlib import Path

import tensorflow as tf

PRECISION_VAR = "SSL_KERAS_PRECISION"
PRECISIONS = ("auto", "float32", "mixed_bfloat16")
# CPU flags (``/proc/cpuinfo``) of bfloat16 arithmetic in hardware: AMX tiles, AVX-512 BF16.
BF16_FLAGS = ("amx_bf16", "avx512_bf16")
# ``auto`` takes bfloat16 on a CPU only when the probe measures at least this speed-up.
MIN_BF16_SPEEDUP = 1.3


class PrecisionWarning(RuntimeWarning):
    """bfloat16 was asked for on a CPU without bfloat16 arithmetic: float32 is used."""


def requested_precision(value: str | None = None) -> str | None:
    """``value``, else ``SSL_KERAS_PRECISION``, checked against :data:`PRECISIONS`
    (``ValueError`` listing them otherwise); ``None`` when neither is given."""
    raw = value if value is not None else os.environ.get(PRECISION_VAR, "")
    if value is None and not raw.strip():
        return None
    name = raw.strip().lower()
    if name not in PRECISIONS:
        raise ValueError(
            f"Unknown precision {raw!r} (from {'the argument' if value is not None else PRECISION_VAR}"
            f"); use one of {', '.join(PRECISIONS)}."
        )
    return name


def _cpuinfo(field: str) -> str | None:
    """The value of ``field`` on its first line of ``/proc/cpuinfo``; ``None`` where there is
    none (no such file, e.g. macOS, or no such line)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as file:
            for line in file:
                if line.startswith(field):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_flags() -> set[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` (empty where there is none, e.g. macOS)."""
    return set((_cpuinfo("flags") or "").split())


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), with its bfloat16 units when it has any,
    e.g. ``"Intel(R) Xeon(R) Processor (amx_bf16, avx512_bf16)"``."""
    name = _model_name()
    units = [flag for flag in BF16_FLAGS if flag in cpu_flags()]
    return f"{name} ({', '.join(units)})" if units else name


def _model_name() -> str:
    return _cpuinfo("model name") or platform.processor() or platform.machine()


def _probe_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "ssl_keras" / "precision_probe.json"


def probe_bf16_speedup(repeats: int = 3) -> float:
    """How many times faster one training step of a 3×3 convolution (16×64×64×64 → 64
    channels, forward and both gradients) runs in bfloat16 than in float32 on this CPU:
    the better of ``repeats`` timings each, about two seconds in all."""

    def step(dtype):
        x = tf.random.normal([16, 64, 64, 64], dtype=tf.float32)
        w = tf.random.normal([3, 3, 64, 64], stddev=0.05, dtype=tf.float32)
        x, w = tf.cast(x, dtype), tf.cast(w, dtype)

        @tf.function(jit_compile=False)
        def run():
            with tf.GradientTape() as tape:
                tape.watch([x, w])
                y = tf.nn.conv2d(x, w, 1, "SAME")
                loss = tf.reduce_sum(tf.cast(y, tf.float32) ** 2)
            return [tf.reduce_sum(tf.cast(g, tf.float32)) for g in tape.gradient(loss, [x, w])]

        run()  # trace and warm up
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            [g.numpy() for g in run()]
            best = min(best, time.perf_counter() - start)
        return best

    return step(tf.float32) / step(tf.bfloat16)


def bf16_speedup(probe=None) -> float:
    """:func:`probe_bf16_speedup` on this machine, measured once and cached in
    ``~/.cache/ssl_keras/precision_probe.json`` per CPU model, core count and TensorFlow
    version (a cache that cannot be written costs a probe per run, nothing else)."""
    key = f"{cpu_name()} | {os.cpu_count()} cores | TF {tf.__version__}"
    cache = _probe_cache()
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict):
        known = {}
    if isinstance(known.get(key), (int, float)):
        return float(known[key])
    speedup = float((probe or probe_bf16_speedup)())
    known[key] = speedup
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(known, indent=1), encoding="utf-8")
        os.replace(partial, cache)
    except OSError:
        pass
    return speedup


def choose_precision(device: str, requested: str | None, probe=None) -> tuple[str, str]:
    """The Keras policy for ``device`` (as :func:`choose_strategy` describes it) and
    ``requested`` (one of :data:`PRECISIONS`, or ``None``), and a short reason for the
    summary line.

    ``None`` (nothing asked) is ``auto``. GPU: ``auto`` → ``mixed_float16``; TPU: ``auto`` →
    ``mixed_bfloat16``. CPU: ``auto`` → ``mixed_bfloat16`` only when the CPU has bfloat16
    arithmetic (:data:`BF16_FLAGS`) and :func:`bf16_speedup` measures at least
    :data:`MIN_BF16_SPEEDUP`, else ``float32`` (on a CPU without it bfloat16 is emulated,
    about 10× slower, and nothing is probed). Forcing ``mixed_bfloat16`` on a CPU without
    bfloat16 arithmetic warns (:class:`PrecisionWarning`) and gives ``float32``.
    """
    on_cpu = not (device.startswith("GPU") or device.startswith("TPU"))
    if requested is None:
        requested = "auto"
    if requested == "float32":
        return "float32", "asked"
    if not on_cpu:
        if requested == "auto":
            return ("mixed_float16" if device.startswith("GPU") else "mixed_bfloat16"), "auto"
        return requested, "asked"
    hardware = set(BF16_FLAGS) & cpu_flags()
    if requested == "mixed_bfloat16":
        if hardware:
            return "mixed_bfloat16", "asked"
        warnings.warn(
            "mixed_bfloat16 was asked for, but this CPU has no bfloat16 arithmetic "
            f"({' / '.join(BF16_FLAGS)} missing from its flags), where it runs about 10× "
            "slower: using float32.",
            PrecisionWarning,
            stacklevel=3,
        )
        return "float32", "no bf16 on this CPU"
    if not hardware:
        return "float32", "auto: no bf16 on this CPU"
    speedup = bf16_speedup(probe)
    if speedup >= MIN_BF16_SPEEDUP:
        return "mixed_bfloat16", f"auto: bf16 {speedup:.1f}× float32"
    return "float32", f"auto: bf16 only {speedup:.1f}× float32"
