"""The relevance notebook runs top to bottom in this environment, and its committed outputs stay small."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

PROJECT = Path(__file__).resolve().parent.parent
NOTEBOOK = PROJECT / "notebooks" / "relevance.ipynb"
KERNEL = "ru-faq-search-tests"
MAX_BYTES = 400_000  # committed outputs are tables and small figures, not megabytes of PNG


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A kernelspec that runs *this* interpreter, found first on JUPYTER_PATH.

    The "python3" spec an ipykernel wheel installs says plain ``python``, which
    is whatever comes first on PATH; a fresh ``make test`` machine has the
    project's packages only in ``.venv``.
    """
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"}))
    patch = pytest.MonkeyPatch()
    patch.setenv("JUPYTER_PATH", str(root))
    patch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    yield KERNEL
    patch.undo()


def test_notebook_executes_top_to_bottom(kernel_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCH_FEEDBACK_DB", str(tmp_path / "absent.sqlite3"))  # never the developer's own votes
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name=kernel_name, timeout=240, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and the traceback, on the first failing cell
    text = "\n".join(
        output.get("text", "") + json.dumps(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "judged queries" in text and "held-out nDCG@10" in text
    assert "no feedback yet" in text
    assert "RUTUBE: 299 entries" in text and "learned (5-fold CV, RUTUBE alone)" in text
    images = sum("image/png" in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))
    assert images >= 6


def test_committed_notebook_has_outputs_and_stays_small() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.get("outputs") for cell in code), (
        "commit the notebook executed (jupyter execute --inplace)"
    )
    assert all(not output.get("output_type") == "error" for cell in code for output in cell["outputs"])
    assert NOTEBOOK.stat().st_size < MAX_BYTES
