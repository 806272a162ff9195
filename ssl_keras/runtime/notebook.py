"""Notebook comfort: quiet TensorFlow logs, and decoding errors that name the bad file."""

from __future__ import annotations

import logging
import os
import warnings

import tensorflow as tf


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
