"""The Navec semantic retriever: loads offline from the natasha package and finds paraphrases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search import SearchEngine
from search.analysis import analyse_text
from search.semantic import SemanticRetriever, navec_path


@pytest.fixture(scope="module")
def engine(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """The embedded corpus with the semantic retriever, which is built only on request."""
    return SearchEngine.from_directory(
        corpus_dir, index_dir=tmp_path_factory.mktemp("semantic"), retrievers=["bm25", "tfidf", "chars", "semantic"]
    )


def test_it_is_built_only_on_request(engine: SearchEngine, corpus_dir: Path, tmp_path: Path) -> None:
    assert "semantic" in engine.retrievers
    assert "semantic" not in SearchEngine.from_directory(corpus_dir, index_dir=tmp_path).retrievers


def test_the_model_ships_inside_the_natasha_package() -> None:
    path = navec_path()
    assert path is not None and path.name == "navec_news_v1_1B_250K_300d_100q.tar" and path.stat().st_size > 20e6


def test_a_paraphrase_finds_its_answer_in_the_top_5(engine: SearchEngine) -> None:
    # The text says «Двойное списание»; the question shares no lemma with it but "деньги".
    hits = engine.search("деньги списали два раза", k=5, retriever="semantic")
    assert any(h.passage.section[-1] == "2 Проблемы с оплатой" for h in hits)


def test_semantic_state_round_trips(engine: SearchEngine) -> None:
    semantic = engine.retrievers["semantic"]
    again = SemanticRetriever.from_state(*semantic.state())
    query = engine.search("вернуть покупку", k=1, retriever="semantic").query
    analysed = analyse_text(engine.analyzer, query.rewritten)
    np.testing.assert_array_equal(again.scores(analysed), semantic.scores(analysed))
