"""Beyond a ranked list: the sentence that answers, and facts on which sources disagree.

Help-center articles contradict each other (this corpus gives four hotline
numbers and one that no longer works). The engine never picks a winner: it
reports every value with its source and flags the ones a passage itself marks
as outdated, so the reader decides.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import razdel

from .analysis import Analyzer, Token, normalize
from .lang import (
    ADDRESS_PATTERN,
    FACT_TRIGGERS,
    FINAL_ABBREVIATIONS,
    MONTHS,
    NONFINAL_ABBREVIATIONS,
    NUMBER_WORDS,
    OUTDATED_MARKERS,
    QUESTION_KINDS,
    TRANSLITERATION,
)
from .passages import Passage
from .query import Thesaurus
from .results import Correction

__all__ = [
    "Conflict",
    "SENTENCE_FEATURES",
    "SentenceModel",
    "SentenceModelError",
    "Unit",
    "KIND_LABELS",
    "Fact",
    "FactValue",
    "answer_kinds",
    "answer_span",
    "passage_units",
    "sentence_features",
    "sentence_model_standing_in",
    "asked_kinds",
    "best_answer",
    "conflicts_for",
    "extract_facts",
    "find_conflicts",
    "is_marked_outdated",
]

KIND_LABELS = {
    "phone": "телефоны",
    "email": "адреса почты",
    "hours": "часы работы",
    "duration": "сроки",
    "sum": "суммы",
}
_OUTDATED = re.compile("|".join(OUTDATED_MARKERS))
# The abbreviation-like end of a sentence: up to three «word.» pieces, and whether a number stands before them.
_ABBREVIATION_TAIL = re.compile(r"(?:^|(\d)|[^\w.-])\s*((?:[^\W\d_][\w-]{0,5}\.\s*){1,3})$")
_TIME = r"(\d{1,2})[:.](\d{2})"
_HOURS = re.compile(rf"с\s*{_TIME}\s*до\s*{_TIME}|круглосуточн\w*|24\s*/\s*7|24 часа в сутки", re.IGNORECASE)
_DURATION = re.compile(
    r"(?:(?:до|в течение|за|от)\s+(\d+(?:\s*-\s*\d+)?)|(?<!\d)(\d+\s*-\s*\d+))"
    r"\s+((?:рабоч\w+\s+)?(?:минут\w*|час\w*|дн\w*|день|недел\w*|месяц\w*))",
    re.IGNORECASE,
)
_ADDRESS = re.compile(ADDRESS_PATTERN)
_QUESTION_KINDS = {kind: re.compile(pattern) for kind, pattern in QUESTION_KINDS.items()}
FACT_KINDS = (*FACT_TRIGGERS,)  # kinds of fact a passage states: "phone", "email", …, "address", "link"
_UNITS = (("минут", "мин"), ("час", "ч"), ("недел", "нед"), ("месяц", "мес"))
_SUM = re.compile(r"(?<!\d)(?<!\d[ \u00a0])(\d{1,3}(?:[ \u00a0]\d{3})+|\d+)\s?(?:руб\w*|₽)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Fact:
    """A value a passage states: where it stands in the passage text, and its canonical form."""

    kind: str  # "phone", "email", "hours", "duration", "sum", "address", "link"
    value: str  # as written
    canonical: str
    start: int
    end: int
    outdated: bool = False  # the text itself says the value no longer holds


@dataclass(frozen=True, slots=True)
class FactValue:
    """One value of a conflict, with its source."""

    value: str
    canonical: str
    passage_id: str
    doc_id: str
    title: str
    section: str
    citation: str
    outdated: bool

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class Conflict:
    """Passages that answer the query state different values of one kind of fact."""

    kind: str
    values: tuple[FactValue, ...]

    @property
    def label(self) -> str:
        """The kind as a reader names it, for the page and the command line."""
        return KIND_LABELS.get(self.kind, self.kind)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "values": [v.to_json() for v in self.values]}


def _canonical_duration(number: str, unit: str) -> str:
    unit = normalize(unit)
    base = next((short for stem, short in _UNITS if unit.startswith(stem) or f" {stem}" in unit), "дн")
    working = "раб. " if "рабоч" in unit else ""
    compact = re.sub(r"\s+", "", number)
    return f"{compact} {working}{base}"


def _canonical_link(term: str) -> str:
    return re.sub(r"^https?://(?:www\.)?", "", term).rstrip("/")


def extract_facts(text: str, analyzer: Analyzer) -> list[Fact]:
    """Phones, e-mails and links from the analyzer's own tokens; hours, durations, sums, addresses by patterns."""
    facts = []
    for token in analyzer.tokens(text):
        if token.kind in {"phone", "email", "domain"}:
            link = token.kind == "domain"
            kind, canonical = ("link", _canonical_link(token.term)) if link else (token.kind, token.term)
            facts.append(Fact(kind, text[token.start : token.end], canonical, token.start, token.end))
    for match in _ADDRESS.finditer(text):
        facts.append(Fact("address", match.group(), " ".join(normalize(match.group()).split()), *match.span()))
    for match in _HOURS.finditer(text):
        if match.group(1):
            canonical = f"{int(match.group(1)):02d}:{match.group(2)}–{int(match.group(3)):02d}:{match.group(4)}"
        else:
            canonical = "круглосуточно"
        facts.append(Fact("hours", match.group(), canonical, match.start(), match.end()))
    for match in _DURATION.finditer(text):
        number = match.group(1) or match.group(2)
        canonical = _canonical_duration(number, match.group(3))
        facts.append(Fact("duration", match.group(), canonical, match.start(), match.end()))
    for match in _SUM.finditer(text):
        facts.append(
            Fact("sum", match.group().strip(), re.sub(r"\D", "", match.group(1)) + " ₽", match.start(), match.end())
        )
    sentences = list(razdel.sentenize(text))
    return sorted(
        (replace(fact, outdated=_outdated_near(text, sentences, fact.start, fact.end)) for fact in facts),
        key=lambda fact: fact.start,
    )


def is_marked_outdated(text: str, start: int, end: int) -> bool:
    """Whether the sentence stating a value, or the one right after it, says the value no longer holds."""
    return _outdated_near(text, list(razdel.sentenize(text)), start, end)


def _outdated_near(text: str, sentences: Sequence[Any], start: int, end: int) -> bool:
    for index, sentence in enumerate(sentences):
        if sentence.start <= start < sentence.stop or (sentence.start < end <= sentence.stop):
            nearby = " ".join(s.text for s in sentences[index : index + 2])
            return bool(_OUTDATED.search(normalize(nearby)))
    return False


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences and list items of a passage, as ``(start, end)`` spans: the units an answer is chosen from.

    razdel cuts after some abbreviations («доб. 76077», «ул. Тверская»); a cut
    there is undone, so a phone and its extension stay in one answer.
    """
    spans = []
    for line_start, line in _lines(text):
        spans += [(line_start + a, line_start + b) for a, b in _sentences(line) if re.search(r"\w", line[a:b])]
    return spans or [(0, len(text))]


def _sentences(line: str) -> list[tuple[int, int]]:
    """razdel's sentences of one line, with the full stop of an abbreviation it cut at hidden from it.

    Hiding the stop and asking again (rather than gluing razdel's pieces) also
    lets razdel cut correctly after the number that follows: it reads
    «76077. Этот номер…» as one numbered item otherwise.
    """
    masked = line
    for _ in range(16):  # each round hides at least one more stop; lines with more abbreviations keep the rest
        cuts = [(sentence.start, sentence.stop) for sentence in razdel.sentenize(masked)]
        wrong = [
            end
            for (start, end), (following, stop) in zip(cuts, cuts[1:])
            if _continues(line[start:end], line[following:stop])
        ]
        if not wrong:
            break
        for end in wrong:
            stop = masked.rindex(".", 0, end)
            masked = masked[:stop] + "," + masked[stop + 1 :]  # same length: razdel's offsets stay the line's
    return cuts


def _continues(sentence: str, following: str) -> bool:
    """Whether razdel's cut between ``sentence`` and ``following`` fell after an abbreviation, not a sentence end."""
    tail = _ABBREVIATION_TAIL.search(sentence)
    if tail is None:
        return False
    parts = [p for p in re.split(r"\.\s*", tail.group(2)) if p]
    lowered = [p.lower() for p in parts]
    capital = bool(re.match(r"\W*[A-ZА-ЯЁ]", following))
    going_on = not capital  # a lowercase word, a digit, a dash: the sentence goes on
    for size in range(min(3, len(parts)), 0, -1):
        abbreviation = ".".join(lowered[-size:]) + "."
        if tail.group(1) and size == len(parts) or abbreviation in FINAL_ABBREVIATIONS:
            if abbreviation in NONFINAL_ABBREVIATIONS | FINAL_ABBREVIATIONS:
                return going_on  # after a number (a unit, a year) or one that ends sentences too
        if abbreviation in NONFINAL_ABBREVIATIONS:
            return True
    # Initials: «А. С. Пушкин», «Пушкин А. С.» followed by more of the sentence.
    return len(parts[-1]) == 1 and parts[-1].isupper() and (capital or going_on)


def answer_kinds(question: str, terms: Iterable[str] = (), facts_in_query: Iterable[Fact] = ()) -> frozenset[str]:
    """What a question asks for: kinds of fact (:func:`asked_kinds`) and, from its question words, the kind
    of answer — «когда» a date, «сколько» a number, «кто» a person, «где» a place."""
    text = normalize(question)
    by_word = {kind for kind, pattern in _QUESTION_KINDS.items() if pattern.search(text)}
    return frozenset(asked_kinds(terms, facts_in_query) | by_word)


def answer_span(
    spans: Sequence[tuple[int, int]],
    tokens: Sequence[Token],
    weights: dict[str, float],
    text: str = "",
    *,
    asked: Collection[str] = (),
    facts: Sequence[Fact] = (),
    units: Sequence[Unit] | None = None,
) -> tuple[int, int]:
    """The unit that best answers: the most query weight among its terms, the earliest on ties.

    A query word weighs its IDF in the corpus times how rare it is among the
    passage's own units: the passage's topic words are in every sentence and
    tell them apart least. A word also counts in another form with the same
    first five letters («проектировать» in «спроектировали»). A unit holding a
    value of the kind the question asks for (``asked``, see :func:`answer_kinds`)
    is favoured; when the question asks for a kind of fact (a phone, an
    address) and the passage states a current value of it, the answer is a unit
    holding one, so a value the passage itself calls outdated is never chosen
    over a current one. A unit that asks (a FAQ question much like the query)
    takes its answer, the unit after it, along; so does a lead-in ending with a
    colon, with the first item of its list. ``units`` are :func:`passage_units` of ``spans`` and
    ``tokens``, when the caller keeps them (they do not depend on the query).
    """
    if not spans:
        return 0, len(text)
    units = units if units is not None else passage_units(spans, tokens)
    count = len(spans)
    joined = [_joins_next(text, spans, number) for number in range(count)]
    table = sentence_features(units, spans, text, weights, asked, facts, joined)
    scores = _sentence_model().score(table)
    matched = table[:, _SENTENCE_INDEX["share"]] > 0
    if matched.any():  # a unit holding none of the query's words never answers while another holds some
        scores = np.where(matched, scores, -np.inf)
    allowed = range(count)
    fact_kinds = {kind for kind in asked if kind in FACT_KINDS}
    if fact_kinds and facts:
        holding = [
            number
            for number, (start, end) in enumerate(spans)
            if any(
                fact.kind in fact_kinds and not fact.outdated and start <= fact.start < _unit_end(spans, number, joined)
                for fact in facts
            )
        ]
        allowed = holding or allowed
    best = max(allowed, key=lambda number: (scores[number], -number))
    start, end = spans[best]
    return start, _unit_end(spans, best, joined)


SENTENCE_FEATURES: tuple[str, ...] = (
    "score",  # the query's weight the unit holds (IDF × rarity among the passage's units), over the query's total
    "share",  # the query's IDF weight the unit holds, no rarity, over the query's total
    "exact",  # … counting only the exact terms (no shared first letters)
    "count",  # share of the query's terms the unit holds
    "relative",  # score over the best unit's score
    "best",  # whether it is the best unit by score
    "kind",  # the question asks a kind of answer (date, number, person, place) and the unit holds one
    "kind_missing",  # the question asks a kind of answer and the unit holds none
    "fact",  # the question asks a kind of fact (phone, hours …) and the unit states one
    "first",  # the passage's first unit
    "position",  # number over count − 1
    "length",  # log(1 + the unit's words)
    "new",  # share of the unit's words the question does not use: an answer adds something
    "previous",  # the score of the unit before
    "next",  # the score of the unit after
    "compact",  # the query terms held over the words from the first to the last of them (1 for one)
    "joins",  # a unit that asks, or a lead-in ending with a colon, read with the unit after it
    "pronoun",  # the unit opens with a pronoun or a demonstrative («Она была…», «Это называется…», «В них…»)
    "pronoun_previous",  # … times the score of the unit before: it speaks of what that one names
    "pairs",  # share of the query's neighbouring term pairs standing within three words of each other here
    "ngrams",  # share of the query terms' letter 4-grams the unit's terms hold (word forms and compounds)
    "rarest",  # the weight of the heaviest query term held, over the heaviest query term's
    "similar",  # per query term, the nearest of the unit's words by word vectors (Navec), IDF-weighted mean
    "similar_missing",  # … over the query terms the unit does not hold (a synonym, a paraphrase)
    "first_term",  # the unit holds the query's first term (after «какой», «что», «кто»: what is asked about)
    "last_term",  # the unit holds the query's last term
)
_SENTENCE_INDEX = {name: i for i, name in enumerate(SENTENCE_FEATURES)}


def sentence_features(
    units: Sequence[Unit],
    spans: Sequence[tuple[int, int]],
    text: str,
    weights: dict[str, float],
    asked: Collection[str] = (),
    facts: Sequence[Fact] = (),
    joined: Sequence[bool] | None = None,
) -> np.ndarray:
    """One row of :data:`SENTENCE_FEATURES` per unit of a passage (``units`` of ``spans``), for the sentence
    model: what :func:`answer_span` weighs."""
    count = len(units)
    x = np.zeros((count, len(SENTENCE_FEATURES)))
    if not count:
        return x
    joined = joined if joined is not None else [False] * count
    present = [_present(weights, unit) for unit in units]
    local = {
        term: weight * (1 + _LOCAL_RARITY * math.log((count + 1) / (sum(term in p for p in present) + 0.5)))
        for term, weight in weights.items()
    }
    total_local = sum(local.values()) or 1.0
    total = sum(weights.values()) or 1.0
    scores = np.array([sum(local[term] for term in p) / total_local for p in present])
    top = scores.max()
    wanted = {kind for kind in asked if kind in _KIND_VALUES}
    facts_asked = {kind for kind in asked if kind in FACT_KINDS}
    query_stems = {term[:_STEM] for term in weights if len(term) >= _STEM}
    order = list(weights)
    query_grams = _grams(order)
    heaviest = max(weights.values(), default=0.0)
    query_weights = np.array([weights[t] for t in order])
    vectors = [_word_vector(t) for t in order]
    zero = np.zeros(_DIMENSIONS)
    query_vectors = (
        np.array([v if v is not None else zero for v in vectors]) if any(v is not None for v in vectors) else None
    )
    for number, (unit, held) in enumerate(zip(units, present)):
        row = x[number]
        row[_SENTENCE_INDEX["score"]] = scores[number]
        row[_SENTENCE_INDEX["share"]] = sum(weights[t] for t in held) / total
        row[_SENTENCE_INDEX["exact"]] = sum(weights[t] for t in held if t in unit.terms) / total
        row[_SENTENCE_INDEX["count"]] = len(held) / len(weights) if weights else 0.0
        row[_SENTENCE_INDEX["relative"]] = scores[number] / top if top > 0 else 0.0
        row[_SENTENCE_INDEX["best"]] = float(top > 0 and scores[number] == top)
        if wanted:
            holds = bool(_values_in(text, unit.tokens, weights) & wanted)
            row[_SENTENCE_INDEX["kind"]] = float(holds)
            row[_SENTENCE_INDEX["kind_missing"]] = float(not holds)
        if facts_asked:
            start, end = spans[number]
            row[_SENTENCE_INDEX["fact"]] = float(
                any(fact.kind in facts_asked and start <= fact.start < end for fact in facts)
            )
        row[_SENTENCE_INDEX["first"]] = float(number == 0)
        row[_SENTENCE_INDEX["position"]] = number / (count - 1) if count > 1 else 0.0
        words = len(unit.tokens)
        row[_SENTENCE_INDEX["length"]] = math.log1p(words)
        at = [
            i
            for i, token in enumerate(unit.tokens)
            if token.term in weights or (len(token.term) >= _STEM and token.term[:_STEM] in query_stems)
        ]
        row[_SENTENCE_INDEX["new"]] = (words - len(at)) / words if words else 0.0
        row[_SENTENCE_INDEX["previous"]] = scores[number - 1] if number else 0.0
        row[_SENTENCE_INDEX["next"]] = scores[number + 1] if number + 1 < count else 0.0
        row[_SENTENCE_INDEX["compact"]] = len(held) / (at[-1] - at[0] + 1) if len(at) > 1 else float(bool(at))
        row[_SENTENCE_INDEX["joins"]] = float(joined[number])
        pronoun = bool(_PRONOUN.match(text, spans[number][0], spans[number][1]))
        row[_SENTENCE_INDEX["pronoun"]] = float(pronoun)
        row[_SENTENCE_INDEX["pronoun_previous"]] = scores[number - 1] if pronoun and number else 0.0
        row[_SENTENCE_INDEX["pairs"]] = _pairs_near(order, unit) if len(order) > 1 else 0.0
        grams = _grams(unit.terms)
        row[_SENTENCE_INDEX["ngrams"]] = len(query_grams & grams) / len(query_grams) if query_grams else 0.0
        row[_SENTENCE_INDEX["rarest"]] = max((weights[t] for t in held), default=0.0) / heaviest if heaviest else 0.0
        if order:
            row[_SENTENCE_INDEX["first_term"]] = float(order[0] in held)
            row[_SENTENCE_INDEX["last_term"]] = float(order[-1] in held)
        if query_vectors is not None:
            nearest = _nearest(query_vectors, unit)
            row[_SENTENCE_INDEX["similar"]] = float(nearest @ query_weights) / total
            rest = np.array([weights[t] if t not in held else 0.0 for t in order])
            row[_SENTENCE_INDEX["similar_missing"]] = float(nearest @ rest) / rest.sum() if rest.sum() > 0 else 1.0
    return x


def _nearest(query_vectors: np.ndarray, unit: Unit) -> np.ndarray:
    """Per query term, the highest cosine between it and a word of ``unit`` (0 for a term without a vector)."""
    found = [v for v in (_word_vector(token.term) for token in unit.tokens) if v is not None]
    if not found:
        return np.zeros(len(query_vectors))
    return np.clip((query_vectors @ np.array(found).T).max(axis=1), 0.0, 1.0)


@functools.lru_cache(maxsize=200_000)
def _word_vector(term: str) -> np.ndarray | None:
    """A term's Navec vector, unit length; ``None`` for a word it does not know (or without Navec)."""
    model = _navec()
    if model is None:
        return None
    vector = model.get(term)
    if vector is None:
        return None
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else None


@functools.cache
def _navec() -> Any:
    try:
        from .semantic import load_navec

        return load_navec()
    except ImportError:
        return None


_DIMENSIONS = 300  # Navec's

_PRONOUN = re.compile(
    r"\W*(?:(?:в|во|на|из|с|со|у|к|по|для|от|при|о|об|за|до|после|между|среди)\s+)?"
    r"(?:он|она|оно|они|его|ее|её|их|им|ими|них|ним|нем|нём|ней|нему|ему|ей|это|этот|эта|эти|этого|этой|этому|"
    r"этом|этим|этих|эту|такой|такая|такое|такие|там|тогда|здесь|последний|последняя|последнее|последние)\b",
    re.IGNORECASE,
)


def _grams(terms: Iterable[str]) -> set[str]:
    return {term[i : i + 4] for term in terms for i in range(len(term) - 3)}


def _pairs_near(order: Sequence[str], unit: Unit, window: int = 3) -> float:
    """The share of the query's neighbouring term pairs whose words stand within ``window`` words in ``unit``."""
    where: dict[str, list[int]] = {}
    for i, token in enumerate(unit.tokens):
        for term in order:
            if token.term == term or (len(term) >= _STEM and token.term[:_STEM] == term[:_STEM]):
                where.setdefault(term, []).append(i)
    pairs = list(zip(order, order[1:]))
    near = sum(
        1
        for a, b in pairs
        if a in where and b in where and min(abs(i - j) for i in where[a] for j in where[b]) <= window
    )
    return near / len(pairs)


SENTENCE_MODEL_FILE = Path(__file__).resolve().parent / "models" / "answer_sentence.json"
SENTENCE_MODEL_FORMAT = "ru-faq-search answer-sentence model"


class SentenceModelError(ValueError):
    """The stored answer-sentence model cannot be used: missing, damaged, or made for other features."""


@dataclass(frozen=True, eq=False)
class SentenceModel:
    """A linear score over :data:`SENTENCE_FEATURES` (a logistic regression's, the scaler folded in): the unit
    scoring highest answers. ``held_out`` carries the figures its training measured."""

    coefficients: np.ndarray
    intercept: float
    held_out: dict[str, Any]
    source: str = "<memory>"

    def score(self, table: np.ndarray) -> np.ndarray:
        return table @ self.coefficients + self.intercept

    def to_json(self) -> dict[str, Any]:
        return {
            "format": SENTENCE_MODEL_FORMAT,
            "features": list(SENTENCE_FEATURES),
            "coefficients": [float(c) for c in self.coefficients],
            "intercept": float(self.intercept),
            "held_out": self.held_out,
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "<memory>") -> SentenceModel:
        def refuse(problem: str) -> SentenceModelError:
            return SentenceModelError(
                f"answer-sentence model {source}: {problem}; regenerate it: python -m benchmarks.train_answer_sentence"
            )

        if not isinstance(data, dict) or data.get("format") != SENTENCE_MODEL_FORMAT:
            raise refuse("not an answer-sentence model (no 'format' of ours)")
        if tuple(data.get("features") or ()) != SENTENCE_FEATURES:
            raise refuse("made for other features than this code computes")
        values = data.get("coefficients")
        numbers = [*values, data.get("intercept")] if isinstance(values, list) else []
        if len(numbers) != len(SENTENCE_FEATURES) + 1 or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in numbers
        ):
            raise refuse(f"'coefficients' must be {len(SENTENCE_FEATURES)} finite numbers and 'intercept' one")
        held_out = data.get("held_out", {})
        return cls(np.array(numbers[:-1], dtype=np.float64), float(numbers[-1]), dict(held_out), source)

    @classmethod
    def load(cls, path: str | Path = SENTENCE_MODEL_FILE) -> SentenceModel:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SentenceModelError(f"answer-sentence model {path}: unreadable ({error})") from None
        return cls.from_json(data, str(path))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path


_SENTENCE_STAND_INS: list[SentenceModel] = []


@contextlib.contextmanager
def sentence_model_standing_in(model: SentenceModel) -> Iterator[SentenceModel]:
    """Answers chosen inside use ``model`` (training and its cross-validation try models before one is stored)."""
    _SENTENCE_STAND_INS.append(model)
    try:
        yield model
    finally:
        _SENTENCE_STAND_INS.pop()


def _sentence_model() -> SentenceModel:
    return _SENTENCE_STAND_INS[-1] if _SENTENCE_STAND_INS else _shipped_sentence_model()


@functools.cache
def _shipped_sentence_model() -> SentenceModel:
    return SentenceModel.load(SENTENCE_MODEL_FILE)


_LOCAL_RARITY = 2.0  # how much rarity among the passage's own units weighs (XQuAD: 1 → 0.816, 2 → 0.818)
_KIND_BONUS = 0.2  # a unit holding the asked kind of value gains this share of the query's weight
_KIND_VALUES = frozenset({"date", "number", "person", "place"})
STEM = _STEM = 5  # first letters two word forms share to count as one word («проектировать», «спроектировали»: no)


class Unit(NamedTuple):
    """One sentence or list item of a passage: its tokens, its terms, and their first letters (``_STEM``)."""

    tokens: Sequence[Token]
    terms: frozenset[str]
    stems: frozenset[str]


def passage_units(spans: Sequence[tuple[int, int]], tokens: Sequence[Token]) -> list[Unit]:
    """The units of a passage for :func:`answer_span`: the same for every query, so worth keeping."""
    starts = [token.start for token in tokens]
    units = []
    for start, end in spans:
        unit = tokens[bisect_left(starts, start) : bisect_left(starts, end)]
        terms = frozenset(token.term for token in unit)
        units.append(Unit(unit, terms, frozenset(term[:_STEM] for term in terms if len(term) >= _STEM)))
    return units


def _present(weights: dict[str, float], unit: Unit) -> set[str]:
    """The query terms a unit holds, exactly or as a word sharing their first letters."""
    terms, stems = unit.terms, unit.stems
    return {term for term in weights if term in terms or (len(term) >= _STEM and term[:_STEM] in stems)}


def _values_in(text: str, tokens: Sequence[Token], weights: dict[str, float]) -> set[str]:
    """Kinds of answer a unit holds beyond the query's own words: a number, a date, a name (a person, a place)."""
    kinds: set[str] = set()
    first = True
    for token in tokens:
        if token.term not in weights:
            if token.kind in {"number", "phone", "time"} or token.term in NUMBER_WORDS:
                kinds.add("number")
                if token.kind == "number" and re.fullmatch(r"\d{3,4}", token.term):
                    kinds.add("date")
            if token.term in MONTHS:
                kinds.add("date")
            if not first and text[token.start : token.start + 1].isupper():
                kinds |= {"person", "place"}
        first = False
    return kinds


def _joins_next(text: str, spans: Sequence[tuple[int, int]], number: int) -> bool:
    """A unit that asks, or a lead-in ending with a colon, is read with the unit after it."""
    start, end = spans[number]
    return bool(text) and number + 1 < len(spans) and text[start:end].rstrip().endswith(("?", ":"))


def _unit_end(spans: Sequence[tuple[int, int]], number: int, joined: Sequence[bool]) -> int:
    return spans[number + 1][1] if joined[number] else spans[number][1]


def best_answer(answers: Sequence[tuple[Sequence[Fact], tuple[int, int]]], asked: Collection[str]) -> int:
    """Which hit's answer to show as the «Краткий ответ»: the index into ``answers`` (one per hit, best first,
    each the passage's facts and its answer span).

    The first hit, unless every value of an asked kind of fact in its answer is
    one its passage calls outdated and a later hit's answer states a current
    value of that kind: then the first such hit. Nothing else reorders the hits.
    """
    kinds = {kind for kind in asked if kind in FACT_KINDS}
    if not answers or not kinds:
        return 0

    def stated(number: int) -> list[Fact]:
        facts, (start, end) = answers[number]
        return [fact for fact in facts if fact.kind in kinds and start <= fact.start < end]

    first = stated(0)
    if not first or any(not fact.outdated for fact in first):
        return 0
    stale = {fact.kind for fact in first}
    for number in range(1, len(answers)):
        if any(fact.kind in stale and not fact.outdated for fact in stated(number)):
            return number
    return 0


def _lines(text: str) -> Iterable[tuple[int, str]]:
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


def asked_kinds(terms: Iterable[str], facts_in_query: Iterable[Fact]) -> set[str]:
    """Kinds of fact the query asks about: by its words ("телефон", "график") or by a value it contains."""
    terms = set(terms)
    kinds = {kind for kind, triggers in FACT_TRIGGERS.items() if terms & triggers}
    return kinds | {fact.kind for fact in facts_in_query}


def find_conflicts(
    passages: Sequence[Passage], kinds: set[str], analyzer: Analyzer, facts_of: Callable[[Passage], list[Fact]]
) -> list[Conflict]:
    """Kinds of fact on which the answering passages state different values.

    Values inside one passage never conflict with each other (a list of
    departments' numbers is not a contradiction); a conflict needs two
    passages whose values differ.
    """
    return _conflicts(
        [(passage, [fact for fact in facts_of(passage) if fact.kind in kinds]) for passage in passages], kinds
    )


def conflicts_for(
    query_terms: Sequence[str],
    query_text: str,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    facts_of: Callable[[Passage], list[Fact]],
    reading_of: Callable[[Passage], tuple[Sequence[Token], Sequence[tuple[int, int]]]] | None = None,
    corrections: Sequence[Correction] = (),
) -> list[Conflict]:
    """Facts on which the best passages (``passages``, best first, e.g. the top ten) disagree, for what is asked.

    The kinds come from the question (:func:`asked_kinds`: «звонить», «номер»,
    «горячая линия» ask for a phone), so every phrasing of one need is read the
    same way, whatever share of its words a passage covers. The topic is the
    query's words other than those naming the kind and those nearly every one
    of these passages uses (the brand of a brand's help center, in either
    script: «озон» is «Ozon»); a synonym (``corrections`` of the ``synonyms``
    step) stands for its word. A value speaks for the question when the
    sentence stating it (or its lead-in) names a topic word, or its passage
    names the whole topic; with no topic left, every value of the kind speaks.
    A value its passage calls outdated is kept and marked. ``reading_of`` gives
    a passage's tokens and sentence spans (the engine's cache), or they are computed.
    """
    kinds = {kind for kind in asked_kinds(query_terms, extract_facts(query_text, analyzer)) if kind in FACT_KINDS}
    if not kinds or not passages:
        return []
    forms: dict[str, set[str]] = {term: {term} for term in query_terms}
    for correction in corrections:
        if correction.step == Thesaurus.step:
            for word in correction.original.split():
                forms.setdefault(word, {word}).update(correction.replacement.split())
    readings = [
        reading_of(passage) if reading_of else (analyzer.tokens(passage.text), sentence_spans(passage.text))
        for passage in passages
    ]
    held = [_with_readings(token.term for token in tokens) for tokens, _ in readings]
    common = {term for term in forms if sum(bool(forms[term] & h) for h in held) >= _COMMON * len(held)}
    speaking: list[tuple[Passage, list[Fact]]] = []
    for passage, (tokens, spans), terms in zip(passages, readings, held):
        chosen = []
        for fact in facts_of(passage):
            if fact.kind not in kinds:
                continue
            topic = [forms[term] for term in query_terms if term not in FACT_TRIGGERS[fact.kind] and term not in common]
            around = _with_readings(_terms_around(passage.text, tokens, spans, fact.start))
            if not topic or any(words & around for words in topic) or all(words & terms for words in topic):
                chosen.append(fact)
        speaking.append((passage, chosen))
    return _conflicts(speaking, kinds)


_COMMON = 0.8  # a word in this share of the best passages is the corpus's subject, not the question's topic


def _with_readings(terms: Iterable[str]) -> set[str]:
    """Terms, with a Cyrillic reading of each Latin one («ozon» → «озон»), so a brand meets itself in either script."""
    found = set(terms)
    return found | {_cyrillic(term) for term in found if term.isascii() and term.isalpha()}


@functools.lru_cache(maxsize=65_536)  # a pure function of a word, asked for every word of ten passages a query
def _cyrillic(word: str) -> str:
    """The first reading of a Latin word by the transliteration table, longest sequences first."""
    out, position = [], 0
    while position < len(word):
        for latin, readings in _READINGS:
            if word.startswith(latin, position):
                out.append(readings[0])
                position += len(latin)
                break
        else:
            out.append(word[position])
            position += 1
    return "".join(out)


_READINGS = sorted(TRANSLITERATION.items(), key=lambda pair: -len(pair[0]))


def _terms_around(text: str, tokens: Sequence[Token], spans: Sequence[tuple[int, int]], position: int) -> set[str]:
    """The terms of the sentence holding ``position``, and of the lead-in before it (a sentence ending with a colon)."""
    for number, (start, end) in enumerate(spans):
        if start <= position < end:
            first = start
            if number and text[spans[number - 1][0] : spans[number - 1][1]].rstrip().endswith(":"):
                first = spans[number - 1][0]
            return {token.term for token in tokens if first <= token.start < end}
    return set()


def _conflicts(stated: Sequence[tuple[Passage, Sequence[Fact]]], kinds: Collection[str]) -> list[Conflict]:
    """Kinds on which two passages state different sets of values, with every value and its source."""
    conflicts = []
    for kind in sorted(kinds):
        values: list[FactValue] = []
        sets: list[frozenset[str]] = []
        for passage, facts in stated:
            facts = [fact for fact in facts if fact.kind == kind]
            if not facts:
                continue
            sets.append(frozenset(fact.canonical for fact in facts))
            for fact in facts:
                values.append(
                    FactValue(
                        value=fact.value,
                        canonical=fact.canonical,
                        passage_id=passage.id,
                        doc_id=passage.doc_id,
                        title=passage.title,
                        section=passage.section_title,
                        citation=passage.citation,
                        outdated=fact.outdated,
                    )
                )
        if len(set(sets)) > 1 and len({v.canonical for v in values}) > 1:
            conflicts.append(Conflict(kind, tuple(values)))
    return conflicts
