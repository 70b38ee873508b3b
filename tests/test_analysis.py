"""The analysis chain: normalisation, tokens, lemmas, function words."""

from __future__ import annotations

import re
import threading

import pytest

from search.analysis import Analyzer, normalize, tokenize
from search.morphology import Morphology


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Платёж", "платеж"),
        ("ЁЛКА", "елка"),
        ("е\u0308лка", "елка"),  # decomposed ё
        ("a\u00a0b\u202fc", "a b c"),
        ("\ufeffтекст\u200b\u200dслово", "текстслово"),
        ("ﬁ", "fi"),  # NFKC
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("dash", ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "-"])
def test_every_dash_variant_folds_to_hyphen(dash: str) -> None:
    assert normalize(f"8 800 555{dash}35{dash}35") == "8 800 555-35-35"


@pytest.mark.parametrize(
    "phone",
    [
        "8 800 555-35-35",
        "8-800-555-35-35",
        "88005553535",
        "+7 800 555 35 35",
        "+78005553535",
        "8 (800) 555-35-35",
        "8 800 555\u201135\u201135",  # the non-breaking hyphen the seed documents use
        "8\u00a0800\u00a0555\u201335\u201335",
    ],
)
def test_phone_numbers_meet_in_one_canonical_token(analyzer: Analyzer, phone: str) -> None:
    # 8 is Russia's domestic trunk prefix for +7: both dial the same number.
    assert analyzer.terms(phone) == ["78005553535"]


def test_different_phone_numbers_stay_different(analyzer: Analyzer) -> None:
    assert analyzer.terms("8 800 333-33-33") != analyzer.terms("8 800 555-34-34")


def test_emails_domains_times_numbers_are_single_tokens(analyzer: Analyzer) -> None:
    text = "Пишите на dogovor@ozon.ru или sales-pvz@ozon.ru, кабинет seller.ozon.ru, с 09:00 до 18:00, от 100 рублей"
    assert analyzer.terms(text) == [
        "писать",
        "dogovor@ozon.ru",
        "sales-pvz@ozon.ru",
        "кабинет",
        "seller.ozon.ru",
        "09:00",
        "18:00",
        "100",
        "рубль",
    ]


def test_token_kinds() -> None:
    kinds = {t.term: t.kind for t in tokenize(normalize("Ozon API 8 800 555-35-35 help@ozon.ru ozon.ru 24 заказ"))}
    assert kinds == {
        "ozon": "latin",
        "api": "latin",
        "78005553535": "phone",
        "help@ozon.ru": "email",
        "ozon.ru": "domain",
        "24": "number",
        "заказ": "word",
    }


@pytest.mark.parametrize(
    ("forms", "lemma"),
    [
        (["возврат", "возвраты", "возвратом", "возврату", "возвратов"], "возврат"),
        (["заказ", "заказа", "заказов", "заказами"], "заказ"),
        (["платёж", "платежа", "платежи", "платеж"], "платеж"),
        (["горячая", "горячей", "горячую"], "горячий"),
        (["продавец", "продавцов", "продавцам"], "продавец"),
    ],
)
def test_word_forms_meet(analyzer: Analyzer, forms: list[str], lemma: str) -> None:
    assert {term for form in forms for term in analyzer.terms(form)} == {lemma}


def test_verb_and_noun_stay_apart(analyzer: Analyzer) -> None:
    # "вернуть" and "возврат" are different lemmas: morphology does not derive nouns
    # from verbs. Query synonyms (a later step) bridge them, not the analyzer.
    assert analyzer.terms("вернуть") == ["вернуть"]
    assert analyzer.terms("возврат") == ["возврат"]


def test_function_words_are_dropped_by_part_of_speech(analyzer: Analyzer) -> None:
    assert analyzer.terms("Как и где я могу связаться с вашей поддержкой по этому вопросу?") == [
        "мочь",
        "связаться",
        "поддержка",
        "вопрос",
    ]


def test_latin_words_are_kept(analyzer: Analyzer) -> None:
    assert analyzer.terms("Ozon Seller API ID") == ["ozon", "seller", "api", "id"]


def test_negation_is_kept_only_when_asked() -> None:
    assert Analyzer().terms("не пришли деньги") == ["прислать", "деньга"]
    assert Analyzer(keep_negation=True).terms("не пришли деньги") == ["не", "прислать", "деньга"]


def test_all_lemmas_indexes_every_reading() -> None:
    # "стали": pymorphy3's best parse is стать (verb); сталь (noun) is the other reading.
    assert Analyzer().terms("стали") == ["стать"]
    assert Analyzer(all_lemmas=True).terms("стали") == ["стать", "сталь"]


def test_token_spans_point_into_the_original_text(analyzer: Analyzer) -> None:
    text = "Платёж\u00a0не прошёл — звоните 8\u00a0800\u00a0555\u201134\u201134!"
    tokens = analyzer.tokens(text)
    assert [text[t.start : t.end] for t in tokens] == [
        "Платёж",
        "прошёл",
        "звоните",
        "8\u00a0800\u00a0555\u201134\u201134",
    ]
    assert [t.term for t in tokens] == ["платеж", "пройти", "звонить", "78005553434"]


def test_spans_survive_removed_invisible_characters(analyzer: Analyzer) -> None:
    text = "\ufeffвоз\u200bврат товара"
    assert [text[t.start : t.end] for t in analyzer.tokens(text)] == ["воз\u200bврат", "товара"]


def test_baseline_stemmers() -> None:
    assert Analyzer(stemmer="snowball").terms("возвратами товаров") == ["возврат", "товар"]
    assert Analyzer(stemmer="none").terms("Возвратами товаров") == ["возвратами", "товаров"]
    with pytest.raises(ValueError, match="unknown stemmer"):
        Analyzer(stemmer="porter")


def test_repr_lists_the_steps(analyzer: Analyzer) -> None:
    assert "normalize | tokenize | lemmatize | drop_function_words" in repr(analyzer)


def test_one_analyzer_is_safe_across_threads() -> None:
    words = "возвратами заказов платежей продавцам горячей линии оператору доставкой".split() * 50
    expected = [Analyzer().terms(w) for w in words]
    shared = Analyzer(morphology=Morphology())  # a cold cache: every thread parses
    failures: list[str] = []

    def work() -> None:
        for word, want in zip(words, expected):
            if shared.terms(word) != want:
                failures.append(word)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@pytest.mark.parametrize(("text", "phone"), [("8 800 100 0 800", "78001000800"), ("+7 (495) 232-10-00", "74952321000")])
def test_any_grouping_after_a_country_prefix_is_one_phone(analyzer: Analyzer, text: str, phone: str) -> None:
    assert analyzer.terms(text) == [phone]


NFKC_TEXTS = [
    "Справка № 5 и №12, заявление №\u00a07",
    "Ｏｚｏｎ: звоните ８ ８００ ５５５-３５-３５, заказ №１２３",
    "ﬁnance и ﬂow — лигатуры; ½ и ² и ™ тоже",
    "возвра́т това́ра, е\u0308лка, Е\u0308ЛКА, пусто\u0301й, \u0301в начале",
    "ΑΣ ΣΑΣ — сигма; İstanbul; ǅ; ẞ; ﬀ",
    "№",
    "\u0301",
    "a\u200bb\u00adc №\ufeff5 и\u0306 й",
    "Договор № 15‑ФЗ от 01.01.2024, статья № 3 ч. 2, ООО «Озон» №\u20037",
]


@pytest.mark.parametrize("text", NFKC_TEXTS)
def test_nfkc_fast_path_equals_the_character_by_character_one(analyzer: Analyzer, text: str) -> None:
    from search import analysis

    fast = analysis.normalize_with_offsets(text)
    slow = analysis._normalize_slow(text)
    assert fast.text == slow.text
    assert [fast.span(i, i + 1) for i in range(len(fast.text))] == [slow.span(i, i + 1) for i in range(len(slow.text))]
    tokens = analyzer.tokens(text)
    expected = [
        (t.term, t.kind, *slow.span(t.start, t.end), t.surface) for t in analyzer._lemmatize(tokenize(slow.text))
    ]
    assert [tuple(t) for t in tokens] == expected


def test_nfkc_fast_path_on_random_mixtures() -> None:
    import random

    from search import analysis

    # No "Σ": the whole-string paths, older than this one, lowercase a final sigma as "ς".
    alphabet = "абвгдеёжзийАБВЁЙ abcXYZ0123.,-—–\u00a0\u200b\u00ad\u0301\u0308\u0306№ﬁﬂ１２ＡＢ½²™İẞǅⅣ①"
    rng = random.Random(15)
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        fast, slow = analysis.normalize_with_offsets(text), analysis._normalize_slow(text)
        assert fast.text == slow.text == analysis.normalize(text), text
        assert fast.origins() is None or fast.origins() == slow.offsets, text
        sparse = analysis._normalize_sparse(text, None)
        assert (sparse.text, sparse.origins()) == (slow.text, slow.offsets), text
        text = text.replace("İ", "Σ")
        sparse, slow = analysis._normalize_sparse(text, None), analysis._normalize_slow(text)
        assert (sparse.text, sparse.origins()) == (slow.text, slow.offsets), text


def test_characters_the_sparse_path_skips_need_no_folding() -> None:
    import re

    from search import analysis

    usual = [chr(c) for c in range(0x30000) if re.fullmatch(f"[{analysis._USUAL}]", chr(c))]
    assert len(usual) > 200
    assert [c for c in usual if analysis._special(c) is not None] == []


@pytest.mark.parametrize("keep_negation", [False, True])
def test_the_build_s_fast_analysis_equals_analyse_text(keep_negation: bool) -> None:
    from pathlib import Path

    from search.analysis import _analyse_fast, analyse_text

    analyzer = Analyzer(keep_negation=keep_negation)
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    texts = [*NFKC_TEXTS, "звоните 8 800 555-35-35 или пишите seller.ozon.ru в 10:30, не позже; ozon и email"]
    for path in sorted(corpus.glob("*.txt")):
        texts.extend(path.read_text(encoding="utf-8").split("\n\n"))
    for text in texts:
        assert _analyse_fast(analyzer, text) == analyse_text(analyzer, text), text


def test_cyrillic_text_is_tokenized_as_the_full_pattern_tokenizes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path for text of Cyrillic words gives the tokens ``_TOKEN`` gives."""
    from search import analysis

    texts = [
        "как вернуть деньги за товар?",
        "«статус заказа» (срочно!) — где: тут; там...",
        "по-английски, кое-как",
        "ёлка и ель",
        "\tперенос\nстроки\r",
        "'кавычки' \"двойные\"",
        "",
        " - ",
    ]
    fast = [list(analysis.tokenize(text)) for text in texts]
    monkeypatch.setattr(analysis, "_CYRILLIC_TEXT", re.compile(r"(?!)"))
    assert fast == [list(analysis.tokenize(text)) for text in texts]
