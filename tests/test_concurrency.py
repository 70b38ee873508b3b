"""Many users at once: ``SearchEngine.search`` from many threads gives exactly the sequential answers.

pymorphy3 analyzers have failed under concurrent load before, and caches and
lazily built structures are where threads usually collide. So the threaded run
uses an engine whose analyzer is brand new (cold caches, its own pymorphy3
instance): the first queries of every thread race to fill the same caches.
"""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from search import Analyzer, SearchEngine, SearchResults
from search.morphology import Morphology

THREADS = 8
QUERIES_PER_THREAD = 500

# (query, k, retriever, audience): real questions, typos, the wrong keyboard layout, transliteration,
# empty and stop-word queries, an overlong one, odd Unicode, filters and single retrievers.
MIX: list[tuple[str, int, str, str | None]] = [
    ("как вернуть товар", 10, "hybrid", None),
    ("Как оформить возврат товара ненадлежащего качества?", 5, "hybrid", None),
    ("двойное списание", 3, "hybrid", None),
    ("деньги списали дважды что делать", 10, "hybrid", None),
    ("телефон горячей линии", 10, "hybrid", "покупатели"),
    ("горячая линия для селлеров", 10, "hybrid", "продавцы"),
    ("как связаться с поддержкой продавца", 5, "bm25", None),
    ("чат с оператором", 5, "tfidf", None),
    ("8 800 234-70-00", 10, "hybrid", None),
    ("seller.ozon.ru", 10, "hybrid", None),
    ("пвз", 10, "hybrid", None),
    ("лк", 10, "hybrid", None),
    ("личный кабинет продавца", 10, "headings", None),
    ("вазврат тавара", 10, "hybrid", None),
    ("поддрежка не атвечает", 10, "hybrid", None),
    ("аппеляция блокировка аккаунта", 10, "hybrid", None),
    ("djpdhfn njdfhf", 10, "hybrid", None),
    ("cnfnec pfrfpf", 10, "hybrid", None),
    ("vozvrat tovara", 10, "hybrid", None),
    ("svyazatsya s podderzhkoy", 10, "hybrid", None),
    ("щящт", 10, "hybrid", None),
    ("", 10, "hybrid", None),
    ("   ", 10, "hybrid", None),
    ("и в на с по", 10, "hybrid", None),
    ("Как? Что? Где?", 10, "hybrid", None),
    ("?!…", 10, "hybrid", None),
    ("ипотека на квартиру", 10, "hybrid", None),
    ("рецепт борща", 10, "hybrid", None),
    ("возврат товара " * 120, 10, "hybrid", None),  # over MAX_QUERY_CHARS: cut
    ("заказ " + "о" * 3000, 10, "hybrid", None),
    ("👍🏽 возврат \u202eденег\u202c", 10, "hybrid", None),
    ("пла\u0301тёж не прошёл\u200b", 10, "chars", None),
    ("\ud800 оплата картой", 10, "hybrid", None),
    ("Платёж — 8\u2011800", 10, "hybrid", None),
    ("курьер не привез заказ", 1, "hybrid", None),
    ("СРОКИ ДОСТАВКИ", 20, "hybrid", None),
    ("обмен товара по гарантии", 10, "bm25", "покупатели"),
    ("как написать в поддержку ozon", 10, "hybrid", None),
]


def answer(results: SearchResults) -> dict[str, Any]:
    data = results.to_json()
    data.pop("elapsed_ms")
    return data


def cold_copy(engine: SearchEngine) -> SearchEngine:
    """The same index with a new analyzer: its own pymorphy3 instance and empty caches."""
    settings = engine.analyzer.settings
    analyzer = Analyzer(
        keep_negation=settings["keep_negation"],
        all_lemmas=settings["all_lemmas"],
        stemmer=settings["stemmer"],
        morphology=Morphology(),
    )
    return SearchEngine(engine.index, analyzer)


@pytest.fixture()
def fast_switching() -> Iterator[None]:
    """Switch threads ~50× more often than by default, so races have many chances to show."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def test_threads_get_exactly_the_sequential_answers(engine: SearchEngine, fast_switching: None) -> None:
    expected = [answer(engine.search(q, k=k, retriever=r, audience=a)) for q, k, r, a in MIX]
    assert any(e["hits"] for e in expected) and any(not e["hits"] for e in expected)  # a real mix
    shared = cold_copy(engine)
    start = threading.Barrier(THREADS)
    mismatches: list[tuple[int, str, str]] = []
    errors: list[tuple[int, str, Exception]] = []
    done = [0] * THREADS

    def user(number: int) -> None:
        order = random.Random(number)
        start.wait()
        for _ in range(QUERIES_PER_THREAD):
            index = order.randrange(len(MIX))
            query, k, retriever, audience = MIX[index]
            try:
                got = answer(shared.search(query, k=k, retriever=retriever, audience=audience))
            except Exception as error:  # any failure in a thread must reach the assertion
                errors.append((number, query[:60], error))
                return
            if got != expected[index]:
                mismatches.append((number, query[:60], retriever))
            done[number] += 1

    threads = [threading.Thread(target=user, args=(n,), name=f"user-{n}") for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert errors == []
    assert mismatches == []
    assert done == [QUERIES_PER_THREAD] * THREADS


def test_threads_share_one_morphology_safely(fast_switching: None) -> None:
    """The process-wide analyzer under 8 threads parsing the same unseen words at once."""
    morphology = Morphology()
    words = [f"{stem}{ending}" for stem in ("возврат", "достав", "оплат", "списан", "поддержк") for ending in "аеиоуы"]
    expected = {word: (Morphology().lemma(word), Morphology().all_lemmas(word)) for word in words[:3]}
    start = threading.Barrier(THREADS)
    results: list[dict[str, Any]] = [{} for _ in range(THREADS)]

    def parse(number: int) -> None:
        start.wait()
        for word in random.Random(number).sample(words, len(words)):
            results[number][word] = (morphology.lemma(word), morphology.all_lemmas(word), morphology.is_known(word))

    threads = [threading.Thread(target=parse, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(result == results[0] for result in results) and len(results[0]) == len(words)
    assert all(results[0][word][:2] == lemmas for word, lemmas in expected.items())
