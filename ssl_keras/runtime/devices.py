"""Accelerators and distribution strategies: which GPU or TPU the environment provides,
whether TensorFlow can use it, and the strategy to train under.
"""

from __future__ import annotations

import os

import tensorflow as tf


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
