"""Oxford-IIIT Pet: 37 cat and dog breeds with pixel trimaps (Parkhi et al., 2012).

Layout as downloaded (``download.fetch_dataset("oxford_pets")``)::

    <root>/images/<Breed>_<n>.jpg              a few hold PNG bytes; the content decides
    <root>/annotations/trimaps/<Breed>_<n>.png  1 = pet, 2 = background, 3 = border
    <root>/annotations/list.txt                 "<image> <class 1-37> <species 1=cat 2=dog> <breed id>"
    <root>/annotations/trainval.txt, test.txt   the official split, same columns

Trimaps store classes 1–3, which is the classic off-by-one trap: a model with three outputs
expects 0–2. The loader maps them to **0 = background, 1 = pet, 2 = border**, so that the
binary foreground task is simply ``mask == 1``. The archive also carries macOS ``._*``
resource files beside the trimaps; they are ignored.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from ssl_keras import image_files
from ssl_keras.datasets import _common

TRIMAP_CLASSES = ("background", "pet", "border")
SPECIES = ("cat", "dog")
TASKS = ("segmentation", "species", "breed")
_LAYOUT = (
    "  <root>/images/<Breed>_<n>.jpg\n"
    "  <root>/annotations/trimaps/<Breed>_<n>.png\n"
    "  <root>/annotations/trainval.txt and test.txt"
)


def read_split(root: str | os.PathLike, split: str = "trainval") -> list[tuple[str, int, int, int]]:
    """Rows ``(image stem, class id 0-36, species 0=cat 1=dog, breed id)`` of a split file.

    ``split`` is ``"trainval"``, ``"test"`` or ``"list"`` (all annotated images).
    """
    if split not in ("trainval", "test", "list"):
        raise ValueError(f"split must be 'trainval', 'test' or 'list', got {split!r}.")
    folder = _common.require_dir(Path(root) / "annotations", "Oxford-IIIT Pet annotations", _LAYOUT)
    list_file = folder / f"{split}.txt"
    if not list_file.is_file():
        raise FileNotFoundError(f"Split file {str(list_file)!r} does not exist.\n{_LAYOUT}")
    rows = []
    for number, line in enumerate(list_file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        try:
            stem, class_id, species, breed = parts[0], *(int(p) for p in parts[1:4])
        except (ValueError, IndexError):
            raise ValueError(
                f"{str(list_file)!r} line {number} is {line!r}; expected "
                "'<image> <class id> <species> <breed id>'."
            ) from None
        if not 1 <= class_id <= 37 or species not in (1, 2):
            raise ValueError(
                f"{str(list_file)!r} line {number}: class id {class_id} (1-37) or species "
                f"{species} (1 = cat, 2 = dog) out of range."
            )
        rows.append((stem, class_id - 1, species - 1, breed))
    if not rows:
        raise ValueError(f"{str(list_file)!r} lists no images.")
    return rows


def breed_names(rows: list[tuple[str, int, int, int]]) -> list[str]:
    """Breed names by class id, read from the image names (``Abyssinian_12`` → Abyssinian)."""
    names: dict[int, str] = {}
    for stem, class_id, _species, _breed in rows:
        names.setdefault(class_id, stem.rsplit("_", 1)[0])
    return [names.get(i, f"class_{i}") for i in range(max(names) + 1)]


def _trimap_to_classes(trimap: tf.Tensor) -> tf.Tensor:
    """Trimap values 1/2/3 (pet/background/border) → 1/0/2 (background 0, pet 1, border 2)."""
    lookup = tf.constant([0, 1, 0, 2], tf.int32)  # index 0 never occurs in valid trimaps
    return tf.gather(lookup, tf.clip_by_value(trimap, 0, 3))


def oxford_pets_dataset(
    root: str | os.PathLike,
    split: str = "trainval",
    size: int | tuple[int, int] | None = None,
    task: str = "segmentation",
    validate: bool = True,
) -> tuple[tf.data.Dataset, list[str]]:
    """Oxford-IIIT Pet as ``(image, target)`` pairs and the target's class names.

    ``image``: float32 RGB ``(H, W, 3)`` in [0, 1]. ``target`` depends on ``task``:
    ``"segmentation"`` an int32 mask ``(H, W, 1)`` with 0 = background, 1 = pet, 2 = border
    (nearest resize); ``"species"`` an int32 label 0 = cat, 1 = dog; ``"breed"`` 0–36.
    ``validate`` checks that every listed image exists and is an image, and (segmentation)
    that every trimap exists, has the image's size and holds only 1–3.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}.")
    base = Path(root)
    rows = read_split(base, split)
    image_dir = _common.require_dir(base / "images", "Oxford-IIIT Pet images", _LAYOUT)
    images = [str(image_dir / f"{stem}.jpg") for stem, *_ in rows]
    _common.require_files(
        images,
        f"Image listed in {split}.txt",
        f"Re-extract images.tar.gz into {str(image_dir)!r}.",
    )
    if validate:
        image_files.check_image_files(images, on_error="raise")
    if task != "segmentation":
        column = 2 if task == "species" else 1
        labels = np.array([row[column] for row in rows], np.int32)
        names = list(SPECIES) if task == "species" else breed_names(rows)
        ds = tf.data.Dataset.from_tensor_slices((images, labels))

        def load(path, label):
            image = image_files.read_image(path)
            if size is not None:
                image = _common.resize_image(image, _common.check_size(size))
            return image, label

        return ds.map(load, num_parallel_calls=_common.AUTOTUNE), names
    trimap_dir = _common.require_dir(
        base / "annotations" / "trimaps", "Oxford-IIIT Pet trimaps", _LAYOUT
    )
    masks = [str(trimap_dir / f"{stem}.png") for stem, *_ in rows]
    _common.require_files(masks, "Trimap", f"Re-extract annotations.tar.gz into {str(base)!r}.")
    if validate:
        _common.validate_pairs(images, masks, num_classes=4)
        for path in masks:
            values = np.unique(_common.read_label_array(path))
            if values.size and (values.min() < 1 or values.max() > 3):
                raise ValueError(
                    f"Trimap {path!r} holds values {values[:6].tolist()}; Oxford trimaps hold "
                    "1 (pet), 2 (background) and 3 (border)."
                )

    def read_trimap(path: tf.Tensor) -> tf.Tensor:
        return _trimap_to_classes(_common.read_index_mask(path))

    return _common.paired_dataset(images, masks, size, read_mask=read_trimap), list(TRIMAP_CLASSES)
