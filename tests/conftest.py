"""Shared fixtures: the heavy objects (analyzer, engine) are built once per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from benchmarks.page_load import start_server, stop_server
from search import Analyzer, Document, SearchEngine

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"
CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, headless and off the network: nothing is ever downloaded.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
WAIT_MS = 60_000  # any single wait in a browser page: generous, a loaded machine starts Streamlit slowly
START_TIMEOUT = 120  # seconds for a page server to answer its health check (it builds the index first: ~20 s)


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """The embedded corpus, indexed into a temporary folder (the project's own index stays untouched)."""
    return SearchEngine.from_directory(CORPUS, index_dir=tmp_path_factory.mktemp("index"))


def _rewritten(engine: SearchEngine, query: str) -> tuple[str, list[tuple[str, str, str]]]:
    info = engine.search(query, k=1).query
    return info.rewritten, [(c.step, c.original, c.replacement) for c in info.corrections if c.step != "synonyms"]


@pytest.fixture(scope="session")
def rewriting():  # type: ignore[no-untyped-def]
    """An engine's rewriting of a query: the text and each change but synonyms, as (step, original, replacement)
    (see ``_rewritten``); shared by the tests of the rewriting steps."""
    return _rewritten


def _tiny_engine(documents: Mapping[str, tuple[str, str]]) -> SearchEngine:
    return SearchEngine.build(
        [Document(id=key, title=title, path=f"{key}.txt", text=text) for key, (title, text) in documents.items()]
    )


@pytest.fixture(scope="session")
def tiny_engine() -> Callable[[Mapping[str, tuple[str, str]]], SearchEngine]:
    """An engine over a few small documents, each ``id: (title, text)``: the rewriting tests' own corpora."""
    return _tiny_engine


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded corpus in a temporary folder, for the page to index there and leave the project alone.

    Shared read-only by the AppTest and browser tests; a test that edits documents makes its own copy.
    """
    folder = tmp_path_factory.mktemp("corpus-copy") / "corpus"
    shutil.copytree(CORPUS, folder, ignore=shutil.ignore_patterns(".index"))
    return folder


def require_browser() -> None:
    """Skip without Debian's Chromium, or fail when REQUIRE_BROWSER=1 (CI installs it and must run these tests)."""
    if CHROMIUM.exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{CHROMIUM} is missing and REQUIRE_BROWSER=1: install Debian's chromium package")
    pytest.skip(f"{CHROMIUM} is missing (set REQUIRE_BROWSER=1 to make this a failure)")


@pytest.fixture(scope="module")
def serve_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Path], str]]:
    """Start ``streamlit run app.py`` on a loopback port for a corpus folder; every server stops with the module."""
    require_browser()
    processes = []

    def serve(corpus: Path) -> str:
        process, url = start_server(
            tmp_path_factory.mktemp("server"), env={"SEARCH_CORPUS": str(corpus)}, timeout=START_TIMEOUT
        )
        processes.append(process)
        return url

    yield serve
    for process in processes:
        stop_server(process)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Debian's Chromium through Playwright (never a browser download)."""
    require_browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium, server: str):  # type: ignore[no-untyped-def]
    """A fresh laptop-sized page on the module's ``server``, with the dialogs it opened in ``page.dialogs``."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server, wait_until="domcontentloaded")
    page.locator(".st-key-q input").wait_for(state="visible")
    yield page
    context.close()


def _ask(page, query: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``query`` in the search box, press Enter and wait until the run is done."""
    box = page.locator(".st-key-q input")
    box.click()
    box.fill(query)
    box.press("Enter")
    page.wait_for_function(
        "q => document.querySelector('.st-key-q input')?.value === q && !!document.querySelector('.status')",
        arg=query,
    )
    # The status line comes early in a run; callers wait for what they need after it, this only for idleness.
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")


@pytest.fixture
def ask():  # type: ignore[no-untyped-def]
    """Search in the page as a person does (see ``_ask``)."""
    return _ask
