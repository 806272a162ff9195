"""Self-supervised denoising pretraining: the recipe that notebooks 02, 03 and 04 share.

The pretext task: add noise to unlabeled images and train a U-Net to remove it; the clean
image is the label, so no annotation is needed. The encoder that learns to tell image
structure from noise is then reused where labels are scarce (notebook 04).

>>> from ssl_keras import denoising
>>> denoiser = denoising.load_or_pretrain("smoke")   # artifacts/denoiser/, or trains it
>>> encoder = keras.models.load_model(denoising.artifacts_folder() / "encoder.keras")

Choices, and why:

* **Unlabeled pool** — smoke: random crops of scikit-image's photographs (natural textures
  and edges) plus the toy-pets unlabeled pool (the domain of the cat-vs-turtle task in 04),
  both generated offline; full: the 5,000 real photographs of COCO val2017 (downloaded once,
  annotations never read). :func:`pool_files` is the one place that decides.
* **Held-out test by source** — crops of one photograph share its content, so
  :func:`split_pool` keeps each source (:func:`pool_sources`: a crop's photograph, any other
  file itself) in one split; the test photographs give no training or validation crop.
* **Noise** — generated on the fly in ``tf.data``, a new draw every time an image is seen:
  ``"mixed"`` gives each image Gaussian noise (σ = 25/255) or salt-and-pepper noise (5 %),
  so one blind model handles both (:data:`NOISE_LEVELS`).
* **Residual U-Net** — the model predicts a correction that is added to its input (as
  DnCNN does), and the 1×1 head starts at zero, so training starts from the identity (the
  noisy PSNR) instead of from a random image. The output is unbounded; clip it to [0, 1]
  for display and metrics (:func:`apply_denoiser` does).
* **Small random crops** — training on ``patch_size`` crops (half the image side in smoke)
  buys four times as many optimizer steps for the same pixels; on a CPU budget more steps
  beat bigger batches. Convolutions do not care: the model is evaluated on whole images.
* **Mixed noise** — half of the images get Gaussian noise, half salt-and-pepper noise
  (``gaussian_share`` shifts the balance: more Gaussian helps Gaussian and costs
  salt-and-pepper PSNR, about 0.3 dB against 2 dB at a two-thirds share in smoke).
* **L1 loss** (mean absolute error) — with squared error the few huge salt-and-pepper
  errors dominate the gradient; L1 weighs every pixel alike (restoration networks such as
  EDSR train with L1 for the same reason). Adam with cosine learning-rate decay.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import (
    baselines,
    callbacks,
    image_files,
    metrics,
    models,
    noise,
    paths,
    pipelines,
    resizing,
    runtime,
    training,
)
from ssl_keras.profiles import Profile, get_profile

NOISE_LEVELS: dict[str, float] = {"gaussian": 25 / 255, "salt_and_pepper": 0.05}
"""The two noise types of the study at their reference levels (σ, fraction of pixels)."""

ARTIFACTS = "denoiser"
FILES = ("denoiser.keras", "encoder.keras", "history.csv", "recipe.json")

POOLS = ("generated", "coco_val2017")
"""Unlabeled pools of :func:`pool_files`: photo crops + toy pets generated offline, or COCO
val2017's photographs (downloaded)."""

QUICK_STEPS = 2_000
"""Step budget of the quick recipe (``recipe(profile, quick=True)``) that
:func:`load_or_pretrain` trains when no denoiser is stored."""


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Everything that determines a pretrained denoiser (stored beside it as ``recipe.json``)."""

    profile: str
    image_size: int  # side of the pool images and of evaluation inputs
    patch_size: int  # side of the random training crops
    base_filters: int
    depth: int
    batch_size: int  # global: the profile's per-replica batch × replicas of the strategy
    steps: int  # optimizer steps in all (the budget)
    epochs: int  # validation / checkpoint points; steps_per_epoch = steps // epochs
    learning_rate: float  # peak of the cosine decay
    patience: int  # EarlyStopping patience in epochs
    n_photo_crops: int  # natural-photo crops in a "generated" pool
    n_unlabeled: int  # toy-pets unlabeled images in a "generated" pool
    n_val: int
    n_test: int
    noise: str = "mixed"  # "mixed" or one name of NOISE_LEVELS
    gaussian_share: float = 0.5  # of the images in "mixed" batches; the rest salt-and-pepper
    loss: str = "mae"
    pool: str = "generated"  # one of POOLS

    @property
    def steps_per_epoch(self) -> int:
        return max(1, self.steps // self.epochs)


def recipe(profile: str | Profile | None = None, quick: bool = False) -> Recipe:
    """The pretraining recipe for a profile (``None``: the active one).

    smoke (2-core CPU, ≈ 2 minutes): generated pool, 64-px images, 32-px crops, 1200 steps
    of 16 crops, 96 held-out test images (the crops of about two photographs + toy pets). full (GPU): COCO val2017 (4,000 train / 500 val / 500 test images) at
    128 px, 64-px crops, 20 000 steps of 32 crops.
    The batch is per replica: under a strategy with several replicas (see
    :func:`ssl_keras.runtime.setup`) ``batch_size`` is that many times larger.

    ``quick=True``: the same recipe cut to :data:`QUICK_STEPS` steps (and at most 10
    epochs), what :func:`load_or_pretrain` trains when no denoiser is stored; the same
    architecture, so every encoder cut and head of notebooks 03-05 fits it. A recipe that is
    already that short (smoke) is returned unchanged.
    """
    chosen = get_profile(profile)
    standard = _recipe(chosen)
    if not quick or standard.steps <= QUICK_STEPS:
        return standard
    return dataclasses.replace(standard, steps=QUICK_STEPS, epochs=min(standard.epochs, 10))


def _recipe(chosen: Profile) -> Recipe:
    common = dict(
        profile=chosen.name,
        image_size=chosen.image_size,
        patch_size=chosen.image_size // 2,
        base_filters=chosen.base_filters,
        depth=chosen.depth,
        batch_size=chosen.batch_size * runtime.replicas(),
        n_val=chosen.n_val,
    )
    if chosen.name == "smoke":
        return Recipe(
            **common,
            steps=1200,
            epochs=8,
            learning_rate=2e-3,
            patience=3,
            n_photo_crops=256,
            n_unlabeled=512,
            n_test=96,
        )
    # COCO val2017 has 5,000 photos: keep 4,000 of them for training.
    return Recipe(
        **{**common, "n_val": min(chosen.n_val, 500)},
        n_test=min(chosen.n_test, 500),
        steps=20_000,
        epochs=chosen.epochs,
        learning_rate=1e-3,
        patience=8,
        n_photo_crops=0,
        n_unlabeled=0,
        pool="coco_val2017",
    )


def toy_pets_root(
    profile: str | Profile | None = None, size: int | None = None, n_unlabeled: int | None = None
) -> Path:
    """Generate (once) the toy cat-vs-turtle set the notebooks share and return its root.

    ``<data>/synthetic/toy_pets/{train,test}/{cat,turtle}/`` and ``unlabeled/``: smoke has 64
    training and 100 test images per class and a 512-image unlabeled pool at 64 px; full has
    1000 / 500 per class and ``profile.n_train`` unlabeled at 128 px. ``size`` and
    ``n_unlabeled`` override the profile's.
    """
    chosen = get_profile(profile)
    from ssl_keras.datasets import synthetic

    if chosen.name == "smoke":
        counts = {"n_train": 64, "n_test": 100, "n_unlabeled": 512}
    else:
        counts = {"n_train": 1000, "n_test": 500, "n_unlabeled": chosen.n_train}
    if n_unlabeled is not None:
        counts["n_unlabeled"] = n_unlabeled
    return synthetic.toy_pets(
        paths.data_dir("synthetic", "toy_pets"), size=size or chosen.image_size, seed=0, **counts
    )


def pool_files(
    profile: str | Profile | Recipe | None = None,
    extra_folders: Sequence[str | os.PathLike] = (),
) -> list[str]:
    """The unlabeled pool of the recipe's ``pool`` (+ your folders), as sorted file paths.

    ``"generated"`` (smoke): natural-photo crops + the toy-pets unlabeled images, generated
    offline on first use into ``data/synthetic`` with the recipe's counts and size.
    ``"coco_val2017"`` (full): the 5,000 photographs of COCO val2017, downloaded once with
    :func:`ssl_keras.datasets.download.fetch_dataset` into ``data/coco/val2017/`` (the
    download notebooks 05 and 08 share; offline it fails fast naming the folder to fill).
    ``extra_folders`` adds every image below each folder (labels are never read).
    """
    chosen = profile if isinstance(profile, Recipe) else recipe(profile)
    if chosen.pool not in POOLS:
        raise ValueError(f"Unknown pool {chosen.pool!r} in the recipe; use one of {POOLS}.")
    if chosen.pool == "coco_val2017":
        from ssl_keras.datasets import download

        coco = download.fetch_dataset("coco", paths.data_dir())
        files = image_files.list_image_files(coco / "val2017")
    else:
        from ssl_keras.datasets import synthetic

        crops = synthetic.photo_crops(
            paths.data_dir("synthetic", f"photo_crops_{chosen.image_size}"),
            n=chosen.n_photo_crops,
            size=chosen.image_size,
            seed=0,
        )
        files = image_files.list_image_files(crops)
        pets = toy_pets_root(chosen.profile, size=chosen.image_size, n_unlabeled=chosen.n_unlabeled)
        files += image_files.list_image_files(pets / "unlabeled")
    for folder in extra_folders:
        files += image_files.list_image_files(folder, recursive=True)
    return sorted(str(f) for f in files)


def pool_sources(files: Sequence[str | os.PathLike]) -> list[str]:
    """The source of each pool file: ``"photo:<name>"`` for a crop of a bundled photograph
    (:func:`ssl_keras.datasets.synthetic.crops.source_photo`), else the file itself (a toy
    pet, a COCO photograph, one of your images is its own source)."""
    from ssl_keras.datasets.synthetic import crops

    sources = []
    for file in files:
        photo = crops.source_photo(file)
        sources.append(str(file) if photo is None else f"photo:{photo}")
    return sources


def split_pool(
    files: Sequence[str],
    n_val: int,
    n_test: int,
    seed: int = 0,
    sources: Sequence[str] | None = None,
) -> dict[str, list[str]]:
    """Cut ``files`` into ``{"test", "val", "train"}``, seeded; test is held out from
    pretraining entirely, val drives checkpoints and early stopping.

    ``sources``: one name per file (:func:`pool_sources`); all files of a source land in the
    same split, so the test images come from sources (photographs) that give no training or
    validation image. Sources are taken whole in a seeded random order, sources of several
    files (photographs cut into crops) and single-file sources each filling their share of
    ``n_test`` in proportion to the pool, so test can exceed ``n_test`` by less than one
    source. ``None``: every file is its own source (test then has exactly ``n_test``). The
    rest is shuffled again and cut into ``n_val`` validation and the training files.
    """
    for name, value in (("n_val", n_val), ("n_test", n_test)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an int ≥ 1, got {value!r}.")
    if sources is not None and len(sources) != len(files):
        raise ValueError(
            f"sources must name one source per file: {len(sources)} sources for "
            f"{len(files)} files; use pool_sources(files)."
        )
    if len(files) < n_val + n_test + 1:
        raise ValueError(
            f"The pool has {len(files)} images, too few for {n_val} validation + {n_test} "
            "test images and a training set; add images or lower n_val / n_test."
        )
    groups: dict[str, list[int]] = {}
    for index, source in enumerate(sources if sources is not None else map(str, files)):
        groups.setdefault(source, []).append(index)
    rng = np.random.default_rng(seed)
    shuffled = [list(groups.values())[k] for k in rng.permutation(len(groups))]
    shared = [group for group in shuffled if len(group) > 1]
    single = [group for group in shuffled if len(group) == 1]
    shared_quota = round(n_test * sum(map(len, shared)) / len(files))
    test: list[int] = []
    for quota, queue in ((shared_quota, shared), (n_test, single), (n_test, shared)):
        while queue and len(test) < quota:
            test += queue.pop(0)
    rest = [index for group in shared + single for index in group]
    rest = [rest[k] for k in rng.permutation(len(rest))]
    if len(rest) < n_val + 1:
        raise ValueError(
            f"After holding out {len(test)} test images from whole sources, {len(rest)} are "
            f"left, too few for {n_val} validation images and a training set; add images or "
            "lower n_val / n_test."
        )
    return {
        "test": [str(files[i]) for i in test],
        "val": [str(files[i]) for i in rest[:n_val]],
        "train": [str(files[i]) for i in rest[n_val:]],
    }


def mixed_noise(images, seed: noise.Seed = 0, gaussian_share: float = 0.5) -> tf.Tensor:
    """Notebook 02's noise: :func:`ssl_keras.noise.mixed` at the lesson's levels (Gaussian
    σ = 25/255 with probability ``gaussian_share``, else salt-and-pepper at 5 %).

    ``images``: float32 ``(H, W, C)`` or ``(N, H, W, C)`` in [0, 1]; same shape out.
    """
    return noise.mixed(
        images,
        NOISE_LEVELS["gaussian"],
        NOISE_LEVELS["salt_and_pepper"],
        seed=seed,
        gaussian_share=gaussian_share,
    )


def noisy_dataset(
    files: Sequence[str],
    size: int,
    batch_size: int,
    noise_kind: str = "mixed",
    level: float | None = None,
    seed: int = 0,
    training: bool = False,
    patch_size: int | None = None,
    gaussian_share: float = 0.5,
) -> tf.data.Dataset:
    """``(noisy, clean)`` float32 batches ``(B, s, s, 3)`` in [0, 1] for a denoiser.

    Args:
        files: image files (e.g. a split from :func:`split_pool`).
        size: images are resized to ``size``² (pool images already have this size).
        batch_size: images per batch.
        noise_kind: ``"mixed"`` (Gaussian σ=25/255 or salt-and-pepper 5 % per image, see
            :func:`mixed_noise`), or a noise name of :mod:`ssl_keras.noise` with its ``level``.
        level: σ / fraction / peak for a single noise type (``None`` for ``"mixed"``; a
            name in :data:`NOISE_LEVELS` defaults to its reference level).
        seed: seeds crops, shuffling and noise; the same seed gives the same batches.
        training: repeat forever, shuffle, and cut seeded random ``patch_size`` crops (new
            crops and new noise every pass); else one pass in file order.
        patch_size: crop side for training (default ``size``).
        gaussian_share: for ``"mixed"``, the probability of Gaussian noise per image.
    """
    apply = noise_kind
    if noise_kind == "mixed":
        if not 0.0 <= gaussian_share <= 1.0:
            raise ValueError(f"gaussian_share must be in [0, 1], got {gaussian_share!r}.")

        def apply(x, s):
            return mixed_noise(x, s, gaussian_share)

    elif level is None:
        level = NOISE_LEVELS.get(noise_kind)
    if training:
        crop = patch_size or size
        clean = pipelines.image_dataset(files, size, seed=seed, repeat=True)
        if crop != size:
            base = noise.as_seed(seed)
            clean = clean.enumerate().map(
                lambda i, x: resizing.random_crop(x, crop, tf.stack([base[0] + 7, base[1] + i])),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
        shuffle = min(len(files), 1024)
        return pipelines.noisy_batches(
            clean, batch_size, apply, level, seed=seed, shuffle=shuffle, drop_remainder=True
        )
    clean = pipelines.image_dataset(files, size)
    batches = pipelines.noisy_batches(
        clean, batch_size, apply, level, seed=seed, drop_remainder=False
    )
    return pipelines.rebatch_for_replicas(batches, batch_size)  # evaluable on any replicas


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


def training_batches(
    splits: Mapping[str, Sequence[str]], chosen: Recipe, seed: int = 0
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """The recipe's ``(train, val)`` datasets of ``(noisy, clean)`` batches from a
    :func:`split_pool` split: endless seeded ``patch_size`` crops of the training files with
    fresh noise (``(B, p, p, 3)``), and one pass over the whole validation images
    (``(B, s, s, 3)``, noise seeded with ``seed + 1``); float32 in [0, 1]."""
    train = noisy_dataset(
        splits["train"],
        chosen.image_size,
        chosen.batch_size,
        chosen.noise,
        seed=seed,
        training=True,
        patch_size=chosen.patch_size,
        gaussian_share=chosen.gaussian_share,
    )
    val = noisy_dataset(
        splits["val"],
        chosen.image_size,
        chosen.batch_size,
        chosen.noise,
        seed=seed + 1,
        gaussian_share=chosen.gaussian_share,
    )
    return train, val


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
    lines = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines() if line]
    header, rows = lines[0], lines[1:]
    return {key: [float(row[i]) for row in rows] for i, key in enumerate(header) if key != "epoch"}


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
        from ssl_keras.datasets import denoise as denoise_sets

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
