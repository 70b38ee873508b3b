"""Beyond a ranked list: the sentence that answers, and facts on which sources disagree.

Help-center articles contradict each other (this corpus gives four hotline
numbers and one that no longer works). The engine never picks a winner: it
reports every value with its source and flags the ones a passage itself marks
as outdated, so the reader decides.
"""

from __future__ import annotations

import functools
import math
import re
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any, NamedTuple

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
    STREET_WORDS,
    TRANSLITERATION,
)
from .passages import Passage
from .query import Thesaurus
from .results import Correction

__all__ = [
    "Conflict",
    "Unit",
    "Units",
    "KIND_LABELS",
    "Fact",
    "FactValue",
    "answer_kinds",
    "answer_span",
    "AnswerQuery",
    "passage_units",
    "asked_kinds",
    "best_answer",
    "conflicts_for",
    "terms_read",
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
# What every address and every sum holds, looked for in the case-folded text (every letter the patterns' case-
# insensitive parts accept folds to their own letter): a passage without it is not searched for the whole pattern.
_STREET = re.compile(STREET_WORDS)
_CURRENCY = re.compile(r"руб|₽")
_DURATION_UNITS = "минут|час|дн|день|недел|месяц"  # _DURATION's unit words without their endings; and a digit
_DURATION_UNIT = re.compile(_DURATION_UNITS)
_DIGIT = re.compile(r"\d")
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


def extract_facts(text: str, analyzer: Analyzer, tokens: Sequence[Token] | None = None) -> list[Fact]:
    """Phones, e-mails and links from the analyzer's own tokens (``tokens``, when the caller has them);
    hours, durations, sums, addresses by patterns."""
    facts = []
    for token in analyzer.tokens(text) if tokens is None else tokens:
        if token.kind in {"phone", "email", "domain"}:
            link = token.kind == "domain"
            kind, canonical = ("link", _canonical_link(token.term)) if link else (token.kind, token.term)
            facts.append(Fact(kind, text[token.start : token.end], canonical, token.start, token.end))
    folded = text.casefold()
    for match in _ADDRESS.finditer(text) if _STREET.search(folded) else ():
        facts.append(Fact("address", match.group(), " ".join(normalize(match.group()).split()), *match.span()))
    for match in _HOURS.finditer(text):
        if match.group(1):
            canonical = f"{int(match.group(1)):02d}:{match.group(2)}–{int(match.group(3)):02d}:{match.group(4)}"
        else:
            canonical = "круглосуточно"
        facts.append(Fact("hours", match.group(), canonical, match.start(), match.end()))
    durations = _DIGIT.search(text) is not None and _DURATION_UNIT.search(folded) is not None
    for match in _DURATION.finditer(text) if durations else ():
        number = match.group(1) or match.group(2)
        canonical = _canonical_duration(number, match.group(3))
        facts.append(Fact("duration", match.group(), canonical, match.start(), match.end()))
    for match in _SUM.finditer(text) if _CURRENCY.search(folded) else ():
        facts.append(
            Fact("sum", match.group().strip(), re.sub(r"\D", "", match.group(1)) + " ₽", match.start(), match.end())
        )
    if not facts:
        return []  # no sentence to cut: most passages state no value
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
    first five letters («проектировать» in «спроектировали»), and query words
    standing as one phrase (within :data:`_PROXIMITY` tokens) add a share of
    their weight again. A unit holding a
    value of the kind the question asks for (``asked``, see :func:`answer_kinds`)
    is favoured; when the question asks for a kind of fact (a phone, an
    address) and the passage states a current value of it, the answer is a unit
    holding one, so a value the passage itself calls outdated is never chosen
    over a current one. A neighbour holding at least half the chosen unit's
    weight is read with it (not beside a unit chosen for its fact). A unit
    that asks (a FAQ question much like the query) takes its answer, the unit
    after it, along; so does a lead-in ending with a colon, with the first item
    of its list. ``units`` are :func:`passage_units` of ``spans`` and
    ``tokens``, when the caller keeps them (they do not depend on the query).
    A caller choosing the answers of several passages for one query makes one
    :class:`AnswerQuery` and asks it for each (the same spans).
    """
    return AnswerQuery(weights, asked).span(spans, tokens, text, facts=facts, units=units)


class AnswerQuery:
    """:func:`answer_span` for one query: what depends on the query alone (each term's look-up key, the
    forms its phrases are found by, the kinds asked for) is made once, not once per passage shown."""

    __slots__ = ("keys", "forms", "wanted", "fact_kinds", "weights")

    def __init__(self, weights: dict[str, float], asked: Collection[str] = ()) -> None:
        self.weights = weights
        # (term, the key ``Units.with_form`` looks it up by, whether that key is a first-letters stem, its weight)
        self.keys = [
            (term, term[:_STEM] if len(term) >= _STEM else term, len(term) >= _STEM, weight)
            for term, weight in weights.items()
        ]
        self.forms: dict[str, list[str]] = {}  # a token's term, or its first letters → the query terms it stands for
        for term, key, _, _ in self.keys:
            self.forms.setdefault(key, []).append(term)
        self.wanted = {kind for kind in asked if kind in _KIND_VALUES}
        self.fact_kinds = {kind for kind in asked if kind in FACT_KINDS}

    def span(
        self,
        spans: Sequence[tuple[int, int]],
        tokens: Sequence[Token],
        text: str = "",
        *,
        facts: Sequence[Fact] = (),
        units: Sequence[Unit] | None = None,
    ) -> tuple[int, int]:
        """:func:`answer_span` of one passage for this query."""
        if not spans:
            return 0, len(text)
        if not isinstance(units, Units):
            units = Units(units if units is not None else passage_units(spans, tokens))
        count = len(spans)
        # The units holding each query term (``Units.with_form``), read from the passage's index of terms rather
        # than unit by unit.
        where, where_stem = units.where, units.where_stem
        rarity = units.rarity(count)
        local: dict[str, float] = {}
        scores = [0.0] * count
        matched = [0] * count
        for term, key, stem, weight in self.keys:  # each unit's sum in the query's order: the same in every process
            numbers = (where_stem if stem else where).get(key, ())
            local[term] = value = weight * rarity[len(numbers)]
            for number in numbers:
                scores[number] += value
                matched[number] += 1
        wanted, fact_kinds = self.wanted, self.fact_kinds
        ends, refers = units.layout(text, spans)
        holding: list[int] = []
        if fact_kinds and facts:
            # where each current value of an asked kind starts; a unit holds one that starts inside it
            current = [fact.start for fact in facts if fact.kind in fact_kinds and not fact.outdated]
            for number, (start, _) in enumerate(spans if current else ()):
                end = ends[number]
                if any(start <= at < end for at in current):
                    holding.append(number)
        total = sum(local.values()) if wanted else 0.0
        for number, times in enumerate(matched):  # a unit no query term holds scores 0
            if times and (score := scores[number]) > 0:  # one query word is a phrase of its own: its weight
                near = _nearest(units.stem_positions(number), self.forms, local) if times > 1 else score
                extra = (
                    _KIND_BONUS * total
                    if wanted and _values_in(text, units[number].tokens, self.weights) & wanted
                    else 0.0
                )
                scores[number] = score + _PROXIMITY_WEIGHT * near + extra
        # the first of the best: the earliest on ties (``list.index`` of the maximum, when every unit may answer)
        top = max(scores)
        best = max(holding, key=scores.__getitem__) if holding else scores.index(top)
        # A neighbour holding at least half the best unit's weight is read with it: the question's words are shared
        # between two sentences, and the fact is often in the one that matched less (never beside a fact of the
        # asked kind, which is an answer of its own). The one before on a tie; two tests, no list made (~0.5 µs of
        # the ~6 a call, ten calls a query).
        if not holding and top > 0:
            least = _NEIGHBOUR * top
            if best and scores[best - 1] >= least:
                other = best + 1 if best + 1 < count and scores[best + 1] > scores[best - 1] else best - 1
                return spans[min(best, other)][0], ends[max(best, other)]
            if best + 1 < count and scores[best + 1] >= least:
                return spans[best][0], ends[best + 1]
        start, end = spans[best][0], ends[best]
        # A unit that refers back («Она также известна как…») is read with the one it refers to, and a unit the
        # next one refers back to («…Рейнское ущелье. Оно славится замками») with that one.
        if best and refers[best]:
            start = spans[best - 1][0]
        following = best + 1  # the first unit after the answer
        while following < count and spans[following][0] < end:
            following += 1
        if following < count and refers[following]:
            end = spans[following][1]
        return start, end


def _nearest(positions: dict[str, tuple[int, ...]], forms: dict[str, list[str]], local: dict[str, float]) -> float:
    """The most weight of distinct query terms standing within :data:`_PROXIMITY` tokens of each other in a unit:
    a sentence stating the question's words as one phrase («фармацевты-консультанты обычно работают») over one
    that scatters them.

    ``positions`` are where each of the unit's tokens' terms cut to their first letters stands in it
    (``Units.stem_positions``, made once per unit): the query's few forms are looked up in it, not the unit's
    every token in the query's forms."""
    found = []
    for form, terms in forms.items():
        at = positions.get(form)
        if at is not None:
            found.extend([(position, term) for position in at for term in terms])
    found.sort()  # by position, then term: the same order whichever way they were found
    size = len(found)
    if size == 2:  # most calls (two terms, once each): the loop below's two windows, summed as it sums them
        (first_at, first_term), (second_at, second_term) = found
        if second_at - first_at < _PROXIMITY and first_term != second_term:
            return max(0.0, local[first_term] + local[second_term], local[second_term])
        return max(0.0, local[first_term], local[second_term])
    best = 0.0
    for first in range(size):
        start = found[first][0]
        near: dict[str, None] = {}  # the distinct terms, summed in the text's order: the same in every process
        for at in range(first, size):
            position, term = found[at]
            if position - start >= _PROXIMITY:
                break
            near[term] = None
        total = sum(map(local.__getitem__, near))
        if total > best:
            best = total
    return best


# A sentence opening with a personal or demonstrative pronoun («он», «это», «в них») or «там», «тогда».
_REFERS_BACK = re.compile(
    r"\W*(?:(?:в|из|на|при|для|у|с|о|об|от|по|к)\s+)?"
    r"(?:он|она|оно|они|его|е[её]|их|ему|ей|им|ими|них|н[её]м|ней|это|этот|эта|эти|этого|этой|этим|этих|этом|"
    r"эту|там|тогда)(?!\w)",
    re.IGNORECASE,
)


_LOCAL_RARITY = 2.0  # how much rarity among the passage's own units weighs (XQuAD: 1 → 0.816, 2 → 0.818)
_KIND_BONUS = 0.2  # a unit holding the asked kind of value gains this share of the query's weight
_KIND_VALUES = frozenset({"date", "number", "person", "place"})
# The phrase's two chosen by article-grouped cross-validation on XQuAD (8 folds, 1,091 questions); the neighbour's
# share is "half", not fitted: a lower one holds more gold answers in longer answers (the README's curve).
_PROXIMITY = 4  # tokens: query words this close read as one phrase
_PROXIMITY_WEIGHT = 0.25  # the phrase's weight added to its unit's score
_NEIGHBOUR = 0.5  # a neighbour holding this share of the best unit's score is read with it
STEM = _STEM = 5  # first letters two word forms share to count as one word («проектировать», «спроектировали»: no)


class Unit(NamedTuple):
    """One sentence or list item of a passage: its tokens, its terms, and their first letters (``_STEM``)."""

    tokens: Sequence[Token]
    terms: frozenset[str]
    stems: frozenset[str]


class Units(tuple[Unit, ...]):
    """A passage's units, with the units each term and each first-letters stem stands in.

    Kept with the passage (they do not depend on the query), so a query looks
    each of its terms up once instead of testing every unit for every term.
    """

    where: dict[str, tuple[int, ...]]
    where_stem: dict[str, tuple[int, ...]]
    _stems: dict[int, list[str]]
    _stem_positions: dict[int, dict[str, tuple[int, ...]]]
    _layout: tuple[str, list[int], list[bool]] | None
    _rarity: tuple[int, list[float]] | None

    def __new__(cls, units: Iterable[Unit] = ()) -> Units:
        self = super().__new__(cls, units)
        self._stems, self._stem_positions, self._layout, self._rarity = {}, {}, None, None
        where: dict[str, list[int]] = {}
        where_stem: dict[str, list[int]] = {}
        for number, unit in enumerate(self):
            for term in unit.terms:
                where.setdefault(term, []).append(number)
            for stem in unit.stems:
                where_stem.setdefault(stem, []).append(number)
        self.where = {term: tuple(numbers) for term, numbers in where.items()}
        self.where_stem = {stem: tuple(numbers) for stem, numbers in where_stem.items()}
        return self

    def with_form(self, form: str) -> tuple[int, ...]:
        """The units holding ``form``, exactly or as a word sharing its first letters (``_STEM``), in order.

        A unit holding a long form holds its first letters too, so the stem's units are all of them.
        """
        return self.where_stem.get(form[:_STEM], ()) if len(form) >= _STEM else self.where.get(form, ())

    def stems_of(self, number: int) -> list[str]:
        """Unit ``number``'s tokens' terms cut to their first letters (``_STEM``), made once per unit."""
        stems = self._stems.get(number)
        if stems is None:
            stems = self._stems[number] = [token.term[:_STEM] for token in self[number].tokens]
        return stems

    def stem_positions(self, number: int) -> dict[str, tuple[int, ...]]:
        """Where each of unit ``number``'s tokens' terms cut to their first letters (``_STEM``) stands in it, in
        order: made once per unit (it does not depend on the query)."""
        table = self._stem_positions.get(number)
        if table is None:
            found: dict[str, list[int]] = {}
            for position, stem in enumerate(self.stems_of(number)):
                found.setdefault(stem, []).append(position)
            table = self._stem_positions[number] = {stem: tuple(at) for stem, at in found.items()}
        return table

    def rarity(self, count: int) -> list[float]:
        """What a query term in ``n`` of ``count`` units (the passage's) weighs per unit of its IDF, for every ``n``:
        how rare it is among them (the answer sentence's local rarity; made once per passage, not a logarithm per
        term a query)."""
        if self._rarity is None or self._rarity[0] != count:
            self._rarity = (count, [1 + _LOCAL_RARITY * math.log((count + 1) / (n + 0.5)) for n in range(count + 1)])
        return self._rarity[1]

    def layout(self, text: str, spans: Sequence[tuple[int, int]]) -> tuple[list[int], list[bool]]:
        """Each unit's answer end (:func:`_unit_end`) and whether it refers back (:data:`_REFERS_BACK`), for the
        passage's ``text`` and unit ``spans``: they do not depend on the query, so they are made once (not a slice
        and a pattern match or two every time a query reads the passage's answer)."""
        layout = self._layout
        if layout is None or layout[0] is not text:
            ends = [_unit_end(text, spans, number) for number in range(len(spans))]
            layout = self._layout = (text, ends, [_REFERS_BACK.match(text, start) is not None for start, _ in spans])
        return layout[1], layout[2]

    def holding(self, forms: Iterable[str]) -> set[int]:
        """The units holding any of ``forms`` (see :meth:`with_form`)."""
        found: set[int] = set()
        for form in forms:
            found.update(self.with_form(form))
        return found


def passage_units(spans: Sequence[tuple[int, int]], tokens: Sequence[Token]) -> Units:
    """The units of a passage for :func:`answer_span`: the same for every query, so worth keeping."""
    starts = [token.start for token in tokens]
    units = []
    for start, end in spans:
        unit = tokens[bisect_left(starts, start) : bisect_left(starts, end)]
        terms = frozenset(token.term for token in unit)
        units.append(Unit(unit, terms, frozenset(term[:_STEM] for term in terms if len(term) >= _STEM)))
    return Units(units)


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


def _unit_end(text: str, spans: Sequence[tuple[int, int]], number: int) -> int:
    """Where a unit's answer ends: a unit that asks, or a lead-in ending with a colon, is read with the next."""
    start, end = spans[number]
    joins = bool(text) and number + 1 < len(spans) and text[start:end].rstrip().endswith(("?", ":"))
    return spans[number + 1][1] if joins else end


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
    kinds = {kind for kind, triggers in FACT_TRIGGERS.items() if not terms.isdisjoint(triggers)}
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
    reading_of: Callable[[Passage], tuple[Sequence[Token], Sequence[tuple[int, int]], Collection[str]]] | None = None,
    corrections: Sequence[Correction] = (),
    query_tokens: Sequence[Token] | None = None,
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
    a passage's tokens, sentence spans and distinct terms (the engine's cache), or they are computed;
    ``query_tokens`` are the analyzer's tokens of ``query_text``, when the caller has them.
    """
    query_facts = extract_facts(query_text, analyzer, query_tokens)
    kinds = {kind for kind in asked_kinds(query_terms, query_facts) if kind in FACT_KINDS}
    if not kinds or not passages:
        return []
    forms: dict[str, set[str]] = {term: {term} for term in query_terms}
    for correction in corrections:
        if correction.step == Thesaurus.step:
            for word in correction.original.split():
                forms.setdefault(word, {word}).update(correction.replacement.split())
    readings = [reading_of(passage) if reading_of else _reading(passage.text, analyzer) for passage in passages]
    held = [terms if isinstance(terms, TermsRead) else _with_readings(terms) for _, _, terms in readings]
    # (``isdisjoint`` of the passage's terms, which walks the smaller set when handed an exact set: no
    # intersection made a term and passage)
    common = {term for term in forms if sum(not h.isdisjoint(forms[term]) for h in held) >= _COMMON * len(held)}
    topics: dict[str, list[set[str]]] = {}  # each kind's topic words, made once, not once per fact
    speaking: list[tuple[Passage, list[Fact]]] = []
    for passage, (tokens, spans, _), terms in zip(passages, readings, held):
        chosen = []
        for fact in facts_of(passage):
            if fact.kind not in kinds:
                continue
            topic = topics.get(fact.kind)
            if topic is None:
                triggers = FACT_TRIGGERS[fact.kind]
                topic = topics[fact.kind] = [
                    forms[term] for term in query_terms if term not in triggers and term not in common
                ]
            around = _with_readings(_terms_around(passage.text, tokens, spans, fact.start))
            if not topic or any(words & around for words in topic) or all(words & terms for words in topic):
                chosen.append(fact)
        speaking.append((passage, chosen))
    return _conflicts(speaking, kinds)


def _reading(text: str, analyzer: Analyzer) -> tuple[list[Token], list[tuple[int, int]], set[str]]:
    """A passage's tokens, sentence spans and distinct terms, for :func:`conflicts_for`."""
    tokens = analyzer.tokens(text)
    return tokens, sentence_spans(text), {token.term for token in tokens}


_COMMON = 0.8  # a word in this share of the best passages is the corpus's subject, not the question's topic


class TermsRead(frozenset[str]):
    """A passage's distinct terms with a Cyrillic reading of each Latin one (:func:`terms_read`): what
    :func:`conflicts_for` reads of every passage it weighs, the same for every query, so a caller may keep it."""


def terms_read(terms: Iterable[str]) -> TermsRead:
    """``terms`` and the Cyrillic reading of each Latin one, to hand :func:`conflicts_for` as a passage's terms."""
    return TermsRead(_with_readings(terms))


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
            # tokens are in the text's order: the sentence's are one run of them, found by a binary search
            at = bisect_left(tokens, first, key=_START)
            terms = set()
            while at < len(tokens) and tokens[at].start < end:
                terms.add(tokens[at].term)
                at += 1
            return terms
    return set()


_START = attrgetter("start")


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
