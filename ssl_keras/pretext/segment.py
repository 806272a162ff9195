"""A third downstream protocol: frozen-encoder segmentation on notebook 07's task.

Every arm's encoder is copied into the multi-class segmentation U-Net of the same depth and
width (:func:`ssl_keras.segmentation.unet`) and frozen, BatchNorm included; only the
decoder and the 1×1 head train, for a fixed number of steps on the labeled scenes, with
notebook 07's loss (cross-entropy ignoring void, optionally median-frequency class
weights) and augmentation. The score is the test split's mean IoU. One model is compiled
once; :func:`ssl_keras.training.restart` starts each run from the seed's decoder and the
arm's encoder, so the training step is traced once for all arms and seeds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import tensorflow as tf

from ssl_keras import losses, models, runtime, segmentation, training
from ssl_keras._checks import check_int
from ssl_keras.pretext.probe import arm_models
from ssl_keras.pretext.tasks import PretextBudget


def frozen_segmentation_study(
    unets: Mapping[str, keras.Model | Sequence[keras.Model]],
    train_pairs: tf.data.Dataset,
    test_pairs: tf.data.Dataset,
    n_classes: int,
    void: int | None,
    pretext_budget: PretextBudget,
    seeds: Sequence[int],
    steps: int = 150,
    batch_size: int = 16,
    learning_rate: float = 2e-3,
    class_weights: Sequence[float] | None = None,
    augment: Mapping[str, object] | None = None,
) -> list[dict]:
    """Mean IoU on ``test_pairs`` of a decoder trained on ``train_pairs`` over every arm's
    frozen encoder (name → U-Net, or one U-Net per seed), for every seed (the decoder's
    initial weights, the batch order and the augmentation).

    ``train_pairs`` / ``test_pairs``: unbatched ``(image, mask)`` pairs of one size, images
    float32 ``(H, W, 3)`` in [0, 1], masks int ``(H, W, 1)`` class indices (``void`` ignored,
    as :func:`ssl_keras.datasets.camvid.camvid_dataset` gives them),
    ``H`` and ``W`` multiples of ``2 ** pretext_budget.depth``. Returns rows ``{"method",
    "seed", "mean_iou"}``."""
    steps = check_int(steps, "steps")
    batch_size = check_int(batch_size, "batch_size")
    height, width = (int(d) for d in train_pairs.element_spec[0].shape[:2])
    step = 2**pretext_budget.depth
    if height % step or width % step:
        raise ValueError(
            f"The scenes are {height}×{width}; both sides must be multiples of 2**depth = "
            f"{step} for a U-Net of depth {pretext_budget.depth}. Resize them (the loaders' "
            "size=) first."
        )
    shape = (height, width, 3)

    def build(pretrained=None, seed=None, name="frozen_encoder_segmenter"):
        return segmentation.unet(
            shape,
            n_classes,
            pretext_budget.depth,
            pretext_budget.base_filters,
            pretrained=pretrained,
            seed=seed,
            bn_momentum=0.9,
            name=name,
        )

    with runtime.scope():
        model = build()
    models.set_trainable_levels(model, 0)  # the encoder and its BatchNorm stay frozen
    with runtime.scope(model):
        optimizer = keras.optimizers.Adam(learning_rate)
    training.compile_model(
        model,
        optimizer=optimizer,
        loss=losses.sparse_categorical_crossentropy(ignore_class=void, class_weights=class_weights),
        steps_per_execution=1,
    )
    test = segmentation.batches(test_pairs, batch_size)
    rows = []
    arms = {name: arm_models(name, arm, len(seeds)) for name, arm in unets.items()}
    for i, seed in enumerate(seeds):
        labeled = segmentation.batches(
            train_pairs, batch_size, training=True, seed=int(seed), **(augment or {})
        ).repeat()
        for name, arm in arms.items():
            start = build(arm[i if len(arm) > 1 else 0], int(seed), "start")
            training.restart(model, start.get_weights())
            model.fit(labeled, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)
            scores = segmentation.evaluate(model, test, n_classes, void)
            rows.append({"method": name, "seed": int(seed), "mean_iou": float(scores.mean_iou)})
    return rows
