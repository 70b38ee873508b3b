"""Meaning-level recall from Russian word embeddings that ship inside a package.

People ask «деньги списали два раза» where the text says «двойное списание».
Navec (``navec_news_v1_1B_250K_300d_100q``, 250k words × 300 dimensions,
product-quantised to 26 MB) ships inside the ``natasha`` package, so the
model is on disk after ``pip install`` and nothing is downloaded at run time.

A passage becomes the IDF-weighted average of its words' vectors (the words
as written: Navec's vocabulary holds word forms, not lemmas), normalised, and
a query is scored by cosine similarity. The retriever has the same small
interface as the lexical ones.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from .analysis import Analysed
from .recent import Kept
from .retrievers import Retriever, register
from .vocabulary import WORDS_KEPT

__all__ = ["SemanticRetriever", "navec_path", "load_navec"]

MODEL = "navec_news_v1_1B_250K_300d_100q.tar"
_lock = threading.Lock()
_model: Any = None


def navec_path() -> Path | None:
    """Where the natasha package keeps the Navec model, without importing natasha (or its pymorphy2)."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / "emb" / MODEL
        if path.is_file():
            return path
    return None


def load_navec() -> Any:
    """The process-wide Navec model (0.5 s to load), or an ImportError saying what to install."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                path = navec_path()
                if path is None:
                    raise ImportError("the semantic retriever needs the natasha package (pip install natasha navec)")
                from navec import Navec

                _model = Navec.load(str(path))
    return _model


@register
class SemanticRetriever(Retriever):
    """Cosine similarity between IDF-weighted averages of Navec word vectors."""

    name: ClassVar[str] = "semantic"
    label: ClassVar[str] = "Смысловая близость (Navec)"
    description: ClassVar[str] = "cosine of IDF-weighted Navec word-vector averages (needs natasha)"
    default: ClassVar[bool] = False

    @classmethod
    def available(cls) -> bool:
        return navec_path() is not None

    @property
    def size(self) -> int:
        return int(self.matrix_.shape[0])

    def __init__(self) -> None:
        self._cache: Kept[str, np.ndarray | None] = Kept(WORDS_KEPT)  # query words are open-ended

    def _vector(self, word: str, lemma: str) -> np.ndarray | None:
        key = f"{word}\0{lemma}"
        if key in self._cache:
            return self._cache[key]
        navec = load_navec()
        vector = None
        for candidate in (word, lemma):
            if candidate in navec:
                vector = np.asarray(navec[candidate], dtype=np.float32)
                break
        self._cache.keep(key, vector)
        return vector

    def _embed(self, text: Analysed) -> np.ndarray:
        words = text.surface.split()
        total = np.zeros(self.dimensions_, dtype=np.float32)
        if len(words) != len(text.terms):  # surfaces and terms are aligned one to one
            words = list(text.terms)
        for (word, lemma), count in Counter(zip(words, text.terms)).items():
            vector = self._vector(word, lemma)
            if vector is not None:
                total += count * self._idf(lemma) * vector
        norm = float(np.linalg.norm(total))
        return total / norm if norm > 0 else total

    def _idf(self, term: str) -> float:
        column = self.vocabulary_.get(term)
        return float(self.idf_[column]) if column is not None else self._max_idf

    def fit(self, documents: Sequence[Analysed]) -> Self:
        self.dimensions_ = int(load_navec().pq.dim)
        df = Counter(term for document in documents for term in set(document.terms))
        n = len(documents)
        self.vocabulary_ = {term: column for column, term in enumerate(df)}
        self.idf_ = np.array([math.log((n + 1) / (df[term] + 1)) + 1 for term in df], dtype=np.float64)
        self._max_idf = math.log(n + 1) + 1
        self.matrix_ = np.vstack([self._embed(document) for document in documents]) if n else np.zeros((0, 300))
        return self

    def scores(self, query: Analysed) -> np.ndarray:
        vector = self._embed(query)
        if not vector.any():
            return np.zeros(self.matrix_.shape[0])
        return np.maximum(self.matrix_ @ vector, 0.0).astype(np.float64)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"vocabulary": list(self.vocabulary_), "model": MODEL}, {"idf": self.idf_, "matrix": self.matrix_}

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        retriever = cls()
        retriever.vocabulary_ = {term: column for column, term in enumerate(params["vocabulary"])}
        retriever.idf_ = arrays["idf"]
        retriever.matrix_ = arrays["matrix"]
        retriever.dimensions_ = int(retriever.matrix_.shape[1])
        retriever._max_idf = math.log(retriever.matrix_.shape[0] + 1) + 1
        return retriever
