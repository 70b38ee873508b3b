"""Query rewriting: each step fixes what is broken and leaves alone what is right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search import Document, SearchEngine
from search.query import TEXT_STEPS, QueryRewriter, Thesaurus, parse_synonyms
from search.rewrite import Rewrite, RewriteStep
from search.slips import ear_slips
from search.spelling import _first_two_swapped
from search.vocabulary import DeletionIndex, Vocabulary


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
        ("kak vernut dengi za tovar", "как вернуть деньги за товар"),  # informal: signs dropped
        ("kak svyazatsya s prodavcom", "как связаться с продавцом"),
        ("svyazat'sya s prodavtsom", "связаться с продавцом"),  # «'» as ь, «ts» as ц
        ("lichnyj kabinet", "личный кабинет"),  # «j» for й
        ("lichnyy kabinet prodavca", "личный кабинет продавца"),  # «y» for й, «c» for ц
        ("lichnyi kabinet prodavtsa", "личный кабинет продавца"),  # passport/ICAO: «i» for й, «ts» for ц
        ("goriachaia liniia", "горячая линия"),  # passport/ICAO: «ia» for я
        ("goryachaya liniya", "горячая линия"),  # GOST-like: «ya» for я
        ("xranenie tovara", "хранение товара"),  # GOST 7.79: «x» for х
        ("hranenie tovarov", "хранение товаров"),  # informal: «h» for х
        ("khranenie tovara", "хранение товара"),  # passport: «kh» for х
        ("elektronnaya pochta", "электронная почта"),  # «e» for э
        ("oformit' zakaz", "оформить заказ"),
        ("skol'ko zhdat' vozvrata deneg", "сколько ждать возврата денег"),
        ("obyavlenie", "объявление"),  # the hard sign left out
        ("nomer goryachey linii", "номер горячей линии"),
        ("dostavka", "доставка"),
    ],
)
def test_transliteration_in_every_scheme_becomes_cyrillic(engine: SearchEngine, typed: str, meant: str) -> None:
    rewritten, corrections = _rewritten(engine, typed)
    assert rewritten == meant
    assert {step for step, _, _ in corrections} == {"transliteration"}


def test_short_words_follow_the_query_s_transliteration_not_the_keyboard(engine: SearchEngine) -> None:
    typed = "ne prishli dengi na kartu i v prilozhenii s oshibkoj"
    rewritten, corrections = _rewritten(engine, typed)
    assert rewritten == "не пришли деньги на карту и в приложении с ошибкой"  # «ne» on the Russian keys is «ту»
    assert {step for step, _, _ in corrections} == {"transliteration"}
    assert ("transliteration", "ne", "не") in corrections


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("kak ee vernut. spasibo.", "как ее вернуть. спасибо."),  # «ee» is «ее», not «ээ»; «.» is a full stop
        ("eto moj zakaz i ego status", "это мой заказ и его статус"),  # not the distorted «ето», nor «й»
        ("a che s zakazom", "а че с заказом"),  # a function word only as the usual reading: not «чье», a sign added
        ("den.Ia khochu vernut tovar", "день.я хочу вернуть товар"),  # no space after the full stop
        ("po-angliiski otvechaet podderzhka", "по-английски отвечает поддержка"),
        ("sozdat tiket v lk sellera", "создать тикет в лк селлера"),  # the thesaurus's jargon is a word
        ("fbo otgruzka problema", "фбо отгрузка проблема"),
        ("podtverzhdenie e-mail ne prishlo", "подтверждение e-mail не пришло"),  # one letter read after a number only
        ("zakaz ozon.ru ne prishel", "заказ ozon.ru не пришел"),  # an address, not «щящтюкг» on the Russian keys
    ],
)
def test_transliterated_function_words_pieces_and_jargon(engine: SearchEngine, typed: str, meant: str) -> None:
    assert _rewritten(engine, typed)[0] == meant


def test_a_latin_brand_stays_and_its_russian_reading_is_searched_alongside(engine: SearchEngine) -> None:
    info = engine.search("nomer goryachej linii ozon", k=1).query
    assert info.rewritten == "номер горячей линии ozon"  # the corpus writes Ozon in Latin: it stays
    assert ("synonyms", "ozon", "озон") in [(c.step, c.original, c.replacement) for c in info.corrections]
    assert "озон" in info.expansions  # and «озон», which the corpus uses too, is searched at a synonym's weight
    assert "озон" not in engine.search("ozon seller api", k=1).query.expansions  # not in a query of Latin words


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("kak svjazatsja s ozon", "как связаться с ozon"),  # the corpus writes Ozon in Latin
        ("ozon seller api", "ozon seller api"),
        ("cnfnec pfrfpf ozon", "статус заказа ozon"),
    ],
)
def test_brand_names_the_corpus_writes_in_latin_stay(engine: SearchEngine, typed: str, meant: str) -> None:
    assert _rewritten(engine, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("статус закза", "статус заказа"),
        ("вазврат товара", "возврат товара"),
        ("двойнае списане", "двойное списание"),  # the corpus's «двойное», not the dictionary's «двойнее»
        ("списали деньги дваждый", "списали деньги дважды"),  # one edit, not «важный» at two
        ("озон не вазвращает деньги", "озон не возвращает деньги"),  # a form the corpus never uses
        ("в чаге", "в чате"),  # real words the corpus does not use: чага, закат
        ("мой закат не пришел", "мой заказ не пришел"),
    ],
)
def test_spelling_is_corrected_towards_the_corpus(engine: SearchEngine, typed: str, meant: str) -> None:
    rewritten, corrections = _rewritten(engine, typed)
    assert rewritten == meant and {step for step, _, _ in corrections} == {"spelling"}


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # misspellings by ear or by rule, towards the corpus's words
        ("щет на оплату", "счет на оплату"),  # «сч» written «щ»: one misspelling, two edits (was «ищет»)
        ("что делать если заказ не пришол", "что делать если заказ не пришел"),  # «ё» after «ш» (was «пришло»)
        ("прасматреть заказы", "просмотреть заказы"),  # two unstressed vowels (was left as typed)
        ("как заказот карту Ozon?", "как заказать карту Ozon?"),  # two by ear, not «заказов» with a far key
        ("не могу связатся с поддержкой", "не могу связаться с поддержкой"),
        ("безплатная доставка", "бесплатная доставка"),
        ("как удалить акаунт", "как удалить аккаунт"),
        ("цыфровой товар", "цифровой товар"),
        ("верефикация продавца", "верификация продавца"),
        ("ограниченый доступ", "ограниченный доступ"),
        # and well-typed words left alone
        ("возврат денег на карту", "возврат денег на карту"),
        ("где мой заказ", "где мой заказ"),
        ("как оформить возврат", "как оформить возврат"),
    ],
)
def test_misspellings_by_ear_come_back_and_real_words_stay(engine: SearchEngine, typed: str, meant: str) -> None:
    assert _rewritten(engine, typed)[0] == meant


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
    ],
)
def test_ear_slips_knows_no_other_misspelling(typed: str, meant: str) -> None:
    assert ear_slips(typed, meant) > 2


def test_a_cyrillic_reading_of_a_latin_word_of_the_corpus_is_searched_alongside_it_not_corrected() -> None:
    engine = SearchEngine.build(
        [
            Document(
                id="shorts",
                title="Shorts",
                path="shorts.txt",
                text="Shorts — короткие вертикальные видео до минуты. Загрузить Shorts можно с телефона.",
            ),
            Document(
                id="quality",
                title="Качество",
                path="quality.txt",
                text="Стандарт качества: видео в разрешении standard definition или HD.",
            ),
            Document(id="clothes", title="Одежда", path="clothes.txt", text="Летняя одежда: футболки и юбки."),
        ]
    )
    info = engine.search("как загрузить шортс", k=1).query
    assert info.rewritten == "как загрузить шортс" and "shorts" in info.expansions  # not the dictionary's «шорты»
    assert _rewritten(engine, "стандар качества")[0] == "стандарт качества"  # the corpus's own word is as near
    assert _rewritten(engine, "как загрузить шорты")[0] == "как загрузить шорты"  # a real word stays


TINY_CORPUS = {
    "studio": ("Студия", "Студия звукозаписи работает каждый день с девяти утра до девяти вечера."),
    "cats": ("Кошки", "Кат — старое слово для палача. Кошка и кот живут в доме; кат и кошка не дружат."),
    "bakery": ("Пекарня", "Пекарня печёт хлеб и булки по утрам, а вечером продаёт пироги."),
    "garage": ("Гараж", "Гараж чинит машины: замена масла, шин и тормозов за один день."),
    "library": ("Библиотека", "Библиотека выдаёт книги на две недели; продлить срок можно по телефону."),
}


@pytest.fixture(scope="module")
def studio_and_cats() -> SearchEngine:
    """Five tiny documents, a studio's hours among them, and cats (where «кат» is a word of its own)."""
    return SearchEngine.build(
        [Document(id=key, title=title, path=f"{key}.txt", text=text) for key, (title, text) in TINY_CORPUS.items()]
    )


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("студя звукозаписи", "студия звукозаписи"),  # студя: a form of «студить» no document uses
        ("кат и кошка", "кат и кошка"),  # «кат» is the corpus's own word: it stays
        ("кот дома", "кот дома"),  # a real word the corpus uses
        ("телепортация кошки", "телепортация кошки"),  # a real word nothing is one edit from
        ("рецепт борща", "рецепт борща"),  # no passage covers it either way
        # three misspellings by ear (two letters doubled, «о» heard as «а»), no word within two edits: the corpus's
        # word its doubled letters single and one edit away
        ("бибблиатекка", "библиотека"),
    ],
)
def test_real_word_typos_are_corrected_only_when_a_passage_then_covers_the_query(
    studio_and_cats: SearchEngine, typed: str, meant: str
) -> None:
    assert _rewritten(studio_and_cats, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # «мыть» and «мочь» share a first letter, not a stem: no aspect pair, so «моет» may be «может»
        ("моет ли поддержка вернуть деньги", "может ли поддержка вернуть деньги"),
        ("мажет ли курьер позвонить", "может ли курьер позвонить"),
        # the first letter struck on a neighbouring key (ш for г), when no other corpus word is one edit away
        ("в каком шоду открылся озон", "в каком году открылся озон"),
        # real words that stay: an aspect pair, a word nothing likelier is near, the corpus's own words
        ("как заполнять анкету продавца", "как заполнять анкету продавца"),
        ("мыть посуду", "мыть посуду"),
        ("курьер не пришел в срок", "курьер не пришел в срок"),
    ],
)
def test_real_word_typos_of_another_stem_or_first_key_are_corrected(
    engine: SearchEngine, typed: str, meant: str
) -> None:
    assert _rewritten(engine, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a Russian word glued by a hyphen to a Latin brand or a number is read as a word, its prefix as written
        ("как связаться с Ozon-поддрежкой", "как связаться с Ozon-поддержкой"),
        ("сколько стоит 2-дневнач доставка", "сколько стоит 2-дневная доставка"),
        ("как оплатить Ozon-картой", "как оплатить Ozon-картой"),
    ],
)
def test_a_word_glued_to_a_latin_prefix_or_a_number_is_corrected(engine: SearchEngine, typed: str, meant: str) -> None:
    assert _rewritten(engine, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # the closest word («вит», «отвар», «абзаца») is one no passage has beside the query's other words;
        # two slips away is the corpus's word that the best passage then covers the query with
        ("как вйит в Ozon ID?", "как войти в Ozon ID?"),
        ("как отправить другу отавр", "как отправить другу товар"),
        ("абзаа знаний", "база знаний"),
        # «операцию» is the corpus's word, but a far key struck is no slip of the finger; two letters left out are
        ("карточка не прошла одеацию", "карточка не прошла модерацию"),
        # the corpus has «пометку» two slips away, but no passage covers the query with it: the closest word stays
        ("как оформить ипоетку через озон", "как оформить ипотеку через озон"),
        # «тикета» (the documents' «тикет») and «этикетка» are one slip each: the passage that covers the query decides
        ("тикетка возврат", "этикетка возврат"),
        # «крата» is a real word, and «вывод средств» alone is covered over half: «карта» is 100× likelier and
        # makes the best passage cover all of it
        ("вывод средств крата", "вывод средств карта"),
        # the same in questions covered over half already, where a passage then covers far more of them
        ("как выбрать нужный пункт в голосовом мерю?", "как выбрать нужный пункт в голосовом меню?"),
        ("ранится ли история переписки с поддержкой", "хранится ли история переписки с поддержкой"),
        # a three-letter real word (соя, мнить) is a four-letter word of the corpus with a letter dropped
        ("возместят ли убытки если сой по вине озона", "возместят ли убытки если сбой по вине озона"),
        ("как выбрать нужный пункт в голосовом мню?", "как выбрать нужный пункт в голосовом меню?"),
    ],
)
def test_a_typo_s_correction_is_weighed_in_the_query_s_context(engine: SearchEngine, typed: str, meant: str) -> None:
    rewritten, corrections = _rewritten(engine, typed)
    assert rewritten == meant and {step for step, _, _ in corrections} == {"spelling"}


@pytest.mark.parametrize(
    ("typed", "alongside"),
    [
        ("как связаться с Подддержкй", "поддержка"),  # two slips in a long name: a letter doubled, a neighbour
        ("как отменить Зарос в поддержку", "запрос"),  # a dictionary word (зарасти) no document uses, one slip away
    ],
)
def test_a_misspelt_capitalised_word_is_searched_alongside_the_corpus_word(
    engine: SearchEngine, typed: str, alongside: str
) -> None:
    info = engine.search(typed, k=1).query
    assert info.rewritten == typed and alongside in info.expansions  # never overwritten: it may be a name


def test_a_hyphenated_word_is_corrected_part_by_part(engine: SearchEngine) -> None:
    """No word is near «по-аеглийскр» as a whole; its second part is one word with two slips. An adverb of
    an adjective the dictionary knows («по-голландски») is no typo, though pymorphy3 lacks the adverb."""
    assert _rewritten(engine, "отвечает ли поддержка по-аеглийскр")[0] == "отвечает ли поддержка по-английски"
    assert _rewritten(engine, "интернет-мпгазин")[0] == "интернет-магазин"
    assert _rewritten(engine, "отвечает ли поддержка по-голландски")[1] == []


def test_a_typo_before_a_full_stop_is_corrected_and_the_stop_kept(engine: SearchEngine) -> None:
    """A sentence's last word carries its full stop or ellipsis; a Latin word's «.» is a key of the other
    layout («ozon.ru» stays a domain)."""
    assert _rewritten(engine, "Не могу оформить возварт. Что делать?")[0] == "Не могу оформить возврат. Что делать?"
    assert _rewritten(engine, "как оформить возварт…")[0] == "как оформить возврат…"
    assert _rewritten(engine, "вернуть деньги на ozon.ru")[1] == []


def test_the_first_two_letters_swapped_keep_the_first_letter(engine: SearchEngine) -> None:
    """«зоон» is a dictionary word (a zoological term), so a real-word typo; its first two letters swapped
    are one slip, not the first letter missed, and «озон» is the documents' word."""
    assert _rewritten(engine, "номер горячей линии зоон")[0] == "номер горячей линии озон"
    assert _first_two_swapped("зоон", "озон") and _first_two_swapped("бкулки", "булки") is False
    assert not _first_two_swapped("оон", "оон") and not _first_two_swapped("ззон", "ззон")


@pytest.mark.parametrize(
    ("typed", "alongside"),
    [
        ("когда работает Пекаорня", "пекарня"),  # a capitalised word, one slip from the corpus's
        ("работает ли Студиия", "студия"),  # a letter doubled
        ("когда работает Пекарне", None),  # the corpus's word in another case: no typo
        ("хлеб у Пекарн", "пекарня"),  # one slip in the ending (a letter left out)
        ("работает ли Ытудия", "студия"),  # one slip on the first letter (a neighbouring key)
        ("хлеб у Пекарну", None),  # an edit in the ending no slip makes: a name in another case, left alone
    ],
)
def test_a_capitalised_word_is_searched_alongside_its_corpus_spelling_only_for_a_slip(
    studio_and_cats: SearchEngine, typed: str, alongside: str | None
) -> None:
    info = studio_and_cats.search(typed, k=1).query
    assert info.rewritten == typed  # a name is never overwritten: it may be another spelling of it
    assert (alongside in info.expansions) if alongside else not info.expansions


def test_a_likely_slip_costs_less_than_an_unlikely_one() -> None:
    from search.slips import slip_cost

    assert slip_cost("делта", "дельта") == 0 < slip_cost("делта", "дела")  # a letter left out, not a stray «т»
    assert slip_cost("сарался", "старался") == 0 < slip_cost("сарался", "скрался")  # left out, not a neighbour
    assert slip_cost("сарался", "скрался") == 1  # a neighbouring key struck («а» for «к»)
    assert slip_cost("закза", "заказ") == 0 and slip_cost("заказзы", "заказы") == 0  # a swap, a doubling
    assert slip_cost("закат", "заказ") == 2  # «т» is far from «з»


def test_rewriting_steps_are_objects_with_the_step_names(engine: SearchEngine) -> None:
    rewriter = engine.pipeline.stage("understand").rewriter
    assert tuple(step.name for step in rewriter.steps) == TEXT_STEPS == ("layout", "transliteration", "spelling")
    assert all(isinstance(step, RewriteStep) for step in rewriter.steps)
    transliterated = rewriter.steps[1].apply("kak vernut dengi")
    assert transliterated.text == "как вернуть деньги"
    assert rewriter.rewrite("kak vernut dengi", steps={"layout"}).text == "kak vernut dengi"


def test_a_vocabulary_without_a_corpus_engine_still_rewrites() -> None:
    rewriter = QueryRewriter(Vocabulary({"статус": 3, "заказа": 2}, lambda word: False))
    assert rewriter.rewrite("cnfnec pfrfpf").text == "статус заказа"
    assert [c.step for c in rewriter.rewrite("cnfnec pfrfpf").corrections] == ["layout", "layout"]


def test_a_repeated_query_is_rewritten_as_the_first_time_under_each_set_of_steps() -> None:
    rewriter = QueryRewriter(Vocabulary({"статус": 3, "заказа": 2}, lambda word: False))
    first = rewriter.rewrite("cnfnec pfrfpf статус")
    assert rewriter.rewrite("cnfnec pfrfpf статус", steps={"spelling"}).text == "cnfnec pfrfpf статус"
    assert rewriter.rewrite("cnfnec pfrfpf статус", steps=["layout"]).text == "статус заказа статус"
    assert rewriter.rewrite("cnfnec pfrfpf статус") == first and first.text == "статус заказа статус"


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


def test_well_typed_judged_queries_are_not_rewritten(engine: SearchEngine) -> None:
    from search.evaluation import load_judgments

    judgments = load_judgments("corpus/queries/judged.jsonl")
    clean = [j.query for j in judgments if j.kind in {"question", "keywords", "word_forms", "paraphrase", "fact"}]
    changed = {q: _rewritten(engine, q)[1] for q in clean if _rewritten(engine, q)[1]}
    assert changed == {}


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


def test_a_thesaurus_rule_applies_wherever_its_phrase_stands_in_the_query(analyzer) -> None:
    """Rules are skipped by their phrases' first lemmas: a phrase in the middle of the query, the second of
    a rule's phrases and one of several rules that apply must all still be found, in the rules' order."""
    thesaurus = Thesaurus.from_text("лк => личный кабинет\nпункт выдачи, пвз\nвозврат денег => refund\n", analyzer)
    added, made = thesaurus.expand(tuple(analyzer.terms("где мой пвз и как сделать возврат денег")))
    assert added == ["пункт", "выдача", "refund"]
    assert [(c.original, c.replacement) for c in made] == [("пвз", "пункт выдача"), ("возврат деньга", "refund")]
    assert thesaurus.expand(tuple(analyzer.terms("деньги за возврат")))[0] == []  # words, not the phrase


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
        "как оформить возврат",
        "не пришли деньги за заказ",
        "cnfnec pfrfpf",
        "пвз",
        "лк селлера",
        "работает ли горячая линия для селлеров",
        "двойнае списане",
        "8 800 234-70-00",
    ],
)
def test_questions_the_documents_answer_are_not_flagged(engine: SearchEngine, query: str) -> None:
    results = engine.search(query)
    assert results.answered and not results.query.missing


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("ldjqyjt cgtcfybt", "двойное списание"),  # a typo typed on the wrong layout: spelling finishes it
        ("cjplfnm nbrtn d kr ctkkthf", "создать тикет в лк селлера"),  # short words switch too, known or not
        ("jndtxftn kb gjllth;rf gj-fyukbqcrb", "отвечает ли поддержка по-английски"),  # a hyphenated word
        ("uhfabr hf,jns crkflf d {jheudbyj", "график работы склада в хоругвино"),  # «{» is Shift + «х»
        ("crjkmrj cnjbn gjlgbcrf Щящт Зкуьшгь", "сколько стоит подписка ozon premium"),  # Latin on Russian keys
        ("ыфдуы-змя@щящт.кг", "sales-pvz@ozon.ru"),  # an address typed on the Russian layout
        ("jnvtyf pfrfpf 2-[ njdfhjd", "отмена заказа 2-х товаров"),  # a number joined to a word: «[» is «х»
        ("вмщштщу ызшыфтшу", "двойное списание"),  # transliteration typed on the Russian layout
        ("dvoinoe spesanie", "двойное списание"),  # a typo in Latin letters: read, then spelt
        ("otvechaet li podderzhka po-angliiski", "отвечает ли поддержка по-английски"),
        ("kakie sposoby oplaty est", "какие способы оплаты есть"),
        ("какие способы оплаты еть", "какие способы оплаты есть"),  # three letters, a word of the language
        ("форма обратной вязи", "форма обратной связи"),  # a real word missing its first letter
    ],
)
def test_typos_across_schemes_come_back(engine: SearchEngine, typed: str, meant: str) -> None:
    assert _rewritten(engine, typed)[0] == meant


@pytest.mark.parametrize(
    "query",
    [
        "skolko stoit podpiska Ozon Premium",  # a capitalised Latin word is a name, not a typo to guess at
        "Когда ARPNET и SITA начали свою работу?",  # a single Latin word with a typo decides no scheme
        "кат и кошка",
        "фбо отгрузка проблема",  # three-letter jargon is no four-letter word with a letter dropped
        "вип селлер личный менеджер",
        "техподдержка по апи",
    ],
)
def test_guesses_stay_away_from_names(engine: SearchEngine, query: str) -> None:
    rewritten = _rewritten(engine, query)[0]
    assert "premium" in rewritten.lower() or "ARPNET" in rewritten or rewritten == query


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # Real words the language uses more than the help centre's word, which the help centre says far more often
        # than the language does: the corpus's own frequency is the likelier story.
        ("записывать данные звона", "записывать данные звонка"),
        ("какие форматы файлов можно отправить в поддержу", "какие форматы файлов можно отправить в поддержку"),
    ],
)
def test_a_real_word_typo_weighs_the_corpus_word_by_the_corpus_own_frequency(
    engine: SearchEngine, typed: str, meant: str
) -> None:
    assert _rewritten(engine, typed)[0] == meant
    assert engine.index.spelling is not None
    language = engine.index.spelling.frequency
    corrected = meant.split()[-1]
    # what decides: the language alone does not use the corpus word 100× more than the real word typed
    assert language(corrected) - language(typed.split()[-1]) < 2.0


def test_a_long_name_one_slip_from_a_dictionary_word_is_searched_alongside_it(engine: SearchEngine) -> None:
    # The documents never name Great Britain: the dictionary's word is searched beside the name as typed.
    info = engine.search("доставка в Великобританиии", k=1).query
    assert info.rewritten == "доставка в Великобританиии"  # a name is never overwritten
    assert "великобритания" in info.expansions
    typed_right = engine.search("доставка в Великобританию", k=1).query
    assert not [c for c in typed_right.corrections if c.original == "великобритания"]


@pytest.mark.parametrize(
    ("typed", "meant", "changed"),
    [
        ("каквернуть деньги", "как вернуть деньги", ("каквернуть", "как вернуть")),  # a space lost
        ("возвраттовара", "возврат товара", ("возвраттовара", "возврат товара")),
        ("номертелефона поддержки", "номер телефона поддержки", ("номертелефона", "номер телефона")),
        ("горячаялиния для продавцов", "горячая линия для продавцов", ("горячаялиния", "горячая линия")),
        ("незнаю как вернуть товар", "не знаю как вернуть товар", ("незнаю", "не знаю")),  # not «знаю»
        ("воз врат товара", "возврат товара", ("воз врат", "возврат")),  # a space put in: two rare words
        ("как вернуть день ги", "как вернуть деньги", ("день ги", "деньги")),
        ("в е р н у т ь деньги", "вернуть деньги", ("в е р н у т ь", "вернуть")),  # spelt out
        ("как в е р н у т ь деньги", "как вернуть деньги", ("в е р н у т ь", "вернуть")),
        ("проооодавец не отвечает", "продавец не отвечает", ("проооодавец", "продавец")),  # a key held down
        ("ссссылка на заказ", "ссылка на заказ", ("ссссылка", "ссылка")),  # squeezed to two: the known word
        ("можноли написать продавцу", "можно ли написать продавцу", ("можноли", "можно ли")),  # an enclitic
        ("через скол ько минут перезвонят", "через сколько минут перезвонят", ("скол ько", "сколько")),
        ("создать тикет в л к селлера", "создать тикет в лк селлера", ("л к", "лк")),  # the thesaurus's jargon
    ],
)
def test_word_boundaries_are_put_back(engine: SearchEngine, typed: str, meant: str, changed: tuple) -> None:
    rewritten, corrections = _rewritten(engine, typed)
    assert rewritten == meant
    assert ("spelling", *changed) in corrections


def test_a_piece_spelling_reads_one_edit_away_as_a_likelier_word_is_not_joined(engine: SearchEngine) -> None:
    # «в ень»: «вень» (вена) is a word too, but «день» is one edit from «ень» and the language uses it far more
    rewritten, corrections = _rewritten(engine, "25 250 сообщений в ень")
    assert rewritten == "25 250 сообщений в день"
    assert corrections == [("spelling", "ень", "день")]


@pytest.mark.parametrize(
    "query",
    [
        "хочу себе запись трансляции, чтобы подмонтировать потом",  # a preposition before a verb is its prefix
        "график работы склада в хоругвино",  # «хоругви но»: no two-letter word but an enclitic is split off
    ],
)
def test_unknown_words_that_are_no_two_words_are_not_split(engine: SearchEngine, query: str) -> None:
    rewritten, corrections = _rewritten(engine, query)
    assert not [c for c in corrections if " " in c.replacement], corrections


@pytest.mark.parametrize(
    "query",
    [
        "по тому что написано в договоре",  # «потому» is a word, but so are «по» and «тому», both the corpus's
        "что бы ни случилось, верните товар",
        "так же как в прошлый раз",
        "товар с браком",
        "возвращение денежных средств",  # long words the documents use are never split
        "переподключение кабинета",
        "а и в к",  # words of one letter each: no word spelt out
        "и с с",  # nor the dictionary's «исс»
    ],
)
def test_real_phrases_and_long_words_keep_their_spaces(engine: SearchEngine, query: str) -> None:
    rewritten, corrections = _rewritten(engine, query)
    assert rewritten == query
    assert corrections == []


@pytest.mark.parametrize(
    ("typed", "meant", "changed"),
    [
        # A space lost inside a query typed on the wrong layout: the keys split as spelling splits a Cyrillic word
        # (or, when most of the keys start a word, spelling splits what the layout step wrote).
        ("jnvtybnmpfrfp", "отменить заказ", ("layout", "jnvtybnmpfrfp")),
        ("cnfnecpfrfpf", "статус заказа", ("layout", "cnfnecpfrfpf")),
        ("yjvthntktajyf gjllth;rb", "номер телефона поддержки", ("layout", "yjvthntktajyf")),
        # … in a transliterated one: each half read through the scheme, the pair weighed the same way.
        ("statuszakaza", "статус заказа", ("transliteration", "statuszakaza")),
        ("vernutdengi za tovar", "вернуть деньги за товар", ("transliteration", "vernutdengi")),
        ("kak otmenitzakaz", "как отменить заказ", ("transliteration", "otmenitzakaz")),
        # Two words the corpus writes in Latin stay Latin, typed on either layout.
        ("ozonseller", "ozon seller", ("layout", "ozonseller")),
        ("щящтшв", "ozon id", ("layout", "щящтшв")),
    ],
)
def test_a_space_lost_in_a_wrong_layout_or_transliterated_query_is_put_back(
    engine: SearchEngine, typed: str, meant: str, changed: tuple
) -> None:
    rewritten, corrections = _rewritten(engine, typed)
    assert rewritten == meant
    assert changed in [(step, original) for step, original, _ in corrections]


@pytest.mark.parametrize(
    ("typed", "meant", "changed"),
    [
        # Spelt out in Latin letters: joined, then read by the script steps.
        ("o b r a t n y j zvonok", "обратный звонок", ("o b r a t n y j", "obratnyj")),
        ("v o z v r a t tovara", "возврат товара", ("v o z v r a t", "vozvrat")),
        ("o z o n seller", "ozon seller", ("o z o n", "ozon")),  # the corpus's Latin word stays Latin
        ("щ я щ т ид", "ozon ид", ("щ я щ т", "щящт")),  # Latin typed on the Russian layout, spelt out
        # An address, a phone number's digits.
        (
            "s e l l e r - e d u . o z o n . r u",
            "seller-edu.ozon.ru",
            ("s e l l e r - e d u . o z o n . r u", "seller-edu.ozon.ru"),
        ),
        ("+7 9 5 8 400-00-05", "+7 958 400-00-05", ("9 5 8", "958")),
        ("8 8 0 0 234-70-00", "8800 234-70-00", ("8 8 0 0", "8800")),
    ],
)
def test_latin_letters_and_digits_spelt_out_are_joined(
    engine: SearchEngine, typed: str, meant: str, changed: tuple
) -> None:
    rewritten, corrections = _rewritten(engine, typed)
    assert rewritten == meant
    assert ("spelling", *changed) in corrections


@pytest.mark.parametrize(
    ("typed", "meant", "changed"),
    [
        # Two Russian words run together, one of them misspelt: split, then spelling corrects the misspelt half.
        ("возраттовара", "возврат товара", ("возраттовара", "возрат товара")),
        ("обратныйзванок не работает", "обратный звонок не работает", ("обратныйзванок", "обратный званок")),
        # A Russian word run onto a number or a Latin word.
        ("номер не работает с2023 года", "номер не работает с 2023 года", ("с2023", "с 2023")),
        ("звонок в 2023году", "звонок в 2023 году", ("2023году", "2023 году")),
        ("поддержкаozon", "поддержка ozon", ("поддержкаozon", "поддержка ozon")),
        # A space put inside a name: joined into the corpus's word, its capital kept.
        ("телефон поддержки в Моск ве", "телефон поддержки в Москве", ("Моск ве", "Москве")),
    ],
)
def test_cyrillic_words_run_together_with_a_typo_a_number_or_a_latin_word_come_apart(
    engine: SearchEngine, typed: str, meant: str, changed: tuple
) -> None:
    rewritten, corrections = _rewritten(engine, typed)
    assert rewritten == meant
    assert ("spelling", *changed) in corrections


def test_a_phone_spelt_out_finds_what_the_phone_finds(engine: SearchEngine) -> None:
    as_typed = engine.search("8 800 234-70-00", k=1)[0].passage_id
    assert engine.search("8 8 0 0 2 3 4 - 7 0 - 0 0", k=1)[0].passage_id == as_typed


@pytest.mark.parametrize(
    "query",
    [
        "ozon seller",  # a real two-word Latin phrase of the corpus
        "Ozon Seller API",
        "business@finance.ozon.ru",
        "e-mail",
        "s v i",  # letters that are each a one-letter word (с, в, и) stay apart
        "c d r",
        "1 2",
        "Ozon Global",
        "iPhone13",  # a Latin word and a number: no Russian word to part
        "Интернет2",  # a name may end in a number
        "чат техподетки",  # «техпо…» misspelt: the corpus has «техподдержки», no «тех» + «пометки»
    ],
)
def test_brands_addresses_and_one_letter_words_stay_as_typed(engine: SearchEngine, query: str) -> None:
    rewritten, corrections = _rewritten(engine, query)
    assert rewritten == query
    assert corrections == []


# Share of seeded re-typings of the judged queries that come back to the clean query's lemmas (the engine's reading
# of the query as written), per noise kind (one seed per query here). The measure re-types the query as
# written: the judged set holds queries misspelt or in the wrong layout by design («обратный званок», «щящт шв»),
# which then carry the noise on top of their own. Reached: layout 0.991, transliteration 0.957 / 0.968 / 0.968, one
# typo 0.957, two typos 0.913 (0.870 before the noisy-channel rounds, 0.902 before the fitted channel). The issue's
# target is 0.95 for every kind: missed by two typos only (two slips in one short word, queries the judged set holds
# misspelt already, words of the language no dictionary has: «промокод»). Floors at what is reached, so a rule that
# loses ground fails.
NOISE_FLOORS = {
    "layout": 0.99,
    "translit_passport": 0.95,
    "translit_gost": 0.96,
    "translit_informal": 0.95,
    "typo1": 0.95,
    # two typos 0.913 (84 of 92) with the fitted channel's last pick (0.902 by the hand order alone)
    "typo2": 0.91,
    # reached 0.872 (82 of 94; 0.862 before a word nothing is near was read as misspelt by ear up to three times,
    # 0.851 by the hand order alone; without misspellings by ear known to spelling, 0.766)
    "orthography": 0.87,
    # A space dropped or put inside a word: 0.898 (0.167 before the word-boundary rules, 0.759 before the script
    # steps split a run-together Latin word, «cnfnecpfrfpf», «kodovoeslovo», 0.861 before a split with a misspelt
    # half, «обратныйзванок»); what stays lost is mostly spaces put inside a word.
    "spaces": 0.89,
}
# The same with the noise put on the engine's reading of each query instead («обратный звонок» re-typed, not
# «обратный званок»): what a well-typed query re-typed comes back to. Reached: layout 1.000, transliteration 0.981
# in each scheme, one typo 0.971, two typos 0.941 (the target of 0.95 missed by one query of 102).
READING_FLOORS = {
    "layout": 0.99,
    "translit_passport": 0.98,
    "translit_gost": 0.98,
    "translit_informal": 0.98,
    "typo1": 0.97,
    "typo2": 0.94,
    "orthography": 0.92,  # reached 0.923 (96 of 104; 0.913 before the reading by ear of SpellingStep._heard)
    "spaces": 0.90,  # 0.907 (0.167 before the word-boundary rules)
}


def test_noise_comes_back_to_the_original_lemmas(engine: SearchEngine) -> None:
    import zlib

    from search.evaluation import load_judgments
    from search.noise import NOISE_KINDS, retype

    judgments = load_judgments("corpus/queries")
    clean = {j.query: engine.search(j.query, k=1).query for j in judgments}
    shares: dict[str, dict[str, float]] = {"query": {}, "reading": {}}
    for variant, counts in shares.items():
        for kind in NOISE_KINDS:
            same = total = 0
            for number, judgment in enumerate(judgments):
                source = judgment.query if variant == "query" else clean[judgment.query].rewritten
                typed = retype(source, kind, zlib.crc32(f"0:{kind}:{number}".encode()))
                if typed == source:
                    continue
                total += 1
                info = engine.search(typed, k=1).query
                same += set(clean[judgment.query].terms) <= set(info.terms) | set(info.expansions)
            counts[kind] = same / total
    assert {kind: share for kind, share in shares["query"].items() if share < NOISE_FLOORS[kind]} == {}
    assert {kind: share for kind, share in shares["reading"].items() if share < READING_FLOORS[kind]} == {}


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
        ("сколко стоит доставка", "сколько стоит доставка"),  # not the rarer «сколков», one edit away too
        ("одбавочнй номер", "добавочный номер"),  # two slips from a word of the language
        ("do skolki rabotaet podderzhka", "до скольки работает поддержка"),  # not the rare «сколки»
        ("промокод на первый заказ", "промокод на первый заказ"),  # jargon: no two slips from «протокол»
    ],
)
def test_the_language_s_frequent_words_rank_and_reach_what_the_corpus_cannot(
    engine: SearchEngine, typed: str, meant: str
) -> None:
    assert _rewritten(engine, typed)[0] == meant


# --- the fitted noisy channel (search.spelling_channel) ------------------------------------------------------


def _rewriters(engine: SearchEngine) -> tuple[QueryRewriter, QueryRewriter]:
    """Two fresh rewriters over the engine's vocabulary and coverage: the hand order alone, and with the channel."""
    from search.pipeline import Understand

    understand = next(stage for stage in engine.pipeline.stages if isinstance(stage, Understand))
    hand, fitted = (QueryRewriter(understand.rewriter.vocabulary, understand._best_passage_coverage) for _ in "ab")
    hand.steps[-1].channel = None  # type: ignore[attr-defined]
    return hand, fitted


@pytest.mark.parametrize(
    ("typed", "hand", "meant"),
    [
        # two slips in «оплатить»: the hand order takes the nearest form, a noun's genitive plural; the channel
        # weighs a verb of the query's passages, one edit further
        ("как оплатть заказ картой", "как оплат заказ картой", "как оплатить заказ картой"),
        ("где посмотет переписку", "где поможет переписку", "где посмотреть переписку"),
    ],
)
def test_the_fitted_channel_picks_the_word_the_query_means(
    engine: SearchEngine, typed: str, hand: str, meant: str
) -> None:
    by_hand, fitted = _rewriters(engine)
    assert fitted.steps[-1].channel is not None  # type: ignore[attr-defined]  # the shipped model
    assert by_hand.rewrite(typed).text == hand
    rewrite = fitted.rewrite(typed)
    assert rewrite.text == meant
    assert [c.step for c in rewrite.corrections] == ["spelling"]


@pytest.mark.parametrize(
    "query",
    ["не могу найти заказ", "как вернуть деньги за товар", "сколько идет доставка"],
)
def test_the_fitted_channel_leaves_well_typed_queries_alone(engine: SearchEngine, query: str) -> None:
    _, fitted = _rewriters(engine)
    assert fitted.rewrite(query).text == query


def test_the_channel_reads_as_many_features_as_the_model_has(engine: SearchEngine) -> None:
    from search.spelling_channel import CHANNEL_FEATURES, PAIR_FEATURES

    _, fitted = _rewriters(engine)
    step = fitted.steps[-1]
    assert step.channel_groups(Rewrite("как оплат заказ картой", (), ())) == []  # type: ignore[attr-defined]
    rewrite = _rewriters(engine)[0].rewrite("как оплатть заказ картой")
    [(correction, pool, rows)] = step.channel_groups(rewrite)  # type: ignore[attr-defined]
    assert (correction.original, pool[0]) == ("оплатть", "оплат")
    assert "оплатить" in pool
    assert rows.shape == (len(pool), len(CHANNEL_FEATURES))
    assert len(step.channel.coef) == len(PAIR_FEATURES) == 3 * len(CHANNEL_FEATURES)  # type: ignore[attr-defined]


def test_the_channels_bound_leaves_out_only_rivals_it_could_not_take(engine: SearchEngine) -> None:
    """``channel_groups`` with the model leaves out, before their coverage look-ups, the rivals ``could_take``
    (plain Python) rules out: never one the model's numpy probabilities would take, and the same pick."""
    by_hand, fitted = _rewriters(engine)
    step = fitted.steps[-1]
    channel = step.channel  # type: ignore[attr-defined]
    left_out = changed = 0
    typos = ["как оплатть заказ картой", "где посмотет переписку", "не могу найьи заказ", "вернтуь деньги зв товар"]
    for typed in typos:
        rewrite = by_hand.rewrite(typed)
        full = step.channel_groups(rewrite)  # type: ignore[attr-defined]
        assert full, typed
        pruned = {c: (pool, rows) for c, pool, rows in step.channel_groups(rewrite, channel)}  # type: ignore[attr-defined]
        for correction, pool, rows in full:
            taken = channel.probabilities(rows) > channel.threshold
            could = channel.could_take(rows[0].tolist(), rows[1:].tolist())
            assert all(could[i] for i in np.flatnonzero(taken)), (typed, pool)
            kept_pool, kept_rows = pruned.get(correction, (pool[:1], rows[:1]))
            assert kept_pool[channel.pick(kept_rows)] == pool[channel.pick(rows)]
            left_out += len(pool) - len(kept_pool)
            changed += channel.pick(rows) != 0
    assert left_out > 0 and changed > 0  # the bound does leave work out, and rivals the model takes stay


def test_the_channel_reuses_the_nearest_candidates_the_correction_ranked(engine: SearchEngine) -> None:
    """The channel's rivals begin with the typo's nearest candidates as ``_correct`` ranked them (kept per word):
    the same groups as ranking them again, and the same rewrite with that memo emptied."""
    from search.recent import Recent

    typos = ["как оплатть заказ картой", "где посмотет переписку", "не могу найьи заказ", "вернтуь деньги зв товар"]
    by_hand, fitted = _rewriters(engine)
    step = fitted.steps[-1]
    for typed in typos:
        rewrite = by_hand.rewrite(typed)
        cached = step.channel_groups(rewrite)  # type: ignore[attr-defined]
        for correction, pool, _ in cached:
            word = correction.original
            assert step._nearest.get(word, tuple) != ()  # type: ignore[attr-defined]  # kept by the correction
            nearest = step._ranked(word, step._candidates(word), first=6)[:6]  # type: ignore[attr-defined]
            rivals = [c for c in nearest if c != pool[0]]
            assert pool[1 : 1 + len(rivals)] == rivals
        step._nearest = Recent(10)  # type: ignore[attr-defined]
        uncached = step.channel_groups(rewrite)  # type: ignore[attr-defined]
        assert [(c, p) for c, p, _ in cached] == [(c, p) for c, p, _ in uncached]
        assert all(np.array_equal(a, b) for (_, _, a), (_, _, b) in zip(cached, uncached, strict=True))
    _, fresh = _rewriters(engine)
    _, emptied = _rewriters(engine)
    for typed in typos:
        emptied.steps[-1]._nearest = Recent(10)  # type: ignore[attr-defined]
        assert fresh.rewrite(typed) == emptied.rewrite(typed)


def test_the_spelling_channel_model_round_trips_exactly(tmp_path: Path) -> None:
    import json

    from search.spelling_channel import MODEL_FILE, SpellingChannel

    shipped = SpellingChannel.load()
    assert shipped.to_json() == json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    again = SpellingChannel.load(shipped.save(tmp_path / "channel.json"))
    assert again == shipped
    rows = np.random.default_rng(0).normal(size=(5, len(shipped.mean) // 3))
    assert np.array_equal(again.probabilities(rows), shipped.probabilities(rows))
    assert 0.0 < shipped.threshold < 1.0


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: "",
        lambda text: text.replace('"spelling-channel/1"', '"spelling-channel/0"'),
        lambda text: text.replace('"rival_coverage_gain"', '"rival_coverage_loss"'),  # another code's features
        lambda text: text.replace('"intercept": ', '"intercept": "x", "was": '),
        lambda text: text.replace('"coef": [', '"coef": [NaN, '),
        lambda text: text.replace('"threshold": ', '"threshold": 2, "was": '),
    ],
)
def test_a_damaged_spelling_channel_model_is_one_clear_error(tmp_path: Path, damage) -> None:
    from search.spelling_channel import MODEL_FILE, SpellingChannel, SpellingChannelFormatError

    broken = tmp_path / "channel.json"
    broken.write_text(damage(MODEL_FILE.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(SpellingChannelFormatError, match="channel.json.*spelling-channel model.*benchmarks"):
        SpellingChannel.load(broken)
