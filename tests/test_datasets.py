"""Synthetic generators and the real-format loaders run on the files they write."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from ssl_keras.datasets import (
    camvid,
    carla,
    classfolders,
    coco,
    denoise_sets,
    mvtec,
    palettes,
    synthetic,
)
from ssl_keras.datasets.synthetic import pets

# Small sets: every generator at a tiny size, written once per session.
GENERATORS = {
    "toy_pets": lambda root, seed: synthetic.toy_pets(root, 3, 2, 4, size=32, seed=seed),
    "street_scenes": lambda root, seed: synthetic.street_scenes(
        root, 3, 2, 2, (48, 64), seed, color_labels=True
    ),
    "carla_scenes": lambda root, seed: synthetic.carla_scenes(root, 3, (48, 64), seed),
    "mvtec_like": lambda root, seed: synthetic.mvtec_like(
        root, n_train=3, n_test_good=2, n_test_defect=2, size=48, seed=seed
    ),
    "coco_instances": lambda root, seed: synthetic.coco_instances(root, 4, 4, (48, 64), seed),
    "photo_crops": lambda root, seed: synthetic.photo_crops(root, 4, 32, seed),
}


def _contents(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _first(ds):
    return next(iter(ds.as_numpy_iterator()))


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("synthetic")
    return {
        "pets": synthetic.toy_pets(base / "pets", 6, 3, 5, size=48, seed=0),
        "street": synthetic.street_scenes(base / "street", 6, 3, 3, (72, 96), 0, color_labels=True),
        "carla": synthetic.carla_scenes(base / "carla", 5, (72, 96), 0),
        "mvtec": synthetic.mvtec_like(
            base / "mvtec", n_train=5, n_test_good=3, n_test_defect=2, size=64, seed=0
        ),
        "coco": synthetic.coco_instances(base / "coco", 6, 5, (64, 80), 0),
    }


# --- generators -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_deterministic(name, tmp_path):
    make = GENERATORS[name]
    first, again, other = (
        _contents(make(tmp_path / d, s)) for d, s in (("a", 1), ("b", 1), ("c", 2))
    )
    assert first and first == again
    images = [k for k in first if k.endswith((".png", ".jpg"))]
    assert any(first[k] != other.get(k) for k in images)


def test_generator_reuses_complete_set_and_redoes_others(tmp_path):
    root = synthetic.toy_pets(tmp_path / "pets", 2, 1, 1, size=32)
    stamp = (root / "train" / "cat" / "00000.png").stat().st_mtime_ns
    synthetic.toy_pets(root, 2, 1, 1, size=32)
    assert (root / "train" / "cat" / "00000.png").stat().st_mtime_ns == stamp
    synthetic.toy_pets(root, 3, 1, 1, size=32)  # other parameters: rewritten
    assert len(list((root / "train" / "cat").iterdir())) == 3
    # An interrupted run leaves only a .partial folder, which the next run replaces.
    partial = tmp_path / ".fresh.partial"
    (partial / "train").mkdir(parents=True)
    synthetic.toy_pets(tmp_path / "fresh", 1, 1, 1, size=32)
    assert not partial.exists() and (tmp_path / "fresh" / ".complete.json").is_file()


def test_generator_never_deletes_foreign_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not written by a synthetic generator"):
        synthetic.toy_pets(tmp_path / "mine", 1, 1, 1, size=32)
    assert (tmp_path / "mine" / "thesis.txt").read_text() == "keep me"


def test_generator_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="size"):
        synthetic.toy_pets(tmp_path / "a", size=8)
    with pytest.raises(ValueError, match="n_train"):
        synthetic.toy_pets(tmp_path / "b", n_train=-1)
    with pytest.raises(ValueError, match="categories"):
        synthetic.mvtec_like(tmp_path / "c", categories=("bottle",))


def test_toy_pets_are_not_linearly_separable_on_raw_pixels(tmp_path):
    from sklearn.linear_model import LogisticRegression

    root = synthetic.toy_pets(
        tmp_path / "pets", n_train=150, n_test=75, n_unlabeled=0, size=64, seed=3
    )

    def load(split):
        paths, labels, _ = classfolders.class_folder_files(root / split)
        pixels = np.stack([cv2.imread(p).reshape(-1) for p in paths]).astype(np.float32) / 255
        return pixels, np.array(labels)

    (x_train, y_train), (x_test, y_test) = load("train"), load("test")
    model = LogisticRegression(C=0.01, max_iter=200).fit(x_train, y_train)
    assert model.score(x_test, y_test) <= 0.75


def test_toy_pet_shapes_carry_the_class():
    """Silhouettes alone (no background, pose or color) separate the classes: the task is
    learnable from shape, which a CNN can extract and a raw-pixel linear model cannot."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x, y = [], []
    for i in range(160):
        _, alpha = (pets.draw_cat if i % 2 == 0 else pets.draw_turtle)(rng, 64)
        x.append(cv2.resize(alpha, (32, 32), interpolation=cv2.INTER_AREA).reshape(-1))
        y.append(i % 2)
    x, y = np.array(x), np.array(y)
    model = LogisticRegression(max_iter=500).fit(x[:100], y[:100])
    assert model.score(x[100:], y[100:]) >= 0.95


def test_street_scenes_layout(sets):
    root = sets["street"]
    for split, count in (("train", 6), ("val", 3), ("test", 3)):
        lines = (root / f"{split}.txt").read_text().splitlines()
        assert len(lines) == count
        assert (
            lines[0].startswith(f"/SegNet/CamVid/{split}/")
            and f" /SegNet/CamVid/{split}annot/" in lines[0]
        )
    label = cv2.imread(str(next((root / "trainannot").iterdir())), cv2.IMREAD_UNCHANGED)
    assert label.ndim == 2 and label.dtype == np.uint8 and label.max() <= 11
    labels = np.concatenate(
        [cv2.imread(str(p), cv2.IMREAD_UNCHANGED).ravel() for p in (root / "trainannot").iterdir()]
    )
    assert {0, 1, 3, 4, 8}.issubset(
        set(np.unique(labels).tolist())
    )  # sky, building, road, pavement, car


def test_mvtec_like_layout(sets):
    root = sets["mvtec"]
    for category, defects in synthetic.mvtec.DEFECTS.items():
        assert len(list((root / category / "train" / "good").iterdir())) == 5
        for defect in defects:
            masks = sorted((root / category / "ground_truth" / defect).iterdir())
            assert [m.name for m in masks] == ["000_mask.png", "001_mask.png"]
            values = cv2.imread(str(masks[0]), cv2.IMREAD_UNCHANGED)
            assert set(np.unique(values).tolist()) == {0, 255}
    weave = cv2.imread(str(root / "weave" / "train" / "good" / "000.png"), cv2.IMREAD_UNCHANGED)
    assert weave.ndim == 2  # a grayscale category, like MVTec's grid


def test_coco_instances_follow_the_schema(sets):
    from pycocotools.coco import COCO

    path = sets["coco"] / "annotations" / "instances_val2017.json"
    document = json.loads(path.read_text())
    assert set(document) == {"info", "licenses", "images", "annotations", "categories"}
    assert all({"supercategory", "id", "name"} <= set(c) for c in document["categories"])
    api = COCO(str(path))
    crowd = [a for a in document["annotations"] if a["iscrowd"] == 1]
    assert crowd and isinstance(crowd[0]["segmentation"]["counts"], list)
    for ann in document["annotations"]:
        mask = api.annToMask(ann)
        assert mask.shape == (
            api.imgs[ann["image_id"]]["height"],
            api.imgs[ann["image_id"]]["width"],
        )
        assert abs(int(mask.sum()) - ann["area"]) <= 0.05 * ann["area"] + 2
        x, y, w, h = ann["bbox"]
        ys, xs = np.nonzero(mask)
        assert xs.min() >= np.floor(x) - 1 and xs.max() <= np.ceil(x + w) + 1
        assert ys.min() >= np.floor(y) - 1 and ys.max() <= np.ceil(y + h) + 1


# --- class folders ------------------------------------------------------------------------


def test_class_folders_on_toy_pets(sets):
    ds, names = classfolders.class_folder_dataset(sets["pets"] / "train", size=(40, 36))
    items = list(ds.as_numpy_iterator())
    assert names == ["cat", "turtle"] and len(items) == 12
    images = np.stack([i for i, _ in items])
    labels = np.array([label for _, label in items])
    assert images.shape == (12, 40, 36, 3) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert labels.dtype == np.int32 and labels.tolist() == [0] * 6 + [1] * 6


def _write_odd_images(folder: Path) -> list[str]:
    """One file of each awkward kind a web-scraped class folder holds."""
    from PIL import Image

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)
    cv2.imwrite(str(folder / "a.JPEG"), rgb)
    cv2.imwrite(str(folder / "b.bmp"), rgb)
    cv2.imwrite(str(folder / "c.webp"), rgb)
    cv2.imwrite(str(folder / "d.png"), rgb[..., 0])  # grayscale
    _, jpeg = cv2.imencode(".jpg", rgb)
    (folder / "lying.png").write_bytes(jpeg.tobytes())  # the name says PNG, the bytes are JPEG
    palette = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE)
    palette.info["transparency"] = 0
    palette.save(folder / "e.png", transparency=0)
    Image.fromarray(np.dstack([rgb, np.full((30, 40), 128, np.uint8)])).save(folder / "f.png")
    return sorted(p.name for p in folder.iterdir())


def test_class_folders_read_mixed_formats(tmp_path):
    _write_odd_images(tmp_path / "odd")
    (tmp_path / "plain").mkdir()
    cv2.imwrite(str(tmp_path / "plain" / "x.jpg"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / ".ipynb_checkpoints").mkdir()  # ignored
    ds, names = classfolders.class_folder_dataset(tmp_path, size=16)
    items = list(ds.as_numpy_iterator())
    assert names == ["odd", "plain"] and len(items) == 8
    assert all(i.shape == (16, 16, 3) and 0 <= i.min() and i.max() <= 1 for i, _ in items)


def test_class_folders_corrupt_file_warns_or_raises(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        cv2.imwrite(str(tmp_path / name / "ok.png"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "a" / "broken.jpg").write_bytes(b"this is not an image")
    with pytest.warns(UserWarning, match="broken.jpg"):
        ds, _ = classfolders.class_folder_dataset(tmp_path, size=8)
    assert len(list(ds)) == 2
    with pytest.raises(ValueError, match="broken.jpg"):
        classfolders.class_folder_dataset(tmp_path, size=8, on_error="raise")


def test_class_folders_bad_layouts(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        classfolders.class_folder_dataset(tmp_path / "missing", size=8)
    (tmp_path / "cat").mkdir()
    cv2.imwrite(str(tmp_path / "cat" / "x.png"), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="at least two"):
        classfolders.class_folder_dataset(tmp_path, size=8)
    (tmp_path / "turtle").mkdir()
    with pytest.raises(ValueError, match="'turtle' has no image files"):
        classfolders.class_folder_dataset(tmp_path, size=8)
    with pytest.raises(ValueError, match="'dog' has no folder"):
        classfolders.class_folder_dataset(tmp_path, size=8, class_names=["cat", "dog"])


# --- CamVid -------------------------------------------------------------------------------


def test_camvid_on_street_scenes(sets):
    ds = camvid.camvid_dataset(sets["street"], "val", size=(36, 48))
    items = list(ds.as_numpy_iterator())
    assert len(items) == 3
    image, mask = items[0]
    assert image.shape == (36, 48, 3) and image.dtype == np.float32
    assert mask.shape == (36, 48, 1) and mask.dtype == np.int32
    assert 0 <= mask.min() and mask.max() <= palettes.CAMVID_VOID


def test_camvid_color_layout_matches_index_layout(sets):
    index = list(camvid.camvid_dataset(sets["street"], "train").as_numpy_iterator())
    color = list(camvid.camvid_color_dataset(sets["street"], "train").as_numpy_iterator())
    assert len(index) == len(color) == 6
    for (image_a, mask_a), (image_b, mask_b) in zip(index, color, strict=True):
        np.testing.assert_array_equal(image_a, image_b)
        np.testing.assert_array_equal(mask_a, mask_b)


def test_camvid_color_table_formats(sets, tmp_path):
    table_csv = camvid.read_color_table(sets["street"])
    (tmp_path / "label_colors.txt").write_text((sets["street"] / "label_colors.txt").read_text())
    assert camvid.read_color_table(tmp_path) == table_csv == palettes.CAMVID32_COLORS
    with pytest.raises(FileNotFoundError, match="class_dict.csv or label_colors.txt"):
        camvid.read_color_table(tmp_path / "nowhere")


def _camvid_pair(root: Path, name: str, label: np.ndarray, split: str = "train") -> None:
    (root / split).mkdir(parents=True, exist_ok=True)
    (root / f"{split}annot").mkdir(parents=True, exist_ok=True)
    image = palettes.CAMVID_PALETTE[label]
    cv2.imwrite(str(root / split / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(root / f"{split}annot" / name), label)


def test_camvid_image_and_mask_stay_aligned_after_resize(tmp_path):
    label = np.zeros((60, 80), np.uint8)
    label[:, 20:] = 3
    label[30:, 50:] = 8
    label[10:20, 5:15] = 5
    _camvid_pair(tmp_path, "x.png", label)
    image, mask = _first(camvid.camvid_dataset(tmp_path, "train", size=(45, 61)))
    expected = palettes.CAMVID_PALETTE[mask[..., 0]].astype(np.float32) / 255
    agreement = np.mean(np.abs(image - expected).max(axis=-1) < 0.05)
    assert agreement > 0.9  # only pixels on class borders are blended
    assert set(np.unique(mask).tolist()) == {0, 3, 5, 8}  # nearest: no invented classes


def test_camvid_bad_inputs(tmp_path):
    label = np.zeros((12, 16), np.uint8)
    _camvid_pair(tmp_path, "a.png", label)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        camvid.camvid_dataset(tmp_path / "nowhere")
    cv2.imwrite(str(tmp_path / "train" / "b.png"), np.zeros((12, 16, 3), np.uint8))
    with pytest.raises(ValueError, match=r"b\.png.*has no mask"):
        camvid.camvid_dataset(tmp_path)
    (tmp_path / "train" / "b.png").unlink()
    cv2.imwrite(str(tmp_path / "trainannot" / "c.png"), label)
    with pytest.raises(ValueError, match=r"c\.png.*has no image"):
        camvid.camvid_dataset(tmp_path)
    (tmp_path / "trainannot" / "c.png").unlink()
    cv2.imwrite(str(tmp_path / "trainannot" / "a.png"), np.zeros((10, 16), np.uint8))
    with pytest.raises(ValueError, match=r"a\.png.*image"):
        camvid.camvid_dataset(tmp_path)
    cv2.imwrite(str(tmp_path / "trainannot" / "a.png"), np.full((12, 16), 14, np.uint8))
    with pytest.raises(ValueError, match="class index 14"):
        camvid.camvid_dataset(tmp_path)
    cv2.imwrite(str(tmp_path / "trainannot" / "a.png"), np.zeros((12, 16, 3), np.uint8))
    with pytest.raises(ValueError, match="3 channels"):
        camvid.camvid_dataset(tmp_path)
    cv2.imwrite(str(tmp_path / "trainannot" / "a.png"), label)
    (tmp_path / "train.txt").write_text(
        "/SegNet/CamVid/train/zz.png /SegNet/CamVid/trainannot/zz.png\n"
    )
    with pytest.raises(FileNotFoundError, match="zz.png"):
        camvid.camvid_dataset(tmp_path)
    (tmp_path / "train.txt").write_text(
        "/SegNet/CamVid/train/a.png /SegNet/CamVid/trainannot/a.png\n"
    )
    assert len(list(camvid.camvid_dataset(tmp_path))) == 1


def test_camvid_color_unknown_colors(sets, tmp_path):
    root = tmp_path / "colors"
    (root / "train").mkdir(parents=True)
    (root / "train_labels").mkdir()
    (root / "class_dict.csv").write_text((sets["street"] / "class_dict.csv").read_text())
    cv2.imwrite(str(root / "train" / "x.png"), np.zeros((8, 8, 3), np.uint8))
    label = np.zeros((8, 8, 3), np.uint8)  # Void
    label[:4] = palettes.CAMVID32_COLORS["Road"][::-1]
    label[0, 0] = (1, 2, 3)
    cv2.imwrite(str(root / "train_labels" / "x_L.png"), label)
    with pytest.raises(ValueError, match=r"x_L\.png.*not in the color table"):
        camvid.camvid_color_dataset(root)
    with pytest.warns(UserWarning, match="1 label file"):
        ds = camvid.camvid_color_dataset(root, on_unknown_color="warn")
    _, mask = _first(ds)
    assert mask[0, 0, 0] == 11 and mask[1, 0, 0] == 3 and mask[7, 7, 0] == 11


# --- CARLA, COCO, MVTec, denoising ------------------------------------------------------------


def test_carla_on_synthetic(sets):
    items = list(carla.carla_dataset(sets["carla"], size=48).as_numpy_iterator())
    assert len(items) == 5
    image, mask = items[0]
    assert image.shape == (48, 48, 3) and mask.shape == (48, 48, 1) and mask.dtype == np.int32
    assert mask.max() <= 11 and len(np.unique(mask)) > 3
    (sets["carla"] / "CameraRGB" / "000004.png").rename(sets["carla"] / "extra.png")
    try:
        with pytest.raises(ValueError, match=r"000004\.png.*has no image"):
            carla.carla_dataset(sets["carla"])
    finally:
        (sets["carla"] / "extra.png").rename(sets["carla"] / "CameraRGB" / "000004.png")


def test_coco_foreground_and_category_masks(sets, tmp_path):
    from pycocotools.coco import COCO

    ds, names = coco.coco_dataset(sets["coco"], "val2017", cache_dir=tmp_path / "fg")
    assert names == ["background", "foreground"]
    api = COCO(str(sets["coco"] / "annotations" / "instances_val2017.json"))
    first_id = sorted(api.getImgIds())[0]
    union = np.zeros((api.imgs[first_id]["height"], api.imgs[first_id]["width"]), bool)
    for ann in api.loadAnns(api.getAnnIds(imgIds=[first_id], iscrowd=None)):
        union |= api.annToMask(ann).astype(bool)
    image, mask = _first(ds)
    assert image.shape[:2] == mask.shape[:2] == union.shape
    np.testing.assert_array_equal(mask[..., 0], union.astype(np.int32))  # crowd RLE included
    ds, names = coco.coco_dataset(
        sets["coco"], "val2017", size=(32, 40), mode="category", cache_dir=tmp_path / "cat"
    )
    assert names == ["background", "disk", "square", "triangle", "star"]
    masks = np.stack([m for _, m in ds.as_numpy_iterator()])
    assert masks.shape == (5, 32, 40, 1) and masks.max() <= 4 and masks.max() >= 1


def test_coco_bad_inputs(sets, tmp_path):
    document = json.loads((sets["coco"] / "annotations" / "instances_train2017.json").read_text())
    root = tmp_path / "coco"
    (root / "annotations").mkdir(parents=True)
    (root / "train2017").mkdir()
    for info in document["images"][1:]:
        (root / "train2017" / info["file_name"]).write_bytes(
            (sets["coco"] / "train2017" / info["file_name"]).read_bytes()
        )
    (root / "annotations" / "instances_train2017.json").write_text(json.dumps(document))
    missing = document["images"][0]["file_name"]
    with pytest.raises(FileNotFoundError, match=missing):
        coco.coco_dataset(root, "train2017")
    with pytest.warns(UserWarning, match="Skipped 1 COCO images"):
        ds, _ = coco.coco_dataset(root, "train2017", on_missing="warn")
    assert len(list(ds)) == len(document["images"]) - 1
    document["images"][1]["height"] += 3
    (root / "annotations" / "instances_train2017.json").write_text(json.dumps(document))
    with (
        pytest.raises(ValueError, match=document["images"][1]["file_name"]),
        pytest.warns(UserWarning),
    ):
        coco.coco_dataset(root, "train2017", on_missing="warn")
    with pytest.raises(FileNotFoundError, match="instances_val2017.json"):
        coco.coco_dataset(root, "val2017")


def test_mvtec_on_synthetic(sets):
    train = list(mvtec.mvtec_dataset(sets["mvtec"], "weave", "train", size=32).as_numpy_iterator())
    assert len(train) == 5 and all(m.max() == 0 and label == 0 for _, m, label, _ in train)
    test = list(mvtec.mvtec_dataset(sets["mvtec"], "weave", "test", size=32).as_numpy_iterator())
    assert len(test) == 3 + 3 * 2
    kinds = [k.decode() for *_, k in test]
    assert sorted(set(kinds)) == ["contamination", "good", "hole", "scratch"]
    for image, mask, label, kind in test:
        assert image.shape == (32, 32, 3) and mask.shape == (32, 32, 1) and mask.dtype == np.int32
        np.testing.assert_array_equal(
            image[..., 0], image[..., 2]
        )  # gray category → 3 equal channels
        assert set(np.unique(mask).tolist()) <= {0, 1}
        assert label == int(kind != b"good") and (mask.max() == 1) == (kind != b"good")
    assert mvtec.mvtec_categories(sets["mvtec"]) == ["cap", "weave"]


def test_mvtec_bad_inputs(sets, tmp_path):
    root = tmp_path / "mv"
    (root / "thing" / "test" / "good").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="train/good"):
        mvtec.mvtec_dataset(root, "thing")
    with pytest.raises(FileNotFoundError, match="nothing"):
        mvtec.mvtec_dataset(root, "nothing")
    source = sets["mvtec"] / "cap"
    (root / "cap" / "train" / "good").mkdir(parents=True)
    (root / "cap" / "test" / "crack").mkdir(parents=True)
    (root / "cap" / "train" / "good" / "000.png").write_bytes(
        (source / "train" / "good" / "000.png").read_bytes()
    )
    (root / "cap" / "test" / "crack" / "000.png").write_bytes(
        (source / "test" / "crack" / "000.png").read_bytes()
    )
    with pytest.raises(ValueError, match=r"crack/000\.png.*has no mask.*000_mask\.png"):
        mvtec.mvtec_dataset(root, "cap", "test")
    (root / "cap" / "ground_truth" / "crack").mkdir(parents=True)
    cv2.imwrite(
        str(root / "cap" / "ground_truth" / "crack" / "000_mask.png"), np.zeros((10, 10), np.uint8)
    )
    with pytest.raises(ValueError, match="000_mask.png"):
        mvtec.mvtec_dataset(root, "cap", "test")


def test_denoise_gray_and_color(tmp_path):
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (20, 24), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "g.png"), gray)
    cv2.imwrite(str(tmp_path / "h.png"), rng.integers(0, 256, (20, 24, 3), dtype=np.uint8))
    images = list(denoise_sets.denoise_dataset(tmp_path, gray=True).as_numpy_iterator())
    assert [i.shape for i in images] == [(20, 24, 1), (20, 24, 1)]
    np.testing.assert_allclose(images[0][..., 0], gray / 255.0, atol=1e-6)  # gray is exact
    crops = list(
        denoise_sets.denoise_dataset(
            tmp_path, size=16, mode="random_crop", seed=1
        ).as_numpy_iterator()
    )
    assert [c.shape for c in crops] == [(16, 16, 3)] * 2
    with pytest.raises(ValueError, match="mode"):
        denoise_sets.denoise_dataset(tmp_path, size=16, mode="stretch")
    with pytest.raises(FileNotFoundError):
        denoise_sets.denoise_dataset(tmp_path / "BSD68")


def test_mvtec_mask_names_of_other_tools(sets, tmp_path):
    source = sets["mvtec"] / "weave"
    masks = sorted((source / "ground_truth" / "hole").glob("*_mask.png"))
    for scheme, pattern in (("{stem}.png", None), ("{stem}_gt.png", "{stem}_gt.png")):
        root = tmp_path / scheme.replace("{stem}", "x")
        for sub in ("train/good", "test/good", "test/hole"):
            (root / "weave" / sub).mkdir(parents=True)
            for file in (source / sub).glob("*.png"):
                (root / "weave" / sub / file.name).write_bytes(file.read_bytes())
        (root / "weave" / "ground_truth" / "hole").mkdir(parents=True)
        for mask in masks:
            stem = mask.name.removesuffix("_mask.png")
            renamed = root / "weave" / "ground_truth" / "hole" / scheme.format(stem=stem)
            renamed.write_bytes(mask.read_bytes())
        if pattern is not None:  # not one of the names tried by default
            with pytest.raises(ValueError, match=r"has no mask.*mask_pattern"):
                mvtec.mvtec_files(root, "weave", "test")
        images, found, labels, _ = mvtec.mvtec_files(root, "weave", "test", mask_pattern=pattern)
        assert [Path(m).name for m in found if m] == [
            scheme.format(stem=m.name.removesuffix("_mask.png")) for m in masks
        ]
        assert labels.count(1) == len(masks)
        served = list(mvtec.mvtec_dataset(root, "weave", "test", size=32, mask_pattern=pattern))
        assert sum(int(np.max(mask)) for _, mask, _, _ in served) == len(masks)
    with pytest.raises(ValueError, match="mask_pattern must be a file name containing"):
        mvtec.mvtec_files(root, "weave", "test", mask_pattern="gt.png")
