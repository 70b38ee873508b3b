"""Retrievers: BM25 and TF-IDF over analysed passages, behind one small interface.

Each retriever is fitted on the analysed passages, scores an analysed query
against every passage, and turns itself into plain arrays and JSON (and back)
for the index on disk. None of them knows about the others; fusion combines
their rankings.

- :class:`BM25` reproduces rank-bm25's ``BM25Okapi`` exactly (same k1, b,
  epsilon and IDF floor) from a precomputed sparse weight matrix, so a query
  costs one sparse product over its own terms' postings instead of a Python
  loop over every passage.
- :class:`TfidfWords` is TF-IDF weighted by scikit-learn's ``TfidfTransformer``
  over lemma unigrams and bigrams; :class:`TfidfChars` the same over
  scikit-learn's ``char_wb`` n-grams of the words as written, which still meet
  when a word is misspelt or unknown to the dictionary. Both rank by cosine
  similarity.
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

import numpy as np

from . import kernels
from .analysis import Analysed
from .arrays import sorted_unique, unique_counts
from .lexicon import numbered_field, okapi_idf
from .storage import MappedFile

if TYPE_CHECKING:
    import scipy.sparse as sp

    from .passages import Passage

# scipy and scikit-learn are imported only to fit (it computes the TF-IDF weights and cuts the passages' char n-grams):
# importing them costs 0.2 s and 1–3 s, which a process that opens a saved index and answers queries must not pay.

__all__ = [
    "Analysed",
    "BM25",
    "HeadingsBM25",
    "JointScores",
    "RETRIEVERS",
    "Retriever",
    "TfidfChars",
    "TfidfWords",
    "register",
    "registry_table",
    "top_k",
]


class Retriever(ABC):
    """What every retriever is: fitted on analysed passages, it ranks them for an analysed query.

    ``name`` is how the engine, the CLI and the page call it, ``label`` how the
    page shows it; ``default`` retrievers are built unless the configuration
    says otherwise. ``min_score`` is the score a passage needs to count at all.
    State is plain JSON parameters and numpy arrays, so an index is data.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str]
    default: ClassVar[bool] = True
    max_passages: ClassVar[int | None] = None  # a default build of a larger corpus leaves it out (too slow to fit)
    min_score: float = 0.0

    @classmethod
    def available(cls) -> bool:
        """Whether this installation can build it (a model it needs may be missing)."""
        return True

    @abstractmethod
    def fit(self, documents: Sequence[Analysed]) -> Self:
        """Learn from the analysed passages, in index order; returns ``self``."""

    def fit_passages(self, documents: Sequence[Analysed], passages: Sequence[Passage]) -> Self:
        """Fit on an index's passages: their analysed fields (:meth:`fit`); a sentence encoder reads their text."""
        del passages
        return self.fit(documents)

    @abstractmethod
    def scores(self, query: Analysed) -> np.ndarray:
        """The score of every passage, in index order."""

    def scores_with(self, query: Analysed, added: Analysed, weight: float) -> np.ndarray:
        """``scores(query) + weight × scores(added)``: a query's own terms with the synonyms that only add to them
        (the postings retrievers score both in one pass over their postings, with the same sums)."""
        return self.scores(query) + weight * self.scores(added)

    def top(self, query: Analysed, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best passages scoring above ``min_score`` (and ``allowed``), best first, with their scores."""
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        best = top_k(scores, k, self.min_score)
        return best, scores[best]

    @property
    @abstractmethod
    def size(self) -> int:
        """How many passages it was fitted on: a saved index is checked against its passages."""

    @abstractmethod
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON parameters and arrays that :meth:`from_state` turns back into an equal retriever."""

    @classmethod
    @abstractmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self: ...


RETRIEVERS: dict[str, type[Retriever]] = {}
"""Every retriever by name, in the order the page lists them: the one list the CLI, page and README read."""


_R = TypeVar("_R", bound=type[Retriever])


def register(cls: _R) -> _R:
    """Add a retriever class to :data:`RETRIEVERS` (a class decorator)."""
    if cls.name in RETRIEVERS and RETRIEVERS[cls.name] is not cls:
        raise ValueError(f"a retriever named {cls.name!r} is registered already")
    RETRIEVERS[cls.name] = cls
    return cls


def registry_table() -> str:
    """The registered retrievers as a Markdown table (the README's is this, verbatim)."""
    rows = ["| name | on the page | built by default | what it ranks by |", "|---|---|---|---|"]
    for name, cls in RETRIEVERS.items():
        rows.append(f"| `{name}` | {cls.label} | {'yes' if cls.default else 'on request'} | {cls.description} |")
    return "\n".join(rows)


_FEW_FEATURES = 24  # up to this many query features, a query's TF-IDF weights are worked out in Python floats
_ONE_PLUS_LOG = (np.log(np.arange(1, 257, dtype=np.float64)) + 1.0).tolist()  # 1 + numpy's log of each count


def _few_weights(tf: Sequence[int], idf: Any, columns: Sequence[int]) -> np.ndarray:
    """``_Tfidf._weights`` of a few features, each step the same float operation on the same numbers as the
    arrays' (1 + numpy's log of the count, read from a table made by numpy's log; × the IDF; a left-to-right sum of
    squares; one division each): the same bits in two numpy calls instead of eight."""
    counts = tf.tolist() if isinstance(tf, np.ndarray) else list(tf)
    if max(counts, default=1) > len(_ONE_PLUS_LOG):  # a count past the table: numpy's log of it
        logs = (np.log(np.array(counts, dtype=np.float64)) + 1.0).tolist()
    else:
        logs = [_ONE_PLUS_LOG[count - 1] for count in counts]
    values = [one_plus_log * weight for one_plus_log, weight in zip(logs, idf.take(columns).tolist())]
    total = 0.0
    for value in values:
        total += value * value
    if total != 0.0:
        norm = math.sqrt(total)
        values = [value / norm for value in values]
    return np.array(values, dtype=np.float64)


def top_k(scores: np.ndarray, k: int, minimum: float = 0.0) -> np.ndarray:
    """Indices of the ``k`` best scores above ``minimum``, best first, ties by index.

    Up to :data:`SMALL_TOP` scores (a small corpus), one stable sort of them all, cut where the scores above
    ``minimum`` end: the same order, in three numpy calls rather than seven."""
    if scores.size <= SMALL_TOP:
        return (-scores).argsort(kind="stable")[: max(min(k, int(np.count_nonzero(scores > minimum))), 0)]
    candidates = np.flatnonzero(scores > minimum)
    return candidates[_best(scores[candidates], k)]


def _best(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest ``values``, best first, ties by position.

    The partition runs on the negated values: with numpy 2.4,
    ``np.argpartition(values, -k)`` on a mostly-zero vector is ~30× slower
    than ``np.argpartition(-values, k)``. Up to :data:`SMALL_TOP` values, one lexsort of them all is quicker
    (the same order: score descending, then position).
    """
    positions = np.arange(values.size)
    if values.size <= SMALL_TOP:  # a few hundred values: one sort beats the partition's several numpy calls
        return np.lexsort((positions, -values))[: max(k, 0)]
    if values.size > k > 0:
        keep = np.argpartition(-values, k - 1)[:k]
        threshold = values[keep].min()
        positions = np.flatnonzero(values >= threshold)  # every tie of the k-th value, so ties break by position
    order = np.lexsort((positions, -values[positions]))
    return positions[order][:k]


# One scratch vector of scores per thread, zero between queries: a query writes only
# its postings' rows and clears them again, so no query pays for allocating (and the
# kernel for zeroing) a fresh vector as long as the corpus.
_scratch = threading.local()


def _buffer(size: int) -> np.ndarray:
    buffer: np.ndarray | None = getattr(_scratch, "buffer", None)
    if buffer is None or buffer.size < size:
        buffer = _scratch.buffer = np.zeros(size)
    return buffer[:size]


class _Postings:
    """Column-oriented (CSC) weights: a query touches only the postings of its own terms.

    ``_score_columns`` adds ``weight × column`` column by column, in the given
    order, which is the order scipy's ``csc @ vector`` uses, so the scores
    equal the sparse product's to the last bit.
    """

    _indptr: np.ndarray
    _indices: np.ndarray
    _data: np.ndarray
    _rows: int

    def _set_postings(self, matrix: sp.csc_matrix) -> None:
        if not matrix.has_sorted_indices:  # postings are searched by binary search
            matrix.sort_indices()
        self._indptr, self._indices, self._data = matrix.indptr, matrix.indices, matrix.data
        self._rows = matrix.shape[0]

    def _set_saved(self, arrays: dict[str, np.ndarray], prefix: str) -> None:
        """Postings straight from a saved index's (mapped) arrays: no scipy matrix, no scipy import.

        The matrix itself (``weights_``, ``matrix_``) is made from the same arrays
        when something asks for it; queries never do.
        """
        self._indptr, self._indices, self._data = (arrays[f"{prefix}_{part}"] for part in ("indptr", "indices", "data"))
        self._rows = int(arrays[f"{prefix}_shape"][0])
        self._saved = (arrays, prefix)

    def _saved_matrix(self) -> sp.csc_matrix:
        """The postings as scipy's CSC matrix, made once from the saved arrays (shares them, no copy)."""
        matrix = self.__dict__.get("_matrix")
        if matrix is None:
            matrix = self._matrix = _sparse_from(*self._saved, "csc")
        return matrix

    def _score_columns(self, columns: Sequence[int], weights: Sequence[float]) -> np.ndarray:
        if len(columns) > FEW_SCORED:
            # bincount adds each row's contributions one by one in the given order, as np.add.at does (bit for
            # bit), at a fraction of its cost
            rows, values = self._gather(columns, weights)
            return np.bincount(rows, weights=values, minlength=self._rows)
        scores = np.zeros(self._rows)
        indptr, indices, data = self._indptr, self._indices, self._data
        for column, weight in zip(columns, weights):
            start, end = indptr[column], indptr[column + 1]
            scores[indices[start:end]] += data[start:end] * weight
        return scores

    def _query(self, query: Analysed) -> tuple[Sequence[int], Sequence[float]]:
        """The query's columns and their weights, in the order their contributions are added."""
        raise NotImplementedError

    def scores_with(self, query: Analysed, added: Analysed, weight: float) -> np.ndarray:
        """``scores(query) + weight × scores(added)`` from one gather and one ``bincount`` of both term sets'
        postings (the added terms' rows shifted past the corpus): each half's sums are the ones
        ``_score_columns`` makes, added in the same order, so the result is the same to the last bit."""
        (columns, weights), (extra, extra_weights) = self._query(query), self._query(added)
        if not len(columns) or not len(extra):
            return self._score_columns(columns, weights) + weight * self._score_columns(extra, extra_weights)
        both = np.concatenate((np.asarray(weights, dtype=np.float64), np.asarray(extra_weights, dtype=np.float64)))
        picked = np.concatenate((np.asarray(columns, dtype=np.int64), np.asarray(extra, dtype=np.int64)))
        positions, lengths = _positions(self._indptr, picked)
        own = int(lengths[: len(columns)].sum())
        rows = self._indices[positions].astype(np.int64)
        rows[own:] += self._rows
        summed = np.bincount(rows, weights=self._data[positions] * np.repeat(both, lengths), minlength=2 * self._rows)
        return summed[: self._rows] + weight * summed[self._rows :]

    def _gather(self, columns: Sequence[int], weights: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Every posting of ``columns``, in order, as (rows, weight × value): a handful of numpy calls however many.

        ``np.add.at`` adds them in this order, so each row's sum is the column-by-column loop's, bit for bit.
        """
        positions, lengths = _positions(self._indptr, np.asarray(columns, dtype=np.int64))
        return self._indices[positions], self._data[positions] * np.repeat(
            np.asarray(weights, dtype=np.float64), lengths
        )

    def _top_columns(
        self,
        columns: Sequence[int],
        weights: Sequence[float],
        k: int,
        minimum: float = 0.0,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``top_k(self._score_columns(...), k, minimum)`` and those scores, touching only the postings."""
        if minimum < 0:  # rows without any query term (score 0) would count: score them all
            scores = self._score_columns(columns, weights)
            if allowed is not None:
                scores = np.where(allowed, scores, 0.0)
            best = top_k(scores, k, minimum)
            return best, scores[best]
        if k > 0 and len(columns) and (kernel := kernels.kernel_for(self._rows)) is not None:
            return self._top_compiled(kernel, columns, weights, k, minimum, allowed)
        indptr, indices, data = self._indptr, self._indices, self._data
        spans = [(int(indptr[c]), int(indptr[c + 1])) for c in columns]
        total = sum(end - start for start, end in spans)
        if total == 0 or k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0)
        if len(spans) == 1:
            (start, end), weight = spans[0], weights[0]
            candidates, values = indices[start:end], data[start:end] * weight
        elif total > MAXSCORE_MIN_POSTINGS and (pruned := self._maxscore(columns, weights, spans, k, minimum, allowed)):
            candidates, values = pruned
        else:
            buffer = _buffer(self._rows)
            if len(spans) > FEW_COLUMNS:  # many columns (char n-grams): gathered, added in the same order
                rows, contributions = self._gather(columns, weights)
                try:
                    np.add.at(buffer, rows, contributions)
                    candidates = sorted_unique(rows) if total * 8 < self._rows else np.flatnonzero(buffer)
                    values = buffer[candidates]
                finally:
                    buffer[rows] = 0.0
            else:
                try:
                    for (start, end), weight in zip(spans, weights):
                        buffer[indices[start:end]] += data[start:end] * weight
                    if total * 8 < self._rows:  # few postings: sort their rows rather than scan the corpus
                        candidates = sorted_unique(np.concatenate([indices[start:end] for start, end in spans]))
                    else:
                        candidates = np.flatnonzero(buffer)
                    values = buffer[candidates]
                finally:
                    for start, end in spans:
                        buffer[indices[start:end]] = 0.0
        keep = values > minimum
        if allowed is not None:
            keep &= allowed[candidates]
        candidates, values = candidates[keep], values[keep]
        best = _best(values, k)
        return candidates[best].astype(np.int64, copy=False), values[best]

    def _top_compiled(
        self,
        kernel: Callable[..., Any],
        columns: Sequence[int],
        weights: Sequence[float],
        k: int,
        minimum: float,
        allowed: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The same top k and scores, bit for bit, from the compiled kernel (see :mod:`search.kernels`)."""
        return kernel(
            self._indptr,
            self._indices,
            self._data,
            np.asarray(columns, dtype=np.int64),
            np.asarray(weights, dtype=np.float64),
            k,
            float(minimum),
            _NO_MASK if allowed is None else allowed,
            allowed is not None,
            _buffer(self._rows),
        )

    def _column_max(self, column: int) -> float | None:
        """The largest weight of a (long) column, or None when it holds a negative one (its bound would not hold).

        Computed per column the first time a query prunes with it and kept: a
        table over every column read all the weights (45 MiB of TF-IDF at 100k,
        mapped into the process) and held 11 MiB for 1.4M columns, a few
        hundred of which are ever long enough to prune.
        """
        cache: dict[int, float | None] = self.__dict__.setdefault("_column_maxima", {})
        if column not in cache:
            piece = self._data[int(self._indptr[column]) : int(self._indptr[column + 1])]
            cache[column] = float(piece.max()) if piece.size and float(piece.min()) >= 0 else None
        return cache[column]

    def _maxscore(
        self,
        columns: Sequence[int],
        weights: Sequence[float],
        spans: list[tuple[int, int]],
        k: int,
        minimum: float,
        allowed: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Exact top-k candidates and scores without scattering the long postings, or None when that cannot work.

        MaxScore (Turtle & Flood, 1995), in one step: the rare terms are scored
        in full; if k of the passages they reach already score above what all
        the frequent terms together could give any other passage, the frequent
        terms are only looked up for those passages. Each candidate's score is
        then summed in the query's own order — the full scan's additions, so
        equal to the last bit.
        """
        indices, data = self._indices, self._data
        long = {i for i, (start, end) in enumerate(spans) if end - start > MAXSCORE_LONG_POSTINGS}
        if not long or len(long) == len(spans):
            return None
        maxima = [self._column_max(columns[i]) for i in long]
        if any(m is None for m in maxima) or any(weights[i] < 0 for i in long):
            return None  # a negative contribution: the bound does not hold
        # A hair above the true bound, so rounding never prunes a passage that could tie.
        bound = sum(m * weights[i] for m, i in zip(maxima, long)) * (1 + 1e-9)  # type: ignore[operator]
        short = [i for i in range(len(spans)) if i not in long]
        pieces = [indices[spans[i][0] : spans[i][1]] for i in short]
        buffer = _buffer(self._rows)
        try:
            for i, piece in zip(short, pieces):
                start, end = spans[i]
                buffer[piece] += data[start:end] * weights[i]
            candidates = sorted_unique(np.concatenate(pieces))
            partial = buffer[candidates] if allowed is None else buffer[candidates][allowed[candidates]]
        finally:
            for piece in pieces:
                buffer[piece] = 0.0
        if bound > minimum and (partial.size < k or -np.partition(-partial, k - 1)[k - 1] <= bound):
            return None  # a passage the rare terms never reach could still make the top k
        values = np.zeros(candidates.size)
        for (start, end), weight in zip(spans, weights):  # exact scores, in the query's order
            postings = indices[start:end]
            where = np.searchsorted(postings, candidates)
            inside = where < postings.size
            found = np.zeros(candidates.size, dtype=bool)
            found[inside] = postings[where[inside]] == candidates[inside]
            contribution = np.zeros(candidates.size)
            contribution[found] = data[start + where[found]] * weight
            values += contribution
        return candidates, values


_NO_MASK = np.ones(1, dtype=np.bool_)
_NO_COLUMNS = np.empty(0, dtype=np.int64)
READ_MIN_BYTES = 4 * 2**20  # an opened index's per-feature arrays this large are read by pread (MappedFile)
BIGRAM_BLOCK = 512  # bigram codes read per look-up of an opened index (4 KiB)
SMALL_TOP = 256  # up to this many scores, _best sorts them all (measured: 3 µs against 9 µs at 111 scores)
FEW_SCORED = 3  # above this many, _score_columns gathers the postings and bincounts them (12 against 15 µs at 4)
FEW_COLUMNS = 4  # above this many query columns, one gather and np.add.at beat a numpy call per column
MAXSCORE_MIN_POSTINGS = 50_000  # below this, scattering every posting is cheaper than pruning
MAXSCORE_LONG_POSTINGS = 5_000  # a term in more passages than this is only looked up when pruning works


def _sparse_arrays(matrix: sp.csr_matrix | sp.csc_matrix, prefix: str) -> dict[str, np.ndarray]:
    """A CSR or CSC matrix as plain arrays, in its own layout, so a round trip is bit-exact."""
    return {
        f"{prefix}_data": matrix.data,
        f"{prefix}_indices": matrix.indices,
        f"{prefix}_indptr": matrix.indptr,
        f"{prefix}_shape": np.asarray(matrix.shape, dtype=np.int64),
    }


def _sparse_from(arrays: dict[str, np.ndarray], prefix: str, layout: str):  # type: ignore[no-untyped-def]
    # No copy and no full index check: the arrays may be memory-mapped from the index on disk.
    import scipy.sparse as sp

    shape = tuple(int(n) for n in arrays[f"{prefix}_shape"])
    matrix = {"csc": sp.csc_matrix, "csr": sp.csr_matrix}[layout](
        (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]), shape=shape
    )
    # Saved postings are sorted (every fit sorts them before they are used or saved): scipy's own
    # check would read every index of a mapped file at open (~340 MB at a million texts).
    matrix.has_sorted_indices = True
    return matrix


def _count_matrix(columns: np.ndarray, lengths: np.ndarray, width: int) -> sp.csr_matrix:
    """Document × feature counts (CSR, duplicates summed) from every document's column numbers.

    The counting itself is scipy's C++.
    """
    import scipy.sparse as sp

    indptr = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    counts = sp.csr_matrix((np.ones(len(columns)), columns, indptr), shape=(lengths.size, width))
    counts.sum_duplicates()  # sorts each row's columns and adds up repeated terms
    return counts


def _distinct_codes(codes: np.ndarray, words: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(codes, return_inverse=True)`` for bigram codes below ``words²``, inverse as ``int32``.

    When the table of every possible code is no bigger than the codes themselves (a million
    texts over a few thousand words), one pass marks the codes present and their ranks are
    a running count: no sort, and no argsort, sorted copy and inverse of 55 M ``int64`` each
    (+1.5 GB at a million texts).
    """
    if words * words > DENSE_BIGRAMS * codes.size or words * words >= 2**31:
        distinct, inverse = np.unique(codes, return_inverse=True)
        return distinct, inverse.astype(np.int32)
    present = np.zeros(words * words, dtype=bool)
    present[codes] = True
    rank = np.cumsum(present, dtype=np.int32)
    rank -= 1
    return np.flatnonzero(present), rank[codes]


DENSE_BIGRAMS = 4  # the dense path when words² ≤ this × the number of bigram codes


@register
class BM25(_Postings, Retriever):
    """Okapi BM25 with rank-bm25's exact scores.

    rank-bm25 floors a negative IDF (a term in more than half of the passages)
    at ``epsilon × mean IDF`` and counts a repeated query term once per
    repetition; both are kept so the scores are the same to the last bits.

    The weight of every (passage, term) posting is precomputed, columns by
    term (CSC), so a query adds up only its own terms' postings.

    >>> passages = [("возврат", "товар"), ("оплата",), ("доставка", "товар")]
    >>> bm25 = BM25().fit([Analysed(terms, " ".join(terms)) for terms in passages])
    >>> bool(bm25.scores(Analysed(("возврат",), "возврат")).argmax() == 0)
    True
    """

    name: ClassVar[str] = "bm25"
    label: ClassVar[str] = "BM25"
    field: ClassVar[str] = "terms"  # which of the analysed fields it ranks
    description: ClassVar[str] = "Okapi BM25 over lemmas (rank-bm25's exact scores)"

    def __init__(self, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        self.k1, self.b, self.epsilon = k1, b, epsilon

    def fit(self, documents: Sequence[Analysed]) -> Self:
        columns, term_counts, terms = numbered_field(documents, self.field)
        vocabulary = {term: column for column, term in enumerate(terms)}
        counts = _count_matrix(columns, term_counts, len(terms))
        del columns
        tf = counts.tocsc()
        del counts
        n = len(documents)
        lengths = term_counts.astype(np.float64)
        idf = okapi_idf(np.diff(tf.indptr), n, self.epsilon)
        average_length = lengths.sum() / n if n else 0.0
        # Term-frequency saturation and length normalisation, precomputed per posting,
        # in rank-bm25's order of operations: idf × (tf·(k1+1) / (tf + k1·(1 − b + b·|d|/avgdl))).
        norm = self.k1 * (1 - self.b + self.b * lengths / average_length) if average_length else np.zeros(n)
        data = tf.data  # in place: at a million passages each temporary costs ~0.5 GB
        denominator = norm[tf.indices]
        denominator += data
        data *= self.k1 + 1
        data /= denominator
        del denominator
        data *= np.repeat(idf, np.diff(tf.indptr))
        tf.eliminate_zeros()  # a term in exactly half of the passages weighs 0, as the sparse product dropped it
        self.vocabulary_ = vocabulary
        self.idf_ = idf
        self._matrix = tf
        self.average_length_ = float(average_length)
        self._set_postings(tf)
        return self

    def _query(self, query: Analysed) -> tuple[list[int], list[float]]:
        # A repeated query term counts once per repetition, as in rank-bm25.
        vocabulary = self.vocabulary_
        columns: dict[int, float] = {}  # each known term's column and count, in the query's order
        for term in query.terms:
            column = vocabulary.get(term)
            if column is not None:
                columns[column] = columns.get(column, 0.0) + 1.0
        return list(columns), list(columns.values())

    def scores(self, query: Analysed) -> np.ndarray:
        """The score of every passage (rank-bm25's ``get_scores``)."""
        return self._score_columns(*self._query(query))

    def top(self, query: Analysed, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The same as ``top_k(scores(query), k, min_score)``, from the query's postings alone."""
        return self._top_columns(*self._query(query), k, self.min_score, allowed)

    @property
    def weights_(self) -> sp.csc_matrix:
        """Every (passage, term) weight, by term (CSC); made on demand for an opened index."""
        return self._saved_matrix()

    @property
    def size(self) -> int:
        return self._rows

    def holds(self, term: str, rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` (sorted passages or not) have ``term`` in this retriever's field."""
        column = self.vocabulary_.get(term)
        result = np.zeros(rows.shape, dtype=bool)
        if column is None:
            return result
        postings = self._indices[self._indptr[column] : self._indptr[column + 1]]
        found = np.searchsorted(postings, rows)
        inside = found < postings.size
        result[inside] = postings[found[inside]] == rows[inside]
        return result

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        params = {
            "k1": self.k1,
            "b": self.b,
            "epsilon": self.epsilon,
            "average_length": self.average_length_,
            "vocabulary": list(self.vocabulary_),
        }
        return params, {"idf": self.idf_, **_sparse_arrays(self.weights_, "weights")}

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        bm25 = cls(params["k1"], params["b"], params["epsilon"])
        bm25.vocabulary_ = {term: column for column, term in enumerate(params["vocabulary"])}
        bm25.idf_ = arrays["idf"]
        bm25._set_saved(arrays, "weights")  # sorted: holds() searches in order
        bm25.average_length_ = params["average_length"]
        return bm25


@register
class HeadingsBM25(BM25):
    """BM25 over the section headings alone: a field that says what a whole section is about.

    A passage that mentions "возврат" once in passing should not outrank the
    section titled «Возвраты и обмены товаров»; fused with the body
    retrievers, this field lets the section's own name count.
    """

    name: ClassVar[str] = "headings"
    label: ClassVar[str] = "Заголовки разделов"
    description: ClassVar[str] = "BM25 over the section headings alone"
    field: ClassVar[str] = "headings"


@register
class QuestionBM25(BM25):
    """BM25 over the question field: a FAQ entry's question (else the section headings).

    On real help-desk messages the question is the field that counts: people
    ask what the entry's question asks, in other words than its answer.
    """

    name: ClassVar[str] = "question_bm25"
    label: ClassVar[str] = "Вопрос FAQ (BM25)"
    description: ClassVar[str] = "BM25 over the FAQ question field (a passage's question, else its headings)"
    field: ClassVar[str] = "question"


def lemma_ngrams(terms: Sequence[str]) -> list[str]:
    """Unigrams and bigrams of a term sequence: scikit-learn's ``analyzer`` for lemmas."""
    return [*terms, *(f"{a} {b}" for a, b in zip(terms, terms[1:]))]


class _Tfidf(_Postings, Retriever):
    """Shared by both TF-IDF retrievers: scikit-learn's ``TfidfVectorizer`` arithmetic, postings by feature.

    The fit counts with one dict lookup per feature instead of scikit-learn's
    Python loop and numbers the features alphabetically, as ``TfidfVectorizer``
    does; scikit-learn's ``TfidfTransformer(sublinear_tf=True)`` weighs the
    counts (smoothed IDF, ``1 + log tf``, L2-normalised rows). A query is
    weighted with the fitted ``idf_`` (see ``_weights``) and scored against the
    postings of its own features only. Rows are L2-normalised, so the dot
    product is the cosine similarity.
    """

    name: ClassVar[str]

    def _features(self, text: Analysed) -> Sequence[str]:
        raise NotImplementedError

    def _numbered(self, documents: Sequence[Analysed]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        """Every document's features as column numbers, their counts per document, and the columns."""
        raise NotImplementedError

    def fit(self, documents: Sequence[Analysed]) -> Self:
        ids, lengths, first_seen = self._numbered(documents)
        counts = _count_matrix(ids, lengths, len(first_seen))
        del ids
        # scikit-learn numbers the features in alphabetical order.
        features = sorted(first_seen)
        renumber = np.empty(len(features), dtype=np.int32)
        renumber[np.fromiter((first_seen[f] for f in features), dtype=np.int64, count=len(features))] = np.arange(
            len(features), dtype=np.int32
        )
        del first_seen
        counts.indices = renumber[counts.indices]
        self._weigh(counts)
        self.vocabulary_ = {feature: column for column, feature in enumerate(features)}
        return self

    def _weigh(self, counts: sp.csr_matrix) -> None:
        """Document × feature counts into scikit-learn's TF-IDF, computed in place by its ``TfidfTransformer``.

        ``sublinear_tf=True``: smoothed IDF, ``1 + log tf``, L2-normalised rows.
        """
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import TfidfTransformer

        counts.has_sorted_indices = False
        counts.sort_indices()  # as CountVectorizer leaves them: each row's squares are summed in column order
        if counts.shape[1] == 0:  # a field no passage has (FAQ questions in plain paragraphs): nothing to weigh
            self.idf_, self._matrix = np.zeros(0), sp.csc_matrix(counts.shape)
            self._set_postings(self._matrix)
            return
        transformer = TfidfTransformer(sublinear_tf=True).fit(counts)
        self.idf_ = transformer.idf_
        self._matrix = transformer.transform(counts, copy=False).tocsc()
        self._set_postings(self._matrix)

    def _weights(self, columns: Sequence[int], tf: Sequence[int]) -> tuple[Sequence[int], np.ndarray]:
        """A query's features (sorted columns, their counts) as ``TfidfTransformer.transform`` weighs them; the
        columns come back as a list, or as the array they came as.

        Done here with the fitted ``idf_``, bit for bit the same: the library's transform of a 1-row
        matrix costs ~0.8 ms (input validation) against ~12 µs here, and a query must not import it.
        """
        idf = self.__dict__.get("_idf_file")
        array = isinstance(columns, np.ndarray)
        if len(tf) <= _FEW_FEATURES:
            return columns if array else list(columns), _few_weights(tf, (self.idf_ if idf is None else idf), columns)
        values = np.array(tf, dtype=np.float64)
        np.log(values, out=values)  # numpy's log, as scikit-learn's transform uses
        values += 1.0
        values *= self.idf_[columns if array else list(columns)] if idf is None else idf.take(columns)
        # scikit-learn's L2 normalisation: a left-to-right sum of squares, then one division each (a cumulative
        # sum adds one by one, in order, as that loop does: the same bits, without a Python step per feature).
        total = float((values * values).cumsum()[-1]) if values.size else 0.0
        if total != 0.0:
            values /= math.sqrt(total)
        return columns if array else list(columns), values

    def _query(self, query: Analysed) -> tuple[list[int], np.ndarray]:
        vocabulary = self.vocabulary_
        counts = Counter(feature for feature in self._features(query) if feature in vocabulary)
        if not counts:
            return [], np.empty(0)
        columns, tf = zip(*sorted((vocabulary[feature], count) for feature, count in counts.items()))
        return self._weights(columns, tf)

    def scores(self, query: Analysed) -> np.ndarray:
        columns, values = self._query(query)
        return self._score_columns(columns, values)  # float64 either way: the same products as from a list

    def top(self, query: Analysed, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        columns, values = self._query(query)
        return self._top_columns(columns, values.tolist(), k, self.min_score, allowed)

    @property
    def matrix_(self) -> sp.csc_matrix:
        """The TF-IDF weights, passage × feature, by feature (CSC); made on demand for an opened index."""
        return self._saved_matrix()

    @property
    def size(self) -> int:
        return self._rows

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        vocabulary = sorted(self.vocabulary_, key=self.vocabulary_.__getitem__)
        return {"vocabulary": vocabulary}, {"idf": self.idf_, **_sparse_arrays(self.matrix_, "columns")}

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        retriever = cls()
        retriever.vocabulary_ = {term: column for column, term in enumerate(params["vocabulary"])}
        retriever.idf_ = arrays["idf"]
        if "columns_indptr" in arrays:
            retriever._set_saved(arrays, "columns")
        else:  # an index written before the postings layout: rows (CSR), converted once
            retriever._matrix = _sparse_from(arrays, "matrix", "csr").tocsc()
            retriever._set_postings(retriever._matrix)
        return retriever


@register
class TfidfWords(_Tfidf):
    """TF-IDF over lemma unigrams and bigrams (scikit-learn's arithmetic), cosine similarity.

    A bigram is not a string here but the pair of its words' numbers, one
    ``int64`` code (``first × words + second``): a 100k-passage help center
    has millions of distinct bigrams, and as Python strings they cost seconds
    to sort and hundreds of megabytes to hold. Columns are the words in
    alphabetical order, then the bigrams in code order (which is their
    alphabetical order too); the weights are scikit-learn's, and scores equal
    its to 1e-12 (only the order in which a row's squares are summed differs).
    """

    name: ClassVar[str] = "tfidf"
    label: ClassVar[str] = "TF-IDF"
    description: ClassVar[str] = "TF-IDF over lemma unigrams and bigrams (scikit-learn), cosine"

    def _features(self, text: Analysed) -> Sequence[str]:
        return lemma_ngrams(text.terms)

    def fit(self, documents: Sequence[Analysed]) -> Self:
        ids, lengths, first_seen = numbered_field(documents, "terms")
        alphabetical = sorted(range(len(first_seen)), key=first_seen.__getitem__)
        words = [first_seen[column] for column in alphabetical]
        rank = np.empty(len(words), dtype=np.int32)
        rank[alphabetical] = np.arange(len(words), dtype=np.int32)
        del first_seen
        unigram = rank[ids] if ids.size else np.zeros(0, dtype=np.int32)
        del ids
        # Bigrams never cross a passage: drop the pair that spans each boundary.
        ends = np.cumsum(lengths)
        pair = np.ones(max(unigram.size - 1, 0), dtype=bool)
        pair[ends[(ends > 0) & (ends < unigram.size)] - 1] = False
        first = np.flatnonzero(pair)  # a bigram's first word, by position
        del pair
        codes = unigram[first].astype(np.int64) * len(words) + unigram[first + 1]
        bigrams, inverse = _distinct_codes(codes, len(words))
        del codes
        # Straight into CSR, no (row, column) pairs: each row its unigrams, then its bigrams (columns after
        # all the words); scipy's sum_duplicates then sorts and adds up each row, as from the pairs.
        pairs = np.maximum(lengths - 1, 0)
        before = np.cumsum(pairs) - pairs  # bigrams in the rows before
        rows = np.repeat(np.arange(lengths.size, dtype=np.int32), lengths)
        indices = np.empty(unigram.size + first.size, dtype=np.int32)
        indices[np.arange(unigram.size) + before[rows]] = unigram
        del unigram
        row_of_pair = rows[first]
        del rows
        inverse += len(words)
        indices[first + before[row_of_pair] + lengths[row_of_pair]] = inverse
        del first, row_of_pair, inverse
        indptr = np.zeros(lengths.size + 1, dtype=np.int64)
        np.cumsum(lengths + pairs, out=indptr[1:])
        import scipy.sparse as sp

        counts = sp.csr_matrix(
            (np.ones(indices.size), indices, indptr), shape=(lengths.size, len(words) + bigrams.size)
        )
        del indices
        counts.sum_duplicates()
        self._weigh(counts)
        self.words_ = {word: column for column, word in enumerate(words)}
        self.bigrams_ = bigrams
        return self

    @property
    def vocabulary_(self) -> dict[str, int]:
        """Every feature as scikit-learn names it, "word" or "first second" (built on demand: large)."""
        words = list(self.words_)
        size = len(words)
        vocabulary = dict(self.words_)
        for offset, code in enumerate(self.bigrams_.tolist()):
            vocabulary[f"{words[code // size]} {words[code % size]}"] = size + offset
        return vocabulary

    def _query(self, query: Analysed) -> tuple[list[int], np.ndarray]:
        words, size = self.words_, len(self.words_)
        known = [words.get(term) for term in query.terms]
        counts: dict[int, int] = {}  # each known word's and bigram's column, and its count
        for column in known:
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        codes = [a * size + b for a, b in zip(known, known[1:]) if a is not None and b is not None]
        for position in self._bigram_positions(codes):
            if position is not None:
                counts[size + position] = counts.get(size + position, 0) + 1
        if not counts:
            return [], np.empty(0)
        columns, tf = zip(*sorted(counts.items()))
        return self._weights(columns, tf)

    def _bigram_positions(self, codes: list[int]) -> list[int | None]:
        """Where each bigram code is in the sorted ``bigrams_``, or None.

        An opened index's large code array is searched without its map: every
        ``BIGRAM_BLOCK``-th code (read once), then one block of the file (see
        :class:`~search.storage.MappedFile`).
        """
        if not codes:
            return []
        bigrams, file = self.bigrams_, self.__dict__.get("_bigram_file")
        if file is None:
            where = bigrams.searchsorted(codes).tolist()  # the method: no Python wrapper
            return [p if p < bigrams.size and int(bigrams[p]) == code else None for code, p in zip(codes, where)]
        sample = self.__dict__.get("_bigram_sample")
        if sample is None:
            sample = self._bigram_sample = file.take(range(0, len(file), BIGRAM_BLOCK))
        found: list[int | None] = []
        for code, block in zip(codes, (np.searchsorted(sample, codes, side="right") - 1).tolist()):
            start = block * BIGRAM_BLOCK
            entries = file.read(start, min(start + BIGRAM_BLOCK, len(file))) if block >= 0 else sample[:0]
            p = int(np.searchsorted(entries, code))
            found.append(start + p if p < entries.size and int(entries[p]) == code else None)
        return found

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {"idf": self.idf_, "bigrams": self.bigrams_, **_sparse_arrays(self.matrix_, "columns")}
        return {"words": list(self.words_)}, arrays

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        retriever = cls()
        retriever.words_ = {word: column for column, word in enumerate(params["words"])}
        retriever.bigrams_ = arrays["bigrams"]
        retriever.idf_ = arrays["idf"]
        retriever._set_saved(arrays, "columns")
        if retriever.bigrams_.nbytes >= READ_MIN_BYTES:  # read by pread, not through the map (MappedFile)
            retriever._bigram_file = MappedFile.of(retriever.bigrams_)
        if retriever.idf_.nbytes >= READ_MIN_BYTES:
            retriever._idf_file = MappedFile.of(retriever.idf_)
        return retriever


def char_wb_ngrams(word: str, low: int = 3, high: int = 5) -> tuple[str, ...]:
    """scikit-learn's ``char_wb`` n-grams of one word: padded with a space each side, a short word once.

    The query side's cutter only: the fit cuts with scikit-learn's own
    analyzer, and answering a query must not import scikit-learn (2–3 s). A
    test checks it against ``build_analyzer()`` word by word.
    """
    padded = f" {word} "
    size = len(padded)
    ngrams: list[str] = []
    for n in range(low, high + 1):
        ngrams.extend(padded[offset : offset + n] for offset in range(max(size - n, 0) + 1))
        if size <= n:
            break
    return tuple(ngrams)


@register
class TfidfChars(_Tfidf):
    """TF-IDF over ``char_wb`` 3–5-grams of the words as written: survives typos and unknown words.

    ``char_wb`` n-grams never cross a word boundary, so a text's n-grams are
    its words' n-grams: each distinct word is cut once and remembered.
    """

    name: ClassVar[str] = "chars"
    label: ClassVar[str] = "Символьные n-граммы"
    description: ClassVar[str] = "TF-IDF over character 3–5-grams of the words as written: typos, unknown words"
    # Some n-grams of any Russian query meet some passage: a match must reach this cosine to count.
    min_score: float = 0.12

    surface_field: ClassVar[str] = "surface"  # the analysed field whose words it is fitted on

    def __init__(self) -> None:
        self._ngrams: dict[str, Sequence[str]] = {}  # shared with the index's other n-gram retrievers: share_cuts
        self._columns: dict[str, np.ndarray] = {}  # a query word's n-grams the vocabulary has, as columns
        # A retriever whose vocabulary holds every n-gram of this one's, and each of its columns' column here (-1:
        # none): a new word's columns read through it (share_cuts)
        self._through: tuple[TfidfChars, np.ndarray] | None = None

    def _features(self, text: Analysed) -> Sequence[str]:
        features: list[str] = []
        for word in text.surface.split():
            features.extend(self._cut(word))
        return features

    def _cut(self, word: str) -> Sequence[str]:
        """One word's n-grams, cut once (the memo is shared with the index's other n-gram retrievers)."""
        cache = self._ngrams
        ngrams = cache.get(word)
        if ngrams is None:
            ngrams = char_wb_ngrams(word)
            if len(cache) < 1_000_000:  # bounded: a query's words must not grow it for ever
                cache[word] = ngrams
        return ngrams

    def _query(self, query: Analysed) -> tuple[Sequence[int], np.ndarray]:
        """``_Tfidf._query``'s columns and weights from each word's columns, found once per word: queries share
        their words («как», «заказ»), and a word's ~15 n-grams are ~30 string look-ups each time. The query's
        columns are counted by one ``np.unique`` (sorted, with their counts: what sorting a Counter gives)."""
        cache = self._columns
        pieces = [
            columns if (columns := cache.get(word)) is not None else self._query_columns(word)
            for word in query.surface.split()
        ]
        every = np.concatenate(pieces) if len(pieces) > 1 else pieces[0] if pieces else _NO_COLUMNS
        if not every.size:
            return [], np.empty(0)
        return self._weights(*unique_counts(every))

    def _word_columns(self, word: str) -> np.ndarray:
        """A new word's n-grams' columns, in the n-grams' order: through the retriever that shares this one's
        n-grams (its columns, kept, mapped here: a new word's ~20 look-ups in a large dict, ~0.5 µs each in a
        first pass where they miss the CPU's caches, made once for both), else one dict look-up each."""
        if self._through is not None:
            other, here = self._through
            mapped = here[other._query_columns(word)]
            return mapped[mapped >= 0]
        found = map(self.vocabulary_.get, self._cut(word))
        return np.array([column for column in found if column is not None], dtype=np.int64)

    def _query_columns(self, word: str) -> np.ndarray:
        """One word's columns, found once and kept."""
        columns = self._columns.get(word)
        if columns is None:
            columns = self._word_columns(word)
            if len(self._columns) < 1_000_000:  # bounded, as the n-grams
                self._columns[word] = columns
        return columns

    def _numbered(self, documents: Sequence[Analysed]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        """Each distinct word cut once by scikit-learn's own ``char_wb`` analyzer, then every occurrence's
        n-grams gathered as numbers: no Python per occurrence. (A query's words are cut by
        :func:`char_wb_ngrams`, which a test checks against the analyzer word by word.)"""
        from sklearn.feature_extraction.text import TfidfVectorizer

        analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=False).build_analyzer()
        words, lengths, distinct = numbered_field(documents, self.surface_field)
        features: dict[str, int] = {}
        setdefault = features.setdefault
        cut = [[setdefault(ngram, len(features)) for ngram in analyzer(word)] for word in distinct]
        sizes = np.array([len(ngrams) for ngrams in cut], dtype=np.int64)
        flat = np.fromiter((column for ngrams in cut for column in ngrams), dtype=np.int32, count=int(sizes.sum()))
        starts = np.cumsum(sizes) - sizes
        each = sizes[words]
        offsets = np.cumsum(each) - each
        ids = flat[np.arange(int(each.sum()), dtype=np.int64) + np.repeat(starts[words] - offsets, each)]
        running = np.zeros(each.size + 1, dtype=np.int64)
        np.cumsum(each, out=running[1:])
        bounds = np.zeros(lengths.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=bounds[1:])
        return ids, np.diff(running[bounds]), features


JOINT_MAX_POSTINGS = 500_000  # an index's postings retrievers are scored jointly up to this many postings (8 MB copied)


def _positions(indptr: np.ndarray, picked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where every posting of the columns ``picked`` lies, the columns' postings laid end to end in their order,
    and each column's number of postings: one gather of all of them, however many columns."""
    starts = indptr[picked].astype(np.int64)
    lengths = indptr[picked + 1] - starts
    ends = lengths.cumsum()
    return np.arange(int(ends[-1]) if ends.size else 0) + (starts - (ends - lengths)).repeat(lengths), lengths


class JointScores:
    """Several postings retrievers of one index, every passage's score by each, from one gather and one
    ``bincount`` of all their query postings (the learned ranking reads six full score vectors a query).

    The retrievers' postings are laid end to end (a copy: only for a small index, see
    :data:`JOINT_MAX_POSTINGS`); each retriever's terms (and, apart, its added terms) score into a block of
    their own, so every passage's sum is the one the retriever alone makes — its postings added in the same
    order, from 0 — to the last bit. Retrievers without postings, or with other than float64 weights, are
    left to score themselves.
    """

    def __init__(self, retrievers: Mapping[str, Retriever]) -> None:
        members = {
            name: retriever
            for name, retriever in retrievers.items()
            if isinstance(retriever, _Postings) and retriever._data.dtype == np.float64
        }
        sizes = {retriever._rows for retriever in members.values()}
        if len(sizes) > 1:
            members = {}
        self.rows = sizes.pop() if len(sizes) == 1 else 0
        self.retrievers: dict[str, _Postings] = members
        self.offsets: dict[str, int] = {}  # each retriever's first column among all of them
        # Each posting's passage in the smallest integer type that holds every passage (uint8 for up to 256): a
        # query gathers a few thousand of them, in a first pass from memory the other stages have evicted
        passage = np.min_scalar_type(max(self.rows - 1, 0))
        starts, indices, data = [], [], []
        columns = postings = 0
        for name, retriever in members.items():
            used = int(retriever._indptr[-1])
            self.offsets[name] = columns
            starts.append(np.asarray(retriever._indptr[:-1], dtype=np.int64) + postings)
            indices.append(np.asarray(retriever._indices[:used], dtype=passage))
            data.append(retriever._data[:used])
            columns += retriever._indptr.size - 1
            postings += used
        self._indptr = np.concatenate([*starts, np.array([postings], dtype=np.int64)])
        self._indices = np.concatenate(indices) if indices else np.zeros(0, dtype=passage)
        self._data = np.concatenate(data) if data else np.zeros(0)

    @classmethod
    def of(cls, retrievers: Mapping[str, Retriever]) -> JointScores | None:
        """The joint scorer of an index's retrievers, when they are few postings enough to copy (else None)."""
        total = sum(int(r._indptr[-1]) for r in retrievers.values() if isinstance(r, _Postings))
        joint = cls(retrievers) if total <= JOINT_MAX_POSTINGS else None
        return joint if joint is not None and len(joint.retrievers) > 1 else None

    def scores(
        self, names: Sequence[str], query: Analysed, added: Analysed | None, weight: float
    ) -> dict[str, np.ndarray]:
        """Each retriever of ``names`` (all of them among :attr:`retrievers`): ``scores(query)``, or with
        ``added`` terms ``scores_with(query, added, weight)``."""
        return dict(zip(names, self.matrix(names, query, added, weight)))

    def matrix(self, names: Sequence[str], query: Analysed, added: Analysed | None, weight: float) -> np.ndarray:
        """:meth:`scores` as one ``(len(names), passages)`` array, a row per retriever of ``names``."""
        parts = [(name, part) for name in names for part in ((query,) if added is None else (query, added))]
        columns, weights, counts = [], [], []
        for name, part in parts:
            found, values = self.retrievers[name]._query(part)
            counts.append(len(found))
            if len(found):
                offset = self.offsets[name]
                columns.append(found + offset if isinstance(found, np.ndarray) else [c + offset for c in found])
                weights.append(values)
        rows = self.rows
        if not columns:
            return np.zeros((len(names), rows))
        positions, lengths = _positions(self._indptr, np.concatenate(columns).astype(np.int64, copy=False))
        block = (np.arange(len(parts), dtype=np.int64) * rows).repeat(counts).repeat(lengths)
        each = self._data[positions] * np.concatenate(weights).astype(np.float64, copy=False).repeat(lengths)
        summed = np.bincount(self._indices[positions] + block, weights=each, minlength=len(parts) * rows)
        if added is None:
            return summed.reshape(len(names), rows)
        pairs = summed.reshape(len(names), 2, rows)
        return pairs[:, 0] + weight * pairs[:, 1]


def share_cuts(retrievers: Sequence[Retriever]) -> None:
    """Let the character n-gram retrievers among ``retrievers`` (one index's: the text's and the question
    field's) share one memo of each query word's n-grams: a word is cut once, not once per field (the first
    pass meets new words). Each keeps its own columns, its vocabulary's."""
    shared: dict[str, Sequence[str]] = {}
    chars = [retriever for retriever in retrievers if isinstance(retriever, TfidfChars)]
    for retriever in chars:
        shared.update(retriever._ngrams)
        retriever._ngrams = shared
    for retriever in chars[1:]:
        retriever._through = _read_through(chars[0], retriever)


THROUGH_MAX = 100_000  # a vocabulary of up to this many n-grams is checked against another's when the index opens


def _read_through(other: TfidfChars, retriever: TfidfChars) -> tuple[TfidfChars, np.ndarray] | None:
    """``retriever._through``: ``other`` and each of its columns' column in ``retriever`` (-1 for none), when
    ``other``'s vocabulary holds every n-gram of ``retriever``'s (a word's columns then come out the same, in the
    same order); else None. One look-up per n-gram of ``retriever``'s vocabulary (~1 ms for 4,300)."""
    vocabulary, theirs = retriever.__dict__.get("vocabulary_"), other.__dict__.get("vocabulary_")
    if not vocabulary or not theirs or len(vocabulary) > THROUGH_MAX:
        return None
    columns = [theirs.get(ngram) for ngram in vocabulary]
    if None in columns:
        return None
    here = np.full(len(theirs), -1, dtype=np.int64)
    here[np.array(columns, dtype=np.int64)] = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
    return other, here


@register
class QuestionChars(TfidfChars):
    """Character n-gram TF-IDF over the question field: the strongest single signal on real messages."""

    name: ClassVar[str] = "question_chars"
    label: ClassVar[str] = "Вопрос FAQ (символьные n-граммы)"
    description: ClassVar[str] = "TF-IDF over character 3–5-grams of the FAQ question field"
    surface_field: ClassVar[str] = "question_surface"


# The semantic and dense retrievers register themselves; imported here so that the registry is complete
# whichever module is imported first.
from . import semantic as _semantic  # noqa: E402, F401, I001
from . import dense as _dense  # noqa: E402, F401
