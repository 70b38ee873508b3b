"""Train the gate that decides when a query is encoded, report its cross-validated cost, and write it as JSON.

    python benchmarks/train_gate.py [--output search/models/gate.json] [--threshold 0.95] [--json]
                                    [--seeds 3] [--rutube DIR] [--xquad DIR]

Both shipped re-rankers score every development query out of fold (``rerank_research.out_of_fold``:
grouped 5-fold, each fold's model trained on the other folds and the other sets). A query's label is 1
when the dense re-ranker's ranking is no better than the lexical one's (reciprocal rank and Recall@10,
each at most equal). The gate (:class:`search.cascade.Gate`) is fitted on the lexical ranking's features
in a 5-fold CV over every set's queries together: each query's probability comes from a gate that
never saw it. The report, the mean of ``--seeds`` draws of the training negatives, gives per set the
share of queries that would skip the encoder at the threshold and the cascade's Hit@1 / MRR@10 /
Recall@10 next to the lexical and dense re-rankers alone; then the held-out calibration (predicted
against observed, ten bins), which the model file keeps.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

import numpy as np  # noqa: E402

from benchmarks.rerank_research import (  # noqa: E402
    CHOSEN,
    CHOSEN_DENSE,
    DENSE_PARAMS,
    RUTUBE,
    SEED,
    XQUAD,
    Dataset,
    load_datasets,
    load_engines,
    out_of_fold,
    ranked_run,
    run_metrics,
)
from search.cascade import MODEL, THRESHOLD, Gate, row_features  # noqa: E402
from search.evaluation import ranx_scores  # noqa: E402

FOLDS = 5
SHOWN = {"hit_rate@1": "Hit@1", "mrr@10": "MRR@10", "recall@10": "R@10"}


def query_rows(dataset: Dataset) -> list[np.ndarray]:
    """Each query's candidate rows, by query number."""
    order = np.argsort(dataset.groups, kind="stable")
    bounds = np.flatnonzero(np.diff(dataset.groups[order])) + 1
    chunks = {int(dataset.groups[c[0]]): c for c in np.split(order, bounds) if c.size}
    return [chunks.get(q, np.zeros(0, dtype=np.int64)) for q in range(len(dataset.qids))]


def per_query(dataset: Dataset, run: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """``{metric: {query id: value}}`` of ``run``; a query without candidates scores 0."""
    full = {qid: run.get(qid, []) for qid in dataset.qids}
    qrels = {qid: dataset.qrels[qid] for qid in dataset.qids}
    return ranx_scores(qrels, full, tuple(SHOWN))


def examples(lexical: dict[str, Dataset], dense: dict[str, Dataset], seed: int = SEED):  # type: ignore[no-untyped-def]
    """Every query's gate features, label, set and both runs (each re-ranker's out-of-fold ranking; ``seed``: the
    draw of the training negatives)."""
    rows, labels, sets, runs = [], [], [], {}
    for name in lexical:
        lex, den = lexical[name], dense[name]
        if lex.qids != den.qids:
            raise ValueError(f"{name}: the two candidate sets list other queries")
        lex_scores = out_of_fold(lexical, name, *CHOSEN, seed=seed)
        den_scores = out_of_fold(dense, name, *CHOSEN_DENSE, params=DENSE_PARAMS, seed=seed)
        runs[name] = (ranked_run(lex, lex_scores), ranked_run(den, den_scores))
        lex_q, den_q = per_query(lex, runs[name][0]), per_query(den, runs[name][1])
        for number, chunk in enumerate(query_rows(lex)):
            qid = lex.qids[number]
            rows.append(row_features(lex.X[chunk], lex_scores[chunk]))
            no_gain = all(den_q[m][qid] <= lex_q[m][qid] for m in ("mrr@10", "recall@10"))
            labels.append(int(no_gain))
            sets.append(name)
        print(f"{name}: out-of-fold rankings (draw {seed - SEED + 1})", file=sys.stderr)
    return np.array(rows), np.array(labels), np.array(sets), runs


def held_out(X: np.ndarray, y: np.ndarray, threshold: float) -> np.ndarray:
    """Each query's probability from a gate fitted on the other folds."""
    from sklearn.model_selection import StratifiedKFold

    p = np.zeros(y.size)
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(X, y):
        p[test] = Gate.fit(X[train], y[train], threshold).probability(X[test])
    return p


def calibration(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """The held-out probabilities in ``bins`` equal bins: each one's queries, mean prediction and observed share."""
    edges = np.linspace(0, 1, bins + 1)
    table = []
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (p >= low) & ((p < high) if high < 1 else (p <= high))
        if inside.any():
            table.append(
                {
                    "from": round(float(low), 2),
                    "to": round(float(high), 2),
                    "queries": int(inside.sum()),
                    "predicted": round(float(p[inside].mean()), 4),
                    "observed": round(float(y[inside].mean()), 4),
                }
            )
    return table


def cascaded(data: Dataset, lexical: dict, dense: dict, skip: np.ndarray) -> dict[str, list[str]]:
    """Each query's ranking as the cascade gives it: the lexical one where ``skip`` (by query number), else the
    dense one."""
    return {qid: (lexical if skip[i] else dense).get(qid, []) for i, qid in enumerate(data.qids)}


def report(datasets: dict[str, Dataset], runs, sets: np.ndarray, p: np.ndarray, threshold: float):  # type: ignore[no-untyped-def]
    """Per set: skip share and the three rankings' figures (lexical, dense, cascade)."""
    table = {}
    for name, data in datasets.items():
        lexical, dense = runs[name]
        skip = p[sets == name] >= threshold
        cascade = cascaded(data, lexical, dense, skip)
        table[name] = {
            "skipped": round(float(skip.mean()), 3),
            **{f"lexical {v}": run_metrics(data, lexical)[k] for k, v in SHOWN.items()},
            **{f"dense {v}": run_metrics(data, dense)[k] for k, v in SHOWN.items()},
            **{f"cascade {v}": run_metrics(data, cascade)[k] for k, v in SHOWN.items()},
        }
    return table


def both_datasets(rutube: Path, xquad: Path) -> tuple[dict[str, Dataset], dict[str, Dataset]]:
    """Every set's candidates for the lexical model (without the encoder's top 50) and for the dense one."""
    with tempfile.TemporaryDirectory(prefix="gate-") as workdir:
        engines = load_engines(rutube, xquad, Path(workdir))
        lexical = load_datasets(rutube, xquad, Path(workdir), engines=engines, dense=False)
        dense = load_datasets(rutube, xquad, Path(workdir), engines=engines)
    return lexical, dense


def cascade_cross_validated(
    rutube: Path = RUTUBE, xquad: Path = XQUAD, threshold: float = THRESHOLD, seeds: int = 1
) -> dict[str, float]:
    """The default learned ranking's 5-fold cross-validated figures on RUTUBE (called by benchmarks/rutube.py):
    both re-rankers and the gate, each query scored by models and a gate that never saw it."""
    lexical, dense = both_datasets(rutube, xquad)
    figures = []
    for draw in range(seeds):
        X, y, sets, runs = examples(lexical, dense, SEED + draw)
        skip = held_out(X, y, threshold)[sets == "rutube"] >= threshold
        figures.append(run_metrics(lexical["rutube"], cascaded(lexical["rutube"], *runs["rutube"], skip)))
    return {metric: float(np.mean([f[metric] for f in figures])) for metric in figures[0]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rutube", type=Path, default=RUTUBE)
    parser.add_argument("--xquad", type=Path, default=XQUAD)
    parser.add_argument("--output", type=Path, default=MODEL)
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seeds", type=int, default=3, help="draws of the negatives the report averages over")
    parser.add_argument("--compare", default="", help="other thresholds to report, comma-separated (e.g. 0.9,0.97)")
    args = parser.parse_args(argv)
    lexical, dense = both_datasets(args.rutube, args.xquad)
    others = [float(t) for t in args.compare.split(",") if t.strip()]
    tables, compared = [], []
    for draw in range(args.seeds):  # the gate written is the first draw's; the report averages every draw's
        X, y, sets, runs = examples(lexical, dense, SEED + draw)
        p = held_out(X, y, args.threshold)
        if not draw:
            gate = Gate.fit(X, y, args.threshold)
            gate.calibration = calibration(p, y)
            gate.save(args.output)
        tables.append(report(lexical, runs, sets, p, args.threshold))
        compared.append({t: report(lexical, runs, sets, p, t) for t in others})
    table = {name: {k: float(np.mean([t[name][k] for t in tables])) for k in tables[0][name]} for name in tables[0]}
    if args.json:
        print(json.dumps({"sets": table, "calibration": gate.calibration}, ensure_ascii=False, indent=1))
    else:
        for name, row in table.items():
            figures = ", ".join(f"{k} {v:.3f}" for k, v in row.items())
            print(f"{name}: {figures}")
        print(
            "calibration (held out): "
            + "; ".join(f"{c['predicted']:.2f}→{c['observed']:.2f} ({c['queries']})" for c in gate.calibration)
        )
    for t in others:
        for name in compared[0][t]:
            row = {k: float(np.mean([c[t][name][k] for c in compared])) for k in compared[0][t][name]}
            shown = ", ".join(f"{k} {v:.3f}" for k, v in row.items() if k == "skipped" or k.startswith("cascade"))
            print(f"threshold {t}: {name}: {shown}")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
