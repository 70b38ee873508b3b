"""The dictionary probes spelling makes: batched and pruned, they find exactly what one probe per string finds."""

from __future__ import annotations

import pytest

from search.morphology import shared_morphology
from search.vocabulary import _edits

# Typos people make in help-center questions (a letter left out, swapped, struck beside), and readings of
# Latin keys that begin no word at all.
TYPOS = ["техподдерки", "спесание", "возрат", "зокаЗ", "пороль", "дотавка", "скольо", "гжвжом", "елка", "мщзкщыю"]


@pytest.mark.parametrize("typo", TYPOS)
def test_pruned_batched_probes_find_every_dictionary_word_one_edit_away(typo: str) -> None:
    morph = shared_morphology()
    word = typo.lower()
    one_by_one = [edit for edit in _edits(word) if morph.in_dictionary(edit)]
    pruned = morph.dictionary_words(list(_edits(word, morph.dictionary_reach(word))))
    assert pruned == one_by_one


def test_reach_reads_e_as_yo_and_stops_where_no_word_begins() -> None:
    morph = shared_morphology()
    assert morph.dictionary_reach("елка") == 4  # the dictionary spells it «ёлка»
    assert morph.dictionary_reach("заказ") == 5
    assert morph.dictionary_reach("щщщзаказ") < 3
    assert morph.dictionary_words(["заказ", "щщщзаказ", "елка"]) == ["заказ", "елка"]


def test_warmed_words_are_parsed_once_and_read_from_the_cache() -> None:
    from search.morphology import Morphology

    morph = Morphology()
    morph.warm(["возвратом", "заказы", "доставки"])
    assert morph._cache.keys() >= {"возвратом", "заказы", "доставки"}
    parsed = morph._analyzer.parse
    morph._analyzer.parse = lambda word: pytest.fail(f"parsed {word!r} again")  # type: ignore[method-assign]
    try:
        assert [morph.lemma(w).lemma for w in ("возвратом", "заказы", "доставки")] == ["возврат", "заказ", "доставка"]
    finally:
        morph._analyzer.parse = parsed  # type: ignore[method-assign]


def test_the_caches_keep_a_bounded_number_of_words_and_read_a_forgotten_one_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from search import morphology

    monkeypatch.setattr(morphology, "WORDS_PARSED_KEPT", 2)
    morph = morphology.Morphology()
    words = ["возвратом", "заказы", "доставки", "стали", "компании"]
    for word in words:
        morph.lemma(word), morph.all_lemmas(word), morph.cases(word), morph.is_known(word), morph.is_abbreviation(word)
    caches = (morph._cache, morph._all_cache, morph._cases_cache, morph._known_cache, morph._abbreviation_cache)
    for cache in caches:
        assert list(cache) == ["стали", "компании"]
    assert morph.lemma("возвратом").lemma == "возврат" and morph.all_lemmas("стали") == ("стать", "сталь")
    assert list(morph._cache) == ["компании", "возвратом"]  # «стали» went first


# Strings whose best parse is each of pymorphy3's guesses: a known prefix before a dictionary word or a guess
# («антигде»: ADVB,Ques, a function word), a prefix before a suppletive form («пдоошел»: …идти), a paradigm prefix
# («понаибыстрейший»), an ending stored as a function word's («ьщяртщего»), the fallback («ьщ»); dictionary words
# whose parses differ in lemma or in being a function word («стали», «как», «уже»).
GUESSED = ["антигде", "пдоошел", "понаибыстрейший", "ьщяртщего", "ьщ", "дотавка", "каквойит", "стали", "как", "уже"]


def test_lemma_in_and_is_function_word_skip_a_parse_only_where_the_parse_agrees() -> None:
    import re
    from pathlib import Path

    from search.morphology import Morphology

    corpus = Path(__file__).resolve().parent.parent / "corpus"
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted(corpus.glob("*.txt"))).lower()
    sequence = re.findall("[а-яё]+", text)
    words = sorted(set(sequence))
    full = Morphology()
    lemmas = frozenset(full.lemma(word).lemma for word in words[::2])  # half: many forms miss, as a typo's do
    strings = {*GUESSED, *words, *(first + second for first, second in zip(sequence[::5], sequence[1::5]))}
    for word in words[::4]:
        strings.update(_edits(word)[::61])
    fast = Morphology()
    parses = []
    fast._analyzer.parse, parse = lambda word: parses.append(word) or parse(word), fast._analyzer.parse  # type: ignore[method-assign]
    wrong = [
        s
        for s in sorted(strings)
        if fast.lemma_in(s, lemmas) != (full.lemma(s).lemma in lemmas)
        or fast.is_function_word(s) != full.lemma(s).function_word
    ]
    unknown = [s for s in strings if not fast.in_dictionary(s)]
    assert len(unknown) > 3000 and not wrong, wrong
    assert fast.is_function_word("антигде") and fast.lemma_in("пдоошел", {"пдооидти"})
    assert len(set(parses) & set(unknown)) < len(unknown) / 10  # most were told apart without a parse


def test_another_pymorphy3_parses_every_string(monkeypatch: pytest.MonkeyPatch) -> None:
    import search.morphology
    from search.morphology import Morphology

    monkeypatch.setattr(search.morphology, "_GUESSED_VERSION", "0.0")  # the units were read from another version
    morph = Morphology()
    parses = []
    morph._analyzer.parse, parse = lambda word: parses.append(word) or parse(word), morph._analyzer.parse  # type: ignore[method-assign]
    assert not morph.lemma_in("ьщяртщ", {"заказ"}) and not morph.is_function_word("дотавка")
    assert {"ьщяртщ", "дотавка"} <= set(parses)


def test_short_words_are_the_dictionary_s_words_of_one_or_two_letters() -> None:
    morph = shared_morphology()
    short = morph.short_words()
    assert {"в", "с", "на", "ли", "мы", "не"} <= set(short)
    assert all(len(word) <= 2 and morph.is_known(word) for word in short)
    assert "ъъ" not in short


@pytest.mark.parametrize(
    ("word", "has", "lacks"),
    [
        ("компании", {"gent", "datv", "loct"}, {"ablt"}),  # every parse's case, not only the best one's
        ("войсками", {"ablt"}, {"gent", "loct"}),
        ("студию", {"accs"}, {"gent"}),
    ],
)
def test_cases_are_every_parse_s(word: str, has: set[str], lacks: set[str]) -> None:
    cases = shared_morphology().cases(word)
    assert has <= cases and not lacks & cases


def test_a_word_of_no_case_has_none() -> None:
    assert shared_morphology().cases("быстро") == frozenset()


@pytest.mark.parametrize(
    ("word", "abbreviation"),
    [
        ("обл", True),  # «область»
        ("напр", True),  # «например»
        ("тел", False),  # «телефон», but also a form of «тело»
        ("пор", False),  # a form of «пора»
        ("обложка", False),
    ],
)
def test_an_abbreviation_is_a_word_every_parse_of_which_is_one(word: str, abbreviation: bool) -> None:
    assert shared_morphology().is_abbreviation(word) is abbreviation
