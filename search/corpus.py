"""Reading a corpus folder: its documents and, when present, its manifest.

A corpus is a folder of UTF-8 ``.txt``/``.md`` files. An optional
``manifest.toml`` names each document's id, title and audience::

    [[documents]]
    id = "buyers-support"
    file = "ozon-support-for-buyers.txt"
    title = "Как связаться с поддержкой Ozon: руководство для покупателей"
    audience = ["покупатели"]
    source = "000_510827bd6ace404a.txt"   # where the text came from

Without a manifest every ``.txt``/``.md`` file below the folder is a document
titled by its first Markdown heading or, failing that, its file name. Texts are
never edited: what a passage cites is exactly what the file says.

A file that cannot be a document (empty, binary, not UTF-8, over
``MAX_FILE_BYTES``, unreadable, or a link or path leading out of the folder)
and a second copy of a text are skipped with one :class:`CorpusWarning` naming
the file; ``read_corpus(folder, strict=True)`` raises :class:`CorpusError`
instead. A broken manifest is always an error naming its line.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CorpusError",
    "CorpusWarning",
    "Document",
    "corpus_files",
    "drop_duplicates",
    "read_corpus",
    "read_document",
]

MANIFEST = "manifest.toml"
SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 20 * 1024 * 1024  # larger files are not help-center articles


class CorpusError(ValueError):
    """The corpus cannot be read as asked (a broken manifest, a missing folder)."""


class CorpusWarning(UserWarning):
    """A file of the corpus was skipped; the rest is indexed."""


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    title: str
    path: str  # relative to the corpus folder, with "/" separators
    text: str
    audience: tuple[str, ...] = ()
    source: str = ""

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.id}\0{self.title}\0{self.audience}\0{self.text}".encode()).hexdigest()


def read_corpus(folder: str | Path, strict: bool = False) -> list[Document]:
    """The documents of ``folder``, in manifest order or sorted by path.

    ``strict=True`` turns every skipped file into a :class:`CorpusError`.

    >>> [d.id for d in read_corpus("corpus")][:2]
    ['buyers-support', 'seller-request']
    """
    root = Path(folder)
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    manifest = root / MANIFEST
    documents = _from_manifest(root, manifest, strict) if manifest.is_file() else _from_files(root, strict)
    return _drop_duplicates(documents, strict)


def _from_manifest(root: Path, manifest: Path, strict: bool) -> list[Document]:
    try:
        source = manifest.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        line = manifest.read_bytes()[: error.start].count(b"\n") + 1
        raise CorpusError(f"{manifest}, line {line}: not UTF-8 text") from None
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise CorpusError(f"{manifest}: {error}") from None  # tomllib's message ends "(at line N, column M)"
    entries = data.get("documents")
    if not isinstance(entries, list) or not entries:
        raise CorpusError(f"{manifest}: expected one or more [[documents]] tables")
    lines = _table_lines(source)
    documents = []
    seen_ids: set[str] = set()
    for number, entry in enumerate(entries, 1):
        keys = lines[number - 1] if number <= len(lines) else {}
        if not isinstance(entry, dict):
            raise CorpusError(f"{_where(manifest, number, keys)}: expected a table")
        missing = [key for key in ("id", "file") if not isinstance(entry.get(key), str) or not entry[key]]
        if missing:
            raise CorpusError(f"{_where(manifest, number, keys, missing[0])}: missing {', '.join(missing)}")
        for key in ("title", "source"):
            if not isinstance(entry.get(key, ""), str):
                raise CorpusError(f"{_where(manifest, number, keys, key)}: {key} must be a string")
        audience = entry.get("audience", [])
        audience = [audience] if isinstance(audience, str) else audience
        if not isinstance(audience, list) or not all(isinstance(name, str) for name in audience):
            where = _where(manifest, number, keys, "audience")
            raise CorpusError(f"{where}: audience must be a string or a list of strings")
        if entry["id"] in seen_ids:
            raise CorpusError(f"{_where(manifest, number, keys, 'id')}: duplicate id {entry['id']!r}")
        seen_ids.add(entry["id"])
        path = root / entry["file"]
        if not path.is_file() and not path.is_symlink():
            raise CorpusError(f"{_where(manifest, number, keys, 'file')}: file not found: {entry['file']}")
        text = _read_text(root, path, strict)
        if text is None:
            continue
        documents.append(
            Document(
                id=entry["id"],
                title=entry.get("title") or _title_from(text, path),
                path=entry["file"],
                text=text,
                audience=tuple(audience),
                source=entry.get("source", ""),
            )
        )
    return documents


def _where(manifest: Path, number: int, lines: dict[str, int], key: str = "") -> str:
    """``manifest.toml, line 7: document 2``: where a manifest entry (or one of its keys) is written."""
    line = lines.get(key) or lines.get("")
    return f"{manifest}, line {line}: document {number}" if line else f"{manifest}: document {number}"


_TABLE = re.compile(r"^\s*\[\[\s*documents\s*\]\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def _table_lines(source: str) -> list[dict[str, int]]:
    """For each ``[[documents]]`` table, the line of its header ("") and of each of its keys (1-based)."""
    tables: list[dict[str, int]] = []
    inside = False
    for number, line in enumerate(source.splitlines(), 1):
        if _TABLE.match(line):
            tables.append({"": number})
            inside = True
        elif line.lstrip().startswith("["):
            inside = False
        elif inside and (key := _KEY.match(line)):
            tables[-1].setdefault(key.group(1), number)
    return tables


def _from_files(root: Path, strict: bool) -> list[Document]:
    documents = (read_document(root, path, strict) for path in corpus_files(root))
    return [document for document in documents if document is not None]


def corpus_files(root: Path) -> list[Path]:
    """The files of a folder without a manifest that may be documents, sorted by path (the reading order)."""
    files = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.suffix.lower() not in SUFFIXES or any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() or path.is_symlink():
            files.append(path)
    return files


def read_document(root: Path, path: Path, strict: bool = False) -> Document | None:
    """One file of a folder without a manifest as a document, or None (with a warning) when it cannot be one."""
    text = _read_text(root, path, strict)
    if text is None:
        return None
    relative = path.relative_to(root)
    doc_id = relative.with_suffix("").as_posix()
    return Document(id=doc_id, title=_title_from(text, path), path=relative.as_posix(), text=text)


def drop_duplicates(documents: list[Document], strict: bool = False) -> list[Document]:
    """Documents with the same text as an earlier one skipped (with a warning), or an error when ``strict``."""
    return _drop_duplicates(documents, strict)


def _read_text(root: Path, path: Path, strict: bool) -> str | None:
    """The file's text, or None (with a warning naming it) when it cannot be a document."""
    # resolve() follows every link on the way, so "../x", a linked folder and a linked file are all caught.
    if not path.resolve().is_relative_to(root.resolve()):
        return _skip(
            path, "a link to outside the corpus folder" if path.is_symlink() else "outside the corpus folder", strict
        )
    if not path.is_file():
        return _skip(path, "not a regular file (a broken link?)", strict)
    try:
        size = path.stat().st_size
        if size == 0:
            return _skip(path, "empty", strict)
        if size > MAX_FILE_BYTES:
            return _skip(path, f"{size / 2**20:.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit", strict)
        data = path.read_bytes()
    except OSError as error:
        return _skip(path, f"cannot be read ({error.strerror or error})", strict)
    if b"\0" in data:
        return _skip(path, "binary, not text", strict)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _skip(path, f"not UTF-8 (byte {error.start})", strict)
    if not text.strip():
        return _skip(path, "only white space", strict)
    # Offsets and line numbers are counted on "\n"-separated text.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _skip(path: Path, why: str, strict: bool) -> None:
    if strict:
        raise CorpusError(f"cannot index {path}: {why}")
    warnings.warn(f"skipped {path}: {why}", CorpusWarning, stacklevel=5)
    return None


def _title_from(text: str, path: Path) -> str:
    # A text without "#" has no heading: the expression's scan of a 370k-character text is 4 ms, the
    # test 0.02 ms (of ~6 s of CPU reading a million texts in 1,000 files, ~4 s were this scan).
    heading = re.search(r"^#{1,6}\s+(.+?)\s*#*$", text, re.MULTILINE) if "#" in text else None
    if heading:
        return heading.group(1)
    return path.stem.replace("_", " ").replace("-", " ").strip() or path.name


def _drop_duplicates(documents: list[Document], strict: bool) -> list[Document]:
    seen: dict[str, str] = {}
    unique = []
    for document in documents:
        key = hashlib.sha256(document.text.encode()).hexdigest()
        if key in seen:
            if strict:
                raise CorpusError(f"cannot index {document.path} twice: same text as {seen[key]}")
            warnings.warn(f"skipped {document.path}: same text as {seen[key]}", CorpusWarning, stacklevel=3)
            continue
        seen[key] = document.path
        unique.append(document)
    return unique
