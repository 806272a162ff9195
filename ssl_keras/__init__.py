"""ssl_keras: layers, models, tf.data pipelines and datasets for the ssl-keras notebooks.

Import submodules explicitly (``from ssl_keras import noise, pipelines``). Importing this
package first also quiets TensorFlow's C++ start-up logging, which must be configured
before TensorFlow itself is imported.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"
