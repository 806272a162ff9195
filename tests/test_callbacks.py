"""The standard callbacks: epoch lines without timings, the best epoch restored and named,
and a resumed run that keeps the best epoch from before the interruption."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ssl_keras import callbacks


def _tiny_model() -> keras.Model:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    return model


def test_epoch_log_prints_no_seconds_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    log = callbacks.EpochLog()
    log.set_params({"epochs": 2})
    log.on_epoch_begin(0)
    log.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.25})
    assert capsys.readouterr().out == "epoch 1/2: loss 0.5, val_loss 0.25\n"
    timed = callbacks.EpochLog(timing=True)
    timed.set_params({"epochs": 2})
    timed.on_epoch_begin(0)
    timed.on_epoch_end(0, {"loss": 0.5})
    assert capsys.readouterr().out.endswith(" s)\n")


def test_best_epoch_restores_the_checkpoint_and_says_so(tmp_path, capsys) -> None:
    model = _tiny_model()
    checkpoint = tmp_path / "best.keras"
    best = callbacks.BestEpoch(checkpoint)
    best.set_model(model)
    best.set_params({"epochs": 3})
    best.on_epoch_end(0, {"val_loss": 0.5})
    best.on_epoch_end(1, {"val_loss": 0.3})
    model.save(checkpoint)  # what ModelCheckpoint writes at the best epoch
    saved = [w.copy() for w in model.get_weights()]
    model.set_weights([w + 1.0 for w in saved])
    best.on_epoch_end(2, {"val_loss": 0.4})
    best.on_train_end()
    for restored, expected in zip(model.get_weights(), saved, strict=True):
        np.testing.assert_allclose(restored, expected)
    assert best.restored_epoch == 2
    assert "restored the weights of epoch 2/3 (best val_loss 0.3)" in capsys.readouterr().out


def test_best_epoch_without_restore_names_the_last_epoch(tmp_path, capsys) -> None:
    best = callbacks.BestEpoch(tmp_path / "best.keras", "val_iou", "max", restore=False)
    best.set_model(_tiny_model())
    best.set_params({"epochs": 2})
    best.on_epoch_end(0, {"val_iou": 0.6})
    best.on_epoch_end(1, {"val_iou": 0.4})
    best.on_train_end()
    out = capsys.readouterr().out
    assert "keeps the weights of its last epoch (2/2)" in out and "0.6 at epoch 1" in out
    assert best.restored_epoch is None
    with pytest.raises(ValueError, match="mode"):
        callbacks.BestEpoch(tmp_path / "best.keras", mode="largest")


def test_fit_with_standard_ends_on_the_logged_best_epoch(tmp_path, capsys) -> None:
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    model = _tiny_model()
    history = model.fit(
        x,
        y,
        validation_data=(x[:16], y[:16] + 3.0),  # a shifted target: val_loss is not monotone
        epochs=4,
        batch_size=16,
        verbose=0,
        callbacks=callbacks.standard(tmp_path, patience=10),
    )
    best_epoch = int(np.argmin(history.history["val_loss"])) + 1
    assert f"restored the weights of epoch {best_epoch}/4" in capsys.readouterr().out
    val_loss = model.evaluate(x[:16], y[:16] + 3.0, verbose=0)
    assert val_loss == pytest.approx(min(history.history["val_loss"]), rel=1e-4)
    assert callbacks.logged_best(tmp_path / "history.csv", "val_loss")[0] == best_epoch


def test_resumed_run_keeps_the_best_epoch_from_before_the_interruption(tmp_path) -> None:
    (tmp_path / "backup").mkdir()  # BackupAndRestore's folder: an interrupted run
    (tmp_path / "history.csv").write_text("epoch,loss,val_loss\n0,1.0,0.5\n1,0.8,0.2\n2,0.7,0.3\n")
    chosen = callbacks.standard(tmp_path, backup=True)
    checkpoint = next(c for c in chosen if isinstance(c, keras.callbacks.ModelCheckpoint))
    best = next(c for c in chosen if isinstance(c, callbacks.BestEpoch))
    assert checkpoint.best == pytest.approx(0.2)  # a worse epoch after the resume is not saved
    assert best.best == (2, pytest.approx(0.2))
    fresh = callbacks.standard(tmp_path / "new", backup=True)
    assert next(c for c in fresh if isinstance(c, callbacks.BestEpoch)).best is None


def test_logged_best_ignores_missing_files_and_columns(tmp_path) -> None:
    assert callbacks.logged_best(tmp_path / "none.csv", "val_loss") is None
    (tmp_path / "h.csv").write_text("epoch,loss\n0,1.0\n")
    assert callbacks.logged_best(tmp_path / "h.csv", "val_loss") is None
    (tmp_path / "m.csv").write_text("epoch,val_dice\n0,0.4\n1,0.7\n2,nan\n")
    assert callbacks.logged_best(tmp_path / "m.csv", "val_dice", "max") == (2, 0.7)
