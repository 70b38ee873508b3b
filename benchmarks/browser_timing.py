"""The page as a person sees it: a real Chromium, typed query to results, and ``?q=`` page load to first result.

    python -m benchmarks.browser_timing                       # own server on the embedded corpus, 3 rounds
    python -m benchmarks.browser_timing --launch streamlit    # … served by `streamlit run app.py`
    python -m benchmarks.browser_timing --url http://127.0.0.1:8501 --rounds 5

Debian's Chromium (``/usr/bin/chromium``) through Playwright, headless, as the
browser tests drive it; nothing is downloaded. A typed query is timed from
pressing Enter until the last expected result card is drawn with the expected
passage first (the engine, opened in this process on the same corpus, says
which); a page load from ``goto(?q=…)`` until the first expected card is
drawn. The first round meets the server's result cache cold, later rounds warm;
both are reported. Each ``?q=`` load is followed by one of Streamlit's floor —
a page of one search box and one card, served the same way — so the share of
the time that is Streamlit's own frontend, at the same moment's machine load,
is measured beside it. The own server is ``python -m search serve --processes 1``
over the corpus's index (the deployment the README recommends), or with
``--launch streamlit`` ``streamlit run app.py``. Bounded: every wait has a
timeout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from benchmarks.page_load import build_index, start_serve, start_server, stop_server

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
QUERIES = [
    "как вернуть товар",
    "двойное списание",
    "номер горячей линии для продавцов",
    "не пришли деньги за заказ",
    "как написать в чат поддержки",
    "вазврат тавара",
    "минимальная сумма вывода",
    "ghbdtn",
]
WAIT_MS = 20_000
DRAWN = """([first, count]) => {
  const hits = document.querySelectorAll('.hit');
  return hits.length === count && hits[0].dataset.passage === first
    && !document.querySelector('[data-testid="stStatusWidget"]');
}"""
FIRST = """(first) => document.querySelector('.hit')?.dataset.passage === first"""
FLOOR = "floor"
# Streamlit's minimum for the same ?q= load: the search box bound to the URL and one card, nothing else.
FLOOR_PAGE = f"""import streamlit as st

if __name__ == "__main__":  # as Streamlit runs it; `search serve` imports it first
    query = st.text_input("Вопрос", key="q", bind="query-params")
    st.html('<div class="hit" data-passage="{FLOOR}">' + str(len(query)) + "</div>")
"""


def expected(corpus: Path, queries: list[str]) -> dict[str, tuple[str, int]]:
    from search import SearchEngine

    engine = SearchEngine.from_directory(corpus)
    answers = {}
    for query in queries:
        results = engine.search(query, k=5)
        if len(results):
            answers[query] = (results[0].passage_id, len(results))
    return answers


def typed(page, answers: dict[str, tuple[str, int]], rounds: int) -> list[list[float]]:  # type: ignore[no-untyped-def]
    box = page.locator(".st-key-q input")
    per_round, previous = [], None
    for _ in range(rounds):
        times = []
        for query, (first, count) in answers.items():
            if first == previous:
                continue  # the page would already show it: nothing to wait for
            box.fill(query)
            started = time.perf_counter()
            box.press("Enter")
            page.wait_for_function(DRAWN, arg=[first, count], polling="raf", timeout=WAIT_MS)
            times.append((time.perf_counter() - started) * 1000)
            previous = first
        per_round.append(times)
    return per_round


def page_loads(browser, url: str, answers: dict[str, tuple[str, int]], floor: str | None = None):  # type: ignore[no-untyped-def]
    """Each query opened as ``?q=`` in a fresh browser context; with ``floor``, the floor page after each."""
    times: list[float] = []
    floors: list[float] = []
    for query, (first, _) in answers.items():
        times.append(_open(browser, f"{url}/?q={quote(query)}", first))
        if floor is not None:
            floors.append(_open(browser, f"{floor}/?q={quote(query)}", FLOOR))
    return times, floors


def _open(browser, address: str, first: str) -> float:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(address, wait_until="commit", timeout=WAIT_MS)
        page.wait_for_function(FIRST, arg=first, polling="raf", timeout=WAIT_MS)
        return (time.perf_counter() - started) * 1000
    finally:
        context.close()


def describe(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    median = statistics.median(values)
    return (
        f"{label}: n {len(values)}, p50 {median:.0f} ms, p90 {p90:.0f} ms, min {ordered[0]:.0f} ms, "
        f"max {ordered[-1]:.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--url", help="a running server on the embedded corpus (default: start one)")
    options.add_argument("--corpus", type=Path, default=PROJECT / "corpus", help="the corpus the server searches")
    options.add_argument("--rounds", type=int, default=3, help="passes over the queries (default: %(default)s)")
    options.add_argument(
        "--launch",
        choices=["serve", "streamlit"],
        default="serve",
        help="own server: `python -m search serve` (default) or `streamlit run app.py`",
    )
    args = options.parse_args(argv)
    from playwright.sync_api import sync_playwright

    answers = expected(args.corpus, QUERIES)
    with tempfile.TemporaryDirectory() as folder:
        process = floor_process = floor = None
        url = args.url
        index = build_index(args.corpus, Path(folder) / "index")
        if url is None and args.launch == "streamlit":
            process, url = start_server(Path(folder), env={"SEARCH_CORPUS": str(args.corpus)})
        elif url is None:
            process, (url,) = start_serve(Path(folder), index)
        floor_page = Path(folder) / "floor.py"
        floor_page.write_text(FLOOR_PAGE, encoding="utf-8")
        floor_process, (floor,) = start_serve(Path(folder), index, page=floor_page)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                try:
                    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
                    page = context.new_page()
                    page.goto(url, wait_until="domcontentloaded", timeout=WAIT_MS)
                    page.locator(".st-key-q input").wait_for(state="visible", timeout=WAIT_MS)
                    rounds = typed(page, answers, args.rounds)
                    context.close()
                    loads, floors = page_loads(browser, url, answers, floor)
                finally:
                    browser.close()
        finally:
            for running in (process, floor_process):
                if running is not None:
                    stop_server(running)
    print(f"server {url}, Chromium {CHROMIUM}, load average {os.getloadavg()[0]:.1f} at the end")
    print(describe("typed query → results, first round (cold cache)", rounds[0]))
    if len(rounds) > 1:
        print(describe("typed query → results, later rounds (warm cache)", [t for r in rounds[1:] for t in r]))
    print(describe("typed query → results, all rounds", [t for r in rounds for t in r]))
    print(describe("?q= page load → first result", loads))
    print(describe("?q= page load → first card, Streamlit's floor (one box, one card)", floors))
    # Each load beside the floor's right after it: the difference moves less with the machine's load than either.
    print(describe("?q= page load minus the floor's load right after it", [a - b for a, b in zip(loads, floors)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
