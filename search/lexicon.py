"""The corpus as the query side sees it: vocabulary, document frequencies, IDF, postings.

Always built, whatever retrievers are chosen: query understanding (which
words the documents use), the no-answer rule (how much of a query the best
passages cover) and highlighting (how much each matched term weighs) read
it, never a retriever.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any, Self

import numpy as np

from .analysis import WORD, Analysed

__all__ = ["Lexicon", "number_features", "numbered_field", "okapi_idf"]

_SURFACES = ("surface", "question_surface")  # words as written, one string: split on spaces


def number_features(
    texts: Sequence[Any], features: Callable[[Any], Sequence[str]], vocabulary: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Every text's features as column numbers, one flat int32 array, and each text's count of them.

    New features join ``vocabulary`` in order of first occurrence: one dict lookup per feature.
    """
    ids = array("i")
    lengths = np.zeros(len(texts), dtype=np.int64)
    setdefault = vocabulary.setdefault
    for row, text in enumerate(texts):
        tokens = features(text)
        lengths[row] = len(tokens)
        ids.extend([setdefault(token, len(vocabulary)) for token in tokens])
    return (np.frombuffer(ids, dtype=np.int32) if len(ids) else np.zeros(0, dtype=np.int32)), lengths


def numbered_field(texts: Sequence[Any], name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """One field of every analysed text as column numbers in order of first occurrence.

    Returns the numbers (int32, one flat array), each text's count of them, and the
    column → string list. An :class:`~search.analysed.AnalysedCorpus` (what a build
    makes) has them as arrays already; a list of :class:`Analysed` is numbered one
    string at a time, with the same result.
    """
    numbered = getattr(texts, "numbered", None)
    if numbered is not None:
        return numbered(name)
    vocabulary: dict[str, int] = {}
    if name in _SURFACES:
        ids, lengths = number_features(texts, lambda text: getattr(text, name).split(), vocabulary)
    else:
        ids, lengths = number_features(texts, attrgetter(name), vocabulary)
    return ids, lengths, list(vocabulary)


def okapi_idf(df: np.ndarray, n: int, epsilon: float = 0.25) -> np.ndarray:
    """rank-bm25's ``BM25Okapi`` IDF, bit for bit: ``log(n − df + ½) − log(df + ½)``.

    A negative IDF (a term in more than half of the passages) is floored at
    ``epsilon × mean IDF``; ``math.log`` and a left-to-right sum, as rank-bm25
    computes them, so even the floor is identical.
    """
    raw = [math.log(n - freq + 0.5) - math.log(freq + 0.5) for freq in df.tolist()]
    total = 0.0
    for value in raw:
        total += value
    floor = epsilon * (total / len(raw)) if raw else 0.0
    return np.array([value if value >= 0 else floor for value in raw], dtype=np.float64)


def _written_words(analysed: Sequence[Analysed]) -> dict[str, int]:
    """Each word as written and its count, most frequent first, ties in order of first occurrence.

    What ``dict(Counter(words).most_common())`` gives, counted over column numbers.
    """
    ids, _, surfaces = numbered_field(analysed, "surface")
    counts = np.bincount(ids, minlength=len(surfaces)) if ids.size else np.zeros(len(surfaces), dtype=np.int64)
    words = [column for column, surface in enumerate(surfaces) if WORD.fullmatch(surface)]
    if not words:
        return {}
    picked = np.array(words, dtype=np.int64)
    order = picked[np.argsort(-counts[picked], kind="stable")]
    return {surfaces[column]: count for column, count in zip(order.tolist(), counts[order].tolist())}


class Lexicon:
    """Terms (lemmas, canonical tokens) of the analysed passages, and the words as written.

    ``vocabulary`` maps a term to its column; ``df`` and ``idf`` are per
    column; the postings (CSC layout: ``indptr``, sorted ``indices``) say
    which passages hold a term. ``words`` counts the words as written, which
    spelling correction maps misspelt words onto.

    >>> lexicon = Lexicon.build([Analysed(("возврат", "товар"), "возврат товара"), Analysed(("оплата",), "оплата")])
    >>> "товар" in lexicon, lexicon.contains("товар", np.array([0, 1])).tolist()
    (True, [True, False])
    """

    def __init__(
        self,
        terms: Sequence[str],
        df: np.ndarray,
        idf: np.ndarray,
        indptr: np.ndarray,
        indices: np.ndarray,
        words: dict[str, int],
        passages: int,
    ) -> None:
        self.vocabulary = {term: column for column, term in enumerate(terms)}
        self.df, self.idf = df, idf
        self.indptr, self.indices = indptr, indices
        self.words = words
        self.passages = passages
        self.lengths = np.zeros(passages, dtype=np.int64)  # each passage's length in terms (set by build/from_state)
        self._unseen_idf = math.log(passages + 0.5) - math.log(0.5)

    @classmethod
    def build(cls, analysed: Sequence[Analysed]) -> Self:
        import scipy.sparse as sp  # only to build: a process serving a saved index does not import scipy

        ids, lengths, terms = numbered_field(analysed, "terms")
        n = len(analysed)
        rows = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=rows[1:])
        # Passage × term, each (passage, term) once, turned into postings: by term, then by passage.
        matrix = sp.csr_matrix((np.ones(ids.size, dtype=bool), ids, rows), shape=(n, len(terms)))  # one byte each
        matrix.sum_duplicates()
        postings = matrix.tocsc()
        del matrix
        indices = postings.indices.astype(np.int32, copy=False)
        indptr = postings.indptr.astype(np.int64)
        df = np.diff(indptr)
        lexicon = cls(terms, df, okapi_idf(df, n), indptr, indices, _written_words(analysed), n)
        lexicon.lengths = lengths
        return lexicon

    def __contains__(self, term: str) -> bool:
        return term in self.vocabulary

    def __len__(self) -> int:
        return len(self.vocabulary)

    def idf_of(self, term: str) -> float:
        """The term's IDF; a term no passage contains weighs as much as the rarest one, and more."""
        column = self.vocabulary.get(term)
        return float(self.idf[column]) if column is not None else self._unseen_idf

    def postings(self, term: str) -> np.ndarray:
        column = self.vocabulary.get(term)
        if column is None:
            return np.zeros(0, dtype=np.int32)
        return self.indices[self.indptr[column] : self.indptr[column + 1]]

    def contains(self, term: str, rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` (passages) hold ``term``: a binary search in its postings."""
        postings = self.postings(term)
        found = np.searchsorted(postings, rows)
        inside = found < postings.size
        result = np.zeros(rows.shape, dtype=bool)
        result[inside] = postings[found[inside]] == rows[inside]
        return result

    def known(self, terms: Iterable[str]) -> list[str]:
        return [term for term in terms if term in self.vocabulary]

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        params = {"terms": list(self.vocabulary), "words": self.words, "passages": self.passages}
        arrays = {"df": self.df, "idf": self.idf, "indptr": self.indptr, "indices": self.indices}
        return params, {**arrays, "lengths": self.lengths}

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        terms = params["terms"]
        if not (len(terms) == arrays["df"].size == arrays["idf"].size == arrays["indptr"].size - 1):
            raise ValueError(f"lexicon: {len(terms)} terms but {arrays['df'].size} document frequencies")
        lexicon = cls(
            terms,
            arrays["df"],
            arrays["idf"],
            arrays["indptr"],
            arrays["indices"],
            dict(params["words"]),
            int(params["passages"]),
        )
        lexicon.lengths = arrays["lengths"]
        return lexicon

    def __repr__(self) -> str:
        return f"Lexicon({len(self.vocabulary)} terms, {len(self.words)} words, {self.passages} passages)"
