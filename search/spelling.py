"""The spelling step: typos towards the closest known word, real-word typos when the corpus then answers better.

:class:`SpellingStep` finds a typed word's candidates (the spelling index, one
or two edits, misspellings by ear), ranks them by the slips that make them
(:mod:`search.slips`), the corpus, the dictionary and the query's context, and
lets the fitted channel (:mod:`search.spelling_channel`) make the last pick. The
word boundaries (:mod:`search.boundaries`) are put right first.
"""

from __future__ import annotations

import functools
import heapq
import math
import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import cached_property
from typing import ClassVar

import numpy as np
from rapidfuzz.distance import OSA

from .analysis import normalize
from .boundaries import _TRIPLED, _VERB_FORMS, SPELLING, WordBoundaries
from .lang import CONSONANTS, INFINITIVE_GOVERNING_LEMMAS, INFINITIVE_GOVERNORS
from .morphology import Morphology
from .recent import Recent
from .results import Correction
from .rewrite import (
    _GLUED,
    _NUMBERED,
    _SENTENCE_EDGES,
    _SPACES_AND_GLUED_PUNCTUATION,
    _WORDS,
    Rewrite,
    RewriteStep,
    _as_typed,
    _map_words,
    _names,
)
from .scripts import _plain_readings
from .slips import _KEYBOARD, _slips, ear_slips, ear_variants, finger_slips, keyboard_cost, slip_cost
from .spelling_channel import SpellingChannel, default_channel
from .vocabulary import _CYRILLIC_WORD, LOOKUPS_KEPT, WORDS_KEPT, DeletionIndex, Vocabulary, _edits

__all__ = [
    "SpellingStep",
]


# A real-word typo is corrected only in a query whose best passage covers at most this share of it
# (IDF-weighted; the word nobody uses weighs most) and when the best passage of the corrected query
# covers at least the second: all of it. Measured on XQuAD's well-typed questions, where a looser
# rule (any gain) changed 70 of 1,190 questions, mostly paraphrases, and this one none.
REAL_WORD_MAX_COVERAGE = 0.5
_DOUBLED = re.compile(r"(.)\1+")
# What a letter too many that doubles no letter costs in the hand order (``SpellingStep._ranked``): ``slip_cost``'s
# far key (2), beside a neighbouring key too (0 in ``slip_cost``), so that a vowel heard wrong or a neighbour struck
# instead comes first. Lemma recovery (seeds 0–2) orthography XQuAD 0.9756 → 0.9770, RUTUBE 0.9286 → 0.9295; typo1
# XQuAD 0.9745 → 0.9751, RUTUBE 0.9383 → 0.9392; typo2 XQuAD 0.9425 → 0.9442; RUTUBE typo2 and spaces unchanged
# (as beside a neighbour 1, a neighbour struck's cost: orthography XQuAD 0.9759, RUTUBE unchanged).
STRAY_LETTER_COST = 2
# A verb form ending in «т» within this many words after a word that governs an infinitive
# (``lang.INFINITIVE_GOVERNORS``, ``lang.INFINITIVE_GOVERNING_LEMMAS``) is that infinitive with its «ь» left out
# («могу ли я включат»), unless it is a short participle («может быть принят»). Orthography lemma recovery (seeds
# 0–2) XQuAD 0.9770 → 0.9776, RUTUBE 0.9295 → 0.9347; typo2 RUTUBE 0.8875 → 0.8884; every other cell, held-out seed 7
# and the well-typed rewrites unchanged (with any form of «быть», «был принят» became принять: XQuAD's well-typed
# rewrites 5 → 10).
GOVERNED_WINDOW = 3
_CLAUSE_BREAK = re.compile(r"[,.!?;:()]")
# A word no known word is near, of at least this many letters, is read as misspelt by ear (``SpellingStep._heard``):
# at most this many misspellings by ear («сч» for «щ», a double letter single or a single doubled). Orthography lemma
# recovery (seeds 0–2) XQuAD 0.941 → 0.942, RUTUBE 0.895 → 0.897, judged 0.901 → 0.913; typo1/typo2 unchanged.
HEARD_MIN_LETTERS = 5
HEARD_MAX_SLIPS = 3
REAL_WORD_MIN_COVERAGE = 0.99
# ... or, short of that, when the language uses the corpus word this much more (Zipf: 10× per unit) than the
# real word typed and the corrected query's best passage covers more of it: a slip onto a rare word is the
# likelier story («краты» for «карты»). Measured on typo2 re-typings of XQuAD, RUTUBE and the judged set (two
# seeds): 1.0 recovers 0.853 → 0.862, 0.799 → 0.815, 0.868 → 0.880 and leaves XQuAD's well-typed 5 of 1,190, but
# rewrites RUTUBE's «стирается» (+1.3) and «роботы» (+1.9) as typed; 2.0 recovers 0.860, 0.815, 0.880 (a slip
# is about one word in a hundred) and rewrites RUTUBE's «мене» (менее, +2.3), not those.
REAL_WORD_ZIPF_GAIN = 2.0
# ... the corpus word's frequency being the language's or the corpus's own, less this (a help centre says «звонок»
# far more often than the language does; the corpus is a small sample, so its figure counts for less). Typo1 / typo2
# lemma recovery (seeds 0–2) XQuAD 0.968 / 0.925 → 0.969 / 0.926, RUTUBE 0.916 / 0.844 → 0.919 / 0.848, the judged
# set 0.956 / 0.892 → 0.956 / 0.896 (property test, 20 seeds, 0.876 → 0.880); held-out seeds 3–4 every cell up
# (judged typo2 0.893 → 0.899); well-typed rewrites unchanged. A discount of 1.0 gained less on every set; none (0)
# also rewrote RUTUBE's well-typed «стирается» (старается).
REAL_WORD_CORPUS_DISCOUNT = 0.5
# ... or this much more, when the two differ only in a final «ь»: the commonest misspelling by ear and a letter a
# finger drops too, so the likelier story sooner («дат» for «дать», +1.5; «ответь» for «ответ»). Lemma recovery
# (seeds 0–2) orthography XQuAD 0.9566 → 0.9594, RUTUBE 0.9127 → 0.9136, typo1 XQuAD 0.9714 → 0.9717; typo2 and
# spaces unchanged, the well-typed questions rewritten the same (5, 110). A verb's third person and its infinitive
# («удалит», «удалить») share a lemma and stay as typed (``_may_be_meant``).
SOFT_SIGN_ZIPF_GAIN = 1.0
# A real word one misspelling by ear from a word of the corpus the language uses this much more (Zipf) is read as that
# word when a passage then covers ``REAL_WORD_COVERED_GAIN`` more of the query (``SpellingStep._heard_better``:
# «кампания» компания, «шкала» школа, «стола» стала, each a form of a lemma the corpus uses). Orthography lemma
# recovery (seeds 0–2) XQuAD 0.9608 → 0.9658, every other cell and the well-typed rewrites (5, 110) unchanged; held-out
# seed 7 XQuAD orthography 0.9597 → 0.9630, typo1 0.9731 → 0.9739. The same for 0 and 0.5 (filtered by it before
# any coverage is looked up, well-typed questions are understood as fast as before: XQuAD p50 ~0.55 ms CPU);
# taken only with a passage covering all of the query, and no gain in frequency, 0.9611. For a real word of a lemma
# the corpus does not use as well («лиса» леса, «сити» сети, «дота» дата): XQuAD orthography 0.9658 → 0.9675.
HEARD_ZIPF_GAIN = 0.5
# A real word whose frequency is this (the spelling index holds none for it: the corpus never uses it, the language
# less than ``vocabulary.LANGUAGE_MIN_ZIPF``) is a form only the dictionary knows («балее», «весма», «даной»): heard
# wrong, it needs only some gain in coverage (``SpellingStep._real_words``), the corpus word still ``HEARD_ZIPF_GAIN``
# likelier (XQuAD's well-typed «норманский» stays: «норманнский» is no likelier).
UNUSED_WORD_ZIPF = 0.0
# ... or, when neither makes a correction, in a query whose best passage covers at most half of it, a corpus word one
# slip of the finger from the real word, which the language uses this much more (Zipf, as above), when a passage
# then covers ``REAL_WORD_SLIP_GAIN`` more of it (IDF-weighted): «сколько стан находится в бассейне» (стран), «что
# сало секретом роста» (стало). In XQuAD's and RUTUBE's typo2 re-typings (seeds 0–2) 5 of the 6 real words it
# would change became the word meant, and no well-typed question changed.
REAL_WORD_SLIP_ZIPF_GAIN = 0.5
REAL_WORD_SLIP_GAIN = 0.15
# ... and in a query whose best passage already covers over half of it, only when a passage then covers this much
# more of it (IDF-weighted): XQuAD's well-typed «делал вброса» gains 0.02 with «выброса», its re-typed real words
# 0.16–0.24 («люзей» → людей, «ерке» → реке).
REAL_WORD_COVERED_GAIN = 0.1
# Two verbs are an aspect pair (``_same_stem``), not a real-word typo of each other, only when they share a stem of
# at least this many letters.
SAME_STEM_MIN = 3
# A name this long two slips of the finger from a word of the corpus is searched alongside it (one slip for any):
# «Цранциии», «Полльш». Typo2 lemma recovery (two seeds) XQuAD 0.901 → 0.908, RUTUBE 0.839 → 0.840.
NAME_TWO_SLIPS = 6
# ... and a name this long one slip from a word of the dictionary («Респкблику»), searched alongside it.
NAME_DICTIONARY_SLIP = 6
# A corrected typo's alternatives weighed in the query's context (``SpellingStep._in_context``): how many of the
# likeliest, and what share of the query (IDF-weighted) the best passage must then cover for one to replace a
# closest word the documents never use; a closest word no slip of the finger makes needs only a gain.
CONTEXT_CANDIDATES = 4
# The fitted channel (``search.spelling_channel``) weighs the hand order's pick against at most this many of the
# typo's nearest candidates, besides the context's alternatives.
CHANNEL_CANDIDATES = 6
CONTEXT_MIN_COVERAGE = 0.99
# The corpus's Latin words (the most used) whose Cyrillic readings spelling knows as what people write of them.
LATIN_READINGS_WORDS = 5_000
# A word of at least this many letters that spelling cannot read is a reading of such a word two edits away (two
# slips in «рутубе»: «руутуб», «уртуб»): a shorter one is two edits from too much («утуб», «рууб»).
LATIN_TWO_EDITS_MIN_LETTERS = 5


class SpellingStep(RewriteStep):
    """Typos, towards the closest word of the corpus or the dictionary; real-word typos when they help.

    A word nobody knows is replaced by its closest known word: fewest edits
    first, then the corpus's own words, forms of its lemmas, other dictionary
    words, then substitutions on neighbouring keys, then the most frequent
    («дваждый» → дважды, «вазвращает» → возвращает), weighed then against
    the likeliest other slips in the query's context (``_in_context``). A dictionary word whose
    lemma the corpus never uses («чаге», «закат», «студя») is replaced by a
    corpus word one edit away (two beyond eight letters) only when the best
    passage then covers more of the query, IDF-weighted (``coverage``).
    """

    name: ClassVar[str] = SPELLING

    def __init__(
        self,
        vocabulary: Vocabulary,
        coverage: Callable[[str], float] | None = None,
        channel: SpellingChannel | None | bool = True,
    ) -> None:
        """``channel``: the fitted model that makes the last pick (``True``: the shipped one; ``None``: the hand
        order and the context alone)."""
        self.vocabulary = vocabulary
        self.coverage = coverage
        self.channel = default_channel() if channel is True else channel or None
        self._corrections: Recent[str | None] = Recent(WORDS_KEPT)
        self._real_candidates: Recent[dict[str, int]] = Recent(WORDS_KEPT)
        # A corrected word's candidates are read again for its alternatives (``_in_context``): found once.
        self._found_candidates: Recent[dict[str, int]] = Recent(WORDS_KEPT)
        self.boundaries = WordBoundaries(vocabulary, self.correct, self._latin_source)
        # The same rewritten texts are weighed by the context step, the channel and the real-word step in turn:
        # each text's coverage (a BM25 top-1) is looked up once.
        self._coverages: Recent[float] = Recent(LOOKUPS_KEPT)
        self._alternatives: Recent[list[str]] = Recent(LOOKUPS_KEPT)
        # A typo's nearest candidates, ranked when it is corrected, are where the channel's rivals begin.
        self._nearest: Recent[tuple[str, ...]] = Recent(WORDS_KEPT)

    def apply(self, text: str, keep: Collection[str] = (), boundaries: bool = True) -> Rewrite:
        """``keep``: words an earlier step wrote (normalized), which are what the user meant, not typos.
        ``boundaries``: the spaces are put right first (``WordBoundaries``)."""
        if boundaries:
            bounded = self.boundaries.apply(text, keep)
            if bounded.corrections:
                made = {w for c in bounded.corrections for w in c.replacement.split() if self.vocabulary.known(w)}
                rewrite = self.apply(bounded.text, {*keep, *made}, boundaries=False)
                return Rewrite(rewrite.text, bounded.corrections + rewrite.corrections, rewrite.alongside)
        names = _names(text)
        keep = {*keep, *names}
        alongside: dict[str, str] = {}
        # a word glued to a number or a Latin prefix (normalized) → its prefix as written («HD-»)
        glued = {normalize(m[0]): m[1] for m in map(_GLUED.fullmatch, _WORDS.findall(text)) if m is not None}

        def change(word: str, _: int, __: list[str]) -> str | None:
            if word in names:
                # A name is searched as typed and, alongside it, as the corpus spells it: «Мелфи» is the
                # paragraph's «Мельфи» in another transliteration, not a typo to overwrite.
                source = None if word in keep - names else self._latin_source(word, far=True)
                if source is not None:
                    # A brand the corpus writes in Latin, typed in Cyrillic with a capital («Рутуб», «Руутуб»):
                    # searched alongside as its reading and as the corpus writes it
                    reading, latin = source
                    alongside.update({word: reading, reading: latin})
                    return None
                found = None if word in keep - names else self._name(word)
                if found is not None:
                    alongside[word] = found
                return None
            if word in keep:
                return None
            if word in glued:
                # «2-очкоовой», «HD-каччестве»: the Russian word after a number or a Latin prefix is a word too
                prefix = glued[word]
                fixed = self.correct(word[len(prefix) :])
                return prefix + fixed if fixed is not None else None
            numbered = _NUMBERED.fullmatch(word) if word[-1].isdigit() else None
            if numbered is not None:
                # «кислороа-18», «интрнет2»: the word before the number is a word too, the number kept
                fixed = self.correct(numbered[1])
                return fixed + numbered[2] if fixed is not None else None
            source = self._latin_source(word, far=True)
            if source is not None:
                # «шортс» is the corpus's «shorts», not «шорты»: searched alongside it; «шорртс», one edit from
                # that reading, as the reading
                reading, latin = source
                alongside[reading] = latin
                return reading if reading != word else None
            return self.correct(word)

        # Words glued by punctuation («день.Подскажите», «аудио/музыкалльного») are corrected one by one: typo1 /
        # typo2 / orthography lemma recovery (seeds 0–2) RUTUBE 0.927 / 0.870 / 0.897 → 0.933 / 0.876 / 0.900,
        # XQuAD +1 / +1 / 0 of ~3,560; no well-typed question more rewritten.
        mapped = _map_words(text, self.name, change, _SENTENCE_EDGES, _SPACES_AND_GLUED_PUNCTUATION)
        rewrite = Rewrite(mapped.text, mapped.corrections, tuple(alongside.items()))
        if self.coverage is None:
            return rewrite
        rewrite = self._real_words(self._channel_pick(self._in_context(rewrite)), keep)
        joined = self.boundaries.join_in_context(rewrite.text, keep, self._covers)
        return Rewrite(joined.text, rewrite.corrections + joined.corrections, rewrite.alongside)

    def _name(self, word: str) -> str | None:
        """``_whole_name``, of the name before a number («Апллон-11», «Итернет2») and, failing that, of each part of a
        hyphenated name («Братяьь-мусульмане», «Сан-Мраркос»: names joined, each read as one). With the word before
        a number in ``apply`` («кислороа-18»): typo1 / typo2 / orthography lemma recovery (seeds 0–2) XQuAD 0.9717 /
        0.9377 / 0.9403 → 0.9725 / 0.9386 / 0.9415, RUTUBE and judged unchanged, no well-typed question rewritten."""
        numbered = _NUMBERED.fullmatch(word) if word[-1].isdigit() else None
        if numbered is not None:
            found = self._name(numbered[1])
            return found + numbered[2] if found is not None else None
        found = self._whole_name(word)
        if found is None and "-" in word:
            parts = word.split("-")
            read = [self._whole_name(part) if part else None for part in parts]
            if any(read):
                found = "-".join(new or part for new, part in zip(read, parts, strict=True))
        return found

    def _whole_name(self, word: str) -> str | None:
        """The corpus's own spelling of a capitalised word, its ending kept («Дьюар» and «дьюару» are one
        name in two cases, not a typo), or one misspelling by ear from a word of the corpus or a form of its lemma
        («Амазонеи»), before one slip of the finger as near from a word of the corpus or a form of its
        lemma anywhere («Ьронкос», «Мэннин»; two slips in a name of ``NAME_TWO_SLIPS`` letters or more), or one
        edit before its ending («Суперкуок», «Мэннингг»; «Ратцеля» and «ратцель» are the name in two cases); for a
        dictionary word the documents never use, a word of theirs one slip away («Теса»: тесла)."""
        found = self.correct(word)
        if not found:
            # A name that is a word of the dictionary the documents never use, one slip of the finger from one of
            # theirs: «Теса» is «Тесла», «Студи» the app «Студия». Searched alongside, as any name: typo2 lemma
            # recovery (two seeds) XQuAD 0.908 → 0.912, RUTUBE 0.840 → 0.844, judged unchanged.
            candidates = self._real_word_candidates(word)
            ranked = self._ranked(word, candidates)
            # ... one misspelling by ear first, as below («Партера»: портера, not партнера)
            heard = [c for c in ranked if ear_slips(word, c) == candidates[c] == 1]
            slips = [c for c in ranked if finger_slips(word, c) == candidates[c] == 1]
            return heard[0] if heard else slips[0] if slips else None
        # A name is written as heard (its spelling is what the user cannot know): among the nearest candidates, one
        # misspelling by ear onto a word of the corpus comes before a slip of the finger as near, searched alongside
        # («Амазонеи»: амазонии, not амазонки; «Додли»: дадли, not доли; «Щастливых»). Orthography lemma recovery
        # (seeds 0–2) XQuAD 0.9524 → 0.9549, RUTUBE 0.9074 → 0.9092; the price, names a finger slip made (a letter
        # left out: «Бронко» is бронкос, not бранко), typo1 XQuAD 0.9723 → 0.9714, typo2 0.9375 → 0.9369, RUTUBE
        # unchanged; judged and well-typed rewrites unchanged (alongside, never overwritten).
        nearest = self._nearest.get(word, lambda: tuple(self._ranked(word, self._candidates(word), first=1)))
        heard = [c for c in nearest if ear_slips(word, c) == 1 and self._in_corpus(c)]
        if heard:
            return heard[0]
        slips = _slips(word, found)
        if self._in_corpus(found) and OSA.distance(word, found) == slips <= (2 if len(word) >= NAME_TWO_SLIPS else 1):
            # One slip of the finger from the corpus's word, wherever it falls («Ьронкос», «Грэмим», «Мэннин»):
            # searched alongside, never overwritten. On XQuAD's questions re-typed with two typos (two seeds) the
            # rewritten queries keep every clean lemma in 0.862 → 0.888; clean paragraph Hit@1 stays 0.917.
            return found
        if len(word) >= NAME_DICTIONARY_SLIP and OSA.distance(word, found) == slips == 1:
            # A long capitalised word one slip of the finger from a word of the dictionary the documents do not use
            # («Респкблику», «Амаззонки», «Лос-Анджелесс»): searched alongside it too. Typo1 / typo2 lemma recovery
            # (seeds 0–2) XQuAD 0.964 → 0.968 / 0.919 → 0.925, RUTUBE 0.914 → 0.916 / 0.841 → 0.844, the judged set
            # unchanged; from 8 letters 0.925 / 0.841, from 4 as from 6. Alongside, never overwritten: no well-typed
            # question is rewritten.
            return found
        if found[0] != word[0]:
            return None
        if found[-2:] == word[-2:] and found in self.vocabulary.counts:
            return found
        if self._in_corpus(found) and OSA.distance(word, found) == 1:
            start = len(os.path.commonprefix([word, found]))
            doubled = len(word) == len(found) + 1 and word[start] == word[start - 1]
            if doubled or start < min(len(word), len(found)) - 2:
                return found
        return None

    @cached_property
    def _latin_readings(self) -> tuple[DeletionIndex, dict[str, str]]:
        """The Cyrillic readings of the corpus's most used Latin words (``_plain_readings``), each to its word,
        and a deletion index over them: what people write of a brand the documents spell in Latin («шортс»)."""
        counts = self.vocabulary.counts
        latin = [w for w in counts if len(w) >= 4 and w.isascii() and w.isalpha()]
        latin = heapq.nlargest(LATIN_READINGS_WORDS, latin, key=lambda w: (counts[w], w))
        sources: dict[str, str] = {}
        for word in latin:
            for reading in _plain_readings(word, 4):
                sources.setdefault(reading, word)
        return DeletionIndex(sorted(sources), max_distance=2), sources

    def _latin_source(self, word: str, far: bool = False) -> tuple[str, str] | None:
        """The reading and the Latin word of the corpus an unknown word reads as: one of its readings, or one
        edit from one (a letter cut or a case ending: «рутуб», «рутуба»; a typo: «шорртс») unless the word's
        correction is a word of the corpus as near («стандар» is «стандарт», not «standard»); with ``far``, two
        edits from one when spelling finds no word near it (``LATIN_TWO_EDITS_MIN_LETTERS``): a word of the query,
        not the pieces the word boundaries try, each of which would cost a correction."""
        if len(word) < 4 or not _CYRILLIC_WORD.fullmatch(word) or self.vocabulary.known(word):
            return None
        if self.vocabulary.lemma_in_corpus(word):
            return None  # «селлеру»: a form of the corpus's own «селлер»
        index, sources = self._latin_readings
        found = sorted(index.lookup(word, 1), key=lambda item: (item[1], item[0]))
        if far and not found and len(word) >= LATIN_TWO_EDITS_MIN_LETTERS and self.correct(word) is None:
            # Two edits from the readings of one Latin word alone, for a word no known word is near
            found = sorted(index.lookup(word, 2), key=lambda item: (item[1], item[0]))
            if len({sources[reading] for reading, _ in found}) > 1:
                return None  # «гутуба»: RUTUBE or YouTube
        if not found:
            return None
        reading, distance = found[0]
        if distance:
            correction = self.correct(word)
            near = correction is not None and OSA.distance(word, correction) <= distance
            if near and (self._in_corpus(correction) or sources.get(correction) == sources[reading]):
                return None  # the corpus's word, or the brand's own reading («андраид» is «андроид»)
        return reading, sources[reading]

    def correct(self, word: str) -> str | None:
        """The closest known word for a word neither the corpus nor the dictionary knows."""
        if not _CYRILLIC_WORD.fullmatch(word) or len(word) < 3 or self.vocabulary.known(word):
            return None
        return self._corrections.get(word, lambda: self._correct(word))  # the same typos come back

    def _correct(self, word: str) -> str | None:
        if self.vocabulary.lemma_in_corpus(word):
            # «Гобсона»: a name the corpus has in another case; but a word the parser only guesses a lemma of
            # («статя»: стать, «большоя»: большой) may be a word of the corpus misspelt once by ear
            return self._heard_once(word)
        if "-" in word and all(self.vocabulary.known(part) for part in word.split("-") if part):
            return None  # «интернет-кампании»: known words joined, not a typo of the corpus's «интернет-компании»
        candidates = self._candidates(word)
        ranked = self._ranked(word, candidates, first=1)  # only the best is read
        self._nearest.get(word, lambda: tuple(ranked))  # all of the nearest distance, for the channel
        nearest = ranked[0] if ranked and candidates[ranked[0]] == 1 else None
        if nearest is not None and (
            _slips(word, nearest) > 1
            or (ear_slips(word, nearest) > 1 and not self._in_corpus_or_function_word(nearest))
        ):
            # One edit no slip explains, against a word of the corpus two misspellings by ear away: the second
            # («заказот» is «заказать», not «заказов» with a far key struck). So too one slip of the finger, no
            # misspelling by ear, onto a word the documents never use («можить» is «может», not «пожить»;
            # «працинт» «процент», not «пациент»); one by ear stays («нарманский»: норманский, not норманнский).
            heard = {c: d for c, d in candidates.items() if d == 2 and ear_slips(word, c) <= 2 and self._in_corpus(c)}
            ranked = self._ranked(word, heard)[:1] or ranked
        squeezed = _TRIPLED.sub(r"\1", word)  # «рррецепт»: no Russian word has a letter three times in a row
        if not ranked and squeezed != word:
            return squeezed if self.vocabulary.known(squeezed) else self._correct(squeezed)
        if ranked and self.vocabulary.corpus_has_prefix(word) and not self._in_corpus(ranked[0]):
            return None  # «родофит» (the corpus has «родофиты»): a term, not a typo of the dictionary's «родовит»
        if not ranked and "-" in word:
            return self._correct_parts(word)
        if not ranked and len(word) >= HEARD_MIN_LETTERS:
            return self._heard(word)
        return ranked[0] if ranked else None

    def _heard_once(self, word: str) -> str | None:
        """The word of the corpus one misspelling by ear makes ``word`` of («статя»: статья, «большоя»: большая),
        for an unknown word whose lemma the parser guesses is the corpus's. Orthography lemma recovery (seeds 0–2)
        XQuAD 0.9594 → 0.9602, every other cell and the well-typed rewrites unchanged (without the check of the
        lemma, RUTUBE's well-typed «физлица» became физлицо)."""
        candidates = {
            c: 1
            for c, _ in self.vocabulary.spelling_index.lookup(word, 1)
            if c in self.vocabulary.counts and ear_slips(word, c) == 1
        }
        ranked = self._ranked(word, candidates)
        if not ranked:
            return None
        # Another form of the lemma guessed is that lemma searched already, and often the word as written («физлица»)
        morph = self.vocabulary.morph
        return ranked[0] if morph.lemma(ranked[0]).lemma != morph.lemma(word).lemma else None

    def _heard(self, word: str) -> str | None:
        """A word no known word is near, as misspelt by ear more than twice: its doubled letters single, and «сч»
        read as «щ» (or back) or any one letter heard wrong undone (``ear_variants``), then one edit from there,
        when misspellings by ear alone make the typed word of the candidate («изменяюсчегосся» → изменяющегося,
        «обсчественых» → общественных, «каналла» → канала, «вереффикацыю» → верификацию). The misspelling by ear
        undone: orthography lemma recovery (seeds 0–2) RUTUBE 0.9162 → 0.9197, every other cell, held-out seed 7 and
        the well-typed rewrites unchanged; a few dozen look-ups, for a word nothing else is near."""
        single = _DOUBLED.sub(r"\1", word)
        # (a letter heard wrong: the variants of the same length, a few look-ups)
        heard = sorted(v for v in ear_variants(single) if len(v) == len(single))
        variants = dict.fromkeys(v for v in (single, *_hushed(single), *heard) if v != word)
        candidates: dict[str, int] = {}
        for variant in variants:
            for candidate, _ in self.vocabulary.spelling_index.lookup(variant, 1):
                slips = ear_slips(word, candidate)
                if slips <= HEARD_MAX_SLIPS and self._in_corpus(candidate):
                    candidates[candidate] = min(slips, candidates.get(candidate, slips))
        ranked = self._ranked(word, candidates, first=1)
        return ranked[0] if ranked else None

    def _correct_parts(self, word: str) -> str | None:
        """A hyphenated word no known word is near, its parts corrected one by one («по-аеглийскр» →
        по-английски): each part is a word of its own, and a typo lands in one of them."""
        parts = word.split("-")
        if parts[0] == "по" and len(parts) == 2 and self.vocabulary.known(parts[1] + "й"):
            return None  # «по-голландски»: an adverb of an adjective the dictionary knows, not a typo of one
        fixed = [part if not part or self.vocabulary.known(part) else self.correct(part) for part in parts]
        if any(part is None for part in fixed):
            return None
        return "-".join(part for part in fixed if part is not None)

    def _candidates(self, word: str) -> dict[str, int]:
        """The known words a typo may stand for, with their distances (see ``_correct``): a copy, the caller's."""
        return dict(self._found_candidates.get(word, lambda: self._find_candidates(word)))

    def _find_candidates(self, word: str) -> dict[str, int]:
        limit = 1 if len(word) <= 5 else 2
        # Two edits from a word of the language the corpus does not use, only as two slips of the finger: an
        # unknown word two edits from a frequent one is as often another word («промокод» is no «протокол»).
        # (The slips are counted before a word the corpus may use in another form is parsed: a parse costs more.)
        counts = self.vocabulary.counts
        candidates = {
            candidate: distance
            for candidate, distance in self.vocabulary.spelling_index.lookup(word, limit)
            if distance < 2 or candidate in counts or _slips(word, candidate, 2) <= 2 or self._in_corpus(candidate)
        }
        # The dictionary's words one edit away, corpus or not; none starts past the typed word's longest
        # beginning that begins a dictionary word, so the edits further on are never probed.
        morph = self.vocabulary.morph
        edits = [e for e in _edits(word, morph.dictionary_reach(word)) if e not in candidates and len(e) > 2]
        # «щ» for «сч» and back is one misspelling by ear, two edits: one edit away here («щет» → счет).
        hushed = _hushed(word)
        edits += [e for e in hushed if e not in candidates]
        for edit in morph.dictionary_words(edits):
            candidates.setdefault(edit, 1)
        for edit in hushed:
            if edit in candidates:
                # ... and so when the look-up found it two edits away (a typed word of six letters or more:
                # «помосчью» is «помощью», not «помочью» a letter too many)
                candidates[edit] = 1
        for variant in hushed:
            # ... and one more misspelling by ear from there is two («щитают» is «считают», not «читать»)
            for candidate, distance in self.vocabulary.spelling_index.lookup(variant, 1):
                if distance and ear_slips(word, candidate) <= 2:
                    candidates[candidate] = min(candidates.get(candidate, 2), 2)
        if len(word) == 3:
            # A three-letter nonword is one edit from almost anything, and most often a four-letter word with
            # a letter dropped («еть», «деь»): only the corpus's words and the language's function words of four
            # letters are meant. A jargon abbreviation («фбо», «апи») is no word with a letter dropped.
            morph = self.vocabulary.morph
            candidates = {
                c: d
                for c, d in candidates.items()
                if d == 1 and len(c) == 4 and (self._in_corpus(c) or morph.is_function_word(c))
            }
        if not candidates and 4 <= len(word) <= 5:
            # Two slips in a short word («адрре», «слсо»): only the corpus's own words two edits away.
            candidates = {c: d for c, d in self.vocabulary.spelling_index.lookup(word, 2) if self._in_corpus(c)}
        return candidates

    def alternatives(self, word: str, chosen: str) -> list[str]:
        """Other words a corrected typo may stand for, likeliest first: the candidates ``correct`` ranked below
        ``chosen`` and the corpus's words two slips away (a short word's two slips make a word one edit from
        something else: «сещо» is «село» one edit away, «вещь» two), at most ``CONTEXT_CANDIDATES``. The context
        step and the channel both ask: found once."""
        return list(self._alternatives.get((word, chosen), lambda: self._find_alternatives(word, chosen)))

    def _find_alternatives(self, word: str, chosen: str) -> list[str]:
        candidates = self._candidates(word)
        if len(word) >= 4:
            candidates.update(self.vocabulary.spelling_index.lookup(word, 2))
        # Two slips or fewer first: a restricted distance that stops early, where a word outside the corpus's
        # own is parsed to find its lemma; most of the look-up's words are neither.
        candidates = {
            c: d for c, d in candidates.items() if c != chosen and finger_slips(word, c, 2) <= 2 and self._in_corpus(c)
        }
        return self._ranked(word, candidates, first=CONTEXT_CANDIDATES)[:CONTEXT_CANDIDATES]

    def _in_context(self, rewrite: Rewrite) -> Rewrite:
        """A noisy-channel choice with the corpus as the language model. A correction that is a slip of the
        finger onto a word the documents use stands. Otherwise its alternatives (likeliest slip first) are
        weighed by how much of the query the best passage then covers (IDF-weighted): the first that makes it
        cover all of the query replaces a closest word the documents never use («вит» for «вйит»: «войти»),
        and the first that covers more replaces a closest word no slip makes («операцию» for «одеацию», a far
        key struck: «модерацию», two letters left out). A word the documents never use and no passage would
        cover with another stays: the question may be about something else («ипоетку» is «ипотеку»)."""
        assert self.coverage is not None
        typos = [c for c in rewrite.corrections if c.step == self.name]
        if not typos:
            return rewrite
        text, corrections = rewrite.text, list(rewrite.corrections)
        baseline: float | None = None
        for correction in typos:
            chosen, typed = correction.replacement, normalize(correction.original)
            if not _CYRILLIC_WORD.fullmatch(typed):
                continue  # a word glued to a number or a Latin prefix: corrected alone, its context unread
            distance = OSA.distance(typed, chosen)
            fingers = finger_slips(typed, chosen) <= distance
            slip = fingers or ear_slips(typed, chosen) <= distance
            tie = slip and (self._in_corpus(chosen) or self.vocabulary.morph.is_function_word(chosen))
            if tie:
                # A slip onto a word the documents use (function words are never indexed) stands against any
                # other but a slip as likely onto another of their words, which the context then decides: «правиа»
                # is «правила» in a question about rules, not «права». It must then cover all of the query: typo2
                # (two seeds) XQuAD 0.900 → 0.901, RUTUBE 0.839 unchanged, judged (20 seeds) 0.873 → 0.875; any
                # gain instead gave XQuAD 0.906 but RUTUBE 0.832. The equal slips are among the typo's own
                # candidates, found already: no further look-up.
                candidates = self._candidates(typed)
                equal = {
                    c: d
                    for c, d in candidates.items()
                    if c != chosen
                    and self._in_corpus(c)
                    and OSA.distance(typed, c) == distance
                    and _slips(typed, c) <= distance
                }
                options = self._ranked(typed, equal)[:CONTEXT_CANDIDATES]
            else:
                options = self.alternatives(typed, chosen)
            heard = distance == 2 and ear_slips(typed, chosen) <= 2 and self._in_corpus(chosen)
            # (misspelt by ear onto a word of the corpus: «заказот» is «заказать», «зонаво» «заново»)
            split = None if heard else self.boundaries.context_split(typed, distance)
            if split is not None:
                # A preposition run onto a word of the corpus is one edit too: the context weighs it first.
                options = [" ".join(split), *options]
            if not options:
                continue
            if baseline is None:
                baseline = self._covers(text)
            best, best_share = correction.replacement, baseline
            for option in options:
                share = self._covers(_replace_word(text, correction.replacement, option))
                # A misspelling by ear against a slip of the finger as near, either way: the context decides, any
                # gain («таторы»: татары by ear, статоры a letter left out; «переод»: перевод a letter left out,
                # период by ear). The second way: orthography lemma recovery (seeds 0–2) XQuAD 0.9493 → 0.9524,
                # RUTUBE 0.9056 → 0.9074; typo2 XQuAD 0.9380 → 0.9375 («превел»: привел, not перевел), RUTUBE,
                # spaces and typo1 unchanged; judged set and well-typed rewrites unchanged.
                by_finger = finger_slips(typed, option) <= distance
                even = by_finger != fingers and (by_finger or ear_slips(typed, option) <= distance)
                # The first way, only for a letter left out (the commonest slip of the finger): a pick heard
                # wrong lost to any other slip the passage covers more with («мажно»: важно, «нописал»: описал,
                # «подключеть»: подключать), but kept against a letter dropped («таторы»: статоры). Orthography
                # lemma recovery (seeds 0–2) XQuAD 0.9557 → 0.9566, RUTUBE 0.9092 → 0.9127; typo1, typo2, spaces
                # and well-typed rewrites unchanged (held-out seed 7: every cell unchanged).
                even = even and (not by_finger or len(option) > len(typed))
                # A split against a correction two edits away is the nearer reading: any gain.
                nearer = distance == 2 and split is not None and option == options[0]
                if (share > best_share or nearer and share == best_share) and (
                    share >= CONTEXT_MIN_COVERAGE or not slip or even or nearer
                ):
                    best, best_share = option, share
                    if not tie:
                        break  # the likeliest slip that fits the context; among equal slips, the best fit
            if best != correction.replacement:
                text = _replace_word(text, correction.replacement, best)
                corrections[corrections.index(correction)] = Correction(self.name, correction.original, best)
                baseline = best_share
        return Rewrite(text, tuple(corrections), rewrite.alongside)

    def channel_groups(
        self, rewrite: Rewrite, channel: SpellingChannel | None = None
    ) -> list[tuple[Correction, list[str], np.ndarray]]:
        """For each typo the step corrected word for word, the candidates the fitted channel weighs (the pick
        first) and their features (``channel_features``), read in the rewritten query. With ``channel``, a rival
        the model could not take whatever the best passage covers with it is left out before its coverage is
        looked up (a BM25 top-1 each): the same pick, fewer look-ups."""
        assert self.coverage is not None
        groups = []
        baseline: float | None = None
        is_function_word = self.vocabulary.morph.is_function_word
        for correction in rewrite.corrections:
            if correction.step != self.name:
                continue
            typed, chosen = normalize(correction.original), correction.replacement
            if not _CYRILLIC_WORD.fullmatch(typed) or "-" in typed or not _CYRILLIC_WORD.fullmatch(chosen):
                continue  # boundaries, hyphenated parts
            if self.correct(typed) is None or self._latin_source(typed) is not None:
                continue  # a real word (``_real_words`` decides it) or a reading of a Latin brand
            if _one_letter_doubled(typed, chosen):
                # A pick the typed word is with one letter doubled stands: a finger strikes a key twice as often as
                # it leaves one out or swaps two, and the ear doubles a consonant too («гоода» is «года», not the
                # rival «города» a passage covers better). Of the channel's replacements of such a pick on XQuAD /
                # RUTUBE re-typings (typo1, typo2, orthography; seeds 0–1) 20 were wrong, 4 right.
                continue
            candidates = self._candidates(typed)
            # ``_ranked(typed, candidates, first=CHANNEL_CANDIDATES)``, the nearest distance as ``_correct`` ranked it
            rank = functools.partial(self._ranked, typed, candidates, first=1)
            nearest = list(self._nearest.get(typed, lambda rank=rank: tuple(rank())))
            if nearest and len(nearest) < CHANNEL_CANDIDATES:
                further = {c: d for c, d in candidates.items() if d > candidates[nearest[0]]}
                nearest += self._ranked(typed, further, first=CHANNEL_CANDIDATES - len(nearest))
            nearest = nearest[:CHANNEL_CANDIDATES]
            pool = list(dict.fromkeys([chosen, *nearest, *self.alternatives(typed, chosen)]))
            if not is_function_word(chosen):
                # A function word is never indexed: a rival that is one takes its word out of the query, so a
                # passage covers more of what is left whatever was meant («в 2009 огда» is года, not когда; «две
                # неели» недели, not нежели). It stays a rival only when the typed word holds all its letters and
                # more (a key struck twice: «зачеем», «соссбой»), the slips then speaking for it. Typo2 lemma
                # recovery (seeds 0–2) XQuAD 0.9403 → 0.9411, RUTUBE 0.8857 → 0.8875, typo1 XQuAD 0.9734 → 0.9737;
                # any function word left out instead lost «зачеем», «соссбой», «наад» (orthography, typo1, spaces).
                pool = [chosen, *(c for c in pool[1:] if len(c) < len(typed) or not is_function_word(c))]
            if len(pool) < 2:
                continue
            distances = {c: candidates.get(c) or OSA.distance(typed, c) for c in pool}
            order = {c: rank for rank, c in enumerate(self._ranked(typed, distances))}
            if baseline is None:
                baseline = self._covers(rewrite.text)
            features = [self.channel_features(typed, c, distances[c], order[c], baseline, 0.0) for c in pool]
            if channel is not None:
                # The model is linear in the coverage, but for the step at CONTEXT_MIN_COVERAGE: its best case is
                # at one of these shares.
                cases = (0.0, math.nextafter(CONTEXT_MIN_COVERAGE, 0.0), CONTEXT_MIN_COVERAGE, 1.0)
                variants = [_with_share(row, share, baseline) for row in features[1:] for share in cases]
                possible = channel.could_take(features[0], variants)
                kept = [0, *(i for i in range(1, len(pool)) if any(possible[(i - 1) * len(cases) : i * len(cases)]))]
                if len(kept) < 2:
                    continue
                pool, features = [pool[i] for i in kept], [features[i] for i in kept]
            rows = np.asarray(features, dtype=float)
            for i, c in enumerate(pool[1:], 1):
                rows[i] = _with_share(rows[i], self._covers(_replace_word(rewrite.text, chosen, c)), baseline)
            groups.append((correction, pool, rows))
        return groups

    def channel_features(
        self, typed: str, candidate: str, distance: int, rank: int, share: float, gain: float
    ) -> list[float]:
        """What the fitted channel reads of a candidate (``search.spelling_channel.CHANNEL_FEATURES``)."""
        vocabulary = self.vocabulary
        count = vocabulary.counts.get(candidate, 0)
        lemma_in_corpus = not count and vocabulary.lemma_in_corpus(candidate)
        language = vocabulary.frequency(candidate)
        return [
            float(distance),
            float(bool(count)),
            float(lemma_in_corpus),
            float(not count and not lemma_in_corpus),
            float(vocabulary.morph.is_function_word(candidate)),
            float(_slips(typed, candidate, distance) > distance),
            float(ear_slips(typed, candidate) <= distance),
            float(candidate[0] != typed[0] and not _first_two_swapped(typed, candidate)),
            float(slip_cost(typed, candidate)),
            float(keyboard_cost(typed, candidate)),
            float(len(candidate) - len(typed)),
            vocabulary.corpus_frequency(candidate),
            language,
            float(language == 0),
            math.log1p(rank),
            share,
            gain,
            float(share >= CONTEXT_MIN_COVERAGE),
        ]

    def _channel_pick(self, rewrite: Rewrite) -> Rewrite:
        """The fitted channel's last word on each typo (``search.spelling_channel``): a rival replaces the hand
        order's pick when the model finds it likely enough to be the word meant, and the pick not."""
        if self.channel is None:
            return rewrite
        text, corrections = rewrite.text, list(rewrite.corrections)
        for correction, pool, rows in self.channel_groups(rewrite, self.channel):
            best = pool[self.channel.pick(rows)]
            if best != correction.replacement:
                text = _replace_word(text, correction.replacement, best)
                corrections[corrections.index(correction)] = Correction(self.name, correction.original, best)
        return Rewrite(text, tuple(corrections), rewrite.alongside)

    def _covers(self, text: str) -> float:
        assert self.coverage is not None
        coverage = self.coverage
        return self._coverages.get(text, lambda: coverage(text))

    def _in_corpus(self, word: str) -> bool:
        return word in self.vocabulary.counts or self.vocabulary.lemma_in_corpus(word)

    def _in_corpus_or_function_word(self, word: str) -> bool:
        """A word the documents use, or a function word (never indexed, the language's most frequent)."""
        return self._in_corpus(word) or self.vocabulary.morph.is_function_word(word)

    def _ranked(self, word: str, candidates: Mapping[str, int], first: int | None = None) -> list[str]:
        """``candidates`` best first; with ``first``, only the nearest distances that hold that many are ranked
        (distance leads the order, and ranking a candidate may parse it)."""
        if first is not None:
            ranked: list[str] = []
            for distance in sorted(set(candidates.values())):
                if len(ranked) >= first:
                    break
                ranked += self._ranked(word, {c: d for c, d in candidates.items() if d == distance})
            return ranked
        counts = self.vocabulary.counts

        frequency = self.vocabulary.frequency
        hushed = set(_hushed(word))

        def key(candidate: str) -> tuple[int, bool, bool, bool, bool, int, bool, int, bool, int, float, str]:
            count = counts.get(candidate, 0)
            # The corpus's own words, then forms of its lemmas, then the dictionary's: «двойнае» is the
            # documents' «двойное», not the comparative «двойнее» a neighbouring key away (а/о is a slip
            # of the ear, not of the finger), and only the corpus's words can be found.
            # Function words are never indexed, so never in the corpus, yet the language's most frequent.
            tier = 0 if count else 1 if self.vocabulary.lemma_in_corpus(candidate) else 2
            if tier == 2 and not self.vocabulary.morph.is_function_word(candidate) and not frequency(candidate):
                tier = 3  # without frequencies, a function word first: the language's most frequent words
            # People rarely miss the first letter: «сколко» is «сколько», not «колко».
            first = candidate[0] != word[0] and not _first_two_swapped(word, candidate)
            # Then the likelier slip, the corpus's more frequent word, the language's more frequent word.
            # A misspelling by ear is as likely as a letter left out («счеть» is «счет», not «сеть»).
            slip = slip_cost(word, candidate)
            if _stray_letter(word, candidate):
                # A letter too many that doubles none needs two keys struck at once, even beside its neighbour: no
                # likelier than a key far from the meant one («перивел» is «перевел» heard wrong, not «привел» with
                # a stray «е»; «послол» is «послал», not «посол»)
                slip = STRAY_LETTER_COST
            heard = ear_slips(word, candidate) <= candidates[candidate]
            if heard:
                slip = min(slip, 1)
            distance = candidates[candidate]
            # Among the corpus's words and forms of its lemmas, those a slip of the finger makes the typo of come
            # first (a noisy channel: «осталгсь» is the form «осталось», a neighbouring key struck, not the
            # corpus's «остались», a far one), and so do unstressed vowels heard wrong («двойнае»). On typo2
            # re-typings (two seeds) lemma recovery 0.896 → 0.899 (XQuAD), 0.880 → 0.886 (judged), 0.822 → 0.825
            # (RUTUBE); typo1 0.955 → 0.956, 0.952 = 0.952, 0.906 → 0.913.
            unslipped = _slips(word, candidate, distance) > distance  # the count stops past ``distance``
            # Among slips as likely, a soft sign written or left out as heard comes first: both stories make it,
            # and the finger's alone is rarer («счеть» is «счет», before the corpus's more frequent «сеть», a letter
            # too many). A double letter single is no such evidence: a finger drops or doubles a key as often.
            soft = heard and candidate.replace("ь", "") == word.replace("ь", "")
            # A final «ь», before the corpus's own words and the forms of its lemmas alike («оформилас» is the form
            # «оформилась», not the corpus's «оформила» with a stray «с»; «идеть» is «идет», not «видеть»); one
            # inside a word only after them («списане» is the corpus's «списание», not the dictionary's «списанье»).
            # Orthography lemma recovery (seeds 0–2) RUTUBE 0.9145 → 0.9162, typo1 XQuAD 0.9717 → 0.9720, every
            # other cell and the well-typed rewrites unchanged; held-out seed 7 typo1 XQuAD 0.9731 → 0.9723 («отдаляс»,
            # «отдался» with two letters swapped, now the gerund «отдалясь»), the rest unchanged.
            final_soft = _final_soft_sign(word, candidate)
            # «сч» written for «щ» or back, which no one slip of the finger makes, comes before the corpus's own
            # words and the forms of its lemmas alike («весчь» is «вещь», not the corpus's «весь» with a stray «ч»;
            # «помосчь» is «помощь», not «помочь»). Orthography lemma recovery (seeds 0–2) RUTUBE 0.9136 → 0.9145,
            # every other cell and the well-typed rewrites unchanged.
            unhushed = candidate not in hushed
            return (
                distance,
                tier > 1,
                unslipped,
                unhushed,
                not final_soft,
                tier,
                first,
                slip,
                not soft,
                -count,
                -frequency(candidate),
                candidate,
            )

        return sorted(candidates, key=key)

    def _real_words(self, rewrite: Rewrite, keep: Collection[str]) -> Rewrite:
        assert self.coverage is not None
        morph = self.vocabulary.morph
        corrections = list(rewrite.corrections)
        text = rewrite.text
        baseline: float | None = None
        normalized = normalize(text)
        governed = _governed_infinitives(normalized, morph)
        for word in dict.fromkeys(_CYRILLIC_WORD.findall(normalized)):
            if word in keep:
                continue
            if word in governed and self._in_corpus(word + "ь") and (original := _typed_form(text, word)):
                # a verb form right after a word that governs an infinitive, one final «ь» heard wrong from the
                # infinitive («могу получат»: получать; «стала включат»: включать)
                text = _replace_word(text, word, word + "ь")
                corrections.append(Correction(self.name, original, word + "ь"))
                baseline = None
                continue
            candidates = self._real_word_candidates(word)
            if not candidates:
                continue
            lemma = morph.lemma(word)
            if baseline is None:
                baseline = self._covers(text)
            # A query whose best passage already speaks of most of it keeps its real words, but for a slip onto a
            # rare word that makes a passage cover all of it («вывод средств крата»: карта, +4.5 Zipf), or
            # ``REAL_WORD_COVERED_GAIN`` more of it («голосовом мерю»: меню). The first, on typo2
            # re-typings (two seeds) lemma recovery XQuAD 0.898 → 0.900, RUTUBE 0.839 unchanged, the property test's
            # judged queries over 20 seeds 0.870 → 0.873; the well-typed questions rewritten unchanged (5, 117, 22).
            covered = baseline > REAL_WORD_MAX_COVERAGE
            # A real-word typo keeps its place in the sentence: «в чаге» (a noun) is «в чате», not «в чаще». But a
            # form the language never uses (``UNUSED_WORD_ZIPF``: the dictionary's «балее», «весма») has no place
            # worth keeping: misspelt by ear, the corpus's word it is heard as comes first, and any gain takes it.
            unused = self.vocabulary.frequency(word) <= UNUSED_WORD_ZIPF
            ranked = sorted(
                self._ranked(word, candidates),
                key=lambda c: (
                    candidates[c],
                    _first_key_struck(word, c),
                    not (unused and ear_slips(word, c) == 1),
                    morph.lemma(c).pos != lemma.pos,
                ),
            )
            margin = REAL_WORD_COVERED_GAIN if covered else 0.0
            best, best_coverage = None, 0.0
            # A real word one misspelling by ear from a word of the corpus («лиса» for леса, «шкала» for школа) is
            # that word when a passage covers more of the query with it (``_heard_better``); a form of a lemma the
            # corpus uses, searched already, only then (its candidates: ``_heard_candidates``).
            searched = lemma.lemma in self.vocabulary.corpus_lemmas
            for candidate in ranked[:3]:
                if best is not None and _first_key_struck(word, candidate):
                    break  # the first letter struck wrong: only when nothing likelier corrects the word
                by_ear = not _final_soft_sign(word, candidate) and ear_slips(word, candidate) == 1
                if by_ear:
                    share = self._covers(_replace_word(text, word, candidate))
                    least = 0.0 if unused else REAL_WORD_COVERED_GAIN
                    if share > best_coverage and self._heard_better(word, candidate, share - baseline, least):
                        best, best_coverage = candidate, share
                        continue
                    if searched:
                        continue
                # ... or for a real word one slip of the finger from a corpus word the language uses no more, when a
                # passage then covers all of the query («экономического роса»: роста, a letter left out; «по духу
                # студенток»: студентов, a neighbouring key). Typo2 lemma recovery (seeds 0–2) XQuAD 0.9375 → 0.9383,
                # every other cell and the well-typed rewrites unchanged; held-out seed 7 typo1 0.9731 → 0.9739,
                # orthography 0.9571 → 0.9580. One misspelling by ear as well («мишкам» for мешкам): orthography XQuAD
                # +1 of 3,570 (seeds 0–2), the rest unchanged.
                if (
                    covered
                    and not self._likelier(candidate, word)
                    and finger_slips(word, candidate, 1) > 1
                    and not by_ear
                ):
                    continue
                share = self._covers(_replace_word(text, word, candidate))
                # A final «ь» onto a word the language uses ``SOFT_SIGN_ZIPF_GAIN`` more, the ear's commonest slip,
                # needs no margin in a covered query («какая част записи»: часть, +0.096; «можно дат роль»: дать).
                soft = _final_soft_sign(word, candidate)
                likelier = self._likelier(candidate, word) and share > baseline + (0.0 if soft else margin)
                if (share >= REAL_WORD_MIN_COVERAGE or likelier) and share > best_coverage:
                    best, best_coverage = candidate, share
            if best is None and not covered:
                best, best_coverage = self._slipped_onto(text, word, ranked, baseline)
            # a word the text holds only split as typed («включа́т»: a stress mark inside) has no whole word to replace
            if best is not None and (original := _typed_form(text, word)):
                text = _replace_word(text, word, best)
                corrections.append(Correction(self.name, original, best))
                baseline = best_coverage
        return Rewrite(text, tuple(corrections), rewrite.alongside)

    def _heard_better(self, word: str, candidate: str, gain: float, least: float = REAL_WORD_COVERED_GAIN) -> bool:
        """Whether a real word is ``candidate`` heard wrong: with it the best passage
        covers ``gain`` more of the query (IDF-weighted), over ``least``, and the language uses it
        ``HEARD_ZIPF_GAIN`` more (a slip onto a rarer word is the likelier story). A gain of 0.05 rewrote XQuAD's
        well-typed «Что измеряет шкала ИВК?» (школа)."""
        return gain > least and self._likelier(candidate, word, HEARD_ZIPF_GAIN)

    def _likelier(self, candidate: str, word: str, gain: float = REAL_WORD_ZIPF_GAIN) -> bool:
        """Whether the language (or the corpus) uses ``candidate`` so much more than the real word typed that a slip
        onto the typed word is the likelier story (a noisy channel: a slip is about one in ``10 **
        REAL_WORD_ZIPF_GAIN`` words): «краты» for «карты», «мору» for «могу», not «меру» for «мору»."""
        frequency = self.vocabulary.frequency
        prior = max(frequency(candidate), self.vocabulary.corpus_frequency(candidate) - REAL_WORD_CORPUS_DISCOUNT)
        if _final_soft_sign(word, candidate):
            gain = min(gain, SOFT_SIGN_ZIPF_GAIN)
        return prior - frequency(word) >= gain

    def _slipped_onto(self, text: str, word: str, ranked: Sequence[str], baseline: float) -> tuple[str | None, float]:
        """The corpus word a real word is one slip of the finger from, the language using it
        ``REAL_WORD_SLIP_ZIPF_GAIN`` more, that makes a passage cover the most of ``text``, at least
        ``REAL_WORD_SLIP_GAIN`` more than ``baseline``; (None, 0.0) when none does. Every candidate is weighed, the
        parts of speech ordering the others («стан»: стран, after став, стал and стань)."""
        best, best_coverage = None, baseline + REAL_WORD_SLIP_GAIN
        for candidate in ranked:
            if finger_slips(word, candidate, 1) > 1 or not self._likelier(candidate, word, REAL_WORD_SLIP_ZIPF_GAIN):
                continue
            share = self._covers(_replace_word(text, word, candidate))
            if share >= best_coverage:
                best, best_coverage = candidate, share
        return best, best_coverage if best is not None else 0.0

    def _real_word_candidates(self, word: str) -> dict[str, int]:
        """The corpus words a real word may be a typo of, with their distances (none for most words): the
        same for every query, so each word is looked up once (bounded, as ``correct``)."""
        return self._real_candidates.get(word, lambda: self._find_real_word_candidates(word))

    def _find_real_word_candidates(self, word: str) -> dict[str, int]:
        morph = self.vocabulary.morph
        if len(word) < 3:
            return {}
        if word in self.vocabulary:
            # A word of the corpus, only as heard wrong («кампании» for компании): dictionary look-ups first, a
            # parse only for a word they find
            heard = self._heard_candidates(word)
            if not heard or not self.vocabulary.is_dictionary_word(word) or morph.lemma(word).function_word:
                return {}
            return heard
        if not self.vocabulary.is_dictionary_word(word):
            return {}
        lemma = morph.lemma(word)
        # A form of a lemma the corpus uses is searched as that lemma already. Taken as a typo of a far likelier
        # corpus word that makes a passage cover more («гола» → года), it bought +0.001–0.005 lemma recovery on
        # XQuAD only (held-out seeds 3–4; RUTUBE and judged unchanged) for a spelling-index look-up of most
        # well-typed words (their understanding p50 0.28 → 0.55 ms): not kept. Only its final «ь» as heard is read
        # (no look-up): orthography lemma recovery (seeds 0–2) XQuAD 0.9476 → 0.9493, every other cell unchanged;
        # and the corpus's words one misspelling by ear away, made letter by letter (``_heard_candidates``).
        if lemma.function_word:
            return {}
        if lemma.lemma in self.vocabulary.corpus_lemmas:
            return {**self._heard_candidates(word), **self._soft_sign_candidates(word)}
        looked = self.vocabulary.spelling_index.lookup(word, 2 if len(word) > 8 else 1)
        # The index holds the language's frequent words too: only the corpus's are meant. Whether a candidate is
        # the corpus's may be a parse, so the string tests go first (the same candidates, fewer parses).
        found = {
            c: d
            for c, d in looked
            if _plausible_typo(word, c, d) and self._in_corpus(c) and self._may_be_meant(word, c)
        }
        # Its first letter struck on a neighbouring key («шоду», «году»), only for a word the language (or the
        # corpus) uses ``REAL_WORD_ZIPF_GAIN`` more: people rarely miss it, so ``_real_words`` weighs these last,
        # when no other candidate corrects the word («мору» is могу, not пору). Once taken only when no other word
        # was near: typo2 lemma recovery (seeds 0–2) XQuAD 0.9414 → 0.9420, typo1 0.9737 → 0.9742 with it always.
        found |= {
            c: d
            for c, d in looked
            if _first_key_struck(word, c)
            and self._in_corpus(c)
            and self._likelier(c, word)
            and self._may_be_meant(word, c)
        }
        return found

    def _heard_candidates(self, word: str) -> dict[str, int]:
        """For a form of a lemma the corpus uses, the words of the corpus one misspelling by ear makes it of
        («кампания»: компания, «шкала»: школа), made letter by letter (``ear_variants``): dictionary look-ups, no
        search of the spelling index. ``_real_words`` weighs them (``_heard_better``)."""
        counts = self.vocabulary.counts
        return {
            c: 1
            for c in sorted(ear_variants(word))
            if c in counts
            and not _final_soft_sign(word, c)  # (``_soft_sign_candidates``)
            and self._likelier(c, word, HEARD_ZIPF_GAIN)  # (``_heard_better``; no coverage looked up for the rest)
            and self._may_be_meant(word, c)
        }

    def _soft_sign_candidates(self, word: str) -> dict[str, int]:
        """For a form of a lemma the corpus uses, only the word of the corpus its final «ь» written or left out as
        heard makes («част»: часть, «ест»: есть, «ответь»: ответ), or a form of a lemma it uses («цел»: цель, where
        the documents write «цели», «целью»), when the language uses it far more (``_likelier``): no look-up in the
        spelling index, so a well-typed word costs a frequency look-up, and a parse only for a likelier word."""
        candidate = word[:-1] if word.endswith("ь") else word + "ь" if word[-1] in CONSONANTS else None
        if candidate is None or not self._likelier(candidate, word) or not self._in_corpus(candidate):
            return {}
        if not self._may_be_meant(word, candidate):
            return {}
        return {candidate: 1}

    def _may_be_meant(self, word: str, candidate: str) -> bool:
        """Whether a real word may be a typo of ``candidate``, a word of the corpus near it, whatever the slip."""
        morph = self.vocabulary.morph
        lemma = morph.lemma(word)
        other = morph.lemma(candidate)
        return (
            # a three-letter word only for a four-letter one with a letter dropped that the language uses far more
            # («сой» → сбой): typo1 / typo2 lemma recovery XQuAD 0.968 → 0.970 / 0.918 → 0.921 (two seeds), RUTUBE
            # typo2 0.846 → 0.848; well-typed rewrites unchanged in count (RUTUBE's already rewritten «дли» → длин)
            (len(word) > 3 or len(candidate) == 4 and self._likelier(candidate, word))
            and not set(morph.all_lemmas(word)) & set(morph.all_lemmas(candidate))
            # «заполнять» for «заполнить» is the other aspect, not a typo: a verb stays as typed unless
            # the other verb has another stem («ввернуть» → вернуть, «вводить» → выводить)
            and not (lemma.pos in _VERB_FORMS and other.pos in _VERB_FORMS and _same_stem(lemma.lemma, other.lemma))
        )


def _with_share(row: Sequence[float], share: float, baseline: float) -> list[float]:
    """A candidate's ``channel_features`` with the best passage covering ``share`` of the query (the pick's:
    ``baseline``): its last three columns."""
    return [*row[:-3], share, share - baseline, float(share >= CONTEXT_MIN_COVERAGE)]


def _plausible_typo(word: str, candidate: str, distance: int) -> bool:
    """Whether a real word could be a typo of ``candidate``: the first letter right (people rarely miss it),
    and two edits only as two slips onto neighbouring keys."""
    if word[0] != candidate[0]:
        # «вязи» for «связи»: the first letter dropped, not struck wrong; or the first two swapped («зоон»)
        return candidate[1:] == word or _first_two_swapped(word, candidate)
    return distance < 2 or (len(word) == len(candidate) and keyboard_cost(word, candidate) == 0)


def _final_soft_sign(word: str, candidate: str) -> bool:
    """Whether ``word`` is ``candidate`` with its final «ь» left out, or with one added («дат», «ответь»)."""
    return word + "ь" == candidate or candidate + "ь" == word


def _first_key_struck(word: str, candidate: str) -> bool:
    """Whether ``word`` is ``candidate`` with its first letter struck on a neighbouring key («шоду» for «году»)."""
    return word[1:] == candidate[1:] and word[0] in _KEYBOARD.get(candidate[0], ())


def _hushed(word: str) -> list[str]:
    """``word`` with one «щ» written «сч» or one «сч» written «щ»."""
    return [
        word[: m.start()] + ("щ" if m.group() == "сч" else "сч") + word[m.end() :] for m in re.finditer("сч|щ", word)
    ]


def _one_letter_doubled(typed: str, candidate: str) -> bool:
    """Whether ``typed`` is ``candidate`` with one of its letters doubled («гоода» for «года»)."""
    if len(typed) != len(candidate) + 1:
        return False
    start = len(os.path.commonprefix([typed, candidate]))
    return start > 0 and typed[start] == typed[start - 1] and typed[start + 1 :] == candidate[start:]


def _governed_infinitives(text: str, morph: Morphology) -> set[str]:
    """The words of ``text`` ending in «т», no short participle, whose «ь» added makes an infinitive, within
    ``GOVERNED_WINDOW`` words after a word that governs one (``INFINITIVE_GOVERNORS``), no punctuation between."""
    found: set[str] = set()
    for clause in _CLAUSE_BREAK.split(text):
        words = _CYRILLIC_WORD.findall(clause)
        for i, word in enumerate(words):
            if not word.endswith("т") or not any(
                w in INFINITIVE_GOVERNORS or morph.lemma(w).lemma in INFINITIVE_GOVERNING_LEMMAS
                for w in words[max(0, i - GOVERNED_WINDOW) : i]
            ):
                continue
            if morph.lemma(word).pos != "PRTS" and morph.lemma(word + "ь").pos == "INFN":
                found.add(word)
    return found


def _stray_letter(typed: str, candidate: str) -> bool:
    """Whether ``typed`` is ``candidate`` with one letter too many that doubles none of its neighbours."""
    return len(typed) == len(candidate) + 1 and not _one_letter_doubled(typed, candidate)


def _first_two_swapped(typed: str, candidate: str) -> bool:
    """Whether ``typed`` is ``candidate`` with its first two letters swapped: one slip, not a first letter
    missed («зоон» for «озон»)."""
    return len(typed) > 1 and typed[1::-1] + typed[2:] == candidate and typed[0] != typed[1]


def _same_stem(lemma: str, other: str) -> bool:
    """Whether two lemmas differ only in their last three letters (aspect pairs: заполнить, заполнять) and share
    a stem of ``SAME_STEM_MIN`` letters: «мыть» and «мочь» share only their first letter, so «моет» may be «может».
    The longer lemma's last three: a letter inside its stem makes another verb («приять», «принять»; «перевить»,
    «перевести»), so «прият» may be «принят». Read off the shorter one's, lemma recovery (seeds 0–2) typo2 XQuAD
    0.9411, orthography XQuAD 0.9686, RUTUBE 0.9198; off the longer one's 0.9414, 0.9692, 0.9206, every other cell
    and the well-typed rewrites (5, 110) unchanged."""
    common = len(os.path.commonprefix([lemma, other]))
    return common >= max(SAME_STEM_MIN, max(len(lemma), len(other)) - 3)


def _typed_form(text: str, word: str) -> str | None:
    """``word`` as typed in ``text`` (compared normalized, as ``_replace_word`` finds it), or None where the text
    holds it only split («включа́т»: a stress mark inside, which normalizing drops)."""
    return next((m.group() for m in re.finditer(r"\w+", text) if normalize(m.group()) == word), None)


def _replace_word(text: str, word: str, replacement: str) -> str:
    """``text`` with the whole word ``word`` (compared normalized) replaced, in the case it was typed in."""
    return re.sub(
        r"\w+", lambda m: _as_typed(replacement, m.group()) if normalize(m.group()) == word else m.group(), text
    )
