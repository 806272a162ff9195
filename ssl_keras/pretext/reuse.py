"""The encoders notebooks 02, 05 and 06 trained, found in ``artifacts/`` and read like the arms.

Notebook 09's arms share one encoder, pool and step budget; the networks the earlier
notebooks saved do not: 02's denoiser has its own depth, data and steps, 05's colorizer sits
on a backbone it may never have trained, 06's CutPaste encoder learned from textures. They
still answer a learner's question, "how good is the encoder I trained there?", when they
are read with the same probe. :func:`notebook_encoders` finds each one that is present, cuts
its encoder at the probe's level for images of any size, and says for each one that is
absent (or holds nothing of its own to read) which notebook writes it and why.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np

from ssl_keras import models, paths, runtime
from ssl_keras.denoising.recipes import ARTIFACTS as DENOISER_FOLDER
from ssl_keras.profiles import Profile, get_profile
from ssl_keras.transfer import probe_features


@dataclasses.dataclass(frozen=True)
class NotebookEncoder:
    """One earlier notebook's encoder: ``encoder`` is cut at the probe's level and reads any
    image size, or ``None`` when ``path`` is absent or holds nothing of its own at that level
    (``about`` then says why and what to run); otherwise ``about`` says what trained it."""

    notebook: str
    name: str
    path: Path
    encoder: keras.Model | None
    about: str

    def features(self, images) -> np.ndarray:
        """The probe's pooled features of ``images`` (float32 ``(N, H, W, 3)`` in [0, 1]):
        per channel the mean and standard deviation over space,
        :func:`ssl_keras.transfer.probe_features`."""
        if self.encoder is None:
            raise ValueError(f"{self.name}: nothing to read ({self.about}).")
        return probe_features(self.encoder, images)

    def describe(self) -> str:
        state = "read" if self.encoder is not None else "not read"
        return f"{self.name} ({state}): {self.about}"


def _load(path: Path, notebook: str) -> keras.Model:
    try:
        with runtime.scope():
            return keras.models.load_model(path, compile=False)
    except Exception as error:  # a truncated or foreign file: say which one and what to do
        raise ValueError(
            f"{path} is not a Keras model notebook {notebook} wrote ({type(error).__name__}: "
            f"{str(error)[:200]}). Delete it and run notebook {notebook} again to rewrite it."
        ) from None


def _any_size(model: keras.Model, level: int, notebook: str, path: Path) -> keras.Model:
    """The encoder of ``model`` cut at ``level``, rebuilt on an input of any height and width
    (a model saved for fixed 64-px inputs then reads the 32-px CIFAR-10 images too)."""
    try:
        cut = models.encoder_from(model, level=level)
    except ValueError as error:
        raise ValueError(f"{path} (notebook {notebook}): {error}") from None
    channels = cut.inputs[0].shape[-1]
    inputs = keras.Input((None, None, channels), name="image")
    with runtime.scope():
        copy = keras.models.clone_model(cut, input_tensors=[inputs])
    copy.set_weights(cut.get_weights())
    return keras.Model(inputs, copy.outputs[0], name=f"notebook{notebook}_encoder")


# Each reader says what trained a loaded model and whether it holds an encoder of its own
# up to ``level``: ``(about, readable)``.


def _denoiser(model: keras.Model, path: Path, level: int) -> tuple[str, bool]:
    recipe = path.with_name("recipe.json")
    if not recipe.is_file():
        return "its own recipe", True
    try:
        settings = json.loads(recipe.read_text(encoding="utf-8"))
        return (
            f"{settings['profile']} recipe: {settings['steps']:,} steps of "
            f"{settings['batch_size']} crops of {settings['patch_size']} px from the "
            f"'{settings['pool']}' pool, depth {settings['depth']}, "
            f"{settings['base_filters']} filters"
        ), True
    except (ValueError, KeyError, TypeError):
        return f"its own recipe ({recipe.name} unreadable)", True


def _colorizer(model: keras.Model, path: Path, level: int) -> tuple[str, bool]:
    """Readable only where every backbone block up to ``level`` was trainable when the
    colorizer was saved, i.e. colorization trained it."""
    try:
        found = models.find_levels(model, "notebook_encoders")
    except ValueError:
        return (
            "its backbone is VGG16, not a U-Net encoder; the ImageNet VGG16 reference arm "
            "(full profile) reads those features"
        ), False
    blocks = [found.layer(name) for name in found.encoder[:level]]
    if not (found.container.trainable and all(block.trainable for block in blocks)):
        return (
            f"its backbone kept notebook 02's encoder frozen up to level {level}, so its "
            "features there are the denoiser's (run notebook 05 with choose_backbone('small') "
            "for a backbone colorization trains)"
        ), False
    return "a U-Net encoder trained end to end by colorization, read on RGB like every arm", True


def notebook_encoders(
    level: int, profile: str | Profile | None = None, folder: str | Path | None = None
) -> list[NotebookEncoder]:
    """The encoders of notebooks 02, 05 and 06 in ``folder`` (default
    :func:`ssl_keras.paths.artifacts_dir`), each cut at encoder ``level`` and rebuilt for
    any image size, in notebook order; one :class:`NotebookEncoder` per notebook, with
    ``encoder=None`` where there is nothing to read:

    * 02: ``denoiser/denoiser.keras`` (its ``recipe.json`` says how it was trained);
    * 05: ``colorizer/colorizer.keras``, only where its backbone's blocks up to ``level``
      were trained with it; notebook 05 keeps a pretrained backbone frozen (02's encoder
      offline, VGG16 online), whose features are 02's or ImageNet's;
    * 06: ``06_anomaly_pretext/<category>/best.keras`` for ``profile``'s category.

    A file that is there but cannot be loaded raises ``ValueError`` naming it and the fix.
    """
    category = get_profile(profile).anomaly.category
    level = int(level)
    root = Path(folder) if folder is not None else paths.artifacts_dir(create=False)
    sources = (
        ("02", "02: denoiser", root / DENOISER_FOLDER / "denoiser.keras", _denoiser),
        ("05", "05: colorizer backbone", root / "colorizer" / "colorizer.keras", _colorizer),
        (
            "06",
            f"06: CutPaste on '{category}'",
            root / "06_anomaly_pretext" / category / "best.keras",
            lambda *_: (
                f"3-class CutPaste pretext on the '{category}' textures, its best epoch",
                True,
            ),
        ),
    )
    found = []
    for notebook, name, path, reader in sources:
        if not path.is_file():
            about = f"absent; run notebook {notebook} to add it"
            found.append(NotebookEncoder(notebook, name, path, None, about))
            continue
        model = _load(path, notebook)
        about, readable = reader(model, path, level)
        encoder = _any_size(model, level, notebook, path) if readable else None
        found.append(NotebookEncoder(notebook, name, path, encoder, about))
    return found
