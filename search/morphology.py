"""Lemmas from pymorphy3, through one cached, thread-safe analyzer per process.

pymorphy3's ``MorphAnalyzer`` takes ~0.3 s and tens of MB to load and parses
~10k words a second, so the process shares one instance, and each distinct
word form is parsed once: help-center text repeats its vocabulary so much that
the cache answers almost every lookup after the first few passages.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from pymorphy3.units import DictionaryAnalyzer

from .lang import FUNCTION_GRAMMEMES, FUNCTION_POS, NEGATIONS
from .recent import Kept

# pymorphy3's grammemes of forms people write for others: distorted («ето»), misspelt
_DISTORTED = frozenset({"Dist", "Erro"})
# A string ``_Guesses`` reads without parsing it: lowercase Cyrillic letters only (no hyphen, digit or Latin letter,
# so that only the dictionary, the prefix and suffix guessers and the unknown-word fallback see it).
_PLAIN = re.compile("[а-яё]+")
_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"  # the lowercase letters ``short_words`` combines
# The pymorphy3 whose analyzer units ``_Guesses`` was derived from (read against its source): another version
# parses every string.
_GUESSED_VERSION = "2.0.6"
# The strings, endings and last letters whose guesses ``_Guesses`` keeps (dicts, emptied when full).
_GUESSES_KEPT = 20_000
_MISSING = object()  # ``_Guesses._kept``'s marker of a key not read yet
# The words each of ``Morphology``'s memos keeps (a word's lemma, all lemmas, cases, whether known, an abbreviation):
# a corpus's forms (~11,500 for XQuAD's 240 paragraphs) and its queries' words, so that a process serving open-ended
# queries for weeks stays bounded (600,000 made-up words through three of them: +437 MiB unbounded, +88 MiB from the
# 100,000th on); a larger vocabulary's rarest forms are parsed again (~15 µs; a build decides each form once anyway).
WORDS_PARSED_KEPT = 100_000
# ``_Guesses._kind`` of a tag, two bits: a guesser keeps it (not PREP, CONJ, PRCL, INTJ, NPRO, NUMR, PRED, Apro); a
# function word's (``Lemma.function_word``)
_PRODUCTIVE, _FUNCTION = 1, 2


@dataclass(frozen=True, slots=True)
class Lemma:
    """What the analysis chain needs to know about one word form."""

    lemma: str
    function_word: bool
    pos: str | None = None  # pymorphy3's part of speech of the best parse
    distorted: bool = False  # a form the dictionary marks as a misspelling or a distortion («ето», «шо»)


class _Guesses:
    """What pymorphy3's best parse of a lowercase Cyrillic string can be, told without parsing it (a parse costs
    ~15 µs for a dictionary word, 30–50 µs for a string the dictionary lacks; most strings spelling and word
    boundaries ask about are such).

    A dictionary word's best parse is one of its dictionary parses (pymorphy3's estimator only reorders them).

    Read from pymorphy3 2.0.6's units (``lang/ru``'s default chain) for a lowercase Cyrillic string ``w`` no
    dictionary form spells (ё or е): the dictionary, initials (capitals), shape and hyphen units give nothing, so
    the best parse is, in the chain's order (a terminal unit with a parse ends it; without P(t|w) figures for
    ``w`` the estimator keeps that order):

    1. ``KnownPrefixAnalyzer``: for the longest known prefix ``p`` (a remainder ``r`` of 3+ letters) whose
       remainder's full parse has a productive tag: ``p`` + the first such parse of ``r``. A dictionary ``r``'s
       parses are its dictionary parses; any other ``r``'s parses are all productive (guesses keep productive
       tags, the fallback's UNKN is one), so its best is read the same way, one level down, with ``p`` ahead.
    2. ``UnknownPrefixAnalyzer``: ``w[:j]`` + a productive dictionary parse of ``w[j:]`` (1 ≤ j ≤ 5, 3+ letters
       left); its parses come before the suffix guesser's.
    3. ``KnownSuffixAnalyzer`` (4+ letters): per paradigm prefix ``P`` of ``w``, the productive parses stored for
       ``w``'s longest ending ``e`` that has one (5 letters down to 1); ``build_normal_form`` on ``w[:-len(e)] +
       e`` makes each lemma normal prefix + ``w[len(P):-len(e)]`` + a tail fixed by the ending and the paradigm
       (the compiler stores a form under an ending at least as long as its suffix; a form that is not so is
       parsed).
    4. ``UnknAnalyzer``: ``w`` itself.

    A ``_Guess`` lists every lemma of the parses of the unit that gives the best one (a superset of the best's)
    and whether one is a function word's: ``Morphology.lemma_in`` and ``is_function_word`` parse only when that
    leaves the answer open. The guessers keep productive tags only (no PREP, CONJ, PRCL, INTJ, NPRO, Apro), so a
    guess is a function word only by a productive function tag (ADVB with Ques or Dmns: «…где», «…тут»). None —
    P(t|w) figures for the string, a form stored otherwise than the compiler does, another pymorphy3 version or
    unit chain — always parses."""

    def __init__(self, analyzer: Any, spelt: Callable[[str], bool]) -> None:
        import pymorphy3
        from pymorphy3 import units
        from pymorphy3.lang import ru

        dictionary = analyzer.dictionary
        self.dictionary = dictionary
        self.spelt = spelt  # ``DictionaryAnalyzer`` has a parse: ``word_is_known``
        self.substitutes = analyzer.char_substitutes
        estimator = analyzer.prob_estimator
        self.probabilities = getattr(estimator, "p_t_given_w", None)
        self._words: dict[str, _Guess | None] = {}
        self._endings: dict[tuple[int, str], _Ending] = {}  # per paradigm prefix and ending
        self._tails: dict[tuple[int, str], tuple[_Ending, ...]] = {}  # per paradigm prefix and last letters
        self._kinds: dict[int, int] = {}
        self.enabled = False
        chain = [
            [units.DictionaryAnalyzer, units.AbbreviatedFirstNameAnalyzer, units.AbbreviatedPatronymicAnalyzer],
            units.NumberAnalyzer,
            units.PunctuationAnalyzer,
            [units.RomanNumberAnalyzer, units.LatinAnalyzer],
            units.HyphenSeparatedParticleAnalyzer,
            units.HyphenAdverbAnalyzer,
            units.HyphenatedWordsAnalyzer,
            units.KnownPrefixAnalyzer,
            [units.UnknownPrefixAnalyzer, units.KnownSuffixAnalyzer],
            units.UnknAnalyzer,
        ]
        shape = [
            [type(u) for u in item] if isinstance(item, (list, tuple)) else type(item) for item in ru.DEFAULT_UNITS
        ]
        if pymorphy3.__version__ != _GUESSED_VERSION or analyzer.lang != "ru" or shape != chain:
            return  # another chain than the one read: every string is parsed
        if estimator is not None and self.probabilities is None:
            return
        initials = "".join(unit.letters for unit in ru.DEFAULT_UNITS[0][1:])
        known_prefix, (_, known_suffix) = ru.DEFAULT_UNITS[-3], ru.DEFAULT_UNITS[-2]
        if any(letter.islower() for letter in initials) or min(map(len, known_prefix.known_prefixes)) < 2:
            return  # an initial a lowercase string could be; a prefix the two-letter index misses
        self.min_remainder = known_prefix.min_remainder_length
        self.known_prefixes: dict[str, list[str]] = {}
        for prefix in sorted(known_prefix.known_prefixes, key=len, reverse=True):
            self.known_prefixes.setdefault(prefix[:2], []).append(prefix)
        self.min_suffix_word = known_suffix.min_word_length
        options = dictionary.meta.get("compile_options") or dictionary.meta.get("prediction_options") or {}
        self.max_suffix = options.get("max_suffix_length")
        self.paradigm_prefixes = list(dictionary.paradigm_prefixes)
        self.enabled = isinstance(self.max_suffix, int) and self.max_suffix > 0

    def guess(self, word: str) -> _Guess | None:
        """What the best parse of ``word`` can be, when it is plain lowercase Cyrillic; None for any other string,
        or one only a parse tells. Kept per string: a question asks again."""
        return self._kept(self._words, word, self._read)  # type: ignore[no-any-return]

    def _read(self, word: str) -> _Guess | None:
        if not self.enabled or _PLAIN.fullmatch(word) is None:
            return None
        if not self.spelt(word):
            return self._guess(word)
        parses = self._dictionary_parses(word, False)  # a dictionary word: its best parse is one of these
        return _Guess(
            tuple(lemma.replace("ё", "е") for lemma, _ in parses), any(kind & _FUNCTION for _, kind in parses)
        )

    def _guess(self, word: str, head: str = "") -> _Guess | None:
        """``guess`` of a string no dictionary form spells, ``head`` (a known prefix cut off) before each lemma."""
        unit, found = self._unit(word)
        if unit == "prefix":
            prefix, rest = found
            return self._guess(rest, head + prefix)
        if unit == "parses":
            lemmas = tuple((head + lemma).replace("ё", "е") for lemma, _ in found)
            return _Guess(lemmas, any(kind & _FUNCTION for _, kind in found))
        if unit == "estimated":
            return None
        endings = self._endings_of(word)
        if not endings:
            return _Guess(((head + word).replace("ё", "е"),), False)  # the fallback's lemma: the string itself
        if any(ending.unsure or len(word) - ending.length < len(prefix) for prefix, ending in endings):
            return None
        head, folded = head.replace("ё", "е"), word.replace("ё", "е")
        lemmas = tuple(
            head + before + folded[len(prefix) : len(word) - ending.length] + after
            for prefix, ending in endings
            for before, after in ending.lemmas
        )
        return _Guess(lemmas, any(ending.function for _, ending in endings))

    def _unit(self, word: str) -> tuple[str, Any]:
        """Which unit gives the best parse of a ``word`` no dictionary form spells, and what it gives: "estimated"
        (P(t|w) figures may reorder its parses), "prefix" (a known prefix and a remainder no dictionary form
        spells), "parses" (a known prefix's or the unknown-prefix guesser's (lemma, ``_kind``) pairs, prefix
        included), or "suffix" (the suffix guesser's or the fallback's)."""
        if self.probabilities is not None and self.probabilities.has_keys_with_prefix(word + ":"):
            return "estimated", None
        for prefix in self.known_prefixes.get(word[:2], ()):
            if word.startswith(prefix) and len(word) - len(prefix) >= self.min_remainder:
                rest = word[len(prefix) :]
                if not self.spelt(rest):
                    return "prefix", (prefix, rest)
                parses = self._dictionary_parses(rest, True)
                if parses:
                    return "parses", [(prefix + lemma, kind) for lemma, kind in parses]
        spelt = self.spelt
        parses = [
            (word[:cut] + lemma, kind)
            for cut in range(1, 1 + min(5, len(word) - 3))
            if spelt(word[cut:])
            for lemma, kind in self._dictionary_parses(word[cut:], True)
        ]
        return ("parses", parses) if parses else ("suffix", None)

    def _dictionary_parses(self, word: str, productive: bool) -> list[tuple[str, int]]:
        """(lemma, ``_kind``) of each dictionary parse of a ``spelt`` ``word`` (or each productive one)."""
        dictionary = self.dictionary
        return [
            (dictionary.build_normal_form(paradigm, index, fixed), kind)
            for fixed, forms in dictionary.words.similar_items(word, self.substitutes)
            for paradigm, index in forms
            if (kind := self._kind(paradigm, index)) & _PRODUCTIVE or not productive
        ]

    def _kind(self, paradigm_id: int, index: int) -> int:
        """What a paradigm's form's tag is: ``_PRODUCTIVE`` and ``_FUNCTION`` bits; kept per tag (a few hundred)."""
        paradigm = self.dictionary.paradigms[paradigm_id]
        tag_id = paradigm[len(paradigm) // 3 + index]  # ``Dictionary.build_tag_info``'s look-up
        kind = self._kinds.get(tag_id)
        if kind is None:
            tag = self.dictionary.gramtab[tag_id]
            function = tag.POS in FUNCTION_POS or bool(tag.grammemes & FUNCTION_GRAMMEMES)
            kind = self._kinds[tag_id] = (_PRODUCTIVE if tag.is_productive() else 0) | (_FUNCTION if function else 0)
        return kind

    def _endings_of(self, word: str) -> list[tuple[str, _Ending]]:
        """``KnownSuffixAnalyzer.parse``: per paradigm prefix ``word`` starts with, the endings whose parses it
        keeps — from the longest down to the first with uses (none under ``min_word_length`` letters)."""
        if len(word) < self.min_suffix_word:
            return []
        tail = word[-self.max_suffix :]
        return [
            (prefix, ending)
            for prefix_id, prefix in enumerate(self.paradigm_prefixes)
            if word.startswith(prefix)
            for ending in self._kept(self._tails, (prefix_id, tail), self._read_tail)
        ]

    def _read_tail(self, key: tuple[int, str]) -> tuple[_Ending, ...]:
        """The endings of ``_endings_of`` for one paradigm prefix and a string's last ``max_suffix`` letters."""
        prefix_id, tail = key
        found = []
        for length in range(len(tail), 0, -1):
            ending = self._kept(self._endings, (prefix_id, tail[-length:]), self._read_ending)
            if ending.parses:
                found.append(ending)
            if ending.uses:
                break
        return tuple(found)

    @staticmethod
    def _kept(kept: dict[Any, Any], key: Any, read: Callable[[Any], Any]) -> Any:
        """``kept[key]``, read on a miss; the dict is emptied when it holds ``_GUESSES_KEPT`` keys."""
        value = kept.get(key, _MISSING)
        if value is _MISSING:
            if len(kept) >= _GUESSES_KEPT:
                kept.clear()
            value = kept[key] = read(key)
        return value

    def _read_ending(self, key: tuple[int, str]) -> _Ending:
        """The suffix guesser's productive parses stored for one paradigm prefix and ending, as lemma rules."""
        prefix_id, ending = key
        dictionary = self.dictionary
        prefixes, suffixes = dictionary.paradigm_prefixes, dictionary.suffixes
        lemmas: set[tuple[str, str]] = set()
        parses = function = unsure = False
        uses = 0
        for stored, forms in dictionary.prediction_suffixes_dawgs[prefix_id].similar_items(ending, self.substitutes):
            for count, paradigm_id, index in forms:
                kind = self._kind(paradigm_id, index)
                if not kind & _PRODUCTIVE:
                    continue
                parses, uses, function = True, uses + count, function or bool(kind & _FUNCTION)
                paradigm = dictionary.paradigms[paradigm_id]
                size = len(paradigm) // 3
                form_prefix, form_suffix = prefixes[paradigm[size * 2 + index]], suffixes[paradigm[index]]
                if form_prefix != prefixes[prefix_id] or len(form_suffix) > len(stored):
                    unsure = True  # not the compiler's layout
                elif index == 0:  # the normal form itself: the string with the stored ending
                    lemmas.add((form_prefix, stored.replace("ё", "е")))
                else:
                    tail = stored[: len(stored) - len(form_suffix)] + suffixes[paradigm[0]]
                    lemmas.add((prefixes[paradigm[size * 2]].replace("ё", "е"), tail.replace("ё", "е")))
        return _Ending(len(ending), parses, uses, function, unsure, tuple(lemmas))


@dataclass(frozen=True, slots=True)
class _Guess:
    """What the best parse of a string no dictionary form spells can be."""

    lemmas: tuple[str, ...]  # every lemma it may have (ё folded)
    function: bool  # whether it may be a function word's


@dataclass(frozen=True, slots=True)
class _Ending:
    """The suffix guesser's parses of strings with one ending (``length`` letters) under one paradigm prefix."""

    length: int
    parses: bool  # some productive parse
    uses: int  # their dictionary counts (the guesser stops at the first ending with some)
    function: bool  # one of them a function word's
    unsure: bool  # one of them stored otherwise than the compiler does: parse
    lemmas: tuple[tuple[str, str], ...]  # (before, after): a lemma is before + the string's core + after


class Morphology:
    """A word → :class:`Lemma` lookup over pymorphy3 with a bounded cache (``WORDS_PARSED_KEPT`` words).

    The cache is a dict (``Kept``): reads and single-key writes are atomic under the
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
        self._cache: Kept[str, Lemma] = Kept(WORDS_PARSED_KEPT)
        self._all_cache: Kept[str, tuple[str, ...]] = Kept(WORDS_PARSED_KEPT)
        self._known_cache: Kept[str, bool] = Kept(WORDS_PARSED_KEPT)
        self._cases_cache: Kept[str, frozenset[str]] = Kept(WORDS_PARSED_KEPT)
        self._abbreviation_cache: Kept[str, bool] = Kept(WORDS_PARSED_KEPT)
        self._paradigms: dict[int, list[tuple[str, str]]] = {}
        self._guesses: _Guesses | None = None  # built on the first string no dictionary form spells
        self._lock = threading.Lock()
        # Whether some dictionary word form starts with a prefix (ё as the dictionary spells it): the dictionary's
        # own test, called without a Python frame between (a transliteration lattice asks thousands a first pass).
        self.has_prefix: Callable[[str], bool] = self._analyzer.dictionary.words.has_keys_with_prefix
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
            self._cache.keep(word, result)
            return result
        tag = parse.tag
        grammemes = tag.grammemes
        function_word = tag.POS in FUNCTION_POS or bool(grammemes & FUNCTION_GRAMMEMES)
        # pymorphy3 keeps ё in lemmas ("платёж"), the documents mix both spellings.
        distorted = bool(grammemes & _DISTORTED)
        result = Lemma(parse.normal_form.replace("ё", "е"), function_word, tag.POS, distorted)
        self._cache.keep(word, result)
        return result

    def lemma_in(self, word: str, lemmas: Collection[str]) -> bool:
        """``lemma(word).lemma in lemmas``, without parsing a lowercase Cyrillic word when every lemma its best parse
        may have (``_Guesses``) is in ``lemmas``, or none is."""
        if word not in self._cache:
            guess = self._guess(word)
            if guess is not None:
                inside = sum(lemma in lemmas for lemma in guess.lemmas)
                if inside in (0, len(guess.lemmas)):
                    return inside > 0  # every lemma the best parse may have is in, or none is
        return self.lemma(word).lemma in lemmas

    def is_function_word(self, word: str) -> bool:
        """``lemma(word).function_word``, without parsing a string no dictionary form spells when no guess of
        pymorphy3 for it carries a function word's tag."""
        if word not in self._cache:
            guess = self._guess(word)
            if guess is not None and not guess.function:
                return False
        return self.lemma(word).function_word

    def _guess(self, word: str) -> _Guess | None:
        guesses = self._guesses
        if guesses is None:
            guesses = self._guesses = _Guesses(self._analyzer, self._spelling())
        with self._lock:
            return guesses.guess(word)

    def warm(self, words: Iterable[str]) -> None:
        """Parse ``words`` now (a corpus's own, when its index opens: ~15 µs a word): a query, and the passages
        it shows, then find their lemmas in the cache instead of parsing them while someone waits."""
        for word in words:
            self.lemma(word)

    def short_words(self) -> list[str]:
        """The dictionary's words of one or two lowercase letters (prepositions, conjunctions, particles, pronouns:
        «в», «на», «ли», «мы»; ~270 for Russian), found by a look-up of each such string (~0.2 ms)."""
        words = self._analyzer.dictionary.words
        single = [letter for letter in _LETTERS if letter in words]
        return single + [first + second for first in _LETTERS for second in _LETTERS if first + second in words]

    def all_lemmas(self, word: str) -> tuple[str, ...]:
        """Every distinct lemma pymorphy3 proposes, best first ("стали" → стать, сталь)."""
        cached = self._all_cache.get(word)
        if cached is not None:
            return cached
        parses = self._parses(word)
        if not parses:
            return (word.replace("ё", "е"),)
        result = tuple(dict.fromkeys(parse.normal_form.replace("ё", "е") for parse in parses))
        self._all_cache.keep(word, result)
        return result

    def cases(self, word: str) -> frozenset[str]:
        """The cases of every parse pymorphy3 proposes («компании»: the genitive, dative, accusative, locative…)."""
        cached = self._cases_cache.get(word)
        if cached is not None:
            return cached
        result = frozenset(parse.tag.case for parse in self._parses(word) if parse.tag.case)
        self._cases_cache.keep(word, result)
        return result

    def is_abbreviation(self, word: str) -> bool:
        """Whether every parse pymorphy3 proposes is an abbreviation's («обл», «чел», «напр»; not «тел», a form of
        «тело» too)."""
        cached = self._abbreviation_cache.get(word)
        if cached is not None:
            return cached
        parses = self._parses(word)
        result = bool(parses) and all("Abbr" in parse.tag for parse in parses)
        self._abbreviation_cache.keep(word, result)
        return result

    def _parses(self, word: str) -> list[Any]:
        """pymorphy3's parses of a word, best first; none for a word with a letter that has no Unicode name (as in
        ``lemma``)."""
        try:
            with self._lock:
                return self._analyzer.parse(word)
        except ValueError:
            return []

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
        self._known_cache.keep(word, known)
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

    def _spelling(self) -> Callable[[str], bool]:
        """Whether a dictionary form spells a lowercase string, its fuzzy letters read otherwise too."""
        dictionary = self._analyzer.dictionary.words
        fuzzy_form = self._fuzzy_form(dictionary)
        letter = self._one_fuzzy[0] if self._one_fuzzy is not None else ""
        return lambda word: word in dictionary or (letter in word and fuzzy_form(word))

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
