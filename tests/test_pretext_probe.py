"""Tests of ssl_keras.pretext.probe: the linear probe shared by every pretext arm."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_keras import models, pretext


def _separable(n=40, features=6, gap=3.0, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    x = rng.standard_normal((n, features))
    x[:, 0] += gap * y
    return x, y


def test_probe_finds_an_informative_feature_and_fails_without_one():
    x, y = _separable()
    x_test, y_test = _separable(seed=1)
    rows = pretext.linear_probe(x, y, x_test, y_test, [2, 10], seeds=[0, 1, 2])
    assert [(r["n_per_class"], r["seed"]) for r in rows] == [
        (n, s) for n in (2, 10) for s in (0, 1, 2)
    ]
    informed = np.mean([r["accuracy"] for r in rows if r["n_per_class"] == 10])
    noise = np.random.default_rng(5).standard_normal(x.shape)
    blind = pretext.linear_probe(noise, y, x_test, y_test, [10], seeds=[0, 1, 2])
    assert informed > 0.85 and np.mean([r["accuracy"] for r in blind]) < 0.75


def test_probe_is_deterministic_and_seeds_draw_different_labels():
    x, y = _separable(features=40, gap=1.0)
    x_test, y_test = _separable(features=40, gap=1.0, seed=1)
    first = pretext.linear_probe(x, y, x_test, y_test, [2], seeds=range(6))
    again = pretext.linear_probe(x, y, x_test, y_test, [2], seeds=range(6))
    assert first == again
    assert len({r["accuracy"] for r in first}) > 1


def test_scale_of_a_feature_does_not_matter():
    x, y = _separable()
    x_test, y_test = _separable(seed=1)
    scale = np.array([1e4, 1, 1e-3, 1, 1, 1])
    plain = pretext.linear_probe(x, y, x_test, y_test, [5], [0, 1])
    scaled = pretext.linear_probe(x * scale, y, x_test * scale, y_test, [5], [0, 1])
    assert [r["accuracy"] for r in plain] == pytest.approx([r["accuracy"] for r in scaled])


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(train_features=np.zeros((3, 2))), "one row per label"),
        (dict(test_features=np.zeros((40, 5))), r"\(M, 6\)"),
        (dict(y_test=np.zeros(3)), "test labels"),
        (dict(C=0.0), "C must be"),
        (dict(label_counts=[50]), "fewer than"),
    ],
)
def test_bad_input_is_named(args, message):
    x, y = _separable()
    call = (
        dict(train_features=x, y_train=y, test_features=x, y_test=y, label_counts=[2], seeds=[0])
        | args
    )
    with pytest.raises(ValueError, match=message):
        pretext.linear_probe(**call)


def test_study_and_ranking_over_unets():
    rng = np.random.default_rng(0)
    x = rng.random((16, 16, 16, 3)).astype(np.float32)
    y = np.repeat([0, 1], 8)
    x[y == 1] *= 0.3  # dark class: mean features separate it
    small = dict(depth=2, base_filters=4)
    arms = {
        "a": models.unet((16, 16, 3), name="a", **small),
        "b": [models.unet((16, 16, 3), name=f"b{i}", **small) for i in range(3)],
    }
    rows = pretext.probe_study(arms, x, y, x, y, [2, 4], seeds=[0, 1, 2], level=1)
    assert len(rows) == 2 * 2 * 3 and {r["method"] for r in rows} == {"a", "b"}
    ranked = pretext.ranking(rows, 4)
    assert [m for m, _ in ranked] == sorted(["a", "b"], key=lambda m: -ranked_mean(ranked, m))
    assert all(stats.mean > 0.9 for _, stats in ranked)
    with pytest.raises(ValueError, match="one per seed"):
        pretext.probe_study({"b": arms["b"][:2]}, x, y, x, y, [2], seeds=[0, 1, 2])
    with pytest.raises(ValueError, match="No runs"):
        pretext.ranking(rows, 7)


def ranked_mean(ranked, method):
    return dict(ranked)[method].mean


def test_vgg16_features_read_a_weights_file_like_the_unet_arms(vgg16_weights_file):
    import keras

    images = np.random.default_rng(0).random((3, 32, 32, 3)).astype(np.float32)
    features = pretext.vgg16_features(images, weights=vgg16_weights_file)
    assert features.shape == (3, 2 * 256) and features.dtype == np.float32
    vgg = keras.applications.VGG16(include_top=False, weights=str(vgg16_weights_file))
    maps = keras.Model(vgg.inputs, vgg.get_layer("block3_conv3").output)(
        keras.applications.vgg16.preprocess_input(images * 255.0)
    )
    np.testing.assert_allclose(features[:, :256], np.mean(maps, axis=(1, 2)), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="no layer 'block9'"):
        pretext.vgg16_features(images, layer="block9", weights=vgg16_weights_file)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        pretext.vgg16_features(images * 255.0, weights=vgg16_weights_file)


def test_published_rotnet_points_are_accuracies_at_rotnets_label_counts():
    published = pretext.ROTNET_CIFAR10
    assert published["counts"] == (20, 100, 400, 1000, 5000)
    for name in ("RotNet (published)", "supervised NIN (published)"):
        assert len(published[name]) == 5 and all(0.3 < a < 0.95 for a in published[name])
    # error rates of the paper: RotNet 35.4 … 8.1, supervised 66.3 … 6.9
    assert published["RotNet (published)"][0] == pytest.approx(1 - 0.354)
    assert published["supervised NIN (published)"][-1] == pytest.approx(1 - 0.069)
