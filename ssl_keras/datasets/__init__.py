"""Datasets: real-format loaders, their downloads, and synthetic generators of the same formats.

Import the module you need (``from ssl_keras.datasets import camvid``):

===================  ==========================================================================
module               holds
===================  ==========================================================================
``classfolders``     ``class_folder_dataset``: ``<root>/<class>/<images>`` → (image, label)
``camvid``           ``camvid_dataset`` (SegNet index labels), ``camvid_color_dataset`` (32 colors)
``carla``            ``carla_dataset``: ``CameraRGB/`` + ``CameraMask/`` (Coursera layout)
``coco``             ``coco_dataset``: COCO instances JSON → foreground / category masks
``mvtec``            ``mvtec_dataset``: MVTec AD category → (image, mask, label, defect type)
``denoise_sets``     ``denoise_dataset``: BSD68 / Set12 / Train400 or any image folder
``palettes``         CamVid class names, colors and the 32 → 11 class grouping
``photos``           scikit-image's bundled photographs (offline natural images)
``sources``          ``SOURCES``, ``CIFAR``: each dataset's archives, checksums and layout
``download``         ``fetch_dataset``, ``cifar_cats_turtles``: checked, cached, validated folders
``fetch``            ``download``: one URL to one file, checked, resumable, mirror-aware
``archives``         ``safe_extract``: zip / tar members routed into folders, escapes refused
``cifar``            reading CIFAR batches (code refused) and writing balanced class folders
``synthetic``        generators writing the formats above (toy pets, street scenes, …)
===================  ==========================================================================

Every loader takes a folder and returns a ``tf.data.Dataset`` of float32 RGB images in
[0, 1] (resized bilinearly with antialiasing) and int32 masks ``(H, W, 1)`` (resized with
nearest neighbour). The on-disk layouts are described in ``data/README.md``.
"""
