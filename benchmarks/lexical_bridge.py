"""Fit the lexical bridge (IBM Model 1, ``t(q | p)``) on the development pairs and write it as JSON.

    python benchmarks/lexical_bridge.py [--output search/models/bridge.json] [--rutube DIR] [--xquad DIR]

The pairs are (a message's lemmas, the lemmas of the entry that answers it): RUTUBE's development messages → their
entry's FAQ question field and its text with headings, XQuAD's questions → their paragraph (:data:`PAIR_SETS`; the
judged set's queries were written from the corpus's own words and are left out, as in the measurement). Model 1
runs :data:`ITERATIONS` EM steps over lemma sets (sparse), from uniform; a pair ``p = q`` is the other columns'
evidence and is not kept; neither are weights under :data:`MIN_T`. ``train_reranker.py`` writes the same table
(all pairs) and fills its training rows from tables fitted without the rows' own fold (:class:`NestedBridges`).
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

import numpy as np  # noqa: E402

from search.alignment import BRIDGE, BRIDGE_FIELDS, LexicalBridge  # noqa: E402

PAIR_SETS = ("rutube", "xquad")
ITERATIONS = 5
MIN_T = 0.2  # 0.05: 1.1 MB of JSON, RUTUBE MRR@10 0.587; 0.1: 371 KB, 0.585; 0.2: 90 KB, 0.586 (README)

# (set, fold of the query, the query's lemmas, the relevant entry's question-field lemmas, its text lemmas)
Pair = tuple[str, int, Sequence[str], Sequence[str], Sequence[str]]


def fit_bridge(pairs: Sequence[Pair], iterations: int = ITERATIONS, min_t: float = MIN_T) -> LexicalBridge:
    """IBM Model 1 per field over ``pairs``: ``t(q | p)`` for the query lemma ``q`` and an entry lemma ``p``."""
    import scipy.sparse as sp

    vocabulary: dict[str, int] = {}
    for _, _, query, question, text in pairs:
        for term in (*query, *question, *text):
            vocabulary.setdefault(term, len(vocabulary))
    terms = list(vocabulary)

    def incidence(lists: Iterable[Sequence[str]]) -> sp.csr_matrix:
        rows, cols = [], []
        for row, items in enumerate(lists):
            for term in set(items):
                rows.append(row)
                cols.append(vocabulary[term])
        return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(pairs), len(vocabulary)))

    Q = incidence(p[2] for p in pairs)
    table: dict[str, dict[str, dict[str, float]]] = {}
    for side, P in zip(BRIDGE_FIELDS, (incidence(p[3] for p in pairs), incidence(p[4] for p in pairs))):
        T = (Q.T @ P).tocsr()
        T.data[:] = 1.0
        T = T.multiply(1.0 / np.maximum(np.asarray(T.sum(axis=0)).ravel(), 1e-12)).tocsr()
        for _ in range(iterations):
            expected = (P @ T.T).multiply(Q).tocsr()  # pair × q: Σ over the entry's p of t(q | p)
            expected.data = 1.0 / expected.data
            counts = T.multiply(expected.T @ P).tocsr()
            T = counts.multiply(1.0 / np.maximum(np.asarray(counts.sum(axis=0)).ravel(), 1e-12)).tocsr()
        T = T.tocoo()
        keep = (T.data >= min_t) & (T.row != T.col)
        side_table: dict[str, dict[str, float]] = {}
        for q, p, t in sorted(zip(T.row[keep].tolist(), T.col[keep].tolist(), T.data[keep].tolist())):
            side_table.setdefault(terms[q], {})[terms[p]] = round(t, 4)
        table[side] = side_table
    return LexicalBridge(table, len(pairs))


class NestedBridges:
    """Tables fitted without some (set, fold) pairs, each fitted once: what nested cross-validation and out-of-fold
    training read (a table that saw a message scores its entry too well)."""

    def __init__(self, pairs: Sequence[Pair]) -> None:
        self.pairs = pairs

    @functools.cache  # noqa: B019 — a few dozen tables per run, for the run's life
    def without(self, excluded: frozenset[tuple[str, int]]) -> LexicalBridge:
        return fit_bridge([p for p in self.pairs if (p[0], p[1]) not in excluded])


def main(argv: Sequence[str] | None = None) -> int:
    from benchmarks.rerank_research import RUTUBE, XQUAD, bridge_pairs, load_datasets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=BRIDGE)
    parser.add_argument("--rutube", type=Path, default=RUTUBE)
    parser.add_argument("--xquad", type=Path, default=XQUAD)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bridge-") as workdir:
        datasets = load_datasets(args.rutube, args.xquad, Path(workdir))
    write_bridge(bridge_pairs(datasets), args.output)
    return 0


def write_bridge(pairs: Sequence[Pair], output: Path) -> LexicalBridge:
    """The table over all ``pairs``, written to ``output`` and checked to read back the same."""
    bridge = fit_bridge(pairs)
    bridge.save(output)
    assert LexicalBridge.load(output).table == bridge.table, "the written bridge does not read back the same"
    sizes = {side: sum(len(ps) for ps in bridge.table[side].values()) for side in BRIDGE_FIELDS}
    print(f"{output}: {len(pairs)} pairs, {sizes} partner weights, {output.stat().st_size / 1024:.0f} KB")
    return bridge


if __name__ == "__main__":
    sys.exit(main())
