"""Where the real dataset samples live for tests: ``../shared/data`` beside the checkout
(or ``$SSL_KERAS_SHARED_DATA``); tests that need a sample skip cleanly without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(
    os.environ.get("SSL_KERAS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def shared(*parts: str) -> Path:
    """Path of a sample under the shared data folder; skips the calling test when absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data sample not found at {path}")
    return path
