"""The on-disk index format: atomic versions, validation, no code on load."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest

from search import storage
from search.storage import IndexFormatError, read_index, write_index

MANIFEST = {"fingerprint": "abc"}


def test_round_trip_is_exact(tmp_path: Path) -> None:
    arrays = {"weights": np.linspace(0, 1, 7), "ids": np.arange(5, dtype=np.int32)}
    write_index(tmp_path, MANIFEST, {"passages": [{"id": "a:000", "text": "Возврат"}]}, arrays)
    manifest, parts, loaded = read_index(tmp_path)
    assert manifest["fingerprint"] == "abc" and manifest["format_version"] == storage.FORMAT_VERSION
    assert parts == {"passages": [{"id": "a:000", "text": "Возврат"}]}
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype and (loaded[name] == array).all()


def test_a_failed_write_leaves_the_previous_version_whole(tmp_path: Path) -> None:
    write_index(tmp_path, MANIFEST, {"p": [1]}, {"a": np.ones(3)})
    with pytest.raises(ValueError):  # object arrays need pickle, which is refused
        write_index(tmp_path, {"fingerprint": "new"}, {"p": [2]}, {"a": np.array([object()])})
    manifest, parts, _ = read_index(tmp_path)
    assert manifest["fingerprint"] == "abc" and parts == {"p": [1]}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".v-")] == []


def test_a_new_version_replaces_the_old_one(tmp_path: Path) -> None:
    write_index(tmp_path, MANIFEST, {"p": [1]}, {"a": np.ones(3)})
    write_index(tmp_path, {"fingerprint": "new"}, {"p": [2]}, {"a": np.zeros(3)})
    assert read_index(tmp_path)[0]["fingerprint"] == "new"
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("v-")]) == 1


def test_a_flipped_byte_is_caught_by_the_checksum(tmp_path: Path) -> None:
    folder = write_index(tmp_path, MANIFEST, {"p": [1]}, {"a": np.ones(100)})
    path = folder / "arrays" / "a.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(
        IndexFormatError, match=r"a\.npy in .* \(checksum mismatch\); rebuild it: python -m search build"
    ):
        read_index(tmp_path)


def test_a_pointer_to_nowhere_is_refused(tmp_path: Path) -> None:
    write_index(tmp_path, MANIFEST, {"p": [1]}, {"a": np.ones(3)})
    (tmp_path / "CURRENT").write_text("../../etc", encoding="ascii")
    with pytest.raises(IndexFormatError, match="names no index version"):
        read_index(tmp_path)


def test_the_lock_serialises_writers(tmp_path: Path) -> None:
    inside = 0
    overlaps = []

    def writer(n: int) -> None:
        nonlocal inside
        with storage.locked(tmp_path):
            inside += 1
            overlaps.append(inside)
            write_index(tmp_path, {"fingerprint": str(n)}, {"p": [n]}, {"a": np.full(10, n)})
            inside -= 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(overlaps) == 1
    manifest, parts, arrays = read_index(tmp_path)
    assert parts["p"] == [int(manifest["fingerprint"])] and (arrays["a"] == parts["p"][0]).all()


def test_no_pickle_anywhere_in_the_library() -> None:
    source = Path(storage.__file__).parent
    pattern = re.compile(r"import pickle|joblib|allow_pickle\s*=\s*True|pickle\.load")
    offenders = [p.name for p in source.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_word_neighbours_round_trip_and_a_table_of_another_lexicon_is_one_clear_error(
    engine, tmp_path: Path
) -> None:
    """The re-ranker's nearest-lemma table is saved with the index, read back equal, and checked against the
    lexicon it was made for (a table of another vocabulary's size names itself and the fix)."""
    from dataclasses import replace

    from search.alignment import WordNeighbours
    from search.index import Index

    index = engine.index
    assert index.neighbours is not None and len(index.neighbours) > 0
    index.save(tmp_path / "good")
    loaded = Index.load(tmp_path / "good").neighbours
    assert loaded is not None
    for name in ("indptr", "targets", "cosines"):
        original = getattr(index.neighbours, name)
        assert getattr(loaded, name).dtype == original.dtype and np.array_equal(getattr(loaded, name), original)
    table = index.neighbours
    kept = int(table.indptr[-2])  # the last term left out: a table of a vocabulary one term smaller
    short = WordNeighbours(table.indptr[:-1], table.targets[:kept], table.cosines[:kept])
    replace(index, neighbours=short).save(tmp_path / "bad")
    with pytest.raises(IndexFormatError, match=r"word neighbours .* rebuild it"):
        Index.load(tmp_path / "bad")
