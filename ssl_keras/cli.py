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
all at the image's original size (:func:`ssl_keras.segmentation.segment_files`: the
preprocessing is exactly the training loaders', the foreground probabilities are resized
back bilinearly, thresholded and, unless ``--no-postprocess``, cleaned with
:func:`ssl_keras.postprocess.clean`). Every file is written under a temporary name and
renamed when complete, so an interrupted run leaves no half-written files.

This module holds the arguments and the printing; the work is done by the package.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

PROG = "ssl-keras"


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


def _file_arguments(
    parser: argparse.ArgumentParser, input_help: str, model_help: str, output: str, output_help: str
) -> None:
    """The ``--input``, ``--model`` and ``--output`` paths every command takes."""
    for flags, metavar, text in (
        (("--input", "-i"), "IMG_OR_DIR", input_help),
        (("--model", "-m"), "M.keras", model_help),
        (("--output", "-o"), output, output_help),
    ):
        parser.add_argument(*flags, required=True, type=Path, metavar=metavar, help=text)


def _segment_arguments(parser: argparse.ArgumentParser) -> None:
    _file_arguments(
        parser,
        "an image file, or a folder whose image files are all segmented",
        "a saved Keras model with one output channel (foreground logits or probabilities), "
        "e.g. notebook 08's best.keras",
        "OUT_DIR",
        "folder for <stem>_mask.png, <stem>_overlay.png and <stem>_cutout.png (created if "
        "missing; existing files of the same names are replaced)",
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
    from ssl_keras import segmentation

    count = 0
    for done in segmentation.segment_files(
        args.input, args.model, args.output, args.threshold, args.postprocess, args.size
    ):
        names = ", ".join(Path(path).name for path in done.written)
        print(
            f"{Path(done.source).name}: {done.width}x{done.height}, foreground "
            f"{100 * done.foreground:.1f} % -> {names}"
        )
        count += 1
    print(f"segmented {count} image(s) into {str(args.output)!r}")
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
    _file_arguments(
        parser,
        "an image file (gray or color, 8/16-bit, alpha composited over white), or a folder "
        "whose image files are all colorized",
        "a colorizer saved by notebook 05 (artifacts/colorizer/colorizer.keras)",
        "OUT",
        "output image (.png/.jpg) for a file input; a folder (<stem>.png per image) for a "
        "folder input",
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
