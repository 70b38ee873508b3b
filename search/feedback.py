"""Relevance feedback from real use: 👍 / 👎 on a hit, kept in a small SQLite file.

One row per vote, never updated: a person who changes their mind leaves two
rows, and the later one (``created``) is their judgment. The notebooks read
the table as it is::

    feedback(id, created, query, passage_id, vote, retriever, rank)

Every statement is parameterised; nothing a user typed is ever part of SQL
text. A database that cannot be written (read-only, locked by another
writer, not a database, in a folder that cannot be created) raises
:class:`FeedbackError` with a message a page can show as it is.

>>> store = FeedbackStore(":memory:")
>>> store.record("двойное списание", "buyers-support:003", +1, retriever="hybrid", rank=1)
>>> [(v.query, v.vote) for v in store.votes()]
[('двойное списание', 1)]
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["FeedbackError", "FeedbackStore", "Vote"]

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id         INTEGER PRIMARY KEY,
    created    TEXT    NOT NULL,                          -- ISO 8601, UTC
    query      TEXT    NOT NULL,                          -- as typed
    passage_id TEXT    NOT NULL,
    vote       INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    retriever  TEXT    NOT NULL,                          -- the ranking the person saw
    rank       INTEGER                                    -- where the hit stood (position bias)
)
"""
_INSERT = "INSERT INTO feedback (created, query, passage_id, vote, retriever, rank) VALUES (?, ?, ?, ?, ?, ?)"
_SELECT = "SELECT created, query, passage_id, vote, retriever, rank FROM feedback ORDER BY id"


class FeedbackError(RuntimeError):
    """A vote could not be stored or read; the message says why, in Russian, for the page."""


@dataclass(frozen=True, slots=True)
class Vote:
    created: str
    query: str
    passage_id: str
    vote: int
    retriever: str
    rank: int | None = None


class FeedbackStore:
    """Votes in the SQLite file at ``path`` (created with its folder on the first vote).

    ``timeout`` bounds the wait for another writer's lock, so a busy database
    costs a page at most that long before :class:`FeedbackError`.
    """

    def __init__(self, path: str | Path, *, timeout: float = 2.0) -> None:
        self.path = path if path == ":memory:" else Path(path)
        self.timeout = timeout
        # ":memory:" lives as long as its connection: keep one (tests, doctests).
        self._memory = self._connect() if path == ":memory:" else None

    def record(self, query: str, passage_id: str, vote: int, *, retriever: str, rank: int | None = None) -> None:
        """Store one vote: ``+1`` (👍) or ``-1`` (👎)."""
        if vote not in (-1, 1):
            raise ValueError(f"vote must be +1 or -1, not {vote!r}")
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._transaction() as connection:
            connection.execute(_INSERT, (created, str(query), str(passage_id), int(vote), str(retriever), rank))

    def votes(self) -> list[Vote]:
        """Every vote, oldest first."""
        with self._transaction() as connection:
            return [Vote(*row) for row in connection.execute(_SELECT)]

    def __repr__(self) -> str:
        return f"FeedbackStore({str(self.path)!r})"

    # --- connections -------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=self.timeout)
        try:
            # Only a new file is written here, so an existing read-only database can still be read.
            if connection.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                connection.execute(_SCHEMA)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")  # a constant, never user input
                connection.commit()
        except BaseException:
            connection.close()
            raise
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            if self._memory is not None:
                with self._memory:
                    yield self._memory
                return
            if isinstance(self.path, Path):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # A connection per call: the page's sessions run in threads, and a vote is rare.
            with closing(self._connect()) as connection, connection:
                yield connection
        except (sqlite3.Error, OSError) as error:
            raise FeedbackError(_explain(error, self.path)) from error


def _explain(error: sqlite3.Error | OSError, path: str | Path) -> str:
    text = str(error).lower()
    if "readonly" in text or "read-only" in text or isinstance(error, PermissionError):
        reason = "файл открыт только для чтения"
    elif "locked" in text or "busy" in text:
        reason = "база занята другим процессом, попробуйте ещё раз"
    elif "not a database" in text or "malformed" in text:
        reason = "файл повреждён или это не база SQLite"
    elif isinstance(error, OSError):
        reason = f"нет доступа к папке ({error.strerror or error})"
    else:
        reason = str(error)
    return f"Оценка не сохранена: {reason} ({path})."
