"""Query rewriting: each step fixes what is broken and leaves alone what is right."""

from __future__ import annotations

import pytest

from search import SearchEngine
from search.query import TEXT_STEPS, QueryRewriter, Thesaurus, parse_synonyms
from search.rewrite import RewriteStep
from search.vocabulary import Vocabulary


def test_rewriting_steps_are_objects_with_the_step_names(engine: SearchEngine) -> None:
    rewriter = engine.pipeline.stage("understand").rewriter
    assert tuple(step.name for step in rewriter.steps) == TEXT_STEPS == ("layout", "transliteration", "spelling")
    assert all(isinstance(step, RewriteStep) for step in rewriter.steps)
    transliterated = rewriter.steps[1].apply("kak vernut dengi")
    assert transliterated.text == "как вернуть деньги"
    assert rewriter.rewrite("kak vernut dengi", steps={"layout"}).text == "kak vernut dengi"


def test_a_vocabulary_without_a_corpus_engine_still_rewrites() -> None:
    rewriter = QueryRewriter(Vocabulary({"статус": 3, "заказа": 2}, lambda word: False))
    assert rewriter.rewrite("cnfnec pfrfpf").text == "статус заказа"
    assert [c.step for c in rewriter.rewrite("cnfnec pfrfpf").corrections] == ["layout", "layout"]


def test_a_repeated_query_is_rewritten_as_the_first_time_under_each_set_of_steps() -> None:
    rewriter = QueryRewriter(Vocabulary({"статус": 3, "заказа": 2}, lambda word: False))
    first = rewriter.rewrite("cnfnec pfrfpf статус")
    assert rewriter.rewrite("cnfnec pfrfpf статус", steps={"spelling"}).text == "cnfnec pfrfpf статус"
    assert rewriter.rewrite("cnfnec pfrfpf статус", steps=["layout"]).text == "статус заказа статус"
    assert rewriter.rewrite("cnfnec pfrfpf статус") == first and first.text == "статус заказа статус"


def test_well_typed_judged_queries_are_not_rewritten(rewriting, engine: SearchEngine) -> None:
    from search.evaluation import load_judgments

    judgments = load_judgments("corpus/queries/judged.jsonl")
    clean = [j.query for j in judgments if j.kind in {"question", "keywords", "word_forms", "paraphrase", "fact"}]
    changed = {q: rewriting(engine, q)[1] for q in clean if rewriting(engine, q)[1]}
    assert changed == {}


@pytest.mark.parametrize(
    "query",
    [
        "api ozon email seller.ozon.ru",
        "8 800 555-35-35 dogovor@ozon.ru 09:00",
        "Ozon Seller ID",
        "статус заказа",
        "телепортация",  # a real word the corpus lacks is not "corrected"
        "Иван Петров",
    ],
)
def test_what_is_right_passes_through_unchanged(rewriting, engine: SearchEngine, query: str) -> None:
    rewritten, corrections = rewriting(engine, query)
    assert rewritten == query and corrections == []


def test_rewriting_can_be_switched_off(engine: SearchEngine) -> None:
    results = engine.search("cnfnec pfrfpf", rewrite=False)
    assert results.query.rewritten == "cnfnec pfrfpf" and not results.query.corrections
    assert not results.answered


def test_wrong_layout_finds_what_the_right_one_does(engine: SearchEngine) -> None:
    typed = [h.passage_id for h in engine.search("cnfnec pfrfpf", k=5)]
    meant = [h.passage_id for h in engine.search("статус заказа", k=5)]
    assert typed == meant


def test_synonyms_bring_jargon_to_the_documents_words(engine: SearchEngine) -> None:
    results = engine.search("пвз", k=5)
    assert {"пункт", "выдача", "заказ"} <= set(results.query.expansions)
    assert any("Пункты выдачи заказов (ПВЗ)" in hit.text for hit in results)
    hits = engine.search("лк селлера", k=3)
    assert any("личном кабинете" in hit.text.lower() or "личный кабинет" in hit.text.lower() for hit in hits)


def test_solr_synonym_formats() -> None:
    rules = parse_synonyms("# comment\nпвз, пункт выдачи\n\nлк => личный кабинет, кабинет  # tail\n")
    assert rules == [(("пвз", "пункт выдачи"), ("пвз", "пункт выдачи")), (("лк",), ("личный кабинет", "кабинет"))]
    for broken in ["одно", "a => b => c", " => b"]:
        with pytest.raises(ValueError, match="synonyms line 1"):
            parse_synonyms(broken)


def test_thesaurus_matches_any_word_form(analyzer) -> None:
    thesaurus = Thesaurus.from_text("горячая линия, телефон поддержки\n", analyzer)
    added, made = thesaurus.expand(tuple(analyzer.terms("горячей линией")))
    assert added == ["телефон", "поддержка"]
    assert [(c.original, c.replacement) for c in made] == [("горячий линия", "телефон поддержка")]
    assert thesaurus.expand(tuple(analyzer.terms("горячий чай")))[0] == []


def test_a_thesaurus_rule_applies_wherever_its_phrase_stands_in_the_query(analyzer) -> None:
    """Rules are skipped by their phrases' first lemmas: a phrase in the middle of the query, the second of
    a rule's phrases and one of several rules that apply must all still be found, in the rules' order."""
    thesaurus = Thesaurus.from_text("лк => личный кабинет\nпункт выдачи, пвз\nвозврат денег => refund\n", analyzer)
    added, made = thesaurus.expand(tuple(analyzer.terms("где мой пвз и как сделать возврат денег")))
    assert added == ["пункт", "выдача", "refund"]
    assert [(c.original, c.replacement) for c in made] == [("пвз", "пункт выдача"), ("возврат деньга", "refund")]
    assert thesaurus.expand(tuple(analyzer.terms("деньги за возврат")))[0] == []  # words, not the phrase


@pytest.mark.parametrize(
    "query",
    ["как оформить ипотеку", "рецепт борща", "курс доллара", "промокод на скидку", "телепортация посылок"],
)
def test_questions_the_documents_do_not_answer_are_flagged(engine: SearchEngine, query: str) -> None:
    results = engine.search(query)
    assert not results.answered
    assert results.query.missing  # the topic the documents never mention, for the page to name


@pytest.mark.parametrize(
    "query",
    [
        "как оформить возврат",
        "не пришли деньги за заказ",
        "cnfnec pfrfpf",
        "пвз",
        "лк селлера",
        "работает ли горячая линия для селлеров",
        "двойнае списане",
        "8 800 234-70-00",
    ],
)
def test_questions_the_documents_answer_are_not_flagged(engine: SearchEngine, query: str) -> None:
    results = engine.search(query)
    assert results.answered and not results.query.missing


# Share of seeded re-typings of the judged queries that come back to the clean query's lemmas (the engine's reading
# of the query as written), per noise kind (one seed per query here). The measure re-types the query as
# written: the judged set holds queries misspelt or in the wrong layout by design («обратный званок», «щящт шв»),
# which then carry the noise on top of their own. Reached: layout 0.991, transliteration 0.957 / 0.968 / 0.968, one
# typo 0.968 (0.957 before the round of 2 Dec 2026's fourth session), two typos 0.913 (0.870 before the
# noisy-channel rounds, 0.902 before the fitted channel). The target is 0.95 for every kind: missed by two
# typos, misspellings by ear and spaces (two slips in one short word, queries the judged set holds misspelt already,
# words of the language no dictionary has: «промокод»). Floors at what is reached, so a rule that loses ground fails.
NOISE_FLOORS = {
    "layout": 0.99,
    "translit_passport": 0.95,
    "translit_gost": 0.96,
    "translit_informal": 0.95,
    "typo1": 0.96,
    # two typos 0.913 (84 of 92) with the fitted channel's last pick (0.902 by the hand order alone)
    "typo2": 0.91,
    # reached 0.872 (82 of 94; 0.862 before a word nothing is near was read as misspelt by ear up to three times,
    # 0.851 by the hand order alone; without misspellings by ear known to spelling, 0.766); 0.883 (83 of 94) after a
    # real word one misspelling by ear from a corpus word was read as it when a passage then covers more of the query;
    # 0.894 (84 of 94) after the fifth session of 2 Dec 2026 (a final «ь» heard onto a far likelier word, a slip of
    # the finger onto a word the documents never use giving way to one of theirs heard twice wrong)
    "orthography": 0.89,
    # A space dropped or put inside a word: 0.907 (98 of 108; 0.898 before a pronoun run onto a word was split off,
    # «ктоотвечает», 0.167 before the word-boundary rules, 0.759 before the script steps split a run-together Latin
    # word, «cnfnecpfrfpf», «kodovoeslovo», 0.861 before a split with a misspelt half, «обратныйзванок»); what stays
    # lost is mostly spaces put inside a word. Unchanged here by the joins and splits weighed in the query's context
    # («называют ся», «при вело», «помнению»), which moved the large sets (seeds 0–2): XQuAD 0.938 → 0.949, RUTUBE
    # 0.878 → 0.883. 0.935 (101 of 108) after the round of 2 Dec 2026 (a capital, a number or a hyphen inside a run
    # of words, a preposition before a verb as its prefix, the likelier join by word frequency; XQuAD 0.952 → 0.979,
    # RUTUBE 0.885 → 0.923, seeds 0–2). 0.944 (102 of 108) after the fourth session of 2 Dec 2026 (a piece weighed
    # to the likelier side, a preposition run on before a word in a case it governs, a misspelt word's pieces joined
    # as spelling reads them; XQuAD 0.979 → 0.985, RUTUBE 0.922 → 0.944, seeds 0–2). 0.954 (103 of 108), the
    # issue's 0.95, after the fifth (a function word run onto a word split against a correction the language uses
    # less, a word capitalised after «!» read as any word; XQuAD 0.985 → 0.987, RUTUBE 0.944 → 0.952, seeds 0–2).
    "spaces": 0.95,
}
# The same with the noise put on the engine's reading of each query instead («обратный звонок» re-typed, not
# «обратный званок»): what a well-typed query re-typed comes back to. Reached: layout 1.000, transliteration 0.981
# in each scheme, one typo 0.971, two typos 0.941 (the target of 0.95 missed by one query of 102).
READING_FLOORS = {
    "layout": 0.99,
    "translit_passport": 0.98,
    "translit_gost": 0.98,
    "translit_informal": 0.98,
    "typo1": 0.98,  # 0.981 (0.971 before the fourth session of 2 Dec 2026)
    "typo2": 0.94,
    # reached 0.942 (98 of 104; 0.933 before the fifth session of 2 Dec 2026, 0.923 before real words heard wrong were
    # read, 0.913 before SpellingStep._heard)
    "orthography": 0.94,
    "spaces": 0.95,  # 0.954 (0.944 before the fifth session of 2 Dec 2026, 0.917 before the first)
}


def test_noise_comes_back_to_the_original_lemmas(engine: SearchEngine) -> None:
    import zlib

    from search.evaluation import load_judgments
    from search.noise import NOISE_KINDS, retype

    judgments = load_judgments("corpus/queries")
    clean = {j.query: engine.search(j.query, k=1).query for j in judgments}
    shares: dict[str, dict[str, float]] = {"query": {}, "reading": {}}
    for variant, counts in shares.items():
        for kind in NOISE_KINDS:
            same = total = 0
            for number, judgment in enumerate(judgments):
                source = judgment.query if variant == "query" else clean[judgment.query].rewritten
                typed = retype(source, kind, zlib.crc32(f"0:{kind}:{number}".encode()))
                if typed == source:
                    continue
                total += 1
                info = engine.search(typed, k=1).query
                same += set(clean[judgment.query].terms) <= set(info.terms) | set(info.expansions)
            counts[kind] = same / total
    assert {kind: share for kind, share in shares["query"].items() if share < NOISE_FLOORS[kind]} == {}
    assert {kind: share for kind, share in shares["reading"].items() if share < READING_FLOORS[kind]} == {}
