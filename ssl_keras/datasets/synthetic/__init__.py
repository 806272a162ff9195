"""Synthetic datasets written to disk in the real formats, so the real loaders read them.

Every generator takes a folder, counts, a size and a seed; the same arguments give
byte-identical files, and a complete set with the same arguments is reused instead of
rewritten. A set is written next to its folder and renamed into place when complete, so an
interrupted run is simply redone.

========================  ==================================  ===============================
generator                 format (real loader)                stands in for
========================  ==================================  ===============================
:func:`toy_pets`          class folders (classfolders)        cats vs turtles, Oxford pets
:func:`street_scenes`     SegNet CamVid (+32-class colors)    CamVid
:func:`carla_scenes`      CameraRGB/ CameraMask/ (carla)      CARLA (Coursera U-Net lab)
:func:`mvtec_like`        MVTec AD (mvtec)                    MVTec AD
:func:`coco_instances`    COCO JSON instances (coco)          COCO 2017
:func:`photo_crops`       image folder (denoise)              BSD / natural images
========================  ==================================  ===============================
"""

from ssl_keras.datasets.synthetic.coco import coco_instances
from ssl_keras.datasets.synthetic.crops import photo_crops
from ssl_keras.datasets.synthetic.mvtec import mvtec_like
from ssl_keras.datasets.synthetic.pets import toy_pets
from ssl_keras.datasets.synthetic.street import carla_scenes, street_scenes

__all__ = [
    "carla_scenes",
    "coco_instances",
    "mvtec_like",
    "photo_crops",
    "street_scenes",
    "toy_pets",
]
