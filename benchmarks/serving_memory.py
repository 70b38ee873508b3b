"""Where a serving process's memory goes: a fresh process opens a saved index and answers queries.

    python -m benchmarks.scale --sizes 100k --systems engine-hybrid-nochars   # saves the 100k zipf index
    python -m benchmarks.serving_memory benchmarks/results/data/zipf-100000/index

Prints, after the import, the open, the first query and 200 queries (issue
15's zipf queries, or ``--queries FILE``, one a line): RSS, PSS, the
process's own anonymous memory and the file-backed pages it maps (the index
arrays and shared libraries, which every process over the same files shares),
with the CPU time of each step; then the largest mappings. CPU time, because
the machine is shared.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def rollup() -> dict[str, int]:
    """``/proc/self/smaps_rollup`` in MiB: Rss, Pss, Anonymous, Pss_File, Pss_Anon …"""
    values: dict[str, int] = {}
    with open("/proc/self/smaps_rollup", encoding="ascii") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                values[parts[0][:-1]] = int(parts[1]) // 1024
    return values


def mappings(top: int = 12) -> list[tuple[int, str]]:
    """The largest mappings by resident MiB, anonymous ones together."""
    sizes: dict[str, int] = {}
    name = "[anon]"
    with open("/proc/self/smaps", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.split()
            if not parts:
                continue
            if "-" in parts[0] and not parts[0].endswith(":"):
                name = parts[5] if len(parts) > 5 else "[anon]"
            elif parts[0] == "Rss:":
                sizes[name] = sizes.get(name, 0) + int(parts[1])
    ranked = sorted(sizes.items(), key=lambda item: -item[1])[:top]
    return [(size // 1024, name) for name, size in ranked]


def line(step: str, cpu: float) -> str:
    m = rollup()
    return f"| {step} | {cpu:.2f} | {m['Rss']} | {m['Pss']} | {m['Anonymous']} | {m['Rss'] - m['Anonymous']} |"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=Path, help="one query a line (default: issue 15's 200 zipf queries)")
    args = parser.parse_args(argv)
    print("| step | CPU s | RSS MiB | PSS MiB | anonymous MiB | file-backed MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    started = time.process_time()
    from search import SearchEngine

    print(line("import", time.process_time() - started))
    if args.queries:
        queries = args.queries.read_text(encoding="utf-8").splitlines()
    else:
        from benchmarks.synthetic import ZipfCorpus

        queries = ZipfCorpus().queries()
    started, wall = time.process_time(), time.perf_counter()
    engine = SearchEngine.load(args.index)
    opened = time.perf_counter() - wall
    print(line(f"open ({opened:.2f} s wall)", time.process_time() - started))
    started = time.process_time()
    engine.search(queries[0], k=10)
    print(line("first query", time.process_time() - started))
    started = time.process_time()
    for query in queries:
        engine.search(query, k=10)
    print(line(f"{len(queries)} queries, first runs", time.process_time() - started))
    started = time.process_time()
    for query in queries:
        engine.search(query, k=10)
    print(line(f"{len(queries)} queries again", time.process_time() - started))
    print("\nlargest mappings (resident MiB):")
    for size, name in mappings():
        print(f"{size:6d}  {name}")


if __name__ == "__main__":
    main()
