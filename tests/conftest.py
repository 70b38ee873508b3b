"""Shared fixtures: the heavy objects (analyzer, engine) are built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import Analyzer, SearchEngine

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """The embedded corpus, indexed into a temporary folder (the project's own index stays untouched)."""
    return SearchEngine.from_directory(CORPUS, index_dir=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS
