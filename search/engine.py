"""The engine facade: wires analysis, passages, retrievers and fusion, and owns the index's life."""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib.metadata
import itertools
import json
import logging
import multiprocessing
import os
import re
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from . import storage
from .analysis import Analyzer, Token
from .answers import Conflict, Fact, answer_span, asked_kinds, extract_facts, find_conflicts, sentence_spans
from .corpus import Document, read_corpus
from .fusion import Fusion, reciprocal_rank_fusion
from .passages import CHUNKER_VERSION, Passage, chunk_document
from .query import NoAnswerRule, QueryRewriter, Thesaurus, Vocabulary, query_coverage, synonym_links
from .results import Correction, Hit, QueryInfo, RetrieverScore, SearchResults
from .retrievers import RETRIEVERS, Analysed, Retriever, top_k
from .semantic import SemanticRetriever, navec_path

__all__ = ["SearchEngine", "MAX_QUERY_CHARS", "DEFAULT_INDEX_DIR"]

log = logging.getLogger("search")

MAX_QUERY_CHARS = 1000  # longer queries are cut (and say so): nobody types more into a help box
DEFAULT_INDEX_DIR = ".index"  # inside the corpus folder, unless told otherwise
CONFLICT_DEPTH = 10  # how many of the best passages are read for conflicting facts, whatever k is
CONFLICT_COVERAGE = 0.8  # a passage speaks for a value only when it covers this much of the query
SYNONYMS = "synonyms.txt"  # a corpus folder's own thesaurus, in Solr's format
_WORD = re.compile(r"[^\W\d_][\w-]*")
INDEXING_VERSION = 2  # bump when passages are turned into terms or stored differently
_LIBRARIES = (
    "pymorphy3",
    "pymorphy3-dicts-ru",
    "scikit-learn",
    "numpy",
    "scipy",
    "rank-bm25",
    "razdel",
    "navec",
    "natasha",
)


ALL_RETRIEVERS: dict[str, Any] = {**RETRIEVERS, SemanticRetriever.name: SemanticRetriever}


# Built by default; "semantic" is built on request or when the fusion weighs it.
DEFAULT_RETRIEVERS = ("bm25", "headings", "tfidf", "chars")
# Above this many passages the passage × character n-gram matrix costs more than it gives
# (at 100k passages: +21 s of build, +2 GB of memory, p50 3.8 → 7.2 ms); the spelling step
# still maps a misspelt word onto the corpus vocabulary.
CHARS_MAX_PASSAGES = 20_000
PARALLEL_MIN_PASSAGES = 5_000  # below this, starting worker processes costs more than it saves


def available_retrievers() -> dict[str, Any]:
    """Every retriever this installation can build: the semantic one needs the natasha package's model."""
    return {name: cls for name, cls in ALL_RETRIEVERS.items() if name != SemanticRetriever.name or navec_path()}


def _retrievers_to_build(requested: Collection[str] | None, fusion: Fusion, passages: int) -> list[str]:
    available = available_retrievers()
    if requested is not None:
        if unknown := set(requested) - set(ALL_RETRIEVERS):
            raise ValueError(f"unknown retrievers {sorted(unknown)}; choose from: {', '.join(ALL_RETRIEVERS)}")
        if missing := set(requested) - set(available):
            raise ValueError(f"retrievers {sorted(missing)} need the natasha package: pip install natasha navec")
        return [name for name in ALL_RETRIEVERS if name in requested]
    wanted = {*DEFAULT_RETRIEVERS, *(name for name, weight in fusion.weights.items() if weight)}
    if passages > CHARS_MAX_PASSAGES:
        wanted.discard("chars")
    return [name for name in ALL_RETRIEVERS if name in wanted and name in available]


def _library_versions() -> dict[str, str]:
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


class SearchEngine:
    """Search a folder of Russian help-center documents.

    >>> engine = SearchEngine.from_directory("corpus")
    >>> hits = engine.search("как вернуть товар", k=3)
    >>> hits[0].section
    'Зачем обращаться в службу поддержки › 3 Возвраты и обмены товаров'
    """

    def __init__(
        self,
        documents: Sequence[Document],
        passages: Sequence[Passage],
        retrievers: dict[str, Retriever],
        *,
        analyzer: Analyzer,
        fusion: Fusion,
        fingerprint: str,
        vocabulary: dict[str, int] | None = None,
        synonyms: str = "",
    ) -> None:
        self.documents = {document.id: document for document in documents}
        self.vocabulary = vocabulary or {}
        self.synonyms = synonyms
        self.thesaurus = Thesaurus.from_text(synonyms, analyzer)
        self.rewriter = QueryRewriter(
            Vocabulary(self.vocabulary, analyzer.morphology.is_known, morphology=analyzer.morphology),
            coverage=lambda text: QueryRewriter.coverage_of(text, self.analyzer, self.retrievers["bm25"]),
        )
        self.no_answer = NoAnswerRule()
        self._facts_cache: dict[str, list[Fact]] = {}
        self._readings: dict[str, tuple[list[Token], list[tuple[int, int]]]] = {}
        self.passages = tuple(passages)
        self.retrievers = retrievers
        self.analyzer = analyzer
        self.fusion = fusion
        self.fingerprint = fingerprint
        self._doc_of = np.array([p.doc_id for p in self.passages], dtype=object)
        self._audiences: dict[str, np.ndarray] = {}
        self._position = {passage.id: index for index, passage in enumerate(self.passages)}

    # --- building ---------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        *,
        analyzer: Analyzer | None = None,
        fusion: Fusion | None = None,
        synonyms: str = "",
        retrievers: Collection[str] | None = None,
        progress: bool | None = None,
    ) -> SearchEngine:
        """Chunk, analyse and index ``documents`` in memory; ``synonyms`` is a thesaurus in Solr's format.

        ``retrievers`` names the retrievers to build (default: ``DEFAULT_RETRIEVERS``, without
        character n-grams above ``CHARS_MAX_PASSAGES`` passages, plus any the fusion weighs).
        """
        analyzer = analyzer or Analyzer()
        fusion = fusion or Fusion()
        passages = [passage for document in documents for passage in chunk_document(document)]
        if not passages:
            raise ValueError("nothing to index: the corpus has no text")
        names = _retrievers_to_build(retrievers, fusion, len(passages))
        show = sys.stderr.isatty() if progress is None else progress
        analysed = analyse_passages(analyzer, passages, progress=show)
        built: dict[str, Retriever] = {}
        for name in tqdm(names, desc="fitting retrievers", unit="retriever", disable=not show):
            built[name] = ALL_RETRIEVERS[name]().fit(analysed)
        vocabulary = Counter(word for a in analysed for word in a.surface.split() if _WORD.fullmatch(word))
        return cls(
            documents, passages, built, analyzer=analyzer, fusion=fusion,
            fingerprint=corpus_fingerprint(documents, analyzer, synonyms, retrievers),
            vocabulary=dict(vocabulary.most_common()), synonyms=synonyms,
        )  # fmt: skip

    @classmethod
    def from_directory(
        cls,
        path: str | Path,
        index_dir: str | Path | None = None,
        rebuild: bool = False,
        *,
        analyzer: Analyzer | None = None,
        synonyms: str | Path | None = None,
        retrievers: Collection[str] | None = None,
        progress: bool | None = None,
    ) -> SearchEngine:
        """The engine for a corpus folder: loads its saved index when the corpus is unchanged, else builds and saves it.

        ``index_dir`` defaults to ``<path>/.index``. When it cannot be written
        (a read-only corpus), the engine is built in memory with a warning.
        ``synonyms`` is a thesaurus file in Solr's format, by default
        ``<path>/synonyms.txt`` when there is one.
        """
        path = Path(path)
        index_dir = Path(index_dir) if index_dir is not None else path / DEFAULT_INDEX_DIR
        analyzer = analyzer or Analyzer()
        documents = read_corpus(path)
        synonyms_file = Path(synonyms) if synonyms is not None else path / SYNONYMS
        thesaurus = synonyms_file.read_text(encoding="utf-8") if synonyms_file.is_file() else ""
        fingerprint = corpus_fingerprint(documents, analyzer, thesaurus, retrievers)
        try:
            with storage.locked(index_dir):
                if not rebuild:
                    engine = cls._load_if_current(index_dir, fingerprint)
                    if engine is not None:
                        return engine
                engine = cls.build(
                    documents, analyzer=analyzer, synonyms=thesaurus, retrievers=retrievers, progress=progress
                )
                engine.save(index_dir)
                return engine
        except OSError as error:
            warnings.warn(
                f"index not saved in {index_dir} ({error.strerror or error}); searching from memory", stacklevel=2
            )
            return cls.build(documents, analyzer=analyzer, synonyms=thesaurus, retrievers=retrievers, progress=progress)

    @classmethod
    def _load_if_current(cls, index_dir: Path, fingerprint: str) -> SearchEngine | None:
        try:
            manifest = storage.read_manifest(index_dir)
        except storage.IndexNotFoundError:
            return None
        except storage.IndexFormatError as error:
            log.warning("rebuilding the index: %s", error)
            return None
        if manifest.get("fingerprint") != fingerprint:
            log.info("corpus changed since the index was built: rebuilding %s", index_dir)
            return None
        try:
            return cls.load(index_dir)
        except storage.IndexFormatError as error:
            log.warning("rebuilding the index: %s", error)
            return None

    # --- persistence -----------------------------------------------------------------

    def save(self, index_dir: str | Path) -> Path:
        """Write the index as a new version of ``index_dir`` (atomically); return its folder."""
        retrievers: dict[str, Any] = {}
        arrays: dict[str, np.ndarray] = {}
        for name, retriever in self.retrievers.items():
            params, retriever_arrays = retriever.state()
            retrievers[name] = params
            arrays.update({f"{name}.{key}": value for key, value in retriever_arrays.items()})
        manifest = {
            "fingerprint": self.fingerprint,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "analyzer": self.analyzer.settings,
            "chunker_version": CHUNKER_VERSION,
            "fusion": self.fusion.to_json(),
            "libraries": _library_versions(),
            "counts": {"documents": len(self.documents), "passages": len(self.passages)},
        }
        parts = {
            "documents": [asdict(document) for document in self.documents.values()],
            "passages": [asdict(passage) for passage in self.passages],
            "retrievers": retrievers,
            "vocabulary": self.vocabulary,
            "synonyms": self.synonyms,
        }
        return storage.write_index(index_dir, manifest, parts, arrays)

    @classmethod
    def load(cls, index_dir: str | Path, *, fusion: Fusion | None = None, verify: bool | None = None) -> SearchEngine:
        """Open a saved index; an unusable one raises :class:`~search.storage.IndexFormatError` with a fix."""
        manifest, parts, arrays = storage.read_index(index_dir, verify=verify)
        try:
            documents = [Document(**{**d, "audience": tuple(d["audience"])}) for d in parts["documents"]]
            passages = [_passage_from_json(p) for p in parts["passages"]]
            retrievers: dict[str, Retriever] = {}
            for name, params in parts["retrievers"].items():
                prefix = f"{name}."
                own = {key.removeprefix(prefix): value for key, value in arrays.items() if key.startswith(prefix)}
                retrievers[name] = ALL_RETRIEVERS[name].from_state(params, own)
            analyzer_json = manifest["analyzer"]
            analyzer = Analyzer(
                keep_negation=analyzer_json["keep_negation"], all_lemmas=analyzer_json["all_lemmas"],
                stemmer=analyzer_json["stemmer"],
            )  # fmt: skip
        except (KeyError, TypeError, ValueError) as error:
            raise storage.IndexFormatError(
                f"index in {index_dir} is inconsistent ({error.__class__.__name__}: {error}); "
                f"rebuild it: python -m search build --index {index_dir}"
            ) from None
        for name, retriever in retrievers.items():
            rows = (retriever.weights_ if hasattr(retriever, "weights_") else retriever.matrix_).shape[0]
            if rows != len(passages):
                raise storage.IndexFormatError(
                    f"index in {index_dir}: {name} has {rows} rows for {len(passages)} passages; "
                    f"rebuild it: python -m search build --index {index_dir}"
                )
        # Fusion is query-time configuration: the manifest records it, the caller chooses it.
        return cls(
            documents, passages, retrievers, analyzer=analyzer, fusion=fusion or Fusion(),
            fingerprint=manifest["fingerprint"], vocabulary=parts["vocabulary"], synonyms=parts["synonyms"],
        )  # fmt: skip

    # --- searching ---------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        retriever: str = "hybrid",
        documents: Collection[str] | None = None,
        audience: str | None = None,
        rewrite: bool | Collection[str] = True,
    ) -> SearchResults:
        """The ``k`` best passages for ``query``, best first.

        ``retriever`` is ``"hybrid"`` (the default fusion), or one retriever
        alone: ``"bm25"``, ``"headings"``, ``"tfidf"`` or ``"chars"``.
        ``documents`` keeps only passages of those document ids, ``audience``
        only passages for that audience ("покупатели" or "продавцы").
        ``rewrite=False`` searches the words exactly as typed: no layout
        switch, transliteration, spelling correction or synonyms; a
        collection of step names (``REWRITE_STEPS``) runs only those steps.
        """
        started = time.perf_counter()
        if retriever != "hybrid" and retriever not in self.retrievers:
            choices = ", ".join(["hybrid", *self.retrievers])
            raise ValueError(f"unknown retriever {retriever!r}; choose one of: {choices}")
        if not isinstance(query, str):
            raise TypeError(f"query must be a string, not {type(query).__name__}")
        k = max(0, int(k))
        understood = self._understand(query, _rewrite_steps(rewrite))
        ranked = self._rank(understood, retriever, k, self._allowed(documents, audience))
        if retriever == "hybrid":
            order, fused = reciprocal_rank_fusion(
                {n: i for n, (i, _) in ranked.items()}, self.fusion.weights, self.fusion.k
            )
        else:
            order, fused = ranked[retriever]
        considered = order[: max(k, CONFLICT_DEPTH)]  # the passages that may speak for a fact

        coverage, each = self._coverage(
            understood.terms, understood.info.corrections, considered, self.no_answer.depth
        )
        expanded = {t for c in understood.info.corrections if c.step == "synonyms" for t in c.original.split()}
        missing = self.no_answer.missing_topics(
            understood.tokens, self.retrievers["bm25"].vocabulary_.__contains__, self.analyzer.morphology, expanded
        )
        answered = self.no_answer.answered(coverage, missing)
        hits = self._hits(understood, ranked, order[:k], fused[:k])
        conflicts: list[Conflict] = []
        if answered and hits:
            kinds = asked_kinds(understood.terms, extract_facts(understood.info.rewritten, self.analyzer))
            # Only passages that answer the question by themselves speak for a value.
            answering = [self.passages[i] for i, share in zip(considered.tolist(), each) if share >= CONFLICT_COVERAGE]
            conflicts = find_conflicts(answering, kinds, self.analyzer, self._facts) if kinds else []
        return SearchResults(
            hits, replace(understood.info, missing=tuple(missing)), retriever=retriever, answered=answered,
            coverage=coverage, elapsed_ms=(time.perf_counter() - started) * 1000, conflicts=conflicts,
        )  # fmt: skip

    def _understand(self, query: str, steps: set[str]) -> _Understood:
        """The query as searched: cut, rewritten, analysed, with its synonyms split by weight."""
        text = query[:MAX_QUERY_CHARS]
        corrections: tuple[Correction, ...] = ()
        if steps - {"synonyms"}:
            rewritten = self.rewriter.rewrite(text, steps)
            text, corrections = rewritten.text, rewritten.corrections
        tokens = self.analyzer.tokens(text)
        analysed = _analysed(tokens)
        standins: tuple[str, ...] = ()
        extras: tuple[str, ...] = ()
        if "synonyms" in steps:
            _, synonyms = self.thesaurus.expand(analysed.terms)
            corrections += tuple(synonyms)
            standins, extras = self._split_expansions(synonyms)
        info = QueryInfo(
            original=query, rewritten=text, terms=analysed.terms, corrections=corrections,
            truncated=len(query) > MAX_QUERY_CHARS, expansions=standins + extras,
        )  # fmt: skip
        own = Analysed(analysed.terms + standins, " ".join([analysed.surface, *standins]))
        return _Understood(info, tokens, analysed.terms, own, Analysed(extras, " ".join(extras)))

    def _rank(
        self, understood: _Understood, retriever: str, k: int, allowed: np.ndarray | None
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each retriever's best passages with their scores: all the fusion weighs, or the one asked for."""
        hybrid = retriever == "hybrid"
        names = [n for n in self.fusion.weights if n in self.retrievers] if hybrid else [retriever]
        return {
            name: self._retrieve(
                self.retrievers[name],
                understood.own,
                understood.added,
                self.fusion.depth if hybrid else max(k, 1),
                self.fusion.min_chars if name == "chars" else 0.0,
                allowed,
            )  # fmt: skip
            for name in names
        }

    def _hits(
        self, understood: _Understood, ranked: dict[str, tuple[np.ndarray, np.ndarray]], order: np.ndarray,
        fused: np.ndarray,
    ) -> list[Hit]:  # fmt: skip
        """The shown passages with their per-retriever ranks, highlights and answer sentences."""
        positions = {
            name: {int(index): (rank, float(score)) for rank, (index, score) in enumerate(zip(*pair), 1)}
            for name, pair in ranked.items()
        }
        idf = self.retrievers["bm25"].idf_of
        weights = {term: idf(term) for term in understood.own.terms}
        for term in understood.added.terms:
            weights.setdefault(term, self.fusion.synonyms_weight * idf(term))
        hits = []
        for position, (index, score) in enumerate(zip(order.tolist(), fused.tolist()), 1):
            passage = self.passages[index]
            breakdown = {
                name: RetrieverScore(rank=found[index][0], score=found[index][1])
                for name, found in positions.items()
                if index in found
            }
            highlights, matched = self._highlights(passage, set(weights))
            passage_tokens, sentences = self._reading(passage)
            answer = answer_span(sentences, passage_tokens, weights, passage.text)
            hits.append(Hit(passage, score, position, breakdown, highlights, matched, answer))
        return hits

    def _retrieve(
        self, retriever: Retriever, own: Analysed, added: Analysed, depth: int, minimum: float,
        allowed: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """One retriever's best passages and scores; synonyms of known words add at a lower weight."""
        if not added.terms and hasattr(retriever, "top"):
            return retriever.top(own, depth, minimum, allowed)  # only the query terms' postings
        scores = retriever.scores(own)
        if added.terms:
            scores = scores + self.fusion.synonyms_weight * retriever.scores(added)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        indices = top_k(scores, depth, minimum)
        return indices, scores[indices]

    def _split_expansions(self, synonyms: Sequence[Correction]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Synonyms of a word the documents never use stand in for it at full weight ("лк" → личный кабинет);
        synonyms of a word they do use only add to it."""
        vocabulary = self.retrievers["bm25"].vocabulary_
        standins: dict[str, None] = {}
        extras: dict[str, None] = {}
        for correction in synonyms:
            unknown = not any(term in vocabulary for term in correction.original.split())
            for term in correction.replacement.split():
                (standins if unknown else extras).setdefault(term, None)
        return tuple(standins), tuple(t for t in extras if t not in standins)

    def _coverage(
        self, terms: Sequence[str], corrections: Sequence[Correction], rows: np.ndarray, depth: int
    ) -> tuple[float, list[float]]:
        """How much of the query the first ``depth`` passages cover together, and each passage alone.

        Each term is weighted by its BM25 IDF; a synonym found stands for the word it came from.
        """
        bm25 = self.retrievers["bm25"]
        candidates = {*terms, *(t for c in corrections if c.step == "synonyms" for t in c.replacement.split())}
        columns = {term: bm25.vocabulary_[term] for term in candidates if term in bm25.vocabulary_}
        if not rows.size or not columns:
            return 0.0, [0.0] * len(rows)
        found = np.column_stack([bm25.contains(column, rows) for column in columns.values()])
        links = synonym_links(corrections)

        def share(mask: np.ndarray) -> float:
            present = {term for term, hit in zip(columns, mask) if hit}
            return query_coverage(terms, present, bm25.idf_of, links)

        return share(found[:depth].any(axis=0)), [share(row) for row in found]

    def _facts(self, passage: Passage) -> list[Fact]:
        facts = self._facts_cache.get(passage.id)
        if facts is None:
            facts = self._facts_cache[passage.id] = extract_facts(passage.text, self.analyzer)
        return facts

    def _allowed(self, documents: Collection[str] | None, audience: str | None) -> np.ndarray | None:
        if documents is None and audience is None:
            return None
        allowed = np.ones(len(self.passages), dtype=bool)
        if documents is not None:
            allowed &= np.isin(self._doc_of, list(documents))
        if audience is not None:
            allowed &= self._audience_mask(audience)
        return allowed

    def _audience_mask(self, audience: str) -> np.ndarray:
        mask = self._audiences.get(audience)
        if mask is None:  # once per audience and process, not once per query
            mask = self._audiences[audience] = np.array([audience in p.audience for p in self.passages], dtype=bool)
        return mask

    def _highlights(self, passage: Passage, terms: set[str]) -> tuple[tuple[tuple[int, int], ...], tuple[str, ...]]:
        tokens, _ = self._reading(passage)
        spans = tuple((token.start, token.end) for token in tokens if token.term in terms)
        matched = tuple(dict.fromkeys(token.term for token in tokens if token.term in terms))
        return spans, matched

    def _reading(self, passage: Passage) -> tuple[list[Token], list[tuple[int, int]]]:
        """A shown passage's tokens and sentences, analysed once per process, not once per query."""
        reading = self._readings.get(passage.id)
        if reading is None:
            reading = self._readings[passage.id] = (self.analyzer.tokens(passage.text), sentence_spans(passage.text))
        return reading

    # --- reading -----------------------------------------------------------------------

    def passage(self, passage_id: str) -> Passage:
        return self.passages[self._position[passage_id]]

    def section_text(self, passage: Passage | Hit) -> str:
        """The whole section a passage comes from, exactly as in its document."""
        passage = passage.passage if isinstance(passage, Hit) else passage
        start, end = passage.section_span
        return self.documents[passage.doc_id].text[start:end].strip()

    def __repr__(self) -> str:
        return (
            f"SearchEngine({len(self.documents)} documents, {len(self.passages)} passages, "
            f"retrievers={list(self.retrievers)}, {self.analyzer!r})"
        )


REWRITE_STEPS = ("layout", "transliteration", "spelling", "synonyms")


@dataclass(frozen=True, slots=True)
class _Understood:
    """A query on its way through the engine."""

    info: QueryInfo
    tokens: list[Token]
    terms: tuple[str, ...]  # the user's own terms
    own: Analysed  # the user's terms and the synonyms that stand in for unknown words: full weight
    added: Analysed  # synonyms of words the documents use: ``Fusion.synonyms_weight``


def _rewrite_steps(rewrite: bool | Collection[str]) -> set[str]:
    if rewrite is True:
        return set(REWRITE_STEPS)
    if rewrite is False:
        return set()
    steps = set(rewrite)
    if unknown := steps - set(REWRITE_STEPS):
        raise ValueError(f"unknown rewriting steps {sorted(unknown)}; choose from: {', '.join(REWRITE_STEPS)}")
    return steps


def analyse_text(analyzer: Analyzer, text: str) -> Analysed:
    return _analysed(analyzer.tokens(text))


def _analysed(tokens: Sequence[Token]) -> Analysed:
    return Analysed(tuple(t.term for t in tokens), " ".join(t.surface if t.kind == "word" else t.term for t in tokens))


def analyse_passages(analyzer: Analyzer, passages: Sequence[Passage], *, progress: bool = False) -> list[Analysed]:
    """Every passage analysed, on both cores for a large corpus (each worker with its own pymorphy3)."""
    bar = tqdm(total=len(passages), desc="analysing passages", unit="passage", disable=not progress)
    workers = min(os.cpu_count() or 1, 4)
    # Fork, and only from a single-threaded process: a forked copy of a thread holding a lock could
    # deadlock, and "spawn" would re-import the caller's __main__ (a script without a main guard).
    can_fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    if len(passages) < PARALLEL_MIN_PASSAGES or workers < 2 or not can_fork:
        analysed = []
        headings: dict[tuple[str, ...], tuple[str, ...]] = {}
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
    headings: dict[tuple[str, ...], tuple[str, ...]] = {}
    return [analyse_passage(analyzer, passage, headings) for passage in passages]


def analyse_passage(
    analyzer: Analyzer, passage: Passage, headings: dict[tuple[str, ...], tuple[str, ...]] | None = None
) -> Analysed:
    """A passage is indexed with its section headings, which name what it is about.

    ``headings`` caches each section's heading terms across the passages of a build.
    """
    body = analyse_text(analyzer, "\n".join([*passage.section, passage.text]))
    section_terms = headings.get(passage.section) if headings is not None else None
    if section_terms is None:
        section_terms = tuple(analyzer.terms("\n".join(passage.section)))
        if headings is not None:
            headings[passage.section] = section_terms
    return Analysed(body.terms, body.surface, section_terms)


def corpus_fingerprint(
    documents: Iterable[Document], analyzer: Analyzer, synonyms: str = "", retrievers: Collection[str] | None = None
) -> str:
    digest = hashlib.sha256()
    settings = {
        "format": storage.FORMAT_VERSION, "chunker": CHUNKER_VERSION, "indexing": INDEXING_VERSION,
        "analyzer": analyzer.settings,
    }  # fmt: skip
    digest.update(json.dumps(settings, sort_keys=True).encode())
    digest.update(synonyms.encode())
    digest.update(json.dumps(sorted(retrievers) if retrievers is not None else "default").encode())
    for document in documents:
        digest.update(document.fingerprint.encode())
    return digest.hexdigest()


def _passage_from_json(data: dict[str, Any]) -> Passage:
    return Passage(
        **{
            **data,
            "section": tuple(data["section"]),
            "lines": tuple(data["lines"]),
            "section_span": tuple(data["section_span"]),
            "audience": tuple(data["audience"]),
        }
    )
