"""A seeded noise generator: a Russian query re-typed the way people mistype it.

The judged set holds a few typed-wrong queries by hand; this makes as many as
an evaluation needs, reproducibly: the same text, kind and seed always give
the same result. Kinds:

- ``layout``: typed on the wrong keyboard layout, ЙЦУКЕН keys read as QWERTY
  («статус» → «cnfnec»), and a Latin word read as ЙЦУКЕН («ozon» → «щящт»);
- ``translit_passport``, ``translit_gost``, ``translit_informal``: Cyrillic
  written in Latin letters by one of the schemes of ``lang.NOISE_TRANSLIT_SCHEMES``;
- ``typo1``, ``typo2``: one or two slips of the finger — a letter dropped, two
  neighbours swapped, a key's neighbour on ЙЦУКЕН struck instead, a letter doubled;
- ``orthography``: one or two misspellings by ear or by rule, each where it can
  happen in a word: an unstressed vowel as heard («сабака»), «-тся/-ться»,
  «н/нн», a double consonant single or a single doubled («акаунт», «адресс»),
  «ь» dropped or added («делаеть»), «жи/ши», «ча/ща», «чу/щу», «ё» after a hushing
  consonant, «ы/и» after «ц» («пришол», «цыфра»), «з/с» at a prefix's end
  («безполезный»), «сч/щ» («щетчик»);
- ``spaces``: a word boundary lost or made — the space between two words
  dropped («как вернуть» → «каквернуть») or one put inside a Cyrillic word of
  ``SPACE_MIN_LETTERS`` letters or more, two letters at least on each side
  («возврат» → «воз врат»).

Digits and punctuation stay as typed, and spaces but for ``spaces``. Transliteration and typos leave
Latin words (brand names: «ozon», «email») alone. Typos touch only Cyrillic
words of four letters or more: a slip in «как» or «в» makes another word or
none, and people notice those; an evaluation wants the misspellings that get
through. A text with no such word comes back unchanged.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from .lang import (
    CONSONANTS,
    CYRILLIC_TO_LATIN_KEYS,
    KEYBOARD_NEIGHBOURS,
    LATIN_TO_CYRILLIC_KEYS,
    NOISE_TRANSLIT_SCHEMES,
    ORTHOGRAPHY_DOUBLED,
    ORTHOGRAPHY_HUSHING,
    ORTHOGRAPHY_PREFIXES,
    ORTHOGRAPHY_VOWELS,
    RUSSIAN_VOWELS,
)

__all__ = ["NOISE_KINDS", "SPACE_MIN_LETTERS", "TYPO_MIN_LETTERS", "retype"]

TYPO_MIN_LETTERS = 4  # shorter words are never misspelt (see the module's docstring)
SPACE_MIN_LETTERS = 5  # a word split by a stray space: two letters at least on each side of it
_SPACE_BETWEEN_WORDS = re.compile(r"(?<=\w) (?=\w)")
_CYRILLIC_WORD = re.compile(r"[а-яё]+", re.IGNORECASE)
_LATIN_WORD = re.compile(r"[a-z]+", re.IGNORECASE)
# Shifted keys: a capital letter whose key is a punctuation mark on the other layout.
_SHIFTED = {"х": "{", "ъ": "}", "ж": ":", "э": '"', "б": "<", "ю": ">", "ё": "~"}


def _layout(text: str, rng: random.Random) -> str:
    """Each letter by its key on the other layout: Cyrillic as QWERTY, Latin as ЙЦУКЕН."""
    out = []
    for char in text:
        lower = char.lower()
        if lower in CYRILLIC_TO_LATIN_KEYS and lower.isalpha():
            key = CYRILLIC_TO_LATIN_KEYS[lower]
            out.append(_SHIFTED.get(lower, key.upper()) if char.isupper() else key)
        elif lower in LATIN_TO_CYRILLIC_KEYS and lower.isascii() and lower.isalpha():
            key = LATIN_TO_CYRILLIC_KEYS[lower]
            out.append(key.upper() if char.isupper() else key)
        else:
            out.append(char)
    return "".join(out)


def _transliterate(scheme: str) -> Callable[[str, random.Random], str]:
    table = NOISE_TRANSLIT_SCHEMES[scheme]

    def transliterate(text: str, rng: random.Random) -> str:
        out = []
        for char in text:
            spellings = table.get(char.lower())
            if spellings is None:
                out.append(char)
                continue
            latin = spellings[0] if len(spellings) == 1 else rng.choice(spellings)
            out.append(latin[:1].upper() + latin[1:] if char.isupper() else latin)
        return "".join(out)

    transliterate.__doc__ = f"Cyrillic letters in Latin ones by the {scheme!r} scheme."
    return transliterate


def _slip(word: str, rng: random.Random) -> str:
    """One typo in ``word``: a letter dropped, two different neighbours swapped, a neighbouring key, a doubling."""
    operations = ["drop", "double", "neighbour"]
    if any(a != b for a, b in zip(word, word[1:])):
        operations.append("swap")
    operation = rng.choice(operations)
    if operation == "swap":
        i = rng.choice([i for i in range(len(word) - 1) if word[i] != word[i + 1]])
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    i = rng.randrange(len(word))
    if operation == "drop":
        return word[:i] + word[i + 1 :]
    if operation == "double":
        return word[: i + 1] + word[i:]
    neighbours = KEYBOARD_NEIGHBOURS.get(word[i].lower(), "")
    if not neighbours:  # «ё» sits off the letter rows: double it instead, so a slip always changes the word
        return word[: i + 1] + word[i:]
    replacement = rng.choice(neighbours)
    return word[:i] + (replacement.upper() if word[i].isupper() else replacement) + word[i + 1 :]


def _typos(count: int) -> Callable[[str, random.Random], str]:
    def typos(text: str, rng: random.Random) -> str:
        for _ in range(count):
            words = [m for m in _CYRILLIC_WORD.finditer(text) if len(m.group()) >= TYPO_MIN_LETTERS]
            if not words:
                break
            match = rng.choice(words)
            text = text[: match.start()] + _slip(match.group(), rng) + text[match.end() :]
        return text

    typos.__doc__ = f"{count} typo(s) in Cyrillic words of {TYPO_MIN_LETTERS} letters or more."
    return typos


# An adjective's ending after «н»: where «-ный» and «-нный» are confused («ограниченый»).
_ADJECTIVE_ENDING = re.compile(r"(?<=[аеиоуыюя])н(?=(?:ый|ий|ая|яя|ое|ее|ые|ие|ой|ого|ому|ую|ым|ых|ыми)$)")
_Site = tuple[int, int, str]  # a word's letters [start, end) and what is written instead


def _orthography_sites(word: str) -> dict[str, list[_Site]]:
    """Where each misspelling by ear or by rule can happen in ``word`` (lower case), by its kind."""
    sites: dict[str, list[_Site]] = {}
    vowels = [i for i, c in enumerate(word) if c in RUSSIAN_VOWELS]
    if len(vowels) > 1:  # a word of one vowel has its stress there
        sites["vowel"] = [(i, i + 1, ORTHOGRAPHY_VOWELS[word[i]]) for i in vowels[:-1] if word[i] in ORTHOGRAPHY_VOWELS]
        # the last vowel too when a consonant follows it: «-ость», «-ает»
        last = vowels[-1]
        if last < len(word) - 1 and word[last] in ORTHOGRAPHY_VOWELS:
            sites["vowel"].append((last, last + 1, ORTHOGRAPHY_VOWELS[word[last]]))
    if word.endswith("ться"):
        sites["tsya"] = [(len(word) - 4, len(word), "тся")]
    elif word.endswith("тся"):
        sites["tsya"] = [(len(word) - 3, len(word), "ться")]
    sites["nn"] = [(m.start(), m.end(), "н") for m in re.finditer("нн", word)]
    sites["nn"] += [(m.start(), m.end(), "нн") for m in _ADJECTIVE_ENDING.finditer(word)]
    sites["double"] = [
        (i, i + 2, word[i]) for i in range(len(word) - 1) if word[i] == word[i + 1] in CONSONANTS and word[i] != "н"
    ]
    sites["double"] += [
        (i, i + 1, word[i] * 2)
        for i in range(1, len(word) - 1)
        if word[i] in ORTHOGRAPHY_DOUBLED and word[i - 1] in RUSSIAN_VOWELS and word[i + 1] in RUSSIAN_VOWELS
    ]
    sites["soft"] = [(i, i + 1, "") for i in range(1, len(word)) if word[i] == "ь" and word[i - 1] in CONSONANTS]
    if word[-1] in "чшщж" or (word[-1] == "т" and word[-2] in RUSSIAN_VOWELS):
        sites["soft"].append((len(word), len(word), "ь"))  # «врачь», «делаеть»
    for prefix, written in ORTHOGRAPHY_PREFIXES.items():
        if len(word) >= 6 and word.startswith(prefix) and word[len(prefix)] in CONSONANTS:
            sites["prefix"] = [(0, len(prefix), written)]
    sites["hushing"] = [
        (m.start(), m.end(), ORTHOGRAPHY_HUSHING[m.group()]) for m in re.finditer("|".join(ORTHOGRAPHY_HUSHING), word)
    ]
    sites["sch"] = [(m.start(), m.end(), "щ" if m.group() == "сч" else "сч") for m in re.finditer("сч|щ", word)]
    return {kind: found for kind, found in sites.items() if found}


def _orthography(text: str, rng: random.Random) -> str:
    """One or two misspellings by ear or by rule in Cyrillic words of ``TYPO_MIN_LETTERS`` letters or more:
    a kind of misspelling drawn among those the text allows, then a place for it."""
    changed = (-1, -1)  # the letters the first misspelling wrote: the second goes elsewhere, never undoes it
    for _ in range(rng.choice((1, 2))):
        places: dict[str, list[tuple[re.Match[str], _Site]]] = {}
        for match in _CYRILLIC_WORD.finditer(text):
            if len(match.group()) >= TYPO_MIN_LETTERS:
                for kind, sites in _orthography_sites(match.group().lower()).items():
                    kept = [s for s in sites if not changed[0] - 1 <= match.start() + s[0] <= changed[1]]
                    kept = [s for s in kept if not changed[0] <= match.start() + s[1] - 1 <= changed[1]]
                    places.setdefault(kind, []).extend((match, site) for site in kept)
        places = {kind: found for kind, found in places.items() if found}
        if not places:
            break
        match, (start, end, written) = rng.choice(places[rng.choice(sorted(places))])
        word = match.group()
        if word[start : start + 1].isupper():
            written = written[:1].upper() + written[1:]
        text = text[: match.start()] + word[:start] + written + word[end:] + text[match.end() :]
        changed = (match.start() + start, match.start() + start + len(written))
    return text


def _spaces(text: str, rng: random.Random) -> str:
    """One space dropped between two words, or one put inside a Cyrillic word of ``SPACE_MIN_LETTERS`` or more."""
    gaps = [m.start() for m in _SPACE_BETWEEN_WORDS.finditer(text)]
    words = [m for m in _CYRILLIC_WORD.finditer(text) if len(m.group()) >= SPACE_MIN_LETTERS]
    choices = [("drop", gap) for gap in gaps] + [("insert", word) for word in words]
    if not choices:
        return text
    operation = rng.choice([kind for kind in ("drop", "insert") if any(c[0] == kind for c in choices)])
    where = rng.choice([place for kind, place in choices if kind == operation])
    if operation == "drop":
        return text[:where] + text[where + 1 :]
    cut = where.start() + rng.randrange(2, len(where.group()) - 1)
    return text[:cut] + " " + text[cut:]


_KINDS: dict[str, Callable[[str, random.Random], str]] = {
    "layout": _layout,
    "translit_passport": _transliterate("passport"),
    "translit_gost": _transliterate("gost"),
    "translit_informal": _transliterate("informal"),
    "typo1": _typos(1),
    "typo2": _typos(2),
    "orthography": _orthography,
    "spaces": _spaces,
}
NOISE_KINDS: tuple[str, ...] = tuple(_KINDS)


def retype(text: str, kind: str, seed: int | random.Random) -> str:
    """``text`` re-typed with one kind of noise (``NOISE_KINDS``); the same ``seed`` gives the same result.

    ``seed`` is an integer or a ``random.Random`` to draw from (a stream of
    queries shares one). An unknown kind is a ``ValueError`` naming the valid ones.
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown noise kind {kind!r}; choose one of: {', '.join(NOISE_KINDS)}")
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    return _KINDS[kind](text, rng)
