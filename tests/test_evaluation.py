"""Judged queries, their resolution by content, ranx metrics, fusion tuning, ``eval`` and the XQuAD script."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import sys
from collections import Counter
from pathlib import Path

import pytest

from search import SearchEngine
from search.cli import main
from search.evaluation import (
    CONFIGURATIONS,
    METRICS,
    Judgment,
    JudgmentError,
    Relevant,
    evaluate,
    load_judgments,
    ranx_scores,
    resolve_judgments,
    tune_fusion,
    weight_grid,
)

PROJECT = Path(__file__).resolve().parent.parent
QUERIES = PROJECT / "corpus" / "queries"
KINDS = {
    "question",
    "keywords",
    "word_forms",
    "paraphrase",
    "typo",
    "layout",
    "translit",
    "jargon",
    "fact",
    "unanswerable",
}


@pytest.fixture(scope="session")
def judgments() -> list[Judgment]:
    return load_judgments(QUERIES)


@pytest.fixture(scope="session")
def default_evaluation(engine: SearchEngine, judgments: list[Judgment]):
    return evaluate(engine, judgments)


# --- the judged set ---------------------------------------------------------------------------------


def test_judged_set_is_large_and_varied(judgments: list[Judgment]) -> None:
    kinds = Counter(j.kind for j in judgments)
    assert len(judgments) >= 80
    assert set(kinds) == KINDS, kinds
    assert kinds["unanswerable"] >= 8
    assert all(not j.relevant for j in judgments if j.kind == "unanswerable")
    assert all(j.relevant for j in judgments if j.kind != "unanswerable")


def test_every_judgment_resolves_to_a_few_current_passages(engine: SearchEngine, judgments: list[Judgment]) -> None:
    resolved = resolve_judgments(judgments, engine.passages)
    for judgment in judgments:
        for relevant in judgment.relevant:
            # A string that names a passage must be specific: at most the passage and one verbatim repeat.
            alone = resolve_judgments([dataclasses.replace(judgment, relevant=(relevant,))], engine.passages)
            assert 1 <= len(alone[judgment.query]) <= 2, (judgment.source, relevant)
        assert len(resolved[judgment.query]) >= len(judgment.relevant) / 2


def test_judgments_survive_rechunking_but_not_losing_their_text(engine: SearchEngine) -> None:
    judgment = Judgment("двойное списание", "keywords", (Relevant("buyers-support", "Двойное списание одной"),))
    renumbered = [dataclasses.replace(p, id=f"v2:{i}") for i, p in enumerate(engine.passages)]
    (found,) = resolve_judgments([judgment], renumbered).values()
    assert len(found) == 1 and next(iter(found)).startswith("v2:")
    # Hyphens, ё and line breaks as the document has them need not be typed exactly.
    relaxed = Judgment("q", "fact", (Relevant("buyers-support", "номер горячей линии — 8 800 333-33-33"),))
    assert resolve_judgments([relaxed], engine.passages)["q"] == {"buyers-support:000"}
    gone = [p for p in engine.passages if "Двойное списание" not in p.text]
    with pytest.raises(JudgmentError, match=r"resolve to no passage:\n.*'двойное списание'.*buyers-support"):
        resolve_judgments([judgment], gone)
    wrong_doc = Judgment("x", "fact", (Relevant("no-such-doc", "Двойное списание"),))
    with pytest.raises(JudgmentError, match="no passage of 'no-such-doc'"):
        resolve_judgments([wrong_doc], engine.passages)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"bad\.jsonl:2: not JSON"),
        ('{"kind": "fact", "relevant": []}', "'query' must be a non-empty string"),
        ('{"query": "a", "relevant": []}', "'kind' must be a non-empty string"),
        ('{"query": "a", "kind": "fact"}', "'relevant' must be a list"),
        ('{"query": "a", "kind": "fact", "relevant": [{"doc": "d"}]}', "needs a 'doc' and a non-empty 'contains'"),
        ('{"query": "a", "kind": "unanswerable", "relevant": [{"doc": "d", "contains": "x"}]}', "cannot have"),
        ('{"query": "ok", "kind": "fact", "relevant": []}', r"'ok' is already judged at bad\.jsonl:1"),
    ],
)
def test_malformed_judgments_are_refused_with_their_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"query": "ok", "kind": "fact", "relevant": []}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(JudgmentError, match=message):
        load_judgments(path)


def test_missing_judgments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(JudgmentError, match="not found"):
        load_judgments(tmp_path / "none.jsonl")
    with pytest.raises(JudgmentError, match=r"no judged queries \(\*\.jsonl\)"):
        load_judgments(tmp_path)


# --- metrics ----------------------------------------------------------------------------------------


def test_ranx_scores_keep_the_engine_order_and_score_empty_runs_zero() -> None:
    scores = ranx_scores({"q1": {"a"}, "q2": {"c"}, "q3": {"x", "y"}}, {"q1": ["b", "a"], "q2": [], "q3": ["x"]})
    assert scores["mrr@10"] == {"q1": 0.5, "q2": 0.0, "q3": 1.0}
    assert scores["hit_rate@1"] == {"q1": 0.0, "q2": 0.0, "q3": 1.0}
    assert scores["recall@5"]["q3"] == 0.5
    assert math.isclose(scores["ndcg@10"]["q1"], 1 / math.log2(3))


def test_evaluation_reports_overall_per_kind_and_no_answer(default_evaluation, judgments) -> None:
    result = default_evaluation
    assert list(result.metrics) == list(METRICS)
    assert all(0.0 <= value <= 1.0 for value in result.metrics.values())
    assert set(result.kinds) == KINDS and sum(k["count"] for k in result.kinds.values()) == len(judgments)
    assert math.isnan(result.kinds["unanswerable"]["mrr@10"])
    no_answer = result.no_answer
    assert no_answer["unanswerable"] == result.kinds["unanswerable"]["count"]
    assert no_answer["answerable"] + no_answer["unanswerable"] == len(judgments)
    assert no_answer["unanswerable_rate"] == result.kinds["unanswerable"]["nothing_found"]
    assert set(no_answer["top_score"]["unanswerable"]) == {"min", "q1", "median", "q3", "max"}
    by_query = {o.query: o for o in result.outcomes}
    easy = by_query["двойное списание"]
    assert easy.ranked[0] == "buyers-support:002" and easy.first_relevant_rank == 1
    assert easy.scores == {"mrr@10": 1.0, "ndcg@10": 1.0, "recall@5": 1.0, "recall@10": 1.0, "hit_rate@1": 1.0}
    assert all(f.first_relevant_rank != 1 for f in result.failures())
    assert "all answerable" in result.table() and "unanswerable" in result.table()
    assert json.loads(json.dumps(result.to_json(outcomes=True)))["queries"][0]["query"] == judgments[0].query


def test_single_retrievers_and_configurations_are_named(engine, judgments) -> None:
    result = evaluate(engine, judgments[:20], retriever="bm25")
    assert result.name == "bm25" and result.retriever == "bm25" and result.stemmer == "pymorphy3"
    default = evaluate(engine, judgments[:5])  # the engine's default ranking, named by what it is
    assert default.name == default.retriever == engine.default_ranking == "learned"
    names = [c.name for c in CONFIGURATIONS]
    assert names[:3] == ["default", "default-exact", "hybrid"] and len(set(names)) == len(names) == 11
    assert [c.retriever for c in CONFIGURATIONS[:3]] == [None, None, "hybrid"]
    assert [c.rewrite for c in CONFIGURATIONS].count(False) == 1
    assert {c.stemmer for c in CONFIGURATIONS} == {"pymorphy3", "snowball", "none"}


# --- fusion tuning ----------------------------------------------------------------------------------


def test_weight_grid_keeps_one_weighting_per_proportion() -> None:
    grid = weight_grid(["a", "b"], (0.0, 0.5, 1.0))
    assert grid == [
        {"a": 0.0, "b": 1.0},
        {"a": 0.5, "b": 1.0},
        {"a": 1.0, "b": 0.0},
        {"a": 1.0, "b": 0.5},
        {"a": 1.0, "b": 1.0},
    ]
    assert len(weight_grid(["a", "b", "c", "d"])) == 3**4 - 2**4


def test_tuning_scores_each_fusion_exactly_as_the_engine_ranks(engine, judgments) -> None:
    grid = [{"bm25": 1.0, "tfidf": 1.0}, {"bm25": 0.5, "headings": 0.0, "tfidf": 0.5, "chars": 1.0}]
    tuning = tune_fusion(engine, judgments, weights=grid, ks=(20, 60), folds=3)
    assert len(tuning.candidates) == 1 + 4 and len(tuning.folds) == 3
    assert sum(f["queries"] for f in tuning.folds) == sum(j.answerable for j in judgments)
    original = engine.fusion
    for candidate in tuning.candidates:
        fusion = dataclasses.replace(original, weights=candidate["weights"], k=candidate["k"])
        direct = evaluate(engine.configured(fusion=fusion), judgments, retriever="hybrid")
        for metric in METRICS:
            assert math.isclose(candidate[metric], direct.metrics[metric]), (candidate, metric)
    assert tuning.best == dataclasses.replace(
        original, weights=tuning.candidates[0]["weights"], k=tuning.candidates[0]["k"]
    )
    validated = tuning.cross_validated
    assert set(validated) == {"tuned", "baseline"} and 0 < validated["tuned"] <= 1


def test_the_baseline_wins_ties(engine, judgments) -> None:
    same = dict(engine.fusion.weights)
    tuning = tune_fusion(engine, judgments, weights=[same], ks=(engine.fusion.k,), folds=2)
    assert tuning.best == engine.fusion and len(tuning.candidates) == 1
    assert all(f["test"] == f["baseline_test"] for f in tuning.folds)


# --- the command line -----------------------------------------------------------------------------


def test_eval_prints_json_per_configuration_and_kind(tmp_path, capsys) -> None:
    code = main(["eval", "--json", "--retriever", "bm25", "--retriever", "hybrid", "--index", str(tmp_path / "i")])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["judged"] >= 80 and report["answerable"] < report["judged"]
    assert list(report["configurations"]) == ["bm25", "hybrid"]
    hybrid = report["configurations"]["hybrid"]
    assert set(hybrid["metrics"]) == set(METRICS) and "typo" in hybrid["kinds"]
    assert 0 <= hybrid["no_answer"]["unanswerable_rate"] <= 1


def test_eval_prints_a_table(tmp_path, capsys) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"query": "двойное списание", "kind": "keywords", "relevant": [{"doc": "buyers-support", '
        '"contains": "Двойное списание"}]}\n{"query": "рецепт борща", "kind": "unanswerable", "relevant": []}\n',
        encoding="utf-8",
    )
    assert main(["eval", "--queries", str(queries), "--stemmer", "snowball"]) == 0
    out = capsys.readouterr().out
    assert "2 judged queries (1 answerable), analysis: snowball" in out
    assert "keywords" in out and "hit_rate@1" in out and "«ничего не найдено»" in out


def test_eval_refuses_judgments_that_no_longer_resolve(tmp_path, capsys) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"query": "x", "kind": "fact", "relevant": [{"doc": "buyers-support", "contains": "нет такого текста"}]}\n',
        encoding="utf-8",
    )
    assert main(["eval", "--queries", str(queries), "--index", str(tmp_path / "i")]) == 2
    assert "resolve to no passage" in capsys.readouterr().err


# --- XQuAD, on a miniature of its format -------------------------------------------------------------


def _xquad_module():
    spec = importlib.util.spec_from_file_location("xquad_benchmark", PROJECT / "benchmarks" / "xquad.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_xquad_script_runs_every_task_on_a_miniature(tmp_path, capsys) -> None:
    paragraphs = [
        (
            "Москва — столица России. В Москве живёт более двенадцати миллионов человек.",
            [("Сколько человек живёт в Москве?", "более двенадцати миллионов")],
        ),
        (
            "Байкал — самое глубокое озеро планеты. Его глубина достигает 1642 метров.",
            [("Какова глубина Байкала?", "1642 метров"), ("Какое озеро самое глубокое?", "Байкал")],
        ),
    ]
    plain, sentences = [], []
    for context, questions in paragraphs:
        qas = [
            {"id": f"{len(plain)}-{i}", "question": q, "answers": [{"text": a, "answer_start": context.index(a)}]}
            for i, (q, a) in enumerate(questions)
        ]
        plain.append({"context": context, "qas": qas})
        cut = context.index(". ") + 1
        sentences.append(
            {
                "context": context,
                "qas": qas,
                "sentences": [context[:cut], context[cut + 1 :]],
                "sentence_breaks": [[0, cut - 1], [cut + 1, len(context) - 1]],
            }
        )
    (tmp_path / "xquad.ru.json").write_text(json.dumps({"data": [{"title": "t", "paragraphs": plain}]}), "utf-8")
    (tmp_path / "xquad-r.ru.json").write_text(json.dumps({"data": [{"title": "t", "paragraphs": sentences}]}), "utf-8")

    assert _xquad_module().main(["--data", str(tmp_path), "--json", "--configurations", "default,raw-bm25"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["paragraphs", "sentences", "answers"]
    # Every paragraph ranks first for its questions; with two documents every IDF is zero, so the answer
    # sentence is each paragraph's first: Baikal's is read with the next, which refers back to it («Его
    # глубина…»), and holds two of the three gold answers («Байкал», «1642 метров»); Moscow's stands in the
    # sentence after it.
    assert report["answers"]["default"] == {
        "answer_sentence": 2 / 3,
        "first": 3.0,
        "answer_chars": pytest.approx((len("Москва — столица России.") + 2 * len(paragraphs[1][0])) / 3),
        "miss_next": 1 / 3,
        "miss_previous": 0.0,
        "miss_farther": 0.0,
        "miss_across": 0.0,
        "miss_outside": 0.0,
    }
    # Why Moscow's misses: its answer sentence was chosen on no query word (every IDF is zero here).
    assert _xquad_module().main(["--data", str(tmp_path), "--json", "--tasks", "answers", "--causes"]) == 0
    causes = {k: v for k, v in json.loads(capsys.readouterr().out)["answers"]["default"].items() if "cause" in k}
    assert causes["cause_no_query_word"] == 1 / 3 and sum(causes.values()) == 1 / 3
    assert set(report["paragraphs"]["default"]) == {"hit_rate@1", "hit_rate@5", "mrr@10", "ndcg@10"}
    assert set(report["sentences"]["raw-bm25"]) == {"map@20", "mrr@10"}
    assert report["paragraphs"]["default"]["hit_rate@1"] == 1.0
    assert report["sentences"]["default"]["mrr@10"] > 0.5
    # With two documents every word is in half of them, where BM25's IDF is zero: nothing is retrieved.
    assert report["paragraphs"]["raw-bm25"] == {"hit_rate@1": 0.0, "hit_rate@5": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
