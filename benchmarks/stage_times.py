"""CPU time of each query stage on the embedded corpus: where a query's time goes.

    python -m benchmarks.stage_times [--rounds 3]

The 404 questions of ``benchmarks.embedded`` (the judged queries as typed,
misspelt, in the wrong layout and transliterated), each run through the
pipeline's stages one at a time, ``--rounds`` times; every stage is timed
with ``time.thread_time`` (CPU of this thread), so a busy machine changes the
figures less than wall time would. Printed: p50 and p90 per stage, in ms.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence

import numpy as np

from benchmarks.embedded import CORPUS, judged_queries, noisy_mix
from search import SearchEngine
from search.pipeline import Search


def stage_times(engine: SearchEngine, questions: Sequence[str], rounds: int) -> dict[str, np.ndarray]:
    """Each stage's CPU seconds, one entry per question and round."""
    pipeline = engine.pipeline
    times: dict[str, list[float]] = {stage.name: [] for stage in pipeline.stages}
    for _ in range(rounds):
        for question in questions:
            search = Search(pipeline.request(question, 10), time.perf_counter())
            for stage in pipeline.stages:
                started = time.thread_time()
                search = stage(search)
                times[stage.name].append(time.thread_time() - started)
    return {name: np.array(values) for name, values in times.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions (default: %(default)s)")
    args = parser.parse_args(argv)
    engine = SearchEngine.from_directory(CORPUS)
    queries = judged_queries()
    questions = list(dict.fromkeys([*queries, *(text for _, text in noisy_mix(queries))]))
    times = stage_times(engine, questions, args.rounds)
    print(f"{len(questions)} questions × {args.rounds}, load average {os.getloadavg()[0]:.1f}; CPU ms per query")
    print(f"{'stage':<12}{'p50':>8}{'p90':>8}")
    for name, values in times.items():
        print(f"{name:<12}{np.median(values) * 1000:>8.3f}{np.percentile(values, 90) * 1000:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
