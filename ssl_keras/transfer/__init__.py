"""Transfer a pretrained encoder to a small labeled task, and measure when it helps.

Notebook 03's and 04's machinery: the labeled data of a profile (:func:`labeled_root`),
labeled arrays from class folders, per-level feature summaries streamed batch by batch
(:func:`feature_statistics`), per-class sampling, the label-efficiency study
(SSL-pretrained encoder vs the same architecture from scratch vs logistic regression on raw
pixels, several label counts and seeds) and its summary.

>>> x, y, names = transfer.load_split(transfer.labeled_root("smoke") / "train", size=64)
>>> rows = transfer.label_efficiency(encoder, x, y, x_val, y_val, x_test, y_test, (10, 25, 50))
>>> transfer.summarize(rows)   # {method: {"counts", "mean", "std", "half"}}

How the three arms are trained (the same for every label count and seed):

* **SSL (frozen)** — the pretrained encoder with frozen weights and BatchNorm in inference
  mode, each channel pooled to its mean and standard deviation over the image
  (:class:`~ssl_keras.layers.MeanStdPooling2D`), standardised, then a linear head: the
  stage-1 model of :func:`probe_classifier`, a linear probe. A frozen encoder is a fixed
  function, so the pooled features are computed once and only the head trains; they are
  standardised with the mean and standard deviation of the labeled subset (a frozen
  denoiser's channels differ in scale by orders of magnitude).
* **scratch** — the same encoder architecture with fresh weights, the same pooling and
  head, all trained end to end, with augmentation (:func:`augmenter`: flips, rotations, zoom,
  shifts) against overfitting the few labeled images.
* **logistic regression** — scikit-learn's L2-regularised logistic regression on
  standardised raw pixels: what "no features at all" reaches.

Both Keras arms get the same :class:`Budget` (the head on frozen features its own, higher
learning rate): epochs of one pass (at least ``min_steps``
steps) over the repeated, shuffled labeled subset, up to ``max_epochs``, early stopping on the loss of
a fixed validation split with the best weights restored, so each trains until it stops
improving, not for an arbitrary number of steps. Each model is compiled once and reset to
new initial weights per run (no re-tracing). Scores are balanced accuracies (the mean of
the per-class recalls), so a test split with more of one class cannot reward always
answering that class.

============  ==================================================================================
module        holds
============  ==================================================================================
``data``      ``labeled_root``, ``load_split``, ``sample_per_class``, ``split_per_class``,
              ``repeated_batches``, ``steps_per_epoch``, ``fitting_label_counts``
``features``  ``FeatureStatistics``, ``feature_statistics``, ``pooled_features``,
              ``probe_features``, ``probe_classifier``: what a frozen encoder's features say
``study``     ``METHODS``, ``augmenter``, ``Budget``, ``raw_pixel_baseline``,
              ``label_efficiency``, ``summarize``: the label-efficiency study
``results``   ``scores``, ``confusion``: reading the study's rows
============  ==================================================================================

Every public name is available from this package: ``from ssl_keras import transfer``, then
``transfer.load_split(...)``.
"""

from ssl_keras.transfer.data import (
    fitting_label_counts,
    labeled_root,
    load_split,
    repeated_batches,
    sample_per_class,
    split_per_class,
    steps_per_epoch,
)
from ssl_keras.transfer.features import (
    FeatureStatistics,
    feature_statistics,
    pooled_features,
    probe_classifier,
    probe_features,
)
from ssl_keras.transfer.results import confusion, scores
from ssl_keras.transfer.study import (
    METHODS,
    Budget,
    augmenter,
    label_efficiency,
    raw_pixel_baseline,
    summarize,
)

__all__ = [
    "METHODS",
    "Budget",
    "FeatureStatistics",
    "augmenter",
    "confusion",
    "feature_statistics",
    "fitting_label_counts",
    "label_efficiency",
    "labeled_root",
    "load_split",
    "pooled_features",
    "probe_classifier",
    "probe_features",
    "raw_pixel_baseline",
    "repeated_batches",
    "sample_per_class",
    "scores",
    "split_per_class",
    "steps_per_epoch",
    "summarize",
]
