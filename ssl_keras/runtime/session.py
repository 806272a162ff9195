"""The run's state: :func:`setup` seeds, picks strategy and precision, and records them in
one :class:`Runtime` that :func:`current`, :func:`strategy`, :func:`replicas`,
:func:`scope`, :func:`steps_per_execution` and :func:`profile` read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import warnings

import keras
import tensorflow as tf

from ssl_keras import __version__
from ssl_keras.profiles import ENV_VAR, Profile, get_profile
from ssl_keras.runtime.devices import (
    AcceleratorWarning,
    _choose_strategy,
    accelerator_problem,
    expected_accelerator,
)
from ssl_keras.runtime.notebook import name_bad_files_in_notebook, quiet_logs
from ssl_keras.runtime.precision import choose_precision, requested_precision

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
