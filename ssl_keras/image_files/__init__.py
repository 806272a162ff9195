"""Image files: listing with content sniffing, checking, decoding, loading, and writing.

Every reader here trusts the file's leading bytes, not its extension: JPEG, PNG (8 or 16-bit,
palette, alpha composited over white), BMP, GIF, WebP and TIFF (8 or 16-bit, through
``tifffile``) become float32 RGB in [0, 1]. A file that cannot be decoded raises
``ValueError`` naming it (:class:`NotAnImageError`, :func:`bad_file_error`,
:func:`naming_bad_files` for lazy ``tf.data`` pipelines), and :func:`write_image` writes
atomically (a temporary name, renamed when complete).

Submodules, each re-exported here:

- :mod:`~ssl_keras.image_files.listing`: the image files of a folder
  (:func:`find_image_files`, :func:`list_image_files`) or of an inference command's input
  (:func:`input_image_files`).
- :mod:`~ssl_keras.image_files.checks`: format sniffing and content checks
  (:func:`sniff_format`, :func:`check_image_files`, :func:`undecodable`), and naming the
  file a lazy pipeline failed on (:func:`bad_file_error`, :func:`naming_bad_files`).
- :mod:`~ssl_keras.image_files.decoding`: bytes and files to float32 RGB
  (:func:`decode_image`, :func:`read_image`, :func:`read_image_uint8`, :func:`load_image`).
- :mod:`~ssl_keras.image_files.writing`: atomic :func:`write_image`.
"""

from ssl_keras.image_files.checks import (
    NotAnImageError,
    bad_file_error,
    check_image_files,
    naming_bad_files,
    sniff_format,
    undecodable,
)
from ssl_keras.image_files.decoding import decode_image, load_image, read_image, read_image_uint8
from ssl_keras.image_files.listing import (
    IMAGE_EXTENSIONS,
    find_image_files,
    input_image_files,
    list_image_files,
)
from ssl_keras.image_files.writing import ImageWriteError, write_image

__all__ = [
    "IMAGE_EXTENSIONS",
    "ImageWriteError",
    "NotAnImageError",
    "bad_file_error",
    "check_image_files",
    "decode_image",
    "find_image_files",
    "input_image_files",
    "list_image_files",
    "load_image",
    "naming_bad_files",
    "read_image",
    "read_image_uint8",
    "sniff_format",
    "undecodable",
    "write_image",
]
