"""The index on disk outlives the process that wrote it: kills, concurrent builders, damage, foreign code.

Child processes do the writing so that they can be killed with SIGKILL — no
``finally``, no ``atexit``, exactly what an OOM killer or a pulled plug does
to a build. Every child runs in its own session and is killed by its process
group when a test ends, so nothing outlives the test; each test is bounded
by a timeout.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from search import IndexFormatError, SearchEngine, storage

PROJECT = Path(__file__).resolve().parent.parent
QUERIES = ["как вернуть товар", "двойное списание", "горячая линия для селлеров", "vozvrat", ""]
CHILD_ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


def answers(engine: SearchEngine) -> list[list[tuple[str, float]]]:
    return [[(hit.passage_id, hit.score) for hit in engine.search(query, k=5)] for query in QUERIES]


@contextlib.contextmanager
def child(script: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    """A Python child in its own process group, killed with its group on the way out."""
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        cwd=PROJECT,
        env=CHILD_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=10)


def finish(process: subprocess.Popen[str], timeout: float) -> str:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"child did not finish in {timeout} s: {err[-2000:]}")
    assert process.returncode == 0, err[-3000:]
    return out


def await_ready(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        assert process.stdout is not None and process.stdout.readline() == "ready\n", process.stderr


def leftovers(index_dir: Path) -> list[str]:
    """What an interrupted write leaves behind: staging folders, unpublished versions, pointer files."""
    current = (index_dir / "CURRENT").read_text(encoding="ascii") if (index_dir / "CURRENT").exists() else ""
    return sorted(
        p.name
        for p in index_dir.iterdir()
        if p.name.endswith(".tmp") or (p.name.startswith("v-") and p.name != current)
    )


@pytest.fixture()
def corpus_copy(corpus_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "corpus"
    shutil.copytree(corpus_dir, copy, ignore=shutil.ignore_patterns(".index", "queries"))
    return copy


# --- a build killed at any moment ----------------------------------------------------------

# A harness process loads the index once, then many times forks a writer that saves it in a loop,
# lets it run for a random moment and SIGKILLs it — then checks that the index on disk still loads
# whole and answers as before. Forking skips the second of imports each fresh process would cost,
# so one test can kill dozens of writers mid-write.
KILL_HARNESS = """
    import json, os, random, signal, sys, time
    from pathlib import Path
    from search import SearchEngine, storage

    index_dir, budget, minimum, seed = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    queries = json.loads(sys.argv[5])
    engine = SearchEngine.load(index_dir)

    def answers(engine):
        return [[[h.passage_id, h.score] for h in engine.search(q, k=5)] for q in queries]

    expected = answers(engine)
    started = time.perf_counter()
    engine.save(index_dir)
    save_seconds = time.perf_counter() - started
    rng = random.Random(seed)
    report = {"kills": 0, "mid_write": 0, "versions_seen": 1, "failures": [], "save_ms": save_seconds * 1000}
    previous = (index_dir / "CURRENT").read_text()
    attempt = 0
    deadline = time.monotonic() + budget
    while attempt < minimum or time.monotonic() < deadline:  # at least `minimum` kills, more if time allows
        attempt += 1
        pid = os.fork()
        if pid == 0:  # the writer: save, save, save, until killed
            try:
                while True:
                    engine.save(index_dir)
            finally:
                os._exit(1)
        if attempt % 3 == 0:  # let this writer publish first, so kills land between writes too, however slow
            waited = time.monotonic() + 20
            while (index_dir / "CURRENT").read_text() == previous and time.monotonic() < waited:
                time.sleep(0.002)
        time.sleep(rng.uniform(0, 2 * save_seconds))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        report["kills"] += 1
        names = [p.name for p in index_dir.iterdir()]
        current = (index_dir / "CURRENT").read_text()
        if any(n.endswith(".tmp") for n in names) or any(n.startswith("v-") and n != current for n in names):
            report["mid_write"] += 1
        if current != previous:
            report["versions_seen"] += 1
            previous = current
        try:
            storage.read_index(index_dir)  # every checksum verified
            if answers(SearchEngine.load(index_dir)) != expected:
                report["failures"].append([attempt, "different answers"])
        except Exception as error:
            report["failures"].append([attempt, f"{type(error).__name__}: {error}"])
    engine.save(index_dir)  # the next writer sweeps what the killed ones left
    report["left_after_next_save"] = sorted(
        p.name for p in index_dir.iterdir() if p.name.endswith(".tmp") or (p.name.startswith("v-")
        and p.name != (index_dir / "CURRENT").read_text())
    )
    print(json.dumps(report))
"""


def test_a_save_killed_at_any_moment_leaves_the_previous_index_whole(engine: SearchEngine, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    engine.save(index_dir)
    # 8 s of kills, more if a loaded machine makes each save slow: enough for several published versions.
    with child(KILL_HARNESS, str(index_dir), "8", "12", "7", json.dumps(QUERIES)) as process:
        report = json.loads(finish(process, timeout=60))
    print(report)
    assert report["failures"] == []
    assert report["kills"] >= 12, report
    # The kills really landed mid-write (staging folders or unpublished versions were left behind) and
    # between writes (new versions got published): both sides of the atomic switch were exercised.
    assert report["mid_write"] >= report["kills"] // 4 and report["versions_seen"] >= 3, report
    assert report["left_after_next_save"] == []
    assert answers(SearchEngine.load(index_dir)) == answers(engine)


BUILD_FOREVER = """
    import sys
    from search import SearchEngine
    print("ready", flush=True)
    while True:
        SearchEngine.from_directory(sys.argv[1], index_dir=sys.argv[2], rebuild=True, progress=False)
"""


def test_a_killed_build_is_followed_by_a_start_that_loads_or_rebuilds(corpus_copy: Path, tmp_path: Path) -> None:
    """Fresh processes killed while importing, building or saving; the next start in this process must work."""
    index_dir = tmp_path / "index"
    expected = None
    for delay in (0.0, 0.5):  # before any index exists, then at a random point of rebuilding
        with child(BUILD_FOREVER, str(corpus_copy), str(index_dir)) as process:
            assert process.stdout is not None and process.stdout.readline() == "ready\n"
            time.sleep(delay + 0.3 * np.random.default_rng(int(delay * 10)).random())
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        engine = SearchEngine.from_directory(corpus_copy, index_dir=index_dir)  # loads, or rebuilds: never half-reads
        expected = expected or answers(engine)
        assert answers(engine) == expected
        storage.read_index(index_dir)  # and what is on disk now is whole


def test_the_lock_of_a_killed_builder_does_not_block_the_next_one(tmp_path: Path) -> None:
    script = """
        import sys, time
        from search import storage
        with storage.locked(sys.argv[1]):
            print("locked", flush=True)
            time.sleep(60)
    """
    with child(script, str(tmp_path)) as process:
        assert process.stdout is not None and process.stdout.readline() == "locked\n"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    started = time.monotonic()
    with storage.locked(tmp_path):
        assert time.monotonic() - started < 2


# --- two builders at once -------------------------------------------------------------------

BUILD_WHEN_TOLD = """
    import sys, time
    from pathlib import Path
    from search import SearchEngine
    go = Path(sys.argv[3])
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.002)
    engine = SearchEngine.from_directory(sys.argv[1], index_dir=sys.argv[2], rebuild=True, progress=False)
    print(len(engine.passages))
"""

SAVE_WHEN_TOLD = """
    import sys, time
    from pathlib import Path
    from search import SearchEngine, storage
    engine = SearchEngine.load(sys.argv[1])
    go, rounds = Path(sys.argv[2]), int(sys.argv[3])
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.002)
    for _ in range(rounds):
        engine.save(sys.argv[1])  # no builder lock: publishing itself must be safe
        storage.read_index(sys.argv[1])
    print("ok")
"""

READ_WHEN_TOLD = """
    import sys, time
    from pathlib import Path
    from search import SearchEngine
    go, rounds = Path(sys.argv[2]), int(sys.argv[3])
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.002)
    for _ in range(rounds):
        SearchEngine.load(sys.argv[1])  # while two writers replace the version under it
    print("ok")
"""


def test_two_processes_building_the_same_index_at_once_do_not_corrupt_it(
    engine: SearchEngine, corpus_copy: Path, tmp_path: Path
) -> None:
    index_dir, go = tmp_path / "index", tmp_path / "go"
    with contextlib.ExitStack() as stack:
        builders = [
            stack.enter_context(child(BUILD_WHEN_TOLD, str(corpus_copy), str(index_dir), str(go))) for _ in "ab"
        ]
        await_ready(builders)  # both are past their imports, polling for the signal
        go.touch()
        outputs = [finish(process, timeout=20) for process in builders]
    assert outputs[0] == outputs[1] and int(outputs[0]) > 0
    storage.read_index(index_dir)
    assert leftovers(index_dir) == []
    assert [p.name for p in index_dir.iterdir() if p.name.startswith("v-")] == [(index_dir / "CURRENT").read_text()]
    assert answers(SearchEngine.from_directory(corpus_copy, index_dir=index_dir)) == answers(engine)


def test_two_processes_saving_and_one_reading_at_once_all_succeed(engine: SearchEngine, tmp_path: Path) -> None:
    index_dir, go = tmp_path / "index", tmp_path / "go"
    engine.save(index_dir)
    with contextlib.ExitStack() as stack:
        writers = [stack.enter_context(child(SAVE_WHEN_TOLD, str(index_dir), str(go), "10")) for _ in "ab"]
        reader = stack.enter_context(child(READ_WHEN_TOLD, str(index_dir), str(go), "25"))
        await_ready([*writers, reader])
        go.touch()
        assert [finish(process, timeout=20) for process in [*writers, reader]] == ["ok\n"] * 3
    assert leftovers(index_dir) == []
    assert answers(SearchEngine.load(index_dir)) == answers(engine)


# --- damaged, hand-edited, foreign or hostile indexes --------------------------------------------


def _rewrite_checksums(folder: Path) -> None:
    """What someone editing the index by hand and fixing up the manifest would do."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name, meta in manifest["files"].items():
        data = (folder / name).read_bytes()
        meta.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _truncate(folder: Path) -> None:
    path = folder / "arrays" / "bm25.weights_data.npy"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_byte(folder: Path) -> None:
    path = folder / "passages.json"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _hand_edit(folder: Path) -> None:
    """The documents' text, edited in place (the same size): only the checksum can tell."""
    path = folder / "arrays" / "documents.text.npy"
    path.write_bytes(path.read_bytes().replace(b"Ozon", b"OZON", 1))


def _hand_edit_with_checksums(folder: Path) -> None:
    """Three passages cut off the passage table, checksums fixed up: the retrievers no longer match it."""
    path = folder / "arrays" / "passages.rows.npy"
    np.save(path, np.load(path)[:-3], allow_pickle=False)
    _rewrite_checksums(folder)


def _wrong_version(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = storage.FORMAT_VERSION + 1
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _empty_pointer(folder: Path) -> None:
    (folder.parent / "CURRENT").write_bytes(b"")


def _binary_pointer(folder: Path) -> None:
    (folder.parent / "CURRENT").write_bytes(b"\xff\xfe\x00v-")


def _escaping_manifest(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["../../../etc/hostname"] = {"sha256": "0", "bytes": 1}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


DAMAGE = {
    "truncated-array": (_truncate, "corrupt or truncated"),
    "flipped-byte": (_flip_byte, "checksum mismatch"),
    "hand-edited-text": (_hand_edit, "checksum mismatch"),
    "hand-edited-with-checksums": (_hand_edit_with_checksums, "rows for"),
    "wrong-format-version": (_wrong_version, f"format version {storage.FORMAT_VERSION + 1}"),
    "empty-pointer": (_empty_pointer, "names no index version"),
    "binary-pointer": (_binary_pointer, "index pointer"),
    "manifest-escaping-the-folder": (_escaping_manifest, "missing from"),
}


@pytest.fixture(scope="module")
def indexed_corpus(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """A corpus copy with its index built once; each damage test spoils its own copy of both."""
    copy = tmp_path_factory.mktemp("indexed") / "corpus"
    shutil.copytree(corpus_dir, copy, ignore=shutil.ignore_patterns(".index", "queries"))
    return copy, answers(SearchEngine.from_directory(copy))


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_a_damaged_index_is_one_line_with_the_fix_and_is_rebuilt_from_the_corpus(
    indexed_corpus: tuple[Path, list], tmp_path: Path, damage: str
) -> None:
    corpus = shutil.copytree(indexed_corpus[0], tmp_path / "corpus", symlinks=True)
    index_dir = corpus / ".index"
    spoil, message = DAMAGE[damage]
    spoil(storage.current_version(index_dir))
    with pytest.raises(IndexFormatError, match=re.escape(message)) as error:
        SearchEngine.load(index_dir)
    assert "\n" not in str(error.value) and str(error.value).endswith(f"python -m search build --index {index_dir}")
    assert answers(SearchEngine.from_directory(corpus)) == indexed_corpus[1]  # rebuilt: the corpus is at hand
    storage.read_index(index_dir)


class _Payload:
    """Unpickling this would create a file: the proof that loading ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (self.marker,))


def test_an_index_carrying_a_pickle_is_refused_without_running_it(engine: SearchEngine, tmp_path: Path) -> None:
    index_dir, marker = tmp_path / "index", tmp_path / "pwned"
    folder = engine.save(index_dir)
    hostile = np.array([_Payload(marker)], dtype=object)
    np.save(folder / "arrays" / "bm25.idf.npy", hostile, allow_pickle=True)  # the attack, written by the test
    _rewrite_checksums(folder)  # checksums alone cannot stop someone who can write the manifest
    with pytest.raises(IndexFormatError, match=r"bm25\.idf\.npy .* cannot be read .*Object arrays cannot be loaded"):
        SearchEngine.load(index_dir)
    assert not marker.exists()


def test_no_code_loading_anywhere_in_the_project() -> None:
    """No pickle, joblib, marshal, eval of stored data or allow_pickle=True in the library, page or scripts."""
    forbidden = re.compile(
        r"^\s*(?:import|from)\s+(?:pickle|cPickle|dill|joblib|marshal|shelve)\b|allow_pickle\s*=\s*True"
        r"|pickle\.loads?\(|\beval\(|\bexec\(|yaml\.load\(|torch\.load\(",
        re.MULTILINE,
    )
    sources = [
        *(PROJECT / "search").rglob("*.py"),
        *(PROJECT / "benchmarks").rglob("*.py"),
        *PROJECT.glob("*.py"),
        *(PROJECT / "notebooks").rglob("*.ipynb"),
    ]
    assert len(sources) > 10
    offenders = [str(p.relative_to(PROJECT)) for p in sources if forbidden.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
