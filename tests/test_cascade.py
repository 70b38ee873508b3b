"""The gate between the two re-rankers: a question the words settle is ranked without the sentence encoder, one they
do not is encoded and ranked again; the gate is JSON that round-trips exactly and refuses a damaged file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from search import SearchEngine
from search.cascade import GATE_FEATURES, MODEL, Gate, GateFormatError, shipped_gate
from search.evaluation import load_judgments
from search.rerank import DENSE_MODEL, shipped_reranker


@pytest.fixture
def encodings(engine: SearchEngine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the sentence encoder is asked to encode as queries (none remembered from before, no ranking kept)."""
    from search import dense
    from search.recent import Recent

    engine.pipeline.forget()
    seen: list[str] = []
    encode = dense._encoded_query
    monkeypatch.setattr(dense, "_queries", Recent(dense.REMEMBERED))
    monkeypatch.setattr(dense, "_encoded_query", lambda text: seen.append(text) or encode(text))
    return seen


def _order(engine: SearchEngine, query: str) -> list[int]:
    search = engine.pipeline.rank(engine.pipeline.request(query), until="rerank")
    return search.order.tolist()


def test_the_default_index_ranks_lexically_first_and_encodes_only_after(engine: SearchEngine) -> None:
    rerank = engine.pipeline.stage("rerank")
    assert rerank.model is shipped_reranker(DENSE_MODEL) and rerank.first is shipped_reranker()
    assert rerank.gate is shipped_gate() and rerank.later == ("dense",)
    request = engine.pipeline.request("как вернуть товар")
    assert request.retriever == "learned" and "dense" not in request.retrievers


@pytest.mark.parametrize(
    ("query", "section"),
    [("куда сообщить о мошенничестве?", "мошеннич"), ("что делать если забыл кодовое слово?", "кодов")],
)
def test_a_question_its_words_settle_is_not_encoded(
    engine: SearchEngine, encodings: list[str], query: str, section: str
) -> None:
    hits = engine.search(query, k=3)
    assert hits and not encodings
    assert section in " ".join(hits[0].passage.section).lower() + hits[0].passage.text.lower()
    assert all("dense" not in hit.retrievers for hit in hits)


def test_a_question_in_other_words_is_encoded_and_finds_its_passage(engine: SearchEngine, encodings: list[str]) -> None:
    # «ушло» and «дважды» are not the passage's words: it speaks of «Двойное списание».
    hits = engine.search("с карты ушло дважды", k=3)
    assert encodings[:1] == ["с карты ушло дважды"]
    assert hits[0].passage.section[-1:] == ("2 Проблемы с оплатой",)
    assert any("dense" in hit.retrievers for hit in hits)


def test_every_query_is_ranked_by_the_model_the_gate_chose(
    engine: SearchEngine, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settled: the lexical re-ranker's order as it ranks alone; unsure: the dense re-ranker's, as without a gate."""
    rerank = engine.pipeline.stage("rerank")
    queries = [j.query for j in load_judgments(corpus_dir / "queries") if j.answerable][:40]
    cascaded = {q: _order(engine, q) for q in queries}
    settled = {}
    for query in queries:
        search = engine.pipeline.rank(engine.pipeline.request(query), until="fuse")
        candidates = rerank._candidates(search)
        settled[query] = rerank.gate.settled(candidates, rerank.first.score(candidates))
    assert 0 < sum(settled.values()) < len(queries)  # both paths are taken
    monkeypatch.setattr(rerank, "gate", None)
    always = {q: _order(engine, q) for q in queries}
    monkeypatch.setattr(rerank, "model", rerank.first)
    monkeypatch.setattr(rerank, "first", None)
    lexical = {q: _order(engine, q) for q in queries}
    for query in queries:
        assert cascaded[query] == (lexical if settled[query] else always)[query], query


def test_the_shipped_gate_round_trips_exactly_and_its_calibration_holds() -> None:
    gate = shipped_gate()
    assert gate is not None and 0.5 <= gate.threshold < 1
    again = Gate.from_json(json.loads(json.dumps(gate.to_json())))
    X = np.random.default_rng(0).normal(size=(50, len(GATE_FEATURES))) * 3
    assert again.probability(X).tobytes() == gate.probability(X).tobytes()
    assert again.to_json() == gate.to_json()
    # held out: what it predicts is what happened, within 0.1 in every bin of 50 queries or more
    bins = [b for b in gate.calibration if b["queries"] >= 50]
    assert len(bins) >= 3
    for b in bins:
        assert abs(b["predicted"] - b["observed"]) <= 0.1, b


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: "not json {", "unreadable gate model"),
        (lambda d: {**d, "format": "search.gate/0"}, "not a search.gate/1 model"),
        (lambda d: {**d, "features": d["features"][::-1]}, "features"),
        (lambda d: {**d, "coef": d["coef"][:2]}, "coef must hold"),
        (lambda d: {**d, "scale": [0.0] * len(d["scale"])}, "out of range"),
        (lambda d: {**d, "threshold": 1.5}, "out of range"),
    ],
)
def test_a_damaged_gate_file_is_one_clear_error(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    data = change(json.loads(MODEL.read_text(encoding="utf-8")))
    path = tmp_path / "gate.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    with pytest.raises(GateFormatError, match=message) as raised:
        Gate.load(path)
    assert str(path) in str(raised.value) and "train_gate.py" in str(raised.value)


def test_without_a_shipped_gate_every_learned_query_is_encoded(engine: SearchEngine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import search.pipeline as pipeline
    from search.pipeline import Pipeline

    monkeypatch.setattr(pipeline, "shipped_gate", lambda: None)
    alone = Pipeline.default(engine.index, engine.analyzer)
    rerank = alone.stage("rerank")
    assert rerank.first is None and rerank.gate is None and rerank.model is shipped_reranker(DENSE_MODEL)
    assert "dense" in alone.request("куда сообщить о мошенничестве?").retrievers
    search = alone.rank(alone.request("куда сообщить о мошенничестве?"), until="rerank")
    assert "dense" in search.full


def test_training_reads_the_gate_features_the_pipeline_reads(engine: SearchEngine) -> None:
    """``row_features`` (a research row of every column) and ``candidate_features`` (the pipeline's columns) agree."""
    from search.cascade import candidate_features, row_features
    from search.rerank import features

    rerank = engine.pipeline.stage("rerank")
    for query in ("куда сообщить о мошенничестве?", "с карты ушло дважды", "как вернуть товар который не подошел"):
        candidates = rerank._candidates(engine.pipeline.rank(engine.pipeline.request(query), until="fuse"))
        scores = rerank.first.score(candidates)
        got = candidate_features(candidates, scores)
        assert got.shape == (len(GATE_FEATURES),) and got[1] >= 0 and got[2] >= got[1]
        assert row_features(features(candidates), scores).tobytes() == got.tobytes(), query
