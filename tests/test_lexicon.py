"""The Lexicon: rank-bm25's IDF, exact postings, and a lossless round trip."""

from __future__ import annotations

import numpy as np
from rank_bm25 import BM25Okapi

from search.analysis import Analysed, analyse_passage
from search.lexicon import Lexicon


def analysed_corpus(engine) -> list[Analysed]:
    return [analyse_passage(engine.analyzer, passage) for passage in engine.passages]


def test_idf_is_rank_bm25s(engine) -> None:
    texts = analysed_corpus(engine)
    lexicon = Lexicon.build(texts)
    reference = BM25Okapi([list(text.terms) for text in texts])
    assert lexicon.vocabulary.keys() == reference.idf.keys()
    assert all(lexicon.idf_of(term) == reference.idf[term] for term in lexicon.vocabulary)


def test_postings_say_which_passages_hold_a_term(engine) -> None:
    texts = analysed_corpus(engine)
    lexicon = Lexicon.build(texts)
    rows = np.arange(len(texts))
    for term in ("возврат", "селлер", "78002347000", "чат"):
        expected = [term in text.terms for text in texts]
        assert lexicon.contains(term, rows).tolist() == expected
        assert lexicon.df[lexicon.vocabulary[term]] == sum(expected)
    assert not lexicon.contains("ипотека", rows).any() and "ипотека" not in lexicon
    assert lexicon.idf_of("ипотека") > max(lexicon.idf)  # an unseen word weighs more than any seen one
    assert lexicon.words["возврат"] >= 1 and "78002347000" not in lexicon.words  # words as written only


def test_state_round_trips_exactly(engine) -> None:
    lexicon = engine.lexicon
    params, arrays = lexicon.state()
    again = Lexicon.from_state(params, arrays)
    assert again.vocabulary == lexicon.vocabulary and again.words == lexicon.words
    for name in ("df", "idf", "indptr", "indices"):
        np.testing.assert_array_equal(getattr(again, name), getattr(lexicon, name))
