"""Understanding a query the way people type it.

    query ─► script (once) ─► keyboard layout ─► transliteration ─► spelling ─► (analysis) ─► synonyms

Each step is a :class:`RewriteStep` whose ``apply`` returns the text and what
it changed, so the page can say «Показаны результаты по запросу „статус
заказа“» and offer the original. Latin words are read through one scheme per
query (layout or transliteration, whichever reads most of them), so short
ambiguous words («ne», «s», «v») follow the query rather than a fixed order.
A word the corpus itself writes in Latin (``ozon``, ``seller``, ``api``)
passes through, and so do numbers, phones, e-mails and domains.
"""

from __future__ import annotations

import abc
import bisect
import functools
import heapq
import itertools
import math
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist

from .analysis import Analyzer, Token, normalize
from .arrays import sorted_unique
from .lang import (
    CONSONANTS,
    CYRILLIC_TO_LATIN_KEYS,
    DOMAIN_SUFFIXES,
    ENCLITICS,
    JCUKEN_ROWS,
    LATIN_TO_CYRILLIC_KEYS,
    OPTIONAL_SIGNS,
    SHIFTED_LATIN_TO_CYRILLIC_KEYS,
    TRANSLITERATION,
    TRANSLITERATION_MAX_SEQUENCE,
)
from .morphology import Morphology, shared_morphology
from .recent import Recent
from .results import Correction
from .spelling_channel import SpellingChannel, default_channel
from .store import StringTable

__all__ = [
    "TEXT_STEPS",
    "DeletionIndex",
    "LayoutStep",
    "NoAnswerRule",
    "QueryRewriter",
    "Rewrite",
    "RewriteStep",
    "SpellingIndex",
    "SpellingStep",
    "Thesaurus",
    "TransliterationStep",
    "Vocabulary",
    "WordBoundaries",
    "build_spelling_index",
    "parse_synonyms",
]

TEXT_STEPS: tuple[str, ...] = ("layout", "transliteration", "spelling")

_CYRILLIC_WORD = re.compile(r"[а-яё]+(?:-[а-яё]+)*")
_KEYS = r"[a-z`\[\];',./{}:\"<>~]*[a-z][a-z`\[\];',./{}:\"<>~]*"
_LATIN_KEYS = re.compile(rf"{_KEYS}(?:-{_KEYS})*")  # a word typed on the Latin layout: letters and the Russian keys
# A number joined to a word typed on the Latin layout: «1970-[» (1970-х), «41-q» (41-й), «rbckjhjlf-16»
_NUMBERED_KEYS = re.compile(rf"([0-9]+-)({_KEYS}|[\[\];'`{{}}:\"<>~]+)|({_KEYS})(-[0-9]+)")
_LATIN_WORD = re.compile(r"[a-z'`\"]*[a-z][a-z'`\"]*(?:-[a-z'`\"]*[a-z][a-z'`\"]*)*")
_ADDRESS_KEYS = re.compile(r"[а-яё0-9._%+-]*[а-яё][а-яё0-9._%+-]*(?:@[а-яё0-9.-]+|\.[а-яё]{2,4})")
_ADDRESS = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+|[a-z0-9-]+(?:\.[a-z0-9-]+)+")
# Latin letters in pieces joined by hyphens or stuck punctuation: «chisel-bliznetsov», «2-ochkovoi»,
# «vopros.», «den.Ia», «fiz.litso» — in a transliterated query each piece is read on its own.
_PIECED = re.compile(r"[a-z0-9'`\"]*[a-z][a-z0-9'`\"]*(?:[-.,;:]+[a-z0-9'`\"]+)*[.,;:]*|[0-9]+(?:-[a-z0-9'`\"]+)+")
_PIECE_BREAK = re.compile(r"([-.,;:]+)")
_EDGE_PUNCTUATION = re.compile(r"^([\"«(]*)(.*?)([\"»)!?:,]*)$")
# A Cyrillic word's own punctuation also ends a sentence («номер телеофна.»); on the Latin layout «.» and «;»
# are the keys of «ю» and «ж», so only spelling, after the layout step, reads them as punctuation.
_SENTENCE_EDGES = re.compile(r"^([\"«(]*)(.*?)([\"»)!?:,.;…]*)$")
# A Russian word glued by a hyphen to a number or a Latin prefix («2-очковой», «hd-качестве», «t-клеток»).
_GLUED = re.compile(r"([0-9a-z]+-)([а-яё]+(?:-[а-яё]+)*)", re.IGNORECASE)
_WORDS = re.compile(r"\w[\w-]*")

# A corpus above this many lemmas indexes its surface words only for spelling (building every
# form of every lemma would cost minutes); forms one edit away still come from the dictionary.
FORMS_MAX_LEMMAS = 50_000
# The walk through a transliteration lattice stops after this many states: a long Latin string
# the dictionary has no prefix for dies in a few steps, this only bounds the pathological ones.
LATTICE_MAX_STATES = 20_000
# A real-word typo is corrected only in a query whose best passage covers at most this share of it
# (IDF-weighted; the word nobody uses weighs most) and when the best passage of the corrected query
# covers at least the second: all of it. Measured on XQuAD's well-typed questions, where a looser
# rule (any gain) changed 70 of 1,190 questions, mostly paraphrases, and this one none.
REAL_WORD_MAX_COVERAGE = 0.5
_TRIPLED = re.compile(r"(.)\1\1+")
_DOUBLED = re.compile(r"(.)\1+")
# A word no known word is near, of at least this many letters, is read as misspelt by ear (``SpellingStep._heard``):
# at most this many misspellings by ear («сч» for «щ», a double letter single or a single doubled). Orthography lemma
# recovery (seeds 0–2) XQuAD 0.941 → 0.942, RUTUBE 0.895 → 0.897, judged 0.901 → 0.913; typo1/typo2 unchanged.
HEARD_MIN_LETTERS = 5
HEARD_MAX_SLIPS = 3
_VERB_FORMS = frozenset({"INFN", "VERB", "GRND", "PRTF", "PRTS"})
REAL_WORD_MIN_COVERAGE = 0.99
# ... or, short of that, when the language uses the corpus word this much more (Zipf: 10× per unit) than the
# real word typed and the corrected query's best passage covers more of it: a slip onto a rare word is the
# likelier story («краты» for «карты»). Measured on typo2 re-typings of XQuAD, RUTUBE and the judged set (two
# seeds): 1.0 recovers 0.853 → 0.862, 0.799 → 0.815, 0.868 → 0.880 and leaves XQuAD's well-typed 5 of 1,190, but
# rewrites RUTUBE's «стирается» (+1.3) and «роботы» (+1.9) as typed; 2.0 recovers 0.860, 0.815, 0.880 (a slip
# is about one word in a hundred) and rewrites RUTUBE's «мене» (менее, +2.3), not those.
REAL_WORD_ZIPF_GAIN = 2.0
# ... the corpus word's frequency being the language's or the corpus's own, less this (a help centre says «звонок»
# far more often than the language does; the corpus is a small sample, so its figure counts for less). Typo1 / typo2
# lemma recovery (seeds 0–2) XQuAD 0.968 / 0.925 → 0.969 / 0.926, RUTUBE 0.916 / 0.844 → 0.919 / 0.848, the judged
# set 0.956 / 0.892 → 0.956 / 0.896 (property test, 20 seeds, 0.876 → 0.880); held-out seeds 3–4 every cell up
# (judged typo2 0.893 → 0.899); well-typed rewrites unchanged. A discount of 1.0 gained less on every set; none (0)
# also rewrote RUTUBE's well-typed «стирается» (старается).
REAL_WORD_CORPUS_DISCOUNT = 0.5
# ... and in a query whose best passage already covers over half of it, only when a passage then covers this much
# more of it (IDF-weighted): XQuAD's well-typed «делал вброса» gains 0.02 with «выброса», its re-typed real words
# 0.16–0.24 («люзей» → людей, «ерке» → реке).
REAL_WORD_COVERED_GAIN = 0.1
# Two verbs are an aspect pair (``_same_stem``), not a real-word typo of each other, only when they share a stem of
# at least this many letters.
SAME_STEM_MIN = 3
# A name this long two slips of the finger from a word of the corpus is searched alongside it (one slip for any):
# «Цранциии», «Полльш». Typo2 lemma recovery (two seeds) XQuAD 0.901 → 0.908, RUTUBE 0.839 → 0.840.
NAME_TWO_SLIPS = 6
# ... and a name this long one slip from a word of the dictionary («Респкблику»), searched alongside it.
NAME_DICTIONARY_SLIP = 6
# A corrected typo's alternatives weighed in the query's context (``SpellingStep._in_context``): how many of the
# likeliest, and what share of the query (IDF-weighted) the best passage must then cover for one to replace a
# closest word the documents never use; a closest word no slip of the finger makes needs only a gain.
CONTEXT_CANDIDATES = 4
# The fitted channel (``search.spelling_channel``) weighs the hand order's pick against at most this many of the
# typo's nearest candidates, besides the context's alternatives.
CHANNEL_CANDIDATES = 6
CONTEXT_MIN_COVERAGE = 0.99
# Queries are open-ended: the work kept per word (its readings, corrections) and per query (its rewrite) is
# bounded (``search.recent.Recent``), a few MB at most; the scheme decided per query too.
WORDS_KEPT = 50_000
REWRITES_KEPT = 20_000
LOOKUPS_KEPT = 2_048
# The corpus's Latin words (the most used) whose Cyrillic readings spelling knows as what people write of them.
LATIN_READINGS_WORDS = 5_000
# The word beginnings whose reach (``Vocabulary.has_prefix``) is kept: a dict of them, emptied when full.
PREFIXES_KEPT = 20_000
# The language's words (wordfreq's Zipf scale: 2.5 is about three uses in ten million words) the spelling
# index holds beside the corpus's, so that two slips reach them too.
LANGUAGE_MIN_ZIPF = 2.5


@dataclass(frozen=True)
class Rewrite:
    """A query text after one or more steps, and what they changed."""

    text: str
    corrections: tuple[Correction, ...]
    # (word, reading): a word the corpus writes in Latin that stays, and its Russian reading the corpus
    # also uses, to search alongside it («ozon» in a transliterated query also finds «озон»)
    alongside: tuple[tuple[str, str], ...] = ()


@dataclass(eq=False)
class Vocabulary:
    """The corpus's own words as written (normalized), with how often each occurs.

    ``lemmas`` are the corpus's lemmas (the BM25 vocabulary); without them they
    are derived from the words on first use. ``morphology`` gives dictionary
    prefixes and word forms (the process-wide pymorphy3 by default).
    """

    counts: Mapping[str, int]
    is_dictionary_word: Callable[[str], bool]
    lemmas: Collection[str] | None = None
    morphology: Morphology | None = None
    # Words known without being the corpus's or the dictionary's: the thesaurus's jargon («лк», «фбо»)
    jargon: Collection[str] = ()
    _prefixes: dict[str, bool] = field(default_factory=dict, init=False, repr=False)

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def known(self, word: str) -> bool:
        return (
            word in self.counts
            or word in self.jargon
            or (_CYRILLIC_WORD.fullmatch(word) is not None and self.is_dictionary_word(word))
        )

    @property
    def morph(self) -> Morphology:
        if self.morphology is None:
            self.morphology = shared_morphology()
        return self.morphology

    @cached_property
    def corpus_lemmas(self) -> frozenset[str]:
        if self.lemmas is not None:
            return frozenset(self.lemmas)
        return frozenset(self.morph.lemma(word).lemma for word in self.counts if _CYRILLIC_WORD.fullmatch(word))

    def frequency(self, word: str) -> float:
        """The word's Zipf frequency in the language, from the saved spelling index (0 without one)."""
        return self.spelling.frequency(word) if self.spelling is not None else 0.0

    def corpus_frequency(self, word: str) -> float:
        """The word's Zipf frequency in the corpus (log10 of its uses per billion words; 0 when unused)."""
        count = self.counts.get(word, 0)
        return math.log10(count / self._tokens * 1e9) if count else 0.0

    @cached_property
    def _tokens(self) -> int:
        return sum(self.counts.values()) or 1

    def lemma_in_corpus(self, word: str) -> bool:
        return self.morph.lemma(word).lemma in self.corpus_lemmas

    @cached_property
    def _sorted(self) -> list[str]:
        return sorted(self.counts)

    def corpus_has_prefix(self, prefix: str) -> bool:
        """Whether a corpus word starts with ``prefix``."""
        words = self._sorted
        index = bisect.bisect_left(words, prefix)
        return index < len(words) and words[index].startswith(prefix)

    def has_prefix(self, prefix: str) -> bool:
        """Whether a corpus word, a word of the jargon or a dictionary word form starts with ``prefix``.

        Kept for the ``PREFIXES_KEPT`` last asked (a lattice asks ~20 per word, and a query's words share
        their beginnings with the next query's: about half are asked again)."""
        known = self._prefixes.get(prefix)
        if known is None:
            if len(self._prefixes) >= PREFIXES_KEPT:
                self._prefixes.clear()
            known = self._prefixes[prefix] = self._has_prefix(prefix)
        return known

    def _has_prefix(self, prefix: str) -> bool:
        if self.corpus_has_prefix(prefix) or self.morph.has_prefix(prefix):
            return True
        jargon = self._jargon_sorted
        index = bisect.bisect_left(jargon, prefix)
        return index < len(jargon) and jargon[index].startswith(prefix)

    @cached_property
    def _jargon_sorted(self) -> list[str]:
        return sorted(self.jargon)

    # The spelling index the index folder holds (built once at index time, memory-mapped); without it,
    # one is built on the first misspelt word.
    spelling: SpellingIndex | None = None

    @cached_property
    def spelling_index(self) -> DeletionIndex | SpellingIndex:
        """The corpus's Cyrillic words and every form of its lemmas."""
        if self.spelling is not None:
            return self.spelling
        return DeletionIndex(spelling_words(self.counts, self.corpus_lemmas, self.morph))


def spelling_words(counts: Iterable[str], lemmas: Iterable[str], morphology: Morphology) -> list[str]:
    """What spelling corrects towards from the corpus: its Cyrillic words of three letters or more and, for
    a corpus of up to ``FORMS_MAX_LEMMAS`` lemmas, every form of each lemma (sorted)."""
    words = {w for w in counts if _CYRILLIC_WORD.fullmatch(w) and len(w) > 2}
    lemmas = list(lemmas)
    if len(lemmas) <= FORMS_MAX_LEMMAS:
        for lemma in lemmas:
            if _CYRILLIC_WORD.fullmatch(lemma):
                words.update(form for form in morphology.forms(lemma) if len(form) > 2)
    return sorted(words)


def language_words() -> tuple[bytes, np.ndarray]:
    """The Russian words ``wordfreq`` puts at Zipf ``LANGUAGE_MIN_ZIPF`` or more (ё folded), one a line in
    UTF-8, and their frequencies; nothing without ``wordfreq``.

    Read from its frequency buckets (bucket ``i`` holds the words of Zipf ``9 - i / 100``) without its
    cache, and kept as bytes, not strings: a dict of its 700k words would leave ~100 MB of freed but
    unreturned memory in a process that builds an index (a page building its own, say).
    """
    try:
        import wordfreq
    except ImportError:
        return b"", np.zeros(0, dtype=np.float32)
    buckets = wordfreq.get_frequency_list.__wrapped__("ru", "large")
    lines: list[bytes] = []
    frequencies: list[np.ndarray] = []
    for number, bucket in enumerate(buckets[: int((9 - LANGUAGE_MIN_ZIPF) * 100) + 1]):
        kept = [w.replace("ё", "е") for w in bucket if len(w) > 2 and _CYRILLIC_WORD.fullmatch(w)]
        if kept:
            lines.append("\n".join(kept).encode())
            frequencies.append(np.full(len(kept), 9 - number / 100, dtype=np.float32))
    del buckets
    return b"\n".join(lines), np.concatenate(frequencies) if frequencies else np.zeros(0, dtype=np.float32)


@functools.lru_cache(maxsize=1)
def language_index() -> DeletionIndex:
    """The language's frequent words the dictionary knows, with their frequencies: spelling reaches them
    within two edits, as it reaches the corpus's words («вкольо» → сколько). The same for every corpus,
    so built once per process (its words as one string table) and saved with each index."""
    text, frequencies = language_words()
    morphology = shared_morphology()
    best: dict[str, float] = {}  # a word spelt with ё and with е: the higher frequency (buckets come in order)
    for word, zipf in zip(text.decode().split("\n") if text else [], frequencies.tolist()):
        if word not in best and morphology.in_dictionary(word):
            best[word] = round(zipf, 2)
    words = sorted(best)
    index = DeletionIndex(words, frequencies=[best[word] for word in words])
    index.words = StringTable.build(index.words)
    del words, best
    _return_freed_memory()
    return index


def _return_freed_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``; nothing elsewhere): the
    build's temporary arrays land on the heap once glibc raises its mmap threshold, and ~50 MB of them
    would stay with a process that built an index — a page building its own, say."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def build_spelling_index(words: Mapping[str, int], morphology: Morphology | None = None) -> SpellingIndex:
    """The spelling index of a corpus's words as written (``Lexicon.words``) and of the language's frequent
    words, with their frequencies (a corpus word rarer than ``LANGUAGE_MIN_ZIPF`` counts as 0): built once
    at index time."""
    vocabulary = Vocabulary(words, lambda word: False, morphology=morphology)
    spelt = spelling_words(words, vocabulary.corpus_lemmas, vocabulary.morph)
    language = language_index()
    corpus = DeletionIndex(spelt, frequencies=language.frequencies(spelt))
    _return_freed_memory()
    return SpellingIndex(corpus, language)


class SpellingIndex:
    """The corpus's deletion index and the language's: candidates from both, the corpus's first.

    >>> both = SpellingIndex(DeletionIndex(["заказ"]), DeletionIndex(["закат", "заказ"], frequencies=[3.1, 4.0]))
    >>> both.lookup("закаь", 1), both.frequency("заказ")
    ([('заказ', 1), ('закат', 1)], 4.0)
    """

    def __init__(self, corpus: DeletionIndex, language: DeletionIndex) -> None:
        self.corpus, self.language = corpus, language
        # A word's frequency is two binary searches: spelling ranks the same candidates for several typos.
        self._frequencies: Recent[float] = Recent(WORDS_KEPT)
        # A typo's candidates two edits away are asked for again while its query is rewritten (its alternatives, a
        # short word's second try): the last few thousand look-ups are kept, a few MB at most.
        self._found: Recent[tuple[tuple[str, int], ...]] = Recent(LOOKUPS_KEPT)

    def lookup(self, word: str, max_distance: int) -> list[tuple[str, int]]:
        return list(self._found.get((word, max_distance), lambda: self._lookup(word, max_distance)))

    def _lookup(self, word: str, max_distance: int) -> tuple[tuple[str, int], ...]:
        found = dict(self.corpus.lookup(word, max_distance))
        found.update((w, d) for w, d in self.language.lookup(word, max_distance) if w not in found)
        return tuple(found.items())

    def frequency(self, word: str) -> float:
        return self._frequencies.get(word, lambda: max(self.corpus.frequency(word), self.language.frequency(word)))

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        params: dict[str, Any] = {}
        arrays: dict[str, np.ndarray] = {}
        for name, index in (("corpus", self.corpus), ("language", self.language)):
            params[name], own = index.state()
            arrays.update({f"{name}.{key}": value for key, value in own.items()})
        return params, arrays

    @classmethod
    def from_state(cls, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> SpellingIndex:
        def part(name: str) -> DeletionIndex:
            own = {key.removeprefix(f"{name}."): value for key, value in arrays.items() if key.startswith(f"{name}.")}
            return DeletionIndex.from_state(params[name], own)

        return cls(part("corpus"), part("language"))

    def __len__(self) -> int:
        return len(self.corpus) + len(self.language)


# --- candidates: a deletion index, keyboard neighbours ---------------------------------------


class DeletionIndex:
    """SymSpell's symmetric deletion index: every word within ``max_distance`` edits in a few array lookups.

    Each word is filed under the strings its first ``prefix_length`` letters
    become with up to ``max_distance`` letters deleted; a typo's own deletions
    meet them, and the restricted Damerau–Levenshtein distance (rapidfuzz's
    OSA) confirms the candidates. Lookup costs the same on 2,000 words or
    2,000,000, where scanning the vocabulary grows with it.

    Built with numpy, not a dict of lists: each distinct prefix is a row of
    letter codes, each deletion pattern (which of its positions to drop) one
    column selection and one dot product making every prefix's key, a base-
    ``len(alphabet) + 1`` number with the dropped letters' places left as
    trailing zeros; the keys are sorted once, and a lookup is one
    ``searchsorted`` of the typo's own keys.

    >>> DeletionIndex(["заказ", "заказы", "закат"]).lookup("закаь", 1)
    [('заказ', 1), ('закат', 1)]
    """

    def __init__(
        self,
        words: Sequence[str],
        max_distance: int = 2,
        prefix_length: int = 7,
        frequencies: Sequence[float] | None = None,
    ) -> None:
        # Sorted, so that a word's frequency is a binary search away.
        order = sorted(range(len(words)), key=words.__getitem__)
        self.words: Sequence[str] = [words[i] for i in order]
        # Each word's Zipf frequency in the language (wordfreq: log10 of uses per billion words), 0 unknown;
        # tenths in a uint8. It ranks candidates the corpus does not use: «сколко» is «сколько», not «сколков».
        zipf = np.zeros(len(order)) if frequencies is None else np.asarray(frequencies, dtype=float)[order]
        self._frequency = np.clip(np.rint(zipf * 10), 0, 255).astype(np.uint8)
        self.max_distance = max_distance
        self.prefix_length = prefix_length
        size = prefix_length
        prefixes = [word[:size] for word in self.words]
        self._alphabet = {char: code for code, char in enumerate(sorted(set("".join(prefixes))), 1)}
        self._derive()
        # Words sharing a prefix share its deletions: each distinct prefix is one row, its words a range.
        codes = np.zeros((len(prefixes), size), dtype=np.int64)
        if prefixes:
            table = np.zeros(max(map(ord, self._alphabet)) + 1, dtype=np.int64)
            for char, code in self._alphabet.items():
                table[ord(char)] = code
            padded = "".join(prefix.ljust(size, "\0") for prefix in prefixes)
            codes = table[np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).reshape(-1, size)]
        whole = codes @ self._powers
        unique = np.unique(whole)
        rows = np.searchsorted(unique, whole)  # each word's prefix row
        order = np.argsort(rows, kind="stable")
        self._row_words = order.astype(np.int32)  # words by prefix row, each row's in index order
        self._row_start = np.searchsorted(rows[order], np.arange(len(unique) + 1))
        first = order[self._row_start[:-1]] if len(unique) else np.zeros(0, dtype=np.int64)
        row_codes = codes[first]
        padded_codes = np.concatenate([row_codes, np.zeros((len(unique), 1), dtype=np.int64)], axis=1)
        key = (padded_codes[:, self._kept] @ self._powers).T.ravel()  # pattern-major: all rows per pattern
        owner = np.tile(np.arange(len(unique), dtype=np.int32), len(self._kept))
        order = np.argsort(key, kind="stable")
        self._keys, self._owners = key[order], owner[order]

    def _derive(self) -> None:
        """What follows from the alphabet, the prefix length and the distance: rebuilt, never stored."""
        size, max_distance = self.prefix_length, self.max_distance
        self._base = len(self._alphabet) + 1
        if self._base**size >= 2**63:
            raise ValueError(f"{len(self._alphabet)} letters make keys of {size} letters too long for int64")
        self._powers = np.array([self._base ** (size - 1 - i) for i in range(size)], dtype=np.int64)
        # Each deletion pattern as the positions it keeps, closed up, then the last column (always code 0)
        # in the dropped letters' places: a prefix's key under every pattern is one gather and one product.
        patterns = _deletion_patterns(size, max_distance)
        self._kept = np.array(
            [[i for i in range(size) if i not in dropped] + [size] * len(dropped) for dropped in patterns],
            dtype=np.intp,
        ).reshape(len(patterns), size)
        self._patterns_within = [
            sum(len(dropped) <= depth for dropped in patterns) for depth in range(max_distance + 1)
        ]

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Parameters (JSON) and arrays to save with the index; :meth:`from_state` maps them back."""
        words = self.words if isinstance(self.words, StringTable) else StringTable.build(self.words)
        params = {"max_distance": self.max_distance, "prefix_length": self.prefix_length}
        params["alphabet"] = "".join(sorted(self._alphabet, key=self._alphabet.__getitem__))
        arrays = {"keys": self._keys, "owners": self._owners, "frequency": self._frequency}
        return params, {**arrays, "row_words": self._row_words, "row_start": self._row_start, **words.arrays("words")}

    @classmethod
    def from_state(cls, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> DeletionIndex:
        """An index over saved arrays (memory-mapped by the index's reader: processes share its pages)."""
        index = cls.__new__(cls)
        index.words = StringTable.from_arrays(arrays, "words")
        index.max_distance, index.prefix_length = int(params["max_distance"]), int(params["prefix_length"])
        index._alphabet = {char: code for code, char in enumerate(params["alphabet"], 1)}
        index._derive()
        index._keys, index._owners = arrays["keys"], arrays["owners"]
        index._row_words, index._row_start = arrays["row_words"], arrays["row_start"]
        index._frequency = arrays["frequency"]
        rows = index._row_start.size - 1
        if index._keys.shape != index._owners.shape or index._keys.size != rows * len(index._kept):
            raise ValueError(f"spelling index: {index._keys.size} keys for {rows} prefixes")
        if not index._row_words.size == index._frequency.size == len(index.words) == int(index._row_start[-1]):
            raise ValueError(f"spelling index: {index._row_words.size} entries for {len(index.words)} words")
        return index

    def lookup(self, word: str, max_distance: int) -> list[tuple[str, int]]:
        """Words within ``max_distance`` edits of ``word``, with their distances, in alphabetical order."""
        max_distance = min(max_distance, self.max_distance)
        if not self.words:
            return []
        size = self.prefix_length
        # Each letter's code; 0 (the code of a dropped letter, in the last place) for a letter no indexed word
        # has: a key holding one meets nothing. Made as a list: item by item into an array cost ~10 µs a call.
        alphabet = self._alphabet
        letters = [alphabet.get(char, 0) for char in word[:size]]
        codes = np.zeros(size + 1, dtype=np.int64)
        codes[: len(letters)] = letters
        kept = self._kept[: self._patterns_within[max_distance]]
        keys = codes[kept] @ self._powers
        if 0 in letters:
            foreign = np.zeros(size + 1, dtype=bool)
            foreign[: len(letters)] = [code == 0 for code in letters]
            keys = keys[~foreign[kept].any(axis=1)]
        starts, ends = self._keys.searchsorted(keys), self._keys.searchsorted(keys, side="right")
        if not (ends > starts).any():
            return []  # half the first pass's look-ups meet no key: nothing to gather, decode or measure
        rows = sorted_unique(self._owners[_ranges(starts, ends)])
        offsets = _ranges(self._row_start[rows], self._row_start[rows + 1])
        numbers = np.sort(self._row_words[offsets])
        if isinstance(self.words, StringTable):
            candidates = self.words.take(numbers)
        else:
            candidates = [self.words[number] for number in numbers.tolist()]
        # Every candidate's distance in one call (rapidfuzz's C loop); beyond ``max_distance``, max_distance + 1.
        distances = cdist([word], candidates, scorer=OSA.distance, score_cutoff=max_distance, dtype=np.int32)
        return [(c, d) for c, d in zip(candidates, distances[0].tolist()) if d <= max_distance]

    def frequency(self, word: str) -> float:
        """The word's Zipf frequency in the language (0 when the index does not hold it); words sorted."""
        words = self.words
        where = words.bisect_left(word) if isinstance(words, StringTable) else bisect.bisect_left(words, word)
        return float(self._frequency[where]) / 10 if where < len(words) and words[where] == word else 0.0

    def frequencies(self, words: Iterable[str]) -> list[float]:
        """``frequency`` of many words at once (one pass over the index's words, not a search each)."""
        own = dict(zip(self.words, (self._frequency / 10).tolist()))
        return [own.get(word, 0.0) for word in words]

    def __len__(self) -> int:
        return len(self.words)

    @property
    def keys(self) -> int:
        """How many (deletion, prefix) entries the index holds."""
        return int(self._keys.size)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The positions of every ``[start, end)`` range, concatenated in order, without a Python loop."""
    sizes = np.maximum(ends - starts, 0)
    total = int(sizes.sum())
    if not total:
        return np.zeros(0, dtype=np.intp)
    return np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(total)


def _deletion_patterns(size: int, depth: int) -> list[tuple[int, ...]]:
    """Every set of at most ``depth`` positions of ``size`` to drop."""
    from itertools import combinations

    return [dropped for count in range(depth + 1) for dropped in combinations(range(size), count)]


def _deletions(word: str, depth: int) -> set[str]:
    if depth == 2:  # the usual case, without building each frontier: every way to drop up to two letters
        n = len(word)
        found = {word[:i] + word[i + 1 :] for i in range(n)}
        found.update([word[:i] + word[i + 1 : j] + word[j + 1 :] for i in range(n) for j in range(i + 1, n)])
        found.add(word)
        return found
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))} - found
        found |= frontier
    return found


_LETTERS = "абвгдежзийклмнопрстуфхцчшщъыьэюя"


def _edits(word: str, reach: int | None = None) -> list[str]:
    """Every string one edit (a deletion, a swap of neighbours, a substitution, an insertion) from ``word``;
    with ``reach``, only those keeping ``word``'s first ``reach`` letters or fewer as they are. In this order,
    position by position; made a position at a time (list comprehensions), not yielded one by one."""
    found: list[str] = []
    for i in range(len(word) + 1 if reach is None else min(reach, len(word)) + 1):
        head, tail = word[:i], word[i:]
        if tail:
            first, rest = tail[0], tail[1:]
            found.append(head + rest)
            if rest:
                found.append(head + rest[0] + first + rest[1:])
            found += [head + letter + rest for letter in _LETTERS if letter != first]
        found += [head + letter + tail for letter in _LETTERS]
    return found


def _neighbours() -> dict[str, frozenset[str]]:
    near: dict[str, set[str]] = {}
    for row_number, row in enumerate(JCUKEN_ROWS):
        for column, key in enumerate(row):
            keys = near.setdefault(key, set())
            keys.update(row[max(column - 1, 0) : column + 2])
            for other in (row_number - 1, row_number + 1):  # staggered rows: the keys above and below
                if 0 <= other < len(JCUKEN_ROWS):
                    keys.update(JCUKEN_ROWS[other][max(column - 1, 0) : column + 2])
    return {key: frozenset(keys - {key}) for key, keys in near.items()}


_KEYBOARD = _neighbours()


def keyboard_cost(typed: str, candidate: str) -> int:
    """How many substituted letters are not a neighbouring key («закв» → «заказ» costs less than → «закат»)."""
    if len(typed) != len(candidate):
        return 0
    return sum(1 for a, b in zip(typed, candidate) if a != b and b not in _KEYBOARD.get(a, ()))


# Each key's letter and the letters of the keys around it: what a finger meaning that key may strike.
_STRIKES: dict[str, frozenset[str]] = {key: keys | {key} for key, keys in _KEYBOARD.items()}


@functools.lru_cache(maxsize=WORDS_KEPT)
def finger_slips(typed: str, candidate: str, limit: int | None = None) -> int:
    """How many slips of the finger make ``typed`` of ``candidate`` (a large number when they cannot): a
    letter left out, two neighbours swapped, a neighbouring key struck, a letter too many beside its own
    key or a neighbour's. A restricted edit distance: «вкольо» is two slips from «сколько», «протокол» no
    number of slips from «промокод» (м for т is no neighbouring key).

    With ``limit``, ``limit + 1`` stands for any number above it, and the count stops as soon as no slip
    further on can bring it back to ``limit``: spelling asks «two slips or fewer?» of a hundred candidates a
    typo. Kept for the pairs seen lately (it is asked again when candidates are ranked and weighed)."""
    never = len(typed) + len(candidate) + 1
    strikes = [_STRIKES.get(meant) or frozenset(meant) for meant in candidate]
    # A typed letter is one too many when it is a letter beside it, or a neighbouring key of one.
    beside = [_STRIKES.get(other) or frozenset(other) for other in typed]
    before: list[int] = []  # the row two letters up, for a swap
    row = list(range(len(candidate) + 1))
    for i, letter in enumerate(typed, 1):
        extra = (i > 1 and letter in beside[i - 2]) or (i < len(typed) and letter in beside[i])
        above = row
        left = above[0] + 1 if extra else never
        row = [left]
        previous = typed[i - 2] if i > 1 else ""
        for j, meant in enumerate(candidate, 1):
            best = left + 1  # the meant letter left out
            if letter in strikes[j - 1]:
                struck = above[j - 1] + (letter != meant)
                if struck < best:
                    best = struck
            if extra and above[j] + 1 < best:
                best = above[j] + 1
            if j > 1 and previous == meant and letter == candidate[j - 2] and letter != meant and i > 1:
                swapped = before[j - 2] + 1
                if swapped < best:
                    best = swapped
            left = best if best < never else never
            row.append(left)
        # Every count further on is at least a count of this row, or of the row above plus a swap.
        if limit is not None and min(row) > limit and min(above) >= limit:
            return limit + 1
        before = above
    return row[-1] if limit is None or row[-1] <= limit else limit + 1


def slip_cost(typed: str, candidate: str) -> int:
    """How unlikely a slip of the finger makes ``typed`` of ``candidate`` (a noisy channel, coarsely): 0 for
    a letter left out, a letter doubled or two neighbours swapped; 1 for each neighbouring key struck (one
    of its several neighbours, so rarer than leaving the letter out: «сарался» is «старался», not
    «скрался»); 2 for a key far from the meant one, or a letter too many that neither doubles nor
    neighbours a letter beside it («делта» is «дельта» with «ь» left out, not «дела» with a stray «т»)."""
    if len(typed) == len(candidate):
        diff = [i for i, (a, b) in enumerate(zip(typed, candidate)) if a != b]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == candidate[diff[1]]:
            return 0  # a swap
        return sum(1 if candidate[i] in _KEYBOARD.get(typed[i], ()) else 2 for i in diff)
    if len(typed) != len(candidate) + 1:
        return 0
    costs = []
    for i, letter in enumerate(typed):
        if typed[:i] + typed[i + 1 :] == candidate:
            beside = typed[i - 1 : i] + typed[i + 1 : i + 2]
            near = any(letter == other or letter in _KEYBOARD.get(other, ()) for other in beside)
            costs.append(0 if near else 2)
    return min(costs, default=0)


# --- the steps ---------------------------------------------------------------------------------------


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
) -> Rewrite:
    """``text`` with each word (``edges``: its edge punctuation aside) replaced by ``change(word, index, words)``."""
    parts = re.split(r"(\s+)", text)
    cores = []
    for part in parts:
        match = edges.match(part) if part and not part.isspace() else None
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
            parts[index] = lead + replacement + tail
    return Rewrite("".join(parts), tuple(corrections))


def _scheme_verdict(votes: Mapping[str, int], sure: Mapping[str, int], evidence: int) -> str | None:
    """The scheme most of a query's ``evidence`` Latin words read in (``votes``, ``sure`` of them exactly)."""
    best = max(votes, key=lambda scheme: votes[scheme])
    other = "layout" if best == "transliteration" else "transliteration"
    # A word with a typo reads through a scheme only as a guess: it decides a query's scheme along with
    # a word that reads exactly or another such guess, never alone («ARPNET» is not «арпанет» typed in Latin).
    return (
        best
        if votes[best] * 2 >= evidence and votes[best] > votes[other] and (sure[best] or votes[best] >= 2)
        else None
    )


def _settled(
    votes: Mapping[str, int],
    sure: Mapping[str, int],
    unread: Mapping[str, Sequence[str]],
    guesses: Mapping[str, Sequence[str]],
    evidence: int,
) -> bool:
    """Whether the verdict is the same however the words still ``unread`` (exactly or as a guess) and the
    ``guesses`` still unread turn out in each scheme."""
    schemes = tuple(votes)
    return _settled_counts(
        schemes,
        tuple((votes[s], sure[s], len(unread[s]), len(guesses[s])) for s in schemes),
        evidence,
    )


@functools.lru_cache(maxsize=4096)
def _settled_counts(schemes: tuple[str, ...], counts: tuple[tuple[int, int, int, int], ...], evidence: int) -> bool:
    """``_settled`` on what it reads — each scheme's votes, sure votes, unread words and unread guesses, counted —
    so that the same small state, met again by another query, is looked up rather than enumerated."""
    finals = [
        [
            (sure + exact, votes + exact + guessed)
            for exact in range(unread + 1)
            for guessed in range(unread - exact + guesses + 1)
        ]
        for votes, sure, unread, guesses in counts
    ]
    outcomes = set()
    for ends in itertools.product(*finals):
        outcomes.add(
            _scheme_verdict(
                dict(zip(schemes, (v for _, v in ends))), dict(zip(schemes, (s for s, _ in ends))), evidence
            )
        )
        if len(outcomes) > 1:
            return False
    return True


def _layout_guess_cost(word: str, guessed: Mapping[str, bool]) -> tuple[int, bool, bool, int]:
    """The order a query's layout guesses are read in, cheapest to settle the verdict first (the order changes
    only the work: the verdict is the same whatever it is). Mostly a transliterated query reads them, and one
    that fails settles it: a word ``guessed`` already (the same Latin words come back in the next query), a
    failure first; then three letters are a parse (no spelling search under four, no split under five); four
    are most often one edit from some word (a success, which settles nothing, found by a search); longer ones
    fail, the shortest searched and split fastest."""
    known = guessed.get(word)
    return 2 if known is None else int(known), len(word) != 3, len(word) == 4, len(word)


class ScriptReader:
    """How a query's Latin words read as Russian: through the keyboard layout or a transliteration.

    The decision is made once per query: when most of its Latin words read
    through one scheme, every word follows that scheme, so «ne» in a
    transliterated query is «не», not «ту» (the same keys on the Russian
    layout). Words the corpus writes in Latin stay, unless they are one or two
    letters that read as a Russian function word in the query's scheme.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        finish: Callable[[str], str | None] | None = None,
        boundaries: WordBoundaries | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        # Spelling's correction of a word nobody knows: a reading it brings to a known word is a word
        # with a typo in it («spesanie» → спесание → списание), not a word of another language.
        self.finish = finish
        # Spelling's word boundaries: how a run-together word splits, and how likely a split is.
        self.boundaries = boundaries
        self._segments: Recent[str | None] = Recent(WORDS_KEPT)
        self._readings: Recent[tuple[str, ...]] = Recent(WORDS_KEPT)
        self._decisions: Recent[str | None] = Recent(REWRITES_KEPT)
        self._finish_cache: Recent[str | None] = Recent(WORDS_KEPT)
        self._layout_guesses: dict[str, bool] = {}  # whether a word reads on the layout as a guess

    # readings of one word
    def layout(self, word: str) -> str | None:
        switched = self.switched(word)
        return switched if switched is not None and self.vocabulary.known(switched) else None

    @staticmethod
    def switched(word: str) -> str | None:
        """The Russian keys of a word typed on the Latin layout, known or not."""
        if not _LATIN_KEYS.fullmatch(word):
            return None
        keys = (LATIN_TO_CYRILLIC_KEYS.get(char) or SHIFTED_LATIN_TO_CYRILLIC_KEYS.get(char, char) for char in word)
        switched = "".join(keys).rstrip(".")
        return switched if switched != word else None

    def near_layout(self, word: str) -> str | None:
        """A layout reading that is a word with a typo: most of it starts a corpus or dictionary word.

        Spelling then finishes it («nt[gjllthrb» → «техподдерки» → «техподдержки»).
        """
        switched = self.switched(word)
        if switched is None or len(switched) < 3 or not _CYRILLIC_WORD.fullmatch(switched):
            return None
        if len(switched) >= 4 and self.vocabulary.has_prefix(switched[: max(4, len(switched) * 2 // 3)]):
            return switched
        return switched if self._finishes(switched) else None

    def near_transliteration(self, word: str) -> str | None:
        """A reading of a Latin word with a typo in it, when spelling brings it to a known word.

        «spesanie» has no known reading, but «спесание» is a typo of «списание». The cheapest
        readings (``_plain_readings``) are tried in turn; the first one spelling can finish wins.
        A reading of a form of a corpus lemma the dictionary lacks («selleru» → селлеру) counts too.
        """
        if not _LATIN_WORD.fullmatch(word) or len(word) < 2:
            return None
        first = None
        for reading in _plain_readings(word):
            finished = self._finished(reading)
            if finished is not None:
                if finished in self.vocabulary.counts:  # the corpus's own word first: «персоналый» → персональный
                    return reading
                first = first or reading
        return first

    def segmented(self, word: str, scheme: str) -> str | None:
        """Two words with the space between them lost, read through ``scheme``: «cnfnecpfrfpf» → статус заказа
        (its Russian keys split as spelling splits «статусзаказа»), «kodovoeslovo» → кодовое слово (each half's
        reading, the pair weighed as spelling weighs a split); two words the corpus writes in Latin stay Latin
        («ozonseller» → ozon seller). None for most words: a word that reads whole never gets here."""
        if self.boundaries is None or len(word) < SPLIT_MIN_LETTERS or "-" in word or not _LATIN_KEYS.fullmatch(word):
            return None
        return self._segments.get(f"{scheme}:{word}", lambda: self._segment(word, scheme))

    def _segment(self, word: str, scheme: str) -> str | None:
        latin = self.latin_pair(word)
        if latin is not None:
            return latin
        assert self.boundaries is not None
        if scheme == "layout":
            switched = self.switched(word)
            if switched is None or not _CYRILLIC_WORD.fullmatch(switched):
                return None
            # The split first (dictionary look-ups), then whether spelling reads the whole better (a search).
            split = self.boundaries.split(switched) and self.boundaries.split_for(switched)
            return " ".join(split) if split else None
        if not _LATIN_WORD.fullmatch(word) or not word.isalpha():
            return None
        best, best_score = None, None
        heads: dict[int, dict[str, int]] = {}
        _lattice(word, self.vocabulary, heads)  # one walk finds every first word; the second is read at each end
        for cut in sorted(heads):
            if len(word) - cut < 2:
                continue  # a letter alone is a preposition's or a sign's more often than a word's
            first = _rank_readings(heads[cut].items(), self.vocabulary)[0]
            second = self.transliteration(word[cut:])
            if second is None:
                continue
            score = self.boundaries.pair_score(first, second)
            if score is not None and (best_score is None or score > best_score):
                best, best_score = f"{first} {second}", score
        return best

    def latin_pair(self, word: str) -> str | None:
        """Two words the corpus writes in Latin, run together («ozonseller», «ozonid»): they stay Latin."""
        counts = self.vocabulary.counts
        if len(word) < SPLIT_MIN_LETTERS or not (word.isascii() and word.isalpha()):
            return None  # «зчем» is a typo of «зачем», not «px tv» on the other layout
        pairs = [
            (word[:cut], word[cut:]) for cut in range(2, len(word) - 1) if word[:cut] in counts and word[cut:] in counts
        ]
        if not pairs:
            return None
        first, second = max(pairs, key=lambda pair: min(counts[pair[0]], counts[pair[1]]))
        return f"{first} {second}"

    def _finishes(self, reading: str) -> bool:
        return self._finished(reading) is not None

    def _finished(self, reading: str) -> str | None:
        """The known word spelling makes of an unknown reading (itself for a form of a corpus lemma), or None."""
        return self._finish_cache.get(reading, lambda: self._finish(reading))

    def _finish(self, reading: str) -> str | None:
        if not _CYRILLIC_WORD.fullmatch(reading) or self.vocabulary.known(reading):
            return None
        if self.vocabulary.lemma_in_corpus(reading):
            return reading
        # Three letters one edit from a word are a guess too many («vip» is not «вид»).
        return self.finish(reading) if len(reading) >= 4 and self.finish is not None else None

    def transliteration(self, word: str) -> str | None:
        readings = self.transliterations(word)
        return readings[0] if readings else None

    def transliterations(self, word: str) -> tuple[str, ...]:
        """Every known Russian reading of a Latin word, the corpus's own forms first."""
        return self._readings.get(word, lambda: _rank_readings(_lattice(word, self.vocabulary), self.vocabulary))

    # the query's scheme
    def decide(self, words: Sequence[str]) -> str | None:
        """``"layout"``, ``"transliteration"`` or None: the scheme most of the query's Latin words read in."""
        return self._decisions.get(" ".join(words), lambda: self._decide(words))

    def _layout_guess(self, word: str) -> bool | None:
        """Whether a word reads on the layout with a typo or as two words run together (True, else None), kept
        for the last ``WORDS_KEPT`` words: ``_decide`` reads first the guesses it knows."""
        guessed = self._layout_guesses.get(word)
        if guessed is None:
            if len(self._layout_guesses) >= WORDS_KEPT:
                self._layout_guesses.clear()
            guessed = self._layout_guesses[word] = bool(self.near_layout(word) or self.segmented(word, "layout"))
        return guessed or None

    def _evidence(self, words: Sequence[str]) -> tuple[list[str], dict[str, list[str]]]:
        """The query's words that tell a scheme, and those each scheme would read (``layout``, ``transliteration``)."""
        latin = [w for w in words if _LATIN_KEYS.fullmatch(w) and w not in self.vocabulary]
        evidence = [w for w in latin if len(w) >= 3]  # «ne», «XV»: too short to tell a scheme by themselves
        # «chat» is the corpus's word, but «чат» is more often: next to a word the corpus does not know
        # («chat tekhpodderki») it reads as Russian in Latin letters; alone («Tesla») it decides nothing.
        counts = self.vocabulary.counts
        evidence += (
            []
            if not evidence
            else [
                w
                for w in words
                if w in counts
                and len(w) >= 3
                and _LATIN_WORD.fullmatch(w)
                and (russian := self.transliteration(w)) is not None
                and counts.get(russian, 0) > counts[w]
            ]
        )
        # «vopros.» reads as «вопрос» with a full stop in Latin letters, and as «мщзкщыю» on the Russian keys
        latin_words = [w.rstrip(".,;:") for w in evidence]
        return evidence, {"layout": evidence, "transliteration": [w for w in latin_words if _LATIN_WORD.fullmatch(w)]}

    def _decide(self, words: Sequence[str]) -> str | None:
        evidence, words_of = self._evidence(words)
        exact = {"layout": self.layout, "transliteration": self.transliteration}
        # A guess: a reading with a typo, or two words run together («cnfnecpfrfpf»), read only when it can still
        # change the verdict.
        near = {
            "layout": self._layout_guess,
            "transliteration": lambda word: self.near_transliteration(word) or self.segmented(word, "transliteration"),
        }
        # A word's exact layout reading is a dictionary look-up, read for every word; a transliteration is a
        # lattice and each guess a spelling search: only those that can still change the verdict are read, first
        # in the scheme that may still read the most words exactly («rfr jajhvbnm pfrfp» reads exactly on the
        # layout; one Latin word that reads neither exactly nor as a guess settles it).
        sure = {scheme: 0 for scheme in words_of}
        unread = {scheme: list(candidates) for scheme, candidates in words_of.items()}  # exact reading unread
        guesses: dict[str, list[str]] = {scheme: [] for scheme in words_of}  # no exact reading, guess unread
        for word in unread["layout"]:
            if exact["layout"](word) is not None:
                sure["layout"] += 1
            else:
                guesses["layout"].append(word)
        unread["layout"] = []
        guesses["layout"].sort(key=lambda word: _layout_guess_cost(word, self._layout_guesses))
        votes = dict(sure)
        while not _settled(votes, sure, unread, guesses, len(evidence)):
            scheme = max(
                (s for s in words_of if unread[s] or guesses[s]),
                key=lambda s: (sure[s] + len(unread[s]), bool(unread[s])),
            )
            if guesses[scheme]:
                votes[scheme] += near[scheme](guesses[scheme].pop(0)) is not None
            elif exact[scheme](word := unread[scheme].pop(0)) is not None:
                sure[scheme] += 1
                votes[scheme] += 1
            else:
                guesses[scheme].append(word)
        return _scheme_verdict(votes, sure, len(evidence))

    def reading(self, word: str, scheme: str | None, guess: bool = True, split: bool = True) -> tuple[str, str] | None:
        """(step, replacement) for one Latin word of a query whose scheme is ``scheme``; without ``guess``,
        only a reading that is a known word (or, for a name, a reading whose lemma the corpus has); without
        ``split`` (a name), never two words run together."""
        if not _LATIN_KEYS.fullmatch(word):
            if scheme == "transliteration" and (pieced := self.pieces(word, guess)) is not None:
                return scheme, pieced  # «2-ochkovoi», «kislorod-18», «80-h»: the number as typed
            numbered = _NUMBERED_KEYS.fullmatch(word) if scheme == "layout" else None
            if numbered is not None:  # «1970-[» is «1970-х» in a query typed on the wrong layout
                head, keys, tail = numbered.group(1) or "", numbered.group(2) or numbered.group(3), numbered.group(4)
                switched = "".join(
                    LATIN_TO_CYRILLIC_KEYS.get(c) or SHIFTED_LATIN_TO_CYRILLIC_KEYS.get(c, c) for c in keys
                )
                if _CYRILLIC_WORD.fullmatch(switched):
                    return scheme, head + switched + (tail or "")
            return None
        short = len(word) <= 2
        read = {"layout": self.layout, "transliteration": self.transliteration}
        if word in self.vocabulary:  # Ozon, Seller, API: the corpus writes them so
            if scheme == "layout" and short:  # «c» is «с» in a query typed on the wrong layout
                russian = self.layout(word)
                if russian is not None and self.vocabulary.morph.lemma(russian).function_word:
                    return scheme, russian
            if scheme == "transliteration" and _LATIN_WORD.fullmatch(word):
                russian = self.transliteration(word)
                if russian is None:
                    return None
                # «ne» is «не» in a transliterated query; «chat» is «чат» where the corpus says «чат» more often.
                counts = self.vocabulary.counts
                if (short and self.vocabulary.morph.lemma(russian).function_word) or (
                    counts.get(russian, 0) > counts[word]
                ):
                    return scheme, russian
            return None
        if scheme is not None:
            if scheme == "transliteration" and not _LATIN_WORD.fullmatch(word):
                pieced = self.pieces(word, guess)
                if pieced is not None:  # «vopros.», «den.Ia», «2-ochkovoi»: piece by piece
                    return scheme, pieced
                if _is_domain(word):
                    return None  # «ozon.ru» in a transliterated query is the address, not «щящтюкг»
                scheme = "layout"  # «;» or «[» can only be keys of the Russian layout
            own = read[scheme](word)
            pieced = scheme == "transliteration" and "-" in word
            if own is None and pieced:
                own = self.pieces(word, guess)  # «chisel-bliznetsov»: no word as a whole, two in parts
            # A typo typed on the wrong layout or in Latin letters: spelling finishes it. A word in pieces none
            # of which reads («e-mail», «wi-fi») is no Russian word with a typo either.
            if own is None and guess and not pieced:
                own = self.near_layout(word) if scheme == "layout" else self.near_transliteration(word)
            # Else two words run together («kodovoeslovo»), each read through the query's scheme; not a name.
            if own is None and guess and split and not pieced:
                own = self.segmented(word, scheme)
            if own is None and not guess and scheme == "transliteration" and len(word) >= 4:
                own = self.name_reading(word)  # «Bronkosom»: the corpus's «Бронкос» in another case
            if own is not None:
                return scheme, own
            other = "layout" if scheme == "transliteration" else "transliteration"
            found = read[other](word) if len(word) >= 3 else None
            if found is not None:
                return other, found
            if scheme == "layout" and guess:  # «kr», «dbg» in a query typed on the wrong layout: лк, вип
                switched = self.switched(word)
                return (scheme, switched) if switched and _CYRILLIC_WORD.fullmatch(switched) else None
            return None
        # No scheme for the query: each word alone, as long as it is long enough to tell.
        if short:
            return None
        layout = self.layout(word)
        translit = self.transliteration(word) if _LATIN_WORD.fullmatch(word) else None
        if layout is not None and translit is not None:
            if layout in self.vocabulary and translit not in self.vocabulary:
                return "layout", layout
            return "transliteration", translit
        if layout is not None:
            return "layout", layout
        if translit is not None and (translit in self.vocabulary or len(translit) > 2):
            return "transliteration", translit
        if guess and split:  # «cnfnecpfrfpf» alone: two words run together in one scheme
            for other in ("layout", "transliteration"):
                if (segmented := self.segmented(word, other)) is not None:
                    return other, segmented
        return None

    def alongside(self, word: str) -> str | None:
        """For a word the corpus writes in Latin (``ozon``, ``seller``, ``shorts``) that stays in a
        transliterated query, its Russian reading when the corpus uses that too (``озон``, ``селлер``)."""
        if word not in self.vocabulary or not _LATIN_WORD.fullmatch(word) or len(word) < 3:
            return None
        russian = self.transliteration(word)
        return russian if russian is not None and russian in self.vocabulary else None

    def name_reading(self, word: str) -> str | None:
        """A cheapest reading of a name, no spelling involved, whose lemma the corpus has, or None."""
        if not _LATIN_WORD.fullmatch(word) or "-" in word:
            return None
        for reading in _plain_readings(word):
            if _CYRILLIC_WORD.fullmatch(reading) and self.vocabulary.lemma_in_corpus(reading):
                return reading
        return None

    def pieces(self, word: str, guess: bool = True) -> str | None:
        """A word of Latin pieces joined by hyphens or stuck punctuation, each piece read through
        transliteration where it reads (digits and unread pieces as typed); None when none reads,
        and for an address (``seller.ozon.ru``)."""
        if not _PIECED.fullmatch(word) or _PIECE_BREAK.search(word) is None:
            return None
        if _is_domain(word):
            return None
        parts = _PIECE_BREAK.split(word)
        changed = False
        for number, part in enumerate(parts):
            # one letter is read after a number only («80-h», «99-j»), not in «e-mail»
            if len(part) == 1 and not (number >= 2 and parts[number - 2].isdigit()):
                continue
            if number % 2 == 0 and _LATIN_WORD.fullmatch(part):
                found = self.reading(part, "transliteration", guess)
                if found is not None and found[0] == "transliteration":
                    parts[number], changed = found[1], True
        return "".join(parts) if changed else None

    def spelt_out(self, text: str) -> Rewrite:
        """``text`` with each run of single Latin letters, digits or address characters one space apart joined
        back where the join is what was spelt: a word the corpus writes in Latin or one reading as Russian
        («o z o n» → ozon, «o b r a t n y j» → obratnyj, then обратный), an address («o z o n . r u»), a number
        («8 8 0 0» → 8800, «2 3 2 - 1 0 - 0 0»), or a word typed on the Russian layout whose keys are one of
        the corpus's Latin words («щ я щ т» → щящт, then ozon). The script steps read whole words, so this
        comes before them. Letters that are each a one-letter word («s v i», «d c») stay: a phrase as typed."""
        corrections: list[Correction] = []

        def join(match: re.Match[str]) -> str:
            letters = match.group()
            joined = normalize(letters.replace(" ", ""))
            if not self._spelt(joined):
                return letters
            corrections.append(Correction(SpellingStep.name, letters, joined))
            return joined

        return Rewrite(_SPELT_OUT_KEYS.sub(join, text), tuple(corrections))

    def _spelt(self, joined: str) -> bool:
        """Whether the characters of a run of single ones, joined, are what was spelt (see ``spelt_out``)."""
        if any(char in "@." for char in joined):
            return _is_domain(joined)
        if not any(char.isalpha() for char in joined):
            return sum(char.isdigit() for char in joined) >= 3 and joined[0].isdigit() and joined[-1].isdigit()
        if not joined.isalpha():
            return False
        if _CYRILLIC_WORD.fullmatch(joined):
            keys = "".join(CYRILLIC_TO_LATIN_KEYS.get(char, char) for char in joined)
            return not self.vocabulary.known(joined) and keys in self.vocabulary.counts
        if joined in self.vocabulary.counts:
            return True
        if set(joined) <= _ONE_LETTER_LATIN:
            return False  # «s v i»: each letter a word (с, в, и), a phrase as typed
        return self.layout(joined) is not None or self.transliteration(joined) is not None


def _is_domain(word: str) -> bool:
    """An e-mail address or a domain (``seller.ozon.ru``, ``ozon.ru.``), by its suffix."""
    core = word.rstrip(".,;:")
    return _ADDRESS.fullmatch(core) is not None and core.rsplit(".", 1)[-1] in DOMAIN_SUFFIXES


# A word spelt out in Latin letters, digits or an address's characters: three single ones or more, one space apart
# («o z o n», «8 8 0 0», «s a l e s - p v z @ o z o n . r u»); or in Cyrillic letters, for a Latin word typed on the
# Russian layout («щ я щ т»).
_SPELT_OUT_KEYS = re.compile(
    r"(?<!\S)(?:[a-z0-9@._+-](?: [a-z0-9@._+-]){2,}|[а-яё](?: [а-яё]){2,})(?!\S)", re.IGNORECASE
)
# Latin letters that are one-letter words, transliterated (с, в, и, к, а, о, у) or on the Russian keys (в, с, к, у,
# о, и, а: «d», «c», «r», «e», «j», «b», «f»).
_ONE_LETTER_LATIN = frozenset("svikaoudcrejbf")


def _lattice(
    word: str, vocabulary: Vocabulary, heads: dict[int, dict[str, int]] | None = None
) -> list[tuple[str, int]]:
    """Known Cyrillic readings of a Latin word and their cost (unusual readings and added signs).

    A depth-first walk over every segmentation of ``word`` into the table's
    sequences and every reading of each, with a soft or hard sign optional
    after each consonant; a branch ends as soon as no corpus or dictionary
    word starts with what it has spelt, so the walk stays small. ``heads``, when
    given, gets the known words the walk spells on the way, by where they end
    (the first word of two run together: «kodovoeslovo» has «кодовое» at 7).
    """
    if not _LATIN_WORD.fullmatch(word):
        return []
    found: dict[str, int] = {}
    stack: list[tuple[int, str, int]] = [(0, "", 0)]
    alive = vocabulary.has_prefix
    states = 0
    while stack and states < LATTICE_MAX_STATES:
        position, spelt, cost = stack.pop()
        states += 1
        if position == len(word):
            candidate = spelt.replace("ё", "е")
            if vocabulary.known(candidate) and cost < found.get(candidate, 99):
                found[candidate] = cost
        elif heads is not None and position >= 2:
            head = spelt.replace("ё", "е")
            if vocabulary.known(head) and cost < heads.setdefault(position, {}).get(head, 99):
                heads[position][head] = cost
        if spelt and spelt[-1] in CONSONANTS:
            for sign in OPTIONAL_SIGNS:
                if alive(spelt + sign):
                    stack.append((position, spelt + sign, cost + 1))
        for size in range(min(TRANSLITERATION_MAX_SEQUENCE, len(word) - position), 0, -1):
            for rank, reading in enumerate(TRANSLITERATION.get(word[position : position + size], ())):
                if alive(spelt + reading):
                    stack.append((position + size, spelt + reading, cost + (rank > 0)))
    return list(found.items())


# Russian spelling never puts «ы», «ь» or «ъ» first or after a vowel or «й»: «personalyy» is not «персоналыы».
_IMPOSSIBLE = re.compile(r"(?:^|[аеёиоуыэюяй])[ыьъ]")


def _plain_readings(word: str, limit: int = 8) -> list[str]:
    """The cheapest readings of a Latin word, known or not: the usual reading of each letter or sequence,
    then those with one or two unusual ones («personalyy» → персоналыы, then персоналый, …), no signs added."""
    found: list[str] = []
    heap: list[tuple[int, int, str]] = [(0, 0, "")]
    while heap and len(found) < limit:
        cost, position, spelt = heapq.heappop(heap)
        if position == len(word):
            if spelt not in found and not _IMPOSSIBLE.search(spelt):
                found.append(spelt)
            continue
        for size in range(min(TRANSLITERATION_MAX_SEQUENCE, len(word) - position), 0, -1):
            for rank, reading in enumerate(TRANSLITERATION.get(word[position : position + size], ())):
                # A sequence read with a sign («ie» → ъе) costs as much as an unusual reading.
                extra = (rank > 0) + ("ъ" in reading and size > 1)
                if cost + extra <= 2:
                    heapq.heappush(heap, (cost + extra, position + size, spelt + reading))
    return found


def _rank_readings(readings: Iterable[tuple[str, int]], vocabulary: Vocabulary) -> tuple[str, ...]:
    """The corpus's own words (most frequent first), then forms of its lemmas, then dictionary words;
    a lemma itself (people ask «как вернуть», not «вернут») before its other forms, then the usual reading."""

    readings = list(readings)
    morph = vocabulary.morph
    usual = min((cost for word, cost in readings if not morph.lemma(word).distorted), default=0)

    def key(item: tuple[str, int]) -> tuple[int, int, bool, int, int, str]:
        word, cost = item
        count = vocabulary.counts.get(word, 0)
        lemma = morph.lemma(word)
        if lemma.function_word and len(word) <= 3 and cost <= usual and not lemma.distorted:
            # «i» is «и», «ee» «ее», «tom» «том»: the language's most frequent words, never indexed, so never
            # the corpus's; not «й» (a letter the corpus has after «41-»), «ээ», «томь». Only as the usual
            # reading, forms the dictionary marks as distorted aside («eto» is «это», not «ето»): «che» is
            # «че», not «чье» with a sign added.
            return -1, 0, False, 0, cost, word
        tier = 0 if count else 1 if vocabulary.lemma_in_corpus(word) else 2
        # Then the language's more frequent reading by whole Zipf units (ten times as frequent), then the
        # usual one: «skolki» is «скольки» with a sign added, not the rare «сколки».
        common = -int(vocabulary.frequency(word))
        return tier, -count, lemma.distorted or lemma.lemma != word, common, cost, word

    return tuple(word for word, _ in sorted(readings, key=key))


class LayoutStep(RewriteStep):
    """``cnfnec`` → ``статус`` and ``щящт`` → ``ozon``: words typed with the other keyboard layout."""

    name: ClassVar[str] = "layout"

    def __init__(self, vocabulary: Vocabulary, script: ScriptReader | None = None) -> None:
        self.vocabulary = vocabulary
        self.script = script or ScriptReader(vocabulary)

    def _latin_keys(self, word: str) -> str | None:
        """The Latin keys of a Cyrillic word nobody knows, when they are letters («щящт» → ozon), else None."""
        if not _CYRILLIC_WORD.fullmatch(word) or self.vocabulary.known(word) or len(word) < 2:
            return None
        switched = "".join(CYRILLIC_TO_LATIN_KEYS.get(char, char) for char in word)
        return switched if switched.isascii() and switched.isalpha() else None

    def _reads_in_latin(self, switched: str, corpus: bool = False) -> bool:
        """Transliterated Russian typed on the Russian layout («мщямкфе» → «vozvrat»): the next step reads it
        as a known word (with ``corpus``, as a word of the corpus)."""
        if len(switched) < 4:
            return False
        translit = self.script.transliteration(switched)
        return translit is not None and (translit in self.vocabulary if corpus else self.vocabulary.known(translit))

    def apply(self, text: str) -> Rewrite:
        words: list[str] | None = None
        scheme: str | None = None
        latin_typed = False
        names = _names(text)  # «SkyBox», «GoldmanSachs»: a name is never split

        def change(word: str, index: int, all_words: list[str]) -> str | None:
            nonlocal words, scheme, latin_typed
            if words is None:
                words, scheme = all_words, self.script.decide(all_words)
                # A transliterated query typed on the Russian layout: most of its unknown Cyrillic words read
                # in Latin letters, and then so do its short ones («ы лфкен» → «s karty»).
                unknown = [switched for w in all_words if (switched := self._latin_keys(w)) and len(w) >= 3]
                readable = sum(map(self._reads_in_latin, unknown))
                # Two such words at least: one Cyrillic typo («уещь») reads as something in Latin by chance.
                latin_typed = readable > 1 and readable * 2 >= len(unknown)
            if _CYRILLIC_WORD.fullmatch(word):
                switched = self._latin_keys(word)
                if switched is None:
                    return None
                if switched in self.vocabulary or latin_typed or self._reads_in_latin(switched, corpus=True):
                    return switched
                if word not in names and (pair := self.script.latin_pair(switched)) is not None:
                    # «щящтшв»: «ozon id», two of the corpus's Latin words, the space lost; but a word spelling
                    # reads one edit away is a Russian typo («сетис»: сети, not «ct nbc»)
                    corrected = self.script.finish(word) if self.script.finish is not None else None
                    if corrected is None or OSA.distance(word, corrected) > 1:
                        return pair
                # A Latin word in a query typed on the wrong layout («Зкуьшгь» among «crjkmrj cnjbn»): Premium.
                return switched if scheme == "layout" and len(word) >= 3 else None
            if _ADDRESS_KEYS.fullmatch(word):  # «ыфдуы-змя@щящт.кг»: an address typed on the Russian layout
                switched = "".join(CYRILLIC_TO_LATIN_KEYS.get(char, char) if char.isalpha() else char for char in word)
                if _ADDRESS.fullmatch(switched) and switched.rsplit(".", 1)[-1] in DOMAIN_SUFFIXES:
                    return switched
                return None
            found = self.script.reading(word, scheme, split=word not in names)
            return found[1] if found is not None and found[0] == self.name else None

        return _map_words(text, self.name, change)


class TransliterationStep(RewriteStep):
    """``kak vernut dengi`` → ``как вернуть деньги``: Russian typed in Latin letters, in any usual scheme."""

    name: ClassVar[str] = "transliteration"

    def __init__(self, vocabulary: Vocabulary, script: ScriptReader | None = None) -> None:
        self.vocabulary = vocabulary
        self.script = script or ScriptReader(vocabulary)

    def apply(self, text: str, keep: Collection[str] = ()) -> Rewrite:
        """``keep``: words an earlier step wrote (normalized), read only if they read exactly: «vozvrat»
        switched from «мщямкфе» is «возврат», «premium» switched from «Зкуьшгь» is no Russian word with a typo.
        Capitalised words (names: «Premium», «Khorugvino») are never guessed at either."""
        scheme: list[str | None] = []
        names = _names(text)
        alongside: dict[tuple[str, str], None] = {}

        def change(word: str, index: int, all_words: list[str]) -> str | None:
            if not _LATIN_WORD.fullmatch(word) and not _PIECED.fullmatch(word):
                return None
            if not scheme:
                scheme.append(self.script.decide(all_words))
            found = self.script.reading(word, scheme[0], guess=word not in keep and word not in names)
            if found is None and scheme[0] == self.name and (russian := self.script.alongside(word)):
                alongside[word, russian] = None
            return found[1] if found is not None and found[0] == self.name else None

        rewrite = _map_words(text, self.name, change)
        return Rewrite(rewrite.text, rewrite.corrections, tuple(alongside))


class SpellingStep(RewriteStep):
    """Typos, towards the closest word of the corpus or the dictionary; real-word typos when they help.

    A word nobody knows is replaced by its closest known word: fewest edits
    first, then the corpus's own words, forms of its lemmas, other dictionary
    words, then substitutions on neighbouring keys, then the most frequent
    («дваждый» → дважды, «вазвращает» → возвращает), weighed then against
    the likeliest other slips in the query's context (``_in_context``). A dictionary word whose
    lemma the corpus never uses («чаге», «закат», «студя») is replaced by a
    corpus word one edit away (two beyond eight letters) only when the best
    passage then covers more of the query, IDF-weighted (``coverage``).
    """

    name: ClassVar[str] = "spelling"

    def __init__(
        self,
        vocabulary: Vocabulary,
        coverage: Callable[[str], float] | None = None,
        channel: SpellingChannel | None | bool = True,
    ) -> None:
        """``channel``: the fitted model that makes the last pick (``True``: the shipped one; ``None``: the hand
        order and the context alone)."""
        self.vocabulary = vocabulary
        self.coverage = coverage
        self.channel = default_channel() if channel is True else channel or None
        self._corrections: Recent[str | None] = Recent(WORDS_KEPT)
        self._real_candidates: Recent[dict[str, int]] = Recent(WORDS_KEPT)
        # A corrected word's candidates are read again for its alternatives (``_in_context``): found once.
        self._found_candidates: Recent[dict[str, int]] = Recent(WORDS_KEPT)
        self.boundaries = WordBoundaries(vocabulary, self.correct)
        # The same rewritten texts are weighed by the context step, the channel and the real-word step in turn:
        # each text's coverage (a BM25 top-1) is looked up once.
        self._coverages: Recent[float] = Recent(LOOKUPS_KEPT)
        self._alternatives: Recent[list[str]] = Recent(LOOKUPS_KEPT)
        # A typo's nearest candidates, ranked when it is corrected, are where the channel's rivals begin.
        self._nearest: Recent[tuple[str, ...]] = Recent(WORDS_KEPT)

    def apply(self, text: str, keep: Collection[str] = (), boundaries: bool = True) -> Rewrite:
        """``keep``: words an earlier step wrote (normalized), which are what the user meant, not typos.
        ``boundaries``: the spaces are put right first (``WordBoundaries``)."""
        if boundaries:
            bounded = self.boundaries.apply(text, keep)
            if bounded.corrections:
                made = {w for c in bounded.corrections for w in c.replacement.split() if self.vocabulary.known(w)}
                rewrite = self.apply(bounded.text, {*keep, *made}, boundaries=False)
                return Rewrite(rewrite.text, bounded.corrections + rewrite.corrections, rewrite.alongside)
        names = _names(text)
        keep = {*keep, *names}
        alongside: dict[str, str] = {}
        # a word glued to a number or a Latin prefix (normalized) → its prefix as written («HD-»)
        glued = {normalize(m[0]): m[1] for m in map(_GLUED.fullmatch, _WORDS.findall(text)) if m is not None}

        def change(word: str, _: int, __: list[str]) -> str | None:
            if word in names:
                # A name is searched as typed and, alongside it, as the corpus spells it: «Мелфи» is the
                # paragraph's «Мельфи» in another transliteration, not a typo to overwrite.
                found = None if word in keep - names else self._name(word)
                if found is not None:
                    alongside[word] = found
                return None
            if word in keep:
                return None
            if word in glued:
                # «2-очкоовой», «HD-каччестве»: the Russian word after a number or a Latin prefix is a word too
                prefix = glued[word]
                fixed = self.correct(word[len(prefix) :])
                return prefix + fixed if fixed is not None else None
            source = self._latin_source(word)
            if source is not None:
                # «шортс» is the corpus's «shorts», not «шорты»: searched alongside it; «шорртс», one edit from
                # that reading, as the reading
                reading, latin = source
                alongside[reading] = latin
                return reading if reading != word else None
            return self.correct(word)

        mapped = _map_words(text, self.name, change, _SENTENCE_EDGES)
        rewrite = Rewrite(mapped.text, mapped.corrections, tuple(alongside.items()))
        if self.coverage is None:
            return rewrite
        return self._real_words(self._channel_pick(self._in_context(rewrite)), keep)

    def _name(self, word: str) -> str | None:
        """The corpus's own spelling of a capitalised word, its ending kept («Дьюар» and «дьюару» are one
        name in two cases, not a typo), or one slip of the finger from a word of the corpus or a form of its
        lemma anywhere («Ьронкос», «Мэннин»; two slips in a name of ``NAME_TWO_SLIPS`` letters or more), or one
        edit before its ending («Суперкуок», «Мэннингг»; «Ратцеля» and «ратцель» are the name in two cases); for a
        dictionary word the documents never use, a word of theirs one slip away («Теса»: тесла)."""
        found = self.correct(word)
        if not found:
            # A name that is a word of the dictionary the documents never use, one slip of the finger from one of
            # theirs: «Теса» is «Тесла», «Студи» the app «Студия». Searched alongside, as any name: typo2 lemma
            # recovery (two seeds) XQuAD 0.908 → 0.912, RUTUBE 0.840 → 0.844, judged unchanged.
            candidates = self._real_word_candidates(word)
            slips = [c for c in self._ranked(word, candidates) if finger_slips(word, c) == candidates[c] == 1]
            return slips[0] if slips else None
        slips = _slips(word, found)
        if self._in_corpus(found) and OSA.distance(word, found) == slips <= (2 if len(word) >= NAME_TWO_SLIPS else 1):
            # One slip of the finger from the corpus's word, wherever it falls («Ьронкос», «Грэмим», «Мэннин»):
            # searched alongside, never overwritten. On XQuAD's questions re-typed with two typos (two seeds) the
            # rewritten queries keep every clean lemma in 0.862 → 0.888; clean paragraph Hit@1 stays 0.917.
            return found
        if len(word) >= NAME_DICTIONARY_SLIP and OSA.distance(word, found) == slips == 1:
            # A long capitalised word one slip of the finger from a word of the dictionary the documents do not use
            # («Респкблику», «Амаззонки», «Лос-Анджелесс»): searched alongside it too. Typo1 / typo2 lemma recovery
            # (seeds 0–2) XQuAD 0.964 → 0.968 / 0.919 → 0.925, RUTUBE 0.914 → 0.916 / 0.841 → 0.844, the judged set
            # unchanged; from 8 letters 0.925 / 0.841, from 4 as from 6. Alongside, never overwritten: no well-typed
            # question is rewritten.
            return found
        if found[0] != word[0]:
            return None
        if found[-2:] == word[-2:] and found in self.vocabulary.counts:
            return found
        if self._in_corpus(found) and OSA.distance(word, found) == 1:
            start = len(os.path.commonprefix([word, found]))
            doubled = len(word) == len(found) + 1 and word[start] == word[start - 1]
            if doubled or start < min(len(word), len(found)) - 2:
                return found
        return None

    @cached_property
    def _latin_readings(self) -> tuple[DeletionIndex, dict[str, str]]:
        """The Cyrillic readings of the corpus's most used Latin words (``_plain_readings``), each to its word,
        and a deletion index over them: what people write of a brand the documents spell in Latin («шортс»)."""
        counts = self.vocabulary.counts
        latin = [w for w in counts if len(w) >= 4 and w.isascii() and w.isalpha()]
        latin = heapq.nlargest(LATIN_READINGS_WORDS, latin, key=lambda w: (counts[w], w))
        sources: dict[str, str] = {}
        for word in latin:
            for reading in _plain_readings(word, 4):
                sources.setdefault(reading, word)
        return DeletionIndex(sorted(sources), max_distance=1), sources

    def _latin_source(self, word: str) -> tuple[str, str] | None:
        """The reading and the Latin word of the corpus an unknown word reads as: one of its readings, or one
        edit from one (a letter cut or a case ending: «рутуб», «рутуба»; a typo: «шорртс») unless the word's
        correction is a word of the corpus as near («стандар» is «стандарт», not «standard»)."""
        if len(word) < 4 or not _CYRILLIC_WORD.fullmatch(word) or self.vocabulary.known(word):
            return None
        if self.vocabulary.lemma_in_corpus(word):
            return None  # «селлеру»: a form of the corpus's own «селлер»
        index, sources = self._latin_readings
        found = sorted(index.lookup(word, 1), key=lambda item: (item[1], item[0]))
        if not found:
            return None
        reading, distance = found[0]
        if distance:
            correction = self.correct(word)
            near = correction is not None and OSA.distance(word, correction) <= distance
            if near and (self._in_corpus(correction) or sources.get(correction) == sources[reading]):
                return None  # the corpus's word, or the brand's own reading («андраид» is «андроид»)
        return reading, sources[reading]

    def correct(self, word: str) -> str | None:
        """The closest known word for a word neither the corpus nor the dictionary knows."""
        if not _CYRILLIC_WORD.fullmatch(word) or len(word) < 3 or self.vocabulary.known(word):
            return None
        return self._corrections.get(word, lambda: self._correct(word))  # the same typos come back

    def _correct(self, word: str) -> str | None:
        if self.vocabulary.lemma_in_corpus(word):
            return None  # «Гобсона»: a name the corpus has in another case
        if "-" in word and all(self.vocabulary.known(part) for part in word.split("-") if part):
            return None  # «интернет-кампании»: known words joined, not a typo of the corpus's «интернет-компании»
        candidates = self._candidates(word)
        ranked = self._ranked(word, candidates, first=1)  # only the best is read
        self._nearest.get(word, lambda: tuple(ranked))  # all of the nearest distance, for the channel
        if ranked and candidates[ranked[0]] == 1 and _slips(word, ranked[0]) > 1:
            # One edit no slip explains, against a word of the corpus two misspellings by ear away: the second
            # («заказот» is «заказать», not «заказов» with a far key struck).
            heard = {c: d for c, d in candidates.items() if d == 2 and ear_slips(word, c) <= 2 and self._in_corpus(c)}
            ranked = self._ranked(word, heard)[:1] or ranked
        squeezed = _TRIPLED.sub(r"\1", word)  # «рррецепт»: no Russian word has a letter three times in a row
        if not ranked and squeezed != word:
            return squeezed if self.vocabulary.known(squeezed) else self._correct(squeezed)
        if ranked and self.vocabulary.corpus_has_prefix(word) and not self._in_corpus(ranked[0]):
            return None  # «родофит» (the corpus has «родофиты»): a term, not a typo of the dictionary's «родовит»
        if not ranked and "-" in word:
            return self._correct_parts(word)
        if not ranked and len(word) >= HEARD_MIN_LETTERS:
            return self._heard(word)
        return ranked[0] if ranked else None

    def _heard(self, word: str) -> str | None:
        """A word no known word is near, as misspelt by ear more than twice: its doubled letters single and «сч»
        read as «щ» (or back), then one edit from there, when misspellings by ear alone make the typed word of
        the candidate («изменяюсчегосся» → изменяющегося, «обсчественых» → общественных, «каналла» → канала)."""
        single = _DOUBLED.sub(r"\1", word)
        variants = dict.fromkeys(v for v in (single, *_hushed(single)) if v != word)
        candidates: dict[str, int] = {}
        for variant in variants:
            for candidate, _ in self.vocabulary.spelling_index.lookup(variant, 1):
                slips = ear_slips(word, candidate)
                if slips <= HEARD_MAX_SLIPS and self._in_corpus(candidate):
                    candidates[candidate] = min(slips, candidates.get(candidate, slips))
        ranked = self._ranked(word, candidates, first=1)
        return ranked[0] if ranked else None

    def _correct_parts(self, word: str) -> str | None:
        """A hyphenated word no known word is near, its parts corrected one by one («по-аеглийскр» →
        по-английски): each part is a word of its own, and a typo lands in one of them."""
        parts = word.split("-")
        if parts[0] == "по" and len(parts) == 2 and self.vocabulary.known(parts[1] + "й"):
            return None  # «по-голландски»: an adverb of an adjective the dictionary knows, not a typo of one
        fixed = [part if not part or self.vocabulary.known(part) else self.correct(part) for part in parts]
        if any(part is None for part in fixed):
            return None
        return "-".join(part for part in fixed if part is not None)

    def _candidates(self, word: str) -> dict[str, int]:
        """The known words a typo may stand for, with their distances (see ``_correct``): a copy, the caller's."""
        return dict(self._found_candidates.get(word, lambda: self._find_candidates(word)))

    def _find_candidates(self, word: str) -> dict[str, int]:
        limit = 1 if len(word) <= 5 else 2
        # Two edits from a word of the language the corpus does not use, only as two slips of the finger: an
        # unknown word two edits from a frequent one is as often another word («промокод» is no «протокол»).
        # (The slips are counted before a word the corpus may use in another form is parsed: a parse costs more.)
        counts = self.vocabulary.counts
        candidates = {
            candidate: distance
            for candidate, distance in self.vocabulary.spelling_index.lookup(word, limit)
            if distance < 2 or candidate in counts or _slips(word, candidate, 2) <= 2 or self._in_corpus(candidate)
        }
        # The dictionary's words one edit away, corpus or not; none starts past the typed word's longest
        # beginning that begins a dictionary word, so the edits further on are never probed.
        morph = self.vocabulary.morph
        edits = [e for e in _edits(word, morph.dictionary_reach(word)) if e not in candidates and len(e) > 2]
        # «щ» for «сч» and back is one misspelling by ear, two edits: one edit away here («щет» → счет).
        edits += [e for e in _hushed(word) if e not in candidates]
        for edit in morph.dictionary_words(edits):
            candidates.setdefault(edit, 1)
        if len(word) == 3:
            # A three-letter nonword is one edit from almost anything, and most often a four-letter word with
            # a letter dropped («еть», «деь»): only the corpus's words and the language's function words of four
            # letters are meant. A jargon abbreviation («фбо», «апи») is no word with a letter dropped.
            morph = self.vocabulary.morph
            candidates = {
                c: d
                for c, d in candidates.items()
                if d == 1 and len(c) == 4 and (self._in_corpus(c) or morph.lemma(c).function_word)
            }
        if not candidates and 4 <= len(word) <= 5:
            # Two slips in a short word («адрре», «слсо»): only the corpus's own words two edits away.
            candidates = {c: d for c, d in self.vocabulary.spelling_index.lookup(word, 2) if self._in_corpus(c)}
        return candidates

    def alternatives(self, word: str, chosen: str) -> list[str]:
        """Other words a corrected typo may stand for, likeliest first: the candidates ``correct`` ranked below
        ``chosen`` and the corpus's words two slips away (a short word's two slips make a word one edit from
        something else: «сещо» is «село» one edit away, «вещь» two), at most ``CONTEXT_CANDIDATES``. The context
        step and the channel both ask: found once."""
        return list(self._alternatives.get((word, chosen), lambda: self._find_alternatives(word, chosen)))

    def _find_alternatives(self, word: str, chosen: str) -> list[str]:
        candidates = self._candidates(word)
        if len(word) >= 4:
            candidates.update(self.vocabulary.spelling_index.lookup(word, 2))
        # Two slips or fewer first: a restricted distance that stops early, where a word outside the corpus's
        # own is parsed to find its lemma; most of the look-up's words are neither.
        candidates = {
            c: d for c, d in candidates.items() if c != chosen and finger_slips(word, c, 2) <= 2 and self._in_corpus(c)
        }
        return self._ranked(word, candidates, first=CONTEXT_CANDIDATES)[:CONTEXT_CANDIDATES]

    def _in_context(self, rewrite: Rewrite) -> Rewrite:
        """A noisy-channel choice with the corpus as the language model. A correction that is a slip of the
        finger onto a word the documents use stands. Otherwise its alternatives (likeliest slip first) are
        weighed by how much of the query the best passage then covers (IDF-weighted): the first that makes it
        cover all of the query replaces a closest word the documents never use («вит» for «вйит»: «войти»),
        and the first that covers more replaces a closest word no slip makes («операцию» for «одеацию», a far
        key struck: «модерацию», two letters left out). A word the documents never use and no passage would
        cover with another stays: the question may be about something else («ипоетку» is «ипотеку»)."""
        assert self.coverage is not None
        typos = [c for c in rewrite.corrections if c.step == self.name]
        if not typos:
            return rewrite
        text, corrections = rewrite.text, list(rewrite.corrections)
        baseline: float | None = None
        for correction in typos:
            chosen, typed = correction.replacement, normalize(correction.original)
            if not _CYRILLIC_WORD.fullmatch(typed):
                continue  # a word glued to a number or a Latin prefix: corrected alone, its context unread
            distance = OSA.distance(typed, chosen)
            fingers = finger_slips(typed, chosen) <= distance
            slip = fingers or ear_slips(typed, chosen) <= distance
            tie = slip and (self._in_corpus(chosen) or self.vocabulary.morph.lemma(chosen).function_word)
            if tie:
                # A slip onto a word the documents use (function words are never indexed) stands against any
                # other but a slip as likely onto another of their words, which the context then decides: «правиа»
                # is «правила» in a question about rules, not «права». It must then cover all of the query: typo2
                # (two seeds) XQuAD 0.900 → 0.901, RUTUBE 0.839 unchanged, judged (20 seeds) 0.873 → 0.875; any
                # gain instead gave XQuAD 0.906 but RUTUBE 0.832. The equal slips are among the typo's own
                # candidates, found already: no further look-up.
                candidates = self._candidates(typed)
                equal = {
                    c: d
                    for c, d in candidates.items()
                    if c != chosen
                    and self._in_corpus(c)
                    and OSA.distance(typed, c) == distance
                    and _slips(typed, c) <= distance
                }
                options = self._ranked(typed, equal)[:CONTEXT_CANDIDATES]
            else:
                options = self.alternatives(typed, chosen)
            if not options:
                continue
            if baseline is None:
                baseline = self._covers(text)
            best, best_share = correction.replacement, baseline
            for option in options:
                share = self._covers(_replace_word(text, correction.replacement, option))
                # A misspelling by ear against a slip of the finger as near: the context decides, any gain
                # («таторы»: татары by ear, статоры a letter left out).
                even = not fingers and finger_slips(typed, option) <= distance
                if share > best_share and (share >= CONTEXT_MIN_COVERAGE or not slip or even):
                    best, best_share = option, share
                    if not tie:
                        break  # the likeliest slip that fits the context; among equal slips, the best fit
            if best != correction.replacement:
                text = _replace_word(text, correction.replacement, best)
                corrections[corrections.index(correction)] = Correction(self.name, correction.original, best)
                baseline = best_share
        return Rewrite(text, tuple(corrections), rewrite.alongside)

    def channel_groups(
        self, rewrite: Rewrite, channel: SpellingChannel | None = None
    ) -> list[tuple[Correction, list[str], np.ndarray]]:
        """For each typo the step corrected word for word, the candidates the fitted channel weighs (the pick
        first) and their features (``channel_features``), read in the rewritten query. With ``channel``, a rival
        the model could not take whatever the best passage covers with it is left out before its coverage is
        looked up (a BM25 top-1 each): the same pick, fewer look-ups."""
        assert self.coverage is not None
        groups = []
        baseline: float | None = None
        for correction in rewrite.corrections:
            if correction.step != self.name:
                continue
            typed, chosen = normalize(correction.original), correction.replacement
            if not _CYRILLIC_WORD.fullmatch(typed) or "-" in typed or not _CYRILLIC_WORD.fullmatch(chosen):
                continue  # boundaries, hyphenated parts
            if self.correct(typed) is None or self._latin_source(typed) is not None:
                continue  # a real word (``_real_words`` decides it) or a reading of a Latin brand
            candidates = self._candidates(typed)
            # ``_ranked(typed, candidates, first=CHANNEL_CANDIDATES)``, the nearest distance as ``_correct`` ranked it
            rank = functools.partial(self._ranked, typed, candidates, first=1)
            nearest = list(self._nearest.get(typed, lambda rank=rank: tuple(rank())))
            if nearest and len(nearest) < CHANNEL_CANDIDATES:
                further = {c: d for c, d in candidates.items() if d > candidates[nearest[0]]}
                nearest += self._ranked(typed, further, first=CHANNEL_CANDIDATES - len(nearest))
            nearest = nearest[:CHANNEL_CANDIDATES]
            pool = list(dict.fromkeys([chosen, *nearest, *self.alternatives(typed, chosen)]))
            if len(pool) < 2:
                continue
            distances = {c: candidates.get(c) or OSA.distance(typed, c) for c in pool}
            order = {c: rank for rank, c in enumerate(self._ranked(typed, distances))}
            if baseline is None:
                baseline = self._covers(rewrite.text)
            features = [self.channel_features(typed, c, distances[c], order[c], baseline, 0.0) for c in pool]
            if channel is not None:
                # The model is linear in the coverage, but for the step at CONTEXT_MIN_COVERAGE: its best case is
                # at one of these shares.
                cases = (0.0, math.nextafter(CONTEXT_MIN_COVERAGE, 0.0), CONTEXT_MIN_COVERAGE, 1.0)
                variants = [_with_share(row, share, baseline) for row in features[1:] for share in cases]
                possible = channel.could_take(features[0], variants)
                kept = [0, *(i for i in range(1, len(pool)) if any(possible[(i - 1) * len(cases) : i * len(cases)]))]
                if len(kept) < 2:
                    continue
                pool, features = [pool[i] for i in kept], [features[i] for i in kept]
            rows = np.asarray(features, dtype=float)
            for i, c in enumerate(pool[1:], 1):
                rows[i] = _with_share(rows[i], self._covers(_replace_word(rewrite.text, chosen, c)), baseline)
            groups.append((correction, pool, rows))
        return groups

    def channel_features(
        self, typed: str, candidate: str, distance: int, rank: int, share: float, gain: float
    ) -> list[float]:
        """What the fitted channel reads of a candidate (``search.spelling_channel.CHANNEL_FEATURES``)."""
        vocabulary = self.vocabulary
        count = vocabulary.counts.get(candidate, 0)
        lemma_in_corpus = not count and vocabulary.lemma_in_corpus(candidate)
        language = vocabulary.frequency(candidate)
        return [
            float(distance),
            float(bool(count)),
            float(lemma_in_corpus),
            float(not count and not lemma_in_corpus),
            float(vocabulary.morph.lemma(candidate).function_word),
            float(_slips(typed, candidate, distance) > distance),
            float(ear_slips(typed, candidate) <= distance),
            float(candidate[0] != typed[0] and not _first_two_swapped(typed, candidate)),
            float(slip_cost(typed, candidate)),
            float(keyboard_cost(typed, candidate)),
            float(len(candidate) - len(typed)),
            vocabulary.corpus_frequency(candidate),
            language,
            float(language == 0),
            math.log1p(rank),
            share,
            gain,
            float(share >= CONTEXT_MIN_COVERAGE),
        ]

    def _channel_pick(self, rewrite: Rewrite) -> Rewrite:
        """The fitted channel's last word on each typo (``search.spelling_channel``): a rival replaces the hand
        order's pick when the model finds it likely enough to be the word meant, and the pick not."""
        if self.channel is None:
            return rewrite
        text, corrections = rewrite.text, list(rewrite.corrections)
        for correction, pool, rows in self.channel_groups(rewrite, self.channel):
            best = pool[self.channel.pick(rows)]
            if best != correction.replacement:
                text = _replace_word(text, correction.replacement, best)
                corrections[corrections.index(correction)] = Correction(self.name, correction.original, best)
        return Rewrite(text, tuple(corrections), rewrite.alongside)

    def _covers(self, text: str) -> float:
        assert self.coverage is not None
        coverage = self.coverage
        return self._coverages.get(text, lambda: coverage(text))

    def _in_corpus(self, word: str) -> bool:
        return word in self.vocabulary.counts or self.vocabulary.lemma_in_corpus(word)

    def _ranked(self, word: str, candidates: Mapping[str, int], first: int | None = None) -> list[str]:
        """``candidates`` best first; with ``first``, only the nearest distances that hold that many are ranked
        (distance leads the order, and ranking a candidate may parse it)."""
        if first is not None:
            ranked: list[str] = []
            for distance in sorted(set(candidates.values())):
                if len(ranked) >= first:
                    break
                ranked += self._ranked(word, {c: d for c, d in candidates.items() if d == distance})
            return ranked
        counts = self.vocabulary.counts

        frequency = self.vocabulary.frequency

        def key(candidate: str) -> tuple[int, bool, bool, int, bool, int, int, float, str]:
            count = counts.get(candidate, 0)
            # The corpus's own words, then forms of its lemmas, then the dictionary's: «двойнае» is the
            # documents' «двойное», not the comparative «двойнее» a neighbouring key away (а/о is a slip
            # of the ear, not of the finger), and only the corpus's words can be found.
            # Function words are never indexed, so never in the corpus, yet the language's most frequent.
            tier = 0 if count else 1 if self.vocabulary.lemma_in_corpus(candidate) else 2
            if tier == 2 and not self.vocabulary.morph.lemma(candidate).function_word and not frequency(candidate):
                tier = 3  # without frequencies, a function word first: the language's most frequent words
            # People rarely miss the first letter: «сколко» is «сколько», not «колко».
            first = candidate[0] != word[0] and not _first_two_swapped(word, candidate)
            # Then the likelier slip, the corpus's more frequent word, the language's more frequent word.
            # A misspelling by ear is as likely as a letter left out («счеть» is «счет», not «сеть»).
            slip = slip_cost(word, candidate)
            if ear_slips(word, candidate) <= candidates[candidate]:
                slip = min(slip, 1)
            distance = candidates[candidate]
            # Among the corpus's words and forms of its lemmas, those a slip of the finger makes the typo of come
            # first (a noisy channel: «осталгсь» is the form «осталось», a neighbouring key struck, not the
            # corpus's «остались», a far one), and so do unstressed vowels heard wrong («двойнае»). On typo2
            # re-typings (two seeds) lemma recovery 0.896 → 0.899 (XQuAD), 0.880 → 0.886 (judged), 0.822 → 0.825
            # (RUTUBE); typo1 0.955 → 0.956, 0.952 = 0.952, 0.906 → 0.913.
            unslipped = _slips(word, candidate, distance) > distance  # the count stops past ``distance``
            return distance, tier > 1, unslipped, tier, first, slip, -count, -frequency(candidate), candidate

        return sorted(candidates, key=key)

    def _real_words(self, rewrite: Rewrite, keep: Collection[str]) -> Rewrite:
        assert self.coverage is not None
        morph = self.vocabulary.morph
        corrections = list(rewrite.corrections)
        text = rewrite.text
        baseline: float | None = None
        for word in dict.fromkeys(_CYRILLIC_WORD.findall(normalize(text))):
            if word in keep:
                continue
            candidates = self._real_word_candidates(word)
            if not candidates:
                continue
            lemma = morph.lemma(word)
            if baseline is None:
                baseline = self._covers(text)
            # A query whose best passage already speaks of most of it keeps its real words, but for a slip onto a
            # rare word that makes a passage cover all of it («вывод средств крата»: карта, +4.5 Zipf), or
            # ``REAL_WORD_COVERED_GAIN`` more of it («голосовом мерю»: меню). The first, on typo2
            # re-typings (two seeds) lemma recovery XQuAD 0.898 → 0.900, RUTUBE 0.839 unchanged, the property test's
            # judged queries over 20 seeds 0.870 → 0.873; the well-typed questions rewritten unchanged (5, 117, 22).
            covered = baseline > REAL_WORD_MAX_COVERAGE
            # A real-word typo keeps its place in the sentence: «в чаге» (a noun) is «в чате», not «в чаще».
            ranked = sorted(
                self._ranked(word, candidates), key=lambda c: (candidates[c], morph.lemma(c).pos != lemma.pos)
            )
            margin = REAL_WORD_COVERED_GAIN if covered else 0.0
            best, best_coverage = None, 0.0
            for candidate in ranked[:3]:
                if covered and not self._likelier(candidate, word):
                    continue
                share = self._covers(_replace_word(text, word, candidate))
                likelier = self._likelier(candidate, word) and share > baseline + margin
                if (share >= REAL_WORD_MIN_COVERAGE or likelier) and share > best_coverage:
                    best, best_coverage = candidate, share
            if best is not None:
                original = next(m.group() for m in re.finditer(r"\w+", text) if normalize(m.group()) == word)
                text = _replace_word(text, word, best)
                corrections.append(Correction(self.name, original, best))
                baseline = best_coverage
        return Rewrite(text, tuple(corrections), rewrite.alongside)

    def _likelier(self, candidate: str, word: str) -> bool:
        """Whether the language (or the corpus) uses ``candidate`` so much more than the real word typed that a slip
        onto the typed word is the likelier story (a noisy channel: a slip is about one in ``10 **
        REAL_WORD_ZIPF_GAIN`` words): «краты» for «карты», «мору» for «могу», not «меру» for «мору»."""
        frequency = self.vocabulary.frequency
        prior = max(frequency(candidate), self.vocabulary.corpus_frequency(candidate) - REAL_WORD_CORPUS_DISCOUNT)
        return prior - frequency(word) >= REAL_WORD_ZIPF_GAIN

    def _real_word_candidates(self, word: str) -> dict[str, int]:
        """The corpus words a real word may be a typo of, with their distances (none for most words): the
        same for every query, so each word is looked up once (bounded, as ``correct``)."""
        return self._real_candidates.get(word, lambda: self._find_real_word_candidates(word))

    def _find_real_word_candidates(self, word: str) -> dict[str, int]:
        morph = self.vocabulary.morph
        if len(word) < 3 or word in self.vocabulary or not self.vocabulary.is_dictionary_word(word):
            return {}
        lemma = morph.lemma(word)
        # A form of a lemma the corpus uses is searched as that lemma already. Taken as a typo of a far likelier
        # corpus word that makes a passage cover more («гола» → года), it bought +0.001–0.005 lemma recovery on
        # XQuAD only (held-out seeds 3–4; RUTUBE and judged unchanged) for a spelling-index look-up of most
        # well-typed words (their understanding p50 0.28 → 0.55 ms): not kept.
        if lemma.function_word or lemma.lemma in self.vocabulary.corpus_lemmas:
            return {}
        looked = self.vocabulary.spelling_index.lookup(word, 2 if len(word) > 8 else 1)
        # The index holds the language's frequent words too: only the corpus's are meant. Whether a candidate is
        # the corpus's may be a parse, so the string tests go first (the same candidates, fewer parses).
        found = {
            c: d
            for c, d in looked
            if _plausible_typo(word, c, d) and self._in_corpus(c) and self._may_be_meant(word, c)
        }
        if not found:
            # Its first letter struck on a neighbouring key («шоду», «году»), when no other word is near, and only
            # for a word the language (or the corpus) uses ``REAL_WORD_ZIPF_GAIN`` more: people rarely miss it.
            found = {
                c: d
                for c, d in looked
                if _first_key_struck(word, c)
                and self._in_corpus(c)
                and self._likelier(c, word)
                and self._may_be_meant(word, c)
            }
        return found

    def _may_be_meant(self, word: str, candidate: str) -> bool:
        """Whether a real word may be a typo of ``candidate``, a word of the corpus near it, whatever the slip."""
        morph = self.vocabulary.morph
        lemma = morph.lemma(word)
        other = morph.lemma(candidate)
        return (
            # a three-letter word only for a four-letter one with a letter dropped that the language uses far more
            # («сой» → сбой): typo1 / typo2 lemma recovery XQuAD 0.968 → 0.970 / 0.918 → 0.921 (two seeds), RUTUBE
            # typo2 0.846 → 0.848; well-typed rewrites unchanged in count (RUTUBE's already rewritten «дли» → длин)
            (len(word) > 3 or len(candidate) == 4 and self._likelier(candidate, word))
            and not set(morph.all_lemmas(word)) & set(morph.all_lemmas(candidate))
            # «заполнять» for «заполнить» is the other aspect, not a typo: a verb stays as typed unless
            # the other verb has another stem («ввернуть» → вернуть, «вводить» → выводить)
            and not (lemma.pos in _VERB_FORMS and other.pos in _VERB_FORMS and _same_stem(lemma.lemma, other.lemma))
        )


def _with_share(row: Sequence[float], share: float, baseline: float) -> list[float]:
    """A candidate's ``channel_features`` with the best passage covering ``share`` of the query (the pick's:
    ``baseline``): its last three columns."""
    return [*row[:-3], share, share - baseline, float(share >= CONTEXT_MIN_COVERAGE)]


def _plausible_typo(word: str, candidate: str, distance: int) -> bool:
    """Whether a real word could be a typo of ``candidate``: the first letter right (people rarely miss it),
    and two edits only as two slips onto neighbouring keys."""
    if word[0] != candidate[0]:
        # «вязи» for «связи»: the first letter dropped, not struck wrong; or the first two swapped («зоон»)
        return candidate[1:] == word or _first_two_swapped(word, candidate)
    return distance < 2 or (len(word) == len(candidate) and keyboard_cost(word, candidate) == 0)


def _first_key_struck(word: str, candidate: str) -> bool:
    """Whether ``word`` is ``candidate`` with its first letter struck on a neighbouring key («шоду» for «году»)."""
    return word[1:] == candidate[1:] and word[0] in _KEYBOARD.get(candidate[0], ())


# Unstressed vowels people write as they hear them (а/о, е/и, е/я, и/я): a slip of the ear (``ear_slips``).
_MISHEARD = frozenset({frozenset("ао"), frozenset("еи"), frozenset("ея"), frozenset("ия")})


def _hushed(word: str) -> list[str]:
    """``word`` with one «щ» written «сч» or one «сч» written «щ»."""
    return [
        word[: m.start()] + ("щ" if m.group() == "сч" else "сч") + word[m.end() :] for m in re.finditer("сч|щ", word)
    ]


_HUSHED = {("е", "о"), ("и", "ы"), ("а", "я"), ("у", "ю")}  # after «ж», «ш», «ч», «щ»: «пришол», «шышка», «чящка»


_EAR_BLIND = str.maketrans({"з": "с", "ь": None, **{vowel: None for vowel in "аеёиоуыэюя"}})


@functools.lru_cache(maxsize=WORDS_KEPT)
def _ear_skeleton(word: str) -> str:
    """What no misspelling by ear changes: the consonants, «з» as «с», «щ» as «сч», a double one single."""
    return re.sub(r"(.)\1+", r"\1", word.replace("щ", "сч").translate(_EAR_BLIND))


@functools.lru_cache(maxsize=WORDS_KEPT)
def ear_slips(typed: str, candidate: str) -> int:
    """How many misspellings by ear or by rule make ``typed`` of ``candidate`` (a large number when no number
    of them can): an unstressed vowel as heard (а/о, е/и, е/я, и/я: «сабака»), «ё», «ы», «я», «ю» after a
    hushing consonant or «ц» («пришол», «цыфра», «чящка»), «з/с» before a consonant («безполезный»), «ь» left
    out or added after a consonant («связатся», «делаеть»), a double consonant single or a single doubled
    («акаунт», «ограниченый», «адресс»), «сч/щ» («щетчик»). An edit distance whose only edits are these: a
    slip of the ear is as likely as one of the finger, and spelling counts either as one (``_ranked``)."""
    never = len(typed) + len(candidate) + 1
    if _ear_skeleton(typed) != _ear_skeleton(candidate):
        return never  # a consonant no misspelling by ear changes: most pairs, at the cost of two string scans
    n, m = len(candidate), len(typed)
    cost = [[never] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0
    for i in range(n + 1):
        for j in range(m + 1):
            here = cost[i][j]
            if here >= never:
                continue
            meant, written = candidate[i : i + 1], typed[j : j + 1]
            moves: list[tuple[int, int, int]] = []  # (letters of candidate, letters of typed, slips)
            if meant and written:
                pair = frozenset((meant, written))
                before = candidate[i - 1 : i]
                if meant == written:
                    moves.append((1, 1, 0))
                elif (
                    pair in _MISHEARD
                    or (before in "жшчщ" and before and (meant, written) in _HUSHED)
                    or (before == "ц" and pair == frozenset("иы"))
                    or (pair == frozenset("зс") and candidate[i + 1 : i + 2] in CONSONANTS)
                ):
                    moves.append((1, 1, 1))
                if meant == candidate[i + 1 : i + 2] == written and meant in CONSONANTS:
                    moves.append((2, 1, 1))  # «аккаунт» → акаунт
                if meant == written == typed[j + 1 : j + 2] and meant in CONSONANTS:
                    moves.append((1, 2, 1))  # «адрес» → адресс
                if candidate[i : i + 2] == "сч" and written == "щ":
                    moves.append((2, 1, 1))
                if meant == "щ" and typed[j : j + 2] == "сч":
                    moves.append((1, 2, 1))
            if meant == "ь" and i and candidate[i - 1] in CONSONANTS:
                moves.append((1, 0, 1))
            if written == "ь" and j and typed[j - 1] in CONSONANTS:
                moves.append((0, 1, 1))
            for di, dj, slips in moves:
                if here + slips < cost[i + di][j + dj]:
                    cost[i + di][j + dj] = here + slips
    return cost[n][m]


def _slips(typed: str, candidate: str, limit: int | None = None) -> int:
    """The fewer of the slips of the finger and the misspellings by ear that make ``typed`` of ``candidate``
    (``limit`` as for ``finger_slips``: within it, the slips of the finger are the answer, the ear not asked)."""
    fingers = finger_slips(typed, candidate, limit)
    if limit is not None and fingers <= limit:
        return fingers
    return min(fingers, ear_slips(typed, candidate))


def _first_two_swapped(typed: str, candidate: str) -> bool:
    """Whether ``typed`` is ``candidate`` with its first two letters swapped: one slip, not a first letter
    missed («зоон» for «озон»)."""
    return len(typed) > 1 and typed[1::-1] + typed[2:] == candidate and typed[0] != typed[1]


def _same_stem(lemma: str, other: str) -> bool:
    """Whether two lemmas differ only in their last three letters (aspect pairs: заполнить, заполнять) and share
    a stem of ``SAME_STEM_MIN`` letters: «мыть» and «мочь» share only their first letter, so «моет» may be «может»."""
    common = len(os.path.commonprefix([lemma, other]))
    return common >= max(SAME_STEM_MIN, min(len(lemma), len(other)) - 3)


def _names(text: str) -> set[str]:
    """Words capitalised after the first (names: «Гобсона», «Мелфи»), normalized: spelling leaves them alone.
    A word glued to a Latin prefix is a name by its own first letter («HD-качестве» is none)."""
    names = set()
    for word in _WORDS.findall(text)[1:]:
        glued = _GLUED.fullmatch(word)
        if word[len(glued[1]) if glued else 0].isupper():
            names.add(normalize(word))
    return names


def _replace_word(text: str, word: str, replacement: str) -> str:
    """``text`` with the whole word ``word`` (compared normalized) replaced."""
    return re.sub(r"\w+", lambda m: replacement if normalize(m.group()) == word else m.group(), text)


# --- word boundaries ----------------------------------------------------------------------

# A word spelt out letter by letter («в е р н у т ь»): three single Cyrillic letters or more, one space apart.
_SPELT_OUT = re.compile(r"(?<![\w-])[а-яё](?: [а-яё]){2,}(?![\w-])", re.IGNORECASE)
# A Russian word and a number or a Latin word with the space between them lost: «в2015», «такоеDECnet», «2015году».
_SCRIPTS_RUN_TOGETHER = re.compile(
    r"(?<![\w.@-])(?:([а-яё]+)([0-9]+|[a-z][a-z0-9]*)|([0-9]+|[a-z][a-z0-9]*)([а-яё]{2,}))(?![\w@-])", re.IGNORECASE
)
# An unknown word this long or longer may be two words with the space between them lost («каквернуть»).
SPLIT_MIN_LETTERS = 5
# Only these single letters start a word split off another («вмагазине» → в магазине): prepositions, «и», «а».
_SPLIT_LETTERS = frozenset("вскуоиа")
# The function words that split off a word run onto them: prepositions, conjunctions, particles, pronominal adverbs
# and adjectives («какие», «все»); no pronoun: «вы» before «светилось» is the verb's prefix.
_JOINING_POS = frozenset({"PREP", "CONJ", "PRCL", "ADVB", "ADJF"})


class WordBoundaries:
    """Where the spaces go, before spelling reads the words one at a time.

    Four general rules, each change a ``Correction`` of the spelling step: a
    run of single letters is joined back when the join is a known word («в е
    р н у т ь» → вернуть); a letter typed three times or more (no Russian word
    has one) is squeezed to the known word (one or two of it); two adjacent
    words are joined when the join is a corpus word (or a form of a corpus
    lemma) and one of them is unknown or a dictionary word the documents never
    use («воз врат» → возврат, «день ги» → деньги: a real phrase such as «по
    тому» stays); an
    unknown word is split into two known words, one of them the documents' or a
    function word, when no spelling correction is a single edit away
    (SymSpell's word segmentation, two parts, the likelier pair by word
    frequency: «каквернуть» → как вернуть, «незнаю» → не знаю, not «знаю»), or one half misspelt
    («возраттовара»); a Russian word run onto a Latin word or a preposition onto a number is parted
    («компанияBSkyB», «в2015»); a name takes a stray space back only into the corpus's word («Европ ейский»). Its
    segmentation score (``pair_score``) also weighs the script steps' readings of a run-together Latin word.
    """

    def __init__(self, vocabulary: Vocabulary, correct: Callable[[str], str | None]) -> None:
        self.vocabulary = vocabulary
        self.correct = correct  # the spelling step's closest known word, which a split must read better than
        self._splits: Recent[tuple[str, str] | None] = Recent(WORDS_KEPT)

    def apply(self, text: str, keep: Collection[str] = ()) -> Rewrite:
        corrections: list[Correction] = []
        text = _SPELT_OUT.sub(lambda match: self._spelt_out(match.group(), corrections), text)
        text = _SCRIPTS_RUN_TOGETHER.sub(lambda match: self._scripts_apart(match, corrections), text)
        names = _names(text)
        parts = re.split(r"(\s+)", text)
        cores = [_SENTENCE_EDGES.match(part).groups() if part and not part.isspace() else None for part in parts]

        def word(index: int) -> str:
            core = cores[index]
            normal = _normalized(core[1]) if core is not None else ""  # each word is read three times or more
            return normal if _CYRILLIC_WORD.fullmatch(normal) else ""

        def replace(index: int, replacement: str, original: str | None = None) -> None:
            lead, typed, tail = cores[index]  # type: ignore[misc]
            corrections.append(Correction(SpellingStep.name, original or typed, replacement))
            cores[index] = (lead, replacement, tail)
            parts[index] = lead + replacement + tail

        for index in range(len(parts)):
            typed = word(index)
            if typed and typed not in {*keep, *names} and _TRIPLED.search(typed) and not self.vocabulary.known(typed):
                squeezed = self._squeezed(typed)
                if squeezed != typed:
                    replace(index, squeezed)
        for index in range(0, len(parts) - 2, 2):
            first, second = word(index), word(index + 2)
            if not first or not second or {first, second} & set(keep) or second in names or parts[index + 1] != " ":
                continue
            if cores[index][2] or cores[index + 2][0]:  # type: ignore[index]
                continue  # punctuation between them: two words on purpose
            # A name with a space put inside («Европ ейский», «Бронк ос»): joined only into the corpus's word, as typed.
            name = first in names
            if (self._in_corpus(first + second) and self._joins(first, second)) if name else self._joins(first, second):
                original = f"{cores[index][1]} {cores[index + 2][1]}"  # type: ignore[index]
                joined = original.replace(" ", "") if name else first + second
                cores[index] = (cores[index][0], cores[index][1], cores[index + 2][2])  # type: ignore[index]
                replace(index, joined, original)
                parts[index + 1] = parts[index + 2] = ""
                cores[index + 2] = None
        for index in range(len(parts)):
            typed = word(index)
            if not typed or typed in keep:
                continue
            split = self.split_for(typed)
            if split is not None and typed not in names:
                replace(index, " ".join(split))
            elif split is not None and split[0] in self.vocabulary.counts and len(split[0]) >= 3:
                # A name run onto the next word («Калифорниииграет»): split after the name as the corpus writes it.
                as_typed = cores[index][1]  # type: ignore[index]
                replace(index, f"{as_typed[: len(split[0])]} {as_typed[len(split[0]) :]}")
        return Rewrite("".join(parts), tuple(corrections))

    def _scripts_apart(self, match: re.Match[str], corrections: list[Correction]) -> str:
        """A Russian word run onto a number or a Latin word, the space lost («в2015», «компанияBSkyB», «2015году»):
        apart when the Russian part is a known word and the corpus does not write the whole so; before a number only
        a one-letter preposition (a name may end in a number: «Интернет2»), after one a word of three letters."""
        whole = match.group()
        russian = match.group(1) or match.group(4)
        if normalize(whole) in self.vocabulary.counts or not self.vocabulary.known(normalize(russian)):
            return whole
        if len(russian) < 2 and not self.vocabulary.morph.lemma(normalize(russian)).function_word:
            return whole
        if match.group(1) and match.group(2)[0].isdigit() and normalize(russian) not in _SPLIT_LETTERS:
            return whole  # «Интернет2», «от1996» as typed: a one-letter preposition is surely no name's part
        if len(russian) < 3 and not match.group(1):
            return whole  # «2015г», «5G»: a unit or an abbreviation after a number
        apart = f"{match.group(1)} {match.group(2)}" if match.group(1) else f"{match.group(3)} {match.group(4)}"
        corrections.append(Correction(SpellingStep.name, whole, apart))
        return apart

    def _spelt_out(self, letters: str, corrections: list[Correction]) -> str:
        """The word a run of single letters spells: a known word (a preposition before or after it kept apart), or
        a word spelling then corrects («з в а н о к» → званок → звонок)."""
        joined = normalize(letters.replace(" ", ""))
        rest = joined[1:]
        if set(joined) <= _SPLIT_LETTERS and joined not in self.vocabulary.counts:
            return letters  # words of one letter each («и с с», «а и в к»): a phrase as typed, not «исс» spelt out
        if not self.vocabulary.known(joined):
            if joined[0] in _SPLIT_LETTERS and len(rest) >= 3 and self.vocabulary.known(rest):
                corrections.append(Correction(SpellingStep.name, letters[2:], rest))
                return letters[:2] + rest
            if joined[-1] in _SPLIT_LETTERS and len(joined) >= 4 and self.vocabulary.known(joined[:-1]):
                corrections.append(Correction(SpellingStep.name, letters[:-2], joined[:-1]))
                return joined[:-1] + letters[-2:]  # «в о й т и в»: войти в
            if self.correct(joined) is None:
                return letters
        corrections.append(Correction(SpellingStep.name, letters, joined))
        return joined

    def _squeezed(self, word: str) -> str:
        """``word`` with each letter typed three times or more as once or twice when that is a word of the corpus
        (or a form of its lemma); else ``word``, for spelling to read whole («лниии» is «линии», «чужооо» «чужого»:
        a slip beside the held key)."""
        runs = list(_TRIPLED.finditer(word))
        options = []
        for counts in itertools.product((1, 2), repeat=min(len(runs), 4)):
            option, end = [], 0
            for run, count in zip(runs, counts):
                option += [word[end : run.start()], run.group(1) * count]
                end = run.end()
            options.append("".join(option) + word[end:])
        corpus = [option for option in options if self._in_corpus(option)]
        return corpus[0] if corpus else word

    def _in_corpus(self, word: str) -> bool:
        return word in self.vocabulary.counts or self.vocabulary.lemma_in_corpus(word)

    def _suspect(self, word: str) -> bool:
        """A word that may be half of another: unknown, or a dictionary word the documents never use."""
        if not self.vocabulary.known(word):
            return True
        return not self._in_corpus(word) and not self.vocabulary.morph.lemma(word).function_word

    def _joins(self, first: str, second: str) -> bool:
        """Whether two adjacent words are one with a stray space: their join a word of the corpus and one of them
        suspect, or a known word and one of them unknown that spelling cannot read («скол ько»); two single letters when
        their join is the corpus's or its jargon («л к»: лк) and not both are function words («в с»)."""
        joined = first + second
        known = self.vocabulary.known
        morph = self.vocabulary.morph
        if not (self._suspect(first) or self._suspect(second)):
            return False  # two words the documents use (most pairs): nothing to parse
        if len(first) == len(second) == 1:
            both_function = morph.lemma(first).function_word and morph.lemma(second).function_word
            return not both_function and (joined in self.vocabulary.counts or joined in self.vocabulary.jargon)
        if self._in_corpus(joined):
            return True
        # Otherwise a known join of an unknown word («скол ько», «зарабо тать», «до бавочный»), unless spelling reads
        # the unknown word one edit away as a word the language uses more than the join: «в ень» is «в день», not
        # «вень» (both readings are one edit: the likelier word wins, as in SymSpell's compound look-up).
        unknown = [part for part in (first, second) if not known(part) or self._fragment(part)]
        if not unknown or not (known(joined) and self._zipf(joined) >= LANGUAGE_MIN_ZIPF):
            return False  # a join the documents or the language hardly use is no likelier: «у ва» is no «ува»
        if len(unknown) == 2:
            return True
        corrected = self.correct(unknown[0])
        if corrected is None or OSA.distance(unknown[0], corrected) >= 2:
            return True
        return self._zipf(joined) >= self._zipf(corrected)

    def split(self, word: str) -> tuple[str, str] | None:
        """The likeliest two words of the corpus an unknown word is made of (none for most words)."""
        if len(word) < SPLIT_MIN_LETTERS or "-" in word or self.vocabulary.known(word):
            return None
        return self._splits.get(word, lambda: self._split(word))

    def _split(self, word: str) -> tuple[str, str] | None:
        if self.vocabulary.lemma_in_corpus(word) or self.vocabulary.corpus_has_prefix(word):
            return None  # «родофит»: the corpus has «родофиты», a term in another form
        best, best_score = None, None
        for cut in range(1, len(word) - 1):
            first, second = word[:cut], word[cut:]
            score = self.pair_score(first, second)
            if score is not None and (best_score is None or score > best_score):
                best, best_score = (first, second), score
        return best if best is not None else self._split_with_a_typo(word)

    def _split_with_a_typo(self, word: str) -> tuple[str, str] | None:
        """Two words run together, one of them misspelt («возраттовара», «обратныйзванок»): one half a word of the
        corpus or a function word, the other, four letters or more, one edit from a word of the corpus; the pair
        weighed with that word. The halves come back as typed: spelling then corrects the misspelt one."""
        best, best_score = None, None
        for cut in range(1, len(word) - 1):
            halves = [word[:cut], word[cut:]]
            for known in (0, 1):
                typo = halves[1 - known]
                if len(typo) < 4 or len(halves[known]) < 3:
                    continue  # a spelling search per cut: only beside a word of three letters or more
                if self.vocabulary.corpus_has_prefix(word[: cut + 2]):
                    continue  # «техподетки» is «техпо…» misspelt (the corpus has техподдержки), not «тех пометки»
                if self._word_of_a_pair(halves[known]) not in ("corpus", "function"):
                    continue
                if self.vocabulary.known(typo):
                    continue
                corrected = self.correct(typo)
                if corrected is None or OSA.distance(typo, corrected) != 1 or not self._in_corpus(corrected):
                    continue
                read = list(halves)
                read[1 - known] = corrected
                score = self.pair_score(*read)
                if score is not None and (best_score is None or score > best_score):
                    best, best_score = (halves[0], halves[1]), score
        return best

    def pair_score(self, first: str, second: str) -> float | None:
        """How likely two Russian words are as one word's two halves, a space lost between them: SymSpell's
        segmentation score (the sum of the two words' Zipf frequencies), or None for a pair that is no phrase.
        The script steps weigh the readings of a run-together Latin word by it too («cnfnecpfrfpf»)."""
        if len(second) == 2 and second not in ENCLITICS:
            return None  # a two-letter word run onto another is a particle («возместятли»), not «хоругви но»
        # Each half's kind is a parse, most of them of no word at all (every cut of a run-together word is
        # tried): the second half is parsed only when the first may stand beside it.
        first_kind = self._word_of_a_pair(first)
        second_kind = None if first_kind is None else self._word_of_a_pair(second)
        if second_kind is None or first_kind == second_kind == "dictionary":
            return None  # two words the documents never use: «пасматреть» is no «пасма треть»
        morph = self.vocabulary.morph
        if morph.lemma(first).pos == "PREP" and morph.lemma(second).pos in _VERB_FORMS:
            return None  # a preposition before a verb is its prefix: «подмонтировать», «задокументировано»
        return self._zipf(first) + self._zipf(second)

    def _word_of_a_pair(self, word: str) -> str | None:
        """What kind of word may stand beside another: a function word (a preposition, a conjunction, a particle,
        a pronominal adverb or adjective: «в», «не», «как», «ли», «где», «какие»), a word of the corpus (or a form
        of its lemma), a word of the dictionary of three letters or more; else none («ха», «см»)."""
        lemma = self.vocabulary.morph.lemma(word)
        if lemma.function_word:
            joins = lemma.pos in _JOINING_POS and (len(word) > 1 or word in _SPLIT_LETTERS)
            return "function" if joins else None
        if len(word) < 3:
            return None
        if self._in_corpus(word):
            return "corpus"
        return "dictionary" if self.vocabulary.known(word) else None

    def _fragment(self, word: str) -> bool:
        """Two letters that are no function word, nor the corpus's, nor its jargon: a piece of a word («ск олько»)."""
        if len(word) != 2 or word in self.vocabulary.counts or word in self.vocabulary.jargon:
            return False
        return not self.vocabulary.morph.lemma(word).function_word

    def _zipf(self, word: str) -> float:
        return max(self.vocabulary.frequency(word), self.vocabulary.corpus_frequency(word))

    def split_for(self, word: str) -> tuple[str, str] | None:
        """The split of an unknown word, when it beats spelling. A split is one edit (a space): it wins over no
        spelling correction, and over one two edits away when both its words are the corpus's or function words (a
        slip of two edits is as likely: «таллефон» is «телефон», not «талле фон»); never over one a single edit
        away («харегистрироваться» is «зарегистрироваться», not «ха регистрироваться»): that one is looked up
        first (spelling looks it up anyway), so most typos try no split at all."""
        if len(word) < SPLIT_MIN_LETTERS or "-" in word or self.vocabulary.known(word):
            return None
        corrected = self.correct(word)
        if corrected is not None and OSA.distance(word, corrected) < 2:
            return None
        split = self.split(word)
        if split is None or corrected is None:
            return split
        if not all(self.vocabulary.known(part) for part in split):
            return None  # a split with a misspelt half is a guess on a guess: spelling's reading of the whole wins
        return split if all(self._word_of_a_pair(part) != "dictionary" for part in split) else None


# --- synonyms -------------------------------------------------------------------------


def parse_synonyms(text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Solr's synonyms format as (phrases, expansions) rules.

    ``a, b, c`` makes every phrase expand to all the others; ``a, b => c, d``
    expands a or b into c and d. ``#`` starts a comment.

    >>> parse_synonyms("пвз, пункт выдачи\\nлк => личный кабинет")
    [(('пвз', 'пункт выдачи'), ('пвз', 'пункт выдачи')), (('лк',), ('личный кабинет',))]
    """
    rules = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.count("=>") > 1:
            raise ValueError(f"synonyms line {number}: more than one '=>'")
        left, arrow, right = line.partition("=>")
        sources = tuple(p.strip() for p in left.split(",") if p.strip())
        targets = tuple(p.strip() for p in right.split(",") if p.strip()) if arrow else sources
        if not sources or not targets or (not arrow and len(sources) < 2):
            raise ValueError(f"synonyms line {number}: expected 'a, b' or 'a => b', got {raw.strip()!r}")
        rules.append((sources, targets))
    return rules


@dataclass
class Thesaurus:
    """Synonym rules over lemma sequences, so that any word form of a phrase triggers them."""

    step: ClassVar[str] = "synonyms"  # the rewriting step's name on the corrections it makes

    rules: list[tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]] = field(default_factory=list)
    text: str = ""

    @classmethod
    def from_text(cls, text: str, analyzer: Analyzer) -> Thesaurus:
        def lemmas(phrase: str) -> tuple[str, ...]:
            return tuple(analyzer.terms(phrase))

        rules = []
        for sources, targets in parse_synonyms(text):
            rules.append((tuple(filter(None, map(lemmas, sources))), tuple(filter(None, map(lemmas, targets)))))
        return cls(rules, text)

    @cached_property
    def _firsts(self) -> list[frozenset[str] | None]:
        """Each rule's phrases' first lemmas: a rule whose none is a query term cannot apply (an empty phrase,
        which any query contains: None)."""
        return [None if not all(sources) else frozenset(s[0] for s in sources) for sources, _ in self.rules]

    @cached_property
    def words(self) -> frozenset[str]:
        """The one-word phrases of its rules (lemmas): «лк», «пвз», «фбо», «api»."""
        phrases = (phrase for sources, targets in self.rules for phrase in (*sources, *targets))
        return frozenset(phrase[0] for phrase in phrases if len(phrase) == 1)

    def expand(self, terms: tuple[str, ...]) -> tuple[list[str], list[Correction]]:
        """Terms to add to the query, and the expansions made, for the query's lemma sequence."""
        added: list[str] = []
        made: list[Correction] = []
        present = set(terms)
        for (sources, targets), firsts in zip(self.rules, self._firsts):
            if firsts is not None and firsts.isdisjoint(present):
                continue  # no phrase of the rule starts with a query term: most rules, for most queries
            for source in sources:
                if not _contains(terms, source):
                    continue
                for target in targets:
                    if target == source or set(target) <= present:
                        continue
                    new = [t for t in target if t not in present and t not in added]
                    added.extend(new)
                    made.append(Correction(self.step, " ".join(source), " ".join(target)))
        return added, made


def _contains(terms: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(terms[i : i + size] == phrase for i in range(len(terms) - size + 1))


# --- the pipeline -------------------------------------------------------------------------


class QueryRewriter:
    """The text-level steps in order (``TEXT_STEPS``); each returns what it changed.

    ``coverage`` gives, for a query text, the IDF-weighted share of its terms
    that the best passage covers; without it real-word typos are left alone.

    >>> rewriter = QueryRewriter(Vocabulary({"статус": 3, "заказа": 2}, lambda word: False))
    >>> rewriter.rewrite("cnfnec pfrfpf").text
    'статус заказа'
    """

    def __init__(self, vocabulary: Vocabulary, coverage: Callable[[str], float] | None = None) -> None:
        self.vocabulary = vocabulary
        spelling = SpellingStep(vocabulary, coverage)
        self.script = ScriptReader(vocabulary, finish=spelling.correct, boundaries=spelling.boundaries)
        self.steps: tuple[RewriteStep, ...] = (
            LayoutStep(vocabulary, self.script),
            TransliterationStep(vocabulary, self.script),
            spelling,
        )
        self._rewrites: Recent[Rewrite] = Recent(REWRITES_KEPT)

    def rewrite(self, query: str, steps: Collection[str] | None = None) -> Rewrite:
        """The query after each step (of ``steps``, by name; default all), with every change made.

        The same query comes back (people repeat the popular ones): its rewrite, a function of the query and
        the index alone, is kept (bounded, as the spelling step's corrections)."""
        key = (query, None if steps is None else frozenset(steps))
        return self._rewrites.get(key, lambda: self._rewrite(query, steps))

    def _rewrite(self, query: str, steps: Collection[str] | None) -> Rewrite:
        text = query
        corrections: list[Correction] = []
        if steps is None or SpellingStep.name in steps:
            # Word boundaries are spelling's; a word spelt out in Latin letters is joined before the script
            # steps, which read whole words.
            spelt = self.script.spelt_out(text)
            text, corrections = spelt.text, list(spelt.corrections)
        alongside: list[tuple[str, str]] = []
        for step in self.steps:
            if steps is None or step.name in steps:
                written = {word for c in corrections for word in normalize(c.replacement).split()}
                if isinstance(step, SpellingStep):
                    # What an earlier step wrote is a word on purpose, unless it is no word at all.
                    rewrite = step.apply(text, keep={word for word in written if self.vocabulary.known(word)})
                elif isinstance(step, TransliterationStep):
                    rewrite = step.apply(text, keep=written)
                else:
                    rewrite = step.apply(text)
                text = rewrite.text
                corrections.extend(rewrite.corrections)
                alongside.extend(rewrite.alongside)
        return Rewrite(text, tuple(corrections), tuple(alongside))

    def __repr__(self) -> str:
        names = " | ".join(step.name for step in self.steps)
        return f"QueryRewriter({names}; {len(self.vocabulary.counts)} corpus words)"


# --- does the corpus answer the query at all? --------------------------------------------


def synonym_links(corrections: Iterable[Correction]) -> dict[str, set[str]]:
    """For each query term, the terms its synonyms added."""
    links: dict[str, set[str]] = {}
    for correction in corrections:
        if correction.step == Thesaurus.step:
            for term in correction.original.split():
                links.setdefault(term, set()).update(correction.replacement.split())
    return links


def query_coverage(
    terms: Iterable[str], present: set[str], idf: Callable[[str], float], links: Mapping[str, set[str]]
) -> float:
    """The IDF-weighted share of query terms found in a passage (directly or through a synonym).

    A question the documents do not answer almost always hinges on a word
    they never use («ипотека», «борщ»), and such a word carries the highest
    IDF of all, so the share drops well below one half.
    """
    unique = list(dict.fromkeys(terms))
    if not unique:
        return 0.0
    weights = [max(idf(term), 0.0) for term in unique]
    total = sum(weights)
    covered = sum(w for term, w in zip(unique, weights) if term in present or links.get(term, set()) & present)
    return covered / total if total > 0 else 0.0


@dataclass(frozen=True)
class NoAnswerRule:
    """When the documents do not answer a query at all.

    Two signals, both measured on the judged queries
    (``corpus/queries/judged.jsonl``):

    - a *missing topic*: a noun (of the dictionary, or unknown to it and five
      letters or more), or a Latin word of four letters or more, that no
      passage contains and no synonym maps onto the
      documents' words («ипотека», «промокод», «Premium»). The subject of a
      question is almost always such a word, so its absence means the
      documents speak of something else;
    - too little *coverage*: the best passages together contain less than
      ``min_coverage`` of the query, each term weighted by its IDF.
    """

    min_coverage: float = 0.2
    depth: int = 3  # how many of the best passages count for coverage

    def missing_topics(
        self, tokens: Iterable[Token], known: Callable[[str], bool], morphology: Morphology, expanded: set[str]
    ) -> list[str]:
        """Topic words of the query the corpus never uses (nor any synonym of theirs)."""
        missing = []
        for token in tokens:
            if known(token.term) or token.term in expanded:
                continue
            if token.kind == "latin" and len(token.term) >= 4:
                missing.append(token.term)
            elif token.kind == "word" and morphology.lemma(token.surface).pos == "NOUN":
                # A dictionary noun, or a longer word the dictionary lacks and spelling could not
                # bring to the corpus («промокод», «Хоругвино»); short unknowns are jargon.
                if morphology.is_known(token.surface) or len(token.surface) >= 5:
                    missing.append(token.term)
        return missing

    def answered(self, coverage: float, missing_topics: Sequence[str]) -> bool:
        return coverage >= self.min_coverage and not missing_topics
