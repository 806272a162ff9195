"""Self-supervised anomaly detection: a 3-class pretext task, density scores, anomaly maps.

The recipe follows CutPaste (Li et al., CVPR 2021, "3-way" variant):

1. **Pretext task, generated at run time** (:mod:`~ssl_keras.anomaly.pretext`). Every
   defect-free training image gets a label ``y`` drawn from its own seed and is changed
   accordingly (all TensorFlow ops, usable in ``tf.data``): ``0`` normal (photometric jitter
   only), ``1`` *cut-paste* (a large patch, rectangle or random polygon, is cut, rotated,
   scaled, flipped, color-jittered and pasted elsewhere), ``2`` *scar* (a thin rotated strip
   pasted the same way). See :class:`PretextConfig`, :func:`apply_pretext`,
   :func:`pretext_dataset`.
2. **Encoder + projection head** (:func:`pretext_model`, :mod:`~ssl_keras.anomaly.network`)
   trained with cross-entropy on ``y``.
3. **Density on embeddings** (:mod:`~ssl_keras.anomaly.density`). :class:`GaussianDensity`
   fits a mean and a Ledoit-Wolf shrunk covariance to embeddings of good images; the anomaly
   score is the Mahalanobis distance (:class:`KNNScorer` is the nearest-neighbour alternative).
4. **Evaluation and localization.** Image AUROC overall and per defect type
   (:func:`auroc_by_defect`), a threshold from held-out good images
   (:func:`threshold_from_good`, :func:`precision_recall`), all in
   :mod:`~ssl_keras.anomaly.scores`; dense patch scores upsampled and smoothed into anomaly
   maps (:func:`anomaly_maps`, in :mod:`~ssl_keras.anomaly.density`) with pixel AUROC
   (:func:`pixel_auroc`).

Data comes from any MVTec AD category folder through :func:`load_category`
(:mod:`~ssl_keras.anomaly.data`), which relies on :mod:`ssl_keras.datasets.mvtec` for the
bad-input checks: a category without ``train/good`` raises ``FileNotFoundError``; a defect
image without its mask, or a mask whose size differs from its image, raises ``ValueError``
naming the file. Grayscale categories (MVTec ``grid``, ``screw``, ``zipper``) are served as
three equal channels and stay gray through the pretext transforms, since brightness,
contrast, saturation and hue jitter all keep R = G = B.

===============  ==============================================================================
module           holds
===============  ==============================================================================
``pretext``      ``PretextConfig``, ``apply_pretext``, ``pretext_sample``, ``pretext_dataset``
``data``         ``CategoryData``, ``load_category``: one MVTec AD category in memory
``network``      ``pretext_model``: encoder + projection head → pretext logits
``density``      ``embed``, ``patch_features``, ``GaussianDensity``, ``KNNScorer``,
                 ``fit_patch_density``, ``anomaly_maps``, ``project_2d``
``scores``       ``image_auroc``, ``auroc_by_defect``, ``pixel_auroc``, ``threshold_from_good``,
                 ``precision_recall``
``recipe``       ``train_pretext``, ``run_category`` → ``CategoryResult``: one category, end to end
===============  ==============================================================================

Every public name is available from this package: ``from ssl_keras import anomaly``, then
``anomaly.load_category(...)``.
"""

from ssl_keras.anomaly.data import CategoryData, load_category
from ssl_keras.anomaly.density import (
    POOLINGS,
    GaussianDensity,
    KNNScorer,
    anomaly_maps,
    embed,
    fit_patch_density,
    patch_features,
    project_2d,
)
from ssl_keras.anomaly.network import pretext_model
from ssl_keras.anomaly.pretext import (
    CLASS_NAMES,
    CUTPASTE,
    NORMAL,
    SCAR,
    PretextConfig,
    apply_pretext,
    pretext_dataset,
    pretext_label,
    pretext_sample,
)
from ssl_keras.anomaly.recipe import CategoryResult, run_category, train_pretext
from ssl_keras.anomaly.scores import (
    auroc_by_defect,
    image_auroc,
    pixel_auroc,
    precision_recall,
    threshold_from_good,
)

__all__ = [
    "CLASS_NAMES",
    "CUTPASTE",
    "CategoryData",
    "CategoryResult",
    "GaussianDensity",
    "KNNScorer",
    "NORMAL",
    "POOLINGS",
    "PretextConfig",
    "SCAR",
    "anomaly_maps",
    "apply_pretext",
    "auroc_by_defect",
    "embed",
    "fit_patch_density",
    "image_auroc",
    "load_category",
    "patch_features",
    "pixel_auroc",
    "precision_recall",
    "pretext_dataset",
    "pretext_label",
    "pretext_model",
    "pretext_sample",
    "project_2d",
    "run_category",
    "threshold_from_good",
    "train_pretext",
]
