"""The page under several simultaneous sessions: throughput and latency of ``streamlit run app.py`` on loopback.

    python -m benchmarks.page_load                          # 8 sessions × 25 queries, own server
    python -m benchmarks.page_load --launch streamlit       # … served by `streamlit run app.py` instead
    python -m benchmarks.page_load --sessions 16 --queries 10
    python -m benchmarks.page_load --url http://127.0.0.1:8501 --pid PID   # a server you started

Each session is what a browser tab is to the server: a WebSocket on
``/_stcore/stream`` speaking Streamlit's protobuf messages. It opens the page
(the first script run), finds the search box's widget id in what the page
sent, then types queries one after another — a widget-state change and a
rerun, as the browser sends when Enter is pressed — and waits for the run to
finish. Latency is from sending the query to ``script_finished``; the page
must have rendered its status line (or its nothing-found state) and no
exception. Sessions run concurrently; a single-session pass first gives the
unloaded latency of a fresh server, a second one, with other queries (none
in the results cache), that of a warm one. The server's CPU time per query (``/proc/<pid>/stat``, all
its threads) is printed beside the latencies: on a shared machine it is the
figure other jobs do not inflate. Everything is bounded: ``--timeout`` seconds per run, and
the whole load in at most ``--deadline`` seconds.

The queries mix real questions, typos, the wrong keyboard layout,
transliteration, stop words, an overlong paste and HTML. Without ``--url``
the script starts its own server (headless, loopback, a temporary feedback
database) on the project's corpus and stops it afterwards: by default the
deployment the README recommends, ``python -m search serve --processes 1``
over the corpus's index built into a temporary folder; with ``--launch
streamlit``, ``streamlit run app.py`` on the corpus.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
QUERIES = [
    "как вернуть товар",
    "не пришли деньги за заказ",
    "двойное списание",
    "телефон горячей линии",
    "горячая линия для селлеров",
    "вазврат тавара",
    "djpdhfn njdfhf",
    "vozvrat tovara",
    "и в на с по",
    "ипотека на квартиру",
    "возврат товара " * 100,  # cut at MAX_QUERY_CHARS
    '<script>alert("xss")</script><img src=x onerror=alert(1)>',
    "чат с оператором",
    "пвз",
]
# Other questions of the same kinds, for a second single session once the server is warm: none of them is in
# the rendered-results cache yet, so each costs a search and a render.
MORE_QUERIES = [
    "как отменить заказ",
    "где мой заказ",
    "списали деньги дважды",
    "вернуть деньги на карту",
    "зоказ не приехал",
    "dthyenm ltymub",
    "oplata kartoy",
    "телефон поддержки продавцов",
    "как связаться с продавцом",
    "а и но или",
    "как стать продавцом",
    "курьер не приехал",
    "возврат",
    "сколько ждать возврат денег",
]


@dataclass
class Session:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used, all threads, from ``/proc/<pid>/stat``."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(
    folder: Path, env: dict[str, str] | None = None, timeout: float = 90
) -> tuple[subprocess.Popen[bytes], str]:
    """``streamlit run app.py`` on a free loopback port, its log and feedback store in ``folder``; waits for health."""
    port = _free_port()
    env = {**os.environ, "SEARCH_FEEDBACK_DB": str(folder / "feedback.sqlite3"), **(env or {})}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT / "app.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    log = folder / "streamlit.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise RuntimeError(f"streamlit did not answer in {timeout} s: {log.read_text(errors='replace')[-2000:]}")


def start_serve(
    folder: Path, index: Path, processes: int = 1, timeout: float = 300, page: Path | None = None
) -> tuple[subprocess.Popen[bytes], list[str]]:
    """``python -m search serve --processes N`` on consecutive free loopback ports; waits for every page."""
    port = _free_ports(processes)
    env = {**os.environ, "SEARCH_FEEDBACK_DB": str(folder / "feedback.sqlite3")}
    command = [sys.executable, "-m", "search", "serve", "--index", str(index)]
    command += ["--processes", str(processes), "--port", str(port), "--address", "127.0.0.1"]
    command += ["--page", str(page)] if page is not None else []
    log = folder / f"serve-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT)
    urls = [f"http://127.0.0.1:{port + n}" for n in range(processes)]
    deadline = time.monotonic() + timeout
    waiting = list(urls)
    while waiting and time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{waiting[0]}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    waiting.pop(0)
                    continue
        except OSError:
            pass
        time.sleep(0.2)
    if waiting:
        stop_server(process)
        raise RuntimeError(f"{waiting} did not answer in {timeout} s: {log.read_text(errors='replace')[-2000:]}")
    return process, urls


def page_processes(process: subprocess.Popen[bytes]) -> list[int]:
    """The page processes a ``serve`` launcher forked (its children, from ``/proc``)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == process.pid:
            found.append(int(entry))
    return sorted(found)


def build_index(corpus: Path, index: Path) -> Path:
    """The corpus's index, built into ``index`` by another process (as a deployment builds it)."""
    command = [sys.executable, "-m", "search", "build", "--corpus", str(corpus), "--index", str(index)]
    subprocess.run(command, cwd=PROJECT, check=True, capture_output=True, timeout=600)
    return index


def _free_ports(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports."""
    for _ in range(200):
        first = random.randrange(20_000, 60_000)
        try:
            for port in range(first, first + count):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


async def _run(socket_, back_msg, timeout: float, fragments: dict | None = None) -> tuple[list, bool]:  # type: ignore[no-untyped-def]
    """Send one BackMsg and collect the elements of the script run it starts, until ``script_finished``.

    ``fragments``, when given, receives each widget id's fragment (as a browser remembers it, to rerun
    only that fragment when the widget changes).
    """
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    await socket_.send(back_msg.SerializeToString())
    elements = []
    success = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
    deadline = time.monotonic() + timeout
    while True:
        data = await asyncio.wait_for(socket_.recv(), timeout=max(deadline - time.monotonic(), 0.01))
        message = ForwardMsg()
        message.ParseFromString(data)
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            elements.append(message.delta.new_element)
            if fragments is not None and message.delta.new_element.WhichOneof("type") == "text_input":
                fragments[message.delta.new_element.text_input.id] = message.delta.fragment_id
        elif kind == "script_finished":
            return elements, message.script_finished in success


def _rerun(query_string: str = "", widget: str | None = None, value: str = "", fragment: str = ""):  # type: ignore[no-untyped-def]
    from streamlit.proto.BackMsg_pb2 import BackMsg

    message = BackMsg()
    message.rerun_script.query_string = query_string
    if fragment:  # the widget lives in a fragment: the browser reruns that fragment only
        message.rerun_script.fragment_id = fragment
    if widget is not None:
        state = message.rerun_script.widget_states.widgets.add()
        state.id, state.string_value = widget, value
    return message


def _problems(elements: list) -> list[str]:  # type: ignore[type-arg]
    problems = [f"exception: {e.exception.message}" for e in elements if e.WhichOneof("type") == "exception"]
    problems += [f"error: {e.alert.body}" for e in elements if e.WhichOneof("type") == "alert" and e.alert.format == 1]
    bodies = " ".join(e.html.body for e in elements if e.WhichOneof("type") == "html")
    if 'class="status"' not in bodies and 'class="empty' not in bodies:
        problems.append("no status line and no empty state")
    return problems


async def session(
    url: str, queries: list[str], timeout: float, report: Session, offset: int = 0, full_reruns: bool = False
) -> None:
    import websockets

    address = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
    async with websockets.connect(address, subprotocols=["streamlit"], max_size=None, open_timeout=timeout) as ws:
        fragments: dict[str, str] = {}
        elements, _ = await _run(ws, _rerun(), timeout, fragments)  # the page opens
        box = next((e.text_input.id for e in elements if e.WhichOneof("type") == "text_input"), None)
        if box is None:
            report.errors.append("no search box on the page")
            return
        fragment = "" if full_reruns else fragments.get(box, "")
        for number in range(len(queries)):
            query = queries[(number + offset) % len(queries)]
            started = time.perf_counter()
            elements, finished = await _run(ws, _rerun(widget=box, value=query, fragment=fragment), timeout)
            report.latencies.append(time.perf_counter() - started)
            problems = _problems(elements) + ([] if finished else ["run did not finish successfully"])
            report.errors.extend(f"{query[:40]!r}: {problem}" for problem in problems)


async def load(
    url: str | Sequence[str],
    sessions: int,
    per_session: int,
    timeout: float,
    full_reruns: bool = False,
    queries: Sequence[str] = QUERIES,
) -> tuple[list[Session], float]:
    """``sessions`` at once, each typing ``per_session`` queries; several URLs take the sessions in turn."""
    urls = [url] if isinstance(url, str) else list(url)
    queries = (list(queries) * (per_session // len(queries) + 1))[:per_session]
    reports = [Session() for _ in range(sessions)]
    started = time.perf_counter()
    await asyncio.gather(
        *(
            session(urls[n % len(urls)], queries, timeout, r, offset=n, full_reruns=full_reruns)
            for n, r in enumerate(reports)
        )
    )
    return reports, time.perf_counter() - started


def summary(label: str, reports: list[Session], wall: float) -> str:
    latencies = sorted(x * 1000 for r in reports for x in r.latencies)
    errors = [e for r in reports for e in r.errors]
    if not latencies:
        return f"{label}: no query answered; errors: {errors[:5]}"

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return (
        f"{label}: {len(latencies)} queries in {wall:.1f} s = {len(latencies) / wall:.1f} queries/s; latency ms "
        f"p50 {statistics.median(latencies):.0f}, p90 {pct(0.9):.0f}, p99 {pct(0.99):.0f}, max {latencies[-1]:.0f}; "
        f"errors {len(errors)}" + (f" (first: {errors[0]})" if errors else "")
    )


def _cpu(pid: int | None, before: float, reports: list[Session]) -> str:
    """The server's CPU milliseconds per query (page opens included) since ``before``."""
    count = sum(len(r.latencies) for r in reports)
    if not pid or not count:
        return ""
    return f"; server CPU {(cpu_seconds(pid) - before) * 1000 / count:.0f} ms per query"


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--url", help="a running server (default: start one on a free loopback port)")
    options.add_argument("--pid", type=int, help="with --url: the server's process id, to report its CPU time")
    options.add_argument(
        "--launch",
        choices=["serve", "streamlit"],
        default="serve",
        help="own server: `python -m search serve` (default) or `streamlit run app.py`",
    )
    options.add_argument("--sessions", type=int, default=8, help="simultaneous sessions (default: %(default)s)")
    options.add_argument("--queries", type=int, default=25, help="queries per session (default: %(default)s)")
    options.add_argument("--timeout", type=float, default=30, help="seconds allowed per script run")
    options.add_argument("--deadline", type=float, default=300, help="seconds allowed for the whole load")
    options.add_argument(
        "--full-reruns", action="store_true", help="rerun the whole page per query, not the results fragment"
    )
    args = options.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        process = None
        if args.url:
            url = args.url
        elif args.launch == "streamlit":
            process, url = start_server(Path(folder))
        else:
            index = build_index(PROJECT / "corpus", Path(folder) / "index")
            process, (url,) = start_serve(Path(folder), index)
        pid = args.pid
        if process is not None:
            pid = process.pid if args.launch == "streamlit" else page_processes(process)[0]
        try:
            cpu = cpu_seconds(pid) if pid else 0.0
            single, single_wall = asyncio.run(
                asyncio.wait_for(load(url, 1, len(QUERIES), args.timeout, args.full_reruns), args.deadline)
            )
            print(f"server {url}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
            print(f"load average {os.getloadavg()[0]:.1f}")
            print(summary("1 session (unloaded), fresh server", single, single_wall) + _cpu(pid, cpu, single))
            cpu = cpu_seconds(pid) if pid else 0.0
            warm, warm_wall = asyncio.run(
                asyncio.wait_for(
                    load(url, 1, len(MORE_QUERIES), args.timeout, args.full_reruns, queries=MORE_QUERIES), args.deadline
                )
            )
            print(summary("1 session (unloaded), warm server, new queries", warm, warm_wall) + _cpu(pid, cpu, warm))
            single += warm
            cpu = cpu_seconds(pid) if pid else 0.0
            reports, wall = asyncio.run(
                asyncio.wait_for(load(url, args.sessions, args.queries, args.timeout, args.full_reruns), args.deadline)
            )
            print(
                summary(f"{args.sessions} sessions × {args.queries} queries", reports, wall) + _cpu(pid, cpu, reports)
            )
            failed = any(r.errors for r in [*single, *reports])
        finally:
            if process is not None:
                stop_server(process)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
