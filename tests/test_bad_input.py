"""The bad-input probe suite: every public loader × every way an image file goes bad.

Each entry point gets a small valid layout, then one of its image files is replaced by a bad
one: empty (0 bytes), text with an image's extension, a JPEG or PNG cut short (an interrupted
download). Whatever the loader returns is consumed to the end, as ``fit`` would. The answer
must be a ``ValueError`` that names the file — or, where the loader skips bad files
(``on_error="warn"``), a Python warning that names it and one element fewer — and never a
TensorFlow error from inside a ``tf.data`` pipeline, a hang or a silent drop.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from ssl_keras import anomaly, image_files, pipelines, runtime, segmentation, transfer
from ssl_keras.datasets import camvid, classfolders, coco, denoise_sets, mvtec

SIZE = (24, 32)  # (H, W) of every generated image


def _photo(path: Path, seed: int, fmt: str | None = None) -> None:
    """A random RGB photo-like image, saved in the format of ``path``'s extension."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (*SIZE, 3), dtype=np.uint8)).save(path, fmt)


def _mask(path: Path, values: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(values.astype(np.uint8), mode="L").save(path)


# ---- the bad files --------------------------------------------------------------------------


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _text(path: Path) -> None:
    path.write_text("404 Not Found: the download returned an error page\n")


def _cut(path: Path) -> None:
    """Keep the first 60 % of the bytes: an interrupted download of a valid file."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])


CASES: dict[str, Callable[[Path], None]] = {"empty": _empty, "text": _text, "cut short": _cut}


# ---- the layouts, one per entry point: (build → (root, victim file), load → elements) ---------


def _folder(root: Path, ext: str) -> Path:
    for index in range(4):
        _photo(root / "images" / f"{index:02d}{ext}", index)
    return root / "images" / f"02{ext}"


def _class_folders(root: Path) -> Path:
    for name in ("cat", "dog"):
        for index in range(3):
            _photo(root / name / f"{index}.jpg", index + 10 * len(name))
    return root / "dog" / "1.jpg"


def _camvid(root: Path, with_list: bool) -> Path:
    base = root / "CamVid"
    lines = []
    for index in range(3):
        _photo(base / "train" / f"f{index}.png", index)
        _mask(base / "trainannot" / f"f{index}.png", np.full(SIZE, index % 11))
        lines.append(f"/SegNet/CamVid/train/f{index}.png /SegNet/CamVid/trainannot/f{index}.png")
    if with_list:
        (base / "train.txt").write_text("\n".join(lines) + "\n")
    return base / "train" / "f1.png"


def _mvtec(root: Path) -> Path:
    category = root / "mvtec" / "grid"
    for index in range(5):
        _photo(category / "train" / "good" / f"{index:03d}.png", index)
    _photo(category / "test" / "good" / "000.png", 20)
    _photo(category / "test" / "crack" / "000.png", 21)
    mask = np.zeros(SIZE)
    mask[4:8, 4:8] = 255
    _mask(category / "ground_truth" / "crack" / "000_mask.png", mask)
    return category / "train" / "good" / "003.png"


def _coco(root: Path) -> Path:
    base = root / "coco"
    images, annotations = [], []
    for index in range(3):
        name = f"{index + 1:012d}.jpg"
        _photo(base / "val2017" / name, index)
        images.append({"id": index + 1, "file_name": name, "height": SIZE[0], "width": SIZE[1]})
        annotations.append(
            {
                "id": index + 1,
                "image_id": index + 1,
                "category_id": 1,
                "iscrowd": 0,
                "area": 64.0,
                "bbox": [2, 2, 8, 8],
                "segmentation": [[2, 2, 10, 2, 10, 10, 2, 10]],
            }
        )
    document = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "box", "supercategory": "shape"}],
    }
    (base / "annotations").mkdir(parents=True)
    (base / "annotations" / "instances_val2017.json").write_text(json.dumps(document))
    return base / "val2017" / images[1]["file_name"]


def _consume(ds: tf.data.Dataset) -> int:
    return sum(1 for _ in ds)


ENTRY_POINTS: dict[str, tuple[Callable[[Path], Path], Callable[[Path], int]]] = {
    "image_files.list_image_files + image_dataset (JPEG)": (
        lambda root: _folder(root, ".jpg"),
        lambda root: _consume(
            pipelines.image_dataset(image_files.list_image_files(root / "images"), 16)
        ),
    ),
    "image_files.list_image_files + image_dataset (PNG)": (
        lambda root: _folder(root, ".png"),
        lambda root: _consume(
            pipelines.image_dataset(image_files.list_image_files(root / "images"), 16)
        ),
    ),
    "datasets.denoise_sets.denoise_dataset": (
        lambda root: _folder(root, ".png"),
        lambda root: _consume(denoise_sets.denoise_dataset(root / "images", size=16)),
    ),
    "datasets.classfolders.class_folder_dataset(on_error='raise')": (
        _class_folders,
        lambda root: _consume(classfolders.class_folder_dataset(root, 16, on_error="raise")[0]),
    ),
    "datasets.camvid.camvid_dataset (folders)": (
        lambda root: _camvid(root, with_list=False),
        lambda root: _consume(camvid.camvid_dataset(root / "CamVid", "train", size=(16, 16))),
    ),
    "datasets.camvid.camvid_dataset (train.txt)": (
        lambda root: _camvid(root, with_list=True),
        lambda root: _consume(camvid.camvid_dataset(root / "CamVid", "train", size=(16, 16))),
    ),
    "datasets.mvtec.mvtec_dataset": (
        _mvtec,
        lambda root: _consume(mvtec.mvtec_dataset(root / "mvtec", "grid", "train", size=16)),
    ),
    "anomaly.load_category": (
        _mvtec,
        lambda root: len(anomaly.load_category(root / "mvtec", "grid", size=16).train),
    ),
    "datasets.coco.coco_dataset": (
        _coco,
        lambda root: _consume(
            coco.coco_dataset(root / "coco", size=16, cache_dir=root / "cache")[0]
        ),
    ),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_bad_image_file_is_named_before_any_tensorflow_error(tmp_path, deadline, entry, case):
    build, load = ENTRY_POINTS[entry]
    victim = build(tmp_path)
    assert load(tmp_path) > 0  # the layout is valid before the file goes bad
    CASES[case](victim)
    with deadline(60), pytest.raises(ValueError) as raised:
        load(tmp_path)
    assert not isinstance(raised.value, tf.errors.OpError)
    assert victim.name in str(raised.value), str(raised.value)


@pytest.mark.parametrize("case", CASES)
def test_skipping_loaders_warn_with_the_name_and_serve_one_image_fewer(tmp_path, case):
    victim = _class_folders(tmp_path)
    CASES[case](victim)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds, names = classfolders.class_folder_dataset(tmp_path, 16)
        served = _consume(ds)
        x, y, _ = transfer.load_split(tmp_path, 16)
    assert names == ["cat", "dog"] and served == 5 and len(x) == 5
    messages = [str(w.message) for w in caught]
    assert any(str(victim) in m for m in messages), messages


def test_a_complete_jpeg_with_data_after_its_end_is_kept(tmp_path):
    """Motion photos append a video after the JPEG's end marker: the file decodes, so the
    quick end-of-file check must not reject it."""
    path = tmp_path / "motion.jpg"
    _photo(path, 0)
    path.write_bytes(path.read_bytes() + b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    assert image_files.check_image_files([str(path)]) == [str(path)]
    assert image_files.load_image(path).shape == (*SIZE, 3)


@pytest.mark.parametrize("ext", [".png", ".gif", ".webp", ".bmp", ".tif"])
def test_complete_files_of_every_format_pass_and_cut_ones_are_named(tmp_path, ext):
    path = tmp_path / f"image{ext}"
    _photo(path, 1)
    assert image_files.check_image_files([str(path)]) == [str(path)]
    if ext == ".tif":  # TIFF has no fixed end: it is checked when decoded (load_image)
        return
    _cut(path)
    with pytest.raises(image_files.NotAnImageError, match="does not decode") as raised:
        image_files.check_image_files([str(path)])
    assert raised.value.broken == [str(path)]


# ---- a file corrupt inside: both ends intact, so it only fails while a pipeline decodes it --


def _corrupt_inside(path: Path) -> None:
    """Overwrite the middle fifth of the bytes (bit rot, a bad copy): the header and the end
    marker stay intact, so only decoding the whole file shows the damage."""
    data = bytearray(path.read_bytes())
    for index in range(len(data) * 2 // 5, len(data) * 3 // 5):
        data[index] = (data[index] * 7 + 13) % 256
    path.write_bytes(bytes(data))


LAZY_ENTRY_POINTS: dict[str, tuple[Callable[[Path], Path], Callable[[Path], object]]] = {
    "pipelines.to_numpy(image_dataset)": (
        lambda root: _folder(root, ".png"),
        lambda root: pipelines.to_numpy(
            pipelines.image_dataset(image_files.list_image_files(root / "images"), 16)
        ),
    ),
    "pipelines.to_numpy(denoise_dataset)": (
        lambda root: _folder(root, ".png"),
        lambda root: pipelines.to_numpy(denoise_sets.denoise_dataset(root / "images", size=16)),
    ),
    "segmentation.class_pixel_counts(camvid_dataset), a corrupt label": (
        lambda root: _camvid(root, with_list=False).parents[1] / "trainannot" / "f1.png",
        lambda root: segmentation.class_pixel_counts(
            camvid.camvid_dataset(root / "CamVid", "train", size=(16, 16)), 11
        ),
    ),
    "fit on image_dataset under image_files.naming_bad_files()": (
        lambda root: _folder(root, ".png"),
        lambda root: _fit_on(
            pipelines.image_dataset(image_files.list_image_files(root / "images"), 16)
        ),
    ),
}


def _fit_on(images: tf.data.Dataset):
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(3, 3, padding="same")])
    model.compile(optimizer="sgd", loss="mse")
    with image_files.naming_bad_files():
        return model.fit(images.map(lambda x: (x, x)).batch(2), epochs=1, verbose=0)


@pytest.mark.parametrize("entry", LAZY_ENTRY_POINTS)
def test_a_file_corrupt_inside_is_named_when_the_pipeline_decodes_it(tmp_path, deadline, entry):
    build, load = LAZY_ENTRY_POINTS[entry]
    victim = build(tmp_path)
    _corrupt_inside(victim)
    assert image_files.check_image_files([str(victim)])  # its ends look complete
    with deadline(60), pytest.raises(ValueError, match="corrupt") as raised:
        load(tmp_path)
    assert not isinstance(raised.value, tf.errors.OpError)
    assert str(victim) in str(raised.value), str(raised.value)


def test_other_tensorflow_errors_pass_through_unchanged():
    error = tf.errors.InvalidArgumentError(None, None, "Incompatible shapes: [2] vs. [3]")
    assert image_files.bad_file_error(error) is None
    assert image_files.bad_file_error(ValueError("DecodePng")) is None
    with pytest.raises(tf.errors.InvalidArgumentError), image_files.naming_bad_files():
        raise error


def test_a_notebook_cell_that_meets_a_corrupt_file_ends_by_naming_it(tmp_path):
    """The IPython handler ``runtime.setup`` installs: TensorFlow's traceback, then the file."""
    victim = _folder(tmp_path, ".png")
    _corrupt_inside(victim)
    ds = pipelines.image_dataset(image_files.list_image_files(tmp_path / "images"), 16)
    try:
        _consume(ds)
    except tf.errors.OpError as error:
        raised = error
    else:
        pytest.fail("the corrupt file decoded")

    class Shell:  # what the handler uses of IPython's InteractiveShell
        class InteractiveTB:
            @staticmethod
            def structured_traceback(etype, value, tb, tb_offset=None):
                return [f"{etype.__name__}: …"]

    lines = runtime.notebook._bad_file_tb(Shell(), type(raised), raised, raised.__traceback__)
    assert lines[0].startswith(type(raised).__name__)
    assert lines[-1].startswith("ValueError:") and str(victim) in lines[-1]
    other = tf.errors.InvalidArgumentError(None, None, "Incompatible shapes")
    assert runtime.notebook._bad_file_tb(Shell(), type(other), other, None) == [
        "InvalidArgumentError: …"
    ]
