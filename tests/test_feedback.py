"""FeedbackStore: votes round-trip, user text never becomes SQL, unwritable databases fail clearly."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from search import feedback
from search.feedback import FeedbackError, FeedbackStore, Vote

HOSTILE = [
    "'; DROP TABLE feedback; --",
    'x"); DELETE FROM feedback; --',
    "Robert'); DROP TABLE feedback;--",
    "1 OR 1=1",
    "<script>alert(1)</script>",
    "кавычки «ёлки» и 'апостроф' \\ обратная косая \x00 нуль",
]


def test_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "data" / "feedback.sqlite3"  # the folder is created on the first vote
    store = FeedbackStore(db)
    store.record("двойное списание", "buyers-support:002", 1, retriever="hybrid", rank=1)
    store.record("двойное списание", "seller-channels:011", -1, retriever="bm25")
    votes = FeedbackStore(db).votes()
    assert [(v.query, v.passage_id, v.vote, v.retriever, v.rank) for v in votes] == [
        ("двойное списание", "buyers-support:002", 1, "hybrid", 1),
        ("двойное списание", "seller-channels:011", -1, "bm25", None),
    ]
    assert all(isinstance(v, Vote) and v.created.endswith("+00:00") for v in votes)


def test_the_table_is_plain_sql_for_the_notebooks(tmp_path: Path) -> None:
    db = tmp_path / "feedback.sqlite3"
    FeedbackStore(db).record("возврат", "buyers-support:004", 1, retriever="hybrid", rank=3)
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT query, passage_id, vote, retriever, rank FROM feedback").fetchall()
        version = connection.execute("PRAGMA user_version").fetchone()[0]
    assert rows == [("возврат", "buyers-support:004", 1, "hybrid", 3)]
    assert version == feedback.SCHEMA_VERSION


@pytest.mark.parametrize("text", HOSTILE)
def test_injection_looking_text_is_stored_as_it_is(tmp_path: Path, text: str) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.record(text, text, -1, retriever=text)
    store.record("обычный запрос", "doc:000", 1, retriever="hybrid")
    votes = store.votes()
    assert [(v.query, v.passage_id, v.retriever) for v in votes[:1]] == [(text, text, text)]
    assert len(votes) == 2  # nothing dropped, nothing deleted


@pytest.mark.parametrize("vote", [0, 2, -2, "1", None])
def test_a_vote_is_plus_or_minus_one(tmp_path: Path, vote: object) -> None:
    with pytest.raises(ValueError, match=r"vote must be \+1 or -1"):
        FeedbackStore(tmp_path / "feedback.sqlite3").record("q", "p", vote, retriever="hybrid")  # type: ignore[arg-type]


def test_a_read_only_database_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db = tmp_path / "feedback.sqlite3"
    FeedbackStore(db).record("до", "doc:000", 1, retriever="hybrid")
    # File permissions do not stop root (CI runs as root), so open the file read-only the way SQLite does
    # for a read-only mount or file: the same "attempt to write a readonly database" error.
    connect = sqlite3.connect
    monkeypatch.setattr(feedback.sqlite3, "connect", lambda path, **kw: connect(f"file:{path}?mode=ro", uri=True, **kw))
    store = FeedbackStore(db)
    with pytest.raises(FeedbackError, match=r"Оценка не сохранена: файл открыт только для чтения \(.*feedback"):
        store.record("после", "doc:000", -1, retriever="hybrid")
    assert [v.query for v in store.votes()] == ["до"]  # reading still works


def test_a_locked_database_is_a_clear_error_after_a_bounded_wait(tmp_path: Path) -> None:
    db = tmp_path / "feedback.sqlite3"
    FeedbackStore(db).record("до", "doc:000", 1, retriever="hybrid")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(FeedbackError, match="база занята"):
            FeedbackStore(db, timeout=0.1).record("после", "doc:000", 1, retriever="hybrid")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(FeedbackStore(db).votes()) == 1


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "feedback.sqlite3"
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(FeedbackError, match="не база SQLite"):
        FeedbackStore(db).record("q", "doc:000", 1, retriever="hybrid")


def test_a_folder_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(FeedbackError, match="нет доступа к папке"):
        FeedbackStore(blocker / "feedback.sqlite3").record("q", "doc:000", 1, retriever="hybrid")


def test_votes_from_many_threads_all_land(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3", timeout=10)
    errors: list[BaseException] = []

    def vote(n: int) -> None:
        try:
            for i in range(5):
                store.record(f"запрос {n}", f"doc:{i:03d}", 1 if i % 2 else -1, retriever="hybrid", rank=i + 1)
        except BaseException as error:  # noqa: BLE001 - surfaced below
            errors.append(error)

    threads = [threading.Thread(target=vote, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and len(store.votes()) == 20


def test_in_memory_store_for_experiments() -> None:
    store = FeedbackStore(":memory:")
    store.record("q", "doc:000", 1, retriever="tfidf")
    assert [(v.query, v.vote, v.retriever) for v in store.votes()] == [("q", 1, "tfidf")]
