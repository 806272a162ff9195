"""The stored notebooks follow the house rules that a reader sees: no stderr, no errors, no
linter or formatter comments, no object reprs where a plot should be; and the notebook runner keeps
stderr out of what it stores."""

from __future__ import annotations

import re
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
