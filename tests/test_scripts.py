"""Latin words read as Russian: the wrong layout and every transliteration scheme, brands and names left alone."""

from __future__ import annotations

import pytest

from search import SearchEngine


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
def test_keyboard_layout_is_switched_both_ways(rewriting, engine: SearchEngine, typed: str, meant: str) -> None:
    rewritten, corrections = rewriting(engine, typed)
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
def test_transliteration_in_every_scheme_becomes_cyrillic(
    rewriting, engine: SearchEngine, typed: str, meant: str
) -> None:
    rewritten, corrections = rewriting(engine, typed)
    assert rewritten == meant
    assert {step for step, _, _ in corrections} == {"transliteration"}


def test_short_words_follow_the_query_s_transliteration_not_the_keyboard(rewriting, engine: SearchEngine) -> None:
    typed = "ne prishli dengi na kartu i v prilozhenii s oshibkoj"
    rewritten, corrections = rewriting(engine, typed)
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
        ("dobryi den!Kak vernut tovar", "добрый день!как вернуть товар"),  # … nor after «!»
        ("kak vernut tovar?Pomogite", "как вернуть товар?помогите"),  # … nor after «?»
        ("po-angliiski otvechaet podderzhka", "по-английски отвечает поддержка"),
        ("sozdat tiket v lk sellera", "создать тикет в лк селлера"),  # the thesaurus's jargon is a word
        ("fbo otgruzka problema", "фбо отгрузка проблема"),
        ("podtverzhdenie e-mail ne prishlo", "подтверждение e-mail не пришло"),  # one letter read after a number only
        ("zakaz ozon.ru ne prishel", "заказ ozon.ru не пришел"),  # an address, not «щящтюкг» on the Russian keys
    ],
)
def test_transliterated_function_words_pieces_and_jargon(
    rewriting, engine: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(engine, typed)[0] == meant


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
def test_brand_names_the_corpus_writes_in_latin_stay(rewriting, engine: SearchEngine, typed: str, meant: str) -> None:
    assert rewriting(engine, typed)[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("ldjqyjt cgtcfybt", "двойное списание"),  # a typo typed on the wrong layout: spelling finishes it
        ("cjplfnm nbrtn d kr ctkkthf", "создать тикет в лк селлера"),  # short words switch too, known or not
        ("jndtxftn kb gjllth;rf gj-fyukbqcrb", "отвечает ли поддержка по-английски"),  # a hyphenated word
        ("uhfabr hf,jns crkflf d {jheudbyj", "график работы склада в хоругвино"),  # «{» is Shift + «х»
        # Latin on Russian keys, each word in the case it was typed in
        ("crjkmrj cnjbn gjlgbcrf Щящт Зкуьшгь", "сколько стоит подписка Ozon Premium"),
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
def test_typos_across_schemes_come_back(rewriting, engine: SearchEngine, typed: str, meant: str) -> None:
    assert rewriting(engine, typed)[0] == meant


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
def test_guesses_stay_away_from_names(rewriting, engine: SearchEngine, query: str) -> None:
    rewritten = rewriting(engine, query)[0]
    assert "premium" in rewritten.lower() or "ARPNET" in rewritten or rewritten == query


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
        "номер не работает до2023 года",  # a two-letter preposition stays on its number (XQuAD's «от1996» as typed)
        "чат техподетки",  # «техпо…» misspelt: the corpus has «техподдержки», no «тех» + «пометки»
    ],
)
def test_brands_addresses_and_one_letter_words_stay_as_typed(rewriting, engine: SearchEngine, query: str) -> None:
    rewritten, corrections = rewriting(engine, query)
    assert rewritten == query
    assert corrections == []


def test_a_text_without_latin_letters_is_passed_through_as_read_word_by_word(
    engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transliteration step's fast path (no word to read) answers as reading every word would."""
    import re

    from search import scripts
    from search.scripts import TransliterationStep

    step = next(s for s in engine.pipeline.stages[0].rewriter.steps if isinstance(s, TransliterationStep))
    texts = [
        "как вернуть деньги за товар?",
        "Статус «заказа» (№ 12) — где?",
        "2-ochkovoi",
        "заказ 2-3 дня",
        "заказ 2 - 3 дня",
        "ВЕРНУТЬ ДЕНЬГИ!!! ",
        "ﬁ ｏｚｏｎ Ⅻ",
        "возврат 'товара' \"срочно\"",
        "телефон 8-800-234-48-48",
        "",
    ]
    fast = [step.apply(text) for text in texts]
    monkeypatch.setattr(scripts, "_NO_LATIN", re.compile(r"(?!)"))
    assert fast == [step.apply(text) for text in texts]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Zdravstvuite! Kak podkliuchit monetizatsiiu", "Здравствуйте! Как подключить монетизацию"),
        ("Plhfdcndeqnt! Rfr dthyenm ltymub", "Здравствуйте! Как вернуть деньги"),  # Shift is the same key
        ("Здраствуйте, как вернуть денги", "Здравствуйте, как вернуть деньги"),  # spelling's words too
        ("ЩЯЩТ CTKKTH", "OZON СЕЛЛЕР"),  # all capitals
        ("Здравствуйте! Каквернуть деньги", "Здравствуйте! Как вернуть деньги"),  # a lost space put back
    ],
)
def test_a_rewritten_word_keeps_the_case_it_was_typed_in(
    rewriting, engine: SearchEngine, typed: str, meant: str
) -> None:
    assert rewriting(engine, typed)[0] == meant


def test_a_transliterated_message_is_ranked_as_the_message_typed_right(engine: SearchEngine) -> None:
    """The sentence encoder reads case: a message rewritten in lower case was ranked as another question."""
    typed = "Здравствуйте! Как связаться с поддержкой продавца?"
    right, transliterated = engine.search(typed), engine.search("Zdravstvuite! Kak sviazatsia s podderzhkoi prodavtsa?")
    assert transliterated.query.rewritten == typed
    assert [(h.passage.id, h.score) for h in transliterated] == [(h.passage.id, h.score) for h in right]
