"""Tests of ssl_keras.datasets.synthetic.coco: instances that follow the COCO schema."""

from __future__ import annotations

import json

import numpy as np


def test_coco_instances_follow_the_schema(sets):
    from pycocotools.coco import COCO

    path = sets["coco"] / "annotations" / "instances_val2017.json"
    document = json.loads(path.read_text())
    assert set(document) == {"info", "licenses", "images", "annotations", "categories"}
    assert all({"supercategory", "id", "name"} <= set(c) for c in document["categories"])
    api = COCO(str(path))
    crowd = [a for a in document["annotations"] if a["iscrowd"] == 1]
    assert crowd and isinstance(crowd[0]["segmentation"]["counts"], list)
    for ann in document["annotations"]:
        mask = api.annToMask(ann)
        assert mask.shape == (
            api.imgs[ann["image_id"]]["height"],
            api.imgs[ann["image_id"]]["width"],
        )
        assert abs(int(mask.sum()) - ann["area"]) <= 0.05 * ann["area"] + 2
        x, y, w, h = ann["bbox"]
        ys, xs = np.nonzero(mask)
        assert xs.min() >= np.floor(x) - 1 and xs.max() <= np.ceil(x + w) + 1
        assert ys.min() >= np.floor(y) - 1 and ys.max() <= np.ceil(y + h) + 1
