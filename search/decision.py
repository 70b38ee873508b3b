"""The decision: how likely the documents answer a query, and whether to say they do.

    the search after fusion ─► features ─► logistic model ─► confidence ─► answered = confidence ≥ threshold

The features are what the ranking already knows, read at almost no cost: each
retriever's top score and its margins over ranks 2 and 5, where each retriever
ranks the fused top passage, the fused score's margins, how much of the query
(IDF-weighted) the best one and three passages cover, the rarest query word
they miss, the query's words the corpus never uses and its unknown topic
words, its length, and how much rewriting changed it; and what tells a passage
that answers from one that merely shares words: how much of the query the
best passage of the *whole corpus* holds and whether the top one holds as
much, how much of it stands in one sentence of the best passages, whether its
neighbouring words stand together there, BM25's score and gap over the
weight of every query word, unknown ones included; how much more of the query
the best passage holds than the second, the share of its two rarest words the
best holds, and the share of the names it asks about (capitalised words past
the first: «Варшава», «Мэннинг») the best passages hold — a name the corpus
knows but not where the search looked is a question about something else.
A logistic regression
over them (scikit-learn, the scaler folded into its coefficients) gives the
probability — one regression per *view*, the groups of features a search
gives (a retriever the engine lacks, one retriever alone: :data:`GROUPS`), so
that a missing retriever is learned, not filled with means; the model, its
threshold and its held-out figures are one JSON file,
``search/models/confidence.json``, loaded once per process and never pickled.
``python -m benchmarks.train_confidence`` regenerates it.

>>> model = ConfidenceModel.default()
>>> model.features == FEATURES and 0 < model.threshold < 1
True
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np

from .answers import STEM as _STEM
from .answers import Unit, Units
from .arrays import held_searched, sorted_unique
from .lexicon import Lexicon
from .query import synonym_links
from .results import Correction

__all__ = [
    "FEATURES",
    "FULL_VIEW",
    "GROUPS",
    "MODEL_FILE",
    "RETRIEVERS",
    "ConfidenceModel",
    "ModelError",
    "calibration_bins",
    "decision_features",
    "expected_calibration_error",
    "fit_confidence",
    "held_in",
    "masked",
    "present_groups",
    "sentence_coverage",
    "standing_in",
    "view_columns",
    "VIEWS",
]

MODEL_FILE = Path(__file__).resolve().parent / "models" / "confidence.json"
MODEL_FORMAT = "ru-faq-search confidence model"
MODEL_VERSION = 3  # 2: each feature also times the query's length ("terms"); 3: a model per view (VIEWS)
REGENERATE = "regenerate it: python -m benchmarks.train_confidence"

# The retrievers whose own rankings are features. One that did not run (a single-retriever search, an index
# built without it) leaves its features NaN, and the model of the view without them decides (see VIEWS).
RETRIEVERS: tuple[str, ...] = ("bm25", "tfidf", "chars")
_PER_RETRIEVER = ("agree", "top", "margin2", "margin5")
FEATURES: tuple[str, ...] = (
    "terms",  # log(1 + distinct query terms)
    "coverage_top1",  # IDF-weighted share of the query in the best passage (synonyms count for their word)
    "coverage_top3",  # … in the three best together
    "share_top1",  # unweighted share of query terms in the best passage
    "uncovered_idf",  # the IDF of the rarest query term the three best miss, over the IDF of an unseen term
    "unknown",  # IDF-weighted share of query terms no passage holds (nor a synonym of theirs)
    "missing_topics",  # topic words the corpus never uses (the no-answer rule's), at most three
    "missing_share",  # … over the query's terms
    "missing_dictionary",  # missing topic words the dictionary knows: a real word, not a slip or a name
    "absent_dictionary",  # share of query terms no passage holds that the dictionary knows
    "latin",  # share of query terms in Latin letters (transliteration or layout not undone, brands, names)
    "covered_idf",  # the IDF of the rarest query term the best passage holds, over the IDF of an unseen term
    "rewritten",  # words changed by layout, transliteration or spelling, over the query's terms
    "synonyms",  # whether the thesaurus added anything
    "fused_top",  # fused score of the best passage over the most it can be (every retriever ranks it first)
    "fused_margin2",  # (s1 − s2) / s1 of the fused scores
    "fused_margin5",  # (s1 − s5) / s1
    *(f"{name}_{what}" for name in RETRIEVERS for what in _PER_RETRIEVER),
    "best_coverage",  # IDF-weighted share of the query in the passage of the whole corpus that covers most of it
    "top_vs_best",  # coverage_top1 over best_coverage: does the best-ranked passage hold what the corpus holds
    "sentence_top1",  # IDF-weighted share of the query in one sentence of the best passage (word forms alike)
    "sentence_top3",  # … in one sentence of the three best
    "pairs_top1",  # share of the query's neighbouring term pairs that stand within three words in the best passage
    "bm25_top_all",  # BM25 top score over the IDF of every query term, unseen ones weighing the most
    "bm25_gap",  # (s1 − s2) of BM25 over the IDF of every query term
    "coverage_top2",  # IDF-weighted share of the query in the second passage
    "coverage_gap",  # coverage_top1 − coverage_top2: does the best passage hold more of the query than the next
    "rare_top1",  # share of the IDF weight of the query's two rarest known terms that the best passage holds
    "names_top1",  # share of the query's names (capitalised words past its first) the best passage holds
    "names_top3",  # … the three best hold
    "known_names_top1",  # share of the query's names the corpus uses that the best passage holds
    "known_names_top3",  # … the three best hold: a name the corpus knows, but not where the search looked
)
_INDEX = {name: i for i, name in enumerate(FEATURES)}
# The features a search gives only when a retriever ran (or, "fused", when the ranking is the hybrid fusion or
# its learned re-ranking, whose decision reads the fusion's ranking):
# a group is there or not as a whole, and each set of groups present — a view — has a regression of its own,
# fitted on the same examples without the absent columns, instead of filling them with the training means
# (which made an engine without BM25 say "no answer" to «как вернуть товар»).
GROUPS: dict[str, tuple[str, ...]] = {
    **{name: tuple(f"{name}_{what}" for what in _PER_RETRIEVER) for name in RETRIEVERS},
    "fused": ("fused_top", "fused_margin2", "fused_margin5"),
}
GROUPS["bm25"] += ("bm25_top_all", "bm25_gap")
FULL_VIEW: frozenset[str] = frozenset(GROUPS)
VIEWS: tuple[frozenset[str], ...] = tuple(
    frozenset(name for bit, name in enumerate(GROUPS) if mask >> bit & 1) for mask in range(2 ** len(GROUPS) - 1)
)  # every view but the full one, which is the model's own coefficients
_GROUP_COLUMNS = {name: np.array([_INDEX[f] for f in columns]) for name, columns in GROUPS.items()}
# Each retriever's columns, in :data:`_PER_RETRIEVER`'s order: no name formatted a search.
_RETRIEVER_COLUMNS = {name: tuple(_INDEX[f"{name}_{what}"] for what in _PER_RETRIEVER) for name in RETRIEVERS}
_FIRST_OF_GROUP = {name: _INDEX[columns[0]] for name, columns in GROUPS.items()}  # NaN there: the group is absent
_REWRITING = ("layout", "translit", "spelling")
_CYRILLIC = re.compile(r"[а-яё]+(?:-[а-яё]+)*")
_LATIN = re.compile(r"[a-z]")


class ModelError(ValueError):
    """The stored confidence model cannot be used: missing, damaged, or made for other features."""


# --- features -----------------------------------------------------------------------------------------------


def _margin(scores: np.ndarray | Sequence[float], rank: int) -> float:
    """(s1 − s_rank) / s1, with a missing rank scoring nothing (``scores`` best first: an array, or the first
    few of it as Python floats — the same numbers)."""
    if len(scores) == 0 or scores[0] <= 0:
        return 0.0
    other = float(scores[rank - 1]) if len(scores) >= rank else 0.0
    return (float(scores[0]) - other) / float(scores[0])


def decision_features(
    terms: Sequence[str],
    corrections: Sequence[Correction],
    missing: Sequence[str],
    lexicon: Lexicon,
    ranked: Mapping[str, tuple[np.ndarray, np.ndarray]],
    order: np.ndarray,
    scores: np.ndarray,
    fused_best: float | None,
    is_word: Callable[[str], bool] = lambda term: False,
    units_of: Callable[[int], Sequence[Unit]] | None = None,
    names: Sequence[str] = (),
    held: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray | None:
    """The features of one search, in the order of :data:`FEATURES`; ``None`` when nothing was found at all.

    ``ranked`` holds each retriever's own ranking (indices and scores, best
    first), ``order``/``scores`` the fused one (under the learned ranking too);
    ``fused_best`` is the highest
    fused score a passage can get (every retriever ranks it first), ``None``
    for one retriever alone, whose fused features are then left to the
    model's means. ``is_word`` says whether the dictionary knows a word;
    ``units_of`` gives a passage's sentences (:func:`search.answers.passage_units`,
    kept by the caller), without which the sentence features are left to the means;
    ``names`` are the terms of the query's capitalised words past its first (names
    of people, places, works), left to the means when there are none; ``held`` is
    :func:`held_in` of the best passages (at least three), when the caller has read it.
    A feature the search cannot give is NaN.
    """
    unique = list(dict.fromkeys(terms))
    if not unique or order.size == 0:
        return None
    # A list until the end (a list item is set faster than an array's), every feature NaN until set.
    x = [math.nan] * len(FEATURES)
    idf = {term: max(lexicon.idf_of(term), 0.0) for term in unique}
    unseen = math.log(lexicon.passages + 0.5) - math.log(0.5)
    links = synonym_links(corrections)
    candidates = {*unique, *(t for linked in links.values() for t in linked)}
    rows = order[:3]
    held = held if held is not None else held_in(lexicon, candidates, rows)
    in_top3: set[str] = set()
    in_top1: set[str] = set()
    in_top2: set[str] = set()
    for term in candidates:
        if term in held:
            found = held[term][:3].tolist()  # Python bools: a few numpy scalars a term cost more than the work
            if any(found):
                in_top3.add(term)
                if found[0]:
                    in_top1.add(term)
                if len(found) > 1 and found[1]:
                    in_top2.add(term)
    covered3 = _covered(unique, in_top3, links)
    # The query's terms the best passage holds, themselves or through a synonym: read by several features.
    top1 = set(_covered(unique, in_top1, links))
    total = sum(idf.values())

    def coverage(covered: Iterable[str]) -> float:
        """:func:`search.query.query_coverage` of the terms found above: the same terms, weights and order."""
        return sum(idf[term] for term in covered) / total if total > 0 else 0.0

    known = [term for term in unique if term in lexicon or any(t in lexicon for t in links.get(term, ()))]
    x[_INDEX["terms"]] = math.log1p(len(unique))
    x[_INDEX["coverage_top1"]] = coverage(term for term in unique if term in top1)
    x[_INDEX["coverage_top3"]] = coverage(covered3)
    x[_INDEX["share_top1"]] = sum(term in top1 for term in unique) / len(unique)
    uncovered = [idf[term] for term in unique if term not in covered3]
    x[_INDEX["uncovered_idf"]] = max(uncovered) / unseen if uncovered and unseen > 0 else 0.0
    x[_INDEX["unknown"]] = (1 - sum(idf[term] for term in known) / total) if total > 0 else 0.0
    x[_INDEX["missing_topics"]] = min(len(missing), 3)
    x[_INDEX["missing_share"]] = min(len(missing) / len(unique), 1.0)
    x[_INDEX["missing_dictionary"]] = min(sum(1 for term in missing if is_word(term)), 3)
    absent = [term for term in unique if term not in known]
    x[_INDEX["absent_dictionary"]] = sum(1 for term in absent if _CYRILLIC.fullmatch(term) and is_word(term)) / len(
        unique
    )
    x[_INDEX["latin"]] = sum(1 for term in unique if _LATIN.search(term)) / len(unique)
    matched = [idf[term] for term in unique if term in top1]
    x[_INDEX["covered_idf"]] = max(matched) / unseen if matched and unseen > 0 else 0.0
    changed = sum(len(c.original.split()) for c in corrections if c.step in _REWRITING)
    x[_INDEX["rewritten"]] = min(changed / len(unique), 1.0)
    x[_INDEX["synonyms"]] = float(any(c.step == "synonyms" for c in corrections))
    if fused_best is not None:
        head = scores[:5].tolist()  # the margins' few scores as Python floats: no numpy scalar a read
        x[_INDEX["fused_top"]] = head[0] / fused_best if fused_best > 0 else 0.0
        x[_INDEX["fused_margin2"]] = _margin(head, 2)
        x[_INDEX["fused_margin5"]] = _margin(head, 5)
    top = int(order[0])
    known_idf = sum(idf[term] for term in unique if term in lexicon)
    for name, (agree, first_at, margin2, margin5) in _RETRIEVER_COLUMNS.items():
        if name not in ranked:
            continue
        indices, values = ranked[name]
        listed = indices.tolist()
        x[agree] = 1.0 / (listed.index(top) + 1) if top in listed else 0.0
        head = values[:5].tolist()
        first = head[0] if head else 0.0
        # BM25 grows with the query's length and the corpus's IDFs; cosines are already 0–1.
        x[first_at] = first / known_idf if name == "bm25" and known_idf > 0 else first
        x[margin2] = _margin(head, 2)
        x[margin5] = _margin(head, 5)
        if name == "bm25" and total > 0:
            x[_INDEX["bm25_top_all"]] = first / total
            x[_INDEX["bm25_gap"]] = (first - (head[1] if len(head) > 1 else 0.0)) / total
    x[_INDEX["coverage_top2"]] = coverage(_covered(unique, in_top2, links)) if rows.size > 1 else 0.0
    x[_INDEX["coverage_gap"]] = x[_INDEX["coverage_top1"]] - x[_INDEX["coverage_top2"]]
    rarest = sorted((term for term in unique if term in known), key=lambda term: -idf[term])[:2]
    rare_total = sum(idf[term] for term in rarest)
    if rare_total > 0:
        held = sum(idf[term] for term in rarest if term in top1)
        x[_INDEX["rare_top1"]] = held / rare_total
    named = [term for term in dict.fromkeys(names) if term in idf]
    if named:
        x[_INDEX["names_top1"]] = sum(term in top1 for term in named) / len(named)
        x[_INDEX["names_top3"]] = sum(term in covered3 for term in named) / len(named)
    known_names = [term for term in named if term in known]
    if known_names:
        x[_INDEX["known_names_top1"]] = sum(term in top1 for term in known_names) / len(known_names)
        x[_INDEX["known_names_top3"]] = sum(term in covered3 for term in known_names) / len(known_names)
    best = _best_coverage(unique, idf, links, lexicon)
    x[_INDEX["best_coverage"]] = best
    x[_INDEX["top_vs_best"]] = min(x[_INDEX["coverage_top1"]] / best, 1.0) if best > 0 else 0.0
    if units_of is not None:
        weights = {term: idf[term] / total for term in unique} if total > 0 else dict.fromkeys(unique, 0.0)
        forms = {term: {term, *links.get(term, ())} for term in unique}
        read = [units_of(row) for row in rows.tolist()]  # the best passage (``top``) first
        sentences = [sentence_coverage(units, weights, forms) for units in read]
        x[_INDEX["sentence_top1"]] = sentences[0]
        x[_INDEX["sentence_top3"]] = max(sentences)
        x[_INDEX["pairs_top1"]] = _near_pairs(terms, read[0], forms)
    return np.array(x, dtype=np.float64)


def _covered(unique: Sequence[str], present: set[str], links: Mapping[str, set[str]]) -> list[str]:
    """The query's terms ``present`` holds, themselves or through a synonym, in the query's order."""
    if not links:  # no synonym: most queries
        return [term for term in unique if term in present]
    return [term for term in unique if term in present or links.get(term, _NO_LINKS) & present]


_NO_LINKS: frozenset[str] = frozenset()


def held_in(lexicon: Lexicon, terms: Iterable[str], rows: np.ndarray) -> dict[str, np.ndarray]:
    """Which of ``rows`` hold each of ``terms`` the lexicon knows: read once for the coverage and the features
    (``Lexicon.contains`` of every term at once, :func:`search.arrays.held_searched`)."""
    known = [term for term in terms if term in lexicon]
    return dict(zip(known, held_searched([lexicon.postings(term) for term in known], rows, lexicon.passages)))


def _best_coverage(
    unique: Sequence[str], idf: Mapping[str, float], links: Mapping[str, set[str]], lexicon: Lexicon
) -> float:
    """The most of the query's IDF weight one passage of the whole corpus holds (a synonym for its word)."""
    total = sum(idf.values())
    rows, weights, sizes = [], [], []
    for term in unique:
        if idf[term] <= 0:  # weighs nothing: its postings are not read
            continue
        linked = links.get(term)
        if linked is None:  # no synonym (most terms): its own postings, if any
            if term not in lexicon:
                continue
            found = lexicon.postings(term)
        else:
            held = [lexicon.postings(t) for t in (term, *linked) if t in lexicon]
            if not held:
                continue
            # one term's postings: no repeats
            found = held[0] if len(held) == 1 else sorted_unique(np.concatenate(held))
        rows.append(found)
        weights.append(idf[term])
        sizes.append(found.size)
    if not rows or total <= 0:
        return 0.0
    if sum(sizes) <= _FEW_POSTINGS:  # a few postings: summed in Python floats, in the same order as bincount's
        if lexicon.passages <= _FEW_PASSAGES:  # a small corpus: a list of every passage's sum (every one ≥ 0)
            every = [0.0] * lexicon.passages
            for found, weight in zip(rows, weights):
                for row in found.tolist():
                    every[row] += weight
            return max(every) / total
        sums: dict[int, float] = {}
        for found, weight in zip(rows, weights):
            for row in found.tolist():
                sums[row] = sums.get(row, 0.0) + weight
        return max(sums.values()) / total
    # Summed per passage in the same order as before (term by term), without sorting every posting of the query.
    each = np.repeat(np.array(weights, dtype=np.float64), sizes)  # each posting's term weight
    return float(np.bincount(np.concatenate(rows), weights=each).max() / total)


_FEW_POSTINGS = 512  # up to this many postings of a query's terms, its best coverage is summed without numpy
_FEW_PASSAGES = 512  # and up to this many passages, in a list of them all rather than a dict of those held


def sentence_coverage(units: Sequence[Unit], weights: Mapping[str, float], forms: Mapping[str, set[str]]) -> float:
    """The most of the query's weight one sentence holds, a word also in another form (same first letters)."""
    indexed = units if isinstance(units, Units) else Units(units)
    totals = [0.0] * len(indexed)
    for term, weight in weights.items():  # each sentence's sum in the query's order
        wanted = forms[term]
        # a term without synonyms: its units straight from the index (each once), no set made
        numbers = indexed.with_form(next(iter(wanted))) if len(wanted) == 1 else indexed.holding(wanted)
        for number in numbers:
            totals[number] += weight
    return max([0.0, *totals])


def _near_pairs(terms: Sequence[str], units: Sequence[Unit], forms: Mapping[str, set[str]], window: int = 3) -> float:
    """The share of the query's neighbouring term pairs found within ``window`` words of each other in a sentence;
    NaN for a query of one term."""
    sequence = [t for i, t in enumerate(terms) if i == 0 or t != terms[i - 1]]
    pairs = list(zip(sequence, sequence[1:]))
    if not pairs:
        return math.nan
    indexed = units if isinstance(units, Units) else Units(units)
    holding = {term: indexed.holding(forms.get(term, {term})) for term in sequence}
    # each term's look-up keys in a unit's table of first letters (``Units.stem_positions``): a form of five
    # letters or more stands for the words sharing them, a shorter one for itself alone
    keys = {term: {w[:_STEM] if len(w) >= _STEM else w for w in forms.get(term, {term})} for term in sequence}

    def positions(number: int, term: str) -> list[int]:
        table = indexed.stem_positions(number)
        return [i for key in keys[term] for i in table.get(key, ())]

    found = 0
    for first, second in pairs:
        for number in sorted(holding[first] & holding[second]):  # only the sentences holding both can
            a, b = positions(number, first), positions(number, second)
            if min(abs(i - j) for i in a for j in b) <= window:
                found += 1
                break
    return found / len(pairs)


# --- the model ----------------------------------------------------------------------------------------------


def _sigmoid(z: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


@dataclass(frozen=True, eq=False)
class ConfidenceModel:
    """A logistic regression over :data:`FEATURES`, its decision threshold, and how it did on held-out folds.

    ``coefficients`` apply to the raw features and then to each feature
    times ``terms`` (the query's length: a long question carries more
    evidence, so the same coverage or margin means more in it), the scaler
    folded in; ``means`` stand in for a feature a search may not give
    (a name, a sentence). ``views`` hold, for a search without some groups
    of :data:`GROUPS` (a retriever the engine lacks, one retriever alone),
    the regression fitted without those columns (their coefficients 0),
    its intercept shifted so that the one ``threshold`` keeps that view's
    own held-out limits; a view not stored falls back to the largest stored
    one inside it, else to the full model with the means. ``held_out``
    carries the figures, the reliability bins and the trade-off curve the
    training measured (for the README and the notebook).
    """

    features: tuple[str, ...]
    coefficients: np.ndarray
    intercept: float
    means: np.ndarray
    threshold: float
    held_out: Mapping[str, Any] = field(default_factory=dict)
    source: str = "<memory>"
    views: Mapping[frozenset[str], tuple[np.ndarray, float]] = field(default_factory=dict)

    def view_of(self, present: frozenset[str]) -> tuple[np.ndarray, float]:
        """The coefficients and intercept that decide a search whose groups ``present`` are there."""
        if present == FULL_VIEW or not self.views:
            return self.coefficients, self.intercept
        if present in self.views:
            return self.views[present]
        inside = [view for view in self.views if view <= present]
        return self.views[max(inside, key=len)] if inside else (self.coefficients, self.intercept)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The probability that the documents answer, for each row of ``x`` (one vector gives a 0-d array)."""
        x = np.asarray(x, dtype=np.float64)
        rows = np.atleast_2d(x)
        filled = np.where(np.isnan(rows), self.means, rows)
        expanded = expand(filled)
        present = present_groups(rows)
        z = np.empty(len(rows))
        for view in set(present):
            at = np.array([p == view for p in present])
            coefficients, intercept = self.view_of(view)
            z[at] = expanded[at] @ coefficients + intercept
        # No word of the query (nor a synonym of one) is in any passage: nothing can answer it, whatever a
        # letter n-gram neighbour's margins say.
        answerable = rows[:, _INDEX["unknown"]] < 1.0
        p = np.where(answerable, _sigmoid(z), 0.0)
        return p.reshape(x.shape[:-1])

    def confidence(self, x: np.ndarray | None) -> float:
        """One search's confidence; nothing found is 0. :meth:`predict` of one vector, its view and the unknown
        words' check read from Python floats (the same product of the same one-row matrix: the same bits)."""
        if x is None:
            return 0.0
        if x.ndim != 1:
            return float(self.predict(x))
        values = x.tolist()
        if not values[_INDEX["unknown"]] < 1.0:  # no word of the query is in any passage (see predict)
            return 0.0
        view = frozenset(name for name in GROUPS if not math.isnan(values[_FIRST_OF_GROUP[name]]))
        coefficients, intercept = self.view_of(view)
        rows = x[None, :]
        z = float((expand(np.where(np.isnan(rows), self.means, rows)) @ coefficients + intercept)[0])
        # _sigmoid of one Python float: the same clip and the same numpy exp, without np.clip's wrappers (~3 µs)
        return float(1.0 / (1.0 + np.exp(-min(max(z, -500.0), 500.0))))

    def answered(self, confidence: float) -> bool:
        return confidence >= self.threshold

    # --- JSON ---------------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "model": (
                "logistic regression over standardized features and each feature times 'terms' (the coefficients: "
                "the features', then their products'), the scaler folded into the coefficients"
            ),
            "features": list(self.features),
            "coefficients": [float(c) for c in self.coefficients],
            "intercept": float(self.intercept),
            "means": [float(m) for m in self.means],
            "threshold": float(self.threshold),
            "views": [
                {
                    "groups": [name for name in GROUPS if name in view],
                    "coefficients": [float(c) for c in coefficients],
                    "intercept": float(intercept),
                }
                for view, (coefficients, intercept) in sorted(
                    self.views.items(), key=lambda item: VIEWS.index(item[0]) if item[0] in VIEWS else len(VIEWS)
                )
            ],
            "held_out": self.held_out,
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "<memory>") -> Self:
        """The model of ``data``; anything damaged or made for other features is a :class:`ModelError` naming
        ``source``."""

        def refuse(problem: str) -> ModelError:
            return ModelError(f"confidence model {source}: {problem}; {REGENERATE}")

        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            raise refuse("not a confidence model (no 'format' of ours)")
        if data.get("version") != MODEL_VERSION:
            raise refuse(f"version {data.get('version')!r}, this code reads version {MODEL_VERSION}")
        features = data.get("features")
        if not isinstance(features, list) or tuple(features) != FEATURES:
            raise refuse("made for other features than this code computes")
        arrays = {}
        for key, size in (("coefficients", 2 * len(FEATURES)), ("means", len(FEATURES))):
            values = data.get(key)
            if not isinstance(values, list) or len(values) != size:
                raise refuse(f"'{key}' must be a list of {size} numbers")
            arrays[key] = _numbers(values, key, refuse)
        intercept = _numbers([data.get("intercept")], "intercept", refuse)[0]
        threshold = _numbers([data.get("threshold")], "threshold", refuse)[0]
        if not 0.0 <= threshold <= 1.0:
            raise refuse(f"threshold {threshold} is not a probability")
        held_out = data.get("held_out", {})
        if not isinstance(held_out, dict):
            raise refuse("'held_out' must be an object")
        views: dict[frozenset[str], tuple[np.ndarray, float]] = {}
        stored = data.get("views", [])
        if not isinstance(stored, list):
            raise refuse("'views' must be a list")
        for view in stored:
            groups = view.get("groups") if isinstance(view, dict) else None
            if not isinstance(groups, list) or not set(groups) < set(GROUPS) or frozenset(groups) in views:
                raise refuse(f"a view must name a proper subset of {list(GROUPS)}, each view once")
            coefficients = view.get("coefficients")
            if not isinstance(coefficients, list) or len(coefficients) != 2 * len(FEATURES):
                raise refuse(f"a view's 'coefficients' must be a list of {2 * len(FEATURES)} numbers")
            views[frozenset(groups)] = (
                _numbers(coefficients, "coefficients", refuse),
                float(_numbers([view.get("intercept")], "intercept", refuse)[0]),
            )
        return cls(
            FEATURES,
            arrays["coefficients"],
            float(intercept),
            arrays["means"],
            float(threshold),
            held_out,
            source,
            views,
        )

    @classmethod
    def load(cls, path: str | Path = MODEL_FILE) -> Self:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"confidence model {path}: not found; {REGENERATE}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ModelError(f"confidence model {path}: unreadable ({error}); {REGENERATE}") from None
        return cls.from_json(data, str(path))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        temporary.replace(path)
        return path

    @classmethod
    def default(cls) -> ConfidenceModel:
        """The model the package ships, read once per process (or the one :func:`standing_in` puts in its place)."""
        return _STAND_INS[-1] if _STAND_INS else _default_model()

    @classmethod
    def neutral(cls) -> ConfidenceModel:
        """A model that knows nothing (every confidence 0.5): what training builds its engines with, since the
        features do not depend on the model and the shipped one may be made for other features."""
        return cls(FEATURES, np.zeros(2 * len(FEATURES)), 0.0, np.zeros(len(FEATURES)), 0.5, {}, "<neutral>")

    def __repr__(self) -> str:
        return f"ConfidenceModel({len(self.features)} features, threshold={self.threshold:.3f}, from {self.source})"


_STAND_INS: list[ConfidenceModel] = []


@contextlib.contextmanager
def standing_in(model: ConfidenceModel) -> Iterator[ConfidenceModel]:
    """Engines built inside take ``model`` as their default (training builds them before any model exists)."""
    _STAND_INS.append(model)
    try:
        yield model
    finally:
        _STAND_INS.pop()


@functools.cache
def _default_model() -> ConfidenceModel:
    return ConfidenceModel.load(MODEL_FILE)


def _numbers(values: Iterable[Any], key: str, refuse: Any) -> np.ndarray:
    out = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise refuse(f"'{key}' holds {value!r}, not a finite number")
        out.append(float(value))
    return np.array(out, dtype=np.float64)


# --- training and calibration -------------------------------------------------------------------------------


def fit_confidence(
    x: np.ndarray,
    y: np.ndarray,
    *,
    sample_weight: np.ndarray | None = None,
    c: float = 1.0,
    view: frozenset[str] = FULL_VIEW,
) -> ConfidenceModel:
    """A logistic regression on standardized features, returned with the scaler folded into it.

    Missing features (NaN) take the column's mean, as they will at query
    time. ``view`` names the groups of :data:`GROUPS` the regression may
    read: the others' columns are left out of the fit (coefficient 0), as if
    the search had not given them. The threshold is 0.5 until the caller
    chooses one on held-out folds.
    """
    from sklearn.linear_model import LogisticRegression  # training only: searching never imports it

    x = np.asarray(x, dtype=np.float64)
    means = np.nanmean(x, axis=0)
    means = np.where(np.isnan(means), 0.0, means)
    expanded = expand(np.where(np.isnan(x), means, x))
    used = view_columns(view)
    centre = expanded[:, used].mean(axis=0)
    scale = expanded[:, used].std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    regression = LogisticRegression(C=c, max_iter=5000)
    regression.fit((expanded[:, used] - centre) / scale, y, sample_weight=sample_weight)
    coefficients = np.zeros(expanded.shape[1])
    coefficients[used] = regression.coef_[0] / scale
    intercept = float(regression.intercept_[0] - np.sum(regression.coef_[0] * centre / scale))
    return ConfidenceModel(FEATURES, coefficients, intercept, means, 0.5)


def view_columns(view: frozenset[str]) -> np.ndarray:
    """The columns of :func:`expand`'s matrix a regression of ``view`` reads (the absent groups' left out)."""
    keep = np.ones(len(FEATURES), dtype=bool)
    for name in GROUPS:
        if name not in view:
            keep[_GROUP_COLUMNS[name]] = False
    return np.flatnonzero(np.concatenate([keep, keep]))


def present_groups(x: np.ndarray) -> list[frozenset[str]]:
    """Each row's view: the groups of :data:`GROUPS` it holds (a group's first feature not NaN)."""
    rows = np.atleast_2d(x)
    there = {name: ~np.isnan(rows[:, columns[0]]) for name, columns in _GROUP_COLUMNS.items()}
    return [frozenset(name for name in GROUPS if there[name][i]) for i in range(len(rows))]


def masked(x: np.ndarray, view: frozenset[str]) -> np.ndarray:
    """``x`` as a search of ``view`` gives it: the absent groups' features NaN."""
    out = np.array(x, dtype=np.float64, copy=True)
    for name in GROUPS:
        if name not in view:
            out[..., _GROUP_COLUMNS[name]] = np.nan
    return out


def expand(filled: np.ndarray) -> np.ndarray:
    """The model's inputs: the features (no NaN left), then each times ``terms`` (log of the query's length)."""
    terms = filled[..., _INDEX["terms"] : _INDEX["terms"] + 1]
    return np.concatenate([filled, filled * terms], axis=-1)


def calibration_bins(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Equal-width bins of predicted probability: count, mean prediction, observed share of positives."""
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    which = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            out.append(
                {
                    "low": b / bins,
                    "high": (b + 1) / bins,
                    "count": int(inside.sum()),
                    "predicted": float(p[inside].mean()),
                    "observed": float(y[inside].mean()),
                }
            )
    return out


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Σ over equal-width bins of (share of predictions in the bin) × |mean prediction − observed share|."""
    total = len(p)
    return sum(b["count"] / total * abs(b["predicted"] - b["observed"]) for b in calibration_bins(p, y, bins))
