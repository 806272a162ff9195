"""Pretraining the recipe's residual U-Net, saving it with its encoder, and reloading it (or
pretraining it now) where a notebook needs it."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path

import keras
import tensorflow as tf

from ssl_keras import callbacks, image_files, models, paths, runtime, training
from ssl_keras.denoising.data import pool_files, pool_sources, split_pool, training_batches
from ssl_keras.denoising.recipes import ARTIFACTS, Recipe, recipe
from ssl_keras.profiles import Profile


def build_denoiser(chosen: Recipe, channels: int = 3, name: str = "denoiser") -> keras.Model:
    """The residual U-Net of the recipe with its head zeroed: ``(N, H, W, C)`` → same shape,
    starting as the identity. Output unbounded (clip for display). Built inside
    :func:`ssl_keras.runtime.scope`, ready to train under the active strategy."""
    with runtime.scope():
        model = models.unet(
            (None, None, channels),
            depth=chosen.depth,
            base_filters=chosen.base_filters,
            output_channels=channels,
            output_activation=None,
            residual=True,
            name=name,
        )
        head = model.get_layer("head")
        head.kernel.assign(tf.zeros_like(head.kernel))
    return model


def artifacts_folder() -> Path:
    """``artifacts/denoiser/``: ``denoiser.keras``, ``encoder.keras``, ``history.csv``,
    ``recipe.json`` (and ``best.keras``, the checkpoint)."""
    return paths.artifacts_dir(ARTIFACTS)


def optimizer(chosen: Recipe, model: keras.Model) -> keras.optimizers.Optimizer:
    """Adam with a cosine decay of the recipe's learning rate over its steps (down to 5 %),
    created under ``model``'s strategy (what :func:`ssl_keras.training.compile_model` needs)."""
    schedule = keras.optimizers.schedules.CosineDecay(
        chosen.learning_rate, chosen.steps, alpha=0.05
    )
    with runtime.scope(model):
        return keras.optimizers.Adam(schedule)


def compile_denoiser(model: keras.Model, chosen: Recipe) -> keras.Model:
    """Compile ``model`` as notebook 02 does: :func:`optimizer`, the recipe's loss, 4 steps
    per graph call (less Python overhead on small CPU batches). Returns it."""
    return training.compile_model(
        model, optimizer=optimizer(chosen, model), loss=chosen.loss, steps_per_execution=4
    )


def pretrain_denoiser(
    profile: str | Profile | Recipe | None = None,
    folder: str | os.PathLike | None = None,
    seed: int = 0,
    extra_folders: Sequence[str | os.PathLike] = (),
    verbose: bool = True,
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Pretrain the denoiser of the recipe and save it with its encoder into ``folder``: the
    steps of notebook 02 in one call (:func:`split_pool` by :func:`pool_sources`,
    :func:`training_batches`, :func:`build_denoiser`, :func:`compile_denoiser`, ``fit``,
    :func:`save_denoiser`).

    Trains with ``validation_data`` and :func:`ssl_keras.callbacks.standard` (best
    checkpoint ``best.keras``, EarlyStopping and the best weights restored, ``history.csv``),
    then writes ``denoiser.keras``, ``encoder.keras`` (:func:`ssl_keras.models.encoder_from`,
    the bottleneck output) and ``recipe.json``. The model and its optimizer are created
    under :func:`ssl_keras.runtime.scope`; Keras splits each global batch over the replicas.

    Args:
        profile: a profile name / :class:`~ssl_keras.profiles.Profile` (its :func:`recipe`)
            or a :class:`Recipe`.
        folder: where to write (default :func:`artifacts_folder`).
        seed: seeds the pool split, crops, noise and the initial weights.
        extra_folders: more unlabeled image folders for the pool.
        verbose: print one line per epoch (the restored epoch is always printed).

    Returns:
        The trained model (best validation loss) and its history dict.
    """
    chosen = profile if isinstance(profile, Recipe) else recipe(profile)
    folder = Path(folder) if folder is not None else artifacts_folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "history.csv").unlink(missing_ok=True)
    files = pool_files(chosen, extra_folders)
    splits = split_pool(files, chosen.n_val, chosen.n_test, seed, pool_sources(files))
    train, val = training_batches(splits, chosen, seed)
    keras.utils.set_random_seed(seed)
    model = compile_denoiser(build_denoiser(chosen), chosen)
    chosen_callbacks = callbacks.standard(folder, patience=chosen.patience)
    if not verbose:
        chosen_callbacks = [c for c in chosen_callbacks if not isinstance(c, callbacks.EpochLog)]
    with image_files.naming_bad_files():
        history = model.fit(
            train,
            validation_data=val,
            epochs=chosen.epochs,
            steps_per_epoch=chosen.steps_per_epoch,
            callbacks=chosen_callbacks,
            verbose=0,
        )
    save_denoiser(model, folder, chosen)
    return model, history.history


def save_denoiser(model: keras.Model, folder: str | os.PathLike, chosen: Recipe) -> None:
    """Write ``denoiser.keras``, ``encoder.keras`` and ``recipe.json`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "denoiser.keras")
    models.encoder_from(model).save(folder / "encoder.keras")
    (folder / "recipe.json").write_text(
        json.dumps(dataclasses.asdict(chosen), indent=1) + "\n", encoding="utf-8"
    )


def read_history(folder: str | os.PathLike | None = None) -> dict[str, list[float]]:
    """The ``history.csv`` of a pretraining run as ``{column: values}`` (epoch excluded)."""
    path = Path(folder or artifacts_folder()) / "history.csv"
    if not path.is_file():
        raise FileNotFoundError(f"No training history at {str(path)!r}; run pretraining first.")
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        rows = list(reader)
    return {key: [float(row[key]) for row in rows] for key in reader.fieldnames if key != "epoch"}


def load_or_pretrain(
    profile: str | Profile | None = None,
    folder: str | os.PathLike | None = None,
    seed: int = 0,
    quick: bool = True,
) -> keras.Model:
    """The pretrained denoiser: loaded from ``folder`` when it holds one made with this
    profile's recipe, else pretrained now through :func:`pretrain_denoiser` (quietly).

    Lets notebooks 03, 04 and later run on their own (e.g. on a fresh Colab VM) when
    notebook 02 has not been run. ``quick=True`` accepts a stored denoiser of the full
    recipe or of the quick one (:func:`recipe` with ``quick=True``: :data:`QUICK_STEPS`
    steps, same architecture), and trains the quick one when neither is there;
    ``quick=False`` insists on notebook 02's recipe. In smoke both are the same recipe.
    Prints one line saying what happened and, for the quick recipe, how to get the full one
    (run notebook 02, or keep ``artifacts/`` on Drive with ``SSL_KERAS_HOME``); when it
    trains, the fit's line saying which epoch's weights it restored comes first.
    """
    standard = recipe(profile)
    fallback = recipe(profile, quick=True) if quick else standard
    folder = Path(folder) if folder is not None else artifacts_folder()
    stored = folder / "recipe.json"
    if (folder / "denoiser.keras").is_file() and stored.is_file():
        try:
            found = json.loads(stored.read_text(encoding="utf-8"))
        except ValueError:
            found = None
        for accepted in dict.fromkeys((standard, fallback)):
            if found == dataclasses.asdict(accepted):
                with runtime.scope():  # like a freshly trained one: under the active strategy
                    model = keras.models.load_model(folder / "denoiser.keras")
                print(
                    f"Loaded the pretrained denoiser ({_describe(accepted, standard)}) "
                    f"from {_show(folder)}.{_how_to_get(accepted, standard)}"
                )
                return model
    model, _ = pretrain_denoiser(fallback, folder, seed=seed, verbose=False)
    how = "notebook 02's recipe" if fallback == standard else f"the {_describe(fallback, standard)}"
    print(
        f"No pretrained {standard.profile} denoiser in {_show(folder)}: pretrained it now with "
        f"{how} and saved it there.{_how_to_get(fallback, standard)}"
    )
    return model


def _describe(chosen: Recipe, standard: Recipe) -> str:
    if chosen == standard:
        return f"{chosen.profile} recipe"
    return (
        f"quick {chosen.profile} recipe: {chosen.steps:,} of notebook 02's {standard.steps:,} steps"
    )


def _how_to_get(chosen: Recipe, standard: Recipe) -> str:
    if chosen == standard:
        return ""
    return (
        " For the full recipe run notebook 02 (keep artifacts/ on Drive with SSL_KERAS_HOME "
        "to reuse it on new VMs) or call load_or_pretrain(..., quick=False)."
    )


def _show(folder: Path) -> str:
    try:
        return str(folder.resolve().relative_to(paths.root()))
    except ValueError:
        return str(folder)
