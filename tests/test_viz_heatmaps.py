"""Feature-map helpers of the heatmap lesson (:mod:`ssl_keras.viz.heatmaps`): mirror-padded
maps, border share of a map's energy, heatmap rows."""

from __future__ import annotations

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from ssl_keras import models, viz  # noqa: E402


@pytest.fixture(scope="module")
def extractor() -> keras.Model:
    keras.utils.set_random_seed(0)
    unet = models.unet((None, None, 3), depth=2, base_filters=4)
    return models.feature_extractor(unet)


def test_padded_maps_keep_the_unpadded_sizes(extractor: keras.Model) -> None:
    images = np.random.default_rng(0).random((3, 16, 24, 3), dtype=np.float32)
    plain = extractor.predict_on_batch(images)
    padded = viz.padded_feature_maps(extractor, images, pad=8, batch_size=2)
    assert set(padded) == {"enc1", "enc2", "bottleneck"}
    for level, maps in padded.items():
        assert maps.shape == np.asarray(plain[level]).shape
        assert maps.dtype == np.float32
    unpadded = viz.padded_feature_maps(extractor, images, pad=0)
    np.testing.assert_allclose(unpadded["enc2"], plain["enc2"], atol=1e-6)


def test_mirror_padding_removes_the_border_frame(extractor: keras.Model) -> None:
    """A flat gray image has no edges: any structure in its maps is the zero padding."""
    flat = np.full((1, 32, 32, 3), 0.5, np.float32)
    plain = viz.padded_feature_maps(extractor, flat, pad=0)
    mirrored = viz.padded_feature_maps(extractor, flat, pad=8)
    assert plain["enc1"][0].std(axis=(0, 1)).max() > 1e-3
    for level in ("enc1", "enc2"):
        assert mirrored[level][0].std(axis=(0, 1)).max() < 1e-5


@pytest.mark.parametrize(
    ("images", "pad", "match"),
    [
        (np.zeros((2, 16, 16), np.float32), 8, "non-empty batch"),
        (np.zeros((1, 16, 16, 3), np.float32), -4, "pad must be"),
        (np.zeros((1, 16, 16, 3), np.float32), 6, "multiple of"),
    ],
)
def test_padded_maps_reject_bad_input(extractor: keras.Model, images, pad: int, match) -> None:
    with pytest.raises(ValueError, match=match):
        viz.padded_feature_maps(extractor, images, pad=pad)


def test_border_share_of_a_frame_an_even_map_and_a_center() -> None:
    frame = np.ones((8, 8))
    frame[1:-1, 1:-1] = 0
    assert viz.border_share(frame) == pytest.approx(1.0)
    assert viz.border_share(np.ones((8, 8))) == pytest.approx(1 - 36 / 64)
    center = np.zeros((16, 16))
    center[6:10, 6:10] = 2.0
    assert viz.border_share(center, band=0.25) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("energy", "band", "match"),
    [
        (np.ones((2, 8)), 0.125, "at least 3×3"),
        (np.ones((8, 8)), 0.5, "band must be"),
        (-np.ones((8, 8)), 0.125, "non-negative"),
        (np.zeros((8, 8)), 0.125, "all zero"),
    ],
)
def test_border_share_rejects_bad_input(energy, band: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        viz.border_share(energy, band)


def test_heatmap_rows_layout_and_errors() -> None:
    rng = np.random.default_rng(0)
    images = rng.random((2, 32, 32, 3), dtype=np.float32)
    rows = {
        "pretrained": {"enc1": rng.random((32, 32)), "enc2": rng.random((16, 16))},
        "random": {"enc1": rng.random((32, 32)), "enc2": np.zeros((16, 16))},
    }
    fig = viz.heatmap_rows(images, rows, title="t")
    assert len(fig.axes) == 2 * 3 + 1  # image + two maps per row, and the colorbar
    assert [ax.get_title() for ax in fig.axes[:3]] == ["image", "enc1", "enc2"]
    plt.close(fig)
    plt.close(viz.heatmap_rows(images[0], rows))  # one image for every row
    with pytest.raises(ValueError, match="same, non-zero number"):
        viz.heatmap_rows(images, {"a": rows["random"], "b": {"enc1": np.zeros((8, 8))}})
    with pytest.raises(ValueError, match="one per row"):
        viz.heatmap_rows(images[:1].repeat(3, axis=0), rows)
    with pytest.raises(ValueError, match=r"\(h, w\) map"):
        viz.heatmap_rows(images, {"a": {"x": np.zeros((4, 4, 2))}, "b": {"x": np.zeros((4, 4))}})
