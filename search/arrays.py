"""Small numpy helpers for the query path, where numpy's general routines cost more than the work they do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

__all__ = ["HeldTable", "held_mask", "held_searched", "sorted_unique", "unique_counts"]


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of a 1-D array (its distinct values, sorted, same dtype), by a sort and one comparison.

    numpy 2's ``unique`` hashes first and sorts after: ~34 µs on the few hundred passage numbers a query
    gathers, against ~10 µs here; the query path calls it several times a query (fusion, spelling, ranking).

    >>> sorted_unique(np.array([5, 1, 5, 3, 1])).tolist()
    [1, 3, 5]
    """
    ordered = values.copy()  # ``np.sort``'s copy and sort, without its Python wrapper (as in unique_counts)
    ordered.sort()
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
    ordered = values.copy()
    ordered.sort()
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
    """Which passages hold each term of a field (postings by term column: ``indptr``, ``indices``). A small index
    asks one ``(terms + 1, passages)`` boolean table made on the first question (the last row: a term the field
    lacks): a query's terms × rows read by two gathers. A larger one reads the terms' postings each time (a table
    of every term would not fit): :func:`held_mask` for ``held``, :func:`held_searched` for ``held_in``."""

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

    def postings(self, term: str) -> np.ndarray:
        """The passages holding ``term`` (none for a term the field lacks)."""
        column = self.columns.get(term)
        if column is None:
            return self.indices[:0]
        return self.indices[self.indptr[column] : self.indptr[column + 1]]

    def held(self, terms: Sequence[str], rows: np.ndarray) -> np.ndarray:
        """``(rows, terms)`` booleans: whether each of ``rows`` holds each term."""
        if not self.small:
            return held_mask([self.postings(term) for term in terms], rows, self.passages)
        return self.term_rows(terms)[:, rows].T

    def term_rows(self, terms: Sequence[str]) -> np.ndarray:
        """``(terms, passages)`` booleans: the table's rows of ``terms`` (a small index only)."""
        missing = self.indptr.size - 1
        return self._made()[[self.columns.get(term, missing) for term in terms]]

    def held_in(self, terms: Iterable[str], rows: np.ndarray) -> dict[str, np.ndarray]:
        """Each of ``terms`` the field has → whether each of ``rows`` holds it."""
        columns = self.columns
        known = [term for term in terms if term in columns]
        rows = np.asarray(rows, dtype=np.int64)
        if not self.small:
            return dict(zip(known, held_searched([self.postings(term) for term in known], rows, self.passages)))
        return dict(zip(known, self._made()[[columns[term] for term in known]][:, rows]))


def held_mask(postings: Sequence[np.ndarray], rows: np.ndarray, size: int) -> np.ndarray:
    """``(rows, terms)`` booleans: which of ``rows`` appear in each term's ``postings`` (passage positions
    below ``size``). One scatter into a terms × passages mask for all the terms at once, then the rows read
    off it: a handful of numpy calls however many terms."""
    rows = np.asarray(rows, dtype=np.int64)
    if not postings:
        return np.zeros((rows.size, 0), dtype=bool)
    lengths = np.array([p.size for p in postings])
    mask = np.zeros((len(postings), size), dtype=bool)
    mask[np.repeat(np.arange(len(postings)), lengths), np.concatenate(postings)] = True
    return mask[:, rows].T


def held_searched(postings: Sequence[np.ndarray], rows: np.ndarray, passages: int) -> list[np.ndarray]:
    """For each term's sorted ``postings``, which of ``rows`` it holds: the postings laid end to end, each shifted
    by its term's number × the passages (so they stay sorted), and one binary search for every (term, row) pair —
    a dozen numpy calls for the query rather than seven a term, and no terms × passages mask."""
    rows = np.asarray(rows, dtype=np.int64)
    if not postings or not rows.size:
        return [np.zeros(rows.shape, dtype=bool) for _ in postings]
    shift = np.arange(len(postings), dtype=np.int64) * max(passages, 1)
    keys = np.concatenate(postings).astype(np.int64)
    if not keys.size:
        return [np.zeros(rows.shape, dtype=bool) for _ in postings]
    keys += shift.repeat([piece.size for piece in postings])
    wanted = shift[:, None] + rows[None, :]
    found = keys.searchsorted(wanted)
    np.minimum(found, keys.size - 1, out=found)
    return list(keys[found] == wanted)
