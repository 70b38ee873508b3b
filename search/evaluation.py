"""Relevance evaluation: judged queries, runs of the engine, metrics through ranx.

    judged queries (JSONL) ─► resolved to current passages ─► qrels
    engine.search per query ─► run ─► ranx ─► Evaluation (overall, per kind, per query, no-answer)

A judgment names its relevant passages by content — a document id and a short
exact string of the answering text — never by passage id, so it survives
re-chunking. Each evaluation resolves the strings against the engine's current
passages and refuses (:class:`JudgmentError`) when one no longer resolves.

>>> from search import SearchEngine
>>> from search.evaluation import evaluate, load_judgments
>>> engine = SearchEngine.from_directory("corpus")
>>> result = evaluate(engine, load_judgments("corpus/queries"))
>>> sorted(result.metrics)
['hit_rate@1', 'mrr@10', 'ndcg@10', 'recall@10', 'recall@5']

The metrics are ranx's, under ranx's names. Queries the documents do not
answer (``"relevant": []``) take no part in them; for those the evaluation
reports how often the engine says "nothing found" (``SearchResults.answered``
is false), and how often it wrongly says so on answerable ones.
"""

from __future__ import annotations

import json
import statistics
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .analysis import Analyzer, normalize
from .corpus import read_corpus
from .engine import SearchEngine
from .fusion import Fusion, reciprocal_rank_fusion
from .passages import Passage
from .retrievers import RETRIEVERS

__all__ = [
    "CONFIGURATIONS",
    "METRICS",
    "Configuration",
    "Evaluation",
    "FusionTuning",
    "Judgment",
    "JudgmentError",
    "QueryOutcome",
    "Relevant",
    "answer_sentences",
    "rewriting_effect",
    "build_engine",
    "evaluate",
    "evaluate_configurations",
    "format_table",
    "load_judgments",
    "ranx_scores",
    "resolve_judgments",
    "tune_fusion",
]

METRICS = ("mrr@10", "ndcg@10", "recall@5", "recall@10", "hit_rate@1")
UNANSWERABLE = "unanswerable"
JUDGMENT_SUFFIXES = (".jsonl",)


class JudgmentError(ValueError):
    """A judged-query file is malformed, or a judgment no longer resolves to any passage."""


@dataclass(frozen=True, slots=True)
class Relevant:
    """A relevant passage, named by content: the passage of ``doc`` whose text contains ``contains``."""

    doc: str
    contains: str


@dataclass(frozen=True, slots=True)
class Judgment:
    """One judged query: its text, its kind (``typo``, ``fact``, …) and what answers it (nothing, if empty)."""

    query: str
    kind: str
    relevant: tuple[Relevant, ...] = ()
    source: str = ""  # "file:line", for error messages

    @property
    def answerable(self) -> bool:
        return bool(self.relevant)


# --- reading and resolving judgments ------------------------------------------------------


def load_judgments(path: str | Path) -> list[Judgment]:
    """The judged queries of a ``.jsonl`` file, or of every ``.jsonl`` file in a folder (sorted by name).

    One JSON object a line: ``{"query": …, "kind": …, "relevant": [{"doc": …, "contains": …}]}``;
    ``"relevant": []`` marks a query the documents do not answer. Blank lines are skipped.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in JUDGMENT_SUFFIXES)
        if not files:
            raise JudgmentError(f"no judged queries (*.jsonl) in {path}")
    elif path.is_file():
        files = [path]
    else:
        raise JudgmentError(f"judged queries not found: {path}")
    judgments: list[Judgment] = []
    seen: dict[str, str] = {}
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{file.name}:{number}"
            judgment = _parse_judgment(line, where)
            if judgment.query in seen:
                raise JudgmentError(f"{where}: query {judgment.query!r} is already judged at {seen[judgment.query]}")
            seen[judgment.query] = where
            judgments.append(judgment)
    return judgments


def _parse_judgment(line: str, where: str) -> Judgment:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise JudgmentError(f"{where}: not JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise JudgmentError(f"{where}: expected an object")
    query, kind, relevant = data.get("query"), data.get("kind"), data.get("relevant")
    if not isinstance(query, str) or not query.strip():
        raise JudgmentError(f"{where}: 'query' must be a non-empty string")
    if not isinstance(kind, str) or not kind.strip():
        raise JudgmentError(f"{where}: 'kind' must be a non-empty string")
    if not isinstance(relevant, list):
        raise JudgmentError(f"{where}: 'relevant' must be a list (empty for a question the documents do not answer)")
    items = []
    for item in relevant:
        strings = isinstance(item, dict) and all(isinstance(item.get(k), str) and item[k] for k in ("doc", "contains"))
        if not strings:
            raise JudgmentError(f"{where}: each relevant entry needs a 'doc' and a non-empty 'contains' string")
        items.append(Relevant(item["doc"], item["contains"]))
    if kind == UNANSWERABLE and items:
        raise JudgmentError(f"{where}: an {UNANSWERABLE!r} query cannot have relevant passages")
    return Judgment(query, kind, tuple(items), where)


def _comparable(text: str) -> str:
    # Normalized (case, ё, dashes, exotic spaces) with whitespace collapsed, so a judgment
    # written by hand matches the text whatever hyphen or line break the document uses.
    return " ".join(normalize(text).split())


def resolve_judgments(judgments: Iterable[Judgment], passages: Sequence[Passage]) -> dict[str, frozenset[str]]:
    """Each judged query's relevant passage ids among ``passages``.

    Raises :class:`JudgmentError` naming every relevant entry that matches no
    passage (its document is gone, or the string is no longer inside one passage).
    """
    texts: dict[str, list[tuple[str, str]]] = {}
    for passage in passages:
        texts.setdefault(passage.doc_id, []).append((passage.id, _comparable(passage.text)))
    resolved: dict[str, frozenset[str]] = {}
    missing: list[str] = []
    for judgment in judgments:
        ids: set[str] = set()
        for relevant in judgment.relevant:
            needle = _comparable(relevant.contains)
            found = [pid for pid, text in texts.get(relevant.doc, ()) if needle in text]
            if not found:
                missing.append(
                    f"{judgment.source} {judgment.query!r}: no passage of {relevant.doc!r} contains "
                    f"{relevant.contains!r}"
                )
            ids.update(found)
        resolved[judgment.query] = frozenset(ids)
    if missing:
        raise JudgmentError(f"{len(missing)} judgment(s) resolve to no passage:\n  " + "\n  ".join(missing))
    return resolved


# --- metrics through ranx -----------------------------------------------------------------


def ranx_scores(
    qrels: Mapping[str, Iterable[str]], run: Mapping[str, Sequence[str]], metrics: Sequence[str] = METRICS
) -> dict[str, dict[str, float]]:
    """Per-query ranx scores, ``{metric: {query id: score}}``, for ranked lists of ids judged by sets of ids.

    Every query of ``qrels`` needs at least one relevant id; a query missing
    from ``run`` (or with nothing retrieved) scores 0.
    """
    # Imported here: ranx brings numba (seconds to import and JIT), which searching never needs.
    from ranx import Qrels, Run
    from ranx import evaluate as ranx_evaluate

    # ranx orders a run by score: give the ranked ids strictly decreasing scores so it keeps the engine's order.
    ranked = {qid: {doc: float(len(ids) - i) for i, doc in enumerate(ids)} for qid, ids in run.items() if qid in qrels}
    if not any(ranked.values()):  # nothing retrieved at all (ranx cannot hold a run without documents)
        return {metric: dict.fromkeys(qrels, 0.0) for metric in metrics}
    run_ = Run.from_dict({qid: ranked.get(qid, {}) for qid in qrels})
    qrels_ = Qrels.from_dict({qid: {doc: 1 for doc in relevant} for qid, relevant in qrels.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety chatter on uint64 casts inside ranx
        ranx_evaluate(qrels_, run_, list(metrics), return_mean=False, make_comparable=True)
    return {metric: {qid: float(run_.scores[metric][qid]) for qid in qrels} for metric in metrics}


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return float(np.mean(values)) if values else float("nan")


def _distribution(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    quartiles = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else [values[0]] * 3
    return {"min": min(values), "q1": quartiles[0], "median": quartiles[1], "q3": quartiles[2], "max": max(values)}


# --- evaluating one engine ----------------------------------------------------------------------


@dataclass(frozen=True)
class QueryOutcome:
    """What the engine did with one judged query."""

    query: str
    kind: str
    relevant: frozenset[str]  # passage ids
    ranked: tuple[str, ...]  # passage ids, best first
    answered: bool
    top_score: float  # 0 when nothing came back
    coverage: float
    scores: dict[str, float] = field(default_factory=dict)  # per-query metrics (answerable queries only)
    top_citation: str = ""

    @property
    def answerable(self) -> bool:
        return bool(self.relevant)

    @property
    def first_relevant_rank(self) -> int | None:
        """1-based rank of the first relevant passage within the retrieved depth, else None."""
        for rank, pid in enumerate(self.ranked, 1):
            if pid in self.relevant:
                return rank
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "kind": self.kind,
            "relevant": sorted(self.relevant),
            "ranked": list(self.ranked),
            "first_relevant_rank": self.first_relevant_rank,
            "answered": self.answered,
            "top_score": self.top_score,
            "coverage": self.coverage,
            "scores": self.scores,
        }


@dataclass(frozen=True)
class Evaluation:
    """The result of running a judged set through one configuration.

    ``metrics`` are means over answerable queries; ``kinds`` the same per
    query kind, each with ``count`` and ``nothing_found`` (the share of its
    queries for which the engine said nothing was found: right for the
    ``unanswerable`` kind, wrong for the others); ``no_answer`` holds those
    rates overall and the distributions of the top score and of the coverage.
    """

    name: str
    retriever: str
    stemmer: str
    metrics: dict[str, float]
    kinds: dict[str, dict[str, float]]
    no_answer: dict[str, Any]
    outcomes: tuple[QueryOutcome, ...]

    def failures(self, metric: str = "hit_rate@1") -> list[QueryOutcome]:
        """Answerable queries whose relevant passage did not come first (by ``metric`` < 1), worst first."""
        bad = [o for o in self.outcomes if o.answerable and o.scores.get(metric, 0.0) < 1.0]
        return sorted(bad, key=lambda o: -(o.first_relevant_rank or 1_000_000))  # not found at all first

    def to_json(self, outcomes: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "retriever": self.retriever,
            "stemmer": self.stemmer,
            "metrics": self.metrics,
            "kinds": self.kinds,
            "no_answer": self.no_answer,
        }
        if outcomes:
            data["queries"] = [o.to_json() for o in self.outcomes]
        return data

    def table(self) -> str:
        """The metrics overall and per kind, as a text table."""
        answerable = {
            "count": self.no_answer["answerable"],
            **self.metrics,
            "nothing_found": self.no_answer["answerable_rate"],
        }
        rows = {"all answerable": answerable, **self.kinds}
        return format_table(rows, ["count", *self.metrics, "nothing_found"], first=self.name)

    def __repr__(self) -> str:
        shown = ", ".join(f"{m}={v:.3f}" for m, v in self.metrics.items())
        return f"Evaluation({self.name!r}, {len(self.outcomes)} queries, {shown})"


def evaluate(
    engine: SearchEngine,
    judgments: Sequence[Judgment],
    *,
    retriever: str | None = None,
    depth: int = 20,
    metrics: Sequence[str] = METRICS,
    name: str | None = None,
    rewrite: bool | Collection[str] = True,
) -> Evaluation:
    """Search every judged query (the ``depth`` best passages) and score the rankings with ranx.
    ``retriever=None`` is the engine's default ranking.

    >>> evaluate(engine, judgments, retriever="bm25").metrics["mrr@10"]  # doctest: +SKIP
    0.8...
    """
    retriever = engine.default_ranking if retriever is None else retriever
    relevant = resolve_judgments(judgments, engine.passages)
    outcomes = []
    for judgment in judgments:
        results = engine.search(judgment.query, k=depth, retriever=retriever, rewrite=rewrite)
        outcomes.append(
            QueryOutcome(
                query=judgment.query,
                kind=judgment.kind,
                relevant=relevant[judgment.query],
                ranked=tuple(hit.passage_id for hit in results),
                answered=results.answered,
                top_score=results[0].score if len(results) else 0.0,
                coverage=results.coverage,
                top_citation=results[0].citation if len(results) else "",
            )
        )
    qrels = {o.query: o.relevant for o in outcomes if o.answerable}
    per_query = ranx_scores(qrels, {o.query: o.ranked for o in outcomes}, metrics)
    outcomes = [replace(o, scores={m: per_query[m][o.query] for m in metrics}) if o.answerable else o for o in outcomes]
    return _summarise(name or retriever, retriever, engine.analyzer.settings.get("stemmer", ""), outcomes, metrics)


def _summarise(
    name: str, retriever: str, stemmer: str, outcomes: Sequence[QueryOutcome], metrics: Sequence[str]
) -> Evaluation:
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    overall = {m: _mean(o.scores[m] for o in answerable) for m in metrics}
    kinds: dict[str, dict[str, float]] = {}
    for kind in dict.fromkeys(o.kind for o in outcomes):
        group = [o for o in outcomes if o.kind == kind]
        scored = [o for o in group if o.answerable]
        kinds[kind] = {
            "count": len(group),
            **{m: _mean(o.scores[m] for o in scored) for m in metrics},
            "nothing_found": _mean(float(not o.answered) for o in group),
        }
    no_answer = {
        "unanswerable": len(unanswerable),
        "unanswerable_rate": _mean(float(not o.answered) for o in unanswerable),  # right to say "nothing found"
        "answerable": len(answerable),
        "answerable_rate": _mean(float(not o.answered) for o in answerable),  # wrong to say it
        "top_score": {
            "answerable": _distribution([o.top_score for o in answerable]),
            "unanswerable": _distribution([o.top_score for o in unanswerable]),
        },
        "coverage": {
            "answerable": _distribution([o.coverage for o in answerable]),
            "unanswerable": _distribution([o.coverage for o in unanswerable]),
        },
    }
    return Evaluation(name, retriever, stemmer, overall, kinds, no_answer, tuple(outcomes))


def format_table(rows: Mapping[str, Mapping[str, float]], columns: Sequence[str], first: str = "") -> str:
    """A plain-text table: one row per key of ``rows``, the given ``columns``, rates with 3 decimals."""
    width = max([len(first), *map(len, rows)]) + 2
    sizes = [max(12, len(column) + 2) for column in columns]
    lines = [first.ljust(width) + "".join(f"{c:>{n}}" for c, n in zip(columns, sizes))]
    for label, values in rows.items():
        cells = []
        for column, n in zip(columns, sizes):
            value = values.get(column, float("nan"))
            if column == "count":
                cells.append(f"{int(value):>{n}d}")
            else:
                cells.append(f"{'–':>{n}}" if value != value else f"{value:>{n}.3f}")  # NaN: not applicable
        lines.append(label.ljust(width) + "".join(cells))
    return "\n".join(lines)


# --- configurations -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Configuration:
    """A named way to search: which analysis (``stemmer``) and which ``retriever`` ("hybrid" = fusion,
    "learned" = its learned re-ranking, None = the engine's default: learned where the index can run it)."""

    name: str
    stemmer: str = "pymorphy3"
    retriever: str | None = None
    rewrite: bool = True  # False: the words exactly as typed (no layout, translit, spelling, synonyms)


# The engine's default first; then each retriever alone, under lemmas, Snowball stems and raw tokens.
CONFIGURATIONS: tuple[Configuration, ...] = (
    Configuration("default", "pymorphy3", None),
    Configuration("default-exact", "pymorphy3", None, rewrite=False),
    Configuration("hybrid", "pymorphy3", "hybrid"),
    Configuration("bm25", "pymorphy3", "bm25"),
    Configuration("tfidf", "pymorphy3", "tfidf"),
    Configuration("snowball", "snowball", "hybrid"),
    Configuration("snowball-bm25", "snowball", "bm25"),
    Configuration("snowball-tfidf", "snowball", "tfidf"),
    Configuration("raw", "none", "hybrid"),
    Configuration("raw-bm25", "none", "bm25"),
    Configuration("raw-tfidf", "none", "tfidf"),
)


def build_engine(corpus: str | Path, stemmer: str = "pymorphy3", *, fusion: Fusion | None = None) -> SearchEngine:
    """An in-memory engine for a corpus folder (its ``synonyms.txt`` included) under another analysis.

    Builds without touching the folder's saved index, so comparing analyzers never
    overwrites the index the page and the CLI use.
    """
    corpus = Path(corpus)
    synonyms = corpus / "synonyms.txt"
    return SearchEngine.build(
        read_corpus(corpus),
        analyzer=Analyzer(stemmer=stemmer),
        fusion=fusion,
        synonyms=synonyms.read_text(encoding="utf-8") if synonyms.is_file() else "",
        progress=False,
        retrievers=[name for name, cls in RETRIEVERS.items() if cls.available()],  # the tuning can weigh each
    )


def rewriting_effect(
    engine: SearchEngine, judgments: Sequence[Judgment], metrics: Sequence[str] = ("mrr@10", "hit_rate@1")
) -> dict[str, dict[str, dict[str, float]]]:
    """Each rewriting step's effect per query kind: none, each step alone, all of them.

    Returns configuration → kind → metric, the kinds including ``all answerable``.
    """
    steps: dict[str, bool | tuple[str, ...]] = {"no rewriting": False}
    steps |= {f"{step} only": (step,) for step in engine.steps}
    steps["all steps"] = True
    effect = {}
    for label, rewrite in steps.items():
        result = evaluate(engine, judgments, rewrite=rewrite, metrics=metrics, name=label)
        effect[label] = {"all answerable": result.metrics, **result.kinds}
    return effect


def answer_sentences(engine: SearchEngine, judgments: Sequence[Judgment]) -> dict[str, float]:
    """How often the first hit's answer sentence contains the judged answer string.

    Counted over the queries whose first hit is a judged answer (``judged_first``);
    ``contains`` is the share of those whose ``hit.answer`` holds one of the
    judged strings of that passage.
    """
    first = contains = 0
    for judgment in judgments:
        results = engine.search(judgment.query, k=1)
        if not judgment.answerable or not len(results):
            continue
        hit = results[0]
        wanted = [r.contains for r in judgment.relevant if r.doc == hit.doc_id and r.contains in hit.text]
        if wanted:
            first += 1
            contains += any(string in hit.answer for string in wanted)
    return {"judged_first": first, "contains": contains / first if first else 0.0}


def evaluate_configurations(
    corpus: str | Path | Mapping[str, SearchEngine],
    judgments: Sequence[Judgment],
    configurations: Sequence[Configuration] = CONFIGURATIONS,
    **options: Any,
) -> dict[str, Evaluation]:
    """Evaluate each configuration; ``corpus`` is a folder or ready engines by stemmer name.

    One engine is built per stemmer and shared by the configurations that use it.
    """
    engines: dict[str, SearchEngine] = dict(corpus) if isinstance(corpus, Mapping) else {}
    results = {}
    for configuration in configurations:
        if configuration.stemmer not in engines:
            engines[configuration.stemmer] = build_engine(corpus, configuration.stemmer)  # type: ignore[arg-type]
        engine = engines[configuration.stemmer]
        results[configuration.name] = evaluate(
            engine,
            judgments,
            retriever=configuration.retriever,
            name=configuration.name,
            rewrite=configuration.rewrite,
            **options,
        )
    return results


# --- fusion tuning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FusionTuning:
    """A cross-validated choice of fusion weights and RRF k.

    ``candidates`` holds every grid point's mean ``metric`` (and the other
    metrics) over all answerable queries; ``folds`` what each fold chose on
    its training queries and how that choice and the ``baseline`` (the
    engine's fusion when tuning started) did on the held-out queries.
    """

    metric: str
    baseline: Fusion
    settings: Fusion  # the engine's fusion while tuning: its depth and thresholds are kept
    candidates: list[dict[str, Any]]  # {"weights", "k", metric: mean, …}, best first
    folds: list[dict[str, Any]]  # {"fold", "queries", "chosen", "train", "test", "baseline_test"}

    @property
    def best(self) -> Fusion:
        """The grid point with the best mean over all queries (ties: the earlier grid point)."""
        top = self.candidates[0]
        return replace(self.settings, weights=dict(top["weights"]), k=top["k"])

    @property
    def cross_validated(self) -> dict[str, float]:
        """Held-out means of the tuned choice and of the baseline, weighted by fold size."""
        total = sum(f["queries"] for f in self.folds)
        return {
            "tuned": sum(f["test"] * f["queries"] for f in self.folds) / total,
            "baseline": sum(f["baseline_test"] * f["queries"] for f in self.folds) / total,
        }


def weight_grid(names: Sequence[str], levels: Sequence[float] = (0.0, 0.5, 1.0)) -> list[dict[str, float]]:
    """Every weighting of ``names`` over ``levels`` whose largest weight is the largest level.

    RRF is unchanged when all weights are scaled together, so only one of each
    proportional family is kept.
    """
    top = max(levels)
    grid = []
    for combination in np.array(np.meshgrid(*[levels] * len(names), indexing="ij")).reshape(len(names), -1).T:
        if combination.max() == top:
            grid.append({name: float(w) for name, w in zip(names, combination)})
    return grid


def _folds(judgments: Sequence[Judgment], folds: int, seed: int) -> list[int]:
    """A fold number per query, stratified by kind (each kind spread over the folds), reproducible."""
    rng = np.random.default_rng(seed)
    assignment = [0] * len(judgments)
    offset = 0
    for kind in sorted({j.kind for j in judgments}):
        members = [i for i, j in enumerate(judgments) if j.kind == kind]
        for position, index in enumerate(rng.permutation(members)):
            assignment[int(index)] = (offset + position) % folds
        offset += len(members)
    return assignment


def tune_fusion(
    engine: SearchEngine,
    judgments: Sequence[Judgment],
    *,
    weights: Sequence[Mapping[str, float]] | None = None,
    ks: Sequence[float] = (10, 30, 60, 100),
    metric: str = "ndcg@10",
    metrics: Sequence[str] = METRICS,
    folds: int = 5,
    seed: int = 0,
    baseline: Fusion | None = None,
) -> FusionTuning:
    """Choose fusion weights and RRF k by ``folds``-fold cross-validation on the judged queries.

    Only the weights (a weight of 0 drops a retriever) and RRF ``k`` are tuned;
    depth and thresholds stay the engine's. Each retriever's ranking of each query is taken once from the
    pipeline's ranking stages (understand, retrieve); every grid point is then
    fused with the engine's own :func:`~search.fusion.reciprocal_rank_fusion`
    (the same depth, thresholds and tie-breaking as ``retriever="hybrid"``), so a
    grid of hundreds of points costs seconds. Each fold picks the grid point
    with the best mean ``metric`` on the other folds and is scored on its own
    queries, which estimates how well the tuning generalises; ``best`` is the
    choice made on all queries. ``baseline`` (default: the engine's fusion) is
    what the choice is compared with; it wins every tie.
    """
    settings = engine.fusion
    baseline = baseline or settings
    names = list(engine.retrievers)
    grid = [dict(w) for w in (weights or weight_grid(names))]
    answerable = [j for j in judgments if j.answerable]
    relevant = resolve_judgments(answerable, engine.passages)
    wanted = tuple(sorted({n for w in grid for n in w if n in engine.retrievers} | set(names)))
    rankings = []
    for judgment in answerable:
        # The ranking stages alone, every retriever at the fusion's depth: no highlights, answers or conflicts.
        asked = engine.pipeline.request(judgment.query, retriever="hybrid")  # the fusion's own ranking stages
        request = replace(asked, retrievers=wanted, depth=settings.depth)
        search = engine.pipeline.rank(request, until="retrieve")
        rankings.append({name: indices for name, (indices, _) in search.ranked.items()})

    # The baseline is the first point, so that wherever it ties with another point it is kept:
    # a default changes only for a measured gain.
    base = (dict(baseline.weights), float(baseline.k))
    points = [base, *((w, float(k)) for k in ks for w in grid if (w, float(k)) != base)]
    # Most grid points give a query the same top 10: each distinct (query, top 10) is scored by ranx once.
    qrels, run = {}, {}
    distinct: dict[tuple[int, tuple[int, ...]], str] = {}
    cell = np.empty((len(points), len(answerable)), dtype=object)
    for p, (w, k) in enumerate(points):
        for q, judgment in enumerate(answerable):
            # In the weights' order, as the engine adds them: float sums in another order can break ties otherwise.
            ordered = {name: rankings[q][name] for name in w if name in rankings[q]}
            order, _ = reciprocal_rank_fusion(ordered, w, k)
            key = (q, tuple(order[:10].tolist()))
            qid = distinct.get(key)
            if qid is None:
                qid = distinct[key] = f"{q}\t{len(distinct)}"
                qrels[qid] = relevant[judgment.query]
                run[qid] = [engine.passages[i].id for i in key[1]]
            cell[p, q] = qid
    distinct_scores = ranx_scores(qrels, run, list(dict.fromkeys([metric, *metrics])))
    scores = {m: np.vectorize(by_qid.__getitem__, otypes=[float])(cell) for m, by_qid in distinct_scores.items()}
    table = scores[metric]

    candidates = []
    for p, (w, k) in enumerate(points):
        means = {m: float(values[p].mean()) for m, values in scores.items()}
        candidates.append({"weights": w, "k": k, **means, "_point": p})
    # Best first; among equals the earlier grid point, so the order of the grid is the tie-break.
    candidates.sort(key=lambda c: (-round(c[metric], 12), c["_point"]))
    base_point = 0

    fold_of = np.array(_folds(answerable, folds, seed))
    fold_rows = []
    for fold in range(folds):
        train, test = fold_of != fold, fold_of == fold
        if not test.any():
            continue
        train_means = table[:, train].mean(axis=1)
        chosen = int(np.flatnonzero(np.isclose(train_means, train_means.max()))[0])
        fold_rows.append(
            {
                "fold": fold + 1,
                "queries": int(test.sum()),
                "chosen": {"weights": points[chosen][0], "k": points[chosen][1]},
                "train": float(train_means[chosen]),
                "test": float(table[chosen, test].mean()),
                "baseline_test": float(table[base_point, test].mean()),
            }
        )
    for c in candidates:
        del c["_point"]
    return FusionTuning(metric, baseline, settings, candidates, fold_rows)
