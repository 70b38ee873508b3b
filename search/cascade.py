"""When the words settle a question, the sentence encoder is not asked: a learned gate between two re-rankers.

The encoder costs ~1 ms a token (~8–14 ms a short question on two cores) where the lexical ranking
costs ~1 ms. Most well-typed questions share their words with the passage that answers them, and
there the encoder's re-ranker puts the same passage first. The gate reads the lexical re-ranker's
result — how far its best candidate is ahead of the next two, how much of the query that candidate
covers, whether the lexical retrievers agree that it is first — and gives the probability that
encoding would not improve the ranking. At or above its threshold the lexical ranking is the answer;
below it the query is encoded and the dense re-ranker ranks again. The gate is a logistic regression
fitted on out-of-fold rankings of the development sets (``benchmarks/train_gate.py``), stored as
JSON with its held-out calibration.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .rerank import FEATURE_NAMES, Candidates, features
from .storage import JsonModel

__all__ = ["GATE_COLUMNS", "Gate", "GateFormatError", "gate_features", "shipped_gate"]

FORMAT = "search.gate/1"
# The best candidate's: how much of the query it holds, and whether the lexical retrievers agree that it is first
GATE_COLUMNS = (
    "query_terms",
    "coverage",
    "question_coverage",
    "known_coverage",
    "known_share",
    "matched_share",
    "rrf_relative",
    "bm25.inverse_rank",
    "question_bm25.inverse_rank",
    "chars.inverse_rank",
    "question_chars.inverse_rank",
)
GATE_FEATURES = ("best", "lead", "lead_third", *GATE_COLUMNS)
ABSENT_LEAD = 10.0  # the lead of a lone candidate (log-odds): far ahead of nothing
THRESHOLD = 0.95  # skip the encoder when at least this sure it would not help (train_gate.py --compare)
MODEL = Path(__file__).resolve().parent / "models" / "gate.json"
# The logistic regression's inverse regularisation. Held out (5 folds, one draw, 2 Dec 2026), C = 1 / 0.3 / 0.1 /
# 0.03: log loss 0.2267 / 0.2257 / 0.2255 / 0.2283, the worst bin of ≥ 50 queries off by 0.119 / 0.059 / 0.084 /
# 0.106, judged questions not encoded 47 / 47 / 45 / 36 %, RUTUBE's cascade 0.561 / 0.674 / 0.888 at 1 and 0.3:
# 0.3 is as good a fit as the best, the best calibrated, and skips as many as 1.
REGULARIZATION = 0.3


class GateFormatError(ValueError):
    """A gate model file that cannot be used: it is not JSON, not this format, or its numbers do not fit."""


def gate_features(scores: np.ndarray, best_columns: np.ndarray) -> np.ndarray:
    """One query's gate features: the re-ranker's best score (log-odds), its lead over the second and the third
    candidates, and the best candidate's :data:`GATE_COLUMNS` (``best_columns``, in that order)."""
    top = np.sort(np.asarray(scores, dtype=np.float64))[::-1][:3]
    if not top.size:
        return np.zeros(len(GATE_FEATURES))
    lead = top[0] - top[1] if top.size > 1 else ABSENT_LEAD
    lead_third = top[0] - top[2] if top.size > 2 else lead + ABSENT_LEAD * (top.size < 2)
    return np.array([top[0], lead, lead_third, *np.asarray(best_columns, dtype=np.float64)])


def candidate_features(candidates: Candidates, scores: np.ndarray) -> np.ndarray:
    """:func:`gate_features` of the candidates as the lexical re-ranker scored them (the pipeline's way)."""
    if not len(candidates):
        return np.zeros(len(GATE_FEATURES))
    best = int(np.argmax(scores))
    return gate_features(scores, features(candidates, GATE_COLUMNS)[best])


def row_features(X: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """:func:`gate_features` of one query's candidate rows ``X`` (every :data:`FEATURE_NAMES` column) scored
    ``scores`` (the training's way: the same numbers)."""
    if not len(scores):
        return np.zeros(len(GATE_FEATURES))
    best = int(np.argmax(scores))
    return gate_features(scores, X[best, [FEATURE_NAMES.index(c) for c in GATE_COLUMNS]])


@dataclass
class Gate(JsonModel):
    """A logistic regression over :data:`GATE_FEATURES` (standardised): P(encoding would not improve the ranking)."""

    described = "gate model"
    retrain = "python benchmarks/train_gate.py"
    format_error = GateFormatError
    indent = 1

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float = THRESHOLD
    calibration: list[dict[str, float]] = field(default_factory=list)  # held-out bins: predicted vs observed

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, threshold: float = THRESHOLD) -> Gate:
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(X)
        model = LogisticRegression(C=REGULARIZATION, max_iter=2000).fit(scaler.transform(X), y)
        return cls(scaler.mean_, scaler.scale_, model.coef_[0], float(model.intercept_[0]), threshold)

    def probability(self, X: np.ndarray) -> np.ndarray:
        """P(no gain from encoding) of each row of ``X`` (:data:`GATE_FEATURES` columns)."""
        z = ((np.atleast_2d(X) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def settled(self, candidates: Candidates, scores: np.ndarray) -> bool:
        """Whether the lexical re-ranker's ``scores`` of ``candidates`` are sure enough to skip the encoder."""
        return not len(candidates) or self.sure(candidate_features(candidates, scores))

    def sure(self, features: np.ndarray) -> bool:
        """Whether one query's :data:`GATE_FEATURES` reach the threshold."""
        return bool(self.probability(features)[0] >= self.threshold)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "features": list(GATE_FEATURES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "threshold": self.threshold,
            "calibration": self.calibration,
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "gate model") -> Gate:
        """A gate from :meth:`to_json`'s object; anything else is one :class:`GateFormatError` naming ``source``."""
        try:
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} model")
            if tuple(data["features"]) != GATE_FEATURES:
                raise ValueError(f"features {data['features']} are not {list(GATE_FEATURES)}")
            arrays = [_numbers(data[key], key) for key in ("mean", "scale", "coef")]
            intercept, threshold = float(data["intercept"]), float(data["threshold"])
            if not (math.isfinite(intercept) and 0.0 <= threshold <= 1.0) or not np.all(arrays[1] > 0):
                raise ValueError("intercept, threshold or scale out of range")
            return cls(*arrays, intercept, threshold, list(data.get("calibration", [])))
        except (KeyError, TypeError, ValueError) as error:
            raise GateFormatError(
                f"{source}: unusable gate model ({error.__class__.__name__}: {error}); "
                "retrain it: python benchmarks/train_gate.py"
            ) from None


def _numbers(values: Sequence[Any], key: str) -> np.ndarray:
    if len(values) != len(GATE_FEATURES) or not all(isinstance(v, int | float) for v in values):
        raise ValueError(f"{key} must hold {len(GATE_FEATURES)} numbers")
    array = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{key} holds a number that is not finite")
    return array


def shipped_gate(path: Path = MODEL) -> Gate | None:
    """The gate trained on the development sets, read once per process; None when none is shipped."""
    return _shipped(Path(path))


@functools.cache
def _shipped(path: Path) -> Gate | None:
    return Gate.load(path) if path.is_file() else None
