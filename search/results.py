"""What a search returns: hits that cite their source, and facts about the query as a whole."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, overload

from .passages import Passage

__all__ = ["Correction", "Hit", "QueryInfo", "RetrieverScore", "SearchResults"]


@dataclass(frozen=True, slots=True)
class RetrieverScore:
    """One retriever's opinion of a hit: its 1-based rank and raw score."""

    rank: int
    score: float


_set_rank, _set_score = RetrieverScore.rank.__set__, RetrieverScore.score.__set__  # type: ignore[attr-defined]


def retriever_score(rank: int, score: float) -> RetrieverScore:
    """``RetrieverScore(rank, score)`` without the frozen dataclass's ``__init__`` (~1.2 → ~0.5 µs): the annotate
    stage makes ~60 a query, each hit's place in each of six rankings."""
    made = object.__new__(RetrieverScore)
    _set_rank(made, rank)
    _set_score(made, score)
    return made


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked passage.

    ``highlights`` are ``(start, end)`` spans in ``text`` of every word whose
    term matched a query term (any word form of a matched lemma);
    ``retrievers`` holds each retriever's rank and score for people who tune
    relevance.
    """

    passage: Passage
    score: float
    rank: int
    retrievers: dict[str, RetrieverScore] = field(default_factory=dict)
    highlights: tuple[tuple[int, int], ...] = ()
    matched_terms: tuple[str, ...] = ()
    answer_span: tuple[int, int] = (0, 0)

    @property
    def answer(self) -> str:
        """The sentence or list item of the passage that best answers the query: an exact substring of ``text``."""
        start, end = self.answer_span
        return self.passage.text[start:end]

    @property
    def passage_id(self) -> str:
        return self.passage.id

    @property
    def doc_id(self) -> str:
        return self.passage.doc_id

    @property
    def title(self) -> str:
        return self.passage.title

    @property
    def section(self) -> str:
        """The section's heading chain, "Раздел › Подраздел"."""
        return self.passage.section_title

    @property
    def text(self) -> str:
        return self.passage.text

    @property
    def lines(self) -> tuple[int, int]:
        return self.passage.lines

    @property
    def audience(self) -> tuple[str, ...]:
        return self.passage.audience

    @property
    def citation(self) -> str:
        return self.passage.citation

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "passage_id": self.passage_id,
            "doc_id": self.doc_id,
            "title": self.title,
            "section": list(self.passage.section),
            "lines": list(self.lines),
            "audience": list(self.audience),
            "citation": self.citation,
            "score": self.score,
            "retrievers": {name: asdict(score) for name, score in self.retrievers.items()},
            "matched_terms": list(self.matched_terms),
            "highlights": [list(span) for span in self.highlights],
            "answer": self.answer,
            "text": self.text,
        }


# each field's slot setter, in the fields' order (``Hit.__slots__``)
_set_passage, _set_hit_score, _set_hit_rank, _set_retrievers, _set_highlights, _set_matched, _set_answer = (
    getattr(Hit, name).__set__
    for name in Hit.__slots__  # type: ignore[attr-defined]
)


def make_hit(
    passage: Passage,
    score: float,
    rank: int,
    retrievers: dict[str, RetrieverScore],
    highlights: tuple[tuple[int, int], ...],
    matched_terms: tuple[str, ...],
    answer_span: tuple[int, int],
) -> Hit:
    """``Hit(...)`` of every field, without the frozen dataclass's ``__init__`` (~0.7 → ~0.4 µs): the annotate
    stage makes ten a query."""
    made = object.__new__(Hit)
    _set_passage(made, passage)
    _set_hit_score(made, score)
    _set_hit_rank(made, rank)
    _set_retrievers(made, retrievers)
    _set_highlights(made, highlights)
    _set_matched(made, matched_terms)
    _set_answer(made, answer_span)
    return made


@dataclass(frozen=True, slots=True)
class Correction:
    """One change a query-rewriting step made: which step, what it changed, into what."""

    step: str
    original: str
    replacement: str


@dataclass(frozen=True, slots=True)
class QueryInfo:
    """The query as the engine understood it."""

    original: str
    rewritten: str
    terms: tuple[str, ...] = ()
    corrections: tuple[Correction, ...] = ()
    truncated: bool = False
    expansions: tuple[str, ...] = ()  # terms added from the thesaurus, searched with a lower weight
    missing: tuple[str, ...] = ()  # topic words of the query that no document uses

    @property
    def changed(self) -> bool:
        """Whether the words searched differ from the words typed (the page offers the original)."""
        return self.rewritten != self.original[: len(self.rewritten)]


class SearchResults(Sequence[Hit]):
    """Hits, best first, plus what is known about the query as a whole.

    Behaves as a list of :class:`Hit`. ``confidence`` is the calibrated
    probability (0–1) that the documents answer the query, and ``answered``
    says whether it reaches the decision threshold (:mod:`search.decision`);
    when it is false the hits are only the closest passages. ``coverage`` is
    the IDF-weighted share (0–1) of the query the best passages hold.
    ``elapsed_ms`` is the time the search took.
    """

    def __init__(
        self,
        hits: Sequence[Hit],
        query: QueryInfo,
        *,
        retriever: str,
        answered: bool,
        confidence: float | None = None,
        coverage: float = 0.0,
        elapsed_ms: float = 0.0,
        conflicts: Sequence[Any] = (),
        short_answer: Hit | None = None,
    ) -> None:
        self._hits = tuple(hits)
        self.query = query
        self.retriever = retriever
        self.answered = answered
        # The probability that the documents answer the query; ``answered`` is it against the model's threshold.
        self.confidence = float(answered) if confidence is None else confidence
        self.coverage = coverage
        self.elapsed_ms = elapsed_ms
        self.conflicts = tuple(conflicts)
        # The hit whose answer sentence is the «Краткий ответ»: the first, unless it states only a fact its own
        # document calls outdated while one of the ten best passages states a current one (then maybe ranked > k).
        self.short_answer = short_answer if short_answer is not None else (self._hits[0] if self._hits else None)

    @overload
    def __getitem__(self, index: int) -> Hit: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Hit]: ...
    def __getitem__(self, index: int | slice) -> Hit | Sequence[Hit]:
        return self._hits[index]

    def __len__(self) -> int:
        return len(self._hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self._hits)

    def __repr__(self) -> str:
        return (
            f"SearchResults({self.query.original!r}, {len(self)} hits, "
            f"confidence={self.confidence:.2f}, answered={self.answered})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "query": {
                "original": self.query.original,
                "rewritten": self.query.rewritten,
                "terms": list(self.query.terms),
                "corrections": [asdict(c) for c in self.query.corrections],
                "truncated": self.query.truncated,
                "expansions": list(self.query.expansions),
                "missing": list(self.query.missing),
            },
            "retriever": self.retriever,
            "answered": self.answered,
            "confidence": round(self.confidence, 4),
            "coverage": round(self.coverage, 4),
            "elapsed_ms": round(self.elapsed_ms, 3),
            "conflicts": [c.to_json() if hasattr(c, "to_json") else c for c in self.conflicts],
            "short_answer": self.short_answer.to_json() if self.short_answer is not None else None,
            "hits": [hit.to_json() for hit in self],
        }
