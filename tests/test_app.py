"""The page's logic through Streamlit's AppTest: results, filters, states, escaping, feedback."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from streamlit.testing.v1 import AppTest

from search import SearchEngine
from search.feedback import FeedbackStore

PROJECT = Path(__file__).resolve().parent.parent
APP = PROJECT / "app.py"
TIMEOUT = 60  # the first run of a session builds the index of its corpus copy


@pytest.fixture(scope="session")
def page_module() -> ModuleType:
    """app.py imported for its helpers (its main() runs only as __main__)."""
    spec = importlib.util.spec_from_file_location("search_page", APP)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def engine(corpus_copy: Path) -> SearchEngine:
    """The engine the page uses (same corpus copy, same index), to compare the page with."""
    return SearchEngine.from_directory(corpus_copy)


@pytest.fixture
def feedback_db(tmp_path: Path) -> Path:
    return tmp_path / "feedback.sqlite3"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, corpus_copy: Path, feedback_db: Path) -> AppTest:
    monkeypatch.setenv("SEARCH_CORPUS", str(corpus_copy))
    monkeypatch.setenv("SEARCH_FEEDBACK_DB", str(feedback_db))
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


def search(app: AppTest, query: str) -> AppTest:
    if not len(app.text_input):  # the first run draws the search box
        app.run()
    app.text_input(key="q").input(query).run()
    assert not app.exception, app.exception
    return app


def html(app: AppTest) -> str:
    return "\n".join(element.value for element in app.html)


def hit_cards(app: AppTest) -> list[str]:
    return [element.value for element in app.html if element.value.startswith('<div class="hit"')]


def passage_ids(app: AppTest) -> list[str]:
    return [re.search(r'data-passage="([^"]+)"', card).group(1) for card in hit_cards(app)]


def sidebar_html(app: AppTest) -> str:
    return "\n".join(element.value for element in app.sidebar.html)


def text_of(card: str) -> str:
    return re.sub(r"<[^>]+>", "", card)


# --- the states of the page --------------------------------------------------------------


def test_empty_query_offers_examples_and_names_the_documents(app: AppTest, page_module: ModuleType) -> None:
    app.run()
    assert not app.exception
    assert [button.label for button in app.button] == list(page_module.EXAMPLES)
    assert "Ищем по 4 документам" in html(app)
    assert hit_cards(app) == []


@pytest.mark.parametrize(
    ("query", "passage", "heading", "lines"),
    [
        ("двойное списание", "buyers-support:", "2 Проблемы с оплатой", "строки 14–21"),
        ("номер горячей линии для продавцов", "seller-channels:", None, None),
    ],
)
def test_query_renders_the_expected_passage_first_with_its_citation(
    app: AppTest, engine: SearchEngine, query: str, passage: str, heading: str | None, lines: str | None
) -> None:
    search(app, query)
    expected = engine.search(query, k=5)
    first = hit_cards(app)[0]
    assert passage_ids(app) == [hit.passage_id for hit in expected]
    assert passage_ids(app)[0].startswith(passage)
    assert expected[0].title in text_of(first) and expected[0].section in text_of(first)
    if heading:
        assert f'<span class="hit-heading">{heading}</span>' in first and lines in first
    assert "<mark>" in first
    assert re.search(r"\d+ фрагмент\w* · \d+ мс · ранжирование: обученное", html(app))


def test_matched_word_forms_are_marked(app: AppTest) -> None:
    search(app, "двойное списание")
    first = hit_cards(app)[0]
    marked = re.findall(r"<mark>([^<]*)</mark>", first)
    assert {"Двойное", "списание", "списания"} <= set(marked)  # "списания" is another form of the same lemma


def test_the_query_comes_from_the_url(app: AppTest) -> None:
    app.query_params["q"] = "двойное списание"
    app.run()
    assert not app.exception
    assert app.text_input(key="q").value == "двойное списание"
    assert passage_ids(app)[0] == "buyers-support:002"


def test_an_example_runs_its_search(app: AppTest) -> None:
    app.run()
    app.button(key="example-1").click().run()
    assert app.text_input(key="q").value == "двойное списание"
    assert passage_ids(app)[0] == "buyers-support:002"


@pytest.mark.parametrize("query", ["qwerty фывап", "абырвалг"])
def test_a_query_no_document_answers_says_so_and_shows_the_nearest_as_a_guess(app: AppTest, query: str) -> None:
    search(app, query)
    page = html(app)
    assert f"Точного ответа на «<b>{query}</b>» в документах нет" in page and "самые близкие фрагменты" in page
    assert len(hit_cards(app)) > 0 and "Краткий ответ" not in page


def test_a_query_of_function_words_alone_says_nothing_was_found(app: AppTest) -> None:
    search(app, "и в на")
    page = html(app)
    assert "По запросу «и в на» ничего не нашлось" in page and "Проверьте, нет ли опечаток" in page
    assert hit_cards(app) == []
    assert "двойное списание" in [button.label for button in app.button]


@pytest.mark.parametrize("query", ["двойное списание", "не пришли деньги за заказ", "<b>оплата</b>", "абырвалг"])
def test_the_page_follows_the_engines_answer_decision(app: AppTest, engine: SearchEngine, query: str) -> None:
    search(app, query)
    results = engine.search(query, k=5)
    page = html(app)
    assert passage_ids(app) == [hit.passage_id for hit in results]
    assert ('class="closest"' in page) == (not results.answered and len(results) > 0)
    assert ('class="empty"' in page) == (len(results) == 0)
    # The score breakdown's caption shows the confidence, the threshold it is held to, and the same decision.
    threshold = engine.pipeline.stage("decide").model.threshold  # type: ignore[attr-defined]
    caption = text_of(sidebar_html(app))
    assert f"уверенность, что ответ есть: {results.confidence:.0%} (ответ — от {threshold:.0%})" in caption
    assert ("ответ найден" in caption) == results.answered and ("ответ не найден" in caption) != results.answered


def test_a_changed_query_is_shown_and_can_be_searched_as_typed(app: AppTest) -> None:
    search(app, "ghbdtn")  # the Latin layout of "привет"
    assert "Показаны результаты по запросу «<b>привет</b>»" in html(app)
    app.button(key="exact-button").click().run()
    assert "Искали точно как написано" in " ".join(caption.value for caption in app.caption)


# --- the sidebar ------------------------------------------------------------------------------


def test_filters_change_the_results(app: AppTest) -> None:
    query = "номер горячей линии"
    search(app, query)
    everything = passage_ids(app)
    assert {pid.split(":")[0] for pid in everything} > {"seller-channels"}

    app.radio(key="audience").set_value("покупатели").run()
    for_buyers = hit_cards(app)
    assert for_buyers and all('<span class="badge">покупатели</span>' in card for card in for_buyers)
    assert passage_ids(app) != everything

    app.radio(key="audience").set_value(None).run()
    app.multiselect(key="documents").set_value(["chat-and-support"]).run()
    assert passage_ids(app) and all(pid.startswith("chat-and-support:") for pid in passage_ids(app))
    assert "Снимите фильтры" not in html(app)


def test_number_of_results_and_ranking(app: AppTest) -> None:
    search(app, "как вернуть товар")
    app.slider(key="k").set_value(2).run()
    assert len(hit_cards(app)) == 2
    app.radio(key="ranking").set_value("bm25").run()
    assert "ранжирование: bm25" in html(app)
    assert len(hit_cards(app)) == 2


def test_score_breakdown_per_result(app: AppTest, engine: SearchEngine) -> None:
    search(app, "двойное списание")
    breakdown = sidebar_html(app)
    assert "<h3>Разбор оценок</h3>" in breakdown
    labels = re.findall(r"<summary>(.*?)</summary>", breakdown)
    hits = engine.search("двойное списание", k=5)
    assert labels == [f"№ {hit.rank} — {hit.passage.section[-1]}" for hit in hits]
    first = hits[0]
    table = breakdown.split("</summary>")[1].split("</details>")[0]
    for name, score in first.retrievers.items():
        assert f"<tr><td>{name}</td><td>{score.rank}</td><td>{score.score:.4f}</td></tr>" in table


def test_a_filter_that_hides_everything_suggests_removing_it(app: AppTest) -> None:
    search(app, "абырвалг")
    app.multiselect(key="documents").set_value(["seller-request"]).run()
    assert "Снимите фильтры" in html(app)


# --- escaping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["<script>alert(1)</script>", '<img src=x onerror="alert(1)"> оплата', "**жирный** [ссылка](javascript:x)"]
)
def test_a_query_is_shown_as_text(app: AppTest, query: str) -> None:
    search(app, query)
    page = html(app)
    assert "<script>alert" not in page and "<img" not in page
    assert f"«<b>{_escaped(query)}</b>»" in page or f"«{_escaped(query)}»" in page


def _escaped(text: str) -> str:
    import html as html_module

    return html_module.escape(text, quote=True)


def test_html_inside_a_document_is_shown_as_text(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "hostile.md").write_text(
        "# Возврат <b>товара</b>\n\n"
        "Чтобы оформить возврат, откройте заказ. <script>alert('возврат')</script> "
        "<img src=x onerror=alert(1)> Возврат денег занимает до 10 дней.\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SEARCH_CORPUS", str(folder))
    monkeypatch.setenv("SEARCH_FEEDBACK_DB", str(tmp_path / "feedback.sqlite3"))
    app = search(AppTest.from_file(str(APP), default_timeout=TIMEOUT), "возврат")
    cards = hit_cards(app)
    assert cards
    assert "<script>" not in cards[0] and "<img" not in cards[0] and "<b>товара" not in cards[0]
    assert "&lt;script&gt;alert(&#x27;<mark>возврат</mark>&#x27;)&lt;/script&gt;" in cards[0]
    sections = re.findall(r'<summary>Весь раздел</summary>(<div class="section-text">.*?)</details>', cards[0], re.S)
    assert sections and "<script>" not in sections[0] and "&lt;img src=x onerror=alert(1)&gt;" in sections[0]


def test_highlighting_builds_markup_only_around_escaped_pieces(page_module: ModuleType) -> None:
    text = "<i>Двойное</i> списание & возврат"
    spans = [(3, 10), (15, 23)]
    assert page_module.highlighted(text, spans) == (
        "&lt;i&gt;<mark>Двойное</mark>&lt;/i&gt; <mark>списание</mark> &amp; возврат"
    )
    assert page_module.highlighted(text, spans, answer=(15, 23)) == (
        '&lt;i&gt;<mark>Двойное</mark>&lt;/i&gt; <span class="answer"><mark>списание</mark></span> &amp; возврат'
    )
    assert page_module.highlighted(text, [(-5, 2), (20, 99)]).startswith("<mark>&lt;i</mark>")


# --- configuration ----------------------------------------------------------------------------


def test_corpus_folder_from_arguments_environment_or_default(
    page_module: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SEARCH_CORPUS", raising=False)
    assert page_module.corpus_folder([]) == PROJECT / "corpus"
    assert page_module.corpus_folder(["--co", "-q"]) == PROJECT / "corpus"  # pytest's own flags are not ours
    monkeypatch.setenv("SEARCH_CORPUS", str(tmp_path))
    assert page_module.corpus_folder([]) == tmp_path
    assert page_module.corpus_folder(["--corpus", str(tmp_path / "other")]) == tmp_path / "other"


def test_a_missing_corpus_is_an_error_on_the_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEARCH_CORPUS", str(tmp_path / "nowhere"))
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not app.exception
    assert "Не удалось открыть документы" in app.error[0].value


# --- feedback --------------------------------------------------------------------------------


def test_a_vote_writes_a_row(app: AppTest, feedback_db: Path) -> None:
    search(app, "двойное списание")
    app.feedback[0].set_value(1).run()
    app.feedback[1].set_value(0).run()
    votes = FeedbackStore(feedback_db).votes()
    assert [(v.query, v.passage_id, v.vote, v.retriever, v.rank) for v in votes] == [
        ("двойное списание", "buyers-support:002", 1, "learned", 1),
        ("двойное списание", votes[1].passage_id, -1, "learned", 2),
    ]
    assert "Спасибо, оценка сохранена." in [caption.value for caption in app.caption]
    assert not app.warning


def test_a_vote_that_cannot_be_stored_is_a_warning(
    monkeypatch: pytest.MonkeyPatch, app: AppTest, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("SEARCH_FEEDBACK_DB", str(blocker / "feedback.sqlite3"))
    search(app, "двойное списание")
    app.feedback[0].set_value(1).run()
    assert not app.exception
    assert app.warning and "Оценка не сохранена" in app.warning[0].value
    assert hit_cards(app)  # the results stay


def test_the_short_answer_stands_above_the_list_with_its_citation(app: AppTest, engine: SearchEngine) -> None:
    search(app, "минимальная сумма вывода")
    top = engine.search("минимальная сумма вывода", k=5)[0]
    html = "".join(element.proto.body for element in app.get("html"))
    assert "Краткий ответ" in html and html.index("Краткий ответ") < html.index('class="hit"')
    assert "Минимальная сумма: Вывести можно только сумму от 100 рублей." in html
    assert top.citation in html
