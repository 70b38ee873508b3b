"""Russian language constants: the one place where language data lives.

Everything here is data, not logic, so a reader can see at a glance what the
analysis chain treats as a dash, which parts of speech are function words, and
so on. Later rewriting steps (keyboard layouts, transliteration) add their
tables here too.
"""

from __future__ import annotations

# Every dash and minus a text may contain, folded to ASCII "-" by normalisation.
# U+2010..U+2015 are the typographic hyphens and dashes (U+2011, the
# non-breaking hyphen, is what the seed documents use inside phone numbers),
# U+2212 is the minus sign, U+FE58/U+FE63/U+FF0D are the small and full-width
# forms, U+00AD is the soft hyphen (removed rather than folded).
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"

# Characters that carry no text: byte-order mark, zero-width spaces and
# joiners, the soft hyphen, word joiner, and the bidi controls.
INVISIBLE = (
    "\ufeff\u200b\u200c\u200d\u2060\u00ad\u180e\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

# Spaces other than U+0020 that NFKC may leave in place.
SPACES = "\u00a0\u2007\u202f\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u205f\u3000"

# pymorphy3 parts of speech that are function words: prepositions,
# conjunctions, particles, interjections and personal pronouns. Dropping them
# by part of speech generalises to every word form, where a hand list would not.
FUNCTION_POS = frozenset({"PREP", "CONJ", "PRCL", "INTJ", "NPRO"})

# Grammemes that mark pronoun-like words of other parts of speech
# ("ваш", "этот", "какой" are ADJF+Apro; "где", "как" carry Ques or Dmns).
FUNCTION_GRAMMEMES = frozenset({"Apro", "Ques", "Dmns"})

# Negation particles. They are PRCL, so they would be dropped as function
# words; the analyzer can keep them because "не пришли деньги" and "пришли
# деньги" ask different things.
NEGATIONS = frozenset({"не", "нет", "ни"})

# Enclitic particles: they lean on the word before them, so a space lost before one runs them together
# («можноли», «какже», «чтобы» apart): the only two-letter words spelling splits off the end of another.
ENCLITICS = frozenset({"ли", "ль", "же", "ж", "бы", "б"})

# Words that govern an infinitive (Russian grammar): modal and phase verbs, by lemma («могу», «стала»), and, as
# written, the future of «быть» (not its past: «был принят» is a short participle), predicatives and «чтобы».
INFINITIVE_GOVERNING_LEMMAS = frozenset({"мочь", "хотеть", "стать", "начать", "начинать", "уметь"})
INFINITIVE_GOVERNORS = frozenset(
    {"буду", "будешь", "будет", "будем", "будете", "будут", "можно", "нельзя", "надо", "нужно", "чтобы"}
)

# The cases (pymorphy3's grammemes) the one-letter prepositions a word may have run on after it govern: «в»
# the accusative and the locative («в студию», «в компании»), «с» the genitive and the instrumental («с горы», «с
# войсками»), «к» the dative («к потере»).
PREPOSITION_CASES = {
    "в": frozenset({"accs", "acc2", "loct", "loc2"}),
    "с": frozenset({"gent", "gen2", "ablt"}),
    "к": frozenset({"datv"}),
}

# The Zipf frequencies (log10 of uses per billion words; wordfreq 3.1, Russian) of the function words of one or two
# letters used 100,000 times a billion words or more: prepositions, conjunctions, particles and pronouns. The saved
# frequency index holds words of three letters or more; a stray space weighed as SymSpell weighs it needs these too
# («сколь ко»: сколько).
SHORT_WORD_ZIPF = {
    "в": 7.63, "и": 7.47, "на": 7.25, "не": 7.2, "с": 7.14, "я": 6.91, "по": 6.88, "а": 6.86, "из": 6.77,
    "за": 6.69, "о": 6.66, "к": 6.65, "но": 6.64, "то": 6.64, "у": 6.63, "он": 6.59, "от": 6.59, "же": 6.4,
    "мы": 6.4, "до": 6.38, "ты": 6.37, "бы": 6.28, "их": 6.26, "во": 6.18, "вы": 6.17, "со": 6.13, "ее": 6.1,
    "да": 6.04, "ну": 5.98, "ни": 5.96, "об": 5.96, "ли": 5.94, "им": 5.81, "ей": 5.49, "б": 5.4, "ко": 5.31,
    "ж": 5.27,
}  # fmt: skip

# Russian phone numbers: "8" is the domestic trunk prefix of country code +7,
# so 8 800 ... and +7 800 ... are the same number. Both fold to this prefix.
PHONE_COUNTRY_CODE = "7"

# Keyboard layouts: the same physical keys on a Russian ЙЦУКЕН and a US QWERTY
# keyboard, so "cnfnec" typed with the wrong layout is "статус".
QWERTY = "`qwertyuiop[]asdfghjkl;'zxcvbnm,./"
JCUKEN = "ёйцукенгшщзхъфывапролджэячсмитьбю."
LATIN_TO_CYRILLIC_KEYS = dict(zip(QWERTY, JCUKEN))
CYRILLIC_TO_LATIN_KEYS = {cyrillic: latin for latin, cyrillic in LATIN_TO_CYRILLIC_KEYS.items()}
# The same keys with Shift: a capital «Х» typed on the Latin layout is «{», «Ж» is «:».
SHIFTED_LATIN_TO_CYRILLIC_KEYS = {"{": "х", "}": "ъ", ":": "ж", '"': "э", "<": "б", ">": "ю", "~": "ё"}
# Top-level domains an e-mail address or a site typed on the Russian layout ends with («щящтюкг» is ozon.ru).
DOMAIN_SUFFIXES = frozenset({"ru", "com", "net", "org", "su", "io", "info", "biz", "pro", "me"})

# Latin transliteration of Russian as people type it: every reading of a Latin
# sequence under passport/ICAO 9303 («ts», «kh», «iu», «ia», «ie» for ъе), GOST
# 7.79 B and GOST 16876 («c», «x», «yo», «shh», «y'» for ы, «``» for ъ) and chat habits
# («w», «q», «j» for ж, «i» for ы). The first reading is the
# usual one; the lattice walk (``search.scripts``) tries every segmentation and
# every reading, keeps those the corpus or the dictionary knows, and prefers the
# corpus's own form. Soft and hard signs are optional wherever people drop them
# (after a consonant: «dengi» → деньги, «obyavlenie» → объявление).
TRANSLITERATION: dict[str, tuple[str, ...]] = {
    "shch": ("щ",),
    "shh": ("щ",),
    "sch": ("щ", "сч"),
    "sh": ("ш",),
    "ch": ("ч",),
    "zh": ("ж",),
    "kh": ("х",),
    "ts": ("ц", "тс"),
    "tc": ("ц",),
    "tz": ("ц",),
    "cz": ("ц",),
    "ya": ("я",),
    "ja": ("я",),
    "ia": ("я",),
    "yu": ("ю",),
    "ju": ("ю",),
    "iu": ("ю",),
    "yo": ("ё",),
    "jo": ("ё",),
    "io": ("ё",),
    "ye": ("е",),
    "je": ("е",),
    "ie": ("ъе",),
    "eh": ("э",),
    "y'": ("ы",),
    "``": ("ъ",),
    "''": ("ъ",),
    "a": ("а",),
    "b": ("б",),
    "v": ("в",),
    "w": ("в",),
    "g": ("г",),
    "d": ("д",),
    "e": ("е", "ё", "э"),
    "z": ("з",),
    "i": ("и", "й", "ы"),
    "j": ("й", "ж"),
    "y": ("ы", "й"),
    "k": ("к",),
    "l": ("л",),
    "m": ("м",),
    "n": ("н",),
    "o": ("о",),
    "p": ("п",),
    "r": ("р",),
    "s": ("с",),
    "t": ("т",),
    "u": ("у",),
    "f": ("ф",),
    "h": ("х",),
    "c": ("ц", "к"),
    "q": ("к",),
    "x": ("кс", "х"),
    "'": ("ь",),
    "`": ("ь",),
    '"': ("ъ",),
    "-": ("-",),  # «po-anglijski»: a hyphenated word reads part by part
}
TRANSLITERATION_MAX_SEQUENCE = max(map(len, TRANSLITERATION))

# Signs a transliteration may leave out, and the letters after which they may stand.
OPTIONAL_SIGNS = ("ь", "ъ")
CONSONANTS = frozenset("бвгджзйклмнпрстфхцчшщ")

# The rows of the Russian ЙЦУКЕН keyboard: a typo on a neighbouring key is the likelier one.
JCUKEN_ROWS = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")

# --- facts and conflicts ---------------------------------------------------------------

# Lemmas that show which kind of fact a question asks for. A conflict is only
# reported for a kind the query asks about: a question about returns is not
# warned that two passages list different phone numbers.
FACT_TRIGGERS: dict[str, frozenset[str]] = {
    "phone": frozenset({"телефон", "номер", "горячий", "линия", "позвонить", "звонить", "звонок", "дозвониться"}),
    "email": frozenset({"email", "почта", "электронный", "адрес", "письмо", "написать", "mail", "имейл", "емейл"}),
    "hours": frozenset({"круглосуточно", "график", "режим", "час", "время", "работать", "выходной", "ночь"}),
    "duration": frozenset({"срок", "долго", "быстро", "ждать", "ожидание", "сколько", "день"}),
    "sum": frozenset({"сумма", "минимальный", "максимальный", "рубль", "стоимость", "стоить", "сколько", "комиссия"}),
    "address": frozenset({"адрес", "офис", "находиться", "расположить", "приехать", "улица", "местонахождение"}),
    "link": frozenset({"ссылка", "сайт", "url", "страница", "портал"}),
}

# Words by which a text marks one of its own values as no longer valid.
OUTDATED_MARKERS = (
    r"больше не (?:функционирует|работает|действует|доступ\w+)",
    r"не функционирует",
    r"устарел\w*",
    r"прежн\w+",
    r"до 20\d\d года",
    r"упразднен\w*",
    r"отключен\w*",
)  # regular expressions, matched on normalized text

# --- sentence splitting ----------------------------------------------------------------

# Abbreviations after which razdel may cut a sentence that goes on («доб. 76077»,
# «ул. Тверская»). Written without spaces, lowercase; «т. е.» and «т.е.» are the
# same entry. A sentence is never taken to end at one of these...
NONFINAL_ABBREVIATIONS = frozenset(
    {
        "доб.",
        "тел.",
        "ул.",
        "д.",
        "им.",
        "т.е.",
        "т.к.",
        "стр.",
        "просп.",
        "пер.",
        "корп.",
        "кв.",
        "обл.",
        "напр.",
        "проф.",
        "акад.",
        "св.",
        "ст.",
        "рис.",
        "табл.",
        "п.",
        "пп.",
        "ч.",
        "гр.",
        "г.",
        "см.",
        "т.н.",
        "т.ч.",
        "вкл.",
        "искл.",
        "тов.",
        "ген.",
        "г-н.",
        "г-жа.",
        "оф.",
        "эт.",
        "пом.",
        "мкр.",
        "р-н.",
        "e.g.",
        "i.e.",
        "vs.",
        "mr.",
        "dr.",
        "no.",
    }
)
# ...and at one of these only when the next words start with a capital letter:
# they end sentences as often as not («и т. д.», «5 руб.», «в 2020 г.»). Any
# abbreviation right after a number is read this way (a unit, a year).
FINAL_ABBREVIATIONS = frozenset(
    {
        "т.д.",
        "т.п.",
        "др.",
        "пр.",
        "руб.",
        "коп.",
        "шт.",
        "тыс.",
        "млн.",
        "млрд.",
        "мин.",
        "сек.",
        "мес.",
        "нед.",
        "etc.",
    }
)

# --- what a question asks for ------------------------------------------------------------

# Question words and the kind of answer they ask for, matched on normalized
# question text (the words themselves are function words the analyzer drops).
# «date», «number», «person» and «place» only favour a sentence holding such a
# value; they are read from the question, never from the corpus.
QUESTION_KINDS: dict[str, str] = {
    "date": r"\bкогда\b|\bв как(?:ом|ие|ой) (?:году|годах|годы|веке|месяце|десятилетии|день|период)\b"
    r"|\bкакого числа\b|\bкакой год\b|\bдат[аеуы]\b",
    "number": r"\bсколько\b|\bскольки[хм]?\b|\bкакое (?:количество|число)\b|\bкакой процент\b"
    r"|\bкак(?:ая|ую) дол[яю]\b|\bв каком возрасте\b"
    r"|\bкаков[аоы]? (?:стоимость|численность|площадь|длина|высота|сумма|доля|размер|число|количество|процент)\b",
    "person": r"\bкто\b|\bкем\b|\bкого\b|\bкому\b|\bчь(?:й|я|е|и|им|ей|его)\b|\bкак зовут\b",
    "place": r"\bгде\b|\bоткуда\b|\bв как(?:ой|ом|их) (?:стране|городе|месте|регионе|части|районе|штате|области)\b"
    r"|\bиз как(?:ой|ого) (?:страны|города)\b",
}
# Lemmas of numerals written as words («дважды» is not one: it names no count in a sentence's terms).
NUMBER_WORDS = frozenset(
    {
        "один",
        "два",
        "три",
        "четыре",
        "пять",
        "шесть",
        "семь",
        "восемь",
        "девять",
        "десять",
        "одиннадцать",
        "двенадцать",
        "двадцать",
        "тридцать",
        "сорок",
        "пятьдесят",
        "сто",
        "тысяча",
        "миллион",
        "миллиард",
        "половина",
        "треть",
        "четверть",
        "дюжина",
        "десяток",
        "сотня",
        "оба",
        "двое",
        "трое",
        "дважды",
        "трижды",
    }
)
MONTHS = frozenset(
    {"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"}
)
# A postal address: a street type word with a name and a house number, then a building, a city, a post code.
# Every address holds a street type word: a text without one is not searched for the whole pattern.
STREET_WORDS = r"ул\.|улица|набережная|наб\.|проспект|просп\.|пр-т|переулок|пер\.|шоссе|бульвар|б-р|площадь|пл\."
ADDRESS_PATTERN = (
    r"(?:\d{6},\s*)?(?:(?i:г\.|город)\s*[А-ЯЁ][\w-]+,\s*)?"
    rf"(?:[А-ЯЁ][\w-]+\s+)?(?i:{STREET_WORDS})\s*(?:[А-ЯЁ][\w-]+\s*)?,?\s*(?i:д\.|дом)?\s*\d+[\w/]*"
    r"(?:,?\s*(?i:блок|корп\.|корпус|стр\.|строение|офис|оф\.|этаж)\s*\w+)*"
    r"(?:,\s*(?i:г\.\s*)?[А-ЯЁ][\w-]+)?(?:,\s*\d{6})?"
)

# --- the noise generator: how people mistype Russian ------------------------------------------

# The letter rows of the ЙЦУКЕН keyboard; each row starts half a key to the right of the one above.
JCUKEN_ROWS = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
# Keys a finger slips onto: left and right on the row, and the two touching keys above and below.
KEYBOARD_NEIGHBOURS: dict[str, str] = {
    key: "".join(
        row[j]
        for r, row in enumerate(JCUKEN_ROWS)
        for j in range(len(row))
        if (r == number and abs(j - index) == 1)
        or (r == number - 1 and j in (index, index + 1))
        or (r == number + 1 and j in (index - 1, index))
    )
    for number, keys in enumerate(JCUKEN_ROWS)
    for index, key in enumerate(keys)
}
# How people misspell Russian by ear or by rule, not by finger (the ``orthography`` noise, and spelling's
# ``ear_slips``): an unstressed vowel written as heard (meant → written)...
ORTHOGRAPHY_VOWELS: dict[str, str] = {"о": "а", "а": "о", "е": "и", "и": "е", "я": "е"}
# ... a prefix's last letter voiced or not by the rule («бесполезный» / «безполезный»: written as heard)...
ORTHOGRAPHY_PREFIXES: dict[str, str] = {
    "без": "бес",
    "бес": "без",
    "раз": "рас",
    "рас": "раз",
    "воз": "вос",
    "вос": "воз",
    "из": "ис",
    "ис": "из",
    "низ": "нис",
    "нис": "низ",
}
# ... «жи/ши», «ча/ща», «чу/щу», «ё» after a hushing consonant, «ы/и» after «ц» (meant → written)...
ORTHOGRAPHY_HUSHING: dict[str, str] = {
    "жи": "жы",
    "ши": "шы",
    "ча": "чя",
    "ща": "щя",
    "чу": "чю",
    "щу": "щю",
    "жё": "жо",
    "шё": "шо",
    "чё": "чо",
    "щё": "що",
    "ци": "цы",
    "цы": "ци",
}
# ... and the consonants people double where one is meant («адресс», «оффис»), between vowels.
ORTHOGRAPHY_DOUBLED = "лмсф"
RUSSIAN_VOWELS = "аеёиоуыэюя"
# How people write Russian in Latin letters, one table per habit. A letter with
# several spellings lists them all; the noise generator picks one per letter.
NOISE_TRANSLIT_SCHEMES: dict[str, dict[str, tuple[str, ...]]] = {
    # ICAO Doc 9303, the scheme of Russian passports since 2014 (ц ts, х kh, щ shch, ъ ie, ю iu, я ia).
    "passport": {
        "а": ("a",),
        "б": ("b",),
        "в": ("v",),
        "г": ("g",),
        "д": ("d",),
        "е": ("e",),
        "ё": ("e",),
        "ж": ("zh",),
        "з": ("z",),
        "и": ("i",),
        "й": ("i",),
        "к": ("k",),
        "л": ("l",),
        "м": ("m",),
        "н": ("n",),
        "о": ("o",),
        "п": ("p",),
        "р": ("r",),
        "с": ("s",),
        "т": ("t",),
        "у": ("u",),
        "ф": ("f",),
        "х": ("kh",),
        "ц": ("ts",),
        "ч": ("ch",),
        "ш": ("sh",),
        "щ": ("shch",),
        "ъ": ("ie",),
        "ы": ("y",),
        "ь": ("",),
        "э": ("e",),
        "ю": ("iu",),
        "я": ("ia",),
    },
    # GOST-like (after GOST 7.79 B, with the digraphs people type): ц c, х h, щ shch, й j, ь ', ъ ".
    "gost": {
        "а": ("a",),
        "б": ("b",),
        "в": ("v",),
        "г": ("g",),
        "д": ("d",),
        "е": ("e",),
        "ё": ("yo",),
        "ж": ("zh",),
        "з": ("z",),
        "и": ("i",),
        "й": ("j",),
        "к": ("k",),
        "л": ("l",),
        "м": ("m",),
        "н": ("n",),
        "о": ("o",),
        "п": ("p",),
        "р": ("r",),
        "с": ("s",),
        "т": ("t",),
        "у": ("u",),
        "ф": ("f",),
        "х": ("h",),
        "ц": ("c",),
        "ч": ("ch",),
        "ш": ("sh",),
        "щ": ("shch",),
        "ъ": ('"',),
        "ы": ("y",),
        "ь": ("'",),
        "э": ("e",),
        "ю": ("yu",),
        "я": ("ya",),
    },
    # Chat habits: soft and hard signs dropped, й y/j/i, х h/kh, ц c/ts, э e, щ sch/shch.
    "informal": {
        "а": ("a",),
        "б": ("b",),
        "в": ("v",),
        "г": ("g",),
        "д": ("d",),
        "е": ("e",),
        "ё": ("e", "yo"),
        "ж": ("zh",),
        "з": ("z",),
        "и": ("i",),
        "й": ("y", "j", "i"),
        "к": ("k",),
        "л": ("l",),
        "м": ("m",),
        "н": ("n",),
        "о": ("o",),
        "п": ("p",),
        "р": ("r",),
        "с": ("s",),
        "т": ("t",),
        "у": ("u",),
        "ф": ("f",),
        "х": ("h", "kh"),
        "ц": ("c", "ts"),
        "ч": ("ch",),
        "ш": ("sh",),
        "щ": ("sch", "shch"),
        "ъ": ("",),
        "ы": ("y",),
        "ь": ("",),
        "э": ("e",),
        "ю": ("yu",),
        "я": ("ya",),
    },
}

# --- FAQ entries -----------------------------------------------------------------------

# Words that open a question even when its "?" is missing («Какие настройки можно сделать в коде вставки»):
# a document whose first heading is a question is a FAQ entry, the heading its question field.
QUESTION_WORDS = frozenset(
    {
        "как",
        "какой",
        "какая",
        "какое",
        "какие",
        "каким",
        "какую",
        "каков",
        "что",
        "чем",
        "чего",
        "почему",
        "зачем",
        "где",
        "куда",
        "откуда",
        "когда",
        "сколько",
        "кто",
        "кому",
        "кого",
        "можно",
        "нужно",
        "ли",
        "возможно",
        "есть",
        "могу",
        "могут",
        "должен",
        "реально",
    }
)
