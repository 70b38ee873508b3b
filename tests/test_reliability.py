"""Reliability: any query string is answered sensibly, overlong queries are cut, broken corpus files are skipped.

The property tests feed ``SearchEngine.search`` arbitrary Unicode — emoji, RTL
text and bidi controls, combining marks, control and zero-width characters,
lone surrogates, very long words, digits only, punctuation only, function
words only, real words with typos — and check what must hold for every query.
They share the session ``engine``: per-example rebuilding would test nothing
more and cost seconds each.
"""

from __future__ import annotations

import json
import math
import os
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from search import SearchEngine, SearchResults
from search.config import EngineConfig
from search.corpus import CorpusError, CorpusWarning, read_corpus

MAX_QUERY_CHARS = EngineConfig().max_query_chars

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)

# --- strategies -------------------------------------------------------------------------

FUNCTION_WORDS = [
    "и",
    "в",
    "на",
    "с",
    "по",
    "не",
    "а",
    "но",
    "к",
    "о",
    "от",
    "за",
    "для",
    "как",
    "что",
    "же",
    "ли",
    "бы",
]
REAL_WORDS = [
    "возврат",
    "товара",
    "вернуть",
    "деньги",
    "двойное",
    "списание",
    "поддержка",
    "продавца",
    "чат",
    "оператор",
    "телефон",
    "8 800 234-70-00",
    "seller.ozon.ru",
    "личный",
    "кабинет",
    "пвз",
    "заказ",
    "доставка",
    "Озон",
    "вазврат",
    "поддрежка",
    "ghbdtn",
    "djpdhfn",
    "vozvrat",
    "tovara",
    "svyazatsya",
    "ёлка",
    "Платёж",
]
EMOJI = "😀👍🏽👨‍👩‍👧🇷🇺🔥❤️"
RTL = "שלום مرحبا\u200f\u202e\u202b\u2067"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
PUNCTUATION = string.punctuation + "«»—–…¿¡„“”№§"


any_char = st.characters()  # every code point but surrogates (drawn separately below)
combining = st.characters(categories=["Mn", "Me"])
controls = st.characters(categories=["Cc", "Cf"])
surrogates = st.characters(categories=["Cs"])  # lone surrogates: legal in a str, unencodable as UTF-8
cyrillic = st.characters(min_codepoint=0x0400, max_codepoint=0x04FF)
odd_piece = st.one_of(
    st.sampled_from(REAL_WORDS),
    st.sampled_from(FUNCTION_WORDS),
    st.text(alphabet=EMOJI + RTL + ZERO_WIDTH, max_size=6),
    st.text(alphabet=st.one_of(combining, controls, surrogates), max_size=4),
    st.text(alphabet=any_char, max_size=12),
    st.text(alphabet=cyrillic, min_size=1, max_size=12),
)
mixed_queries = st.lists(odd_piece, max_size=12).flatmap(
    lambda pieces: st.sampled_from(["", " ", "\u200b", "\n", "\t"]).map(lambda glue: glue.join(pieces))
)
degenerate_queries = st.one_of(
    st.text(alphabet=cyrillic, min_size=40, max_size=3000),  # one very long word
    st.text(alphabet="0123456789 ", min_size=1, max_size=200),
    st.text(alphabet=PUNCTUATION + " ", min_size=1, max_size=200),
    st.lists(st.sampled_from(FUNCTION_WORDS), min_size=1, max_size=30).map(" ".join),
    st.text(alphabet=ZERO_WIDTH + " \t\n", max_size=50),
    st.text(alphabet=st.one_of(combining, surrogates), min_size=1, max_size=50),
)
ks = st.one_of(st.just(10), st.integers(min_value=1, max_value=40))  # k below 1 is refused: test_engine


# --- what every answer must satisfy ----------------------------------------------------


def check_results(engine: SearchEngine, results: SearchResults, k: int) -> None:
    assert isinstance(results, SearchResults)
    assert len(results) <= max(k, 0)
    scores = [hit.score for hit in results]
    assert all(isinstance(score, float) and math.isfinite(score) for score in scores), scores
    assert scores == sorted(scores, reverse=True)
    assert [hit.rank for hit in results] == list(range(1, len(results) + 1))
    assert math.isfinite(results.coverage) and 0.0 <= results.coverage <= 1.0
    for hit in results:
        passage = hit.passage
        document = engine.documents[hit.doc_id]
        assert hit.text == document.text[passage.start : passage.end]  # the citation is verbatim
        assert passage.lines == (
            document.text.count("\n", 0, passage.start) + 1,
            document.text.count("\n", 0, passage.end) + 1,
        )
        assert hit.title in hit.citation and str(passage.lines[0]) in hit.citation
        assert all(0 <= start < end <= len(hit.text) for start, end in hit.highlights)
        for retriever in hit.retrievers.values():
            assert retriever.rank >= 1 and math.isfinite(retriever.score)
    json.dumps(results.to_json())  # serialisable for the CLI and the page, whatever was typed


def same_answer(first: SearchResults, second: SearchResults) -> bool:
    a, b = first.to_json(), second.to_json()
    a.pop("elapsed_ms"), b.pop("elapsed_ms")
    return a == b


# --- properties ---------------------------------------------------------------------------


@PROPERTY
@given(query=mixed_queries, k=ks)
@example(query="", k=10)
@example(query="\ud800возврат\udfff", k=10)
@example(query="в\u0301озврат то\u0308вара", k=5)
@example(query="\u202eвозврат\u202c 👍🏽", k=3)
@example(query="\x00\x07\x1b[31mвозврат", k=3)
@example(query="\U00017000 возвра\u0301т", k=3)
def test_any_query_gets_a_well_formed_answer(engine: SearchEngine, query: str, k: int) -> None:
    results = engine.search(query, k=k)
    check_results(engine, results, k)
    assert same_answer(results, engine.search(query, k=k))


@PROPERTY
@given(query=degenerate_queries)
def test_degenerate_queries_get_a_well_formed_answer(engine: SearchEngine, query: str) -> None:
    results = engine.search(query, k=10)
    check_results(engine, results, 10)
    assert same_answer(results, engine.search(query, k=10))


@settings(PROPERTY, max_examples=100)
@given(
    query=mixed_queries,
    audience=st.sampled_from([None, "покупатели", "продавцы"]),  # an unknown one is refused: test_engine
    rewrite=st.booleans(),
    data=st.data(),
)
def test_every_retriever_and_filter_gives_a_well_formed_answer(
    engine: SearchEngine, query: str, audience: str | None, rewrite: bool, data: st.DataObject
) -> None:
    retriever = data.draw(st.sampled_from(["hybrid", *engine.retrievers]), label="retriever")
    results = engine.search(query, k=5, retriever=retriever, audience=audience, rewrite=rewrite)
    check_results(engine, results, 5)
    if audience is not None:
        assert all(audience in hit.audience for hit in results)
    again = engine.search(query, k=5, retriever=retriever, audience=audience, rewrite=rewrite)
    assert same_answer(results, again)


@settings(PROPERTY, max_examples=100)
@given(
    words=st.lists(st.sampled_from(FUNCTION_WORDS), min_size=1, max_size=20), glue=st.sampled_from([" ", ", ", "\n"])
)
def test_only_function_words_is_a_clear_empty_state(engine: SearchEngine, words: list[str], glue: str) -> None:
    results = engine.search(glue.join(words).capitalize() + "?")
    assert len(results) == 0 and not results.answered and results.query.terms == ()


# --- the empty state --------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["", " ", "\n\t ", "\u200b\u200d\ufeff", "и в на с по", "Как? Что? Где?", "а но или же", "?!.,;:—…", "\ud800"],
)
def test_empty_and_stop_word_queries_answer_nothing_rather_than_arbitrary_passages(
    engine: SearchEngine, query: str
) -> None:
    results = engine.search(query)
    assert len(results) == 0 and not results.answered and results.coverage == 0.0
    assert results.query.terms == () and results.query.original == query


# --- limits -----------------------------------------------------------------------------


def test_a_query_at_the_limit_is_whole_and_one_past_it_is_cut(engine: SearchEngine) -> None:
    words = ("возврат товара " * MAX_QUERY_CHARS)[:MAX_QUERY_CHARS]
    whole = engine.search(words)
    assert not whole.query.truncated and whole.query.original == words
    cut = engine.search(words + "x")
    assert cut.query.truncated and cut.to_json()["query"]["truncated"] is True
    assert cut.query.original == words + "x" and len(cut.query.rewritten) <= MAX_QUERY_CHARS
    assert [hit.passage_id for hit in cut] == [hit.passage_id for hit in whole]


@pytest.mark.parametrize(
    "unit",
    [
        "возврат товара как оформить ",
        "вазврат тавара пачему ",
        "djpdhfn ",
        "я" * 997 + " ",
        "😀\u200b",
        "1 ",
        "8 800 234 70 00 ",
    ],
    ids=["words", "typos", "layout", "long-words", "emoji", "digits", "phones"],
)
def test_a_100_kb_query_is_searched_as_its_first_1000_characters(engine: SearchEngine, unit: str) -> None:
    # The tail is never analysed, so it costs nothing: `python -m benchmarks.query_length` measures it.
    huge = (unit * (100_000 // len(unit) + 1))[:100_000]
    whole, head = engine.search(huge), engine.search(huge[:MAX_QUERY_CHARS])
    assert whole.query.truncated and not head.query.truncated
    assert whole.query.rewritten == head.query.rewritten and whole.query.terms == head.query.terms
    assert [(h.passage_id, h.score) for h in whole] == [(h.passage_id, h.score) for h in head]


def test_k_below_one_is_refused_and_a_huge_k_is_every_match(engine: SearchEngine) -> None:
    for k in (-5, 0):
        with pytest.raises(ValueError, match="k must be a whole number of hits, 1 or more"):
            engine.search("возврат", k=k)
    for retriever in engine.rankings:
        assert 0 < len(engine.search("возврат", k=10**9, retriever=retriever)) <= len(engine.passages)


# pymorphy3 asks unicodedata.name() of every letter; Tangut and Khitan ideographs have none (once a ValueError).
@pytest.mark.parametrize("query", ["\U00017000", "возврат \U00018d08 товара"])
def test_letters_without_a_unicode_name_are_searched(engine: SearchEngine, query: str) -> None:
    check_results(engine, engine.search(query), 10)


# A combining stress mark (U+0301) that composes with no Cyrillic letter once split the word: «возвра́т» → возвр.
def test_a_stress_mark_does_not_split_a_word(engine: SearchEngine) -> None:
    assert engine.search("возвра́т товара").query.terms == engine.search("возврат товара").query.terms


# --- the corpus: broken files are skipped (or refused when strict), the rest is indexed ----------


GOOD = "Возврат товара оформляют в личном кабинете в течение 7 дней.\n"


@pytest.fixture()
def corpus_with(tmp_path: Path):
    def make(name: str, content: bytes) -> Path:
        corpus = tmp_path / "corpus"
        corpus.mkdir(exist_ok=True)
        (corpus / "good.txt").write_text(GOOD, encoding="utf-8")
        (corpus / name).write_bytes(content)
        return corpus

    return make


BROKEN_FILES = [
    ("empty.txt", b"", "empty"),
    ("cp1251.txt", "Возврат товара".encode("cp1251"), r"not UTF-8 \(byte 0\)"),
    ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
    ("utf16.txt", "Возврат".encode("utf-16"), "not UTF-8"),
]


@pytest.mark.parametrize(("name", "content", "why"), BROKEN_FILES)
def test_a_broken_file_is_one_warning_naming_it_and_the_rest_is_indexed(
    corpus_with, name: str, content: bytes, why: str
) -> None:
    corpus = corpus_with(name, content)
    with pytest.warns(CorpusWarning, match=f"{name}: {why}") as caught:
        engine = SearchEngine.from_directory(corpus, index_dir=corpus.parent / "index")
    assert len([w for w in caught if issubclass(w.category, CorpusWarning)]) == 1
    assert list(engine.documents) == ["good"] and engine.search("возврат товара", k=1)[0].doc_id == "good"


@pytest.mark.parametrize(("name", "content", "why"), BROKEN_FILES)
def test_strict_reading_refuses_a_broken_file_by_name(corpus_with, name: str, content: bytes, why: str) -> None:
    corpus = corpus_with(name, content)
    with pytest.raises(CorpusError, match=f"cannot index .*{name}: {why}"):
        read_corpus(corpus, strict=True)


def test_an_enormous_file_is_skipped_without_being_read(corpus_with, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("search.corpus.MAX_FILE_BYTES", 1024 * 1024)
    corpus = corpus_with("huge.txt", b"x" * (3 * 1024 * 1024))
    with pytest.warns(CorpusWarning, match="huge.txt: 3 MiB, over the 1 MiB limit"):
        assert [d.id for d in read_corpus(corpus)] == ["good"]
    with pytest.raises(CorpusError, match="huge.txt: 3 MiB"):
        read_corpus(corpus, strict=True)


def test_an_unreadable_file_is_skipped(corpus_with, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = corpus_with("locked.txt", "Секрет.\n".encode())
    (corpus / "locked.txt").chmod(0)
    if os.geteuid() == 0:  # root reads any file: make the read fail the way it fails for everyone else
        read_bytes = Path.read_bytes

        def refuse(path: Path) -> bytes:
            if path.name == "locked.txt":
                raise PermissionError(13, "Permission denied", str(path))
            return read_bytes(path)

        monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.warns(CorpusWarning, match="locked.txt: cannot be read \\(Permission denied\\)"):
        assert [d.id for d in read_corpus(corpus)] == ["good"]


def test_links_and_paths_out_of_the_corpus_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Пароль от сервера: hunter2.\n", encoding="utf-8")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "notes.txt").write_text("Пароль от почты.\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(GOOD, encoding="utf-8")
    os.symlink(secret, corpus / "link.txt")
    os.symlink(tmp_path / "private", corpus / "linked-folder")
    with pytest.warns(CorpusWarning, match="link.txt: a link to outside the corpus folder"):
        assert [d.id for d in read_corpus(corpus)] == ["good"]
    with pytest.raises(CorpusError, match="link.txt: a link to outside"):
        read_corpus(corpus, strict=True)
    manifest = '[[documents]]\nid = "good"\nfile = "good.txt"\n\n[[documents]]\nid = "secret"\nfile = "../secret.txt"\n'
    (corpus / "manifest.toml").write_text(manifest, encoding="utf-8")
    with pytest.warns(CorpusWarning, match=r"secret.txt: outside the corpus folder"):
        documents = read_corpus(corpus)
    assert [d.id for d in documents] == ["good"] and all("Пароль" not in d.text for d in documents)


def test_identical_documents_are_indexed_once_or_refused_when_strict(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(GOOD, encoding="utf-8")
    with pytest.warns(CorpusWarning, match="b.txt: same text as a.txt"):
        assert [d.id for d in read_corpus(tmp_path)] == ["a"]
    with pytest.raises(CorpusError, match="b.txt twice: same text as a.txt"):
        read_corpus(tmp_path, strict=True)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            '# docs\n\n[[documents]]\nid = "a"\nfile = "a.txt"\n\n[[documents]]\nid = "b"\nfile = "gone.txt"\n',
            r"manifest.toml, line 9: document 2: file not found: gone.txt",
        ),
        (
            '[[documents]]\nid = "a"\nfile = "a.txt"\naudience = "покупатели\n',
            r"manifest.toml: .*\(at line 4, column \d+\)",
        ),
        (
            '[[documents]]\nid = "a"\nfile = "a.txt"\n[[documents]]\ntitle = "Б"\nfile = "a.txt"\n',
            r"manifest.toml, line 4: document 2: missing id",
        ),
        ('[[documents]]\nid = "a"\nfile = "a.txt"\naudience = 5\n', r"line 4: document 1: audience must be"),
        (
            '[[documents]]\nid = "a"\nfile = "a.txt"\n[[documents]]\nid = "a"\nfile = "a.txt"\n',
            r"line 5: document 2: duplicate id 'a'",
        ),
        (b'[[documents]]\nid = "a"\nfile = "a.txt"\ntitle = "\xcf\xf0\xe8"\n'.decode("latin-1"), r"line 4: not UTF-8"),
    ],
    ids=["missing-file", "syntax", "missing-id", "bad-audience", "duplicate-id", "not-utf8"],
)
def test_a_broken_manifest_is_an_error_naming_its_line(tmp_path: Path, manifest: str, message: str) -> None:
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    data = manifest.encode("latin-1") if "\xcf" in manifest else manifest.encode()
    (tmp_path / "manifest.toml").write_bytes(data)
    with pytest.raises(CorpusError, match=message) as error:
        read_corpus(tmp_path)
    assert "\n" not in str(error.value)
