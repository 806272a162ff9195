"""Tests of ssl_keras.datasets.synthetic: seeded generators, reused or redone sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssl_keras.datasets import synthetic

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
