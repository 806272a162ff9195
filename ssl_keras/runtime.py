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
import logging
import os
import warnings

import keras
import tensorflow as tf

from ssl_keras import __version__
from ssl_keras.profiles import Profile, get_profile

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

    def describe(self) -> str:
        return (
            f"ssl_keras {__version__} | TF {tf.__version__} | Keras {keras.__version__} | "
            f"device: {self.device} | strategy: {self.strategy_name} "
            f"({self.replicas} replica{'s' if self.replicas > 1 else ''}) | "
            f"precision: {self.precision} | profile: {self.profile.name} | data: {self.data}"
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


def _tpu_strategy() -> tf.distribute.Strategy | None:
    if not (os.environ.get("COLAB_TPU_ADDR") or os.environ.get("TPU_NAME")) and not (
        tf.config.list_physical_devices("TPU")
    ):
        return None
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError):
        return None


def choose_strategy() -> tuple[tf.distribute.Strategy, str]:
    """TPU → TPUStrategy, more than one GPU → MirroredStrategy, else the default strategy.

    Returns the strategy and a short device description.
    """
    tpu = _tpu_strategy()
    if tpu is not None:
        return tpu, f"TPU ×{tpu.num_replicas_in_sync}"
    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy(), f"GPU ×{len(gpus)}"
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return tf.distribute.get_strategy(), f"GPU ({details.get('device_name', 'unknown')})"
    cpus = tf.config.list_logical_devices("CPU")
    if len(cpus) > 1:
        # Several logical CPUs only exist when someone configured them (e.g. to test
        # multi-replica training on a laptop); mirror across them as across GPUs.
        return tf.distribute.MirroredStrategy([c.name for c in cpus]), f"CPU ×{len(cpus)}"
    return tf.distribute.get_strategy(), f"CPU ({os.cpu_count()} cores)"


def setup(
    seed: int = 42,
    deterministic: bool = True,
    profile: str | Profile | None = None,
    data: str | None = None,
    mixed_precision: bool | None = None,
    verbose: bool = True,
) -> Runtime:
    """Seed everything, pick the distribution strategy and precision, and print one line.

    Args:
        seed: seeds Python's ``random``, NumPy and TensorFlow (``keras.utils.set_random_seed``).
        deterministic: enable TensorFlow op determinism, so the same seed on the same machine
            and thread count gives bit-identical results (this disables XLA ``jit_compile``).
        profile: ``"smoke"``, ``"full"``, ``"auto"``, a :class:`Profile`, or ``None`` to read
            ``SSL_KERAS_PROFILE``.
        data: a short description of the data source for the summary line; defaults to the
            profile's (``synthetic`` or ``download``).
        mixed_precision: ``None`` turns it on for GPUs (float16) and TPUs (bfloat16) only;
            on CPUs reduced precision is far slower, so it stays float32 there.
        verbose: print the summary line.
    """
    global _current
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    quiet_logs()
    chosen = get_profile(profile)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy, device = choose_strategy()
    on_tpu = device.startswith("TPU")
    on_gpu = device.startswith("GPU")
    if mixed_precision is None:
        mixed_precision = on_gpu or on_tpu
    if mixed_precision:
        policy = "mixed_bfloat16" if on_tpu or not on_gpu else "mixed_float16"
    else:
        policy = "float32"
    keras.mixed_precision.set_global_policy(policy)
    _current = Runtime(
        seed=seed,
        deterministic=deterministic,
        profile=chosen,
        strategy=strategy,
        device=device,
        precision=policy,
        data=data or chosen.data,
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


def profile() -> Profile:
    """The active profile: the one chosen by :func:`setup`, else from ``SSL_KERAS_PROFILE``."""
    return _current.profile if _current is not None else get_profile()
