"""Lemmas from pymorphy3, through one cached, thread-safe analyzer per process.

pymorphy3's ``MorphAnalyzer`` takes ~0.3 s and tens of MB to load and parses
~10k words a second, so the process shares one instance, and each distinct
word form is parsed once: help-center text repeats its vocabulary so much that
the cache answers almost every lookup after the first few passages.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pymorphy3.units import DictionaryAnalyzer

from .lang import FUNCTION_GRAMMEMES, FUNCTION_POS, NEGATIONS

# pymorphy3's grammemes of forms people write for others: distorted («ето»), misspelt
_DISTORTED = frozenset({"Dist", "Erro"})


@dataclass(frozen=True, slots=True)
class Lemma:
    """What the analysis chain needs to know about one word form."""

    lemma: str
    function_word: bool
    pos: str | None = None  # pymorphy3's part of speech of the best parse
    distorted: bool = False  # a form the dictionary marks as a misspelling or a distortion («ето», «шо»)


class Morphology:
    """A word → :class:`Lemma` lookup over pymorphy3 with an unbounded cache.

    The cache is a plain dict: reads and single-key writes are atomic under the
    GIL, so concurrent lookups never see a half-written entry. Parsing itself
    is serialised by a lock, because pymorphy3's analyzers share mutable
    state and have failed under concurrent use.

    >>> morph = Morphology()
    >>> morph.lemma("возвратом").lemma
    'возврат'
    """

    def __init__(self) -> None:
        import pymorphy3

        self._analyzer = pymorphy3.MorphAnalyzer(lang="ru")
        self._cache: dict[str, Lemma] = {}
        self._all_cache: dict[str, tuple[str, ...]] = {}
        self._known_cache: dict[str, bool] = {}
        self._paradigms: dict[int, list[tuple[str, str]]] = {}
        self._lock = threading.Lock()
        # The letters pymorphy3 reads fuzzily (``е`` as ``ё`` too): a string without one is a form exactly when
        # the dictionary holds it as written.
        substitutes = self._substitutes()
        fuzzy = "".join(re.escape(letter) for letter in substitutes)
        self._fuzzy = re.compile(f"[{fuzzy}]") if fuzzy else None
        # pymorphy3's one fuzzy letter and its one other reading (Russian: «е», «ё»), when that is all it has.
        self._one_fuzzy = (
            next(
                ((letter, others[0]) for letter, others in substitutes.items() if len(others) == 1),
                None,
            )
            if len(substitutes) == 1
            else None
        )

    def lemma(self, word: str) -> Lemma:
        """The best lemma of a lowercase word form, with ё folded to е."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        try:
            with self._lock:
                parse = self._analyzer.parse(word)[0]
        except ValueError:
            # pymorphy3 asks unicodedata for every letter's name, and some letters
            # (Tangut, Khitan) have none: such a word is indexed as it is.
            result = Lemma(word.replace("ё", "е"), False, None)
            self._cache[word] = result
            return result
        tag = parse.tag
        grammemes = tag.grammemes
        function_word = tag.POS in FUNCTION_POS or bool(grammemes & FUNCTION_GRAMMEMES)
        # pymorphy3 keeps ё in lemmas ("платёж"), the documents mix both spellings.
        distorted = bool(grammemes & _DISTORTED)
        result = Lemma(parse.normal_form.replace("ё", "е"), function_word, tag.POS, distorted)
        self._cache[word] = result
        return result

    def warm(self, words: Iterable[str]) -> None:
        """Parse ``words`` now (a corpus's own, when its index opens: ~15 µs a word): a query, and the passages
        it shows, then find their lemmas in the cache instead of parsing them while someone waits."""
        for word in words:
            self.lemma(word)

    def all_lemmas(self, word: str) -> tuple[str, ...]:
        """Every distinct lemma pymorphy3 proposes, best first ("стали" → стать, сталь)."""
        cached = self._all_cache.get(word)
        if cached is not None:
            return cached
        try:
            with self._lock:
                parses = self._analyzer.parse(word)
        except ValueError:  # a letter without a Unicode name, as in lemma()
            return (word.replace("ё", "е"),)
        result = tuple(dict.fromkeys(parse.normal_form.replace("ё", "е") for parse in parses))
        self._all_cache[word] = result
        return result

    def is_known(self, word: str) -> bool:
        """Whether the dictionary has the word form (not a guess from its ending)."""
        cached = self._known_cache.get(word)
        if cached is not None:
            return cached
        try:
            with self._lock:
                known = bool(self._analyzer.word_is_known(word))
        except ValueError:  # a letter without a Unicode name, as in lemma()
            known = False
        self._known_cache[word] = known
        return known

    def in_dictionary(self, word: str) -> bool:
        """``is_known`` without the cache: spelling probes hundreds of non-words per typo, none worth keeping."""
        try:
            with self._lock:
                return bool(self._analyzer.word_is_known(word))
        except ValueError:
            return False

    def dictionary_words(self, words: Iterable[str]) -> list[str]:
        """The words of ``words`` that ``in_dictionary`` finds, in order: one lock and one comprehension —
        spelling probes hundreds of strings one edit from each typo. A string is looked up as written (one ``in``,
        ~0.1 µs), and only one the dictionary lacks so is read with its fuzzy letters read otherwise
        (``_fuzzy_form``: one ``in`` more for one such letter, the similar-keys walk for more; the first pass's
        dictionary probes 82 → 43 ms CPU for the walk only where needed). A string the dictionary cannot read (a
        lone surrogate) is skipped: the strings are then read one by one."""
        dictionary = self._analyzer.dictionary.words
        fuzzy_form = self._fuzzy_form(dictionary)
        letter = self._one_fuzzy[0] if self._one_fuzzy is not None else ""  # a string without it: no call
        listed = list(words)
        with self._lock:
            try:
                return [
                    word
                    for word in listed
                    if (lowered := word.lower()) in dictionary or letter in lowered and fuzzy_form(lowered)
                ]
            except ValueError:
                return [word for word in listed if _reads(word.lower(), dictionary, fuzzy_form)]

    def _fuzzy_form(self, dictionary: Any) -> Callable[[str], bool]:
        """Whether the dictionary holds a string it lacks as written with its fuzzy letters read otherwise («е» as
        «ё»): with one such letter in the string (most), one more ``in`` (~0.1 µs); else the similar-keys walk."""
        similar, substitutes = dictionary.similar_keys, self._analyzer.char_substitutes
        if self._one_fuzzy is None:
            search = self._fuzzy.search if self._fuzzy is not None else None
            return lambda lowered: (
                search is not None and search(lowered) is not None and bool(similar(lowered, substitutes))
            )
        letter, other = self._one_fuzzy

        def form(lowered: str) -> bool:
            count = lowered.count(letter)
            if count == 1:
                return lowered.replace(letter, other) in dictionary
            return count > 1 and bool(similar(lowered, substitutes))

        return form

    def dictionary_reach(self, word: str) -> int:
        """The length of ``word``'s longest beginning that begins a dictionary word form, ``е`` read as ``ё``
        too (as ``in_dictionary`` reads it): a string starting with a longer beginning of it is no such form."""
        words = self._analyzer.dictionary.words
        substitutes = self._substitutes()
        live = [""]
        with self._lock:
            for length, char in enumerate(word.lower()):
                live = [
                    grown
                    for head in live
                    for letter in (char, *substitutes.get(char, ()))
                    if words.has_keys_with_prefix(grown := head + letter)
                ]
                if not live:
                    return length
        return len(word)

    def _substitutes(self) -> dict[str, tuple[str, ...]]:
        """pymorphy3's fuzzy letters (``е`` → ``ё`` for Russian) as text: what ``word_is_known`` tries."""
        compiled = self._analyzer.char_substitutes or {}
        return {
            key.decode() if isinstance(key, bytes) else key: tuple(text for _, text in values)
            for key, values in compiled.items()
        }

    def has_prefix(self, prefix: str) -> bool:
        """Whether some dictionary word form starts with ``prefix`` (ё as the dictionary spells it)."""
        return bool(self._analyzer.dictionary.words.has_keys_with_prefix(prefix))

    def forms(self, word: str) -> tuple[str, ...]:
        """Every word form of the best parse's lexeme, ё folded («возвращать» → возвращаю, возвращает, …).

        A dictionary word's forms are its stem between each (prefix, suffix) of its paradigm, read from
        pymorphy3's tables without building a tag for each (the lexeme's own way, ~10× slower); a guessed
        word takes the lexeme.
        """
        try:
            with self._lock:
                parse = self._analyzer.parse(word)[0]
                method = parse.methods_stack[0]
                if len(parse.methods_stack) == 1 and isinstance(method[0], DictionaryAnalyzer):
                    _, fixed, paradigm_id, position = method
                    affixes = self._paradigms.get(paradigm_id)
                    if affixes is None:
                        affixes = self._paradigms[paradigm_id] = self._affixes(paradigm_id)
                    prefix, suffix = affixes[position]
                    stem = fixed[len(prefix) : len(fixed) - len(suffix)]
                    forms = (prefix + stem + suffix for prefix, suffix in affixes)
                else:
                    forms = (form.word for form in parse.lexeme)
                return tuple(dict.fromkeys(form.replace("ё", "е") for form in forms))
        except ValueError:
            return (word,)

    def _affixes(self, paradigm_id: int) -> list[tuple[str, str]]:
        """(prefix, suffix) of each form of a pymorphy3 paradigm, in the lexeme's order."""
        dictionary = self._analyzer.dictionary
        paradigm = dictionary.paradigms[paradigm_id]
        size = len(paradigm) // 3
        prefixes, suffixes = dictionary.paradigm_prefixes, dictionary.suffixes
        return [(prefixes[paradigm[size * 2 + i]], suffixes[paradigm[i]]) for i in range(size)]

    def is_negation(self, word: str) -> bool:
        return word in NEGATIONS

    def __repr__(self) -> str:
        return f"Morphology(pymorphy3, cached={len(self._cache)})"


_shared: Morphology | None = None
_shared_lock = threading.Lock()


def shared_morphology() -> Morphology:
    """The process-wide analyzer (loading one costs ~0.3 s and ~15 MB)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = Morphology()
    return _shared


def _reads(lowered: str, dictionary: Any, fuzzy_form: Callable[[str], bool]) -> bool:
    """Whether the dictionary holds ``lowered`` as written or with its fuzzy letters read otherwise (False for a
    string it cannot read)."""
    try:
        return lowered in dictionary or fuzzy_form(lowered)
    except ValueError:
        return False
