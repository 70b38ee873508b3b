"""Understanding a query the way people type it.

    query ─► keyboard layout ─► transliteration ─► spelling ─► (analysis) ─► synonyms

Each step is a small function over the query's words that returns what it
changed, so the page can say «Показаны результаты по запросу „статус заказа“»
and offer the original. A step changes a word only when the word is unknown
(to pymorphy3's dictionary and to the corpus) and the change makes it known:
``api``, ``ozon``, ``seller.ozon.ru``, names, numbers and phones pass through.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

from .analysis import Analyzer, Token, normalize
from .lang import CYRILLIC_TO_LATIN_KEYS, LATIN_TO_CYRILLIC_KEYS, TRANSLITERATION
from .morphology import Morphology
from .results import Correction

__all__ = ["NoAnswerRule", "QueryRewriter", "Thesaurus", "Vocabulary", "parse_synonyms"]

_CYRILLIC_WORD = re.compile(r"[а-яё]+(?:-[а-яё]+)*")
_LATIN_KEYS = re.compile(r"[a-z`\[\];',./]*[a-z][a-z`\[\];',./]*")
_LATIN_WORD = re.compile(r"[a-z']+")
_EDGE_PUNCTUATION = re.compile(r"^([\"«(]*)(.*?)([\"»)!?:]*)$")


@dataclass
class Vocabulary:
    """The corpus's own words as written (normalized), with how often each occurs."""

    counts: Mapping[str, int]
    is_dictionary_word: Callable[[str], bool]

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def known(self, word: str) -> bool:
        return word in self.counts or (_CYRILLIC_WORD.fullmatch(word) is not None and self.is_dictionary_word(word))


# --- the three word-level steps ----------------------------------------------------


def switch_layout(word: str, vocabulary: Vocabulary) -> str | None:
    """``cnfnec`` → ``статус`` and ``щящт`` → ``ozon``: a word typed with the other keyboard layout."""
    if len(word) < 2:
        return None  # "s", "v", "k": prepositions typed in Latin, not a layout slip
    if _LATIN_KEYS.fullmatch(word):
        if word in vocabulary:
            return None
        switched = "".join(LATIN_TO_CYRILLIC_KEYS.get(char, char) for char in word).rstrip(".")
        return switched if switched != word and vocabulary.known(switched) else None
    if _CYRILLIC_WORD.fullmatch(word.replace("ё", "е")) and not vocabulary.known(word):
        switched = "".join(CYRILLIC_TO_LATIN_KEYS.get(char, char) for char in word)
        return switched if switched in vocabulary else None
    return None


def _transliterations(word: str, limit: int = 256) -> Iterable[str]:
    pieces: list[tuple[str, ...]] = []
    position = 0
    while position < len(word):
        for latin, cyrillic in TRANSLITERATION:
            if word.startswith(latin, position):
                pieces.append(cyrillic)
                position += len(latin)
                break
        else:
            return
    yield from itertools.islice(("".join(p) for p in itertools.product(*pieces)), limit)


def transliterate(word: str, vocabulary: Vocabulary) -> str | None:
    """``svyazatsya`` → ``связаться``: Russian typed in Latin letters, when that gives a known word."""
    if not _LATIN_WORD.fullmatch(word) or word in vocabulary:
        return None
    candidates = [c.replace("ё", "е") for c in _transliterations(word)]
    for candidate in candidates:  # the corpus's own words first: they are what can be found
        if candidate in vocabulary:
            return candidate
    for candidate in candidates:
        if vocabulary.known(candidate) and len(candidate) > 2:
            return candidate
    return None


class SpellingCorrector:
    """Towards the corpus vocabulary, by restricted Damerau–Levenshtein distance, frequent words first."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._words = [w for w in vocabulary.counts if _CYRILLIC_WORD.fullmatch(w) and len(w) > 2]

    def __call__(self, word: str) -> str | None:
        if not _CYRILLIC_WORD.fullmatch(word) or len(word) < 4 or self.vocabulary.known(word):
            return None
        limit = 1 if len(word) <= 5 else 2
        matches = extract(word, self._words, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not matches:
            return None
        best = min(matches, key=lambda m: (m[1], -self.vocabulary.counts[m[0]], m[0]))
        return best[0]


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

    @classmethod
    def from_file(cls, path: str | Path, analyzer: Analyzer) -> Thesaurus:
        return cls.from_text(Path(path).read_text(encoding="utf-8"), analyzer)

    def expand(self, terms: tuple[str, ...]) -> tuple[list[str], list[Correction]]:
        """Terms to add to the query, and the expansions made, for the query's lemma sequence."""
        added: list[str] = []
        made: list[Correction] = []
        present = set(terms)
        for sources, targets in self.rules:
            for source in sources:
                if not _contains(terms, source):
                    continue
                for target in targets:
                    if target == source or set(target) <= present:
                        continue
                    new = [t for t in target if t not in present and t not in added]
                    added.extend(new)
                    made.append(Correction("synonyms", " ".join(source), " ".join(target)))
        return added, made


def _contains(terms: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(terms[i : i + size] == phrase for i in range(len(terms) - size + 1))


# --- the pipeline -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rewrite:
    text: str
    corrections: tuple[Correction, ...]


class QueryRewriter:
    """The word-level steps in order; each word is changed by the first step that knows better."""

    steps = ("layout", "transliteration", "spelling")

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._spelling = SpellingCorrector(vocabulary)
        self._functions: dict[str, Callable[[str], str | None]] = {
            "layout": lambda word: switch_layout(word, vocabulary),
            "transliteration": lambda word: transliterate(word, vocabulary),
            "spelling": self._spelling,
        }

    def rewrite(self, query: str, steps: Collection[str] | None = None) -> Rewrite:
        """The query with each word changed by the first step (of ``steps``, default all) that knows better."""
        active = [step for step in self.steps if steps is None or step in steps]
        corrections: list[Correction] = []
        parts = re.split(r"(\s+)", query)
        for index, part in enumerate(parts):
            if not part or part.isspace():
                continue
            lead, core, tail = _EDGE_PUNCTUATION.match(part).groups()  # type: ignore[union-attr]
            word = normalize(core)
            for step in active:
                replacement = self._functions[step](word)
                if replacement is not None:
                    corrections.append(Correction(step, core, replacement))
                    parts[index] = lead + replacement + tail
                    break
        return Rewrite("".join(parts), tuple(corrections))

    def __repr__(self) -> str:
        return f"QueryRewriter({' | '.join(self.steps)}; {len(self.vocabulary.counts)} corpus words)"


# --- does the corpus answer the query at all? --------------------------------------------


def synonym_links(corrections: Iterable[Correction]) -> dict[str, set[str]]:
    """For each query term, the terms its synonyms added."""
    links: dict[str, set[str]] = {}
    for correction in corrections:
        if correction.step == "synonyms":
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
