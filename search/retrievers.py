"""Retrievers: BM25 and TF-IDF over analysed passages, behind one small interface.

Each retriever is fitted on the analysed passages, scores an analysed query
against every passage, and turns itself into plain arrays and JSON (and back)
for the index on disk. None of them knows about the others; fusion combines
their rankings.

- :class:`BM25` reproduces rank-bm25's ``BM25Okapi`` exactly (same k1, b,
  epsilon and IDF floor) from a precomputed sparse weight matrix, so a query
  costs one sparse product over its own terms' postings instead of a Python
  loop over every passage.
- :class:`TfidfWords` is scikit-learn's ``TfidfVectorizer`` over lemma
  unigrams and bigrams; :class:`TfidfChars` the same over ``char_wb``
  n-grams of the words as written, which still meet when a word is
  misspelt or unknown to the dictionary. Both rank by cosine similarity.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, Self

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["Analysed", "BM25", "HeadingsBM25", "Retriever", "TfidfChars", "TfidfWords", "RETRIEVERS", "top_k"]


@dataclass(frozen=True, slots=True)
class Analysed:
    """A text as the retrievers see it: its terms (lemmas, canonical tokens) and its words as written."""

    terms: tuple[str, ...]
    surface: str
    headings: tuple[str, ...] = ()  # terms of the section headings (passages only; a query uses its terms)


class Retriever(Protocol):
    name: ClassVar[str]

    def fit(self, documents: Sequence[Analysed]) -> Self: ...

    def scores(self, query: Analysed) -> np.ndarray: ...

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]: ...

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self: ...


def top_k(scores: np.ndarray, k: int, minimum: float = 0.0) -> np.ndarray:
    """Indices of the ``k`` best scores above ``minimum``, best first, ties by index."""
    candidates = np.flatnonzero(scores > minimum)
    if candidates.size > k:
        # argpartition on the negated candidates only: fast and exact.
        keep = np.argpartition(-scores[candidates], k - 1)[:k]
        threshold = scores[candidates[keep]].min()
        candidates = candidates[scores[candidates] >= threshold]
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order][:k]


def _sparse_arrays(matrix: sp.csr_matrix | sp.csc_matrix, prefix: str) -> dict[str, np.ndarray]:
    """A CSR or CSC matrix as plain arrays, in its own layout, so a round trip is bit-exact."""
    return {
        f"{prefix}_data": matrix.data,
        f"{prefix}_indices": matrix.indices,
        f"{prefix}_indptr": matrix.indptr,
        f"{prefix}_shape": np.asarray(matrix.shape, dtype=np.int64),
    }


def _sparse_from(arrays: dict[str, np.ndarray], prefix: str, layout: type[sp.csr_matrix] | type[sp.csc_matrix]):  # type: ignore[no-untyped-def]
    shape = tuple(int(n) for n in arrays[f"{prefix}_shape"])
    return layout((arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]), shape=shape)


class BM25:
    """Okapi BM25 with rank-bm25's exact scores.

    rank-bm25 floors a negative IDF (a term in more than half of the passages)
    at ``epsilon × mean IDF`` and counts a repeated query term once per
    repetition; both are kept so the scores are the same to the last bits.

    >>> bm25 = BM25().fit([Analysed(("возврат", "товар"), ""), Analysed(("оплата",), "")])
    >>> bool(bm25.scores(Analysed(("возврат",), ""))[0] > 0)
    True
    """

    name: ClassVar[str] = "bm25"

    def __init__(self, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        self.k1, self.b, self.epsilon = k1, b, epsilon

    def fit(self, documents: Sequence[Analysed]) -> Self:
        vocabulary: dict[str, int] = {}
        rows, cols, counts = [], [], []
        lengths = np.zeros(len(documents), dtype=np.float64)
        for row, document in enumerate(documents):
            terms = self._terms(document)
            lengths[row] = len(terms)
            for term, count in Counter(terms).items():
                rows.append(row)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                counts.append(count)
        tf = sp.csc_matrix(
            (np.asarray(counts, dtype=np.float64), (rows, cols)), shape=(len(documents), len(vocabulary))
        )
        n = len(documents)
        df = np.diff(tf.indptr).astype(np.float64)
        # math.log and a left-to-right sum, as rank-bm25 does, so even the floor is bit-identical.
        raw = [math.log(n - freq + 0.5) - math.log(freq + 0.5) for freq in df.tolist()]
        total = 0.0
        for value in raw:
            total += value
        floor = self.epsilon * (total / len(raw)) if raw else 0.0
        idf = np.array([value if value >= 0 else floor for value in raw], dtype=np.float64)
        average_length = lengths.sum() / n if n else 0.0
        # Term-frequency saturation and length normalisation, precomputed per posting.
        norm = self.k1 * (1 - self.b + self.b * lengths / average_length) if average_length else np.zeros(n)
        weights = tf.copy()
        doc_of_posting = tf.indices
        weights.data = tf.data * (self.k1 + 1) / (tf.data + norm[doc_of_posting])
        weights = weights @ sp.diags(idf)
        self.vocabulary_ = vocabulary
        self.idf_ = idf
        self.weights_ = sp.csc_matrix(weights)
        self.average_length_ = float(average_length)
        return self

    def _terms(self, text: Analysed) -> tuple[str, ...]:
        return text.terms

    def scores(self, query: Analysed) -> np.ndarray:
        counts = Counter(term for term in query.terms if term in self.vocabulary_)
        if not counts:
            return np.zeros(self.weights_.shape[0])
        columns = [self.vocabulary_[term] for term in counts]
        return self.weights_[:, columns] @ np.fromiter(counts.values(), dtype=np.float64, count=len(counts))

    def idf_of(self, term: str) -> float:
        """The term's IDF; a term no passage contains weighs as much as the rarest one, and more."""
        column = self.vocabulary_.get(term)
        if column is not None:
            return float(self.idf_[column])
        n = self.weights_.shape[0]
        return math.log(n + 0.5) - math.log(0.5)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        params = {
            "k1": self.k1, "b": self.b, "epsilon": self.epsilon,
            "average_length": self.average_length_, "vocabulary": list(self.vocabulary_),
        }  # fmt: skip
        return params, {"idf": self.idf_, **_sparse_arrays(self.weights_, "weights")}

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        bm25 = cls(params["k1"], params["b"], params["epsilon"])
        bm25.vocabulary_ = {term: column for column, term in enumerate(params["vocabulary"])}
        bm25.idf_ = arrays["idf"]
        bm25.weights_ = _sparse_from(arrays, "weights", sp.csc_matrix)
        bm25.average_length_ = params["average_length"]
        return bm25


class HeadingsBM25(BM25):
    """BM25 over the section headings alone: a field that says what a whole section is about.

    A passage that mentions "возврат" once in passing should not outrank the
    section titled «Возвраты и обмены товаров»; fused with the body
    retrievers, this field lets the section's own name count.
    """

    name: ClassVar[str] = "headings"

    def _terms(self, text: Analysed) -> tuple[str, ...]:
        return text.headings


def lemma_ngrams(terms: Sequence[str]) -> list[str]:
    """Unigrams and bigrams of a term sequence: scikit-learn's ``analyzer`` for lemmas."""
    return [*terms, *(f"{a} {b}" for a, b in zip(terms, terms[1:]))]


class _Tfidf:
    """Shared by both TF-IDF retrievers: fit with scikit-learn, keep vocabulary + idf + matrix."""

    name: ClassVar[str]

    def _vectorizer(self, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        raise NotImplementedError

    def _input(self, text: Analysed) -> Any:
        raise NotImplementedError

    def fit(self, documents: Sequence[Analysed]) -> Self:
        vectorizer = self._vectorizer()
        self.matrix_ = sp.csr_matrix(vectorizer.fit_transform([self._input(d) for d in documents]))
        self.vectorizer_ = vectorizer
        return self

    def scores(self, query: Analysed) -> np.ndarray:
        vector = self.vectorizer_.transform([self._input(query)])
        if vector.nnz == 0:
            return np.zeros(self.matrix_.shape[0])
        # Rows are L2-normalised, so the dot product is the cosine similarity.
        return np.asarray((self.matrix_ @ vector.T).todense()).ravel()

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        vocabulary = sorted(self.vectorizer_.vocabulary_, key=self.vectorizer_.vocabulary_.__getitem__)
        return {"vocabulary": vocabulary}, {"idf": self.vectorizer_.idf_, **_sparse_arrays(self.matrix_, "matrix")}

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        retriever = cls()
        vectorizer = retriever._vectorizer({term: column for column, term in enumerate(params["vocabulary"])})
        vectorizer.idf_ = arrays["idf"]  # scikit-learn's own setter: no pickle needed
        retriever.vectorizer_ = vectorizer
        retriever.matrix_ = _sparse_from(arrays, "matrix", sp.csr_matrix)
        return retriever


class TfidfWords(_Tfidf):
    """TF-IDF over lemma unigrams and bigrams (scikit-learn), cosine similarity."""

    name: ClassVar[str] = "tfidf"

    def _vectorizer(self, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        return TfidfVectorizer(analyzer=lemma_ngrams, vocabulary=vocabulary, sublinear_tf=True)

    def _input(self, text: Analysed) -> Any:
        return text.terms


class TfidfChars(_Tfidf):
    """TF-IDF over ``char_wb`` 3–5-grams of the words as written: survives typos and unknown words."""

    name: ClassVar[str] = "chars"

    def _vectorizer(self, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), lowercase=False, vocabulary=vocabulary, sublinear_tf=True
        )

    def _input(self, text: Analysed) -> Any:
        return text.surface


RETRIEVERS: dict[str, type[BM25] | type[HeadingsBM25] | type[TfidfWords] | type[TfidfChars]] = {
    cls.name: cls for cls in (BM25, HeadingsBM25, TfidfWords, TfidfChars)
}
