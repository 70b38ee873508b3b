"""The command line: ``python -m search build | query | eval | serve``. Parsing and printing only."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from .config import EngineConfig
from .corpus import CorpusError
from .distributed import DistributedBuildError, open_index_distributed  # Dask itself is imported only with --dask
from .engine import SearchEngine
from .evaluation import Evaluation, answer_sentences, build_engine, evaluate, load_judgments
from .fusion import HYBRID, LEARNED
from .pipeline import REWRITE_STEPS
from .retrievers import RETRIEVERS
from .storage import IndexFormatError

RANKINGS = (HYBRID, LEARNED, *RETRIEVERS)  # what --retriever accepts: the fusion, the learned ranking, or one retriever

PROJECT_CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def default_corpus() -> Path:
    """``$SEARCH_CORPUS``, else ``./corpus``, else the corpus shipped beside the package."""
    if os.environ.get("SEARCH_CORPUS"):
        return Path(os.environ["SEARCH_CORPUS"])
    local = Path("corpus")
    return local if local.is_dir() else PROJECT_CORPUS


def _engine(args: argparse.Namespace, rankings: Sequence[str | None] = ()) -> SearchEngine:
    """The corpus's saved engine; one built in memory with every retriever when one asked for is not in it
    (``None``: the engine's default ranking, whatever it holds)."""
    engine = SearchEngine.from_directory(args.corpus, index_dir=args.index)
    if {name for name in rankings if name not in (HYBRID, None)} <= set(engine.retrievers):
        return engine
    return build_engine(args.corpus)


def _build(args: argparse.Namespace) -> int:
    if args.dask:
        index = open_index_distributed(
            args.corpus, args.index, EngineConfig(), args.dask, not args.if_changed, partitions=args.partitions
        )
        engine = SearchEngine(index)
    else:
        engine = SearchEngine.from_directory(
            args.corpus, index_dir=args.index, rebuild=not args.if_changed, progress=None
        )
    where = args.index or Path(args.corpus) / ".index"
    print(f"indexed {len(engine.documents)} documents, {len(engine.passages)} passages → {where}")
    return 0


def _query(args: argparse.Namespace) -> int:
    engine = _engine(args, [args.retriever])
    rewrite = False if args.exact else (args.rewrite or True)
    results = engine.search(args.text, k=args.k, retriever=args.retriever, rewrite=rewrite)
    if args.json:
        json.dump(results.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    query = results.query
    if query.truncated:
        print(f"Запрос обрезан до {len(query.rewritten)} символов.")
    if query.changed:
        print(f"Показаны результаты по запросу «{query.rewritten}» (точно как написано: --exact).")
    if not results.answered:
        missing = f": в документах нет ничего про «{'», «'.join(query.missing)}»" if query.missing else ""
        print(f"В документах нет ответа на вопрос «{args.text}»{missing}.")
        if not results:
            return 0
        print("Ближайшие фрагменты:\n")
    for conflict in results.conflicts:
        print(f"Источники расходятся ({conflict.label}):")
        for value in conflict.values:
            outdated = " — в тексте отмечено как устаревшее" if value.outdated else ""
            print(f"  • {value.value}{outdated} — {value.citation}")
        print()
    if results.answered and (short := results.short_answer) is not None:
        print(textwrap.fill("Краткий ответ: " + " ".join(short.answer.split()), width=100))
        print(f"  — {short.citation}\n")
    for hit in results:
        print(f"{hit.rank}. [{hit.score:.4f}] {hit.citation}")
        if results.answered:
            print(textwrap.indent(textwrap.fill("Ответ: " + " ".join(hit.answer.split()), width=100), "   "))
        print(textwrap.indent(textwrap.fill(" ".join(hit.text.split()), width=100), "   "))
        print()
    print(f"({len(results)} из {len(engine.passages)} фрагментов, {results.elapsed_ms:.1f} мс)")
    return 0


def _eval(args: argparse.Namespace) -> int:
    judgments = load_judgments(args.queries or Path(args.corpus) / "queries")
    asked = args.retriever or []
    engine = _engine(args, asked) if args.stemmer == "pymorphy3" else build_engine(args.corpus, args.stemmer)
    retrievers = list(dict.fromkeys(asked or [engine.default_ranking]))
    results: dict[str, Evaluation] = {name: evaluate(engine, judgments, retriever=name) for name in retrievers}
    if args.json:
        report = {
            "queries": str(args.queries or Path(args.corpus) / "queries"),
            "judged": len(judgments),
            "answerable": sum(j.answerable for j in judgments),
            "stemmer": args.stemmer,
            "configurations": {name: result.to_json(outcomes=args.per_query) for name, result in results.items()},
            "answer_sentences": answer_sentences(engine, judgments),
        }
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    answerable = sum(j.answerable for j in judgments)
    print(f"{len(judgments)} judged queries ({answerable} answerable), analysis: {args.stemmer}")
    for result in results.values():
        print()
        print(result.table())
        said = result.no_answer
        print(
            f"«ничего не найдено»: {said['unanswerable_rate']:.0%} of {said['unanswerable']} unanswerable queries "
            f"(right), {said['answerable_rate']:.0%} of {said['answerable']} answerable ones (wrong)"
        )
    sentences = answer_sentences(engine, judgments)
    print(
        f"\nanswer sentence: holds the judged answer for {sentences['contains']:.0%} of the "
        f"{sentences['judged_first']} queries whose first hit is a judged answer"
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .serving import serve  # imports Streamlit: only this command needs it

    options: dict[str, object] = {}
    for option in args.option or []:
        name, _, value = option.partition("=")
        try:
            options[name] = json.loads(value)  # false, 10, "text" as in config.toml
        except json.JSONDecodeError:
            options[name] = value
    return serve(args.index, args.processes, args.port, args.address, args.page, options)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m search", description="Russian help-center search.")
    main.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    commands = main.add_subparsers(dest="command", required=True)

    def corpus_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--corpus", type=Path, default=default_corpus(), help="folder of documents (default: %(default)s)"
        )
        command.add_argument("--index", type=Path, default=None, help="index folder (default: CORPUS/.index)")

    build = commands.add_parser("build", help="index the corpus folder")
    build.add_argument("--if-changed", action="store_true", help="keep the saved index when the corpus is unchanged")
    build.add_argument(
        "--dask",
        metavar="local:N|tcp://HOST:8786",
        help="build on Dask: a LocalCluster of N worker processes or a scheduler (the distributed extra)",
    )
    build.add_argument("--partitions", type=int, default=None, help="with --dask: partitions (default: 4 per worker)")
    corpus_options(build)
    build.set_defaults(run=_build)

    query = commands.add_parser("query", help="search the corpus")
    query.add_argument("text", help="the question, in Russian")
    query.add_argument("-k", type=int, default=5, help="how many passages (default: %(default)s)")
    query.add_argument(
        "--retriever",
        default=None,
        choices=RANKINGS,
        help="ranking (default: learned when the index holds its retrievers, else hybrid)",
    )
    query.add_argument("--json", action="store_true", help="print one JSON object for programs")
    query.add_argument(
        "--exact", action="store_true", help="search the words as typed: no layout, spelling or synonyms"
    )
    query.add_argument(
        "--rewrite", action="append", choices=REWRITE_STEPS, help="run only this rewriting step; repeat for more"
    )
    corpus_options(query)
    query.set_defaults(run=_query)

    evaluation = commands.add_parser("eval", help="measure relevance on the judged queries")
    evaluation.add_argument(
        "--queries",
        type=Path,
        default=None,
        help="judged queries: a .jsonl file or a folder of them (default: CORPUS/queries)",
    )
    evaluation.add_argument(
        "--retriever",
        action="append",
        choices=RANKINGS,
        help="configuration to measure; repeat to compare (default: the engine's default ranking: learned when "
        "the index holds its retrievers, else hybrid)",
    )
    evaluation.add_argument(
        "--stemmer",
        default="pymorphy3",
        choices=["pymorphy3", "snowball", "none"],
        help="analysis: lemmas (the engine's), Snowball stems or raw tokens (default: %(default)s)",
    )
    evaluation.add_argument("--json", action="store_true", help="print one JSON object for programs")
    evaluation.add_argument("--per-query", action="store_true", help="with --json: include every query's ranking")
    corpus_options(evaluation)
    evaluation.set_defaults(run=_eval)

    serve = commands.add_parser(
        "serve", help="N search pages over one saved index, forked from one process so they share its memory"
    )
    serve.add_argument("--index", type=Path, required=True, help="a saved index folder, served read-only")
    serve.add_argument("--processes", type=int, default=2, help="page processes (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8501, help="the first page's port, then +1 each (%(default)s)")
    serve.add_argument("--address", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--page", type=Path, default=PROJECT_CORPUS.parent / "app.py", help="the Streamlit page")
    serve.add_argument(
        "--option", action="append", metavar="NAME=VALUE", help="a Streamlit option, e.g. server.baseUrlPath=help"
    )
    serve.set_defaults(run=_serve)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return args.run(args)
    except BrokenPipeError:  # `python -m search query … | head`: the reader has what it wanted
        sys.stderr.close()
        return 0
    except (CorpusError, IndexFormatError, ValueError, DistributedBuildError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
