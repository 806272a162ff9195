"""The CIFAR cats vs turtles folders from a warm Keras cache (offline) or from archives on a
loopback mirror: balanced, seeded, and refusing pickled code."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from ssl_keras.datasets import download
from tests import upstream_archives


def _batch(labels: list[int], label_key: bytes, offset: int) -> bytes:
    """A CIFAR batch in the real format: image i is filled with ``offset + i``."""
    data = np.repeat(np.arange(offset, offset + len(labels), dtype=np.uint8)[:, None], 3072, 1)
    return pickle.dumps({b"data": data, label_key: labels, b"batch_label": b"x"}, protocol=2)


def _cifar_files() -> dict[str, dict[str, bytes]]:
    """CIFAR-10: 5 train batches with 4 cats each (+2 dogs), test 5 cats; CIFAR-100: 6 train
    turtles, 3 test turtles, among other classes."""
    ten = {f"data_batch_{i}": _batch([3, 5, 3, 3, 5, 3], b"labels", 10 * i) for i in range(1, 6)}
    ten["test_batch"] = _batch([3, 3, 1, 3, 3, 3], b"labels", 100)
    hundred = {
        "train": _batch([93, 2, 93, 93, 93, 4, 93, 93], b"fine_labels", 150),
        "test": _batch([1, 93, 93, 93], b"fine_labels", 200),
    }
    return {"cifar-10-batches-py": ten, "cifar-100-python": hundred}


def _counts(folder: Path) -> dict[str, int]:
    return {
        f"{split}/{kind}": len(list((folder / split / kind).glob("*.png")))
        for split in ("train", "test")
        for kind in ("cat", "turtle")
    }


def _values(folder: Path) -> list[int]:
    return [int(cv2.imread(str(p))[0, 0, 0]) for p in sorted(folder.glob("*.png"))]


def test_cifar_from_a_warm_keras_3_cache(tmp_path, monkeypatch, no_network):
    home = tmp_path / "keras"
    for inner, files in _cifar_files().items():
        folder = home / "datasets" / f"{inner}-target" / inner
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
    monkeypatch.setenv("KERAS_HOME", str(home))
    folder = download.cifar_cats_turtles(tmp_path / "ct")
    assert _counts(folder) == {"train/cat": 6, "train/turtle": 6, "test/cat": 3, "test/turtle": 3}
    assert _values(folder / "train" / "turtle") == [150, 152, 153, 154, 156, 157]
    cats = _values(folder / "train" / "cat")
    assert cats == sorted(cats) and set(cats) <= {
        10 * i + j for i in range(1, 6) for j in (0, 2, 3, 5)
    }
    assert (folder / ".complete").is_file()
    again = download.cifar_cats_turtles(tmp_path / "again")  # same seed, same cats
    assert _values(again / "train" / "cat") == cats
    other = download.cifar_cats_turtles(tmp_path / "other", seed=1)
    assert _values(other / "train" / "cat") != cats


def test_cifar_from_mirrored_archives(tmp_path, mirror, monkeypatch):
    (tmp_path / "keras").mkdir()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # a cold cache
    archives = []
    for archive, (inner, files) in zip(
        download.CIFAR.archives, _cifar_files().items(), strict=True
    ):
        data = upstream_archives.tar_bytes(
            {f"{inner}/{name}": blob for name, blob in files.items()}
        )
        mirror.serve("/~kriz/" + archive.filename, data)
        archives.append(dataclasses.replace(archive, md5=hashlib.md5(data).hexdigest()))
    monkeypatch.setattr(
        download, "CIFAR", dataclasses.replace(download.CIFAR, archives=tuple(archives))
    )
    folder = download.cifar_cats_turtles(tmp_path / "data" / "cifar_cats_turtles")
    assert _counts(folder) == {"train/cat": 6, "train/turtle": 6, "test/cat": 3, "test/turtle": 3}
    assert (tmp_path / "data" / "downloads" / "cifar-100-python.tar.gz").is_file()
    assert [path for path, _ in mirror.log] == [
        "/~kriz/cifar-10-python.tar.gz",
        "/~kriz/cifar-100-python.tar.gz",
    ]


def test_cifar_refuses_pickled_code(tmp_path, monkeypatch, no_network):
    home = tmp_path / "keras" / "datasets"
    for inner, files in _cifar_files().items():
        (home / inner).mkdir(parents=True)  # the older Keras layout
        for name, data in files.items():
            (home / inner / name).write_bytes(data)
    (home / "cifar-100-python" / "train").write_bytes(pickle.dumps(print, protocol=2))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(ValueError, match="not a CIFAR batch.*refusing to load .*print"):
        download.cifar_cats_turtles(tmp_path / "ct")
    assert not (tmp_path / "ct" / ".complete").exists()


def _class_counts(folder: Path, split: str) -> dict[str, int]:
    return {path.name: len(list(path.glob("*.png"))) for path in sorted((folder / split).iterdir())}


def test_cifar10_writes_every_class_from_a_warm_cache(tmp_path, monkeypatch, no_network):
    folder = tmp_path / "keras" / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, data in _cifar_files()["cifar-10-batches-py"].items():
        (folder / name).write_bytes(data)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    root = download.cifar10(tmp_path / "cifar10")
    assert _class_counts(root, "train") == {"cat": 20, "dog": 10}
    assert _class_counts(root, "test") == {"automobile": 1, "cat": 5}
    assert _values(root / "test" / "automobile") == [102]
    assert (root / ".complete").is_file() and not (root / ".partial").exists()
    (root / "test" / "automobile" / "00002.png").unlink()  # .complete: not read again
    assert download.cifar10(tmp_path / "cifar10") == root


def test_cifar10_from_the_mirrored_archive(tmp_path, mirror, monkeypatch):
    (tmp_path / "keras").mkdir()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # a cold cache
    files = _cifar_files()["cifar-10-batches-py"]
    data = upstream_archives.tar_bytes(
        {f"cifar-10-batches-py/{name}": blob for name, blob in files.items()}
    )
    archive = download.CIFAR10.archives[0]
    mirror.serve("/~kriz/" + archive.filename, data)
    republished = dataclasses.replace(archive, md5=hashlib.md5(data).hexdigest())
    monkeypatch.setattr(
        download, "CIFAR10", dataclasses.replace(download.CIFAR10, archives=(republished,))
    )
    root = download.cifar10(tmp_path / "data" / "cifar10")
    assert _class_counts(root, "train") == {"cat": 20, "dog": 10}
    assert (tmp_path / "data" / "downloads" / "cifar-10-python.tar.gz").is_file()


def test_cifar10_refuses_labels_outside_ten_classes(tmp_path, monkeypatch, no_network):
    folder = tmp_path / "keras" / "datasets" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, data in _cifar_files()["cifar-10-batches-py"].items():
        (folder / name).write_bytes(data)
    (folder / "test_batch").write_bytes(_batch([3, 12], b"labels", 0))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(ValueError, match="CIFAR-10 has 10 classes"):
        download.cifar10(tmp_path / "cifar10")
    assert not (tmp_path / "cifar10" / ".complete").exists()


def test_cifar10_offline_names_the_folder_to_fill(tmp_path, monkeypatch, no_network):
    (tmp_path / "keras").mkdir()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(download.DownloadError, match="train/<class>/\\*.png") as caught:
        download.cifar10(tmp_path / "cifar10", timeout=0.5)
    assert str(tmp_path / "cifar10") in str(caught.value)
