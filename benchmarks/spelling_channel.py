"""A fitted noisy channel for the spelling pick: does a logistic regression beat the hand-ordered tie-breaks?

The spelling step (``search.query.SpellingStep``) ranks a typo's candidates by
distance, then tier (corpus word, form of a corpus lemma, dictionary word),
slip of the finger, first letter, keyboard cost, corpus and language
frequency, all hand-ordered. This script re-types the words of XQuAD-ru and
RUTUBE questions with the project's noise generator (``search.noise``, two
typos), keeps each re-typed word the step would correct whose candidates hold
the original, and fits a scikit-learn logistic regression over per-candidate
features (label: the candidate is the original word) on the training seeds.
On held-out seeds it prints, per set, how often the hand order and the fitted
model pick the original (top-1 among the candidates), with the fitted model
ranking either all candidates or only those at the nearest distance.
``--lemma`` counts any form of the original's lemma as right (the engine
searches lemmas). ``--save FILE`` writes the coefficients as JSON (no pickle).
Measured and not adopted: the offline gain does not carry to lemma recovery
end to end (README, "A fitted noisy channel, measured and not adopted").

    python -m benchmarks.spelling_channel [--train-seeds 0,1,2] [--test-seeds 3,4] [--lemma] [--save FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from benchmarks.robustness import SHARED, QuestionSet, rutube, xquad
from search.analysis import normalize
from search.noise import retype
from search.pipeline import Understand
from search.query import SpellingStep, Vocabulary, _first_two_swapped, _misheard, finger_slips, keyboard_cost, slip_cost

WORD = re.compile(r"[а-яё]+", re.IGNORECASE)


CHANNEL_FEATURES = (
    "distance",
    "corpus_word",
    "corpus_lemma",
    "dictionary_only",
    "function_word",
    "unslipped",
    "misheard",
    "first_letter_differs",
    "slip_cost",
    "keyboard_cost",
    "length_difference",
    "corpus_zipf",
    "language_zipf",
    "no_frequency",
)


def channel_features(vocabulary: Vocabulary, typed: str, candidate: str, distance: int) -> list[float]:
    """What the hand order of ``SpellingStep._ranked`` reads of a candidate, as numbers (``CHANNEL_FEATURES``)."""
    count = vocabulary.counts.get(candidate, 0)
    lemma_in_corpus = not count and vocabulary.lemma_in_corpus(candidate)
    language = vocabulary.frequency(candidate)
    return [
        float(distance),
        float(bool(count)),
        float(lemma_in_corpus),
        float(not count and not lemma_in_corpus),
        float(vocabulary.morph.lemma(candidate).function_word),
        float(finger_slips(typed, candidate) > distance),
        float(_misheard(typed, candidate)),
        float(candidate[0] != typed[0] and not _first_two_swapped(typed, candidate)),
        float(slip_cost(typed, candidate)),
        float(keyboard_cost(typed, candidate)),
        float(len(candidate) - len(typed)),
        vocabulary.corpus_frequency(candidate),
        language,
        float(language == 0),
    ]


def spelling_step(questions: QuestionSet) -> SpellingStep:
    """The set's spelling step, whose hand order the fitted model is compared with."""
    understand = next(stage for stage in questions.engine.pipeline.stages if isinstance(stage, Understand))
    step = next(step for step in understand.rewriter.steps if isinstance(step, SpellingStep))
    return step


def examples(questions: QuestionSet, step: SpellingStep, seeds: Sequence[int], lemma: bool) -> list[dict]:
    """One group per re-typed word the step corrects whose candidates hold the original word."""
    groups = []
    for seed in seeds:
        for qid, question, _ in questions.questions:
            text = retype(question, "typo2", zlib.crc32(f"{seed}:typo2:{qid}".encode()))
            before, after = WORD.findall(question), WORD.findall(text)
            if len(before) != len(after):
                continue
            for original, typo in zip(before, after):
                original, typo = normalize(original), normalize(typo)
                if original == typo or step.correct(typo) is None:
                    continue
                candidates = step._candidates(typo)
                if original not in candidates or len(candidates) < 2:
                    continue
                order = list(candidates)
                morph = step.vocabulary.morph
                meant = morph.lemma(original).lemma
                # Right: the original word, or (``lemma``) any form of its lemma: the engine searches lemmas.
                right = [c for c in order if c == original or (lemma and morph.lemma(c).lemma == meant)]
                groups.append(
                    {
                        "typed": typo,
                        "original": original,
                        "right": right,
                        "candidates": order,
                        "distances": [candidates[c] for c in order],
                        "hand": step._ranked(typo, candidates)[0],
                        "x": [channel_features(step.vocabulary, typo, c, candidates[c]) for c in order],
                    }
                )
    return groups


def pick(model: LogisticRegression, scaler: StandardScaler, group: dict, nearest: bool) -> str:
    scores = model.decision_function(scaler.transform(np.asarray(group["x"])))
    if nearest:
        least = min(group["distances"])
        scores = np.where(np.asarray(group["distances"]) == least, scores, -math.inf)
    return group["candidates"][int(np.argmax(scores))]


def main(argv: Sequence[str] | None = None) -> int:
    command = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    command.add_argument("--train-seeds", default="0,1,2")
    command.add_argument("--test-seeds", default="3,4")
    command.add_argument("--lemma", action="store_true", help="a form of the original's lemma counts as right")
    command.add_argument("--save", type=Path, help="write the fitted coefficients here (JSON)")
    args = command.parse_args(argv)
    train_seeds = [int(s) for s in args.train_seeds.split(",")]
    test_seeds = [int(s) for s in args.test_seeds.split(",")]
    wall, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sets = {"xquad": xquad(SHARED / "xquad", workdir), "rutube": rutube(SHARED / "rutube", workdir)}
        train: list[dict] = []
        test: dict[str, list[dict]] = {}
        for name, questions in sets.items():
            step = spelling_step(questions)
            train += examples(questions, step, train_seeds, args.lemma)
            test[name] = examples(questions, step, test_seeds, args.lemma)
    x = np.asarray([row for group in train for row in group["x"]])
    y = np.asarray([c in group["right"] for group in train for c in group["candidates"]])
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x), y)
    train_hand = sum(g["hand"] in g["right"] for g in train) / len(train)
    train_fit = sum(pick(model, scaler, g, False) in g["right"] for g in train) / len(train)
    print(f"train seeds {train_seeds}: {len(train)} typos; hand order {train_hand:.3f}, fitted {train_fit:.3f}")
    print(f"held-out seeds {test_seeds}: top-1 pick of the original among the candidates")
    print(f"{'set':8} {'typos':>6} {'hand':>7} {'fitted':>7} {'fitted, nearest':>16}")
    for name, groups in test.items():
        hand = sum(g["hand"] in g["right"] for g in groups) / len(groups)
        fitted = sum(pick(model, scaler, g, False) in g["right"] for g in groups) / len(groups)
        nearest = sum(pick(model, scaler, g, True) in g["right"] for g in groups) / len(groups)
        print(f"{name:8} {len(groups):6d} {hand:7.3f} {fitted:7.3f} {nearest:16.3f}")
    print("coefficients (standardized):", dict(zip(CHANNEL_FEATURES, np.round(model.coef_[0], 3).tolist())))
    print(f"wall {time.perf_counter() - wall:.0f} s, CPU {time.process_time() - cpu:.0f} s", file=sys.stderr)
    if args.save:
        state = {
            "features": list(CHANNEL_FEATURES),
            "mean": scaler.mean_.tolist(),
            "scale": scaler.scale_.tolist(),
            "coef": model.coef_[0].tolist(),
            "intercept": float(model.intercept_[0]),
            "train_seeds": train_seeds,
        }
        args.save.write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
