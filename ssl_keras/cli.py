"""The ``ssl-keras`` command line: ``ssl-keras <command> [options]``.

Commands live in :data:`COMMANDS`, a dict from the command name to a :class:`Command`
(help text, a function that adds its arguments to an ``argparse`` sub-parser, and a
function that runs it). Adding a command is one entry there::

    COMMANDS["colorize"] = Command("colorize gray images", _colorize_arguments, _run_colorize)

A command reports a user error (missing file, wrong model) by raising :class:`CommandError`,
``FileNotFoundError`` or ``ValueError``; :func:`main` prints it as one line
``ssl-keras <command>: error: ...`` on stderr and returns exit code 1. Usage errors
(unknown options, bad values) exit with code 2, as ``argparse`` does.

``segment``::

    ssl-keras segment --input IMG_OR_DIR --model M.keras --output OUT_DIR [--threshold T]
                      [--no-postprocess] [--size H W]

For each image it writes ``<stem>_mask.png`` (0/255 gray), ``<stem>_overlay.png`` (mask
tinted over the image, outlined) and ``<stem>_cutout.png`` (RGBA, background transparent),
all at the image's original size. Preprocessing is exactly the training loaders': decode
with :func:`ssl_keras.image_files.load_image`, bilinear antialiased resize to the model's
input size (:func:`ssl_keras.segmentation.preprocess`). The foreground probabilities are
resized back bilinearly, thresholded and (unless ``--no-postprocess``) cleaned with
:func:`ssl_keras.postprocess.clean`. Every file is written under a temporary name and
renamed when complete, so an interrupted run leaves no half-written files.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

PROG = "ssl-keras"
# Smaller images are refused by `segment`: their mask would be a blow-up of a pixel or two.
MIN_SEGMENT_SIDE = 16


class CommandError(Exception):
    """A user-facing error: printed as one line, exit code 1."""


@dataclasses.dataclass(frozen=True)
class Command:
    """One subcommand: ``help`` for the command list, ``configure(parser)`` adds its
    arguments, ``run(args) -> exit code`` does the work."""

    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: str | None = None


# ------------------------------------------------------------------------------- segment


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1), got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {value}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _segment_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input",
        "-i",
        required=True,
        type=Path,
        metavar="IMG_OR_DIR",
        help="an image file, or a folder whose image files are all segmented",
    )
    parser.add_argument(
        "--model",
        "-m",
        required=True,
        type=Path,
        metavar="M.keras",
        help="a saved Keras model with one output channel (foreground logits or "
        "probabilities), e.g. notebook 08's best.keras",
    )
    parser.add_argument(
        "--output",
        "-o",
        required=True,
        type=Path,
        metavar="OUT_DIR",
        help="folder for <stem>_mask.png, <stem>_overlay.png and <stem>_cutout.png "
        "(created if missing; existing files of the same names are replaced)",
    )
    parser.add_argument(
        "--threshold",
        "-t",
        type=_probability,
        default=0.5,
        metavar="T",
        help="foreground when the probability is at least T (default: 0.5)",
    )
    parser.add_argument(
        "--no-postprocess",
        dest="postprocess",
        action="store_false",
        help="write the thresholded mask as is, without opening/closing, removal of small "
        "components and hole filling",
    )
    parser.add_argument(
        "--size",
        type=_positive_int,
        nargs=2,
        metavar=("H", "W"),
        help="model input size; needed only when the model accepts any size (default: the "
        "model's own input size)",
    )


def _segment_inputs(path: Path) -> list[str]:
    from ssl_keras import image_files

    try:
        if path.is_dir():
            files = image_files.list_image_files(path)
        else:
            files = image_files.check_image_files([str(path)])
    except image_files.NotAnImageError as error:
        fix = "Delete or re-save it, or move it out of the input folder."
        raise CommandError(error.describe(fix, prefix="input ")) from None
    stems: dict[str, str] = {}
    for file in files:
        stem = Path(file).stem
        if stem in stems:
            raise CommandError(
                f"{stems[stem]!r} and {file!r} would write the same output files "
                f"({stem}_mask.png, ...); rename one of them."
            )
        stems[stem] = file
    return files


def _load_segmentation_model(path: Path, size: Sequence[int] | None):
    """Load the model and return ``(model, (H, W) of its input, head activation)``."""
    import keras

    import ssl_keras.layers  # noqa: F401  (registers the U-Net layers for loading)
    import ssl_keras.losses  # noqa: F401
    from ssl_keras import segmentation

    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001  (any failure here means "not a usable model")
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CommandError(
            f"cannot load model {str(path)!r}: {reason[:200]}. Pass a .keras file saved with "
            "model.save()."
        ) from None
    input_shape = tuple(model.input_shape) if not isinstance(model.input_shape, list) else None
    output_shape = tuple(model.output_shape) if not isinstance(model.output_shape, list) else None
    if input_shape is None or len(input_shape) != 4 or input_shape[-1] != 3:
        raise CommandError(
            f"model {str(path)!r} takes input {model.input_shape}; segment needs one RGB image "
            "input of shape (None, H, W, 3)."
        )
    if output_shape is None or len(output_shape) != 4 or output_shape[-1] != 1:
        raise CommandError(
            f"model {str(path)!r} has output shape {model.output_shape}; segment needs a "
            "foreground model with one output channel, (None, H, W, 1)."
        )
    height, width = input_shape[1:3]
    if size is not None:
        if (height, width) != (None, None) and tuple(size) != (height, width):
            raise CommandError(
                f"--size {size[0]} {size[1]} does not match the model's input size "
                f"{height} {width}; leave --size out."
            )
        height, width = size
    if height is None or width is None:
        raise CommandError(
            f"model {str(path)!r} accepts any input size, so the training size is unknown; "
            "pass it with --size H W."
        )
    if output_shape[1:3] not in ((height, width), (None, None)):
        raise CommandError(
            f"model {str(path)!r} maps {input_shape} to {output_shape}; segment needs an output "
            "of the input's height and width."
        )
    return model, (int(height), int(width)), segmentation.head_activation(model)


def _require_paths(args: argparse.Namespace, model_hint: str) -> None:
    """Cheap checks first: they fail fast, before TensorFlow is imported."""
    if not args.input.exists():
        raise CommandError(
            f"input {str(args.input)!r} does not exist; pass an image file or a folder."
        )
    if not args.model.is_file():
        raise CommandError(f"model file {str(args.model)!r} does not exist; pass {model_hint}.")


def _run_segment(args: argparse.Namespace) -> int:
    _require_paths(
        args,
        "a saved .keras model (e.g. artifacts/08_coco_segmentation/best.keras from notebook 08)",
    )
    files = _segment_inputs(args.input)
    model, size, activation = _load_segmentation_model(args.model, args.size)

    import numpy as np
    import tensorflow as tf

    from ssl_keras import image_files, postprocess, segmentation

    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"cannot create output folder {str(args.output)!r}: {error}.") from None
    for file in files:
        image = image_files.load_image(file)
        height, width = (int(s) for s in image.shape[:2])
        if min(height, width) < MIN_SEGMENT_SIDE:
            raise CommandError(
                f"{file!r} is {width}x{height} px; segment needs at least {MIN_SEGMENT_SIDE} px "
                "a side (a mask of fewer pixels would be a blow-up of one or two model pixels). "
                "Remove the file or pass a larger image."
            )
        output = model(segmentation.preprocess(image, size)[None], training=False)
        if activation != "sigmoid":
            output = tf.sigmoid(output)
        probabilities = tf.image.resize(output, (height, width), method="bilinear", antialias=True)
        probabilities = np.clip(probabilities[0, ..., 0].numpy(), 0.0, 1.0)
        if args.postprocess:
            scale = min(height, width) / min(size)
            mask = postprocess.clean(probabilities, args.threshold, scale=scale)
        else:
            mask = postprocess.threshold(probabilities, args.threshold)
        pixels = np.round(image.numpy() * 255).astype(np.uint8)
        stem = Path(file).stem
        outputs = {
            "mask": mask.astype(np.uint8) * 255,
            "overlay": postprocess.overlay(pixels, mask.astype(np.int32)),
            "cutout": postprocess.cutout(pixels, mask),
        }
        for kind, content in outputs.items():
            image_files.write_image(args.output / f"{stem}_{kind}.png", content)
        print(
            f"{Path(file).name}: {width}x{height}, foreground {100 * mask.mean():.1f} % -> "
            f"{stem}_mask.png, {stem}_overlay.png, {stem}_cutout.png"
        )
    print(f"segmented {len(files)} image(s) into {str(args.output)!r}")
    return 0


# ----------------------------------------------------------------------------- dispatcher

COMMANDS: dict[str, Command] = {
    "segment": Command(
        help="segment the foreground of images with a trained U-Net",
        configure=_segment_arguments,
        run=_run_segment,
        description="Write a mask, an overlay and a cut-out per image at its original size.",
    ),
}


# ------------------------------------------------------------------------------ colorize


def _colorize_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input",
        "-i",
        required=True,
        type=Path,
        metavar="IMG_OR_DIR",
        help="an image file (gray or color, 8/16-bit, alpha composited over white), or a "
        "folder whose image files are all colorized",
    )
    parser.add_argument(
        "--model",
        "-m",
        required=True,
        type=Path,
        metavar="M.keras",
        help="a colorizer saved by notebook 05 (artifacts/colorizer/colorizer.keras)",
    )
    parser.add_argument(
        "--output",
        "-o",
        required=True,
        type=Path,
        metavar="OUT",
        help="output image (.png/.jpg) for a file input; a folder (<stem>.png per image) "
        "for a folder input",
    )


def _run_colorize(args: argparse.Namespace) -> int:
    _require_paths(args, "a colorizer saved by notebook 05 (artifacts/colorizer/colorizer.keras)")
    from ssl_keras import colorization

    written = colorization.colorize_files(args.input, args.model, args.output)
    for path in written:
        print(path)
    print(f"colorized {len(written)} image(s)")
    return 0


COMMANDS["colorize"] = Command(
    help="colorize gray images with a trained colorizer",
    configure=_colorize_arguments,
    run=_run_colorize,
    description="Predict colors at each image's original resolution (notebook 05's model).",
)


def build_parser() -> argparse.ArgumentParser:
    """The ``ssl-keras`` parser with one sub-parser per entry of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="The command line of the ssl-keras tutorial package."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(
            name, help=command.help, description=command.description or command.help
        )
        command.configure(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ssl-keras`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return COMMANDS[args.command].run(args)
    except (CommandError, FileNotFoundError, ValueError) as error:
        message = " ".join(str(error).split())
        print(f"{PROG} {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
