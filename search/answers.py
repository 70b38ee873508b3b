"""Beyond a ranked list: the sentence that answers, and facts on which sources disagree.

Help-center articles contradict each other (this corpus gives four hotline
numbers and one that no longer works). The engine never picks a winner: it
reports every value with its source and flags the ones a passage itself marks
as outdated, so the reader decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import razdel

from .analysis import Analyzer, Token, normalize
from .lang import FACT_TRIGGERS, FINAL_ABBREVIATIONS, NONFINAL_ABBREVIATIONS, OUTDATED_MARKERS
from .passages import Passage

__all__ = [
    "Conflict",
    "Fact",
    "FactValue",
    "answer_span",
    "asked_kinds",
    "extract_facts",
    "find_conflicts",
    "is_marked_outdated",
]

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
_UNITS = (("минут", "мин"), ("час", "ч"), ("недел", "нед"), ("месяц", "мес"))
_SUM = re.compile(r"(?<!\d)(?<!\d[ \u00a0])(\d{1,3}(?:[ \u00a0]\d{3})+|\d+)\s?(?:руб\w*|₽)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Fact:
    """A value a passage states: where it stands in the passage text, and its canonical form."""

    kind: str  # "phone", "email", "hours", "duration", "sum"
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
    def distinct(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.canonical for v in self.values))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "values": [v.to_json() for v in self.values]}


def _canonical_duration(number: str, unit: str) -> str:
    unit = normalize(unit)
    base = next((short for stem, short in _UNITS if unit.startswith(stem) or f" {stem}" in unit), "дн")
    working = "раб. " if "рабоч" in unit else ""
    compact = re.sub(r"\s+", "", number)
    return f"{compact} {working}{base}"


def extract_facts(text: str, analyzer: Analyzer) -> list[Fact]:
    """Phones and e-mails from the analyzer's own tokens; hours, durations and sums by small patterns."""
    facts = [
        Fact(token.kind, text[token.start : token.end], token.term, token.start, token.end)
        for token in analyzer.tokens(text)
        if token.kind in {"phone", "email"}
    ]
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


def answer_span(
    spans: Sequence[tuple[int, int]], tokens: Sequence[Token], weights: dict[str, float], text: str = ""
) -> tuple[int, int]:
    """The unit with the most query weight among its terms, the earliest on ties.

    A unit that asks (a FAQ question much like the query) takes its answer,
    the unit after it, along; so does a lead-in ending with a colon, with the
    first item of its list.
    """
    best_score, best = -1.0, 0
    position = 0
    for number, (start, end) in enumerate(spans):
        while position < len(tokens) and tokens[position].start < start:
            position += 1
        terms = set()
        while position < len(tokens) and tokens[position].start < end:
            terms.add(tokens[position].term)
            position += 1
        score = sum(weights.get(term, 0.0) for term in terms)
        if score > best_score:
            best_score, best = score, number
    start, end = spans[best]
    if text and best + 1 < len(spans):
        ending = text[start:end].rstrip()
        if ending.endswith(("?", ":")):
            return start, spans[best + 1][1]
    return start, end


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
    conflicts = []
    for kind in sorted(kinds):
        values: list[FactValue] = []
        sets: list[frozenset[str]] = []
        for passage in passages:
            facts = [fact for fact in facts_of(passage) if fact.kind == kind]
            if not facts:
                continue
            sets.append(frozenset(fact.canonical for fact in facts))
            for fact in facts:
                values.append(
                    FactValue(
                        value=fact.value, canonical=fact.canonical, passage_id=passage.id, doc_id=passage.doc_id,
                        title=passage.title, section=passage.section_title, citation=passage.citation,
                        outdated=fact.outdated,
                    )
                )  # fmt: skip
        if len(set(sets)) > 1 and len({v.canonical for v in values}) > 1:
            conflicts.append(Conflict(kind, tuple(values)))
    return conflicts
