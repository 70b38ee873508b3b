"""The build on Dask: the same index as one process builds, and a dying worker never costs the index."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from search import EngineConfig, SearchEngine
from search.corpus import read_corpus
from search.index import Index, build_index
from search.storage import current_version, read_index

distributed = pytest.importorskip("search.distributed")
pytest.importorskip("dask.distributed")

pytestmark = pytest.mark.timeout(300)

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"
SYNTHETIC_PASSAGES = 20_000


@pytest.fixture(scope="module")
def fault_marker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The file whose presence makes a worker die mid-partition; the workers inherit its name at start."""
    marker = tmp_path_factory.mktemp("fault") / "die"
    previous = os.environ.get(distributed.FAULT_ENV)
    os.environ[distributed.FAULT_ENV] = str(marker)
    yield marker
    if previous is None:
        os.environ.pop(distributed.FAULT_ENV, None)
    else:
        os.environ[distributed.FAULT_ENV] = previous


@pytest.fixture(scope="module")
def client(fault_marker: Path) -> Iterator[object]:
    """One LocalCluster of two worker processes for the module (as ``--dask local:2`` starts)."""
    with distributed.dask_client("local:2") as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from benchmarks.synthetic import write_folder

    return write_folder(tmp_path_factory.mktemp("synthetic") / "corpus", SYNTHETIC_PASSAGES, per_file=500)


def saved(index: Index, folder: Path) -> tuple[dict, dict, dict]:
    index.save(folder)
    manifest, parts, arrays = read_index(folder, verify=True)
    return manifest, parts, {name: np.asarray(array) for name, array in arrays.items()}


def assert_identical(single: Index, spread: Index, tmp_path: Path) -> None:
    one, other = saved(single, tmp_path / "single"), saved(spread, tmp_path / "dask")
    assert one[0]["fingerprint"] == other[0]["fingerprint"]
    assert {name: meta["sha256"] for name, meta in one[0]["files"].items()} == {
        name: meta["sha256"] for name, meta in other[0]["files"].items()
    }
    assert one[1] == other[1]
    assert one[2].keys() == other[2].keys()
    for name, array in one[2].items():
        assert array.dtype == other[2][name].dtype and np.array_equal(array, other[2][name]), name


def test_partitions_are_contiguous_balanced_and_cover_everything() -> None:
    assert distributed.partition([1] * 10, 3) == [range(0, 4), range(4, 7), range(7, 10)]
    assert distributed.partition([100, 1, 1, 1], 2) == [range(0, 1), range(1, 4)]
    assert distributed.partition([5], 8) == [range(0, 1)]
    for parts in range(1, 12):
        ranges = distributed.partition(list(range(1, 21)), parts)
        assert [i for r in ranges for i in r] == list(range(20))


@pytest.mark.parametrize("partitions", [None, 1, 3])
def test_the_embedded_corpus_builds_the_same_index_on_two_workers(
    client: object, tmp_path: Path, partitions: int | None
) -> None:
    config = EngineConfig()
    documents = distributed.read_corpus_distributed(client, CORPUS)
    assert documents == read_corpus(CORPUS)
    single = build_index(documents, config, synonyms=(CORPUS / "synonyms.txt").read_text(encoding="utf-8"))
    spread = distributed.build_index_distributed(
        documents, config, client, synonyms=single.synonyms, partitions=partitions
    )
    assert_identical(single, spread, tmp_path)
    query = "номер горячей линии для продавцов"
    assert [h.passage_id for h in SearchEngine(single).search(query)] == [
        h.passage_id for h in SearchEngine(spread).search(query)
    ]


def assert_same_state(single: Index, spread: Index) -> None:
    """In memory, without writing: the same fingerprint, passages, lexicon and retriever arrays."""
    assert single.fingerprint == spread.fingerprint
    assert single.passages == spread.passages
    for name, part in [("lexicon", single.lexicon), *single.retrievers.items()]:
        other = spread.lexicon if name == "lexicon" else spread.retrievers[name]
        (params, arrays), (other_params, other_arrays) = part.state(), other.state()
        assert params == other_params, name
        assert arrays.keys() == other_arrays.keys()
        for key, array in arrays.items():
            assert array.dtype == other_arrays[key].dtype and np.array_equal(array, other_arrays[key]), (name, key)


def test_a_synthetic_corpus_builds_the_same_index_on_two_workers(client: object, synthetic: Path) -> None:
    # The lexicon is what the workers count; BM25 and TF-IDF are fitted on the client from the merged passages
    # (the char n-grams too in the default configuration, checked on the embedded corpus above).
    config = EngineConfig(retrievers=("bm25", "tfidf"))
    documents = distributed.read_corpus_distributed(client, synthetic)  # read on the workers: no manifest
    assert [d.id for d in documents] == [d.id for d in read_corpus(synthetic)]
    single = build_index(documents, config, progress=False)
    report: dict[str, object] = {}
    spread = distributed.build_index_distributed(documents, config, client, partitions=7, report=report)
    assert len(report["partitions"]) == 7 and all(t > 0 for t in report["partitions"])
    assert {"cluster", "merge", "fit"} <= report.keys()
    assert len(spread.passages) == SYNTHETIC_PASSAGES
    assert_same_state(single, spread)


def test_a_worker_killed_mid_build_is_retried_and_the_index_is_the_same(
    client: object, fault_marker: Path, tmp_path: Path
) -> None:
    documents = read_corpus(CORPUS)
    config = EngineConfig()
    fault_marker.write_text("once")
    spread = distributed.build_index_distributed(documents, config, client, partitions=4)
    assert not fault_marker.exists(), "a worker died on the marker"
    assert_identical(build_index(documents, config), spread, tmp_path)


def test_a_build_that_cannot_finish_leaves_the_previous_index_whole(
    client: object, fault_marker: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    before = SearchEngine.from_directory(CORPUS, index_dir)
    version = current_version(index_dir)
    fault_marker.write_text("always")  # every attempt of a partition dies: Dask gives up (KilledWorker)
    try:
        with pytest.raises(distributed.DistributedBuildError, match="was not changed"):
            distributed.open_index_distributed(CORPUS, index_dir, EngineConfig(), client, rebuild=True)
    finally:
        fault_marker.unlink(missing_ok=True)
    assert current_version(index_dir) == version
    after = SearchEngine.load(index_dir)
    assert after.fingerprint == before.fingerprint
    assert after.search("двойное списание")[0].passage_id == "buyers-support:002"


def test_the_command_line_builds_on_a_local_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from search.cli import main

    assert main(["build", "--corpus", str(CORPUS), "--index", str(tmp_path / "dask"), "--dask", "local:1"]) == 0
    assert "indexed 4 documents" in capsys.readouterr().out
    assert main(["build", "--corpus", str(CORPUS), "--index", str(tmp_path / "one")]) == 0
    assert (
        read_index(tmp_path / "dask")[0]["files"]["arrays/bm25.weights_data.npy"]
        == read_index(tmp_path / "one")[0]["files"]["arrays/bm25.weights_data.npy"]
    )
    assert main(["build", "--corpus", str(CORPUS), "--index", str(tmp_path / "x"), "--dask", "local:zero"]) == 2
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):  # nothing listens on port 9
        unreachable = ["--dask", "tcp://127.0.0.1:9"]
        assert main(["build", "--corpus", str(CORPUS), "--index", str(tmp_path / "x"), *unreachable]) == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err
    assert not (tmp_path / "x" / "CURRENT").exists()


def test_partitions_analysed_apart_concatenate_to_the_whole_corpus() -> None:
    from search.analysed import analyse_corpus, concatenate

    documents = read_corpus(CORPUS)
    analyzer, words = EngineConfig().analyzer(), EngineConfig().passage_words
    _, whole = analyse_corpus(analyzer, documents, words, workers=1)
    parts = [
        analyse_corpus(analyzer, documents[cut], words, workers=1)[1]
        for cut in (slice(0, 1), slice(1, 3), slice(3, None))
    ]
    joined = concatenate(parts)
    assert len(joined) == len(whole) > 50
    for name in ("terms", "headings", "question", "surface", "question_surface"):
        (ids, lengths, strings), (other_ids, other_lengths, other_strings) = whole.numbered(name), joined.numbered(name)
        assert strings == other_strings and np.array_equal(ids, other_ids) and np.array_equal(lengths, other_lengths)
    assert list(joined) == list(whole)  # each passage's Analysed, made on demand from the arrays
