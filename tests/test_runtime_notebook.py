"""Notebook comfort: quiet TensorFlow logs, and the IPython handler that names bad files."""

from __future__ import annotations

import logging
import os
import warnings

import pytest
import tensorflow as tf

from ssl_keras.runtime import notebook


@pytest.fixture
def tf_logger_level():
    """Restores the TensorFlow logger's level after a test changes it."""
    level = tf.get_logger().level
    yield
    tf.get_logger().setLevel(level)


@pytest.mark.parametrize(("before", "after"), [(None, "2"), ("0", "0")])
def test_quiet_logs_silences_warnings_and_keeps_a_chosen_cpp_level(
    monkeypatch, tf_logger_level, before, after
):
    if before is None:
        monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", before)
    tf.get_logger().setLevel(logging.INFO)
    with warnings.catch_warnings():
        notebook.quiet_logs()
        assert not tf.get_logger().isEnabledFor(logging.WARNING)
        assert tf.get_logger().isEnabledFor(logging.ERROR)
        with warnings.catch_warnings(record=True) as caught:
            warnings.warn_explicit("chatter", UserWarning, "layer.py", 1, module="keras")
        assert caught == []
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == after


def test_name_bad_files_does_nothing_outside_ipython():
    assert notebook.name_bad_files_in_notebook() is False


def test_name_bad_files_installs_a_handler_for_decoding_errors(monkeypatch):
    ipython = pytest.importorskip("IPython")

    class Shell:  # what the function and its handler use of IPython's InteractiveShell
        installed: tuple = ()

        def set_custom_exc(self, exc_tuple, handler):
            self.installed = (exc_tuple, handler)

        class InteractiveTB:
            @staticmethod
            def structured_traceback(etype, value, tb, tb_offset=None):
                return [f"{etype.__name__}: …"]

    shell = Shell()
    monkeypatch.setattr(ipython, "get_ipython", lambda: shell)
    assert notebook.name_bad_files_in_notebook() is True
    errors, handler = shell.installed
    assert set(errors) == {tf.errors.InvalidArgumentError, tf.errors.UnknownError}
    # an error that is no decoding failure keeps IPython's traceback, with nothing added
    other = tf.errors.InvalidArgumentError(None, None, "Incompatible shapes: [2] vs. [3]")
    assert handler(shell, type(other), other, None) == ["InvalidArgumentError: …"]
