"""Meaning beyond shared words, for the re-ranker: a query word credited through the corpus words that stand for it.

Two tables say which words stand for a query word, and how much:

- :class:`WordNeighbours`, built with the index: each corpus lemma's nearest corpus lemmas by Navec cosine
  (top :data:`NEIGHBOURS`, at least :data:`FLOOR`), stored in the index folder as arrays, so a query reads no
  word vectors («списали» ↔ «списание»);
- :class:`LexicalBridge`, learned from labelled (message, the entry that answers it) pairs: IBM Model 1's
  ``t(q | p)``, the chance a message says ``q`` where its entry says ``p`` («подрубить» ↔ «подключить»), fitted by
  ``benchmarks/lexical_bridge.py`` and shipped as JSON beside the re-ranker.

:func:`aligned_coverage` turns either into a column: the IDF-weighted mean, over the query's distinct terms, of the
best weight among a term's partners that the candidate holds — read through the postings the rerank stage reads
already (``held``), one gather for all the query's partners.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .arrays import HeldTable
from .storage import read_json

__all__ = [
    "BRIDGE",
    "FLOOR",
    "NEIGHBOURS",
    "BridgeFormatError",
    "Credits",
    "LexicalBridge",
    "WordNeighbours",
    "aligned_coverage",
    "shipped_bridge",
]

NEIGHBOURS = 16  # nearest corpus lemmas kept per lemma
FLOOR = 0.3  # cosines under this are not kept (unrelated words sit at 0.0–0.25)
MOST_TERMS = 20_000  # the most frequent lemmas with a vector take part: the build is O(MOST_TERMS²) products
CHUNK = 1024  # rows of the cosine table made at once (CHUNK × MOST_TERMS floats)
BRIDGE_FORMAT = "search.bridge/1"
BRIDGE = Path(__file__).resolve().parent / "models" / "bridge.json"
BRIDGE_FIELDS = ("question", "text")
REFIT = "refit it: python benchmarks/lexical_bridge.py"

Partners = Callable[[str], tuple[Sequence[str], np.ndarray]]
Held = Callable[[Sequence[str], np.ndarray], np.ndarray]


def aligned_coverage(
    terms: Sequence[str], idf: np.ndarray, partners: Partners, fields: Sequence[Held], rows: np.ndarray
) -> list[np.ndarray]:
    """Per field of ``fields`` and candidate of ``rows``: Σ idf(t) · (best weight among t's partners the candidate
    holds) ÷ Σ idf(t), over the query's distinct ``terms`` (``idf`` aligned with them). ``partners(t)`` gives t's
    partner terms and weights; each field's ``held(terms, rows)`` the ``(rows, terms)`` booleans of what it holds.
    The partners are listed once for all the fields, each field then one gather."""
    total = float(np.add.reduce(idf)) if len(terms) else 0.0
    if total <= 0 or not rows.size:
        return [np.zeros(rows.size) for _ in fields]
    listed: list[str] = []
    weights: list[np.ndarray] = []
    starts: list[int] = []
    owners: list[int] = []
    for position, term in enumerate(terms):
        names, values = partners(term)
        if len(names):
            starts.append(len(listed))
            owners.append(position)
            listed.extend(names)
            weights.append(values)
    if not listed:
        return [np.zeros(rows.size) for _ in fields]
    weight, first, owned = np.concatenate(weights), np.array(starts), idf[np.array(owners)]
    # per field: (rows, partners) credits → each term's best (rows, terms with partners) → the weighted mean
    return [np.maximum.reduceat(held(listed, rows) * weight, first, axis=1) @ owned / total for held in fields]


class Credits:
    """Columns' credit for each term in every passage of a small index — per column (by name), the best weight among
    the term's partners (``partners``) that the passage holds in the column's field (``HeldTable.small``'s table) —
    made once for ``terms`` (the index's own and the bridge's) as one ``(terms, columns × passages)`` table. A
    query's columns are then one gather of its terms' rows, where :func:`aligned_coverage` gathers every partner
    of every term each time; the values are the same. Terms without partners get no row."""

    def __init__(self, columns: Mapping[str, tuple[Partners, HeldTable]], terms: Iterable[str]) -> None:
        self.names = tuple(columns)
        sources = list(columns.values())
        self.passages = sources[0][1].passages if sources else 0
        self._offsets = np.arange(len(sources), dtype=np.int64)[:, None] * self.passages
        made: dict[str, np.ndarray] = {}
        for term in dict.fromkeys(terms):
            listed = [(partners(term), table) for partners, table in sources]
            if not any(len(names) for (names, _), _ in listed):
                continue
            credit = np.zeros((len(listed), self.passages))
            for row, ((names, weights), table) in enumerate(listed):
                if len(names):
                    credit[row] = np.maximum.reduce(table.term_rows(names) * weights[:, None], axis=0)
            made[term] = credit.reshape(-1)
        self._rows = {term: row for row, term in enumerate(made)}
        self._table = np.vstack(list(made.values())) if made else np.zeros((0, len(sources) * self.passages))

    def __contains__(self, term: str) -> bool:
        return term in self._rows

    def coverage(self, terms: Sequence[str], idf: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``(columns, rows)``: :func:`aligned_coverage` of each column for the candidates ``rows``."""
        total = float(np.add.reduce(idf)) if len(terms) else 0.0
        kept = self._rows
        positions = [position for position, term in enumerate(terms) if term in kept]
        if total <= 0 or not rows.size or not positions:
            return np.zeros((len(self.names), rows.size))
        picked = self._table[[kept[terms[position]] for position in positions]][:, (self._offsets + rows).ravel()]
        return (idf[positions] @ picked).reshape(len(self.names), -1) / total


class WordNeighbours:
    """Each lexicon column's nearest lexicon columns by Navec cosine (CSR: ``indptr`` by column, ``targets``,
    ``cosines``, best first). Columns without a vector, or beyond the :data:`MOST_TERMS` most frequent, have none."""

    def __init__(self, indptr: np.ndarray, targets: np.ndarray, cosines: np.ndarray) -> None:
        if not (indptr.ndim == 1 and indptr.size >= 1 and targets.size == cosines.size == int(indptr[-1])):
            raise ValueError(f"word neighbours: {targets.size} targets, {cosines.size} cosines for {indptr[-1]}")
        self.indptr, self.targets, self.cosines = indptr, targets, cosines

    @classmethod
    def build(
        cls,
        vocabulary: Mapping[str, int],
        df: np.ndarray,
        vector: Callable[[str], np.ndarray | None],
        *,
        neighbours: int = NEIGHBOURS,
        floor: float = FLOOR,
        most: int = MOST_TERMS,
    ) -> WordNeighbours:
        """From a lexicon's ``vocabulary`` (term → column) and ``df``; ``vector(term)`` a word's vector or None."""
        size = len(vocabulary)
        order = sorted(vocabulary.items(), key=lambda item: (-int(df[item[1]]), item[1]))
        columns, rows = [], []
        for term, column in order:
            if len(columns) >= most:
                break
            found = vector(term)
            norm = float(np.linalg.norm(found)) if found is not None else 0.0
            if norm > 0:
                columns.append(column)
                rows.append(np.asarray(found, dtype=np.float32) / norm)
        lists: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0, np.int32), np.zeros(0, np.float32))] * size
        if len(columns) > 1:
            matrix = np.vstack(rows)
            ids = np.array(columns, dtype=np.int32)
            keep = min(neighbours, len(columns) - 1)
            for start in range(0, len(columns), CHUNK):
                cosine = matrix[start : start + CHUNK] @ matrix.T
                cosine[np.arange(cosine.shape[0]), np.arange(start, start + cosine.shape[0])] = -1.0  # not itself
                best = np.argpartition(-cosine, keep - 1, axis=1)[:, :keep]
                for offset, picked in enumerate(best):
                    values = cosine[offset, picked]
                    ranked = np.lexsort((ids[picked], -values))
                    picked, values = picked[ranked], values[ranked]
                    kept = values >= floor
                    lists[columns[start + offset]] = (ids[picked[kept]], values[kept].astype(np.float32))
        indptr = np.zeros(size + 1, dtype=np.int64)
        np.cumsum([targets.size for targets, _ in lists], out=indptr[1:])
        targets = np.concatenate([t for t, _ in lists]) if size else np.zeros(0, np.int32)
        cosines = np.concatenate([c for _, c in lists]) if size else np.zeros(0, np.float32)
        return cls(indptr, targets.astype(np.int32), cosines.astype(np.float32))

    def partners_of(self, vocabulary: Mapping[str, int]) -> Partners:
        """``partners(term)`` for :func:`aligned_coverage`: the term itself (weight 1: an exact match stays exact),
        then its neighbours; none for a term the corpus lacks. ``vocabulary`` is the lexicon's (term → column, in
        column order). Each term's list is made once."""
        terms = list(vocabulary)
        made: dict[str, tuple[Sequence[str], np.ndarray]] = {}

        def partners(term: str) -> tuple[Sequence[str], np.ndarray]:
            found = made.get(term)
            if found is None:
                column = vocabulary.get(term)
                if column is None:
                    return (), _NONE  # not kept: a typo is a term no table need remember
                start, end = int(self.indptr[column]), int(self.indptr[column + 1])
                names = [term, *(terms[t] for t in self.targets[start:end].tolist())]
                found = (names, np.concatenate(([1.0], self.cosines[start:end].astype(np.float64))))
                made[term] = found
            return found

        return partners

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {"indptr": self.indptr, "targets": self.targets, "cosines": self.cosines}

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> WordNeighbours:
        del params
        return cls(arrays["indptr"], arrays["targets"], arrays["cosines"])

    def __len__(self) -> int:
        return int(self.indptr[-1])


_NONE = np.zeros(0)


class BridgeFormatError(ValueError):
    """A lexical bridge file is unreadable or corrupt."""


class LexicalBridge:
    """``t(q | p)`` per field (:data:`BRIDGE_FIELDS`): for a query term ``q``, the entry terms ``p ≠ q`` that stand
    for it and their weights (``table[field][q] = {p: t}``)."""

    def __init__(self, table: Mapping[str, Mapping[str, Mapping[str, float]]], pairs: int = 0) -> None:
        self.table = {name: {q: dict(ps) for q, ps in table.get(name, {}).items()} for name in BRIDGE_FIELDS}
        self.pairs = pairs
        self._arrays: dict[str, dict[str, tuple[list[str], np.ndarray]]] = {name: {} for name in BRIDGE_FIELDS}

    @functools.cached_property
    def terms(self) -> tuple[str, ...]:
        """Every query term that has partners in some field."""
        return tuple(dict.fromkeys(q for name in BRIDGE_FIELDS for q in self.table[name]))

    def partners(self, name: str) -> Partners:
        """``partners(q)`` in field ``name`` for :func:`aligned_coverage`."""
        table, made = self.table[name], self._arrays[name]

        def partners(term: str) -> tuple[Sequence[str], np.ndarray]:
            if term not in made:
                found = table.get(term)
                if not found:
                    return (), _NONE  # not kept: the table's terms bound what is remembered
                made[term] = (list(found), np.array(list(found.values()), dtype=np.float64))
            return made[term]

        return partners

    def to_json(self) -> dict[str, Any]:
        return {"format": BRIDGE_FORMAT, "pairs": self.pairs, **self.table}

    @classmethod
    def from_json(cls, data: Any, source: str = "lexical bridge") -> LexicalBridge:
        try:
            if not isinstance(data, dict) or data.get("format") != BRIDGE_FORMAT:
                raise ValueError(f"not a {BRIDGE_FORMAT} table")
            for name in BRIDGE_FIELDS:
                for q, found in data[name].items():
                    if not isinstance(q, str) or not all(
                        isinstance(p, str) and isinstance(t, float | int) and math.isfinite(t) and 0 < t <= 1
                        for p, t in found.items()
                    ):
                        raise ValueError(f"{name}: the partners of {q!r} are not terms with weights in (0, 1]")
            return cls({name: data[name] for name in BRIDGE_FIELDS}, int(data["pairs"]))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise BridgeFormatError(
                f"{source}: unusable lexical bridge ({error.__class__.__name__}: {error}); {REFIT}"
            ) from None

    def save(self, path: str | Path) -> Path:
        """Written with sorted keys: a refit that learns the same table writes the same bytes."""
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True), encoding="utf-8")
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> LexicalBridge:
        """The bridge in ``path``; unreadable, truncated or corrupt, a :class:`BridgeFormatError` naming it."""
        refused = f"{path}: unreadable lexical bridge ({{}}); {REFIT}"
        return cls.from_json(
            read_json(Path(path), lambda problem: BridgeFormatError(refused.format(problem))), str(path)
        )


@functools.cache
def shipped_bridge() -> LexicalBridge:
    """The bridge fitted on the development pairs (``benchmarks/lexical_bridge.py``), read once per process."""
    return LexicalBridge.load(BRIDGE)
