"""This engine against rank-bm25 and bm25s, side by side, on the same synthetic texts.

    python -m benchmarks.scale                      # 10k and 100k, every system
    python -m benchmarks.scale --sizes 10k 100k 1M  # 1M: rank-bm25 and the full hybrid are skipped

Every (system, size) runs in its own fresh process, so its peak RSS is its
own (the texts it holds included). The parent writes the synthetic corpus
once per size (a folder of .txt files for the engine) and the analysed terms
of every passage and query (one line each), so the peers index exactly the
lemmas this engine indexes and their scores are comparable.

Systems:

- ``engine-bm25``: this engine, BM25 only. Build = reading + chunking +
  lemmatizing + fitting; latency end to end from the query string
  (``engine.search(q, retriever="bm25")``: rewriting, analysis, top 10,
  snippets), and "core" = ``BM25.top`` on analysed terms, comparable with
  the peers, which also get analysed terms.
- ``engine-hybrid``: the default fusion (bm25, tfidf, chars) end to end, as the
  engine builds it up to 20k passages; 1M is skipped (the char n-gram matrix
  alone would be ~10 GB).
- ``engine-hybrid-nochars``: the hybrid as the engine builds it above 20k
  passages (``CHARS_MAX_PASSAGES``): no passage × char n-gram matrix; the
  spelling step maps unknown query words onto the corpus vocabulary.
- ``rank-bm25``: ``BM25Okapi.get_scores`` + top 10 (capped at 100k).
- ``bm25s-scipy`` / ``bm25s-numba``: bm25s 0.2+ with its default (numpy +
  scipy.sparse) and numba backends, ``retrieve(k=10)`` one query at a time.

Latency: single thread, after one warm-up pass over the 200 queries, then
``--rounds`` passes; QPS with 1 and 2 threads. Results go to
``benchmarks/results/scale.md`` and ``scale.png`` (git-ignored) and are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks.synthetic import SIZES, SyntheticCorpus, write_folder

RESULTS = Path(__file__).resolve().parent / "results"
SYSTEMS = ("engine-bm25", "engine-hybrid", "engine-hybrid-nochars", "rank-bm25", "bm25s-scipy", "bm25s-numba")
CAPS = {"rank-bm25": 100_000, "engine-hybrid": 100_000}  # beyond: hours or tens of GB (see the module docstring)
K = 10


def peak_rss_mb() -> float:
    """This process's peak RSS. Not ``ru_maxrss``: Linux carries the parent's peak across fork + exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- data, written once per size by the parent --------------------------------------------


def prepare(size: int, folder: Path) -> Path:
    """The corpus folder and the analysed terms of its passages and queries."""
    data = folder / f"synthetic-{size}"
    if (data / "terms.txt").is_file():
        return data
    from search import Analyzer
    from search.analysis import analyse_passage, analyse_text
    from search.corpus import read_corpus
    from search.passages import chunk_document

    corpus = SyntheticCorpus()
    write_folder(data / "corpus", size, corpus)
    analyzer = Analyzer()
    passages = [p for d in read_corpus(data / "corpus") for p in chunk_document(d)]
    with (data / "terms.tmp").open("w", encoding="utf-8") as out:
        for passage in passages:
            out.write(" ".join(analyse_passage(analyzer, passage).terms) + "\n")
    queries = corpus.queries()
    (data / "queries.txt").write_text("\n".join(queries) + "\n", encoding="utf-8")
    (data / "query_terms.txt").write_text(
        "\n".join(" ".join(analyse_text(analyzer, q).terms) for q in queries) + "\n", encoding="utf-8"
    )
    (data / "terms.tmp").rename(data / "terms.txt")
    return data


def read_lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text(encoding="utf-8").splitlines()]


# --- measuring, in the worker ---------------------------------------------------------------


def measure(run: Callable[[int], object], count: int, rounds: int) -> dict[str, float]:
    for i in range(count):  # warm-up: caches, numba, page faults
        run(i)
    times = []
    for _ in range(rounds):
        for i in range(count):
            started = time.perf_counter()
            run(i)
            times.append((time.perf_counter() - started) * 1000)
    p50, p95, p99 = np.percentile(times, [50, 95, 99])
    result = {"p50": p50, "p95": p95, "p99": p99, "qps1": 1000 / np.mean(times)}
    total = count * rounds
    with ThreadPoolExecutor(2) as pool:
        started = time.perf_counter()
        list(pool.map(lambda j: run(j % count), range(total)))
        result["qps2"] = total / (time.perf_counter() - started)
    return result


def worker(system: str, data: Path, rounds: int) -> dict[str, object]:
    queries = (data / "queries.txt").read_text(encoding="utf-8").splitlines()
    query_terms = read_lines(data / "query_terms.txt")
    out: dict[str, object] = {}
    if system.startswith("engine"):
        from search import SearchEngine
        from search.corpus import read_corpus
        from search.retrievers import Analysed

        keep = {
            "engine-bm25": ("bm25",),
            "engine-hybrid": ("bm25", "tfidf", "chars"),
            "engine-hybrid-nochars": ("bm25", "tfidf"),
        }[system]
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        engine = SearchEngine.build(read_corpus(data / "corpus"), retrievers=keep, progress=False)
        out["build_s"] = time.perf_counter() - started
        mode = "bm25" if system == "engine-bm25" else "hybrid"
        out.update(measure(lambda i: engine.search(queries[i], k=K, retriever=mode), len(queries), rounds))
        if system == "engine-bm25":
            bm25 = engine.retrievers["bm25"]
            analysed = [Analysed(tuple(t), "") for t in query_terms]
            core = measure(lambda i: bm25.top(analysed[i], K), len(queries), rounds * 5)
            out.update({f"core_{key}": value for key, value in core.items()})
        out["rss_before_mb"] = rss_before
    else:
        tokens = read_lines(data / "terms.txt")
        rss_before = peak_rss_mb()
        if system == "rank-bm25":
            from rank_bm25 import BM25Okapi

            from search.retrievers import top_k

            started = time.perf_counter()
            model = BM25Okapi(tokens)
            out["build_s"] = time.perf_counter() - started
            out.update(measure(lambda i: top_k(model.get_scores(query_terms[i]), K), len(queries), rounds))
        else:
            import bm25s

            backend = "numba" if system == "bm25s-numba" else "numpy"
            started = time.perf_counter()
            model = bm25s.BM25(k1=1.5, b=0.75, backend=backend)
            model.index(tokens, show_progress=False)
            out["build_s"] = time.perf_counter() - started
            if backend == "numba":  # compile once, outside the build figure, and say how long it took
                started = time.perf_counter()
                model.retrieve([query_terms[0] or ["x"]], k=K, show_progress=False, n_threads=1)
                out["compile_s"] = time.perf_counter() - started

            def run(i: int) -> object:
                q = query_terms[i] or ["x"]
                return model.retrieve([q], k=K, show_progress=False, n_threads=1, backend_selection=backend)

            out.update(measure(run, len(queries), rounds))
        out["rss_before_mb"] = rss_before
    out["rss_mb"] = peak_rss_mb()
    return out


# --- the table and the plot -------------------------------------------------------------------


def table(results: list[dict[str, object]]) -> str:
    header = (
        "| system | passages | build s | p50 ms | p95 ms | p99 ms | QPS 1 thr | QPS 2 thr | peak RSS MB "
        "| our p50 / theirs |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
    )
    rows = []
    by = {(r["system"], r["size"]): r for r in results if "p50" in r}
    for r in results:
        if "p50" not in r:
            rows.append(f"| {r['system']} | {r['size']:,} | {r.get('skipped', 'failed')} |||||||\n")
            continue
        ratio = ""
        if str(r["system"]).startswith(("rank", "bm25s")):
            ours = by.get(("engine-bm25", r["size"]))
            if ours:
                ratio = f"core {ours['core_p50'] / r['p50']:.2f}×, end to end {ours['p50'] / r['p50']:.2f}×"
        extra = f" (+{r['compile_s']:.1f} s JIT)" if "compile_s" in r else ""
        rows.append(
            f"| {r['system']} | {r['size']:,} | {r['build_s']:.1f}{extra} | {r['p50']:.3f} | {r['p95']:.3f} "
            f"| {r['p99']:.3f} | {r['qps1']:.0f} | {r['qps2']:.0f} | {r['rss_mb']:.0f} | {ratio} |\n"
        )
        if "core_p50" in r:
            rows.append(
                f"| engine-bm25 core (`BM25.top`, analysed terms) | {r['size']:,} | – | {r['core_p50']:.3f} "
                f"| {r['core_p95']:.3f} | {r['core_p99']:.3f} | {r['core_qps1']:.0f} | {r['core_qps2']:.0f} | – | |\n"
            )
    return header + "".join(rows)


def plot(results: list[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 5))
    series: dict[str, list[tuple[int, float]]] = {}
    for r in results:
        if "p50" in r:
            series.setdefault(str(r["system"]), []).append((int(r["size"]), float(r["p50"])))
            if "core_p50" in r:
                series.setdefault("engine-bm25 core", []).append((int(r["size"]), float(r["core_p50"])))
    for name, points in sorted(series.items()):
        xs, ys = zip(*sorted(points))
        axes.plot(xs, ys, marker="o", label=name)
    axes.set(xscale="log", yscale="log", xlabel="passages", ylabel="p50 latency, ms (top 10)")
    axes.set_title("Query latency against corpus size (single thread)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["10k", "100k"], choices=list(SIZES))
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=SYSTEMS)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the 200 queries")
    parser.add_argument("--data", type=Path, default=RESULTS / "data")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per (system, size)")
    parser.add_argument("--worker", nargs=2, metavar=("SYSTEM", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        system, data = args.worker
        print(json.dumps(worker(system, Path(data), args.rounds)))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, object]] = []
    log = RESULTS / "scale.jsonl"
    for label in args.sizes:
        size = SIZES[label]
        started = time.perf_counter()
        data = prepare(size, args.data)
        print(f"[{label}] data ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        for system in args.systems:
            record: dict[str, object] = {"system": system, "size": size}
            if size > CAPS.get(system, size):
                record["skipped"] = f"skipped above {CAPS[system]:,}"
            else:
                command = [sys.executable, "-m", "benchmarks.scale", "--rounds", str(args.rounds)]
                try:
                    done = subprocess.run(
                        [*command, "--worker", system, str(data)],
                        capture_output=True,
                        text=True,
                        timeout=args.timeout,
                        env={**os.environ, "TQDM_DISABLE": "1"},
                    )
                    if done.returncode == 0:
                        record.update(json.loads(done.stdout.strip().splitlines()[-1]))
                    else:
                        record["skipped"] = f"failed: {done.stderr.strip().splitlines()[-1:]}"
                except subprocess.TimeoutExpired:
                    record["skipped"] = f"over {args.timeout:.0f} s"
            results.append(record)
            with log.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")
            print(json.dumps(record), file=sys.stderr)
    markdown = table(results)
    (RESULTS / "scale.md").write_text(markdown, encoding="utf-8")
    plot(results, RESULTS / "scale.png")
    print(markdown)


if __name__ == "__main__":
    main()
