"""The decision: a calibrated confidence that the documents answer, and the model's own threshold on it.

``results.answered`` is the model's decision, ``confidence ≥ threshold`` (a guess is never an answer).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from search import SearchEngine
from search.corpus import Document, read_corpus
from search.decision import (
    FEATURES,
    GROUPS,
    MODEL_FILE,
    ConfidenceModel,
    ModelError,
    decision_features,
    expand,
    masked,
    present_groups,
)
from search.evaluation import load_judgments, resolve_judgments
from search.noise import retype

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"


def says(results) -> bool:  # type: ignore[no-untyped-def]
    """What the search says: the shipped model's decision (see the test of the threshold below)."""
    return bool(results.answered)


@pytest.fixture(scope="module")
def model() -> ConfidenceModel:
    return ConfidenceModel.default()


def _without_answers(engine: SearchEngine, query: str) -> SearchEngine:
    """The embedded corpus rebuilt without the sections that hold the query's judged answers."""
    judgments = [j for j in load_judgments(CORPUS / "queries") if j.query == query]
    relevant = resolve_judgments(judgments, engine.passages)[query]
    spans: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for passage_id in relevant:
        passage = engine.passage(passage_id)
        spans[passage.doc_id].add(passage.section_span)
    documents = []
    for document in read_corpus(CORPUS):
        text = document.text
        for start, end in sorted(spans.get(document.id, ()), reverse=True):
            text = text[:start] + text[end:]
        documents.append(Document(document.id, document.title, document.path, text, document.audience))
    synonyms = (CORPUS / "synonyms.txt").read_text(encoding="utf-8")
    return SearchEngine.build(documents, synonyms=synonyms, progress=False)


# Judged questions whose answer lives in one section; without it nothing in the corpus answers them. (Many
# others stay answered: the four articles repeat themselves — returns, payments and hotlines come up in
# several sections — which is why the held-out "flagged" rate of these leave-one-section-out twins is low.)
LEFT_OUT = [
    "как войти в Ozon ID?",
    "куда сообщить о мошенничестве?",
    pytest.param(
        "как заказать карту Ozon?",
        marks=pytest.mark.xfail(
            strict=True,
            reason="a known miss of the model that decides since issue 14 part 1: 0.38 against a threshold of "
            "0.23 once its section is gone (the «Ozon Карта» is named in several other sections)",
        ),
    ),
]


@pytest.mark.parametrize("query", LEFT_OUT)
def test_a_question_whose_answer_was_removed_is_flagged(engine: SearchEngine, query: str) -> None:
    assert says(engine.search(query))
    without = _without_answers(engine, query).search(query)
    assert not says(without), f"confidence {without.confidence:.3f} after removing the answer"
    assert without.confidence < engine.search(query).confidence


RETYPED = [
    ("как вернуть товар который не подошел", "layout"),
    ("как вернуть товар который не подошел", "typo1"),
    ("как вернуть товар который не подошел", "translit_informal"),
    ("работает ли горячая линия для продавцов?", "typo2"),
    ("работает ли горячая линия для продавцов?", "translit_passport"),
    ("как войти в Ozon ID?", "layout"),
    ("как войти в Ozon ID?", "translit_gost"),
]


@pytest.mark.parametrize(("query", "kind"), RETYPED)
def test_retyped_answerable_questions_are_not_flagged(engine: SearchEngine, query: str, kind: str) -> None:
    typed = retype(query, kind, 7)
    assert typed != query
    results = engine.search(typed)
    assert says(results), f"{typed!r}: confidence {results.confidence:.3f}"


@pytest.mark.parametrize(
    ("clean", "unknown", "flagged"),
    [
        ("статус заказа", "статус ипотеки", True),
        ("как связаться с продавцом", "как связаться с астрологом", True),
        ("двойное списание", "двойное бронирование", True),
        # Lower, but not below the threshold: one unknown noun beside two matched words weighs little on
        # XQuAD and RUTUBE, where questions often hold a word their answer never uses.
        pytest.param(
            "как вернуть товар",
            "как вернуть квадрокоптер",
            False,
            marks=pytest.mark.xfail(
                strict=True,
                reason="a known miss of the model that decides since issue 14 part 1: it flags the question "
                "(0.05), though the return procedure answers it for any product",
            ),
        ),
        ("двойное списание денег", "двойное списание бронепоезда", False),
    ],
)
def test_an_unknown_topic_word_lowers_the_confidence(
    engine: SearchEngine, clean: str, unknown: str, flagged: bool
) -> None:
    known, other = engine.search(clean), engine.search(unknown)
    assert 0.0 <= other.confidence < known.confidence <= 1.0
    assert says(known) and says(other) != flagged


@pytest.mark.parametrize(
    "query", ["", "и в на", "как вернуть товар", "абырвалг", "8 800 234-70-00", "ozon", "x" * 2000, "🙂"]
)
def test_confidence_is_a_probability_for_every_ranking(
    engine: SearchEngine, model: ConfidenceModel, query: str
) -> None:
    for retriever in engine.rankings:
        results = engine.search(query, retriever=retriever)
        assert 0.0 <= results.confidence <= 1.0
        assert results.to_json()["confidence"] == round(results.confidence, 4)
    if not engine.search(query).query.terms:
        assert engine.search(query).confidence == 0.0


def test_one_retriever_alone_is_decided_on_the_features_it_has(engine: SearchEngine) -> None:
    """The fused features and the other retrievers' take the training means: a sensible answer either way."""
    for retriever in ("bm25", "tfidf", "chars"):
        assert says(engine.search("как вернуть товар", retriever=retriever))
        assert not says(engine.search("как оформить ипотеку", retriever=retriever))


def test_features_are_the_models_and_nothing_found_has_none(engine: SearchEngine) -> None:
    decide = engine.pipeline.stage("decide")
    search = engine.pipeline.rank(engine.pipeline.request("как вернуть товар"), until="fuse")
    _, _, features = decide.evidence(search)  # type: ignore[attr-defined]
    assert features is not None and features.shape == (len(FEATURES),)
    # A query without names (capitalised words past its first) leaves the name features to the model's means.
    names = [FEATURES.index(name) for name in FEATURES if name.endswith(("names_top1", "names_top3"))]
    assert np.isnan(features[names]).all()
    assert np.isfinite(np.delete(features, names)).all()
    empty = np.empty(0, dtype=np.int64)
    assert decision_features(("товар",), (), (), engine.lexicon, {}, empty, np.empty(0), 1.0) is None


@pytest.mark.parametrize(
    "query",
    ["как вернуть товар", "телефон поддержки озон", "как оформить ипотеку", "статус ипотеки", "вкусный борщ", "ozon"],
)
def test_answered_is_the_confidence_over_the_models_threshold(
    engine: SearchEngine, model: ConfidenceModel, query: str
) -> None:
    results = engine.search(query)
    guess = engine.pipeline.rank(engine.pipeline.request(query), until="fuse").guess
    assert results.answered == (results.confidence >= model.threshold and not guess)


def test_a_name_the_best_passages_do_not_hold_is_read_from_the_query(engine: SearchEngine) -> None:
    """«Ozon» past the first word is a name; the best passages for a question about it hold it, and a name the
    corpus never uses is held by none of them (and is no known name)."""
    decide = engine.pipeline.stage("decide")

    def features(query: str) -> dict[str, float]:
        search = engine.pipeline.rank(engine.pipeline.request(query), until="fuse")
        _, _, x = decide.evidence(search)  # type: ignore[attr-defined]
        assert x is not None
        return dict(zip(FEATURES, x.tolist()))

    held = features("как войти в Ozon ID")
    assert held["names_top3"] == 1.0 and held["known_names_top3"] == 1.0
    foreign = features("как вернуть товар в Леруа Мерлен")
    assert foreign["names_top3"] == 0.0 and np.isnan(foreign["known_names_top3"])
    assert foreign["coverage_gap"] == pytest.approx(foreign["coverage_top1"] - foreign["coverage_top2"])


def test_the_query_in_one_sentence_counts_more_than_its_words_scattered(analyzer) -> None:  # type: ignore[no-untyped-def]
    from search.answers import passage_units, sentence_spans
    from search.decision import sentence_coverage

    text = "Вернуть товар можно в течение 7 дней. Деньги придут на карту за три дня."
    units = passage_units(sentence_spans(text), analyzer.tokens(text))
    together = {"вернуть": 0.5, "товар": 0.5}
    scattered = {"вернуть": 0.5, "карта": 0.5}
    forms = {term: {term} for term in ("вернуть", "товар", "карта")}
    assert sentence_coverage(units, together, forms) == pytest.approx(1.0)
    assert sentence_coverage(units, scattered, forms) == pytest.approx(0.5)
    # Another form of a word counts (the first five letters): «товары», «карты».
    assert sentence_coverage(
        passage_units(sentence_spans("Товары и карты."), analyzer.tokens("Товары и карты.")),
        {"товар": 0.5, "карта": 0.5},
        {"товар": {"товар"}, "карта": {"карта"}},
    ) == pytest.approx(1.0)


def test_sentence_features_are_those_of_reading_every_sentence(engine: SearchEngine) -> None:
    """The units' term index gives the sums and word pairs that testing every sentence for every word gives."""
    from search.answers import passage_units, sentence_spans
    from search.decision import _near_pairs, sentence_coverage

    def holds(unit, forms: set[str]) -> bool:  # type: ignore[no-untyped-def]
        return bool(forms & unit.terms) or any(len(t) >= 5 and t[:5] in unit.stems for t in forms)

    def positions(unit, forms: set[str]) -> list[int]:  # type: ignore[no-untyped-def]
        stems = {t[:5] for t in forms if len(t) >= 5}
        return [i for i, tok in enumerate(unit.tokens) if tok.term in forms or tok.term[:5] in stems]

    for judgment in load_judgments(CORPUS / "queries")[:60]:
        terms = engine.analyzer.terms(judgment.query)
        if not terms:
            continue
        weights = {term: 1.0 / (i + 1.5) for i, term in enumerate(dict.fromkeys(terms))}
        forms = {term: {term, term[:-1]} for term in terms}
        for passage in engine.search(judgment.query, k=3):
            units = passage_units(sentence_spans(passage.text), engine.analyzer.tokens(passage.text))
            expected = max([0.0, *(sum(w for t, w in weights.items() if holds(u, forms[t])) for u in units)])
            assert sentence_coverage(list(units), weights, forms) == expected
            sequence = [t for i, t in enumerate(terms) if i == 0 or t != terms[i - 1]]
            pairs = list(zip(sequence, sequence[1:]))
            near = [
                any(
                    (a := positions(u, forms[x]))
                    and (b := positions(u, forms[y]))
                    and min(abs(i - j) for i in a for j in b) <= 3
                    for u in units
                )
                for x, y in pairs
            ]
            found = _near_pairs(terms, units, forms)
            assert found == (sum(near) / len(pairs)) if pairs else np.isnan(found)


# --- the stored model ---------------------------------------------------------------------------------------


def test_the_shipped_model_is_read_once_and_carries_its_held_out_figures(model: ConfidenceModel) -> None:
    assert ConfidenceModel.default() is model
    assert model.features == FEATURES and 0.0 < model.threshold < 1.0
    held = model.held_out
    assert {"threshold", "ece", "table", "reliability", "trade_off"} <= set(held)
    assert held["threshold"] == model.threshold


def test_a_model_round_trips_exactly(model: ConfidenceModel, tmp_path: Path) -> None:
    again = ConfidenceModel.from_json(json.loads(json.dumps(model.to_json())))
    assert again.to_json() == model.to_json()
    assert np.array_equal(again.coefficients, model.coefficients) and again.intercept == model.intercept
    path = model.save(tmp_path / "confidence.json")
    loaded = ConfidenceModel.load(path)
    assert loaded.to_json() == model.to_json()
    assert path.read_bytes() == MODEL_FILE.read_bytes()
    x = np.random.default_rng(0).normal(size=(50, len(FEATURES)))
    assert np.array_equal(loaded.predict(x), model.predict(x))


def _damaged(model: ConfidenceModel) -> dict[str, object]:
    good = model.to_json()
    return {
        "truncated": json.dumps(good)[:200],
        "not json": "\x00\x01 confidence",
        "a list": "[]",
        "another format": json.dumps({**good, "format": "something else"}),
        "another version": json.dumps({**good, "version": 99}),
        "other features": json.dumps({**good, "features": [*good["features"][:-1], "rerank_score"]}),
        "a coefficient missing": json.dumps({**good, "coefficients": good["coefficients"][:-1]}),
        "a text for a number": json.dumps({**good, "intercept": "0.5"}),
        "not finite": json.dumps({**good, "coefficients": [float("nan")] * len(FEATURES)}),
        "a threshold above 1": json.dumps({**good, "threshold": 1.5}),
        "a view of unknown groups": json.dumps(
            {**good, "views": [{**good["views"][0], "groups": ["bm25", "semantic"]}]}
        ),
        "a view's coefficient missing": json.dumps(
            {**good, "views": [{**good["views"][0], "coefficients": good["views"][0]["coefficients"][:-1]}]}
        ),
    }


DAMAGES = (
    "truncated",
    "not json",
    "a list",
    "another format",
    "another version",
    "other features",
    "a coefficient missing",
    "a text for a number",
    "not finite",
    "a threshold above 1",
    "a view of unknown groups",
    "a view's coefficient missing",
)


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_model_is_refused_with_one_clear_error_naming_the_file(
    model: ConfidenceModel, tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "confidence.json"
    path.write_text(_damaged(model)[damage], encoding="utf-8")
    with pytest.raises(ModelError, match="regenerate it: python -m benchmarks.train_confidence") as error:
        ConfidenceModel.load(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_a_missing_model_is_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        ConfidenceModel.load(tmp_path / "absent.json")


def test_an_engine_can_be_given_another_model(engine: SearchEngine, model: ConfidenceModel) -> None:
    """The decide stage receives its model: a test or a second corpus can hand it another."""
    from search.pipeline import Decide

    strict = ConfidenceModel(FEATURES, model.coefficients, model.intercept, model.means, 1.0)
    decide = Decide(engine.index, engine.analyzer, strict)
    search = decide(engine.pipeline.rank(engine.pipeline.request("как вернуть товар"), until="fuse"))
    assert not strict.answered(search.confidence) and 0.0 < search.confidence < 1.0


def test_a_search_without_a_retriever_is_decided_by_the_regression_fitted_without_it(
    engine: SearchEngine, model: ConfidenceModel
) -> None:
    """An engine without BM25 leaves BM25's features NaN: the model of that view reads the others (fitted on
    the same examples without BM25's columns), not BM25's training means."""
    decide = engine.pipeline.stage("decide")
    search = engine.pipeline.rank(engine.pipeline.request("как вернуть товар"), until="fuse")
    _, _, x = decide.evidence(search)  # type: ignore[attr-defined]
    assert x is not None and present_groups(x) == [frozenset(GROUPS)]
    without = frozenset(GROUPS) - {"bm25"}
    assert without in model.views
    y = masked(x, without)
    assert present_groups(y) == [without] and np.isnan(y[[FEATURES.index("bm25_agree")]]).all()
    coefficients, intercept = model.views[without]
    bm25 = [i for i, name in enumerate(FEATURES * 2) if name.startswith("bm25_")]
    assert not coefficients[bm25].any()  # the view never reads them
    filled = np.where(np.isnan(y), model.means, y)
    expected = 1 / (1 + np.exp(-(expand(filled) @ coefficients + intercept)))
    assert model.predict(y) == pytest.approx(expected)
    mean_filled = 1 / (1 + np.exp(-(expand(filled) @ model.coefficients + model.intercept)))
    assert model.predict(y) != pytest.approx(mean_filled)
    assert model.answered(model.confidence(y))  # «как вернуть товар» is answered without BM25 too


def test_one_search_confidence_is_predict_to_the_last_bit() -> None:
    """``ConfidenceModel.confidence`` reads one vector's view and unknown-words check from Python floats: the same
    number as :meth:`ConfidenceModel.predict`, whichever groups are absent (NaN) and whether any word is known."""
    model = ConfidenceModel.default()
    rng = np.random.default_rng(15)
    for number in range(400):
        x = rng.normal(size=len(FEATURES)) * (1e4 if number % 7 == 0 else 1.0)  # some past the sigmoid's clip
        for name in GROUPS:
            if rng.random() < 0.3:
                x[[FEATURES.index(f) for f in GROUPS[name]]] = np.nan
        x[FEATURES.index("unknown")] = (0.2, 1.0, np.nan, 0.99)[number % 4]
        assert repr(model.confidence(x)) == repr(float(model.predict(x))), number


def test_best_coverage_of_few_postings_is_bincount_s(engine, monkeypatch) -> None:
    """A query whose terms hold few postings sums each passage's weight in Python floats: the same number as the
    arrays' ``bincount``, term by term in the same order."""
    import search.decision as decision

    lexicon = engine.lexicon
    rng = np.random.default_rng(16)
    words = list(lexicon.vocabulary)
    for _ in range(300):
        unique = list(dict.fromkeys(rng.choice(words, int(rng.integers(1, 7))).tolist()))
        idf = {term: max(lexicon.idf_of(term), 0.0) for term in unique}
        links = {unique[0]: {str(rng.choice(words))}} if len(unique) > 1 else {}
        few = decision._best_coverage(unique, idf, links, lexicon)  # a list of the small corpus's passages
        monkeypatch.setattr(decision, "_FEW_PASSAGES", 0)  # a dict of the passages held, as a large corpus's
        assert repr(few) == repr(decision._best_coverage(unique, idf, links, lexicon))
        monkeypatch.setattr(decision, "_FEW_POSTINGS", -1)
        assert repr(few) == repr(decision._best_coverage(unique, idf, links, lexicon))
        monkeypatch.undo()


def test_the_coverage_features_are_query_coverage_s(engine) -> None:  # type: ignore[no-untyped-def]
    """``coverage_top1``, ``_top3`` and ``_top2`` are summed from the terms the feature code found held: the same
    numbers as :func:`search.query.query_coverage` of the passages' terms, synonyms standing for their word."""
    from search.decision import _INDEX, held_in
    from search.query import query_coverage
    from search.results import Correction

    lexicon = engine.lexicon
    rng = np.random.default_rng(17)
    words = list(lexicon.vocabulary)
    for number in range(300):
        terms = rng.choice(words, int(rng.integers(1, 7))).tolist() + ["несловоникакое"] * (number % 3 == 0)
        unique = list(dict.fromkeys(terms))
        corrections = [Correction("synonyms", unique[0], " ".join(rng.choice(words, 2).tolist()))] if number % 2 else []
        order = rng.permutation(len(engine.passages))[: int(rng.integers(1, 5))]
        scores = np.sort(rng.random(order.size))[::-1]
        x = decision_features(terms, corrections, [], lexicon, {}, order, scores, None)
        assert x is not None
        links = {unique[0]: set(corrections[0].replacement.split())} if corrections else {}
        candidates = {*unique, *(t for linked in links.values() for t in linked)}
        held = held_in(lexicon, candidates, order[:3])
        idf = lambda term: max(lexicon.idf_of(term), 0.0)  # noqa: E731
        for name, row in (("coverage_top1", 0), ("coverage_top2", 1)):
            present = {term for term, found in held.items() if row < found.size and found[row]}
            expected = query_coverage(unique, present, idf, links) if row < order.size else 0.0
            assert repr(x[_INDEX[name]]) == repr(np.float64(expected)), (number, name)
        present = {term for term, found in held.items() if found[:3].any()}
        assert repr(x[_INDEX["coverage_top3"]]) == repr(np.float64(query_coverage(unique, present, idf, links)))
