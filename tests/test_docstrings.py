"""The examples in the library's docstrings and the README's Python example run as written: a reader who copies one
gets what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
import shutil
from pathlib import Path

import pytest

import search

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"

# ``python -m search`` parses the command line when imported: its examples are the README's.
MODULES = sorted(
    ["search", *(f"search.{module.name}" for module in pkgutil.iter_modules(search.__path__))],
)
MODULES.remove("search.__main__")


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a copy of the embedded corpus as ``corpus``: examples open ``"corpus"`` and write its
    index beside it, which must not be the project's own."""
    folder = tmp_path_factory.mktemp("docstrings")
    shutil.copytree(CORPUS, folder / "corpus", ignore=shutil.ignore_patterns(".index"))
    return folder


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_run_as_written(name: str, project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project_copy)
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=False)
    assert failed == 0, f"{failed} of {attempted} examples in {name} give another result (python -m doctest -v)"


def test_the_readme_python_example_runs(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """README's "From Python" block, every line of it: the names it shows exist and take what it passes."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## From Python\n\n```python\n(.*?)```", readme, re.S)
    assert block is not None, "README has no Python example under its From Python heading"
    monkeypatch.chdir(project_copy)
    names: dict[str, object] = {}
    exec(compile(block.group(1), "README.md", "exec"), names)  # noqa: S102 - the project's own README
    assert names["hit"].citation.endswith("3 Возвраты и обмены товаров, строки 23–25")  # type: ignore[attr-defined]
    assert (project_copy / "my-index").is_dir()
