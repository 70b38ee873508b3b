"""RUTUBE support questions through the engine: real users' messages → the FAQ entry that answers them.

    python benchmarks/rutube.py [--data DIR] [--json] [--configurations hybrid,bm25,…] [--fusion JSON]

The 299 FAQ files of ``corpus/`` are the corpus (one document each, ids = file
stems); each of the 378 messages of ``queries.jsonl`` is judged by the entries
its ``relevant`` names. Ranking is document-level: a document ranks where its
best passage ranks (the chunker cuts a few long entries into several passages).
Top 10; Hit@1, MRR@10, nDCG@10 and Recall@10 through ranx.

Configurations: each retriever alone (``bm25``, ``tfidf``, ``chars``,
``headings``, ``semantic``, ``dense``), the unlearned fusion (``hybrid``, the engine's
default), ``hybrid-faq`` (the fusion with the FAQ question field voting, :data:`search.fusion.FAQ_FUSION`),
``cascade-cv``: the default learned ranking (the lexical re-ranker, and the dense one where the gate of
:mod:`search.cascade` is unsure), and ``rerank-cv``: the dense re-ranker of :mod:`search.rerank` on every
message (``rerank-lexical-cv``: the one for an index without the sentence encoder),
5-fold cross-validated over the messages (``GroupKFold``; each fold's model is
trained on the other four folds of RUTUBE plus the project's judged set plus
XQuAD, and scores only its own held-out messages).

The data is read where it lies (``--data``, by default
``../shared/benchmarks/rutube/`` beside the project); the index is built in a
temporary folder, never in the data folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:  # run as a script: python benchmarks/rutube.py
    sys.path.insert(0, str(PROJECT))

from search import Fusion, SearchEngine  # noqa: E402
from search.corpus import CorpusWarning  # noqa: E402
from search.evaluation import format_table, ranx_scores  # noqa: E402
from search.fusion import FAQ_FUSION  # noqa: E402

DEFAULT_DATA = (PROJECT / ".." / "shared" / "benchmarks" / "rutube").resolve()
METRICS = ("hit_rate@1", "mrr@10", "ndcg@10", "recall@10")
DEPTH = 10
SINGLE = ("bm25", "tfidf", "chars", "headings", "question_bm25", "question_chars", "semantic", "dense")
RETRIEVERS = ("bm25", "headings", "question_bm25", "tfidf", "chars", "question_chars", "dense")  # the default build's
CONFIGURATIONS = ("hybrid", "hybrid-faq", *SINGLE, "cascade-cv", "rerank-cv", "rerank-lexical-cv")


@dataclass(frozen=True)
class Message:
    id: str
    query: str
    relevant: frozenset[str]


def load_messages(data: Path) -> list[Message]:
    path = data / "queries.jsonl"
    if not path.is_file() or not (data / "corpus").is_dir():
        raise SystemExit(f"error: {data} holds no queries.jsonl and corpus/; pass --data DIR")
    messages = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            messages.append(Message(item["id"], item["query"], frozenset(item["relevant"])))
    return messages


def build(data: Path, workdir: Path, retrievers: Sequence[str] | None = None) -> SearchEngine:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusWarning)
        return SearchEngine.from_directory(
            data / "corpus", index_dir=workdir / "index", retrievers=retrievers, progress=False
        )


def document_run(engine: SearchEngine, messages: Sequence[Message], retriever: str) -> dict[str, list[str]]:
    """Each message's ten best documents (a document ranks where its best passage ranks)."""
    run = {}
    for message in messages:
        hits = engine.search(message.query, k=5 * DEPTH, retriever=retriever)
        run[message.id] = list(dict.fromkeys(hit.doc_id for hit in hits))[:DEPTH]
    return run


def score(messages: Sequence[Message], run: dict[str, list[str]]) -> dict[str, float]:
    qrels = {m.id: m.relevant for m in messages}
    scores = ranx_scores(qrels, run, METRICS)
    return {metric: sum(values.values()) / len(values) for metric, values in scores.items()}


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(description="RUTUBE support messages → FAQ entries, document-level, top 10.")
    main.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder of corpus/ and queries.jsonl (default: %(default)s)"
    )
    main.add_argument("--json", action="store_true", help="print one JSON object: configuration → metric")
    main.add_argument(
        "--configurations", default=",".join(CONFIGURATIONS), help="comma-separated (default: %(default)s)"
    )
    main.add_argument(
        "--fusion",
        metavar="JSON",
        help="fusion settings for the hybrid configuration, as JSON, e.g. "
        '\'{"weights": {"bm25": 1, "tfidf": 1, "chars": 2, "question_chars": 1}}\'',
    )
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    names = [n.strip() for n in args.configurations.split(",") if n.strip()]
    if unknown := [n for n in names if n not in CONFIGURATIONS]:
        parser().error(f"unknown configurations: {', '.join(unknown)}; choose from: {', '.join(CONFIGURATIONS)}")
    messages = load_messages(args.data)
    report: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="rutube-") as workdir:
        retrievers = [*RETRIEVERS, *(["semantic"] if "semantic" in names else [])]
        engine = build(args.data, Path(workdir), retrievers)
        if args.fusion:
            engine = engine.configured(fusion=Fusion(**{**Fusion().to_json(), **json.loads(args.fusion)}))
        print(
            f"rutube: {len(engine.documents)} documents, {len(engine.passages)} passages, {len(messages)} messages",
            file=sys.stderr,
        )
        for name in names:
            started = time.perf_counter()
            if name == "cascade-cv":
                from benchmarks.train_gate import cascade_cross_validated

                report[name] = cascade_cross_validated(args.data, seeds=3)
            elif name in ("rerank-cv", "rerank-lexical-cv"):
                from benchmarks.rerank_research import rutube_cross_validated

                report[name] = rutube_cross_validated(args.data, dense=name == "rerank-cv")
            elif name == "hybrid-faq":
                report[name] = score(messages, document_run(engine.configured(fusion=FAQ_FUSION), messages, "hybrid"))
            else:
                report[name] = score(messages, document_run(engine, messages, name))
            print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(format_table(report, METRICS, first="configuration"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
