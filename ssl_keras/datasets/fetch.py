"""Fetching one URL into one file: checked, resumable, mirror-aware, patient but not stuck.

>>> path = download(url, "data/downloads/file.tar.gz", md5="...")  # → that path, verified

* **Checked**: the file is verified against ``sha256`` or ``md5`` when given (a mismatch
  deletes it). Where neither is published, the first download records its sha256 in
  ``<file>.sha256`` (a warning says so) and later downloads are checked against it.
* **Patient but not stuck**: the first connection must succeed within ``timeout`` seconds
  (5), so offline a :class:`DownloadError` comes within seconds. After that each read may
  wait ``read_timeout`` seconds (60); a stall or dropped connection is retried up to
  ``retries`` times (5) after 1, 2, 4, ... seconds (at most 30), each retry continuing the
  ``<file>.part`` file with an HTTP Range request (a server that ignores Range, answering
  200, restarts the file). A run that finds a ``.part`` file prints one line saying from how
  many MB it resumes.
* **Progress**: a ``tqdm.auto`` bar (a widget in notebooks, text in terminals) for every
  download (bytes) and the check of large files; no bars when neither a terminal nor a
  notebook is attached (tests, CI logs). :mod:`ssl_keras.datasets.archives` uses the same
  bars for extraction.
* **Mirror**: with ``SSL_KERAS_DATA_MIRROR=http://127.0.0.1:8123`` (or an institution's
  ``https://mirror.example.org/datasets``) every URL is fetched from the mirror under the same
  path: :func:`resolve_url` replaces the scheme and host (prepending the mirror's own path)
  and keeps path and query, so the mirror holds e.g. ``/zips/val2017.zip``. Checksums are
  still checked.

Why not ``keras.utils.get_file`` or pooch: both fetch a file in one piece with one timeout
for connecting and reading; neither continues a partial file with a Range request, retries
with back-off, reads from a mirror, or names the folder to fill by hand. What they would
share with this module is small (a streamed copy, a hash), so the transfer stays here;
member safety is ``tarfile``'s own ``data`` filter, progress bars are tqdm's.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.client
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm.auto import tqdm

CHUNK = 1 << 20
MIRROR_ENV = "SSL_KERAS_DATA_MIRROR"
_HASH_BAR_BYTES = 64 << 20  # show a bar when checking archives larger than this
_MAX_BACKOFF = 30.0


class DownloadError(OSError):
    """A dataset could not be downloaded (offline, server error); the message says what to
    put where instead."""


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


def progress_bar(total: float | None, desc: str, enabled: bool | None, initial: int = 0) -> tqdm:
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
        progress_bar(path.stat().st_size, f"checking {path.name}", progress) as bar,
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
    with open(part, mode) as out, progress_bar(total, part.name[:-5], progress, start) as bar:
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
