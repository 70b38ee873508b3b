"""Hostile documents in the real browser: HTML, script and Markdown in a corpus render as text and never run.

``tests/test_browser.py`` proves it for a hostile query; here the corpus
itself is hostile — a heading, a file name (so a title), a passage and the
whole section carry ``<script>``, ``<img onerror>``, ``<svg onload>``,
``javascript:`` links and Markdown — and every place the page shows them is
opened: the hit card, the section expander and the sidebar's score breakdown
(whose expander label is Markdown). Every payload would set
``window.__pwned`` or the title, or open a dialog, if it ran.

Same setup as ``test_browser.py``: ``streamlit run`` on a loopback port,
Debian's Chromium through Playwright, skipped without /usr/bin/chromium
unless REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
START_TIMEOUT = 60
WAIT_MS = 20_000

RUN = "window.__pwned=1;document.title='pwned'"
HEADING = f'Возврат <img src=x onerror="{RUN}"> **жирный** [ссылка](javascript:{RUN})'
SCRIPT = f"<script>{RUN}</script>"
BODY = (
    f'Возврат товара оформляют в личном кабинете. {SCRIPT} <img src=x onerror="{RUN}"> '
    f"[нажмите сюда](javascript:{RUN}) ![картинка](x) <b>жирный</b> **жирный** `код` "
    '<iframe src="javascript:alert(1)"></iframe> {{7*7}} ${7*7}'
)
FILE_TITLE = "<svg onload=alert(1)>"  # a title taken from a file name


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{CHROMIUM} is missing and REQUIRE_BROWSER=1: install Debian's chromium package")
    pytest.skip(f"{CHROMIUM} is missing (set REQUIRE_BROWSER=1 to make this a failure)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "corpus"
    folder.mkdir()
    (folder / "возврат.md").write_text(
        f"# {HEADING}\n\n{BODY}\n\nСрок возврата товара — 7 дней после получения заказа.\n", encoding="utf-8"
    )
    (folder / f"{FILE_TITLE}.txt").write_text(
        "Доставка заказа\nКурьер привозит заказ за два дня. <script>window.__pwned=1</script>\n", encoding="utf-8"
    )
    return folder


@pytest.fixture(scope="module")
def server(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_browser()
    port = _free_port()
    folder = tmp_path_factory.mktemp("server")
    env = {**os.environ, "SEARCH_CORPUS": str(corpus), "SEARCH_FEEDBACK_DB": str(folder / "feedback.sqlite3")}
    command = [
        sys.executable, "-m", "streamlit", "run", str(PROJECT / "app.py"),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    log = (folder / "streamlit.log").open("wb")
    process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}:\n{(folder / 'streamlit.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer in {START_TIMEOUT} s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, server: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
    page.goto(server, wait_until="domcontentloaded")
    page.locator(".st-key-q input").wait_for(state="visible")
    yield page
    context.close()


def _search(page, query: str) -> None:  # type: ignore[no-untyped-def]
    box = page.locator(".st-key-q input")
    box.click()
    box.fill(query)
    box.press("Enter")
    page.wait_for_function(
        "q => document.querySelector('.st-key-q input')?.value === q && !!document.querySelector('.status')",
        arg=query,
    )
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _nothing_ran(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(500)  # give an injected handler every chance to fire
    assert page.evaluate("() => window.__pwned") is None
    assert page.title() != "pwned"
    assert page.dialogs == []
    assert page.locator('img[src="x"], svg[onload], iframe[src^="javascript"], a[href^="javascript"]').count() == 0
    injected = "() => [...document.querySelectorAll('script')].some(s => s.textContent.includes('__pwned'))"
    assert page.evaluate(injected) is False


def test_hostile_document_text_renders_as_text_in_the_hit_and_its_section(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _search(page, "срок возврата товара")
    hit = page.locator(".hit").first
    hit.wait_for(state="visible")
    text = _squash(" ".join(page.locator(".hit-text").all_inner_texts()))
    for literal in (SCRIPT, '<img src=x onerror="', "[нажмите сюда](javascript:", "**жирный**", "<b>жирный</b>"):
        assert literal in text, literal
    assert "<img src=x onerror=" in _squash(" ".join(page.locator(".hit-heading").all_inner_texts()))
    _nothing_ran(page)
    page.get_by_text("Весь раздел").first.click()
    section = page.locator(".section-text").first
    section.wait_for(state="visible")
    assert SCRIPT in _squash(section.inner_text())
    _nothing_ran(page)
    page.screenshot(path=str(tmp_path / "hostile-document.png"), full_page=True)


def test_hostile_titles_render_as_text_in_the_sidebar_and_the_empty_state(page) -> None:  # type: ignore[no-untyped-def]
    assert FILE_TITLE in _squash(page.locator(".about").inner_text())  # the list of documents on the first screen
    _nothing_ran(page)
    _search(page, "курьер доставка заказа")
    page.locator(".hit").first.wait_for(state="visible")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Разбор оценок").wait_for(state="visible")  # drawn at the end of the run
    _nothing_ran(page)
    _search(page, "срок возврата товара")
    page.locator(".hit").first.wait_for(state="visible")
    sidebar.locator("details summary", has_text="Возврат").first.wait_for(state="visible")
    labels = _squash(" ".join(sidebar.locator("details summary").all_inner_texts()))
    assert "Возврат <img src=x" in labels  # the heading, Markdown-escaped in the expander's label
    _nothing_ran(page)
