"""The stored notebooks follow the house rules that a reader sees: no stderr, no errors, no
linter or formatter comments, no object reprs where a plot should be, figures as PNG at 100 dpi
or more, no wall-clock times or process ids; and the notebook runner keeps stderr out of what
it stores."""

from __future__ import annotations

import base64
import re
import struct
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))  # tools/ is a folder of scripts, not a package

import run_notebooks  # noqa: E402

LINT_COMMENT = re.compile(r"#\s*(noqa|fmt:|type:\s*ignore|pragma)")
OBJECT_REPR = re.compile(r"<(matplotlib|keras|tensorflow)[\w.]* object at 0x|<AxesImage at 0x")
# "(3 s)", "12.5 ms", "in 40 seconds", "0:01:23", "pid 1234": numbers that change on every run.
WALL_CLOCK = re.compile(
    r"\(\d+(\.\d+)? ?(s|ms|min)\)|\b\d+(\.\d+)? ?(ms|sec|secs|seconds)\b"
    r"|\b\d+:\d\d:\d\d\b|\bpid\b ?\d+|\d+(\.\d+)?s/it\b|\bit/s\b",
    re.IGNORECASE,
)
MIN_DPI = 100


def png_dpi(data: str) -> float | None:
    """The horizontal resolution a base64 PNG declares in its pHYs chunk (None: none)."""
    raw = base64.b64decode(data)
    offset = 8  # the PNG signature
    while offset + 8 <= len(raw):
        length, kind = struct.unpack(">I4s", raw[offset : offset + 8])
        if kind == b"pHYs":
            per_unit, _, unit = struct.unpack(">IIB", raw[offset + 8 : offset + 17])
            return per_unit * 0.0254 if unit == 1 else None
        if kind == b"IDAT":
            return None  # pHYs must come before the image data
        offset += 12 + length
    return None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_notebook_is_clean(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and LINT_COMMENT.search(cell.source):
            problems.append(f"cell {index}: linter/formatter comment")
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr":
                problems.append(f"cell {index}: stderr output")
            if output.get("output_type") == "error":
                problems.append(f"cell {index}: error output ({output.get('ename')})")
            text = output.get("text", "") or output.get("data", {}).get("text/plain", "")
            if OBJECT_REPR.search("".join(text)):
                problems.append(f"cell {index}: object repr in the output")
            if WALL_CLOCK.search("".join(text)):
                found = WALL_CLOCK.search("".join(text)).group(0)
                problems.append(f"cell {index}: wall-clock time or process id ({found!r})")
            data = output.get("data", {})
            if "image/jpeg" in data:
                problems.append(f"cell {index}: JPEG figure (use PNG)")
            if "image/png" in data:
                dpi = png_dpi("".join(data["image/png"]))
                if dpi is None or dpi < MIN_DPI - 0.5:
                    problems.append(f"cell {index}: PNG figure at {dpi} dpi (< {MIN_DPI})")
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_runner_moves_stderr_out_of_the_notebook(capsys: pytest.CaptureFixture[str]) -> None:
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(1)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="1\n"),
        nbformat.v4.new_output("stream", name="stderr", text="I0000 oneDNN custom operations\n"),
    ]
    notebook.cells = [nbformat.v4.new_markdown_cell("# t"), cell]
    assert run_notebooks.move_stderr(notebook, "t.ipynb") == 1
    assert [o["name"] for o in notebook.cells[1].outputs] == ["stdout"]
    assert "t.ipynb cell 1 stderr" in capsys.readouterr().err


def _png(dpi: float | None) -> str:
    """A 1×1 PNG declaring ``dpi`` (None: without a pHYs chunk), base64."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    kwargs = {} if dpi is None else {"dpi": (dpi, dpi)}
    Image.new("RGB", (1, 1)).save(buffer, format="PNG", **kwargs)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def test_png_dpi_reads_the_declared_resolution() -> None:
    assert png_dpi(_png(100)) == pytest.approx(100, abs=0.1)
    assert png_dpi(_png(72)) == pytest.approx(72, abs=0.1)
    assert png_dpi(_png(None)) is None


@pytest.mark.parametrize(
    "text", ["epoch 3/10: loss 0.1 (4 s)", "took 12.5 ms", "in 40 seconds", "pid 4242", "0:01:23"]
)
def test_wall_clock_pattern_catches_timings(text: str) -> None:
    assert WALL_CLOCK.search(text)


@pytest.mark.parametrize("text", ["epoch 3/10: loss 0.1", "σ = 25/255", "5 labels per class"])
def test_wall_clock_pattern_leaves_results_alone(text: str) -> None:
    assert not WALL_CLOCK.search(text)


def test_runner_reads_cell_times_slowest_first() -> None:
    def timed(source: str, start: str, end: str) -> nbformat.NotebookNode:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["execution"] = {
            "iopub.execute_input": f"2026-01-01T00:{start}Z",
            "shell.execute_reply": f"2026-01-01T00:{end}Z",
        }
        return cell

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# t"),
        timed("import numpy", "00:00.000000", "00:01.500000"),
        nbformat.v4.new_code_cell("never run"),
        timed(
            "# NBVAL_IGNORE_OUTPUT\n# the long one\nmodel.fit(x)", "00:02.000000", "01:04.250000"
        ),
    ]
    assert run_notebooks.cell_seconds(notebook) == [
        (3, pytest.approx(62.25), "model.fit(x)"),
        (1, pytest.approx(1.5), "import numpy"),
    ]
