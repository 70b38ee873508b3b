"""What every rewriting step shares: the :class:`Rewrite` a step returns, the :class:`RewriteStep` base class,
and the word-by-word mapping of a query text that keeps its punctuation and spaces.

Its own module so that the steps (:mod:`search.scripts`, :mod:`search.spelling`)
and the rewriter that orders them (:mod:`search.query`) import it without a cycle.
"""

from __future__ import annotations

import abc
import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from .analysis import normalize
from .results import Correction
from .vocabulary import WORDS_KEPT

__all__ = [
    "Rewrite",
    "RewriteStep",
]


_EDGE_PUNCTUATION = re.compile(r"^([\"«(]*)(.*?)([\"»)!?:,]*)$")
# A Cyrillic word's own punctuation also ends a sentence («номер телеофна.»); on the Latin layout «.» and «;»
# are the keys of «ю» and «ж», so only spelling, after the layout step, reads them as punctuation.
_SENTENCE_EDGES = re.compile(r"^([\"«(]*)(.*?)([\"»)!?:,.;…]*)$")
# A Russian word glued by a hyphen to a number or a Latin prefix («2-очковой», «hd-качестве», «t-клеток»).
_GLUED = re.compile(r"([0-9a-z]+-)([а-яё]+(?:-[а-яё]+)*)", re.IGNORECASE)
# ... and a number after it, by a hyphen or run on («Аполлон-11», «кислорода-18», «Интернет2»).
_NUMBERED = re.compile(r"([а-яё]+(?:-[а-яё]+)*)(-?[0-9]+)", re.IGNORECASE)
_WORDS = re.compile(r"\w[\w-]*")
# The end of a sentence before a word: «!» or «?» (a full stop ends initials and abbreviations too: «Х. Филдинга»),
# and the quotes and brackets that may close before it.
_SENTENCE_ENDS = ("!", "?")
_CLOSING = '"»)'
# Where ``_map_words`` cuts a text into words: at its spaces.
_SPACES = re.compile(r"(\s+)")
# ... and, for spelling, at punctuation typed with no space after it between two Cyrillic letters («день.Я»,
# «Здравствуйте!Хочу», «аудио/музыкального», «физ.лицо»): each word is read on its own, the punctuation kept.
_SPACES_AND_GLUED_PUNCTUATION = re.compile(r"(\s+|(?<=[а-яё])[.,;:!?/…]+(?=[а-яё]))", re.IGNORECASE)


@dataclass(frozen=True)
class Rewrite:
    """A query text after one or more steps, and what they changed."""

    text: str
    corrections: tuple[Correction, ...]
    # (word, reading): a word the corpus writes in Latin that stays, and its Russian reading the corpus
    # also uses, to search alongside it («ozon» in a transliterated query also finds «озон»)
    alongside: tuple[tuple[str, str], ...] = ()


class RewriteStep(abc.ABC):
    """One rewriting step: a query text in, the text and what it changed out."""

    name: ClassVar[str]

    @abc.abstractmethod
    def apply(self, text: str) -> Rewrite: ...

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# Each rewriting step reads the query's words normalized, and the same words come back in the next query: a word's
# normal form is kept (``normalize`` of one word, ~3 µs, is a pure function of it).
_normalized = functools.lru_cache(maxsize=WORDS_KEPT)(normalize)


def _map_words(
    text: str,
    step: str,
    change: Callable[[str, int, list[str]], str | None],
    edges: re.Pattern[str] = _EDGE_PUNCTUATION,
    separators: re.Pattern[str] = _SPACES,
) -> Rewrite:
    """``text`` with each word (``edges``: its edge punctuation aside) replaced by ``change(word, index, words)``;
    ``separators`` (one group) are what stands between words, kept as typed."""
    parts = separators.split(text)
    cores = []
    for index, part in enumerate(parts):
        # re.split puts the separators at the odd places
        match = edges.match(part) if part and not index % 2 else None
        cores.append(match.groups() if match else None)
    words = [_normalized(core[1]) if core else "" for core in cores]
    corrections = []
    for index, core in enumerate(cores):
        if core is None or not words[index]:
            continue
        replacement = change(words[index], index, words)
        if replacement is not None and replacement != words[index]:
            lead, original, tail = core
            corrections.append(Correction(step, original, replacement))
            parts[index] = lead + _as_typed(replacement, original) + tail
    return Rewrite("".join(parts), tuple(corrections))


def _as_typed(replacement: str, typed: str) -> str:
    """``replacement`` (lower case) in the case ``typed`` was written in: capitalised («Zdravstvuite» →
    «Здравствуйте»), all capitals («КГЕГИУ» → «RUTUBE») or as it is. The rewritten question then reads as the
    question typed right reads — the sentence encoder tells «Как» from «как» — and a name stays a name."""
    if not typed[:1].isupper():
        return replacement
    if len(typed) > 1 and typed.isupper():
        return replacement.upper()
    return replacement[:1].upper() + replacement[1:] if typed[1:].islower() or len(typed) == 1 else replacement


def _names(text: str) -> set[str]:
    """Words capitalised after the first (names: «Гобсона», «Мелфи»), normalized: spelling leaves them alone. A
    sentence's first word after «!» or «?» is none («Здравствуйте!Менязовут»: a message's sentences).
    A word glued to a Latin prefix is a name by its own first letter («HD-качестве» is none)."""
    names = set()
    for match in itertools.islice(_WORDS.finditer(text), 1, None):
        if text[: match.start()].rstrip().rstrip(_CLOSING).endswith(_SENTENCE_ENDS):
            continue  # a sentence's first word, after «!» or «?» («Здравствуйте! Меня зовут», «?Суважением»)
        word = match.group()
        glued = _GLUED.fullmatch(word)
        if word[len(glued[1]) if glued else 0].isupper():
            names.add(normalize(word))
    return names
