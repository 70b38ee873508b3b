"""Serving one index to many people: an engine that follows its index folder's new versions.

    holder = EngineHolder.for_index("/srv/help/.index")   # N page processes over one read-only folder
    engine = holder.get()                                 # between queries: one stat(), at most once a second

A writer (``python -m search build`` on another machine or process) publishes
a new version with the atomic ``CURRENT`` switch of :mod:`search.storage`. A
page holding an :class:`EngineHolder` notices the switch on its next query
(``CURRENT`` is replaced by a rename, so its inode changes) and opens the new
version; queries already running finish on the engine they started with, and
a version that cannot be opened leaves the current engine serving, with a
warning. Every array (texts and passages included) is memory-mapped,
so processes over the same folder share those pages in the page cache.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from . import storage
from .engine import SearchEngine
from .index import DEFAULT_INDEX_DIR

__all__ = ["EngineHolder"]

log = logging.getLogger("search")

CHECK_EVERY = 1.0  # seconds between two looks at CURRENT; a look is one stat() call


class EngineHolder:
    """The engine of an index folder, reloaded between queries when the folder's current version changes.

    >>> holder = EngineHolder.for_corpus("corpus")
    >>> holder.get().search("двойное списание", k=1)[0].passage_id
    'buyers-support:002'
    """

    def __init__(
        self,
        open_engine: Callable[[], SearchEngine],
        index_dir: str | Path,
        *,
        check_every: float = CHECK_EVERY,
        on_load: Callable[[SearchEngine], None] | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.check_every = check_every
        self._on_load = on_load
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        # Read before opening, so a switch during the first open is seen (and reopened) later.
        self._seen = self._pointer_stat()
        self.version = self._version_name()
        self._engine = open_engine()
        if self.version is None:  # the first open built and saved the index
            self._seen, self.version = self._pointer_stat(), self._version_name()
        self.reloads = 0
        if on_load is not None:
            on_load(self._engine)

    @classmethod
    def for_index(cls, index_dir: str | Path, **options: object) -> EngineHolder:
        """A saved index folder, opened read-only: it is never built or written here."""
        return cls(lambda: SearchEngine.load(index_dir), index_dir, **options)  # type: ignore[arg-type]

    @classmethod
    def for_corpus(cls, corpus: str | Path, index_dir: str | Path | None = None, **options: object) -> EngineHolder:
        """A corpus folder: its saved index when current, else built and saved once (see ``from_directory``)."""
        folder = Path(index_dir) if index_dir is not None else Path(corpus) / DEFAULT_INDEX_DIR
        return cls(lambda: SearchEngine.from_directory(corpus, folder), folder, **options)  # type: ignore[arg-type]

    def get(self) -> SearchEngine:
        """The engine to answer the next query with: the current version's, reopened when it changed."""
        now = time.monotonic()
        if now - self._checked < self.check_every:
            return self._engine
        with self._lock:
            if now - self._checked < self.check_every:
                return self._engine
            self._checked = now
            seen = self._pointer_stat()
            if seen is None or seen == self._seen:
                return self._engine
            self._seen = seen
            version = self._version_name()
            if version is None or version == self.version:
                return self._engine
            try:
                engine = SearchEngine.load(self.index_dir)
            except (storage.IndexFormatError, OSError) as error:
                log.warning("index version %s not opened, still serving %s: %s", version, self.version, error)
                return self._engine
            self._engine, self.version = engine, version
            self.reloads += 1
            log.info("serving index version %s from %s", version, self.index_dir)
            if self._on_load is not None:
                self._on_load(engine)
            return engine

    def _pointer_stat(self) -> tuple[int, int] | None:
        """``CURRENT``'s inode and modification time: a new version is a new file renamed over it."""
        try:
            stat = os.stat(self.index_dir / storage.CURRENT)
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def _version_name(self) -> str | None:
        try:
            return storage.current_version(self.index_dir).name
        except storage.IndexFormatError:
            return None  # no saved index (an engine built in memory): nothing to follow

    def __repr__(self) -> str:
        return f"EngineHolder({self.index_dir}, version={self.version}, reloads={self.reloads})"
