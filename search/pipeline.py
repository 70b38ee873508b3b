"""The query side: one ordered list of named stages.

    query ─► understand ─► retrieve ─► fuse ─► decide ─► annotate ─► SearchResults

Each stage is an object with a ``name`` that takes the search as the
previous stage left it and returns it with its own part filled in; no stage
reaches back into an earlier one. :meth:`Pipeline.default` is the one place
that lists them. Annotation (highlights, the answer sentence, conflicts) runs
only on the hits returned.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from functools import partial
from typing import ClassVar, NamedTuple

import numpy as np

from .alignment import Credits, shipped_bridge
from .analysis import Analysed, Analyzer, Token, analyse_query
from .answers import (
    FACT_KINDS,
    AnswerQuery,
    Conflict,
    Fact,
    Units,
    answer_kinds,
    best_answer,
    conflicts_for,
    extract_facts,
    passage_units,
    sentence_spans,
    terms_read,
)
from .arrays import HeldTable
from .cascade import GATE_COLUMNS, Gate, candidate_features, gate_features, shipped_gate
from .decision import ConfidenceModel, decision_features
from .fusion import HYBRID, LEARNED, reciprocal_rank_fusion
from .index import Index
from .lang import INVISIBLE
from .passages import Passage
from .query import TEXT_STEPS, NoAnswerRule, QueryRewriter, Thesaurus, query_coverage, synonym_links
from .recent import Recent
from .rerank import (
    DEPTH,
    MEANING_SOURCES,
    RETRIEVER_FEATURES,
    Candidates,
    Reranker,
    features,
    field_postings,
    gather,
    meaning_partners,
    question_mass,
    shipped_reranker,
    shipped_rerankers,
    with_meaning,
)
from .results import Correction, Hit, QueryInfo, RetrieverScore, SearchResults, make_hit, retriever_score
from .retrievers import JointScores, Retriever, share_cuts, top_k
from .vocabulary import Vocabulary

__all__ = ["HYBRID", "REWRITE_STEPS", "Pipeline", "Request", "Search", "Stage", "fused_weights"]

SYNONYMS = Thesaurus.step  # the rewriting step that runs on lemmas, after analysis
REWRITE_STEPS = (*TEXT_STEPS, SYNONYMS)  # every rewriting step, in the order they run

_NO_INVISIBLES = dict.fromkeys(map(ord, INVISIBLE))
# Emoji and pictographs (misc symbols, dingbats, the emoji planes, the emoji variation selector): never a word.
_PICTOGRAPHS = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f]")
Ranking = tuple[np.ndarray, np.ndarray]  # passage indices, best first, and their scores
_EMPTY = np.empty(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Request:
    """What the caller asked, checked: the query, how many hits, which ranking, which passages, which steps."""

    query: str
    k: int
    retriever: str
    retrievers: tuple[str, ...]  # the retrievers that rank: all the fusion weighs, or the one asked for
    depth: int  # how many passages each of them returns
    allowed: np.ndarray | None
    steps: frozenset[str]


@dataclass(frozen=True, slots=True)
class Understood:
    """A query as searched."""

    info: QueryInfo
    tokens: list[Token]
    terms: tuple[str, ...]  # the user's own terms
    own: Analysed  # the user's terms and the synonyms that stand in for unknown words: full weight
    added: Analysed  # synonyms of words the documents use: ``Fusion.synonyms_weight``


@dataclass(frozen=True)
class Search:
    """A search on its way through the stages; each fills in its own fields."""

    request: Request
    started: float
    understood: Understood | None = None
    ranked: Mapping[str, Ranking] = field(default_factory=dict)
    full: Mapping[str, np.ndarray] = field(default_factory=dict)  # the learned ranking: each retriever's every score
    tops: Mapping[str, np.ndarray] = field(default_factory=dict)  # and its best ``depth`` passages above 0
    order: np.ndarray = field(default_factory=lambda: _EMPTY)
    scores: np.ndarray = field(default_factory=lambda: np.empty(0))
    # The fusion's ranking (order, scores), kept when the learned ranking reorders: the decide stage reads it.
    fused: tuple[np.ndarray, np.ndarray] | None = None
    coverage: float = 0.0
    guess: bool = False  # the nearest passages by n-grams, found when nothing matched: never an answer
    missing: tuple[str, ...] = ()
    confidence: float = 0.0
    answered: bool = False
    hits: Sequence[Hit] = ()
    short_answer: Hit | None = None  # whose answer sentence answers best: never an outdated fact over a current one
    conflicts: Sequence[Conflict] = ()

    @property
    def query(self) -> Understood:
        if self.understood is None:
            raise RuntimeError("the understand stage has not run")
        return self.understood

    @classmethod
    def begin(cls, request: Request, started: float) -> Search:
        """``Search(request, started)``, every other field its default (each factory called anew), without the
        frozen dataclass's ``__init__`` over its 18 fields (~9 → ~2 µs; one a query)."""
        made = object.__new__(cls)
        values = made.__dict__
        values["request"], values["started"] = request, started
        for name, default, factory in _SEARCH_LATER_FIELDS:
            values[name] = default if factory is MISSING else factory()
        return made

    def but(self, **changes: object) -> Search:
        """The search with ``changes`` made, as ``dataclasses.replace`` makes it without running ``__init__`` on
        every field again (~12 µs → ~2 µs; each stage makes one). The fields are checked by ``issuperset``, which
        makes no set of the unknown ones unless there are some (0.35 → 0.17 µs)."""
        if not _SEARCH_FIELDS.issuperset(changes):
            raise TypeError(f"a search has no fields {sorted(changes.keys() - _SEARCH_FIELDS)}")
        changed = object.__new__(type(self))
        changed.__dict__.update(self.__dict__)
        changed.__dict__.update(changes)
        return changed


_SEARCH_FIELDS = frozenset(f.name for f in fields(Search))
# Each field after ``request`` and ``started``, in order: (name, default, default factory), for ``Search.begin``.
_SEARCH_LATER_FIELDS = tuple((f.name, f.default, f.default_factory) for f in fields(Search)[2:])


# The corpus words (most frequent first) whose lemmas the pipeline parses when it opens: the embedded corpus's
# ~2,300 in ~30 ms; a large corpus's rarer words are parsed when first met, as before.
WARM_WORDS = 5_000
WARM_CREDITS = 4_000_000  # passages × meaning columns × terms whose credits are made when the pipeline opens (32 MB)
# The language's most frequent words (the spelling index's, three letters or more) parsed when the pipeline opens
# with its one- and two-letter words (~5 + ~5 ms): in most questions, in no corpus vocabulary (function words are
# not indexed), they were parsed by the first question to use each.
LANGUAGE_WARM_WORDS = 400
PASSAGES_READ = 2048  # shown passages whose sentences, tokens and facts a process keeps: the hits of recent queries
# An index of up to this many passages (with readings stored at build) has them all read when the pipeline opens
# (~0.2 ms each): a first pass of a hundred questions shows nearly every one of a small corpus's passages anyway.
READ_AHEAD = 256
ANSWERS_KEPT = 4096  # answer sentences of (query terms, passage) pairs a process keeps: the hits of recent queries
# The stages whose output is a function of the understood query and the request's ranking alone (not of the words
# as typed): what one reading of a query gets, whichever way it was typed.
RANKING_STAGES = ("retrieve", "fuse", "rerank")
RANKING_FIELDS = ("ranked", "order", "scores", "fused", "guess")  # what they hand on that later stages read
RANKINGS_KEPT = 16 * 2**20  # bytes of recent rankings a pipeline keeps (~10 KB each for the embedded corpus)


# A passage as conflicts_for reads it: its tokens, sentence spans and terms (with their Cyrillic readings).
ConflictReading = tuple[list[Token], list[tuple[int, int]], Collection[str]]


class Reading(NamedTuple):
    """A passage as the decide and annotate stages read it; none of it depends on the query."""

    tokens: list[Token]
    sentences: list[tuple[int, int]]
    units: Units
    where: dict[str, tuple[int, ...]]  # each term's tokens (their positions in ``tokens``), for the highlights
    bounds: list[tuple[int, int]]  # each token's (start, end): a highlight
    terms: list[str]  # each token's term


class PassageReadings(Recent[Reading]):
    """A shown passage's tokens, sentences and sentence units, read once while it is recent: the decide stage
    (its sentence features) and the annotate stage (highlights, answer sentence) read the same passages.
    With ``index``'s stored readings (a small corpus's, made at build time) the tokens and sentences come from
    them instead of analysing the text again."""

    def __init__(self, analyzer: Analyzer, size: int = PASSAGES_READ, index: Index | None = None) -> None:
        super().__init__(size)
        self.analyzer = analyzer
        self.stored = index.readings if index is not None else None
        self.passages = index.passages if index is not None else None
        self.ahead: list[Reading] | None = None  # every passage's, by its index, once read ahead (Annotate)

    def read(self, passage: Passage) -> Reading:
        return self.get(passage.id, lambda: self._read(passage))

    def _read(self, passage: Passage) -> Reading:
        if self.stored is not None:
            tokens, sentences = self.stored.read(self.passages.position(passage.id))  # type: ignore[union-attr]
        else:
            tokens, sentences = self.analyzer.tokens(passage.text), sentence_spans(passage.text)
        where: dict[str, list[int]] = {}
        for number, token in enumerate(tokens):
            where.setdefault(token.term, []).append(number)
        return Reading(
            tokens,
            sentences,
            passage_units(sentences, tokens),
            {t: tuple(found) for t, found in where.items()},
            [(token.start, token.end) for token in tokens],
            [token.term for token in tokens],
        )


class Stage(ABC):
    """One step of the query side: takes the search so far, returns it with its own part done."""

    name: ClassVar[str]

    @abstractmethod
    def __call__(self, search: Search) -> Search: ...

    def __repr__(self) -> str:
        return self.name


class Understand(Stage):
    """Cut, rewrite (layout, transliteration, spelling), analyse, expand with synonyms."""

    name: ClassVar[str] = "understand"

    def __init__(self, index: Index, analyzer: Analyzer) -> None:
        self.index, self.analyzer = index, analyzer
        self.lexicon = index.lexicon
        self.thesaurus = Thesaurus.from_text(index.synonyms, analyzer)
        # The thesaurus's one-word phrases («лк», «пвз», «фбо») are words of the language here: «lk» in a
        # transliterated query reads as «лк», and spelling leaves them alone.
        vocabulary = Vocabulary(
            index.lexicon.words,
            analyzer.morphology.is_known,
            morphology=analyzer.morphology,
            jargon=self.thesaurus.words,
            spelling=index.spelling,
            # The lexicon's terms are the corpus's lemmas under pymorphy3: no need to lemmatize every word again
            lemmas=index.lexicon.vocabulary if index.config.stemmer == "pymorphy3" else None,
        )
        # Real-word typos are judged by the best passage of the first retriever the fusion weighs.
        self.ranker = index.retrievers[next(iter(fused_weights(index)))]
        self.rewriter = QueryRewriter(vocabulary, coverage=self._best_passage_coverage)
        self.max_chars = index.config.max_query_chars
        if analyzer.stemmer == "pymorphy3":
            language = index.spelling.most_frequent(LANGUAGE_WARM_WORDS) if index.spelling is not None else []
            analyzer.morphology.warm([*analyzer.morphology.short_words(), *language])

    steps: ClassVar[tuple[str, ...]] = REWRITE_STEPS

    def __call__(self, search: Search) -> Search:
        query, steps = search.request.query, search.request.steps
        # Invisible characters and emoji mean nothing to a search (the analyzer drops them too): the rewriter
        # must not see them, or «пороль?,\u200b» and «стдии😀» are left uncorrected where «пороль?,» is corrected.
        text = _PICTOGRAPHS.sub(" ", query[: self.max_chars].translate(_NO_INVISIBLES))
        corrections: tuple[Correction, ...] = ()
        alongside: tuple[tuple[str, str], ...] = ()
        if steps - {SYNONYMS}:
            rewritten = self.rewriter.rewrite(text, steps)
            text, corrections, alongside = rewritten.text, rewritten.corrections, rewritten.alongside
        tokens = self.analyzer.tokens(text)
        analysed = analyse_query(tokens)
        standins: tuple[str, ...] = ()
        extras: tuple[str, ...] = ()
        if SYNONYMS in steps:
            _, synonyms = self.thesaurus.expand(analysed.terms)
            # «ozon» stays in a transliterated query (the corpus writes it so), and its reading «озон»,
            # which the corpus uses too, is searched alongside it, as a synonym would be
            synonyms += [
                Correction(SYNONYMS, " ".join(self.analyzer.terms(word)), " ".join(self.analyzer.terms(russian)))
                for word, russian in alongside
            ]
            corrections += tuple(synonyms)
            standins, extras = self._split_expansions(synonyms)
        info = QueryInfo(
            original=query,
            rewritten=text,
            terms=analysed.terms,
            corrections=corrections,
            truncated=len(query) > self.max_chars,
            expansions=standins + extras,
        )
        own = Analysed(analysed.terms + standins, " ".join([analysed.surface, *standins]), text=text)
        understood = Understood(info, tokens, analysed.terms, own, Analysed(extras, " ".join(extras)))
        return search.but(understood=understood)

    def _best_passage_coverage(self, text: str) -> float:
        """The IDF-weighted share of ``text``'s terms that its best passage holds (0 without one)."""
        terms = tuple(self.analyzer.terms(text))
        if not terms:
            return 0.0
        rows, _ = self.ranker.top(Analysed(terms, " ".join(terms)), 1)
        if not rows.size:
            return 0.0
        present = {term for term in terms if term in self.lexicon and self.lexicon.contains(term, rows)[0]}
        return query_coverage(terms, present, self.lexicon.idf_of, {})

    def _split_expansions(self, synonyms: Sequence[Correction]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Synonyms of a word the documents never use stand in for it at full weight ("лк" → личный кабинет);
        synonyms of a word they do use only add to it."""
        standins: dict[str, None] = {}
        extras: dict[str, None] = {}
        for correction in synonyms:
            unknown = not any(term in self.lexicon for term in correction.original.split())
            for term in correction.replacement.split():
                (standins if unknown else extras).setdefault(term, None)
        return tuple(standins), tuple(t for t in extras if t not in standins)


class Retrieve(Stage):
    """Each retriever's own best passages; synonyms of known words add at a lower weight."""

    name: ClassVar[str] = "retrieve"

    def __init__(self, retrievers: Mapping[str, Retriever], synonyms_weight: float) -> None:
        self.retrievers, self.synonyms_weight = retrievers, synonyms_weight
        share_cuts(list(retrievers.values()))
        self._joint: JointScores | None | bool = False  # made by the first learned search (see ``joint``)

    @property
    def joint(self) -> JointScores | None:
        """A small index's postings retrievers scored together for the learned ranking's full vectors (one
        gather, see :class:`JointScores`); None for a large index. Made when first asked for (~1 ms here)."""
        if self._joint is False:
            self._joint = JointScores.of(self.retrievers)
        return self._joint  # type: ignore[return-value]

    def __call__(self, search: Search) -> Search:
        request, query = search.request, search.query
        if request.retriever == LEARNED:  # the re-ranker reads every score: computed once, ranked from them
            full, ranked, tops = {}, {}, {}
            joint = self.joint
            together = (
                joint.scores(
                    [name for name in request.retrievers if name in joint.retrievers],
                    query.own,
                    query.added if query.added.terms else None,
                    self.synonyms_weight,
                )
                if joint is not None
                else {}
            )
            for name in request.retrievers:
                values = together.get(name)
                if values is not None and request.allowed is not None:
                    values = np.where(request.allowed, values, 0.0)
                full[name], tops[name], ranked[name] = self.every_score(name, search, values)
            return search.but(ranked=ranked, full=full, tops=tops)
        ranked = {
            name: self._one(self.retrievers[name], query, request.depth, request.allowed) for name in request.retrievers
        }
        return search.but(ranked=ranked)

    def every_score(
        self, name: str, search: Search, values: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, Ranking]:
        """One retriever's every score (``values`` when already computed, the filter applied), its best ``depth``
        passages above 0 (the re-ranker's ranks) and its ranking above its floor: the learned ranking's view."""
        retriever, request = self.retrievers[name], search.request
        if values is None:
            values = self._scores(retriever, search.query, request.allowed)
        # Those above the retriever's floor are the first of its best passages (every score above it is above 0),
        # so one ranking serves both.
        tops = indices = top_k(values, request.depth)
        if retriever.min_score > 0:
            indices = indices[values[indices] > retriever.min_score]
        elif retriever.min_score < 0:
            indices = top_k(values, request.depth, retriever.min_score)
        return values, tops, (indices, values[indices])

    def _scores(self, retriever: Retriever, query: Understood, allowed: np.ndarray | None) -> np.ndarray:
        if query.added.terms:
            scores = retriever.scores_with(query.own, query.added, self.synonyms_weight)
        else:
            scores = retriever.scores(query.own)
        return scores if allowed is None else np.where(allowed, scores, 0.0)

    def _one(self, retriever: Retriever, query: Understood, depth: int, allowed: np.ndarray | None) -> Ranking:
        if not query.added.terms:
            return retriever.top(query.own, depth, allowed)
        scores = retriever.scores_with(query.own, query.added, self.synonyms_weight)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        indices = top_k(scores, depth, retriever.min_score)
        return indices, scores[indices]


def lexicon_held(index: Index) -> HeldTable:
    """Which passages hold each of the lexicon's terms (its postings), as a table for a small index."""
    lexicon = index.lexicon
    return HeldTable(lexicon.indptr, lexicon.indices, lexicon.vocabulary, lexicon.passages)


def learned_model(index: Index) -> Reranker | None:
    """The best shipped re-ranker whose retrievers the index holds; None when it lacks even the lexical ones."""
    return next((model for model in shipped_rerankers() if model.can_rank(index.retrievers)), None)


class Fuse(Stage):
    """Reciprocal rank fusion of the retrievers' rankings; one retriever's ranking as it is.

    The fusion never comes back empty while the query has a word: with no passage above the
    retrievers' thresholds, the nearest by character n-grams (or word vectors) are taken as a
    guess, which the decide stage never calls an answer («Как подрубить стримчанский?»).
    """

    name: ClassVar[str] = "fuse"
    GUESSERS: ClassVar[tuple[str, ...]] = ("chars", "question_chars", "semantic")  # nearest, in this order

    def __init__(self, weights: Mapping[str, float], k: float, retrievers: Mapping[str, Retriever]) -> None:
        self.weights, self.k, self.retrievers = weights, k, retrievers
        # the corpus's passages: a small corpus is fused in one vector of them all
        self.size = next(iter(retrievers.values())).size if retrievers else None

    def __call__(self, search: Search) -> Search:
        if search.request.retriever not in (HYBRID, LEARNED):
            order, scores = search.ranked[search.request.retriever]
        else:
            rankings = {n: i for n, (i, _) in search.ranked.items()}
            order, scores = reciprocal_rank_fusion(rankings, self.weights, self.k, self.size)
            if not order.size and search.query.own.surface.strip():
                return self._guess(search)
        return search.but(order=order, scores=scores)

    def _guess(self, search: Search) -> Search:
        for name in self.GUESSERS:
            if (retriever := self.retrievers.get(name)) is not None:
                values = retriever.scores(search.query.own)
                if search.request.allowed is not None:
                    values = np.where(search.request.allowed, values, 0.0)
                best = top_k(values, search.request.depth)
                if best.size:
                    return search.but(order=best, scores=values[best], guess=True)
        return search


class Rerank(Stage):
    """The learned ranking: a model over every retriever's view of the fused candidates (``"learned"`` only).

    The candidates are the union of each retriever's ``DEPTH`` best passages;
    the features (:mod:`search.rerank`) are their scores and ranks, query
    coverage in the text and in the FAQ question field, length and the
    unlearned fusion's score. Every other ranking passes through unchanged.

    With a ``first`` model and a ``gate`` (:mod:`search.cascade`), the first model (lexical) ranks first and
    ``model`` ranks again only when the gate is unsure of that ranking: the retrievers ``model`` reads beyond
    ``first``'s (the sentence encoder) are then computed here. With ``first`` and no gate, always.
    """

    name: ClassVar[str] = "rerank"

    def __init__(
        self,
        index: Index,
        model: Reranker | None,
        synonyms_weight: float,
        terms_held: HeldTable | None = None,
        *,
        first: Reranker | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.index, self.model, self.synonyms_weight = index, model, synonyms_weight
        self.first, self.gate = (first, gate) if model is not None else (None, None)
        # the retrievers the retrieve stage computes for every learned query, and those added when ``model`` ranks
        self.upfront = (self.first or model).retrievers if model is not None else frozenset()  # type: ignore[union-attr]
        later = model.retrievers - self.upfront if model is not None else frozenset()
        self.later = tuple(name for name in RETRIEVER_FEATURES if name in later)
        self._retrieve = Retrieve({name: index.retrievers[name] for name in self.later}, synonyms_weight)
        # Where the gate's columns stand in the first model's table, when it reads them all (read there, not made again)
        read = self.first.columns if self.first is not None else ()
        self._gate_at = np.array([read.index(c) for c in GATE_COLUMNS]) if set(GATE_COLUMNS) <= set(read) else None
        self.lengths = index.lexicon.lengths
        self.has_question = index.passages.has_question  # type: ignore[attr-defined]
        self._mass: np.ndarray | None = None  # question_recall's denominators, made on the first learned query
        self.terms_held = terms_held if terms_held is not None else lexicon_held(index)
        field = index.retrievers.get("question_bm25")
        self.question_held = (
            None if field is None else HeldTable(*field_postings(field), field.vocabulary_, self.lengths.size)
        )  # type: ignore[attr-defined]
        # The meaning columns the model reads, their partners and, for a small index, every term's credits: made
        # when the pipeline opens (~17 ms for the embedded corpus), so a query only reads them
        columns = () if model is None else (*model.columns, *(self.first.columns if self.first else ()))
        reads_bridge = any(source == "bridge" and name in columns for name, _, source in MEANING_SOURCES)
        bridge = shipped_bridge() if reads_bridge else None
        neighbours = None if index.neighbours is None else index.neighbours.partners_of(index.lexicon.vocabulary)
        self.meaning = meaning_partners(columns, neighbours, bridge)
        self._held = {"text": self._contains, "question": self._question_contains}
        self.credits = self._made_credits(bridge.terms if bridge is not None else ())

    def _question_mass(self) -> np.ndarray | None:
        """Every passage's Σ IDF of its question-field terms, when the model reads ``question_recall``."""
        field = self.index.retrievers.get("question_bm25")
        if self.model is None or "question_recall" not in self.model.columns or field is None:
            return None
        if self._mass is None:
            self._mass = question_mass(field, self.index.lexicon.idf_of)
        return self._mass

    def __call__(self, search: Search) -> Search:
        if search.request.retriever != LEARNED or self.model is None or search.guess or not search.full:
            return search  # a guess stays the nearest passages by n-grams, in their order
        if not search.order.size:  # nothing found and no guess (a filter hides it all): the encoder's nearest
            return search  # passages alone are no answer either
        candidates = self._candidates(search)
        if not len(candidates):
            return search.but(order=_EMPTY, scores=np.empty(0))
        if self.first is not None:
            table = features(candidates, self.first.columns)
            predicted = self.first.score_table(table)
            if self.gate is not None and self.gate.sure(self._gate_features(candidates, table, predicted)):
                return self._ranked(search, candidates, predicted)
            search = self._with_later(search)
            candidates = self._candidates(search)
        return self._ranked(search, candidates, self.model.score(candidates))

    def _gate_features(self, candidates: Candidates, table: np.ndarray, predicted: np.ndarray) -> np.ndarray:
        """The gate's features of the first model's ranking: its best candidate's columns read from its table."""
        if self._gate_at is None:
            return candidate_features(candidates, predicted)
        return gate_features(predicted, table[int(np.argmax(predicted)), self._gate_at])

    def _candidates(self, search: Search) -> Candidates:
        query = search.query
        candidates = gather(
            query.own,
            search.full,
            idf=self.index.lexicon.idf_of,
            contains=self._contains,
            question_contains=self._question_contains,
            lengths=self.lengths,
            has_question=self.has_question,
            question_mass=self._question_mass(),  # no ``allowed``: the retrieve stage's scores are masked already
            known=self.index.lexicon.__contains__,
            tops=search.tops if search.request.depth >= DEPTH else None,
        )
        if self.meaning and len(candidates):
            terms = list(dict.fromkeys(query.own.terms))
            candidates = with_meaning(candidates, terms, self.meaning, self._held, self.credits)
        return candidates

    def _with_later(self, search: Search) -> Search:
        """The search with the scores of :attr:`later` retrievers added, as the retrieve stage computes them."""
        full, tops, ranked = dict(search.full), dict(search.tops), dict(search.ranked)
        for name in self.later:
            full[name], tops[name], ranked[name] = self._retrieve.every_score(name, search)
        return search.but(full=full, tops=tops, ranked=ranked)

    @staticmethod
    def _ranked(search: Search, candidates: Candidates, predicted: np.ndarray) -> Search:
        best = np.lexsort((candidates.indices, -predicted))  # ties by position in the index
        return search.but(order=candidates.indices[best], scores=predicted[best], fused=(search.order, search.scores))

    def _made_credits(self, bridge_terms: Sequence[str]) -> Credits | None:
        """Every term's credits (:class:`Credits`) when the meaning columns' fields have small tables and they fit in
        :data:`WARM_CREDITS` numbers; else None (a query gathers its partners' postings)."""
        tables = {"text": self.terms_held, "question": self.question_held}
        if not self.meaning or any(tables[side] is None or not tables[side].small for _, side, _ in self.meaning):
            return None
        terms = [*self.index.lexicon.vocabulary, *bridge_terms]
        if self.lengths.size * len(self.meaning) * len(terms) > WARM_CREDITS:
            return None
        return Credits({name: (partners, tables[side]) for name, side, partners in self.meaning}, terms)

    def _contains(self, terms: Sequence[str], rows: np.ndarray) -> np.ndarray:
        return self.terms_held.held(terms, rows)

    def _question_contains(self, terms: Sequence[str], rows: np.ndarray) -> np.ndarray:
        if self.question_held is None:
            return np.zeros((rows.size, len(terms)), dtype=bool)
        return self.question_held.held(terms, rows)


class Decide(Stage):
    """How likely the documents answer the query (``confidence``, the calibrated model of
    :mod:`search.decision`), and whether to say they do: ``answered`` is ``confidence ≥`` the model's
    threshold, chosen on held-out folds for a false "no answer" rate of at most 3 % (a guess — nothing
    above the retrievers' thresholds — is never an answer). Coverage and the missing topic words are
    still reported: they are among the model's features, and the page explains a "no answer" with them."""

    name: ClassVar[str] = "decide"

    def __init__(
        self,
        index: Index,
        analyzer: Analyzer,
        model: ConfidenceModel | None = None,
        readings: PassageReadings | None = None,
        terms_held: HeldTable | None = None,
    ) -> None:
        self.lexicon, self.analyzer = index.lexicon, analyzer
        self.terms_held = terms_held if terms_held is not None else lexicon_held(index)
        self.rule = NoAnswerRule(min_coverage=index.config.min_coverage, depth=index.config.coverage_depth)
        self.model = model if model is not None else ConfidenceModel.default()
        self.weights, self.k = fused_weights(index), index.config.fusion.k
        self.passages = index.passages
        self.readings = readings if readings is not None else PassageReadings(analyzer, index=index)

    def _units(self, row: int) -> Units:
        """A passage's sentences with their terms, for the sentence features."""
        ahead = self.readings.ahead
        return (ahead[row] if ahead is not None else self.readings.read(self.passages[row])).units

    def __call__(self, search: Search) -> Search:
        coverage, missing, features = self.evidence(search)
        confidence = self.model.confidence(features)
        answered = self.model.answered(confidence) and not search.guess
        return search.but(coverage=coverage, missing=missing, confidence=confidence, answered=answered)

    def evidence(self, search: Search) -> tuple[float, tuple[str, ...], np.ndarray | None]:
        """Coverage by the best passages, the missing topic words, and the model's features (what training reads)."""
        query = search.query
        corrections = query.info.corrections
        # The decision reads the fusion's ranking under the learned one too: the confidence model's features
        # keep the meaning they were fitted with (read on the learned order, fewer unanswerable questions were
        # flagged: the re-ranker puts first the passage holding most of the query's words, answer or not).
        order, scores = search.fused if search.fused is not None else (search.order, search.scores)
        # Which of the best passages hold each term and synonym: the coverage and the features read it alike.
        candidates = {*query.terms, *(t for c in corrections if c.step == SYNONYMS for t in c.replacement.split())}
        rows = order[: max(self.rule.depth, 3)]
        held = self.terms_held.held_in(candidates, rows)
        depth = min(self.rule.depth, rows.size)
        present = {term for term, found in held.items() if True in found[:depth].tolist()}  # no numpy reduction a term
        coverage = (
            query_coverage(query.terms, present, self.lexicon.idf_of, synonym_links(corrections)) if depth else 0.0
        )
        expanded = {t for c in query.info.corrections if c.step == SYNONYMS for t in c.original.split()}
        missing = self.rule.missing_topics(query.tokens, self.lexicon.__contains__, self.analyzer.morphology, expanded)
        # The most a fused score can be: every retriever that ran ranks the passage first.
        best = sum(self.weights.get(name, 0.0) for name in search.ranked) / (self.k + 1)
        features = decision_features(
            query.terms,
            query.info.corrections,
            missing,
            self.lexicon,
            search.ranked,
            order,
            scores,
            best if search.request.retriever in (HYBRID, LEARNED) else None,
            self.analyzer.morphology.is_known,
            self._units,
            query_names(query),
            held,
        )
        return coverage, tuple(missing), features


class Annotate(Stage):
    """The hits shown: citations, per-retriever ranks, highlights, answer sentences; conflicting facts."""

    name: ClassVar[str] = "annotate"

    def __init__(
        self, index: Index, analyzer: Analyzer, synonyms_weight: float, readings: PassageReadings | None = None
    ) -> None:
        self.passages, self.lexicon, self.analyzer = index.passages, index.lexicon, analyzer
        self.synonyms_weight = synonyms_weight
        self.conflict_depth = index.config.conflict_depth
        self._facts_cache: Recent[list[Fact]] = Recent(PASSAGES_READ)
        self._terms_read: Recent[frozenset[str]] = Recent(PASSAGES_READ)
        # Each shown passage's answer sentence for the query's weighted terms and kinds asked: a reading of a question
        # typed another way shows the same passages for the same terms (a pure function of the three).
        self._answers: Recent[tuple[int, int]] = Recent(ANSWERS_KEPT)
        self.readings = readings if readings is not None else PassageReadings(analyzer, index=index)
        # After :meth:`read_ahead`, each passage with its reading and facts, by its index: one list item a hit
        # instead of the passage store's look-up and two memos' (~1 µs a hit, ten a query).
        self._read: list[tuple[Passage, Reading, list[Fact]]] | None = None
        # What conflicts_for reads of a passage (its facts; its tokens, sentences and terms): after the read-ahead,
        # one dict look-up each instead of the memos' (~1 µs a passage, ten a question that asks for a fact).
        self._conflict_sources: tuple[Callable[[Passage], list[Fact]], Callable[[Passage], ConflictReading]] = (
            self._facts,
            self._conflict_reading,
        )

    def __call__(self, search: Search) -> Search:
        query = search.query
        asked = answer_kinds(query.info.rewritten, query.terms)
        depth = max(search.request.k, self.conflict_depth)
        # A question for a kind of fact reads the answers of the best passages, whatever k is: an outdated
        # value is never the short answer while one of them states a current one.
        wants_fact = search.answered and any(kind in FACT_KINDS for kind in asked)
        annotated = self._hits(search, asked, depth if wants_fact else search.request.k)
        hits = [hit for hit, _ in annotated[: search.request.k]]
        conflicts: list[Conflict] = []
        short: Hit | None = hits[0] if hits else None
        if search.answered and hits:
            if wants_fact:  # best_answer reorders for an asked kind of fact only: else the first hit
                short = annotated[best_answer([(facts, hit.answer_span) for hit, facts in annotated], asked)][0]
            # The best passages, whatever k is, may speak for a value; the question decides which kinds count.
            # (the hits' own passages, read for them already, then any beyond them)
            considered = [hit.passage for hit, _ in annotated[:depth]]
            considered += [self.passages[i] for i in search.order[len(considered) : depth].tolist()]
            facts_of, reading_of = self._conflict_sources
            conflicts = conflicts_for(
                (*query.own.terms, *query.added.terms),
                query.info.rewritten,
                considered,
                self.analyzer,
                facts_of,
                reading_of,
                query.info.corrections,
                query.tokens,
            )
        return search.but(hits=hits, short_answer=short, conflicts=conflicts)

    def _conflict_reading(self, passage: Passage) -> ConflictReading:
        reading = self.readings.read(passage)
        # its terms with their Cyrillic readings, as conflicts_for reads them: made once per passage, not per query
        terms = self._terms_read.get(passage.id, lambda: terms_read(reading.where))
        return reading.tokens, reading.sentences, terms

    def _passage(self, index: int) -> tuple[Passage, Reading, list[Fact]]:
        """Passage ``index`` with its reading and facts."""
        if self._read is not None:
            return self._read[index]
        passage = self.passages[index]
        return passage, self.readings.read(passage), self._facts(passage)

    def _hits(self, search: Search, asked: frozenset[str], k: int) -> list[tuple[Hit, list[Fact]]]:
        """The first ``k`` hits, each with its passage's facts."""
        query = search.query
        order = search.order[:k].tolist()
        # Each hit's rank and score by every retriever that ranked it, in the retrievers' order: only the hits'
        # entries are read out of each ranking.
        # (A ranking lists each passage once: ``list.index`` finds a hit's place in C, where a Python walk over
        # every ranking's ~100 entries cost ~0.1 ms a query; the hits a ranking holds are one set intersection, in
        # any order — each hit's entries stay in the retrievers' order — and a score is read with ``item``, no
        # numpy scalar made: 19–21 → 17 µs a query.)
        breakdowns: dict[int, dict[str, RetrieverScore]] = {index: {} for index in order}
        shown = set(order)
        for name, (indices, values) in search.ranked.items():
            listed = indices.tolist()
            for index in shown.intersection(listed):
                at = listed.index(index)
                breakdowns[index][name] = retriever_score(at + 1, values.item(at))
        weights = self.weights(query)
        answers = AnswerQuery(weights, asked)  # answer_span's query side, made once for every hit
        asking = (tuple(weights.items()), asked)
        hits = []
        for position, (index, score) in enumerate(zip(order, search.scores[:k].tolist()), 1):
            passage, (tokens, sentences, units, where, bounds, terms), facts = self._passage(index)
            found = [number for term in weights for number in where.get(term, ())]
            found.sort()  # in the text's order
            spans = tuple([bounds[number] for number in found])
            matched = tuple(dict.fromkeys([terms[number] for number in found]))
            answer = self._answers.get(
                (asking, index), partial(answers.span, sentences, tokens, passage.text, facts=facts, units=units)
            )
            hits.append((make_hit(passage, score, position, breakdowns[index], spans, matched, answer), facts))
        return hits

    def weights(self, query: Understood) -> dict[str, float]:
        """What each query term weighs in choosing the answer sentence: its IDF, a synonym's a share of it."""
        weights = {term: self.lexicon.idf_of(term) for term in query.own.terms}
        for term in query.added.terms:
            weights.setdefault(term, self.synonyms_weight * self.lexicon.idf_of(term))
        return weights

    def read_ahead(self) -> int:
        """Read every passage of a small index (its readings stored at build, up to :data:`READ_AHEAD` passages)
        when the pipeline opens, with each one's facts, answer layout, units' stem positions and terms for the
        conflicts: none depends on the query, and a new question paid for each passage it showed first (~0.1–0.25
        ms each: the well-typed questions of the first pass, which come first, paid most). ~20–30 ms once for the
        embedded corpus's 111 passages. Each is then kept with its reading and facts by its index (a hit's are one
        list item). Returns how many passages were read (0 for a larger index, which reads them when first
        shown)."""
        passages = self.passages
        if self.readings.stored is None or not 0 < len(passages) <= min(READ_AHEAD, self.readings.size):
            return 0
        read = []
        for number in range(len(passages)):
            passage = passages[number]
            self._read_whole(passage)
            read.append((passage, self.readings.read(passage), self._facts(passage)))
        self._read = read
        self.readings.ahead = [reading for _, reading, _ in read]
        facts = {passage.id: passage_facts for passage, _, passage_facts in read}
        readings = {passage.id: self._conflict_reading(passage) for passage, _, _ in read}
        self._conflict_sources = (lambda passage: facts[passage.id], lambda passage: readings[passage.id])
        return len(read)

    def _read_whole(self, passage: Passage) -> None:
        """Everything of ``passage`` a question reads and keeps (see :meth:`read_ahead`)."""
        reading = self.readings.read(passage)
        self._facts(passage)
        reading.units.layout(passage.text, reading.sentences)
        reading.units.rarity(len(reading.sentences))
        for unit in range(len(reading.units)):
            reading.units.stem_positions(unit)
        self._conflict_reading(passage)

    def _facts(self, passage: Passage) -> list[Fact]:
        return self._facts_cache.get(passage.id, lambda: self._extract_facts(passage))

    def _extract_facts(self, passage: Passage) -> list[Fact]:
        stored = self.readings.stored
        if stored is not None:  # read at build time, with the passage's tokens and sentences
            return stored.facts_of(self.passages.position(passage.id))  # type: ignore[attr-defined]
        # The passage's tokens as its reading holds them (the same analyzer's): the text is not analysed twice.
        return extract_facts(passage.text, self.analyzer, self.readings.read(passage).tokens)


def query_names(query: Understood) -> tuple[str, ...]:
    """The terms of the query's capitalised words past its first: names of people, places, works («Варшава»)."""
    text = query.info.rewritten
    word = re.search(r"\w", text)  # the first word is capitalised as a sentence's first, not as a name
    first = word.start() if word else 0
    return tuple(
        token.term for token in query.tokens if token.start > first and text[token.start : token.start + 1].isupper()
    )


def fused_weights(index: Index) -> dict[str, float]:
    """The fusion's weights of the retrievers the index holds; without any of them, every one equally."""
    built = index.retrievers
    weights = {name: weight for name, weight in index.config.fusion.weights.items() if weight and name in built}
    return weights or dict.fromkeys(built, 1.0)


class Pipeline:
    """The stages in order, and the checks every request passes before the first of them."""

    def __init__(self, index: Index, stages: Sequence[Stage]) -> None:
        self.index = index
        self.stages = tuple(stages)
        understand = next((stage for stage in self.stages if isinstance(stage, Understand)), None)
        self.steps: tuple[str, ...] = understand.steps if understand is not None else ()
        self.weights = fused_weights(index)
        rerank = next((stage for stage in self.stages if isinstance(stage, Rerank)), None)
        self.learned = rerank is not None and rerank.model is not None
        self._audiences: dict[str, np.ndarray] = {}
        # What every request reads, made once (not per request): the retrievers the learned ranking reads, in
        # the model's column order, and every rewriting step
        reads = rerank.upfront if self.learned else frozenset()  # type: ignore[union-attr]
        self._learned_retrievers = tuple(name for name in RETRIEVER_FEATURES if name in reads)
        self._every_step = frozenset(self.steps)
        # The ranking stages run once per reading of a query (see :meth:`_ranked`); without them all in a row,
        # every stage runs every time.
        names = tuple(stage.name for stage in self.stages)
        at = next((i for i in range(len(names)) if names[i : i + len(RANKING_STAGES)] == RANKING_STAGES), None)
        start = end = len(self.stages)
        if at is not None:
            start, end = at, at + len(RANKING_STAGES)
        self._before, self._ranking, self._after = self.stages[:start], self.stages[start:end], self.stages[end:]
        self._rankings: Recent[dict[str, object]] = Recent(RANKINGS_KEPT, _ranking_bytes)

    @classmethod
    def default(cls, index: Index, analyzer: Analyzer) -> Pipeline:
        """The query side as it runs: the one list of its stages."""
        fusion = index.config.fusion
        readings = PassageReadings(analyzer, index=index)  # the decide and annotate stages read the same
        terms_held = lexicon_held(index)  # and the rerank and decide stages the same table of the terms' passages
        if analyzer.stemmer == "pymorphy3":  # the corpus's most frequent words, parsed once at open
            analyzer.morphology.warm(itertools.islice(index.lexicon.words, WARM_WORDS))
        model, first, gate = learned_model(index), None, shipped_gate()
        lexical = shipped_reranker()
        if model is not None and model is not lexical and gate is not None and lexical.can_rank(index.retrievers):
            first = lexical  # the encoder only when the lexical ranking is unsure (search.cascade)
        stages = (
            Understand(index, analyzer),
            Retrieve(index.retrievers, fusion.synonyms_weight),
            Fuse(fused_weights(index), fusion.k, index.retrievers),
            Rerank(index, model, fusion.synonyms_weight, terms_held, first=first, gate=gate),
            Decide(index, analyzer, readings=readings, terms_held=terms_held),
            annotate := Annotate(index, analyzer, fusion.synonyms_weight, readings),
        )
        annotate.read_ahead()  # a small index's passages read once now, not by the questions that first show them
        return cls(index, stages)

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(f"no stage named {name!r}; the stages are: {', '.join(s.name for s in self.stages)}")

    @property
    def default_ranking(self) -> str:
        """The ranking of a search that names none: the learned one when the index holds the retrievers its
        model reads, else the fusion."""
        return LEARNED if self.learned else HYBRID

    @property
    def rankings(self) -> tuple[str, ...]:
        """What ``retriever=`` accepts, the default first: the learned ranking (when its retrievers are built),
        the fusion, each retriever alone."""
        learned = (LEARNED,) if self.learned else ()
        return (*learned, HYBRID, *self.index.retrievers)

    def request(
        self,
        query: str,
        k: int = 10,
        *,
        retriever: str | None = None,
        documents: Collection[str] | None = None,
        audience: str | None = None,
        rewrite: bool | Collection[str] = True,
    ) -> Request:
        """The arguments of a search, checked at the door: anything unknown is a ``ValueError`` naming the choices.
        ``retriever=None`` is :attr:`default_ranking`."""
        if retriever is None:
            retriever = self.default_ranking
        if not isinstance(query, str):
            raise TypeError(f"query must be a string, not {type(query).__name__}")
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"k must be a whole number of hits, 1 or more; got {k!r}")
        if retriever not in self.rankings:
            raise ValueError(f"unknown retriever {retriever!r}; choose one of: {', '.join(self.rankings)}")
        hybrid = retriever in (HYBRID, LEARNED)
        names = tuple(self.weights) if retriever == HYBRID else (retriever,)
        if retriever == LEARNED:  # every retriever the model reads, for its candidates and ranks
            names = self._learned_retrievers
        depth = self.index.config.fusion.depth if hybrid else int(k)
        return Request(query, int(k), retriever, names, depth, self._allowed(documents, audience), self._steps(rewrite))

    def run(self, request: Request) -> SearchResults:
        search = Search.begin(request, time.perf_counter())
        for stage in self._before:
            search = stage(search)
        if self._ranking:
            search = self._ranked(search)
        for stage in self._after:
            search = stage(search)
        info = search.query.info  # frozen: handed on as it is when nothing is missing (most queries)
        return SearchResults(
            search.hits,
            info if info.missing == search.missing else replace(info, missing=search.missing),
            retriever=request.retriever,
            answered=search.answered,
            confidence=search.confidence,
            coverage=search.coverage,
            elapsed_ms=(time.perf_counter() - search.started) * 1000,
            conflicts=search.conflicts,
            short_answer=search.short_answer,
        )

    def _ranked(self, search: Search) -> Search:
        """The search after the ranking stages, which run once per reading of a query: people type one question
        many ways (a typo, the wrong layout, transliterated), and what the understand stage reads from each is often
        the same query, whose ranking is then the same too. Kept for the readings seen lately (bounded by bytes),
        read-only, so every search shares them safely; what the later stages do with the words as typed (the
        answer's confidence, the highlights) runs every time."""
        request, query = search.request, search.query
        allowed = request.allowed
        key = (
            request.retriever,
            request.retrievers,
            request.depth,
            None if allowed is None else hashlib.blake2b(np.packbits(allowed).tobytes(), digest_size=16).digest(),
            query.own,
            query.added,
        )

        def rank() -> dict[str, object]:
            ranked = search
            for stage in self._ranking:
                ranked = stage(ranked)
            return _frozen({name: getattr(ranked, name) for name in RANKING_FIELDS})

        return search.but(**self._rankings.get(key, rank))

    def forget(self) -> None:
        """Drop the rankings kept (:meth:`_ranked`): after a change to a stage's models in place."""
        self._rankings = Recent(RANKINGS_KEPT, _ranking_bytes)

    def rank(self, request: Request, until: str = Fuse.name) -> Search:
        """The search after the stages up to and including ``until``: what tuning and training read."""
        search = Search.begin(request, time.perf_counter())
        for stage in self.stages:
            search = stage(search)
            if stage.name == until:
                return search
        raise KeyError(f"no stage named {until!r}")

    def _steps(self, rewrite: bool | Collection[str]) -> frozenset[str]:
        if rewrite is True:
            return self._every_step
        if rewrite is False:
            return frozenset()
        if isinstance(rewrite, str):
            rewrite = (rewrite,)
        steps = frozenset(rewrite)
        if unknown := steps - set(self.steps):
            raise ValueError(f"unknown rewriting steps {sorted(unknown)}; choose from: {', '.join(self.steps)}")
        return steps

    def _allowed(self, documents: Collection[str] | None, audience: str | None) -> np.ndarray | None:
        if documents is None and audience is None:
            return None
        allowed = np.ones(len(self.index.passages), dtype=bool)
        if documents is not None:
            if isinstance(documents, str):
                documents = (documents,)
            if unknown := set(documents) - set(self.index.documents):
                raise ValueError(
                    f"unknown documents {sorted(unknown)}; the corpus has: {', '.join(sorted(self.index.documents))}"
                )
            allowed &= self.index.passages.in_documents(documents)  # type: ignore[attr-defined]
        if audience is not None:
            allowed &= self._audience_mask(audience)
        return allowed

    @property
    def audiences(self) -> tuple[str, ...]:
        return self.index.documents.audience_names  # type: ignore[attr-defined]

    def _audience_mask(self, audience: str) -> np.ndarray:
        mask = self._audiences.get(audience)
        if mask is None:  # once per audience and process, not once per query
            if audience not in self.audiences:
                choices = ", ".join(self.audiences) or "none: the corpus names no audiences"
                raise ValueError(f"unknown audience {audience!r}; choose from: {choices}")
            mask = self._audiences[audience] = self.index.passages.audience_mask(audience)  # type: ignore[attr-defined]
        return mask

    def __repr__(self) -> str:
        return f"Pipeline({' ─► '.join(stage.name for stage in self.stages)}; steps: {', '.join(self.steps)})"


def _frozen(fields: dict[str, object]) -> dict[str, object]:
    """The ranking stages' output made read-only: shared by every search of the same reading."""
    for array in _arrays(fields):
        array.setflags(write=False)
    return fields


def _ranking_bytes(fields: dict[str, object]) -> int:
    """A kept ranking's weight: its arrays' bytes, and a kilobyte for the rest."""
    return 1024 + sum(array.nbytes for array in _arrays(fields))


def _arrays(fields: dict[str, object]) -> Iterator[np.ndarray]:
    """Every array of the ranking stages' output: ``order`` and ``scores``, the (indices, scores) pairs of
    ``ranked`` and ``fused``."""
    for value in fields.values():
        for item in value.values() if isinstance(value, Mapping) else (value,):
            for part in item if isinstance(item, tuple) else (item,):
                if isinstance(part, np.ndarray):
                    yield part
