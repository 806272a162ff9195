"""One call that prepares a notebook: seeds, determinism, logging, strategy, precision.

>>> from ssl_keras import runtime
>>> rt = runtime.setup(seed=42)            # prints one line describing the run
>>> with rt.strategy.scope():
...     model = ...                        # build and compile models inside the scope

The package's own training code builds and compiles inside :func:`scope`, and sizes its
batches with :func:`replicas`, so it scales out with the strategy :func:`setup` chose.

Submodules, each re-exported here:

- :mod:`~ssl_keras.runtime.session`: :func:`setup`, the :class:`Runtime` it records, and
  what reads it (:func:`current`, :func:`strategy`, :func:`replicas`, :func:`scope`,
  :func:`steps_per_execution`, :func:`profile`).
- :mod:`~ssl_keras.runtime.devices`: the GPU or TPU the environment provides, whether
  TensorFlow can use it, and the distribution strategy.
- :mod:`~ssl_keras.runtime.precision`: float32 or mixed precision, with the bfloat16 probe.
- :mod:`~ssl_keras.runtime.notebook`: quiet logs, and decoding errors that name the file.
"""

from ssl_keras.runtime.devices import (
    AcceleratorWarning,
    accelerator_problem,
    choose_strategy,
    expected_accelerator,
    tpu_address,
)
from ssl_keras.runtime.notebook import (
    name_bad_files_in_notebook,
    quiet_logs,
)
from ssl_keras.runtime.precision import (
    BF16_FLAGS,
    MIN_BF16_SPEEDUP,
    PRECISION_VAR,
    PRECISIONS,
    PrecisionWarning,
    bf16_speedup,
    choose_precision,
    cpu_flags,
    cpu_name,
    probe_bf16_speedup,
    requested_precision,
)
from ssl_keras.runtime.session import (
    Runtime,
    current,
    profile,
    replicas,
    scope,
    setup,
    steps_per_execution,
    strategy,
)

__all__ = [
    "BF16_FLAGS",
    "MIN_BF16_SPEEDUP",
    "PRECISIONS",
    "PRECISION_VAR",
    "AcceleratorWarning",
    "PrecisionWarning",
    "Runtime",
    "accelerator_problem",
    "bf16_speedup",
    "choose_precision",
    "choose_strategy",
    "cpu_flags",
    "cpu_name",
    "current",
    "expected_accelerator",
    "name_bad_files_in_notebook",
    "probe_bf16_speedup",
    "profile",
    "quiet_logs",
    "replicas",
    "requested_precision",
    "scope",
    "setup",
    "steps_per_execution",
    "strategy",
    "tpu_address",
]
