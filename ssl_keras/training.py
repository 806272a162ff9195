"""Compiling models the package's way: Keras's XLA choice, several steps per call; and
:func:`restart`, which starts a new run on a compiled model without tracing it again.

XLA follows Keras (``jit_compile="auto"``): on for GPUs and TPUs, off on CPU-only machines,
under ``tf.distribute`` and whenever TensorFlow op determinism is on (the notebooks' default,
``runtime.setup(deterministic=True)``). The package once forced it on for CPUs too; measured
with ``bench/train_step.py`` it only ever cost there — on a 2-core AMD EPYC it changed nothing
(1.00×), on a 2-core Intel Xeon with AMX the U-Net step ran at 0.56× (float32) and 0.63×
(bfloat16) of its speed without XLA, because XLA's CPU convolutions bypass oneDNN.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import runtime


def compile_model(
    model: keras.Model,
    optimizer: str | keras.optimizers.Optimizer = "adam",
    loss=None,
    metrics=None,
    jit_compile: bool | str = "auto",
    steps_per_execution: int = 4,
    **kwargs,
) -> keras.Model:
    """``model.compile`` with the package defaults, under the strategy ``model`` was built
    under (:func:`ssl_keras.runtime.scope`); returns the model.

    Args:
        optimizer: a name, or an optimizer created under the same strategy as ``model``
            (inside ``runtime.scope(model)``); one created elsewhere raises ``ValueError``.
        jit_compile: ``"auto"`` lets Keras decide (XLA on accelerators only, see above);
            ``True`` forces XLA (keep op determinism off then: XLA is not deterministic).
        steps_per_execution: training steps per graph call (≥ 1; 1 under
            ``MirroredStrategy``, see :func:`ssl_keras.runtime.steps_per_execution`).
        kwargs: passed on to ``model.compile``.
    """
    if steps_per_execution < 1:
        raise ValueError(f"steps_per_execution must be ≥ 1, got {steps_per_execution}.")
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
    zero_optimizer_state(model)


def zero_optimizer_state(model: keras.Model) -> None:
    """Zero the compiled ``model``'s optimizer state (step count, moments), keeping its
    learning rate: the next ``fit`` starts a fresh run with the traced training step."""
    if getattr(model, "optimizer", None) is None:
        raise ValueError(f"Model {model.name!r} is not compiled: call compile() first.")
    for variable in model.optimizer.variables:
        if variable.name != "learning_rate":  # a hyperparameter, not training state
            variable.assign(tf.zeros(variable.shape, variable.dtype))
