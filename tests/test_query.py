"""Query rewriting: each step fixes what is broken and leaves alone what is right."""

from __future__ import annotations

import pytest

from search import SearchEngine
from search.query import Thesaurus, parse_synonyms


def _rewritten(engine: SearchEngine, query: str) -> tuple[str, list[tuple[str, str, str]]]:
    info = engine.search(query, k=1).query
    return info.rewritten, [(c.step, c.original, c.replacement) for c in info.corrections if c.step != "synonyms"]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("cnfnec pfrfpf", "статус заказа"),
        ("jnvtybnm pfrfp", "отменить заказ"),
        ("ckj;yj", "сложно"),  # ";" is the "ж" key
        ("щящт", "ozon"),  # Latin typed on the Russian layout
        ("возврат cnfnec", "возврат статус"),  # mixed queries, word by word
    ],
)
def test_keyboard_layout_is_switched_both_ways(engine: SearchEngine, typed: str, meant: str) -> None:
    rewritten, corrections = _rewritten(engine, typed)
    assert rewritten == meant
    assert {step for step, _, _ in corrections} == {"layout"}


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("kak svyazatsya s prodavcom", "как связаться s продавцом"),
        ("lichnyj kabinet", "личный кабинет"),
        ("dostavka", "доставка"),
        ("nomer goryachey linii", "номер горячей линии"),
    ],
)
def test_transliteration_becomes_cyrillic(engine: SearchEngine, typed: str, meant: str) -> None:
    assert _rewritten(engine, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("статус закза", "статус заказа"), ("вазврат товара", "возврат товара"), ("двойнае списане", "двойное списание")],
)
def test_spelling_is_corrected_towards_the_corpus(engine: SearchEngine, typed: str, meant: str) -> None:
    rewritten, corrections = _rewritten(engine, typed)
    assert rewritten == meant and {step for step, _, _ in corrections} == {"spelling"}


@pytest.mark.parametrize(
    "query",
    [
        "api ozon email seller.ozon.ru",
        "8 800 555-35-35 dogovor@ozon.ru 09:00",
        "Ozon Seller ID",
        "статус заказа",
        "телепортация",  # a real word the corpus lacks is not "corrected"
        "Иван Петров",
    ],
)
def test_what_is_right_passes_through_unchanged(engine: SearchEngine, query: str) -> None:
    rewritten, corrections = _rewritten(engine, query)
    assert rewritten == query and corrections == []


def test_rewriting_can_be_switched_off(engine: SearchEngine) -> None:
    results = engine.search("cnfnec pfrfpf", rewrite=False)
    assert results.query.rewritten == "cnfnec pfrfpf" and not results.query.corrections
    assert not results.answered


def test_wrong_layout_finds_what_the_right_one_does(engine: SearchEngine) -> None:
    typed = [h.passage_id for h in engine.search("cnfnec pfrfpf", k=5)]
    meant = [h.passage_id for h in engine.search("статус заказа", k=5)]
    assert typed == meant


def test_synonyms_bring_jargon_to_the_documents_words(engine: SearchEngine) -> None:
    results = engine.search("пвз", k=5)
    assert {"пункт", "выдача", "заказ"} <= set(results.query.expansions)
    assert any("Пункты выдачи заказов (ПВЗ)" in hit.text for hit in results)
    hits = engine.search("лк селлера", k=3)
    assert any("личном кабинете" in hit.text.lower() or "личный кабинет" in hit.text.lower() for hit in hits)


def test_solr_synonym_formats() -> None:
    rules = parse_synonyms("# comment\nпвз, пункт выдачи\n\nлк => личный кабинет, кабинет  # tail\n")
    assert rules == [(("пвз", "пункт выдачи"), ("пвз", "пункт выдачи")), (("лк",), ("личный кабинет", "кабинет"))]
    for broken in ["одно", "a => b => c", " => b"]:
        with pytest.raises(ValueError, match="synonyms line 1"):
            parse_synonyms(broken)


def test_thesaurus_matches_any_word_form(analyzer) -> None:
    thesaurus = Thesaurus.from_text("горячая линия, телефон поддержки\n", analyzer)
    added, made = thesaurus.expand(tuple(analyzer.terms("горячей линией")))
    assert added == ["телефон", "поддержка"]
    assert [(c.original, c.replacement) for c in made] == [("горячий линия", "телефон поддержка")]
    assert thesaurus.expand(tuple(analyzer.terms("горячий чай")))[0] == []


@pytest.mark.parametrize(
    "query",
    ["как оформить ипотеку", "рецепт борща", "курс доллара", "промокод на скидку", "телепортация посылок"],
)
def test_questions_the_documents_do_not_answer_are_flagged(engine: SearchEngine, query: str) -> None:
    results = engine.search(query)
    assert not results.answered
    assert results.query.missing  # the topic the documents never mention, for the page to name


@pytest.mark.parametrize(
    "query",
    [
        "как оформить возврат", "не пришли деньги за заказ", "cnfnec pfrfpf", "пвз", "лк селлера",
        "работает ли горячая линия для селлеров", "двойнае списане", "8 800 234-70-00",
    ],
)  # fmt: skip
def test_questions_the_documents_answer_are_not_flagged(engine: SearchEngine, query: str) -> None:
    results = engine.search(query)
    assert results.answered and not results.query.missing
