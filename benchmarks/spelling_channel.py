"""Fit the spelling step's noisy channel (``search.spelling_channel``) on re-typed questions, in their context.

The spelling step (``search.spelling.SpellingStep``) ranks a typo's candidates by
a hand order and weighs the likeliest in the query's context
(``_in_context``); the fitted channel then looks at that pick and its rivals
together (``SpellingStep.channel_groups``: the typo's nearest candidates and
the context's alternatives, each with the hand order's features, its place in
that order, and how much of the query the best passage covers with it). This
script re-types XQuAD-ru's and RUTUBE's questions with the project's noise
generator (``search.noise``; one and two typos; seeds 0–2 to fit, 3–4 held
out), runs each through the engine's rewriter with the channel switched off,
and keeps every typo it corrected word for word whose candidates hold a form of
the original word's lemma (the engine searches lemmas). A scikit-learn
logistic regression over the candidates (label: a form of the original's
lemma) is fitted; its margin (how much a rival must outscore the hand pick) is
chosen by leave-one-seed-out cross-validation on the fitting seeds. Printed:
the pick's accuracy (hand order vs fitted) cross-validated and on the held-out
seeds per set and kind, and the calibration of the fitted probabilities on the
held-out seeds. ``--save`` writes the model as JSON (no pickle) to
``search/models/spelling_channel.json`` (or the path given).

    python -m benchmarks.spelling_channel [--train-seeds 0,1,2] [--test-seeds 3,4] [--kinds typo1,typo2]
        [--weights orthography=0.5] [--save [FILE]]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from benchmarks.robustness import SHARED, QuestionSet, rutube, xquad
from search.analysis import normalize
from search.noise import retype
from search.pipeline import Understand
from search.query import QueryRewriter
from search.rewrite import Rewrite
from search.spelling import SpellingStep
from search.spelling_channel import MODEL_FILE, PAIR_FEATURES, SpellingChannel, pair_features

WORD = re.compile(r"\w+")
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def rewriter(questions: QuestionSet) -> QueryRewriter:
    understand = next(stage for stage in questions.engine.pipeline.stages if isinstance(stage, Understand))
    return understand.rewriter


def examples(questions: QuestionSet, kinds: Sequence[str], seeds: Sequence[int]) -> list[dict]:
    """One group per typo the rewriter corrected word for word whose candidates hold a form of the original."""
    rewrite = rewriter(questions)
    step = next(s for s in rewrite.steps if isinstance(s, SpellingStep))
    step.channel = None  # the hand order's picks, as the model will see them
    morph = step.vocabulary.morph
    groups: list[dict] = []
    seen: list[list[tuple]] = []

    def capture(result: Rewrite) -> Rewrite:
        seen.append(step.channel_groups(result))
        return result

    step._channel_pick = capture  # type: ignore[method-assign]
    for kind in kinds:
        for seed in seeds:
            for qid, question, _ in questions.questions:
                text = retype(question, kind, zlib.crc32(f"{seed}:{kind}:{qid}".encode()))
                before, after = WORD.findall(question), WORD.findall(text)
                if text == question or len(before) != len(after):
                    continue
                meant = {normalize(t): normalize(o) for o, t in zip(before, after) if o != t}
                seen.clear()
                rewrite._rewrite(text, None)  # not the cached rewrite: the capture must run
                for correction, pool, rows in (g for found in seen for g in found):
                    original = meant.get(normalize(correction.original))
                    if original is None:
                        continue
                    lemma = morph.lemma(original).lemma
                    right = [morph.lemma(c).lemma == lemma for c in pool]
                    if any(right):
                        groups.append({"seed": seed, "kind": kind, "x": rows, "y": np.asarray(right), "pool": pool})
    return groups


def pairs(groups: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Each rival against its group's pick (``pair_features``); label: the rival is right and the pick is not."""
    x = np.vstack([pair_features(g["x"]) for g in groups])
    y = np.concatenate([g["y"][1:] & ~g["y"][0] for g in groups])
    return x, y


def fit(
    groups: list[dict], threshold: float = 0.5, notes: str = "", weights: dict[str, float] | None = None
) -> SpellingChannel:
    """``weights``: a sample weight per kind of noise (1 if not named), so one kind need not outweigh another."""
    x, y = pairs(groups)
    weight = np.concatenate([np.full(len(g["y"]) - 1, (weights or {}).get(g["kind"], 1.0)) for g in groups])
    scaler = StandardScaler().fit(x)
    scaler.scale_[scaler.scale_ == 0] = 1.0  # a column constant in training (the pick's own rank) reads as 0
    model = LogisticRegression(C=1.0, max_iter=5000).fit(scaler.transform(x), y, sample_weight=weight)
    return SpellingChannel(
        tuple(float(v) for v in scaler.mean_),
        tuple(float(v) for v in scaler.scale_),
        tuple(float(v) for v in model.coef_[0]),
        float(model.intercept_[0]),
        threshold,
        notes=notes,
    )


def accuracy(groups: list[dict], model: SpellingChannel | None) -> float:
    """How often the pick is a form of the original: the hand order's (``model`` None) or the model's."""
    if not groups:
        return float("nan")
    return sum(bool(g["y"][0 if model is None else model.pick(g["x"])]) for g in groups) / len(groups)


def main(argv: Sequence[str] | None = None) -> int:
    command = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    command.add_argument("--train-seeds", default="0,1,2")
    command.add_argument("--test-seeds", default="3,4")
    command.add_argument("--kinds", default="typo1,typo2")
    command.add_argument("--weights", default="", help="sample weight per kind, e.g. orthography=0.5")
    command.add_argument("--save", nargs="?", type=Path, const=MODEL_FILE, help="write the model (JSON)")
    args = command.parse_args(argv)
    train_seeds = [int(s) for s in args.train_seeds.split(",")]
    test_seeds = [int(s) for s in args.test_seeds.split(",")]
    kinds = args.kinds.split(",")
    weights = {kind: float(w) for kind, w in (item.split("=") for item in args.weights.split(",") if item)}
    wall, cpu = time.perf_counter(), time.process_time()
    train: list[dict] = []
    test: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        loaders = {
            "xquad": lambda: xquad(SHARED / "xquad", workdir),
            "rutube": lambda: rutube(SHARED / "rutube", workdir),
        }
        for name, load in loaders.items():
            questions = load()
            train += examples(questions, kinds, train_seeds)
            test[name] = examples(questions, kinds, test_seeds)
            print(f"{name}: examples read, {time.process_time() - cpu:.0f} s CPU", file=sys.stderr, flush=True)
    # The threshold, by leave-one-seed-out cross-validation on the fitting seeds.
    cv: dict[float, list[int]] = {t: [0, 0] for t in THRESHOLDS}
    for seed in train_seeds:
        inside = fit([g for g in train if g["seed"] != seed], weights=weights)
        outside = [g for g in train if g["seed"] == seed]
        for threshold in THRESHOLDS:
            model = replace(inside, threshold=threshold)
            cv[threshold][0] += sum(bool(g["y"][model.pick(g["x"])]) for g in outside)
            cv[threshold][1] += len(outside)
    print(f"fitting seeds {train_seeds}, kinds {kinds}: {len(train)} typos; the pick is a form of the original's lemma")
    print(f"  hand order {accuracy(train, None):.4f}")
    for threshold, (right, total) in cv.items():
        print(f"  fitted, leave-one-seed-out, threshold {threshold}: {right / total:.4f}")
    threshold = max(THRESHOLDS, key=lambda t: (cv[t][0], t))
    notes = f"fitted on {','.join(kinds)} seeds {args.train_seeds} of XQuAD-ru and RUTUBE; threshold by CV"
    if weights:
        notes += f"; weights {args.weights}"
    fitted = fit(train, threshold, notes, weights)
    print(f"held-out seeds {test_seeds}, threshold {threshold}:")
    print(f"{'set':8} {'kind':6} {'typos':>6} {'hand':>7} {'fitted':>7}")
    for name, groups in test.items():
        for kind in kinds:
            part = [g for g in groups if g["kind"] == kind]
            print(f"{name:8} {kind:6} {len(part):6d} {accuracy(part, None):7.4f} {accuracy(part, fitted):7.4f}")
    held = [g for groups in test.values() for g in groups]
    p = np.concatenate([fitted.probabilities(g["x"]) for g in held])
    y = pairs(held)[1]
    print("calibration on the held-out rivals (mean predicted → observed share, rivals):")
    for low, high in zip(np.linspace(0, 0.9, 10), np.linspace(0.1, 1.0, 10)):
        inside = (p >= low) & ((p < high) | (high == 1.0))
        if inside.any():
            print(f"  {low:.1f}–{high:.1f}: {p[inside].mean():.3f} → {y[inside].mean():.3f} ({inside.sum()})")
    weights = sorted(zip(PAIR_FEATURES, fitted.coef), key=lambda item: -abs(item[1]))[:12]
    print("largest coefficients (standardized):", {name: round(value, 2) for name, value in weights})
    print(f"wall {time.perf_counter() - wall:.0f} s, CPU {time.process_time() - cpu:.0f} s", file=sys.stderr)
    if args.save:
        fitted.save(args.save)
        print(f"saved {args.save}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
