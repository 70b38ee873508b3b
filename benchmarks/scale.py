"""This engine against rank-bm25 and bm25s, side by side, on the same synthetic texts.

    python -m benchmarks.scale                      # 10k and 100k texts, every system, the zipf workload
    python -m benchmarks.scale --sizes 10k 100k 1M  # 1M: rank-bm25 and the full hybrid are skipped
    python -m benchmarks.scale --workloads zipf legacy  # both workloads in one table and one plot
    python -m benchmarks.scale --report             # redraw both from every run logged in scale.jsonl

Workloads (``--workloads``):

- ``zipf`` (the default, issue 15's): a vocabulary of every word form of the
  four seed documents and of the Russian XQuAD paragraphs with their frequency
  ranks; texts of 45–75 words and queries of 2–6 words drawn by one Zipf law
  over those ranks, frequent words included (``benchmarks.synthetic.ZipfCorpus``);
  100 files of 1,000 texts separated by blank lines at 100k, which the chunker
  merges into fewer passages (the table says how many).
- ``legacy``: the former workload, ``benchmarks.synthetic.SyntheticCorpus``
  (the corpus's words, then a pymorphy3 dictionary sample, 100k ranks), one
  heading per text, so one passage per text.

Every (system, size) runs in its own fresh process, so its peak RSS is its
own (the texts it holds included). The parent writes the synthetic corpus
once per size (a folder of .txt files for the engine) and the analysed terms
of every passage and query (one line each), so the peers index exactly the
lemmas this engine indexes and their scores are comparable.

Systems:

- ``engine-bm25``: this engine, BM25 only. Build = reading + chunking +
  lemmatizing + fitting, wall clock and CPU time (this process plus the
  analysis workers it forks, with the load average: the machine may be
  shared); latency end to end from the query string
  (``engine.search(q, retriever="bm25")``: rewriting, analysis, top 10,
  snippets), and "core" = ``BM25.top`` on analysed terms, comparable with
  the peers, which also get analysed terms.
- ``engine-hybrid``: the default fusion (bm25, tfidf, chars) end to end, as the
  engine builds it up to 20k passages; 1M is skipped (the char n-gram matrix
  alone would be ~10 GB).
- ``engine-hybrid-nochars``: the hybrid as the engine builds it above 20k
  passages (``CHARS_MAX_PASSAGES``): no passage × char n-gram matrix; the
  spelling step maps unknown query words onto the corpus vocabulary.
- ``engine-reopen``: a fresh process opens the index ``engine-hybrid-nochars``
  saved (run that first) and answers the 200 queries once: open time, latency
  of every query's first run, and the RSS it holds after them.
- ``rank-bm25``: ``BM25Okapi.get_scores`` + top 10 (capped at 100k).
- ``bm25s-scipy`` / ``bm25s-numba``: bm25s 0.2+ with its default (numpy +
  scipy.sparse) and numba backends, ``retrieve(k=10)`` one query at a time.

Latency: single thread, after one warm-up pass over the 200 queries (timed
too: ``first_p50``/``first_p95`` in ``scale.jsonl``), then ``--rounds``
passes, wall and thread CPU time (the machine may be shared); QPS with 1 and
2 threads. ``engine-bm25`` also reports ``BM25.top`` on analysed terms with
the kernel chosen automatically (numba from 20k passages when installed) and,
on the same index, with the numpy kernel. Results go to
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

from benchmarks.synthetic import SIZES, SyntheticCorpus, ZipfCorpus, write_folder, write_zipf_folder

RESULTS = Path(__file__).resolve().parent / "results"
SYSTEMS = (
    "engine-bm25",
    "engine-hybrid",
    "engine-hybrid-nochars",
    "engine-reopen",
    "rank-bm25",
    "bm25s-scipy",
    "bm25s-numba",
)
CAPS = {"rank-bm25": 100_000, "engine-hybrid": 100_000}  # beyond: hours or tens of GB (see the module docstring)
K = 10
WORKLOADS = ("zipf", "legacy")


def peak_rss_mb() -> float:
    """This process's peak RSS. Not ``ru_maxrss``: Linux carries the parent's peak across fork + exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- data, written once per size by the parent --------------------------------------------


def prepare(size: int, folder: Path, workload: str = "zipf") -> Path:
    """The corpus folder and the analysed terms of its passages and queries."""
    data = folder / (f"zipf-{size}" if workload == "zipf" else f"synthetic-{size}")
    if (data / "terms.txt").is_file() and (data / "meta.json").is_file():
        return data
    from search import Analyzer, EngineConfig
    from search.analysed import analyse_corpus
    from search.analysis import analyse_text
    from search.corpus import read_corpus
    from search.lexicon import numbered_field

    corpus: SyntheticCorpus
    if workload == "zipf":
        corpus = ZipfCorpus()
        write_zipf_folder(data / "corpus", size, corpus)
    else:
        corpus = SyntheticCorpus()
        write_folder(data / "corpus", size, corpus)
    analyzer = Analyzer()
    # The engine's own build analysis (the same terms as analysing passage by passage: tests/test_analysed.py).
    passages, analysed = analyse_corpus(analyzer, read_corpus(data / "corpus"), EngineConfig().passage_words)
    ids, lengths, terms = numbered_field(analysed, "terms")
    bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
    with (data / "terms.tmp").open("w", encoding="utf-8") as out:
        for start, end in zip(bounds, bounds[1:]):
            out.write(" ".join(terms[i] for i in ids[start:end].tolist()) + "\n")
    queries = corpus.queries()
    (data / "queries.txt").write_text("\n".join(queries) + "\n", encoding="utf-8")
    (data / "query_terms.txt").write_text(
        "\n".join(" ".join(analyse_text(analyzer, q).terms) for q in queries) + "\n", encoding="utf-8"
    )
    (data / "meta.json").write_text(json.dumps({"texts": size, "passages": len(passages), "workload": workload}))
    (data / "terms.tmp").rename(data / "terms.txt")
    return data


def read_lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text(encoding="utf-8").splitlines()]


# --- measuring, in the worker ---------------------------------------------------------------


def measure(run: Callable[[int], object], count: int, rounds: int, warm: bool = True) -> dict[str, float]:
    """Wall-clock percentiles and, since the machine is shared, the CPU time of the same queries."""
    first = []
    for i in range(count):  # warm-up: caches, numba, page faults; timed as every query's first run
        started = time.perf_counter()
        run(i)
        first.append((time.perf_counter() - started) * 1000)
    times, cpu = [], []
    for _ in range(rounds):
        for i in range(count):
            started, started_cpu = time.perf_counter(), time.thread_time()
            run(i)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            times.append((time.perf_counter() - started) * 1000)
    p50, p95, p99 = np.percentile(times, [50, 95, 99])
    result = {"p50": p50, "p95": p95, "p99": p99, "qps1": 1000 / np.mean(times)}
    result["cpu_p50"], result["cpu_p95"] = (float(v) for v in np.percentile(cpu, [50, 95]))
    result["first_p50"], result["first_p95"] = (float(v) for v in np.percentile(first, [50, 95]))
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
    if system == "engine-reopen":  # a fresh process serving the index engine-hybrid-nochars saved
        from search import SearchEngine

        started = time.perf_counter()
        engine = SearchEngine.load(data / "index")
        out["open_s"] = time.perf_counter() - started
        out["build_s"] = 0.0
        out.update(measure(lambda i: engine.search(queries[i], k=K), len(queries), 1))
        out["serving_rss_mb"] = current_rss_mb()
    elif system.startswith("engine"):
        from search import EngineConfig, SearchEngine
        from search.corpus import read_corpus
        from search.index import build_index
        from search.retrievers import Analysed

        keep = {
            "engine-bm25": ("bm25",),
            "engine-hybrid": ("bm25", "tfidf", "chars"),
            "engine-hybrid-nochars": ("bm25", "tfidf"),
        }[system]
        rss_before = peak_rss_mb()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        children_before = children.ru_utime + children.ru_stime
        started, started_cpu = time.perf_counter(), time.process_time()
        # As `python -m search build` does (search.index.open_index): the build owns the list it reads and
        # frees the texts once they are packed, which a caller holding the list would keep (~0.7 GB at 1M).
        config = EngineConfig.resolve(None, None, {"retrievers": keep})
        # The text buffer goes to the index's folder and is mapped back, as `python -m search build` does.
        documents = read_corpus(data / "corpus")
        engine = SearchEngine(build_index(documents, config, progress=False, release=True, spill=data / "index"))
        out["build_s"] = time.perf_counter() - started
        out["build_cpu_s"] = time.process_time() - started_cpu  # this process
        # The analysis workers' CPU (forked by the build, reaped when their pool closes).
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["build_children_cpu_s"] = children.ru_utime + children.ru_stime - children_before
        out["load_average"] = os.getloadavg()[0]
        if system == "engine-hybrid-nochars":
            engine.save(data / "index")
        mode = "bm25" if system == "engine-bm25" else "hybrid"
        out.update(measure(lambda i: engine.search(queries[i], k=K, retriever=mode), len(queries), rounds))
        if system == "engine-bm25":
            bm25 = engine.retrievers["bm25"]
            analysed = [Analysed(tuple(t), "") for t in query_terms]
            core = measure(lambda i: bm25.top(analysed[i], K), len(queries), rounds * 5)
            out.update({f"core_{key}": value for key, value in core.items()})
            import search.kernels as kernels

            out["kernel"] = "numba" if kernels.kernel_for(bm25.size) is not None else "numpy"
            if out["kernel"] == "numba":  # the pure-numpy fallback on the same index, for comparison
                kernels.MODE = "numpy"
                numpy_core = measure(lambda i: bm25.top(analysed[i], K), len(queries), rounds * 5)
                kernels.MODE = "auto"
                out.update({f"core_numpy_{key}": value for key, value in numpy_core.items()})
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
        "| workload | system | texts | passages | build s | p50 ms | p95 ms | p99 ms | CPU p50 ms | QPS 1 thr "
        "| QPS 2 thr | peak RSS MB | our p50 / theirs |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
    )
    rows = []
    by = {(r.get("workload"), r["system"], r["size"]): r for r in results if "p50" in r}
    for r in results:
        head = f"| {r.get('workload', 'legacy')} | {r['system']} | {r['size']:,} | {r.get('passages', '?'):,} "
        if "p50" not in r:
            rows.append(f"{head}| {r.get('skipped', 'failed')} |||||||\n")
            continue
        ratio = ""
        if str(r["system"]).startswith(("rank", "bm25s")):
            ours = by.get((r.get("workload"), "engine-bm25", r["size"]))
            if ours:
                ratio = f"core {ours['core_p50'] / r['p50']:.2f}×, end to end {ours['p50'] / r['p50']:.2f}×"
        build = f"{r['build_s']:.1f}"
        if "compile_s" in r:
            build += f" (+{r['compile_s']:.1f} s JIT)"
        if "build_cpu_s" in r:
            workers = float(r.get("build_children_cpu_s", 0))  # type: ignore[arg-type]
            main = float(r["build_cpu_s"])  # type: ignore[arg-type]
            build += f" (CPU {main:.1f} + workers {workers:.1f} = {main + workers:.1f} s"
            build += f", load {r['load_average']:.1f})" if "load_average" in r else ")"
        if "open_s" in r:
            build = f"open {r['open_s']:.2f} s, serving RSS {r['serving_rss_mb']:.0f} MB"
        rows.append(
            f"{head}| {build} | {r['p50']:.3f} | {r['p95']:.3f} | {r['p99']:.3f} "
            f"| {r.get('cpu_p50', float('nan')):.3f} "
            f"| {r['qps1']:.0f} | {r['qps2']:.0f} | {r['rss_mb']:.0f} | {ratio} |\n"
        )
        if "core_numpy_p50" in r:
            rows.append(
                f"| {r.get('workload', 'legacy')} | engine-bm25 core, numpy kernel (no numba) | {r['size']:,} "
                f"| {r.get('passages', '?'):,} | – | {r['core_numpy_p50']:.3f} "
                f"| {r['core_numpy_p95']:.3f} | {r['core_numpy_p99']:.3f} | {r['core_numpy_cpu_p50']:.3f} "
                f"| {r['core_numpy_qps1']:.0f} | {r['core_numpy_qps2']:.0f} | – | |\n"
            )
        if "core_p50" in r:
            rows.append(
                f"| {r.get('workload', 'legacy')} | engine-bm25 core (`BM25.top`, analysed terms) | {r['size']:,} "
                f"| {r.get('passages', '?'):,} | – | {r['core_p50']:.3f} "
                f"| {r['core_p95']:.3f} | {r['core_p99']:.3f} | {r.get('core_cpu_p50', float('nan')):.3f} "
                f"| {r['core_qps1']:.0f} | {r['core_qps2']:.0f} | – | |\n"
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
            workload = r.get("workload", "legacy")
            x = int(r.get("passages", r["size"]))  # type: ignore[call-overload]
            series.setdefault(f"{r['system']} ({workload})", []).append((x, float(r["p50"])))
            if "core_p50" in r:
                series.setdefault(f"engine-bm25 core ({workload})", []).append((x, float(r["core_p50"])))
    for name, points in sorted(series.items()):
        xs, ys = zip(*sorted(points))
        axes.plot(xs, ys, marker="o", linestyle="--" if "(legacy)" in name else "-", label=name)
    axes.set(xscale="log", yscale="log", xlabel="passages the chunker made", ylabel="p50 latency, ms (top 10)")
    axes.set_title("Query latency against corpus size (single thread)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["10k", "100k"], choices=list(SIZES))
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=SYSTEMS)
    parser.add_argument("--workloads", nargs="+", default=["zipf"], choices=WORKLOADS)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the 200 queries")
    parser.add_argument("--data", type=Path, default=RESULTS / "data")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per (system, size)")
    parser.add_argument("--worker", nargs=2, metavar=("SYSTEM", "DATA"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--report", action="store_true", help="only redraw the table and plot from scale.jsonl (latest of each row)"
    )
    args = parser.parse_args(argv)
    if args.report:
        latest: dict[tuple[object, ...], dict[str, object]] = {}
        for line in (RESULTS / "scale.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            latest[(record.get("workload", "legacy"), record["size"], record["system"])] = record
        results = [latest[key] for key in sorted(latest, key=lambda key: (str(key[0]), key[1], SYSTEMS.index(key[2])))]
        markdown = table(results)
        (RESULTS / "scale.md").write_text(markdown, encoding="utf-8")
        plot(results, RESULTS / "scale.png")
        print(markdown)
        return
    if args.worker:
        system, data = args.worker
        print(json.dumps(worker(system, Path(data), args.rounds)))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, object]] = []
    log = RESULTS / "scale.jsonl"
    for workload, label in [(w, label) for w in args.workloads for label in args.sizes]:
        size = SIZES[label]
        started = time.perf_counter()
        data = prepare(size, args.data, workload)
        meta = json.loads((data / "meta.json").read_text())
        print(f"[{workload} {label}] data ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        for system in args.systems:
            record: dict[str, object] = {"workload": workload, "system": system, "size": size}
            record["passages"] = meta["passages"]
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
