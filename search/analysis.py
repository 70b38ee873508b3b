"""The text analysis chain shared by documents and queries.

    text ─► normalize ─► tokenize ─► lemmatize ─► drop function words ─► terms

One :class:`Analyzer` object serves both flows, so a word of a document and a
word of a query always meet in the same form. Each step is a small function;
the analyzer's ``repr`` lists them.

Tokens keep their span in the *original* text, which is what lets the page
highlight every word form whose lemma matched, and e-mail addresses, domains,
times, numbers and phone numbers stay single canonical tokens: ``8 800
555‑35‑35``, ``8-800-555-35-35``, ``88005553535`` and ``+7 800 555 35 35`` all
become ``78005553535``.

Tokenization is one compiled regular expression rather than razdel's
tokenizer: razdel splits ``seller.ozon.ru`` and ``dogovor@ozon.ru`` into
pieces and runs ~20× slower (0.3 M against 6.8 M tokens/s here); razdel still
splits sentences for the chunker.
"""

from __future__ import annotations

import bisect
import concurrent.futures
import itertools
import multiprocessing
import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from .lang import DASHES, INVISIBLE, PHONE_COUNTRY_CODE, SPACES
from .morphology import Morphology, shared_morphology

if TYPE_CHECKING:
    from .passages import Passage

__all__ = [
    "Analysed",
    "Analyzer",
    "STEMMERS",
    "Token",
    "analyse_passage",
    "analyse_passages",
    "analyse_query",
    "analyse_text",
    "normalize",
    "tokenize",
]

STEMMERS = ("pymorphy3", "snowball", "none")

_TRANSLATION = str.maketrans(
    {**{c: "-" for c in DASHES}, **{c: " " for c in SPACES}, **{c: None for c in INVISIBLE}, "ё": "е"}
)
_ONE_TO_ONE = str.maketrans({**{c: "-" for c in DASHES}, **{c: " " for c in SPACES}, "ё": "е"})
_HAS_INVISIBLE = re.compile(f"[{INVISIBLE}\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Text made only of these characters needs neither NFKC nor the offset map.
_PLAIN = re.compile(r"[\x09\x0a\x0d\x20-\x7e\u0410-\u044f\u0401\u0451]*")
_MAX = 1 << 62


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalized text and, for each of its characters, the index in the original."""

    text: str
    offsets: tuple[int, ...] | None = None  # None: identical positions (unless ``segments`` says otherwise)
    # Or, from the sparse path, (start here, start in the original, 1 for a run of one-to-one characters or
    # 0 for one character's folded form), in order: the same map without one entry per character.
    segments: tuple[tuple[int, int, int], ...] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self.offsets is not None:
            return self.offsets[start], self.offsets[end - 1] + 1
        if self.segments is not None:
            return self._origin(start), self._origin(end - 1) + 1
        return start, end

    def _origin(self, position: int) -> int:
        here, there, step = self.segments[bisect.bisect_right(self.segments, (position, _MAX)) - 1]  # type: ignore[index]
        return there + (position - here) * step

    def origins(self) -> tuple[int, ...] | None:
        """Each character's index in the original, or None when positions are identical."""
        if self.offsets is not None or self.segments is None:
            return self.offsets
        return tuple(self._origin(position) for position in range(len(self.text)))


def _fold(char: str) -> str:
    return unicodedata.normalize("NFKC", char).translate(_TRANSLATION).lower().translate(_TRANSLATION)


def normalize_with_offsets(text: str) -> Normalized:
    """Unicode NFKC, lowercase, ё→е, dashes → "-", exotic spaces → " ", invisibles removed."""
    if _PLAIN.fullmatch(text):
        return Normalized(text.lower().replace("ё", "е"))
    # Most real text only needs one-to-one mappings (dashes, spaces, case): positions stay.
    mapped = text.translate(_ONE_TO_ONE)
    lowered = mapped.lower()
    if len(lowered) != len(text):  # a letter whose lowercase is longer («İ»): fold the runs one by one
        return _normalize_sparse(text, None)
    folded = lowered.translate(_ONE_TO_ONE)
    if not _HAS_INVISIBLE.search(mapped) and unicodedata.is_normalized("NFKC", mapped):
        return Normalized(folded)
    # «№», a ligature, a fullwidth digit, an accent: only those characters are folded one at a time.
    return _normalize_sparse(text, folded)


# Per character: None when folding it alone gives what the whole-string fast path gives (one
# character, same position), else its folded form — «№» → "no", "ﬁ" → "fi", "１" → "1", an
# invisible → "", a combining mark → _COMBINING. Filled lazily, one entry per distinct character seen.
_COMBINING = "\x00combining"
_SPECIAL: dict[str, str | None] = {}
# Characters that never need it (checked by the tests), skipped by one regex scan; any other is looked up.
_USUAL = "\t\n\r\x20-\x7e\u0400-\u045f«»—–„“”‘’"
_UNUSUAL = re.compile(f"[^{_USUAL}]")


def _special(char: str) -> str | None:
    if char in _SPECIAL:
        return _SPECIAL[char]
    if unicodedata.combining(char):
        folded: str | None = _COMBINING
    else:
        folded = _fold(char)
        # "Σ" is the one letter str.lower() folds by context (a word's final sigma): never in a run.
        if char != "Σ" and folded == char.translate(_ONE_TO_ONE).lower().translate(_ONE_TO_ONE) and len(folded) == 1:
            folded = None
    _SPECIAL[char] = folded
    return folded


def _normalize_sparse(text: str, folded_text: str | None) -> Normalized:
    """:func:`_normalize_slow`'s result, folding one character at a time only where a character needs it.

    The runs between such characters (nearly all of a text that merely holds a «№», a ligature or
    an accent) are slices of ``folded_text`` (the whole text folded one-to-one, when its length
    stayed) or folded as whole strings, and the offsets are built from ranges.
    """
    specials = [match.start() for match in _UNUSUAL.finditer(text) if _special(match.group()) is not None]
    pieces: list[str] = []
    segments: list[tuple[int, int, int]] = []
    length = last = 0
    for index in specials:
        if index > last:
            segments.append((length, last, 1))
            pieces.append(_run(text, folded_text, last, index))
            length += index - last
        last = index + 1
        char = text[index]
        folded = _SPECIAL[char]
        if folded is _COMBINING:
            composed = unicodedata.normalize("NFC", text[index - 1] + char) if index else ""
            if len(composed) == 1 and length and _origin(segments, length - 1) == index - 1:
                pieces[-1] = pieces[-1][:-1] + _fold(composed)  # "е" + U+0308 is "ё": fold the pair as one letter
            continue  # any other mark (a stress mark over a vowel: «возвра́т») is dropped, so the word stays whole
        if folded:
            segments.append((length, index, 0))
            pieces.append(folded)
            length += len(folded)
    if last < len(text):
        segments.append((length, last, 1))
        pieces.append(_run(text, folded_text, last, len(text)))
    return Normalized("".join(pieces), segments=tuple(segments))


def _origin(segments: list[tuple[int, int, int]], position: int) -> int:
    here, there, step = segments[-1]
    return there + (position - here) * step


def _shifted(tokens: Iterable[Token], normalized: Normalized) -> Iterator[Token]:
    """Tokens with spans in the original: one walk along the segments, as tokens come in order."""
    segments = normalized.segments or ()
    ends = [segment[0] for segment in segments[1:]] + [_MAX]
    current = 0
    for token in tokens:
        while ends[current] <= token.start:
            current += 1
        here, there, step = segments[current]
        if step and token.end <= ends[current]:  # inside one run: a constant shift
            if here == there:
                yield token
            else:
                shift = there - here
                yield Token(token.term, token.kind, token.start + shift, token.end + shift, token.surface)
        else:
            yield Token(token.term, token.kind, *normalized.span(token.start, token.end), token.surface)


def _run(text: str, folded_text: str | None, start: int, end: int) -> str:
    if folded_text is not None:
        return folded_text[start:end]
    return text[start:end].translate(_ONE_TO_ONE).lower().translate(_ONE_TO_ONE)


def _normalize_slow(text: str) -> Normalized:
    """The reference: every character folded on its own (what :func:`_normalize_sparse` must equal)."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.combining(char):
            composed = unicodedata.normalize("NFC", text[index - 1] + char) if index else ""
            if len(composed) == 1 and offsets and offsets[-1] == index - 1:
                chars[-1] = _fold(composed)  # "е" + U+0308 is "ё": fold the pair as one letter
            # Any other mark (a stress mark over a vowel: «возвра́т») is dropped, so the word stays whole.
            continue
        for folded in _fold(char):
            chars.append(folded)
            offsets.append(index)
    return Normalized("".join(chars), tuple(offsets))


def normalize(text: str) -> str:
    """The normalized form of ``text``.

    >>> normalize("Платёж\u00a0—\u200b8\u2011800")
    'платеж -8-800'
    """
    if _PLAIN.fullmatch(text):  # most words and queries: no offsets made (~2.0 → ~0.7 µs; ~40 calls a query)
        return text.lower().replace("ё", "е")
    return normalize_with_offsets(text).text


class Token(NamedTuple):
    """One indexable unit: ``term`` is what is indexed, ``start``/``end`` its span in the source.

    A named tuple rather than a dataclass: indexing makes one per word, and a
    tuple is built three times faster.
    """

    term: str
    kind: str  # "word", "latin", "number", "phone", "email", "domain", "time"
    start: int
    end: int
    surface: str = ""  # the normalized form as written


_TOKEN = re.compile(
    r"""
    (?P<email>[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})
  | (?P<domain>(?:https?://)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z]{2,}|рф)(?![\w@])(?:/[^\s,;!?()«»"']*[^\s,;.!?()«»"'])?)
  | (?P<phone>(?<![\d+])(?:
        (?:\+\s?7|8)[\s(-]{0,3}\d{3}[\s)-]{0,3}(?:\d[\s-]?){6}\d        # 8 800 100 0 800: any grouping after a prefix
      | 7?[\s(-]{0,3}\d{3}[\s)-]{0,3}\d{3}[\s-]?\d{2}[\s-]?\d{2}          # 800 555-35-35: the usual grouping
    )(?!\d))
  | (?P<time>(?<!\d)(?:[01]?\d|2[0-3]):[0-5]\d(?!\d))
  | (?P<number>\d+(?:[.,]\d+)?)
  | (?P<word>[^\W\d_]+(?:\d+[^\W\d_]*)*)
    """,
    re.VERBOSE,
)
_LATIN = re.compile(r"[a-z0-9]+")
# Text of Cyrillic letters, spaces and punctuation without a digit, a Latin letter, «@», «/», «+» or «_»: every
# token of it is a word, a run of its letters (what ``_TOKEN``'s other patterns need is not there).
_CYRILLIC_TEXT = re.compile(r"[а-яё \t\n\r.,!?:;«»()\"'-]*")
_CYRILLIC_RUN = re.compile(r"[а-яё]+")


def _canonical_phone(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    # The last ten digits are the number; 8, 7 and +7 are the same country prefix.
    return PHONE_COUNTRY_CODE + digits[-10:]


def tokenize(text: str) -> Iterator[Token]:
    """Tokens of already-normalized text, with spans in that text.

    >>> [t.term for t in tokenize("звоните 8 800 555-35-35 или пишите seller.ozon.ru")]
    ['звоните', '78005553535', 'или', 'пишите', 'seller.ozon.ru']
    """
    if _CYRILLIC_TEXT.fullmatch(text):  # most questions: no e-mail, domain, phone, time or number can start anywhere
        for match in _CYRILLIC_RUN.finditer(text):
            surface = match.group()
            yield Token(surface, "word", match.start(), match.end(), surface)
        return
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "word"
        surface = match.group()
        if kind == "phone":
            term = _canonical_phone(surface)
        elif kind == "domain":
            term = re.sub(r"^https?://", "", surface).rstrip("/")
        elif kind == "word" and _LATIN.fullmatch(surface):
            kind, term = "latin", surface
        else:
            term = surface
        yield Token(term, kind, match.start(), match.end(), surface)


class Analyzer:
    """The analysis chain as one reusable, thread-safe object.

    ``keep_negation`` keeps "не"/"нет"/"ни" although they are particles;
    ``all_lemmas`` indexes every lemma pymorphy3 proposes for an ambiguous word
    form instead of the best one only. ``stemmer`` is ``"pymorphy3"`` (lemmas,
    function words dropped: the default), or, as baselines to compare against,
    ``"snowball"`` (PyStemmer's Russian Snowball stems) or ``"none"`` (the
    normalized words as written); the baselines keep every word.

    >>> Analyzer().terms("Как оформить возвраты товаров?")
    ['оформить', 'возврат', 'товар']
    """

    steps = ("normalize", "tokenize", "lemmatize", "drop_function_words")

    def __init__(
        self,
        *,
        keep_negation: bool = False,
        all_lemmas: bool = False,
        stemmer: str = "pymorphy3",
        morphology: Morphology | None = None,
    ) -> None:
        if stemmer not in STEMMERS:
            raise ValueError(f"unknown stemmer {stemmer!r}; choose one of: {', '.join(STEMMERS)}")
        self.keep_negation = keep_negation
        self.all_lemmas = all_lemmas
        self.stemmer = stemmer
        self._morphology = morphology
        self._snowball: Any = None

    @property
    def morphology(self) -> Morphology:
        if self._morphology is None:
            self._morphology = shared_morphology()
        return self._morphology

    @property
    def settings(self) -> dict[str, object]:
        """What an index must record to be searched with an equal analyzer."""
        return {
            "keep_negation": self.keep_negation,
            "all_lemmas": self.all_lemmas,
            "stemmer": self.stemmer,
            "steps": list(self.steps),
        }

    def tokens(self, text: str) -> list[Token]:
        """Analysed tokens of ``text`` with spans in ``text`` itself."""
        normalized = normalize_with_offsets(text)
        tokens = self._lemmatize(tokenize(normalized.text))
        if normalized.offsets is None and normalized.segments is None:
            return list(tokens)
        if normalized.segments is not None:
            return list(_shifted(tokens, normalized))
        return [
            Token(token.term, token.kind, *normalized.span(token.start, token.end), token.surface) for token in tokens
        ]

    def terms(self, text: str) -> list[str]:
        """The indexed terms of ``text``, in order (duplicates kept: BM25 counts them)."""
        return [token.term for token in self._lemmatize(tokenize(normalize(text)))]

    def _lemmatize(self, tokens: Iterable[Token]) -> Iterator[Token]:
        if self.stemmer == "none":
            yield from tokens
            return
        if self.stemmer == "snowball":
            yield from self._stem(tokens)
            return
        morphology = self.morphology
        for token in tokens:
            if token.kind != "word":
                yield token
                continue
            lemma = morphology.lemma(token.term)
            if lemma.function_word and not (self.keep_negation and morphology.is_negation(token.term)):
                continue
            yield Token(lemma.lemma, "word", token.start, token.end, token.surface)
            if self.all_lemmas:
                for other in morphology.all_lemmas(token.term)[1:]:
                    yield Token(other, "word", token.start, token.end, token.surface)

    def _stem(self, tokens: Iterable[Token]) -> Iterator[Token]:
        if self._snowball is None:
            import Stemmer  # PyStemmer: only the baseline needs it

            self._snowball = Stemmer.Stemmer("russian")
        for token in tokens:
            yield token._replace(term=self._snowball.stemWord(token.term)) if token.kind == "word" else token

    def __repr__(self) -> str:
        options = f"stemmer={self.stemmer}, keep_negation={self.keep_negation}, all_lemmas={self.all_lemmas}"
        return f"Analyzer({' | '.join(self.steps)}; {options})"


# --- texts as the retrievers see them ----------------------------------------------------

WORD = re.compile(r"[^\W\d_][\w-]*")  # a word as written: what spelling correction can map onto
PARALLEL_MIN_PASSAGES = 5_000  # below this, starting worker processes costs more than it saves


@dataclass(frozen=True, slots=True)
class Analysed:
    """A text as the retrievers see it: its terms (lemmas, canonical tokens) and its words as written."""

    terms: tuple[str, ...]
    surface: str
    headings: tuple[str, ...] = ()  # terms of the section headings (passages only; a query uses its terms)
    question: tuple[str, ...] = ()  # terms of the question field: a FAQ entry's question, else the headings
    question_surface: str = ""  # the question field's words as written
    text: str = ""  # a query's text as searched (rewritten, punctuation kept): what a sentence encoder reads


def analyse_query(tokens: Sequence[Token]) -> Analysed:
    """Analysed tokens as one text: the terms, and the words as written (canonical tokens otherwise)."""
    return Analysed(tuple(t.term for t in tokens), " ".join(t.surface if t.kind == "word" else t.term for t in tokens))


def analyse_text(analyzer: Analyzer, text: str) -> Analysed:
    return analyse_query(analyzer.tokens(text))


def _analyse_fast(analyzer: Analyzer, text: str) -> Analysed:
    """``analyse_text`` for the default analyzer without a ``Token`` per word: what a build runs on every passage.

    Spans are not needed (a passage's terms and words as written), so neither are the offsets; the same
    regular expression, canonical forms and lemma cache, so the same terms and surface (tested).
    """
    morphology = analyzer.morphology
    cache, lemma_of = morphology._cache, morphology.lemma
    keep_negation = analyzer.keep_negation
    terms: list[str] = []
    surfaces: list[str] = []
    for match in _TOKEN.finditer(normalize(text)):
        kind = match.lastgroup
        surface = match.group()
        if kind == "word":
            if _LATIN.fullmatch(surface):
                terms.append(surface)
                surfaces.append(surface)
                continue
            lemma = cache.get(surface) or lemma_of(surface)
            if lemma.function_word and not (keep_negation and morphology.is_negation(surface)):
                continue
            terms.append(lemma.lemma)
            surfaces.append(surface)
            continue
        if kind == "phone":
            term = _canonical_phone(surface)
        elif kind == "domain":
            term = re.sub(r"^https?://", "", surface).rstrip("/")
        else:
            term = surface
        terms.append(term)
        surfaces.append(term)
    return Analysed(tuple(terms), " ".join(surfaces))


def analyse_passage(
    analyzer: Analyzer, passage: Passage, headings: dict[tuple[str, ...], Analysed] | None = None
) -> Analysed:
    """A passage is indexed with its section headings, which name what it is about.

    ``headings`` caches each section's analysed headings across the passages of a build.
    """
    text = "\n".join([*passage.section, passage.text])
    fast = analyzer.stemmer == "pymorphy3" and not analyzer.all_lemmas
    body = _analyse_fast(analyzer, text) if fast else analyse_text(analyzer, text)
    section = headings.get(passage.section) if headings is not None else None
    if section is None:
        joined = "\n".join(passage.section)
        section = Analysed(tuple(analyzer.terms(joined)), analyse_text(analyzer, joined).surface)
        if headings is not None:
            headings[passage.section] = section
    question = analyse_text(analyzer, passage.question) if passage.question else None
    if question is None:  # no FAQ question: the headings say what the passage answers, as a query would write them
        return Analysed(body.terms, body.surface, section.terms, section.terms, section.surface)
    return Analysed(body.terms, body.surface, section.terms, question.terms, question.surface)


def can_fork() -> bool:
    """Whether worker processes may be forked: no thread but this one (and tqdm's idle monitor).

    A forked copy of a thread holding a lock could deadlock, and "spawn" would re-import the
    caller's ``__main__``. tqdm starts its monitor thread with the first bar, even a disabled one
    (which is why the builds ran on one core until this check allowed it); it only sleeps, and a
    worker never touches tqdm.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    from tqdm._monitor import TMonitor

    main = threading.main_thread()
    return threading.current_thread() is main and all(
        thread is main or isinstance(thread, TMonitor) for thread in threading.enumerate()
    )


def analyse_passages(analyzer: Analyzer, passages: Sequence[Passage], *, progress: bool = False) -> list[Analysed]:
    """Every passage analysed, on both cores for a large corpus (each worker with its own pymorphy3)."""
    from tqdm.auto import tqdm  # progress bars only build: a serving process does not import tqdm

    bar = tqdm(total=len(passages), desc="analysing passages", unit="passage", disable=not progress)
    workers = min(os.cpu_count() or 1, 4)
    if len(passages) < PARALLEL_MIN_PASSAGES or workers < 2 or not can_fork():
        analysed = []
        headings: dict[tuple[str, ...], Analysed] = {}
        for passage in passages:
            analysed.append(analyse_passage(analyzer, passage, headings))
            bar.update()
        bar.close()
        return analysed
    chunks = [passages[start : start + 2_000] for start in range(0, len(passages), 2_000)]
    settings = {"keep_negation": analyzer.keep_negation, "all_lemmas": analyzer.all_lemmas, "stemmer": analyzer.stemmer}
    results: list[Analysed] = []
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        for chunk_result in pool.map(_analyse_chunk, itertools.repeat(settings), chunks):
            results.extend(chunk_result)
            bar.update(len(chunk_result))
    bar.close()
    return results


def _analyse_chunk(settings: dict[str, Any], passages: Sequence[Passage]) -> list[Analysed]:
    analyzer = Analyzer(**settings)
    headings: dict[tuple[str, ...], Analysed] = {}
    return [analyse_passage(analyzer, passage, headings) for passage in passages]
