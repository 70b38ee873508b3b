"""The build on Dask against the single-process build: parity, overhead, and a projection to more workers.

    python -m benchmarks.distributed_build                      # 100k synthetic passages, --dask local:2
    python -m benchmarks.distributed_build --passages 1000000 --workers 2 --partitions 64

Writes (once) a synthetic corpus (``benchmarks/synthetic.py``), builds and
saves its index in one process (``python -m search build``) and with
``python -m search build --dask local:N``, each in a fresh process, checks that
the two index versions are identical file by file (sha256 in their manifests),
and reports wall times. Then, in this process, it builds once more on a
LocalCluster to time each phase — the partitions on the workers, the merge and
the retrievers' fitting on the client — and projects the build time for 8 and
32 workers: the measured client-side phases plus the partitions' measured
worker times scheduled longest-first on W workers. It is a projection from
measured parts (no network, scheduler or straggler costs beyond what two local
workers showed), not a measurement.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CACHE = PROJECT / "benchmarks" / "results" / "distributed"


def makespan(tasks: list[float], workers: int) -> float:
    """Longest-first list scheduling of ``tasks`` seconds on ``workers``: when the last one finishes.

    >>> makespan([3, 3, 2, 2, 2], 2)
    7.0
    """
    loads = [0.0] * workers
    for task in sorted(tasks, reverse=True):
        heapq.heapreplace(loads, loads[0] + task)
    return max(loads)


def timed_build(corpus: Path, index: Path, dask: str | None, partitions: int | None) -> float:
    command = [sys.executable, "-m", "search", "build", "--corpus", str(corpus), "--index", str(index)]
    if dask:
        command += ["--dask", dask]
    if partitions:
        command += ["--partitions", str(partitions)]
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT, check=True, timeout=7200, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def manifest(index: Path) -> dict:
    version = (index / "CURRENT").read_text().strip()
    return json.loads((index / version / "manifest.json").read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--passages", type=int, default=100_000)
    options.add_argument("--workers", type=int, default=2)
    options.add_argument("--partitions", type=int, default=None, help="default: 4 per worker")
    options.add_argument("--project", type=int, nargs="+", default=[8, 32], help="worker counts to project")
    options.add_argument("--cache", type=Path, default=CACHE)
    args = options.parse_args(argv)

    from benchmarks.synthetic import write_folder
    from search import EngineConfig
    from search.corpus import read_corpus
    from search.distributed import build_index_distributed, dask_client

    corpus = args.cache / f"corpus-{args.passages}"
    if not (corpus / ".complete").exists():
        write_folder(corpus, args.passages)
        (corpus / ".complete").write_text("")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; corpus {corpus}")
    single = timed_build(corpus, args.cache / f"index-{args.passages}-single", None, None)
    spread = timed_build(corpus, args.cache / f"index-{args.passages}-dask", f"local:{args.workers}", args.partitions)
    one, other = (
        manifest(args.cache / f"index-{args.passages}-single"),
        manifest(args.cache / f"index-{args.passages}-dask"),
    )
    same = one["fingerprint"] == other["fingerprint"] and {k: v["sha256"] for k, v in one["files"].items()} == {
        k: v["sha256"] for k, v in other["files"].items()
    }
    print(f"single process: {single:.1f} s; --dask local:{args.workers}: {spread:.1f} s (both with save)")
    print(f"identical index (fingerprint and sha256 of every file): {same}")

    documents = read_corpus(corpus)
    report: dict = {}
    with dask_client(f"local:{args.workers}") as client:
        started = time.perf_counter()
        build_index_distributed(documents, EngineConfig(), client, partitions=args.partitions, report=report)
        total = time.perf_counter() - started
    parts = report["partitions"]
    client_side = report["merge"] + report["fit"]
    overhead = report["cluster"] - makespan(parts, args.workers)
    print(
        f"phases at {args.workers} workers: cluster {report['cluster']:.1f} s ({len(parts)} partitions, "
        f"worker time {sum(parts):.1f} s, longest {max(parts):.2f} s), merge {report['merge']:.1f} s, "
        f"fit {report['fit']:.1f} s; build without save {total:.1f} s"
    )
    for workers in args.project:
        projected = makespan(parts, workers) + max(overhead, 0) + client_side
        print(
            f"projection, {workers} workers (same {len(parts)} partitions): cluster phase "
            f"{makespan(parts, workers):.1f} s + scheduling overhead {max(overhead, 0):.1f} s + client "
            f"{client_side:.1f} s ≈ {projected:.1f} s"
        )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
