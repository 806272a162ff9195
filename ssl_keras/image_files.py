"""Image files: listing with content sniffing, checking, decoding, loading, and writing.

Every reader here trusts the file's leading bytes, not its extension: JPEG, PNG (8 or 16-bit,
palette, alpha composited over white), BMP, GIF, WebP and TIFF (8 or 16-bit, through
``tifffile``) become float32 RGB in [0, 1]. A file that cannot be decoded raises
``ValueError`` naming it (:class:`NotAnImageError`, :func:`bad_file_error`,
:func:`naming_bad_files` for lazy ``tf.data`` pipelines), and :func:`write_image` writes
atomically (a temporary name, renamed when complete).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf
import tifffile

from ssl_keras.resizing import resize

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


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


def find_image_files(
    folder: str | os.PathLike,
    extensions: Sequence[str] = IMAGE_EXTENSIONS,
    recursive: bool = False,
    skip_hidden: bool = False,
) -> list[Path]:
    """The files directly in ``folder`` (or anywhere under it, ``recursive``) whose extension
    is one of ``extensions`` (any case), sorted by path; ``skip_hidden`` leaves out those
    whose name, or a folder's name below ``folder``, starts with ``.``.

    Only names are looked at: no content check, and no error when none is found. The one
    listing behind :func:`list_image_files` and the dataset loaders, which add their checks
    and messages.
    """
    root = Path(folder)
    wanted = {e.lower() for e in extensions}
    candidates = root.rglob("*") if recursive else root.iterdir()
    found = (
        p
        for p in candidates
        if p.is_file()
        and p.suffix.lower() in wanted
        and not (skip_hidden and any(part.startswith(".") for part in p.relative_to(root).parts))
    )
    return sorted(found, key=str)


def list_image_files(
    folder: str | os.PathLike,
    extensions: Sequence[str] = IMAGE_EXTENSIONS,
    recursive: bool = False,
    on_error: str = "raise",
) -> list[str]:
    """Sorted paths of the image files in ``folder`` (extensions matched case-insensitively).

    Each file's first bytes are checked, so an extension that lies about the content is fine,
    while a file that is no image at all is an error (``on_error="raise"``) or skipped with a
    warning naming it (``on_error="warn"``).
    """
    if on_error not in ("raise", "warn"):
        raise ValueError(f"on_error must be 'raise' or 'warn', got {on_error!r}.")
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(
            f"Image folder {str(root)!r} does not exist. Create it and put image files "
            f"({', '.join(IMAGE_EXTENSIONS)}) in it, or point to another folder."
        )
    paths = [str(p) for p in find_image_files(root, extensions, recursive)]
    if not paths:
        wanted = sorted({e.lower() for e in extensions})
        raise ValueError(
            f"No image files ({', '.join(wanted)}) in {str(root)!r}"
            f"{' or its subfolders' if recursive else ''}. Add images or point to another folder."
        )
    return check_image_files(paths, on_error=on_error)


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


class ImageWriteError(OSError, ValueError):
    """:func:`write_image` could not write an image file (no such folder, not writable,
    disk full, an extension OpenCV has no writer for). An ``OSError`` and also a
    ``ValueError``, so callers that catch either keep working."""


def write_image(
    path: str | os.PathLike,
    pixels: np.ndarray,
    png_compression: int | None = None,
    jpeg_quality: int | None = None,
) -> None:
    """Write gray ``(H, W)`` (or ``(H, W, 1)``), RGB or RGBA ``(H, W, 3|4)`` pixels to ``path``
    (its extension picks the format, e.g. PNG or JPEG) under a temporary name in the same
    folder, renamed when complete: ``path`` is never a half-written file, even if the run stops.

    ``pixels``: uint8 (or uint16, for formats that hold it) written as they are, or floating
    point in [0, 1], scaled to 0-255 and rounded. ``png_compression`` (zlib level 0-9) and
    ``jpeg_quality`` (0-100) apply to their format only; ``None`` keeps OpenCV's defaults.
    Raises :class:`ImageWriteError` naming ``path`` when it cannot be written, and
    ``ValueError`` for floats outside [0, 1].
    """
    import cv2

    path = Path(path)
    pixels = np.asarray(pixels)
    if np.issubdtype(pixels.dtype, np.floating):
        if pixels.size and not (
            np.all(np.isfinite(pixels)) and 0 <= pixels.min() <= pixels.max() <= 1
        ):
            raise ValueError(
                f"Float pixels for {str(path)!r} must be finite and in [0, 1], got "
                f"min={float(np.min(pixels)):.4g}, max={float(np.max(pixels)):.4g}. Divide 0-255 "
                "images by 255, clip with np.clip(x, 0, 1), or pass uint8."
            )
        pixels = np.round(pixels * 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim == 3:
        code = cv2.COLOR_RGBA2BGRA if pixels.shape[-1] == 4 else cv2.COLOR_RGB2BGR
        pixels = cv2.cvtColor(pixels, code)
    suffix = path.suffix.lower()
    params = []
    if png_compression is not None and suffix == ".png":
        params += [cv2.IMWRITE_PNG_COMPRESSION, int(png_compression)]
    if jpeg_quality is not None and suffix in (".jpg", ".jpeg"):
        params += [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]
    if not path.parent.is_dir():
        raise ImageWriteError(
            f"Could not write {str(path)!r}: {str(path.parent)!r} is not an existing folder. "
            "Create it or write elsewhere."
        )
    if not cv2.haveImageWriter(str(path)):
        raise ImageWriteError(
            f"Could not write {str(path)!r}: OpenCV has no image format for the extension "
            f"{path.suffix!r}. Use .png, .jpg, .bmp, .tif or .webp."
        )
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        if not cv2.imwrite(str(partial), pixels, params):
            raise ImageWriteError(
                f"Could not write {str(path)!r}; check that the folder is writable and the "
                "disk not full."
            )
        try:
            os.replace(partial, path)
        except OSError as error:
            raise ImageWriteError(f"Could not write {str(path)!r}: {error}.") from None
    finally:
        partial.unlink(missing_ok=True)


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


def _decode_tiff(contents: np.ndarray) -> np.ndarray:
    """First page of a TIFF file's bytes (a 0-d object array, as ``tf.numpy_function`` passes
    a string) as float32 RGB ``(H, W, 3)`` in [0, 1] (tifffile)."""
    try:
        page = tifffile.TiffFile(io.BytesIO(np.asarray(contents).item())).pages[0]
        image = page.asarray()
    except (tifffile.TiffFileError, IndexError, KeyError, ValueError, OSError) as error:
        raise ValueError(f"unreadable TIFF data ({error})") from None
    if page.axes.startswith("S"):  # planar RGB stored channel-first
        image = np.moveaxis(image, 0, -1)
    if image.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"TIFF samples must be 8- or 16-bit unsigned integers, got {image.dtype}.")
    image = image.astype(np.float32) / np.iinfo(image.dtype).max
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"TIFF page of shape {image.shape} is not a gray or RGB(A) image.")
    if image.shape[-1] in (2, 4):  # gray or RGB with alpha: composite over white, as PNG
        image, alpha = image[..., :-1], image[..., -1:]
        image = image * alpha + (1.0 - alpha)
    return np.ascontiguousarray(np.broadcast_to(image, image.shape[:2] + (3,)))


def _is_tiff(contents: tf.Tensor) -> tf.Tensor:
    """Whether encoded bytes start like a TIFF file (either byte order)."""
    head = tf.strings.substr(contents, 0, 4)
    return (head == b"II*\x00") | (head == b"MM\x00*")


def decode_image(contents: tf.Tensor) -> tf.Tensor:
    """Decode encoded image bytes into float32 RGB ``(H, W, 3)`` in [0, 1].

    JPEG, PNG (8 or 16 bit, grayscale, palette, with or without alpha), BMP, GIF (first
    frame), WebP and TIFF (8 or 16 bit, gray or RGB, with or without alpha; first page;
    decoded by tifffile, so TIFFs go through Python). Transparent PNG and TIFF pixels are
    composited over white, so a transparent background does not turn into black. Grayscale
    images are repeated into three channels.
    """
    is_png = tf.strings.substr(contents, 0, 8) == b"\x89PNG\r\n\x1a\n"
    is_tiff = _is_tiff(contents)

    def png() -> tf.Tensor:
        rgba = tf.image.convert_image_dtype(
            tf.io.decode_png(contents, channels=4, dtype=tf.uint16), tf.float32
        )
        alpha = rgba[..., 3:]
        return rgba[..., :3] * alpha + (1.0 - alpha)

    def tiff() -> tf.Tensor:
        return tf.numpy_function(_decode_tiff, [contents], tf.float32, stateful=False)

    def other() -> tf.Tensor:
        # JPEG, BMP, GIF and WebP are 8-bit formats (WebP decodes only to uint8).
        image = tf.io.decode_image(contents, channels=3, expand_animations=False)
        return tf.image.convert_image_dtype(image, tf.float32)

    image = tf.cond(is_png, png, lambda: tf.cond(is_tiff, tiff, other))
    image.set_shape([None, None, 3])
    return image


def read_image(path: tf.Tensor) -> tf.Tensor:
    """``decode_image(tf.io.read_file(path))`` — for use inside ``Dataset.map``."""
    return decode_image(tf.io.read_file(path))


def read_image_uint8(path: tf.Tensor) -> tf.Tensor:
    """Like :func:`read_image` but uint8 ``(H, W, 3)``: a quarter of the memory in a cache.

    8-bit files decode to exactly the bytes that :func:`read_image` scales by 1/255, so
    ``convert_image_dtype(read_image_uint8(p), tf.float32) == read_image(p)`` for them; PNGs
    and TIFFs are decoded by :func:`decode_image` (alpha composited over white) and rounded
    to 8 bits.
    """
    contents = tf.io.read_file(path)
    is_png = tf.strings.substr(contents, 0, 8) == b"\x89PNG\r\n\x1a\n"
    is_tiff = _is_tiff(contents)
    image = tf.cond(
        is_png | is_tiff,
        lambda: tf.cast(tf.round(decode_image(contents) * 255.0), tf.uint8),
        lambda: tf.io.decode_image(contents, channels=3, expand_animations=False),
    )
    image.set_shape([None, None, 3])
    return image


def load_image(path: str | os.PathLike, size: int | tuple[int, int] | None = None) -> tf.Tensor:
    """Eagerly read one image file as float32 RGB ``(H, W, 3)`` in [0, 1], optionally resized.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file when
    its content cannot be decoded.
    """
    path = str(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Image file {path!r} does not exist.")
    try:
        image = read_image(tf.constant(path))
    except (tf.errors.InvalidArgumentError, tf.errors.UnknownError, ValueError) as error:
        # TensorFlow errors carry .message; a TIFF decoding error comes through as ValueError.
        reason = getattr(error, "message", str(error)).splitlines()[0]
        reason = re.sub(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\]", "", reason)
        raise ValueError(
            f"Cannot decode image file {path!r}: it is corrupt or not a JPEG/PNG/BMP/GIF/WebP/TIFF "
            f"image ({reason}). Re-save or remove it."
        ) from None
    return resize(image, size) if size is not None else image
