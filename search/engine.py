"""The facade: build or open an index, and run the query pipeline over it."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .analysis import Analyzer
from .config import EngineConfig
from .corpus import Document
from .fusion import HYBRID_LABEL, LEARNED, LEARNED_LABEL, Fusion
from .index import Index, build_index, open_index
from .lexicon import Lexicon
from .passages import Passage
from .pipeline import HYBRID, Pipeline
from .results import Hit, SearchResults
from .retrievers import Retriever

__all__ = ["SearchEngine"]


class SearchEngine:
    """Search a folder of Russian help-center documents.

    >>> engine = SearchEngine.from_directory("corpus")
    >>> hits = engine.search("как вернуть товар", k=3)
    >>> hits[0].section
    'Зачем обращаться в службу поддержки › 3 Возвраты и обмены товаров'
    """

    def __init__(self, index: Index, analyzer: Analyzer | None = None) -> None:
        self.index = index
        self.analyzer = analyzer or index.config.analyzer()
        self.pipeline = Pipeline.default(index, self.analyzer)

    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        config: EngineConfig | None = None,
        *,
        analyzer: Analyzer | None = None,
        synonyms: str = "",
        progress: bool | None = None,
        **settings: Any,
    ) -> SearchEngine:
        """Chunk, analyse and index ``documents`` in memory; ``synonyms`` is a thesaurus in Solr's format.

        ``settings`` are :class:`EngineConfig` fields that replace those of ``config``
        (``retrievers=["bm25", "tfidf"]``, ``fusion=Fusion(...)``).
        """
        config = EngineConfig.resolve(config, analyzer, settings)
        return cls(build_index(documents, config, analyzer=analyzer, synonyms=synonyms, progress=progress), analyzer)

    @classmethod
    def from_directory(
        cls,
        path: str | Path,
        index_dir: str | Path | None = None,
        rebuild: bool = False,
        *,
        config: EngineConfig | None = None,
        analyzer: Analyzer | None = None,
        synonyms: str | Path | None = None,
        progress: bool | None = None,
        **settings: Any,
    ) -> SearchEngine:
        """The engine for a corpus folder: loads its saved index when it is current, else builds and saves one.

        ``index_dir`` defaults to ``<path>/.index``; when it cannot be written (a read-only corpus)
        the engine is built in memory with a warning. ``synonyms`` is a thesaurus file in Solr's
        format, by default ``<path>/synonyms.txt``.
        """
        config = EngineConfig.resolve(config, analyzer, settings)
        return cls(open_index(path, index_dir, config, rebuild, analyzer, synonyms, progress), analyzer)

    @classmethod
    def load(cls, index_dir: str | Path, *, verify: bool | None = None) -> SearchEngine:
        """Open a saved index; an unusable one raises :class:`~search.storage.IndexFormatError` with a fix."""
        return cls(Index.load(index_dir, verify=verify))

    def save(self, index_dir: str | Path) -> Path:
        """Write the index as a new version of ``index_dir`` (atomically); return its folder."""
        return self.index.save(index_dir)

    def configured(self, **settings: Any) -> SearchEngine:
        """The same index under other query-time settings (``fusion=``, ``min_coverage=`` …), for tuning."""
        return SearchEngine(self.index.configured(replace(self.config, **settings)), self.analyzer)

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        retriever: str | None = None,
        documents: Collection[str] | None = None,
        audience: str | None = None,
        rewrite: bool | Collection[str] = True,
    ) -> SearchResults:
        """The ``k`` best passages for ``query``, best first.

        ``retriever`` is ``"learned"`` (the learned re-ranking of the fused
        candidates), ``"hybrid"`` (the fusion) or one of :attr:`retrievers`
        alone; by default (``None``) the learned ranking, or the fusion when
        the index lacks a retriever its model reads (:attr:`default_ranking`).
        ``documents`` keeps only passages of those document ids, ``audience``
        only passages for that audience ("покупатели" or "продавцы").
        ``rewrite=False`` searches the words exactly as typed; a collection of
        step names (:attr:`steps`) runs only those steps.
        Anything unknown is a ``ValueError`` that names the valid values.
        """
        request = self.pipeline.request(
            query, k, retriever=retriever, documents=documents, audience=audience, rewrite=rewrite
        )
        return self.pipeline.run(request)

    # --- what the engine holds -----------------------------------------------------------

    @property
    def config(self) -> EngineConfig:
        return self.index.config

    @property
    def documents(self) -> Mapping[str, Document]:
        return self.index.documents

    @property
    def passages(self) -> Sequence[Passage]:
        return self.index.passages

    @property
    def lexicon(self) -> Lexicon:
        return self.index.lexicon

    @property
    def fingerprint(self) -> str:
        return self.index.fingerprint

    @property
    def fusion(self) -> Fusion:
        return self.index.config.fusion

    @property
    def retrievers(self) -> Mapping[str, Retriever]:
        return self.index.retrievers

    @property
    def default_ranking(self) -> str:
        """The ranking of a search that names none: ``"learned"`` when the index can run it, else ``"hybrid"``."""
        return self.pipeline.default_ranking

    @property
    def rankings(self) -> dict[str, str]:
        """What ``retriever=`` accepts, with the names the page shows: the fusion, the learned ranking, each one."""
        labels = {
            HYBRID: HYBRID_LABEL,
            LEARNED: LEARNED_LABEL,
            **{n: type(r).label for n, r in self.retrievers.items()},
        }
        return {name: labels[name] for name in self.pipeline.rankings}

    @property
    def fused(self) -> tuple[str, ...]:
        """The retrievers the hybrid ranking fuses."""
        return tuple(self.pipeline.weights)

    @property
    def steps(self) -> tuple[str, ...]:
        """The rewriting steps ``rewrite=`` may name, in the order they run."""
        return self.pipeline.steps

    @property
    def audiences(self) -> tuple[str, ...]:
        return self.pipeline.audiences

    def passage(self, passage_id: str) -> Passage:
        return self.index.passage(passage_id)

    def section_parts(self, passage: Passage | Hit) -> tuple[str, str, str]:
        """The whole section a passage comes from, exactly as in its document: before, the passage, after."""
        return self.index.section_parts(passage.passage if isinstance(passage, Hit) else passage)

    def section_text(self, passage: Passage | Hit) -> str:
        """The whole section a passage comes from, exactly as in its document."""
        return "".join(self.section_parts(passage)).strip()

    def __repr__(self) -> str:
        return (
            f"SearchEngine({len(self.documents)} documents, {len(self.passages)} passages, "
            f"retrievers={list(self.retrievers)}, {self.analyzer!r})"
        )
