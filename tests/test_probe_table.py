"""The probe table: every public entry point × every way an input goes wrong, one cell each.

Each cell builds a small valid layout for its entry point (tiny images, 24×32), spoils it
in one way (:data:`CASES`: a file cut short, a 16-bit or CMYK file, a 1×1 image, masks of
0/255, an empty folder, two files with one stem, …), runs the entry point to the end and
names what happened (:func:`observe`). :data:`PROBES` states the outcome each cell must
have, one of:

* ``ok``: a correct result: every image served (none dropped, none added), in [0, 1], the
  spoilt one decoded to its true colour; masks within their documented values;
* ``error``: a ``ValueError`` / ``FileNotFoundError`` (exit code 1 and one line on stderr
  for the command line) whose message names the offending file or folder;
* ``warning``: a Python warning that names the file and counts the skipped files, and
  exactly that many images fewer.

Anything else (a raw ``tf.errors.OpError``, a message without the name, a hang, a silent
drop, wrong values) is a failure. ``python -m tests.test_probe_table`` prints the table
entry point × case → observed outcome in Markdown.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf
import tifffile
from PIL import Image

from ssl_keras import (
    anomaly,
    baselines,
    cli,
    colorization,
    denoising,
    image_files,
    models,
    pipelines,
    transfer,
)
from ssl_keras.datasets import camvid, classfolders, coco, denoise_sets, mvtec
from tests.conftest import time_limit
from tests.test_bad_input import SIZE, _empty, _mask, _photo, _text

LIMIT_S = 60  # a cell that has not returned by then hangs


# ---- what a case writes and what a correct result is ---------------------------------------


@dataclasses.dataclass(frozen=True)
class Expect:
    """What a spoilt layout should give: ``names``, the paths any of which an error or
    warning must name; ``colour`` (RGB in [0, 1]) that one served image must have everywhere, within
    ``tolerance``; ``extra`` images served beyond the layout's usual count."""

    names: tuple[str, ...]
    colour: tuple[float, float, float] | None = None
    tolerance: float = 1e-4
    extra: int = 0


def _solid_rgb(path: Path, rgb8: tuple[int, int, int], shape=SIZE, fmt: str | None = None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (shape[1], shape[0]), rgb8).save(path, fmt)
    return Expect((str(path),), tuple(v / 255 for v in rgb8), 3 / 255)


def _cut_to(path: Path, keep: Callable[[bytes], int]) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: keep(data)])


def _cut_short(ext: str, keep: Callable[[bytes], int]) -> Callable[[Path, str], Expect]:
    """A case builder: a valid ``ext`` image whose bytes are cut to ``keep(data)``."""

    def build(folder: Path, stem: str) -> Expect:
        path = folder / f"{stem}{ext}"
        _photo(path, 7)
        _cut_to(path, keep)
        return Expect((str(path),))

    return build


_jpeg_header_only = _cut_short(".jpg", lambda data: data.index(b"\xff\xda") + 12)  # to the scan
_jpeg_half = _cut_short(".jpg", lambda data: len(data) // 2)
_png_header_only = _cut_short(".png", lambda data: 33)  # signature + IHDR
_png_half = _cut_short(".png", lambda data: len(data) // 2)


def _zero_bytes(folder: Path, stem: str) -> Expect:
    path = folder / f"{stem}.png"
    _empty(path)
    return Expect((str(path),))


def _text_as_image(folder: Path, stem: str) -> Expect:
    path = folder / f"{stem}.jpg"
    _text(path)
    return Expect((str(path),))


def _jpeg_in_png(folder: Path, stem: str) -> Expect:
    return _solid_rgb(folder / f"{stem}.png", (200, 120, 40), fmt="JPEG")


def _png16(folder: Path, stem: str) -> Expect:
    """Values off the 8-bit grid: a decoder that drops the low byte misses them by ~3e-4."""
    path = folder / f"{stem}.png"
    rgb16 = (10000, 40000, 60000)
    cv2.imwrite(str(path), np.full((*SIZE, 3), rgb16[::-1], np.uint16))  # OpenCV writes BGR
    return Expect((str(path),), tuple(v / 65535 for v in rgb16))


def _tiff16(folder: Path, stem: str) -> Expect:
    path = folder / f"{stem}.tif"
    rgb16 = (10000, 40000, 60000)
    tifffile.imwrite(path, np.full((*SIZE, 3), rgb16, np.uint16), photometric="rgb")
    return Expect((str(path),), tuple(v / 65535 for v in rgb16))


def _cmyk_jpeg(folder: Path, stem: str) -> Expect:
    path = folder / f"{stem}.jpg"
    Image.new("CMYK", (SIZE[1], SIZE[0]), (20, 140, 220, 30)).save(path, "JPEG", quality=95)
    with Image.open(path) as image:
        rgb = image.convert("RGB").getpixel((0, 0))
    return Expect((str(path),), tuple(v / 255 for v in rgb), 4 / 255)


def _palette_alpha(folder: Path, stem: str) -> Expect:
    """One palette colour at alpha 128: composited over white, as :func:`decode_image` says."""
    path = folder / f"{stem}.png"
    image = Image.new("P", (SIZE[1], SIZE[0]), 0)
    image.putpalette([200, 50, 20] + [0, 0, 0] * 255)
    image.save(path, transparency=bytes([128]))
    alpha = 128 / 255
    return Expect((str(path),), tuple(v / 255 * alpha + 1 - alpha for v in (200, 50, 20)), 1e-3)


def _sized(height: int, width: int) -> Callable[[Path, str], Expect]:
    def write(folder: Path, stem: str) -> Expect:
        return _solid_rgb(folder / f"{stem}.png", (30, 160, 90), (height, width))

    return write


# Folder cases get the folder and its files; the victim is a file of it or the folder.


def _empty_folder(folder: Path, files: list[Path]) -> Expect:
    for file in files:
        file.unlink()
    return Expect((str(folder),))


def _only_bad_files(folder: Path, files: list[Path]) -> Expect:
    for file in files:
        _text(file)
    return Expect((*(str(f) for f in files), str(folder)))


def _duplicate_stems(folder: Path, files: list[Path]) -> Expect:
    """``<stem>.png`` beside ``<stem>.jpg``: both are images, and outputs or masks named by
    the stem would collide."""
    twin = files[1].with_suffix(".png" if files[1].suffix != ".png" else ".jpg")
    _solid_rgb(twin, (250, 250, 10))
    return Expect((str(files[1]), str(twin)), (250 / 255, 250 / 255, 10 / 255), 3 / 255, 1)


# Mask cases get the victim image's mask path and the image's (H, W).


def _mask_255(path: Path, shape: tuple[int, int]) -> Expect:
    values = np.zeros(shape)
    values[: shape[0] // 2] = 255
    _mask(path, values)
    return Expect((str(path),))


def _mask_larger(path: Path, shape: tuple[int, int]) -> Expect:
    _mask(path, np.ones((shape[0] + 8, shape[1] + 8)))
    return Expect((str(path),))


@dataclasses.dataclass(frozen=True)
class Case:
    """One way to spoil a layout: ``file(folder, stem)`` writes the victim image (any
    extension), ``folder(folder, files)`` changes a whole folder, ``mask(path, shape)``
    writes the victim's mask. Exactly one is set."""

    file: Callable[[Path, str], Expect] | None = None
    folder: Callable[[Path, list[Path]], Expect] | None = None
    mask: Callable[[Path, tuple[int, int]], Expect] | None = None


CASES: dict[str, Case] = {
    "JPEG header only": Case(file=_jpeg_header_only),
    "JPEG half file": Case(file=_jpeg_half),
    "PNG header only": Case(file=_png_header_only),
    "PNG half file": Case(file=_png_half),
    "0-byte file": Case(file=_zero_bytes),
    "text as .jpg": Case(file=_text_as_image),
    "JPEG bytes in .png": Case(file=_jpeg_in_png),
    "16-bit PNG": Case(file=_png16),
    "16-bit TIFF": Case(file=_tiff16),
    "CMYK JPEG": Case(file=_cmyk_jpeg),
    "palette + alpha PNG": Case(file=_palette_alpha),
    "1×1": Case(file=_sized(1, 1)),
    "3×3": Case(file=_sized(3, 3)),
    "10000×10": Case(file=_sized(10, 10000)),
    "37×45 (not /2^depth)": Case(file=_sized(37, 45)),
    "mask with 255s": Case(mask=_mask_255),
    "mask larger than image": Case(mask=_mask_larger),
    "empty folder": Case(folder=_empty_folder),
    "only bad files": Case(folder=_only_bad_files),
    "duplicate stems": Case(folder=_duplicate_stems),
}
BAD_FILES = ("JPEG header only", "JPEG half file", "PNG header only", "PNG half file")
BAD_FILES += ("0-byte file", "text as .jpg")
DECODES = ("JPEG bytes in .png", "16-bit PNG", "16-bit TIFF", "CMYK JPEG", "palette + alpha PNG")
SIZES = ("1×1", "3×3", "10000×10", "37×45 (not /2^depth)")
FOLDERS = ("empty folder", "only bad files", "duplicate stems")
MASKS = ("mask with 255s", "mask larger than image")


# ---- layouts: a valid one per entry point, spoilt by a case ---------------------------------


def _spoil_folder(folder: Path, files: list[Path], case: Case, victim: int = 1) -> Expect | None:
    """Apply a file or folder case to ``folder`` (whose images are ``files``)."""
    if case.file:
        files[victim].unlink()
        return case.file(folder, files[victim].stem)
    if case.folder:
        return case.folder(folder, files)
    return None


def _shape_of(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as image:
            return image.size[1], image.size[0]
    except OSError:
        return SIZE


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def _photos(folder: Path, count: int, ext: str, seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = [folder / f"{index:02d}{ext}" for index in range(count)]
    for index, file in enumerate(files):
        _photo(file, seed + index)
    return files


def _flat(root: Path, case: Case) -> Expect | None:
    folder = root / "images"
    return _spoil_folder(folder, _photos(folder, 3, ".png"), case)


def _class_folders(root: Path, case: Case) -> Expect | None:
    _photos(root / "cat", 2, ".jpg", seed=10)
    return _spoil_folder(root / "dog", _photos(root / "dog", 2, ".jpg", seed=20), case)


def _camvid(root: Path, case: Case) -> Expect | None:
    base = root / "CamVid"
    expect = _spoil_folder(base / "train", _photos(base / "train", 3, ".png"), case)
    for index, image in enumerate(_images_in(base / "train")):
        _mask(base / "trainannot" / f"{image.stem}.png", np.full(_shape_of(image), index % 11))
    if case.mask:
        image = base / "train" / "01.png"
        expect = case.mask(base / "trainannot" / "01.png", _shape_of(image))
    return expect


def _mvtec(root: Path, case: Case) -> Expect | None:
    category = root / "mvtec" / "grid"
    train = category / "train" / "good"
    expect = _spoil_folder(train, _photos(train, 3, ".png"), case, victim=2)
    _photos(category / "test" / "good", 1, ".png", seed=20)
    _photos(category / "test" / "crack", 1, ".png", seed=21)
    mask_path = category / "ground_truth" / "crack" / "00_mask.png"
    mask = np.zeros(SIZE)
    mask[4:8, 4:8] = 255
    _mask(mask_path, mask)
    if case.mask:
        expect = case.mask(mask_path, SIZE)
    return expect


def _coco(root: Path, case: Case) -> Expect | None:
    base = root / "coco"
    files = [base / "val2017" / f"{index + 1:012d}.jpg" for index in range(3)]
    for index, file in enumerate(files):
        _photo(file, index)
    expect = _spoil_folder(base / "val2017", files, case)
    listed = _images_in(base / "val2017") or files
    images, annotations = [], []
    for index, file in enumerate(listed, start=1):
        height, width = _shape_of(file)
        images.append({"id": index, "file_name": file.name, "height": height, "width": width})
        annotations.append(
            {
                "id": index,
                "image_id": index,
                "category_id": 1,
                "iscrowd": 0,
                "area": 4.0,
                "bbox": [0, 0, 2, 2],
                "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2]],
            }
        )
    document = {"images": images, "annotations": annotations}
    document["categories"] = [{"id": 1, "name": "box", "supercategory": "shape"}]
    (base / "annotations").mkdir(parents=True)
    (base / "annotations" / "instances_val2017.json").write_text(json.dumps(document))
    return expect


def _single_file(root: Path, case: Case) -> Expect | None:
    return case.file(root, "image") if case.file else None


def _cli_inputs(root: Path, case: Case) -> Expect | None:
    folder = root / "input"
    return _spoil_folder(folder, _photos(folder, 2, ".png"), case)


# ---- entry points: run on a layout, return what was served ----------------------------------


@dataclasses.dataclass
class Served:
    """What an entry point returned: ``images`` (float RGB, decoded inputs where the entry
    point hands them back, else its outputs) and ``masks`` (int arrays) when it serves any."""

    images: list[np.ndarray]
    masks: list[np.ndarray] | None = None


def _unbatched(ds: tf.data.Dataset) -> list:
    return list(ds.as_numpy_iterator())


def _load_flat(root: Path) -> Served:
    paths = image_files.list_image_files(root / "images")
    return Served(_unbatched(pipelines.image_dataset(paths, (16, 16))))


def _load_denoise(root: Path) -> Served:
    return Served(_unbatched(denoise_sets.denoise_dataset(root / "images", size=16)))


def _load_class_folders(root: Path) -> Served:
    ds, _ = classfolders.class_folder_dataset(root, 16)
    return Served([image for image, _ in _unbatched(ds)])


def _load_camvid(root: Path) -> Served:
    pairs = _unbatched(camvid.camvid_dataset(root / "CamVid", "train", size=(16, 16)))
    return Served([image for image, _ in pairs], [mask for _, mask in pairs])


def _load_mvtec(root: Path) -> Served:
    rows = []
    for split in ("train", "test"):
        rows += _unbatched(mvtec.mvtec_dataset(root / "mvtec", "grid", split, size=16))
    return Served([row[0] for row in rows], [row[1] for row in rows])


def _load_category(root: Path) -> Served:
    data = anomaly.load_category(root / "mvtec", "grid", size=16)
    return Served([*data.train, *data.holdout, *data.test], list(data.masks))


def _load_coco(root: Path) -> Served:
    ds, _ = coco.coco_dataset(root / "coco", size=16, cache_dir=root / "cache")
    pairs = _unbatched(ds)
    return Served([image for image, _ in pairs], [mask for _, mask in pairs])


def _load_image(root: Path) -> Served:
    (path,) = _images_in(root)
    return Served([image_files.load_image(path).numpy()])


def _load_split(root: Path) -> Served:
    images, _, _ = transfer.load_split(root, 16)
    return Served(list(images))


@dataclasses.dataclass(frozen=True)
class Models:
    """Tiny untrained models saved once: a foreground U-Net, a colorizer, a denoiser."""

    segmenter: Path
    colorizer: Path
    denoiser: keras.Model


def _models(folder: Path) -> Models:
    folder.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(0)
    segmenter = folder / "segmenter.keras"
    models.unet(
        (32, 32, 3), depth=2, base_filters=4, output_channels=1, output_activation=None
    ).save(segmenter)
    painter = folder / "colorizer.keras"
    colorization.colorizer((32, 32, 1), "small", decoder_filters=4, base_filters=4).save(painter)
    denoiser = models.unet(
        (None, None, 3), depth=2, base_filters=4, output_activation=None, residual=True
    )
    return Models(segmenter, painter, denoiser)


def _evaluate(root: Path, tiny: Models) -> Served:
    levels = {"gaussian": 25 / 255}
    result = denoising.evaluate(tiny.denoiser, root / "images", levels, methods=("median",))
    return Served(list(result.images["gaussian"]["U-Net"]))


def _baselines(root: Path) -> Served:
    (path,) = _images_in(root)
    image = image_files.load_image(path).numpy()
    return Served([baselines.denoise(image, method) for method in baselines.DENOISERS])


class CommandFailed(Exception):
    """The command line exited with code 1; its message is the one line it printed."""


def _command(argv: list[str]) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(argv)
    if code != 0:
        raise CommandFailed(f"exit code {code}: {err.getvalue().strip()}")


def _segment(root: Path, tiny: Models) -> Served:
    out = root / "out"
    _command(["segment", "-i", str(root / "input"), "-m", str(tiny.segmenter), "-o", str(out)])
    return Served([cv2.imread(str(p)) / 255.0 for p in sorted(out.glob("*_overlay.png"))])


def _colorize(root: Path, tiny: Models) -> Served:
    out = root / "out"
    _command(["colorize", "-i", str(root / "input"), "-m", str(tiny.colorizer), "-o", str(out)])
    return Served([cv2.imread(str(p)) / 255.0 for p in sorted(out.glob("*.png"))])


@dataclasses.dataclass(frozen=True)
class Entry:
    """An entry point: its layout, how to run it, how many images a valid layout serves,
    and whether what it serves are the decoded inputs (so their colour can be checked)."""

    build: Callable[[Path, Case], Expect | None]
    run: Callable[..., Served]
    count: int
    decoded: bool = True
    needs_models: bool = False
    mask_values: tuple[int, ...] = ()


ENTRIES: dict[str, Entry] = {
    "image_files.list_image_files + image_dataset": Entry(_flat, _load_flat, 3),
    "datasets.denoise_sets.denoise_dataset": Entry(_flat, _load_denoise, 3),
    "datasets.classfolders.class_folder_dataset": Entry(_class_folders, _load_class_folders, 4),
    "datasets.camvid.camvid_dataset": Entry(_camvid, _load_camvid, 3, mask_values=tuple(range(12))),
    "datasets.mvtec.mvtec_dataset": Entry(_mvtec, _load_mvtec, 5, mask_values=(0, 1)),
    "anomaly.load_category": Entry(_mvtec, _load_category, 5, mask_values=(0, 1)),
    "datasets.coco.coco_dataset": Entry(_coco, _load_coco, 3, mask_values=(0, 1)),
    "image_files.load_image": Entry(_single_file, _load_image, 1),
    "transfer.load_split": Entry(_class_folders, _load_split, 4),
    "denoising.evaluate (folder)": Entry(_flat, _evaluate, 3, decoded=False, needs_models=True),
    "baselines (all five)": Entry(_single_file, _baselines, 5, decoded=False),
    "ssl-keras segment": Entry(_cli_inputs, _segment, 2, decoded=False, needs_models=True),
    "ssl-keras colorize": Entry(_cli_inputs, _colorize, 2, decoded=False, needs_models=True),
}


# ---- the table ------------------------------------------------------------------------------

OK, ERROR, WARNING = "ok", "error", "warning"


def _cells(entries: tuple[str, ...], cases: tuple[str, ...], outcome: str):
    return [(entry, case, outcome) for entry in entries for case in cases]


DATASETS = (
    "image_files.list_image_files + image_dataset",
    "datasets.denoise_sets.denoise_dataset",
    "datasets.camvid.camvid_dataset",
    "datasets.mvtec.mvtec_dataset",
    "anomaly.load_category",
    "datasets.coco.coco_dataset",
)
SKIPPING = ("datasets.classfolders.class_folder_dataset", "transfer.load_split")
COMMANDS = ("ssl-keras segment", "ssl-keras colorize")
ALL_FOLDERS = (*DATASETS, *SKIPPING, "denoising.evaluate (folder)", *COMMANDS)

PROBES: list[tuple[str, str, str]] = [
    *_cells((*DATASETS, "image_files.load_image", "denoising.evaluate (folder)"), BAD_FILES, ERROR),
    *_cells(COMMANDS, BAD_FILES, ERROR),
    *_cells(SKIPPING, BAD_FILES, WARNING),
    *_cells((*ALL_FOLDERS, "image_files.load_image", "baselines (all five)"), DECODES, OK),
    *_cells((*DATASETS, *SKIPPING, "image_files.load_image", "baselines (all five)"), SIZES, OK),
    # Scoring (SSIM) and the commands refuse images too small for them, naming the file.
    *_cells(("denoising.evaluate (folder)", *COMMANDS), SIZES[:3], ERROR),
    *_cells(("denoising.evaluate (folder)", *COMMANDS), SIZES[3:], OK),
    # CamVid labels are class indices 0-11: a 255 is refused; MVTec masks are 0/255 → {0, 1}.
    ("datasets.camvid.camvid_dataset", "mask with 255s", ERROR),
    ("datasets.mvtec.mvtec_dataset", "mask with 255s", OK),
    ("anomaly.load_category", "mask with 255s", OK),
    *_cells(("datasets.camvid.camvid_dataset", *DATASETS[3:5]), MASKS[1:], ERROR),
    *_cells(ALL_FOLDERS, ("empty folder", "only bad files"), ERROR),
    # Files are paired with masks, or outputs named, by stem: two files of one stem are
    # refused by name there; elsewhere both are served.
    *_cells((*DATASETS[:2], *DATASETS[3:5], *SKIPPING), ("duplicate stems",), OK),
    ("denoising.evaluate (folder)", "duplicate stems", OK),
    *_cells(("datasets.camvid.camvid_dataset", "datasets.coco.coco_dataset"), FOLDERS[2:], ERROR),
    *_cells(COMMANDS, ("duplicate stems",), ERROR),
]


def _names_victim(message: str, expect: Expect) -> str | None:
    """The file or folder name of the first of ``expect.names`` that ``message`` holds."""
    return next((Path(name).name for name in expect.names if name in message), None)


def _check_served(entry: Entry, expect: Expect, served: Served, skipped: int) -> str:
    """``""`` when ``served`` is a correct result, else what is wrong with it."""
    want = entry.count + expect.extra - skipped
    if len(served.images) != want:
        return f"served {len(served.images)} images, expected {want} (a silent drop)"
    for image in served.images:
        image = np.asarray(image)
        if not np.isfinite(image).all() or image.min() < 0 or image.max() > 1:
            return f"values outside [0, 1]: {image.min():.3g} to {image.max():.3g}"
    if entry.decoded and expect.colour is not None and not skipped:
        errors = [np.abs(np.asarray(i) - expect.colour).max() for i in served.images]
        if min(errors) > expect.tolerance:
            closest = served.images[int(np.argmin(errors))].reshape(-1, 3).mean(axis=0)
            return f"wrong values: mean {np.round(closest, 4).tolist()}, expected {expect.colour}"
    for mask in served.masks or []:
        if not np.isin(np.unique(mask), entry.mask_values).all():
            return f"mask values {np.unique(mask)[:6].tolist()} outside {entry.mask_values}"
    return ""


def observe(entry_name: str, case_name: str, root: Path, tiny: Models | None = None) -> str:
    """Build the cell's layout under ``root``, run the entry point and describe the outcome:
    ``ok``, ``<error type> naming <file>``, ``warning naming <file>, skipped <n>``, or
    what went wrong (``FAIL: …``)."""
    entry, case = ENTRIES[entry_name], CASES[case_name]
    expect = entry.build(root, case)
    run = (lambda r: entry.run(r, tiny)) if entry.needs_models else entry.run
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            served = run(root)
        except tf.errors.OpError as error:
            return f"FAIL: raw {type(error).__name__}: {_short(error.message)}"
        except (ValueError, FileNotFoundError, CommandFailed) as error:
            kind = "exit 1" if isinstance(error, CommandFailed) else "ValueError"
            kind = "FileNotFoundError" if isinstance(error, FileNotFoundError) else kind
            named = _names_victim(str(error), expect)
            if named:
                return f"{kind} naming {named}"
            return f"FAIL: {kind} without the file name: {_short(str(error))}"
        except TimeoutError:
            raise
        except Exception as error:  # noqa: BLE001  (the table reports any other failure)
            return f"FAIL: {type(error).__name__}: {_short(str(error))}"
    skipped, named = 0, None
    for warning in caught:
        message = str(warning.message)
        counted = re.search(r"Skipped (\d+)", message)
        if counted and _names_victim(message, expect):
            skipped, named = int(counted.group(1)), _names_victim(message, expect)
    problem = _check_served(entry, expect, served, skipped)
    if problem:
        return f"FAIL: {problem}"
    return f"warning naming {named}, skipped {skipped}" if named else OK


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line[:160] + ("…" if len(line) > 160 else "")


def outcome_kind(observed: str) -> str:
    """``ok``, ``error`` or ``warning`` for an outcome of :func:`observe`; ``""`` for a failure."""
    if observed == OK:
        return OK
    if observed.startswith("warning naming"):
        return WARNING
    if " naming " in observed and not observed.startswith("FAIL"):
        return ERROR
    return ""


# Cells that tests/test_bad_input.py already asserts (a 0-byte file, text, a file cut short,
# through the same loaders): the table runs them for the printed report, the tests there.
CITED = {
    (entry, case): "test_bad_input.py"
    for entry in (*DATASETS, *SKIPPING)
    for case in ("0-byte file", "text as .jpg", "JPEG half file", "PNG half file")
}


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory) -> Models:
    return _models(tmp_path_factory.mktemp("models"))


TESTED = [(e, c, x) for e, c, x in PROBES if (e, c) not in CITED]


@pytest.mark.parametrize(
    ("entry", "case", "expected"), TESTED, ids=[f"{e} | {c}" for e, c, _ in TESTED]
)
def test_probe(tmp_path, deadline, tiny_models, entry, case, expected):
    with deadline(LIMIT_S):
        observed = observe(entry, case, tmp_path, tiny_models)
    assert outcome_kind(observed) == expected, observed


def test_every_entry_point_and_case_is_probed():
    assert {e for e, _, _ in PROBES} == set(ENTRIES)
    assert {c for _, c, _ in PROBES} == set(CASES)
    assert len({(e, c) for e, c, _ in PROBES}) == len(PROBES)
    assert set(CITED) <= {(e, c) for e, c, _ in PROBES}


# ---- the Markdown table for the issue -------------------------------------------------------


def run_table() -> list[tuple[str, str, str]]:
    """Run every cell of :data:`PROBES`: rows ``(entry point, case, observed outcome)``."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        tiny = _models(Path(folder) / "models")
        for index, (entry, case, _) in enumerate(PROBES):
            root = Path(folder) / f"cell{index}"
            root.mkdir()
            try:
                with time_limit(LIMIT_S):
                    rows.append((entry, case, observe(entry, case, root, tiny)))
            except TimeoutError as error:
                rows.append((entry, case, f"FAIL: hang ({error})"))
    return rows


def markdown(rows: list[tuple[str, str, str]]) -> str:
    """Entry points down, cases across; ``–`` where a case does not apply."""
    cases = [c for c in CASES if any(row[1] == c for row in rows)]
    entries = [e for e in ENTRIES if any(row[0] == e for row in rows)]
    cell = {(e, c): o for e, c, o in rows}
    lines = ["| entry point | " + " | ".join(cases) + " |", "|---" * (len(cases) + 1) + "|"]
    for entry in entries:
        outcomes = [cell.get((entry, case), "–").replace("|", "/") for case in cases]
        lines.append(f"| `{entry}` | " + " | ".join(outcomes) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run_table()))
