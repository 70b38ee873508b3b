"""The embedded corpus: cold start from a saved index, and end-to-end query latency.

    python -m benchmarks.embedded                 # as the library ships
    python -m benchmarks.embedded --prototype     # with the per-passage caches proposed for engine.py

Cold start is a fresh ``python`` process that imports the library, opens the
saved index (``SearchEngine.from_directory``, which checks the corpus
fingerprint) and answers one query; it is timed from the parent's
``Popen`` to the answer, and the child reports where its time went.
Latency is ``engine.search(query)`` (default hybrid: rewriting, every
retriever, fusion, answer sentences, highlights, conflicts) over the judged
queries of ``corpus/queries/*.jsonl`` (or the engine tests' questions), one
warm-up pass, then ``--rounds`` timed passes, single thread.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"

CHILD = """
import json, sys, time
started = time.perf_counter()
from search import SearchEngine
imported = time.perf_counter()
engine = SearchEngine.from_directory(sys.argv[1], index_dir=sys.argv[2])
opened = time.perf_counter()
hits = engine.search(sys.argv[3], k=10)
answered = time.perf_counter()
print(json.dumps({"import_s": imported - started, "open_s": opened - imported, "first_query_s": answered - opened,
                  "hits": len(hits)}))
"""


def judged_queries(folder: Path = CORPUS / "queries") -> list[str]:
    queries = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                queries.append(json.loads(line)["query"])
    if not queries:  # the engine tests' real questions
        sys.path.insert(0, str(PROJECT / "tests"))
        from test_engine import ANSWERS

        queries = [query for query, _, _ in ANSWERS]
    return queries


def cold_start(index_dir: Path, query: str, runs: int) -> list[dict[str, float]]:
    results = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(CORPUS), str(index_dir), query],
            capture_output=True,
            text=True,
            check=True,
        )
        total = time.perf_counter() - started
        results.append({"total_s": total, **json.loads(done.stdout.strip().splitlines()[-1])})
    return results


def install_prototype(engine) -> None:  # type: ignore[no-untyped-def]
    """A per-passage token cache the lead may move into engine.py: highlights re-analyse every hit's text."""
    import functools

    engine.analyzer.tokens = functools.lru_cache(maxsize=8192)(engine.analyzer.tokens)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--prototype", action="store_true", help="per-passage caches (see install_prototype)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one pass")
    args = parser.parse_args(argv)

    from search import SearchEngine

    queries = judged_queries()
    with tempfile.TemporaryDirectory() as folder:
        index_dir = Path(folder) / "index"
        started = time.perf_counter()
        SearchEngine.from_directory(CORPUS, index_dir=index_dir, progress=False)
        build = time.perf_counter() - started
        cold = cold_start(index_dir, queries[0], args.cold_runs)
        started = time.perf_counter()
        engine = SearchEngine.from_directory(CORPUS, index_dir=index_dir)
        load = time.perf_counter() - started
    if args.prototype:
        install_prototype(engine)
    for query in queries:
        engine.search(query)
    times = []
    for _ in range(args.rounds):
        for query in queries:
            started = time.perf_counter()
            engine.search(query)
            times.append((time.perf_counter() - started) * 1000)
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        for query in queries:
            engine.search(query)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(20)
    p50, p95, p99 = np.percentile(times, [50, 95, 99])
    median = {key: float(np.median([c[key] for c in cold])) for key in cold[0] if key != "hits"}
    print(
        f"embedded corpus: {len(engine.passages)} passages, retrievers {list(engine.retrievers)}, "
        f"{len(queries)} queries × {args.rounds}{' (prototype caches)' if args.prototype else ''}"
    )
    print("| measure | value | target |\n|---|---:|---:|")
    print(f"| build + save (in process) | {build:.2f} s | |")
    print(f"| open saved index (in process, warm imports) | {load * 1000:.0f} ms | |")
    print(f"| cold start → first answer (fresh process, median of {len(cold)}) | {median['total_s']:.2f} s | ≤ 1.0 s |")
    print(
        f"| … of which import / open / first query | {median['import_s']:.2f} / {median['open_s']:.2f} / "
        f"{median['first_query_s']:.2f} s | |"
    )
    print(f"| search p50 / p95 / p99 | {p50:.2f} / {p95:.2f} / {p99:.2f} ms | p50 ≤ 2, p99 ≤ 10 ms |")


if __name__ == "__main__":
    main()
