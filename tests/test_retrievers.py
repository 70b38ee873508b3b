"""Retrievers against their reference libraries: rank-bm25 and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from rank_bm25 import BM25Okapi
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from search.analysis import analyse_passage, analyse_text
from search.retrievers import BM25, Analysed, HeadingsBM25, TfidfChars, TfidfWords, char_wb_ngrams, lemma_ngrams, top_k

QUERIES = [
    "как оформить возврат",
    "двойное списание денег с карты",
    "номер горячей линии для продавцов",
    "8 800 234-70-00",
    "seller.ozon.ru личный кабинет",
    "возврат возврат товара",  # a repeated term counts twice in rank-bm25
    "абырвалг",
]


@pytest.fixture(scope="module")
def analysed(engine, analyzer) -> list[Analysed]:
    return [analyse_passage(analyzer, passage) for passage in engine.passages]


def test_bm25_equals_rank_bm25_on_the_corpus(analysed, analyzer) -> None:
    reference = BM25Okapi([list(a.terms) for a in analysed])
    ours = BM25().fit(analysed)
    for query in QUERIES:
        terms = analyzer.terms(query)
        np.testing.assert_allclose(
            ours.scores(Analysed(tuple(terms), "")), reference.get_scores(terms), rtol=1e-12, atol=0
        )


def test_bm25_equals_rank_bm25_on_synthetic_text_with_negative_idf() -> None:
    rng = np.random.default_rng(7)
    vocabulary = [f"t{i}" for i in range(40)]
    # Zipf-like: the first terms occur in most documents, so their raw IDF is negative.
    weights = 1 / np.arange(1, 41)
    docs = [list(rng.choice(vocabulary, size=rng.integers(1, 30), p=weights / weights.sum())) for _ in range(300)]
    reference = BM25Okapi(docs, k1=1.2, b=0.6, epsilon=0.3)
    ours = BM25(k1=1.2, b=0.6, epsilon=0.3).fit([Analysed(tuple(d), "") for d in docs])
    assert (np.array([reference.idf[t] for t in ours.vocabulary_]) == ours.idf_).all()
    for _ in range(30):
        query = list(rng.choice(vocabulary + ["unseen"], size=rng.integers(1, 6)))
        np.testing.assert_allclose(ours.scores(Analysed(tuple(query), "")), reference.get_scores(query), rtol=1e-12)


def test_bm25_round_trips_through_its_state(analysed, analyzer) -> None:
    bm25 = BM25().fit(analysed)
    params, arrays = bm25.state()
    again = BM25.from_state(params, arrays)
    query = Analysed(tuple(analyzer.terms("возврат товара")), "")
    assert (again.scores(query) == bm25.scores(query)).all()


def test_headings_field_scores_section_names_only(analysed, analyzer, engine) -> None:
    headings = HeadingsBM25().fit(analysed)
    scores = headings.scores(Analysed(tuple(analyzer.terms("возвраты")), ""))
    best = {engine.passages[i].section[-1] for i in np.flatnonzero(scores == scores.max())}
    assert best == {"3 Возвраты и обмены товаров"}


def test_tfidf_equals_scikit_learn(analysed, analyzer) -> None:
    vectorizer = TfidfVectorizer(analyzer=lemma_ngrams, sublinear_tf=True)
    matrix = vectorizer.fit_transform([a.terms for a in analysed])
    ours = TfidfWords().fit(analysed)
    for query in QUERIES:
        terms = analyzer.terms(query)
        expected = (matrix @ vectorizer.transform([terms]).T).toarray().ravel()
        np.testing.assert_allclose(ours.scores(Analysed(tuple(terms), "")), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("typo", "word"), [("вазврат", "возврат"), ("двойнае списане", "двойное списание")])
def test_char_ngrams_match_a_misspelt_word(analyzer, analysed, engine, typo: str, word: str) -> None:
    chars = TfidfChars().fit(analysed)
    scores = chars.scores(analyse_text(analyzer, typo))  # typos no dictionary knows
    top = engine.passages[int(np.argmax(scores))]
    assert word in top.text.lower()


@pytest.mark.parametrize("cls", [TfidfWords, TfidfChars])
def test_tfidf_round_trips_without_pickle(cls, analysed, analyzer) -> None:
    retriever = cls().fit(analysed)
    again = cls.from_state(*retriever.state())
    query = analyse_text(analyzer, "горячая линия для селлеров")
    np.testing.assert_array_equal(again.scores(query), retriever.scores(query))


def test_top_k_breaks_ties_by_position() -> None:
    scores = np.array([0.0, 2.0, 1.0, 2.0, 3.0, 0.5, 2.0])
    assert top_k(scores, 3).tolist() == [4, 1, 3]
    assert top_k(scores, 10).tolist() == [4, 1, 3, 6, 2, 5]
    assert top_k(scores, 10, minimum=1.0).tolist() == [4, 1, 3, 6]
    assert top_k(np.zeros(5), 3).tolist() == []


# --- a synthetic corpus: real word forms of the embedded corpus in a Zipf distribution -----------


@pytest.fixture(scope="module")
def synthetic(analysed) -> tuple[list[Analysed], list[Analysed]]:
    """1,500 passages and 60 queries of 45–75 (passages) and 1–6 (queries) real forms, Zipf-distributed.

    Frequent forms appear in most passages, so some raw IDFs are negative and
    rank-bm25's floor is exercised; lemma-like terms and surface words come
    from the embedded corpus, so the char n-grams are Russian ones.
    """
    rng = np.random.default_rng(20261123)
    words = sorted({word for a in analysed for word in a.surface.split()})
    rng.shuffle(words)
    weights = 1 / np.arange(1, len(words) + 1)
    weights /= weights.sum()

    def text(size: int) -> Analysed:
        chosen = list(rng.choice(words, size=size, p=weights))
        return Analysed(tuple(chosen), " ".join(chosen), tuple(chosen[:3]))

    passages = [text(int(rng.integers(45, 76))) for _ in range(1500)]
    queries = [text(int(rng.integers(1, 7))) for _ in range(60)] + [Analysed(("абырвалг",), "абырвалг")]
    return passages, queries


def test_bm25_equals_rank_bm25_on_a_synthetic_corpus(synthetic) -> None:
    passages, queries = synthetic
    reference = BM25Okapi([list(p.terms) for p in passages])
    ours = BM25().fit(passages)
    assert (np.array([reference.idf[t] for t in ours.vocabulary_]) == ours.idf_).all()
    assert (ours.idf_ < np.log(len(passages))).any()  # some terms were floored
    for query in queries:
        np.testing.assert_allclose(ours.scores(query), reference.get_scores(list(query.terms)), rtol=1e-9, atol=0)


@pytest.mark.parametrize(
    ("cls", "vectorizer", "text"),
    [
        (TfidfWords, lambda: TfidfVectorizer(analyzer=lemma_ngrams, sublinear_tf=True), lambda a: a.terms),
        (
            TfidfChars,
            lambda: TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=False, sublinear_tf=True),
            lambda a: a.surface,
        ),
    ],
)
def test_tfidf_equals_scikit_learn_on_a_synthetic_corpus(synthetic, cls, vectorizer, text) -> None:
    passages, queries = synthetic
    reference = vectorizer()
    matrix = reference.fit_transform([text(p) for p in passages])
    ours = cls().fit(passages)
    # The same features with the same IDF (TfidfWords numbers its bigram columns after the words).
    idf = {feature: ours.idf_[column] for feature, column in ours.vocabulary_.items()}
    assert idf == {feature: reference.idf_[column] for feature, column in reference.vocabulary_.items()}
    for query in queries:
        expected = (matrix @ reference.transform([text(query)]).T).toarray().ravel()
        np.testing.assert_allclose(ours.scores(query), expected, rtol=1e-12, atol=1e-15)


def test_query_side_char_ngrams_are_scikit_learn_s(synthetic) -> None:
    # Fit and query cut with char_wb_ngrams (importing scikit-learn costs 1–3 s): its n-grams, word by word.
    cut = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=False).build_analyzer()
    passages, _ = synthetic
    words = {word for p in passages for word in p.surface.split()} | {"я", "на", "без", "ёжик", "пятью", "x-y.z"}
    for word in words:
        assert list(char_wb_ngrams(word)) == cut(word), word


@pytest.mark.parametrize("cls", [TfidfWords, TfidfChars])
def test_query_weights_are_tfidf_transformer_s(synthetic, cls) -> None:
    # A query is weighted without scikit-learn (its transform costs ~0.8 ms a call): the same bits, with up to 24
    # features in Python floats (counts past the table of 1 + log too), with more in arrays.
    passages, _ = synthetic
    retriever = cls().fit(passages)
    transformer = TfidfTransformer(sublinear_tf=True)
    transformer.idf_ = retriever.idf_
    size = retriever.idf_.size
    rng = np.random.default_rng(5)
    for number in range(80):
        columns = np.sort(rng.choice(size, int(rng.integers(1, 40)), replace=False))
        tf = rng.integers(1, 5 if number % 4 else 400, columns.size)
        row = sp.csr_matrix((tf.astype(np.float64), columns, [0, columns.size]), shape=(1, size))
        expected = transformer.transform(row)
        got_columns, got = retriever._weights(columns.tolist(), tf.tolist())
        assert got_columns == expected.indices.tolist()
        assert got.tolist() == expected.data.tolist()


@pytest.mark.parametrize("cls", [BM25, HeadingsBM25, TfidfWords, TfidfChars])
def test_top_equals_top_k_of_every_score(synthetic, cls) -> None:
    passages, queries = synthetic
    retriever = cls().fit(passages)
    allowed = np.arange(len(passages)) % 3 != 0
    for query in queries:
        scores = retriever.scores(query)
        for k, minimum in [(10, 0.0), (100, 0.0), (5, 0.1), (len(passages) + 1, 0.0)]:
            retriever.min_score = minimum
            indices, values = retriever.top(query, k)
            assert indices.tolist() == top_k(scores, k, minimum).tolist()
            assert (values == scores[indices]).all()
        retriever.min_score = 0.0
        indices, _ = retriever.top(query, 10, allowed=allowed)
        assert indices.tolist() == top_k(np.where(allowed, scores, 0.0), 10).tolist()


def test_tfidf_reads_an_index_written_in_rows(synthetic) -> None:
    passages, queries = synthetic
    retriever = TfidfChars().fit(passages)
    params, arrays = retriever.state()
    rows = retriever.matrix_.tocsr()
    old = {
        "idf": arrays["idf"],
        "matrix_data": rows.data,
        "matrix_indices": rows.indices,
        "matrix_indptr": rows.indptr,
        "matrix_shape": np.asarray(rows.shape),
    }
    again = TfidfChars.from_state(params, old)
    for query in queries[:10]:
        np.testing.assert_array_equal(again.scores(query), retriever.scores(query))


def test_top_k_selects_from_a_mostly_zero_vector() -> None:
    scores = np.zeros(100_000)
    scores[[5, 99_999, 42, 7]] = [1.0, 3.0, 3.0, 0.5]
    assert top_k(scores, 3).tolist() == [42, 99_999, 5]
    assert top_k(-scores, 3, minimum=-1.0).tolist() == [0, 1, 2]  # zeros above the minimum, ties by index


def test_pruned_top_k_equals_the_full_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    # MaxScore skips scattering long postings; its top k and scores must be the full scan's, bit for bit.
    import search.retrievers as retrievers

    monkeypatch.setattr(retrievers, "MAXSCORE_MIN_POSTINGS", 0)
    monkeypatch.setattr(retrievers, "MAXSCORE_LONG_POSTINGS", 300)
    rng = np.random.default_rng(11)
    vocabulary = [f"t{i}" for i in range(300)]
    weights = 1 / np.arange(1, 301) ** 1.1
    docs = [tuple(rng.choice(vocabulary, size=rng.integers(5, 60), p=weights / weights.sum())) for _ in range(3000)]
    bm25 = BM25().fit([Analysed(d, "") for d in docs])
    pruned = []
    maxscore = bm25._maxscore
    monkeypatch.setattr(bm25, "_maxscore", lambda *a: pruned.append(result := maxscore(*a)) or result)
    allowed = rng.random(3000) < 0.5
    for _ in range(60):
        query = Analysed(tuple(rng.choice(vocabulary, size=rng.integers(2, 7))), "")
        for k, mask in ((1, None), (10, None), (10, allowed), (100, None)):
            scores = bm25.scores(query)
            if mask is not None:
                scores = np.where(mask, scores, 0.0)
            expected = top_k(scores, k)
            indices, values = bm25.top(query, k, allowed=mask)
            assert indices.tolist() == expected.tolist()
            assert values.tolist() == scores[expected].tolist()
    assert sum(result is not None for result in pruned) > 20  # the pruned path did answer, not only the full scan


# --- the compiled kernel (numba, the `fast` extra) against the numpy path ----------------------------

KS = ((1, None), (10, None), (10, "mask"), (100, None))


def _both_kernels(monkeypatch: pytest.MonkeyPatch, retriever, queries, ks=KS) -> None:  # type: ignore[no-untyped-def]
    """Every query's top k and scores from the numpy path and from the compiled kernel, side by side."""
    import search.kernels as kernels

    rng = np.random.default_rng(3)
    allowed = rng.random(retriever.size) < 0.5
    for query in queries:
        for k, mask in ks:
            chosen = allowed if mask else None
            monkeypatch.setattr(kernels, "MODE", "numpy")
            expected = retriever.top(query, k, allowed=chosen)
            monkeypatch.setattr(kernels, "MODE", "numba")
            got = retriever.top(query, k, allowed=chosen)
            assert got[0].tolist() == expected[0].tolist(), query
            assert got[1].tolist() == expected[1].tolist(), query  # bit for bit
            assert got[0].dtype == np.int64 and got[1].dtype == np.float64


def _require_numba() -> None:
    pytest.importorskip("numba", reason="numba is the optional `fast` extra: pip install '.[fast]'")


@pytest.mark.parametrize("cls", [BM25, HeadingsBM25, TfidfWords, TfidfChars])
def test_compiled_kernel_equals_numpy_on_the_corpus(monkeypatch, analysed, analyzer, cls) -> None:
    _require_numba()
    retriever = cls().fit(analysed)
    queries = [analyse_text(analyzer, q) for q in QUERIES]
    _both_kernels(monkeypatch, retriever, queries)


@pytest.mark.parametrize("cls", [BM25, TfidfWords])
def test_compiled_kernel_equals_numpy_on_a_zipf_corpus_with_frequent_words(monkeypatch, cls) -> None:
    _require_numba()
    import search.retrievers as retrievers

    rng = np.random.default_rng(15)
    vocabulary = [f"t{i}" for i in range(2000)]
    weights = 1 / np.arange(1, 2001)
    weights /= weights.sum()
    docs = [tuple(rng.choice(vocabulary, size=rng.integers(45, 76), p=weights)) for _ in range(3000)]
    retriever = cls().fit([Analysed(d, " ".join(d)) for d in docs])
    # Frequent words in every query (the longest postings, negative raw IDFs floored), plus Zipf draws.
    queries = [
        Analysed(d, " ".join(d))
        for d in (
            tuple(vocabulary[: int(n)]) + tuple(rng.choice(vocabulary, size=int(m), p=weights))
            for n, m in zip(rng.integers(1, 4, size=40), rng.integers(1, 5, size=40))
        )
    ]
    _both_kernels(monkeypatch, retriever, queries)
    # And against MaxScore's pruned path, which the numpy side takes on long postings.
    monkeypatch.setattr(retrievers, "MAXSCORE_MIN_POSTINGS", 0)
    monkeypatch.setattr(retrievers, "MAXSCORE_LONG_POSTINGS", 500)
    _both_kernels(monkeypatch, retriever, queries)


def test_kernel_choice_is_automatic_and_overridable(monkeypatch) -> None:
    import search.kernels as kernels

    monkeypatch.setattr(kernels, "MODE", "numpy")
    assert kernels.kernel_for(10**7) is None
    monkeypatch.setattr(kernels, "MODE", "auto")
    assert kernels.kernel_for(10) is None  # small corpora: numpy, and no numba import on a cold start
    assert (kernels.kernel_for(10**7) is not None) == kernels.available()
    monkeypatch.setattr(kernels, "MODE", "bogus")
    with pytest.raises(ValueError):
        kernels.kernel_for(10**7)


@pytest.mark.parametrize("cls", [BM25, TfidfChars])
def test_gathered_postings_equal_the_column_by_column_loop(monkeypatch, synthetic, cls) -> None:
    import search.kernels as kernels
    import search.retrievers as retrievers

    monkeypatch.setattr(kernels, "MODE", "numpy")
    passages, queries = synthetic
    retriever = cls().fit(passages)
    for query in queries:
        monkeypatch.setattr(retrievers, "FEW_COLUMNS", 10**9)
        loop_scores, loop_top = retriever.scores(query), retriever.top(query, 10)
        monkeypatch.setattr(retrievers, "FEW_COLUMNS", 0)
        gathered_scores, gathered_top = retriever.scores(query), retriever.top(query, 10)
        assert loop_scores.tolist() == gathered_scores.tolist()
        assert loop_top[0].tolist() == gathered_top[0].tolist()
        assert loop_top[1].tolist() == gathered_top[1].tolist()


def test_question_chars_reads_a_new_words_columns_through_the_text_chars(engine) -> None:
    """``share_cuts``: the question field's n-gram retriever finds a new word's columns through the text's (whose
    vocabulary holds every n-gram of its own) — the same columns, in the same order, as its own look-ups; a
    vocabulary with an n-gram the other lacks reads on its own."""
    from search.retrievers import _read_through, share_cuts

    words = ["вернуть", "товар", "пвз", "ozon", "rfr", "прдавец", "ё", "a", "горячая-линия", "123", "qwertyuiopasdfgh"]
    text, question = (
        type(r).from_state(*r.state()) for r in (engine.retrievers["chars"], engine.retrievers["question_chars"])
    )
    share_cuts([text, question])
    assert question._through is not None and question._through[0] is text
    alone = type(question).from_state(*question.state())
    for word in words:
        assert question._query_columns(word).tolist() == alone._query_columns(word).tolist(), word
    alone.vocabulary_ = {**alone.vocabulary_, "ъъъ": len(alone.vocabulary_)}
    assert _read_through(text, alone) is None
