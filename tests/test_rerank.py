"""The learned re-ranker: features over real candidates, exact JSON round trips, refused corrupt files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")  # gradient boosting's threads spin-wait on a busy 2-core machine

from benchmarks.rerank_research import BRIDGE_COLUMNS, bridge_rows, collect  # noqa: E402
from search.alignment import BridgeFormatError, LexicalBridge, aligned_coverage, shipped_bridge  # noqa: E402
from search.evaluation import load_judgments, resolve_judgments  # noqa: E402
from search.rerank import (  # noqa: E402
    FEATURE_DOCS,
    FEATURE_NAMES,
    Reranker,
    RerankerFormatError,
    export_hgb,
    train_reranker,
)


@pytest.fixture(scope="module")
def judged(engine, corpus_dir):
    """The judged set's answerable queries as candidates with features, over the embedded corpus."""
    return _judged(engine, corpus_dir, vectors=True)


def _judged(engine, corpus_dir, *, vectors: bool):  # type: ignore[no-untyped-def]
    judgments = [j for j in load_judgments(corpus_dir / "queries") if j.answerable]
    relevant = resolve_judgments(judgments, engine.passages)
    queries = [(f"j{i:03d}", j.query, relevant[j.query]) for i, j in enumerate(judgments)]
    return collect("judged", engine, queries, "passage", vectors=vectors)


@pytest.fixture(scope="module")
def models(judged):
    return {kind: train_reranker(judged.X, judged.y, judged.groups, kind=kind) for kind in ("logistic", "hgb")}


def test_every_feature_has_a_unique_documented_name() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert set(FEATURE_DOCS) == set(FEATURE_NAMES)
    assert all(FEATURE_DOCS[name] for name in FEATURE_NAMES)


def test_features_are_one_finite_row_per_candidate(judged) -> None:
    assert judged.X.shape == (judged.y.size, len(FEATURE_NAMES))
    assert np.isfinite(judged.X).all()
    assert set(np.unique(judged.groups)) == set(range(len(judged.qids)))
    # Every judged query's relevant passage is among its candidates (the union of each retriever's top 50).
    assert len(np.unique(judged.groups[judged.y > 0])) == len(judged.qids)
    question = judged.X[:, FEATURE_NAMES.index("has_question")]
    assert question.any() and not question.all()  # the FAQ section's passages, and the others


@pytest.mark.parametrize("kind", ["logistic", "hgb"])
def test_a_model_read_back_from_json_predicts_exactly_the_same(models, judged, tmp_path, kind) -> None:
    model = models[kind]
    path = model.save(tmp_path / f"{kind}.json")
    again = Reranker.load(path)
    assert again.to_json() == model.to_json()
    assert np.array_equal(again.predict(judged.X), model.predict(judged.X))


def test_the_exported_trees_predict_what_scikit_learn_predicts(judged) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    fitted = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(judged.X, judged.y)
    model = Reranker("hgb", model=export_hgb(fitted))
    assert np.array_equal(model.predict(judged.X), fitted.decision_function(judged.X))


def test_missing_values_go_the_way_each_tree_learnt(judged) -> None:
    """Rows with a NaN take the descent that reads each node's ``missing_left`` (the features never make one)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    X = judged.X.copy()
    X[::3, :4] = np.nan  # the retrievers' first columns missing in every third row: trees learn a side for them
    fitted = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, judged.y)
    model = Reranker("hgb", model=export_hgb(fitted))
    assert np.array_equal(model.predict(X), fitted.decision_function(X))
    assert np.array_equal(model.predict(X[1::3]), fitted.decision_function(X[1::3]))  # no NaN: the shorter path


def test_the_logistic_model_predicts_what_scikit_learn_predicts(judged) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    model = Reranker("logistic").fit(judged.X, judged.y)
    scaler = StandardScaler().fit(judged.X)
    fitted = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(judged.X), judged.y)
    expected = fitted.decision_function(scaler.transform(judged.X))
    assert np.allclose(model.predict(judged.X), expected, rtol=0, atol=1e-9)


def _corruptions(model: Reranker) -> dict[str, str]:
    good = model.to_json()
    tree = good["model"]["trees"][0]
    bad_child = json.loads(json.dumps(good))
    bad_child["model"]["trees"][0]["left"] = [len(tree["value"]) + 5] * len(tree["value"])
    bad_child["model"]["trees"][0]["leaf"] = [False] * len(tree["value"])
    short = json.loads(json.dumps(good))
    short["model"]["trees"][0]["value"] = tree["value"][:-1]
    foreign = {**good, "format": "something-else/9"}
    unknown_column = {**good, "columns": ["no-such-feature", *good["columns"][1:]]}
    return {
        "truncated": json.dumps(good)[:200],
        "binary": "\x00\x01\x02 not json",
        "child outside the tree": json.dumps(bad_child),
        "arrays of different lengths": json.dumps(short),
        "foreign format": json.dumps(foreign),
        "unknown column": json.dumps(unknown_column),
        "not an object": "[1, 2, 3]",
    }


def test_a_corrupt_model_file_is_one_clear_error_naming_it(models, tmp_path) -> None:
    for label, text in _corruptions(models["hgb"]).items():
        path = tmp_path / f"{label.replace(' ', '-')}.json"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(RerankerFormatError, match=str(path)):
            Reranker.load(path)
    coefficients = models["logistic"].to_json()
    coefficients["model"]["coef"] = coefficients["model"]["coef"][:-2]
    path = tmp_path / "logistic.json"
    path.write_text(json.dumps(coefficients), encoding="utf-8")
    with pytest.raises(RerankerFormatError, match="coef"):
        Reranker.load(path)
    with pytest.raises(RerankerFormatError, match="missing.json"):
        Reranker.load(tmp_path / "missing.json")


def test_a_model_trained_on_the_judged_set_finds_unseen_faq_questions(engine, corpus_dir, models) -> None:
    """FAQ questions of the embedded corpus that no judged query asks verbatim: their passage comes first."""
    questions = [
        "Как долго хранится история обращений?",
        "Предоставляется ли техническая поддержка для API?",
        "Как получить консультацию по налогообложению?",
    ]
    asked = {j.query.casefold() for j in load_judgments(corpus_dir / "queries")}
    assert not asked & {q.casefold() for q in questions}
    queries = [(f"faq{i}", q, frozenset()) for i, q in enumerate(questions)]
    fresh = collect("faq", engine, queries, "passage")
    scores = models["hgb"].predict(fresh.X)
    for number, question in enumerate(questions):
        rows = np.flatnonzero(fresh.groups == number)
        best = rows[np.argmax(scores[rows])]
        passage = engine.passage(str(fresh.units[best]))
        assert question in passage.question.split("\n"), (question, passage.id)


def test_a_section_without_a_question_gives_its_headings_as_a_query_writes_them(engine, analyzer) -> None:
    """The question field of a passage with no FAQ question is its headings, normalised as a query is
    (lower case, no punctuation): character n-grams of «Возвраты и обмены» must meet «возвраты и обмены»."""
    from search.analysis import analyse_passage, analyse_text

    passages = [p for p in engine.passages if not p.question and p.section]
    assert passages
    for passage in passages:
        written = "\n".join(passage.section)
        field = analyse_passage(analyzer, passage).question_surface
        assert field == analyse_text(analyzer, written).surface
        assert field == field.lower() and "." not in field
    assert any(ch.isupper() for p in passages for ch in "".join(p.section))  # as written, they have capitals


def test_the_engines_learned_ranking_reads_the_features_training_reads(engine, corpus_dir, monkeypatch) -> None:
    """The rerank stage has the candidates training has (no word-vector pool: the index builds no semantic
    retriever; the sentence encoder's top 50) and scores each as the shipped model scores the research script's
    row for it (question_recall, known_coverage and the encoder's cosine included: read from the index in both).
    Without the gate, so that every query reaches the dense model (the gate's own test: test_cascade)."""
    from search.pipeline import learned_model
    from search.rerank import DENSE_MODEL, shipped_reranker

    monkeypatch.setattr(engine.pipeline.stage("rerank"), "gate", None)
    judged = _judged(engine, corpus_dir, vectors=False)

    model = learned_model(engine.index)
    assert model is shipped_reranker(DENSE_MODEL)
    assert {"question_recall", "known_share", "known_coverage", "dense.score"} <= set(model.columns)
    if set(BRIDGE_COLUMNS) & set(model.columns):  # training fills them out of fold; the engine reads the shipped table
        places = [FEATURE_NAMES.index(c) for c in BRIDGE_COLUMNS]
        judged.X[:, places] = bridge_rows(judged, shipped_bridge(), np.arange(len(judged.qids)))
    queries = [j.query for j in load_judgments(corpus_dir / "queries") if j.answerable]
    position = {p.id: i for i, p in enumerate(engine.passages)}
    recall = judged.X[:, FEATURE_NAMES.index("question_recall")]
    assert recall.max() > 0.5 and (recall >= 0).all() and (recall <= 1 + 1e-12).all()
    for number, query in enumerate(queries[:12]):
        search = engine.pipeline.rank(engine.pipeline.request(query, retriever="learned"), until="rerank")
        rows = np.flatnonzero(judged.groups == number)
        expected = dict(zip((position[str(u)] for u in judged.units[rows]), model.predict(judged.X[rows])))
        got = dict(zip(search.order.tolist(), search.scores.tolist()))
        assert got.keys() == expected.keys(), query  # the same candidates
        assert np.allclose([expected[i] for i in got], list(got.values()), rtol=0, atol=1e-9), query


def test_a_model_computes_only_its_columns_and_scores_them_as_predict_does(engine, models, monkeypatch) -> None:
    """The rerank stage asks :func:`features` for the model's columns alone: the same numbers as the full
    table's columns, in any order, and the same scores, bit for bit, as :meth:`Reranker.predict` of the table."""
    import search.pipeline as pipeline
    from search.rerank import features, gather, shipped_reranker

    seen = []
    monkeypatch.setattr(pipeline, "gather", lambda *args, **kwargs: seen.append(gather(*args, **kwargs)) or seen[-1])
    monkeypatch.setattr(engine.pipeline.stage("rerank"), "first", None)  # one model, one gathering a query
    for query in ("как вернуть товар который не подошел", "Можно ли написать продавцу напрямую?", "пункт выдачи"):
        engine.pipeline.rank(engine.pipeline.request(query, retriever="learned"), until="rerank")
    assert len(seen) == 3 and all(len(candidates) > 10 for candidates in seen)
    some = ("rrf_relative", "chars.inverse_rank", "known_coverage", "bm25.z", "question_bm25.relative", "length")
    for candidates in seen:
        table = features(candidates)
        chosen = features(candidates, some)
        assert np.array_equal(chosen, table[:, [FEATURE_NAMES.index(name) for name in some]])
        for model in (shipped_reranker(), *models.values()):
            assert np.array_equal(model.score(candidates), model.predict(table))


def test_the_fusion_feature_reads_its_terms_from_a_table_bit_for_bit() -> None:
    """``gather``'s rrf terms come from a table made once: each the division the formula makes, 0 from RANK_ABSENT."""
    from search.rerank import DEPTH, RANK_ABSENT, RRF_K, _rrf_terms

    for depth in (DEPTH, 80):
        ranks = np.arange(1, max(depth, RANK_ABSENT) + 1, dtype=np.int64)
        expected = np.where(ranks < RANK_ABSENT, 1.0 / (RRF_K + ranks), 0.0)
        assert _rrf_terms(1.0, max(depth, RANK_ABSENT)).take(ranks).tobytes() == expected.tobytes()


def test_the_inverse_rank_columns_read_a_table_bit_for_bit() -> None:
    """``features``' inverse ranks come from a table: 1 ÷ the rank as a float, 0 from RANK_ABSENT on."""
    from search.rerank import _INVERSE_RANKS, RANK_ABSENT

    ranks = np.arange(1, RANK_ABSENT + 30, dtype=np.int64)
    expected = np.divide(1.0, ranks.astype(np.float64), out=np.zeros(ranks.size), where=ranks < RANK_ABSENT)
    assert _INVERSE_RANKS.take(ranks, mode="clip").tobytes() == expected.tobytes()


def test_a_query_word_the_passage_lacks_is_credited_through_its_nearest_corpus_word(engine) -> None:
    """«отправка» is not in a passage that speaks of «доставка»: the soft column credits it with their cosine,
    read from the index's nearest-lemma table and the lexicon's postings (no word vectors at query time);
    a passage holding the word itself gets 1, and a word the corpus lacks gets nothing."""
    from search.pipeline import lexicon_held

    lexicon = engine.index.lexicon
    partners = engine.index.neighbours.partners_of(lexicon.vocabulary)
    names, cosines = partners("отправка")
    assert names[0] == "отправка" and cosines[0] == 1  # itself first: an exact match stays exact
    assert "доставка" in names and 0.3 <= cosines[list(names).index("доставка")] < 1
    other = np.setdiff1d(lexicon.postings("доставка"), lexicon.postings("отправка"))
    own = lexicon.postings("отправка")
    assert other.size and own.size
    held = lexicon_held(engine.index).held
    rows = np.concatenate([other, own]).astype(np.int64)
    (credit,) = aligned_coverage(["отправка"], np.array([2.0]), partners, [held], rows)
    assert (credit[: other.size] >= cosines[list(names).index("доставка")]).all() and (credit[: other.size] < 1).all()
    assert (credit[other.size :] == 1).all()
    (half,) = aligned_coverage(["отправка", "шмяк"], np.array([2.0, 2.0]), partners, [held], rows)
    assert np.array_equal(half, credit / 2)  # the unknown word weighs in the mean, with no credit


def test_the_credits_a_small_index_keeps_give_the_columns_the_postings_give(engine) -> None:
    """The rerank stage reads a small index's meaning columns from each term's credits, made when the pipeline
    opens (``Credits``): the same values as gathering every partner of every term (``aligned_coverage``); a term
    with no partners (a typo) gets no row."""
    from search.alignment import Credits
    from search.pipeline import lexicon_held

    lexicon = engine.index.lexicon
    neighbours = engine.index.neighbours.partners_of(lexicon.vocabulary)
    bridge = shipped_bridge().partners("text")
    table = lexicon_held(engine.index)
    bridged = [  # words the Ozon corpus lacks whose bridge partners it has
        q for q, ps in shipped_bridge().table["text"].items() if q not in lexicon and any(p in lexicon for p in ps)
    ][:3]
    assert len(bridged) == 3
    terms = ["вернуть", "деньга", "отправка", "шмяк", *bridged]
    idf = np.linspace(1.0, 4.0, len(terms))
    rows = np.arange(0, lexicon.passages, 2, dtype=np.int64)
    expected = [aligned_coverage(terms, idf, partners, [table.held], rows)[0] for partners in (neighbours, bridge)]
    credits = Credits({"soft": (neighbours, table), "bridge": (bridge, table)}, [*lexicon.vocabulary, *bridged])
    found = credits.coverage(terms, idf, rows)
    assert found.shape == (2, rows.size) and found[0].any() and found[1].any()
    assert np.allclose(found, expected, rtol=0, atol=1e-12)
    assert "шмяк" not in credits and "вернуть" in credits
    stage = engine.pipeline.stage("rerank")  # the engine's own, made when it opened: the model's columns
    assert stage.credits is not None and stage.credits.names == ("soft_coverage", "bridge_coverage")


def test_the_lexical_bridge_round_trips_exactly_and_a_corrupt_file_is_one_clear_error(tmp_path) -> None:
    bridge = shipped_bridge()
    assert bridge.pairs > 1000 and all(bridge.table[side] for side in ("question", "text"))
    again = LexicalBridge.load(bridge.save(tmp_path / "bridge.json"))
    assert again.table == bridge.table and again.to_json() == bridge.to_json()
    term = next(iter(bridge.table["question"]))
    names, weights = again.partners("question")(term)
    assert list(names) == list(bridge.table["question"][term]) and (weights > 0).all()
    good = bridge.to_json()
    corruptions = {
        "truncated": json.dumps(good, ensure_ascii=False)[:200],
        "foreign": json.dumps({**good, "format": "other/1"}),
        "weight": json.dumps({**good, "text": {"а": {"б": 1.5}}}),
        "field": json.dumps({key: value for key, value in good.items() if key != "question"}),
        "list": "[1, 2]",
    }
    for label, text in corruptions.items():
        path = tmp_path / f"{label}.json"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(BridgeFormatError, match=str(path)):
            LexicalBridge.load(path)
