"""Tests of ssl_keras.datasets.palettes: CamVid class names, colors and the 32 → 11 grouping."""

from __future__ import annotations

import numpy as np

from ssl_keras.datasets import palettes


def test_segnet_classes_and_palette_line_up():
    assert len(palettes.CAMVID_CLASSES) == len(palettes.CAMVID_PALETTE) == 12
    assert palettes.CAMVID_CLASSES[palettes.CAMVID_VOID] == "Unlabelled"
    assert palettes.CAMVID_PALETTE.dtype == np.uint8 and palettes.CAMVID_PALETTE.shape == (12, 3)
    assert len({tuple(color) for color in palettes.CAMVID_PALETTE}) == 12


def test_camvid32_colors_are_32_distinct_classes():
    colors = palettes.CAMVID32_COLORS
    assert len(colors) == 32 and len(set(colors.values())) == 32
    assert all(0 <= channel <= 255 for rgb in colors.values() for channel in rgb)


def test_grouping_covers_every_segnet_class_but_void():
    grouping = palettes.CAMVID32_TO_11
    assert set(grouping) == set(palettes.CAMVID32_COLORS) - {"Void"}
    assert set(grouping.values()) == set(range(palettes.CAMVID_VOID))


def test_shared_class_names_keep_their_segnet_index_and_color():
    for index, name in enumerate(palettes.CAMVID_CLASSES[: palettes.CAMVID_VOID]):
        if name in palettes.CAMVID32_COLORS:
            assert palettes.CAMVID32_TO_11[name] == index
            assert palettes.CAMVID32_COLORS[name] == tuple(palettes.CAMVID_PALETTE[index])


def test_index_table_packs_rgb_and_sends_unknown_names_to_void():
    table = palettes.camvid32_index_table()
    assert len(table) == 32
    assert table[(128 << 16) | (64 << 8) | 128] == 3  # Road
    assert table[0] == palettes.CAMVID_VOID  # Void (0, 0, 0)
    custom = palettes.camvid32_index_table({"Car": (1, 2, 3), "Spaceship": (4, 5, 6)})
    assert custom == {0x010203: 8, 0x040506: palettes.CAMVID_VOID}
