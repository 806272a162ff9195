"""Repository links: every badge, install cell and README link agrees with the one address in
pyproject.toml, and the generated install cell installs only where ssl_keras is missing and
fails loudly when pip fails."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_SPEC = importlib.util.spec_from_file_location("sync_links", ROOT / "tools" / "sync_links.py")
sync_links = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(sync_links)

FORK = "https://github.com/someone/ssl-fork"


def test_repository_links_agree_with_pyproject():
    problems = sync_links.sync(ROOT, write=False)
    assert not problems, "\n".join([*problems, "fix: python tools/sync_links.py"])


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """pyproject.toml, README.md and the notebooks copied to ``tmp_path``, already in sync."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=_not_notebooks)
    sync_links.sync(tmp_path, write=True)
    return tmp_path


def _not_notebooks(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if not name.endswith(".ipynb")]


def _snapshot(root: Path) -> dict[str, bytes]:
    files = [root / "pyproject.toml", root / "README.md", *(root / "notebooks").glob("*.ipynb")]
    return {str(path.relative_to(root)): path.read_bytes() for path in files}


def test_badges_of_a_fork():
    assert sync_links.badges(FORK, "07_x.ipynb") == (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/someone/ssl-fork/blob/main/notebooks/07_x.ipynb)"
        "\n[![Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)]"
        "(https://kaggle.com/kernels/welcome?src="
        "https://github.com/someone/ssl-fork/blob/main/notebooks/07_x.ipynb)"
    )


@pytest.mark.parametrize("written", [FORK, FORK + "/", FORK + ".git"])
def test_repository_url_is_normalised(tmp_path: Path, written: str):
    (tmp_path / "pyproject.toml").write_text(f'[project.urls]\nRepository = "{written}"\n')
    assert sync_links.repository_url(tmp_path / "pyproject.toml") == FORK


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[project.urls]\nRepository = "https://gitlab.com/a/b"\n', "not a GitHub repository"),
        ('[project.urls]\nHomepage = "https://github.com/a/b"\n', "has no"),
    ],
)
def test_bad_repository_url_names_the_file_and_fix(tmp_path: Path, table: str, message: str):
    (tmp_path / "pyproject.toml").write_text(table)
    with pytest.raises(ValueError, match=message) as error:
        sync_links.repository_url(tmp_path / "pyproject.toml")
    assert "pyproject.toml" in str(error.value)
    assert "https://github.com/<owner>/<repo>" in str(error.value)


def test_install_cell_source():
    source = sync_links.install_cell_source(FORK)
    lines = source.splitlines()
    assert lines[0].startswith(sync_links.INSTALL_MARKER)
    assert lines[1] == f'REPO_URL = "{FORK}"'
    assert source.count("someone/ssl-fork") == 1  # everything else reads REPO_URL
    assert "%pip" not in source and "noqa" not in source and "fmt:" not in source
    compile(source, "install cell", "exec")


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed")
@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_install_cell_is_ruff_clean(command: list[str]):
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(sync_links.install_cell_source(FORK))],
        metadata={"language_info": {"name": "python"}},
    )
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--stdin-filename", "notebooks/x.ipynb", "-"],
        input=nbformat.writes(notebook),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_sync_is_idempotent_and_keeps_the_file_format(repo_copy: Path):
    before = _snapshot(repo_copy)
    assert sync_links.sync(repo_copy, write=True) == []
    assert _snapshot(repo_copy) == before
    for path in (repo_copy / "notebooks").glob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        assert text.startswith('{\n "cells": [\n  {\n') and text.endswith("}\n"), path.name
        assert text == nbformat.writes(nbformat.reads(text, as_version=4)) + "\n"


def test_sync_touches_only_the_badge_row_and_the_install_cell(repo_copy: Path):
    for original in sorted((ROOT / "notebooks").glob("*.ipynb")):
        old = nbformat.read(original, as_version=4)
        new = nbformat.read(repo_copy / "notebooks" / original.name, as_version=4)
        assert new.metadata == old.metadata
        assert len(new.cells) == len(old.cells)
        for old_cell, new_cell in zip(old.cells, new.cells, strict=True):
            if old_cell is _first_markdown(old):
                badge_free = [_without_badges(cell.source) for cell in (old_cell, new_cell)]
                assert badge_free[0] == badge_free[1], original.name
            elif not sync_links._is_install_cell(old_cell):
                assert new_cell == old_cell, f"{original.name}: cell {old_cell.get('id')}"
            else:  # the install cell keeps its id, metadata and stored outputs
                assert {**new_cell, "source": ""} == {**old_cell, "source": ""}


def _first_markdown(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(cell for cell in notebook.cells if cell.cell_type == "markdown")


def _without_badges(markdown: str) -> list[str]:
    return [line for line in markdown.split("\n") if not sync_links.BADGE_LINE.match(line)]


def _edit_notebook(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_tampered_copy_is_reported(repo_copy: Path, capsys: pytest.CaptureFixture):
    notebooks = sorted((repo_copy / "notebooks").glob("*.ipynb"))
    _edit_notebook(
        notebooks[0], "welcome?src=https://github.com/", "welcome?src=https://github.com/x"
    )
    _edit_notebook(
        notebooks[-1], 'REPO_URL = \\"https://github.com/', 'REPO_URL = \\"https://gh.io/'
    )
    readme = repo_copy / "README.md"
    readme.write_text(readme.read_text().replace("colab.research.google.com/github/", "c.io/", 1))
    pyproject = repo_copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("/issues", "/pulls"))

    assert sync_links.main(["--check", "--root", str(repo_copy)]) == 1
    report = capsys.readouterr().out
    assert f"{notebooks[0]}: badge row" in report
    assert f"{notebooks[-1]}: install cell" in report
    assert f"{readme}: badges of 01_" in report
    assert f"{pyproject}: [project.urls] Issues" in report
    assert "4 disagreement(s)" in report

    assert sync_links.main(["--root", str(repo_copy)]) == 0
    assert sync_links.sync(repo_copy) == []


def test_a_fork_changes_one_line(repo_copy: Path):
    pyproject = repo_copy / "pyproject.toml"
    text = pyproject.read_text()
    line = 'Repository = "https://github.com/ssl-keras/ssl-keras"'
    assert line in text
    pyproject.write_text(text.replace(line, f'Repository = "{FORK}"'))
    assert len(sync_links.sync(repo_copy, write=True)) > 0
    assert sync_links.sync(repo_copy) == []
    for name, content in _snapshot(repo_copy).items():
        assert b"github.com/ssl-keras/ssl-keras" not in content, name
    assert f'Issues = "{FORK}/issues"' in pyproject.read_text()
    assert f"git clone {FORK} && cd ssl-fork" in (repo_copy / "README.md").read_text()


def test_legacy_install_cell_and_missing_badges_are_rewritten(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        f'[project.urls]\nRepository = "{FORK}"\nHomepage = "{FORK}"\nIssues = "{FORK}/issues"\n'
    )
    (tmp_path / "README.md").write_text("# x\n")
    (tmp_path / "notebooks").mkdir()
    legacy = (
        "import sys\n\nif 'google.colab' in sys.modules:\n"
        '    %pip install -q "ssl-keras[tf] @ git+https://github.com/ssl-keras/ssl-keras"'
    )
    output = nbformat.v4.new_output("stream", name="stdout", text="42\n")
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 01 · Title\n\n## Overview\n\ntext"),
            nbformat.v4.new_markdown_cell("## Setup\n\n`pip install tensorboard` for logs"),
            nbformat.v4.new_code_cell(legacy),
            nbformat.v4.new_code_cell("print(42)", outputs=[output], execution_count=2),
        ]
    )
    path = tmp_path / "notebooks" / "01_x.ipynb"
    nbformat.write(notebook, path)

    assert len(sync_links.sync(tmp_path, write=True)) == 2
    cells = nbformat.read(path, as_version=4).cells
    badges = sync_links.badges(FORK, "01_x.ipynb")
    assert cells[0].source == f"# 01 · Title\n\n{badges}\n\n## Overview\n\ntext"
    assert cells[1] == notebook.cells[1]
    assert cells[2].source == sync_links.install_cell_source(FORK)
    assert cells[3] == notebook.cells[3]


def test_notebook_without_install_cell_is_an_error(tmp_path: Path):
    path = tmp_path / "x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x")]), path)
    with pytest.raises(ValueError, match="x.ipynb has no install cell"):
        sync_links.sync_notebook(path, FORK, write=False)


# The install cell run for real in a fresh interpreter. `sys.executable` is the one thing it
# calls, so the harness points it at a shell script standing in for pip: the cell's own
# source runs unchanged and nothing touches the network.
FAKE_PIP = """#!/bin/sh
echo "$@" >> "{log}"
{action}
"""
PIP_FAILS = """echo "Collecting ssl-keras"
echo "ERROR: Could not find a version that satisfies the requirement ssl-keras" >&2
exit 1"""
# Installs a package, then sets the folder's modification time back, as on a filesystem with
# coarse timestamps: only importlib.invalidate_caches() lets the running process see it.
PIP_INSTALLS = """touch -r "{site}" "{site}.time"
mkdir "{site}/ssl_keras" && touch "{site}/ssl_keras/__init__.py"
touch -r "{site}.time" "{site}" """
PIP_INSTALLS_NOTHING = "exit 0"


def _run_install_cell(
    tmp_path: Path, action: str, env: dict[str, str], isolated: bool = True
) -> tuple[subprocess.CompletedProcess, Path]:
    """Run the install cell for FORK with a fake pip doing ``action``. ``isolated``: without
    site-packages (no ssl_keras, no TensorFlow) and ``tmp_path/site`` on the path."""
    site, log, pip = tmp_path / "site", tmp_path / "pip.log", tmp_path / "fake_python"
    site.mkdir(exist_ok=True)
    pip.write_text(FAKE_PIP.format(log=log, action=action.format(site=site)))
    pip.chmod(0o755)
    harness = (
        f"import sys\nsys.executable = {str(pip)!r}\n"
        f"exec(compile({sync_links.install_cell_source(FORK)!r}, 'install cell', 'exec'))"
    )
    command = [sys.executable, *(["-S"] if isolated else []), "-c", harness]
    environment = {"PATH": os.environ.get("PATH", ""), **env}
    if isolated:
        environment["PYTHONPATH"] = str(site)
    finished = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=30
    )
    return finished, log


posix_only = pytest.mark.skipif(os.name == "nt", reason="the fake pip is a POSIX shell script")


@posix_only
def test_failing_pip_on_kaggle_raises_with_the_kaggle_advice(tmp_path: Path):
    finished, log = _run_install_cell(
        tmp_path, PIP_FAILS, {"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}
    )
    assert finished.returncode == 1
    error = finished.stderr
    assert f"RuntimeError: Installing ssl-keras[tf] @ {FORK}/archive/refs/heads/main.zip" in error
    assert "ERROR: Could not find a version that satisfies the requirement ssl-keras" in error
    assert "turn on Internet in the notebook's Settings panel (phone verification" in error
    assert "pip install /kaggle/input/<dataset>/<wheel file>" in error
    assert "Set REPO_URL above to your fork" in error
    assert "CalledProcessError" not in error  # one clear error, not a chained traceback
    package = f"ssl-keras[tf] @ {FORK}/archive/refs/heads/main.zip"
    assert log.read_text() == f"-m pip install -q {package}\n"


@posix_only
def test_failing_pip_elsewhere_gives_the_generic_advice(tmp_path: Path):
    finished, _ = _run_install_cell(tmp_path, PIP_FAILS, {})
    assert finished.returncode == 1
    assert "check that this runtime can reach github.com" in finished.stderr
    assert "Kaggle" not in finished.stderr


@posix_only
def test_importable_ssl_keras_installs_nothing(tmp_path: Path):
    # The test interpreter itself: the local checkout, where ssl_keras is installed.
    env = {"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}
    finished, log = _run_install_cell(tmp_path, PIP_FAILS, env, isolated=False)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == ""
    assert not log.exists()


@posix_only
def test_install_keeps_the_runtime_tensorflow_and_imports_the_package(tmp_path: Path):
    (tmp_path / "site" / "tensorflow").mkdir(parents=True)
    (tmp_path / "site" / "tensorflow" / "__init__.py").write_text("")
    finished, log = _run_install_cell(tmp_path, PIP_INSTALLS, {})
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == f"ssl_keras installed from {FORK}\n"
    assert f"ssl-keras @ {FORK}/archive/refs/heads/main.zip" in log.read_text()


@posix_only
def test_install_that_leaves_no_importable_package_is_an_error(tmp_path: Path):
    finished, _ = _run_install_cell(tmp_path, PIP_INSTALLS_NOTHING, {})
    assert "ModuleNotFoundError: No module named 'ssl_keras'" in finished.stderr
    assert "installed from" not in finished.stdout
