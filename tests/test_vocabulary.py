"""The spelling indexes: every word within the distance, the same as a scan, saved and mapped back intact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search import SearchEngine
from search.vocabulary import DeletionIndex


def test_the_deletion_index_finds_every_word_within_its_distance() -> None:
    words = ["заказ", "заказы", "закат", "возврат", "возвращать", "дважды", "важный"]
    index = DeletionIndex(words)
    assert index.lookup("закаь", 1) == [("заказ", 1), ("закат", 1)]
    assert index.lookup("закз", 1) == [("заказ", 1)]
    assert dict(index.lookup("дваждый", 2)) == {"дважды": 1, "важный": 2}
    assert index.lookup("возвращать", 0) == [("возвращать", 0)]
    assert index.lookup("заказ-х", 2) == [("заказ", 2), ("заказы", 2)]  # a letter no word has: found by deleting it
    assert DeletionIndex([]).lookup("заказ", 2) == []


def test_the_deletion_index_finds_what_a_scan_of_the_vocabulary_finds() -> None:
    import random

    from rapidfuzz.distance import OSA

    from search.morphology import shared_morphology
    from search.noise import retype

    morph = shared_morphology()
    words = sorted(
        {
            form
            for lemma in ("возвращать", "заказ", "доставка", "оплатить", "по-английски", "сколько")
            for form in morph.forms(lemma)
        }
    )
    index = DeletionIndex(words)
    rng = random.Random(7)
    checked = 0
    for typed in [retype(rng.choice(words), kind, rng) for kind in ("typo1", "typo2") for _ in range(150)]:
        for distance in (1, 2):
            scanned = [(w, d) for w in words if (d := OSA.distance(typed, w)) <= distance]
            # SymSpell's prefix index finds a word when its first seven letters are within the distance too
            if all(OSA.distance(typed[:7], w[:7]) <= distance for w, _ in scanned):
                assert index.lookup(typed, distance) == scanned, typed
                checked += 1
    assert checked > 500  # of 600 (526): a deletion early in a long word shifts its seven letters


def test_the_deletion_index_saved_and_mapped_back_finds_the_same_words(tmp_path: Path) -> None:
    from search.storage import read_index, write_index

    words = ["заказ", "заказы", "закат", "возврат", "возвращать", "дважды", "важный", "ёлка"]
    index = DeletionIndex(words)
    params, arrays = index.state()
    write_index(tmp_path, {}, {"spelling": params}, {f"spelling.{k}": v for k, v in arrays.items()})
    _, parts, stored = read_index(tmp_path)
    mapped = DeletionIndex.from_state(parts["spelling"], {k.split(".", 1)[1]: v for k, v in stored.items()})
    assert list(mapped.words) == sorted(words)  # sorted: a word's frequency is a binary search away
    for typed in ("закаь", "закз", "дваждый", "возвращать", "заказ-х", "елка", "ёлк"):
        for distance in (0, 1, 2):
            assert mapped.lookup(typed, distance) == index.lookup(typed, distance), (typed, distance)
    broken = dict(arrays, keys=arrays["keys"][:-1])
    with pytest.raises(ValueError, match="keys for"):
        DeletionIndex.from_state(params, broken)


def test_a_saved_index_holds_its_spelling_index_and_a_reopened_engine_uses_it(tmp_path: Path) -> None:
    from search.index import Index
    from search.storage import MMAP_MIN_BYTES
    from search.store import StringTable

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# Возврат\n\nКак вернуть деньги за заказ: возврат оформляют в личном кабинете.\n")
    engine = SearchEngine.from_directory(folder, index_dir=tmp_path / "index", progress=False)
    reopened = Index.load(tmp_path / "index")
    assert reopened.spelling is not None and isinstance(reopened.spelling.corpus.words, StringTable)
    keys = reopened.spelling.language._keys
    assert isinstance(keys.base, np.memmap) or keys.nbytes <= MMAP_MIN_BYTES  # shared pages, not a private copy
    assert list(reopened.spelling.corpus.words) == list(engine.index.spelling.corpus.words)
    assert "возвратом" in list(reopened.spelling.corpus.words)  # a form of a corpus lemma the text does not use
    assert "сколько" in list(reopened.spelling.language.words)  # a frequent word of the language
    assert reopened.spelling.frequency("деньги") > reopened.spelling.frequency("возвратом") > 0
    again = SearchEngine.load(tmp_path / "index")
    assert again.search("как вернуть деньги за заказь").query.rewritten == "как вернуть деньги за заказ"


def test_frequencies_follow_their_words_and_a_missing_word_has_none() -> None:
    index = DeletionIndex(["сколков", "сколько", "важный"], frequencies=[1.2, 5.5, 4.4])
    assert list(index.words) == ["важный", "сколков", "сколько"]
    assert (index.frequency("сколько"), index.frequency("сколков"), index.frequency("скольк")) == (5.5, 1.2, 0.0)


def test_most_frequent_words_are_the_highest_frequencies_in_the_index_s_order() -> None:
    index = DeletionIndex(["закат", "заказ", "вокзал", "кот"], frequencies=[3.1, 4.0, 2.0, 5.5])
    assert index.most_frequent(2) == ["заказ", "кот"]
    assert index.most_frequent(9) == ["вокзал", "заказ", "закат", "кот"]
    assert index.most_frequent(0) == []
