"""Word boundaries: lost, extra and spelt-out spaces put back, real phrases and long words left alone."""

from __future__ import annotations

import pytest

from search import SearchEngine


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
        ("создать тикет в лкселлера", "создать тикет в лк селлера", ("лкселлера", "лк селлера")),  # … run on
        ("подтверждение входасмс", "подтверждение входа смс", ("входасмс", "входа смс")),
        # a word glued to the one before it by punctuation typed with no space is a word of its own
        (
            "заявка былаотправлена,как долго ждать?",
            "заявка была отправлена,как долго ждать?",
            ("былаотправлена", "была отправлена"),
        ),
    ],
)
def test_word_boundaries_are_put_back(rewriting, engine: SearchEngine, typed: str, meant: str, changed: tuple) -> None:
    rewritten, corrections = rewriting(engine, typed)
    assert rewritten == meant
    assert ("spelling", *changed) in corrections


def test_a_piece_spelling_reads_one_edit_away_as_a_likelier_word_is_not_joined(rewriting, engine: SearchEngine) -> None:
    # «в ень»: «вень» (вена) is a word too, but «день» is one edit from «ень» and the language uses it far more
    rewritten, corrections = rewriting(engine, "25 250 сообщений в ень")
    assert rewritten == "25 250 сообщений в день"
    assert corrections == [("spelling", "ень", "день")]


@pytest.mark.parametrize(
    "query",
    [
        "хочу себе запись трансляции, чтобы подмонтировать потом",  # a preposition before a verb is its prefix
        "график работы склада в хоругвино",  # «хоругви но»: no two-letter word but an enclitic is split off
    ],
)
def test_unknown_words_that_are_no_two_words_are_not_split(rewriting, engine: SearchEngine, query: str) -> None:
    rewritten, corrections = rewriting(engine, query)
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
def test_real_phrases_and_long_words_keep_their_spaces(rewriting, engine: SearchEngine, query: str) -> None:
    rewritten, corrections = rewriting(engine, query)
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
    rewriting, engine: SearchEngine, typed: str, meant: str, changed: tuple
) -> None:
    rewritten, corrections = rewriting(engine, typed)
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
    rewriting, engine: SearchEngine, typed: str, meant: str, changed: tuple
) -> None:
    rewritten, corrections = rewriting(engine, typed)
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
        # … a word of three letters or more before a number of two digits («Интернет2» and «до2023» stay: see
        # test_scripts.py)
        ("позвонить на добавочный76077", "позвонить на добавочный 76077", ("добавочный76077", "добавочный 76077")),
        ("подтвердить вход по смс в1990-х", "подтвердить вход по смс в 1990-х", ("в1990-х", "в 1990-х")),
        ("подтверждениеe-mail", "подтверждение e-mail", ("подтверждениеe-mail", "подтверждение e-mail")),
        # A space put inside a name: joined into the corpus's word, its capital kept.
        ("телефон поддержки в Моск ве", "телефон поддержки в Москве", ("Моск ве", "Москве")),
    ],
)
def test_cyrillic_words_run_together_with_a_typo_a_number_or_a_latin_word_come_apart(
    rewriting, engine: SearchEngine, typed: str, meant: str, changed: tuple
) -> None:
    rewritten, corrections = rewriting(engine, typed)
    assert rewritten == meant
    assert ("spelling", *changed) in corrections


def test_a_phone_spelt_out_finds_what_the_phone_finds(engine: SearchEngine) -> None:
    # The same terms; the sentence encoder reads the text as rewritten («8800234-70-00»), so the two passages
    # that give this number may swap places.
    as_typed, spelt = engine.search("8 800 234-70-00", k=2), engine.search("8 8 0 0 2 3 4 - 7 0 - 0 0", k=2)
    assert spelt.query.terms == as_typed.query.terms
    assert {hit.passage_id for hit in spelt} == {hit.passage_id for hit in as_typed}


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("ктоотвечает за возврат", "кто отвечает за возврат"),  # a pronoun run onto the next word
        ("кемсоздается заявка", "кем создается заявка"),
        ("мнезаблокировали кабинет", "мне заблокировали кабинет"),
        ("вассписали деньги", "вас списали деньги"),
        ("продавец ведетсебя грубо", "продавец ведет себя грубо"),  # after it
        ("высветилось окно", "высветилось окно"),  # must stay: «вы» is the verb's prefix, no pronoun split off
        ("вывернули деньги", "вывернули деньги"),
        ("нас обманули", "нас обманули"),
    ],
)
def test_a_pronoun_run_onto_a_word_is_split_off(rewriting, engine: SearchEngine, typed: str, meant: str) -> None:
    rewritten, _ = rewriting(engine, typed)
    assert rewritten == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # A split beats a correction one edit away that the documents never use («напомню», «неглавной», «накате»).
        ("непомню пароль от кабинета", "не помню пароль от кабинета"),
        ("кнопка наглавной странице", "кнопка на главной странице"),
        ("денег накарте нет", "денег на карте нет"),
        ("возврат средств накарту", "возврат средств на карту"),
        ("возврат поправилам", "возврат по правилам"),
        ("поссылка", "посылка"),  # must stay a correction: the corpus uses «посылка»
        ("перейти поссылке из письма", "перейти посылке из письма"),  # … in any form
        # A preposition run on after the corpus's word: the word kept, the preposition apart.
        ("пишу продавцув чат", "пишу продавцу в чат"),
        ("заказ пришелв пункт", "заказ пришел в пункт"),
        ("оплатас карты", "оплата с карты"),
        ("как узнать статус моего заказза", "как узнать статус моего заказа"),  # must stay a key struck twice
        ("вопрос продавцуо товаре", "вопрос продавцу товаре"),  # «о» after a word is as often its ending: no split
        # … after a word the language uses, against a correction two edits away that reads the query no better
        # («звонка», «звонила»): the split is the nearer reading
        ("блокируются звонкина телефоне", "блокируются звонки на телефоне"),
        # must stay: two slips by ear
        ("можно ли заказот обратный звонок от менеджера?", "можно ли заказать обратный звонок от менеджера?"),
        # Two corpus words run together under a capital come apart; a name stays.
        ("вопрос про Личныйкабинет продавца", "вопрос про Личный кабинет продавца"),
        ("товар из Сбербанка", "товар из Сбербанка"),
        ("заказ в Новосибирске", "заказ в Новосибирске"),
        # A word the language hardly uses, a preposition run onto the corpus's word: «вдень» is «в день».
        ("сколько раз вдень можно звонить", "сколько раз в день можно звонить"),
        ("сточки зрения продавца", "с точки зрения продавца"),
        ("подвид товара", "подвид товара"),  # must stay: words the language uses
        ("навес для склада", "навес для склада"),
        ("сначала заказ потом оплата", "сначала заказ потом оплата"),
        # A piece spelling reads one edit away joined when the join beats both words read apart (SymSpell).
        ("связаться с менед жером", "связаться с менеджером"),  # not «менее жером»
        ("как выра зить претензию", "как выразить претензию"),
        ("25 250 сообщений в ень", "25 250 сообщений в день"),  # must stay apart: «в день» beats «вень»
        # a long word the frequency index lacks, cut into two pieces that are no words or one that spelling reads
        # one edit away («жируются»)
        ("как верифи цировать карту", "как верифицировать карту"),
        ("блок ируются звонки на телефоне", "блокируются звонки на телефоне"),
    ],
)
def test_a_space_lost_beside_a_preposition_or_put_inside_a_word_is_put_right(
    rewriting, engine: SearchEngine, typed: str, meant: str
) -> None:
    rewritten, _ = rewriting(engine, typed)
    assert rewritten == meant


@pytest.mark.parametrize(
    ("typed", "meant", "changed"),
    [
        # Both halves words of the corpus or function words: only the query's context tells the stray space.
        ("что делать если за был кодовое слово?", "что делать если забыл кодовое слово?", ("за был", "забыл")),
        (
            "как правильно на писать жалобу в поддержку",
            "как правильно написать жалобу в поддержку",
            ("на писать", "написать"),
        ),
    ],
)
def test_a_space_inside_a_word_between_two_words_is_taken_out_when_the_query_then_reads_better(
    rewriting, engine: SearchEngine, typed: str, meant: str, changed: tuple
) -> None:
    rewritten, corrections = rewriting(engine, typed)
    assert rewritten == meant
    assert ("spelling", *changed) in corrections


def test_two_function_words_are_never_joined_into_a_word(rewriting, engine: SearchEngine) -> None:
    # «были» is a word of the corpus, and a query of function words alone covers nothing: no join can be weighed
    assert rewriting(engine, "бы ли") == ("бы ли", [])
    assert len(engine.search("Бы ли?")) == 0


def test_two_words_whose_join_is_a_word_stay_apart_when_the_query_reads_no_better(
    rewriting, engine: SearchEngine
) -> None:
    # «заказами» is a word of the corpus, but «заказам и» covers as much: a phrase, not a stray space
    assert rewriting(engine, "вопросы по заказам и возвратам") == ("вопросы по заказам и возвратам", [])


@pytest.fixture(scope="module")
def opinions(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """Documents with «по мнению экспертов» and «подвергать сомнению»: a glued «помнению» reads as either, one
    edit apart (a space lost, or «с» for «п»)."""
    folder = tmp_path_factory.mktemp("opinions")
    documents = {
        "experts": "По мнению экспертов, товар надлежащего качества можно вернуть в течение семи дней после получения.",
        "doubts": "Подвергать сомнению решение службы поддержки можно через форму обратной связи в личном кабинете.",
        # Two more documents, so that a word of one of the first two weighs something (BM25's IDF of a word in
        # half the documents is nil).
        "codeword": "Когда вы забыли кодовое слово, позвоните на линию поддержки: оператор поможет написать заявление.",
        "delivery": "Доставка курьером занимает от одного до трех дней, а в пункт выдачи заказ приходит "
        "на следующий день.",
    }
    for name, text in documents.items():
        (folder / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    return SearchEngine.from_directory(folder, index_dir=tmp_path_factory.mktemp("opinions-index"))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("помнению экспертов можно вернуть товар", "по мнению экспертов можно вернуть товар"),
        ("подвергать помнению решение поддержки", "подвергать сомнению решение поддержки"),  # the correction's context
        ("подвергать сомнению решение поддержки", "подвергать сомнению решение поддержки"),  # must stay
    ],
)
def test_a_preposition_run_onto_a_word_is_weighed_against_a_correction_in_the_query_context(
    rewriting, opinions: SearchEngine, typed: str, meant: str
) -> None:
    rewritten, _ = rewriting(opinions, typed)
    assert rewritten == meant


@pytest.fixture(scope="module")
def ctenophores(tiny_engine) -> SearchEngine:  # type: ignore[no-untyped-def]
    """Documents with «гребневик», «образовалось», and the words their misspellings split into («гребни», «век»;
    «образовал», «лос»)."""
    documents = {
        "ctenophore": ("Гребневик", "Гребневик живет в море и ест планктон."),
        "combs": ("Гребни", "Гребни у птиц растут весь век."),
        "valley": ("Долина", "Ущелье образовалось за миллион лет."),
        "moose": ("Лось", "Лес образовал лос, сказал охотник."),
        "delivery": ("Доставка", "Доставка курьером занимает три дня."),
    }
    return tiny_engine(documents)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # two misspellings by ear from a word of the corpus (two vowels heard wrong; a letter doubled and «ь» left
        # out): spelling reads the word, not two words of the corpus it splits into
        ("где живет гребнивек", "где живет гребневик"),
        ("как образоваллос ущелье", "как образовалось ущелье"),
        # a space lost between two words of the corpus, no word near by ear: put back
        ("растутвесь век", "растут весь век"),
    ],
)
def test_a_word_two_misspellings_by_ear_from_the_corpus_s_is_not_split(
    rewriting, ctenophores: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(ctenophores, typed)[0] == meant


@pytest.fixture(scope="module")
def broncos(tiny_engine) -> SearchEngine:  # type: ignore[no-untyped-def]
    """A team, a continent and a valley: names the corpus writes so, each a word a preposition may run onto."""
    documents = {
        "team": ("Бронкос", "Бронкос набрали десять очков за последние три минуты игры."),
        "plague": ("Чума", "Чума опустошала Европу на протяжении трех лет."),
        "population": ("Население", "Какова была численность населения города в прошлом веке?"),
        "delivery": ("Доставка", "Доставка курьером занимает три дня."),
        "panel": ("МГЭИК", "МГЭИК опубликовала доклад о климате."),
    }
    return tiny_engine(documents)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a word in capitals (each half a name to the query: «ЭИК») with a stray space inside: joined into the
        # corpus's word
        ("какой доклад опубликовала МГ ЭИК", "какой доклад опубликовала МГЭИК"),
        ("СКОЛЬКО ИДЕТ ДОС ТАВКА", "СКОЛЬКО ИДЕТ ДОСТАВКА"),
        # two names side by side the corpus does not write as one word: left apart
        ("доклад МГЭИК Европу", "доклад МГЭИК Европу"),
        ("когда Бронкос Европу", "когда Бронкос Европу"),
    ],
)
def test_a_name_with_a_stray_space_inside_is_joined_into_the_corpus_s_word(
    rewriting, broncos: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(broncos, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a name run onto a preposition: split after the name as the corpus writes it, though spelling reads the
        # whole one or two edits away (a letter left out: «Бронкоса»; the preposition cut off: «Европу»)
        ("сколько очков набрали Бронкосза последние минуты", "сколько очков набрали Бронкос за последние минуты"),
        ("чума опустошала Европуна протяжении лет", "чума опустошала Европу на протяжении лет"),
        # a question word that is a short pronominal adjective run onto the next word
        ("Каковабыла численность населения", "Какова была численность населения"),
        # well typed: left alone
        ("сколько очков набрали Бронкоса", "сколько очков набрали Бронкоса"),
        ("какова была численность населения", "какова была численность населения"),
    ],
)
def test_a_name_or_a_question_word_run_onto_the_next_word_comes_apart(
    rewriting, broncos: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(broncos, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # The case of the letters turns inside a word: two words run together, the second a name or an abbreviation
        ("позвонить в поддержкуОзон", "позвонить в поддержку Озон"),
        ("доставка вКазань", "доставка в Казань"),
        ("вопрос про ЛКселлера", "вопрос про ЛК селлера"),  # an abbreviation, then a word in small letters
        # a slip of the finger, not two words: the first two letters swapped, a capital struck twice
        ("кСолько стоит доставка", "сколько стоит доставка"),
        ("ИИнтернет магазин", "интернет магазин"),
        ("iPhone", "iPhone"),  # no word of the corpus before the capital
    ],
)
def test_a_capital_inside_a_word_parts_two_words(rewriting, engine: SearchEngine, typed: str, meant: str) -> None:
    assert rewriting(engine, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # A hyphenated word is read by its part beside the space: lost after it, or put inside that part.
        ("написать в чат-ботподдержки", "написать в чат-бот поддержки"),
        ("товар из интернет-магаз ина", "товар из интернет-магазина"),
        ("почему чат-бот не отвечает", "почему чат-бот не отвечает"),  # must stay
    ],
)
def test_a_hyphenated_word_takes_its_space_back(rewriting, engine: SearchEngine, typed: str, meant: str) -> None:
    assert rewriting(engine, typed)[0] == meant


@pytest.fixture(scope="module")
def brands(tiny_engine) -> SearchEngine:  # type: ignore[no-untyped-def]
    """Documents that write a service and a kind of video in Latin letters (RUTUBE, Shorts, Smart TV)."""
    documents = {
        "studio": ("Студия", "В студии RUTUBE можно смотреть статистику канала и загружать видео."),
        "shorts": ("Shorts", "Ролики Shorts загружаются в вертикальном формате."),
        "tv": ("Smart TV", "Приложение RUTUBE для Smart TV скачивается из магазина телевизора."),
        "delivery": ("Доставка", "Доставка курьером занимает три дня."),
    }
    return tiny_engine(documents)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a Latin word of the corpus as read in Cyrillic is a word of the corpus to a split or a join
        ("как смотретьрутуб на планшете", "как смотреть рутубе на планшете"),
        ("в каком формате роликишортс", "в каком формате ролики шортс"),
        ("где статистика в студии ру туба", "где статистика в студии рутубе"),
        ("приложение для смарт тв", "приложение для смарт тв"),  # must stay: «смарт» is the corpus's word too
    ],
)
def test_a_latin_word_of_the_corpus_read_in_cyrillic_is_a_word_of_a_split_or_a_join(
    rewriting, brands: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(brands, typed)[0] == meant


@pytest.fixture(scope="module")
def commission(tiny_engine) -> SearchEngine:  # type: ignore[no-untyped-def]
    """Documents with «сколько», «комиссия», «примера», «давно», and «в ходе», «в первые»: words a stray space cuts
    into two words, and phrases whose join is a word too."""
    documents = {
        "fee": ("Комиссия", "Сколько стоит комиссия за перевод? Комиссия банка составляет один процент."),
        "example": ("Пример", "Для примера возьмем заказ, который давно доставлен."),
        "talk": ("Разговор", "В ходе разговора оператор уточняет номер заказа в первые минуты."),
        "delivery": ("Доставка", "Доставка курьером занимает три дня."),
        "visit": ("Визит", "Обама посетил Кению в 2015 году."),
    }
    return tiny_engine(documents)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a word the language uses far more than its two halves side by side: joined, whatever the context
        ("когда Оба ма посетил Кению", "когда Обама посетил Кению"),  # a name, into the corpus's word
        ("почему во обще есть комиссия", "почему вообще есть комиссия"),  # a word the documents never use
        ("сколь ко стоит перевод", "сколько стоит перевод"),
        ("какая ко миссия банка", "какая комиссия банка"),
        ("для при мера заказ", "для примера заказ"),
        ("заказ дав но доставлен", "заказ давно доставлен"),
        # phrases: the join no likelier than the two words
        ("что оператор уточняет в ходе разговора", "что оператор уточняет в ходе разговора"),
        ("в первые минуты разговора", "в первые минуты разговора"),
        ("по тому заказу", "по тому заказу"),  # two function words are never joined
    ],
)
def test_a_stray_space_is_taken_out_when_the_word_is_far_likelier_than_the_two(
    rewriting, commission: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(commission, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a half the frequency index lacks (a word the language uses less than its floor) is weighed at the floor:
        # the join is far likelier still
        ("что заявлено как утр ата посылки", "что заявлено как утрата посылки"),
        ("меня бес покоит комиссия", "меня беспокоит комиссия"),
        ("как получать по жертвования", "как получать пожертвования"),
        ("у меня дев ушек нет", "у меня девушек нет"),
        # near-misses: a rare word after a frequent preposition, the join («вкладе») not far likelier than the two
        ("какие монеты нашли в кладе", "какие монеты нашли в кладе"),
        ("что было в кладе", "что было в кладе"),
    ],
)
def test_a_half_the_frequency_index_lacks_is_weighed_at_its_floor(
    rewriting, commission: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(commission, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # no preposition governs a verb: before one, it is the verb's prefix with a stray space, whatever the context
        ("как об менять товар", "как обменять товар"),
        ("хочу по смотреть статус заказа", "хочу посмотреть статус заказа"),
        ("не могу в ходить в кабинет", "не могу входить в кабинет"),
        # nor is a reflexive ending cut off a verb a word
        ("почему не открывает ся кабинет", "почему не открывается кабинет"),
        ("когда появит ся товар", "когда появится товар"),
    ],
)
def test_a_preposition_before_a_verb_or_a_reflexive_ending_after_one_is_its_part(
    rewriting, engine: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(engine, typed)[0] == meant


@pytest.fixture(scope="module")
def clips(tiny_engine) -> SearchEngine:  # type: ignore[no-untyped-def]
    """Documents with «ролики» and «роли», «чужого» and «чужой»: a letter thrice squeezes into the second of each."""
    documents = {
        "clips": ("Ролики", "Ролики загружают в студии, роли выдают модераторам."),
        "account": ("Чужой аккаунт", "Из чужого аккаунта выйти можно в настройках, чужой канал останется."),
        "login": ("Вход", "Чтобы зайти в студию, нужен пароль."),
    }
    return tiny_engine(documents)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a letter left out between two of the same and one doubled: spelling's word one edit away, not the squeeze
        # two away («ролики» → «ролии» → «ролиии»)
        ("где мои ролиии", "где мои ролики"),
        ("выйти из чужооо аккаунта", "выйти из чужого аккаунта"),
        # near-misses: a key held down squeezes as before, nothing nearer
        ("как зайййти в студию", "как зайти в студию"),
        ("кому выдают рооооли", "кому выдают роли"),
    ],
)
def test_a_letter_thrice_is_read_by_spelling_when_its_word_is_nearer_than_the_squeeze(
    rewriting, clips: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(clips, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a piece that joins either neighbour goes where the two readings' words are likelier (SymSpell's weighing)
        ("выходит за ра мки договора", "выходит за рамки договора"),  # not «зара мки»
        ("как в ито ге вернуть деньги", "как в итоге вернуть деньги"),  # not «вито ге»
        ("не бу дет ли штрафа", "не будет ли штрафа"),  # not «небу дет»
        # near-miss: a piece that joins only the word before it joins it as before
        ("нужна по мощь юриста", "нужна помощь юриста"),
    ],
)
def test_a_piece_that_joins_either_neighbour_goes_where_it_reads_likelier(
    rewriting, engine: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(engine, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # «в», «с», «к» run on after a common word, the next word in a case the preposition governs
        ("хочу вернутьв магазин товар", "хочу вернуть в магазин товар"),  # not «вернуться»
        ("товар доставилив пункт выдачи", "товар доставили в пункт выдачи"),
        # near-misses: the next word in no case the letter governs, a letter struck twice, «-ся» cut short after a
        # verb, spelling's reading far likelier than the word before the letter
        ("когда отправилс заказ", "когда отправила заказ"),
        ("какой статусс заказа", "какой статус заказа"),
        ("товар являетс подарком", "товар является подарком"),
        ("как поменять одрес доставки", "как поменять адрес доставки"),
    ],
)
def test_a_one_letter_preposition_run_on_is_told_by_the_next_word_s_case(
    rewriting, engine: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(engine, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a short function word weighs in a split as the language uses it, not as nothing
        ("плата запростой склада", "плата за простой склада"),  # not «запрос той»
        ("сверка порасчетам", "сверка по расчетам"),  # not «пора счетам»
        ("письмо отчеткого продавца", "письмо от четкого продавца"),  # not «отчет кого»
        # near-miss: a pair likelier than the preposition's reading still wins
        ("задать вопростому специалисту", "задать вопрос тому специалисту"),
    ],
)
def test_a_split_weighs_a_short_function_word_by_its_frequency(
    rewriting, engine: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(engine, typed)[0] == meant


@pytest.fixture(scope="module")
def studio(tiny_engine) -> SearchEngine:  # type: ignore[no-untyped-def]
    """Documents with «верификация», «модерация», «удаление» (words whose pieces, misspelt, a stray space parts) and
    «тачдаунов» (a term the dictionary lacks, before which a preposition is a word of its own)."""
    documents = {
        "verify": ("Верификация", "Верификация канала проходит в студии. Модерация видео занимает день."),
        "delete": ("Удаление", "Удаление видео возможно в студии через меню."),
        "sport": ("Футбол", "Команда сделала три тачдауна, и тачдаунов в финале было пять."),
    }
    return tiny_engine(documents)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a misspelt word a stray space parts: spelling reads the join nearer than the pieces apart
        ("как пройти ве рефикацию", "как пройти верификацию"),
        ("что за мо жеерация", "что за модерация"),
        ("только через полное удол ение", "только через полное удаление"),
        # near-misses: a term the dictionary lacks before a preposition, a join that reads as one piece alone
        ("кто сделал тачдаун в финале", "кто сделал тачдаун в финале"),
        ("нм нельзя удалить видео", "нм нельзя удалить видео"),
    ],
)
def test_a_misspelt_word_a_stray_space_parts_is_joined_when_the_join_reads_nearer(
    rewriting, studio: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(studio, typed)[0] == meant


@pytest.fixture(scope="module")
def holidays(tiny_engine) -> SearchEngine:  # type: ignore[no-untyped-def]
    """Documents without «Турция», «Италия», «Цельсий»: a name a stray space cuts joins into the dictionary's word."""
    documents = {
        "trip": ("Поездка", "В отпуск берут паспорт и карту. Температура воды высокая."),
        "order": ("Заказ", "Заказ приходит в срок."),
    }
    return tiny_engine(documents)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("поехали в отпуск в Тур цию", "поехали в отпуск в Турцию"),
        ("отпуск в Ита лии", "отпуск в Италии"),
        ("какая температура в градусах Це льсия", "какая температура в градусах Цельсия"),
        # near-misses: a name and a word whose join is a word too, a name and a word whose join is none
        ("спросил Роман тика", "спросил Роман тика"),
        ("у Марка нет заказа", "у Марка нет заказа"),
    ],
)
def test_a_name_with_a_stray_space_inside_is_joined_into_the_dictionary_s_word(
    rewriting, holidays: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(holidays, typed)[0] == meant


@pytest.fixture(scope="module")
def broadcasts(tiny_engine) -> SearchEngine:  # type: ignore[no-untyped-def]
    """Documents with «время» but not «вовремя»: an adverb run together from a preposition and a word of theirs."""
    documents = {
        "live": ("Эфир", "Во время прямого эфира модерация проверяет комментарии. Время ответа — день."),
        "order": ("Заказ", "Заказ приходит в срок, кнопка статуса на странице заказа."),
    }
    return tiny_engine(documents)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # an adverb takes no genitive: before one, it is a preposition and a noun with the space lost
        ("что делать вовремя прямого эфира", "что делать во время прямого эфира"),
        ("что происходит вовремя модерации", "что происходит во время модерации"),
        # near-misses: the adverb at the end, before a word in no genitive, one the documents do not split into
        ("почему заказ не пришел вовремя", "почему заказ не пришел вовремя"),
        ("заказ пришел вовремя вчера", "заказ пришел вовремя вчера"),
        ("кнопка вверху страницы заказа", "кнопка вверху страницы заказа"),
    ],
)
def test_an_adverb_before_a_genitive_is_a_preposition_and_a_noun_run_together(
    rewriting, broadcasts: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(broadcasts, typed)[0] == meant


def test_an_adverb_before_a_misspelt_word_stays(rewriting, broadcasts: SearchEngine) -> None:
    # a misspelt word's cases are pymorphy3's guesses: no evidence of a genitive
    _, corrections = rewriting(broadcasts, "заказ пришел вовремя посетио")
    assert not [c for c in corrections if c[1] == "вовремя"], corrections


@pytest.fixture(scope="module")
def channels(tiny_engine) -> SearchEngine:  # type: ignore[no-untyped-def]
    """Documents that write «чат» often and neither «запрещено» nor «данным»: a rare word glued from a preposition
    (or «не») and a word of the language is weighed by the language's frequencies, not the documents'."""
    documents = {
        "rules": ("Правила", "Выкладывать чужие видео нельзя. Отчеты о продажах приходят в кабинет."),
        "chat": ("Чат", "Чат трансляции: в чат пишут зрители, чат можно закрыть, стрим идет с чатом."),
        "order": ("Заказ", "Заказ приходит в срок."),
    }
    return tiny_engine(documents)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a rare word whose two halves side by side are at least as likely in the language: a space lost
        ("что незапрещено выкладывать", "что не запрещено выкладывать"),
        ("отчеты поданным о продажах", "отчеты по данным о продажах"),
        # near-misses: words the language uses more than their halves side by side («на чат» is likely in the
        # documents, not in the language), and a common word
        ("как начат стрим", "как начат стрим"),
        ("включи трансляцию", "включи трансляцию"),
        ("чат работает неплохо", "чат работает неплохо"),
    ],
)
def test_a_rare_word_splits_when_its_halves_are_as_likely_side_by_side(
    rewriting, channels: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(channels, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a function word run onto a word the documents do not use, against a correction one edit away the language
        # hardly uses («отгибали», «напускает»): the two side by side are far likelier
        ("сколько деревьев пострадало отгибели", "сколько деревьев пострадало от гибели"),
        ("чат непускает зрителей", "чат не пускает зрителей"),
        # near-miss: two words that make no phrase, hardly likelier than the correction («пактов»)
        ("как работает маршрутизация пактво", "как работает маршрутизация пактов"),
    ],
)
def test_a_function_word_run_onto_a_word_beats_a_correction_the_language_hardly_uses(
    rewriting, channels: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(channels, typed)[0] == meant


@pytest.fixture(scope="module")
def namings(tiny_engine) -> SearchEngine:  # type: ignore[no-untyped-def]
    """Documents that write «назвали» and «назовут» and neither «звали» nor «зовут»: the corpus's words two edits
    from «какзвали» and «какзовут» (two more documents, so that a word of the first weighs something)."""
    documents = {
        "channel": ("Канал", "Канал назвали в честь первого модератора. Ведущего трансляции назовут позже."),
        "order": ("Заказ", "Заказ приходит в срок."),
        "payment": ("Оплата", "Оплата картой проходит сразу."),
        "video": ("Видео", "Видео загружается в студии."),
    }
    return tiny_engine(documents)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a function word run onto a word the language uses, against a correction two edits away: the split is one
        # edit («назвали», «назовут» are two)
        ("какзвали первого модератора", "как звали первого модератора"),
        ("какзовут ведущего трансляции", "как зовут ведущего трансляции"),
        # near-miss: beside a word the language hardly uses («лещи»), spelling's reading two edits away stands
        ("чем опасны каклещи", "чем опасны клещи"),
    ],
)
def test_a_function_word_run_onto_a_common_word_beats_a_correction_two_edits_away(
    rewriting, namings: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(namings, typed)[0] == meant


@pytest.fixture(scope="module")
def covers(tiny_engine) -> SearchEngine:  # type: ignore[no-untyped-def]
    """Documents with «обложка», «направить», «могу»: words whose misspelt pieces begin with an abbreviation."""
    documents = {
        "cover": ("Обложка", "Обложка трансляции загружается в студии. Уведомление можно направить в поддержку."),
        "password": ("Пароль", "Если не могу восстановить пароль, пишите в поддержку."),
        "order": ("Заказ", "Заказ приходит в срок."),
        "payment": ("Оплата", "Оплата картой проходит сразу."),
    }
    return tiny_engine(documents)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a piece the dictionary reads only as an abbreviation is a piece of a misspelt word, not a word of its own
        ("что за обл ошка на трансляции", "что за обложка на трансляции"),
        ("куда напр авть уведомление", "куда направить уведомление"),
        # near-miss: a misspelt word is no abbreviation, whatever pymorphy3 guesses of it
        ("не могц восстановить пароль", "не могу восстановить пароль"),
    ],
)
def test_an_abbreviation_a_stray_space_cuts_off_a_misspelt_word_joins_it(
    rewriting, covers: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(covers, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a sentence's first word after «!» or «?» is capitalised as a sentence starts, not as a name: read as any word
        ("Здравствуйте!Менязовут Дмитрий", "Здравствуйте!Меня зовут Дмитрий"),
        ("Здравствуйте! Каак закрыть чат", "Здравствуйте! Как закрыть чат"),
        # near-miss: a capitalised word inside a sentence is a name, left alone
        ("вопрос к Мелфи: как закрыть чат", "вопрос к Мелфи: как закрыть чат"),
    ],
)
def test_a_word_capitalised_after_an_exclamation_or_a_question_is_no_name(
    rewriting, channels: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(channels, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # «не» run onto the word before the one it negates is a word of its own, as an enclitic is
        ("кто вообщене пишет в чат", "кто вообще не пишет в чат"),
        ("чат закрыт вообщене работает", "чат закрыт вообще не работает"),
        # near-misses: a word ending in «-не» misspelt one edit from a word stays spelling's
        ("заказ в странне", "заказ в стране"),
        ("видео на экранне", "видео на экране"),
    ],
)
def test_a_negation_run_onto_the_word_before_comes_apart(
    rewriting, channels: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(channels, typed)[0] == meant
