"""The noise generator on the judged queries: reproducible, and each kind mistypes the way it says."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from search.lang import LATIN_TO_CYRILLIC_KEYS, NOISE_TRANSLIT_SCHEMES
from search.noise import NOISE_KINDS, SPACE_MIN_LETTERS, TYPO_MIN_LETTERS, retype

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
QUERIES = [
    json.loads(line)["query"]
    for line in (CORPUS / "queries" / "judged.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
# Well-typed Russian: the kinds that hand-typed noise came from would only add to it.
RUSSIAN = [q for q in QUERIES if re.search(r"[а-яё]{4}", q, re.IGNORECASE) and not re.search(r"[a-z]", q, re.I)]


def test_there_are_real_queries_to_retype() -> None:
    assert len(RUSSIAN) >= 40


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_the_same_seed_gives_the_same_text_and_seeds_differ(kind: str) -> None:
    for query in RUSSIAN:
        assert retype(query, kind, 7) == retype(query, kind, 7) == retype(query, kind, random.Random(7))
    if kind.startswith("typo") or kind == "translit_informal":
        assert len({tuple(retype(q, kind, seed) for q in RUSSIAN) for seed in range(5)}) > 1


def test_an_unknown_kind_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="typo1.*typo2"):
        retype("статус заказа", "keyboard", 1)


def test_layout_is_the_other_keyboard_and_switching_back_gives_the_original() -> None:
    assert retype("статус заказа", "layout", 0) == "cnfnec pfrfpf"
    assert retype("ozon", "layout", 0) == "щящт"  # a Latin word typed on the Russian layout
    for query in RUSSIAN:
        lowered = query.lower()
        if re.fullmatch(r"[а-яё ]+", lowered):
            typed = retype(lowered, "layout", 3)
            assert not re.search(r"[а-яё]", typed)
            assert "".join(LATIN_TO_CYRILLIC_KEYS.get(c, c) for c in typed) == lowered


@pytest.mark.parametrize("scheme", ["passport", "gost", "informal"])
def test_transliteration_leaves_no_cyrillic_and_keeps_digits_and_latin(scheme: str) -> None:
    for query in QUERIES:
        typed = retype(query, f"translit_{scheme}", 11)
        assert not re.search(r"[а-яё]", typed, re.IGNORECASE)
        assert re.findall(r"\d", typed) == re.findall(r"\d", query)
        for latin in re.findall(r"\b[a-z]+\b", query, re.IGNORECASE):  # brand names pass through
            assert latin in typed


def test_each_scheme_spells_the_letters_its_own_way() -> None:
    assert retype("щётка хлеб цена", "translit_passport", 0) == "shchetka khleb tsena"
    assert retype("щётка хлеб цена", "translit_gost", 0) == "shchyotka hleb cena"
    informal = {retype("подъезд объём дальше", "translit_informal", seed) for seed in range(20)}
    assert all("'" not in text and '"' not in text for text in informal)  # soft and hard signs dropped
    spelled = {retype("хлеб", "translit_informal", seed) for seed in range(30)}
    assert spelled == {"hleb", "khleb"}
    assert set(NOISE_TRANSLIT_SCHEMES["informal"]["й"]) == {"y", "j", "i"}


@pytest.mark.parametrize(("kind", "slips"), [("typo1", 1), ("typo2", 2)])
def test_typos_are_small_edits_of_long_cyrillic_words_only(kind: str, slips: int) -> None:
    for seed, query in enumerate(RUSSIAN):
        typed = retype(query, kind, seed)
        assert typed != query or slips == 2  # two slips may undo each other; one never leaves the text as it was
        before, after = query.split(" "), typed.split(" ")
        assert len(before) == len(after)
        changed = [(a, b) for a, b in zip(before, after) if a != b]
        assert 1 <= len(changed) <= slips or (slips == 2 and not changed)
        for old, new in changed:
            assert len(re.sub(r"\W", "", old)) >= TYPO_MIN_LETTERS
            assert abs(len(old) - len(new)) <= slips


def test_a_text_without_long_cyrillic_words_is_left_alone() -> None:
    assert retype("где мой ozon 123", "typo1", 5) == "где мой ozon 123"


def test_orthography_misspells_one_or_two_long_words_by_ear_or_by_rule() -> None:
    from search.slips import ear_slips

    counts = []
    for seed, query in enumerate(RUSSIAN):
        typed = retype(query, "orthography", seed)
        before, after = query.split(" "), typed.split(" ")
        assert len(before) == len(after)
        changed = [(a, b) for a, b in zip(before, after) if a != b]
        assert 1 <= len(changed) <= 2, (query, typed)
        counts.append(len(changed))
        for old, new in changed:
            assert len(re.sub(r"\W", "", old)) >= TYPO_MIN_LETTERS
            # every change is one or two of the misspellings spelling knows of, never a slip of the finger
            assert 1 <= ear_slips(new.lower().strip("?,."), old.lower().strip("?,.")) <= 2, (old, new)
    assert set(counts) == {1, 2}


@pytest.mark.parametrize(
    ("written", "misspelt"),
    [
        ("не могу связаться", {"связатся"}),
        ("бесполезный", {"безполезный"}),
        ("пришёл", {"пришол"}),
        ("ограниченный", {"ограниченый"}),
        ("счётчик", {"щётчик"}),
        ("цифровой", {"цыфровой"}),
    ],
)
def test_orthography_makes_the_misspellings_people_make(written: str, misspelt: set[str]) -> None:
    seen = {word for seed in range(200) for word in retype(written, "orthography", seed).split()}
    assert misspelt <= seen


def test_spaces_drops_one_space_between_words_or_puts_one_inside_a_long_word() -> None:
    kinds = set()
    for seed, query in enumerate(RUSSIAN):
        typed = retype(query, "spaces", seed)
        assert typed.replace(" ", "") == query.replace(" ", "")  # only a space moved: every letter as it was
        if typed.count(" ") == query.count(" ") - 1:
            kinds.add("dropped")
            gap = next(i for i, (a, b) in enumerate(zip(query, typed)) if a != b)
            assert query[gap] == " " and query[gap - 1].isalnum() and query[gap + 1].isalnum()
        else:
            assert typed.count(" ") == query.count(" ") + 1
            kinds.add("inserted")
            cut = next(i for i, (a, b) in enumerate(zip(query, typed)) if a != b)
            word = re.search(r"[а-яё]+$", query[:cut], re.I).group() + re.match(r"[а-яё]+", query[cut:], re.I).group()
            assert len(word) >= SPACE_MIN_LETTERS
            assert 2 <= len(re.search(r"[а-яё]+$", typed[:cut], re.I).group()) <= len(word) - 2
    assert kinds == {"dropped", "inserted"}
    assert retype("да", "spaces", 1) == "да"  # one short word: no space to drop, no word to split
