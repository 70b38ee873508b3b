"""The slips of the finger and of the ear: what each distance counts, and what no number of them makes."""

from __future__ import annotations

import pytest

from search.slips import ear_slips


@pytest.mark.parametrize(
    ("typed", "meant", "count"),
    [
        ("пасматреть", "посмотреть", 2),
        ("сабака", "собака", 1),
        ("связатся", "связаться", 1),
        ("делаеть", "делает", 1),
        ("акаунт", "аккаунт", 1),
        ("адресс", "адрес", 1),
        ("пришол", "пришел", 1),
        ("безполезный", "бесполезный", 1),
        ("щетчик", "счетчик", 1),
        ("цыфра", "цифра", 1),
        ("шышка", "шишка", 1),
        ("питак", "пятак", 1),  # an unstressed «я» written as heard
        ("тилята", "телята", 1),
        ("включять", "включать", 1),  # «я» for «а» after a hushing consonant: the rule, not the ear
    ],
)
def test_ear_slips_counts_the_misspellings_by_ear(typed: str, meant: str, count: int) -> None:
    assert ear_slips(typed, meant) == count


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("закат", "заказ"),  # a letter struck wrong, not heard wrong
        ("ключи", "глючит"),
        ("собаки", "сабака"),  # «а/и» is no pair people confuse by ear
        ("кит", "кот"),
        ("счет", "щетка"),
        ("включять", "включить"),  # no ear writes «я» for another vowel (the rule does, for «а» after «ч»)
        ("тяпло", "тепло"),
    ],
)
def test_ear_slips_knows_no_other_misspelling(typed: str, meant: str) -> None:
    assert ear_slips(typed, meant) > 2


def test_a_likely_slip_costs_less_than_an_unlikely_one() -> None:
    from search.slips import slip_cost

    assert slip_cost("делта", "дельта") == 0 < slip_cost("делта", "дела")  # a letter left out, not a stray «т»
    assert slip_cost("сарался", "старался") == 0 < slip_cost("сарался", "скрался")  # left out, not a neighbour
    assert slip_cost("сарался", "скрался") == 1  # a neighbouring key struck («а» for «к»)
    assert slip_cost("закза", "заказ") == 0 and slip_cost("заказзы", "заказы") == 0  # a swap, a doubling
    assert slip_cost("закат", "заказ") == 2  # «т» is far from «з»


@pytest.mark.parametrize(
    ("typed", "meant", "slips"),
    [
        ("закз", "заказ", 1),  # a letter left out
        ("зкааз", "заказ", 1),  # two neighbours swapped
        ("закказ", "заказ", 1),  # a letter doubled
        ("вкольо", "сколько", 2),  # в for its neighbour с, and к left out
        ("одбавочнй", "добавочный", 2),
        ("обрывкетсч", "обрывается", 2),  # к for а, ч for я: neighbouring keys
    ],
)
def test_finger_slips_count_what_a_finger_does(typed: str, meant: str, slips: int) -> None:
    from search.slips import finger_slips

    assert finger_slips(typed, meant) == slips


def test_finger_slips_under_a_limit_count_as_without_one_up_to_it() -> None:
    """Spelling asks «two slips or fewer?»: with ``limit`` the count is exact up to it and ``limit + 1`` past it."""
    from search.slips import finger_slips

    pairs = [("вкольо", "сколько"), ("закз", "заказ"), ("промокод", "протокол"), ("глючит", "ключи"), ("а", "")]
    pairs += [("обрывкетсч", "обрывается"), ("сщзвфсщт", "заказ"), ("заказ", "заказ"), ("одбавочнй", "добавочный")]
    for typed, meant in pairs:
        exact = finger_slips(typed, meant)
        for limit in range(4):
            assert finger_slips(typed, meant, limit) == (exact if exact <= limit else limit + 1), (typed, meant)


@pytest.mark.parametrize(("typed", "other"), [("промокод", "протокол"), ("промокод", "промок"), ("глючит", "ключи")])
def test_no_number_of_finger_slips_makes_another_word(typed: str, other: str) -> None:
    from search.slips import finger_slips

    assert finger_slips(typed, other) > 2


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("кампания", "компания"),  # an unstressed vowel
        ("шкала", "школа"),
        ("вел", "ввел"),  # a double consonant single
        ("дат", "дать"),  # a final «ь» left out
        ("включят", "включат"),  # «я» for «а» after a hushing consonant
        ("щетчик", "счетчик"),  # «щ» for «сч»
        ("безполезный", "бесполезный"),  # «з» for «с» before a consonant
    ],
)
def test_ear_variants_make_the_words_one_misspelling_by_ear_away(typed: str, meant: str) -> None:
    from search.slips import ear_variants

    assert meant in ear_variants(typed)


@pytest.mark.parametrize("word", ["кампания", "шкала", "включат", "чат", "помощь", "безполезный", "цифра", "вел"])
def test_every_ear_variant_is_one_misspelling_by_ear_and_no_other_word_is(word: str) -> None:
    from search.slips import ear_variants

    variants = ear_variants(word)
    assert variants and all(ear_slips(word, variant) == 1 for variant in variants)
    assert {"камбания", "шкура", "вол", "чай"}.isdisjoint(variants)  # a consonant changed, a letter no ear mistakes


def test_no_ear_variant_reads_a_typed_ya_as_another_vowel() -> None:
    from search.slips import ear_variants

    assert "включать" in ear_variants("включять") and "включить" not in ear_variants("включять")
    assert "пятак" in ear_variants("питак") and "питок" not in ear_variants("пятак")
