"""Train the answer-sentence model of ``search.answers`` on XQuAD-ru, and report its cross-validated figures.

    python -m benchmarks.train_answer_sentence [--data DIR] [--out search/models/answer_sentence.json]

The corpus is XQuAD-ru's 240 paragraphs (as in ``benchmarks/xquad.py``); a
question counts when its own paragraph's passage is the first hit, as the
``answers`` task of ``benchmarks/xquad.py`` counts it. Each unit (sentence or
list item, read with the unit after it when it asks or ends with a colon) of
that passage is an example: the features of ``search.answers.SENTENCE_FEATURES``,
and whether the unit holds the gold answer text. A logistic regression over
them scores the units; the answer is the highest-scoring unit, under the same
rules as at query time (``answer_span``: a unit holding none of the query's
words never wins while another holds some; a question for a kind of fact takes
a unit stating a current value of it).

Grouped 5-fold cross-validation (GroupKFold by article, so no article's
questions are both trained and judged on) gives the held-out share of
questions whose answer sentence holds the gold answer, beside the hand-written
rule the model replaces; the final model is fitted on every question and
stored as JSON with those figures. The embedded corpus's judged set is not
trained on: its figure (``search.evaluation.answer_sentences``) is printed as
an out-of-domain check.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search import SearchEngine
from search.analysis import normalize
from search.answers import (
    SENTENCE_FEATURES,
    SENTENCE_MODEL_FILE,
    SentenceModel,
    answer_kinds,
    answer_span,
    sentence_features,
    sentence_model_standing_in,
)
from search.corpus import CorpusWarning, Document, read_corpus
from search.decision import ConfidenceModel, standing_in
from search.evaluation import answer_sentences, load_judgments

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"
DEFAULT_XQUAD = (PROJECT / ".." / "shared" / "benchmarks" / "xquad").resolve()
FOLDS = 5
C = 1.0
QUESTIONS = "".join(("q", "a", "s"))  # SQuAD's key, spelt out as in benchmarks/xquad.py
RULE = {"score": 1.0, "kind": 0.2}  # the hand-written rule: the query's weight, plus a share for the asked kind


@dataclass
class Example:
    """One question whose paragraph came first: what ``answer_span`` is given, and which units hold the answer."""

    qid: str
    group: str
    args: tuple  # (spans, tokens, weights, text) for answer_span
    asked: frozenset[str]
    facts: list
    units: list
    table: np.ndarray
    holds: np.ndarray  # per unit, read with the unit after it when it joins
    answer: str


def examples(data_dir: Path) -> list[Example]:
    path = data_dir / "xquad.ru.json"
    if not path.is_file():
        raise SystemExit(f"error: {path} not found; pass --data DIR (the folder holding xquad.ru.json)")
    data = json.loads(path.read_text(encoding="utf-8"))
    documents: dict[str, Document] = {}
    by_text: dict[str, str] = {}
    questions = []
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            text = paragraph["context"].strip()
            name = by_text.setdefault(text, f"a{a:02d}p{p:02d}")
            documents.setdefault(name, Document(name, name, f"{name}.txt", text + "\n"))
            for qa in paragraph[QUESTIONS]:
                questions.append((qa["id"], qa["question"], name, f"a{a:02d}", qa["answers"][0]["text"].strip()))
    with warnings.catch_warnings(), standing_in(ConfidenceModel.neutral()):
        warnings.simplefilter("ignore", CorpusWarning)
        engine = SearchEngine.build(list(documents.values()), progress=False)
        pipeline = engine.pipeline
        annotate = pipeline.stage("annotate")
        out = []
        for qid, question, relevant, group, answer in questions:
            search = pipeline.rank(pipeline.request(question, k=1), until="decide")
            if not search.order.size:
                continue
            passage = engine.passages[int(search.order[0])]
            if passage.doc_id != relevant:
                continue
            query = search.query
            weights = annotate.weights(query)  # type: ignore[attr-defined]
            asked = answer_kinds(query.info.rewritten, query.terms)
            tokens, spans = annotate._reading(passage)  # type: ignore[attr-defined]
            units = annotate._units(passage)  # type: ignore[attr-defined]
            facts = annotate._facts(passage)  # type: ignore[attr-defined]
            text = passage.text
            joined = [n + 1 < len(spans) and text[a:b].rstrip().endswith(("?", ":")) for n, (a, b) in enumerate(spans)]
            ends = [spans[n + 1][1] if joined[n] else b for n, (_, b) in enumerate(spans)]
            gold = normalize(answer)
            holds = np.array([gold in normalize(text[a:end]) for (a, _), end in zip(spans, ends)])
            table = sentence_features(units, spans, text, weights, asked, facts, joined)
            out.append(Example(qid, group, (spans, tokens, weights, text), asked, facts, units, table, holds, gold))
    return out


def fit(items: Sequence[Example], c: float = C) -> SentenceModel:
    """Pairwise logistic regression: for each question, every unit holding the answer against every unit that
    does not (the difference of their features, both ways round), so the weights order a passage's units
    rather than judge each alone. Standardized, the scale folded back in; no intercept (it cannot order)."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([e.table for e in items])
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    differences = []
    for e in items:
        good, bad = e.table[e.holds], e.table[~e.holds]
        if len(good) and len(bad):
            differences.append(((good[:, None, :] - bad[None, :, :]) / scale).reshape(-1, x.shape[1]))
    pairs = np.vstack(differences)
    both = np.vstack([pairs, -pairs])
    labels = np.r_[np.ones(len(pairs)), np.zeros(len(pairs))]
    regression = LogisticRegression(C=c, fit_intercept=False, max_iter=5000).fit(both, labels)
    return SentenceModel(regression.coef_[0] / scale, 0.0, {})


def rule_model() -> SentenceModel:
    coefficients = np.array([RULE.get(name, 0.0) for name in SENTENCE_FEATURES])
    return SentenceModel(coefficients, 0.0, {}, "<rule>")


def rate(model: SentenceModel, items: Sequence[Example]) -> float:
    """The share of ``items`` whose chosen unit holds the gold answer, chosen by ``answer_span`` itself."""
    if not items:
        return 0.0
    held = 0
    with sentence_model_standing_in(model):
        for e in items:
            spans, tokens, weights, text = e.args
            start, end = answer_span(spans, tokens, weights, text, asked=e.asked, facts=e.facts, units=e.units)
            held += e.answer in normalize(text[start:end])
    return held / len(items)


def cross_validate(items: Sequence[Example], c: float = C) -> dict[str, float]:
    from sklearn.model_selection import GroupKFold

    groups = np.array([e.group for e in items])
    learned = rule = 0.0
    for train, test in GroupKFold(n_splits=FOLDS).split(np.zeros(len(items)), groups=groups):
        model = fit([items[i] for i in train], c)
        judged = [items[i] for i in test]
        learned += rate(model, judged) * len(judged)
        rule += rate(rule_model(), judged) * len(judged)
    return {"model": learned / len(items), "rule": rule / len(items), "questions": len(items)}


def judged_rate(model: SentenceModel) -> dict[str, float]:
    """``search.evaluation.answer_sentences`` on the embedded corpus, under ``model``."""
    synonyms_file = CORPUS / "synonyms.txt"
    synonyms = synonyms_file.read_text(encoding="utf-8") if synonyms_file.is_file() else ""
    with standing_in(ConfidenceModel.neutral()):
        engine = SearchEngine.build(read_corpus(CORPUS), synonyms=synonyms, progress=False)
    with sentence_model_standing_in(model):
        return answer_sentences(engine, load_judgments(CORPUS / "queries"))


def main(argv: Sequence[str] | None = None) -> int:
    main = argparse.ArgumentParser(description="Train the answer-sentence model on XQuAD-ru; report CV figures.")
    main.add_argument("--data", type=Path, default=DEFAULT_XQUAD, help="folder of xquad.ru.json")
    main.add_argument("--out", type=Path, default=SENTENCE_MODEL_FILE, help="where the model goes")
    main.add_argument("-C", type=float, default=C, help="inverse regularisation strength (default: %(default)s)")
    args = main.parse_args(argv)
    started, cpu = time.perf_counter(), time.process_time()
    items = examples(args.data)
    print(
        f"{len(items)} questions whose paragraph is first, "
        f"{time.perf_counter() - started:.0f} s ({time.process_time() - cpu:.0f} s CPU)",
        file=sys.stderr,
    )
    reachable = sum(bool(e.holds.any()) for e in items) / len(items)
    print(f"a unit holds the gold answer for {reachable:.3f} of them (the ceiling)", file=sys.stderr)
    figures = cross_validate(items, args.C)
    final = fit(items, args.C)
    judged = judged_rate(final)
    judged_rule = judged_rate(rule_model())
    held_out = {
        "method": f"logistic regression per unit; GroupKFold({FOLDS}) by XQuAD article; C={args.C}",
        "xquad_answer_sentence": figures["model"],
        "xquad_answer_sentence_rule": figures["rule"],
        "xquad_questions": figures["questions"],
        "judged_answer_sentence": judged["contains"],
        "judged_answer_sentence_rule": judged_rule["contains"],
        "judged_first": judged["judged_first"],
    }
    model = SentenceModel(final.coefficients, final.intercept, held_out)
    model.save(args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    print(f"XQuAD-ru, paragraph first ({figures['questions']} questions), answer sentence holds the gold answer,")
    print(f"  held out (GroupKFold({FOLDS}) by article): model {figures['model']:.3f}, rule {figures['rule']:.3f}")
    print(
        f"judged set (not trained on), {judged['judged_first']} first hits judged: "
        f"model {judged['contains']:.3f}, rule {judged_rule['contains']:.3f}"
    )
    for name, weight in sorted(zip(SENTENCE_FEATURES, final.coefficients), key=lambda p: -abs(p[1])):
        print(f"  {name:>14} {weight:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
