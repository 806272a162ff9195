"""Training callbacks for the notebooks: a one-line-per-epoch log and the standard set.

Keras's own progress output prints per-step timings that differ on every run; notebooks
train with ``verbose=0`` and :class:`EpochLog` instead.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras


class EpochLog(keras.callbacks.Callback):
    """Print ``epoch 3/10: loss 0.0123, val_loss 0.0110 (4 s)`` after each epoch.

    ``every`` prints only every n-th epoch (the last one always); ``timing=False`` leaves the
    seconds out, for outputs that must not change between runs.
    """

    def __init__(self, every: int = 1, digits: int = 4, timing: bool = True):
        super().__init__()
        if every < 1:
            raise ValueError(f"every must be ≥ 1, got {every}.")
        self.every, self.digits, self.timing = every, digits, timing
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        total = self.params.get("epochs") or 0
        if (epoch + 1) % self.every and epoch + 1 != total:
            return
        parts = []
        for key, value in (logs or {}).items():
            if isinstance(value, int | float) and not math.isnan(float(value)):
                parts.append(f"{key} {float(value):.{self.digits}g}")
        seconds = f" ({time.perf_counter() - self._start:.0f} s)" if self.timing else ""
        print(f"epoch {epoch + 1}/{total}: {', '.join(parts)}{seconds}", flush=True)


def standard(
    folder: str | Path,
    monitor: str = "val_loss",
    mode: str = "min",
    patience: int | None = 5,
    backup: bool = False,
    log_every: int = 1,
) -> list[keras.callbacks.Callback]:
    """The callbacks every training cell uses, writing into ``folder``:

    ``best.keras`` (ModelCheckpoint on ``monitor``), ``history.csv`` (CSVLogger, appended so a
    resumed run keeps its rows), EarlyStopping with ``patience`` (``None``: none) restoring
    the best weights, :class:`EpochLog`, and with ``backup=True`` a BackupAndRestore state in
    ``folder/backup`` so an interrupted ``fit`` resumes from its last finished epoch.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    callbacks: list[keras.callbacks.Callback] = []
    if backup:
        callbacks.append(keras.callbacks.BackupAndRestore(str(folder / "backup")))
    callbacks += [
        keras.callbacks.ModelCheckpoint(
            str(folder / "best.keras"), monitor=monitor, mode=mode, save_best_only=True
        ),
        keras.callbacks.CSVLogger(str(folder / "history.csv"), append=backup),
    ]
    if patience is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor, mode=mode, patience=patience, restore_best_weights=True
            )
        )
    callbacks.append(EpochLog(every=log_every))
    return callbacks
