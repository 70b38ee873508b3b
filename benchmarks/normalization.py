"""Normalization throughput with «№» (or any character NFKC changes) in every text, against without.

    python -m benchmarks.normalization

Texts are the zipf workload's (``benchmarks.synthetic.ZipfCorpus``) with the
punctuation real help-center text has («», —), so none takes the all-plain
shortcut; the «№» variant puts «№ 15» in the middle of each, the other «No 15»
(what «№» normalizes to: the same tokens, so only the path differs). Measured in
alternating rounds in one process (the machine is shared), CPU time
(``time.process_time``) and wall time, for ``normalize_with_offsets`` alone
and for the whole ``Analyzer.tokens`` (normalize, tokenize, lemmatize), plus
the former character-by-character path for reference.
"""

from __future__ import annotations

import argparse
import os
import time

from benchmarks.synthetic import ZipfCorpus


def texts(count: int) -> tuple[list[str], list[str]]:
    # "No 15" against "№ 15": the same tokens after normalization, so only the path differs.
    plain = [f"«{t[: len(t) // 2]}» — No 15 {t[len(t) // 2 :]}" for t in ZipfCorpus().passages(count)]
    numbered = [f"«{t[: len(t) // 2]}» — № 15 {t[len(t) // 2 :]}" for t in ZipfCorpus().passages(count)]
    return plain, numbered


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    from search import Analyzer
    from search.analysis import _normalize_slow, normalize_with_offsets

    plain, numbered = texts(args.texts)
    analyzer = Analyzer()
    for text in plain + numbered:  # warm the lemma cache: only normalization should differ
        analyzer.tokens(text)
    cases = {
        "normalize, without «№»": (normalize_with_offsets, plain),
        "normalize, «№» in every text": (normalize_with_offsets, numbered),
        "normalize, «№», former char-by-char path": (_normalize_slow, numbered),
        "Analyzer.tokens, without «№»": (analyzer.tokens, plain),
        "Analyzer.tokens, «№» in every text": (analyzer.tokens, numbered),
    }
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    wall: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, (function, data) in cases.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            for text in data:
                function(text)
            cpu[name].append(time.process_time() - started_cpu)
            wall[name].append(time.perf_counter() - started)
    characters = sum(map(len, plain))
    print(f"{args.texts} texts, {characters / args.texts:.0f} characters each; load average {os.getloadavg()[0]:.1f}")
    print("| case | CPU µs/text (best of rounds) | wall µs/text | MB/s (CPU) | vs without «№» |")
    print("|---|---:|---:|---:|---:|")
    for name in cases:
        best_cpu, best_wall = min(cpu[name]), min(wall[name])
        base = "normalize, without «№»" if name.startswith("normalize") else "Analyzer.tokens, without «№»"
        ratio = best_cpu / min(cpu[base])
        print(
            f"| {name} | {best_cpu / args.texts * 1e6:.1f} | {best_wall / args.texts * 1e6:.1f} "
            f"| {characters / best_cpu / 1e6:.1f} | {ratio:.2f}× |"
        )


if __name__ == "__main__":
    main()
