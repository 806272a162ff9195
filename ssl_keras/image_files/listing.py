"""Listing the image files of a folder: by extension only (:func:`find_image_files`), or
with every file's content checked (:func:`list_image_files`, :func:`input_image_files`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ssl_keras.image_files.checks import NotAnImageError, check_image_files

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


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


def input_image_files(path: str | os.PathLike, prefix: str = "") -> list[str]:
    """The image files an inference command reads: the file ``path`` itself, or every image
    file in the folder ``path`` (:func:`list_image_files`), each checked to be a readable
    image before any is decoded.

    A file that is not one raises ``ValueError`` naming it (``prefix`` before its name, e.g.
    ``"input "``) and saying to delete, re-save or move it; a folder without image files
    raises ``ValueError``, a missing folder or unreadable file ``FileNotFoundError``.
    """
    path = Path(path)
    try:
        if path.is_dir():
            return list_image_files(path)
        return check_image_files([str(path)])
    except NotAnImageError as error:
        fix = "Delete or re-save it, or move it out of the input folder."
        raise ValueError(error.describe(fix, prefix=prefix)) from None
