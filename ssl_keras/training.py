"""Compiling models the package's way: XLA where it is allowed, several steps per call.

Keras leaves XLA off on CPU-only machines (``jit_compile="auto"``) and whenever TensorFlow op
determinism is on. :func:`compile_model` turns it on when determinism is off (XLA fuses
BatchNorm, ReLU and the optimizer update into the convolutions' neighbours) and runs several
training steps per call into the graph, which saves Python overhead on small batches.
``runtime.setup(deterministic=True)`` — the notebooks' default, for reproducible numbers —
therefore trains without XLA; pass ``deterministic=False`` for speed.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from tensorflow.python.framework.config import is_op_determinism_enabled

from ssl_keras import runtime


def xla_allowed() -> bool:
    """True unless op determinism is on (TensorFlow's XLA path is not deterministic)."""
    return not is_op_determinism_enabled()


def compile_model(
    model: keras.Model,
    optimizer: str | keras.optimizers.Optimizer = "adam",
    loss=None,
    metrics=None,
    jit_compile: bool | None = None,
    steps_per_execution: int = 4,
    **kwargs,
) -> keras.Model:
    """``model.compile`` with the package defaults, under the strategy ``model`` was built
    under (:func:`ssl_keras.runtime.scope`); returns the model.

    Args:
        optimizer: a name, or an optimizer created under the same strategy as ``model``
            (inside ``runtime.scope(model)``); one created elsewhere raises ``ValueError``.
        jit_compile: ``None`` enables XLA when :func:`xla_allowed` (and the model supports it).
        steps_per_execution: training steps per graph call (≥ 1; 1 under
            ``MirroredStrategy``, see :func:`ssl_keras.runtime.steps_per_execution`).
        kwargs: passed on to ``model.compile``.
    """
    if steps_per_execution < 1:
        raise ValueError(f"steps_per_execution must be ≥ 1, got {steps_per_execution}.")
    if jit_compile is None:
        jit_compile = xla_allowed() and bool(tf.config.list_physical_devices("CPU"))
    # TensorFlow optimizers keep the strategy they were created under (their step counter
    # would otherwise count once per replica).
    made_under = getattr(optimizer, "_distribution_strategy", None)
    if made_under is not None and made_under is not model.distribute_strategy:
        raise ValueError(
            f"The optimizer was created under {type(made_under).__name__}, the model under "
            f"{type(model.distribute_strategy).__name__}; create the optimizer inside "
            "`runtime.scope(model)` (or pass its name, e.g. 'adam')."
        )
    with runtime.scope(model):  # the optimizer lives under the model's strategy
        model.compile(
            optimizer=optimizer,
            loss=loss,
            metrics=metrics,
            jit_compile=jit_compile,
            steps_per_execution=runtime.steps_per_execution(steps_per_execution, model),
            **kwargs,
        )
    return model
