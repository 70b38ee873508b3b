"""The command line, run as a user would: ``python -m search …`` in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from search.cli import main

PROJECT = Path(__file__).resolve().parent.parent


def _run(*args: str, cwd: Path = PROJECT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "search", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    index = tmp_path_factory.mktemp("cli") / "index"
    done = _run("build", "--corpus", str(corpus_dir), "--index", str(index))
    assert done.returncode == 0, done.stderr
    assert "111 passages" in done.stdout or "passages" in done.stdout
    return index


def test_query_json_returns_the_returns_section_with_its_citation(index_dir: Path, corpus_dir: Path) -> None:
    done = _run("query", "как оформить возврат", "--json", "--corpus", str(corpus_dir), "--index", str(index_dir))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    returns = [hit for hit in result["hits"][:3] if hit["section"][-1] == "3 Возвраты и обмены товаров"]
    assert returns and returns[0]["citation"].startswith(
        "Как связаться со службой поддержки Ozon: руководство для покупателей › "
        "Зачем обращаться в службу поддержки › 3 Возвраты и обмены товаров, строки "
    )
    assert result["query"]["terms"] == ["оформить", "возврат"] and result["answered"] is True


@pytest.mark.parametrize(
    ("query", "section"),
    [
        ("двойное списание", "2 Проблемы с оплатой"),
        ("сроки ответа поддержки", "Сроки ответа поддержки Ozon"),
        ("телефон ozon банка для бизнеса", "Финансовые услуги Ozon"),
    ],
)
def test_query_finds_the_answer_in_the_top_3(
    index_dir: Path, corpus_dir: Path, query: str, section: str, capsys
) -> None:
    assert main(["query", query, "-k", "3", "--json", "--corpus", str(corpus_dir), "--index", str(index_dir)]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert section in [hit["section"][-1] for hit in hits]


def test_query_prints_citations_for_people(index_dir: Path, corpus_dir: Path, capsys) -> None:
    assert main(["query", "двойное списание", "-k", "2", "--corpus", str(corpus_dir), "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Краткий ответ: Двойное списание одной и той же покупки")
    assert "\n1. [" in out and "› 2 Проблемы с оплатой, строки 14–21" in out


def test_nothing_found_is_said_plainly(index_dir: Path, corpus_dir: Path, capsys) -> None:
    assert main(["query", "абырвалг", "--corpus", str(corpus_dir), "--index", str(index_dir)]) == 0
    assert "В документах нет ответа на вопрос «абырвалг»" in capsys.readouterr().out


def test_a_missing_corpus_is_one_error_line(tmp_path: Path) -> None:
    done = _run("query", "возврат", "--corpus", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "corpus folder not found" in done.stderr
