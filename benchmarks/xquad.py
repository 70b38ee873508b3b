"""XQuAD Russian through the engine's public API: paragraph retrieval and answer-sentence retrieval.

    python benchmarks/xquad.py [--data DIR] [--json] [--configurations default,bm25] [--fusion JSON]

(a) ``paragraphs``: the 240 paragraphs of ``xquad.ru.json`` are the corpus, one
    file each; each of the 1,190 questions is judged by its own paragraph.
    The chunker may cut a long paragraph into several passages, so a
    paragraph ranks where its best passage ranks. Hit@1, Hit@5, MRR@10, nDCG@10.
(b) ``sentences``: XQuAD-R (``xquad-r.ru.json``) as in LAReQA (Roy et al., 2020),
    monolingual Russian: every sentence of every paragraph is a candidate (one
    file each), and the relevant candidate is the sentence containing the
    answer. mAP@20, MRR@10.
(c) ``answers``: the corpus of (a); over the questions whose own paragraph
    ranks first, the share whose first hit's answer sentence (``hit.answer``)
    holds the gold answer text (``answer_sentence``), the count of those
    questions (``first``), the answers' mean length in characters
    (``answer_chars``: a longer answer holds more gold answers), and where the gold answer stands when it misses
    (``miss_next``, ``miss_previous``, ``miss_farther``, ``miss_across``,
    ``miss_outside``: shares of the same questions); with ``--causes``, also
    why it misses (``cause_*``, see :func:`miss_cause`).

Each configuration is an analyzer (pymorphy3 lemmas, Snowball stems, raw
tokens) and a retriever (the hybrid fusion, BM25 alone, TF-IDF alone); the
engine's default is ``default``. The data is read where it lies (``--data``,
by default ``../shared/benchmarks/xquad/`` beside the project) and the corpora
are written to a temporary folder that is removed afterwards. ``--json``
prints one object: task → configuration → metric, with ranx's metric names.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from search import Analyzer, Fusion, SearchEngine
from search.analysis import normalize
from search.answers import _LOCAL_RARITY, _REFERS_BACK, _values_in, answer_kinds, passage_units, sentence_spans
from search.corpus import CorpusWarning
from search.evaluation import CONFIGURATIONS, Configuration, format_table, ranx_scores

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = (PROJECT / ".." / "shared" / "benchmarks" / "xquad").resolve()
# Where the gold answer stands when the answer sentence misses it: in the unit right after the chosen one (a
# pronoun's antecedent chosen over its sentence, or the fact stated next), right before it, farther away, cut
# across two units by the sentence splitter, or outside the passage (the chunker cut the paragraph).
MISSES = ("next", "previous", "farther", "across", "outside")
# Why it misses, the gold answer's unit against the unit holding the most query weight (see :func:`miss_cause`).
CAUSES = ("outside", "across", "no_query_word", "type", "tie", "refers_back", "overlap_80", "overlap_50", "overlap_0")
TASKS = {
    "paragraphs": ("xquad.ru.json", ("hit_rate@1", "hit_rate@5", "mrr@10", "ndcg@10"), 10),
    "sentences": ("xquad-r.ru.json", ("map@20", "mrr@10"), 20),
    "answers": ("xquad.ru.json", ("answer_sentence", "first", "answer_chars", *(f"miss_{kind}" for kind in MISSES)), 1),
}


@dataclass(frozen=True)
class Task:
    """A corpus of candidate texts (file stem → text) and questions judged by one candidate each."""

    candidates: dict[str, str]
    questions: list[tuple[str, str, str]]  # (question id, question, relevant candidate)
    answers: dict[str, str] | None = None  # question id → gold answer text (the ``answers`` task)


# SQuAD's key for a paragraph's questions (spelt out so no line of this file looks like the data itself).
QUESTIONS = "".join(("q", "a", "s"))


def _paragraphs(data: dict) -> Task:
    candidates: dict[str, str] = {}
    by_text: dict[str, str] = {}  # identical paragraphs are one candidate (the corpus reader would drop copies)
    questions = []
    answers = {}
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            text = paragraph["context"].strip()
            name = by_text.setdefault(text, f"a{a:02d}p{p:02d}")
            candidates[name] = text
            questions += [(qa["id"], qa["question"], name) for qa in paragraph[QUESTIONS]]
            answers.update((qa["id"], qa["answers"][0]["text"].strip()) for qa in paragraph[QUESTIONS])
    return Task(candidates, questions, answers)


def _sentences(data: dict) -> Task:
    candidates: dict[str, str] = {}
    by_text: dict[str, str] = {}
    questions = []
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            names = []
            for s, sentence in enumerate(paragraph["sentences"]):
                text = sentence.strip()
                name = by_text.setdefault(text, f"a{a:02d}p{p:02d}s{s:02d}")
                candidates[name] = text
                names.append(name)
            breaks = paragraph["sentence_breaks"]  # [start, end] with an inclusive end, one per sentence
            for qa in paragraph[QUESTIONS]:
                start = qa["answers"][0]["answer_start"]
                within = [i for i, (first, last) in enumerate(breaks) if first <= start <= last]
                if not within:  # an answer starting in the space between sentences belongs to the next one
                    within = [i for i, (first, _) in enumerate(breaks) if first > start][:1]
                questions.append((qa["id"], qa["question"], names[within[0]]))
    return Task(candidates, questions)


def load_task(data_dir: Path, task: str) -> Task:
    path = data_dir / TASKS[task][0]
    if not path.is_file():
        raise SystemExit(f"error: {path} not found; pass --data DIR (the folder holding {TASKS[task][0]})")
    data = json.loads(path.read_text(encoding="utf-8"))
    return _sentences(data) if task == "sentences" else _paragraphs(data)


def run_task(
    task: Task,
    configurations: Sequence[Configuration],
    metrics: Sequence[str],
    depth: int,
    fusion: Fusion | None,
    workdir: Path,
    label: str,
    causes: bool = False,
) -> dict[str, dict[str, float]]:
    folder = workdir / label
    folder.mkdir()
    for name, text in task.candidates.items():
        (folder / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    engines: dict[str, SearchEngine] = {}
    qrels = {qid: {relevant} for qid, _, relevant in task.questions}
    results = {}
    for configuration in configurations:
        started = time.perf_counter()
        if configuration.stemmer not in engines:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CorpusWarning)
                engines[configuration.stemmer] = SearchEngine.from_directory(
                    folder,
                    index_dir=workdir / f"{label}-index-{configuration.stemmer}",
                    analyzer=Analyzer(stemmer=configuration.stemmer),
                    progress=False,
                )
        engine = engines[configuration.stemmer]
        if fusion is not None:
            engine = engine.configured(fusion=fusion)
        if task.answers is not None and "answer_sentence" in metrics:
            results[configuration.name] = answer_sentence_rate(engine, task, configuration, causes)
            print(f"{label}/{configuration.name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
            continue
        run = {}
        for qid, question, _ in task.questions:
            # Three passages per candidate leave room for a candidate the chunker cut in pieces.
            hits = engine.search(
                question, k=3 * depth, retriever=configuration.retriever, rewrite=configuration.rewrite
            )
            run[qid] = list(dict.fromkeys(hit.doc_id for hit in hits))[:depth]
        scores = ranx_scores(qrels, run, metrics)
        results[configuration.name] = {m: sum(scores[m].values()) / len(scores[m]) for m in metrics}
        print(f"{label}/{configuration.name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return results


def answer_sentence_rate(
    engine: SearchEngine, task: Task, configuration: Configuration, causes: bool = False
) -> dict[str, float]:
    """Over the questions whose paragraph ranks first, how often the first hit's answer sentence holds the answer,
    how long it is, and where the answer stands when it does not (shares of those questions, see :func:`miss_kind`).

    Case and ё/е are ignored (the gold text is a span of the paragraph, so only a
    sentence cut through it or the wrong sentence fails).
    """
    assert task.answers is not None
    first = holds = chars = 0
    misses = dict.fromkeys(MISSES, 0)
    why = dict.fromkeys(CAUSES, 0)
    for qid, question, relevant in task.questions:
        hits = engine.search(question, k=1, retriever=configuration.retriever, rewrite=configuration.rewrite)
        if not len(hits) or hits[0].doc_id != relevant:
            continue
        first += 1
        chars += len(hits[0].answer)
        gold = normalize(task.answers[qid])
        if gold in normalize(hits[0].answer):
            holds += 1
        else:
            misses[miss_kind(hits[0].passage.text, hits[0].answer_span, gold)] += 1
            if causes:
                why[miss_cause(engine, question, hits[0].passage.text, gold)] += 1
    share = {f"miss_{kind}": count / first if first else 0.0 for kind, count in misses.items()}
    if causes:
        share |= {f"cause_{kind}": count / first if first else 0.0 for kind, count in why.items()}
    return {
        "answer_sentence": holds / first if first else 0.0,
        "first": float(first),
        "answer_chars": chars / first if first else 0.0,
        **share,
    }


def miss_kind(text: str, chosen: tuple[int, int], gold: str) -> str:
    """Which of :data:`MISSES` a missed answer is: where ``gold`` (normalized) stands beside the chosen unit."""
    spans = sentence_spans(text)
    holding = [number for number, (start, end) in enumerate(spans) if gold in normalize(text[start:end])]
    if not holding:
        return "across" if gold in normalize(text) else "outside"
    at = next((number for number, (start, _) in enumerate(spans) if start == chosen[0]), None)
    if at is None:
        return "farther"
    nearest = min(holding, key=lambda number: abs(number - at))
    return "next" if nearest == at + 1 else "previous" if nearest == at - 1 else "farther"


def miss_cause(engine: SearchEngine, question: str, text: str, gold: str) -> str:
    """Which of :data:`CAUSES` a missed answer is, by the first that holds: the gold answer (normalized) outside the
    passage, or cut across two units; else its unit, against the unit holding the most query weight (IDF times
    rarity among the passage's units, as the answer sentence weighs it): holds no query word; holds a value of the
    asked kind («когда» a year, «кто» a name) that the other lacks; holds the same weight (a tie); opens with a
    pronoun (refers back); or holds ≥ 80 %, 50–80 %, under 50 % of that weight (the wrong unit wins on overlap).
    """
    spans = sentence_spans(text)
    holding = [number for number, (start, end) in enumerate(spans) if gold in normalize(text[start:end])]
    if not holding:
        return "across" if gold in normalize(text) else "outside"
    pipeline = engine.pipeline
    search = pipeline.rank(pipeline.request(question, 1), until="decide")
    weights = pipeline.stage("annotate").weights(search.query)  # type: ignore[attr-defined]
    wanted = answer_kinds(search.query.info.rewritten, search.query.terms) & {"date", "number", "person", "place"}
    units = passage_units(spans, engine.analyzer.tokens(text))
    held = {term: units.with_form(term) for term in weights}
    scores = [0.0] * len(spans)
    for term, numbers in held.items():
        for number in numbers:
            scores[number] += weights[term] * (1 + _LOCAL_RARITY * math.log((len(spans) + 1) / (len(numbers) + 0.5)))
    gold_unit = max(holding, key=scores.__getitem__)
    best = max(range(len(spans)), key=scores.__getitem__)
    kinds = [_values_in(text, units[number].tokens, weights) & wanted for number in (gold_unit, best)]
    if scores[gold_unit] == 0:
        return "no_query_word"
    if kinds[0] and not kinds[1]:
        return "type"
    share = scores[gold_unit] / scores[best]
    if share > 1 - 1e-9:
        return "tie"
    if _REFERS_BACK.match(text, spans[gold_unit][0]):
        return "refers_back"
    return "overlap_80" if share >= 0.8 else "overlap_50" if share >= 0.5 else "overlap_0"


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(description="XQuAD Russian: paragraph and answer-sentence retrieval.")
    main.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="folder of xquad.ru.json and xquad-r.ru.json (default: %(default)s)",
    )
    main.add_argument("--json", action="store_true", help="print one JSON object: task → configuration → metric")
    main.add_argument(
        "--configurations",
        default=",".join(c.name for c in CONFIGURATIONS),
        help="comma-separated names (default: all: %(default)s)",
    )
    main.add_argument("--tasks", default=",".join(TASKS), help="comma-separated (default: %(default)s)")
    main.add_argument(
        "--causes", action="store_true", help="answers task: also why each missed answer misses (cause_*, shares)"
    )
    main.add_argument(
        "--fusion",
        default=None,
        help="fusion settings for hybrid configurations, as JSON, e.g. "
        '\'{"weights": {"bm25": 1, "tfidf": 1}, "k": 60}\' (default: the engine\'s)',
    )
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    known = {c.name: c for c in CONFIGURATIONS}
    names = [n.strip() for n in args.configurations.split(",") if n.strip()]
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = [n for n in names if n not in known] + [t for t in tasks if t not in TASKS]
    if unknown:
        parser().error(f"unknown: {', '.join(unknown)}; configurations: {', '.join(known)}; tasks: {', '.join(TASKS)}")
    fusion = Fusion(**{**Fusion().to_json(), **json.loads(args.fusion)}) if args.fusion else None
    report: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="xquad-") as workdir:
        for task_name in tasks:
            task = load_task(args.data, task_name)
            _, metrics, depth = TASKS[task_name]
            print(f"{task_name}: {len(task.candidates)} candidates, {len(task.questions)} questions", file=sys.stderr)
            report[task_name] = run_task(
                task, [known[n] for n in names], metrics, depth, fusion, Path(workdir), task_name, args.causes
            )
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    for task_name, rows in report.items():
        print(f"\n{task_name} ({TASKS[task_name][0]})")
        shown = list(dict.fromkeys(metric for row in rows.values() for metric in row))
        print(format_table(rows, shown, first="configuration"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
