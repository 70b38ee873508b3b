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

# Russian phone numbers: "8" is the domestic trunk prefix of country code +7,
# so 8 800 ... and +7 800 ... are the same number. Both fold to this prefix.
PHONE_COUNTRY_CODE = "7"

# Audience labels a manifest may use.
AUDIENCES = ("покупатели", "продавцы")

# Keyboard layouts: the same physical keys on a Russian ЙЦУКЕН and a US QWERTY
# keyboard, so "cnfnec" typed with the wrong layout is "статус".
QWERTY = "`qwertyuiop[]asdfghjkl;'zxcvbnm,./"
JCUKEN = "ёйцукенгшщзхъфывапролджэячсмитьбю."
LATIN_TO_CYRILLIC_KEYS = dict(zip(QWERTY, JCUKEN))
CYRILLIC_TO_LATIN_KEYS = {cyrillic: latin for latin, cyrillic in LATIN_TO_CYRILLIC_KEYS.items()}

# Latin transliteration of Russian as people type it (a mix of GOST 7.79 B,
# passport rules and chat habits), longest sequences first. A sequence with
# several readings lists them all; the first reading that gives a known word wins.
TRANSLITERATION: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("shch", ("щ",)), ("tsya", ("ться", "тся")), ("tsa", ("ться", "тса", "ца")), ("sch", ("щ", "сч")),
    ("zh", ("ж",)), ("kh", ("х",)), ("ts", ("ц", "тс")), ("tc", ("ц",)), ("ch", ("ч",)), ("sh", ("ш",)),
    ("yu", ("ю",)), ("ju", ("ю",)), ("iu", ("ю",)), ("ya", ("я", "ыя")), ("ja", ("я",)), ("ia", ("я", "ия")),
    ("yo", ("ё", "йо")), ("jo", ("ё",)), ("ye", ("е",)), ("je", ("е",)),
    ("iya", ("ия",)), ("iyu", ("ию",)), ("iye", ("ие",)),
    ("iy", ("ий",)), ("yi", ("ый",)), ("yj", ("ый",)), ("ij", ("ий",)), ("x", ("кс",)),
    ("a", ("а",)), ("b", ("б",)), ("v", ("в",)), ("w", ("в",)), ("g", ("г",)), ("d", ("д",)),
    ("e", ("е", "э")), ("z", ("з",)), ("i", ("и", "й")), ("j", ("й",)), ("k", ("к",)), ("l", ("л",)),
    ("m", ("м",)), ("n", ("н",)), ("o", ("о",)), ("p", ("п",)), ("r", ("р",)), ("s", ("с",)),
    ("t", ("т",)), ("u", ("у",)), ("f", ("ф",)), ("h", ("х",)), ("c", ("ц", "к")), ("q", ("к",)),
    ("y", ("ы", "й")), ("'", ("ь",)), ("`", ("ь",)),
)  # fmt: skip

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

# --- FAQ entries -----------------------------------------------------------------------

# Words that open a question even when its "?" is missing («Какие настройки можно сделать в коде вставки»):
# a document whose first heading is a question is a FAQ entry, the heading its question field.
QUESTION_WORDS = frozenset(
    {
        "как", "какой", "какая", "какое", "какие", "каким", "какую", "каков", "что", "чем", "чего", "почему",
        "зачем", "где", "куда", "откуда", "когда", "сколько", "кто", "кому", "кого", "можно", "нужно", "ли",
        "возможно", "есть", "могу", "могут", "должен", "реально",
    }
)  # fmt: skip
