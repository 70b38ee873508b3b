"""Russian help-center search: section-aware passages, pymorphy3 lemmas, BM25 + TF-IDF.

    corpus folder ─► documents ─► passages ─► analysis ─► Lexicon + retrievers ─► index folder
    query ─► understand ─► retrieve ─► fuse ─► decide ─► annotate ─► SearchResults (hits with citations)

>>> from search import SearchEngine
>>> engine = SearchEngine.from_directory("corpus")
>>> hits = engine.search("двойное списание", k=3)
>>> hits[0].citation  # doctest: +ELLIPSIS
'Как связаться со службой поддержки Ozon: руководство для покупателей › ... › 2 Проблемы с оплатой, строки 14–21'

Relevance evaluation (judged queries, ranx metrics, fusion tuning) lives in
:mod:`search.evaluation`; it is importable but not part of this face.
"""

from .analysis import Analyzer
from .answers import Conflict, FactValue
from .config import EngineConfig
from .corpus import CorpusError, CorpusWarning, Document
from .engine import SearchEngine
from .fusion import Fusion
from .passages import Passage
from .results import Correction, Hit, QueryInfo, RetrieverScore, SearchResults
from .retrievers import RETRIEVERS, Retriever
from .storage import IndexFormatError

__all__ = [
    "RETRIEVERS",
    "Analyzer",
    "Conflict",
    "CorpusError",
    "CorpusWarning",
    "Correction",
    "Document",
    "EngineConfig",
    "FactValue",
    "Fusion",
    "Hit",
    "IndexFormatError",
    "Passage",
    "QueryInfo",
    "Retriever",
    "RetrieverScore",
    "SearchEngine",
    "SearchResults",
]
