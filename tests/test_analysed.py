"""The build's analysis as arrays: the same passages, terms and index as analysing passage by passage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import search.analysed as analysed_module
from benchmarks.synthetic import ZipfCorpus
from search import Analyzer, EngineConfig
from search.analysed import FIELDS, AnalysedCorpus, analyse_corpus
from search.analysis import Analysed, analyse_passage
from search.corpus import Document, read_corpus
from search.index import build_index
from search.lexicon import Lexicon, number_features, numbered_field
from search.passages import chunk_document
from search.retrievers import DENSE_BIGRAMS, RETRIEVERS, _distinct_codes

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
WORDS = (40, 150)
# Every kind of token, function words, a negation, «№», a FAQ question, text before the first heading.
ODD = Document(
    "odd",
    "Всякое",
    "odd.md",
    "Вступление без заголовка: звоните 8 800 555-35-35 или +7 (800) 555 35 35, пишите help@ozon.ru.\n\n"
    "# Доставка и № заказа\n\nЗаказ № 15 не пришёл к 10:30? Смотрите https://seller.ozon.ru/docs/ и Ozon Express, "
    "ёжик ﬁнал１２ 3,5 кг.\n\n## Как вернуть товар?\n\nНи за что не возвращайте его без чека: нет — значит нет.\n",
)


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    return make_documents()


def make_documents() -> list[Document]:
    zipf = ZipfCorpus(seed=11)
    texts = zipf.passages(900)
    synthetic = [Document(f"z{i}", f"Zipf {i}", f"z{i}.txt", "\n\n".join(texts[i::3])) for i in range(3)]
    return [*read_corpus(CORPUS), ODD, *synthetic]


def _reference(analyzer: Analyzer, documents: list[Document]) -> tuple[list, list[Analysed]]:
    passages = [passage for document in documents for passage in chunk_document(document, WORDS)]
    return passages, [analyse_passage(analyzer, passage) for passage in passages]


def test_the_arrays_hold_what_analysing_passage_by_passage_gives(analyzer, documents) -> None:
    passages, analysed = analyse_corpus(analyzer, documents, WORDS)
    expected_passages, expected = _reference(analyzer, documents)
    assert isinstance(analysed, AnalysedCorpus)
    assert passages == expected_passages
    assert list(analysed) == expected
    assert any(a.question != a.headings for a in expected)  # FAQ questions are exercised
    assert any("78005553535" in a.terms for a in expected) and any("seller.ozon.ru/docs" in a.terms for a in expected)
    for name in (*FIELDS, "surface", "question_surface"):
        vocabulary: dict[str, int] = {}
        if "surface" in name:
            ids, lengths = number_features(expected, lambda a, name=name: getattr(a, name).split(), vocabulary)
        else:
            ids, lengths = number_features(expected, lambda a, name=name: getattr(a, name), vocabulary)
        got_ids, got_lengths, got_vocabulary = analysed.numbered(name)
        assert got_vocabulary == list(vocabulary), name
        np.testing.assert_array_equal(got_ids, ids)
        np.testing.assert_array_equal(got_lengths, lengths)


def compare_one_and_two_workers() -> None:
    """Run in a fresh process: this one may hold threads (a Dask cluster's), and then the build never forks."""
    analysed_module.BATCH_CHARACTERS = 20_000  # many batches, merged in order
    analyzer, documents = Analyzer(), make_documents()
    one = analyse_corpus(analyzer, documents, WORDS, workers=1)
    analysed_module.PARALLEL_MIN_CHARACTERS = 0
    assert analysed_module.can_fork()  # so the second one does run on two worker processes
    two = analyse_corpus(analyzer, documents, WORDS, workers=2)
    assert one[0] == two[0]
    for name in (*FIELDS, "surface", "question_surface"):
        first, second = one[1].numbered(name), two[1].numbered(name)  # type: ignore[attr-defined]
        assert first[2] == second[2]
        np.testing.assert_array_equal(first[0], second[0])
        np.testing.assert_array_equal(first[1], second[1])


def test_one_and_two_workers_give_the_same_arrays() -> None:
    script = (
        "import importlib.util, sys; spec = importlib.util.spec_from_file_location('t', sys.argv[1]); "
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module); "
        "module.compare_one_and_two_workers(); print('same')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, __file__], capture_output=True, text=True, timeout=600, cwd=CORPUS.parent
    )
    assert done.returncode == 0 and done.stdout.strip() == "same", done.stderr[-3000:]


def _states(index) -> dict[str, tuple[dict, dict]]:
    return {"lexicon": index.lexicon.state(), **{name: r.state() for name, r in index.retrievers.items()}}


def test_the_index_is_bit_identical_to_fitting_on_analysed_passages(analyzer, documents, monkeypatch) -> None:
    names = ("bm25", "headings", "question_bm25", "tfidf", "chars", "question_chars")
    config = EngineConfig(retrievers=names)
    monkeypatch.setattr(analysed_module, "PARALLEL_MIN_CHARACTERS", 0)
    index = build_index(documents, config, analyzer=analyzer, progress=False)
    _, expected = _reference(analyzer, documents)
    reference = {"lexicon": Lexicon.build(expected).state()}
    reference.update({name: RETRIEVERS[name]().fit(expected).state() for name in names})
    for name, (params, arrays) in _states(index).items():
        assert params == reference[name][0], name
        assert arrays.keys() == reference[name][1].keys()
        for key, value in arrays.items():
            other = reference[name][1][key]
            assert value.dtype == other.dtype and value.shape == other.shape, (name, key)
            assert value.tobytes() == other.tobytes(), (name, key)  # the same bits, not merely close


def test_a_build_that_releases_its_documents_makes_the_same_index(analyzer, documents) -> None:
    """``release=True`` (what ``python -m search build`` does) frees the texts mid-build; nothing else changes."""
    config = EngineConfig(retrievers=("bm25", "tfidf", "chars"))
    kept = build_index(documents, config, analyzer=analyzer, progress=False)
    owned = list(documents)
    released = build_index(owned, config, analyzer=analyzer, progress=False, release=True)
    assert owned == [] and len(documents) > 1  # the build's own list emptied, the caller's untouched
    assert released.fingerprint == kept.fingerprint
    assert list(released.retrievers) == list(kept.retrievers) == ["bm25", "tfidf", "chars"]  # the saved order
    for name, (params, arrays) in _states(released).items():
        expected_params, expected = _states(kept)[name]
        assert params == expected_params, name
        assert {key: value.tobytes() for key, value in arrays.items()} == {
            key: value.tobytes() for key, value in expected.items()
        }, name
    assert [released.passages[i].text for i in range(len(released.passages))] == [
        kept.passages[i].text for i in range(len(kept.passages))
    ]


def test_numbered_field_of_a_list_numbers_in_order_of_first_occurrence() -> None:
    texts = [Analysed(("б", "а", "б"), "Б а б"), Analysed(("в", "а"), "в а")]
    ids, lengths, vocabulary = numbered_field(texts, "terms")
    assert (ids.tolist(), lengths.tolist(), vocabulary) == ([0, 1, 0, 2, 1], [3, 2], ["б", "а", "в"])
    assert numbered_field(texts, "surface")[2] == ["Б", "а", "б", "в"]


@pytest.mark.parametrize(("words", "count"), [(1, 10), (40, 50_000), (300, 2_000), (3000, 20_000)])
def test_distinct_bigram_codes_are_numpy_s_unique_on_both_paths(words: int, count: int) -> None:
    codes = np.random.default_rng(words).integers(0, words * words, size=count).astype(np.int64)
    distinct, inverse = _distinct_codes(codes, words)
    expected, expected_inverse = np.unique(codes, return_inverse=True)
    assert distinct.dtype == expected.dtype and (distinct == expected).all()
    assert inverse.dtype == np.int32 and (inverse == expected_inverse).all()
    assert (words * words <= DENSE_BIGRAMS * count) == (words in (1, 40))  # both paths are exercised
