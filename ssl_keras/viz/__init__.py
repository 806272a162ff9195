"""Plots for the notebooks: labeled image grids, metric-vs-level curves, training curves.

Every plotting function returns the Matplotlib figure; notebooks end the cell with
``plt.show()``. The submodules, one role each:

- :mod:`ssl_keras.viz.images`: labeled image grids, binary prediction grids, segmentation grids.
- :mod:`ssl_keras.viz.curves`: metric-vs-level curves, training and stage curves, label
  efficiency bands, mean ± interval plots.
- :mod:`ssl_keras.viz.confusion`: the confusion-matrix heatmap.
- :mod:`ssl_keras.viz.anomaly`: ROC curves, anomaly-map overlays, embedding scatter.
- :mod:`ssl_keras.viz.heatmaps`: mirror-padded feature maps, border share, heatmap rows.
"""

from ssl_keras.viz.anomaly import anomaly_overlays, embedding_scatter, roc_curves
from ssl_keras.viz.confusion import confusion_matrix_plot
from ssl_keras.viz.curves import (
    interval_plot,
    label_efficiency_bands,
    level_plot,
    noise_levels_figure,
    stage_curves,
    training_curves,
)
from ssl_keras.viz.heatmaps import border_share, heatmap_rows, padded_feature_maps
from ssl_keras.viz.images import captioned_rows, image_grid, prediction_grid, segmentation_grid

__all__ = [
    "anomaly_overlays",
    "border_share",
    "confusion_matrix_plot",
    "embedding_scatter",
    "heatmap_rows",
    "captioned_rows",
    "image_grid",
    "interval_plot",
    "label_efficiency_bands",
    "level_plot",
    "noise_levels_figure",
    "padded_feature_maps",
    "prediction_grid",
    "roc_curves",
    "segmentation_grid",
    "stage_curves",
    "training_curves",
]
