"""One frozen configuration: every setting that changes what is indexed or how it is ranked.

It is written into the index manifest and hashed into the index fingerprint,
so an index built under other settings is rebuilt, never half-used.

>>> EngineConfig().max_query_chars
1000
>>> EngineConfig(retrievers=("bm25",)).fingerprint_settings()["retrievers"]
['bm25']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Self

from .analysis import STEMMERS, Analyzer
from .fusion import Fusion
from .passages import CHUNKER_VERSION, MAX_WORDS, MIN_WORDS

__all__ = ["EngineConfig", "INDEX_FORMAT_VERSION"]

# The one place that bumps the on-disk format: bump it when passages are turned into terms,
# or any part of the index is stored, differently. Every saved index of another version is rebuilt.
INDEX_FORMAT_VERSION = 7  # 5: documents and passages as arrays, opened by memory map; 6: passages read at build;
# 7: passages encoded by the dense retriever


@dataclass(frozen=True)
class EngineConfig:
    """How an engine analyses, indexes and ranks.

    ``retrievers`` names the retrievers to build; ``None`` means the
    registry's defaults plus any the fusion weighs (character n-grams left out
    above ``chars_max_passages`` passages). ``passage_words`` bounds a
    passage's length in words; ``min_coverage`` and ``coverage_depth`` are the
    no-answer rule's settings; ``conflict_depth`` how many of the best passages
    are read for conflicting facts; ``max_query_chars`` where a query is cut.
    """

    stemmer: str = "pymorphy3"
    keep_negation: bool = False
    all_lemmas: bool = False
    retrievers: tuple[str, ...] | None = None
    fusion: Fusion = field(default_factory=Fusion)
    passage_words: tuple[int, int] = (MIN_WORDS, MAX_WORDS)
    min_coverage: float = 0.2
    coverage_depth: int = 3
    conflict_depth: int = 10
    max_query_chars: int = 1000
    # Above this many passages the passage × character n-gram matrix costs more than it gives
    # (at 100k passages: +21 s of build, +2 GB of memory, p50 3.8 → 7.2 ms); the spelling step
    # still maps a misspelt word onto the corpus vocabulary.
    chars_max_passages: int = 20_000

    def __post_init__(self) -> None:
        if self.stemmer not in STEMMERS:
            raise ValueError(f"unknown stemmer {self.stemmer!r}; choose one of: {', '.join(STEMMERS)}")
        if self.retrievers is not None:
            if isinstance(self.retrievers, str):
                raise TypeError("retrievers is a collection of names, not one string")
            object.__setattr__(self, "retrievers", tuple(self.retrievers))
            if not self.retrievers:
                raise ValueError("retrievers must name at least one retriever")
        low, high = self.passage_words
        if not 0 < low <= high:
            raise ValueError(f"passage_words must be (min, max) with 0 < min <= max, not {self.passage_words}")
        if self.max_query_chars < 1:
            raise ValueError("max_query_chars must be at least 1")

    @classmethod
    def from_analyzer(cls, analyzer: Analyzer, **settings: Any) -> Self:
        """A configuration that analyses as ``analyzer`` does."""
        return cls(
            stemmer=analyzer.stemmer, keep_negation=analyzer.keep_negation, all_lemmas=analyzer.all_lemmas, **settings
        )

    @classmethod
    def resolve(cls, config: EngineConfig | None, analyzer: Analyzer | None, settings: Mapping[str, Any]) -> Self:
        """``config`` (by default one that analyses as ``analyzer``) with ``settings`` replaced; None: the default."""
        given = {name: value for name, value in settings.items() if value is not None}
        if "retrievers" in given:
            given["retrievers"] = tuple(given["retrievers"])
        if config is None:
            return cls.from_analyzer(analyzer, **given) if analyzer else cls(**given)
        return replace(config, **given)  # type: ignore[return-value]

    def analyzer(self) -> Analyzer:
        return Analyzer(stemmer=self.stemmer, keep_negation=self.keep_negation, all_lemmas=self.all_lemmas)

    def matches(self, analyzer: Analyzer) -> bool:
        return (analyzer.stemmer, analyzer.keep_negation, analyzer.all_lemmas) == (
            self.stemmer,
            self.keep_negation,
            self.all_lemmas,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["fusion"] = self.fusion.to_json()
        data["retrievers"] = list(self.retrievers) if self.retrievers is not None else None
        data["passage_words"] = list(self.passage_words)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        known = {f.name for f in fields(cls)}
        if unknown := set(data) - known:
            raise ValueError(f"unknown configuration fields {sorted(unknown)}")
        values = dict(data)
        if "fusion" in values:
            values["fusion"] = Fusion(**values["fusion"])
        if values.get("retrievers") is not None:
            values["retrievers"] = tuple(values["retrievers"])
        if "passage_words" in values:
            values["passage_words"] = tuple(values["passage_words"])
        return cls(**values)

    def fingerprint_settings(self) -> dict[str, Any]:
        """What the index fingerprint hashes: every field, the format and the chunker's version."""
        return {**self.to_json(), "format": INDEX_FORMAT_VERSION, "chunker": CHUNKER_VERSION}

    def replace(self, **changes: Any) -> Self:
        return replace(self, **changes)
