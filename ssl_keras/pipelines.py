"""tf.data building blocks: files → decode → resize or crop → noisy pairs → batch → prefetch.

Everything after listing the files runs as TensorFlow ops with ``num_parallel_calls``, so
the input pipeline keeps up with training and nothing per-sample happens in Python.

>>> paths = list_image_files("data/photos")
>>> clean = image_dataset(paths, size=64, mode="random_crop", seed=0)
>>> train = noisy_batches(clean, 16, "gaussian", 25 / 255, seed=1, shuffle=256)

On several replicas (``tf.distribute``), training batches drop the last partial batch
(:func:`batch`) and validation / test data go through :func:`eval_batches`,
:func:`eval_dataset` or :func:`rebatch_for_replicas`, and :func:`predict`, which regroup
the examples so every batch splits over the replicas and the metrics stay exact.
"""

from __future__ import annotations

import contextlib
import io
import numbers
import os
import re
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf
import tifffile

from ssl_keras._checks import check_size
from ssl_keras.noise import NOISES, Seed, as_seed, mixed

AUTOTUNE = tf.data.AUTOTUNE
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


# The files :func:`check_image_files` passed, newest last: the candidates when a lazy
# pipeline later fails to decode one (a file corrupt inside, its ends intact).
_CHECKED: OrderedDict[str, None] = OrderedDict()
_CHECKED_MAX = 100_000
# Words of the TensorFlow errors that decoding raises (the op names, and the TIFF reader's).
_DECODE_ERRORS = ("Decode", "decode", "PyFunc", "unreadable TIFF", "JPEG", "PNG")


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

    >>> with pipelines.naming_bad_files():
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


def resize(image: tf.Tensor, size: int | tuple[int, int]) -> tf.Tensor:
    """Resize an image (or batch) to ``size`` with bilinear interpolation.

    Antialiasing is on, so downscaling averages over the source pixels like area resizing
    instead of skipping them; upscaling is plain bilinear.
    """
    height, width = check_size(size)
    resized = tf.image.resize(image, (height, width), method="bilinear", antialias=True)
    return tf.clip_by_value(resized, 0.0, 1.0)  # the filter may overshoot by float rounding


def resize_shorter_side(image: tf.Tensor, side: int) -> tf.Tensor:
    """Resize so the shorter side equals ``side``, keeping the aspect ratio."""
    shape = tf.cast(tf.shape(image)[-3:-1], tf.float32)
    scale = tf.cast(side, tf.float32) / tf.reduce_min(shape)
    new_shape = tf.cast(tf.round(shape * scale), tf.int32)
    new_shape = tf.maximum(new_shape, side)
    resized = tf.image.resize(image, new_shape, method="bilinear", antialias=True)
    return tf.clip_by_value(resized, 0.0, 1.0)


def center_crop(image: tf.Tensor, size: int | tuple[int, int]) -> tf.Tensor:
    """Scale the shorter side to fit, then cut the central ``size`` window."""
    height, width = check_size(size)
    image = resize_shorter_side(image, max(height, width))
    return tf.image.resize_with_crop_or_pad(image, height, width)


def random_crop(image: tf.Tensor, size: int | tuple[int, int], seed: Seed) -> tf.Tensor:
    """A ``size`` window at a seeded random position; images smaller than ``size`` are first
    scaled up (shorter side) so a crop always fits. Float [0, 1] or uint8 images; the crop
    keeps the input's dtype and channel count."""
    height, width = check_size(size)
    shape = tf.shape(image)
    too_small = tf.logical_or(shape[0] < height, shape[1] < width)

    def upscale() -> tf.Tensor:
        scaled = resize_shorter_side(tf.image.convert_image_dtype(image, tf.float32), side)
        return tf.image.convert_image_dtype(scaled, image.dtype, saturate=True)

    side = max(height, width)
    image = tf.cond(too_small, upscale, lambda: image)
    crop_shape = tf.stack([height, width, tf.shape(image)[-1]])
    return tf.image.stateless_random_crop(image, crop_shape, seed=as_seed(seed))


def image_dataset(
    paths: Sequence[str],
    size: int | tuple[int, int],
    mode: str = "resize",
    seed: int = 0,
    shorter_side: int | None = None,
    cache: bool = True,
    repeat: bool = False,
) -> tf.data.Dataset:
    """A dataset of float32 RGB images ``(H, W, 3)`` in [0, 1] read from ``paths``.

    Args:
        paths: image files (e.g. from :func:`list_image_files`).
        size: output size, an int or ``(height, width)``.
        mode: ``"resize"`` (stretch to size), ``"center_crop"`` (keep aspect, cut the middle)
            or ``"random_crop"`` (a new seeded window every time an image is seen).
        seed: seeds the random crops; the same seed gives the same crops.
        shorter_side: in ``random_crop`` mode, first rescale each image so its shorter side
            has this many pixels (controls how much of the scene one crop sees).
        cache: keep decoded (and rescaled) images in memory after the first pass, so later
            epochs skip file reading and decoding. Random crops are still drawn anew; in
            ``random_crop`` mode without ``shorter_side`` the cache holds the decoded uint8
            pixels and each crop is converted to float, which is 2–3× faster than cropping
            float images and takes a quarter of the memory.
        repeat: repeat forever (for ``steps_per_epoch`` training). Random crops differ per
            pass either way (:func:`element_seeds`).
    """
    if mode not in ("resize", "center_crop", "random_crop"):
        raise ValueError(f"mode must be 'resize', 'center_crop' or 'random_crop', got {mode!r}.")
    if len(paths) == 0:
        raise ValueError("paths is empty: there are no images to read.")
    height, width = check_size(size)
    ds = tf.data.Dataset.from_tensor_slices([str(p) for p in paths])
    as_uint8 = mode == "random_crop" and shorter_side is None
    ds = ds.map(read_image_uint8 if as_uint8 else read_image, num_parallel_calls=AUTOTUNE)
    if mode == "resize":
        ds = ds.map(lambda x: resize(x, (height, width)), num_parallel_calls=AUTOTUNE)
    elif mode == "center_crop":
        ds = ds.map(lambda x: center_crop(x, (height, width)), num_parallel_calls=AUTOTUNE)
    elif shorter_side is not None:
        ds = ds.map(lambda x: resize_shorter_side(x, shorter_side), num_parallel_calls=AUTOTUNE)
    if cache:
        ds = ds.cache()
    if repeat:
        ds = ds.repeat()
    if mode == "random_crop":

        def crop(image, draw):
            image = random_crop(image, (height, width), draw)
            return tf.image.convert_image_dtype(image, tf.float32)

        ds = tf.data.Dataset.zip(ds, element_seeds(seed)).map(crop, num_parallel_calls=AUTOTUNE)
    return ds


def element_seeds(seed: int = 0) -> tf.data.Dataset:
    """An endless dataset of stateless-op seeds, int64 ``(2,)``, to zip with another dataset:
    each new pass over the zipped dataset (each epoch of ``fit``) draws a new sequence, and the
    same ``seed`` gives the same sequences in every run (``Dataset.random`` with
    ``rerandomize_each_iteration``). Counting elements with ``enumerate`` instead would repeat
    the same draws every epoch of a dataset that is not repeated."""
    return tf.data.Dataset.random(seed=int(seed), rerandomize_each_iteration=True).batch(2)


def noisy_pairs(
    clean: tf.data.Dataset,
    noise: str | Callable[[tf.Tensor, tf.Tensor], tf.Tensor] = "gaussian",
    level: float | None = None,
    seed: int = 0,
) -> tf.data.Dataset:
    """Map a dataset of clean images to ``(noisy, clean)`` pairs.

    ``noise`` is a name from :data:`ssl_keras.noise.NOISES`, ``"mixed"`` (Gaussian σ=25/255 or
    salt-and-pepper 5 % per image), or a function ``f(image, seed) -> noisy``. Each element
    gets its own seed derived from ``seed`` and its position, so the noise is reproducible and
    differs between images and between epochs of a repeated dataset.
    """
    if callable(noise):
        apply = noise
    elif noise == "mixed":

        def apply(x, s):
            return mixed(x, seed=s)
    elif noise in NOISES:
        if level is None:
            raise ValueError(f"noise={noise!r} needs a level (σ, amount or peak).")
        function = NOISES[noise]

        def apply(x, s):
            return function(x, level, seed=s)
    else:
        raise ValueError(
            f"Unknown noise {noise!r}. Use one of: {', '.join(NOISES)}, 'mixed', or a function."
        )
    base = as_seed(seed)
    return clean.enumerate().map(
        lambda i, x: (apply(x, tf.stack([base[0] + 1_000_003, base[1] + i])), x),
        num_parallel_calls=AUTOTUNE,
    )


def noisy_batches(
    clean: tf.data.Dataset,
    batch_size: int,
    noise: str | Callable[[tf.Tensor, tf.Tensor], tf.Tensor] = "gaussian",
    level: float | None = None,
    seed: int = 0,
    shuffle: int | None = None,
    drop_remainder: bool | None = None,
) -> tf.data.Dataset:
    """Shuffle, batch, add noise to whole batches, prefetch: ``(noisy, clean)`` batches.

    The fast way to feed a denoiser: the noise ops run once per batch instead of once per
    image (see :func:`noisy_pairs` for the arguments). ``drop_remainder=None`` drops the last
    partial batch only on several replicas, as :func:`batch` does; pass validation batches
    through :func:`rebatch_for_replicas` instead.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be ≥ 1, got {batch_size}.")
    if shuffle:
        clean = clean.shuffle(shuffle, seed=seed, reshuffle_each_iteration=True)
    clean = clean.batch(
        batch_size,
        drop_remainder=_drop_remainder(drop_remainder, None),
        num_parallel_calls=AUTOTUNE,
    )
    return noisy_pairs(clean, noise, level, seed).prefetch(AUTOTUNE)


def batch(
    ds: tf.data.Dataset,
    batch_size: int,
    shuffle: int | None = None,
    seed: int = 0,
    drop_remainder: bool | None = None,
    replicas: int | None = None,
) -> tf.data.Dataset:
    """Training batches: optionally shuffle (buffer ``shuffle``, seeded), batch, prefetch.

    ``drop_remainder=None`` drops the last, partial batch of each pass only when training on
    several replicas (``replicas``, default :func:`ssl_keras.runtime.replicas`): Keras's
    distributed ``fit`` fails on a batch that does not split evenly over the replicas, while
    on one device every image is used. Batch validation and test data with
    :func:`eval_batches` instead, which keeps every example.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be ≥ 1, got {batch_size}.")
    if shuffle:
        ds = ds.shuffle(shuffle, seed=seed, reshuffle_each_iteration=True)
    return ds.batch(
        batch_size,
        drop_remainder=_drop_remainder(drop_remainder, replicas),
        num_parallel_calls=AUTOTUNE,
    ).prefetch(AUTOTUNE)


# Evaluation and prediction on several replicas. Keras 3 splits every global batch over the
# replicas and fails when a replica gets no example (a batch smaller than the replica count)
# or when the FIRST batch does not split evenly (it averages the replicas' first batches to
# build the model). Uneven later batches are fine and exact: Keras weights each replica's
# loss by its batch and metrics add up their counts. So the examples are regrouped, never
# padded (padding would count in unweighted metrics such as "accuracy"): the first batch a
# multiple of the replica count, every batch at least that count. Only a set too small for
# that (fewer than twice the replicas, not a multiple) is repeated replica-count times,
# which leaves every mean and ratio (loss, accuracy, AUC, IoU) exactly as it was.


def _replicas(replicas: int | None) -> int:
    if replicas is None:
        from ssl_keras import runtime  # runtime imports Keras; keep this module light

        return runtime.replicas()
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise ValueError(f"replicas must be an int ≥ 1, got {replicas!r}.")
    return replicas


def _drop_remainder(drop_remainder: bool | None, replicas: int | None) -> bool:
    return _replicas(replicas) > 1 if drop_remainder is None else bool(drop_remainder)


def _multiple(batch_size: int, replicas: int) -> int:
    integral = isinstance(batch_size, numbers.Integral) and not isinstance(batch_size, bool)
    if not integral or batch_size < 1:
        raise ValueError(f"batch_size must be an int ≥ 1, got {batch_size!r}.")
    return -(-int(batch_size) // replicas) * replicas


def replica_batch_sizes(count: int, batch_size: int, replicas: int) -> list[int] | None:
    """Batch sizes (summing to ``count``) that ``replicas`` replicas can evaluate: the first a
    multiple of ``replicas``, none smaller than it, none above ``batch_size`` (rounded up to
    a multiple of ``replicas``) plus ``replicas``. ``None`` when no such split exists
    (``count`` below ``2 * replicas`` and not a multiple of it).

    >>> replica_batch_sizes(9, 4, 2)
    [4, 2, 3]
    """
    size = _multiple(batch_size, replicas)
    full, rest = divmod(count, size)
    sizes = [size] * full + ([rest] if rest else [])
    if len(sizes) == 1 and sizes[0] % replicas:  # one uneven batch: split it in two
        first = (count // replicas - 1) * replicas
        sizes = [first, count - first] if first >= replicas else []
    elif 0 < rest < replicas:  # a last batch some replica would get nothing of
        if size >= 2 * replicas:
            sizes[-2:] = [size - replicas, rest + replicas]
        else:  # batches of one example per replica: the rest joins a later batch
            sizes[-2:] = [size + rest] if full >= 2 else []
    return sizes or None


def _regroup(batches: tf.data.Dataset, count: int, batch_size: int, replicas: int):
    sizes = replica_batch_sizes(count, batch_size, replicas)
    if sizes is None:
        batches, sizes = batches.repeat(replicas), _multiple(batch_size, replicas)
    return batches.rebatch(sizes).prefetch(AUTOTUNE)


def _count(ds: tf.data.Dataset) -> int:
    """Number of elements of a finite dataset (one pass over it when TF cannot tell)."""
    count = int(ds.cardinality())
    if count == tf.data.INFINITE_CARDINALITY:
        raise ValueError("The dataset is infinite (repeated); evaluate a finite one.")
    if count == tf.data.UNKNOWN_CARDINALITY:
        count = int(ds.reduce(tf.constant(0, tf.int64), lambda n, _: n + 1))
    if count == 0:
        raise ValueError("The dataset is empty: there is nothing to evaluate.")
    return count


def holdout(
    pairs: tf.data.Dataset, n_val: int, n_train: int | None = None
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """Split one dataset into ``(train, val)``: its first ``n_val`` elements are held out for
    validation, the next ``n_train`` (all the rest when ``None``) train.

    For a folder with a single annotated split (COCO val2017 in notebook 08). Raises
    ``ValueError`` naming the counts when the dataset cannot spare ``n_val`` elements and
    still train on at least one, instead of handing back an empty training set.
    """
    for name, value in (("n_val", n_val), ("n_train", n_train)):
        if value is None and name == "n_train":
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be an int ≥ 1, got {value!r}.")
    count = _count(pairs)
    if count <= n_val:
        raise ValueError(
            f"The dataset has {count} elements, too few to hold out n_val={n_val} for "
            "validation and keep any for training; lower n_val (e.g. to a fifth of the data, "
            f"{max(1, count // 5)}) or add images."
        )
    train = pairs.skip(n_val)
    return (train if n_train is None else train.take(n_train)), pairs.take(n_val)


def eval_batches(
    ds: tf.data.Dataset, batch_size: int, replicas: int | None = None
) -> tf.data.Dataset:
    """Validation / test batches of single examples that any replica count evaluates exactly.

    On one device (``replicas``, default :func:`ssl_keras.runtime.replicas`) this is
    ``batch`` → prefetch. On several, ``batch_size`` is rounded up to a multiple of the
    replica count and the last batches are regrouped (:func:`replica_batch_sizes`), so
    ``evaluate`` and ``fit(validation_data=...)`` never fail and report the single-device
    numbers (up to float32 rounding). A dataset whose size TensorFlow cannot tell (e.g.
    after ``filter``) is read once to count it.
    """
    replicas = _replicas(replicas)
    size = _multiple(batch_size, replicas)
    batches = ds.batch(size, num_parallel_calls=AUTOTUNE)
    if replicas == 1:
        return batches.prefetch(AUTOTUNE)
    return _regroup(batches, _count(ds), size, replicas)


def eval_dataset(
    x, y, batch_size: int = 32, sample_weight=None, replicas: int | None = None
) -> tf.data.Dataset:
    """:func:`eval_batches` of NumPy arrays, to pass as ``validation_data`` or to ``evaluate``
    instead of ``(x, y)``, so a multi-replica run never sees a batch it cannot split:
    ``model.fit(..., validation_data=pipelines.eval_dataset(x_val, y_val, 32))``.

    ``x``, ``y`` (and ``sample_weight``): arrays with the same first dimension.
    """
    arrays = (x, y) if sample_weight is None else (x, y, sample_weight)
    lengths = sorted({len(tf.nest.flatten(a)[0]) for a in arrays})
    if len(lengths) != 1:
        raise ValueError(f"x, y and sample_weight must have one length, got {lengths}.")
    if lengths == [0]:
        raise ValueError("x is empty: there is nothing to evaluate.")
    return eval_batches(tf.data.Dataset.from_tensor_slices(arrays), batch_size, replicas)


def rebatch_for_replicas(
    batches: tf.data.Dataset, batch_size: int, replicas: int | None = None
) -> tf.data.Dataset:
    """Already batched validation / test data regrouped as :func:`eval_batches` does (the
    batches are read once to count the examples); unchanged on one device."""
    replicas = _replicas(replicas)
    if replicas == 1:
        return batches

    def add(total, element):
        return total + tf.shape(tf.nest.flatten(element)[0], out_type=tf.int64)[0]

    count = int(batches.reduce(tf.constant(0, tf.int64), add))
    if count == 0:
        raise ValueError("The dataset is empty: there is nothing to evaluate.")
    return _regroup(batches, count, batch_size, replicas)


def predict(model, x, batch_size: int = 32, verbose: int = 0):
    """``model.predict(x, batch_size)`` that also works when the examples do not split over
    the replicas of the model's strategy (batches regrouped as in :func:`eval_batches`).

    ``x``: an array (or a tuple / dict of arrays) with the examples on the first axis.
    Returns what ``model.predict`` returns, one row per example of ``x``.
    """
    replicas = model.distribute_strategy.num_replicas_in_sync
    if replicas == 1:
        return model.predict(x, batch_size=batch_size, verbose=verbose)
    count = len(tf.nest.flatten(x)[0])
    if count == 0:
        raise ValueError("x is empty: there is nothing to predict.")
    size = _multiple(batch_size, replicas)
    batches = tf.data.Dataset.from_tensor_slices((x,)).batch(size)
    outputs = model.predict(_regroup(batches, count, size, replicas), verbose=verbose)
    return tf.nest.map_structure(lambda a: a[:count], outputs)


def to_numpy(ds: tf.data.Dataset, limit: int | None = None):
    """Materialize a (possibly batched) dataset of images or tuples into NumPy arrays; an
    image file that fails to decode on the way is named (:func:`naming_bad_files`)."""
    if limit is not None:
        ds = ds.take(limit)
    with naming_bad_files():
        parts = list(ds.as_numpy_iterator())
    if not parts:
        raise ValueError("The dataset is empty.")
    if isinstance(parts[0], tuple):
        stack = np.concatenate if parts[0][0].ndim == 4 else np.stack
        return tuple(stack([p[k] for p in parts]) for k in range(len(parts[0])))
    return (np.concatenate if parts[0].ndim == 4 else np.stack)(parts)
