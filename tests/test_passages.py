"""Section-aware chunking of the embedded corpus and of plain documents."""

from __future__ import annotations

import re

import pytest

from search.corpus import Document, read_corpus
from search.passages import MAX_WORDS, Passage, chunk_document


@pytest.fixture(scope="module")
def documents(corpus_dir) -> dict[str, Document]:
    return {document.id: document for document in read_corpus(corpus_dir)}


@pytest.fixture(scope="module")
def passages(documents: dict[str, Document]) -> dict[str, list[Passage]]:
    return {doc_id: chunk_document(document) for doc_id, document in documents.items()}


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def test_every_passage_is_a_verbatim_slice_of_its_document(documents, passages) -> None:
    for doc_id, doc_passages in passages.items():
        text = documents[doc_id].text
        for passage in doc_passages:
            assert text[passage.start : passage.end] == passage.text
            first, last = passage.lines
            assert text.count("\n", 0, passage.start) + 1 == first
            assert text.count("\n", 0, passage.end - 1) + 1 == last


def test_no_passage_crosses_a_section(passages) -> None:
    for doc_passages in passages.values():
        for passage in doc_passages:
            section_start, section_end = passage.section_span
            assert section_start <= passage.start and passage.end <= section_end


def test_every_passage_after_the_first_heading_has_its_section(passages) -> None:
    for doc_passages in passages.values():
        seen_section = False
        for passage in doc_passages:
            seen_section = seen_section or bool(passage.section)
            assert passage.section or not seen_section


def test_passage_sizes(passages) -> None:
    sizes = [_words(p.text) for doc in passages.values() for p in doc]
    assert max(sizes) <= MAX_WORDS * 1.2
    # Sections of short lists are short; most passages still reach 40 words.
    assert sorted(sizes)[len(sizes) // 2] >= 40


@pytest.mark.parametrize(
    ("doc_id", "section"),
    [
        ("buyers-support", ("Зачем обращаться в службу поддержки", "2 Проблемы с оплатой")),
        ("buyers-support", ("Зачем обращаться в службу поддержки", "3 Возвраты и обмены товаров")),
        ("buyers-support", ("Как найти номер телефона", "Отсутствие прямого телефонного номера в открытом доступе")),
        ("buyers-support", ("Как найти номер телефона", "1 Использование приложения Ozon для связи")),
        ("seller-request", ("Пошаговая инструкция обращения через личный кабинет", "1. Вход в систему")),
        ("seller-request", ("Сроки ответа поддержки Ozon",)),
        ("seller-channels", ("Эволюция системы поддержки Ozon Seller", "Прежняя система горячей линии")),
        ("seller-channels", ("Часто задаваемые вопросы (FAQ)",)),
        ("chat-and-support", ("Ozon ID: ваш ключ к экосистеме сервиса",)),
        ("chat-and-support", ("Часто задаваемые вопросы (FAQ)",)),
    ],
)
def test_the_seeds_headings_are_found(passages, doc_id: str, section: tuple[str, ...]) -> None:
    assert section in {p.section for p in passages[doc_id]}


def test_list_items_and_table_rows_are_not_headings(passages) -> None:
    sections = {name for doc in passages.values() for p in doc for name in p.section}
    assert not any(name.startswith("- ") or "|" in name for name in sections)
    assert "Перед звонком подготовьте следующие данные:" not in sections
    assert "Центральный офис Ozon:" not in sections


def test_a_list_stays_with_its_lead_sentence(passages) -> None:
    lead = "Перед звонком подготовьте следующие данные:"
    (passage,) = [p for p in passages["buyers-support"] if lead in p.text]
    assert "- точный адрес доставки, включая индекс;" in passage.text


def test_a_faq_question_stays_with_its_answer(passages) -> None:
    question = "Работает ли номер 8 800 234-70-00?"
    (passage,) = [p for p in passages["seller-channels"] if question in p.text]
    assert "Нет, этот номер" in passage.text


def test_ids_are_stable_across_rebuilds(documents, passages) -> None:
    for doc_id, document in documents.items():
        again = chunk_document(document)
        assert [(p.id, p.text) for p in again] == [(p.id, p.text) for p in passages[doc_id]]
        assert len({p.id for p in again}) == len(again)


def test_citation_names_title_section_and_lines(passages) -> None:
    passage = next(p for p in passages["buyers-support"] if p.section[-1] == "2 Проблемы с оплатой")
    assert passage.citation == (
        "Как связаться со службой поддержки Ozon: руководство для покупателей › "
        "Зачем обращаться в службу поддержки › 2 Проблемы с оплатой, строки 14–21"
    )


def test_markdown_document_with_blank_line_paragraphs() -> None:
    text = (
        "# Доставка\n\n"
        "## Сроки\n\nКурьер привозит заказ за два дня.\nЕсли курьер опоздал,\nнапишите в чат.\n\n"
        "## Стоимость\n\nДоставка бесплатная от 1000 рублей.\n"
    )
    passages = chunk_document(Document(id="faq", title="Доставка", path="faq.md", text=text))
    assert [(p.section, p.text) for p in passages] == [
        (("Доставка", "Сроки"), "Курьер привозит заказ за два дня.\nЕсли курьер опоздал,\nнапишите в чат."),
        (("Доставка", "Стоимость"), "Доставка бесплатная от 1000 рублей."),
    ]


def test_a_very_long_paragraph_is_cut_between_sentences() -> None:
    sentence = "Оператор проверит статус заказа и предложит решение проблемы с доставкой товара. "
    text = "Длинный раздел\n" + sentence * 60
    passages = chunk_document(Document(id="long", title="Длинный", path="long.txt", text=text))
    assert len(passages) > 1
    for passage in passages:
        assert passage.text.startswith("Оператор") and passage.text.endswith("товара.")
        assert _words(passage.text) <= MAX_WORDS


# --- FAQ fields ------------------------------------------------------------------------------

# A one-entry FAQ file in RUTUBE's format (`# question`, blank line, answer): a real help-desk entry's shape.
FAQ_ENTRY = (
    "# Как изменить пароль от аккаунта?\n\n"
    "Откройте настройки профиля и выберите «Сменить пароль». Введите текущий пароль, затем новый, "
    "и подтвердите его. Если текущий пароль забыт, воспользуйтесь восстановлением по почте.\n"
)


def test_a_file_opening_with_a_question_heading_is_a_faq_entry() -> None:
    document = Document("password", "Как изменить пароль от аккаунта?", "password.md", FAQ_ENTRY)
    (passage,) = chunk_document(document)
    assert passage.question == "Как изменить пароль от аккаунта?"
    assert passage.fields["question"] == passage.question
    assert passage.fields["answer"].startswith("Откройте настройки профиля")


def test_a_question_heading_without_its_question_mark_still_asks() -> None:
    text = FAQ_ENTRY.replace("аккаунта?", "аккаунта")
    (passage,) = chunk_document(Document("password", "t", "password.md", text))
    assert passage.question == "Как изменить пароль от аккаунта"


def test_an_article_title_or_a_statement_heading_is_not_a_faq_question(passages) -> None:
    # «Как открыть чат на Ozon» opens an article as a plain line: a title, not one entry's question.
    assert not passages["chat-and-support"][0].question
    statement = "# Правила размещения субтитров\n\nСубтитры загружаются в формате SRT.\n"
    (passage,) = chunk_document(Document("subtitles", "t", "subtitles.md", statement))
    assert passage.question == ""


def test_the_embedded_corpus_faq_sections_carry_their_questions(passages) -> None:
    faq = [p for p in passages["seller-channels"] if p.question]
    questions = [q for p in faq for q in p.question.split("\n")]
    assert "Работает ли телефонная горячая линия Ozon Seller?" in questions
    assert "Работает ли номер 8 800 234-70-00?" in questions
    for passage in faq:
        for question in passage.question.split("\n"):
            assert question in passage.text  # each question is a line of its own passage
            assert question not in passage.fields["answer"]


def test_the_question_field_survives_the_index_round_trip(engine, tmp_path) -> None:
    engine.save(tmp_path / "index")
    loaded = type(engine).load(tmp_path / "index")
    assert [p.question for p in loaded.passages] == [p.question for p in engine.passages]
    assert any(p.question for p in loaded.passages)
