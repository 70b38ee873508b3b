"""An optional compiled top-k kernel for the postings retrievers (numba, the ``fast`` extra).

``pip install '.[fast]'`` installs numba; without it every query runs the
pure-numpy path of :class:`search.retrievers._Postings`, and the scores are
the same to the last bit either way: the kernel adds ``weight × posting`` in
the query's order of terms and each term's order of postings, as numpy's
scatter does, with no fused multiply-add (numba's default, ``fastmath`` off).

The choice is automatic — the kernel serves a corpus of :data:`AUTO_MIN_ROWS`
passages or more when numba imports, since below that numpy is fast enough
and importing numba (~0.3 s) would only slow a cold start — and can be forced
with the environment variable ``SEARCH_KERNEL`` (``auto``, ``numba``,
``numpy``) or, in tests, by setting :data:`MODE`. The function is compiled
with ``cache=True``: the first process compiles it once (a few seconds) into
``__pycache__``, every later one loads it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["AUTO_MIN_ROWS", "MODE", "available", "compiled_top", "kernel_for"]

MODE = os.environ.get("SEARCH_KERNEL", "auto").strip().lower() or "auto"
"""``auto`` (numba above :data:`AUTO_MIN_ROWS` passages when installed), ``numba`` or ``numpy``."""
AUTO_MIN_ROWS = 20_000

_compiled: Callable[..., Any] | None = None
_failed: str | None = None


def available() -> bool:
    """Whether numba imports (the ``fast`` extra is installed)."""
    return compiled_top() is not None


def kernel_for(rows: int) -> Callable[..., Any] | None:
    """The compiled kernel if it should serve a corpus of ``rows`` passages, else None (numpy)."""
    if MODE == "numpy":
        return None
    if MODE == "numba":
        kernel = compiled_top()
        if kernel is None:
            raise ImportError(f"SEARCH_KERNEL=numba but numba cannot be used: {_failed}")
        return kernel
    if MODE != "auto":
        raise ValueError(f"SEARCH_KERNEL must be auto, numba or numpy, not {MODE!r}")
    return compiled_top() if rows >= AUTO_MIN_ROWS else None


def compiled_top() -> Callable[..., Any] | None:
    """numba's compiled :func:`_top_columns`, or None without numba."""
    global _compiled, _failed
    if _compiled is None and _failed is None:
        try:
            import numba
        except ImportError as error:  # the pure-numpy path serves
            _failed = str(error)
            return None
        _compiled = numba.njit(cache=True, nogil=True)(_top_columns)
    return _compiled


def _top_columns(indptr, indices, data, columns, weights, k, minimum, allowed, use_allowed, buffer):  # type: ignore[no-untyped-def]
    """Top ``k`` rows (score desc, row asc) over the postings of ``columns``, and their scores.

    ``buffer`` is all zeros on entry and on exit. Pure Python as written: numba compiles it.
    """
    total = 0
    for c in range(columns.size):
        column, weight = columns[c], weights[c]
        total += indptr[column + 1] - indptr[column]
        for j in range(indptr[column], indptr[column + 1]):
            buffer[indices[j]] += data[j] * weight
    top_values = np.empty(k, dtype=np.float64)
    top_rows = np.empty(k, dtype=np.int64)
    count = 0
    if total * 4 > buffer.size:  # long postings: one sequential pass over the scores, then a memset
        bar = minimum
        for row in range(buffer.size):
            value = buffer[row]
            if value > bar and not (use_allowed and not allowed[row]):
                # Rows come in order, so a tie with the k-th never displaces it: ">" is the whole test.
                position = count if count < k else k - 1
                count = min(count + 1, k)
                while position > 0 and top_values[position - 1] < value:
                    top_values[position] = top_values[position - 1]
                    top_rows[position] = top_rows[position - 1]
                    position -= 1
                top_values[position] = value
                top_rows[position] = row
                if count == k:
                    bar = max(minimum, top_values[k - 1])
        buffer[:] = 0.0
        return top_rows[:count], top_values[:count]
    # Else along the postings again, each touched row read once and cleared as it is read.
    for c in range(columns.size):
        column = columns[c]
        for j in range(indptr[column], indptr[column + 1]):
            row = indices[j]
            value = buffer[row]
            if value == 0.0:  # seen already (cleared), or a score of 0, which never counts here
                continue
            buffer[row] = 0.0
            if not value > minimum or (use_allowed and not allowed[row]):
                continue
            if count < k:
                position = count
                count += 1
            elif value > top_values[k - 1] or (value == top_values[k - 1] and row < top_rows[k - 1]):
                position = k - 1
            else:
                continue
            while position > 0 and (
                top_values[position - 1] < value or (top_values[position - 1] == value and top_rows[position - 1] > row)
            ):
                top_values[position] = top_values[position - 1]
                top_rows[position] = top_rows[position - 1]
                position -= 1
            top_values[position] = value
            top_rows[position] = row
    return top_rows[:count], top_values[:count]
