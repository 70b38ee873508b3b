"""The answer sentence, fact extraction and conflicting facts on the embedded corpus."""

from __future__ import annotations

import pytest

from search import SearchEngine
from search.answers import extract_facts, is_marked_outdated, sentence_spans


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("минимальная сумма вывода", "- Минимальная сумма: Вывести можно только сумму от 100 рублей."),
        ("сроки ответа поддержки", "- Стандартные вопросы - до 24 часов"),
        ("двойное списание", "Двойное списание одной и той же покупки – ещё один распространённый случай."),
    ],
)
def test_the_answer_is_the_best_sentence_of_the_passage(engine: SearchEngine, query: str, answer: str) -> None:
    hit = engine.search(query, k=1)[0]
    assert hit.answer == answer
    start, end = hit.answer_span
    assert hit.text[start:end] == hit.answer


def test_every_hit_has_an_answer_inside_its_text(engine: SearchEngine) -> None:
    for hit in engine.search("как связаться с поддержкой продавцов", k=10):
        assert hit.answer and hit.answer in hit.text


def test_facts_use_the_analyzers_canonical_tokens(analyzer) -> None:
    text = (
        "Звоните 8 800 555‑34‑34 или +7 800 555 34 34, пишите dogovor@ozon.ru с 09:00 до 18:00; "
        "ответ до 24 часов, от 100 рублей."
    )
    facts = [(fact.kind, fact.canonical) for fact in extract_facts(text, analyzer)]
    assert facts == [
        ("phone", "78005553434"),
        ("phone", "78005553434"),
        ("email", "dogovor@ozon.ru"),
        ("hours", "09:00–18:00"),
        ("duration", "24 ч"),
        ("sum", "100 ₽"),
    ]


def test_a_value_the_text_itself_calls_outdated(engine: SearchEngine) -> None:
    passage = next(p for p in engine.passages if "До 2023 года продавцы могли" in p.text)
    start = passage.text.index("8 800 234-70-00")
    assert is_marked_outdated(passage.text, start, start + 15)
    current = next(p for p in engine.passages if "Номер горячей линии — 8 800 333‑33‑33" in p.text)
    start = current.text.index("8 800 333")
    assert not is_marked_outdated(current.text, start, start + 15)


def test_the_hotline_question_shows_the_conflict_with_every_source(engine: SearchEngine) -> None:
    results = engine.search("какой номер горячей линии ozon", k=10)
    phones = [c for c in results.conflicts if c.kind == "phone"]
    assert len(phones) == 1
    values = {v.canonical: v for v in phones[0].values}
    assert len(values) >= 2 and len({v.doc_id for v in phones[0].values}) >= 2
    for value in phones[0].values:
        passage = engine.passage(value.passage_id)
        assert value.value in passage.text and value.citation == passage.citation
    if "78002347000" in values:  # the seller hotline that no longer works is marked, not hidden
        assert values["78002347000"].outdated


@pytest.mark.parametrize("query", ["email для новых партнеров пвз", "как оформить возврат", "минимальная сумма вывода"])
def test_a_question_with_one_consistent_answer_shows_no_conflict(engine: SearchEngine, query: str) -> None:
    assert engine.search(query, k=10).conflicts == ()


def test_a_faq_question_brings_its_answer_along(engine: SearchEngine) -> None:
    hit = engine.search("можно ли связаться с продавцом напрямую", k=1)[0]
    assert hit.answer.startswith("- Можно ли связаться с продавцом напрямую?")
    assert hit.answer.endswith("Да, в большинстве случаев.")


def test_answer_sentences_hold_the_judged_answers(engine: SearchEngine, corpus_dir) -> None:
    from search.evaluation import answer_sentences, load_judgments

    rate = answer_sentences(engine, load_judgments(corpus_dir / "queries" / "judged.jsonl"))
    assert rate["judged_first"] >= 70 and rate["contains"] >= 0.65


def test_a_phone_and_its_extension_stay_in_one_sentence(engine: SearchEngine) -> None:
    passage = next(p for p in engine.passages if "доб. 76077" in p.text)
    sentences = [passage.text[a:b] for a, b in sentence_spans(passage.text)]
    holding = [s for s in sentences if "доб." in s]
    assert len(holding) == 1 and "+7 958 400-00-05, доб. 76077" in holding[0]
    assert any(s.startswith("Этот номер предназначен") for s in sentences)  # the next sentence is its own
    hit = engine.search("телефон для уточнения статуса запроса", k=1)[0]
    assert "доб. 76077" in hit.answer


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Звоните +7 958 400-00-05, доб. 76077 с 9 до 18. Далее.", ["Звоните +7 958 400-00-05, доб. 76077 с 9 до 18."]),
        ("Это т. е. правило. Т.е. так.", ["Это т. е. правило.", "Т.е. так."]),
        ("Оплата т. к. срок истёк. Т.к. иначе нельзя.", ["Оплата т. к. срок истёк.", "Т.к. иначе нельзя."]),
        (
            "Офис: г. Москва, ул. Тверская, д. 5, стр. 2. Тел. 123-45-67.",
            ["Офис: г. Москва, ул. Тверская, д. 5, стр. 2."],
        ),
        ("Пункт на ул. Ленина работает.", ["Пункт на ул. Ленина работает."]),
        ("Цена 5 руб. 50 коп. за штуку. Далее.", ["Цена 5 руб. 50 коп. за штуку."]),
        ("Стоит 100 руб. Оплата картой.", ["Стоит 100 руб.", "Оплата картой."]),
        ("Книги, журналы и т. д. Потом другое.", ["Книги, журналы и т. д.", "Потом другое."]),
        ("Писал А. С. Пушкин. Потом Гоголь.", ["Писал А. С. Пушкин.", "Потом Гоголь."]),
        ("Парк им. Горького открыт. См. схему.", ["Парк им. Горького открыт.", "См. схему."]),
        ("Подробнее см. приложение. Далее.", ["Подробнее см. приложение.", "Далее."]),
    ],
)
def test_abbreviations_do_not_end_a_sentence(text: str, sentences: list[str]) -> None:
    found = [text[a:b] for a, b in sentence_spans(text)]
    assert found[: len(sentences)] == sentences
