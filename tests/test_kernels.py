"""The compiled kernel's loading: ahead of time, so a serving process maps neither numba nor LLVM."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_ahead_of_time_kernel_serves_without_importing_numba() -> None:
    pytest.importorskip("numba", reason="numba is the optional `fast` extra: pip install '.[fast]'")
    import search.kernels as kernels

    kernels.compiled_top()  # builds the module into __pycache__ once (a child process), if not there yet
    script = (
        "import sys, numpy as np, search.kernels as k\n"
        "kernel = k.compiled_top()\n"
        "indptr = np.array([0, 2, 3], dtype=np.int32); indices = np.array([0, 2, 1], dtype=np.int32)\n"
        "rows, values = kernel(indptr, indices, np.array([1.0, 2.0, 4.0]), np.array([1, 0]), np.array([0.5, 1.0]),"
        " 2, 0.0, np.ones(1, dtype=bool), False, np.zeros(3))\n"
        "jit = sorted({m.split('.')[0] for m in sys.modules} & {'numba', 'llvmlite'})\n"
        "print(rows.tolist(), values.tolist(), jit)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    out = run.stdout.split("\n")[0]
    # Row 1: 0.5 × 4.0; row 2: 1.0 × 2.0, a tie broken by row; row 0: 1.0.
    assert out == "[1, 2] [2.0, 2.0] []"


def test_postings_of_other_dtypes_get_the_same_answer() -> None:
    """int64 postings and float32 weights (other index sizes) run the kernel compiled for them, same scores."""
    pytest.importorskip("numba", reason="numba is the optional `fast` extra: pip install '.[fast]'")
    import search.kernels as kernels

    kernel = kernels.compiled_top()
    rng = np.random.default_rng(7)
    lengths = rng.integers(0, 400, size=50)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate([np.sort(rng.choice(1000, size=n, replace=False)) for n in lengths])
    data = rng.random(indptr[-1]).astype(np.float32)
    columns, weights = np.array([3, 17, 41]), np.array([1.5, 0.25, 2.0])
    for indptr_type, indices_type, data_type in [(np.int32, np.int32, np.float64), (np.int64, np.int64, np.float32)]:
        got = kernel(
            indptr.astype(indptr_type), indices.astype(indices_type), data.astype(data_type),
            columns, weights, 10, 0.0, np.ones(1, dtype=bool), False, np.zeros(1000),
        )  # fmt: skip
        scores = np.zeros(1000)
        for column, weight in zip(columns, weights):
            span = slice(indptr[column], indptr[column + 1])
            scores[indices[span]] += data.astype(data_type)[span] * weight
        best = np.lexsort((np.arange(1000), -scores))[:10]
        assert got[0].tolist() == best.tolist() and got[1].tolist() == scores[best].tolist()


def test_a_build_that_fails_is_noted_and_not_tried_again(monkeypatch, tmp_path) -> None:
    """No C compiler: the first process's failed build leaves a note, later ones go straight to the JIT."""
    pytest.importorskip("numba", reason="numba is the optional `fast` extra: pip install '.[fast]'")
    import search.kernels as kernels

    monkeypatch.setattr(kernels, "_failed", None)
    monkeypatch.setenv("SEARCH_KERNEL_CACHE", str(tmp_path))
    monkeypatch.setattr(kernels.sys, "executable", "/bin/false")  # the child process fails, as a missing compiler
    assert kernels._ahead_of_time() is None
    assert [path.suffix for path in tmp_path.iterdir() if not path.name.startswith(".")] == [".failed"]

    def built_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the failed build was tried again")

    monkeypatch.setattr(kernels.subprocess, "run", built_again)
    assert kernels._ahead_of_time() is None and kernels._failed


def test_a_build_compiles_the_kernel_in_the_background_and_queries_wait_for_it(monkeypatch, tmp_path) -> None:
    """prebuild (called by an index build) starts the one compile; asking for the kernel waits for that child."""
    pytest.importorskip("numba", reason="numba is the optional `fast` extra: pip install '.[fast]'")
    import search.kernels as kernels

    for name, value in (("_compiled", None), ("_failed", None), ("_pending", None), ("MODE", "auto")):
        monkeypatch.setattr(kernels, name, value)
    monkeypatch.setenv("SEARCH_KERNEL_CACHE", str(tmp_path))
    kernels.prebuild(kernels.AUTO_MIN_ROWS - 1)  # a small corpus: numpy serves, nothing to compile
    assert kernels._pending is None
    kernels.prebuild(kernels.AUTO_MIN_ROWS)
    assert kernels._pending is not None

    def started_again(*args: object) -> None:
        raise AssertionError("a second compile was started")

    monkeypatch.setattr(kernels, "_start", started_again)
    module = kernels._ahead_of_time()
    assert module is not None and hasattr(module, "top_i4_i4_f8") and kernels._pending is None
    assert [path.suffix for path in tmp_path.iterdir()] == [".so"]  # the module; the staging folder is gone
