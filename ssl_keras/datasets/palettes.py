"""Class names and colors of the CamVid label formats (no TensorFlow needed).

CamVid ships in two label formats:

* the **SegNet** version: mode-L PNGs holding the 11 class indices below plus 11 = void;
* the **original 32-class** version: RGB PNGs whose colors are listed in ``label_colors.txt``
  (or ``class_dict.csv`` in the Kaggle copy).

:data:`CAMVID32_TO_11` is the grouping of the 32 classes into the SegNet 11 used throughout
the CamVid literature; classes it does not list (Void) become void (11).
"""

from __future__ import annotations

import numpy as np

# SegNet order. Index 11 (void) is ignored by losses and metrics.
CAMVID_CLASSES: tuple[str, ...] = (
    "Sky",
    "Building",
    "Pole",
    "Road",
    "Pavement",
    "Tree",
    "SignSymbol",
    "Fence",
    "Car",
    "Pedestrian",
    "Bicyclist",
    "Unlabelled",
)
CAMVID_VOID = 11

# Display colors of the 12 SegNet classes (RGB), as in the SegNet tutorial.
CAMVID_PALETTE = np.array(
    [
        (128, 128, 128),
        (128, 0, 0),
        (192, 192, 128),
        (128, 64, 128),
        (0, 0, 192),
        (128, 128, 0),
        (192, 128, 128),
        (64, 64, 128),
        (64, 0, 128),
        (64, 64, 0),
        (0, 128, 192),
        (0, 0, 0),
    ],
    dtype=np.uint8,
)

# The 32 classes of the original CamVid labels with their colors (label_colors.txt order).
CAMVID32_COLORS: dict[str, tuple[int, int, int]] = {
    "Animal": (64, 128, 64),
    "Archway": (192, 0, 128),
    "Bicyclist": (0, 128, 192),
    "Bridge": (0, 128, 64),
    "Building": (128, 0, 0),
    "Car": (64, 0, 128),
    "CartLuggagePram": (64, 0, 192),
    "Child": (192, 128, 64),
    "Column_Pole": (192, 192, 128),
    "Fence": (64, 64, 128),
    "LaneMkgsDriv": (128, 0, 192),
    "LaneMkgsNonDriv": (192, 0, 64),
    "Misc_Text": (128, 128, 64),
    "MotorcycleScooter": (192, 0, 192),
    "OtherMoving": (128, 64, 64),
    "ParkingBlock": (64, 192, 128),
    "Pedestrian": (64, 64, 0),
    "Road": (128, 64, 128),
    "RoadShoulder": (128, 128, 192),
    "Sidewalk": (0, 0, 192),
    "SignSymbol": (192, 128, 128),
    "Sky": (128, 128, 128),
    "SUVPickupTruck": (64, 128, 192),
    "TrafficCone": (0, 0, 64),
    "TrafficLight": (0, 64, 64),
    "Train": (192, 64, 128),
    "Tree": (128, 128, 0),
    "Truck_Bus": (192, 128, 192),
    "Tunnel": (64, 0, 64),
    "VegetationMisc": (192, 192, 0),
    "Void": (0, 0, 0),
    "Wall": (64, 192, 0),
}

# 32-class name -> SegNet index. Names missing here (Void) map to void.
CAMVID32_TO_11: dict[str, int] = {
    "Sky": 0,
    "Building": 1,
    "Wall": 1,
    "Bridge": 1,
    "Tunnel": 1,
    "Archway": 1,
    "Column_Pole": 2,
    "TrafficCone": 2,
    "Road": 3,
    "LaneMkgsDriv": 3,
    "LaneMkgsNonDriv": 3,
    "Sidewalk": 4,
    "ParkingBlock": 4,
    "RoadShoulder": 4,
    "Tree": 5,
    "VegetationMisc": 5,
    "SignSymbol": 6,
    "Misc_Text": 6,
    "TrafficLight": 6,
    "Fence": 7,
    "Car": 8,
    "SUVPickupTruck": 8,
    "Truck_Bus": 8,
    "Train": 8,
    "OtherMoving": 8,
    "Pedestrian": 9,
    "Child": 9,
    "CartLuggagePram": 9,
    "Animal": 9,
    "Bicyclist": 10,
    "MotorcycleScooter": 10,
}


def camvid32_index_table(colors: dict[str, tuple[int, int, int]] | None = None) -> dict[int, int]:
    """Map packed RGB keys ``(r << 16) | (g << 8) | b`` to SegNet class indices (0-11).

    ``colors`` is a name → RGB dict (default :data:`CAMVID32_COLORS`); names outside
    :data:`CAMVID32_TO_11` map to void (11).
    """
    colors = CAMVID32_COLORS if colors is None else colors
    return {
        (r << 16) | (g << 8) | b: CAMVID32_TO_11.get(name, CAMVID_VOID)
        for name, (r, g, b) in colors.items()
    }
