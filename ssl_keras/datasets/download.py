"""Downloads of the real datasets for the ``full`` profile: the registry and :func:`fetch_dataset`.

>>> folder = fetch_dataset("camvid", root="data")      # → data/camvid (SegNet layout)
>>> folder = cifar_cats_turtles("data/cifar_cats_turtles")  # 500 + 500 train, 100 + 100 test

:data:`SOURCES` and :data:`CIFAR` (:mod:`ssl_keras.datasets.sources`) describe each dataset
as a :class:`Source`: its folder, its archives (:class:`Archive`: URL, checksum, which members
go where), and the layout and homepage for fetching it by hand. Fetching one URL (timeouts,
retries resuming with Range requests, mirror, progress bars) is
:mod:`ssl_keras.datasets.fetch`, safe extraction :mod:`ssl_keras.datasets.archives`, reading
CIFAR batches :mod:`ssl_keras.datasets.cifar`; the public names are importable from here too
(``download.download``, ``download.safe_extract``, ``download.SOURCES``, ...).

* **Cached**: a dataset folder with a ``.complete`` marker is used as is (MVTec AD: one
  ``.complete-<category>`` per category); archives are kept in ``<root>/downloads/`` and not
  fetched twice.
* **Checked**: archives are verified against their published sha256 (or md5), kept in the
  :class:`Archive` entries of :data:`SOURCES` and :data:`CIFAR`. Where no checksum is
  published (GitHub branch archives), the first download records its sha256 in
  ``<archive>.sha256`` (a warning says so) and later downloads are checked against it.
* **Validated**: ``.complete`` is written only after the dataset's own loader (``camvid``,
  ``mvtec``, ``coco``, ``denoise_sets``, ``oxford_pets``) accepts the extracted folder. When it
  does not, a ``ValueError`` names the folder and what is missing, and the next run extracts
  again; an archive without a published checksum is deleted with its record, and a damaged
  archive is always deleted, so neither is reused.
* **Offline**: the first connection must succeed within ``timeout`` seconds (5), so a
  :class:`DownloadError` naming the folder to fill by hand and its layout comes within
  seconds.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from ssl_keras.datasets import cifar
from ssl_keras.datasets.archives import safe_extract
from ssl_keras.datasets.fetch import (
    MIRROR_ENV,
    DownloadError,
    download,
    file_digest,
    resolve_url,
)
from ssl_keras.datasets.sources import (
    CIFAR,
    CIFAR10,
    MVTEC_CATEGORIES,
    SOURCES,
    Archive,
    Source,
)

__all__ = [
    # the registry
    "CIFAR",
    "CIFAR10",
    "MVTEC_CATEGORIES",
    "SOURCES",
    "Archive",
    "Source",
    "fetch_dataset",
    "cifar_cats_turtles",
    "cifar10",
    # from sources, fetch and archives: callers use them as ``download.X``
    "MIRROR_ENV",
    "DownloadError",
    "download",
    "file_digest",
    "resolve_url",
    "safe_extract",
]


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
    from ssl_keras.datasets import denoise_sets

    for name in denoise_sets.DENOISE_SETS:
        denoise_sets.denoise_dataset(folder / name)


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
    two official archives into ``<root>/../downloads`` with
    :func:`~ssl_keras.datasets.fetch.download` (md5-checked, resumable, mirror-aware).
    ``.complete`` is written after the counts are checked. Offline and without that cache it
    fails within about ``timeout`` seconds, naming the folder to fill by hand.
    """
    folder = Path(root)
    marker = folder / ".complete"
    if marker.is_file():
        return folder
    cached = cifar.keras_cifar_folders()
    sources = (
        list(cached)
        if cached
        else [
            _fetch_archive(
                archive,
                folder.parent / "downloads",
                _by_hand(CIFAR, folder, marker),
                timeout=timeout,
                read_timeout=read_timeout,
                retries=retries,
                progress=progress,
            )
            for archive in CIFAR.archives
        ]
    )
    images = []
    for source, archive, wanted in zip(sources, CIFAR.archives, cifar.CLASS_FILES, strict=True):
        try:
            images.append(cifar.class_images(source, archive.members[0][0], wanted))
        except ValueError as error:
            if not source.is_dir():
                _discard(source)
            raise ValueError(f"{error} Nothing was marked complete; run again.") from None
    cats, turtles = images
    cifar.write_balanced(folder, cats, turtles, seed)
    marker.write_text(f"CIFAR-10 cats + CIFAR-100 turtles, balanced, seed {seed}\n")
    return folder


def cifar10(
    root: str | os.PathLike = "data/cifar10",
    timeout: float = 5.0,
    *,
    read_timeout: float = 60.0,
    retries: int = 5,
    progress: bool | None = None,
) -> Path:
    """All of CIFAR-10 (32×32 RGB, 10 classes) as class folders; return ``root``.

    Writes ``<root>/{train,test}/<class>/NNNNN.png`` (:data:`~ssl_keras.datasets.cifar.
    CIFAR10_CLASSES`; 5,000 train and 1,000 test images per class), the split RotNet's
    label-efficiency study uses. Reads a warm Keras cache (see
    :func:`keras.datasets.cifar10.load_data`), else downloads the official archive into
    ``<root>/../downloads`` (md5-checked, resumable, mirror-aware). ``.complete`` is written
    after the counts are checked. Offline and without that cache it fails within about
    ``timeout`` seconds, naming the folder to fill by hand.
    """
    folder = Path(root)
    marker = folder / ".complete"
    if marker.is_file():
        return folder
    archive = CIFAR10.archives[0]
    source = cifar.keras_cifar10_folder() or _fetch_archive(
        archive,
        folder.parent / "downloads",
        _by_hand(CIFAR10, folder, marker),
        timeout=timeout,
        read_timeout=read_timeout,
        retries=retries,
        progress=progress,
    )
    try:
        images = cifar.cifar10_images(source, archive.members[0][0])
    except ValueError as error:
        if not source.is_dir():
            _discard(source)
        raise ValueError(f"{error} Nothing was marked complete; run again.") from None
    cifar.write_class_folders(folder, images, cifar.CIFAR10_CLASSES)
    marker.write_text("CIFAR-10, all classes, official train/test split\n")
    return folder
