"""The query side as named stages, any set of retrievers, and the one registry every list of choices reads."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from search import RETRIEVERS, Document, SearchEngine
from search.cli import parser
from search.corpus import read_corpus
from search.retrievers import registry_table

PROJECT = Path(__file__).resolve().parent.parent
AVAILABLE = [name for name, cls in RETRIEVERS.items() if cls.available()]


@pytest.fixture(scope="module")
def documents():
    """Two of the corpus's documents: enough for every retriever, small enough to build 127 times."""
    return [d for d in read_corpus(PROJECT / "corpus") if d.id in {"buyers-support", "seller-request"}]


def test_the_stages_run_in_one_named_order(engine: SearchEngine) -> None:
    stages = ["understand", "retrieve", "fuse", "rerank", "decide", "annotate"]
    assert [stage.name for stage in engine.pipeline.stages] == stages
    assert engine.steps == ("layout", "transliteration", "spelling", "synonyms")
    assert repr(engine.pipeline).startswith("Pipeline(understand ─► retrieve ─► fuse ─► rerank ─► decide ─► annotate")


def test_corrections_name_steps_of_the_pipeline(engine: SearchEngine) -> None:
    results = engine.search("cnfnec pfrfpf")  # «статус заказа» typed in the Latin layout
    assert results.query.rewritten == "статус заказа"
    assert {c.step for c in results.query.corrections} <= set(engine.steps)
    assert [c.step for c in results.query.corrections][:2] == ["layout", "layout"]


@pytest.mark.parametrize(
    "subset",
    [subset for size in range(1, len(AVAILABLE) + 1) for subset in itertools.combinations(AVAILABLE, size)],
    ids="+".join,
)
def test_any_set_of_retrievers_builds_and_searches(documents, subset: tuple[str, ...]) -> None:
    engine = SearchEngine.build(documents, retrievers=subset, progress=False)
    assert list(engine.retrievers) == list(subset)
    learned = ["learned"] if engine.pipeline.learned else []
    assert list(engine.rankings) == [*learned, "hybrid", *subset]  # the default first
    assert engine.default_ranking == (learned or ["hybrid"])[0]
    assert engine.pipeline.learned == (
        {"bm25", "tfidf", "chars", "headings", "question_bm25", "question_chars"} <= set(subset)
    )
    for ranking in engine.rankings:
        results = engine.search("как вернуть товар", k=5, retriever=ranking)
        assert 0 < len(results) <= 5, ranking
        assert [hit.rank for hit in results] == list(range(1, len(results) + 1))
        assert all(set(hit.retrievers) <= set(subset) for hit in results)
        assert results.query.terms == ("вернуть", "товар")  # the lexicon, not BM25, knows the words
    hybrid = engine.search("как вернуть товар", k=5)
    assert hybrid.answered and set(engine.fused) <= set(subset)
    assert 0.0 < hybrid.confidence <= 1.0


def test_ranking_stages_alone_give_each_retrievers_own_top(engine: SearchEngine) -> None:
    pipeline = engine.pipeline
    request = pipeline.request("горячая линия для селлеров", k=10, retriever="bm25")
    search = pipeline.rank(replace(request, retrievers=tuple(engine.retrievers)), until="retrieve")
    for name in engine.retrievers:
        shown = [hit.passage_id for hit in engine.search("горячая линия для селлеров", k=10, retriever=name)]
        indices, scores = search.ranked[name]
        assert [engine.passages[i].id for i in indices] == shown
        assert np.all(np.diff(scores) <= 0)


def test_cli_choices_are_the_registry() -> None:
    commands = next(a for a in parser()._actions if a.dest == "command").choices
    for command in ("query", "eval"):
        retriever = next(a for a in commands[command]._actions if a.dest == "retriever")
        assert list(retriever.choices) == ["hybrid", "learned", *RETRIEVERS]
    rewrite = next(a for a in commands["query"]._actions if a.dest == "rewrite")
    assert list(rewrite.choices) == ["layout", "transliteration", "spelling", "synonyms"]


def test_page_ranking_options_are_the_engines(monkeypatch: pytest.MonkeyPatch, corpus_copy: Path, tmp_path) -> None:
    monkeypatch.setenv("SEARCH_CORPUS", str(corpus_copy))
    monkeypatch.setenv("SEARCH_FEEDBACK_DB", str(tmp_path / "feedback.sqlite3"))
    app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60).run()
    engine = SearchEngine.from_directory(corpus_copy)
    assert list(app.radio(key="ranking").options) == list(engine.rankings.values())
    assert list(engine.rankings) == ["learned", "hybrid", *(name for name in RETRIEVERS if RETRIEVERS[name].default)]
    assert app.radio(key="ranking").value == "learned"  # the default ranking, chosen first


def test_readme_lists_the_registry() -> None:
    assert registry_table() in (PROJECT / "README.md").read_text(encoding="utf-8")


def test_plain_paragraphs_without_headings_or_questions_build_every_retriever(tmp_path: Path) -> None:
    texts = [
        "Москва — столица России. В Москве живёт более двенадцати миллионов человек.",
        "Байкал — самое глубокое озеро планеты, его глубина 1642 метра.",
        "Волга впадает в Каспийское море.",
        "Нева вытекает из Ладожского озера и впадает в Балтийское море.",
    ]
    documents = [Document(f"p{n}", f"p{n}", f"p{n}.txt", text) for n, text in enumerate(texts)]
    engine = SearchEngine.build(documents, progress=False)
    assert {"question_bm25", "question_chars"} <= set(engine.retrievers)  # built, empty: no passage has the field
    for ranking in engine.rankings:
        hits = engine.search("самое глубокое озеро", retriever=ranking)
        assert not hits or hits[0].doc_id == "p1", ranking
    assert engine.search("самое глубокое озеро", retriever="learned")[0].doc_id == "p1"
    engine.save(tmp_path / "index")
    again = SearchEngine.load(tmp_path / "index")
    assert [h.passage_id for h in again.search("озеро", retriever="learned")] == [
        h.passage_id for h in engine.search("озеро", retriever="learned")
    ]


@pytest.mark.parametrize("query", ["Как подрубить стримчанский?", "абырвалг", "вкусный борщ"])
def test_a_query_with_words_never_comes_back_empty_but_is_a_guess(engine: SearchEngine, query: str) -> None:
    results = engine.search(query, k=3)
    assert len(results) == 3 and not results.answered and not results.conflicts
    assert engine.search("и в на", k=3).query.terms == () and len(engine.search("и в на", k=3)) == 0


def test_per_passage_reading_is_kept_for_recent_hits_only(
    engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from search import pipeline as module

    ahead = SearchEngine(engine.index)  # its own pipeline, which read the small index's passages ahead
    assert len(next(stage for stage in ahead.pipeline.stages if stage.name == "annotate").readings) == len(
        engine.index.passages
    )
    monkeypatch.setattr(module, "READ_AHEAD", len(engine.index.passages) - 1)  # as a larger index opens
    fresh = SearchEngine(engine.index)
    kept = next(stage for stage in fresh.pipeline.stages if stage.name == "annotate").readings
    assert len(kept) == 0  # nothing read yet
    kept.size = 3
    shown = []
    for query in ("как вернуть товар", "двойное списание", "горячая линия для продавцов", "чат поддержки"):
        results = fresh.search(query, k=5)
        shown.append([(hit.passage_id, hit.answer_span) for hit in results])
        assert len(kept) <= 3
    assert len({pid for hits in shown for pid, _ in hits}) > 3 and len(kept) == 3
    # The same answers, answer sentences included, once the passages were dropped and read again.
    assert [(hit.passage_id, hit.answer_span) for hit in fresh.search("как вернуть товар", k=5)] == shown[0]
    assert shown[0] == [(hit.passage_id, hit.answer_span) for hit in engine.search("как вернуть товар", k=5)]


def test_a_small_index_is_read_ahead_and_answers_as_one_read_when_shown(
    engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Annotate.read_ahead``: a small index's passages are read when the pipeline opens; the answers (spans,
    highlights, conflicts, confidence) are those of a pipeline that reads each passage when it first shows it."""
    from search import pipeline as module

    ahead = SearchEngine(engine.index)
    assert len(ahead.pipeline.stage("annotate").readings) == len(engine.index.passages)  # type: ignore[attr-defined]
    monkeypatch.setattr(module, "READ_AHEAD", len(engine.index.passages) - 1)  # as a larger index opens
    shown = SearchEngine(engine.index)
    assert len(shown.pipeline.stage("annotate").readings) == 0  # type: ignore[attr-defined]
    for query in ("как вернуть товар", "телефон горячей линии для продавцов", "rfr jajhvbnm pfrfp", "чат"):
        for ranking in ("hybrid", engine.pipeline.default_ranking):
            first, second = (e.search(query, retriever=ranking).to_json() for e in (shown, ahead))
            first.pop("elapsed_ms"), second.pop("elapsed_ms")
            assert first == second


def test_a_stage_changes_the_search_as_dataclasses_replace_would(engine: SearchEngine) -> None:
    """Each stage hands on ``search.but(...)``: the same search ``replace`` makes, nothing else accepted."""
    from search.pipeline import Search

    search = engine.pipeline.rank(engine.pipeline.request("как вернуть товар", 10))
    changed = search.but(coverage=0.25, missing=("ипотека",))
    assert changed == replace(search, coverage=0.25, missing=("ипотека",)) and changed is not search
    assert (search.coverage, search.missing) != (0.25, ("ипотека",))  # the search handed in is left as it was
    assert isinstance(changed, Search) and changed.order is search.order
    with pytest.raises(TypeError, match=r"no fields \['covrage'\]"):
        search.but(covrage=0.25, coverage=0.5)


def test_a_search_begins_as_its_dataclass_would(engine: SearchEngine) -> None:
    """``Search.begin`` skips the frozen ``__init__``: the same fields, each default factory's value made anew."""
    from dataclasses import fields

    from search.pipeline import Search

    request = engine.pipeline.request("как вернуть товар", 10)
    began, made = Search.begin(request, 1.5), Search(request, 1.5)
    assert type(began) is Search and list(vars(began)) == [f.name for f in fields(Search)]
    for name in vars(made):
        mine, theirs = getattr(began, name), getattr(made, name)
        assert type(mine) is type(theirs), name
        assert (mine.tolist() == theirs.tolist()) if isinstance(mine, np.ndarray) else mine == theirs, name
    assert began.ranked is not Search.begin(request, 1.5).ranked  # a fresh mapping each time, never shared


def test_each_hits_ranks_are_its_places_in_every_ranking(engine: SearchEngine) -> None:
    """The annotate stage finds each hit in each retriever's ranking by ``list.index`` and makes its score with
    ``retriever_score``: the same ranks, scores and objects a walk over every ranking makes."""
    from dataclasses import FrozenInstanceError

    from search.results import Hit, RetrieverScore, make_hit, retriever_score

    made = retriever_score(3, 0.25)
    assert made == RetrieverScore(3, 0.25) and hash(made) == hash(RetrieverScore(3, 0.25))
    assert repr(made) == "RetrieverScore(rank=3, score=0.25)" and type(made) is RetrieverScore
    with pytest.raises(FrozenInstanceError):
        made.rank = 4  # type: ignore[misc]
    fields = (engine.index.passages[0], 0.5, 2, {"bm25": made}, ((0, 4),), ("товар",), (0, 9))
    shown = make_hit(*fields)  # ``Hit(...)`` without the frozen ``__init__``
    assert shown == Hit(*fields) and repr(shown) == repr(Hit(*fields)) and type(shown) is Hit
    with pytest.raises(FrozenInstanceError):
        shown.rank = 1  # type: ignore[misc]
    for query in ("как вернуть товар", "сколько стоит доставка в пункт выдачи", "rfr jajhvbnm pfrfp"):
        for ranking in ("hybrid", engine.pipeline.default_ranking):
            request = engine.pipeline.request(query, 10, retriever=ranking)
            search = engine.pipeline.rank(request, until="annotate")
            walked: dict[str, dict[str, RetrieverScore]] = {hit.passage_id: {} for hit in search.hits}
            for name, (indices, values) in search.ranked.items():
                for rank, (index, value) in enumerate(zip(indices.tolist(), values.tolist()), 1):
                    passage_id = engine.index.passages[index].id
                    if passage_id in walked:
                        walked[passage_id][name] = RetrieverScore(rank, value)
            assert search.hits and all(hit.retrievers == walked[hit.passage_id] for hit in search.hits)
            assert all(list(hit.retrievers) == list(walked[hit.passage_id]) for hit in search.hits)


def test_one_reading_of_a_question_is_ranked_once_however_it_was_typed(
    engine: SearchEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typed right, in the wrong layout and transliterated, «как вернуть товар» is one reading: the ranking stages
    run for the first alone (and each shown passage's answer sentence is found once), and each search answers
    exactly as a fresh engine answers it (the corrections its own)."""
    from search.pipeline import Retrieve

    typings = ["как вернуть товар", "rfr dthyenm njdfh", "kak vernut tovar"]
    fresh = SearchEngine.from_directory(PROJECT / "corpus", index_dir=tmp_path / "index")
    alone = [fresh.search(query) for query in typings]
    engine.pipeline.forget()
    calls = []
    retrieve = Retrieve.__call__
    monkeypatch.setattr(Retrieve, "__call__", lambda stage, search: calls.append(search) or retrieve(stage, search))
    found = [engine.search(query) for query in typings]
    assert len(calls) == 1
    assert [r.query.rewritten for r in found] == ["как вернуть товар"] * 3
    steps = [{c.step for c in r.query.corrections} - {"synonyms"} for r in found]
    assert steps == [set(), {"layout"}, {"transliteration"}]
    for results, expected in zip(found, alone):
        assert [(h.passage.id, h.score, h.highlights, h.answer_span) for h in results] == [
            (h.passage.id, h.score, h.highlights, h.answer_span) for h in expected
        ]
        assert results.short_answer == expected.short_answer
        assert (results.answered, results.confidence, results.query) == (
            expected.answered,
            expected.confidence,
            expected.query,
        )
    # another ranking, another filter, another k of the same reading: each its own
    engine.search("как вернуть товар", retriever="bm25")
    sellers = engine.search("как вернуть товар", audience=engine.audiences[-1])
    assert len(calls) == 3
    assert {h.passage.id for h in sellers} != {h.passage.id for h in found[0]}
    assert len(engine.search("как вернуть товар", k=3)) == 3 and len(calls) == 3


def test_a_kept_ranking_is_read_only(engine: SearchEngine) -> None:
    """Every search of one reading shares its ranking: no stage can change it under another's feet."""
    from search.pipeline import Search

    engine.pipeline.forget()
    request = engine.pipeline.request("пункт выдачи не работает")
    search = engine.pipeline._ranked(engine.pipeline.stage("understand")(Search.begin(request, 0.0)))
    with pytest.raises(ValueError, match="read-only"):
        search.order[0] = 0
    indices, scores = next(iter(search.ranked.values()))
    assert not indices.flags.writeable and not scores.flags.writeable
