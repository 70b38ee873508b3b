"""CPU time of each query stage on the embedded corpus: where a query's time goes.

    python -m benchmarks.stage_times [--rounds 3]     # every round after the first hits the per-word caches
    python -m benchmarks.stage_times --first-pass     # each question once, in a fresh engine, by noise kind
    python -m benchmarks.stage_times --first-pass --passes 5   # five fresh processes, each cell their median
    python -m benchmarks.stage_times --buckets        # the first pass's CPU by stage and by costly function
    python -m benchmarks.stage_times --dump FILE      # every output of the mix, to compare before/after a change

The 404 questions of ``benchmarks.embedded`` (the judged queries as typed,
misspelt, in the wrong layout and transliterated), each run through the
pipeline's stages one at a time; every stage is timed with
``time.thread_time`` (CPU of this thread), so a busy machine changes the
figures less than wall time would. Printed: p50 and p90 per stage, in ms;
with ``--first-pass`` (issue 15: people rarely repeat a query) p50 / p95 of
each stage by kind of question, and ``--profile N`` adds the N costliest
functions of that pass under cProfile.
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


def first_pass_cells(mix: Sequence[tuple[str, str]], profile: int = 0) -> dict[str, dict[str, tuple[float, float]]]:
    """Each question once in a freshly opened engine: every stage's (and the whole query's) CPU ms, p50 and p95,
    by kind of question (``"all"`` first); with ``profile``, the N costliest functions printed too."""
    engine = SearchEngine.from_directory(CORPUS)
    questions = [text for _, text in mix]
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    times = stage_times(engine, questions, 1)
    if profiler is not None:
        profiler.disable()
        import pstats

        pstats.Stats(profiler).sort_stats("tottime").print_stats(profile)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(profile)
    times["total"] = sum(times.values())  # type: ignore[assignment]
    kinds = np.array([kind for kind, _ in mix])
    groups = {"all": np.ones(len(mix), dtype=bool)} | {kind: kinds == kind for kind in sorted(set(kinds))}
    cells: dict[str, dict[str, tuple[float, float]]] = {}
    for name, values in times.items():
        ms = values * 1000
        cells[name] = {
            f"{kind} ({mask.sum()})": (float(np.median(ms[mask])), float(np.percentile(ms[mask], 95)))
            for kind, mask in groups.items()
        }
    return cells


def first_pass(mix: Sequence[tuple[str, str]], profile: int = 0, passes: int = 1) -> None:
    """The first pass's table; with ``passes`` > 1, each pass in a fresh process (the per-word and per-pair memos
    are the process's) and every cell the median of the passes' — on a shared machine one pass's p50 moves ±20 %."""
    if passes <= 1:
        cells = first_pass_cells(mix, profile)
    else:
        import json
        import subprocess
        import sys

        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, "-m", "benchmarks.stage_times", "--first-pass", "--json"],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(passes)
        ]
        cells = {
            name: {kind: tuple(np.median([run[name][kind] for run in runs], axis=0).tolist()) for kind in row}
            for name, row in runs[0].items()
        }
    print(f"first pass, {len(mix)} questions, fresh engine, median of {passes} pass(es); load {os.getloadavg()[0]:.1f}")
    print("CPU ms per query, p50 / p95, by stage and kind of question")
    header = next(iter(cells.values()))
    print("| stage | " + " | ".join(header) + " |")
    print("|---|" + "---:|" * len(header))
    for name, row in cells.items():
        print(f"| {name} | " + " | ".join(f"{p50:.2f} / {p95:.2f}" for p50, p95 in row.values()) + " |")


# Where the first pass's CPU goes, beyond the stages: (module, owner within it or "", function, label).
BUCKETS = (
    ("search.vocabulary", "DeletionIndex", "lookup", "spelling index look-ups"),
    ("search.morphology", "Morphology", "dictionary_words", "dictionary probes"),
    ("search.scripts", "", "_lattice", "transliteration lattices"),
    ("search.pipeline", "PassageReadings", "_read", "passage readings (each passage's first)"),
    ("search.pipeline", "Annotate", "_extract_facts", "facts (each passage's first)"),
    ("search.answers", "AnswerQuery", "span", "answer sentences"),
    ("search.pipeline", "", "decision_features", "decision features"),
    ("search.pipeline", "", "conflicts_for", "conflicts"),
)


def cost_buckets(mix: Sequence[tuple[str, str]]) -> None:
    """The first pass once, in a fresh engine, with each stage, each function of :data:`BUCKETS` and pymorphy3's
    parse timed (thread CPU, outermost call only): what share of the pass each costs. The wrappers cost ~1 µs a
    call; the functions are restored after."""
    import functools
    import importlib

    engine = SearchEngine.from_directory(CORPUS)
    spent: dict[str, float] = {}
    restore = []

    def timed(owner: object, name: str, label: str) -> None:
        original = getattr(owner, name)
        busy = [False]

        @functools.wraps(original)
        def wrapper(*args: object, **kwargs: object) -> object:
            if busy[0]:
                return original(*args, **kwargs)
            busy[0], started = True, time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.thread_time() - started
                busy[0] = False

        restore.append((owner, name, original))
        setattr(owner, name, wrapper)

    for module, owner, name, label in BUCKETS:
        found = importlib.import_module(module)
        timed(getattr(found, owner) if owner else found, name, label)
    timed(engine.analyzer.morphology._analyzer, "parse", "pymorphy3 parses")
    for stage in engine.pipeline.stages:  # a call looks ``__call__`` up on the class
        timed(type(stage), "__call__", f"stage: {stage.name}")
    try:
        started = time.thread_time()
        for _, text in mix:
            engine.search(text)
        total = time.thread_time() - started
    finally:
        for owner, name, original in reversed(restore):
            setattr(owner, name, original)
    print(f"first pass, {len(mix)} questions, fresh engine: {total * 1000:.0f} ms CPU; load {os.getloadavg()[0]:.1f}")
    for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"{seconds * 1000:8.1f} ms {100 * seconds / total:5.1f} %  {label}")


def dump_outputs(path: str) -> int:
    """Every output of the mix (three seeds; the default ranking and the hybrid, each other ranking on 120
    questions, 120 restricted to a document or an audience, a second pass) as JSON: what a latency change must
    leave byte for byte equal (``cmp`` two dumps)."""
    import json

    engine = SearchEngine.from_directory(CORPUS)
    queries = judged_queries()
    questions = list(dict.fromkeys(text for seed in (15, 16, 17) for _, text in noisy_mix(queries, seed)))
    default = engine.pipeline.default_ranking
    both = dict.fromkeys((default, "hybrid"))
    searches: list[tuple[str, str, dict[str, str]]] = [(q, r, {}) for q in questions for r in both]
    searches += [(q, r, {}) for q in questions[:120] for r in engine.pipeline.rankings if r not in both]
    documents, audiences = sorted(engine.index.documents), engine.pipeline.audiences
    limits = [{"documents": d} for d in documents] + [{"audience": a} for a in audiences]
    searches += [(q, r, limits[n % len(limits)]) for n, q in enumerate(questions[:120]) for r in both]
    searches += [(q, r, {}) for q in questions[:200] for r in both]  # the same again, from the caches
    dumped = []
    for question, ranking, limit in searches:
        results = engine.search(question, retriever=ranking, **limit)
        output = results.to_json()
        output.pop("elapsed_ms")
        output["confidence"], output["coverage"] = repr(results.confidence), repr(results.coverage)
        dumped.append(output)
    with open(path, "w", encoding="utf-8") as file:
        json.dump(dumped, file, ensure_ascii=False, indent=0, sort_keys=True)
    print(f"{len(dumped)} searches of {len(questions)} questions written to {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions (default: %(default)s)")
    parser.add_argument("--first-pass", action="store_true", help="each question once, fresh engine, by kind")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="with --first-pass: N costliest functions")
    parser.add_argument("--passes", type=int, default=1, help="with --first-pass: fresh processes, median of each cell")
    parser.add_argument("--json", action="store_true", help="with --first-pass: the cells as JSON (one pass)")
    parser.add_argument("--buckets", action="store_true", help="the first pass's CPU by stage and costly function")
    parser.add_argument("--dump", metavar="FILE", help="write every output of the mix as JSON (compare with cmp)")
    args = parser.parse_args(argv)
    if args.dump:
        return dump_outputs(args.dump)
    queries = judged_queries()
    if args.buckets:
        cost_buckets(noisy_mix(queries))
        return 0
    if args.first_pass:
        if args.json:
            import json

            print(json.dumps(first_pass_cells(noisy_mix(queries))))
        else:
            first_pass(noisy_mix(queries), args.profile, args.passes)
        return 0
    engine = SearchEngine.from_directory(CORPUS)
    questions = list(dict.fromkeys([*queries, *(text for _, text in noisy_mix(queries))]))
    times = stage_times(engine, questions, args.rounds)
    print(f"{len(questions)} questions × {args.rounds}, load average {os.getloadavg()[0]:.1f}; CPU ms per query")
    print(f"{'stage':<12}{'p50':>8}{'p90':>8}")
    for name, values in times.items():
        print(f"{name:<12}{np.median(values) * 1000:>8.3f}{np.percentile(values, 90) * 1000:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
