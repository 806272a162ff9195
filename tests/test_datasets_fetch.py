"""Fetching one URL from local files and a loopback HTTP server only: no test touches the
network. The server serves Range requests and can drop a connection mid-file, stall, ignore
Range, or answer 404."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from ssl_keras.datasets import fetch
from tests import upstream_archives


@pytest.fixture
def server():
    with upstream_archives.ScriptedServer() as httpd:
        yield httpd


def _payload(tmp_path: Path, size: int = 300_000) -> tuple[Path, str]:
    source = tmp_path / "source.bin"
    source.write_bytes(bytes(range(256)) * (size // 256))
    return source, hashlib.sha256(source.read_bytes()).hexdigest()


def test_download_from_file_url_is_checked_and_cached(tmp_path):
    source, digest = _payload(tmp_path)
    target = fetch.download(source.as_uri(), tmp_path / "dl" / "file.bin", sha256=digest)
    assert target.read_bytes() == source.read_bytes()
    source.unlink()  # a verified cached file must not be fetched again
    assert fetch.download(source.as_uri(), target, sha256=digest) == target


def test_download_without_checksum_records_one(tmp_path):
    source, digest = _payload(tmp_path)
    with pytest.warns(UserWarning, match="recorded sha256"):
        target = fetch.download(source.as_uri(), tmp_path / "file.bin")
    assert (tmp_path / "file.bin.sha256").read_text().split()[0] == digest
    target.write_bytes(b"tampered")
    with pytest.raises(ValueError, match="Checksum mismatch"):
        fetch.download(source.as_uri(), target)


def test_download_bad_checksum_leaves_nothing(tmp_path):
    source, _ = _payload(tmp_path)
    with pytest.raises(ValueError, match=r"Checksum mismatch.*sha256"):
        fetch.download(source.as_uri(), tmp_path / "file.bin", sha256="0" * 64)
    assert not (tmp_path / "file.bin").exists() and not (tmp_path / "file.bin.part").exists()


def test_download_resumes_a_part_file_with_a_range_request(tmp_path, server, capsys):
    source, digest = _payload(tmp_path)
    data = source.read_bytes()
    url = server.serve("/file.bin", data)
    (tmp_path / "file.bin.part").write_bytes(data[:100_000])
    target = fetch.download(url, tmp_path / "file.bin", sha256=digest)
    assert target.read_bytes() == data and server.log == [("/file.bin", "bytes=100000-")]
    out, err = capsys.readouterr()
    assert out == f"Resuming file.bin from 0.1 MB ({str(tmp_path / 'file.bin.part')!r}).\n"
    assert err == ""  # no progress bars without a terminal or notebook


def test_download_resumes_after_a_dropped_connection(tmp_path, server, capsys):
    source, digest = _payload(tmp_path)
    data = source.read_bytes()
    url = server.serve("/file.bin", data, "drop-once")
    target = fetch.download(url, tmp_path / "file.bin", sha256=digest, backoff=0)
    assert target.read_bytes() == data
    assert server.log == [("/file.bin", None), ("/file.bin", f"bytes={len(data) // 3}-")]
    assert "retry 1/5" in capsys.readouterr().out


def test_download_retries_after_a_stall(tmp_path, server):
    source, digest = _payload(tmp_path)
    url = server.serve("/file.bin", source.read_bytes(), "stall-once")
    start = time.monotonic()
    fetch.download(url, tmp_path / "file.bin", sha256=digest, read_timeout=0.3, backoff=0)
    assert time.monotonic() - start < server.stall  # gave up on the stalled read, resumed
    assert len(server.log) == 2 and server.log[1][1] == f"bytes={len(source.read_bytes()) // 3}-"


def test_download_restarts_when_the_server_ignores_range(tmp_path, server, capsys):
    source, digest = _payload(tmp_path)
    url = server.serve("/file.bin", source.read_bytes(), "no-range")
    (tmp_path / "file.bin.part").write_bytes(b"stale bytes")
    target = fetch.download(url, tmp_path / "file.bin", sha256=digest)
    assert target.read_bytes() == source.read_bytes()
    assert "ignored the Range request" in capsys.readouterr().out


def test_download_retries_are_bounded(tmp_path, server):
    source, _ = _payload(tmp_path)
    url = server.serve("/file.bin", source.read_bytes(), "drop-always")
    with pytest.raises(fetch.DownloadError, match="after 2 retries.*run again to resume"):
        fetch.download(url, tmp_path / "file.bin", retries=2, backoff=0.01)
    assert len(server.log) == 3 and (tmp_path / "file.bin.part").stat().st_size > 0
    assert not (tmp_path / "file.bin").exists()


def test_download_404_fails_at_once(tmp_path, server):
    with pytest.raises(fetch.DownloadError, match="HTTP 404"):
        fetch.download(server.base + "/missing.bin", tmp_path / "file.bin")
    assert len(server.log) == 1


def test_progress_bar_when_asked(tmp_path, server, capsys):
    source, digest = _payload(tmp_path)
    url = server.serve("/file.bin", source.read_bytes())
    fetch.download(url, tmp_path / "file.bin", sha256=digest, progress=True)
    assert "file.bin" in capsys.readouterr().err


def test_resolve_url_keeps_path_and_query(monkeypatch):
    url = "http://images.cocodataset.org/zips/val2017.zip?x=1"
    monkeypatch.delenv(fetch.MIRROR_ENV, raising=False)
    assert fetch.resolve_url(url) == url
    monkeypatch.setenv(fetch.MIRROR_ENV, "http://127.0.0.1:8123")
    assert fetch.resolve_url(url) == "http://127.0.0.1:8123/zips/val2017.zip?x=1"
    monkeypatch.setenv(fetch.MIRROR_ENV, "https://mirror.example.org/datasets/")
    assert fetch.resolve_url(url) == "https://mirror.example.org/datasets/zips/val2017.zip?x=1"
    monkeypatch.setenv(fetch.MIRROR_ENV, "file:///srv/mirror")
    assert fetch.resolve_url(url) == "file:///srv/mirror/zips/val2017.zip?x=1"
    monkeypatch.setenv(fetch.MIRROR_ENV, "127.0.0.1:8123")
    with pytest.raises(ValueError, match=fetch.MIRROR_ENV):
        fetch.resolve_url(url)
