"""pytest plugin for the notebook regression tests (loaded with ``-p tests.nbval_hooks``).

stderr is never compared: TensorFlow and friends write start-up and deprecation chatter
there that depends on the machine, not on the notebook. The notebooks run in float32 (the
precision their bars were set in) unless ``SSL_KERAS_PRECISION`` says otherwise.
"""

import os

os.environ.setdefault("SSL_KERAS_PRECISION", "float32")


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr", "text/html", "application/javascript")
