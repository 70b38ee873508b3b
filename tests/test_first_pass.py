"""Work a first query skips (issue 15) is work whose result could not change it: the same decisions as doing it all."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from search import SearchEngine
from search.retrievers import Analysed, char_wb_ngrams, top_k
from search.scripts import ScriptReader, _scheme_verdict
from search.store import StringTable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.embedded import CORPUS, judged_queries, noisy_mix  # noqa: E402


def _every_guess_read(reader: ScriptReader, words: list[str]) -> str | None:
    """``ScriptReader._decide`` reading every word's guess in both schemes, as it did before it stopped early."""
    evidence, words_of = reader._evidence(words)
    exact = {"layout": reader.layout, "transliteration": reader.transliteration}
    near = {"layout": reader.near_layout, "transliteration": reader.near_transliteration}
    votes, sure = {}, {}
    for scheme, candidates in words_of.items():
        sure[scheme] = sum(exact[scheme](w) is not None for w in candidates)
        votes[scheme] = sure[scheme] + sum(exact[scheme](w) is None and near[scheme](w) is not None for w in candidates)
    return _scheme_verdict(votes, sure, len(evidence))


@pytest.fixture(scope="module")
def engine() -> SearchEngine:
    return SearchEngine.from_directory(CORPUS)


def test_scheme_decision_reading_only_the_guesses_that_matter_is_reading_them_all(
    engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real questions typed on the wrong layout and transliterated in three schemes, with and without typos."""
    decided: list[tuple[str | None, str | None]] = []
    lazy = ScriptReader._decide

    def both(reader: ScriptReader, words: list[str]) -> str | None:
        verdict = lazy(reader, words)
        decided.append((verdict, _every_guess_read(reader, list(words))))
        return verdict

    monkeypatch.setattr(ScriptReader, "_decide", both)
    for kind, question in noisy_mix(judged_queries()):
        if kind == "layout" or kind.startswith("translit"):
            engine.search(question)
    assert len(decided) > 100
    assert all(lazy_verdict == full for lazy_verdict, full in decided)
    assert {verdict for verdict, _ in decided} >= {"layout", "transliteration", None}


def test_string_table_reads_as_it_was_written_saved_and_memory_mapped(tmp_path: Path) -> None:
    """The buffer views that read a word without numpy scalars give the strings written, by index and in bulk."""
    words = ["заказ", "ёлка", "", "интернет-магазин", "Ozon", "пункт выдачи", "№ 5"]
    built = StringTable.build(words)
    np.save(tmp_path / "bytes.npy", built.data)
    np.save(tmp_path / "offsets.npy", built.offsets)
    mapped = StringTable(
        np.load(tmp_path / "bytes.npy", mmap_mode="r"), np.load(tmp_path / "offsets.npy", mmap_mode="r")
    )
    for table in (built, mapped):
        assert list(table) == words
        assert [table[i] for i in range(-len(words), 0)] == words
        assert table.raw(3) == "интернет-магазин".encode()
        assert table.take(np.array([6, 0, 3, 3])) == ["№ 5", "заказ", "интернет-магазин", "интернет-магазин"]
        with pytest.raises(IndexError):
            table[len(words)]


def test_spelling_lookup_finds_what_a_distance_per_candidate_finds(engine: SearchEngine) -> None:
    """The batched distances keep every candidate within reach, in the index's order, and no other."""
    import bisect

    from rapidfuzz.distance import OSA

    spelling = engine.pipeline.stage("understand").rewriter.vocabulary.spelling
    total = 0
    for typo in ["пороль", "дотавка", "скольо", "возрат", "техподдерки", "спесание", "закз"]:
        for index in (spelling.corpus, spelling.language):
            for reach in (1, 2):
                found = index.lookup(typo, reach)
                total += len(found)
                assert all(OSA.distance(typo, word) == distance <= reach for word, distance in found)
                # The words are sorted, as a list when built and as a StringTable when loaded: bisect finds both.
                numbers = [bisect.bisect_left(index.words, word) for word, _ in found]
                assert [index.words[number] for number in numbers] == [word for word, _ in found]
                assert numbers == sorted(numbers)
    assert total > 20
    assert ("пароль", 1) in spelling.lookup("пороль", 1)


def test_string_table_binary_search_is_bisect_on_its_strings() -> None:
    """Bytes compared in UTF-8 order find the place ``bisect`` finds among the strings, letters of any script."""
    import bisect

    words = sorted({"заказ", "заказы", "ёлка", "елка", "ozon", "озон", "интернет-магазин", "яблоко", "a", "ß", "日本"})
    table = StringTable.build(words)
    probes = [*words, "", "заказа", "заказ0", "ё", "я", "zzz", "z", "ж", "日", "ожидание", "\U0001f600"]
    assert [table.bisect_left(p) for p in probes] == [bisect.bisect_left(words, p) for p in probes]


def test_char_ngram_columns_kept_per_word_weigh_a_query_as_its_ngrams_do(engine: SearchEngine) -> None:
    """Each word's columns, found once, give the columns and weights the query's n-grams give, bit for bit."""
    from search.analysis import analyse_query
    from search.retrievers import _Tfidf

    analyzer = engine.analyzer
    for name in ("chars", "question_chars"):
        retriever = engine.index.retrievers[name]
        for question in (
            "как вернуть товар",
            "пороль от личного кабинета",
            "Ozon ID не приходит смс",
            "возврат товара, товар",
        ):
            query = analyse_query(analyzer.tokens(question))
            for _ in range(2):  # the second time from the kept columns
                columns, weights = retriever._query(query)
                expected_columns, expected_weights = _Tfidf._query(retriever, query)
                assert list(columns) == expected_columns and len(columns)
                assert weights.tolist() == expected_weights.tolist()


def test_readings_stored_at_build_are_the_passages_read_again(engine: SearchEngine, tmp_path: Path) -> None:
    """Every passage's stored tokens and sentences equal analysing its text now, in the built index and in the
    saved one opened by memory map; a search reading them answers as one that analyses the text."""
    from search.answers import sentence_spans
    from search.index import Index
    from search.pipeline import PassageReadings

    stored = engine.index.readings
    assert stored is not None and len(stored) == len(engine.index.passages)
    engine.index.save(tmp_path / "index")
    loaded = Index.load(tmp_path / "index").readings
    assert loaded is not None
    for row, passage in enumerate(engine.index.passages):
        read = (engine.analyzer.tokens(passage.text), sentence_spans(passage.text))
        assert stored.read(row) == read == loaded.read(row)
    analysed = PassageReadings(engine.analyzer)  # no stored readings: the text analysed when first shown
    kept = PassageReadings(engine.analyzer, index=engine.index)
    for passage in list(engine.index.passages)[:20]:
        assert kept.read(passage) == analysed.read(passage)


def test_a_document_of_every_token_kind_reads_back_as_analysed(engine: SearchEngine) -> None:
    """Phones, e-mails, domains, times, numbers, «№», Latin and ё, several sentences and an empty text; their facts."""
    from search.answers import sentence_spans
    from search.readings import StoredReadings

    texts = [
        "Звоните 8 800 234-48-47 (доб. 5) с 9:00 до 21:00 или пишите на help@ozon.ru. Заказ № 15 — на ozon.ru/help.",
        "",
        "Ёлка и елка. Seller API: 3,5 % комиссии? Да!\n— первый пункт;\n— второй пункт.",
    ]
    from search.answers import extract_facts

    stored = StoredReadings.build(texts, engine.analyzer)
    for row, text in enumerate(texts):
        assert stored.read(row) == (engine.analyzer.tokens(text), sentence_spans(text))
        assert stored.facts_of(row) == extract_facts(text, engine.analyzer)
    assert {fact.kind for fact in stored.facts_of(0)} >= {"phone", "email", "link", "hours"}


def test_facts_stored_at_build_are_the_passages_facts(engine: SearchEngine) -> None:
    """Every passage's stored facts (phones, links, hours, sums… with their outdated marks) equal extracting
    them from its text now, and the corpus states some of each kind the build found."""
    from search.answers import extract_facts

    stored = engine.index.readings
    assert stored is not None
    found = []
    for row, passage in enumerate(engine.index.passages):
        facts = stored.facts_of(row)
        assert facts == extract_facts(passage.text, engine.analyzer)
        found += facts
    assert {"phone", "link"} <= {fact.kind for fact in found}


def test_conflicts_read_from_kept_terms_are_those_read_from_the_text(engine: SearchEngine) -> None:
    """The annotate stage hands conflicts_for each passage's terms with their readings, kept per passage: the
    conflicts of questions asking for phones and hours are those conflicts_for finds reading every text itself."""
    from search.answers import conflicts_for

    annotate = engine.pipeline.stage("annotate")
    found = 0
    for question in ("телефон горячей линии озон", "номер поддержки продавцов", "часы работы поддержки"):
        results = engine.search(question)
        passages = [hit.passage for hit in results]
        query = results.query
        terms = (*query.terms, *query.expansions)
        tokens = engine.analyzer.tokens(query.rewritten)
        kept = conflicts_for(
            terms,
            query.rewritten,
            passages,
            engine.analyzer,
            annotate._facts,
            annotate._conflict_reading,
            query.corrections,
            tokens,
        )
        read = conflicts_for(
            terms, query.rewritten, passages, engine.analyzer, annotate._facts, None, query.corrections, tokens
        )
        assert kept == read
        found += len(kept)
    assert found  # the corpus states more than one support phone


def test_the_learned_retrieve_stage_ranks_as_each_retriever_ranks_alone(engine: SearchEngine) -> None:
    """The learned ranking's retrieve stage ranks each retriever once, above 0, and keeps the first ones above its
    floor: on real questions (as typed, misspelt, on the wrong layout) every list and score is the retriever's
    own ``top``, the floored ones (character n-grams) included, and the ranking above 0 holds the floored one."""
    from search.pipeline import Search

    pipeline = engine.pipeline
    retrieve = pipeline.stage("retrieve")
    floored = 0
    for _, question in noisy_mix(judged_queries())[:60]:
        search = pipeline.stage("understand")(Search(pipeline.request(question, 10), 0.0))
        search = retrieve(search)
        for name, (indices, scores) in search.ranked.items():
            retriever = engine.retrievers[name]
            if search.query.added.terms:  # synonyms add at a lower weight: the stage's own sum, ranked alone
                values = search.full[name]
                own = top_k(values, search.request.depth, retriever.min_score)
                expected = (own, values[own])
            else:
                expected = retriever.top(search.query.own, search.request.depth)
            assert np.array_equal(indices, expected[0]) and np.array_equal(scores, expected[1]), (question, name)
            assert np.array_equal(search.tops[name][: indices.size], indices)
            floored += retriever.min_score > 0 and indices.size < search.tops[name].size
    assert floored  # some n-gram matches fall under the floor: the two rankings differ on real questions


def test_the_character_retrievers_share_each_words_cut(engine: SearchEngine) -> None:
    """The text's and the question field's n-gram retrievers cut a word once between them, each still weighing
    it by its own vocabulary («возврат» has n-grams in both fields, in different columns)."""
    chars, question = engine.retrievers["chars"], engine.retrievers["question_chars"]
    assert chars._ngrams is question._ngrams
    query = Analysed(("возврат",), "возврат")
    assert list(chars._query(query)[0]) != list(question._query(query)[0])
    assert chars._ngrams["возврат"] == char_wb_ngrams("возврат")


@pytest.mark.parametrize("size", [111, 256, 257, 5_000])
def test_top_k_sorting_a_few_scores_whole_orders_as_the_partition(size: int) -> None:
    """Up to SMALL_TOP scores top_k sorts them all, above it it partitions first: either way the order is score
    descending, ties by position (the scores BM25 gives: many zeros, many ties)."""
    rng = np.random.default_rng(size)
    scores = np.round(rng.exponential(size=size), 1) * (rng.random(size) < 0.6)
    for k in (1, 10, 50, size):
        picked = np.flatnonzero(scores > 0.0)
        expected = picked[np.lexsort((picked, -scores[picked]))][:k]
        assert np.array_equal(top_k(scores, k), expected)


def test_own_terms_and_added_synonyms_scored_in_one_pass_are_the_two_scorings_summed(engine: SearchEngine) -> None:
    """``scores_with`` gathers a query's own and added terms' postings together: every postings retriever's
    scores equal scoring each set apart and adding them, to the last bit, on real questions and synonyms."""
    from search.analysis import analyse_query

    analyzer = engine.analyzer
    pairs = [
        ("как вернуть товар", "возврат"),
        ("пороль от личного кабинета", "лк пароль"),
        ("Ozon ID не приходит смс", "озон код"),
        ("где мой заказ", "посылка доставка отправление"),
        ("штраф", "неустойка"),  # one word each
    ]
    compared = 0
    for own_text, added_text in pairs:
        own = analyse_query(analyzer.tokens(own_text))
        added = analyse_query(analyzer.tokens(added_text))
        for name, retriever in engine.index.retrievers.items():
            together = retriever.scores_with(own, added, 0.4)
            apart = retriever.scores(own) + 0.4 * retriever.scores(added)
            assert together.tobytes() == apart.tobytes(), (name, own_text)
            compared += int(bool(np.any(retriever.scores(added) > 0)))
    assert compared >= 10  # the added terms score somewhere: the shifted half is really read


def test_a_small_corpus_top_k_by_one_sort_is_the_partitioned_top_k() -> None:
    """Up to ``SMALL_TOP`` scores ``top_k`` sorts them all; the order (score, then index) and the cut at the
    minimum are the general path's, ties and zeros included."""
    from search import retrievers

    rng = np.random.default_rng(7)
    for size in (1, 5, 111, retrievers.SMALL_TOP):
        for _ in range(50):
            scores = np.round(rng.random(size) * 4, 1) * (rng.random(size) > 0.3)  # ties and zeros
            for k, minimum in ((10, 0.0), (100, 0.0), (size + 5, 1.0), (3, -1.0), (0, 0.0)):
                candidates = np.flatnonzero(scores > minimum)
                order = np.lexsort((candidates, -scores[candidates]))[: max(k, 0)]
                assert top_k(scores, k, minimum).tolist() == candidates[order].tolist()


def test_which_passages_hold_each_term_read_at_once_is_each_terms_binary_search(engine: SearchEngine) -> None:
    """``held_in`` searches every (term, passage) pair in one go: the answers ``Lexicon.contains`` gives term by
    term, for the terms of real questions (and words no passage has) over first, last and absent passages."""
    from search.decision import held_in

    lexicon = engine.index.lexicon
    last = lexicon.passages - 1
    row_sets = [np.array([0, 1, 2]), np.array([last, 0, 5]), np.array([7]), np.array([], dtype=np.int64)]
    row_sets.append(np.arange(lexicon.passages))
    checked = 0
    for question in [*judged_queries()[:40], "звездолёт и возврат товара"]:
        terms = {*engine.analyzer.terms(question), "звездолёт", "возврат"}
        for rows in row_sets:
            held = held_in(lexicon, terms, rows)
            assert set(held) == {term for term in terms if term in lexicon}
            for term, found in held.items():
                assert found.tolist() == lexicon.contains(term, rows).tolist(), (question, term, rows.tolist())
                checked += int(found.any())
    assert checked > 50  # terms really found, not only absences


def test_the_terms_table_holds_what_the_postings_hold(engine: SearchEngine) -> None:
    """A small index's table of which passages hold each term answers as the postings do: ``held`` as
    :func:`search.arrays.held_mask` (text and question field), ``held_in`` as :func:`search.decision.held_in` —
    and so does a table too large to make, which reads the postings."""
    from search.arrays import HeldTable, held_mask
    from search.decision import held_in
    from search.pipeline import lexicon_held
    from search.rerank import field_postings

    lexicon = engine.index.lexicon
    table = lexicon_held(engine.index)
    field = engine.index.retrievers["question_bm25"]
    indptr, indices = field_postings(field)
    question = HeldTable(indptr, indices, field.vocabulary_, lexicon.passages)
    large, large_question = lexicon_held(engine.index), HeldTable(indptr, indices, field.vocabulary_, lexicon.passages)
    large.small = large_question.small = False  # as an index too large for the table reads them
    columns = field.vocabulary_
    last = lexicon.passages - 1
    row_sets = [np.array([0, 1, 2]), np.array([last, 0, 5]), np.array([], dtype=np.int64), np.arange(lexicon.passages)]
    for question_text in [*judged_queries()[:40], "звездолёт и возврат товара"]:
        terms = list(dict.fromkeys([*engine.analyzer.terms(question_text), "звездолёт", "возврат"]))
        for rows in row_sets:
            expected = held_mask([lexicon.postings(term) for term in terms], rows, lexicon.passages)
            assert np.array_equal(table.held(terms, rows), expected)
            assert np.array_equal(large.held(terms, rows), expected)
            field_expected = held_mask(
                [indices[indptr[columns[t]] : indptr[columns[t] + 1]] if t in columns else indices[:0] for t in terms],
                rows,
                lexicon.passages,
            )
            assert np.array_equal(question.held(terms, rows), field_expected)
            assert np.array_equal(large_question.held(terms, rows), field_expected)
            by_term, each = table.held_in(set(terms), rows), held_in(lexicon, set(terms), rows)
            assert by_term.keys() == each.keys()
            assert all(by_term[term].tolist() == each[term].tolist() for term in each)
            read = large.held_in(set(terms), rows)
            assert read.keys() == each.keys()
            assert all(read[term].tolist() == each[term].tolist() for term in each)


def test_the_retrievers_scored_together_score_as_each_alone(engine: SearchEngine) -> None:
    """``JointScores`` scores every postings retriever of the small index from one gather: each full score vector
    is the retriever's own ``scores`` (or ``scores_with`` its added terms) to the last bit, on real questions."""
    from search.analysis import analyse_query
    from search.retrievers import JointScores

    retrievers = engine.index.retrievers
    joint = JointScores.of(retrievers)
    assert joint is not None and set(joint.retrievers) == {
        "bm25",
        "headings",
        "question_bm25",
        "tfidf",
        "chars",
        "question_chars",
    }
    names = list(joint.retrievers)
    nonzero = 0
    for question, synonyms in [
        ("как вернуть товар", "возврат"),
        ("пороль от личного кабинета", "лк"),
        ("Ozon ID не приходит смс", None),
        ("звездолёт", None),  # no retriever's column: zeros
        ("где мой заказ", "посылка"),
    ]:
        own = analyse_query(engine.analyzer.tokens(question))
        added = analyse_query(engine.analyzer.tokens(synonyms)) if synonyms else None
        together = joint.scores(names, own, added, 0.4)
        for name in names:
            alone = retrievers[name].scores(own) if added is None else retrievers[name].scores_with(own, added, 0.4)
            assert together[name].tobytes() == alone.tobytes(), (question, name)
            nonzero += int(bool(alone.any()))
        assert joint.scores(names[2:4], own, added, 0.4).keys() == set(names[2:4])
    assert nonzero >= 15


def test_a_small_corpus_fused_in_one_vector_is_the_fusion_of_the_candidates(engine: SearchEngine) -> None:
    """Up to ``DENSE_FUSION`` passages the fusion adds every passage's reciprocal ranks into one vector: the
    order and the scores (to the last bit) of fusing the candidates alone, on the rankings of real questions,
    typed and retyped, with and without a document restriction."""
    from search.fusion import reciprocal_rank_fusion

    pipeline = engine.pipeline
    fuse = pipeline.stage("fuse")
    documents = sorted(engine.index.documents)
    compared = 0
    for n, (_, question) in enumerate(noisy_mix(judged_queries())[:120]):
        limit = {"documents": documents[n % len(documents)]} if n % 3 == 0 else {}
        search = pipeline.rank(pipeline.request(question, 10, **limit), until="retrieve")
        rankings = {name: indices for name, (indices, _) in search.ranked.items()}
        sparse = reciprocal_rank_fusion(rankings, fuse.weights, fuse.k)
        dense = reciprocal_rank_fusion(rankings, fuse.weights, fuse.k, len(engine.index.passages))
        assert dense[0].tolist() == sparse[0].tolist() and dense[0].dtype == sparse[0].dtype, question
        assert dense[1].tobytes() == sparse[1].tobytes(), question
        compared += int(sparse[0].size > 0)
    assert compared > 100
