"""Training callbacks for the notebooks: a one-line-per-epoch log, the best epoch restored
from its checkpoint, and the standard set.

Keras's own progress output prints per-step timings that differ on every run; notebooks
train with ``verbose=0`` and :class:`EpochLog` instead.
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import keras


class EpochLog(keras.callbacks.Callback):
    """Print ``epoch 3/10: loss 0.0123, val_loss 0.0110`` after each epoch.

    ``every`` prints only every n-th epoch (the last one always); ``timing=True`` adds the
    epoch's seconds (``(4 s)``), for benchmarks: stored notebook outputs must not change
    between runs, so the default leaves them out.
    """

    def __init__(self, every: int = 1, digits: int = 4, timing: bool = False):
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


def _better(mode: str):
    return (lambda a, b: a < b) if mode == "min" else (lambda a, b: a > b)


def logged_best(
    history_csv: str | Path, monitor: str, mode: str = "min"
) -> tuple[int, float] | None:
    """``(epoch, value)`` (epoch 1-based) of the best ``monitor`` value in a CSVLogger file;
    ``None`` when the file or the column is missing or holds no finite value."""
    path = Path(history_csv)
    if not path.is_file():
        return None
    best: tuple[int, float] | None = None
    better = _better(mode)
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                epoch, value = int(row["epoch"]) + 1, float(row[monitor])
            except (KeyError, TypeError, ValueError):
                continue
            if math.isfinite(value) and (best is None or better(value, best[1])):
                best = (epoch, value)
    return best


class BestEpoch(keras.callbacks.Callback):
    """Track the best ``monitor`` value of a run and, at the end, say which epoch's weights the
    model holds: with ``restore=True`` it loads them from ``checkpoint`` (the file
    ModelCheckpoint keeps with ``save_best_only``), so a run resumed by BackupAndRestore still
    ends on its best epoch even when that epoch came before the interruption.

    ``resumed_from``: ``(epoch, value)`` of the best epoch logged before a resume
    (:func:`logged_best`), or ``None``.
    """

    def __init__(
        self,
        checkpoint: str | Path,
        monitor: str = "val_loss",
        mode: str = "min",
        restore: bool = True,
        resumed_from: tuple[int, float] | None = None,
    ):
        super().__init__()
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}.")
        self.checkpoint, self.monitor, self.mode = Path(checkpoint), monitor, mode
        self.restore = restore
        self.best = resumed_from
        self.last_epoch = 0
        self.restored_epoch: int | None = None

    def on_epoch_end(self, epoch, logs=None):
        self.last_epoch = epoch + 1
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)):
            return
        if self.best is None or _better(self.mode)(float(value), self.best[1]):
            self.best = (epoch + 1, float(value))

    def on_train_end(self, logs=None):
        total = self.params.get("epochs") or self.last_epoch
        if self.best is None:
            print(
                f"no {self.monitor} was logged: the model keeps the weights of its last epoch "
                f"({self.last_epoch}/{total})",
                flush=True,
            )
            return
        epoch, value = self.best
        if self.restore and self.checkpoint.is_file():
            self.model.load_weights(str(self.checkpoint))
            self.restored_epoch = epoch
            print(
                f"restored the weights of epoch {epoch}/{total} (best {self.monitor} {value:.4g})",
                flush=True,
            )
        else:
            print(
                f"the model keeps the weights of its last epoch ({self.last_epoch}/{total}); the "
                f"best {self.monitor}, {value:.4g} at epoch {epoch}, is in {self.checkpoint.name}",
                flush=True,
            )


def standard(
    folder: str | Path,
    monitor: str = "val_loss",
    mode: str = "min",
    patience: int | None = 5,
    backup: bool = False,
    log_every: int = 1,
    restore_best: bool | None = None,
) -> list[keras.callbacks.Callback]:
    """The callbacks every training cell uses, writing into ``folder``:

    ``best.keras`` (ModelCheckpoint on ``monitor``), ``history.csv`` (CSVLogger, appended so a
    resumed run keeps its rows), EarlyStopping with ``patience`` (``None``: none),
    :class:`EpochLog`, :class:`BestEpoch` (which prints which epoch's weights the model ends
    with, and with ``restore_best`` — default: on when ``patience`` is set — loads the best
    epoch's weights from ``best.keras``), and with ``backup=True`` a BackupAndRestore state in
    ``folder/backup`` so an interrupted ``fit`` resumes from its last finished epoch. On such a
    resume the checkpoint starts from the best value already in ``history.csv``, so a worse
    epoch after the interruption never replaces the best one.
    """
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}.")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint = folder / "best.keras"
    resuming = backup and (folder / "backup").is_dir()
    best_so_far = logged_best(folder / "history.csv", monitor, mode) if resuming else None
    callbacks: list[keras.callbacks.Callback] = []
    if backup:
        callbacks.append(keras.callbacks.BackupAndRestore(str(folder / "backup")))
    callbacks += [
        keras.callbacks.ModelCheckpoint(
            str(checkpoint),
            monitor=monitor,
            mode=mode,
            save_best_only=True,
            initial_value_threshold=None if best_so_far is None else best_so_far[1],
        ),
        keras.callbacks.CSVLogger(str(folder / "history.csv"), append=backup),
    ]
    if patience is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=patience)
        )
    callbacks.append(EpochLog(every=log_every))
    callbacks.append(
        BestEpoch(
            checkpoint,
            monitor,
            mode,
            restore=patience is not None if restore_best is None else restore_best,
            resumed_from=best_so_far,
        )
    )
    return callbacks
