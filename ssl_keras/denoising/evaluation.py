"""A denoiser applied to images of any size, and scored (PSNR/SSIM) against the noisy input
and the classical denoisers on held-out images."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence

import keras
import numpy as np

from ssl_keras import baselines, image_files, metrics, noise, pipelines
from ssl_keras.denoising.recipes import NOISE_LEVELS


def apply_denoiser(
    model: keras.Model, images, batch_size: int = 16
) -> np.ndarray | list[np.ndarray]:
    """Run a denoiser on float images in [0, 1]; float32 output clipped to [0, 1].

    ``images``: a batch ``(N, H, W, C)`` (one array out), or a list of ``(H, W, C)`` images
    of any sizes, e.g. portrait and landscape photos (a list out, one prediction each). ``C``
    is the model's channels (1 gray, 3 RGB). Values outside [0, 1] (unclipped noise) are fed
    as they are.
    """
    if isinstance(images, (list, tuple)):
        return [
            apply_denoiser(model, _one_image(image, k)[None], batch_size)[0]
            for k, image in enumerate(images)
        ]
    array = np.asarray(images, np.float32)
    if array.ndim != 4:
        raise ValueError(
            f"images must be a batch (N, H, W, C) or a list of (H, W, C) images, got shape "
            f"{array.shape}."
        )
    return np.clip(pipelines.predict(model, array, batch_size), 0.0, 1.0)


def _one_image(image, index: int) -> np.ndarray:
    array = np.asarray(image, np.float32)
    if array.ndim != 3:
        raise ValueError(f"Image {index} of the list must be (H, W, C), got shape {array.shape}.")
    return array


@dataclasses.dataclass
class Evaluation:
    """Scores and images of :func:`evaluate`.

    ``rows``: one dict per (noise, method) with mean ``psnr`` (dB) and ``ssim`` over the
    images; ``images[noise][method]``: the outputs (``"noisy input"`` included), one
    ``(N, H, W, C)`` array when the images share one size, else a list of ``(H, W, C)``.
    """

    rows: list[dict[str, object]]
    images: dict[str, dict[str, np.ndarray | list[np.ndarray]]]

    def score(self, noise_kind: str, method: str, metric: str = "psnr") -> float:
        for row in self.rows:
            if row["noise"] == noise_kind and row["method"] == method:
                return float(row[metric])
        raise ValueError(f"No score for noise {noise_kind!r} and method {method!r}.")

    def best_classical(self, noise_kind: str, metric: str = "psnr") -> str:
        """Name of the best classical denoiser for ``noise_kind``."""
        candidates = [
            row
            for row in self.rows
            if row["noise"] == noise_kind and row["method"] in baselines.DENOISERS
        ]
        if not candidates:
            raise ValueError(f"No classical denoiser was evaluated on {noise_kind!r}.")
        return str(max(candidates, key=lambda row: row[metric])["method"])


def evaluate(
    model: keras.Model,
    clean,
    levels: Mapping[str, float] = NOISE_LEVELS,
    methods: Sequence[str] = tuple(baselines.DENOISERS),
    seed: int = 0,
    label: str = "U-Net",
) -> Evaluation:
    """PSNR/SSIM on held-out images: noisy input vs each classical baseline vs the model.

    Args:
        model: a denoiser (its output is clipped to [0, 1]), gray (1 channel) or RGB.
        clean: float32 images in [0, 1], at least 11 px a side (SSIM window): a batch
            ``(N, H, W, C)``, a list of ``(H, W, C)`` images of any sizes (portrait and
            landscape), or a folder of image files (TIFF included), read in RGB, or gray when
            the model takes one channel. Images of one size are noised and scored as one
            batch; images of several sizes one by one (image ``k``'s noise seeded with
            ``(seed, k)``). Scores are means over the images.
        levels: ``{noise name: level}`` (default Gaussian σ=25/255, salt-and-pepper 5 %).
        methods: names from :data:`ssl_keras.baselines.DENOISERS`.
        seed: seeds the noise (the same noisy images for every method).
        label: the model's name in the table.
    """
    unknown = [m for m in methods if m not in baselines.DENOISERS]
    if unknown:
        raise ValueError(f"Unknown methods {unknown}; use names of {list(baselines.DENOISERS)}.")
    clean = _clean_images(clean, model)
    rows: list[dict[str, object]] = []
    images: dict[str, dict[str, np.ndarray | list[np.ndarray]]] = {}
    for kind, level in levels.items():
        if isinstance(clean, np.ndarray):
            noisy = noise.add_noise(clean, kind, level, seed=seed).numpy()
            outputs = {"noisy input": noisy}
            outputs.update({m: baselines.denoise(noisy, m) for m in methods})
        else:
            noisy = [
                noise.add_noise(x, kind, level, seed=(seed, k)).numpy() for k, x in enumerate(clean)
            ]
            outputs = {"noisy input": noisy}
            outputs.update({m: [baselines.denoise(x, m) for x in noisy] for m in methods})
        outputs[label] = apply_denoiser(model, noisy)
        images[kind] = outputs
        for method, output in outputs.items():
            rows.append({"noise": kind, "method": method, **_quality(output, clean)})
    return Evaluation(rows, images)


def _clean_images(clean, model: keras.Model) -> np.ndarray | list[np.ndarray]:
    """``clean`` as one ``(N, H, W, C)`` array when all images share a shape, else a list.

    Files of a folder too small to score (SSIM's 11×11 window) raise ``ValueError`` naming
    the file, before any noise or model runs."""
    if isinstance(clean, (str, os.PathLike)):
        from ssl_keras.datasets import denoise_sets

        gray = model.input_shape[-1] == 1
        files = image_files.list_image_files(clean)
        clean = [image_files.load_image(file) for file in files]
        for file, image in zip(files, clean, strict=True):
            if min(image.shape[:2]) < metrics.SSIM_MIN_SIDE:
                raise ValueError(
                    f"Image file {file!r} is {image.shape[1]}x{image.shape[0]} px; scoring "
                    f"needs at least {metrics.SSIM_MIN_SIDE} px a side (SSIM's window). Remove it or "
                    "evaluate on larger images."
                )
        clean = [(denoise_sets.to_gray(image) if gray else image).numpy() for image in clean]
    if isinstance(clean, (list, tuple)):
        clean = [_one_image(image, k) for k, image in enumerate(clean)]
        if not clean:
            raise ValueError("clean is an empty list: there is nothing to evaluate.")
        if len({image.shape for image in clean}) > 1:
            return clean
    clean = np.asarray(clean, np.float32)
    if clean.ndim != 4:
        raise ValueError(
            f"clean must be a batch (N, H, W, C), a list of (H, W, C) images or a folder, got "
            f"shape {clean.shape}."
        )
    return clean


def _quality(output, clean) -> dict[str, float]:
    """Mean PSNR and SSIM over the images of a batch or of a list of images."""
    if isinstance(clean, np.ndarray):
        return metrics.quality(output, clean)
    scores = [metrics.quality(o[None], c[None]) for o, c in zip(output, clean, strict=True)]
    return {key: float(np.mean([score[key] for score in scores])) for key in ("psnr", "ssim")}
