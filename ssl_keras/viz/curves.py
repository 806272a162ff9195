"""Curves and intervals: metric against noise level, training curves (one run or
consecutive stages), label efficiency with interval bands, and mean ± interval per label.

Every function returns the Matplotlib figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def level_plot(
    levels: Sequence[float],
    curves: Mapping[str, Sequence[float]],
    xlabel: str,
    ylabel: str,
    title: str | None = None,
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """Lines of a metric (e.g. PSNR in dB) against a noise level, one per label in ``curves``."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.5, 3.4))
    else:
        fig = ax.figure
    for label, values in curves.items():
        if len(values) != len(levels):
            raise ValueError(f"curve {label!r} has {len(values)} values for {len(levels)} levels.")
        ax.plot(levels, values, marker="o", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def noise_levels_figure(
    levels: Mapping[str, Sequence[float]],
    psnr: Mapping[str, Sequence[float]],
    ssim: Mapping[str, Sequence[float]],
    level_labels: Mapping[str, str],
) -> plt.Figure:
    """PSNR and SSIM of noisy vs clean against the level, one panel pair per noise type."""
    kinds = list(levels)
    fig, axes = plt.subplots(2, len(kinds), figsize=(3.6 * len(kinds), 6.0), squeeze=False)
    for c, kind in enumerate(kinds):
        for r, (name, values, unit) in enumerate((("PSNR", psnr, " (dB)"), ("SSIM", ssim, ""))):
            ax = axes[r, c]
            ax.plot(levels[kind], values[kind], marker="o")
            ax.set_xlabel(level_labels[kind])
            ax.set_ylabel(name + unit)
            ax.grid(alpha=0.3)
            if levels[kind][0] > levels[kind][-1]:
                ax.invert_xaxis()  # noise grows to the right in every panel
            if r == 0:
                ax.set_title(kind.replace("_", " "))
    fig.suptitle("Noisy vs clean: quality falls as the noise level rises")
    fig.tight_layout()
    return fig


def training_curves(
    history, metrics: Sequence[str] = ("loss",), title: str | None = None
) -> plt.Figure:
    """Training and validation curves from a Keras ``History`` (or its ``history`` dict)."""
    logs = getattr(history, "history", history)
    missing = [m for m in metrics if m not in logs]
    if missing:
        raise ValueError(f"History has no {missing}; it has {sorted(logs)}.")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        epochs = np.arange(1, len(logs[metric]) + 1)
        ax.plot(epochs, logs[metric], marker="o", label="train")
        if f"val_{metric}" in logs:
            ax.plot(epochs, logs[f"val_{metric}"], marker="o", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def stage_curves(
    histories: Mapping[str, object], metrics: Sequence[str] = ("loss",), title: str | None = None
) -> plt.Figure:
    """Training and validation curves of consecutive training stages on one epoch axis.

    ``histories`` maps a stage label (e.g. ``"stage 1 (frozen)"``) to a Keras ``History`` (or
    its ``history`` dict), in training order; a dotted line marks where each stage begins.
    """
    if not histories:
        raise ValueError("histories is empty: pass {'stage label': history}.")
    logs = {label: getattr(h, "history", h) for label, h in histories.items()}
    for label, log in logs.items():
        missing = [m for m in metrics if m not in log]
        if missing:
            raise ValueError(f"History {label!r} has no {missing}; it has {sorted(log)}.")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.8 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        start = 0
        for i, (label, log) in enumerate(logs.items()):
            epochs = np.arange(start + 1, start + len(log[metric]) + 1)
            color = plt.rcParams["axes.prop_cycle"].by_key()["color"][i % 10]
            ax.plot(epochs, log[metric], color=color, label=f"{label}: train")
            if f"val_{metric}" in log:
                ax.plot(
                    epochs,
                    log[f"val_{metric}"],
                    color=color,
                    linestyle="--",
                    label=f"{label}: validation",
                )
            if start:
                ax.axvline(start + 0.5, color="gray", linestyle=":")
            start += len(log[metric])
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def label_efficiency_bands(
    summary: Mapping[str, Mapping[str, Sequence[float]]],
    chance: float | None = 0.5,
    title: str | None = "Label efficiency",
    ylabel: str = "balanced test accuracy",
) -> plt.Figure:
    """Score against labeled images per class, one line per method with a shaded band of
    the 95 % interval of the mean over seeds; ``summary`` is
    :func:`ssl_keras.transfer.summarize`'s output (``"counts"``, ``"mean"``, ``"half"``).
    A method measured at one label count shows as a point with an error bar."""
    if not summary:
        raise ValueError("summary is empty: run the label-efficiency study first.")
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    for method, values in summary.items():
        counts = np.asarray(values["counts"], np.float64)
        mean = np.asarray(values["mean"], np.float64)
        half = np.asarray(values["half"], np.float64)
        (line,) = ax.plot(counts, mean, marker="o", label=method)
        if len(counts) > 1:
            ax.fill_between(counts, mean - half, mean + half, color=line.get_color(), alpha=0.2)
        else:
            ax.errorbar(counts, mean, yerr=half, color=line.get_color(), capsize=4)
    if chance is not None:
        ax.axhline(chance, color="gray", linestyle=":", label="chance")
    ax.set_xscale("log")
    counts = sorted({c for values in summary.values() for c in values["counts"]})
    ax.set_xticks(counts, [str(c) for c in counts])
    ax.minorticks_off()
    ax.set_xlabel("labeled images per class")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def interval_plot(
    labels: Sequence[str],
    arms: Mapping[str, Sequence],
    ylabel: str,
    title: str | None = None,
    chance: float | None = None,
    connect: bool = True,
) -> plt.Figure:
    """Mean ± 95 % interval over seeds at each label (e.g. encoder level), one series per arm.

    ``arms`` maps an arm name to one :class:`ssl_keras.report.SeedStats` per label; the
    title gets a second line saying how many seeds the intervals are over. ``connect=False``
    draws points only, for labels that are categories rather than an ordered axis.
    """
    if not arms:
        raise ValueError("arms is empty: pass {'arm': [SeedStats per label]}.")
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    positions = np.arange(len(labels), dtype=np.float64)
    offsets = np.linspace(-0.08, 0.08, len(arms)) if len(arms) > 1 else [0.0]
    for offset, (arm, stats) in zip(offsets, arms.items(), strict=True):
        if len(stats) != len(labels):
            raise ValueError(f"arm {arm!r} has {len(stats)} entries for {len(labels)} labels.")
        ax.errorbar(
            positions + offset,
            [s.mean for s in stats],
            yerr=[s.half for s in stats],
            marker="o",
            linestyle="-" if connect else "none",
            capsize=4,
            label=arm,
        )
    if chance is not None:
        ax.axhline(chance, color="gray", linestyle=":", label="chance")
    ax.set_xticks(positions, list(labels))
    ax.set_ylabel(ylabel)
    seeds = sorted({s.n for stats in arms.values() for s in stats})
    spread = f"mean ± 95 % interval over {'/'.join(map(str, seeds))} seeds"
    ax.set_title(f"{title}\n{spread}" if title else spread, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig
