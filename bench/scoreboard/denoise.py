"""Lessons 02-gray and 02-colour — Gaussian denoising on the classical test sets. Notebook 02's
residual U-Net (:func:`ssl_keras.denoising.build_denoiser`, head at zero so it starts as the
identity) trained as ``bench/denoise_bsd68.py`` trains it (MSE on 48² patches, one noise level
σ = 25 as DnCNN-S, cosine learning rate over the time budget), once per seed, each seed with
an equal share of the lesson's minutes. Test noise is additive white Gaussian, not clipped,
drawn per seed; PSNR of the clipped output.

* **02-gray**: trained on the 400 gray ``Train400`` images, scored on BSD68 (the headline)
  and Set12. Anchors BM3D 28.57 and DnCNN-S 29.23 dB on BSD68.
* **02-colour**: trained on real colour photos that are not test images (CamVid train + val
  frames, COCO-mini val2017), scored on Kodak24's 500×500 crops over the RGB channels.
  Anchors CBM3D 32.15 and CDnCNN 32.14 dB.

Baselines on the same noisy images: the noisy input itself and OpenCV's non-local means
(:func:`ssl_keras.baselines.nl_means`, ``h`` from the noise estimate; colour-aware on RGB).
Goals: gray ≥ BM3D; colour within 0.5 dB of CBM3D.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ssl_keras import image_files

from .frame import Context, at_least, deterministic, lesson, rounded, stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ holds denoise_bsd68
import denoise_bsd68  # noqa: E402


@dataclasses.dataclass(frozen=True)
class DenoiseConfig:
    """The recipe of lessons 02-gray / 02-colour (``bench/denoise_bsd68.py``'s defaults).

    ``train_share``: of each seed's equal slice of the budget spent training (every seed trains
    for the same time; the rest is for scoring, and the classical baseline once); ``baseline``:
    the classical denoiser beside it, run once on seed 0's noise.
    """

    sigma: int = 25
    depth: int = 3
    base_filters: int = 32
    patch: int = 48
    batch_size: int = 16
    learning_rate: float = 1e-3
    train_share: float = 0.85
    baseline: str = "nl_means"


STALL_FRACTION = 0.6


def stalled_seeds(seeds: Sequence[int], runs: Sequence[Mapping[str, float]]) -> list[int]:
    """The seeds whose training used the CPU (``cpu_minutes`` / ``minutes``) for less than
    :data:`STALL_FRACTION` of the median seed's share. The budget is wall time, so a seed
    that waited (another process, a stalled machine) trained fewer steps and scores low for
    a reason that is not the recipe's."""
    shares = [run["cpu_minutes"] / max(run["minutes"], 1e-9) for run in runs]
    typical = float(np.median(shares))
    return [
        seed for seed, share in zip(seeds, shares, strict=True) if share < STALL_FRACTION * typical
    ]


# {lesson: (gray, headline test set, other test sets, goal anchor, dB the goal allows below it)}
SETS = {
    "02-gray": (True, "BSD68", ("Set12",), "BM3D", 0.0),
    "02-colour": (False, "Kodak24", (), "CBM3D", 0.5),
}
SOURCES = {
    "BM3D": "Dabov et al. (TIP 2007), as tabulated by DnCNN (Zhang et al., TIP 2017)",
    "DnCNN-S": "Zhang et al. (TIP 2017), one model per σ",
    "CBM3D": "Dabov et al. (ICIP 2007), as tabulated by DPIR (Zhang et al., TPAMI 2021)",
    "CDnCNN": "Zhang et al. (TIP 2017), as tabulated by DPIR",
}
COMPUTE = {
    "BM3D": "no training; block matching at test time",
    "DnCNN-S": "17 layers, trained on 400 images (128×1,600 patches of 40²) for 50 epochs on a GPU",
    "CBM3D": "no training; block matching at test time",
    "CDnCNN": "20 layers, trained on 432 colour BSD images on a GPU",
}


def _files(context: Context, gray: bool, test_names: tuple[str, ...]) -> tuple[list, list]:
    root = context.data / "denoise"
    tests = [root / name for name in test_names]
    train = [root / "Train400"] if gray else denoise_bsd68.colour_train_folders(root)
    for folder in train + tests:
        if not folder.is_dir():
            raise FileNotFoundError(
                f"Lesson 02 needs the folder {str(folder)!r}, which does not exist: put the "
                "samples there or pass --data with another root."
            )
    return denoise_bsd68.training_files(train, tests), train


def denoise_lesson(name: str, context: Context, config: DenoiseConfig | None = None) -> dict:
    """One of the two 02 lessons (``name`` in :data:`SETS`) on the real test sets."""
    config = config or DenoiseConfig()
    gray, headline, others, goal_anchor, margin = SETS[name]
    test_names = (headline, *others)
    train_files, train_folders = _files(context, gray, test_names)
    train = denoise_bsd68.load_images(train_files, gray)
    tests = {
        test: denoise_bsd68.load_images(
            image_files.list_image_files(context.data / "denoise" / test), gray
        )
        for test in test_names
    }
    published = denoise_bsd68.PUBLISHED[headline]
    level = denoise_bsd68.SIGMAS.index(config.sigma)
    budget = context.minutes * 60
    seconds = budget * config.train_share / len(context.seeds)
    print(
        f"{name}: {len(train)} training images, {', '.join(f'{t} {len(v)}' for t, v in tests.items())}"
        f"; {len(context.seeds)} seeds × {seconds / 60:.1f} min of training"
    )
    scores: dict[str, dict[str, list[float]]] = {t: {} for t in test_names}
    runs = []
    for position, seed in enumerate(context.seeds):
        # Every seed trains equally long. (Sharing out what is left instead gave the seed
        # after the classical baseline's slow first scoring a third of the others' steps.)
        model, trained = denoise_bsd68.train_denoiser(
            train,
            (config.sigma, config.sigma),
            seconds,
            seed=seed,
            depth=config.depth,
            base_filters=config.base_filters,
            patch=config.patch,
            batch_size=config.batch_size,
            learning_rate=config.learning_rate,
        )
        runs.append({**trained, "train_seconds": round(seconds, 1)})
        for test, images in tests.items():
            # The classical baseline once (seed 0's noise): over noise draws it moves by
            # hundredths of a dB, and it costs as much as scoring the U-Net.
            baseline = config.baseline if position == 0 else None
            noisy, ours, classical = denoise_bsd68.evaluate(
                model, images, config.sigma, seed, baseline
            )
            scores[test].setdefault("ours", []).append(ours)
            scores[test].setdefault("noisy", []).append(noisy)
            if classical is not None:
                scores[test]["classical"] = [classical]
        print(
            f"{name}: seed {seed}: {trained['steps']} steps, {headline} "
            f"{scores[headline]['ours'][-1]:.2f} dB (noisy {scores[headline]['noisy'][-1]:.2f}, "
            f"{config.baseline} {scores[headline]['classical'][0]:.2f})",
            flush=True,
        )
    stalled = stalled_seeds(context.seeds, runs)
    if stalled:
        print(
            f"{name}: warning: seed(s) {stalled} kept the CPU busy for under "
            f"{STALL_FRACTION:.0%} of the other seeds' share of their training time, so they "
            "trained fewer steps: the machine was not quiet. Rerun on a quiet machine.",
            flush=True,
        )
    ours = stats(scores[headline]["ours"])
    goal_value = published[goal_anchor][level] - margin
    arms = [
        {
            "set": test,
            "arm": arm,
            **rounded(stats(values) if len(values) > 1 else deterministic(values[0])),
        }
        for test, by_arm in scores.items()
        for arm, values in by_arm.items()
    ]
    channels = "gray" if gray else "RGB"
    return {
        "data": {
            "what": f"{channels} AWGN σ {config.sigma} (not clipped), noise seeded per seed",
            "train": {
                "folders": [f"{f.parent.name}/{f.name}" for f in train_folders],
                "images": len(train),
                "dropped": "files inside or byte-equal to a test set",
            },
            "test": {test: len(images) for test, images in tests.items()},
        },
        "ours": {
            "method": f"notebook 02 residual U-Net, depth {config.depth}, base "
            f"{config.base_filters}, MSE, σ {config.sigma} only",
            "metric": f"{headline} PSNR (dB)",
            **ours,
        },
        "baselines": {
            "noisy input": stats(scores[headline]["noisy"]),
            f"{config.baseline} (OpenCV, seed 0's noise)": deterministic(
                scores[headline]["classical"][0]
            ),
        },
        "anchor": {
            "value": published[goal_anchor][level],
            "source": SOURCES[goal_anchor],
            "compute": COMPUTE[goal_anchor],
            "others": {
                method: {"value": values[level], "source": SOURCES.get(method, "")}
                for method, values in published.items()
                if method != goal_anchor
            },
        },
        "details": {
            "arms": arms,
            "goal": at_least(
                "psnr_db",
                goal_value,
                ours["mean"],
                rule=f"≥ {goal_anchor}" + (f" − {margin} dB" if margin else ""),
            ),
            "stalled_seeds": stalled,
            "training": [
                {k: round(v, 4) if isinstance(v, float) else v for k, v in run.items()}
                for run in runs
            ],
            "config": dataclasses.asdict(config),
            "seeds": list(context.seeds),
        },
    }


@lesson("02-gray", "Gaussian denoising σ 25, gray (BSD68, Set12)", needs=("denoise",))
def denoise_gray(context: Context, config: DenoiseConfig | None = None) -> dict:
    """Lesson 02-gray: Train400 → BSD68 (and Set12)."""
    return denoise_lesson("02-gray", context, config)


@lesson(
    "02-colour",
    "Gaussian denoising σ 25, colour (Kodak24)",
    needs=("denoise", "camvid_segnet", "coco_mini"),
)
def denoise_colour(context: Context, config: DenoiseConfig | None = None) -> dict:
    """Lesson 02-colour: CamVid + COCO-mini photos → Kodak24."""
    return denoise_lesson("02-colour", context, config)
