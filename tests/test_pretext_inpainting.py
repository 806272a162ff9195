"""Tests of ssl_keras.pretext.inpainting: patch masks, masked batches, the inpainting loss."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import pretext, training


def _images(n=4, height=16, width=16, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, height, width, 3)).astype(np.float32)


def test_each_mask_hides_exactly_its_share_of_whole_patches():
    mask = pretext.patch_mask(5, 16, 24, patch=4, ratio=0.25, seed=1).numpy()
    assert mask.shape == (5, 16, 24, 1) and set(np.unique(mask)) == {0.0, 1.0}
    cells = mask[:, ::4, ::4, 0]  # one pixel per patch
    assert (cells.reshape(5, -1).sum(axis=1) == 6).all()  # round(0.25 × 24)
    # Constant on each patch: the mask is its cells blown up.
    np.testing.assert_array_equal(mask[..., 0], np.kron(cells, np.ones((1, 4, 4))))
    assert len({m.tobytes() for m in mask}) == 5  # a different draw per image


def test_masks_are_seeded_and_fit_sizes_the_patch_does_not_divide():
    first = pretext.patch_mask(2, 13, 10, patch=4, ratio=0.5, seed=7).numpy()
    again = pretext.patch_mask(2, 13, 10, patch=4, ratio=0.5, seed=7).numpy()
    other = pretext.patch_mask(2, 13, 10, patch=4, ratio=0.5, seed=8).numpy()
    assert first.shape == (2, 13, 10, 1)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert (first[:, ::4, ::4, 0].reshape(2, -1).sum(axis=1) == 6).all()  # 4 × 3 cells, half


def test_hidden_pixels_take_the_fill_and_visible_ones_stay():
    images = _images(2)
    mask = pretext.patch_mask(2, 16, 16, patch=4, ratio=0.5, seed=0)
    hidden = pretext.hide_patches(images, mask, fill=0.25).numpy()
    m = mask.numpy()[..., 0] > 0
    assert (hidden[m] == 0.25).all()
    np.testing.assert_array_equal(hidden[~m], images[~m])


def test_batches_carry_inputs_targets_and_weights_new_each_pass():
    images = _images(6)
    batches = pretext.masked_batches(images, 4, seed=0, patch=4, ratio=0.5, repeat=False)
    first = list(batches)
    assert [len(b[0]) for b in first] == [4, 2]
    hidden, clean, weights = first[0]
    assert hidden.shape == clean.shape == (4, 16, 16, 3) and weights.shape == (4, 16, 16)
    visible = weights.numpy() == 0
    np.testing.assert_array_equal(hidden.numpy()[visible], clean.numpy()[visible])
    assert weights.numpy().mean() == 0.5
    second = list(batches)  # a new pass draws new masks
    assert not np.array_equal(first[0][2].numpy(), second[0][2].numpy())
    again = list(pretext.masked_batches(images, 4, seed=0, patch=4, ratio=0.5, repeat=False))
    np.testing.assert_array_equal(first[0][0].numpy(), again[0][0].numpy())


def test_dataset_input_streams_forever():
    images = tf.data.Dataset.from_tensor_slices(_images(3, 8, 8))
    hidden, clean, weights = next(iter(pretext.masked_batches(images, 5, patch=2)))
    assert hidden.shape == (5, 8, 8, 3) and weights.shape == (5, 8, 8)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(ratio=0.0), r"ratio.*\(0, 1\)"),
        (dict(ratio=1.0), r"ratio.*\(0, 1\)"),
        (dict(patch=0), "patch"),
        (dict(batch_size=0), "batch_size"),
        (dict(images=np.zeros((0, 8, 8, 3), np.float32)), "empty"),
        (dict(images=np.zeros((2, 8, 8, 3), np.uint8)), "float"),
        (dict(images=np.zeros((8, 8, 3), np.float32)), r"\(N, H, W, C\)"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    args = dict(images=_images(2, 8, 8), batch_size=2) | kwargs
    with pytest.raises(ValueError, match=message):
        pretext.masked_batches(**args)


def test_the_loss_counts_hidden_pixels_only():
    # A model that copies its input is exact on visible pixels: its loss is the hidden error.
    inputs = keras.Input((16, 16, 3))
    copy = keras.Model(inputs, keras.layers.Identity()(inputs))
    training.compile_model(copy, "adam", "mse")
    batches = pretext.masked_batches(_images(4), 4, seed=0, patch=4, repeat=False)
    hidden, clean, weights = next(iter(batches))
    per_pixel = np.mean((hidden.numpy() - clean.numpy()) ** 2, axis=-1)
    expected = (per_pixel * weights.numpy()).sum() / weights.numpy().size
    loss = copy.evaluate(hidden, clean, sample_weight=weights, batch_size=4, verbose=0)
    assert loss == pytest.approx(expected, rel=1e-5)
    # ... and hidden_psnr scores the same pixels.
    mse_hidden = (per_pixel * weights.numpy()).sum() / weights.numpy().sum()
    assert pretext.hidden_psnr(copy, [(hidden, clean, weights)]) == pytest.approx(
        10 * math.log10(1 / mse_hidden), abs=1e-4
    )


def test_model_outputs_an_image_in_the_unit_range():
    model = pretext.inpainting_model((16, 16, 3), depth=2, base_filters=4)
    out = model(_images(2)).numpy()
    assert out.shape == (2, 16, 16, 3) and 0 <= out.min() and out.max() <= 1


@pytest.mark.slow
def test_a_small_unet_paints_hidden_patches_better_than_the_fill():
    # Smooth images: a hidden patch is predictable from its neighbours.
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:16, 0:16] / 15.0
    a, b, c = rng.random((3, 40, 1, 1, 3))
    images = np.clip(a * yy[None, ..., None] + b * xx[None, ..., None] + 0.5 * c, 0, 1)
    images = images.astype(np.float32)
    keras.utils.set_random_seed(0)
    model = pretext.inpainting_model((16, 16, 3), depth=2, base_filters=8)
    training.compile_model(model, keras.optimizers.Adam(3e-3), "mse")
    held_out = list(pretext.masked_batches(images[32:], 8, seed=1, patch=4, repeat=False))
    before = pretext.hidden_psnr(model, held_out)
    fill = pretext.hidden_psnr(
        keras.Model(model.inputs, keras.layers.Identity()(model.inputs[0])), held_out
    )
    model.fit(
        pretext.masked_batches(images[:32], 8, seed=0, patch=4),
        epochs=1,
        steps_per_epoch=150,
        verbose=0,
    )
    after = pretext.hidden_psnr(model, held_out)
    assert after > fill + 3.0 and after > before + 3.0, (before, fill, after)
