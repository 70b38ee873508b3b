"""What a long query costs: a 100 KB paste is cut at ``MAX_QUERY_CHARS`` and costs no more than a few questions.

    python -m benchmarks.query_length              # 100 KB, the default
    python -m benchmarks.query_length --rounds 50 --sizes 1000 10000 100000 1000000

The engine is opened from a saved index of the embedded corpus (built once in
a temporary folder). "Normal" is the median latency of short real questions
(the engine tests' questions, typed the way people type them). Each long
query is made by repeating a pattern — plain words, typos (the spelling step
is the most expensive per word), the wrong keyboard layout, one enormous word,
emoji with zero-width joiners, digits — up to the size asked for, and is
timed end to end (``engine.search(query)``: cutting, rewriting, analysis,
every retriever, fusion, highlights). One warm-up pass, then ``--rounds``
timed passes; the table shows medians and the ratio to a normal question.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"

NORMAL = [
    "как вернуть товар",
    "двойное списание",
    "телефон горячей линии",
    "как связаться с поддержкой продавца",
    "вазврат тавара",
    "djpdhfn",
    "vozvrat tovara",
    "чат с оператором",
]
PATTERNS = {
    "words": "как оформить возврат товара ненадлежащего качества в личном кабинете ",
    "typos": "вазврат тавара пачему падержка ни атвечает списали дважды ",
    "layout": "djpdhfn njdfhf cnfnec pfrfpf ",
    "one word": "возврат",  # repeated with no space: one enormous word
    "emoji": "👨‍👩‍👧\u200b🔥",
    "digits": "8 800 234 70 00 ",
}


def timed(engine, query: str, rounds: int) -> float:
    """Median milliseconds of ``engine.search(query)`` after one warm-up call."""
    engine.search(query)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        engine.search(query)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=20, help="timed passes per query (default: %(default)s)")
    options.add_argument("--sizes", type=int, nargs="+", default=[100_000], help="query sizes in characters")
    args = options.parse_args(argv)

    from search import EngineConfig, SearchEngine

    MAX_QUERY_CHARS = EngineConfig().max_query_chars

    with tempfile.TemporaryDirectory() as index:
        engine = SearchEngine.from_directory(CORPUS, index_dir=index, progress=False)
    normal = statistics.median(timed(engine, query, args.rounds) for query in NORMAL)
    print(f"{engine!r}")
    print(f"Python {sys.version.split()[0]}, MAX_QUERY_CHARS = {MAX_QUERY_CHARS}, {args.rounds} rounds, medians")
    print(f"normal question (median of {len(NORMAL)}): {normal:.2f} ms\n")
    print(f"{'pattern':<10} {'size':>9} {'ms':>8} {'× normal':>9} {'first 1000 ms':>14} {'cut':>4}")
    worst = 0.0
    for name, pattern in PATTERNS.items():
        for size in args.sizes:
            query = (pattern * (size // len(pattern) + 1))[:size]
            results = engine.search(query)
            whole = timed(engine, query, args.rounds)
            head = timed(engine, query[:MAX_QUERY_CHARS], args.rounds)
            worst = max(worst, whole / normal)
            cut = "yes" if results.query.truncated else "no"
            print(f"{name:<10} {size:>9,} {whole:>8.2f} {whole / normal:>9.1f} {head:>14.2f} {cut:>4}")
    print(f"\nworst case: {worst:.1f} normal questions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
