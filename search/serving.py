"""Serving one index to many people: an engine that follows new index versions; pages forked from one parent.

    holder = EngineHolder.for_index("/srv/help/.index")   # N page processes over one read-only folder
    engine = holder.get()                                 # between queries: one stat(), at most once a second

    python -m search serve --index /srv/help/.index --processes 4 --port 8501   # pages on ports 8501–8504

A writer (``python -m search build`` on another machine or process) publishes
a new version with the atomic ``CURRENT`` switch of :mod:`search.storage`. A
page holding an :class:`EngineHolder` notices the switch on its next query
(``CURRENT`` is replaced by a rename, so its inode changes) and opens the new
version; queries already running finish on the engine they started with, and
a version that cannot be opened leaves the current engine serving, with a
warning. Every array (texts and passages included) is memory-mapped,
so processes over the same folder share those pages in the page cache.

What is not an array — the interpreter, Streamlit, pymorphy3's dictionaries,
the vocabulary and spelling structures, compiled kernels — would be each
process's own. :func:`serve` imports all of it and opens the index once, in
one parent, freezes it out of the garbage collector's reach, then forks the
page processes: they share those pages copy-on-write and each owns only what
it writes afterwards.
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import storage
from .engine import SearchEngine
from .index import DEFAULT_INDEX_DIR

__all__ = ["EngineHolder", "preopened", "serve", "settle"]

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


# --- many page processes forked from one parent ------------------------------------------

# Questions that wake every lazily built part of the query path (spelling, keyboard layout,
# transliteration, morphology) in the parent, so the children share them instead of each building its own.
WARM_QUERIES = (
    "как вернуть товар",
    "вазврат тавара",
    "djpdhfn njdfhf",
    "vozvrat tovara",
    "не пришли деньги за заказ",
    "и в на с по",
)
PAGE = Path(__file__).resolve().parent.parent / "app.py"
# What a Streamlit page process imports only once its server starts and a first session runs (Streamlit
# 1.67, listed from a child's sys.modules); imported in the parent so every child shares them. Best effort:
# a name another version lacks is skipped.
SERVER_MODULES = (
    "anyio._backends._asyncio",
    "h11",
    "itsdangerous",
    "starlette.applications",
    "starlette.middleware.sessions",
    "starlette.routing",
    "starlette.staticfiles",
    "starlette.websockets",
    "streamlit.emojis",
    "streamlit.material_icon_names",
    "streamlit.runtime.scriptrunner.magic_funcs",
    "streamlit.web.server.starlette.starlette_agent_routes",
    "uvicorn.lifespan.on",
    "uvicorn.main",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.websockets.websockets_sansio_impl",
    "websockets.extensions.permessage_deflate",
    "websockets.server",
    "zoneinfo",
)

STOP_GRACE = 10.0  # seconds a page has to stop after SIGTERM before it is killed

_preopened: dict[Path, EngineHolder] = {}
_forked = False  # in a child of serve(): the parent's frozen objects must stay frozen


def preopened(index_dir: str | Path) -> EngineHolder | None:
    """The holder :func:`serve`'s parent opened for ``index_dir`` before forking this process, if any."""
    return _preopened.get(Path(index_dir).resolve())


def settle(engine: SearchEngine | None = None) -> None:
    """Move the engine's millions of objects out of the garbage collector's way.

    Streamlit runs a full ``gc.collect(2)`` after every script run; without
    this it walked the whole index each time. Frozen objects are never
    scanned, and their pages stay shared after a fork. In a single process the
    previous index is unfrozen first, so what of it is left in cycles is
    collected; in a forked child nothing is unfrozen, because the next
    collection would write to every shared page and copy it.
    """
    if not _forked:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


def serve(
    index_dir: str | Path,
    processes: int = 2,
    port: int = 8501,
    address: str = "127.0.0.1",
    page: str | Path = PAGE,
    options: dict[str, object] | None = None,
    on_ready: Callable[[list[int]], None] | None = None,
) -> int:
    """Open ``index_dir`` once, then run ``processes`` page servers on ports ``port``, ``port + 1``, … .

    The parent imports Streamlit and the page, opens the index, answers
    :data:`WARM_QUERIES`, freezes everything, and forks the children, each
    running Streamlit's server for ``page`` (``options``: Streamlit config
    options, as ``{"server.maxUploadSize": 10}``). A child that dies is forked
    again from the same parent. The parent follows the index folder too: on a
    new version it opens it and replaces the children one at a time, so they
    share the new version as they shared the old. SIGTERM or SIGINT stops them
    all. Returns when every child has stopped (0 when stopped by a signal).
    """
    if processes < 1:
        raise ValueError("processes must be at least 1")
    index = Path(index_dir).resolve()
    module = _import_page(Path(page))
    holder = EngineHolder.for_index(index, on_load=settle)
    engine = holder.get()
    for query in WARM_QUERIES:
        engine.search(query, k=10)
    settle()
    if threading.active_count() > 1:  # a fork copies one thread; a lock another one held would never be released
        raise RuntimeError(f"cannot fork page processes: {threading.active_count()} threads are running")
    _preopened[index] = holder
    static = preloading_static_dir(getattr(module, "FRONTEND_ELEMENTS", ()))
    try:
        return _serve_pages(Path(page), processes, port, address, index, options or {}, holder, static, on_ready)
    finally:
        if static is not None:
            shutil.rmtree(static, ignore_errors=True)


def _serve_pages(
    page: Path,
    processes: int,
    port: int,
    address: str,
    index: Path,
    options: dict[str, object],
    holder: EngineHolder,
    static: Path | None,
    on_ready: Callable[[list[int]], None] | None,
) -> int:
    pages = _Pages(page, address, index, options, holder, static)
    ports = [port + number for number in range(processes)]
    signal.signal(signal.SIGTERM, pages.stop)  # before the first fork: a stop must never orphan a page
    signal.signal(signal.SIGINT, pages.stop)
    for number in ports:
        if not pages.stopping:
            pages.start(number)
    log.info("serving %s: %d page processes on %s:%s", index, processes, address, ", ".join(map(str, ports)))
    if on_ready is not None:
        on_ready(list(pages.children))
    return pages.run()


class _Pages:
    """The page processes of one :func:`serve` parent: forked, forked again when one dies, moved onto a new
    index version one at a time, stopped together."""

    def __init__(
        self,
        page: Path,
        address: str,
        index: Path,
        options: dict[str, object],
        holder: EngineHolder,
        static: Path | None = None,
    ):
        self.page, self.address, self.index, self.options, self.static = page, address, index, options, static
        self.holder, self.engine = holder, holder.get()
        self.children: dict[int, int] = {}  # pid → port
        self.rolling: list[int] = []  # pages still on the previous index version, replaced one at a time
        self.stopping, self.stopped_at, self.roll_sent, self.status = False, 0.0, 0.0, 0

    def start(self, port: int) -> None:
        self.children[_fork_page(self.page, port, self.address, self.index, self.options, self.static)] = port

    def stop(self, signum: int, _frame: object) -> None:
        self.stopping = True
        for pid in list(self.children):
            _signal(pid, signal.SIGTERM)

    def run(self) -> int:
        """Until every page has stopped (0 when stopped by a signal)."""
        while self.children:
            try:
                pid, code = os.waitpid(-1, os.WNOHANG)  # polled: a stop must not wait on a page that ignores it
            except ChildProcessError:
                break
            if pid == 0:
                self._tick()
                time.sleep(0.1)
            else:
                self._reaped(pid, code)
        return 0 if self.stopping else self.status

    def _tick(self) -> None:
        now = time.monotonic()
        if self.stopping:
            self.stopped_at = self.stopped_at or now
            if now - self.stopped_at > STOP_GRACE:
                for late in list(self.children):
                    _signal(late, signal.SIGKILL)
        elif self.rolling:
            if now - self.roll_sent > STOP_GRACE:
                _signal(self.rolling[0], signal.SIGKILL)
        elif self.holder.get() is not self.engine:
            # A new index version, opened here (one stat a second): pages forked from now on share it, so the
            # running ones are replaced one at a time — the others keep answering meanwhile.
            self.engine = self.holder.get()
            self.rolling = list(self.children)
            log.info("index version %s: replacing %d page processes", self.holder.version, len(self.rolling))
            self._roll_next()

    def _roll_next(self) -> None:
        if self.rolling:
            _signal(self.rolling[0], signal.SIGTERM)
            self.roll_sent = time.monotonic()

    def _reaped(self, pid: int, code: int) -> None:
        port = self.children.pop(pid, None)
        if port is None or self.stopping:
            return
        if pid in self.rolling:
            self.rolling.remove(pid)
            self.start(port)
            self._roll_next()
            return
        self.status = os.waitstatus_to_exitcode(code)
        log.warning("page process %d on port %d stopped (%s); starting another", pid, port, self.status)
        time.sleep(1)  # a page that cannot start must not spin the parent
        if not self.stopping:  # a stop that came during the pause must not be followed by a new page
            self.start(port)


def _import_page(page: Path) -> Any:
    """Import Streamlit's server and the page's own imports in the parent, so every child shares them."""
    import streamlit.runtime.scriptrunner  # noqa: F401
    import streamlit.web.bootstrap  # noqa: F401
    import streamlit.web.server.server  # noqa: F401

    for name in SERVER_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            log.debug("%s not imported in the parent", name)

    spec = importlib.util.spec_from_file_location("search_page_preload", page)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no page at {page}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    caching = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = caching.level
    caching.setLevel(logging.ERROR)  # "No runtime found": true, and expected, outside a page process
    try:
        spec.loader.exec_module(module)  # defines functions only: main() runs when the script is __main__
    finally:
        caching.setLevel(level)
    return module


def _fork_page(
    page: Path, port: int, address: str, index: Path, options: dict[str, object], static: Path | None = None
) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        global _forked
        _forked = True
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _run_page(page, port, address, index, options, static)
        code = 0
    except BaseException:  # the child must never return into the parent's loop
        log.exception("page process on port %d failed", port)
    finally:
        os._exit(code)


_IMPORT = re.compile(r'(?:from|import)\s*"\./([\w.-]+\.js)"')


def frontend_chunks(static: Path, elements: Iterable[str]) -> list[str]:
    """The JavaScript files Streamlit's frontend loads to draw ``elements`` (``"TextInput"``, ``"Html"``, …).

    Each element's own chunk (``static/js/TextInput.<hash>.js``) and every chunk it imports, found
    by following the chunks' static ``import … from "./…"``, in a stable order; an element with no
    single chunk of its name is skipped, so another Streamlit version degrades to fewer preloads.
    """
    folder = static / "static" / "js"
    found: dict[str, None] = {}
    waiting = []
    for element in elements:
        named = sorted(folder.glob(f"{element}.*.js"))
        named = [path for path in named if re.fullmatch(rf"{re.escape(element)}\.[\w-]+\.js", path.name)]
        if len(named) == 1:
            waiting.append(named[0].name)
    while waiting:
        name = waiting.pop(0)
        if name in found or not (folder / name).is_file():
            continue
        found[name] = None
        waiting.extend(_IMPORT.findall((folder / name).read_text(encoding="utf-8", errors="replace")))
    return list(found)


def preloading_static_dir(elements: Iterable[str]) -> Path | None:
    """Streamlit's static folder, its ``index.html`` asking the browser for ``elements``' chunks at once.

    Streamlit's frontend fetches an element's code when the first one arrives over the
    WebSocket: a ``?q=`` load fetched the search box's and the cards' chunks only after the
    script had run, and its first result waited for them (Chromium: ~0.3 s of a ~1.4 s load).
    Listed as ``<link rel="modulepreload">`` they download while the frontend starts. The
    folder is a temporary copy of links to Streamlit's files but for ``index.html``;
    ``None`` (Streamlit's own folder) when there is nothing to add.
    """
    from streamlit import file_util

    static = Path(file_util.get_static_dir())
    index = static / "index.html"
    if not index.is_file():
        return None
    page = index.read_text(encoding="utf-8")
    chunks = [name for name in frontend_chunks(static, elements) if f"./static/js/{name}" not in page]
    if not chunks or "</head>" not in page:
        return None
    links = "".join(f'    <link rel="modulepreload" crossorigin href="./static/js/{name}">\n' for name in chunks)
    folder = Path(tempfile.mkdtemp(prefix="search-static-"))
    for entry in static.iterdir():
        if entry.name != "index.html":
            (folder / entry.name).symlink_to(entry)
    (folder / "index.html").write_text(page.replace("</head>", links + "  </head>", 1), encoding="utf-8")
    return folder


def send_small_messages_at_once() -> None:
    """Turn Nagle's algorithm off on every TCP connection asyncio accepts in this process.

    asyncio sets ``TCP_NODELAY`` only on sockets whose ``proto`` is
    ``IPPROTO_TCP``; Streamlit (1.67) makes its listening socket with
    ``socket.socket(family=…)``, proto 0, so the WebSockets it accepts keep
    Nagle on. A script run answers with several small frames: the second waits
    for the browser's delayed ACK, ~40 ms, on every query. Measured on loopback
    with a one-widget page: a rerun 44 ms before, 6 ms after.
    """
    from asyncio import base_events

    def set_nodelay(sock: socket.socket) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    base_events._set_nodelay = set_nodelay  # type: ignore[attr-defined]


def _run_page(
    page: Path, port: int, address: str, index: Path, options: dict[str, object], static: Path | None = None
) -> None:
    """What ``streamlit run PAGE -- --index INDEX`` does, in this (forked) process."""
    from streamlit import config, file_util
    from streamlit.web import bootstrap

    send_small_messages_at_once()
    if static is not None:  # read once, when the server makes its routes
        file_util.get_static_dir = lambda: str(static)
    config._main_script_path = str(page)  # as `streamlit run` sets it, before the config is read
    flags = {
        "server.port": port,
        "server.address": address,
        "server.headless": True,
        "server.fileWatcherType": "none",
        "browser.gatherUsageStats": False,
        **options,
    }
    flags = {name.replace(".", "_"): value for name, value in flags.items()}
    bootstrap.load_config_options(flag_options=flags)
    bootstrap.run(str(page), False, ["--index", str(index)], flags)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
