"""The build on Dask against the single-process build: parity, overhead, and a projection to more workers.

    python -m benchmarks.distributed_build                      # 100k synthetic passages, --dask local:2
    python -m benchmarks.distributed_build --passages 1000000 --workers 2 --partitions 64

Writes (once) a synthetic corpus (``benchmarks/synthetic.py``), builds and
saves its index in one process (``python -m search build``, in a fresh
process), then builds it on a LocalCluster of N workers and saves it, in this
process, as ``python -m search build --dask local:N`` does (the files read on
the workers, :func:`~search.distributed.build_index_distributed`, the save),
timing each phase: the partitions on the workers (wall and CPU), the merge and
the retrievers' fitting on the client. It checks that the two index versions
are identical file by file (sha256 in their manifests) and reports wall and CPU
times. Then it projects the build time for 8 and 32 workers: the measured
client-side phases plus the partitions' measured worker CPU times scheduled
longest-first on W idle workers. It is a projection from measured parts (no
network, scheduler or straggler costs), not a measurement.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import resource
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


def timed_build(corpus: Path, index: Path, dask: str | None, partitions: int | None) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -m search build`` (CPU: the process and every process it waited for)."""
    command = [sys.executable, "-m", "search", "build", "--corpus", str(corpus), "--index", str(index)]
    if dask:
        command += ["--dask", dask]
    if partitions:
        command += ["--partitions", str(partitions)]
    before, started = _children_cpu(), time.perf_counter()
    subprocess.run(command, cwd=PROJECT, check=True, timeout=7200, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, _children_cpu() - before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
    from search.distributed import build_index_distributed, dask_client, read_corpus_distributed

    corpus = args.cache / f"corpus-{args.passages}"
    if not (corpus / ".complete").exists():
        write_folder(corpus, args.passages)
        (corpus / ".complete").write_text("")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; corpus {corpus}")
    single, single_cpu = timed_build(corpus, args.cache / f"index-{args.passages}-single", None, None)
    print(f"single process (python -m search build): {single:.1f} s, {single_cpu:.1f} s CPU (with save)", flush=True)

    report: dict = {}
    before, cpu = _children_cpu(), time.process_time()
    started = time.perf_counter()
    marks = {}
    with dask_client(f"local:{args.workers}") as client:
        marks["cluster start"] = time.perf_counter()
        documents = read_corpus_distributed(client, corpus)
        marks["reading"] = time.perf_counter()
        built = build_index_distributed(documents, EngineConfig(), client, partitions=args.partitions, report=report)
        marks["build"] = time.perf_counter()
    marks["cluster stop"] = time.perf_counter()
    built.save(args.cache / f"index-{args.passages}-dask")
    marks["save"] = spread = time.perf_counter()
    steps, previous = [], started
    for name, moment in marks.items():
        steps.append(f"{name} {moment - previous:.1f} s")
        previous = moment
    spread -= started
    spread_cpu = time.process_time() - cpu + _children_cpu() - before  # the workers, once the cluster closed
    one, other = (
        manifest(args.cache / f"index-{args.passages}-single"),
        manifest(args.cache / f"index-{args.passages}-dask"),
    )
    same = one["fingerprint"] == other["fingerprint"] and {k: v["sha256"] for k, v in one["files"].items()} == {
        k: v["sha256"] for k, v in other["files"].items()
    }
    print(
        f"--dask local:{args.workers}: {spread:.1f} s, {spread_cpu:.1f} s CPU (with save); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"identical index (fingerprint and sha256 of every file): {same}")
    walls, cpus = report["partitions"], report["partitions_cpu"]
    client_side = report["merge"] + report["fit"]
    print(
        f"phases at {args.workers} workers: cluster {report['cluster']:.1f} s ({len(walls)} partitions, worker "
        f"time {sum(walls):.1f} s wall / {sum(cpus):.1f} s CPU, longest {max(walls):.2f} s / {max(cpus):.2f} s), "
        f"merge {report['merge']:.1f} s, fit {report['fit']:.1f} s; steps: {', '.join(steps)}"
    )
    rest = spread - report["cluster"] - client_side  # cluster start and stop, reading, the spelling index, the save
    for workers in args.project:
        cluster = makespan(cpus, workers)
        print(
            f"projection, {workers} idle workers (same {len(cpus)} partitions): cluster phase {cluster:.1f} s "
            f"+ client merge and fit {client_side:.1f} s + the rest (cluster start/stop, reading, save) "
            f"{rest:.1f} s ≈ {cluster + client_side + rest:.1f} s"
        )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
