"""EngineConfig: every field reaches the fingerprint, round-trips through the manifest, and stales an index."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from search import RETRIEVERS, EngineConfig, Fusion, SearchEngine
from search.corpus import read_corpus
from search.index import corpus_fingerprint

PROJECT = Path(__file__).resolve().parent.parent

CHANGED = {
    "stemmer": "snowball",
    "keep_negation": True,
    "all_lemmas": True,
    "retrievers": ("bm25", "tfidf"),
    "fusion": Fusion(weights={"bm25": 1.0, "tfidf": 0.5}),
    "passage_words": (30, 120),
    "min_coverage": 0.3,
    "coverage_depth": 5,
    "conflict_depth": 20,
    "max_query_chars": 500,
    "chars_max_passages": 10_000,
}


def test_every_field_is_exercised() -> None:
    assert set(CHANGED) == {field.name for field in dataclasses.fields(EngineConfig)}


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_changing_any_field_changes_the_fingerprint(name: str) -> None:
    documents = read_corpus(PROJECT / "corpus")
    default = EngineConfig()
    changed = dataclasses.replace(default, **{name: CHANGED[name]})
    assert getattr(changed, name) != getattr(default, name)
    assert corpus_fingerprint(documents, changed) != corpus_fingerprint(documents, default)


def test_the_configuration_round_trips_through_json() -> None:
    config = dataclasses.replace(EngineConfig(), **CHANGED)
    assert EngineConfig.from_json(config.to_json()) == config
    assert EngineConfig.from_json(EngineConfig().to_json()) == EngineConfig()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"stemmer": "porter"}, "unknown stemmer 'porter'"),
        ({"retrievers": ()}, "at least one retriever"),
        ({"passage_words": (50, 10)}, "passage_words"),
        ({"max_query_chars": 0}, "max_query_chars"),
    ],
)
def test_impossible_settings_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EngineConfig(**settings)


def test_unknown_retrievers_are_refused_by_name() -> None:
    documents = read_corpus(PROJECT / "corpus")
    with pytest.raises(ValueError, match=r"unknown retrievers \['bm26'\]; choose from: bm25, headings"):
        SearchEngine.build(documents, retrievers=["bm26"], progress=False)


def test_an_index_built_under_other_settings_is_rebuilt(tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = SearchEngine.from_directory(PROJECT / "corpus", index_dir=index, retrievers=["bm25"])
    again = SearchEngine.from_directory(PROJECT / "corpus", index_dir=index, retrievers=["bm25"])
    assert again.fingerprint == first.fingerprint and list(again.retrievers) == ["bm25"]
    other = SearchEngine.from_directory(PROJECT / "corpus", index_dir=index, config=EngineConfig(min_coverage=0.5))
    assert other.fingerprint != first.fingerprint
    assert list(other.retrievers) == [name for name, cls in RETRIEVERS.items() if cls.default]
    assert other.config.min_coverage == 0.5
    assert SearchEngine.load(index).config == other.config  # the manifest holds the configuration


def test_a_shorter_query_limit_cuts_there(engine: SearchEngine) -> None:
    short = engine.configured(max_query_chars=20)
    results = short.search("как вернуть товар который не подошёл по размеру")
    assert results.query.truncated and results.query.rewritten == "как вернуть товар ко"
