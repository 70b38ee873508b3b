"""The page in a real browser: `streamlit run` on a loopback port, driven by Debian's Chromium through Playwright.

Never downloads a browser. Without /usr/bin/chromium the tests skip, unless
REQUIRE_BROWSER=1 (CI), where they fail. Screenshots land in the test's
temporary folder (pytest prints it with ``--basetemp`` or ``-s``).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from search import SearchEngine

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]  # an outer bound; every wait inside has its own

PROJECT = Path(__file__).resolve().parent.parent
HOSTILE = '<script>alert("xss")</script><img src=x onerror="alert(1);document.title=\'pwned\'">'


@pytest.fixture(scope="module")
def server(serve_app, corpus_copy: Path) -> str:  # type: ignore[no-untyped-def]
    return serve_app(corpus_copy)


def _screenshot(page, path: Path, width: int) -> None:  # type: ignore[no-untyped-def]
    """The whole page: Streamlit scrolls inside its own container, so grow the window to the content instead."""
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(200)
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll('section, div')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": width, "height": min(max(int(height), 600), 6000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_russian_query_shows_ranked_highlighted_cited_passages(ask, page, corpus_copy: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    query = "не пришли деньги за заказ"
    focused = page.wait_for_function("() => document.activeElement?.closest('.st-key-q') !== null")
    assert focused, "the search box has the focus when the page opens"
    page.get_by_text("Попробуйте спросить").wait_for(state="visible")
    _screenshot(page, tmp_path / "start.png", 1280)
    ask(page, query)
    expected = SearchEngine.from_directory(corpus_copy).search(query, k=5)
    assert len(expected) >= 3
    # Streamlit draws a run's elements one by one: wait for the last card, not the first.
    page.wait_for_function("n => document.querySelectorAll('.hit').length === n", arg=len(expected))
    hits = page.locator(".hit")
    assert [hits.nth(i).get_attribute("data-passage") for i in range(hits.count())] == [h.passage_id for h in expected]
    first = hits.first
    assert _squash(first.locator(".hit-text").inner_text()) == _squash(expected[0].text)
    assert _squash(first.locator(".hit-source").inner_text()) == _squash(expected[0].citation)
    assert first.locator(".hit-rank").inner_text() == "1"

    marks = page.locator(".hit mark")
    assert marks.first.is_visible()
    marked = {m.lower() for m in marks.all_inner_texts()}
    assert marked & {"деньги", "денег", "заказа", "заказ", "средств"}, marked
    assert parse_qs(urlparse(page.url).query).get("q") == [query]
    _screenshot(page, tmp_path / "results-laptop.png", 1280)
    _screenshot(page, tmp_path / "results-phone.png", 390)
    assert (tmp_path / "results-laptop.png").stat().st_size > 10_000


def test_known_answer_comes_first_with_its_section(ask, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ask(page, "двойное списание")
    first = page.locator(".hit").first
    first.wait_for(state="visible")
    assert first.locator(".hit-heading").inner_text() == "2 Проблемы с оплатой"
    assert "Двойное списание одной и той же покупки" in first.locator(".hit-text").inner_text()
    assert "строки 14–21" in first.locator(".hit-source").inner_text()
    assert {m.lower() for m in first.locator("mark").all_inner_texts()} >= {"двойное", "списание"}
    page.get_by_text("Весь раздел").first.click()
    page.locator(".section-text").first.wait_for(state="visible")
    _screenshot(page, tmp_path / "section.png", 1280)


def test_html_in_a_query_is_shown_as_text_and_never_run(ask, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    ask(page, HOSTILE)
    page.wait_for_timeout(500)  # give an injected handler every chance to fire
    assert HOSTILE in _squash(page.locator(".closest, .empty-title").first.inner_text())
    assert page.locator('img[src="x"]').count() == 0
    assert page.title() != "pwned"
    assert dialogs == []
    _screenshot(page, tmp_path / "hostile.png", 1280)
