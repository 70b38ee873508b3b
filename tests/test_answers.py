"""The answer sentence, fact extraction and conflicting facts on the embedded corpus."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from search import SearchEngine
from search.answers import (
    _PROXIMITY,
    AnswerQuery,
    _nearest,
    answer_kinds,
    answer_span,
    best_answer,
    extract_facts,
    is_marked_outdated,
    passage_units,
    sentence_spans,
)


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


def test_addresses_and_sums_in_capitals_are_facts_too(analyzer) -> None:
    """Addresses, durations and sums are looked for only in a passage holding a street word, a unit of time or a
    currency (case-folded): one written in capitals is found as the case-insensitive patterns find it."""
    text = "Приезжайте: УЛ. ТВЕРСКАЯ, Д. 7, Москва. Доставка — 500 РУБ., самовывоз 0 ₽."
    facts = [(f.kind, f.value) for f in extract_facts(text, analyzer)]
    assert ("address", "УЛ. ТВЕРСКАЯ, Д. 7, Москва") in facts
    assert [value for kind, value in facts if kind == "sum"] == ["500 РУБ", "0 ₽"]
    assert ("duration", "В ТЕЧЕНИЕ 3 РАБОЧИХ ДНЕЙ") in [
        (f.kind, f.value) for f in extract_facts("Вернём деньги В ТЕЧЕНИЕ 3 РАБОЧИХ ДНЕЙ.", analyzer)
    ]
    assert not [kind for kind, _ in extract_facts("Ответим в чате за пару минут.", analyzer)]


def test_every_letter_the_fact_patterns_accept_in_any_case_folds_to_their_own() -> None:
    """Why the street word and the currency are looked for in ``str.casefold`` of the text: each character the
    patterns' case-insensitive parts match (the Basic Multilingual Plane, where any such letter is) folds to the
    very letter they spell, so a passage they would match always passes the look-up first."""
    import re

    from search.answers import _DURATION_UNITS
    from search.lang import STREET_WORDS

    letters = set(STREET_WORDS.replace("\\", "") + "руб" + _DURATION_UNITS) - set("|")
    for letter in letters:
        pattern = re.compile(re.escape(letter), re.IGNORECASE)
        folded = {chr(c).casefold() for c in range(0x10000) if not 0xD800 <= c < 0xE000 and pattern.fullmatch(chr(c))}
        assert folded == {letter}, letter


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


@pytest.mark.parametrize(
    "query",
    [
        "телефон поддержки озон",
        "куда звонить в озон",
        "позвонить в озон номер",
        "горячая линия озон селлер телефон",
        "какой номер горячей линии ozon",
    ],
)
def test_every_phrasing_of_the_hotline_question_shows_the_disagreement(engine: SearchEngine, query: str) -> None:
    phones = [c for c in engine.search(query, k=10).conflicts if c.kind == "phone"]
    assert len(phones) == 1
    values = {v.canonical: v for v in phones[0].values}
    assert values["78002347000"].outdated  # the seller hotline its own text says no longer works
    assert any(not v.outdated for v in values.values())  # and a number that is current
    for value in phones[0].values:
        assert value.value in engine.passage(value.passage_id).text


@pytest.mark.parametrize(
    "query", ["email для новых партнеров пвз", "email для договоров", "куда писать по вопросам этики"]
)
def test_an_email_with_one_value_shows_no_conflict_even_beside_other_emails(engine: SearchEngine, query: str) -> None:
    results = engine.search(query, k=10)
    emails = {f.canonical for hit in results for f in extract_facts(hit.text, engine.analyzer) if f.kind == "email"}
    assert len(emails) > 1  # the top ten state several addresses, each for its own purpose
    assert results.conflicts == ()


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("Когда была принята Европейская конвенция по правам человека?", {"date"}),
        ("Сколько очков уступила защита Пэнтерс?", {"number"}),
        ("Кто оспаривает понятие гипотезы кривой Кузнеца?", {"person"}),
        ("Где находится офис Ozon?", {"place", "address"}),
        ("куда звонить в озон", {"phone"}),
        ("на какую почту писать договор", {"email"}),
    ],
)
def test_what_a_question_asks_for(analyzer, question: str, kinds: set[str]) -> None:
    terms = [token.term for token in analyzer.tokens(question)]
    assert kinds <= answer_kinds(question, terms)


def test_a_phone_question_gets_the_sentence_with_the_phone(engine: SearchEngine) -> None:
    hit = engine.search("куда звонить в озон", k=10)
    for h in hit:
        phones = [f for f in extract_facts(h.text, engine.analyzer) if f.kind == "phone" and not f.outdated]
        if phones:
            assert any(h.answer_span[0] <= f.start < h.answer_span[1] for f in phones), h.answer


def test_an_outdated_value_is_not_the_answer_when_the_passage_has_a_current_one(analyzer) -> None:
    text = (
        "Номер 8 800 234-70-00 больше не функционирует. Горячая линия продавцов: звоните по номеру "
        "8 800 555-35-35. Вопросы о номере горячей линии задавайте в чате."
    )
    tokens = analyzer.tokens(text)
    weights = {"номер": 1.0, "горячий": 1.0, "линия": 1.0, "вопрос": 1.0}
    spans = sentence_spans(text)
    facts = extract_facts(text, analyzer)
    start, end = answer_span(spans, tokens, weights, text, asked={"phone"}, facts=facts)
    assert text[start:end] == "Горячая линия продавцов: звоните по номеру 8 800 555-35-35."  # no neighbour joins it
    start, end = answer_span(spans, tokens, weights, text)  # not asked for a phone: the most query words wins
    assert text[start:end].startswith("Горячая линия") and text[start:end].endswith("задавайте в чате.")
    only = {"вопрос": 1.0, "чат": 1.0}  # the neighbour holds none of these words: the unit is read alone
    start, end = answer_span(spans, tokens, only, text)
    assert text[start:end] == "Вопросы о номере горячей линии задавайте в чате."


def test_the_short_answer_skips_a_hit_whose_only_value_is_outdated(engine: SearchEngine) -> None:
    # The fusion ranks first a passage whose only phone is the outdated one (the learned default ranks the
    # current one first, and its short answer is the same passage as here).
    results = engine.search("телефон поддержки озон", k=10, retriever="hybrid")
    assert engine.search("телефон поддержки озон").short_answer.passage_id == results.short_answer.passage_id
    asked = answer_kinds(results.query.rewritten, results.query.terms)
    answers = [(extract_facts(h.text, engine.analyzer), h.answer_span) for h in results]
    first = answers[0][0]
    assert any(f.outdated and answers[0][1][0] <= f.start < answers[0][1][1] for f in first)  # the case at hand
    chosen = best_answer(answers, asked)
    assert chosen > 0
    start, end = results[chosen].answer_span
    facts = [f for f in answers[chosen][0] if f.kind == "phone" and start <= f.start < end]
    assert facts and not any(f.outdated for f in facts)
    assert best_answer(answers, {"email"}) == 0 and best_answer(answers, set()) == 0


def test_addresses_and_links_are_facts(analyzer) -> None:
    text = "Адрес: Пресненская Набережная 10, блок C, Москва, 123112. Кабинет: https://seller.ozon.ru/app/."
    facts = [(f.kind, f.value, f.canonical) for f in extract_facts(text, analyzer)]
    assert (
        "address",
        "Пресненская Набережная 10, блок C, Москва, 123112",
        "пресненская набережная 10, блок c, москва, 123112",
    ) in facts
    assert ("link", "https://seller.ozon.ru/app/", "seller.ozon.ru/app") in facts


@pytest.mark.parametrize("k", [1, 3, 10])
def test_an_outdated_number_is_never_the_short_answer(engine: SearchEngine, k: int) -> None:
    results = engine.search("телефон поддержки озон", k=k)
    short = results.short_answer
    assert short is not None and "234-70-00" not in short.answer
    assert any(fact.kind == "phone" for fact in extract_facts(short.answer, engine.analyzer))
    assert results.to_json()["short_answer"]["passage_id"] == short.passage_id


def test_the_short_answer_is_the_first_hit_when_nothing_is_outdated(engine: SearchEngine) -> None:
    results = engine.search("как вернуть товар")
    assert results.short_answer == results[0]


@pytest.mark.parametrize(
    ("text", "weights", "answer"),
    [
        # the next sentence says what the chosen one introduces
        (
            "Для продавцов открыта отдельная горячая линия. Она принимает звонки круглосуточно. Чат работает днём.",
            {"продавец": 1.0, "горячий": 1.0, "линия": 1.0},
            "Для продавцов открыта отдельная горячая линия. Она принимает звонки круглосуточно.",
        ),
        # the chosen sentence opens with «Его»: what it is comes from the one before
        (
            "Возврат оформляется в личном кабинете. Его можно отменить до передачи товара курьеру. Деньги придут.",
            {"отменить": 1.0, "курьер": 1.0},
            "Возврат оформляется в личном кабинете. Его можно отменить до передачи товара курьеру.",
        ),
        # nothing refers back: the sentence alone
        (
            "Для продавцов открыта отдельная горячая линия. Покупателям отвечают в чате. Чат работает днём.",
            {"продавец": 1.0, "горячий": 1.0, "линия": 1.0},
            "Для продавцов открыта отдельная горячая линия.",
        ),
    ],
)
def test_a_sentence_that_refers_back_is_read_with_what_it_refers_to(analyzer, text, weights, answer) -> None:  # type: ignore[no-untyped-def]
    start, end = answer_span(sentence_spans(text), analyzer.tokens(text), weights, text)
    assert text[start:end] == answer


# --- the units' term index: the same answers as reading every unit for every term ---------------------------


def _reference_answer_span(spans, tokens, weights, text, asked, facts) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The answer sentence as it was chosen before the units' term index: every unit tested for every term."""
    from search.answers import (
        _KIND_BONUS,
        _KIND_VALUES,
        _LOCAL_RARITY,
        _NEIGHBOUR,
        _PROXIMITY,
        _PROXIMITY_WEIGHT,
        _REFERS_BACK,
        FACT_KINDS,
        _values_in,
        passage_units,
    )

    units = list(passage_units(spans, tokens))
    present = [{t for t in weights if t in unit.terms or (len(t) >= 5 and t[:5] in unit.stems)} for unit in units]
    count = len(spans)
    local = {
        t: w * (1 + _LOCAL_RARITY * math.log((count + 1) / (sum(t in p for p in present) + 0.5)))
        for t, w in weights.items()
    }
    scores = [sum(local[t] for t in weights if t in p) for p in present]
    total = sum(local.values())

    def end(number: int) -> int:
        joins = number + 1 < count and text[spans[number][0] : spans[number][1]].rstrip().endswith(("?", ":"))
        return spans[number + 1][1] if joins else spans[number][1]

    def phrase(unit_tokens) -> float:  # type: ignore[no-untyped-def]
        matches = [
            {
                t
                for t in weights
                if token.term == t or (len(t) >= 5 and len(token.term) >= 5 and token.term[:5] == t[:5])
            }
            for token in unit_tokens
        ]
        return max(
            (
                sum(local[t] for t in set().union(*matches[i : i + _PROXIMITY]))
                for i in range(len(matches))
                if matches[i]
            ),
            default=0.0,
        )

    wanted = {kind for kind in asked if kind in _KIND_VALUES}
    for number, unit in enumerate(units):
        if scores[number] > 0:
            scores[number] += _PROXIMITY_WEIGHT * phrase(unit.tokens)
        if wanted and scores[number] > 0 and _values_in(text, unit.tokens, weights) & wanted:
            scores[number] += _KIND_BONUS * total
    kinds = {kind for kind in asked if kind in FACT_KINDS}
    holding = [
        n
        for n in range(count)
        if any(f.kind in kinds and not f.outdated and spans[n][0] <= f.start < end(n) for f in facts)
    ]
    best = max(holding or range(count), key=lambda n: (scores[n], -n))
    beside = [n for n in (best - 1, best + 1) if 0 <= n < count and 0 < scores[best] <= scores[n] / _NEIGHBOUR]
    if beside and not holding:  # a neighbour with half the best's weight is read with it
        other = max(beside, key=lambda n: (scores[n], -n))
        return spans[min(best, other)][0], end(max(best, other))
    start, stop = spans[best][0], end(best)
    # the unit read with the one it refers back to, or the next one that refers back to it
    if best and _REFERS_BACK.match(text, start):
        start = spans[best - 1][0]
    following = [n for n in range(best + 1, count) if spans[n][0] >= stop]
    if following and _REFERS_BACK.match(text, spans[following[0]][0]):
        stop = spans[following[0]][1]
    return start, stop


def test_the_units_term_index_finds_what_reading_each_unit_finds(engine: SearchEngine, analyzer) -> None:  # type: ignore[no-untyped-def]
    from search.answers import passage_units

    for passage in engine.passages[:80]:
        tokens = analyzer.tokens(passage.text)
        units = passage_units(sentence_spans(passage.text), tokens)
        # every word of the passage, a shorter and a longer form of it, and a word it does not hold
        forms = {token.term for token in tokens} | {t[:5] for t in (tok.term for tok in tokens)} | {"звездолёт"}
        forms |= {term + "ами" for term in list(forms)[:20]}
        for form in forms:
            expected = {n for n, u in enumerate(units) if form in u.terms or (len(form) >= 5 and form[:5] in u.stems)}
            assert units.holding((form,)) == expected, (passage.id, form)


def test_answer_sentences_are_the_ones_reading_every_unit_chooses(engine: SearchEngine) -> None:
    from search.evaluation import load_judgments

    pipeline = engine.pipeline
    annotate = pipeline.stage("annotate")
    queries = [j.query for j in load_judgments(Path(__file__).resolve().parent.parent / "corpus" / "queries")]
    compared = 0
    for query in queries + ["позвонить в озон номер", "когда придут деньги", "сколько стоит доставка"]:
        search = pipeline.rank(pipeline.request(query, 10), until="decide")
        weights = annotate.weights(search.query)
        asked = answer_kinds(search.query.info.rewritten, search.query.terms)
        shared = AnswerQuery(weights, asked)  # one query's side, asked about every passage shown (as annotate does)
        for row in search.order[:10].tolist():
            passage = engine.passages[row]
            tokens, spans = engine.analyzer.tokens(passage.text), sentence_spans(passage.text)
            facts = extract_facts(passage.text, engine.analyzer)
            chosen = answer_span(spans, tokens, weights, passage.text, asked=asked, facts=facts)
            assert chosen == _reference_answer_span(spans, tokens, weights, passage.text, asked, facts), query
            units = passage_units(spans, tokens)
            assert shared.span(spans, tokens, passage.text, facts=facts, units=units) == chosen, (query, passage.id)
            compared += 1
    assert compared > 500


def test_query_words_standing_as_one_phrase_outweigh_the_same_words_scattered(analyzer) -> None:
    text = (
        "Фармацевты-консультанты раньше владели аптеками, а работают теперь нередко на крупные компании, "
        "хотя обычно это не так. "
        "Лицензию выдаёт штат. "
        "Фармацевты-консультанты обычно работают в домах для престарелых."
    )
    spans = sentence_spans(text)
    weights = {"фармацевт": 1.0, "консультант": 1.0, "обычно": 1.0, "работать": 1.0}
    start, end = answer_span(spans, analyzer.tokens(text), weights, text)
    # Both sentences hold all four words; the earlier one won the tie before phrases counted.
    assert text[start:end] == "Фармацевты-консультанты обычно работают в домах для престарелых."


def test_a_neighbour_holding_half_the_weight_is_read_with_the_chosen_sentence(analyzer) -> None:
    text = "Байкал — озеро в Восточной Сибири. Глубина озера достигает 1642 метров. Туристы приезжают летом."
    spans = sentence_spans(text)
    tokens = analyzer.tokens(text)
    start, end = answer_span(spans, tokens, {"глубина": 1.0, "озеро": 1.0, "байкал": 1.0}, text)
    assert text[start:end] == "Байкал — озеро в Восточной Сибири. Глубина озера достигает 1642 метров."
    start, end = answer_span(spans, tokens, {"глубина": 1.0, "метр": 1.0, "байкал": 0.2}, text)
    assert text[start:end] == "Глубина озера достигает 1642 метров."  # «Байкал» alone: under half the weight


def test_the_phrase_of_two_found_words_is_the_windows_best() -> None:
    """``_nearest``'s path for two found words (most calls) gives what its window walk gives: every window's
    distinct terms summed in the text's order, the most of them (0 when none weighs)."""

    def walk(found: list[tuple[int, str]], local: dict[str, float]) -> float:
        sums = [
            sum(local[t] for t in dict.fromkeys(t for p, t in found[i:] if p - found[i][0] < _PROXIMITY))
            for i in range(len(found))
        ]
        return max([0.0, *sums])

    weights = (0.0, 0.1, 0.7, 1.5, 2.25, 3.0)
    for first in range(6):
        for gap in range(_PROXIMITY + 2):
            for a in weights:
                for b in weights:
                    for same in (False, True):
                        terms = ("x", "x") if same else ("x", "y")
                        local = {"x": a} if same else {"x": a, "y": b}
                        positions = {"xxxxx": (first,)} if not same else {"xxxxx": (first, first + gap)}
                        forms = {"xxxxx": ["x"]} if same else {"xxxxx": ["x"], "yyyyy": ["y"]}
                        if not same:
                            positions["yyyyy"] = (first + gap,)
                        found = sorted([(first, terms[0]), (first + gap, terms[1])])
                        assert repr(_nearest(positions, forms, local)) == repr(walk(found, local))
