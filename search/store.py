"""Documents and passages as arrays: one UTF-8 text buffer, offsets and codes, objects only on demand.

    documents ─► DocumentTable: every text in one UTF-8 buffer (uint8) with byte offsets,
                                ids, titles, paths, sources as string tables, audience codes
    passages  ─► PassageTable:  one int64 row per passage (document, offsets in characters and
                                in bytes of the buffer, lines, section span, codes of its title,
                                section chain, audience and question), string tables for the rest

Nothing per passage is a Python object once the index is built: a
:class:`~search.passages.Passage` (or a :class:`~search.corpus.Document`) is
made when it is asked for — for the k hits shown — from a row and a slice of
the buffer. Every part is a numpy array, so a saved index is opened by memory
map and N processes serving one read-only folder share its pages.

Both tables are read-only sequences/mappings with the interface the tuple of
passages and the dict of documents had: ``len``, indexing, iteration,
equality; ``documents[doc_id]``, ``.values()``, ``.keys()``.
"""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from .corpus import Document
from .passages import Passage
from .storage import MappedFile, release_pages, spill_folder

__all__ = ["DocumentTable", "PassageTable", "SPILL_MIN_BYTES", "StringTable"]

SPILL_MIN_BYTES = 32 * 2**20  # a build's text buffer this large goes to a file when given a folder (DocumentTable)


def _spilled_text(documents: Sequence[Document], size: int, folder: Path) -> tuple[Path, np.ndarray]:
    """The documents' UTF-8 bytes written to a ``.npy`` file in ``folder``, mapped read-only, and its path.

    The file is in a :func:`~search.storage.spill_folder`, so a sweep of the index folder removes it
    if this process dies before it is unlinked.
    """
    path = spill_folder(folder) / "text.npy"
    try:
        header = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(size,))  # np.save's header
        offset = header.offset
        del header  # nothing written through the map: its pages would count in this process
        with path.open("r+b") as out:
            out.seek(offset)
            for document in documents:
                out.write(document.text.encode("utf-8"))
        return path, np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
    except BaseException:
        path.unlink(missing_ok=True)
        path.parent.rmdir()
        raise


# From this many strings, ``StringTable.take`` gathers their bytes and decodes them at once.
TAKE_GATHERED = 24
# ``StringTable.bisect_left`` keeps every this-many-th string's bytes, to find a string's block in one C call.
SAMPLE_STEP = 64


class StringTable(Sequence[str]):
    """Strings as one UTF-8 buffer and ``n + 1`` offsets: ``table[i]`` decodes one of them."""

    __slots__ = ("data", "offsets", "_sorted", "_bytes", "_starts", "_sample")

    def __init__(self, data: np.ndarray, offsets: np.ndarray) -> None:
        if data.dtype != np.uint8 or data.ndim != 1 or offsets.ndim != 1 or offsets.size < 1:
            raise ValueError("a string table is a uint8 buffer and at least one offset")
        if int(offsets[0]) != 0 or int(offsets[-1]) != data.size:
            raise ValueError(f"string table offsets end at {int(offsets[-1])}, its buffer holds {data.size} bytes")
        self.data, self.offsets = data, offsets
        self._sorted: np.ndarray | None = None
        self._sample: list[bytes] | None = None  # every SAMPLE_STEP-th string's bytes, made by the first bisect
        # Buffer views whose items are Python ints and byte slices: spelling reads tens of words per typo
        # (candidates, binary searches), and numpy scalars cost ~1 µs a word more. Memory-mapped pages stay shared.
        starts = memoryview(offsets) if offsets.dtype == np.int64 and offsets.flags.c_contiguous else None
        native = starts is not None and starts.format in ("l", "q") and data.flags.c_contiguous
        self._bytes, self._starts = (memoryview(data), starts) if native else (None, None)

    @classmethod
    def build(cls, strings: Iterable[str]) -> StringTable:
        encoded = [text.encode("utf-8") for text in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
        data = np.frombuffer(b"".join(encoded), dtype=np.uint8) if offsets[-1] else np.zeros(0, dtype=np.uint8)
        return cls(data, offsets)

    def __len__(self) -> int:
        return self.offsets.size - 1

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        starts = self._starts
        if starts is None:
            return self.raw(index).decode("utf-8")
        size = len(starts) - 1
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("string table index out of range")
        return str(self._bytes[starts[index] : starts[index + 1]], "utf-8")  # type: ignore[index]

    def take(self, indices: np.ndarray) -> list[str]:
        """The strings at ``indices`` (an integer array), in its order: one gather of offsets for all of them.

        Many strings (spelling's candidates: a hundred or more per typo) are gathered into one buffer, NUL
        between them, decoded once and split, rather than decoded one by one (~2× faster); a table whose
        strings hold NUL is read one by one."""
        starts, ends = self.offsets[indices], self.offsets[indices + 1]
        if len(starts) >= TAKE_GATHERED:
            sizes = ends - starts
            before = np.cumsum(sizes) - sizes  # where each string starts in the gathered bytes, separators aside
            gathered = np.zeros(int(sizes.sum()) + sizes.size - 1, dtype=np.uint8)
            count = np.arange(gathered.size - sizes.size + 1)
            gathered[count + np.repeat(np.arange(sizes.size), sizes)] = self.data[
                count + np.repeat(starts - before, sizes)
            ]
            pieces = gathered.tobytes().decode("utf-8").split("\0")
            if len(pieces) == sizes.size:
                return pieces
        buffer = self._bytes if self._bytes is not None else memoryview(self.data.tobytes())
        return [str(buffer[start:end], "utf-8") for start, end in zip(starts.tolist(), ends.tolist())]

    def bisect_left(self, text: str) -> int:
        """Where ``text`` goes in a table whose strings are sorted: ``bisect.bisect_left(table, text)`` comparing
        UTF-8 bytes (their order is the strings' order) without a method call or a decode per step.

        Every :data:`SAMPLE_STEP`-th string's bytes are kept (made by the first call: ~1,900 for the language's
        118k spelling words): ``bisect`` finds the block in C, and the Python steps search one block only
        (~17 → ~6 steps; spelling asks a candidate's frequency of two tables)."""
        key, starts, buffer = text.encode("utf-8"), self._starts, self._bytes
        if starts is None or buffer is None:
            return bisect.bisect_left(self, text)
        sample = self._sample
        if sample is None:
            sample = self._sample = [
                bytes(buffer[starts[i] : starts[i + 1]]) for i in range(0, len(starts) - 1, SAMPLE_STEP)
            ]
        block = bisect.bisect_left(sample, key)
        if not block:
            return 0  # at or before the first string
        # sample[block - 1] < key <= sample[block]: the place is after the former, at the latter at most
        low, high = (block - 1) * SAMPLE_STEP + 1, min(block * SAMPLE_STEP, len(starts) - 1)
        while low < high:
            middle = (low + high) // 2
            if bytes(buffer[starts[middle] : starts[middle + 1]]) < key:
                low = middle + 1
            else:
                high = middle
        return low

    def raw(self, index: int) -> bytes:
        starts = self._starts
        if starts is not None:
            size = len(starts) - 1
            if index < 0:
                index += size
            if not 0 <= index < size:
                raise IndexError("string table index out of range")
            return bytes(self._bytes[starts[index] : starts[index + 1]])  # type: ignore[index]
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("string table index out of range")
        return self.data[int(self.offsets[index]) : int(self.offsets[index + 1])].tobytes()

    def find(self, text: str) -> int:
        """The position of ``text`` (the first, when repeated), or -1: a binary search over the sorted order."""
        order = self._sorted
        if order is None:
            order = self._sorted = np.array(sorted(range(len(self)), key=self.raw), dtype=np.int64)
        key = text.encode("utf-8")
        view = _SortedView(self, order)
        where = bisect.bisect_left(view, key)
        return int(order[where]) if where < len(view) and view[where] == key else -1

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        return {f"{name}_bytes": self.data, f"{name}_offsets": self.offsets}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], name: str) -> StringTable:
        return cls(arrays[f"{name}_bytes"], arrays[f"{name}_offsets"])


class _SortedView(Sequence[bytes]):
    """A string table in sorted order, as bytes: what ``bisect`` searches."""

    def __init__(self, table: StringTable, order: np.ndarray) -> None:
        self.table, self.order = table, order

    def __len__(self) -> int:
        return self.order.size

    def __getitem__(self, index: int) -> bytes:  # type: ignore[override]
        return self.table.raw(int(self.order[index]))


def _interned(values: Iterable[str]) -> tuple[np.ndarray, StringTable]:
    """Each value's code and the table of distinct values, in order of first occurrence."""
    codes: dict[str, int] = {}
    numbers = np.fromiter((codes.setdefault(value, len(codes)) for value in values), dtype=np.int64)
    return numbers, StringTable.build(codes)


def _byte_offsets(text: str) -> np.ndarray:
    """The UTF-8 byte offset of every character offset of ``text`` (``len(text) + 1`` of them)."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    widths = 1 + (points >= 0x80).astype(np.int64) + (points >= 0x800) + (points >= 0x10000)
    offsets = np.zeros(points.size + 1, dtype=np.int64)
    np.cumsum(widths, out=offsets[1:])
    return offsets


def _char_starts(raw: np.ndarray) -> np.ndarray:
    """:func:`_byte_offsets` of the text whose UTF-8 bytes are ``raw``: where each character starts, then the end.

    A character starts at every byte that is not a continuation byte (``10xxxxxx``).
    """
    starts = np.flatnonzero((raw & 0xC0) != 0x80)
    return np.append(starts, raw.size)


class StoredDocument(Document):
    """A :class:`Document` whose text stays in the table's buffer until it is read.

    Equal to (and hashed as) the plain document with the same fields; listing
    the documents (their titles, ids, audiences) decodes no text.
    """

    __slots__ = ("_table", "_number", "_text")

    @property  # type: ignore[misc]
    def text(self) -> str:  # type: ignore[override]
        text = getattr(self, "_text", None)
        if text is None:
            return self._table.text_of(self._number)
        return text

    @text.setter
    def text(self, value: str) -> None:  # dataclasses.replace() makes a new one through __init__
        object.__setattr__(self, "_text", value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Document):
            return NotImplemented
        return _fields(self) == _fields(other)

    def __hash__(self) -> int:
        return hash(_fields(self))

    def __repr__(self) -> str:
        return f"StoredDocument(id={self.id!r}, title={self.title!r}, path={self.path!r}, {self._length()} bytes)"

    def _length(self) -> int:
        return int(self._table.bounds[self._number + 1] - self._table.bounds[self._number])


def _fields(document: Document) -> tuple[Any, ...]:
    return (document.id, document.title, document.path, document.text, document.audience, document.source)


class DocumentTable(Mapping[str, Document]):
    """The documents by id, in corpus order; a :class:`Document` (its text decoded) is made per access."""

    def __init__(
        self,
        text: np.ndarray,
        bounds: np.ndarray,
        ids: StringTable,
        titles: StringTable,
        paths: StringTable,
        sources: StringTable,
        audience: np.ndarray,
        audiences: Sequence[tuple[str, ...]],
    ) -> None:
        count = len(ids)
        if not (bounds.size == count + 1 and len(titles) == len(paths) == len(sources) == audience.size == count):
            raise ValueError(f"document table: {count} ids but {bounds.size - 1} texts")
        if count and (int(bounds[0]) != 0 or int(bounds[-1]) != text.size):
            raise ValueError("document table: the text offsets do not cover the text buffer")
        if audience.size and not 0 <= int(audience.min()) <= int(audience.max()) < len(audiences):
            raise ValueError("document table: an audience code out of range")
        self.text, self.bounds = text, bounds
        # A saved index's text is read by pread, not through its map (see MappedFile).
        self._file = MappedFile.of(text)
        self.ids, self.titles, self.paths, self.sources = ids, titles, paths, sources
        self.audience, self.audiences = audience, tuple(tuple(a) for a in audiences)
        self._positions: dict[str, int] | None = None

    @classmethod
    def build(cls, documents: Iterable[Document], spill: str | Path | None = None) -> DocumentTable:
        """The table of ``documents``; with ``spill`` (a folder on disk), a text buffer of
        :data:`SPILL_MIN_BYTES` or more is written to a file there and mapped back, not held.

        A spilled buffer is read as a saved index's is (pread, :class:`MappedFile`), so its
        pages stay in the page cache instead of the build's memory while the retrievers are
        fitted (610 MiB at a million texts); its file is unlinked at once (the map and the
        descriptor keep it), so nothing is left behind.
        """
        documents = list(documents)
        # Encoded twice, one document at a time, into one buffer of the exact size: holding every
        # document's bytes and then their join would cost twice the corpus (~1.3 GB at a million texts).
        sizes = np.fromiter((len(d.text.encode("utf-8")) for d in documents), dtype=np.int64, count=len(documents))
        bounds = np.zeros(len(documents) + 1, dtype=np.int64)
        np.cumsum(sizes, out=bounds[1:])
        spilled: Path | None = None
        if spill is not None and int(bounds[-1]) >= SPILL_MIN_BYTES:
            spilled, text = _spilled_text(documents, int(bounds[-1]), Path(spill))
        else:
            text = np.empty(int(bounds[-1]), dtype=np.uint8)
            for document, start, end in zip(documents, bounds.tolist(), bounds[1:].tolist()):
                text[start:end] = np.frombuffer(document.text.encode("utf-8"), dtype=np.uint8)
        try:
            return cls._build(documents, text, bounds)
        finally:
            if spilled is not None:  # mapped and open by now: the name is no longer needed
                spilled.unlink(missing_ok=True)
                spilled.parent.rmdir()

    @classmethod
    def _build(cls, documents: list[Document], text: np.ndarray, bounds: np.ndarray) -> DocumentTable:
        groups: dict[tuple[str, ...], int] = {}
        audience = np.fromiter(
            (groups.setdefault(tuple(d.audience), len(groups)) for d in documents), dtype=np.int64, count=len(documents)
        )
        return cls(
            text,
            bounds,
            StringTable.build(d.id for d in documents),
            StringTable.build(d.title for d in documents),
            StringTable.build(d.path for d in documents),
            StringTable.build(d.source for d in documents),
            audience,
            list(groups),
        )

    # --- the mapping ---------------------------------------------------------------------

    def position(self, doc_id: str) -> int:
        """The document's number in corpus order; ``KeyError`` when there is none."""
        positions = self._positions
        if positions is None:  # one small dict per process: documents are few, passages many
            positions = self._positions = {}
            for number in range(len(self.ids)):
                positions.setdefault(self.ids[number], number)
        return positions[doc_id]

    def document(self, number: int) -> Document:
        """The document, its text left in the buffer until read (:class:`StoredDocument`)."""
        document = object.__new__(StoredDocument)
        for name, value in (
            ("id", self.ids[number]),
            ("title", self.titles[number]),
            ("path", self.paths[number]),
            ("audience", self.audiences[int(self.audience[number])]),
            ("source", self.sources[number]),
            ("_table", self),
            ("_number", number),
        ):
            object.__setattr__(document, name, value)
        return document

    def text_of(self, number: int) -> str:
        return self.bytes(int(self.bounds[number]), int(self.bounds[number + 1])).decode("utf-8")

    def bytes(self, start: int, end: int) -> bytes:
        """Bytes ``start:end`` of the text buffer, read from its file for a saved index (:class:`MappedFile`)."""
        if self._file is not None:
            return self._file.bytes(start, end)
        return self.text[start:end].tobytes()

    def __getitem__(self, doc_id: str) -> Document:
        if not isinstance(doc_id, str):
            raise KeyError(doc_id)
        return self.document(self.position(doc_id))

    def __contains__(self, doc_id: object) -> bool:
        if not isinstance(doc_id, str):
            return False
        try:
            self.position(doc_id)
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    @property
    def audience_names(self) -> tuple[str, ...]:
        """Every audience some document names, sorted."""
        used = {int(code) for code in np.unique(self.audience)} if self.audience.size else set()
        return tuple(sorted({name for code in used for name in self.audiences[code]}))

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"DocumentTable({len(self)} documents, {self.text.size} bytes of text)"

    # --- on disk -------------------------------------------------------------------------

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {"text": self.text, "bounds": self.bounds, "audience": self.audience}
        for name in ("ids", "titles", "paths", "sources"):
            arrays.update(getattr(self, name).arrays(name))
        return {"count": len(self), "audiences": [list(a) for a in self.audiences]}, arrays

    @classmethod
    def from_state(cls, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> DocumentTable:
        table = cls(
            arrays["text"],
            arrays["bounds"],
            *(StringTable.from_arrays(arrays, name) for name in ("ids", "titles", "paths", "sources")),
            arrays["audience"],
            [tuple(a) for a in params["audiences"]],
        )
        if len(table) != params["count"]:
            raise ValueError(f"{len(table)} documents stored, the index says {params['count']}")
        return table


# Columns of a passage's row, in order.
COLUMNS = (
    "doc",
    "start",
    "end",
    "first_line",
    "last_line",
    "section_start",
    "section_end",
    "byte_start",
    "byte_end",
    "title",
    "section",
    "audience",
    "question",
)
_DOC, _START, _END, _FIRST, _LAST, _SSTART, _SEND, _BSTART, _BEND, _TITLE, _SECTION, _AUDIENCE, _QUESTION = range(
    len(COLUMNS)
)


PASSAGES_KEPT = 2048  # made passages a table keeps (a few MB): the hits of the last queries


class PassageTable(Sequence[Passage]):
    """The passages in index order, as rows of integers over the documents' text buffer.

    ``table[i]`` makes the :class:`Passage` (its text a slice of the buffer, decoded);
    the vectorised views (:attr:`doc_index`, :attr:`has_question`, :meth:`in_documents`,
    :meth:`audience_mask`) answer filters without making any. Ids are
    ``<doc id>:<ordinal>`` as the chunker gives them, computed, or stored when a
    passage has any other.
    """

    def __init__(
        self,
        rows: np.ndarray,
        documents: DocumentTable,
        titles: StringTable,
        sections: StringTable,
        questions: StringTable,
        audiences: Sequence[tuple[str, ...]],
        ids: StringTable | None = None,
    ) -> None:
        if rows.ndim != 2 or rows.shape[1] != len(COLUMNS):
            raise ValueError(f"passage rows have shape {rows.shape}, not (n, {len(COLUMNS)})")
        self.rows, self.documents = rows, documents
        self.titles, self.sections, self.questions = titles, sections, questions
        self.audiences = tuple(tuple(a) for a in audiences)
        self.ids = ids
        if ids is not None and len(ids) != len(self):
            raise ValueError(f"{len(ids)} passage ids for {len(self)} passages")
        if len(self):
            for column, size in (
                (_DOC, len(documents)),
                (_TITLE, len(titles)),
                (_SECTION, len(sections)),
                (_QUESTION, len(questions)),
                (_AUDIENCE, len(self.audiences)),
            ):
                values = rows[:, column]
                if int(values.min()) < 0 or int(values.max()) >= size:
                    raise ValueError(f"passage column {COLUMNS[column]} refers past its table of {size}")
            if int(rows[:, _BSTART].min()) < 0 or int(rows[:, _BEND].max()) > documents.text.size:
                raise ValueError("a passage lies outside the text buffer")
        # The passages last shown, kept made: a query shows k of them and reads the best few again.
        self._made = functools.lru_cache(maxsize=PASSAGES_KEPT)(self._make)
        doc = rows[:, _DOC] if len(self) else np.zeros(0, dtype=np.int64)
        # The first passage of each document, for ids ("<doc>:<ordinal>") and lookups by id.
        self._first = np.searchsorted(doc, np.arange(len(documents)), side="left") if _ascending(doc) else None
        self._by_id: dict[str, int] | None = None
        # A saved table's rows are read by pread, one row per passage made (one byte read through the map maps
        # a whole large folio: after 200 queries at 1M all 49 MiB were resident), its document column kept here.
        self._file = MappedFile.of(rows, flat=True) if len(self) else None
        self._doc = None if self._file is None else np.array(doc, dtype=np.int64)
        release_pages(rows)  # every row was read above: a saved table's pages leave this process

    @classmethod
    def build(cls, passages: Sequence[Passage], documents: DocumentTable, *, checked: bool = True) -> PassageTable:
        """The table of ``passages``, each a verbatim slice of its document in ``documents`` (checked).

        ``checked=False`` trusts the offsets and reads no passage's text: a build passes the
        chunker's passages of these very documents with their text left out (a copy of the corpus).
        """
        numbers: list[tuple[int, ...]] = []  # the integer columns, up to the audience code
        text_of: tuple[int, str, np.ndarray] | None = None
        ordinals: dict[str, int] = {}
        derived = True
        groups: dict[tuple[str, ...], int] = {}
        for passage in passages:
            doc = documents.position(passage.doc_id)
            if text_of is None or text_of[0] != doc:
                if checked:
                    text = documents.text_of(doc)
                    text_of = (doc, text, _byte_offsets(text))
                else:  # the offsets from the UTF-8 bytes themselves, no text decoded (~5 s at a million texts)
                    raw = np.frombuffer(
                        documents.bytes(int(documents.bounds[doc]), int(documents.bounds[doc + 1])), np.uint8
                    )
                    text_of = (doc, "", _char_starts(raw))
            _, text, offsets = text_of
            if not 0 <= passage.start <= passage.end <= offsets.size - 1 or (
                checked and text[passage.start : passage.end] != passage.text
            ):
                raise ValueError(f"passage {passage.id} is not a slice of document {passage.doc_id}")
            base = int(documents.bounds[doc])
            ordinal = ordinals.get(passage.doc_id, 0)
            ordinals[passage.doc_id] = ordinal + 1
            derived = derived and passage.id == f"{passage.doc_id}:{ordinal:03d}"
            first, last = passage.lines
            section_start, section_end = passage.section_span
            numbers.append(
                (
                    doc,
                    passage.start,
                    passage.end,
                    first,
                    last,
                    section_start,
                    section_end,
                    base + int(offsets[passage.start]),
                    base + int(offsets[passage.end]),
                    0,
                    0,
                    groups.setdefault(tuple(passage.audience), len(groups)),
                )
            )
        rows = np.zeros((len(passages), len(COLUMNS)), dtype=np.int64)
        if numbers:
            rows[:, : _AUDIENCE + 1] = np.array(numbers, dtype=np.int64)
        del numbers
        rows[:, _TITLE], titles = _interned(p.title for p in passages)
        chains: dict[tuple[str, ...], int] = {}  # each distinct heading chain written as JSON once
        rows[:, _SECTION] = np.fromiter((chains.setdefault(p.section, len(chains)) for p in passages), dtype=np.int64)
        section_table = StringTable.build(json.dumps(list(chain), ensure_ascii=False) for chain in chains)
        rows[:, _QUESTION], questions = _interned(p.question for p in passages)
        ids = None if derived and _ascending(rows[:, _DOC]) else StringTable.build(p.id for p in passages)
        return cls(rows, documents, titles, section_table, questions, list(groups), ids)

    # --- the sequence --------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    @overload
    def __getitem__(self, index: int) -> Passage: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Passage, ...]: ...
    def __getitem__(self, index: int | slice) -> Passage | tuple[Passage, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        index = int(index)
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("passage index out of range")
        return self._made(index)

    def _make(self, index: int) -> Passage:
        if self._file is None:
            row = self.rows[index].tolist()
        else:
            width = len(COLUMNS)
            row = self._file.read(index * width, (index + 1) * width).tolist()
        doc = row[_DOC]
        text = self.documents.bytes(row[_BSTART], row[_BEND]).decode("utf-8")
        return Passage(
            id=self.id_of(index),
            doc_id=self.documents.ids[doc],
            title=self.titles[row[_TITLE]],
            section=tuple(json.loads(self.sections[row[_SECTION]])),
            lines=(row[_FIRST], row[_LAST]),
            text=text,
            start=row[_START],
            end=row[_END],
            section_span=(row[_SSTART], row[_SEND]),
            audience=self.audiences[row[_AUDIENCE]],
            question=self.questions[row[_QUESTION]],
        )

    def __iter__(self) -> Iterator[Passage]:
        for index in range(len(self)):
            yield self._make(index)  # a pass over every passage does not flush the ones last shown

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PassageTable({len(self)} passages of {len(self.documents)} documents)"

    # --- ids -----------------------------------------------------------------------------

    def id_of(self, index: int) -> str:
        if self.ids is not None:
            return self.ids[index]
        doc = self._doc_of(index)
        assert self._first is not None
        return f"{self.documents.ids[doc]}:{index - int(self._first[doc]):03d}"

    def _doc_of(self, index: int) -> int:
        return int(self.rows[index, _DOC] if self._doc is None else self._doc[index])

    def position(self, passage_id: str) -> int:
        """The passage's number in index order; ``KeyError`` when there is none."""
        if self.ids is not None:
            if self._by_id is None:
                self._by_id = {}
                for number in range(len(self.ids)):
                    self._by_id.setdefault(self.ids[number], number)
            return self._by_id[passage_id]
        doc_id, _, ordinal = passage_id.rpartition(":")
        try:
            doc = self.documents.position(doc_id)
            number = int(self._first[doc]) + int(ordinal)  # type: ignore[index]
        except (KeyError, ValueError):
            raise KeyError(passage_id) from None
        if number >= len(self) or self._doc_of(number) != doc or self.id_of(number) != passage_id:
            raise KeyError(passage_id)
        return number

    # --- vectorised views ----------------------------------------------------------------

    @property
    def doc_index(self) -> np.ndarray:
        """Each passage's document number (in :attr:`documents` order)."""
        return self.rows[:, _DOC] if self._doc is None else self._doc

    @property
    def has_question(self) -> np.ndarray:
        """Which passages answer a FAQ question."""
        empty = self.questions.find("")
        codes = self.rows[:, _QUESTION]
        try:
            return codes != empty if empty >= 0 else np.ones(len(self), dtype=bool)
        finally:
            release_pages(self.rows)

    def in_documents(self, doc_ids: Collection[str]) -> np.ndarray:
        """Which passages belong to one of ``doc_ids`` (unknown ids match nothing)."""
        wanted = [self.documents.position(d) for d in doc_ids if d in self.documents]
        return np.isin(self.doc_index, np.asarray(wanted, dtype=np.int64))  # a saved table's column is held

    def audience_mask(self, audience: str) -> np.ndarray:
        """Which passages are meant for ``audience``."""
        groups = np.array([audience in group for group in self.audiences], dtype=bool)
        try:
            return groups[self.rows[:, _AUDIENCE]] if len(self) else np.zeros(0, dtype=bool)
        finally:
            release_pages(self.rows)

    # --- on disk -------------------------------------------------------------------------

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {"rows": self.rows}
        for name in ("titles", "sections", "questions"):
            arrays.update(getattr(self, name).arrays(name))
        if self.ids is not None:
            arrays.update(self.ids.arrays("ids"))
        params = {"columns": list(COLUMNS), "count": len(self), "audiences": [list(a) for a in self.audiences]}
        return {**params, "ids": "stored" if self.ids is not None else "derived"}, arrays

    @classmethod
    def from_state(
        cls, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray], documents: DocumentTable
    ) -> PassageTable:
        if list(params["columns"]) != list(COLUMNS):
            raise ValueError(f"passage columns {params['columns']}, this library reads {list(COLUMNS)}")
        rows = arrays["rows"]
        if rows.dtype != np.int64:
            raise ValueError(f"passage rows are {rows.dtype}, not int64")
        ids = StringTable.from_arrays(arrays, "ids") if params["ids"] == "stored" else None
        table = cls(
            rows,
            documents,
            *(StringTable.from_arrays(arrays, name) for name in ("titles", "sections", "questions")),
            [tuple(a) for a in params["audiences"]],
            ids,
        )
        if ids is None and table._first is None:
            raise ValueError("passages with computed ids must be in document order")
        return table


def _ascending(values: np.ndarray) -> bool:
    return bool(values.size == 0 or (np.diff(values) >= 0).all())
