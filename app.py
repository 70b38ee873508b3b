"""The search page: ask in Russian, get ranked passages with highlighted matches and their sources.

    streamlit run app.py                          # the embedded corpus (`make app`)
    streamlit run app.py -- --corpus DIR          # any folder of .txt / .md documents
    SEARCH_CORPUS=DIR SEARCH_FEEDBACK_DB=votes.sqlite3 streamlit run app.py

Presentation only: every search decision is ``SearchEngine``'s, this script
lays out what it returns. Text from documents and from the person typing
reaches the page only through ``html.escape`` (``_esc``); highlights are built
from escaped pieces cut at the engine's spans, never by editing HTML.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from search import Hit, SearchEngine, SearchResults
from search.feedback import FeedbackError, FeedbackStore
from search.serving import EngineHolder, preopened, settle

PROJECT = Path(__file__).resolve().parent
DEFAULT_CORPUS = PROJECT / "corpus"
DEFAULT_FEEDBACK_DB = PROJECT / "data" / "feedback.sqlite3"  # data/ is git-ignored

# Questions people really ask about the embedded corpus; shown only when its documents are loaded.
EXAMPLES = (
    "не пришли деньги за заказ",
    "двойное списание",
    "номер горячей линии для продавцов",
    "как вернуть товар",
    "как написать в чат поддержки",
)
EXAMPLES_CORPUS = {"buyers-support", "seller-channels"}
DEFAULT_K = 5  # results shown
# The frontend elements a `?q=` load's first result waits for: the search box and the HTML cards. `python -m
# search serve` has the browser fetch their code with the page itself (search.serving.preloading_static_dir);
# Streamlit fetches it only when such an element first arrives. The sidebar's and feedback's are left to
# Streamlit: preloaded too, their ~40 requests queued ahead of the frontend's own and it started later
# (interleaved Chromium loads: 78 ms median slower than these two alone).
FRONTEND_ELEMENTS = ("TextInput", "Html")

CSS = """
<style>
.block-container { padding-top: 3.6rem; padding-bottom: 3rem; max-width: 780px; }
h1.brand { font-size: 1.9rem; font-weight: 700; margin: 0; padding: 0; letter-spacing: -0.01em; color: #111827; }
.tagline { color: #5f6b7a; margin: .15rem 0 .2rem; font-size: .98rem; }
.st-key-q input { font-size: 1.08rem; }
.hit-head { display: flex; align-items: baseline; gap: .55rem; flex-wrap: wrap; }
.hit-rank { flex: none; display: inline-flex; align-items: center; justify-content: center; min-width: 1.6rem;
  height: 1.6rem; border-radius: .8rem; background: #eef3ff; color: #1f4fd8; font-weight: 700; font-size: .85rem; }
.hit-heading { font-weight: 650; font-size: 1.06rem; color: #111827; flex: 1 1 12rem; }
.badges { display: inline-flex; gap: .3rem; flex-wrap: nowrap; }
.badge { font-size: .75rem; padding: .08rem .5rem; border-radius: .7rem; background: #f1f3f5; color: #495057;
  white-space: nowrap; }
.hit-source { color: #5f6b7a; font-size: .84rem; margin: .3rem 0 .55rem; line-height: 1.35; }
.hit-source .doc { color: #1f4fd8; }
.hit-text, .section-text { white-space: pre-line; line-height: 1.6; color: #2b2f36; font-size: .97rem;
  overflow-wrap: anywhere; }
.hit-text .answer { color: #0b0f19; font-weight: 500; }
mark { background: #fff1a8; color: inherit; padding: 0 .1em; border-radius: .2em; }
.section-text .passage { background: #eef3ff; border-radius: .2em; }
.status { color: #5f6b7a; font-size: .88rem; margin: .2rem 0 .2rem; }
.note { font-size: .95rem; margin: .1rem 0; }
.empty { border: 1px dashed #cfd6df; border-radius: .6rem; padding: 1rem 1.2rem; background: #fbfcfd; }
.empty-title { font-weight: 650; font-size: 1.08rem; margin-bottom: .35rem; overflow-wrap: anywhere; }
.empty ul { margin: .2rem 0 0 1.1rem; padding: 0; color: #3d4450; }
.closest { border-left: 4px solid #adb5bd; background: #f8f9fa; border-radius: .4rem; padding: .6rem 1rem;
  font-size: .95rem; color: #3d4450; overflow-wrap: anywhere; }
.closest b { color: #111827; }
.short-answer { border-left: 4px solid #1f4fd8; background: #f3f6ff; border-radius: .4rem;
  padding: .7rem 1rem; margin: .3rem 0 .6rem; }
.short-title { font-weight: 650; font-size: .85rem; color: #1f4fd8; text-transform: uppercase; letter-spacing: .03em; }
.short-text { font-size: 1.05rem; font-weight: 500; margin: .25rem 0; overflow-wrap: anywhere; }
.short-source { color: #5f6b7a; font-size: .84rem; }
.conflict { border-left: 4px solid #f59f00; background: #fff8e6; border-radius: .4rem; padding: .7rem 1rem;
  margin: .3rem 0 .6rem; font-size: .93rem; }
.conflict-title { font-weight: 650; margin-bottom: .3rem; }
.conflict ul { margin: 0 0 0 1.1rem; padding: 0; }
.conflict .source { color: #5f6b7a; }
.conflict .old { color: #c92a2a; font-size: .8rem; }
.about { color: #5f6b7a; font-size: .88rem; }
.about li { margin: 0; }
table.scores { width: 100%; font-size: .85rem; border-collapse: collapse; }
table.scores td, table.scores th { padding: .15rem .3rem; border-bottom: 1px solid #eceff3; text-align: right; }
table.scores td:first-child, table.scores th:first-child { text-align: left; }
details.fold { margin-top: .5rem; }
details.fold > summary { cursor: pointer; color: #3d4450; font-size: .92rem; padding: .25rem 0; }
details.fold[open] > summary { margin-bottom: .35rem; }
.scores-area h3 { font-size: 1.1rem; font-weight: 600; margin: .6rem 0 .2rem; }
.scores-area .caption { color: #5f6b7a; font-size: .85rem; margin-bottom: .4rem; }
.scores-area details { border: 1px solid #e3e7ec; border-radius: .5rem; padding: .3rem .6rem; margin: .3rem 0; }
.scores-area summary { cursor: pointer; font-size: .9rem; overflow-wrap: anywhere; }
[data-testid="stElementContainer"]:has(> .stHtml > script:only-child) { display: none; }
@media (max-width: 640px) {
  .block-container { padding-top: 3.2rem; padding-left: .8rem; padding-right: .8rem; }
  h1.brand { font-size: 1.5rem; }
  .hit-text { font-size: .95rem; }
}
</style>
"""

# Puts the cursor in the search box when nothing else has the focus; a constant, no data goes in.
FOCUS_SCRIPT = """
<script>
(() => {
  let tries = 0;
  const focus = () => {
    const box = document.querySelector(".st-key-q input");
    if (!box) { if (tries++ < 40) setTimeout(focus, 50); return; }
    if (!document.activeElement || document.activeElement === document.body) box.focus({preventScroll: true});
  };
  focus();
})();
</script>
"""


@dataclass(frozen=True)
class Settings:
    """What the sidebar asks for."""

    k: int
    ranking: str
    documents: frozenset[str] | None
    audience: str | None

    @property
    def filtered(self) -> bool:
        return self.documents is not None or self.audience is not None


# --- configuration and the engine ----------------------------------------------------


def _option(argv: Sequence[str], name: str) -> str | None:
    # allow_abbrev=False: under pytest, sys.argv is pytest's, and `--co` must not read as `--corpus`.
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument(f"--{name}")
    known, _ = parser.parse_known_args(list(argv))
    return getattr(known, name)


def corpus_folder(argv: Sequence[str]) -> Path:
    """``--corpus DIR`` after ``--`` on the command line, else ``$SEARCH_CORPUS``, else the embedded corpus."""
    return Path(_option(argv, "corpus") or os.environ.get("SEARCH_CORPUS") or DEFAULT_CORPUS).resolve()


def index_folder(argv: Sequence[str]) -> Path | None:
    """``--index DIR`` or ``$SEARCH_INDEX``: serve a saved index folder read-only (no corpus, never built here)."""
    folder = _option(argv, "index") or os.environ.get("SEARCH_INDEX")
    return Path(folder).resolve() if folder else None


@st.cache_resource(show_spinner="Загружаю документы и индекс…")
def load_engine(corpus: str, index: str | None = None) -> EngineHolder:
    """One engine per corpus and process, following the index folder's new versions between queries.

    cache_resource lets only one session build it; from_directory also takes a file lock, so two
    processes starting at once build the index once.
    """
    if index is not None:
        # Under `python -m search serve` the parent opened it before forking this process: share it.
        return preopened(index) or EngineHolder.for_index(index, on_load=settle)
    return EngineHolder.for_corpus(corpus, on_load=settle)


def feedback_store() -> FeedbackStore:
    return FeedbackStore(os.environ.get("SEARCH_FEEDBACK_DB") or DEFAULT_FEEDBACK_DB)


# --- small helpers --------------------------------------------------------------------


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _md(text: str) -> str:
    """Text for a Streamlit label, which is read as Markdown: every markup character backslash-escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])", r"\\\1", text)


def _plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 фрагмент, 3 фрагмента, 5 фрагментов."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _lines(lines: tuple[int, int]) -> str:
    first, last = lines
    return f"строка {first}" if first == last else f"строки {first}–{last}"


def highlighted(text: str, marks: Sequence[tuple[int, int]], answer: tuple[int, int] = (0, 0)) -> str:
    """``text`` as HTML: cut at every span boundary, each piece escaped, then wrapped.

    Matched words go in ``<mark>``, the answer sentence in ``<span class="answer">``.
    Spans are only positions, so no markup can come from the text itself.

    >>> highlighted("Двойное <b>списание</b>", [(0, 7), (11, 19)])
    '<mark>Двойное</mark> &lt;b&gt;<mark>списание</mark>&lt;/b&gt;'
    """
    size = len(text)
    marks = [(max(0, s), min(size, e)) for s, e in marks if s < e]
    a_start, a_end = max(0, answer[0]), min(size, answer[1])
    cuts = sorted({0, size, a_start, a_end, *(p for span in marks for p in span)})
    pieces = []
    for start, end in zip(cuts, cuts[1:]):
        if start >= end:
            continue
        piece = _esc(text[start:end])
        if any(s <= start and end <= e for s, e in marks):
            piece = f"<mark>{piece}</mark>"
        if a_start < a_end and a_start <= start and end <= a_end:
            piece = f'<span class="answer">{piece}</span>'
        pieces.append(piece)
    return "".join(pieces)


def _vote_key(query: str, passage_id: str) -> str:
    return "vote-" + hashlib.sha1(f"{query}\x00{passage_id}".encode()).hexdigest()[:16]


def _set_query(text: str) -> None:
    st.session_state.q = text


def _search_exactly(query: str) -> None:
    st.session_state.exact = query


def _store_vote(store: FeedbackStore, key: str, query: str, passage_id: str, rank: int, retriever: str) -> None:
    choice = st.session_state.get(key)
    if choice is None:  # un-voting keeps the earlier row; the latest row per query and passage is the judgment
        return
    try:
        store.record(query, passage_id, 1 if choice == 1 else -1, retriever=retriever, rank=rank)
        st.session_state[f"{key}-error"] = None
    except FeedbackError as error:
        st.session_state[f"{key}-error"] = str(error)


# --- rendering ------------------------------------------------------------------------


def current_settings(engine: SearchEngine) -> Settings:
    """The sidebar's settings as its widgets hold them, read before the widgets are drawn.

    The page draws the results first and the sidebar after them: the sidebar's widgets load the heaviest
    parts of Streamlit's frontend, and drawn first they held back the first result (Chromium, ``?q=``:
    ~1.5 s → ~1.2 s). A widget's value in this run is its state, so this is what the widgets return.
    """
    state = st.session_state
    rankings = list(engine.rankings)
    ranking = state.get("ranking", rankings[0])
    audience = state.get("audience")
    documents = frozenset(d for d in state.get("documents") or () if d in engine.documents)
    return Settings(
        state.get("k", DEFAULT_K),
        ranking if ranking in rankings else rankings[0],
        documents or None,
        audience if audience in engine.audiences else None,
    )


def render_sidebar(engine: SearchEngine, place: Any) -> Settings:
    with place:
        st.header("Настройки поиска")
        k = st.slider("Сколько результатов показывать", 1, 20, DEFAULT_K, key="k")
        rankings = engine.rankings
        fused = ", ".join(rankings[name] for name in engine.fused)
        ranking = st.radio(
            "Ранжирование",
            list(rankings),
            format_func=rankings.__getitem__,
            key="ranking",
            help=(
                "Обученное (по умолчанию, если индекс его поддерживает) переставляет кандидатов всех методов"
                " логистической регрессией, обученной на реальных вопросах пользователей. Гибридное объединяет места"
                f" фрагментов у нескольких методов (reciprocal rank fusion): {fused}."
            ),
        )
        st.subheader("Фильтры")
        titles = {doc_id: document.title for doc_id, document in engine.documents.items()}
        chosen = st.multiselect(
            "Документы", list(titles), format_func=titles.__getitem__, key="documents", placeholder="Все документы"
        )
        audience = st.radio(
            "Для кого",
            [None, *engine.audiences],
            format_func=lambda a: "Для всех" if a is None else _md(a.capitalize()),
            key="audience",
        )
    return Settings(k, ranking, frozenset(chosen) or None, audience)


def render_header() -> None:
    """The page's style sheet and its title, one element: each element before the first result delays it."""
    st.html(
        CSS + '<h1 class="brand">Поиск по справке</h1>'
        '<p class="tagline">Задайте вопрос своими словами — найдём фрагменты статей, которые на него отвечают, '
        "с источником и номерами строк.</p>"
    )


def render_search_box() -> str:
    # bind="query-params" keeps the query in the URL (?q=…): a search can be shared and reloaded.
    query = st.text_input(
        "Вопрос",
        key="q",
        bind="query-params",
        type="search",
        placeholder="Например: не пришли деньги за заказ",
        label_visibility="collapsed",
    )
    return query or ""


def render_examples(engine: SearchEngine) -> None:
    if not EXAMPLES_CORPUS <= engine.documents.keys():
        return
    st.caption("Попробуйте спросить:")
    with st.container(horizontal=True, gap="small"):
        for number, example in enumerate(EXAMPLES):
            st.button(example, key=f"example-{number}", on_click=_set_query, args=(example,))


def render_empty_state(engine: SearchEngine) -> None:
    render_examples(engine)
    st.html(about_html(engine.fingerprint, engine))


@st.cache_data(max_entries=16, show_spinner=False)
def about_html(fingerprint: str, _engine: SearchEngine) -> str:
    """What is searched: depends on the corpus only, so built once per index version."""
    items = "".join(f"<li>{_esc(document.title)}</li>" for document in _engine.documents.values())
    count, passages = len(_engine.documents), len(_engine.passages)
    return (
        f'<div class="about">Ищем по {count} {_plural(count, "документу", "документам", "документам")} '
        f"({passages} {_plural(passages, 'фрагмент', 'фрагмента', 'фрагментов')}):"
        f"<ul>{items}</ul></div>"
    )


# --- a query's results, rendered once per (index version, query, settings) ---------------------


def status_html(results: SearchResults, rankings: dict[str, str]) -> str:
    n = len(results)
    found = f"{n} {_plural(n, 'фрагмент', 'фрагмента', 'фрагментов')}"
    if not results.answered:
        found = f"{n} {_plural(n, 'похожий фрагмент', 'похожих фрагмента', 'похожих фрагментов')}" if n else "ничего"
    ranking = rankings.get(results.retriever, results.retriever).lower()
    return f'<div class="status">{_esc(found)} · {results.elapsed_ms:.0f} мс · ранжирование: {_esc(ranking)}</div>'


def conflicts_html(results: SearchResults) -> list[str]:
    """Sources that disagree on a fact the question asks about: every value with its source, none chosen."""
    blocks = []
    for conflict in results.conflicts:
        rows = []
        for value in conflict.values:
            old = ' <span class="old">устарело</span>' if value.outdated else ""
            rows.append(
                f'<li><b>{_esc(value.value)}</b>{old} — <span class="source">{_esc(value.citation)}</span></li>'
            )
        blocks.append(
            f'<div class="conflict"><div class="conflict-title">Источники расходятся: {_esc(conflict.label)}</div>'
            f"<ul>{''.join(rows)}</ul></div>"
        )
    return blocks


def _heading(hit: Hit) -> str:
    return hit.passage.section[-1] if hit.passage.section else hit.title


def hit_html(hit: Hit, answered: bool = True) -> str:
    heading = _heading(hit)
    badges = "".join(f'<span class="badge">{_esc(a)}</span>' for a in hit.audience)
    badges = f'<span class="badges">{badges}</span>' if badges else ""
    where = f" › {_esc(hit.section)}" if hit.section else ""
    return (
        f'<div class="hit" data-passage="{_esc(hit.passage_id)}">'
        f'<div class="hit-head"><span class="hit-rank">{hit.rank}</span>'
        f'<span class="hit-heading">{_esc(heading)}</span>{badges}</div>'
        f'<div class="hit-source"><span class="doc">{_esc(hit.title)}</span>{where}, {_lines(hit.lines)}</div>'
        f'<div class="hit-text">{highlighted(hit.text, hit.highlights, hit.answer_span if answered else (0, 0))}</div>'
        "</div>"
    )


def section_html(engine: SearchEngine, hit: Hit) -> str:
    """The whole section, the passage itself tinted so the eye finds it again."""
    before, passage, after = engine.section_parts(hit)
    before, after = before.lstrip(), after.rstrip()
    rest = (before + after).splitlines()
    if all(not line.strip() or line.strip() in hit.passage.section for line in rest):
        return f'<div class="section-text">{_esc(before + passage + after)}</div>'  # the passage is the section
    return f'<div class="section-text">{_esc(before)}<span class="passage">{_esc(passage)}</span>{_esc(after)}</div>'


def short_answer_html(results: SearchResults) -> str:
    """The best answer sentence, above the list, with where it comes from."""
    top = results.short_answer
    if top is None:
        return ""
    return (
        f'<div class="short-answer"><div class="short-title">Краткий ответ</div>'
        f'<div class="short-text">{_esc(" ".join(top.answer.split()))}</div>'
        f'<div class="short-source">{_esc(top.citation)}</div></div>'
    )


def closest_html(results: SearchResults) -> str:
    """Not answered, but some passages share words with the query: say so in one line, then show them."""
    missing = results.query.missing
    about = f" — в них нет ничего про «{_esc('», «'.join(missing))}»" if missing else ""
    return (
        f'<div class="closest">Точного ответа на «<b>{_esc(results.query.original)}</b>» в документах нет{about}. '
        "Ниже — самые близкие фрагменты; если они не помогли, попробуйте сформулировать вопрос иначе.</div>"
    )


def nothing_found_html(results: SearchResults, filtered: bool) -> str:
    title = f"По запросу «{_esc(results.query.original)}» ничего не нашлось"
    tips = [
        "Проверьте, нет ли опечаток, и включена ли русская раскладка.",
        "Опишите проблему короче и проще: «вернуть товар», «двойное списание», «телефон поддержки».",
    ]
    if filtered:
        tips.insert(0, "Снимите фильтры по документам и аудитории в боковой панели.")
    items = "".join(f"<li>{_esc(tip)}</li>" for tip in tips)
    return f'<div class="empty"><div class="empty-title">{title}</div><ul>{items}</ul></div>'


def scores_html(hit: Hit) -> str:
    """One hit's rank and raw score per retriever, for people who tune relevance."""
    rows = "".join(
        f"<tr><td>{_esc(name)}</td><td>{score.rank}</td><td>{score.score:.4f}</td></tr>"
        for name, score in hit.retrievers.items()
    )
    terms = ", ".join(hit.matched_terms) or "—"
    return (
        f'<table class="scores"><tr><th>метод</th><th>место</th><th>оценка</th></tr>{rows}'
        f"<tr><td><b>итог</b></td><td>{hit.rank}</td><td>{hit.score:.4f}</td></tr></table>"
        f'<div class="about">{_esc(hit.passage_id)} · совпали: {_esc(terms)}</div>'
    )


@st.cache_data(max_entries=1024, show_spinner=False)  # ~10–30 kB each: at most a few tens of MB
def rendered_results(
    fingerprint: str,
    query: str,
    k: int,
    ranking: str,
    documents: tuple[str, ...] | None,
    audience: str | None,
    exact: bool,
    _engine: SearchEngine,
) -> dict[str, Any]:
    """A query's results as the page draws them: HTML strings and the little the widgets need.

    Keyed on the index's fingerprint, so a new index version never shows an old answer. Plain
    strings, numbers and lists only: nothing of the engine's is kept or copied per hit.
    """
    results = _engine.search(query, k=k, retriever=ranking, documents=documents, audience=audience, rewrite=not exact)
    notes = results.query
    return {
        "answered": results.answered,
        "count": len(results),
        "retriever": results.retriever,
        "changed": notes.changed,
        "original": notes.original,
        "rewritten": notes.rewritten,
        "truncated": notes.truncated,
        "status": status_html(results, _engine.rankings),
        "short": short_answer_html(results) if results.answered else "",
        "conflicts": conflicts_html(results) if results.answered else [],
        "closest": closest_html(results) if not results.answered and len(results) else "",
        "nothing": nothing_found_html(results, documents is not None or audience is not None) if not results else "",
        "coverage": (
            f"Покрытие запроса лучшими фрагментами: {results.coverage:.0%} · "
            f"уверенность, что ответ есть: {results.confidence:.0%} "
            f"(ответ — от {_engine.pipeline.stage('decide').model.threshold:.0%}) · "  # type: ignore[attr-defined]
            f"ответ {'найден' if results.answered else 'не найден'}"
        ),
        "hits": [
            {
                "passage_id": hit.passage_id,
                "rank": hit.rank,
                "card": hit_html(hit, results.answered),
                "section": section_html(_engine, hit),
                "label": f"№ {hit.rank} — {_heading(hit)[:60]}",
                "scores": scores_html(hit),
            }
            for hit in results
        ],
    }


# --- rendering a query's results ------------------------------------------------------------


def render_query_notes(view: dict[str, Any], exact: bool, limit: int) -> None:
    """What the engine did to the query: corrections ("did you mean"), a cut, an exact search."""
    if view["changed"] and not exact:
        st.html(f'<div class="note">Показаны результаты по запросу «<b>{_esc(view["rewritten"])}</b>».</div>')
        st.button(
            "Искать точно как написано",
            key="exact-button",
            type="tertiary",
            on_click=_search_exactly,
            args=(view["original"],),
        )
    elif exact:
        st.caption("Искали точно как написано, без исправлений и синонимов.")
    if view["truncated"]:
        st.caption(f"Запрос длиннее {limit} символов: искали по первым {limit}.")


def fold_html(summary: str, body: str, css: str = "fold") -> str:
    """A native ``<details>``: one element where ``st.expander`` and its content were two (fewer per rerun)."""
    return f'<details class="{css}"><summary>{_esc(summary)}</summary>{body}</details>'


def render_hit(hit: dict[str, Any], query: str, retriever: str, store: FeedbackStore) -> None:
    """One result: its card with the whole section folded under it, and 👍 / 👎 — three elements."""
    with st.container(border=True, key=f"hit-{hit['rank']}"):
        st.html(hit["card"] + fold_html("Весь раздел", hit["section"]))
        key = _vote_key(query, hit["passage_id"])
        st.feedback(
            "thumbs",
            key=key,
            on_change=_store_vote,
            args=(store, key, query, hit["passage_id"], hit["rank"], retriever),
        )
        error = st.session_state.get(f"{key}-error")
        if error:
            st.warning(error, icon="⚠️")
        elif st.session_state.get(key) is not None:
            st.caption("Спасибо, оценка сохранена.")


def scores_area_html(view: dict[str, Any]) -> str:
    """Per hit, each retriever's rank and raw score: the sidebar's «Разбор оценок», as one element."""
    folds = "".join(fold_html(hit["label"], hit["scores"], "score") for hit in view["hits"])
    caption = f'<div class="caption">{_esc(view["coverage"])}</div>'
    return f'<div class="scores-area"><h3>Разбор оценок</h3>{caption}{folds}</div>'


@st.fragment
def results_area(holder: EngineHolder, settings: Settings) -> None:
    """The search box and everything a query shows: typing a query reruns this fragment only.

    The sidebar's settings come from the last full run (changing one reruns the whole page).
    """
    engine = holder.get()  # between queries: the index folder's newest version
    # Written on every run, full or not, so the fragment's part of the sidebar keeps its place.
    scores = st.sidebar.container()
    query = render_search_box().strip()
    if not query:
        render_empty_state(engine)
        return
    exact = st.session_state.get("exact") == query
    documents = tuple(sorted(settings.documents)) if settings.documents is not None else None
    view = rendered_results(
        engine.fingerprint, query, settings.k, settings.ranking, documents, settings.audience, exact, engine
    )
    render_query_notes(view, exact, engine.config.max_query_chars)
    # The status line, the «Краткий ответ» (answered) or the "closest passages" note (not), and the conflicts:
    # one element, so a `?q=` load's browser has fewer messages to handle before the first result.
    if view["nothing"]:
        st.html(view["status"] + view["nothing"])
        render_examples(engine)
        return
    st.html(view["status"] + (view["short"] or view["closest"]) + "".join(view["conflicts"]))
    store = feedback_store()
    for hit in view["hits"]:
        render_hit(hit, query, view["retriever"], store)
    scores.html(scores_area_html(view))


def main() -> None:
    st.set_page_config(page_title="Поиск по справке", page_icon="🔎", layout="centered")
    corpus, index = corpus_folder(sys.argv[1:]), index_folder(sys.argv[1:])
    try:
        holder = load_engine(str(corpus), str(index) if index is not None else None)
    except (OSError, ValueError) as error:  # a missing folder, an empty corpus, an unreadable manifest or index
        st.html(CSS)
        st.error(f"Не удалось открыть документы в {index or corpus}: {error}")
        st.stop()
    engine = holder.get()
    settings = current_settings(engine)
    place = st.sidebar.container()  # the settings stay above the fragment's score breakdown
    render_header()
    results_area(holder, settings)
    render_sidebar(engine, place)
    st.html(FOCUS_SCRIPT, unsafe_allow_javascript=True)


if __name__ == "__main__":  # `streamlit run` and AppTest run the script as __main__; tests import its helpers
    main()
