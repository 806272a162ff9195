"""Compiling models the package's way: XLA where it is allowed, several steps per call; and
:func:`restart`, which starts a new run on a compiled model without tracing it again.

Keras leaves XLA off on CPU-only machines (``jit_compile="auto"``) and whenever TensorFlow op
determinism is on. :func:`compile_model` turns it on when determinism is off (XLA fuses
BatchNorm, ReLU and the optimizer update into the convolutions' neighbours) and runs several
training steps per call into the graph, which saves Python overhead on small batches.
``runtime.setup(deterministic=True)`` — the notebooks' default, for reproducible numbers —
therefore trains without XLA; pass ``deterministic=False`` for speed.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
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


def restart(model: keras.Model, weights: Sequence) -> None:
    """Start a new training run on a compiled model: load ``weights`` (e.g.
    ``segmentation.unet(..., seed=s).get_weights()``) and zero the optimizer's state (step count, moments).

    The next ``fit`` then trains as a freshly built and compiled model with those weights
    would (only dropout's random stream continues instead of restarting), but reuses the
    traced training step: a seed study of many short runs does not pay the graph tracing
    for every run. The learning rate is kept; a schedule restarts with the step count.
    """
    if getattr(model, "optimizer", None) is None:
        raise ValueError(f"Model {model.name!r} is not compiled: call compile() first.")
    expected = [tuple(w.shape) for w in model.weights]
    given = [tuple(np.shape(w)) for w in weights]
    if given != expected:
        raise ValueError(
            f"weights do not fit model {model.name!r}: {len(given)} arrays for its "
            f"{len(expected)} weights, or their shapes differ. Build them with the same "
            "architecture (e.g. segmentation.unet with the same arguments)."
        )
    model.set_weights(list(weights))
    for variable in model.optimizer.variables:
        if variable.name != "learning_rate":  # a hyperparameter, not training state
            variable.assign(tf.zeros(variable.shape, variable.dtype))
