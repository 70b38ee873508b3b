"""Robustness: the same questions as written and re-typed by the project's noise generator.

For each set (XQuAD-ru paragraphs, the judged queries, the RUTUBE development
half) and each noise kind of :mod:`search.noise` (wrong layout, three
transliteration schemes, one or two typos), every question is re-typed once
with a seed of its own and searched through the public API; Hit@1 and MRR@10
(ranx) are printed next to the clean figure, with how many questions the
noise actually changed.

With ``--lemmas`` it measures query understanding instead of ranking: the
share of re-typed questions (of those the noise changed) whose rewritten query
comes back to the clean query's lemmas (every clean term among the re-typed
query's terms or expansions; and, second, every clean term the corpus uses),
and ``--failures FILE`` writes the rest. The clean lemmas are always the
engine's reading of the question as written; the question re-typed is, first,
the question as written (the issue's measure: a question already misspelt or in
the wrong layout gets the noise on top), and, beside it, the engine's reading of
it (``reading``: the noise on the text the engine understood).

With ``--noise augmentex`` the re-typings are someone else's: the public
Russian corruption library ``augmentex`` (ai-forever; the ``bench`` and ``dev``
extras), standing for an outside noise model the project was never tuned on.
Its kinds (``AUGMENTEX_KINDS``) are ``char_*``: ``CharAug`` with
``unit_prob=0.1, min_aug=1, max_aug=2`` (one or two characters of the
question changed: a spelling error from its statistics, a neighbouring key, a
character dropped, inserted, repeated, swapped with the one before, its case
switched; spaces and punctuation included, so words get joined), and
``word_*``: ``WordAug`` with ``min_aug=max_aug=1`` (one word per question:
spelt out letter by letter, a filler word put before it, replaced by a
misspelling from its list). Left out: a word dropped or two words swapped
(nothing to recover: the words are all there, or one is gone), case reversed
(``char_shift`` covers case), emoji and n-gram replacements.

    python -m benchmarks.robustness [--sets xquad,judged,rutube] [--noise own|augmentex] [--kinds …] [--json]
                                    [--lemmas [--failures FILE]]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from search import SearchEngine
from search.corpus import CorpusWarning
from search.evaluation import load_judgments, ranx_scores, resolve_judgments
from search.noise import NOISE_KINDS, retype
from search.query import TEXT_STEPS

Retype = Callable[[str, str, int], str]

PROJECT = Path(__file__).resolve().parent.parent
SHARED = (PROJECT / ".." / "shared" / "benchmarks").resolve()
METRICS = ("hit_rate@1", "mrr@10")
SETS = ("xquad", "judged", "rutube")
# augmentex's actions that make sense for a typed query (see the module's docstring), and its settings: moderate.
AUGMENTEX_CHAR = ("orfo", "typo", "delete", "insert", "multiply", "swap", "shift")
AUGMENTEX_WORD = ("split", "stopword", "replace")
AUGMENTEX_KINDS = tuple(f"char_{a}" for a in AUGMENTEX_CHAR) + tuple(f"word_{a}" for a in AUGMENTEX_WORD)
AUGMENTEX_CHAR_SETTINGS = {"unit_prob": 0.1, "min_aug": 1, "max_aug": 2}
AUGMENTEX_WORD_SETTINGS = {"unit_prob": 0.1, "min_aug": 1, "max_aug": 1}


def augmentex_retype() -> Retype:
    """``retype`` through augmentex (imported here: a benchmark extra). Its generators draw from the global
    ``random`` and ``numpy.random`` states, so each call seeds both with the question's own seed."""
    import random

    import numpy as np
    from augmentex import CharAug, WordAug

    char = CharAug(lang="rus", platform="pc", **AUGMENTEX_CHAR_SETTINGS)
    word = WordAug(lang="rus", platform="pc", **AUGMENTEX_WORD_SETTINGS)

    def retype_with_augmentex(text: str, kind: str, seed: int) -> str:
        level, action = kind.split("_", 1)
        for attempt in range(8):
            random.seed(seed + attempt)
            np.random.seed((seed + attempt) % 2**32)
            try:
                return (char if level == "char" else word).augment(text=text, action=action)
            except IndexError:  # its «replace» fails on a token with no letters («—»): drawn again, seeded
                continue
        return text

    return retype_with_augmentex


@dataclass(frozen=True)
class QuestionSet:
    """Questions with their relevant ids, and how a hit is named (its passage or its document)."""

    engine: SearchEngine
    questions: list[tuple[str, str, frozenset[str]]]  # (id, question, relevant ids)
    hit_id: Callable[..., str]


def xquad(data: Path, workdir: Path) -> QuestionSet:
    from benchmarks.xquad import load_task

    task = load_task(data, "paragraphs")
    folder = workdir / "xquad"
    folder.mkdir()
    for name, text in task.candidates.items():
        (folder / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusWarning)
        engine = SearchEngine.from_directory(folder, index_dir=workdir / "xquad-index", progress=False)
    questions = [(qid, question, frozenset({relevant})) for qid, question, relevant in task.questions]
    return QuestionSet(engine, questions, lambda hit: hit.doc_id)


def judged(workdir: Path) -> QuestionSet:
    engine = SearchEngine.from_directory(PROJECT / "corpus", index_dir=workdir / "judged-index", progress=False)
    judgments = [j for j in load_judgments(PROJECT / "corpus" / "queries") if j.answerable]
    relevant = resolve_judgments(judgments, engine.passages)
    questions = [(f"j{n}", j.query, frozenset(relevant[j.query])) for n, j in enumerate(judgments)]
    return QuestionSet(engine, questions, lambda hit: hit.passage_id)


def rutube(data: Path, workdir: Path) -> QuestionSet:
    engine = SearchEngine.from_directory(data / "corpus", index_dir=workdir / "rutube-index", progress=False)
    questions = []
    for line in (data / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            questions.append((item["id"], item["query"], frozenset(item["relevant"])))
    return QuestionSet(engine, questions, lambda hit: hit.doc_id)


def measure(questions: QuestionSet, kind: str, seed: int, noise: Retype = retype) -> dict[str, float]:
    """The set's metrics with every question re-typed by ``kind`` ("clean": as written)."""
    qrels, run, changed = {}, {}, 0
    for qid, question, relevant in questions.questions:
        # A seed per question and kind, stable across runs and Python processes.
        text = question if kind == "clean" else noise(question, kind, zlib.crc32(f"{seed}:{kind}:{qid}".encode()))
        changed += text != question
        hits = questions.engine.search(text, k=30)
        qrels[qid] = set(relevant)
        run[qid] = list(dict.fromkeys(questions.hit_id(hit) for hit in hits))[:10]
    scores = ranx_scores(qrels, run, METRICS)
    return {
        **{m: sum(scores[m].values()) / len(scores[m]) for m in METRICS},
        "changed": changed / len(qrels),
        "questions": len(qrels),
    }


def recovery(
    questions: QuestionSet,
    kind: str,
    seed: int,
    failures: list[dict] | None = None,
    reading: bool = False,
    noise: Retype = retype,
) -> dict[str, float]:
    """The share of re-typed questions whose rewritten query has every lemma of the clean one, and (``corpus``)
    every lemma of the clean one the corpus uses, the ones retrieval reads: a word no document uses («промокод»,
    «борща» in questions the documents do not answer) finds nothing either way. ``reading``: the noise is put on
    the engine's reading of the question (its rewritten text), not on the question as written, so a question
    already misspelt («обратный званок») is re-typed from what the engine understood («обратный звонок»)."""
    engine = questions.engine
    lexicon = engine.lexicon
    same = total = in_corpus = 0
    for qid, question, _ in questions.questions:
        clean = engine.search(question, k=1).query
        source = clean.rewritten if reading else question
        text = noise(source, kind, zlib.crc32(f"{seed}:{kind}:{qid}".encode()))
        if text == source:
            continue
        total += 1
        typed = engine.search(text, k=1).query
        lost = set(clean.terms) - set(typed.terms) - set(typed.expansions)
        same += not lost
        in_corpus += not any(term in lexicon for term in lost)
        if lost and failures is not None:
            failures.append(
                {
                    "kind": kind,
                    "retyped": "reading" if reading else "question",
                    "clean": question,
                    "typed": text,
                    "rewritten": typed.rewritten,
                    "lost": sorted(lost),
                    "lost_in_corpus": sorted(term for term in lost if term in lexicon),
                }
            )
    return {
        "recovered": same / total if total else 1.0,
        "corpus": in_corpus / total if total else 1.0,
        "changed": total,
        "questions": len(questions.questions),
    }


def rewritten_as_typed(questions: QuestionSet, changed: list[dict] | None = None) -> dict[str, float]:
    """How many questions, as written, the text steps (layout, transliteration, spelling) change a word of:
    well-typed text should come through untouched."""
    count = 0
    for _, question, _ in questions.questions:
        info = questions.engine.search(question, k=1).query
        made = [c for c in info.corrections if c.step in TEXT_STEPS]
        count += bool(made)
        if made and changed is not None:
            changed.append({"clean": question, "rewritten": info.rewritten})
    return {"rewritten": count, "questions": len(questions.questions)}


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(prog="python -m benchmarks.robustness", description=__doc__.split("\n")[0])
    command.add_argument("--sets", default=",".join(SETS), help="comma-separated: %(default)s")
    command.add_argument(
        "--noise", choices=("own", "augmentex"), default="own", help="whose noise model re-types (default: %(default)s)"
    )
    command.add_argument("--kinds", help="noise kinds (default: all of the noise model's)")
    command.add_argument("--xquad", type=Path, default=SHARED / "xquad", help="XQuAD folder (default: %(default)s)")
    command.add_argument("--rutube", type=Path, default=SHARED / "rutube", help="RUTUBE folder (default: %(default)s)")
    command.add_argument("--seed", type=int, default=0)
    command.add_argument("--json", action="store_true", help="print one JSON object: set → kind → metric")
    command.add_argument("--lemmas", action="store_true", help="measure lemma recovery instead of ranking")
    command.add_argument("--failures", type=Path, help="with --lemmas: write the unrecovered questions (JSON lines)")
    return command


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    valid = AUGMENTEX_KINDS if args.noise == "augmentex" else NOISE_KINDS
    kinds = ["clean", *(k for k in (args.kinds or ",".join(valid)).split(",") if k)]
    if unknown := set(kinds[1:]) - set(valid):
        raise SystemExit(f"error: unknown noise kinds {sorted(unknown)}; choose from: {', '.join(valid)}")
    noise = augmentex_retype() if args.noise == "augmentex" else retype
    if unknown := set(args.sets.split(",")) - set(SETS):
        raise SystemExit(f"error: unknown sets {sorted(unknown)}; choose from: {', '.join(SETS)}")
    report: dict[str, dict[str, dict[str, float]]] = {}
    failures: list[dict] = []
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        loaders = {
            "xquad": lambda: xquad(args.xquad, workdir),
            "judged": lambda: judged(workdir),
            "rutube": lambda: rutube(args.rutube, workdir),
        }
        for name in args.sets.split(","):
            started = time.perf_counter()
            questions = loaders[name]()
            if args.lemmas:
                report[name] = {}
                touched: list[dict] = []
                report[name]["clean"] = rewritten_as_typed(questions, touched)
                failures.extend({"set": name, "kind": "clean", **row} for row in touched)
                for kind in kinds[1:]:
                    lost: list[dict] = []
                    report[name][kind] = recovery(questions, kind, args.seed, lost, noise=noise)
                    reading = recovery(questions, kind, args.seed, lost, reading=True, noise=noise)
                    report[name][kind]["reading"] = reading["recovered"]
                    failures.extend({"set": name, **row} for row in lost)
            else:
                report[name] = {kind: measure(questions, kind, args.seed, noise) for kind in kinds}
            print(f"{name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.failures is not None:
        args.failures.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in failures), "utf-8")
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    if args.lemmas:
        print(f"\n{'noise':<20}" + "".join(f"{name:>16}" for name in report))
        cells = (f"{rows['clean']['rewritten']:.0f} of {rows['clean']['questions']:.0f}" for rows in report.values())
        print(f"{'clean: rewritten':<20}" + "".join(f"{cell:>16}" for cell in cells))
        for kind in kinds[1:]:
            cells = (f"{rows[kind]['recovered']:.3f} ({rows[kind]['changed']:.0f})" for rows in report.values())
            print(f"{kind:<20}" + "".join(f"{cell:>16}" for cell in cells))
        print("\nthe engine's reading of each question re-typed (not the question as written):")
        for kind in kinds[1:]:
            cells = (f"{rows[kind]['reading']:.3f}" for rows in report.values())
            print(f"{kind:<20}" + "".join(f"{cell:>16}" for cell in cells))
        print("\nof the lemmas the corpus uses:")
        for kind in kinds[1:]:
            cells = (f"{rows[kind]['corpus']:.3f}" for rows in report.values())
            print(f"{kind:<20}" + "".join(f"{cell:>16}" for cell in cells))
        return 0
    for name, rows in report.items():
        clean = rows["clean"]
        print(f"\n{name} ({int(clean['questions'])} questions)")
        print(f"{'noise':<20}{'hit@1':>8}{'Δ':>8}{'mrr@10':>8}{'Δ':>8}{'changed':>9}")
        for kind, row in rows.items():
            delta1, delta2 = row["hit_rate@1"] - clean["hit_rate@1"], row["mrr@10"] - clean["mrr@10"]
            print(
                f"{kind:<20}{row['hit_rate@1']:>8.3f}{delta1:>+8.3f}{row['mrr@10']:>8.3f}{delta2:>+8.3f}"
                f"{row['changed']:>9.0%}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
