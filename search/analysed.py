"""The build's analysis: documents chunked and analysed in worker processes into integer arrays.

    documents ─► (workers) chunk, normalize, tokenize: each passage's tokens as numbers into the batch's own table
              ─► (this process) merge the tables in document order, lemmatize each distinct word form once
              ─► AnalysedCorpus: per field, one flat array of token numbers and one of offsets (CSR)

A worker never lemmatizes: it numbers the raw tokens (the regular expression's
groups, which say the kind and the form as written) of its batch in order of first
occurrence, one dict lookup per token. This process merges the batches' tables in
document order as they arrive, decides each distinct token once (its lemma, or
dropped as a function word) and renumbers the batch's arrays with one gather. The
fields' numbers are in order of first occurrence over the whole corpus, so a
retriever's vocabulary is exactly what counting the passages one by one gives
(:meth:`AnalysedCorpus.numbered`), and the result is the same whatever the number
of workers or batches (tested).

Only the default analyzer (pymorphy3, best lemma) takes this path; the others are
analysed passage by passage (:func:`~search.analysis.analyse_passage`), into a plain list.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, overload

import numpy as np

from .analysis import _LATIN, _TOKEN, Analysed, Analyzer, _canonical_phone, analyse_passage, can_fork, normalize
from .corpus import Document
from .passages import Passage, chunk_document

__all__ = ["AnalysedCorpus", "FIELDS", "analyse_corpus", "can_fork", "concatenate"]

# body terms (the section headings and the text), the headings alone, the question field
# (a FAQ entry's question, else the headings). Surfaces share the tokens of their field.
FIELDS = ("terms", "headings", "question")
_SURFACES = {"surface": "terms", "question_surface": "question"}
PARALLEL_MIN_CHARACTERS = 2_000_000  # below this (~3,000 passages), starting workers costs more than it saves
BATCH_CHARACTERS = 1_000_000  # documents go to the workers in batches of about this much text

# A token as the regex found it: a word as written, or the regex's six groups (one non-empty) for any other kind.
RawToken = str | tuple[str, ...]
# Text without a digit or a Latin letter holds words only: the token regex's other kinds all need one.
_DIGIT_OR_LATIN = re.compile(r"[\da-z]")
_WORDS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class _Field:
    """One field of every passage: token numbers (first-occurrence order), and each token's term and surface."""

    ids: np.ndarray  # int32, every passage's tokens one after another
    indptr: np.ndarray  # int64, passage i is ids[indptr[i]:indptr[i + 1]]
    term_of: np.ndarray  # int32: token → index into AnalysedCorpus.strings
    surface_of: np.ndarray  # int32: token → index into AnalysedCorpus.strings


class AnalysedCorpus(Sequence[Analysed]):
    """Every passage's :class:`~search.analysis.Analysed` fields as integer arrays, not a tuple of strings each.

    It is still a sequence of :class:`Analysed` (made on demand), so anything fitted on a list of
    them takes it as well; the lexicon and the retrievers read :meth:`numbered` instead.
    """

    def __init__(self, strings: list[str], fields: dict[str, _Field]) -> None:
        self.strings = strings
        self._fields = fields

    def __len__(self) -> int:
        return int(self._fields["terms"].indptr.size - 1)

    @overload
    def __getitem__(self, index: int) -> Analysed: ...
    @overload
    def __getitem__(self, index: slice) -> list[Analysed]: ...
    def __getitem__(self, index: int | slice) -> Analysed | list[Analysed]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        body, question = self._strings("terms", index), self._strings("question", index)
        return Analysed(
            tuple(body[0]),
            " ".join(body[1]),
            tuple(self._strings("headings", index)[0]),
            tuple(question[0]),
            " ".join(question[1]),
        )

    def __iter__(self) -> Iterator[Analysed]:
        return (self[i] for i in range(len(self)))

    def _strings(self, name: str, row: int) -> tuple[list[str], list[str]]:
        field, strings = self._fields[name], self.strings
        tokens = field.ids[field.indptr[row] : field.indptr[row + 1]]
        return [strings[i] for i in field.term_of[tokens]], [strings[i] for i in field.surface_of[tokens]]

    def numbered(self, name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """A field (``terms``, ``headings``, ``question``, ``surface``, ``question_surface``) as column numbers.

        Returns every passage's column numbers (int32, one flat array), each passage's count
        of them, and the column → string list, numbered in order of first occurrence: what
        numbering the passages' strings one at a time with a dict gives, from two gathers.
        """
        field = self._fields[_SURFACES.get(name, name)]
        strings_of = field.surface_of if name in _SURFACES else field.term_of
        # The tokens are numbered in order of first occurrence; a string's first occurrence is its first token's.
        first = np.full(len(self.strings), strings_of.size, dtype=np.int64)
        np.minimum.at(first, strings_of, np.arange(strings_of.size, dtype=np.int64))
        present = np.flatnonzero(first < strings_of.size)
        order = present[np.argsort(first[present], kind="stable")]
        column = np.full(len(self.strings), -1, dtype=np.int32)
        column[order] = np.arange(order.size, dtype=np.int32)
        ids = column[strings_of][field.ids] if field.ids.size else np.zeros(0, dtype=np.int32)
        strings = self.strings
        return ids, np.diff(field.indptr), [strings[i] for i in order.tolist()]


# --- in the workers ------------------------------------------------------------------------

_BATCHES: list[list[Document]] = []  # set before forking: the workers read their batch from here


class _Tables:
    """A batch's token tables, one per field, each in order of first occurrence."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[RawToken, int]] = {name: {} for name in FIELDS}
        self.ids: dict[str, list[int]] = {name: [] for name in FIELDS}
        self.lengths: dict[str, list[int]] = {name: [] for name in FIELDS}

    def add(self, name: str, tokens: list[RawToken]) -> None:
        table = self.tables[name]
        setdefault = table.setdefault
        self.ids[name].extend([setdefault(token, len(table)) for token in tokens])
        self.lengths[name].append(len(tokens))


def _raw_tokens(text: str) -> list[RawToken]:
    normalized = normalize(text)
    if not _DIGIT_OR_LATIN.search(normalized):  # 4× faster than the full expression's six alternatives
        return _WORDS.findall(normalized)
    return [groups[5] or groups for groups in _TOKEN.findall(normalized)]


def _chunk_and_scan(batch: int, passage_words: tuple[int, int]) -> tuple[list[Passage], dict[str, Any]]:
    """One batch of documents: its passages (text left out: the caller has the documents) and token tables."""
    tables = _Tables()
    sections: dict[tuple[str, ...], list[RawToken]] = {}
    passages = []
    for document in _BATCHES[batch]:
        for passage in chunk_document(document, passage_words):
            tables.add("terms", _raw_tokens("\n".join([*passage.section, passage.text])))
            heading = sections.get(passage.section)
            if heading is None:
                heading = sections[passage.section] = _raw_tokens("\n".join(passage.section))
            tables.add("headings", heading)
            tables.add("question", _raw_tokens(passage.question) if passage.question else heading)
            # The text is a slice of the document: not sent back. Made just now: set in place (replace() is slow).
            object.__setattr__(passage, "text", "")
            passages.append(passage)
    scanned = {
        name: (
            list(tables.tables[name]),
            np.array(tables.ids[name], dtype=np.int32),
            np.array(tables.lengths[name], dtype=np.int64),
        )
        for name in FIELDS
    }
    return passages, scanned


# --- in this process -------------------------------------------------------------------------


class _Merger:
    """Batches' tables merged in order; each distinct raw token decided (lemmatized) once."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.morphology = analyzer.morphology
        self.keep_negation = analyzer.keep_negation
        self.strings: dict[str, int] = {}
        self.decided: dict[RawToken, tuple[int, int] | None] = {}
        self.tokens: dict[str, dict[RawToken, int]] = {name: {} for name in FIELDS}
        self.parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {name: [] for name in FIELDS}

    def _decide(self, token: RawToken) -> tuple[int, int] | None:
        """The (term, surface) a raw token is indexed as, or None for a function word: what ``analyse_text`` does."""
        if isinstance(token, str):
            email = domain = phone = _time = _number = ""
            word = token
        else:
            email, domain, phone, _time, _number, word = token
        if word and not _LATIN.fullmatch(word):
            lemma = self.morphology.lemma(word)
            if lemma.function_word and not (self.keep_negation and self.morphology.is_negation(word)):
                return None
            term, surface = lemma.lemma, word
        elif phone:
            term = surface = _canonical_phone(phone)
        elif domain:
            term = surface = re.sub(r"^https?://", "", domain).rstrip("/")
        else:
            term = surface = email or _time or _number or word
        strings = self.strings
        return strings.setdefault(term, len(strings)), strings.setdefault(surface, len(strings))

    def add(self, scanned: dict[str, Any]) -> None:
        decided, decide = self.decided, self._decide
        for name in FIELDS:
            table, ids, lengths = scanned[name]
            tokens = self.tokens[name]
            get = tokens.get
            numbers_of = [get(token, -2) for token in table]
            for local, number in enumerate(numbers_of):
                if number == -2:  # new to this field: numbered in order of first occurrence, unless dropped
                    token = table[local]
                    if token not in decided:
                        decided[token] = decide(token)
                    numbers_of[local] = -1 if decided[token] is None else tokens.setdefault(token, len(tokens))
            mapping = np.array(numbers_of, dtype=np.int32)
            numbers = mapping[ids] if ids.size else ids
            kept = numbers >= 0
            # Each passage's count of kept tokens, from the running count at its bounds.
            running = np.zeros(kept.size + 1, dtype=np.int64)
            np.cumsum(kept, out=running[1:])
            bounds = np.zeros(lengths.size + 1, dtype=np.int64)
            np.cumsum(lengths, out=bounds[1:])
            self.parts[name].append((numbers[kept], np.diff(running[bounds])))

    def corpus(self) -> AnalysedCorpus:
        fields = {}
        for name in FIELDS:
            parts = self.parts[name]
            ids = np.concatenate([ids for ids, _ in parts]) if parts else np.zeros(0, dtype=np.int32)
            lengths = np.concatenate([lengths for _, lengths in parts]) if parts else np.zeros(0, dtype=np.int64)
            indptr = np.zeros(lengths.size + 1, dtype=np.int64)
            np.cumsum(lengths, out=indptr[1:])
            pairs = [self.decided[token] for token in self.tokens[name]]
            term_of = np.array([pair[0] for pair in pairs], dtype=np.int32)  # type: ignore[index]
            surface_of = np.array([pair[1] for pair in pairs], dtype=np.int32)  # type: ignore[index]
            fields[name] = _Field(ids.astype(np.int32, copy=False), indptr, term_of, surface_of)
        return AnalysedCorpus(list(self.strings), fields)


def _batches(documents: Sequence[Document]) -> list[list[Document]]:
    batches: list[list[Document]] = [[]]
    size = 0
    for document in documents:
        if size >= BATCH_CHARACTERS:
            batches.append([])
            size = 0
        batches[-1].append(document)
        size += len(document.text)
    return batches


def analyse_corpus(
    analyzer: Analyzer,
    documents: Sequence[Document],
    passage_words: tuple[int, int],
    *,
    progress: bool = False,
    workers: int | None = None,
    texts: bool = True,
) -> tuple[list[Passage], Sequence[Analysed]]:
    """Every document chunked into passages and every passage analysed, on all cores for a large corpus.

    Returns the passages, in document order, and their analysed fields: an
    :class:`AnalysedCorpus` for the default analyzer, else a list of :class:`Analysed`.
    ``texts=False`` leaves the passages' text out ("", offsets only): at a million texts the
    copies would be another ~0.7 GB, and the index keeps offsets anyway.
    """
    from tqdm.auto import tqdm  # progress bars only build: a serving process does not import tqdm

    if analyzer.stemmer != "pymorphy3" or analyzer.all_lemmas:
        passages = [passage for document in documents for passage in chunk_document(document, passage_words)]
        headings: dict[tuple[str, ...], Analysed] = {}
        analysed = [analyse_passage(analyzer, passage, headings) for passage in tqdm(passages, disable=not progress)]
        return passages if texts else [replace(passage, text="") for passage in passages], analysed
    global _BATCHES
    workers = min(os.cpu_count() or 1, 4) if workers is None else workers
    total = sum(len(document.text) for document in documents)
    parallel = workers > 1 and total >= PARALLEL_MIN_CHARACTERS and can_fork()
    merger = _Merger(analyzer)
    passages: list[Passage] = []
    bar = tqdm(total=len(documents), desc="chunking and analysing", unit="document", disable=not progress)
    _BATCHES = _batches(documents)
    try:
        if parallel:
            context = multiprocessing.get_context("fork")
            with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
                done = pool.map(_chunk_and_scan, range(len(_BATCHES)), [passage_words] * len(_BATCHES))
                for batch, (made, scanned) in enumerate(done):
                    _collect(passages, made, _BATCHES[batch], texts, merger, scanned, bar)
        else:
            for batch in range(len(_BATCHES)):
                made, scanned = _chunk_and_scan(batch, passage_words)
                _collect(passages, made, _BATCHES[batch], texts, merger, scanned, bar)
    finally:
        _BATCHES = []
        bar.close()
    return passages, merger.corpus()


def _collect(
    passages: list[Passage],
    made: list[Passage],
    batch: list[Document],
    texts: bool,
    merger: _Merger,
    scanned: dict[str, Any],
    bar: Any,
) -> None:
    if texts:
        text_of = {document.id: document.text for document in batch}
        for passage in made:  # unpickled here, seen by no one yet: its text put back in place (replace() is 20× slower)
            object.__setattr__(passage, "text", text_of[passage.doc_id][passage.start : passage.end])
    passages.extend(made)
    bar.update(len(batch))
    merger.add(scanned)


def concatenate(parts: Sequence[AnalysedCorpus]) -> AnalysedCorpus:
    """Corpora analysed apart (a distributed build's partitions), as one, in their order.

    Equal, field by field (:meth:`AnalysedCorpus.numbered`), to analysing their passages
    together: each part's strings are renumbered into one table, and its tokens keep their
    numbers after the previous parts' tokens. A raw token met in two parts gets two numbers
    mapped to the same strings, so tokens stay numbered in order of first occurrence, which
    is all ``numbered`` reads.
    """
    strings: dict[str, int] = {}
    renumbered = []
    for part in parts:
        setdefault = strings.setdefault
        renumbered.append(np.fromiter((setdefault(s, len(strings)) for s in part.strings), np.int32, len(part.strings)))
    fields = {}
    for name in FIELDS:
        ids, lengths, term_of, surface_of = [], [], [], []
        offset = 0
        for part, renumber in zip(parts, renumbered, strict=True):
            field = part._fields[name]
            ids.append(field.ids.astype(np.int64) + offset)
            lengths.append(np.diff(field.indptr))
            term_of.append(renumber[field.term_of])
            surface_of.append(renumber[field.surface_of])
            offset += field.term_of.size
        if offset > np.iinfo(np.int32).max:
            raise OverflowError("more distinct tokens across the partitions than int32 numbers them")
        indptr = np.zeros(sum(piece.size for piece in lengths) + 1, dtype=np.int64)
        if lengths:
            np.cumsum(np.concatenate(lengths), out=indptr[1:])

        def joined(pieces: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(pieces).astype(np.int32) if pieces else np.zeros(0, dtype=np.int32)

        fields[name] = _Field(joined(ids), indptr, joined(term_of), joined(surface_of))
    return AnalysedCorpus(list(strings), fields)
