"""Post-processing and compositing on hand-made masks."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_keras import postprocess, segmentation


def _square(size: int = 32, top: int = 8, side: int = 12) -> np.ndarray:
    mask = np.zeros((size, size), bool)
    mask[top : top + side, top : top + side] = True
    return mask


def test_threshold():
    probabilities = np.array([[0.2, 0.5], [0.7, 1.0]], np.float32)
    np.testing.assert_array_equal(postprocess.threshold(probabilities), [[0, 1], [1, 1]])
    np.testing.assert_array_equal(postprocess.threshold(probabilities, 0.8), [[0, 0], [0, 1]])
    with pytest.raises(ValueError, match="sigmoid"):
        postprocess.threshold(probabilities * 5)
    with pytest.raises(ValueError, match="threshold"):
        postprocess.threshold(probabilities, 0.0)


def test_opening_removes_specks_and_keeps_objects():
    mask = _square()
    mask[2, 2] = mask[28, 5] = True  # isolated specks
    opened = postprocess.opening(mask, 1)
    assert not opened[2, 2] and not opened[28, 5]
    assert opened[10:18, 10:18].all()
    np.testing.assert_array_equal(postprocess.opening(mask, 0), mask)


def test_closing_bridges_a_gap_without_touching_the_border():
    mask = _square()
    mask[8:20, 14] = False  # a one-pixel slit through the square
    closed = postprocess.closing(mask, 1)
    assert closed[8:20, 8:20][2:-2, 2:-2].all()
    border = np.zeros((10, 10), bool)
    border[:, :3] = True
    np.testing.assert_array_equal(postprocess.closing(border, 2), border)


def test_remove_small_components():
    mask = _square()
    mask[28:30, 28:30] = True  # 4 pixels
    cleaned = postprocess.remove_small_components(mask, min_area=16)
    assert cleaned.sum() == 144 and not cleaned[28, 28]
    np.testing.assert_array_equal(postprocess.remove_small_components(mask, 0), mask)
    assert postprocess.components(mask)[0] == 2 and postprocess.components(cleaned)[0] == 1
    with pytest.raises(ValueError, match="min_area"):
        postprocess.remove_small_components(mask, -1)


def test_fill_holes_fills_enclosed_background_only():
    ring = _square()
    ring[12:16, 12:16] = False
    np.testing.assert_array_equal(postprocess.fill_holes(ring), _square())
    notch = _square(top=0)
    notch[0:4, 4:8] = False  # open to the border: not a hole
    np.testing.assert_array_equal(postprocess.fill_holes(notch), notch)


def test_contours_largest_first():
    mask = _square()
    mask[26:30, 26:30] = True
    outlines = postprocess.contours(mask)
    assert len(outlines) == 2
    assert outlines[0][:, 0].min() == 8 and outlines[0][:, 0].max() == 19  # x of the big square
    assert outlines[1][:, 1].min() == 26
    assert postprocess.contours(np.zeros((5, 5))) == []


def test_clean_improves_a_corrupted_mask():
    truth = _square(48, 10, 20)
    rng = np.random.default_rng(0)
    probabilities = np.where(truth, 0.8, 0.2).astype(np.float32)
    flips = rng.random(truth.shape) < 0.04
    probabilities[flips] = 1.0 - probabilities[flips]  # specks outside, pinholes inside
    raw = postprocess.threshold(probabilities)
    cleaned = postprocess.clean(probabilities)
    before = segmentation.binary_scores(raw, truth)["dice"][0]
    after = segmentation.binary_scores(cleaned, truth)["dice"][0]
    assert after > before + 0.03 and after > 0.97
    batch = postprocess.clean_batch(np.stack([probabilities, probabilities])[..., None])
    assert batch.shape == (2, 48, 48)
    np.testing.assert_array_equal(batch[1], cleaned)


def test_clean_scale_grows_the_parameters():
    mask = _square(64, 10, 30)
    mask[40:44, 50:54] = True  # 16 pixels: kept at scale 1 (min_area 16), dropped at scale 2
    assert postprocess.clean(mask, open_radius=0, scale=1.0)[41, 51]
    assert not postprocess.clean(mask, open_radius=0, scale=2.0)[41, 51]
    with pytest.raises(ValueError, match="scale"):
        postprocess.clean(mask, scale=0)


def test_input_validation():
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        postprocess.opening(np.zeros((2, 3, 3, 1)))
    with pytest.raises(ValueError, match="radius"):
        postprocess.closing(np.zeros((3, 3)), radius=1.5)


def test_palette_image_overlay_cutout():
    image = np.full((6, 8, 3), 0.5, np.float32)
    mask = np.zeros((6, 8), np.int32)
    mask[2:5, 3:7] = 1
    colors = postprocess.palette_image(mask)
    assert colors.shape == (6, 8, 3) and colors.dtype == np.uint8
    np.testing.assert_array_equal(colors[3, 4], postprocess.FOREGROUND_PALETTE[1])
    blended = postprocess.overlay(image, mask, alpha=0.5, outline=False)
    np.testing.assert_array_equal(blended[0, 0], [128, 128, 128])  # background untouched
    np.testing.assert_array_equal(
        blended[3, 4], np.round((128 + postprocess.FOREGROUND_PALETTE[1].astype(int)) / 2)
    )
    outlined = postprocess.overlay(image, mask)
    np.testing.assert_array_equal(outlined[2, 3], postprocess.FOREGROUND_PALETTE[1])
    rgba = postprocess.cutout(image, mask)
    assert rgba.shape == (6, 8, 4)
    np.testing.assert_array_equal(rgba[..., 3], mask * 255)
    with pytest.raises(ValueError, match="palette"):
        postprocess.palette_image(mask + 5)
    with pytest.raises(ValueError, match="same"):
        postprocess.cutout(image, mask[:5])


def test_segmentation_plots():
    import matplotlib

    matplotlib.use("Agg")
    from ssl_keras import viz
    from ssl_keras.datasets import palettes

    images = np.random.default_rng(0).random((2, 8, 8, 3)).astype(np.float32)
    truth = np.random.default_rng(1).integers(0, 12, (2, 8, 8))
    figure = viz.segmentation_grid(
        images, truth, truth[..., None], palettes.CAMVID_PALETTE, palettes.CAMVID_CLASSES
    )
    assert [ax.get_ylabel() for ax in figure.axes[::2]] == ["Input", "Truth", "Prediction"]
    assert len(figure.legends[0].get_texts()) == len(np.unique(truth))
    matrix = viz.confusion_matrix_plot(np.eye(3) * 5, ["a", "b", "c"])
    assert matrix.axes[0].get_xlabel() == "predicted class"
    cells = [text.get_text() for text in matrix.axes[0].texts]
    assert cells[:2] == ["5\n100 %", "0\n0 %"]  # counts and row shares, row by row
    many = viz.confusion_matrix_plot(np.full((6, 6), 2500.0), list("abcdef"))
    assert len(many.axes[0].texts) == 36 and many.axes[0].texts[0].get_text() == "2.5k"
    assert not viz.confusion_matrix_plot(np.eye(13), list("abcdefghijklm")).axes[0].texts
    with pytest.raises(ValueError, match="class names"):
        viz.confusion_matrix_plot(np.eye(3), ["a"])
    matplotlib.pyplot.close("all")
