"""Each passage's analysed tokens, sentence spans and facts, made when a small corpus is indexed and saved with it.

A passage shown for the first time is read — its text analysed into tokens
(normalized, tokenized, lemmatized), cut into sentences by razdel, searched for
facts (phones, hours, sums…) — before its answer sentence, highlights and
conflicts can be chosen: ~1 ms a passage, paid by whichever question first
shows it (issue 15: people rarely repeat a question). None of it depends on
the query, so for a corpus of up to :data:`READ_AT_BUILD` passages the build
reads every passage once and stores the results as arrays; a query then makes
the passage's ``Token`` tuples and ``Fact`` values from them (~10× cheaper).
A larger corpus reads its passages when first shown, as before (reading them
all would add seconds to its build).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .analysis import Analyzer, Token
from .answers import Fact, extract_facts, sentence_spans
from .passages import Passage
from .store import StringTable

__all__ = ["READ_AT_BUILD", "StoredReadings", "read_at_build"]

# A corpus of up to this many passages has them read at build time (~1 ms each: ~2 s at most).
READ_AT_BUILD = 2_048

_TERM, _KIND, _START, _END, _SURFACE = range(5)  # the columns of ``tokens``
_FACT_KIND, _VALUE, _CANONICAL, _FACT_START, _FACT_END, _OUTDATED = range(6)  # the columns of ``facts``


class StoredReadings:
    """The tokens (``Analyzer.tokens``), sentence spans (``answers.sentence_spans``) and facts
    (``answers.extract_facts``) of every passage.

    ``tokens`` holds a row per token — its term and surface as numbers into ``strings``, its kind as a number
    into ``kinds``, its start and end — and ``token_starts`` where each passage's rows begin; ``sentences``
    and ``sentence_starts`` likewise the ``(start, end)`` spans; ``facts`` and ``fact_starts`` a row per fact
    (its kind into ``fact_kinds``, its value and canonical form into ``strings``, start, end, outdated).
    """

    def __init__(
        self,
        strings: StringTable,
        kinds: Iterable[str],
        fact_kinds: Iterable[str],
        arrays: Mapping[str, np.ndarray],
    ) -> None:
        self.strings, self.kinds, self.fact_kinds = strings, tuple(kinds), tuple(fact_kinds)
        self.tokens, self.token_starts = arrays["tokens"], arrays["token_starts"]
        self.sentences, self.sentence_starts = arrays["sentences"], arrays["sentence_starts"]
        self.facts, self.fact_starts = arrays["facts"], arrays["fact_starts"]
        passages = self.token_starts.size - 1
        for name, rows, starts, width in (
            ("token", self.tokens, self.token_starts, 5),
            ("sentence", self.sentences, self.sentence_starts, 2),
            ("fact", self.facts, self.fact_starts, 6),
        ):
            if starts.size != passages + 1 or passages < 0:
                raise ValueError(f"readings: {name}s of {starts.size - 1} passages, tokens of {passages}")
            if rows.ndim != 2 or rows.shape[1] != width or int(starts[-1]) != rows.shape[0]:
                raise ValueError(f"readings: {rows.shape} {name} rows, the passages hold {int(starts[-1])}")

    @classmethod
    def build(cls, texts: Iterable[str], analyzer: Analyzer) -> StoredReadings:
        """Read every text as a query would when it first shows the passage."""
        numbers: dict[str, int] = {}
        kinds: dict[str, int] = {}
        fact_kinds: dict[str, int] = {}
        rows: list[tuple[int, int, int, int, int]] = []
        spans: list[tuple[int, int]] = []
        facts: list[tuple[int, int, int, int, int, int]] = []
        token_starts, sentence_starts, fact_starts = [0], [0], [0]
        for text in texts:
            tokens = analyzer.tokens(text)
            for token in tokens:
                term = numbers.setdefault(token.term, len(numbers))
                surface = numbers.setdefault(token.surface, len(numbers))
                rows.append((term, kinds.setdefault(token.kind, len(kinds)), token.start, token.end, surface))
            spans += sentence_spans(text)
            for fact in extract_facts(text, analyzer, tokens):
                kind = fact_kinds.setdefault(fact.kind, len(fact_kinds))
                value = numbers.setdefault(fact.value, len(numbers))
                canonical = numbers.setdefault(fact.canonical, len(numbers))
                facts.append((kind, value, canonical, fact.start, fact.end, int(fact.outdated)))
            token_starts.append(len(rows))
            sentence_starts.append(len(spans))
            fact_starts.append(len(facts))
        arrays = {
            "tokens": np.array(rows, dtype=np.int64).reshape(-1, 5),
            "token_starts": np.array(token_starts, dtype=np.int64),
            "sentences": np.array(spans, dtype=np.int64).reshape(-1, 2),
            "sentence_starts": np.array(sentence_starts, dtype=np.int64),
            "facts": np.array(facts, dtype=np.int64).reshape(-1, 6),
            "fact_starts": np.array(fact_starts, dtype=np.int64),
        }
        return cls(StringTable.build(numbers), kinds, fact_kinds, arrays)

    def __len__(self) -> int:
        return self.token_starts.size - 1

    def read(self, row: int) -> tuple[list[Token], list[tuple[int, int]]]:
        """Passage ``row``'s tokens and sentence spans, equal to reading its text again."""
        first, last = int(self.token_starts[row]), int(self.token_starts[row + 1])
        columns = self.tokens[first:last].T
        terms = self.strings.take(columns[_TERM])
        surfaces = self.strings.take(columns[_SURFACE])
        kinds = self.kinds
        tokens = [
            Token(term, kinds[kind], start, end, surface)
            for term, kind, start, end, surface in zip(
                terms, columns[_KIND].tolist(), columns[_START].tolist(), columns[_END].tolist(), surfaces
            )
        ]
        first, last = int(self.sentence_starts[row]), int(self.sentence_starts[row + 1])
        sentences = [(start, end) for start, end in self.sentences[first:last].tolist()]
        return tokens, sentences

    def facts_of(self, row: int) -> list[Fact]:
        """Passage ``row``'s facts, equal to ``extract_facts`` of its text."""
        first, last = int(self.fact_starts[row]), int(self.fact_starts[row + 1])
        if first == last:
            return []
        kinds, strings = self.fact_kinds, self.strings
        return [
            Fact(kinds[kind], strings[value], strings[canonical], start, end, bool(outdated))
            for kind, value, canonical, start, end, outdated in self.facts[first:last].tolist()
        ]

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Parameters (JSON) and arrays to save with the index; :meth:`from_state` maps them back."""
        arrays = {
            "tokens": self.tokens,
            "token_starts": self.token_starts,
            "sentences": self.sentences,
            "sentence_starts": self.sentence_starts,
            "facts": self.facts,
            "fact_starts": self.fact_starts,
            **self.strings.arrays("strings"),
        }
        return {"kinds": list(self.kinds), "fact_kinds": list(self.fact_kinds)}, arrays

    @classmethod
    def from_state(cls, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> StoredReadings:
        return cls(StringTable.from_arrays(arrays, "strings"), params["kinds"], params["fact_kinds"], arrays)


def read_at_build(passages: Sequence[Passage], analyzer: Analyzer) -> StoredReadings | None:
    """The stored readings of a corpus of up to :data:`READ_AT_BUILD` passages (every build makes the same)."""
    return (
        StoredReadings.build((passage.text for passage in passages), analyzer)
        if len(passages) <= READ_AT_BUILD
        else None
    )
