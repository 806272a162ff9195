"""Safe extraction of archives built in the test's folder: escapes are refused naming the
member, links inside the extracted part are kept and routed."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from ssl_keras.datasets import archives


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
        archives.safe_extract(archive, target)
    assert repr(tarfile.open(archive).getmembers()[0].name) in str(error.value)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "outside.txt").exists()
    assert not (target / "link").is_symlink()


def test_zip_extraction_refuses_escapes(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("good.txt", b"fine")
        handle.writestr("../evil.txt", b"bad")
    with pytest.raises(ValueError, match=r"\.\./evil\.txt"):
        archives.safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out" / "good.txt").exists()


def test_safe_extract_keeps_links_inside_and_routes_them(tmp_path):
    def add(handle):
        _member(handle, "./pkg/data/a.txt", b"hello")
        _member(handle, "./pkg/data/b.txt", type=tarfile.SYMTYPE, linkname="a.txt")
        _member(handle, "./pkg/data/c.txt", type=tarfile.LNKTYPE, linkname="./pkg/data/a.txt")

    archive = _tar(tmp_path / "ok.tar.gz", add)
    target = archives.safe_extract(archive, tmp_path / "out", (("pkg/", "files"),))
    assert (target / "files" / "data" / "b.txt").read_text() == "hello"
    assert (target / "files" / "data" / "c.txt").read_text() == "hello"
    archives.safe_extract(archive, target, (("pkg/", "files"),))  # extracting again is fine
