"""pytest plugin for the notebook regression tests (loaded with ``-p tests.nbval_hooks``).

stderr is never compared: TensorFlow and friends write start-up and deprecation chatter
there that depends on the machine, not on the notebook.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr", "text/html", "application/javascript")
