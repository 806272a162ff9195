"""Segmentation machinery: lockstep augmentation in tf.data, metrics, baselines, evaluation.

The recipe of notebooks 07 and 08 in four modules: :mod:`~ssl_keras.segmentation.augment`
(batching, preprocessing), :mod:`~ssl_keras.segmentation.scoring` (scores,
baseline, Keras metrics), :mod:`~ssl_keras.segmentation.model` (the U-Net) and
:mod:`~ssl_keras.segmentation.inference` (datasets and image files, the ``ssl-keras
segment`` command). Every public name is importable from here.

Images are float32 RGB ``(H, W, 3)`` in [0, 1]; masks int32 ``(H, W, 1)`` of class indices
(0/1 for foreground masks; CamVid's void is 11), as the loaders in
:mod:`ssl_keras.datasets` return them.

* **Augmentation** (:func:`augment_pair`, :func:`augment_dataset`, from
  :mod:`ssl_keras.augment`): flips, rotations by 90°, random resized crops and color jitter,
  drawn ONCE per pair from a seed and applied to the image (bilinear) and the mask (nearest
  neighbour) together, so they stay aligned; color jitter touches the image only. Pure
  TensorFlow ops, stateless and seeded.
* **Metrics**: confusion-matrix based per-class IoU, mean IoU (void excluded) and pixel
  accuracy (:func:`confusion_matrix`, :func:`scores`); Keras metrics for training logs
  (:func:`mean_iou_metric`, :class:`DiceScore`, :class:`IoUScore`); per-image binary Dice /
  IoU in NumPy (:func:`binary_scores`).
* **Baseline**: predict the most frequent class everywhere (:func:`majority_class`,
  :func:`constant_prediction_confusion`): the floor any model must clear.
* **Evaluation**: :func:`predict_masks` and :func:`evaluate` run a model over a dataset;
  :func:`segment_files` runs a foreground model over image files at their original size.
* **Models and seed runs**: :func:`unet` builds the multi-class U-Net, its encoder optionally
  copied from a pretrained U-Net (notebook 02's denoiser); :func:`restart` starts a new run
  on a compiled model without tracing its training step again.
"""

from ssl_keras.augment import augment_dataset, augment_pair
from ssl_keras.metrics import confusion_matrix
from ssl_keras.segmentation.augment import batches, preprocess
from ssl_keras.segmentation.inference import (
    MIN_SIDE,
    SegmentedFile,
    evaluate,
    foreground_mask,
    head_activation,
    input_files,
    load_foreground_model,
    predict_masks,
    segment_files,
)
from ssl_keras.segmentation.model import unet
from ssl_keras.segmentation.scoring import (
    DiceScore,
    IoUScore,
    Scores,
    binary_scores,
    class_pixel_counts,
    constant_prediction_confusion,
    majority_class,
    mean_iou_metric,
    scores,
)
from ssl_keras.training import restart

__all__ = [
    "MIN_SIDE",
    "DiceScore",
    "IoUScore",
    "Scores",
    "SegmentedFile",
    "augment_dataset",  # from ssl_keras.augment
    "augment_pair",  # from ssl_keras.augment (notebook 08)
    "batches",
    "binary_scores",
    "class_pixel_counts",
    "confusion_matrix",  # from ssl_keras.metrics (notebook 07)
    "constant_prediction_confusion",
    "evaluate",
    "foreground_mask",
    "head_activation",
    "input_files",
    "load_foreground_model",
    "majority_class",
    "mean_iou_metric",
    "predict_masks",
    "preprocess",
    "restart",  # from ssl_keras.training (the seed runs of notebook 07)
    "scores",
    "segment_files",
    "unet",
]
