"""Lesson 06 — anomaly pretext on MVTec AD grid at 256 px. Notebook 06's recipe (CutPaste-style
3-way pretext, ``anomaly.train_pretext`` with early stopping on held-out good images,
Gaussian on max-pooled ``enc3``/``bottleneck`` embeddings, patch Gaussian for the maps) on
the real 1024² gray ``grid`` images and masks resized to 256 px. The pretext trains on
seeded 64² tiles of the good images (16 per image, 16 times cheaper a step than whole
256 px images); every score and map is computed on whole 256 px images. Image and pixel
AUROC per seed (split, tiles, weights, pretext stream) beside the same scorers on the
untrained encoder (the pretext model's initial weights) and the mean absolute deviation
from the mean good image.
"""

from __future__ import annotations

import dataclasses
import time

import keras
import numpy as np

from ssl_keras import callbacks, report

from .frame import (
    Context,
    Deadline,
    at_least,
    lesson,
    rounded,
    stats,
)


@dataclasses.dataclass(frozen=True)
class GridConfig:
    """The recipe of lesson 06 (notebook 06's calls, parameters and smoke-profile network) at
    ``size`` px.

    ``size``: the 1024² images and masks are resized to it (not 64 px: a thin grid defect
    vanishes there), and every score and map is computed on whole ``size`` px images.
    ``tile``: the pretext task trains on ``tiles_per_image`` seeded ``tile``² crops of each
    good image (the encoder is fully convolutional): 64² tiles of 256 px images cost a
    sixteenth of a whole image a step, so a CPU budget buys many more steps; ``None``
    trains on whole images.
    ``train_share``: share of the time left given to each seed's pretext training (the rest
    loads and scores), stopped by early stopping or by that share.
    """

    category: str = "grid"
    size: int = 256
    holdout: float = 0.2
    depth: int = 3
    base_filters: int = 16
    epochs: int = 20
    patience: int = 4
    steps_per_epoch: int = 40
    batch_size: int = 16
    learning_rate: float = 1e-3
    levels: tuple[str, ...] = ("enc3", "bottleneck")
    pooling: str = "max"
    patch_level: str = "enc3"
    tile: int | None = 64
    tiles_per_image: int = 16
    train_share: float = 0.7
    goal: float = 0.90


def random_tiles(images, tile: int, per_image: int, seed: int = 0) -> np.ndarray:
    """``per_image`` seeded random ``tile``² crops of each image: float32 ``(N, H, W, C)`` →
    ``(N * per_image, tile, tile, C)``, image by image. Raises ``ValueError`` when ``tile``
    exceeds the images' sides."""
    images = np.asarray(images, np.float32)
    if images.ndim != 4:
        raise ValueError(f"images must be (N, H, W, C), got shape {images.shape}.")
    height, width = images.shape[1:3]
    if not 1 <= tile <= min(height, width) or per_image < 1:
        raise ValueError(
            f"tile must be in [1, {min(height, width)}] for {height}x{width} images and "
            f"per_image ≥ 1, got tile={tile}, per_image={per_image}."
        )
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, height - tile + 1, (len(images), per_image))
    cols = rng.integers(0, width - tile + 1, (len(images), per_image))
    return np.stack(
        [
            image[r : r + tile, c : c + tile]
            for image, image_rows, image_cols in zip(images, rows, cols, strict=True)
            for r, c in zip(image_rows, image_cols, strict=True)
        ]
    )


def mean_deviation_scores(train, test) -> tuple[np.ndarray, np.ndarray]:
    """The trivial detector: how far each test image is from the mean good image.

    ``train``, ``test``: float32 ``(N, H, W, C)`` in [0, 1]. Returns the image scores, the
    mean absolute deviation float32 ``(M,)``, and the per-pixel deviation maps ``(M, H, W)``
    (channel mean), larger = more anomalous."""
    train, test = np.asarray(train, np.float32), np.asarray(test, np.float32)
    if train.ndim != 4 or test.ndim != 4 or train.shape[1:] != test.shape[1:]:
        raise ValueError(
            f"train {train.shape} and test {test.shape} must be (N, H, W, C) of one size."
        )
    maps = np.abs(test - train.mean(axis=0)).mean(axis=-1)
    return maps.mean(axis=(1, 2)), maps


def _density_aurocs(model: keras.Model, data, config: GridConfig, seed: int) -> dict[str, float]:
    """Notebook 06's scoring of one encoder: Gaussian on max-pooled embeddings (image AUROC)
    and on patch embeddings (pixel AUROC), each defect type's image AUROC too."""
    from ssl_keras import anomaly

    density = anomaly.GaussianDensity().fit(
        anomaly.embed(model, data.train, config.levels, config.pooling)
    )
    scores = density.score(anomaly.embed(model, data.test, config.levels, config.pooling))
    aurocs = anomaly.auroc_by_defect(scores, data.labels, data.defect_types)
    patch_density = anomaly.fit_patch_density(
        anomaly.patch_features(model, data.train, config.patch_level), seed=seed
    )
    maps = anomaly.anomaly_maps(
        patch_density, anomaly.patch_features(model, data.test, config.patch_level), config.size
    )
    return {
        "image": aurocs.pop("overall"),
        "pixel": anomaly.pixel_auroc(maps, data.masks),
        **{f"image, {kind}": value for kind, value in aurocs.items()},
    }


@lesson("06", "anomaly pretext on MVTec AD grid at 256 px", needs=("mvtec_ad",))
def mvtec_grid(context: Context, config: GridConfig | None = None) -> dict:
    """Notebook 06's recipe on the real MVTec AD ``grid`` sample, resized to 256 px."""
    from ssl_keras import anomaly

    config = config or GridConfig()
    root = context.data / "mvtec_ad"
    if not (root / config.category / "train" / "good").is_dir():
        raise FileNotFoundError(
            f"Lesson 06 needs {str(root / config.category / 'train' / 'good')!r}: put the "
            "MVTec AD category there (train/good, test/<defect>, ground_truth/<defect>)."
        )
    start = time.perf_counter()
    arms: dict[str, dict[str, list[float]]] = {"pretext": {}, "untrained": {}, "trivial": {}}
    restored, used = [], []
    for index, seed in enumerate(context.seeds):
        left = context.minutes * 60 - (time.perf_counter() - start)
        seconds = max(1.0, config.train_share * left / (len(context.seeds) - index))
        # The seed sets the held-out split, the tiles, the initial weights and the pretext
        # stream.
        data = anomaly.load_category(
            root, config.category, config.size, holdout=config.holdout, seed=seed
        )
        print(f"06: seed {seed}: {data.describe()}; pretext training ≤ {seconds:.0f} s")
        if config.tile is None:
            pretext_data = data
        else:
            pretext_data = data._replace(
                train=random_tiles(data.train, config.tile, config.tiles_per_image, seed),
                holdout=random_tiles(data.holdout, config.tile, 4, seed + 1),
            )
        keras.utils.set_random_seed(seed)
        shape = (None, None, 3)  # tiles to train on, whole images to score
        # The untrained arm is the pretext model's own initial state.
        untrained = anomaly.pretext_model(
            shape, depth=config.depth, base_filters=config.base_filters
        )
        results = {"untrained": _density_aurocs(untrained, data, config, seed)}
        keras.utils.set_random_seed(seed)
        model = anomaly.pretext_model(shape, depth=config.depth, base_filters=config.base_filters)
        fitted = callbacks.standard(
            context.workdir / f"grid_seed{seed}", patience=config.patience, log_every=2
        )
        history = anomaly.train_pretext(
            model,
            pretext_data,
            epochs=config.epochs,
            steps_per_epoch=config.steps_per_epoch,
            batch_size=config.batch_size,
            learning_rate=config.learning_rate,
            seed=seed,
            callbacks=[*fitted, Deadline(seconds)],
        )
        best = fitted[-1]
        restored.append(f"{best.restored_epoch}/{len(history.history['loss'])}")
        logs = history.history
        used.append(
            {
                "seed": seed,
                "budget_s": round(seconds, 1),
                "steps": int(model.optimizer.iterations.numpy()),
                "pretext_val_accuracy": float(
                    logs["val_accuracy"][int(np.argmin(logs["val_loss"]))]
                ),
            }
        )
        results["pretext"] = _density_aurocs(model, data, config, seed)
        scores, maps = mean_deviation_scores(data.train, data.test)
        results["trivial"] = {
            "image": anomaly.image_auroc(scores, data.labels),
            "pixel": anomaly.pixel_auroc(maps, data.masks),
        }
        for arm, values in results.items():
            for metric, value in values.items():
                arms[arm].setdefault(metric, []).append(value)
    names = {
        "pretext": "CutPaste 3-way pretext encoder + Gaussian",
        "untrained": "untrained (random init) encoder + Gaussian",
        "trivial": "mean |deviation| from the mean good image",
    }
    table = [
        {"arm": names[arm], "AUROC": metric, **rounded(stats(values))}
        for arm, by_metric in arms.items()
        for metric, values in by_metric.items()
    ]
    ours = stats(arms["pretext"]["image"])
    goal = at_least("image_auroc", config.goal, ours["mean"])
    verdict = "met" if goal["met"] else f"missed by {goal['short_by']:.3f}"
    print(f"06: goal image AUROC ≥ {config.goal:.2f}: {verdict} (mean {ours['mean']:.3f})")
    return {
        "data": {
            "what": f"MVTec AD {config.category} (real, 1024² gray PNG) resized to "
            f"{config.size} px, masks too",
            "train_good": len(data.train) + len(data.holdout),
            "held_out_good_per_seed": len(data.holdout),
            "test_good": int((data.labels == 0).sum()),
            "test_defect": int(data.labels.sum()),
            "pretext_trained_on": "whole images"
            if config.tile is None
            else f"{config.tiles_per_image} random {config.tile}² tiles per good image",
        },
        "ours": {"method": names["pretext"], "metric": "image AUROC", **ours},
        "baselines": {
            f"{names[arm]}, {metric} AUROC": stats(arms[arm][metric])
            for arm in ("untrained", "trivial")
            for metric in ("image", "pixel")
        },
        "anchor": {
            "value": 0.999,
            "source": "Li et al., CVPR 2021, CutPaste (3-way), image AUROC on MVTec AD grid",
            "compute": "ResNet-18 trained from scratch (no ImageNet) on the 264 train/good "
            "grid images at 256 px, on a GPU",
        },
        "details": {
            "arms": table,
            "separation": {
                "pretext vs untrained, image AUROC": report.separation(
                    arms["pretext"]["image"], arms["untrained"]["image"]
                ),
                "pretext vs untrained, pixel AUROC": report.separation(
                    arms["pretext"]["pixel"], arms["untrained"]["pixel"]
                ),
                "pretext vs trivial, image AUROC": report.separation(
                    arms["pretext"]["image"], arms["trivial"]["image"]
                ),
            },
            "restored_epoch_of_epochs_run": {"pretext": restored},
            "goal": goal,
            "training": used,
            "recipe": dataclasses.asdict(config),
            "seeds": list(context.seeds),
        },
    }
