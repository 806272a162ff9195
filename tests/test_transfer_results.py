"""Per-seed scores and confusion counts of :mod:`ssl_keras.transfer.results`."""

from __future__ import annotations

import pytest

from ssl_keras import transfer


def test_confusion_counts():
    matrix = transfer.confusion([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])
    assert matrix.tolist() == [[1, 1], [1, 2]]
    with pytest.raises(ValueError, match="outside"):
        transfer.confusion([0, 2], [0, 1])
