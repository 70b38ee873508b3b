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

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

PROJECT = Path(__file__).resolve().parent.parent

RUN = "window.__pwned=1;document.title='pwned'"
HEADING = f'Возврат <img src=x onerror="{RUN}"> **жирный** [ссылка](javascript:{RUN})'
SCRIPT = f"<script>{RUN}</script>"
BODY = (
    f'Возврат товара оформляют в личном кабинете. {SCRIPT} <img src=x onerror="{RUN}"> '
    f"[нажмите сюда](javascript:{RUN}) ![картинка](x) <b>жирный</b> **жирный** `код` "
    '<iframe src="javascript:alert(1)"></iframe> {{7*7}} ${7*7}'
)
FILE_TITLE = "<svg onload=alert(1)>"  # a title taken from a file name


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
def server(serve_app, corpus: Path) -> str:  # type: ignore[no-untyped-def]
    return serve_app(corpus)


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


def test_hostile_document_text_renders_as_text_in_the_hit_and_its_section(ask, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ask(page, "срок возврата товара")
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


def test_hostile_titles_render_as_text_in_the_sidebar_and_the_empty_state(ask, page) -> None:  # type: ignore[no-untyped-def]
    assert FILE_TITLE in _squash(page.locator(".about").inner_text())  # the list of documents on the first screen
    _nothing_ran(page)
    ask(page, "курьер доставка заказа")
    page.locator(".hit").first.wait_for(state="visible")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Разбор оценок").wait_for(state="visible")  # drawn at the end of the run
    _nothing_ran(page)
    ask(page, "срок возврата товара")
    page.locator(".hit").first.wait_for(state="visible")
    sidebar.locator("details summary", has_text="Возврат").first.wait_for(state="visible")
    labels = _squash(" ".join(sidebar.locator("details summary").all_inner_texts()))
    assert "Возврат <img src=x" in labels  # the heading, Markdown-escaped in the expander's label
    _nothing_ran(page)
