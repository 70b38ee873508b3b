"""Russian help-center search: section-aware passages, pymorphy3 lemmas, BM25 + TF-IDF.

    corpus folder ─► documents ─► passages ─► analysis ─► retrievers ─► index directory
    query ─► analysis ─► retrievers ─► fusion ─► SearchResults (hits with citations)

>>> from search import SearchEngine
>>> engine = SearchEngine.from_directory("corpus")
>>> hits = engine.search("двойное списание", k=3)
>>> hits[0].citation  # doctest: +ELLIPSIS
'Как связаться со службой поддержки Ozon: руководство для покупателей › ... › 2 Проблемы с оплатой, строки 14–21'
"""

from .analysis import Analyzer
from .answers import Conflict, FactValue
from .corpus import CorpusError, CorpusWarning, Document
from .engine import SearchEngine
from .evaluation import (
    Evaluation,
    Judgment,
    JudgmentError,
    answer_sentences,
    evaluate,
    evaluate_configurations,
    load_judgments,
    rewriting_effect,
    tune_fusion,
)
from .fusion import Fusion
from .passages import Passage
from .results import Correction, Hit, QueryInfo, RetrieverScore, SearchResults
from .storage import IndexFormatError

__all__ = [
    "Analyzer",
    "Conflict",
    "CorpusError",
    "CorpusWarning",
    "Correction",
    "Document",
    "Evaluation",
    "FactValue",
    "Fusion",
    "Hit",
    "IndexFormatError",
    "Judgment",
    "JudgmentError",
    "Passage",
    "QueryInfo",
    "RetrieverScore",
    "SearchEngine",
    "SearchResults",
    "answer_sentences",
    "evaluate",
    "evaluate_configurations",
    "load_judgments",
    "rewriting_effect",
    "tune_fusion",
]
