"""Keep every link to the repository in step with the one address in pyproject.toml.

``[project.urls] Repository`` in ``pyproject.toml`` is the repository's address, stated once
(``https://github.com/<owner>/<repo>``). From it this script derives, and writes:

* ``Homepage`` and ``Issues`` in the same ``[project.urls]`` table;
* each notebook's badge row (Open in Colab, Kaggle) in its first markdown cell;
* each notebook's install cell (the setup code cell that installs ``ssl_keras`` on Colab and
  Kaggle), generated whole with ``REPO_URL`` at its top;
* the README's Colab/Kaggle badges and its ``git clone`` line.

Nothing else in a notebook changes: other cells, outputs and metadata stay as they are, and the
file keeps nbformat's layout (one-space indent, trailing newline). A fork edits one line,
``Repository``, and runs the script.

    python tools/sync_links.py           # rewrite whatever disagrees
    python tools/sync_links.py --check   # list every disagreement; exit 1 if there is any
"""

from __future__ import annotations

import argparse
import re
import string
import sys
from pathlib import Path

import nbformat

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser under its old name (pytest depends on it there)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
BRANCH = "main"

GITHUB_URL = re.compile(r"https://github\.com/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?")
COLAB_BADGE = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
KAGGLE_BADGE = "[![Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)]"
# A badge line of a notebook's first markdown cell: either badge, pointing anywhere.
BADGE_LINE = re.compile(r"^\[!\[(?:Open In Colab|Kaggle)\]\(")
# The README's badges of one notebook: the Colab badge, optionally followed by the Kaggle one.
# Links are matched loosely (any address ending in the notebook's path), so that a badge
# pointing somewhere else entirely is reported too.
README_BADGES = re.compile(
    r"\[!\[Open In Colab\]\([^)\s]*\)\]\([^)\s]*/notebooks/(?P<file>[^/)\s]+\.ipynb)\)"
    r"(?:[ \t]*\[!\[Kaggle\]\([^)\s]*\)\]\([^)\s]*\))?"
)
README_CLONE = re.compile(r"git clone https://github\.com/[\w./-]+ && cd [\w.-]+")

INSTALL_MARKER = "# Installs the ssl_keras package where it is missing (Colab, Kaggle)"
# The install cell before it was generated: `%pip` reports a failed install without raising.
LEGACY_INSTALL = re.compile(r"^\s*[%!]pip install [^\n]*ssl-keras", re.MULTILINE)
INSTALL_CELL = string.Template(
    INSTALL_MARKER
    + """; a local checkout has it.
REPO_URL = "$repo_url"

import importlib
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("ssl_keras") is None:
    # Colab and Kaggle ship TensorFlow: the [tf] extra only where it is missing, never over it.
    extra = "" if importlib.util.find_spec("tensorflow") else "[tf]"
    package = f"ssl-keras{extra} @ {REPO_URL}/archive/refs/heads/$branch.zip"
    command = [sys.executable, "-m", "pip", "install", "-q", package]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as error:
        pip_says = "\\n".join((error.stdout + error.stderr).strip().splitlines()[-5:])
        if "KAGGLE_KERNEL_RUN_TYPE" in os.environ:
            fix = (
                "turn on Internet in the notebook's Settings panel (phone verification needed), "
                "or, to stay offline, attach the package's wheel as a Kaggle dataset and "
                "pip install /kaggle/input/<dataset>/<wheel file> (build the wheel from the "
                "repository with: pip wheel --no-deps . -w dist)"
            )
        else:
            fix = "check that this runtime can reach github.com"
        raise RuntimeError(
            f"Installing {package} failed. pip said:\\n{pip_says}\\n\\n"
            f"What to do: {fix}. Working on a fork? Set REPO_URL above to your fork."
        ) from None
    importlib.invalidate_caches()
    importlib.import_module("ssl_keras")
    print(f"ssl_keras installed from {REPO_URL}")"""
)


def repository_url(pyproject: Path) -> str:
    """The ``Repository`` address of ``[project.urls]`` in ``pyproject``, without a trailing
    slash or ``.git``: ``https://github.com/<owner>/<repo>``."""
    with pyproject.open("rb") as file:
        urls = tomllib.load(file).get("project", {}).get("urls", {})
    url = urls.get("Repository")
    if url is None:
        raise ValueError(
            f"{pyproject} has no [project.urls] Repository; add the line "
            'Repository = "https://github.com/<owner>/<repo>"'
        )
    match = GITHUB_URL.fullmatch(url)
    if match is None:
        raise ValueError(
            f"{pyproject}: [project.urls] Repository = {url!r} is not a GitHub repository "
            "address; write it as https://github.com/<owner>/<repo>"
        )
    return f"https://github.com/{match['owner']}/{match['repo']}"


def owner_repo(url: str) -> str:
    """``<owner>/<repo>`` of a ``https://github.com/<owner>/<repo>`` address."""
    match = GITHUB_URL.fullmatch(url)
    if match is None:
        raise ValueError(f"{url!r} is not a https://github.com/<owner>/<repo> address")
    return f"{match['owner']}/{match['repo']}"


def badges(url: str, notebook: str, separator: str = "\n") -> str:
    """The Open-in-Colab and Kaggle badges of ``notebook`` (a file name in ``notebooks/``) of
    the repository at ``url``, joined by ``separator``."""
    blob = f"{owner_repo(url)}/blob/{BRANCH}/notebooks/{notebook}"
    colab = f"{COLAB_BADGE}(https://colab.research.google.com/github/{blob})"
    kaggle = f"{KAGGLE_BADGE}(https://kaggle.com/kernels/welcome?src=https://github.com/{blob})"
    return f"{colab}{separator}{kaggle}"


def install_cell_source(url: str) -> str:
    """Source of the install cell for the repository at ``url``."""
    return INSTALL_CELL.substitute(repo_url=f"https://github.com/{owner_repo(url)}", branch=BRANCH)


def _is_install_cell(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and (
        cell.source.startswith(INSTALL_MARKER) or LEGACY_INSTALL.search(cell.source) is not None
    )


def _with_badges(markdown: str, row: str) -> str:
    """``markdown`` with its first run of badge lines replaced by ``row``; without badge lines,
    ``row`` goes under the title line."""
    lines = markdown.split("\n")
    start = next((i for i, line in enumerate(lines) if BADGE_LINE.match(line)), None)
    if start is None:
        return "\n".join([lines[0], "", row, *lines[1:]])
    end = start
    while end < len(lines) and BADGE_LINE.match(lines[end]):
        end += 1
    return "\n".join([*lines[:start], row, *lines[end:]])


def sync_notebook(path: Path, url: str, write: bool) -> list[str]:
    """Compare (and with ``write``, rewrite) the badge row and install cell of the notebook at
    ``path`` with those generated for ``url``. Returns one line per disagreement."""
    notebook = nbformat.read(path, as_version=4)
    problems = []
    markdown = next((cell for cell in notebook.cells if cell.cell_type == "markdown"), None)
    if markdown is None:
        raise ValueError(f"{path} has no markdown cell; give it a title cell to hold the badges")
    expected = _with_badges(markdown.source, badges(url, path.name))
    if markdown.source != expected:
        problems.append(f"{path}: badge row differs from the one generated for {url}")
        markdown.source = expected
    install = next((cell for cell in notebook.cells if _is_install_cell(cell)), None)
    if install is None:
        raise ValueError(
            f"{path} has no install cell (a code cell starting with {INSTALL_MARKER!r}); "
            "put that line at the top of the setup cell that installs ssl_keras"
        )
    expected = install_cell_source(url)
    if install.source != expected:
        problems.append(f"{path}: install cell is not the one generated for {url}")
        install.source = expected
    if write and problems:
        path.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    return problems


def sync_readme(path: Path, url: str, write: bool) -> list[str]:
    """Compare (and with ``write``, rewrite) the README's notebook badges and ``git clone``
    line with those for ``url``. Returns one line per disagreement."""
    text = path.read_text(encoding="utf-8")
    problems = []

    def fix_badges(match: re.Match) -> str:
        expected = badges(url, match["file"], separator=" ")
        if match[0] != expected:
            problems.append(f"{path}: badges of {match['file']} differ from those for {url}")
        return expected

    def fix_clone(match: re.Match) -> str:
        expected = f"git clone {url} && cd {owner_repo(url).split('/')[1]}"
        if match[0] != expected:
            problems.append(f"{path}: `git clone` line does not clone {url}")
        return expected

    new_text = README_CLONE.sub(fix_clone, README_BADGES.sub(fix_badges, text))
    if write and new_text != text:
        path.write_text(new_text, encoding="utf-8")
    return problems


def sync_pyproject(path: Path, url: str, write: bool) -> list[str]:
    """Compare (and with ``write``, rewrite) ``Homepage`` and ``Issues`` of ``[project.urls]``
    with what ``Repository`` (``url``) implies. Returns one line per disagreement."""
    text = path.read_text(encoding="utf-8")
    table = re.search(r"^\[project\.urls\]\n(?:(?!\[).*\n?)*", text, re.MULTILINE)
    if table is None:
        raise ValueError(f"{path} has no [project.urls] table; add it with the Repository line")
    expected = {"Homepage": url, "Issues": f"{url}/issues"}
    problems = []
    body = table[0]
    for key, value in expected.items():
        line = f'{key} = "{value}"'
        current = re.search(rf"^{key}\s*=.*$", body, re.MULTILINE)
        if current is None:
            problems.append(f"{path}: [project.urls] has no {key}; expected {line}")
            body = body.replace("\n", f"\n{line}\n", 1)
        elif current[0] != line:
            problems.append(f"{path}: [project.urls] {current[0]} disagrees with Repository")
            body = body.replace(current[0], line)
    if write and problems:
        path.write_text(text[: table.start()] + body + text[table.end() :], encoding="utf-8")
    return problems


def sync(root: Path = ROOT, write: bool = False) -> list[str]:
    """Check (or with ``write``, fix) every link under ``root`` against its pyproject.toml.
    Returns one line per disagreement found (with ``write``: per thing rewritten)."""
    pyproject = root / "pyproject.toml"
    url = repository_url(pyproject)
    problems = sync_pyproject(pyproject, url, write)
    for notebook in sorted((root / "notebooks").glob("*.ipynb")):
        problems += sync_notebook(notebook, url, write)
    return problems + sync_readme(root / "README.md", url, write)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list disagreements")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    problems = sync(args.root, write=not args.check)
    for line in problems:
        print(line)
    if args.check:
        if problems:
            print(f"{len(problems)} disagreement(s); run: python tools/sync_links.py")
        return 1 if problems else 0
    print(f"{len(problems)} thing(s) rewritten" if problems else "everything already in sync")
    return 0


if __name__ == "__main__":
    sys.exit(main())
