"""The index on disk: open formats, validated before use, replaced atomically.

An index directory holds one or more complete versions and a ``CURRENT``
file naming the one in use::

    index/
      CURRENT                 "v-20261123T141502-5f3a…"
      v-20261123T141502-5f3a…/
        manifest.json         format, version, corpus fingerprint, settings,
                              library versions, sha256 and size of every file
        documents.json  passages.json  lexicon.json  retrievers.json   small parameters
        arrays/<name>.npy     every array — texts, passages, postings — memory-mapped read-only
                              (allow_pickle=False), so processes over one folder share its pages

A new version is written beside the old one and ``CURRENT`` is swapped with
``os.replace``, an atomic rename: a build killed at any moment leaves the
previous index whole, and a reader never sees half a version. Loading reads
JSON and ``.npy`` only; nothing on disk is ever executed.

Writers stage their files privately and take a short lock (``.write.lock``)
only to publish: rename the staged folder, swap ``CURRENT``, sweep what dead
writers left behind. Two processes saving at once therefore both finish, the
later one wins, and neither deletes the other's work. A reader that loses a
race with a writer (its version swept away mid-read) reads the new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import mmap
import os
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Self

import numpy as np

__all__ = [
    "IndexFormatError",
    "IndexNotFoundError",
    "FORMAT",
    "FORMAT_VERSION",
    "MappedFile",
    "read_index",
    "read_json",
    "release_pages",
    "spill_arrays",
    "spill_folder",
    "write_index",
    "locked",
]

FORMAT = "ru-faq-search-index"
FORMAT_VERSION = 4  # 2: documents and passages as arrays (search.store), every array memory-mapped;
# 3: spelling's deletion index and word frequencies saved with the index (search.vocabulary.DeletionIndex);
# 4: each lemma's nearest lemmas by Navec cosine saved with the index (search.alignment.WordNeighbours)
CHECKSUM_MAX_BYTES = 64 * 2**20  # files up to this size are hashed on every load
MMAP_MIN_BYTES = 0  # arrays over this size are memory-mapped, not read: all of them
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
WRITE_LOCK = ".write.lock"  # held only while publishing a version; `locked` uses ".lock" for whole builds
# A read that loses its version to a newer one starts over on the newer one. Publishing is rare, but two
# writers saving back to back can sweep a version away while a slower reader (checksums, many files) reads it.
_READ_ATTEMPTS = 20

# Staging folders of writes in progress in this process (threads), which a sweep must not touch.
_staging_here: set[str] = set()
_staging_lock = threading.Lock()


class IndexFormatError(ValueError):
    """The index cannot be used: corrupt, truncated, edited, foreign or of another version."""


class IndexNotFoundError(IndexFormatError, FileNotFoundError):
    """There is no index in the directory yet."""


def _fix(directory: Path) -> str:
    return f"rebuild it: python -m search build --index {directory}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_file(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_directory(directory: Path) -> None:
    """Make a rename inside ``directory`` durable (a killed process needs none of this; a power cut does)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_index(
    directory: str | Path, manifest: dict[str, Any], parts: dict[str, Any], arrays: dict[str, np.ndarray]
) -> Path:
    """Write a new version of the index and make it current; return its folder.

    Safe against being killed at any moment (the previous version stays
    current) and against other writers, threads or processes, at the same time.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    version = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{os.urandom(4).hex()}"
    staging = directory / f".{version}.tmp"
    with _staging_lock:
        _staging_here.add(staging.name)
    try:
        (staging / "arrays").mkdir(parents=True)
        files: dict[str, dict[str, Any]] = {}
        for name, value in parts.items():
            path = staging / f"{name}.json"
            _write_file(path, json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        for name, array in arrays.items():
            with (staging / "arrays" / f"{name}.npy").open("wb") as handle:
                _save_array(handle, array)
                handle.flush()
                os.fsync(handle.fileno())
        for path in sorted(staging.rglob("*")):
            if path.is_file():
                files[path.relative_to(staging).as_posix()] = {"sha256": _sha256(path), "bytes": path.stat().st_size}
        full = {"format": FORMAT, "format_version": FORMAT_VERSION, **manifest, "files": files}
        _write_file(staging / MANIFEST, json.dumps(full, ensure_ascii=False, indent=2).encode())
        final = directory / version
        with _flock(directory / WRITE_LOCK):
            staging.rename(final)
            pointer = directory / f".{CURRENT}.{version}.tmp"
            _write_file(pointer, version.encode())
            os.replace(pointer, directory / CURRENT)  # the atomic switch
            _fsync_directory(directory)
            _sweep(directory, keep=version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        with _staging_lock:
            _staging_here.discard(staging.name)
    return final


COPY_BLOCK = 8 * 2**20  # bytes a mapped array is copied by (_save_array)


def _save_array(handle: BinaryIO, array: np.ndarray) -> None:
    """``np.save``'s bytes; an array that is a whole mapped file is copied from its file by ``pread``.

    Saved through its map, every page of it would be read into this process (a build's
    spilled text buffer, :meth:`search.store.DocumentTable.build`, or an opened index saved
    again); copied, they only pass through the page cache.
    """
    file = MappedFile.of(array) if array.dtype.names is None else None
    if file is None:
        np.save(handle, np.ascontiguousarray(array), allow_pickle=False)
        return
    np.lib.format.write_array_header_1_0(handle, np.lib.format.header_data_from_array_1_0(array))
    step = max(COPY_BLOCK // array.dtype.itemsize, 1)
    for start in range(0, len(file), step):
        handle.write(file.bytes(start, min(start + step, len(file))))


def _writer_alive(staging_name: str) -> bool:
    """Whether the process that named this staging folder ``.v-<time>-<pid>-<random>.tmp`` still runs it."""
    if staging_name in _staging_here:
        return True
    try:
        pid = int(staging_name.split("-")[2])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return False  # ours, and not in progress: a write that failed
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep(directory: Path, keep: str) -> None:
    """Remove superseded versions and what killed writers left; called under the write lock."""
    for path in directory.iterdir():
        name = path.name
        if name == keep:
            continue
        if name.startswith("v-") and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)  # superseded, or renamed by a writer killed before its swap
        elif name.startswith(".v-") and name.endswith(".tmp") and path.is_dir() and not _writer_alive(name):
            shutil.rmtree(path, ignore_errors=True)  # staged by a writer that died
        elif name.startswith(f".{CURRENT}.") and name.endswith(".tmp"):
            path.unlink(missing_ok=True)  # a pointer written by a writer killed before its swap


def current_version(directory: str | Path) -> Path:
    """The folder of the version in use, or :class:`IndexNotFoundError`."""
    directory = Path(directory)
    try:
        name = (directory / CURRENT).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise IndexNotFoundError(
            f"no index in {directory}: build it: python -m search build --index {directory}"
        ) from None
    except (UnicodeDecodeError, OSError) as error:
        raise IndexFormatError(f"unreadable index pointer {directory / CURRENT} ({error}); {_fix(directory)}") from None
    if not name.startswith("v-") or "/" in name or not (directory / name).is_dir():
        raise IndexFormatError(f"index pointer {directory / CURRENT} names no index version; {_fix(directory)}")
    return directory / name


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest of the current version, checked for format and version."""
    directory = Path(directory)
    return _read_manifest(directory, current_version(directory))


def _read_manifest(directory: Path, folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexFormatError(
            f"corrupt index manifest in {folder} ({error.__class__.__name__}); {_fix(directory)}"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexFormatError(f"{folder} is not a {FORMAT} index; {_fix(directory)}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(
            f"index format version {manifest.get('format_version')} in {folder}, this library reads {FORMAT_VERSION}; "
            f"{_fix(directory)}"
        )
    return manifest


def read_json(path: Path, refuse: Callable[[str], Exception]) -> Any:
    """A model file's JSON; one that cannot be read (missing, not UTF-8, not JSON) raises ``refuse(problem)``, the
    caller's one clear error naming the file and how to make it again."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise refuse(f"{error.__class__.__name__}: {error}") from None


class JsonModel:
    """``save`` and ``load`` of a learned model kept as one JSON object (its ``to_json`` / ``from_json``): an
    unreadable file is the class's ``format_error`` naming the file and the command that makes it again."""

    described: ClassVar[str]  # what the file holds, for the error: "re-ranker model"
    retrain: ClassVar[str]  # the command that makes it again
    format_error: ClassVar[type[ValueError]]
    indent: ClassVar[int | None] = None

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_json(cls, data: Any, source: str) -> Self:
        raise NotImplementedError

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=self.indent), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Self:
        path = Path(path)
        refuse = cls.format_error
        data = read_json(
            path, lambda problem: refuse(f"{path}: unreadable {cls.described} ({problem}); retrain it: {cls.retrain}")
        )
        return cls.from_json(data, str(path))


def read_index(
    directory: str | Path, verify: bool | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, np.ndarray]]:
    """Manifest, JSON parts and arrays of the current version, validated against the manifest.

    Every file's size is checked; its sha256 too with ``verify=True``, never
    with ``False``, and by default for files up to ``CHECKSUM_MAX_BYTES`` (all
    of a help center's index; a million-passage index opens in about a
    second instead of hashing a gigabyte).

    The version is resolved once, so the manifest and the files always belong
    together; if a writer sweeps that version away mid-read, the new current
    version is read instead.
    """
    directory = Path(directory)
    for attempt in range(_READ_ATTEMPTS):
        folder = current_version(directory)
        try:
            return _read_version(directory, folder, verify)
        except (IndexFormatError, OSError) as error:
            try:
                moved = current_version(directory) != folder
            except IndexFormatError:
                moved = False
            if moved and attempt + 1 < _READ_ATTEMPTS:
                continue
            if isinstance(error, IndexFormatError):
                raise
            raise IndexFormatError(
                f"index in {folder} cannot be read ({error.__class__.__name__}: {error}); {_fix(directory)}"
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _read_version(
    directory: Path, folder: Path, verify: bool | None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, np.ndarray]]:
    manifest = _read_manifest(directory, folder)
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise IndexFormatError(f"index manifest in {folder} lists no files; {_fix(directory)}")
    parts: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    for name, meta in files.items():
        path = folder / name
        if not isinstance(meta, dict) or not path.resolve().is_relative_to(folder.resolve()) or not path.is_file():
            raise IndexFormatError(f"index file {name} is missing from {folder}; {_fix(directory)}")
        size = path.stat().st_size
        checked = verify is True or (verify is None and size <= CHECKSUM_MAX_BYTES)
        if size != meta.get("bytes") or (checked and _sha256(path) != meta.get("sha256")):
            raise IndexFormatError(
                f"index file {name} in {folder} is corrupt or truncated (checksum mismatch); {_fix(directory)}"
            )
        try:
            if name.endswith(".json"):
                parts[name.removesuffix(".json")] = json.loads(path.read_text(encoding="utf-8"))
            elif name.startswith("arrays/") and name.endswith(".npy"):
                arrays[name.removeprefix("arrays/").removesuffix(".npy")] = _load_array(path, size)
        except ValueError as error:
            raise IndexFormatError(
                f"index file {name} in {folder} cannot be read ({error}); {_fix(directory)}"
            ) from None
    return manifest, parts, arrays


def _load_array(path: Path, size: int) -> np.ndarray:
    """An array of the index, mapped read-only, not read: a restart or a second process shares the page cache.

    An empty array cannot be mapped and is read; an object array is refused by ``np.load`` either way.
    """
    if size > MMAP_MIN_BYTES:
        try:
            # A plain ndarray over the map (its .base): np.memmap's own indexing costs µs per call.
            return np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
        except ValueError:
            pass  # empty, or holding Python objects: the plain load says which
    return np.load(path, allow_pickle=False)


class MappedFile:
    """A saved 1-D array read by ``os.pread`` rather than through its memory map: only the entries asked for.

    Page-cache folios are large on current kernels (hundreds of KiB), and one
    byte touched through a map maps its whole folio into the process (100
    random bytes of a 64 MiB file made all of it resident; ``MADV_RANDOM``
    changes nothing). So after 200 queries at 100k the text buffer (64 MiB),
    TF-IDF's bigram codes and IDF (12 + 11 MiB) were wholly resident for a few
    thousand entries read. ``pread`` copies just those and maps nothing; the
    pages stay in the page cache every process shares. Thread-safe (no file
    position); the descriptor closes with the object.
    """

    __slots__ = ("_fd", "_offset", "_size", "dtype", "__weakref__")

    def __init__(self, fd: int, offset: int, size: int, dtype: np.dtype) -> None:
        self._fd, self._offset, self._size, self.dtype = fd, offset, size, dtype
        weakref.finalize(self, os.close, fd)

    @classmethod
    def of(cls, array: np.ndarray, flat: bool = False) -> MappedFile | None:
        """The file under ``array`` when it is a whole 1-D ``np.memmap`` (as a loaded index's), else None.

        ``array`` may be a view of the whole map (scipy's matrices made of a loaded index's arrays hold such views);
        ``flat=True`` takes a whole C-ordered map of any shape, read as its flattened entries.
        """
        if flat:
            return cls.of(array.reshape(-1)) if array.flags.c_contiguous else None
        mapped = array
        while not isinstance(mapped, np.memmap) and isinstance(mapped.base, np.ndarray):
            mapped = mapped.base
        if not isinstance(mapped, np.memmap):
            return None
        if mapped is not array and (
            not array.flags.c_contiguous
            or array.__array_interface__["data"][0] != mapped.__array_interface__["data"][0]
        ):
            return None  # not the map's own first byte onwards
        whole = array.size == mapped.size and mapped.flags.c_contiguous  # a flattened view of all of it
        known = _opened.get(id(mapped))
        if known is not None and known[0]() is mapped and whole and array.dtype == mapped.dtype:
            return known[1]  # opened before: the same descriptor, even once the file's name is gone
        filename, offset = getattr(mapped, "filename", None), getattr(mapped, "offset", None)
        if not hasattr(os, "pread") or filename is None or offset is None:
            return None
        if array.ndim != 1 or not whole or array.dtype != mapped.dtype:  # a view of part of it
            return None
        if not mapped.flags.c_contiguous:
            return None
        try:
            fd = os.open(filename, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None
        if os.fstat(fd).st_size < offset + mapped.nbytes:  # not the file that was mapped
            os.close(fd)
            return None
        file = cls(fd, int(offset), int(mapped.size), mapped.dtype)
        _opened[id(mapped)] = (weakref.ref(mapped), file)
        weakref.finalize(mapped, _opened.pop, id(mapped), None)  # before its id can be another object's
        return file

    def __len__(self) -> int:
        return self._size

    def bytes(self, start: int, end: int) -> bytes:
        """The raw bytes of entries ``start:end``."""
        if not 0 <= start <= end <= self._size:
            raise IndexError(f"entries {start}:{end} outside an array of {self._size}")
        width = self.dtype.itemsize
        data = os.pread(self._fd, (end - start) * width, self._offset + start * width)
        if len(data) != (end - start) * width:
            raise OSError(f"short read of an index array ({len(data)} of {(end - start) * width} bytes)")
        return data

    def read(self, start: int, end: int) -> np.ndarray:
        """Entries ``start:end``, a copy."""
        return np.frombuffer(self.bytes(start, end), dtype=self.dtype)

    def take(self, positions: Sequence[int]) -> np.ndarray:
        """The entries at ``positions`` (one read each: for a handful of them)."""
        return np.array([self.read(p, p + 1)[0] for p in positions], dtype=self.dtype)


def release_pages(array: np.ndarray) -> None:
    """Drop a mapped array's pages from this process (``MADV_DONTNEED``) after reading all of it once.

    The file's pages stay in the page cache; a later read maps them again. Nothing for an array in memory.
    """
    mapped = array
    while not isinstance(mapped, np.memmap) and isinstance(mapped.base, np.ndarray):
        mapped = mapped.base
    # Read-only maps only: on a copy-on-write one ("c") it would throw away what was written.
    handle = getattr(mapped, "_mmap", None) if isinstance(mapped, np.memmap) and mapped.mode == "r" else None
    if handle is not None and hasattr(mmap, "MADV_DONTNEED"):
        with contextlib.suppress(OSError, ValueError):
            handle.madvise(mmap.MADV_DONTNEED)


def spill_folder(folder: str | Path) -> Path:
    """A new folder in ``folder`` for a build's spilled parts, named as a writer's staging folder
    (``.v-<time>-<pid>-<random>.tmp``), so a sweep of the index folder removes it if this process dies."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    prefix = f".v-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-"
    return Path(tempfile.mkdtemp(dir=folder, prefix=prefix, suffix=".tmp"))


def spill_arrays(arrays: dict[str, np.ndarray], folder: str | Path) -> dict[str, np.ndarray]:
    """The same arrays written to ``.npy`` files in ``folder`` and mapped back read-only, as a loaded index's.

    A build's finished parts go to disk this way so their pages sit in the page cache, not in the
    build's memory, under the later steps' peaks. The files are unlinked once mapped and opened
    (:class:`MappedFile` keeps the descriptor, so saving copies them by ``pread``); their folder is
    named as a writer's staging folder, so a sweep removes it if this process dies first.
    """
    staging = spill_folder(folder)
    try:
        mapped: dict[str, np.ndarray] = {}
        for number, (name, array) in enumerate(arrays.items()):
            path = staging / f"{number}.npy"
            with path.open("wb") as handle:
                np.save(handle, np.ascontiguousarray(array), allow_pickle=False)
            loaded = _load_array(path, path.stat().st_size)
            if loaded.ndim == 1:
                MappedFile.of(loaded)  # opened, and remembered, while the file still has its name
            mapped[name] = loaded
        return mapped
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# The file of each mapped array opened so far (id of the map -> a weak reference to it, its file): a build's
# spilled text buffer is unlinked once open, and saving it reads it through the descriptor it was opened with.
_opened: dict[int, tuple[weakref.ref[np.ndarray], MappedFile]] = {}


@contextlib.contextmanager
def locked(directory: str | Path) -> Iterator[None]:
    """An exclusive lock on the index directory, so two builders never interleave.

    ``flock`` is released by the kernel when its holder dies, so a killed
    build never leaves a stale lock behind.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with _flock(directory / ".lock"):
        yield
