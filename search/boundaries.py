"""Where the spaces go: words run together, split apart, spelt out letter by letter or a letter typed thrice.

:class:`WordBoundaries` runs before spelling reads the words one at a time, and
its changes are spelling's corrections (reported under the spelling step's
name, :data:`SPELLING`); the script readers use its segmentation score for a
run-together Latin word. It depends on no step, so the spelling step and the
script readers both import it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection

from rapidfuzz.distance import OSA

from .analysis import normalize
from .lang import ENCLITICS, PREPOSITION_CASES, SHORT_WORD_ZIPF
from .recent import Recent
from .results import Correction
from .rewrite import _SENTENCE_EDGES, _SPACES_AND_GLUED_PUNCTUATION, Rewrite, _as_typed, _names, _normalized
from .slips import ear_slips
from .vocabulary import _CYRILLIC_WORD, LANGUAGE_MIN_ZIPF, WORDS_KEPT, Vocabulary

__all__ = [
    "WordBoundaries",
]


# The spelling step's name (``SpellingStep.name``): a change of the word boundaries is a correction of
# spelling's, and the spelling step imports this module, so the name is defined here.
SPELLING = "spelling"

_TRIPLED = re.compile(r"(.)\1\1+")
_VERB_FORMS = frozenset({"INFN", "VERB", "GRND", "PRTF", "PRTS"})
# ... and those no preposition stands before (a participle in full declines as an adjective: «в работающем»)
_FINITE_VERB_FORMS = frozenset({"INFN", "VERB", "GRND"})
# How much likelier than its two halves side by side a word must be for a space between two words to be a stray
# one, in Zipf units (a factor of 1,000): a space put inside a word is a rarer slip than a space meant.
STRAY_SPACE_ZIPF = 3.0


# A word spelt out letter by letter («в е р н у т ь»): three single Cyrillic letters or more, one space apart.
_SPELT_OUT = re.compile(r"(?<![\w-])[а-яё](?: [а-яё]){2,}(?![\w-])", re.IGNORECASE)
# A Russian word and a number or a Latin word with the space between them lost: «в2015», «такоеDECnet», «2015году».
_SCRIPTS_RUN_TOGETHER = re.compile(
    r"(?<![\w.@-])(?:([а-яё]+)([0-9]+(?:-[а-яё]{1,2})?|[a-z][a-z0-9]*(?:-[a-z0-9]+)*)|([0-9]+|[a-z][a-z0-9]*)([а-яё]+))"
    r"(?![\w@-])",
    re.IGNORECASE,
)
# A word with a capital inside, after a small letter of its script («графМелфи», «пределамиРФ», «GoldmanSachs») or
# after two capitals the small letters follow («ЕСзащищали»): where two words run together may show (``_cases_apart``).
_CASE_TURN = re.compile(r"(?<=[а-яё])(?=[А-ЯЁ])|(?<=[a-z])(?=[A-Z])|(?<=[А-ЯЁ]{2})(?=[а-яё])")
_CASED_WORD = re.compile(r"(?<![\w.@/-])[^\W\d_]+(?:-[^\W\d_]+)*[0-9]*(?![\w@/-]|\.\w)")
# A Cyrillic word with a space, not a hyphen, on either side: a half of a word a stray space cut (``join_in_context``).
_LONE_WORD = re.compile(r"(?<![\w-])[а-яё]+(?![\w-])", re.IGNORECASE)
# The function words that have no case and govern none after them: a preposition, a conjunction, a particle.
_NO_CASE_POS = frozenset({"PREP", "CONJ", "PRCL"})
# How much likelier in the language (Zipf units, a factor of 10) two words must be side by side than a correction one
# edit away, for a space lost to be read before it (``_likelier_apart``): the product of their frequencies weighs two
# words that make no phrase as high as two that do, so a tie is not enough.
LIKELIER_APART_ZIPF = 1.0
# An unknown word this long or longer may be two words with the space between them lost («каквернуть»).
SPLIT_MIN_LETTERS = 5
# Only these single letters start a word split off another («вмагазине» → в магазине): prepositions, «и», «а».
_SPLIT_LETTERS = frozenset("вскуоиа")
# The one-letter prepositions that may be run on after a word: no word's ending («Пейтону», «Брукхейвена»).
_RUN_ON_LETTERS = frozenset("вск")
# The function words that split off a word run onto them: prepositions, conjunctions, particles, pronominal adverbs
# and adjectives, full and short («какие», «все», «какова»: «Каковабыла»), and pronouns of three letters or more
# («ктоявляется», «мнезаблокировали», «ведутсебя»); no shorter pronoun: «вы» before «светилось» is the verb's prefix.
_JOINING_POS = frozenset({"PREP", "CONJ", "PRCL", "ADVB", "ADJF", "ADJS"})
PRONOUN_MIN_LETTERS = 3
# A known word this long that the frequency index lacks may still be what a stray space cut (``_joins``).
LONG_JOIN_LETTERS = 8
# A piece of a stray-space pair spelling cannot read is a term the dictionary lacks from this length («тачдаун»,
# «меркитов»), a piece of a word below it («сос», «тнт»).
UNREAD_WORD_LETTERS = 4
# The longest piece of a stray-space pair the dictionary reads only as an abbreviation that is taken for a piece of a
# word («обл», «напр»): short pieces, the ones a stray space cuts off; a longer abbreviation may be meant.
ABBREVIATION_PIECE_LETTERS = 4
# A misspelt word longer than this is read two edits away, as spelling reads a real word («можеерация»).
LONG_TYPO_LETTERS = 8


class WordBoundaries:
    """Where the spaces go, before spelling reads the words one at a time.

    Four general rules, each change a ``Correction`` of the spelling step: a
    run of single letters is joined back when the join is a known word («в е
    р н у т ь» → вернуть); a letter typed three times or more (no Russian word
    has one) is squeezed to the known word (one or two of it); two adjacent
    words are joined when the join is a corpus word (or a form of a corpus
    lemma) and one of them is unknown or a dictionary word the documents never
    use («воз врат» → возврат, «день ги» → деньги: a real phrase such as «по
    тому» stays); an
    unknown word is split into two known words, one of them the documents' or a
    function word, when no spelling correction is a single edit away
    (SymSpell's word segmentation, two parts, the likelier pair by word
    frequency: «каквернуть» → как вернуть, «незнаю» → не знаю, not «знаю»), or one half misspelt
    («возраттовара»); a Russian word run onto a Latin word or a preposition onto a number is parted
    («компанияBSkyB», «в2015»); a name takes a stray space back only into a word of the corpus or the dictionary
    («Европ ейский», «Тур цию»). Its segmentation score (``pair_score``) also weighs the script steps' readings of a
    run-together Latin word.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        correct: Callable[[str], str | None],
        latin: Callable[[str], tuple[str, str] | None] | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.correct = correct  # the spelling step's closest known word, which a split must read better than
        # the spelling step's reading of a Cyrillic word as a Latin word of the corpus («рутуба»: рутубе, rutube)
        self.latin = latin
        self._splits: Recent[tuple[str, str] | None] = Recent(WORDS_KEPT)

    def apply(self, text: str, keep: Collection[str] = ()) -> Rewrite:
        corrections: list[Correction] = []
        text = _SPELT_OUT.sub(lambda match: self._spelt_out(match.group(), corrections), text)
        text = _SCRIPTS_RUN_TOGETHER.sub(lambda match: self._scripts_apart(match, corrections), text)
        if _CASE_TURN.search(text):  # most queries have no capital inside a word: not a word read
            text = _CASED_WORD.sub(lambda match: self._cases_apart(match.group(), corrections), text)
        names = _names(text)
        # words glued by punctuation typed with no space after it («былаотправлена,скак») are words of their own
        parts = _SPACES_AND_GLUED_PUNCTUATION.split(text)
        cores = [_SENTENCE_EDGES.match(part).groups() if part and not part.isspace() else None for part in parts]

        def word(index: int) -> str:
            core = cores[index]
            normal = _normalized(core[1]) if core is not None else ""  # each word is read three times or more
            return normal if _CYRILLIC_WORD.fullmatch(normal) else ""

        def replace(index: int, replacement: str, original: str | None = None) -> None:
            lead, typed, tail = cores[index]  # type: ignore[misc]
            corrections.append(Correction(SPELLING, original or typed, replacement))
            written = _as_typed(replacement, typed)  # «Каквернуть» → «Как вернуть»
            cores[index] = (lead, written, tail)
            parts[index] = lead + written + tail

        kept, aside = set(keep), {*keep, *names}  # made once, not per word
        for index in range(len(parts)):
            typed = word(index)
            if typed and typed not in aside and _TRIPLED.search(typed) and not self.vocabulary.known(typed):
                squeezed = self._squeezed(typed)
                if squeezed != typed:
                    replace(index, squeezed)

        def joins(index: int) -> bool:
            """Whether the word at ``index`` and the next are one word with a stray space."""
            first, second = word(index), word(index + 2)
            if not first or not second or first in kept or second in kept or parts[index + 1] != " ":
                return False
            if second in names and not (first in names and first + second in self.vocabulary.counts):
                # Two names side by side, unless the corpus writes them as one word: a word in capitals with a stray
                # space, each half a name to the query («МГ ЭИК», «СА ЙТЕ»). Spaces lemma recovery (seeds 0–2) XQuAD
                # 0.9507 → 0.9521, RUTUBE 0.8827 → 0.8854; every other cell unchanged.
                return False
            if cores[index][2] or cores[index + 2][0]:  # type: ignore[index]
                return False  # punctuation between them: two words on purpose
            # A name with a space put inside («Европ ейский», «Бронк ос», «Тур цию»): joined only into a word of the
            # corpus or the dictionary, as typed. The dictionary's too: spaces lemma recovery (seeds 0–2) XQuAD 0.9829 →
            # 0.9835, RUTUBE 0.9418 → 0.9427; every other cell unchanged.
            # A hyphenated word is weighed by the part beside the space: «черно-бел ыми», «ле тчик-истребитель».
            last, next_ = first.rsplit("-", 1)[-1], second.split("-", 1)[0]
            if first in names:
                joined = last + next_
                return (self._in_corpus(joined) or self.vocabulary.known(joined)) and self._joins(last, next_)
            return self._joins(last, next_)

        for index in range(0, len(parts) - 2, 2):
            if not joins(index):
                continue
            first, second = word(index), word(index + 2)
            if index + 4 < len(parts) and joins(index + 2) and self._joins_right(first, second, word(index + 4)):
                # «за ра мки» is «за рамки», not «зара мки»: the word between goes where it reads likelier. Spaces
                # lemma recovery (seeds 0–2) XQuAD 0.9798 → 0.9807, RUTUBE 0.9242 → 0.9259; every other cell unchanged.
                continue
            original = f"{cores[index][1]} {cores[index + 2][1]}"  # type: ignore[index]
            joined = original.replace(" ", "") if first in names else first + second
            cores[index] = (cores[index][0], cores[index][1], cores[index + 2][2])  # type: ignore[index]
            replace(index, joined, original)
            parts[index + 1] = parts[index + 2] = ""
            cores[index + 2] = None
        for index in range(len(parts)):
            typed = word(index)
            if not typed or typed in kept:
                continue
            split = self.split_for(typed)
            # A preposition run on, or run together with a noun into an adverb, told by the next word's case. The first:
            # spaces lemma recovery (seeds 0–2) XQuAD 0.9807 → 0.9821, RUTUBE 0.9259 → 0.9277; typo1, typo2,
            # orthography unchanged (with «с» after a verb too, XQuAD orthography fell 0.9608 → 0.9585: «находитс» is
            # «находится»).
            if split is None and index + 2 < len(parts) and parts[index + 1] == " " and not cores[index][2]:  # type: ignore[index]
                following = word(index + 2)
                split = self._preposition_before(typed, following) or self._phrase_before_genitive(typed, following)
            if split is None and "-" in typed:
                cut = self._hyphenated_cut(typed, typed in names)
                if cut is not None:
                    as_typed = cores[index][1]  # type: ignore[index]
                    replace(index, f"{as_typed[:cut]} {as_typed[cut:]}")
            elif split is not None and typed not in names:
                replace(index, " ".join(split))
            elif split is not None and (
                split[0] in self.vocabulary.counts and len(split[0]) >= 3 or self._capitalised_pair(typed, split)
            ):
                # A name run onto the next word («Калифорниииграет»): split after the name as the corpus writes it;
                # or two words of the corpus capitalised («Парижскомуниверситете», «Какудалить»).
                as_typed = cores[index][1]  # type: ignore[index]
                replace(index, f"{as_typed[: len(split[0])]} {as_typed[len(split[0]) :]}")
        return Rewrite("".join(parts), tuple(corrections))

    def _preposition_before(self, word: str, following: str) -> tuple[str, str] | None:
        """An unknown word that is a common word with «в», «к» or «с» run on after it (``_run_on``: no «с» after a
        verb, where «-ся» cut short is as likely: «находитс»), when the next word, no function word, is in a case
        that preposition governs («производилив компании», «привелк четырехдневной потери», «непосредственнос
        пациентами»): a slip that adds the letter leaves the next word's case to chance. Spelling's reading one
        edit away wins when the language uses it more than the word before the letter."""
        head, tail = word[:-1], word[-1]
        cases = PREPOSITION_CASES.get(tail)
        if cases is None or not following or len(word) < SPLIT_MIN_LETTERS or self.vocabulary.known(word):
            return None  # most words: told by their last letter
        if self._in_corpus(word):
            return None  # «шортс»: a Latin word of the corpus read in Cyrillic
        morph = self.vocabulary.morph
        if not self._run_on(head, tail) or morph.is_function_word(following):
            return None
        if not cases & morph.cases(following):
            return None
        corrected = self.correct(word)
        if corrected is not None and self._zipf(corrected) > self._zipf(head):
            return None  # «одрес канала» is «адрес», «Скольк времени» «сколько»: the likelier word, one edit away
        return head, tail

    def _phrase_before_genitive(self, word: str, following: str) -> tuple[str, str] | None:
        """An adverb the documents never use that is a preposition and a word of theirs run together, before a word
        in the genitive, which an adverb does not govern and the word of theirs does («вовремя японской оккупации»:
        во время). Spaces lemma recovery (seeds 0–2) XQuAD 0.9835 → 0.9846, RUTUBE 0.9427 → 0.9444; every other cell
        unchanged (before a misspelt word too, typo2 fell: «наконец посетио» read «на конец»)."""
        vocabulary, morph = self.vocabulary, self.vocabulary.morph
        if not following or not vocabulary.known(word) or morph.lemma(word).pos != "ADVB" or self._in_corpus(word):
            return None
        if not vocabulary.known(following) or morph.lemma(following).pos in _NO_CASE_POS:
            return None  # a misspelt word's cases are guesses («наконец посетио»)
        if "gent" not in morph.cases(following):
            return None
        for cut in (1, 2):
            first, second = word[:cut], word[cut:]
            if second in vocabulary.counts and morph.lemma(first).pos == "PREP" and morph.lemma(second).pos == "NOUN":
                return first, second
        return None

    def _joins_right(self, first: str, second: str, third: str) -> bool:
        """Whether a word that joins either neighbour («ра» in «за ра мки», «бу» in «не бу дет») reads likelier
        joined to the next: SymSpell's weighing of the two readings, the summed Zipf frequencies of their words (a
        word no index holds counts 0), as ``_likelier_joined`` weighs a join."""
        usage = self._usage
        return usage(first) + usage(second + third) > usage(first + second) + usage(third)

    def _hyphenated_cut(self, word: str, name: bool) -> int | None:
        """Where a hyphenated word run onto another comes apart: its first part split as an unknown word is
        («заблокировалистуденты-активисты»), or its last («давным-давнопроникли», «Лос-АнджелесКлипперс»)."""
        parts = word.split("-")
        for part, offset in ((parts[0], 0), (parts[-1], len(word) - len(parts[-1]))):
            split = self.split_for(part)
            if split is None:
                continue
            if name and not (split[0] in self.vocabulary.counts and len(split[0]) >= 3):
                continue  # a name: split only after a word the corpus writes so
            return offset + len(split[0])
        return None

    def join_in_context(self, text: str, keep: Collection[str], covers: Callable[[str], float]) -> Rewrite:
        """Two known words that are one word of the corpus with a stray space inside («сколь ко», «называют ся»,
        «при вело»), joined when the query's best passage then covers more of it (``covers``: IDF-weighted), as a
        real-word typo is corrected. ``apply`` joins a pair only with a half unknown or unused by the documents;
        here both halves are words, and only the query's context tells a stray space from a phrase. A preposition
        before a word that is no verb is its phrase («в ходе», not «входе»); before a verb, its prefix."""
        corrections: list[Correction] = []
        names = _names(text)
        kept = set(keep) - names  # spelling keeps the names too: here a name may join into the corpus's word
        baseline: float | None = None
        start = 0
        while True:
            matches = list(_LONE_WORD.finditer(text, start))
            for first, second in zip(matches, matches[1:]):
                likelier = self._likelier_joined(text, first, second, kept, names)
                joined = likelier or self._joined(text, first, second, {*keep, *names})
                if joined is None:
                    continue
                original = f"{first.group()} {second.group()}"
                candidate = text[: first.start()] + first.group() + second.group() + text[second.end() :]
                if likelier is None:
                    if baseline is None:
                        baseline = covers(text)
                    share = covers(candidate)
                    if share <= baseline:
                        continue
                corrections.append(Correction(SPELLING, original, joined))
                text, start = candidate, first.start()
                baseline = None if likelier is not None else share
                break  # the words after it have moved: read on from the joined word
            else:
                return Rewrite(text, tuple(corrections))

    def _likelier_joined(
        self, text: str, first: re.Match[str], second: re.Match[str], keep: Collection[str], names: Collection[str]
    ) -> str | None:
        """The word two known neighbours one space apart make when the language uses it far more than the two side
        by side (SymSpell's weighing with a prior against a stray space, ``STRAY_SPACE_ZIPF``): «сколь ко» is
        «сколько», «при мера» «примера», «дав но» «давно»; «в ходе», «раз на», «в первые» stay. A word of the
        known word, no function word, and not two function words («по тому», «что бы»); a name only into the
        corpus's word («Оба ма», «Велик ого»)."""
        if text[first.end() : second.start()] != " ":
            return None
        words = normalize(first.group()), normalize(second.group())
        joined = words[0] + words[1]
        vocabulary, morph = self.vocabulary, self.vocabulary.morph
        if joined not in vocabulary.counts and not vocabulary.known(joined):
            return None  # most pairs: no word at all, told by one look-up (every pair of a query is read)
        if words[0] in keep or words[1] in keep or not all(vocabulary.known(word) for word in words):
            return None
        if (words[0] in names or words[1] in names) and joined not in vocabulary.counts:
            return None
        reflexive = len(words[1]) <= 3 and words[1].endswith(("ся", "сь")) and morph.lemma(words[0]).pos in _VERB_FORMS
        if reflexive or morph.lemma(words[0]).pos == "PREP" and morph.lemma(words[1]).pos in _FINITE_VERB_FORMS:
            # a reflexive ending cut off a verb is no word («определяет ся», «закончил ась»), and no preposition
            # governs a verb: it is the verb's prefix («за был», «по смотреть», «об менять»); joined into a known verb
            verb = morph.lemma(joined).pos in _VERB_FORMS and vocabulary.known(joined)
            return joined if verb and self._common(joined) else None
        if morph.is_function_word(joined) or all(morph.is_function_word(word) for word in words):
            return None
        zipfs = [self._usage(word) for word in (joined, *words)]
        if not zipfs[0]:
            return None  # a join the frequency index lacks is weighed by the context alone
        # A half the index lacks is a word the language uses less than its floor: weighed at the floor, the most it
        # may be («бес покоит», «дев ушек», «утр ата»: the join far likelier still). Spaces lemma recovery (seeds 0–2)
        # XQuAD 0.9787 → 0.9798, RUTUBE 0.9224 → 0.9242; every other cell and the well-typed rewrites unchanged.
        halves = [zipf or LANGUAGE_MIN_ZIPF for zipf in zipfs[1:]]
        if zipfs[0] + 9 - STRAY_SPACE_ZIPF < sum(halves):
            return None
        return joined

    def _joined(self, text: str, first: re.Match[str], second: re.Match[str], aside: Collection[str]) -> str | None:
        """The word two neighbours one space apart make, when it is a word of the corpus (or a form of one of its
        lemmas, no function word) that ``join_in_context`` may weigh."""
        if text[first.end() : second.start()] != " ":
            return None
        words = normalize(first.group()), normalize(second.group())
        if words[0] in aside or words[1] in aside:
            return None
        joined = words[0] + words[1]
        vocabulary = self.vocabulary
        if joined not in vocabulary.counts and not (vocabulary.known(joined) and vocabulary.lemma_in_corpus(joined)):
            return None
        morph = vocabulary.morph
        if morph.is_function_word(joined) or all(morph.is_function_word(word) for word in words):
            return None  # two function words are a phrase («бы ли», not «были»)
        if morph.lemma(words[0]).pos == "PREP" and morph.lemma(words[1]).pos not in _VERB_FORMS:
            return None
        if morph.lemma(words[1]).pos == "PREP":
            return None
        return joined

    def preposition_split(self, word: str) -> tuple[str, str] | None:
        """A word that reads as a preposition run onto a word of the corpus as written («помнению»: по мнению,
        «налинии»: на линии), for the query's context to weigh against a correction one edit away (a space lost
        is one edit too: «сомнению», «наличии»); ``_split_beside`` leaves that correction in place when the
        corpus uses it."""
        split = self._split_of_words(word)
        if split is None or self.vocabulary.morph.lemma(split[0]).pos != "PREP":
            return None
        return split if self._beside_a_function_word(*split) else None

    def context_split(self, word: str, distance: int) -> tuple[str, str] | None:
        """A two-word reading of a typo that spelling corrects ``distance`` edits away, for the query's context to
        weigh against the correction (a space lost is one edit): a preposition run onto a word of the corpus
        (``preposition_split``, against a correction one edit away), or, against one two edits away, a known word
        with a preposition run on after it («отпускепо»: отпуске по, not «отпускаемо») or a function word of two
        letters or more before a known word («Какзвали»: как звали, not «назвали»)."""
        if distance == 1:
            return self.preposition_split(word)
        if distance != 2 or len(word) < SPLIT_MIN_LETTERS or "-" in word:
            return None
        for cut in (len(word) - 1, len(word) - 2):
            first, tail = word[:cut], word[cut:]
            if self.vocabulary.known(first) and self._run_on(first, tail):
                return first, tail
        split = self._split_of_words(word)
        if split is None or len(split[0]) < 2 or self._word_of_a_pair(split[0]) != "function":
            return None
        return split if self._common(split[1]) else None

    def _scripts_apart(self, match: re.Match[str], corrections: list[Correction]) -> str:
        """A Russian word run onto a number or a Latin word, the space lost («в2015», «компанияBSkyB», «2015году»):
        apart when the Russian part is a known word and the corpus does not write the whole so; before a number only
        a one-letter preposition (a name may end in a number: «Интернет2»), after one a word of three letters."""
        whole = match.group()
        russian = match.group(1) or match.group(4)
        word = normalize(russian)
        if normalize(whole) in self.vocabulary.counts:
            return whole
        if not self.vocabulary.known(word) and (not match.group(1) or len(word) < 4 or self.correct(word) is None):
            return whole  # «значек18+»: a misspelt word before a number is a word too, spelling reads it next
        if len(russian) < 2 and word not in _SPLIT_LETTERS:
            return whole
        if match.group(2) and match.group(2)[0].isdigit() and not self._before_a_number(word, match.group(2)):
            return whole  # «Интернет2» as typed: a name may end in a number
        if len(russian) < 3 and not match.group(1) and (match.group(3)[0].isdigit() or word not in _SPLIT_LETTERS):
            return whole  # «2015г», «5G»: a unit or an abbreviation after a number; «ABCв» is «ABC в»
        apart = f"{match.group(1)} {match.group(2)}" if match.group(1) else f"{match.group(3)} {match.group(4)}"
        corrections.append(Correction(SPELLING, whole, apart))
        return apart

    def _cases_apart(self, typed: str, corrections: list[Correction]) -> str:
        """Two words run together where the letters' case turns inside a word: after a known word, a function word
        or a preposition of one letter, a name or an abbreviation («графМелфи», «пределамиРФ», «вЕС»); an
        abbreviation before a known word («ЕСзащищали», «ЕСи»); two names the corpus writes apart («GoldmanSachs»,
        «ШэняКуа»). A word the corpus writes so stays («YouTube»), and so does a name with a capital inside whose
        parts are no words of the corpus («МакДональдс», «iPhone», «ренТВ»)."""
        if normalize(typed) in self.vocabulary.counts or not _CASE_TURN.search(typed):
            return typed
        parts, start = [], 0
        for turn in _CASE_TURN.finditer(typed):
            head, tail = typed[start : turn.start()], typed[turn.start() :]
            if self._case_turns_apart(head.rsplit("-", 1)[-1], re.split(r"[-0-9]", tail, maxsplit=1)[0]):
                parts.append(head)
                start = turn.start()
        if not parts:
            return typed
        apart = " ".join([*parts, typed[start:]])
        corrections.append(Correction(SPELLING, typed, apart))
        return apart

    def _case_turns_apart(self, head: str, tail: str) -> bool:
        """Whether a word ends at ``head``'s end, the case of the letters turning there (see ``_cases_apart``)."""
        first, second = normalize(head), normalize(tail)
        if not first or len(second) < (1 if head.isupper() else 2) or self._word_of_a_pair(first[-1] + second):
            return False  # a capital struck twice, or one letter of a word in capitals: «ИИталии», «ССкажите»
        counts, morph = self.vocabulary.counts, self.vocabulary.morph
        if head[-1].islower() and tail[0].isupper():
            if head[0].isupper() and (len(head) == 1 or head[1:].islower()):
                if first in counts and second in counts:
                    return True  # two names, each the corpus's («GoldmanSachs», «ШэняКуа»)
            if len(first) == 1:
                # «вЕС», not «кАтом» («актом»: the first two letters swapped) nor «кСолько»
                swapped = second[:1] + first + second[1:]
                if (
                    first not in _SPLIT_LETTERS
                    or self.vocabulary.known(swapped)
                    or self.vocabulary.known(first + second)
                ):
                    return False
                return self._common(second)
            return morph.is_function_word(first) or len(first) >= 3 and self.vocabulary.known(first)
        # an abbreviation, then a word in small letters («ЕСзащищали») or «и», «в», «с», «к» («ЕСи»; not «СССРа»)
        if len(second) == 1:
            return second in _RUN_ON_LETTERS or second == "и"
        return morph.is_function_word(second) or len(second) >= 3 and self._common(second)

    def _common(self, word: str) -> bool:
        """A word of the corpus, or of the dictionary that the language uses."""
        return self._in_corpus(word) or self.vocabulary.known(word) and self._zipf(word) >= LANGUAGE_MIN_ZIPF

    def _before_a_number(self, word: str, number: str) -> bool:
        """Whether a Russian word run onto a number is a word of its own: a one-letter preposition («в2015»), or a
        word of three letters or more before a number of two digits or more («было38», «сезоне2015»,
        «добавочный76077»); a name may end in one digit («Интернет2»). A two-letter preposition stays on its number
        («от1996», «до2000»): parting it gained XQuAD's spaces three re-typings in three seeds (seeds 0–2) but
        rewrote a well-typed question of XQuAD's, «Перотти от1996 года» (6 of 1,190 rewritten, under the issue's
        99.5 % unchanged)."""
        if word in _SPLIT_LETTERS:
            return True
        return len(word) >= 3 and len(number.split("-")[0]) >= 2

    def _spelt_out(self, letters: str, corrections: list[Correction]) -> str:
        """The word a run of single letters spells: a known word (a preposition before or after it kept apart), or
        a word spelling then corrects («з в а н о к» → званок → звонок)."""
        joined = normalize(letters.replace(" ", ""))
        rest = joined[1:]
        if set(joined) <= _SPLIT_LETTERS and joined not in self.vocabulary.counts:
            return letters  # words of one letter each («и с с», «а и в к»): a phrase as typed, not «исс» spelt out
        if not self.vocabulary.known(joined):
            if joined[0] in _SPLIT_LETTERS and len(rest) >= 3 and self.vocabulary.known(rest):
                corrections.append(Correction(SPELLING, letters[2:], rest))
                return letters[:2] + rest
            if joined[-1] in _SPLIT_LETTERS and len(joined) >= 4 and self.vocabulary.known(joined[:-1]):
                corrections.append(Correction(SPELLING, letters[:-2], joined[:-1]))
                return joined[:-1] + letters[-2:]  # «в о й т и в»: войти в
            if self.correct(joined) is None:
                return letters
        corrections.append(Correction(SPELLING, letters, joined))
        return joined

    def _squeezed(self, word: str) -> str:
        """``word`` with each letter typed three times or more as once or twice when that is a word of the corpus
        (or a form of its lemma); else ``word``, for spelling to read whole («лниии» is «линии», «чужооо» «чужого»:
        a slip beside the held key). Also ``word`` when spelling's correction of it is a word of the corpus nearer
        than the squeeze: two slips make a letter thrice as well, one left out between two of the same and one
        doubled («ролиии» is «ролики», not «роли»; «нижнеее» «нижнее», not «нижне»). Of XQuAD / RUTUBE re-typings
        (typo1, typo2, orthography; seeds 0–2) 3 words squeezed wrong this way come back, none squeezed right is
        lost: typo2 lemma recovery RUTUBE 0.8760 → 0.8769 (held-out seed 7: XQuAD 0.9393 → 0.9402), every other cell
        unchanged."""
        runs = list(_TRIPLED.finditer(word))
        options = []
        for counts in itertools.product((1, 2), repeat=min(len(runs), 4)):
            option, end = [], 0
            for run, count in zip(runs, counts):
                option += [word[end : run.start()], run.group(1) * count]
                end = run.end()
            options.append("".join(option) + word[end:])
        corpus = [option for option in options if self._in_corpus(option)]
        if not corpus:
            return word
        corrected = self.correct(word)
        if corrected is not None and OSA.distance(word, corrected) < OSA.distance(word, corpus[0]):
            return word if self._in_corpus(corrected) else corpus[0]
        return corpus[0]

    def _in_corpus(self, word: str) -> bool:
        """A word of the corpus, a form of one of its lemmas, or a Latin word of the corpus as read in Cyrillic
        («рутуба», «шортс»: the documents write RUTUBE, Shorts)."""
        return word in self.vocabulary.counts or self.vocabulary.lemma_in_corpus(word) or self._latin_word(word)

    def _latin_word(self, word: str) -> bool:
        """Whether spelling reads ``word`` as a Latin word of the corpus: its Cyrillic reading, with a case ending
        («шортсы»), or a reading's silent final «е» cut or declined («рутуб», «рутуба»: RUTUBE); not a typo of one
        («ишортс», «студ»: a half of a run-together word is a guess already)."""
        if self.latin is None or len(word) < 4:
            return False
        source = self.latin(word)
        if source is None:
            return False
        reading = source[0]
        return word in (reading, reading + word[-1]) or reading[-1] == "е" and reading[:-1] in (word, word[:-1])

    def _suspect(self, word: str) -> bool:
        """A word that may be half of another: unknown (but for the corpus's Latin word read in Cyrillic: «смарт»),
        or a dictionary word the documents never use."""
        if not self.vocabulary.known(word):
            return not self._latin_word(word)
        return not self._in_corpus(word) and not self.vocabulary.morph.is_function_word(word)

    def _joins(self, first: str, second: str) -> bool:
        """Whether two adjacent words are one with a stray space: their join a word of the corpus and one of them
        suspect, or a known word and one of them unknown that spelling cannot read («скол ько»); two single letters when
        their join is the corpus's or its jargon («л к»: лк) and not both are function words («в с»)."""
        joined = first + second
        known = self.vocabulary.known
        morph = self.vocabulary.morph
        if not (self._suspect(first) or self._suspect(second)):
            return False  # two words the documents use (most pairs): nothing to parse
        if len(first) == len(second) == 1:
            both_function = morph.is_function_word(first) and morph.is_function_word(second)
            return not both_function and (joined in self.vocabulary.counts or joined in self.vocabulary.jargon)
        if self._in_corpus(joined):
            return True
        # Otherwise a known join of an unknown word («скол ько», «зарабо тать», «до бавочный»), unless spelling reads
        # the unknown word one edit away as a word the language uses more than the join: «в ень» is «в день», not
        # «вень» (both readings are one edit: the likelier word wins, as in SymSpell's compound look-up).
        unknown = [part for part in (first, second) if not known(part) or self._fragment(part)]
        if not unknown:
            return False
        if not known(joined):
            return self._joins_misspelt(first, second)
        if len(unknown) == 2:
            return True  # neither piece a word, the join one («урба нистической», «десегре гации»)
        rare = self._zipf(joined) < LANGUAGE_MIN_ZIPF
        if rare and (self._zipf(joined) or len(joined) < LONG_JOIN_LETTERS):
            # a join the documents or the language hardly use is no likelier: «у ва» is no «ува»; a long word the
            # frequency index lacks is weighed as SymSpell weighs it («натур ализованы», «тар гетинга»)
            return False
        corrected = self.correct(unknown[0])
        if corrected is None or OSA.distance(unknown[0], corrected) >= 2:
            return True
        # SymSpell's compound look-up weighs the join against both words read apart (a probability each: Zipf 9
        # is one use per word): «менед жером» is «менеджером», not «менее жером».
        other = second if unknown[0] == first else first
        if len(other) < 3:  # the frequency index holds no word under three letters: the likelier of the two wins
            return self._zipf(joined) >= self._zipf(corrected)  # «но нна» is «но инна», not «нонна»
        return self._zipf(joined) + 9 >= self._zipf(corrected) + self._zipf(other)

    def _joins_misspelt(self, first: str, second: str) -> bool:
        """Two pieces of a misspelt word («ве рефикацию», «удол ение», «ст утии»): joined when spelling reads the
        join as a word of the corpus nearer than it reads the pieces apart, as SymSpell's compound look-up weighs
        them: the join's edits and the space against the pieces' own edits (a known word none; a piece spelling
        cannot read none when it is a word of ``UNREAD_WORD_LETTERS`` or more, a term the dictionary lacks, and no
        reading at all when shorter), a tie going to the likelier of the words. The join's reading is one edit
        away, two for a word over eight letters (as spelling reaches a real word's), and no piece alone («тачдаун
        в» is no «тачдаунов», «нм нельзя» no «нельзя»). Spaces lemma recovery (seeds 0–2) RUTUBE 0.9277 → 0.9418, where
        real users' misspelt words are cut; every other cell unchanged."""
        joined = first + second
        corrected = self.correct(joined)
        if corrected is None or corrected in (first, second) or not self._in_corpus(corrected):
            return False
        distance = OSA.distance(joined, corrected)
        if distance > (2 if len(joined) > LONG_TYPO_LETTERS else 1):
            return False
        apart, readings = 0, []
        for part in (first, second):
            cut_off = self._cut_off(part)
            reading = part if self.vocabulary.known(part) and not cut_off else None
            if reading is None and not cut_off:
                reading = self.correct(part)
                if reading is None and len(part) >= UNREAD_WORD_LETTERS:
                    reading = part
            if reading is None:
                return True  # a piece no word: only the join reads
            apart += OSA.distance(part, reading)
            readings.append(reading)
        if distance + 1 != apart:
            return distance + 1 < apart
        return self._usage(corrected) + 9 > sum(self._usage(reading) for reading in readings)

    def split(self, word: str) -> tuple[str, str] | None:
        """The likeliest two words of the corpus an unknown word is made of (none for most words)."""
        if len(word) < SPLIT_MIN_LETTERS or "-" in word or self.vocabulary.known(word):
            return None
        return self._splits.get(word, lambda: self._split(word))

    def _split(self, word: str) -> tuple[str, str] | None:
        if self.vocabulary.lemma_in_corpus(word) or self.vocabulary.corpus_has_prefix(word):
            return None  # «родофит»: the corpus has «родофиты», a term in another form
        return self._split_of_words(word) or self._split_with_a_typo(word)

    def _split_of_words(self, word: str) -> tuple[str, str] | None:
        """The likeliest two words ``word`` is made of, as typed (SymSpell's two-part segmentation)."""
        best, best_score = None, None
        for cut in range(1, len(word) - 1):
            first, second = word[:cut], word[cut:]
            score = self.pair_score(first, second)
            if score is not None and (best_score is None or score > best_score):
                best, best_score = (first, second), score
        return best

    def _split_with_a_typo(self, word: str) -> tuple[str, str] | None:
        """Two words run together, one of them misspelt («возраттовара», «обратныйзванок»): one half a word of the
        corpus or a function word, the other, four letters or more, one edit from a word of the corpus; the pair
        weighed with that word. The halves come back as typed: spelling then corrects the misspelt one."""
        best, best_score = None, None
        for cut in range(1, len(word) - 1):
            halves = [word[:cut], word[cut:]]
            for known in (0, 1):
                typo = halves[1 - known]
                if len(typo) < 4 or len(halves[known]) < 3:
                    continue  # a spelling search per cut: only beside a word of three letters or more
                if self.vocabulary.corpus_has_prefix(word[: cut + 2]):
                    continue  # «техподетки» is «техпо…» misspelt (the corpus has техподдержки), not «тех пометки»
                if self._word_of_a_pair(halves[known]) not in ("corpus", "function"):
                    continue
                if self.vocabulary.known(typo):
                    continue
                corrected = self.correct(typo)
                if corrected is None or OSA.distance(typo, corrected) != 1 or not self._in_corpus(corrected):
                    continue
                read = list(halves)
                read[1 - known] = corrected
                score = self.pair_score(*read)
                if score is not None and (best_score is None or score > best_score):
                    best, best_score = (halves[0], halves[1]), score
        return best

    def pair_score(self, first: str, second: str) -> float | None:
        """How likely two Russian words are as one word's two halves, a space lost between them: SymSpell's
        segmentation score (the sum of the two words' Zipf frequencies), or None for a pair that is no phrase.
        The script steps weigh the readings of a run-together Latin word by it too («cnfnecpfrfpf»)."""
        if len(second) <= 2 and second not in ENCLITICS and second != "не" and not self._run_on(first, second):
            # a two-letter word run onto another is a particle («возместятли»), not «хоругви но»; «не», which stands
            # before the word it negates, is run onto the word before it as often («вообщене»: вообще не)
            return None
        # Each half's kind is a parse, most of them of no word at all (every cut of a run-together word is
        # tried): the second half is parsed only when the first may stand beside it.
        first_kind = self._word_of_a_pair(first)
        second_kind = None if first_kind is None else self._word_of_a_pair(second)
        if second_kind is None or first_kind == second_kind == "dictionary":
            return None  # two words the documents never use: «пасматреть» is no «пасма треть»
        morph = self.vocabulary.morph
        if morph.lemma(first).pos == "PREP" and morph.lemma(second).pos in _VERB_FORMS:
            return None  # a preposition before a verb is its prefix: «подмонтировать», «задокументировано»
        return self._usage(first) + self._usage(second)

    def _rare_word_split(self, word: str) -> tuple[str, str] | None:
        """A word the documents never write, made of a preposition of one or two letters (or «не») and a word: split
        when the documents write that word and the language hardly uses the whole («вдень» is «в день», «сточки» «с
        точки»), or when the two side by side are at least as likely in the language as the whole, as SymSpell weighs
        a split (a whole the frequency index lacks weighed at its floor, the most it may be: «незапрещено» is «не
        запрещено», «поданным» «по данным»; «неплохо», «начат», «включи» stay). The language's frequencies alone:
        the documents' own say how often they name a thing («чат»), not how often it follows a preposition."""
        vocabulary, morph = self.vocabulary, self.vocabulary.morph
        if word in vocabulary.counts:
            return None
        whole = vocabulary.frequency(word)
        for cut in (1, 2):
            first, second = word[:cut], word[cut:]
            if not morph.is_function_word(first) or not (first == "не" or morph.lemma(first).pos == "PREP"):
                continue
            written = second in vocabulary.counts and whole < LANGUAGE_MIN_ZIPF
            apart = self._language_usage(first) + self._language_usage(second) - 9
            if not written and apart < max(whole, LANGUAGE_MIN_ZIPF):
                continue  # most words: told by two frequencies, before a parse
            if self.pair_score(first, second) is not None:
                return first, second
        return None

    def _capitalised_pair(self, word: str, split: tuple[str, str]) -> bool:
        """Two words run together under a capital («Парижскомуниверситете»): each the corpus's or a function word,
        three letters or more, and no correction one edit away (a name misspelt: «Целсия» is no «Цел сия»)."""
        if not all(len(part) >= 3 and self._word_of_a_pair(part) in ("corpus", "function") for part in split):
            return False
        corrected = self.correct(word)
        return corrected is None or OSA.distance(word, corrected) >= 2

    def _run_on(self, first: str, second: str) -> bool:
        """A preposition of one or two letters run on after a word of the corpus, three letters or
        more («видеов», «идтина», «связываютс»): the corpus's word is kept whole and the preposition beside it."""
        if len(second) > 2 or len(first) < 3 or first[-1] == second[0]:
            return False  # «заказза» is «заказа» with a key struck twice as often as «заказ за»
        morph = self.vocabulary.morph
        if second not in _RUN_ON_LETTERS and (len(second) < 2 or morph.lemma(second).pos != "PREP"):
            return False  # «у», «о», «а», «и» after a word are its ending as often («Пейтону», «Брукхейвена»)
        if second == "с" and morph.lemma(first).pos in _VERB_FORMS:
            return False  # «открылас» is «открылась» cut short as often as «открыла с»
        return self._in_corpus(first) or self._common(first)

    def _word_of_a_pair(self, word: str) -> str | None:
        """What kind of word may stand beside another: a function word (a preposition, a conjunction, a particle,
        a pronominal adverb or adjective, a pronoun of three letters or more: «в», «не», «как», «ли», «где»,
        «какие», «кто»), a word of the corpus (or a form of its lemma), a word of the dictionary of three letters or
        more; else none («ха», «см»). Most halves are no word: whether one is a function word is then told without a
        parse (``Morphology.is_function_word``)."""
        morph = self.vocabulary.morph
        if morph.is_function_word(word):
            pos = morph.lemma(word).pos
            joins = pos in _JOINING_POS and (len(word) > 1 or word in _SPLIT_LETTERS)
            joins = joins or (pos == "NPRO" and len(word) >= PRONOUN_MIN_LETTERS)
            return "function" if joins else None
        if word in self.vocabulary.jargon:
            return "corpus"  # the thesaurus's abbreviations, words of the corpus to its readers: «лк», «мп»
        if len(word) < 3:
            return None
        if self._in_corpus(word):
            return "corpus"
        return "dictionary" if self.vocabulary.known(word) else None

    def _fragment(self, word: str) -> bool:
        """Two letters that are no function word, nor the corpus's, nor its jargon: a piece of a word («ск олько»)."""
        if len(word) != 2 or word in self.vocabulary.counts or word in self.vocabulary.jargon:
            return False
        return not self.vocabulary.morph.is_function_word(word)

    def _cut_off(self, word: str) -> bool:
        """A piece of a misspelt word a stray space cut (``_joins_misspelt``): a ``_fragment``, or a known piece of
        up to ``ABBREVIATION_PIECE_LETTERS`` letters that the dictionary reads only as an abbreviation and the
        documents never write («обл ошка», «напр авть»: spelling then reads the join). Spaces lemma recovery (seeds
        0–2) RUTUBE 0.9480 → 0.9497; every other cell unchanged (an unknown piece pymorphy3 guesses as one too, typo1
        fell: «не могц» → немого). Read only there: a parse of every short word beside a suspect one costs."""
        if self._fragment(word):
            return True
        if not 2 < len(word) <= ABBREVIATION_PIECE_LETTERS or word in self.vocabulary.counts:
            return False
        known = word not in self.vocabulary.jargon and self.vocabulary.known(word)
        return known and self.vocabulary.morph.is_abbreviation(word)

    def _zipf(self, word: str) -> float:
        return max(self.vocabulary.frequency(word), self.vocabulary.corpus_frequency(word))

    def _usage(self, word: str) -> float:
        """``_zipf``, and for the short function words the frequency index lacks their own (``SHORT_WORD_ZIPF``):
        how SymSpell weighs a word of a segmentation («по степени», not «посте пени»). In ``pair_score``: spaces
        lemma recovery (seeds 0–2) XQuAD 0.9821 → 0.9829; every other cell unchanged."""
        return SHORT_WORD_ZIPF.get(word) or self._zipf(word)

    def _language_usage(self, word: str) -> float:
        """``_usage`` by the language's frequency alone: how often a word is used, where the documents' own frequency
        says how often they name a thing («чат»), not how often it stands beside another word."""
        return SHORT_WORD_ZIPF.get(word) or self.vocabulary.frequency(word)

    def split_for(self, word: str) -> tuple[str, str] | None:
        """The split of an unknown word, when it beats spelling. A split is one edit (a space): it wins over no
        spelling correction, and over one two edits away when both its words are the corpus's or function words (a
        slip of two edits is as likely: «таллефон» is «телефон», not «талле фон»), or a function word beside a word
        the language uses («Какзвали» is «как звали», not «назвали»), and no two misspellings by ear
        make the typed word of the corpus's; over one a single edit away only
        as ``_split_beside`` allows («харегистрироваться» is «зарегистрироваться», not «ха регистрироваться»):
        that one is looked up first (spelling looks it up anyway). A known word splits only when the language
        hardly uses it (``_rare_word_split``: «вдень»)."""
        if len(word) < SPLIT_MIN_LETTERS or "-" in word:
            return None
        if self.vocabulary.known(word):
            return self._rare_word_split(word)
        corrected = self.correct(word)
        if corrected is not None and OSA.distance(word, corrected) < 2:
            return self._split_beside(word, corrected)
        split = self.split(word)
        if split is None or corrected is None:
            return split
        if ear_slips(word, corrected) <= 2 and self._in_corpus(corrected):
            # «гребнивек» is the corpus's «гребневик», two vowels heard wrong, not «гребни век» («образоваллос»,
            # «Ротцел» so): orthography lemma recovery (seeds 0–2) XQuAD 0.9549 → 0.9557, every other cell of
            # typo1, typo2, orthography and spaces on XQuAD and RUTUBE unchanged.
            return None
        if not all(self.vocabulary.known(part) or self._in_corpus(part) for part in split):
            return None  # a split with a misspelt half is a guess on a guess: spelling's reading of the whole wins
        if self._run_on(*split) and self._in_corpus(corrected) and corrected != split[0]:
            return None  # «заказот» is «заказать» misspelt as often as «заказ от»; «Европуна» is «Европу на»
        if all(self._word_of_a_pair(part) != "dictionary" for part in split):
            return split
        # a function word beside a word the language uses: one edit against two («Какзвали» is «как звали», not
        # «назвали»), as SymSpell's nearer reading wins
        beside = any(self._function_word_beside(*pair) and self._common(pair[1]) for pair in (split, split[::-1]))
        return split if beside else None

    def _split_beside(self, word: str, corrected: str) -> tuple[str, str] | None:
        """A split against a correction one edit away (a space is one edit too): it wins only over a word the
        documents never use, and only as a function word beside a word the corpus writes so («начасах» is «на
        часах», not «началах»; «поссылке» «по ссылке», not «посылке»). A correction the corpus uses, or a function
        word, wins («помнению», «ккакие», «началос» are left to spelling) unless it is the word typed with a
        preposition run on after it («видеов»: видео в), or another form of that word («Бронкосза»: Бронкос за, not
        «Бронкоса»; a correction of another lemma wins: «Скольво» is «сколько», not «сколь во»). Beside a word the
        corpus does not use, a function word wins over a correction the documents never use when the two side by
        side are far likelier in the language (``_likelier_apart``: «отгибели» is «от гибели», not «отгибали»)."""
        if self._in_corpus(corrected) or self.vocabulary.morph.is_function_word(corrected):
            tail = word[len(corrected) :]
            if word.startswith(corrected) and corrected in self.vocabulary.counts and self._run_on(corrected, tail):
                return corrected, tail
            # Another form of it: a run-on preposition is one or two letters, so only the last two cuts are read.
            for first, tail in ((word[:-1], word[-1:]), (word[:-2], word[-2:])):
                if first in self.vocabulary.counts and self._run_on(first, tail) and self._same_lemma(first, corrected):
                    return first, tail
            return None
        if self.vocabulary.lemma_in_corpus(word) or self.vocabulary.corpus_has_prefix(word):
            return None
        split = self._split_of_words(word)
        if split is None:
            return None
        if not any(self._beside_a_function_word(*pair) for pair in (split, split[::-1])):
            # «у быти», «открыла с», «рас решены» are no likelier than «убыти», «открылась» misspelt
            return split if self._likelier_apart(split, corrected) else None
        return split

    def _likelier_apart(self, split: tuple[str, str], corrected: str) -> bool:
        """Whether a function word of two letters or more and a known word, a space lost between them, are likelier
        in the language than a correction one edit away, each reading one edit (SymSpell's weighing of a split
        against a word: the two words' Zipf frequencies summed, less 9, against the word's; a word the frequency
        index lacks is one the language hardly uses: «отгибели» is «от гибели», not «отгибали»), by
        ``LIKELIER_APART_ZIPF``:
        a product of two frequencies is as high for two words that make no phrase («пактво» is «пактов», not «пакт
        во»). The language's frequencies alone, as ``_rare_word_split`` weighs."""
        if not any(self._function_word_beside(*pair) for pair in (split, split[::-1])):
            return False
        apart = self._language_usage(split[0]) + self._language_usage(split[1]) - 9
        return apart >= self.vocabulary.frequency(corrected) + LIKELIER_APART_ZIPF

    def _same_lemma(self, word: str, other: str) -> bool:
        """Whether two words are forms of one lemma («Европу», «Европа»): a run-on preposition, not another word."""
        morph = self.vocabulary.morph
        return morph.lemma(word).lemma == morph.lemma(other).lemma

    def _beside_a_function_word(self, function: str, other: str) -> bool:
        """A function word of two letters or more beside a known word of the corpus (or a form of its lemma)."""
        return self._function_word_beside(function, other) and self._word_of_a_pair(other) == "corpus"

    def _function_word_beside(self, function: str, other: str) -> bool:
        """A function word of two letters or more beside a known word."""
        return len(function) >= 2 and self._word_of_a_pair(function) == "function" and self.vocabulary.known(other)
