"""The words a query is read against: the corpus's own, the dictionary's and the language's, and how to find near ones.

:class:`Vocabulary` says whether a word is known (the corpus, a form of one of
its lemmas, the dictionary) and how often it is used; :class:`SpellingIndex`
and :class:`DeletionIndex` find the known words a few edits from a typed one
(SymSpell's deletions, as sorted arrays every process maps). Every rewriting
step reads words through these; they depend on no step, so they live apart.
The bounds on the work kept per word and per query are here too, since every
step's caches use them.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist

from .arrays import sorted_unique
from .morphology import Morphology, shared_morphology
from .recent import Recent
from .store import StringTable

__all__ = [
    "DeletionIndex",
    "SpellingIndex",
    "Vocabulary",
    "build_spelling_index",
]


_CYRILLIC_WORD = re.compile(r"[а-яё]+(?:-[а-яё]+)*")

# A corpus above this many lemmas indexes its surface words only for spelling (building every
# form of every lemma would cost minutes); forms one edit away still come from the dictionary.
FORMS_MAX_LEMMAS = 50_000
# Queries are open-ended: the work kept per word (its readings, corrections) and per query (its rewrite) is
# bounded (``search.recent.Recent``), a few MB at most; the scheme decided per query too.
WORDS_KEPT = 50_000
REWRITES_KEPT = 20_000
LOOKUPS_KEPT = 2_048
# The word beginnings whose reach (``Vocabulary.has_prefix``) is kept: a dict of them, emptied when full.
PREFIXES_KEPT = 20_000
# The language's words (wordfreq's Zipf scale: 2.5 is about three uses in ten million words) the spelling
# index holds beside the corpus's, so that two slips reach them too.
LANGUAGE_MIN_ZIPF = 2.5


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
        return self.morph.lemma_in(word, self.corpus_lemmas)

    @cached_property
    def _sorted(self) -> list[str]:
        return sorted(self.counts)

    def corpus_has_prefix(self, prefix: str) -> bool:
        """Whether a corpus word starts with ``prefix``."""
        return _starts_a_word(self._sorted, prefix)

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
        # The dictionary first (most beginnings that reach a word reach a dictionary form), then one look-up in the
        # corpus's words and the jargon together (a lattice asks ~4,600 new beginnings a first pass, most in vain).
        if self.morph.has_prefix(prefix):
            return True
        return _starts_a_word(self._known_sorted, prefix)

    @cached_property
    def _known_sorted(self) -> list[str]:
        """The corpus's words and the jargon, sorted."""
        return sorted({*self.counts, *self.jargon})

    # The spelling index the index folder holds (built once at index time, memory-mapped); without it,
    # one is built on the first misspelt word.
    spelling: SpellingIndex | None = None

    @cached_property
    def spelling_index(self) -> DeletionIndex | SpellingIndex:
        """The corpus's Cyrillic words and every form of its lemmas."""
        if self.spelling is not None:
            return self.spelling
        return DeletionIndex(spelling_words(self.counts, self.corpus_lemmas, self.morph))


def _starts_a_word(words: list[str], prefix: str) -> bool:
    """Whether a word of the sorted ``words`` starts with ``prefix`` (one binary search)."""
    index = bisect.bisect_left(words, prefix)
    return index < len(words) and words[index].startswith(prefix)


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

    def most_frequent(self, count: int) -> list[str]:
        """The language's ``count`` most frequent words (of three letters or more: those it holds)."""
        return self.language.most_frequent(count)

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


# --- candidates: a deletion index ---------------------------------------------------------------


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

    def most_frequent(self, count: int) -> list[str]:
        """The ``count`` words of the highest frequency (in the index's order; ties at the edge either way)."""
        frequency = self._frequency
        if count <= 0 or not frequency.size:
            return []
        chosen = (
            np.sort(np.argpartition(-frequency.astype(np.int16), count - 1)[:count]) if count < frequency.size else None
        )
        if chosen is None:
            return list(self.words)
        words = self.words
        return words.take(chosen) if isinstance(words, StringTable) else [words[i] for i in chosen.tolist()]

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
