"""One call that prepares a notebook: seeds, determinism, logging, strategy, precision.

>>> from ssl_keras import runtime
>>> rt = runtime.setup(seed=42)            # prints one line describing the run
>>> with rt.strategy.scope():
...     model = ...                        # build and compile models inside the scope

The package's own training code builds and compiles inside :func:`scope`, and sizes its
batches with :func:`replicas`, so it scales out with the strategy :func:`setup` chose.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import platform
import time
import warnings
from pathlib import Path

import keras
import tensorflow as tf

from ssl_keras import __version__
from ssl_keras.profiles import ENV_VAR, Profile, get_profile

_current: Runtime | None = None


@dataclasses.dataclass(frozen=True)
class Runtime:
    """What :func:`setup` chose. ``batch_size`` is the profile's per-replica batch times the
    number of replicas, so data pipelines scale with the hardware automatically."""

    seed: int
    deterministic: bool
    profile: Profile
    strategy: tf.distribute.Strategy
    device: str
    precision: str
    data: str
    precision_reason: str = ""

    @property
    def replicas(self) -> int:
        return self.strategy.num_replicas_in_sync

    @property
    def batch_size(self) -> int:
        return self.profile.batch_size * self.replicas

    @property
    def strategy_name(self) -> str:
        name = type(self.strategy).__name__
        return "default" if name == "_DefaultDistributionStrategy" else name

    @property
    def _why(self) -> str:
        quiet = ("", "auto", "asked")
        return "" if self.precision_reason in quiet else f" ({self.precision_reason})"

    def describe(self) -> str:
        return (
            f"ssl_keras {__version__} | TF {tf.__version__} | Keras {keras.__version__} | "
            f"device: {self.device} | strategy: {self.strategy_name} "
            f"({self.replicas} replica{'s' if self.replicas > 1 else ''}) | "
            f"precision: {self.precision}{self._why} | profile: {self.profile.name} | data: {self.data}"
        )


def quiet_logs() -> None:
    """Silence TensorFlow/absl INFO and WARNING chatter (errors still show)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf.get_logger().setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # absl ships with TensorFlow; guard for other backends
        pass
    warnings.filterwarnings("ignore", category=UserWarning, module="keras")


def name_bad_files_in_notebook() -> bool:
    """In IPython / Jupyter, follow a TensorFlow decoding error that a cell raises (e.g. a
    ``model.fit`` on a pipeline that meets a file corrupt inside) with the
    ``ValueError`` of :func:`ssl_keras.image_files.bad_file_error` naming the file. Returns
    whether a shell was found; does nothing outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc((tf.errors.InvalidArgumentError, tf.errors.UnknownError), _bad_file_tb)
    return True


def _bad_file_tb(shell, etype, value, tb, tb_offset=None) -> list[str]:
    """IPython custom-exception handler: TensorFlow's traceback (as IPython structures it),
    then a last line naming the file to blame when one is found."""
    from ssl_keras import image_files

    lines = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    named = image_files.bad_file_error(value)
    return [*lines, f"ValueError: {named}"] if named is not None else lines


# ---- precision: float32, or bfloat16 where the CPU computes it faster -----------------------

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


class AcceleratorWarning(RuntimeWarning):
    """A GPU or TPU was provided (environment variables or device files say so), but
    TensorFlow cannot use it, so the run falls back to the CPU."""


# Values that mean "no accelerator" in the variables read below.
_UNSET = {"", "0", "false", "none", "void", "cpu"}
# TPU VMs (Colab and Kaggle TPU runtimes, Cloud TPU VMs) attach the TPU to the VM itself.
_TPU_VM_VARIABLES = ("TPU_ACCELERATOR_TYPE", "TPU_WORKER_ID")
_TPU_DEVICE_FILES = ("/dev/accel0", "/dev/vfio/0")  # TPU v2-v4 chips; v5e and later
_GPU_DEVICE_FILES = ("/dev/nvidia0",)


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _present(path: str) -> bool:
    return os.path.exists(path)


def _built_with_cuda() -> bool:
    return bool(tf.test.is_built_with_cuda())


def _kaggle_accelerator() -> str:
    """The value of Kaggle's accelerator variables (``KAGGLE_ACCELERATOR…``), lowercased."""
    values = (v for k, v in sorted(os.environ.items()) if k.startswith("KAGGLE_ACCELERATOR"))
    return next((v.strip().lower() for v in values if v.strip().lower() not in _UNSET), "")


def tpu_address() -> str | None:
    """Where the environment says a TPU is, as ``TPUClusterResolver(tpu=...)`` takes it:
    ``TPU_NAME``; ``grpc://`` + ``COLAB_TPU_ADDR`` (a TPU node reached over the network);
    ``"local"`` on a TPU VM (``TPU_ACCELERATOR_TYPE`` / ``TPU_WORKER_ID`` set, a
    ``/dev/accel0`` or ``/dev/vfio/0`` device, a Kaggle TPU accelerator, or a TPU that
    TensorFlow lists); else ``None``."""
    if _env("TPU_NAME"):
        return _env("TPU_NAME")
    if _env("COLAB_TPU_ADDR"):
        return "grpc://" + _env("COLAB_TPU_ADDR").removeprefix("grpc://")
    if any(_env(name) for name in _TPU_VM_VARIABLES) or "tpu" in _kaggle_accelerator():
        return "local"
    if any(_present(path) for path in _TPU_DEVICE_FILES):
        return "local"
    return "local" if tf.config.list_physical_devices("TPU") else None


def expected_accelerator() -> tuple[str, str] | None:
    """``("TPU" | "GPU", evidence)`` when environment variables or device files show that an
    accelerator was provided, whether or not TensorFlow can use it; else ``None``.

    GPU evidence: ``COLAB_GPU``, ``NVIDIA_VISIBLE_DEVICES`` (``all`` only when
    ``/dev/nvidiactl`` exists too, as GPU container images set it on CPU machines as well),
    a Kaggle GPU accelerator, ``/dev/nvidia0``. Values such as ``0``, ``none``, ``void`` do
    not count.
    """
    for name in ("TPU_NAME", "COLAB_TPU_ADDR", *_TPU_VM_VARIABLES):
        if _env(name):
            return "TPU", f"{name}={_env(name)}"
    kaggle = _kaggle_accelerator()
    if "tpu" in kaggle:
        return "TPU", f"Kaggle accelerator {kaggle}"
    for path in _TPU_DEVICE_FILES:
        if _present(path):
            return "TPU", path
    if _env("COLAB_GPU").lower() not in _UNSET:
        return "GPU", f"COLAB_GPU={_env('COLAB_GPU')}"
    visible = _env("NVIDIA_VISIBLE_DEVICES")
    if visible.lower() not in _UNSET and (visible.lower() != "all" or _present("/dev/nvidiactl")):
        return "GPU", f"NVIDIA_VISIBLE_DEVICES={visible}"
    if kaggle:
        return "GPU", f"Kaggle accelerator {kaggle}"
    for path in _GPU_DEVICE_FILES:
        if _present(path):
            return "GPU", path
    return None


def _tpu_strategy() -> tuple[tf.distribute.Strategy | None, str | None]:
    """A ``TPUStrategy`` when the environment indicates a TPU and it initialises, else
    ``None`` and why it failed (``None`` when no TPU is indicated)."""
    address = tpu_address()
    if address is None:
        return None, None
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver), None
    except (ValueError, RuntimeError, ImportError, tf.errors.OpError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return None, f"TPU initialisation ({address!r}) failed: {type(error).__name__} {reason}"


def accelerator_problem(device: str, tpu_error: str | None = None) -> str | None:
    """A message for :class:`AcceleratorWarning` when :func:`expected_accelerator` reports
    an accelerator that ``device`` (from :func:`choose_strategy`) is not; else ``None``.
    The message names what was expected, why it failed as far as known, and the fix."""
    expected = expected_accelerator()
    if expected is None or device.startswith(expected[0]):
        return None
    kind, evidence = expected
    if kind == "TPU":
        why = tpu_error or "TensorFlow lists no TPU device."
        if "ConfigureDistributedTPU" in why:  # the op only TPU builds of TensorFlow register
            why = "this TensorFlow has no TPU support (no kernel for ConfigureDistributedTPU)."
        fix = (
            "Use the TensorFlow that came with the TPU runtime (pip-installing another "
            "`tensorflow` replaces its TPU support), make sure no other notebook holds the "
            "TPU, then restart the runtime."
        )
    elif not _built_with_cuda():
        why = "this TensorFlow is a CPU-only build."
        fix = (
            "Install the CUDA build: pip install 'tensorflow[and-cuda]', then restart the runtime."
        )
    else:
        why = "TensorFlow found no usable GPU (CUDA driver or libraries missing or mismatched)."
        fix = (
            "Check `nvidia-smi`, read TensorFlow's log lines about CUDA above, and restart "
            "the runtime."
        )
    fallback = "; profile 'auto' gives 'smoke' there" if device.startswith("CPU") else ""
    return (
        f"A {kind} was provided ({evidence}) but TensorFlow cannot use it: {why} {fix} "
        f"Running on {device}{fallback}."
    )


def choose_strategy() -> tuple[tf.distribute.Strategy, str]:
    """TPU → TPUStrategy, more than one GPU → MirroredStrategy, else the default strategy.

    Returns the strategy and a short device description.
    """
    return _choose_strategy()[:2]


def _choose_strategy() -> tuple[tf.distribute.Strategy, str, str | None]:
    tpu, tpu_error = _tpu_strategy()
    if tpu is not None:
        return tpu, f"TPU ×{tpu.num_replicas_in_sync}", None
    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy(), f"GPU ×{len(gpus)}", None
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        name = details.get("device_name", "unknown")
        return tf.distribute.get_strategy(), f"GPU ({name})", None
    cpus = tf.config.list_logical_devices("CPU")
    if len(cpus) > 1:
        # Several logical CPUs only exist when someone configured them (e.g. to test
        # multi-replica training on a laptop); mirror across them as across GPUs.
        return (
            tf.distribute.MirroredStrategy([c.name for c in cpus]),
            f"CPU ×{len(cpus)}",
            tpu_error,
        )
    return tf.distribute.get_strategy(), f"CPU ({os.cpu_count()} cores)", tpu_error


def setup(
    seed: int = 42,
    deterministic: bool = True,
    profile: str | Profile | None = None,
    data: str | None = None,
    mixed_precision: bool | None = None,
    verbose: bool = True,
    precision: str | None = None,
) -> Runtime:
    """Seed everything, pick the distribution strategy and precision, and print one line.

    When environment variables or device files show a GPU or TPU was provided but TensorFlow
    cannot use it (:func:`expected_accelerator`, :func:`accelerator_problem`), it warns with
    an :class:`AcceleratorWarning` naming the cause and the fix, and the line's device says
    e.g. ``CPU (2 cores), TPU unusable``.

    Args:
        seed: seeds Python's ``random``, NumPy and TensorFlow (``keras.utils.set_random_seed``).
        deterministic: enable TensorFlow op determinism, so the same seed on the same machine
            and thread count gives bit-identical results (this disables XLA ``jit_compile``).
        profile: ``"smoke"``, ``"full"``, ``"auto"``, a :class:`Profile`, or ``None`` to read
            ``SSL_KERAS_PROFILE``. ``"auto"`` is ``"full"`` only when TensorFlow runs on a
            GPU or TPU, so a provided but unusable accelerator (see below) gives ``"smoke"``
            instead of hours of the full profile on the CPU; ask for ``"full"`` to insist.
        data: a short description of the data source for the summary line; defaults to the
            profile's (``synthetic`` or ``download``).
        mixed_precision: ``True`` is ``precision="auto"`` on an accelerator and
            ``"mixed_bfloat16"`` on a CPU; ``False`` is ``"float32"``; ``None`` defers to
            ``precision``.
        verbose: print the summary line.
        precision: ``"auto"``, ``"float32"``, ``"mixed_bfloat16"``, or ``None`` to read
            ``SSL_KERAS_PRECISION``; unset means ``"auto"``: GPUs get float16 and TPUs
            bfloat16 mixed precision; a CPU gets bfloat16 mixed precision only where it has
            bfloat16 arithmetic and a probe, run once per machine, measures it faster
            (:func:`choose_precision`), else float32.
    """
    global _current
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    quiet_logs()
    name_bad_files_in_notebook()
    requested = profile if isinstance(profile, Profile) else profile or os.environ.get(ENV_VAR)
    auto = requested is None or (isinstance(requested, str) and requested.strip().lower() == "auto")
    chosen = None if auto else get_profile(profile)  # a bad name fails before TPU set-up
    asked = requested_precision(precision)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy, device, tpu_error = _choose_strategy()
    on_tpu = device.startswith("TPU")
    on_gpu = device.startswith("GPU")
    problem = accelerator_problem(device, tpu_error)
    if problem is not None:
        warnings.warn(problem, AcceleratorWarning, stacklevel=2)
        device = f"{device}, {expected_accelerator()[0]} unusable"
    if chosen is None:  # auto: full only where an accelerator actually works
        chosen = get_profile("full" if on_gpu or on_tpu else "smoke")
    if mixed_precision is not None:
        asked = ("auto" if on_gpu or on_tpu else "mixed_bfloat16") if mixed_precision else "float32"
    policy, why = choose_precision(device, asked)
    keras.mixed_precision.set_global_policy(policy)
    _current = Runtime(
        seed=seed,
        deterministic=deterministic,
        profile=chosen,
        strategy=strategy,
        device=device,
        precision=policy,
        data=data or chosen.data,
        precision_reason=why,
    )
    if verbose:
        print(_current.describe())
    return _current


def current() -> Runtime:
    """The :class:`Runtime` of the last :func:`setup` call (runs ``setup()`` quietly if none)."""
    return _current if _current is not None else setup(verbose=False)


def strategy() -> tf.distribute.Strategy:
    """The strategy to build and train models under: the one whose ``scope()`` is open, else
    the one :func:`setup` chose, else TensorFlow's default strategy (one device).

    Unlike :func:`current`, never runs :func:`setup` (which would reseed and turn on
    determinism as a side effect).
    """
    if tf.distribute.has_strategy() or _current is None:
        return tf.distribute.get_strategy()
    return _current.strategy


def replicas() -> int:
    """Replicas of :func:`strategy`: multiply a per-replica batch size by it for the global
    batch (1 on a single device)."""
    return strategy().num_replicas_in_sync


def scope(model: keras.Model | None = None) -> contextlib.AbstractContextManager:
    """A context to build or compile models in: the scope of :func:`strategy`, or, given a
    ``model``, of the strategy that model was built under (its optimizer must be created
    there too). Enters nothing when that strategy is the default one or its scope is
    already open, so single-device runs are unchanged.

    >>> with runtime.scope():
    ...     model = models.unet((64, 64, 3))
    >>> with runtime.scope(model):
    ...     model.compile(optimizer="adam", loss="mse")
    """
    chosen = strategy() if model is None else model.distribute_strategy
    if chosen is tf.distribute.get_strategy():
        return contextlib.nullcontext()
    return chosen.scope()


def steps_per_execution(steps: int, model: keras.Model | None = None) -> int:
    """``steps`` training steps per graph call, or 1 under ``MirroredStrategy`` (of ``model``,
    else of :func:`strategy`): there Keras 3 fails to run several steps per call ("You must
    feed a value for placeholder tensor", keras-team/keras#19246)."""
    chosen = strategy() if model is None else model.distribute_strategy
    return 1 if isinstance(chosen, tf.distribute.MirroredStrategy) else steps


def profile() -> Profile:
    """The active profile: the one chosen by :func:`setup`, else from ``SSL_KERAS_PROFILE``."""
    return _current.profile if _current is not None else get_profile()
