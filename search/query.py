"""Understanding a query the way people type it.

    query ─► script (once) ─► keyboard layout ─► transliteration ─► spelling ─► (analysis) ─► synonyms

Each step is a :class:`RewriteStep` whose ``apply`` returns the text and what
it changed, so the page can say «Показаны результаты по запросу „статус
заказа“» and offer the original. Latin words are read through one scheme per
query (layout or transliteration, whichever reads most of them), so short
ambiguous words («ne», «s», «v») follow the query rather than a fixed order.
A word the corpus itself writes in Latin (``ozon``, ``seller``, ``api``)
passes through, and so do numbers, phones, e-mails and domains.

This module orders the steps (:class:`QueryRewriter`) and keeps what comes
after them: the thesaurus, the query's coverage and the no-answer rule. The
steps live in :mod:`search.scripts` (layout, transliteration) and
:mod:`search.spelling`, on :mod:`search.rewrite` (the step base),
:mod:`search.boundaries`, :mod:`search.slips` and :mod:`search.vocabulary`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

from .analysis import Analyzer, Token, normalize
from .morphology import Morphology
from .recent import Recent
from .results import Correction
from .rewrite import Rewrite, RewriteStep
from .scripts import LayoutStep, ScriptReader, TransliterationStep
from .spelling import SpellingStep
from .vocabulary import REWRITES_KEPT, Vocabulary

__all__ = [
    "TEXT_STEPS",
    "NoAnswerRule",
    "QueryRewriter",
    "Thesaurus",
    "parse_synonyms",
]


TEXT_STEPS: tuple[str, ...] = (LayoutStep.name, TransliterationStep.name, SpellingStep.name)  # in the order they run


# --- synonyms -------------------------------------------------------------------------


def parse_synonyms(text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Solr's synonyms format as (phrases, expansions) rules.

    ``a, b, c`` makes every phrase expand to all the others; ``a, b => c, d``
    expands a or b into c and d. ``#`` starts a comment.

    >>> parse_synonyms("пвз, пункт выдачи\\nлк => личный кабинет")
    [(('пвз', 'пункт выдачи'), ('пвз', 'пункт выдачи')), (('лк',), ('личный кабинет',))]
    """
    rules = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.count("=>") > 1:
            raise ValueError(f"synonyms line {number}: more than one '=>'")
        left, arrow, right = line.partition("=>")
        sources = tuple(p.strip() for p in left.split(",") if p.strip())
        targets = tuple(p.strip() for p in right.split(",") if p.strip()) if arrow else sources
        if not sources or not targets or (not arrow and len(sources) < 2):
            raise ValueError(f"synonyms line {number}: expected 'a, b' or 'a => b', got {raw.strip()!r}")
        rules.append((sources, targets))
    return rules


@dataclass
class Thesaurus:
    """Synonym rules over lemma sequences, so that any word form of a phrase triggers them."""

    step: ClassVar[str] = "synonyms"  # the rewriting step's name on the corrections it makes

    rules: list[tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]] = field(default_factory=list)
    text: str = ""

    @classmethod
    def from_text(cls, text: str, analyzer: Analyzer) -> Thesaurus:
        def lemmas(phrase: str) -> tuple[str, ...]:
            return tuple(analyzer.terms(phrase))

        rules = []
        for sources, targets in parse_synonyms(text):
            rules.append((tuple(filter(None, map(lemmas, sources))), tuple(filter(None, map(lemmas, targets)))))
        return cls(rules, text)

    @cached_property
    def _by_first(self) -> tuple[dict[str, tuple[int, ...]], tuple[int, ...]]:
        """The rules (by number) each lemma starts a phrase of, and those with an empty phrase (which any query
        contains): a rule none of whose phrases starts with a query term cannot apply — most rules, for most
        queries — so a query reads only its terms' rules."""
        by_first: dict[str, list[int]] = {}
        always: list[int] = []
        for number, (sources, _) in enumerate(self.rules):
            if not all(sources):
                always.append(number)
                continue
            for first in dict.fromkeys(source[0] for source in sources):
                by_first.setdefault(first, []).append(number)
        return {first: tuple(numbers) for first, numbers in by_first.items()}, tuple(always)

    @cached_property
    def words(self) -> frozenset[str]:
        """The one-word phrases of its rules (lemmas): «лк», «пвз», «фбо», «api»."""
        phrases = (phrase for sources, targets in self.rules for phrase in (*sources, *targets))
        return frozenset(phrase[0] for phrase in phrases if len(phrase) == 1)

    def expand(self, terms: tuple[str, ...]) -> tuple[list[str], list[Correction]]:
        """Terms to add to the query, and the expansions made, for the query's lemma sequence."""
        added: list[str] = []
        made: list[Correction] = []
        present = set(terms)
        by_first, always = self._by_first
        numbers = set(always)
        for term in present:
            numbers.update(by_first.get(term, ()))
        for number in sorted(numbers):
            sources, targets = self.rules[number]
            for source in sources:
                if not _contains(terms, source):
                    continue
                for target in targets:
                    if target == source or set(target) <= present:
                        continue
                    new = [t for t in target if t not in present and t not in added]
                    added.extend(new)
                    made.append(Correction(self.step, " ".join(source), " ".join(target)))
        return added, made


def _contains(terms: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(terms[i : i + size] == phrase for i in range(len(terms) - size + 1))


# --- the pipeline -------------------------------------------------------------------------


class QueryRewriter:
    """The text-level steps in order (``TEXT_STEPS``); each returns what it changed.

    ``coverage`` gives, for a query text, the IDF-weighted share of its terms
    that the best passage covers; without it real-word typos are left alone.

    >>> rewriter = QueryRewriter(Vocabulary({"статус": 3, "заказа": 2}, lambda word: False))
    >>> rewriter.rewrite("cnfnec pfrfpf").text
    'статус заказа'
    """

    def __init__(self, vocabulary: Vocabulary, coverage: Callable[[str], float] | None = None) -> None:
        self.vocabulary = vocabulary
        spelling = SpellingStep(vocabulary, coverage)
        self.script = ScriptReader(vocabulary, finish=spelling.correct, boundaries=spelling.boundaries)
        self.steps: tuple[RewriteStep, ...] = (
            LayoutStep(vocabulary, self.script),
            TransliterationStep(vocabulary, self.script),
            spelling,
        )
        self._rewrites: Recent[Rewrite] = Recent(REWRITES_KEPT)

    def rewrite(self, query: str, steps: Collection[str] | None = None) -> Rewrite:
        """The query after each step (of ``steps``, by name; default all), with every change made.

        The same query comes back (people repeat the popular ones): its rewrite, a function of the query and
        the index alone, is kept (bounded, as the spelling step's corrections)."""
        key = (query, None if steps is None else frozenset(steps))
        return self._rewrites.get(key, lambda: self._rewrite(query, steps))

    def _rewrite(self, query: str, steps: Collection[str] | None) -> Rewrite:
        text = query
        corrections: list[Correction] = []
        if steps is None or SpellingStep.name in steps:
            # Word boundaries are spelling's; a word spelt out in Latin letters is joined before the script
            # steps, which read whole words.
            spelt = self.script.spelt_out(text)
            text, corrections = spelt.text, list(spelt.corrections)
        alongside: list[tuple[str, str]] = []
        for step in self.steps:
            if steps is None or step.name in steps:
                written = {word for c in corrections for word in normalize(c.replacement).split()}
                if isinstance(step, SpellingStep):
                    # What an earlier step wrote is a word on purpose, unless it is no word at all.
                    rewrite = step.apply(text, keep={word for word in written if self.vocabulary.known(word)})
                elif isinstance(step, TransliterationStep):
                    rewrite = step.apply(text, keep=written)
                else:
                    rewrite = step.apply(text)
                text = rewrite.text
                corrections.extend(rewrite.corrections)
                alongside.extend(rewrite.alongside)
        return Rewrite(text, tuple(corrections), tuple(alongside))

    def __repr__(self) -> str:
        names = " | ".join(step.name for step in self.steps)
        return f"QueryRewriter({names}; {len(self.vocabulary.counts)} corpus words)"


# --- does the corpus answer the query at all? --------------------------------------------


def synonym_links(corrections: Iterable[Correction]) -> dict[str, set[str]]:
    """For each query term, the terms its synonyms added."""
    links: dict[str, set[str]] = {}
    for correction in corrections:
        if correction.step == Thesaurus.step:
            for term in correction.original.split():
                links.setdefault(term, set()).update(correction.replacement.split())
    return links


def query_coverage(
    terms: Iterable[str], present: set[str], idf: Callable[[str], float], links: Mapping[str, set[str]]
) -> float:
    """The IDF-weighted share of query terms found in a passage (directly or through a synonym).

    A question the documents do not answer almost always hinges on a word
    they never use («ипотека», «борщ»), and such a word carries the highest
    IDF of all, so the share drops well below one half.
    """
    unique = list(dict.fromkeys(terms))
    if not unique:
        return 0.0
    weights = [max(idf(term), 0.0) for term in unique]
    total = sum(weights)
    covered = sum(w for term, w in zip(unique, weights) if term in present or links.get(term, set()) & present)
    return covered / total if total > 0 else 0.0


@dataclass(frozen=True)
class NoAnswerRule:
    """When the documents do not answer a query at all.

    Two signals, both measured on the judged queries
    (``corpus/queries/judged.jsonl``):

    - a *missing topic*: a noun (of the dictionary, or unknown to it and five
      letters or more), or a Latin word of four letters or more, that no
      passage contains and no synonym maps onto the
      documents' words («ипотека», «промокод», «Premium»). The subject of a
      question is almost always such a word, so its absence means the
      documents speak of something else;
    - too little *coverage*: the best passages together contain less than
      ``min_coverage`` of the query, each term weighted by its IDF.
    """

    min_coverage: float = 0.2
    depth: int = 3  # how many of the best passages count for coverage

    def missing_topics(
        self, tokens: Iterable[Token], known: Callable[[str], bool], morphology: Morphology, expanded: set[str]
    ) -> list[str]:
        """Topic words of the query the corpus never uses (nor any synonym of theirs)."""
        missing = []
        for token in tokens:
            if known(token.term) or token.term in expanded:
                continue
            if token.kind == "latin" and len(token.term) >= 4:
                missing.append(token.term)
            elif token.kind == "word" and morphology.lemma(token.surface).pos == "NOUN":
                # A dictionary noun, or a longer word the dictionary lacks and spelling could not
                # bring to the corpus («промокод», «Хоругвино»); short unknowns are jargon.
                if morphology.is_known(token.surface) or len(token.surface) >= 5:
                    missing.append(token.term)
        return missing

    def answered(self, coverage: float, missing_topics: Sequence[str]) -> bool:
        return coverage >= self.min_coverage and not missing_topics
