"""Checking that files are readable images before a lazy pipeline reads them, and naming
the file when one still fails to decode inside the pipeline.

A file's leading bytes name its format (:func:`sniff_format`; the extension is not
trusted) and its last bytes show whether it is complete (:func:`check_image_files`); a bad
file raises :class:`NotAnImageError`, a ``ValueError`` naming it. A file corrupt inside,
its ends intact, fails only in the pipeline: :func:`bad_file_error` and
:func:`naming_bad_files` turn TensorFlow's error into one naming it.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence

import tensorflow as tf

from ssl_keras.image_files.decoding import load_image

# Leading bytes of the formats read here; the extension of a file is not trusted.
_MAGIC = {
    b"\xff\xd8\xff": "jpeg",
    b"\x89PNG\r\n\x1a\n": "png",
    b"BM": "bmp",
    b"GIF87a": "gif",
    b"GIF89a": "gif",
    b"II*\x00": "tiff",  # little-endian TIFF
    b"MM\x00*": "tiff",  # big-endian TIFF
}


def sniff_format(path: str | os.PathLike) -> str | None:
    """Return ``"jpeg"``, ``"png"``, ``"bmp"``, ``"gif"``, ``"webp"`` or ``"tiff"`` from a
    file's first bytes, or ``None`` when it is none of them (empty, truncated header, another
    format)."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


class NotAnImageError(ValueError):
    """A file that should be an image is not a readable one: its first bytes match no image
    format, or it starts like one but does not decode (cut short by an interrupted download
    or copy, or corrupt).

    ``files``: every such file found (the message names the first); ``broken``: those of
    them that start like an image but do not decode. Callers that offer another fix than
    ``on_error`` (the command line, the dataset loaders) re-word it with :meth:`describe`;
    elsewhere it is a ``ValueError`` like any other bad input.
    """

    def __init__(self, files: Sequence[str], fix: str, broken: Sequence[str] = ()):
        self.files = list(files)
        self.broken = [f for f in self.files if f in set(broken)]
        super().__init__(self.describe(fix))

    def describe(self, fix: str, prefix: str = "") -> str:
        """``prefix`` + the first file, what is wrong with it, how many more, and ``fix``."""
        more = f" ({len(self.files) - 1} more such files)" if len(self.files) > 1 else ""
        if self.files[0] in self.broken:
            what = (
                "it starts like an image but does not decode: cut short by an interrupted "
                "download or copy, or corrupt"
            )
        else:
            what = (
                "not an image file at all: empty, text, or not JPEG, PNG, BMP, GIF, WebP or "
                "TIFF content"
            )
        return f"{prefix}{self.files[0]!r} is not a readable image ({what}){more}. {fix}"


def _ends_complete(path: str, kind: str) -> bool:
    """Whether a file of format ``kind`` ends as that format ends: a JPEG with its end
    marker, a PNG with its ``IEND`` chunk, a GIF with its trailer, a WebP or BMP at least as
    long as its header says. Reads at most the first 16 and the last 1,024 bytes; TIFF is
    not checked (its layout has no fixed end). A file cut short fails; a complete file
    with data appended (a motion photo's video after the JPEG) may fail too, so a failing
    file is decoded before it is called broken (:func:`check_image_files`)."""
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        head = handle.read(16)
        handle.seek(max(0, size - 1024))
        tail = handle.read().rstrip(b"\x00")  # zero padding after the end is harmless
    if kind == "jpeg":
        return tail.endswith(b"\xff\xd9")
    if kind == "png":
        return b"IEND\xaeB`\x82" in tail[-32:]
    if kind == "gif":
        return tail.endswith(b";")
    if kind == "webp":
        return size >= int.from_bytes(head[4:8], "little") + 8
    if kind == "bmp":
        return size >= int.from_bytes(head[2:6], "little")
    return True


def check_image_files(paths: Sequence[str], on_error: str = "raise") -> list[str]:
    """Keep the paths whose content is a JPEG/PNG/BMP/GIF/WebP/TIFF image that decodes.

    Every file's first bytes name its format; its last bytes show whether it is complete
    (:func:`_ends_complete`, a read of 1 KiB), and only a file that does not end as its
    format ends is decoded, so a file cut short is named here, before a ``tf.data``
    pipeline would fail on it without a name. ``on_error="raise"`` raises
    :class:`NotAnImageError` (a ``ValueError``) naming the first bad file; ``"warn"`` skips
    bad files with one warning that names them and counts them, and when no file is left
    raises :class:`NotAnImageError` naming them as well.
    """
    if on_error not in ("raise", "warn"):
        raise ValueError(f"on_error must be 'raise' or 'warn', got {on_error!r}.")
    good, bad, broken = [], [], []
    for path in paths:
        try:
            kind = sniff_format(path)
            if kind and not _ends_complete(path, kind) and undecodable([path]):
                broken.append(path)
                kind = None
        except OSError as error:
            kind = None
            if on_error == "raise":
                raise FileNotFoundError(f"Cannot read image file {path!r}: {error}.") from error
        (good if kind else bad).append(path)
    if bad and on_error == "raise":
        raise NotAnImageError(
            bad,
            "Delete or re-save the file, or pass on_error='warn' to skip such files.",
            broken=broken,
        )
    if bad:
        shown = ", ".join(repr(p) for p in bad[:5])
        cut = f"; {len(broken)} of them cut short or corrupt" if broken else ""
        warnings.warn(
            f"Skipped {len(bad)} of {len(paths)} image files that are not readable images"
            f"{cut}: {shown}{' …' if len(bad) > 5 else ''}",
            stacklevel=2,
        )
    if not good:
        raise NotAnImageError(
            bad, f"None of the {len(paths)} files is a readable image; add images.", broken
        )
    _remember(good)
    return good


_CHECKED_MAX = 100_000


# Words of the TensorFlow errors that decoding raises (the op names, and the TIFF reader's).
_DECODE_ERRORS = ("Decode", "decode", "PyFunc", "unreadable TIFF", "JPEG", "PNG")


# The files :func:`check_image_files` passed, newest last: the candidates when a lazy
# pipeline later fails to decode one (a file corrupt inside, its ends intact).
_CHECKED: OrderedDict[str, None] = OrderedDict()


def _remember(paths: Sequence[str]) -> None:
    for path in paths:
        _CHECKED.pop(path, None)
        _CHECKED[path] = None
    while len(_CHECKED) > _CHECKED_MAX:
        _CHECKED.popitem(last=False)


def bad_file_error(error: BaseException) -> ValueError | None:
    """A ``ValueError`` naming the image files that a lazy ``tf.data`` pipeline could not
    decode, for the TensorFlow ``error`` it raised; ``None`` when ``error`` is no decoding
    error or no file is to blame.

    The files looked at are those :func:`check_image_files` passed (every loader of the
    package lists its files through it), newest first, each decoded once: a file whose
    first and last bytes are intact but whose inside is corrupt passes that check and only
    fails when the pipeline decodes it, with an error that names no file.
    """
    if not isinstance(error, (tf.errors.InvalidArgumentError, tf.errors.UnknownError)):
        return None
    if not any(word in str(error) for word in _DECODE_ERRORS):
        return None
    bad = undecodable([path for path in reversed(_CHECKED) if os.path.isfile(path)])
    if not bad:
        return None
    shown = ", ".join(repr(path) for path in bad[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    return ValueError(
        f"Cannot decode image file{'s' if len(bad) > 1 else ''} {shown}{more}: the file starts "
        "and ends like an image but is corrupt inside, so it failed while the data pipeline "
        "read it. Re-save or remove it, then build the dataset again."
    )


@contextlib.contextmanager
def naming_bad_files() -> Iterator[None]:
    """Run code that consumes lazy image pipelines (``fit``, ``predict``, iteration) so a
    decoding failure raises the ``ValueError`` of :func:`bad_file_error`, naming the file,
    instead of TensorFlow's error that names none.

    >>> with image_files.naming_bad_files():
    ...     model.fit(train, epochs=5)
    """
    try:
        yield
    except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as error:
        named = bad_file_error(error)
        if named is None:
            raise
        raise named from None


def undecodable(paths: Sequence[str]) -> list[str]:
    """The files of ``paths`` that :func:`load_image` cannot decode (truncated or corrupt),
    in order. Decodes every file: call it to name the culprit after a ``tf.data`` pipeline
    failed, not on every run."""
    bad = []
    for path in paths:
        try:
            load_image(path)
        except (ValueError, FileNotFoundError):
            bad.append(str(path))
    return bad
