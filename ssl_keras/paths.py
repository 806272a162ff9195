"""Where data and artifacts live: ``data/`` and ``artifacts/`` of the repository checkout.

Notebooks run with their own folder as working directory, so paths are resolved from the
repository root, found by walking up from the working directory to this project's
``pyproject.toml``. Set ``SSL_KERAS_HOME`` to use another folder (e.g. a Drive folder on
Colab); outside a checkout (package installed with pip) the working directory is used.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

HOME_VAR = "SSL_KERAS_HOME"


def root() -> Path:
    """The folder that holds ``data/`` and ``artifacts/``."""
    if os.environ.get(HOME_VAR):
        return Path(os.environ[HOME_VAR]).expanduser().resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        marker = folder / "pyproject.toml"
        if marker.is_file() and 'name = "ssl-keras"' in marker.read_text(encoding="utf-8"):
            return folder
    return here


def data_dir(*parts: str) -> Path:
    """``<root>/data/<parts…>`` (not created)."""
    return root().joinpath("data", *parts)


def artifacts_dir(*parts: str, create: bool = True) -> Path:
    """``<root>/artifacts/<parts…>``, created unless ``create=False``: trained models, logs,
    results that later notebooks reuse."""
    path = root().joinpath("artifacts", *parts)
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def keras_homes() -> list[Path]:
    """The Keras cache folders, in the order ``keras.utils.get_file`` uses them:
    ``$KERAS_HOME`` (else ``~/.keras``), then ``/tmp/.keras`` when that one is not writable.
    The last is where Keras writes downloads (weights in ``models/``, data in ``datasets/``)."""
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
    homes = [home]
    existing = next(p for p in (home, *home.parents) if p.exists())  # Keras creates home
    if not os.access(existing, os.W_OK):
        homes.append(Path("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()) / ".keras")
    return homes
