"""An optional compiled top-k kernel for the postings retrievers (numba, the ``fast`` extra).

``pip install '.[fast]'`` installs numba; without it every query runs the
pure-numpy path of :class:`search.retrievers._Postings`, and the scores are
the same to the last bit either way: the kernel adds ``weight × posting`` in
the query's order of terms and each term's order of postings, as numpy's
scatter does, with no fused multiply-add (numba's default, ``fastmath`` off).

The choice is automatic — the kernel serves a corpus of :data:`AUTO_MIN_ROWS`
passages or more when it can be had, since below that numpy is fast enough —
and can be forced with the environment variable ``SEARCH_KERNEL`` (``auto``,
``numba``, ``numpy``) or, in tests, by setting :data:`MODE`.

The kernel is compiled ahead of time (``numba.pycc``) into a small extension
module that needs numpy only: a serving process never imports numba or
llvmlite, whose JIT alone held ~100 MiB of a 100k index's serving RSS (its
72 MiB ``libllvmlite.so`` and ~30 MiB of its own). The first process that
wants the kernel compiles it once in a child process (~10 s) into
``__pycache__`` (or ``SEARCH_KERNEL_CACHE``, or ``~/.cache/ru-faq-search``
when the package is read-only), named by a hash of this file, numpy's and
Python's versions, so an edited kernel is compiled again; every later process
loads it; an index build starts that compile in the background
(:func:`prebuild`) so its first query does not wait. Where the extension
cannot be built (no C compiler), numba's JIT (``cache=True``) serves
in-process, as before.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .recent import Recent
    from .storage import MappedFile

__all__ = ["AUTO_MIN_ROWS", "MODE", "available", "compiled_top", "kernel_for", "prebuild"]

MODE = os.environ.get("SEARCH_KERNEL", "auto").strip().lower() or "auto"
"""``auto`` (compiled above :data:`AUTO_MIN_ROWS` passages when it can be had), ``numba``, ``numpy``."""
AUTO_MIN_ROWS = 20_000

# The dtypes the ahead-of-time module is compiled for: (indptr, indices, data). Postings are scipy's
# int32/int64 index arrays and float64 (or float32) weights; anything else goes to numba's JIT.
_INDEX_TYPES = ("i4", "i8")
_DATA_TYPES = ("f8", "f4")
_SIGNATURE = "Tuple((i8[:], f8[:]))({indptr}[:], {indices}[:], {data}[:], i8[:], f8[:], i8, f8, b1[:], b1, f8[:])"

_compiled: Callable[..., Any] | None = None
_failed: str | None = None
# A compile started in the background by prebuild(): the child, its staging folder, the cache folder.
_pending: tuple[subprocess.Popen[bytes], Path, Path] | None = None
_starter = 0  # the process that started it


def available() -> bool:
    """Whether a compiled kernel can serve (built already, or numba is installed to build it)."""
    return compiled_top() is not None


def kernel_for(rows: int) -> Callable[..., Any] | None:
    """The compiled kernel if it should serve a corpus of ``rows`` passages, else None (numpy)."""
    if MODE == "numpy":
        return None
    if MODE == "numba":
        kernel = compiled_top()
        if kernel is None:
            raise ImportError(f"SEARCH_KERNEL=numba but numba cannot be used: {_failed}")
        return kernel
    if MODE != "auto":
        raise ValueError(f"SEARCH_KERNEL must be auto, numba or numpy, not {MODE!r}")
    return compiled_top() if rows >= AUTO_MIN_ROWS else None


def compiled_top() -> Callable[..., Any] | None:
    """The compiled :func:`_top_columns` (ahead of time, else numba's JIT), or None without either."""
    global _compiled, _failed
    if _compiled is None and _failed is None:
        module = _ahead_of_time()
        if module is not None:
            _compiled = _Reading(_Dispatch(module))
        else:
            jit = _jit()
            if jit is not None:
                _compiled = _Reading(jit)
    return _compiled


def _jit() -> Callable[..., Any] | None:
    """numba's JIT-compiled kernel in this process (imports numba and llvmlite), or None without numba."""
    global _failed
    try:
        import numba
    except ImportError as error:  # the pure-numpy path serves
        _failed = str(error)
        return None
    return numba.njit(cache=True, nogil=True)(_top_columns)  # type: ignore[no-any-return]


class _Dispatch:
    """The ahead-of-time module's kernel for the postings' dtypes; numba's JIT for any other combination."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self._kernels: dict[tuple[np.dtype, np.dtype, np.dtype], Callable[..., Any]] = {}

    def __call__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, *rest: Any) -> Any:
        kernel = self._kernels.get((indptr.dtype, indices.dtype, data.dtype))
        if kernel is None:
            kernel = self._choose(indptr.dtype, indices.dtype, data.dtype)
        return kernel(indptr, indices, data, *rest)

    def _choose(self, *dtypes: np.dtype) -> Callable[..., Any]:
        name = "top_" + "_".join(f"{dtype.kind}{dtype.itemsize}" for dtype in dtypes)
        kernel = getattr(self._module, name, None)
        if kernel is None or any(not dtype.isnative for dtype in dtypes):
            kernel = _jit()
            if kernel is None:
                raise TypeError(f"no compiled kernel for {name} and numba is not installed")
        self._kernels[dtypes] = kernel  # type: ignore[index]
        return kernel


# Bytes of posting lists a loaded index's kernel keeps after reading them (per retriever; the oldest read go first).
POSTINGS_KEPT = int(os.environ.get("SEARCH_POSTINGS_KEPT", str(16 * 2**20)))


def _nbytes(postings: tuple[np.ndarray, np.ndarray]) -> int:
    return sum(int(array.nbytes) for array in postings)


class _Reading:
    """The kernel over a saved index's postings read by ``pread``, not through their memory maps.

    A mapped page the kernel reads stays in the process's RSS, and the page
    cache's folios are large (see :class:`~search.storage.MappedFile`): after
    200 queries at 100k, 99 of the serving process's 304 MiB were TF-IDF's and
    BM25's postings pages, nearly whole files for a few thousand columns read.
    Here the query's columns are copied into per-thread buffers (reused, grown
    as needed) and the kernel runs over that compact copy: the same postings in
    the same order, so the same additions and the same scores to the last bit.
    The lists read lately are kept (``POSTINGS_KEPT``, 16 MiB a retriever): at
    100k, BM25's core p50 0.059 ms against 0.048 over the maps (0.135 reading
    every list each time), serving RSS after 200 queries 222 MiB (199 without).
    Postings held in memory (a fresh build) are passed through untouched.
    """

    def __init__(self, kernel: Callable[..., Any]) -> None:
        self._kernel = kernel
        # id of a postings array -> (a weak reference to it, its files or None when it is not a whole mapped
        # file, the posting lists read lately)
        self._files: dict[
            int, tuple[weakref.ref[np.ndarray], tuple[MappedFile, ...] | None, Recent[tuple[np.ndarray, np.ndarray]]]
        ] = {}
        self._local = threading.local()

    def __call__(
        self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, columns: np.ndarray, *rest: Any
    ) -> Any:
        entry = self._entry(indptr, indices, data)
        if entry[1] is not None and columns.size:
            indptr, indices, data, columns = self._read(indptr, entry[1], entry[2], columns)
        return self._kernel(indptr, indices, data, columns, *rest)

    def _entry(
        self, *arrays: np.ndarray
    ) -> tuple[Any, tuple[MappedFile, ...] | None, Recent[tuple[np.ndarray, np.ndarray]]]:
        entry = self._files.get(id(arrays[1]))
        if entry is None or entry[0]() is not arrays[1]:
            from .recent import Recent  # not at the top: this file also runs as a script (the compiler's child)
            from .storage import MappedFile

            files = tuple(MappedFile.of(array) for array in arrays)
            found = None if any(file is None for file in files) else files
            self._files = {key: value for key, value in self._files.items() if value[0]() is not None}
            kept: Recent[tuple[np.ndarray, np.ndarray]] = Recent(POSTINGS_KEPT, _nbytes)
            entry = self._files[id(arrays[1])] = (weakref.ref(arrays[1]), found, kept)  # type: ignore[assignment]
        return entry

    def _read(
        self,
        indptr: np.ndarray,
        files: tuple[MappedFile, ...],
        recent: Recent[tuple[np.ndarray, np.ndarray]],
        columns: np.ndarray,
    ) -> tuple[np.ndarray, ...]:
        """The columns' postings as a compact CSC: (indptr, indices, data, columns 0…n-1).

        The pointers are read through their map (a few pages of a small file, two entries a column, no system
        call each); the postings by ``pread``, or from the lists read lately (``POSTINGS_KEPT`` bytes: people's
        queries share their frequent words, whose lists are the long ones).
        """
        _, rows, values = files
        pieces_rows, pieces_values, bounds = [], [], [0]
        for column, start, end in zip(columns.tolist(), indptr[columns].tolist(), indptr[columns + 1].tolist()):
            found = recent.get(column, lambda s=start, e=end: (rows.read(s, e), values.read(s, e)))
            pieces_rows.append(found[0])
            pieces_values.append(found[1])
            bounds.append(bounds[-1] + end - start)
        total = bounds[-1]
        out_rows, out_values = self._scratch("indices", rows.dtype, total), self._scratch("data", values.dtype, total)
        np.concatenate(pieces_rows, out=out_rows)
        np.concatenate(pieces_values, out=out_values)
        return np.array(bounds, dtype=np.int64), out_rows, out_values, np.arange(len(bounds) - 1, dtype=np.int64)

    def _scratch(self, name: str, dtype: np.dtype, size: int) -> np.ndarray:
        """A per-thread buffer of at least ``size`` entries, kept for the next query."""
        buffer: np.ndarray | None = getattr(self._local, name, None)
        if buffer is None or buffer.dtype != dtype or buffer.size < size:
            buffer = np.empty(max(size, 2 * (0 if buffer is None else buffer.size), 1024), dtype=dtype)
            setattr(self._local, name, buffer)
        return buffer[:size]


def _key() -> str:
    """What the compiled module depends on: this file, numpy's and Python's versions."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(f"{np.__version__} {sys.version} {sys.platform}".encode())
    return "_search_kernel_" + digest.hexdigest()[:16]


def _cache_dirs() -> list[Path]:
    """Where the compiled module is looked for and written, in order of preference."""
    if configured := os.environ.get("SEARCH_KERNEL_CACHE"):
        return [Path(configured)]
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ru-faq-search"
    return [Path(__file__).parent / "__pycache__", home]


def prebuild(rows: int) -> None:
    """Start compiling the kernel in the background, for a corpus of ``rows`` passages that will want it.

    An index build calls this before its analysis, so that the first query the new index
    serves does not wait ~10 s for the compiler; a process that asks for the kernel while
    the child still runs waits for it instead of starting another.
    """
    global _pending, _starter
    if _pending is not None or _compiled is not None or MODE == "numpy" or (MODE == "auto" and rows < AUTO_MIN_ROWS):
        return
    name, filename = _names()
    if _found(name, filename) is not None or importlib.util.find_spec("numba") is None:
        return
    for directory in _cache_dirs():
        try:
            _pending = _start(name, directory)
            _starter = os.getpid()
            return
        except OSError:  # not writable here: the next place
            continue


def _names() -> tuple[str, str]:
    name = _key()
    return name, name + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")


def _found(name: str, filename: str) -> Path | str | None:
    """The built module's path, a failed build's note (its text), or None when neither is there."""
    for directory in _cache_dirs():
        if (directory / filename).is_file():
            return directory / filename
        if (directory / f"{name}.failed").is_file():
            return (directory / f"{name}.failed").read_text(encoding="utf-8", errors="replace")
    return None


def _start(name: str, directory: Path) -> tuple[subprocess.Popen[bytes], Path, Path]:
    """The compiler's child process (so that this one never maps numba's LLVM), its staging folder, the cache."""
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=".kernel-"))
    with open(staging / "log", "wb") as log:  # a file, not a pipe: a child in the background never blocks on it
        child = subprocess.Popen([sys.executable, __file__, name, str(staging)], stdout=log, stderr=log)
    return child, staging, directory


def _ahead_of_time() -> Any:
    """The compiled extension module, built in a child process the first time; None if it cannot be had.

    A build that fails (no C compiler) leaves a ``.failed`` note beside where the module would
    be, so later processes go straight to the JIT instead of failing the same build again.
    """
    global _failed, _pending
    name, filename = _names()
    found = _found(name, filename)
    if isinstance(found, Path):
        return _load(name, found)
    if isinstance(found, str):
        _failed = found
        return None
    if importlib.util.find_spec("numba") is None:
        _failed = "numba is not installed (pip install '.[fast]') and no compiled kernel was built before"
        return None
    pending, _pending = _pending, None
    if pending is not None and _starter != os.getpid():
        pending = None  # started by the process this one was forked from: not this one's child to wait for
    for directory in _cache_dirs():
        try:
            child, staging, directory = pending or _start(name, directory)
            pending = None
            try:
                if child.wait(timeout=600) != 0:
                    log = (staging / "log").read_text(encoding="utf-8", errors="replace")
                    _failed = f"the ahead-of-time kernel could not be built: {log[-4000:]}"
                    (directory / f"{name}.failed").write_text(_failed, encoding="utf-8")
                    return None
                os.replace(staging / filename, directory / filename)  # atomic: racing builders both win
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            return _load(name, directory / filename)
        except (OSError, subprocess.SubprocessError) as error:  # not writable here (or too slow): the next place
            _failed = f"the ahead-of-time kernel could not be built in {directory}: {error}"
    return None


def _load(name: str, path: Path) -> Any:
    """The extension module at ``path``, or None (then numba's JIT serves) when it does not load."""
    global _failed
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as error:  # a truncated or foreign file
        _failed = f"the compiled kernel {path} does not load: {error}"
        return None
    return module


def _build(name: str, directory: str) -> None:
    """Compile :func:`_top_columns` ahead of time for every postings dtype (run as a child process)."""
    import warnings

    warnings.simplefilter("ignore")  # numba.pycc's pending deprecation
    from numba.pycc import CC

    compiler = CC(name)
    compiler.output_dir = directory
    for indptr in _INDEX_TYPES:
        for indices in _INDEX_TYPES:
            for data in _DATA_TYPES:
                signature = _SIGNATURE.format(indptr=indptr, indices=indices, data=data)
                compiler.export(f"top_{indptr}_{indices}_{data}", signature)(_top_columns)
    compiler.compile()


def _top_columns(indptr, indices, data, columns, weights, k, minimum, allowed, use_allowed, buffer):  # type: ignore[no-untyped-def]
    """Top ``k`` rows (score desc, row asc) over the postings of ``columns``, and their scores.

    ``buffer`` is all zeros on entry and on exit. Pure Python as written: numba compiles it.
    """
    total = 0
    for c in range(columns.size):
        column, weight = columns[c], weights[c]
        total += indptr[column + 1] - indptr[column]
        for j in range(indptr[column], indptr[column + 1]):
            buffer[indices[j]] += data[j] * weight
    top_values = np.empty(k, dtype=np.float64)
    top_rows = np.empty(k, dtype=np.int64)
    count = 0
    if total * 4 > buffer.size:  # long postings: one sequential pass over the scores, then a memset
        bar = minimum
        for row in range(buffer.size):
            value = buffer[row]
            if value > bar and not (use_allowed and not allowed[row]):
                # Rows come in order, so a tie with the k-th never displaces it: ">" is the whole test.
                position = count if count < k else k - 1
                count = min(count + 1, k)
                while position > 0 and top_values[position - 1] < value:
                    top_values[position] = top_values[position - 1]
                    top_rows[position] = top_rows[position - 1]
                    position -= 1
                top_values[position] = value
                top_rows[position] = row
                if count == k:
                    bar = max(minimum, top_values[k - 1])
        buffer[:] = 0.0
        return top_rows[:count], top_values[:count]
    # Else along the postings again, each touched row read once and cleared as it is read.
    for c in range(columns.size):
        column = columns[c]
        for j in range(indptr[column], indptr[column + 1]):
            row = indices[j]
            value = buffer[row]
            if value == 0.0:  # seen already (cleared), or a score of 0, which never counts here
                continue
            buffer[row] = 0.0
            if not value > minimum or (use_allowed and not allowed[row]):
                continue
            if count < k:
                position = count
                count += 1
            elif value > top_values[k - 1] or (value == top_values[k - 1] and row < top_rows[k - 1]):
                position = k - 1
            else:
                continue
            while position > 0 and (
                top_values[position - 1] < value or (top_values[position - 1] == value and top_rows[position - 1] > row)
            ):
                top_values[position] = top_values[position - 1]
                top_rows[position] = top_rows[position - 1]
                position -= 1
            top_values[position] = value
            top_rows[position] = row
    return top_rows[:count], top_values[:count]


if __name__ == "__main__":
    _build(sys.argv[1], sys.argv[2])
