"""The engine end to end on the embedded corpus: real queries, filters, persistence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search import Document, IndexFormatError, SearchEngine

# Real questions, each with the section (innermost heading) and a phrase of the
# passage that answers it. Each must come back in the top 3.
ANSWERS = [
    ("как оформить возврат", "3 Возвраты и обмены товаров", "Возврат и обмен товаров в Ozon"),
    ("двойное списание", "2 Проблемы с оплатой", "Двойное списание одной и той же покупки"),
    ("номер горячей линии для продавцов", "Прежняя система горячей линии", "8 800 234-70-00"),
    ("сроки ответа поддержки", "Сроки ответа поддержки Ozon", "Стандартные вопросы - до 24 часов"),
    ("как вывести деньги с карты озон", "Вывод средств с карты Ozon: просто и удобно", "Минимальная сумма"),
    ("заказать обратный звонок", "2 Запрос обратного звонка", "запрос обратного звонка"),
    ("телефон ozon банка для бизнеса", "Финансовые услуги Ozon", "8 800 555 89 91"),
    ("как войти в ozon id", "Ozon ID: ваш ключ к экосистеме сервиса", "Ozon ID — это ваша учетная запись"),
    ("что делать если нет ответа от поддержки", "Что делать при отсутствии ответа", "Проверьте папку"),
    ("поддержка на английском языке", "Мультиязычная поддержка", "Английский язык"),
    ("минимальная сумма вывода", "Вывод средств с карты Ozon: просто и удобно", "от 100 ру"),
    ("сигнал слабый не могу дозвониться", "4 Технические трудности", "Слабый сигнал"),
    ("персональный менеджер для продавца", "Персональные менеджеры для VIP-селлеров", "персонального менеджера"),
    ("как скопировать ссылку на товар", "Копирование ссылок: делимся товарами с легкостью", "Копировать"),
    ("dogovor@ozon.ru", "Контакты Ozon для бизнеса", "dogovor@ozon.ru"),
    ("+7 800 555 34 34", "1 Необходимая информация", "8 800 555‑34‑34"),
]


def _found(hits, section: str, phrase: str) -> bool:
    return any(hit.passage.section[-1:] == (section,) and phrase in hit.text for hit in hits)


@pytest.mark.parametrize(("query", "section", "phrase"), ANSWERS)
def test_real_questions_find_their_answer_in_the_top_3(engine: SearchEngine, query, section, phrase) -> None:
    hits = engine.search(query, k=3)
    assert _found(hits, section, phrase), [h.citation for h in hits]


def test_hit_carries_its_source(engine: SearchEngine) -> None:
    hit = engine.search("двойное списание", k=1)[0]
    assert hit.doc_id == "buyers-support"
    assert hit.title == "Как связаться со службой поддержки Ozon: руководство для покупателей"
    assert hit.section == "Зачем обращаться в службу поддержки › 2 Проблемы с оплатой"
    assert hit.citation == f"{hit.title} › {hit.section}, строки 14–21"
    assert hit.passage_id == "buyers-support:002"
    assert hit.text in engine.documents["buyers-support"].text
    assert hit.audience == ("покупатели",)
    assert set(hit.retrievers) >= {"bm25", "tfidf"} and hit.retrievers["bm25"].rank == 1


def test_highlights_cover_every_matched_word_form(engine: SearchEngine) -> None:
    hit = engine.search("возвраты", k=1)[0]
    marked = {hit.text[start:end] for start, end in hit.highlights}
    assert {"Возврат", "возврат"} <= marked
    assert hit.matched_terms == ("возврат",)


def test_results_are_a_sorted_sequence(engine: SearchEngine) -> None:
    results = engine.search("служба поддержки ozon seller", k=7)
    assert len(results) == 7 and [h.rank for h in results] == list(range(1, 8))
    scores = [hit.score for hit in results]
    assert scores == sorted(scores, reverse=True)
    assert results[0] is list(results)[0] and results.answered


@pytest.mark.parametrize("retriever", ["bm25", "tfidf", "chars", "headings"])
def test_single_retrievers_rank_by_their_own_score(engine: SearchEngine, retriever: str) -> None:
    results = engine.search("двойное списание с карты", k=5, retriever=retriever)
    assert results.retriever == retriever
    assert [h.score for h in results] == [h.retrievers[retriever].score for h in results]


def test_ties_are_broken_deterministically(engine: SearchEngine) -> None:
    first = [h.passage_id for h in engine.search("ozon", k=20)]
    assert first == [h.passage_id for h in engine.search("ozon", k=20)]


def test_filters_by_document_and_audience(engine: SearchEngine) -> None:
    sellers = engine.search("горячая линия", k=10, audience="продавцы")
    assert sellers and all("продавцы" in h.audience for h in sellers)
    only = engine.search("горячая линия", k=10, documents={"buyers-support"})
    assert only and {h.doc_id for h in only} == {"buyers-support"}


@pytest.mark.parametrize("query", ["", "   ", "и в на с по", "?!.,", "абырвалг"])
def test_queries_without_matching_terms_answer_nothing(engine: SearchEngine, query: str) -> None:
    results = engine.search(query)
    assert not results.answered
    assert query.strip() in ("", "абырвалг") or len(results) == 0


def test_overlong_query_is_cut_and_says_so(engine: SearchEngine) -> None:
    results = engine.search("возврат товара " * 500)
    assert results.query.truncated and len(results.query.rewritten) == 1000
    assert results.answered


def test_bad_arguments_get_clear_errors(engine: SearchEngine) -> None:
    with pytest.raises(ValueError, match="unknown retriever 'bm26'"):
        engine.search("возврат", retriever="bm26")
    with pytest.raises(TypeError, match="query must be a string"):
        engine.search(None)  # type: ignore[arg-type]
    for k in (0, -1, None, 2.5, "3"):
        with pytest.raises(ValueError, match="k must be a whole number of hits, 1 or more"):
            engine.search("возврат", k=k)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown documents \['nonexistent'\]; the corpus has: buyers-support"):
        engine.search("возврат", documents={"nonexistent"})
    with pytest.raises(ValueError, match="unknown audience 'марсиане'; choose from: покупатели, продавцы"):
        engine.search("возврат", audience="марсиане")
    with pytest.raises(
        ValueError, match=r"unknown rewriting steps \['grammar'\]; choose from: layout, transliteration"
    ):
        engine.search("возврат", rewrite=["grammar"])
    assert len(engine.search("возврат", k=1, documents={"buyers-support"}, audience="покупатели")) == 1


def test_a_heading_equal_to_the_title_is_cited_once() -> None:
    title = "Почему могут отключить монетизацию?"
    document = Document(
        "faq-1", title, "faq-1.txt", f"# {title}\n\nЕсли на канале нарушены правила, монетизацию отключают.\n"
    )
    other = Document(
        "faq-2", "Как сменить пароль?", "faq-2.txt", "# Как сменить пароль?\n\nОткройте настройки профиля.\n"
    )
    engine = SearchEngine.build([document, other], retrievers=["tfidf"], progress=False)
    hit = engine.search("монетизация отключить", k=1)[0]
    assert hit.citation == f"{title}, строка 3"


def test_section_text_expands_the_passage(engine: SearchEngine) -> None:
    hit = engine.search("краткая инструкция по возврату", k=1)[0]
    section = engine.section_text(hit)
    assert hit.text in section and section.startswith("3 Возвраты и обмены товаров\nВозврат и обмен товаров в Ozon")


# --- persistence ------------------------------------------------------------------------


def test_save_load_round_trip_gives_identical_results(engine: SearchEngine, tmp_path: Path) -> None:
    engine.save(tmp_path / "index")
    loaded = SearchEngine.load(tmp_path / "index")
    assert loaded.passages == engine.passages
    for query in ["как оформить возврат", "8 800 234-70-00", "горячая линия для селлеров", "вазврат"]:
        for retriever in ["hybrid", "bm25", "tfidf", "chars"]:
            ours = engine.search(query, k=10, retriever=retriever)
            again = loaded.search(query, k=10, retriever=retriever)
            assert [(h.passage_id, h.score, h.highlights) for h in ours] == [
                (h.passage_id, h.score, h.highlights) for h in again
            ]


@pytest.fixture()
def corpus_copy(corpus_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "corpus"
    shutil.copytree(corpus_dir, copy, ignore=shutil.ignore_patterns(".index", "queries"))
    return copy


def test_unchanged_corpus_loads_and_changed_corpus_rebuilds(corpus_copy: Path) -> None:
    built = SearchEngine.from_directory(corpus_copy)
    assert not built.search("телепортация").answered
    reloaded = SearchEngine.from_directory(corpus_copy)
    assert reloaded.fingerprint == built.fingerprint
    with (corpus_copy / "ozon-chat-and-support.txt").open("a", encoding="utf-8") as handle:
        handle.write("\nТелепортация посылок\nOzon не телепортирует посылки: доставку выполняют курьеры.\n")
    rebuilt = SearchEngine.from_directory(corpus_copy)
    assert rebuilt.fingerprint != built.fingerprint
    assert rebuilt.search("телепортация", k=1)[0].passage.section[-1] == "Телепортация посылок"


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "passages.json").write_text("[", encoding="utf-8"),
        lambda folder: (folder / "arrays" / "bm25.idf.npy").write_bytes(b"\x93NUMPY garbage"),
        lambda folder: (folder / "manifest.json").write_text('{"format": "other"}', encoding="utf-8"),
        lambda folder: (folder / "retrievers.json").unlink(),
        lambda folder: (folder / "manifest.json").write_text("\x00\x01", encoding="utf-8"),
    ],
)
def test_a_damaged_index_gives_one_clear_error_and_is_rebuilt_from_the_corpus(corpus_copy: Path, damage) -> None:
    engine = SearchEngine.from_directory(corpus_copy)
    version = next(p for p in (corpus_copy / ".index").iterdir() if p.name.startswith("v-"))
    damage(version)
    with pytest.raises(IndexFormatError) as error:
        SearchEngine.load(corpus_copy / ".index")
    message = str(error.value)
    assert "\n" not in message and "python -m search build" in message
    again = SearchEngine.from_directory(corpus_copy)
    assert again.search("двойное списание", k=1)[0].passage_id == engine.search("двойное списание", k=1)[0].passage_id


def test_loading_a_folder_without_an_index_says_so(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match="no index in"):
        SearchEngine.load(tmp_path)


def test_any_folder_of_plain_text_files(tmp_path: Path) -> None:
    (tmp_path / "доставка.txt").write_text(
        "Сроки доставки\nКурьер привозит заказ за два рабочих дня после оплаты.\n"
        "Стоимость доставки\nДоставка бесплатна для заказов от 1000 рублей.\n",
        encoding="utf-8",
    )
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "оплата.md").write_text(
        "# Оплата\n\nОплатить заказ можно картой или через СБП.\n", encoding="utf-8"
    )
    engine = SearchEngine.from_directory(tmp_path, index_dir=tmp_path / "idx")
    assert set(engine.documents) == {"доставка", "notes/оплата"}
    hit = engine.search("сколько стоит доставка", k=1)[0]
    assert hit.section == "Стоимость доставки" and hit.title == "доставка"
    assert engine.search("чем оплатить", k=1)[0].title == "Оплата"
