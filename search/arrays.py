"""Small numpy helpers for the query path, where numpy's general routines cost more than the work they do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

__all__ = ["HeldTable", "sorted_unique", "unique_counts"]


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of a 1-D array (its distinct values, sorted, same dtype), by a sort and one comparison.

    numpy 2's ``unique`` hashes first and sorts after: ~34 µs on the few hundred passage numbers a query
    gathers, against ~10 µs here; the query path calls it several times a query (fusion, spelling, ranking).

    >>> sorted_unique(np.array([5, 1, 5, 3, 1])).tolist()
    [1, 3, 5]
    """
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def unique_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_counts=True)`` of a non-empty 1-D array, by a sort and one comparison: ~14 → ~7 µs
    on a query's few dozen n-gram columns (the character retrievers count them every query).

    >>> [a.tolist() for a in unique_counts(np.array([5, 1, 5, 3, 1, 5]))]
    [[1, 3, 5], [2, 1, 3]]
    """
    ordered = np.sort(values)
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    starts = keep.nonzero()[0]
    counts = np.empty(starts.size, dtype=np.intp)
    np.subtract(starts[1:], starts[:-1], out=counts[:-1])
    counts[-1] = ordered.size - starts[-1]
    return ordered[starts], counts


HELD_TABLE_CELLS = 4_000_000  # a field's terms × passages up to this many: its postings kept as a boolean table too


class HeldTable:
    """Which passages hold each term of a field (postings by term column: ``indptr``, ``indices``), asked of a
    small index as one ``(terms + 1, passages)`` boolean table made on the first question (the last row: a term
    the field lacks): a query's terms × rows read by two gathers, where the postings take a scatter or a binary
    search of every term's postings each time. A larger field has no table (``held`` gives None)."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, columns: Mapping[str, int], passages: int) -> None:
        self.indptr, self.indices, self.columns, self.passages = indptr, indices, columns, passages
        self.small = (indptr.size) * passages <= HELD_TABLE_CELLS
        self._table: np.ndarray | None = None

    def _made(self) -> np.ndarray:
        if self._table is None:
            terms, used = self.indptr.size - 1, int(self.indptr[-1])
            table = np.zeros((terms + 1, self.passages), dtype=bool)
            table[np.arange(terms).repeat(np.diff(self.indptr)), self.indices[:used]] = True
            self._table = table
        return self._table

    def held(self, terms: Sequence[str], rows: np.ndarray) -> np.ndarray | None:
        """``(rows, terms)`` booleans: whether each of ``rows`` holds each term (None for a large field)."""
        if not self.small:
            return None
        missing = self.indptr.size - 1
        picked = self._made()[[self.columns.get(term, missing) for term in terms]]
        return picked[:, rows].T

    def held_in(self, terms: Iterable[str], rows: np.ndarray) -> dict[str, np.ndarray] | None:
        """Each of ``terms`` the field has → whether each of ``rows`` holds it (None for a large field)."""
        if not self.small:
            return None
        columns = self.columns
        known = [term for term in terms if term in columns]
        rows = np.asarray(rows, dtype=np.int64)
        return dict(zip(known, self._made()[[columns[term] for term in known]][:, rows]))
