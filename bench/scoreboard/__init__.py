"""The scoreboard's lessons, one module each; ``bench/lessons_real.py`` runs them. Importing
the package registers every lesson in :data:`LESSONS`."""

from . import camvid, cats_turtles, coco, colorize, denoise, grid
from .frame import LESSONS

__all__ = ["LESSONS", "camvid", "cats_turtles", "coco", "colorize", "denoise", "grid"]
