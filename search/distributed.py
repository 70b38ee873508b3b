"""The index built on a Dask cluster: the same index as one process builds, from partitions on workers.

    python -m search build --corpus DIR --index DIR --dask local:4            # a LocalCluster of 4 processes
    python -m search build --corpus DIR --index DIR --dask tcp://HOST:8786    # an existing scheduler

    corpus files ─► read (workers) ─► client: drop duplicates, fingerprint ─► partitions of documents
                 ─► chunk and analyse into integer arrays (workers) ─► client: concatenate in partition order
                 ─► count the lexicon, fit the retrievers, save as a new version (atomic switch)

Documents are read (folders without a manifest; a manifest's corpus is read by
the client, which needs the manifest's order anyway), then each partition is
chunked and analysed on a worker by the single-process build's own path
(:func:`~search.analysed.analyse_corpus`): its raw tokens numbered in tables,
each distinct one lemmatized once, the fields as integer arrays. The client
joins the partitions in document order (:func:`~search.analysed.concatenate`:
one string table, the tokens renumbered after the previous partitions'), so the
fields number their terms exactly as one pass over the corpus does, and counts
the lexicon and fits the retrievers on the arrays as :func:`~search.index.build_index`
does: the index written is identical (same fingerprint, same arrays, same
answers) whatever the number of workers or partitions. The analysis (pymorphy3,
per distinct word; the regular expression, per token) is most of a build's time;
the client's part is vectorised passes over arrays.

Dask reschedules a partition whose worker died (``distributed.scheduler.allowed-failures``
times); a build that cannot finish raises :class:`DistributedBuildError` before
anything is written, so the index folder keeps its previous version whole.

Needs the optional extra: ``pip install '.[distributed]'``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from . import storage
from .analysed import AnalysedCorpus, analyse_corpus, concatenate
from .analysis import Analysed
from .config import EngineConfig
from .corpus import MANIFEST, CorpusWarning, Document, corpus_files, drop_duplicates, read_corpus, read_document
from .index import DEFAULT_INDEX_DIR, SYNONYMS, Index, _load_if_current, corpus_fingerprint, retrievers_to_build
from .lexicon import Lexicon
from .passages import Passage
from .readings import read_at_build
from .retrievers import RETRIEVERS, Retriever
from .store import DocumentTable, PassageTable

__all__ = [
    "DistributedBuildError",
    "PartitionResult",
    "build_index_distributed",
    "dask_client",
    "merge_partitions",
    "open_index_distributed",
    "partition",
    "read_corpus_distributed",
]

PARTITIONS_PER_WORKER = 4  # enough to spread uneven partitions and to retry a lost one cheaply
FAULT_ENV = "SEARCH_DASK_FAULT"  # tests: a marker file; a worker that finds it dies mid-partition


class DistributedBuildError(RuntimeError):
    """The cluster could not finish the build; nothing was written."""


@dataclass(frozen=True)
class PartitionResult:
    """What a worker sends back for one partition of documents."""

    passages: list[Passage]  # without their text: offsets into the documents
    analysed: Sequence[Analysed]  # an AnalysedCorpus (integer arrays) for the default analyzer
    seconds: float  # wall time on the worker
    cpu: float  # CPU time on the worker: what a projection to more (idle) workers is made from


# --- the cluster ------------------------------------------------------------------------


@contextlib.contextmanager
def dask_client(spec: str) -> Iterator[Any]:
    """A Dask client for ``local:N`` (a LocalCluster of N worker processes on loopback) or a scheduler address."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as error:  # pragma: no cover - the extra is installed with dev
        raise DistributedBuildError("the distributed build needs Dask: pip install '.[distributed]'") from error
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logging.getLogger("distributed").setLevel(logging.WARNING)  # its own handlers log every worker at INFO
    if spec.startswith("local:"):
        try:
            workers = int(spec.removeprefix("local:"))
        except ValueError:
            raise ValueError(f"--dask local:N needs a number of workers, not {spec!r}") from None
        if workers < 1:
            raise ValueError(f"--dask local:N needs at least one worker, not {workers}")
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,  # pymorphy3 holds the GIL: one analysis per process
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # loopback, any free port: never a fixed port two builds would fight over
        )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    if not spec.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise ValueError(f"--dask takes local:N or a scheduler address such as tcp://HOST:8786, not {spec!r}")
    try:
        client = Client(spec)  # waits distributed.comm.timeouts.connect (30 s by default)
    except (OSError, TimeoutError) as error:
        raise DistributedBuildError(f"cannot reach the Dask scheduler at {spec} ({error}); nothing was built") from None
    with client:
        yield client


def _workers(client: Any) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def partition(sizes: Sequence[int], parts: int) -> list[range]:
    """Contiguous ranges of items with about equal total ``sizes``; the same input always cuts the same way.

    >>> partition([5, 5, 5, 5], 2)
    [range(0, 2), range(2, 4)]
    """
    parts = max(1, min(parts, len(sizes)))
    total = sum(sizes) or 1
    bounds, running, cut = [0], 0, 1
    for number, size in enumerate(sizes):
        running += size
        while cut < parts and running * parts >= cut * total and number + 1 > bounds[-1]:
            bounds.append(number + 1)
            cut += 1
    if bounds[-1] != len(sizes):
        bounds.append(len(sizes))
    return [range(start, end) for start, end in zip(bounds, bounds[1:]) if end > start]


def _gather(client: Any, futures: list[Any], what: str, progress: bool) -> list[Any]:
    """Results in submission order; any failure (a task error, workers dying too often) is one clear error."""
    from dask.distributed import as_completed

    bar = tqdm(total=len(futures), desc=what, unit="partition", disable=not progress)
    try:
        for future in as_completed(futures):
            if future.status == "error":
                break
            bar.update()
        return client.gather(futures)
    except Exception as error:  # KilledWorker, lost connections, a task's own exception
        for future in futures:
            future.cancel()
        raise DistributedBuildError(
            f"distributed build failed while {what} ({error.__class__.__name__}: {error})"
        ) from error
    finally:
        bar.close()


# --- reading ------------------------------------------------------------------------------


def _read_files(root: str, paths: list[str], strict: bool) -> tuple[list[Document], list[str]]:
    """A partition of a folder's files read on a worker, with the warnings it would have shown."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorpusWarning)
        documents = [read_document(Path(root), Path(path), strict) for path in paths]
    return [document for document in documents if document is not None], [str(w.message) for w in caught]


def read_corpus_distributed(client: Any, folder: str | Path, strict: bool = False) -> list[Document]:
    """:func:`~search.corpus.read_corpus` with the files read on the workers; the same documents in the same order."""
    root = Path(folder)
    if not root.is_dir() or (root / MANIFEST).is_file():
        return read_corpus(root, strict)  # a manifest fixes ids, titles and order: the client reads it
    files = corpus_files(root)
    if not files:
        return read_corpus(root, strict)  # its own error
    sizes = [max(1, _size(path)) for path in files]
    ranges = partition(sizes, _workers(client) * PARTITIONS_PER_WORKER)
    futures = [
        client.submit(_read_files, str(root), [str(files[i]) for i in part], strict, pure=False, retries=1)
        for part in ranges
    ]
    documents: list[Document] = []
    for read, messages in _gather(client, futures, "reading documents", False):
        documents.extend(read)
        for message in messages:
            warnings.warn(message, CorpusWarning, stacklevel=2)
    return drop_duplicates(documents, strict)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# --- analysis and term statistics -------------------------------------------------------------


def _maybe_die() -> None:
    """Fault injection for the tests: die as a killed worker would, once (or ``always``)."""
    marker = os.environ.get(FAULT_ENV)
    if not marker or not os.path.exists(marker):
        return
    with contextlib.suppress(OSError):
        if Path(marker).read_text().strip() != "always":
            os.unlink(marker)  # only one worker wins the unlink; the others carry on
        os._exit(17)


_ANALYSING = threading.Lock()  # analyse_corpus hands its batches to its loop through a module global


def _analyse_partition(documents: list[Document], config: EngineConfig) -> PartitionResult:
    """One partition on a worker: chunked and analysed by the single-process build's own path.

    :func:`~search.analysed.analyse_corpus` in this process (no pool of its own: the worker
    is the process): token tables numbered and each distinct token lemmatized once, per
    partition. The passages come back without their text, as the single-process build keeps them.
    """
    started, cpu = time.perf_counter(), time.thread_time()
    with _ANALYSING:
        passages, analysed = analyse_corpus(config.analyzer(), documents, config.passage_words, workers=1, texts=False)
    _maybe_die()
    return PartitionResult(passages, analysed, time.perf_counter() - started, time.thread_time() - cpu)


def merge_partitions(parts: Sequence[PartitionResult]) -> tuple[list[Passage], Sequence[Analysed]]:
    """The partitions' passages and analysed fields in partition order: what one pass over all of them gives."""
    passages = [passage for part in parts for passage in part.passages]
    corpora = [part.analysed for part in parts]
    if corpora and all(isinstance(corpus, AnalysedCorpus) for corpus in corpora):
        return passages, concatenate(corpora)  # type: ignore[arg-type]
    return passages, [text for corpus in corpora for text in corpus]


def build_index_distributed(
    documents: Sequence[Document],
    config: EngineConfig,
    client: Any,
    *,
    synonyms: str = "",
    partitions: int | None = None,
    progress: bool | None = None,
    report: dict[str, Any] | None = None,
) -> Index:
    """:func:`~search.index.build_index` with the passages chunked, analysed and counted on Dask workers.

    ``partitions`` defaults to four per worker. ``report``, when given, receives the seconds of
    each phase: ``partitions`` and ``partitions_cpu`` (each partition's wall and CPU time on its
    worker), ``cluster`` (the analysis's wall time), ``merge`` and ``fit`` (on the client).
    """
    started = time.perf_counter()
    show = sys.stderr.isatty() if progress is None else progress
    if not documents:
        raise ValueError("nothing to index: the corpus has no text")
    parts = partitions or _workers(client) * PARTITIONS_PER_WORKER
    ranges = partition([max(1, len(document.text)) for document in documents], parts)
    futures = [
        client.submit(_analyse_partition, [documents[i] for i in part], config, pure=False, retries=1)
        for part in ranges
    ]
    results: list[PartitionResult] = _gather(client, futures, "analysing passages", show)
    seconds: dict[str, Any] = {
        "partitions": [result.seconds for result in results],
        "partitions_cpu": [result.cpu for result in results],
        "cluster": time.perf_counter() - started,
    }
    passages, analysed = merge_partitions(results)
    del results
    if not passages:
        raise ValueError("nothing to index: the corpus has no text")
    document_table = DocumentTable.build({document.id: document for document in documents}.values())
    passage_table = PassageTable.build(passages, document_table, checked=False)  # the chunker's own offsets
    del passages
    lexicon = Lexicon.build(analysed)
    seconds["merge"] = time.perf_counter() - started - seconds["cluster"]
    built: dict[str, Retriever] = {}
    for name in tqdm(retrievers_to_build(config, len(passage_table)), desc="fitting retrievers", disable=not show):
        built[name] = RETRIEVERS[name]().fit_passages(analysed, passage_table)
    seconds["fit"] = time.perf_counter() - started - seconds["cluster"] - seconds["merge"]
    if report is not None:
        report.update(seconds)
    fingerprint = corpus_fingerprint(documents, config, synonyms)
    readings = read_at_build(passage_table, config.analyzer())  # as the one-process build stores them
    return Index(config, document_table, passage_table, lexicon, built, synonyms, fingerprint, readings=readings)


def open_index_distributed(
    path: str | Path,
    index_dir: str | Path | None,
    config: EngineConfig,
    dask: str | Any,
    rebuild: bool = False,
    synonyms: str | Path | None = None,
    progress: bool | None = None,
    partitions: int | None = None,
) -> Index:
    """:func:`~search.index.open_index` built on the cluster ``dask`` names (``local:N``, an address, or a Client).

    The saved index when current (and ``rebuild`` is false), else built on the cluster and
    saved as a new version under the folder's build lock. Unlike ``open_index``, a folder that
    cannot be written is an error: a cluster build is never thrown away.
    """
    path = Path(path)
    folder = Path(index_dir) if index_dir is not None else path / DEFAULT_INDEX_DIR
    synonyms_file = Path(synonyms) if synonyms is not None else path / SYNONYMS
    thesaurus = synonyms_file.read_text(encoding="utf-8") if synonyms_file.is_file() else ""
    given = contextlib.nullcontext(dask) if not isinstance(dask, str) else dask_client(dask)
    with given as client:
        documents = read_corpus_distributed(client, path)
        fingerprint = corpus_fingerprint(documents, config, thesaurus)
        with storage.locked(folder):
            if not rebuild and (index := _load_if_current(folder, fingerprint)) is not None:
                return index
            try:
                index = build_index_distributed(
                    documents, config, client, synonyms=thesaurus, partitions=partitions, progress=progress
                )
            except DistributedBuildError as error:
                raise DistributedBuildError(f"{error}; the index in {folder} was not changed") from None
            index.save(folder)
            return index
