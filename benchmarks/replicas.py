"""Many page processes over one read-only index folder: throughput, latency and the memory they hold together.

    python -m benchmarks.replicas                              # 1, 2 and 4 forked pages over a 100k-passage index
    python -m benchmarks.replicas --launch separate            # … as N independent `streamlit run app.py`
    python -m benchmarks.replicas --passages 20000 --replicas 1 2 --sessions 8 --queries 10
    python -m benchmarks.replicas --engine-only --index DIR    # N plain engine processes, no Streamlit

Builds (once, then reused) a synthetic corpus of ``--passages`` texts
(``benchmarks/synthetic.py``) and its index, then for each count N starts N
page processes on loopback over the same index folder, read-only: with
``--launch forked`` (the default) one ``python -m search serve --processes N``,
whose parent opens the index and forks the N pages; with ``--launch
separate`` N ``streamlit run app.py`` with ``SEARCH_INDEX``. It spreads
``--sessions`` simultaneous sessions over the pages in turn (Streamlit
sessions are sticky: a WebSocket stays with its process) and reports
queries/s, p50/p99 latency and the processes' total proportional set size
(PSS, from ``/proc/<pid>/smaps_rollup``; the forked launcher's parent
included): a page that N processes share counts 1/N in each, so the total is
what the machine really holds. Everything is bounded: per-run timeouts, a
deadline for each load, and every server is stopped.

``--engine-only`` leaves Streamlit out: N plain Python processes each open the
index (``SearchEngine.load``), answer the same ``--queries-file`` queries (by
default issue 15's 200 zipf queries) once, and the total PSS of the N is
compared with one's — the engine's own share of a page process's memory, on a
machine too busy to drive N pages.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.page_load import load, page_processes, start_serve, start_server, stop_server, summary

PROJECT = Path(__file__).resolve().parent.parent
CACHE = PROJECT / "benchmarks" / "results" / "replicas"


def smaps_rollup(pid: int) -> dict[str, int]:
    """A process's memory totals in kB by kind (``Pss``, ``Private_Dirty``, …), from ``/proc/<pid>/smaps_rollup``."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                values[parts[0][:-1]] = int(parts[1])
    return values


def pss_kb(pid: int) -> int:
    """The proportional set size of a process in kB: its private pages plus its share of every shared one."""
    if (pss := smaps_rollup(pid).get("Pss")) is None:
        raise ValueError(f"no Pss line in /proc/{pid}/smaps_rollup")
    return pss


def total_pss_mb(pids: list[int]) -> float:
    """What a group of processes holds together, in MiB (shared pages counted once over the group)."""
    return sum(pss_kb(pid) for pid in pids) / 1024


def prepare(passages: int, folder: Path) -> Path:
    """The synthetic corpus and its index, built once and reused; returns the index folder."""
    from benchmarks.synthetic import write_folder

    corpus, index = folder / f"corpus-{passages}", folder / f"index-{passages}"
    if not (corpus / ".complete").exists():
        write_folder(corpus, passages)
        (corpus / ".complete").write_text("")
    if not (index / "CURRENT").exists():
        started = time.perf_counter()
        command = [sys.executable, "-m", "search", "build", "--corpus", str(corpus), "--index", str(index)]
        subprocess.run(command, cwd=PROJECT, check=True, timeout=3600)
        print(f"built the {passages}-passage index in {time.perf_counter() - started:.0f} s")
    return index


def queries(count: int = 40) -> list[str]:
    from benchmarks.synthetic import SyntheticCorpus

    return SyntheticCorpus().queries(count)


def measure(
    index: Path, replicas: int, sessions: int, per_session: int, timeout: float, deadline: float, launch: str = "forked"
) -> dict:
    servers = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            if launch == "forked":
                launcher, urls = start_serve(Path(folder), index, replicas)
                servers.append((launcher, urls[0]))
                pids = [launcher.pid, *page_processes(launcher)]
            else:
                for number in range(replicas):
                    place = Path(folder) / f"server-{number}"
                    place.mkdir()
                    servers.append(start_server(place, env={"SEARCH_INDEX": str(index)}, timeout=300))
                urls = [url for _, url in servers]
                pids = [process.pid for process, _ in servers]
            texts = queries()
            # Every process opens its index once and answers a first query before anything is measured.
            asyncio.run(asyncio.wait_for(load(urls, replicas, 2, timeout, queries=texts), deadline))
            idle = total_pss_mb(pids)
            reports, wall = asyncio.run(
                asyncio.wait_for(load(urls, sessions, per_session, timeout, queries=texts), deadline)
            )
            busy = total_pss_mb(pids)
            private = sum(smaps_rollup(pid).get("Private_Dirty", 0) for pid in pids) / 1024
            alive = all(process.poll() is None for process, _ in servers)
            alive = alive and (launch != "forked" or len(page_processes(servers[0][0])) == replicas)
        finally:
            for process, _ in servers:
                stop_server(process)
    latencies = sorted(x * 1000 for r in reports for x in r.latencies)
    errors = sum(len(r.errors) for r in reports)
    return {
        "replicas": replicas,
        "queries": len(latencies),
        "qps": len(latencies) / wall,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else float("nan"),
        "errors": errors + (0 if alive else 1),
        "pss_idle_mb": idle,
        "pss_mb": busy,
        "private_mb": private,
        "processes": len(pids),
        "summary": summary(f"{replicas} processes, {sessions} sessions × {per_session} queries", reports, wall),
    }


ENGINE_CHILD = """
import sys
from pathlib import Path
from search import SearchEngine
engine = SearchEngine.load(sys.argv[1])
for query in Path(sys.argv[2]).read_text(encoding="utf-8").splitlines():
    engine.search(query, k=10)
print("ready", flush=True)
sys.stdin.read()  # held open, with everything it touched, until the parent closes stdin
"""


def engine_only(index: Path, replicas: int, queries_file: Path, timeout: float) -> dict:
    """N engine processes over one index, each after answering every query once: their total PSS."""
    processes = []
    try:
        for _ in range(replicas):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-c", ENGINE_CHILD, str(index), str(queries_file)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        deadline = time.monotonic() + timeout
        for process in processes:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready" or time.monotonic() > deadline:
                raise RuntimeError("an engine process did not get ready")
        pids = [process.pid for process in processes]
        rollups = [smaps_rollup(pid) for pid in pids]
        return {
            "replicas": replicas,
            "pss_mb": total_pss_mb(pids),
            "rss_mb": sum(r["Rss"] for r in rollups) / 1024,
            "anon_mb": sum(r["Anonymous"] for r in rollups) / 1024,
        }
    finally:
        for process in processes:
            if process.stdin is not None:
                process.stdin.close()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--passages", type=int, default=100_000, help="synthetic corpus size (default: %(default)s)")
    options.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4], help="process counts to compare")
    options.add_argument("--sessions", type=int, default=8, help="simultaneous sessions (default: %(default)s)")
    options.add_argument("--queries", type=int, default=25, help="queries per session (default: %(default)s)")
    options.add_argument("--timeout", type=float, default=60, help="seconds allowed per script run")
    options.add_argument("--deadline", type=float, default=600, help="seconds allowed for each load")
    options.add_argument("--cache", type=Path, default=CACHE, help="where the corpus and index are kept")
    options.add_argument(
        "--launch",
        choices=["forked", "separate"],
        default="forked",
        help="pages forked by `python -m search serve` (default) or separate `streamlit run` processes",
    )
    options.add_argument("--engine-only", action="store_true", help="plain engine processes, no Streamlit")
    options.add_argument("--index", type=Path, help="a saved index folder (default: the synthetic one)")
    options.add_argument("--queries-file", type=Path, help="--engine-only: one query a line (default: zipf's 200)")
    args = options.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.engine_only:
        index = args.index or prepare(args.passages, args.cache)
        queries_file = args.queries_file
        if queries_file is None:
            from benchmarks.synthetic import ZipfCorpus

            queries_file = args.cache / "zipf-queries.txt"
            queries_file.write_text("\n".join(ZipfCorpus().queries()) + "\n", encoding="utf-8")
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, index {index}")
        rows = [engine_only(index, n, queries_file, args.deadline) for n in args.replicas]
        print("\n| engine processes | total PSS MiB | × one | total RSS MiB | anonymous MiB |")
        print("|---:|---:|---:|---:|---:|")
        for row in rows:
            print(
                f"| {row['replicas']} | {row['pss_mb']:.0f} | {row['pss_mb'] / rows[0]['pss_mb']:.2f} | "
                f"{row['rss_mb']:.0f} | {row['anon_mb']:.0f} |"
            )
        return 0
    index = args.index or prepare(args.passages, args.cache)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, index {index}, launch {args.launch}")
    started = time.process_time()
    rows = [
        measure(index, n, args.sessions, args.queries, args.timeout, args.deadline, args.launch) for n in args.replicas
    ]
    base = rows[0]["pss_mb"]
    print(f"load average {os.getloadavg()[0]:.1f} at the end; this process's CPU {time.process_time() - started:.0f} s")
    print(
        "\n| pages | processes | queries/s | p50 ms | p99 ms | errors | PSS MiB idle | PSS MiB loaded | × one "
        "| private dirty MiB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['replicas']} | {row['processes']} | {row['qps']:.1f} | {row['p50']:.0f} | {row['p99']:.0f} | "
            f"{row['errors']} | {row['pss_idle_mb']:.0f} | {row['pss_mb']:.0f} | {row['pss_mb'] / base:.2f} | "
            f"{row['private_mb']:.0f} |"
        )
    for row in rows:
        print(row["summary"])
    return 1 if any(row["errors"] for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
