"""A fitted noisy channel that makes the spelling step's last pick, in the query's context.

The spelling step (``search.spelling.SpellingStep``) ranks a typo's candidates by
a hand order and then weighs the likeliest in the query's context
(``_in_context``). This model looks at that pick against each of its rivals
(the typo's nearest candidates and the context's alternatives): per candidate,
the hand order's own features (distance, tier, slips, keyboard cost,
frequencies), its place in that order, and how much of the query the best
passage covers with it; per pair, the rival's features, the pick's, and their
difference. A logistic regression over the pair, fitted on the project's noise
generator's re-typings of XQuAD-ru and RUTUBE questions
(``benchmarks/spelling_channel.py``), gives the probability that the rival is
the word meant and the pick is not; the likeliest rival replaces the pick when
that probability exceeds ``threshold`` (chosen by cross-validation). Stored as
JSON coefficients (no pickle): ``search/models/spelling_channel.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .storage import read_json

__all__ = [
    "CHANNEL_FEATURES",
    "MODEL_FILE",
    "PAIR_FEATURES",
    "pair_features",
    "SpellingChannel",
    "SpellingChannelFormatError",
    "default_channel",
]

FORMAT = "spelling-channel/1"
MODEL_FILE = Path(__file__).resolve().parent / "models" / "spelling_channel.json"

# What ``SpellingStep.channel_features`` computes per candidate, in this order.
CHANNEL_FEATURES: tuple[str, ...] = (
    "distance",
    "corpus_word",
    "corpus_lemma",
    "dictionary_only",
    "function_word",
    "unslipped",
    "misheard",
    "first_letter_differs",
    "slip_cost",
    "keyboard_cost",
    "length_difference",
    "corpus_zipf",
    "language_zipf",
    "no_frequency",
    "hand_rank",
    "coverage",
    "coverage_gain",
    "covers_all",
)


# The pair's columns: the rival's features, the rival's less the pick's, the pick's.
PAIR_FEATURES: tuple[str, ...] = tuple(
    f"{part}_{name}" for part in ("rival", "difference", "pick") for name in CHANNEL_FEATURES
)


def pair_features(rows: np.ndarray) -> np.ndarray:
    """One row per rival (``rows[1:]``) against the pick (``rows[0]``): ``PAIR_FEATURES``."""
    rows = np.asarray(rows, dtype=float)
    rivals, pick = rows[1:], np.broadcast_to(rows[0], rows[1:].shape)
    return np.hstack([rivals, rivals - pick, pick])


class SpellingChannelFormatError(ValueError):
    """A spelling-channel model file is unreadable, corrupt, or does not match this code's features."""


@dataclass(frozen=True)
class SpellingChannel:
    """Standardized logistic-regression coefficients over ``PAIR_FEATURES``; ``threshold``: how likely a rival
    must be the word meant (and the pick not) to replace the pick."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float = 0.5
    features: tuple[str, ...] = PAIR_FEATURES
    notes: str = ""

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """For each rival (``rows[1:]``; ``rows[0]`` is the pick, each row ``CHANNEL_FEATURES``), the probability
        that it is the word meant and the pick is not."""
        mean, scale, coef = self._arrays
        x = (pair_features(rows) - mean) / scale
        return 1.0 / (1.0 + np.exp(-(x @ coef + self.intercept)))

    @cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The stored tuples as arrays, made once (each misspelt query asks for probabilities)."""
        return np.asarray(self.mean), np.asarray(self.scale), np.asarray(self.coef)

    @cached_property
    def _linear(self) -> tuple[tuple[float, ...], tuple[float, ...], float]:
        """The model as weights on the rival's and the pick's own columns and a bias: the pair's difference
        folded into both, the standardization into the weights."""
        n = len(CHANNEL_FEATURES)
        weights = [c / s for c, s in zip(self.coef, self.scale, strict=True)]
        bias = self.intercept - sum(c * m / s for c, m, s in zip(self.coef, self.mean, self.scale, strict=True))
        rival = tuple(weights[j] + weights[n + j] for j in range(n))
        pick = tuple(weights[2 * n + j] - weights[n + j] for j in range(n))
        return rival, pick, bias

    def could_take(self, pick: Sequence[float], rivals: Sequence[Sequence[float]]) -> list[bool]:
        """For each rival row (``CHANNEL_FEATURES``) against the ``pick`` row, whether its probability could
        exceed ``threshold``: plain-Python arithmetic on a handful of rows, where numpy's per-call cost would
        dominate, and a hair generous (``_LOGIT_MARGIN``) so that it never says no where :meth:`probabilities`
        would say yes. A bound to leave work out by, not the pick."""
        if self.threshold <= 0.0 or self.threshold >= 1.0:
            return [self.threshold < 1.0] * len(rivals)
        rival_weights, pick_weights, bias = self._linear
        base = bias + sum(w * x for w, x in zip(pick_weights, pick, strict=True))
        bar = math.log(self.threshold / (1.0 - self.threshold)) - _LOGIT_MARGIN
        return [base + sum(w * x for w, x in zip(rival_weights, row, strict=True)) > bar for row in rivals]

    def pick(self, rows: np.ndarray) -> int:
        """The row to take: the likeliest rival when its probability exceeds ``threshold``, else the pick (0)."""
        if len(rows) < 2:
            return 0
        probabilities = self.probabilities(rows)
        best = int(np.argmax(probabilities))
        return best + 1 if probabilities[best] > self.threshold else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold": self.threshold,
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "spelling-channel model") -> SpellingChannel:
        """A model from :meth:`to_json`'s object; anything else is one :class:`SpellingChannelFormatError`."""
        try:
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} model")
            features = tuple(str(name) for name in data["features"])
            if features != PAIR_FEATURES:
                raise ValueError(f"features {list(features)} are not this code's {list(PAIR_FEATURES)}")
            mean, scale, coef = (_numbers(data[key], len(features), key) for key in ("mean", "scale", "coef"))
            if any(value <= 0 for value in scale):
                raise ValueError("scale must be positive")
            intercept, threshold = _number(data["intercept"], "intercept"), _number(data["threshold"], "threshold")
            if not 0 <= threshold <= 1:
                raise ValueError("threshold must be a probability")
            notes = data.get("notes", "")
            if not isinstance(notes, str):
                raise TypeError("notes must be a string")
        except (KeyError, TypeError, ValueError) as error:
            raise SpellingChannelFormatError(
                f"{source}: unusable spelling-channel model ({error.__class__.__name__}: {error}); "
                "refit it: python -m benchmarks.spelling_channel --save"
            ) from None
        return cls(mean, scale, coef, intercept, threshold, features, notes)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path = MODEL_FILE) -> SpellingChannel:
        path = Path(path)
        data = read_json(
            path,
            lambda problem: SpellingChannelFormatError(
                f"{path}: unreadable spelling-channel model ({problem}); "
                "refit it: python -m benchmarks.spelling_channel --save"
            ),
        )
        return cls.from_json(data, str(path))


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")
    return float(value)


def _numbers(values: Any, size: int, name: str) -> tuple[float, ...]:
    if not isinstance(values, Sequence) or isinstance(values, str) or len(values) != size:
        raise ValueError(f"{name} must be a list of {size} numbers")
    return tuple(_number(value, name) for value in values)


# How far below the threshold's log-odds ``could_take`` still says yes: far above the rounding of a different order
# of the same sums (the log-odds are tens at most), far below any gap that matters.
_LOGIT_MARGIN = 1e-6

_DEFAULT: list[SpellingChannel | None] = []


def default_channel() -> SpellingChannel | None:
    """The shipped model, loaded once per process (None when the file is absent: the hand order alone)."""
    if not _DEFAULT:
        _DEFAULT.append(SpellingChannel.load() if MODEL_FILE.exists() else None)
    return _DEFAULT[0]
