"""Fusion: the one place that knows how retrievers are weighted and combined.

Reciprocal rank fusion (Cormack et al., 2009): a passage earns
``weight / (k + rank)`` from every retriever that ranked it, so retrievers
whose scores live on different scales (BM25 is unbounded, cosine is 0–1)
combine without calibration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .arrays import sorted_unique

__all__ = [
    "FAQ_FUSION",
    "HYBRID",
    "HYBRID_LABEL",
    "LEARNED",
    "LEARNED_LABEL",
    "Fusion",
    "reciprocal_rank_fusion",
]

HYBRID = "hybrid"  # the ranking that fuses the retrievers the fusion weighs
HYBRID_LABEL = "Гибридное"  # as the page names it
LEARNED = "learned"  # the learned re-ranking of the fused candidates (search.rerank)
LEARNED_LABEL = "Обученное"


@dataclass(frozen=True)
class Fusion:
    """How the hybrid ranking is made.

    ``weights`` name the retrievers that take part; ``depth`` is how many of
    each retriever's best passages enter the fusion; ``synonyms_weight``
    scales the scores of terms the thesaurus added.
    """

    # Chosen by 5-fold cross-validation on corpus/queries and confirmed on XQuAD (notebooks/relevance.ipynb):
    # the headings retriever, at any weight, made the judged set worse (nDCG@10 0.74 with it, 0.86 without),
    # since headings already reach BM25 and TF-IDF through every passage; character n-grams weigh as much
    # as words. The semantic retriever is left out: no gain beyond noise, and the folds disagree on it.
    weights: Mapping[str, float] = field(default_factory=lambda: {"bm25": 1.0, "tfidf": 1.0, "chars": 1.0})
    k: float = 60.0
    depth: int = 100
    synonyms_weight: float = 0.5

    def to_json(self) -> dict[str, object]:
        return {
            "weights": dict(self.weights),
            "k": self.k,
            "depth": self.depth,
            "synonyms_weight": self.synonyms_weight,
        }


# Issue 12: the question field's character n-grams voting at a quarter weight, with k = 10 so that the
# retrievers' first places count — of `benchmarks/rerank_research.py --fusion-study`'s settings (k 10–60 ×
# weight ¼–1), the one a Fusion can express that keeps the judged set and XQuAD at the default's level or
# above. Through the engine: RUTUBE MRR@10 0.517 → 0.532, the judged set 0.868 → 0.880, XQuAD paragraph
# Hit@1 0.917 → 0.917. Not the default yet: the confidence model reads the fused scores (k changes their
# scale) and must be retrained with it (`engine.configured(fusion=FAQ_FUSION)` to use it now).
FAQ_FUSION = Fusion(weights={"bm25": 1.0, "tfidf": 1.0, "chars": 1.0, "question_chars": 0.25}, k=10.0)


DENSE_FUSION = 2_048  # up to this many passages, the fused scores are added into one vector of them all


_RECIPROCALS: dict[tuple[float, float, int], np.ndarray] = {}


def _reciprocals(weight: float, k: float, size: int) -> np.ndarray:
    """``weight / (k + rank)`` of ranks 1 to ``size``: the same for every query, so made once (read-only)."""
    values = _RECIPROCALS.get((weight, k, size))
    if values is None:
        values = weight / (k + np.arange(1, size + 1))
        values.flags.writeable = False
        if len(_RECIPROCALS) < 4_096:  # bounded: a few weights × depths in practice
            _RECIPROCALS[weight, k, size] = values
    return values


def reciprocal_rank_fusion(
    rankings: Mapping[str, np.ndarray], weights: Mapping[str, float], k: float, size: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The passages any retriever ranked, best fused score first (ties by position), with their scores.

    Only the candidates are touched, never every passage of the corpus — unless the caller gives the corpus's
    ``size`` and it is small (:data:`DENSE_FUSION`): then every passage's score is added up in one vector of
    them all (fewer numpy calls than finding the candidates first; the same additions in the same order).
    """
    if size is not None and size <= DENSE_FUSION:
        every = np.zeros(size)
        for name, ranked in rankings.items():
            weight = weights.get(name, 0.0)
            if weight and ranked.size:
                every[ranked] += _reciprocals(weight, k, ranked.size)
        candidates = (every > 0).nonzero()[0]  # flatnonzero's own call, without its wrappers' four Python frames
        fused = every[candidates]
        order = (-fused).argsort(kind="stable")  # the candidates are ascending: ties by position, as lexsort's
        return candidates[order], fused[order]
    ranked_lists = [ranked for ranked in rankings.values() if ranked.size]
    if not ranked_lists:
        return np.array([], dtype=np.int64), np.array([], dtype=np.float64)
    candidates = sorted_unique(np.concatenate(ranked_lists))
    fused = np.zeros(candidates.size)
    for name, ranked in rankings.items():
        weight = weights.get(name, 0.0)
        if weight and ranked.size:
            fused[np.searchsorted(candidates, ranked)] += _reciprocals(weight, k, ranked.size)
    keep = fused > 0
    candidates, fused = candidates[keep], fused[keep]
    order = np.lexsort((candidates, -fused))
    return candidates[order], fused[order]
