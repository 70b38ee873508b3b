"""Documents and passages as arrays (search.store), and the saved index opened by memory map."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from benchmarks.synthetic import ZipfCorpus, write_zipf_folder
from search import Document, SearchEngine, retrievers
from search.corpus import read_corpus
from search.passages import Passage, chunk_document
from search.store import DocumentTable, PassageTable, StoredDocument, StringTable


def _bits(values: object) -> bytes:
    return np.asarray(values, dtype=np.float64).tobytes()


def _answers(engine: SearchEngine, queries: list[str], retrievers: list[str]) -> list[object]:
    """Every query's hits under every ranking: ids, scores as raw bits, highlights, answers, each retriever's view."""
    out: list[object] = []
    for query in queries:
        for retriever in retrievers:
            hits = engine.search(query, k=10, retriever=retriever)
            out.append(
                [(h.passage_id, _bits(h.score), h.highlights, h.answer, sorted(h.retrievers.items())) for h in hits]
            )
    return out


def _retriever_views(engine: SearchEngine, queries: list[str]) -> list[object]:
    """Each retriever's top 20 and every passage's score for the analysed query, as raw bits."""
    from search.analysis import analyse_text

    out: list[object] = []
    for query in queries:
        analysed = analyse_text(engine.analyzer, query)
        for name, retriever in engine.retrievers.items():
            best, scores = retriever.top(analysed, 20)
            out.append((name, best.tolist(), _bits(scores), _bits(retriever.scores(analysed))))
    return out


def _mapped(array: np.ndarray) -> bool:
    while array is not None:
        if isinstance(array, np.memmap):
            return True
        array = array.base  # type: ignore[assignment]
    return False


QUERIES = ["как оформить возврат", "8 800 234-70-00", "горячая линия для селлеров", "вазврат", "озон", "как заказ"]


def test_the_memory_mapped_index_answers_exactly_like_the_one_in_memory(engine: SearchEngine, tmp_path: Path) -> None:
    engine.save(tmp_path / "index")
    loaded = SearchEngine.load(tmp_path / "index")
    rows = loaded.index.passages.rows  # type: ignore[attr-defined]
    assert _mapped(rows) and _mapped(loaded.index.documents.text)  # type: ignore[attr-defined]
    assert _mapped(loaded.retrievers["bm25"]._data)  # type: ignore[attr-defined]
    rankings = ["hybrid", *engine.retrievers]
    assert _answers(loaded, QUERIES, rankings) == _answers(engine, QUERIES, rankings)
    assert _retriever_views(loaded, QUERIES) == _retriever_views(engine, QUERIES)
    assert loaded.passages == engine.passages and loaded.documents == engine.documents


@pytest.fixture(scope="module")
def zipf_engines(tmp_path_factory: pytest.TempPathFactory) -> tuple[SearchEngine, SearchEngine, list[str]]:
    """A 3,000-text Zipf corpus (frequent words in every query) in memory and opened from disk."""
    corpus = ZipfCorpus(seed=7)
    folder = write_zipf_folder(tmp_path_factory.mktemp("zipf") / "corpus", 3000, corpus, per_file=500)
    built = SearchEngine.build(read_corpus(folder), progress=False)
    built.save(folder.parent / "index")
    return built, SearchEngine.load(folder.parent / "index"), corpus.queries(40)


def test_the_memory_mapped_index_answers_exactly_like_the_one_in_memory_on_zipf_queries(
    zipf_engines: tuple[SearchEngine, SearchEngine, list[str]],
) -> None:
    built, loaded, queries = zipf_engines
    rankings = ["hybrid", *built.retrievers]
    assert _answers(loaded, queries, rankings) == _answers(built, queries, rankings)
    assert _retriever_views(loaded, queries) == _retriever_views(built, queries)
    hit = loaded.search(queries[0], k=1)[0]
    assert loaded.section_text(hit) == built.section_text(built.passage(hit.passage_id))


def test_a_loaded_index_reads_its_text_from_the_file_not_the_map(engine: SearchEngine, tmp_path: Path) -> None:
    engine.save(tmp_path / "index")
    documents = SearchEngine.load(tmp_path / "index").index.documents
    assert isinstance(documents, DocumentTable) and documents._file is not None  # pread, not page faults (MappedFile)
    assert engine.index.documents._file is None  # a built index's buffer is in memory
    mapped = documents.text
    for number in range(len(documents)):
        start, end = int(documents.bounds[number]), int(documents.bounds[number + 1])
        assert documents.bytes(start, end) == mapped[start:end].tobytes()
        assert documents.text_of(number) == engine.documents[documents.ids[number]].text
    assert documents.bytes(3, 3) == b""
    with pytest.raises(IndexError):
        documents.bytes(0, mapped.size + 1)


def test_tfidf_read_by_pread_answers_exactly_like_the_map(
    zipf_engines: tuple[SearchEngine, SearchEngine, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built, mapped, queries = zipf_engines
    monkeypatch.setattr(retrievers, "READ_MIN_BYTES", 0)  # every size: bigram codes and IDF read by pread
    monkeypatch.setattr(retrievers, "BIGRAM_BLOCK", 7)  # many blocks, codes at their edges
    built.save(tmp_path / "index")
    loaded = SearchEngine.load(tmp_path / "index")
    tfidf = loaded.retrievers["tfidf"]
    assert tfidf._bigram_file is not None and tfidf._idf_file is not None  # type: ignore[attr-defined]
    bigrams = np.asarray(built.retrievers["tfidf"].bigrams_)  # type: ignore[attr-defined]
    probes = [*bigrams[::5].tolist(), *(bigrams[::11] + 1).tolist(), 0, -1, int(bigrams[-1]) + 1]
    expected = [
        int(p) if p < bigrams.size and bigrams[p] == c else None
        for c, p in zip(probes, np.searchsorted(bigrams, probes))
    ]
    assert tfidf._bigram_positions(probes) == expected  # type: ignore[attr-defined]
    assert _retriever_views(loaded, queries) == _retriever_views(built, queries)
    assert _retriever_views(loaded, queries) == _retriever_views(mapped, queries)


def test_passages_come_back_exactly_as_the_chunker_made_them(engine: SearchEngine) -> None:
    documents = read_corpus("corpus")
    made = [p for d in documents for p in chunk_document(d, engine.config.passage_words)]
    table = engine.index.passages
    assert isinstance(table, PassageTable) and table.ids is None  # ids computed from the rows
    assert list(table) == made and table == made and table[-1] == made[-1] and table[2:4] == tuple(made[2:4])
    for number, passage in enumerate(made):
        assert table.position(passage.id) == number and engine.passage(passage.id) == passage
        assert passage.text == engine.documents[passage.doc_id].text[passage.start : passage.end]
    for unknown in ["buyers-support:999", "nowhere:000", "buyers-support", "buyers-support:x", ""]:
        with pytest.raises(KeyError):
            engine.passage(unknown)
    assert table.has_question.tolist() == [bool(p.question) for p in made]
    for audience in engine.audiences:
        assert table.audience_mask(audience).tolist() == [audience in p.audience for p in made]
    assert table.in_documents({"seller-channels", "unknown"}).tolist() == [p.doc_id == "seller-channels" for p in made]


def test_nothing_per_passage_is_a_python_object(engine: SearchEngine) -> None:
    index = engine.index
    assert isinstance(index.passages, PassageTable) and isinstance(index.documents, DocumentTable)
    arrays = [index.passages.rows, index.documents.text]
    arrays += [t.data for t in (index.passages.titles, index.passages.sections, index.passages.questions)]
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in arrays)
    assert index.passages.rows.shape == (len(engine.passages), len(index.passages.rows[0]))


def test_documents_are_read_lazily_and_equal_the_corpus(engine: SearchEngine) -> None:
    documents = read_corpus("corpus")
    stored = [engine.documents[d.id] for d in documents]
    assert all(isinstance(s, StoredDocument) for s in stored)
    assert stored == documents and documents == stored and list(engine.documents) == [d.id for d in documents]
    assert {hash(s) for s in stored} == {hash(d) for d in documents}
    assert [s.fingerprint for s in stored] == [d.fingerprint for d in documents]
    changed = dataclasses.replace(stored[0], title="другое")
    assert changed.title == "другое" and changed.text == documents[0].text and changed != documents[0]
    assert "unknown" not in engine.documents and 3 not in engine.documents


def test_any_passages_and_ids_round_trip(tmp_path: Path) -> None:
    """Passages not made by the chunker (other ids, out of order, non-ASCII around them) are kept as they are."""
    text = "Ёлка 🎄 — №1.\nВторая строка: «возврат».\nTretья"
    document = Document("d-1", "Заголовок", "d.txt", text, ("покупатели",), "src")
    other = Document("d-2", "Другой", "e.txt", "Оплата картой", (), "")
    passages = [
        Passage("second", "d-1", "Заголовок", ("А", "Б"), (2, 2), text[15:39], 15, 39, (0, len(text)), ("покупатели",)),
        Passage("first", "d-1", "Заголовок", (), (1, 1), text[0:14], 0, 14, (0, 14), ("покупатели",), "Как?"),
        Passage("d-2:000", "d-2", "Другой", ("",), (1, 1), "Оплата", 0, 6, (0, 13), ()),
    ]
    documents = DocumentTable.build([document, other])
    table = PassageTable.build(passages, documents)
    assert table.ids is not None and list(table) == passages and table.position("first") == 1
    params, arrays = table.state()
    again = PassageTable.from_state(params, arrays, DocumentTable.from_state(*documents.state()))
    assert list(again) == passages and again[1].section == () and again[2].section == ("",)
    with pytest.raises(ValueError, match="not a slice"):
        PassageTable.build([dataclasses.replace(passages[0], text="другой текст")], documents)


def test_a_string_table_finds_any_string() -> None:
    words = ["б", "а", "", "яблоко", "а", "z", "ёж"]
    table = StringTable.build(words)
    assert list(table) == words and table[-1] == "ёж"
    for word in words:
        assert table[table.find(word)] == word
    assert table.find("нет") == -1


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 200, 3000])
def test_a_sorted_string_tables_bisect_is_the_standard_librarys(size: int) -> None:
    """``bisect_left`` finds a string's block in a sample of every ``SAMPLE_STEP``-th string, then searches the
    block: the same place as ``bisect.bisect_left`` for strings held, strings between and beyond them all."""
    import bisect
    import random

    from search.store import SAMPLE_STEP

    rng = random.Random(size)
    alphabet = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяaz-"
    words = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9))) for _ in range(size)})
    table = StringTable.build(words)
    probes = [
        *words,
        "",
        "а",
        "яяяяяяяяяя",
        "\uffff",
        *("".join(rng.choice(alphabet) for _ in range(5)) for _ in range(500)),
    ]
    probes += [word + "а" for word in words[::SAMPLE_STEP]] + [word[:-1] for word in words[::SAMPLE_STEP]]
    for probe in probes:
        assert table.bisect_left(probe) == bisect.bisect_left(words, probe), probe


@pytest.mark.parametrize("extra", [[], ["с\0нулём"]])
def test_a_string_table_takes_many_strings_as_one_by_one(extra: list[str]) -> None:
    """Spelling's candidates are taken many at once (gathered, decoded once): the same strings, in the asked order,
    empty ones and repeats included; a table holding NUL is read one by one."""
    words = ["заказ", "", "ёжик", "e-mail", "café 🙂", "возврат", "а", "", *extra] * 9
    table = StringTable.build(words)
    order = np.random.default_rng(15).permutation(len(words))
    for indices in (order, order[:3], np.repeat(order[:2], 20), np.zeros(0, dtype=np.int64)):
        assert table.take(indices) == [words[i] for i in indices.tolist()]


def test_character_offsets_from_the_bytes_equal_those_from_the_text() -> None:
    """The unchecked build reads byte offsets off the UTF-8 bytes: the same as counting each character's width."""
    from search.store import _byte_offsets, _char_starts

    text = "Заказ № 15 — ёжик, ﬁнал１２ 3,5 кг; café 🙂 𝔘.\nНовая строка\tи табуляция"
    assert _char_starts(np.frombuffer(text.encode("utf-8"), np.uint8)).tolist() == _byte_offsets(text).tolist()
    assert _char_starts(np.zeros(0, np.uint8)).tolist() == _byte_offsets("").tolist() == [0]


def _resident_kib(folder: Path, suffixes: tuple[str, ...]) -> dict[str, int]:
    """This process's resident KiB of each mapped file under ``folder`` whose name ends with one of ``suffixes``."""
    sizes: dict[str, int] = {}
    name = ""
    with open("/proc/self/smaps", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.split()
            if parts and "-" in parts[0] and not parts[0].endswith(":"):
                name = parts[5] if len(parts) > 5 else ""
            elif parts and parts[0] == "Rss:" and name.startswith(str(folder)) and name.endswith(suffixes):
                sizes[Path(name).name] = sizes.get(Path(name).name, 0) + int(parts[1])
    return sizes


def test_the_compiled_kernel_reads_a_loaded_index_s_postings_by_pread_not_the_map(
    zipf_engines: tuple[SearchEngine, SearchEngine, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same answers bit for bit as the index in memory, and not one page of the postings maps resident after
    (their pointers, a small file, are read through the map)."""
    pytest.importorskip("numba", reason="numba is the optional `fast` extra: pip install '.[fast]'")
    if not Path("/proc/self/smaps").is_file():
        pytest.skip("needs Linux's /proc/self/smaps")
    from search import kernels

    built, _, queries = zipf_engines
    built.save(tmp_path / "index")
    loaded = SearchEngine.load(tmp_path / "index")  # a fresh map: no page of it read yet
    rankings = ["hybrid", *built.retrievers]
    monkeypatch.setattr(kernels, "MODE", "numpy")
    expected = _answers(built, queries, rankings)
    monkeypatch.setattr(kernels, "MODE", "numba")
    assert _answers(loaded, queries, rankings) == expected
    assert _answers(loaded, queries, rankings) == expected  # again: the lists read lately come from memory
    assert _answers(built, queries, rankings) == expected  # postings in memory: passed to the kernel as they are
    # The pointers (two entries a column, a small file) are read through the map; the postings never are.
    postings = tuple(f"{name}.{part}.npy" for name in built.retrievers for part in ("columns", "weights") for part in (
        f"{part}_indices", f"{part}_data"))  # fmt: skip
    resident = _resident_kib(tmp_path / "index", postings)
    assert len(resident) >= 6 and not any(resident.values()), resident


def test_a_build_that_spills_its_text_to_disk_saves_the_same_index_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text buffer, lexicon and retrievers written to the index's folder and mapped back as they are made.

    The same files, the same answers, the text and postings read by pread, and nothing left in the folder.
    """
    import json

    from search import EngineConfig, store
    from search.index import build_index

    monkeypatch.setattr(store, "SPILL_MIN_BYTES", 0)
    documents = read_corpus("corpus")
    config = EngineConfig()
    held = build_index(documents, config, progress=False)
    spilled = build_index(list(documents), config, progress=False, release=True, spill=tmp_path / "spilled")
    table = spilled.documents
    assert isinstance(table, DocumentTable) and _mapped(table.text) and table._file is not None
    assert held.documents._file is None  # type: ignore[attr-defined]
    assert _mapped(spilled.lexicon.indices) and not _mapped(held.lexicon.indices)
    for name, retriever in spilled.retrievers.items():
        data = "matrix_" if name == "dense" else "_data"  # the sentence encoder's vectors, the others' postings
        assert _mapped(getattr(retriever, data)) and not _mapped(getattr(held.retrievers[name], data)), name
    assert [p.name for p in (tmp_path / "spilled").iterdir()] == []  # the file is unlinked once mapped
    assert [table[d].text for d in table] == [held.documents[d].text for d in held.documents]

    def files(folder: Path) -> dict[str, str]:
        version = (folder / "CURRENT").read_text(encoding="ascii").strip()
        manifest = json.loads((folder / version / "manifest.json").read_text(encoding="utf-8"))
        return {name: meta["sha256"] for name, meta in manifest["files"].items()}

    held.save(tmp_path / "held")
    spilled.save(tmp_path / "spilled")
    assert files(tmp_path / "spilled") == files(tmp_path / "held") and "arrays/documents.text.npy" in files(
        tmp_path / "held"
    )
    rankings = ["hybrid", *held.retrievers]
    assert _answers(SearchEngine(spilled), QUERIES, rankings) == _answers(SearchEngine(held), QUERIES, rankings)


def test_a_loaded_passage_table_leaves_no_page_of_its_rows_resident(
    zipf_engines: tuple[SearchEngine, SearchEngine, list[str]], tmp_path: Path
) -> None:
    """Open's checks and the pipeline's whole columns drop their pages after; a passage's row is read by pread."""
    if not Path("/proc/self/smaps").is_file():
        pytest.skip("needs Linux's /proc/self/smaps")
    built, _, queries = zipf_engines
    built.save(tmp_path / "index")
    loaded = SearchEngine.load(tmp_path / "index")
    table = loaded.index.passages
    assert isinstance(table, PassageTable) and _mapped(table.rows)
    assert table.has_question.tolist() == built.index.passages.has_question.tolist()  # type: ignore[attr-defined]
    assert table.audience_mask("buyers").tolist() == built.index.passages.audience_mask("buyers").tolist()  # type: ignore[attr-defined]
    assert _resident_kib(tmp_path / "index", ("passages.rows.npy",)) == {"passages.rows.npy": 0}
    assert _answers(loaded, queries, ["hybrid"]) == _answers(built, queries, ["hybrid"])
    assert (
        list(table) == list(built.index.passages)
        and table.doc_index.tolist() == built.index.passages.doc_index.tolist()
    )  # type: ignore[attr-defined]
    for number in range(0, len(table), 97):
        assert table.position(table.id_of(number)) == number
    # The passages made for the hits were read by pread, not through the map.
    assert _resident_kib(tmp_path / "index", ("passages.rows.npy",)) == {"passages.rows.npy": 0}
