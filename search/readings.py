"""Each passage's analysed tokens and sentence spans, made when a small corpus is indexed and saved with it.

A passage shown for the first time is read — its text analysed into tokens
(normalized, tokenized, lemmatized) and cut into sentences by razdel — before
its answer sentence and highlights can be chosen: ~0.8 ms a passage, paid by
whichever question first shows it (issue 15: people rarely repeat a question).
None of it depends on the query, so for a corpus of up to :data:`READ_AT_BUILD`
passages the build reads every passage once and stores the results as arrays;
a query then makes the passage's ``Token`` tuples from them (~10× cheaper).
A larger corpus reads its passages when first shown, as before (reading them
all would add seconds to its build).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .analysis import Analyzer, Token
from .answers import sentence_spans
from .store import StringTable

__all__ = ["READ_AT_BUILD", "StoredReadings"]

# A corpus of up to this many passages has them read at build time (~1 ms each: ~2 s at most).
READ_AT_BUILD = 2_048

_TERM, _KIND, _START, _END, _SURFACE = range(5)  # the columns of ``tokens``


class StoredReadings:
    """The tokens (``Analyzer.tokens``) and sentence spans (``answers.sentence_spans``) of every passage.

    ``tokens`` holds a row per token — its term and surface as numbers into ``strings``, its kind as a number
    into ``kinds``, its start and end — and ``token_starts`` where each passage's rows begin; ``sentences``
    and ``sentence_starts`` likewise the ``(start, end)`` spans.
    """

    def __init__(
        self,
        strings: StringTable,
        kinds: Iterable[str],
        tokens: np.ndarray,
        token_starts: np.ndarray,
        sentences: np.ndarray,
        sentence_starts: np.ndarray,
    ) -> None:
        if token_starts.size != sentence_starts.size or token_starts.size < 1:
            raise ValueError(f"readings of {token_starts.size - 1} and {sentence_starts.size - 1} passages")
        if tokens.ndim != 2 or tokens.shape[1] != 5 or int(token_starts[-1]) != tokens.shape[0]:
            raise ValueError(f"readings: {tokens.shape} token rows, the passages hold {int(token_starts[-1])}")
        if sentences.ndim != 2 or sentences.shape[1] != 2 or int(sentence_starts[-1]) != sentences.shape[0]:
            raise ValueError(f"readings: {sentences.shape} sentence rows for {int(sentence_starts[-1])}")
        self.strings, self.kinds = strings, tuple(kinds)
        self.tokens, self.token_starts = tokens, token_starts
        self.sentences, self.sentence_starts = sentences, sentence_starts

    @classmethod
    def build(cls, texts: Iterable[str], analyzer: Analyzer) -> StoredReadings:
        """Read every text as a query would when it first shows the passage."""
        numbers: dict[str, int] = {}
        kinds: dict[str, int] = {}
        rows: list[tuple[int, int, int, int, int]] = []
        spans: list[tuple[int, int]] = []
        token_starts, sentence_starts = [0], [0]
        for text in texts:
            for token in analyzer.tokens(text):
                term = numbers.setdefault(token.term, len(numbers))
                surface = numbers.setdefault(token.surface, len(numbers))
                rows.append((term, kinds.setdefault(token.kind, len(kinds)), token.start, token.end, surface))
            spans += sentence_spans(text)
            token_starts.append(len(rows))
            sentence_starts.append(len(spans))
        return cls(
            StringTable.build(numbers),
            kinds,
            np.array(rows, dtype=np.int64).reshape(-1, 5),
            np.array(token_starts, dtype=np.int64),
            np.array(spans, dtype=np.int64).reshape(-1, 2),
            np.array(sentence_starts, dtype=np.int64),
        )

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

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Parameters (JSON) and arrays to save with the index; :meth:`from_state` maps them back."""
        arrays = {
            "tokens": self.tokens,
            "token_starts": self.token_starts,
            "sentences": self.sentences,
            "sentence_starts": self.sentence_starts,
            **self.strings.arrays("strings"),
        }
        return {"kinds": list(self.kinds)}, arrays

    @classmethod
    def from_state(cls, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> StoredReadings:
        return cls(
            StringTable.from_arrays(arrays, "strings"),
            params["kinds"],
            arrays["tokens"],
            arrays["token_starts"],
            arrays["sentences"],
            arrays["sentence_starts"],
        )
