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
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CorpusError", "CorpusWarning", "Document", "read_corpus"]

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


def read_corpus(folder: str | Path) -> list[Document]:
    """The documents of ``folder``, in manifest order or sorted by path."""
    root = Path(folder)
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    manifest = root / MANIFEST
    documents = _from_manifest(root, manifest) if manifest.is_file() else _from_files(root)
    return _drop_duplicates(documents)


def _from_manifest(root: Path, manifest: Path) -> list[Document]:
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise CorpusError(f"{manifest}: {error}") from None
    except UnicodeDecodeError:
        raise CorpusError(f"{manifest}: not UTF-8 text") from None
    entries = data.get("documents")
    if not isinstance(entries, list) or not entries:
        raise CorpusError(f"{manifest}: expected one or more [[documents]] tables")
    documents = []
    seen_ids: set[str] = set()
    for number, entry in enumerate(entries, 1):
        where = f"{manifest}: document {number}"
        missing = [key for key in ("id", "file") if not isinstance(entry.get(key), str) or not entry[key]]
        if missing:
            raise CorpusError(f"{where}: missing {', '.join(missing)}")
        if entry["id"] in seen_ids:
            raise CorpusError(f"{where}: duplicate id {entry['id']!r}")
        seen_ids.add(entry["id"])
        path = root / entry["file"]
        if not path.is_file():
            raise CorpusError(f"{where}: file not found: {entry['file']}")
        text = _read_text(root, path)
        if text is None:
            continue
        audience = entry.get("audience", ())
        audience = (audience,) if isinstance(audience, str) else tuple(audience)
        documents.append(
            Document(
                id=entry["id"],
                title=entry.get("title") or _title_from(text, path),
                path=entry["file"],
                text=text,
                audience=audience,
                source=entry.get("source", ""),
            )
        )
    return documents


def _from_files(root: Path) -> list[Document]:
    documents = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.suffix.lower() not in SUFFIXES or any(part.startswith(".") for part in relative.parts):
            continue
        if not path.is_file():
            continue
        text = _read_text(root, path)
        if text is None:
            continue
        doc_id = relative.with_suffix("").as_posix()
        documents.append(Document(id=doc_id, title=_title_from(text, path), path=relative.as_posix(), text=text))
    return documents


def _read_text(root: Path, path: Path) -> str | None:
    """The file's text, or None (with a warning naming it) when it cannot be a document."""
    if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
        return _skip(path, "a link to outside the corpus folder")
    size = path.stat().st_size
    if size == 0:
        return _skip(path, "empty")
    if size > MAX_FILE_BYTES:
        return _skip(path, f"{size / 2**20:.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit")
    data = path.read_bytes()
    if b"\0" in data:
        return _skip(path, "binary, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _skip(path, f"not UTF-8 (byte {error.start})")
    if not text.strip():
        return _skip(path, "only white space")
    # Offsets and line numbers are counted on "\n"-separated text.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _skip(path: Path, why: str) -> None:
    warnings.warn(f"skipped {path}: {why}", CorpusWarning, stacklevel=4)
    return None


def _title_from(text: str, path: Path) -> str:
    heading = re.search(r"^#{1,6}\s+(.+?)\s*#*$", text, re.MULTILINE)
    if heading:
        return heading.group(1)
    return path.stem.replace("_", " ").replace("-", " ").strip() or path.name


def _drop_duplicates(documents: list[Document]) -> list[Document]:
    seen: dict[str, str] = {}
    unique = []
    for document in documents:
        key = hashlib.sha256(document.text.encode()).hexdigest()
        if key in seen:
            warnings.warn(f"skipped {document.path}: same text as {seen[key]}", CorpusWarning, stacklevel=3)
            continue
        seen[key] = document.path
        unique.append(document)
    return unique
