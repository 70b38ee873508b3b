"""Latin words read as Russian: through the keyboard layout («cnfnec» → статус) or a transliteration («status»).

:class:`ScriptReader` decides the scheme once per query (whichever reads most of
its Latin words), walks the transliteration lattice against the vocabulary and
ranks the readings; :class:`LayoutStep` and :class:`TransliterationStep` are the
two rewriting steps built on it. Words the corpus writes in Latin, numbers,
phones, e-mails and domains pass through.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import ClassVar

from rapidfuzz.distance import OSA

from .analysis import normalize
from .boundaries import SPELLING, SPLIT_MIN_LETTERS, WordBoundaries
from .lang import (
    CONSONANTS,
    CYRILLIC_TO_LATIN_KEYS,
    DOMAIN_SUFFIXES,
    LATIN_TO_CYRILLIC_KEYS,
    OPTIONAL_SIGNS,
    SHIFTED_LATIN_TO_CYRILLIC_KEYS,
    TRANSLITERATION,
    TRANSLITERATION_MAX_SEQUENCE,
)
from .recent import Recent
from .results import Correction
from .rewrite import Rewrite, RewriteStep, _map_words, _names
from .vocabulary import _CYRILLIC_WORD, REWRITES_KEPT, WORDS_KEPT, Vocabulary

__all__ = [
    "LayoutStep",
    "TransliterationStep",
]


_KEYS = r"[a-z`\[\];',./{}:\"<>~]*[a-z][a-z`\[\];',./{}:\"<>~]*"
_LATIN_KEYS = re.compile(rf"{_KEYS}(?:-{_KEYS})*")  # a word typed on the Latin layout: letters and the Russian keys
# A number joined to a word typed on the Latin layout: «1970-[» (1970-х), «41-q» (41-й), «rbckjhjlf-16»
_NUMBERED_KEYS = re.compile(rf"([0-9]+-)({_KEYS}|[\[\];'`{{}}:\"<>~]+)|({_KEYS})(-[0-9]+)")
_LATIN_WORD = re.compile(r"[a-z'`\"]*[a-z][a-z'`\"]*(?:-[a-z'`\"]*[a-z][a-z'`\"]*)*")
_ADDRESS_KEYS = re.compile(r"[а-яё0-9._%+-]*[а-яё][а-яё0-9._%+-]*(?:@[а-яё0-9.-]+|\.[а-яё]{2,4})")
_ADDRESS = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+|[a-z0-9-]+(?:\.[a-z0-9-]+)+")
# Latin letters in pieces joined by hyphens or stuck punctuation: «chisel-bliznetsov», «2-ochkovoi»,
# «vopros.», «den.Ia», «fiz.litso», «den!Kak», «tovar?Pomogite» (no space after a sentence's end, as people type
# a message) — in a transliterated query each piece is read on its own. «!» and «?» are no letter on either layout.
_PIECED = re.compile(r"[a-z0-9'`\"]*[a-z][a-z0-9'`\"]*(?:[-.,;:!?]+[a-z0-9'`\"]+)*[.,;:!?]*|[0-9]+(?:-[a-z0-9'`\"]+)+")
_PIECE_BREAK = re.compile(r"([-.,;:!?]+)")
# A text no word of which, normalized, is Latin letters or pieced (``_LATIN_WORD``, ``_PIECED``): Cyrillic letters and
# ASCII characters other than letters (normalized as they are), without a number joined to a hyphen («2-ochkovoi»).
_NO_LATIN = re.compile(r"[\t\n\r\x20-\x40\x5b-\x60\x7b-\x7e\u0410-\u044f\u0401\u0451]*")
_NUMBER_HYPHEN = re.compile(r"[0-9]-")
# The walk through a transliteration lattice stops after this many states: a long Latin string
# the dictionary has no prefix for dies in a few steps, this only bounds the pathological ones.
LATTICE_MAX_STATES = 20_000


def _scheme_verdict(votes: Mapping[str, int], sure: Mapping[str, int], evidence: int) -> str | None:
    """The scheme most of a query's ``evidence`` Latin words read in (``votes``, ``sure`` of them exactly)."""
    best = max(votes, key=lambda scheme: votes[scheme])
    other = "layout" if best == "transliteration" else "transliteration"
    # A word with a typo reads through a scheme only as a guess: it decides a query's scheme along with
    # a word that reads exactly or another such guess, never alone («ARPNET» is not «арпанет» typed in Latin).
    return (
        best
        if votes[best] * 2 >= evidence and votes[best] > votes[other] and (sure[best] or votes[best] >= 2)
        else None
    )


def _settled(
    votes: Mapping[str, int],
    sure: Mapping[str, int],
    unread: Mapping[str, Sequence[str]],
    guesses: Mapping[str, Sequence[str]],
    evidence: int,
) -> bool:
    """Whether the verdict is the same however the words still ``unread`` (exactly or as a guess) and the
    ``guesses`` still unread turn out in each scheme."""
    schemes = tuple(votes)
    return _settled_counts(
        schemes,
        tuple((votes[s], sure[s], len(unread[s]), len(guesses[s])) for s in schemes),
        evidence,
    )


@functools.lru_cache(maxsize=4096)
def _settled_counts(schemes: tuple[str, ...], counts: tuple[tuple[int, int, int, int], ...], evidence: int) -> bool:
    """``_settled`` on what it reads — each scheme's votes, sure votes, unread words and unread guesses, counted —
    so that the same small state, met again by another query, is looked up rather than enumerated."""
    finals = [
        [
            (sure + exact, votes + exact + guessed)
            for exact in range(unread + 1)
            for guessed in range(unread - exact + guesses + 1)
        ]
        for votes, sure, unread, guesses in counts
    ]
    outcomes = set()
    for ends in itertools.product(*finals):
        outcomes.add(
            _scheme_verdict(
                dict(zip(schemes, (v for _, v in ends))), dict(zip(schemes, (s for s, _ in ends))), evidence
            )
        )
        if len(outcomes) > 1:
            return False
    return True


def _layout_guess_cost(word: str, guessed: Mapping[str, bool]) -> tuple[int, bool, bool, int]:
    """The order a query's layout guesses are read in, cheapest to settle the verdict first (the order changes
    only the work: the verdict is the same whatever it is). Mostly a transliterated query reads them, and one
    that fails settles it: a word ``guessed`` already (the same Latin words come back in the next query), a
    failure first; then three letters are a parse (no spelling search under four, no split under five); four
    are most often one edit from some word (a success, which settles nothing, found by a search); longer ones
    fail, the shortest searched and split fastest."""
    known = guessed.get(word)
    return 2 if known is None else int(known), len(word) != 3, len(word) == 4, len(word)


class ScriptReader:
    """How a query's Latin words read as Russian: through the keyboard layout or a transliteration.

    The decision is made once per query: when most of its Latin words read
    through one scheme, every word follows that scheme, so «ne» in a
    transliterated query is «не», not «ту» (the same keys on the Russian
    layout). Words the corpus writes in Latin stay, unless they are one or two
    letters that read as a Russian function word in the query's scheme.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        finish: Callable[[str], str | None] | None = None,
        boundaries: WordBoundaries | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        # Spelling's correction of a word nobody knows: a reading it brings to a known word is a word
        # with a typo in it («spesanie» → спесание → списание), not a word of another language.
        self.finish = finish
        # Spelling's word boundaries: how a run-together word splits, and how likely a split is.
        self.boundaries = boundaries
        self._segments: Recent[str | None] = Recent(WORDS_KEPT)
        self._readings: Recent[tuple[str, ...]] = Recent(WORDS_KEPT)
        self._decisions: Recent[str | None] = Recent(REWRITES_KEPT)
        self._finish_cache: Recent[str | None] = Recent(WORDS_KEPT)
        self._layout_guesses: dict[str, bool] = {}  # whether a word reads on the layout as a guess

    # readings of one word
    def layout(self, word: str) -> str | None:
        switched = self.switched(word)
        return switched if switched is not None and self.vocabulary.known(switched) else None

    @staticmethod
    def switched(word: str) -> str | None:
        """The Russian keys of a word typed on the Latin layout, known or not."""
        if not _LATIN_KEYS.fullmatch(word):
            return None
        keys = (LATIN_TO_CYRILLIC_KEYS.get(char) or SHIFTED_LATIN_TO_CYRILLIC_KEYS.get(char, char) for char in word)
        switched = "".join(keys).rstrip(".")
        return switched if switched != word else None

    def near_layout(self, word: str) -> str | None:
        """A layout reading that is a word with a typo: most of it starts a corpus or dictionary word.

        Spelling then finishes it («nt[gjllthrb» → «техподдерки» → «техподдержки»).
        """
        switched = self.switched(word)
        if switched is None or len(switched) < 3 or not _CYRILLIC_WORD.fullmatch(switched):
            return None
        if len(switched) >= 4 and self.vocabulary.has_prefix(switched[: max(4, len(switched) * 2 // 3)]):
            return switched
        return switched if self._finishes(switched) else None

    def near_transliteration(self, word: str) -> str | None:
        """A reading of a Latin word with a typo in it, when spelling brings it to a known word.

        «spesanie» has no known reading, but «спесание» is a typo of «списание». The cheapest
        readings (``_plain_readings``) are tried in turn; the first one spelling can finish wins.
        A reading of a form of a corpus lemma the dictionary lacks («selleru» → селлеру) counts too.
        """
        if not _LATIN_WORD.fullmatch(word) or len(word) < 2:
            return None
        first = None
        for reading in _plain_readings(word):
            finished = self._finished(reading)
            if finished is not None:
                if finished in self.vocabulary.counts:  # the corpus's own word first: «персоналый» → персональный
                    return reading
                first = first or reading
        return first

    def segmented(self, word: str, scheme: str) -> str | None:
        """Two words with the space between them lost, read through ``scheme``: «cnfnecpfrfpf» → статус заказа
        (its Russian keys split as spelling splits «статусзаказа»), «kodovoeslovo» → кодовое слово (each half's
        reading, the pair weighed as spelling weighs a split); two words the corpus writes in Latin stay Latin
        («ozonseller» → ozon seller). None for most words: a word that reads whole never gets here."""
        if self.boundaries is None or len(word) < SPLIT_MIN_LETTERS or "-" in word or not _LATIN_KEYS.fullmatch(word):
            return None
        return self._segments.get(f"{scheme}:{word}", lambda: self._segment(word, scheme))

    def _segment(self, word: str, scheme: str) -> str | None:
        latin = self.latin_pair(word)
        if latin is not None:
            return latin
        assert self.boundaries is not None
        if scheme == "layout":
            switched = self.switched(word)
            if switched is None or not _CYRILLIC_WORD.fullmatch(switched):
                return None
            # The split first (dictionary look-ups), then whether spelling reads the whole better (a search).
            split = self.boundaries.split(switched) and self.boundaries.split_for(switched)
            return " ".join(split) if split else None
        if not _LATIN_WORD.fullmatch(word) or not word.isalpha():
            return None
        best, best_score = None, None
        heads: dict[int, dict[str, int]] = {}
        _lattice(word, self.vocabulary, heads)  # one walk finds every first word; the second is read at each end
        for cut in sorted(heads):
            if len(word) - cut < 2:
                continue  # a letter alone is a preposition's or a sign's more often than a word's
            first = _rank_readings(heads[cut].items(), self.vocabulary)[0]
            second = self.transliteration(word[cut:])
            if second is None:
                continue
            score = self.boundaries.pair_score(first, second)
            if score is not None and (best_score is None or score > best_score):
                best, best_score = f"{first} {second}", score
        return best

    def latin_pair(self, word: str) -> str | None:
        """Two words the corpus writes in Latin, run together («ozonseller», «ozonid»): they stay Latin."""
        counts = self.vocabulary.counts
        if len(word) < SPLIT_MIN_LETTERS or not (word.isascii() and word.isalpha()):
            return None  # «зчем» is a typo of «зачем», not «px tv» on the other layout
        pairs = [
            (word[:cut], word[cut:]) for cut in range(2, len(word) - 1) if word[:cut] in counts and word[cut:] in counts
        ]
        if not pairs:
            return None
        first, second = max(pairs, key=lambda pair: min(counts[pair[0]], counts[pair[1]]))
        return f"{first} {second}"

    def _finishes(self, reading: str) -> bool:
        return self._finished(reading) is not None

    def _finished(self, reading: str) -> str | None:
        """The known word spelling makes of an unknown reading (itself for a form of a corpus lemma), or None."""
        return self._finish_cache.get(reading, lambda: self._finish(reading))

    def _finish(self, reading: str) -> str | None:
        if not _CYRILLIC_WORD.fullmatch(reading) or self.vocabulary.known(reading):
            return None
        if self.vocabulary.lemma_in_corpus(reading):
            return reading
        # Three letters one edit from a word are a guess too many («vip» is not «вид»).
        return self.finish(reading) if len(reading) >= 4 and self.finish is not None else None

    def transliteration(self, word: str) -> str | None:
        readings = self.transliterations(word)
        return readings[0] if readings else None

    def transliterations(self, word: str) -> tuple[str, ...]:
        """Every known Russian reading of a Latin word, the corpus's own forms first."""
        return self._readings.get(word, lambda: _rank_readings(_lattice(word, self.vocabulary), self.vocabulary))

    # the query's scheme
    def decide(self, words: Sequence[str]) -> str | None:
        """``"layout"``, ``"transliteration"`` or None: the scheme most of the query's Latin words read in."""
        return self._decisions.get(" ".join(words), lambda: self._decide(words))

    def _layout_guess(self, word: str) -> bool | None:
        """Whether a word reads on the layout with a typo or as two words run together (True, else None), kept
        for the last ``WORDS_KEPT`` words: ``_decide`` reads first the guesses it knows."""
        guessed = self._layout_guesses.get(word)
        if guessed is None:
            if len(self._layout_guesses) >= WORDS_KEPT:
                self._layout_guesses.clear()
            guessed = self._layout_guesses[word] = bool(self.near_layout(word) or self.segmented(word, "layout"))
        return guessed or None

    def _evidence(self, words: Sequence[str]) -> tuple[list[str], dict[str, list[str]]]:
        """The query's words that tell a scheme, and those each scheme would read (``layout``, ``transliteration``)."""
        latin = [w for w in words if _LATIN_KEYS.fullmatch(w) and w not in self.vocabulary]
        evidence = [w for w in latin if len(w) >= 3]  # «ne», «XV»: too short to tell a scheme by themselves
        # «chat» is the corpus's word, but «чат» is more often: next to a word the corpus does not know
        # («chat tekhpodderki») it reads as Russian in Latin letters; alone («Tesla») it decides nothing.
        counts = self.vocabulary.counts
        evidence += (
            []
            if not evidence
            else [
                w
                for w in words
                if w in counts
                and len(w) >= 3
                and _LATIN_WORD.fullmatch(w)
                and (russian := self.transliteration(w)) is not None
                and counts.get(russian, 0) > counts[w]
            ]
        )
        # «vopros.» reads as «вопрос» with a full stop in Latin letters, and as «мщзкщыю» on the Russian keys
        latin_words = [w.rstrip(".,;:") for w in evidence]
        return evidence, {"layout": evidence, "transliteration": [w for w in latin_words if _LATIN_WORD.fullmatch(w)]}

    def _decide(self, words: Sequence[str]) -> str | None:
        evidence, words_of = self._evidence(words)
        exact = {"layout": self.layout, "transliteration": self.transliteration}
        # A guess: a reading with a typo, or two words run together («cnfnecpfrfpf»), read only when it can still
        # change the verdict.
        near = {
            "layout": self._layout_guess,
            "transliteration": lambda word: self.near_transliteration(word) or self.segmented(word, "transliteration"),
        }
        # A word's exact layout reading is a dictionary look-up, read for every word; a transliteration is a
        # lattice and each guess a spelling search: only those that can still change the verdict are read, first
        # in the scheme that may still read the most words exactly («rfr jajhvbnm pfrfp» reads exactly on the
        # layout; one Latin word that reads neither exactly nor as a guess settles it).
        sure = {scheme: 0 for scheme in words_of}
        unread = {scheme: list(candidates) for scheme, candidates in words_of.items()}  # exact reading unread
        guesses: dict[str, list[str]] = {scheme: [] for scheme in words_of}  # no exact reading, guess unread
        for word in unread["layout"]:
            if exact["layout"](word) is not None:
                sure["layout"] += 1
            else:
                guesses["layout"].append(word)
        unread["layout"] = []
        guesses["layout"].sort(key=lambda word: _layout_guess_cost(word, self._layout_guesses))
        votes = dict(sure)
        while not _settled(votes, sure, unread, guesses, len(evidence)):
            scheme = max(
                (s for s in words_of if unread[s] or guesses[s]),
                key=lambda s: (sure[s] + len(unread[s]), bool(unread[s])),
            )
            if guesses[scheme]:
                votes[scheme] += near[scheme](guesses[scheme].pop(0)) is not None
            elif exact[scheme](word := unread[scheme].pop(0)) is not None:
                sure[scheme] += 1
                votes[scheme] += 1
            else:
                guesses[scheme].append(word)
        return _scheme_verdict(votes, sure, len(evidence))

    def reading(self, word: str, scheme: str | None, guess: bool = True, split: bool = True) -> tuple[str, str] | None:
        """(step, replacement) for one Latin word of a query whose scheme is ``scheme``; without ``guess``,
        only a reading that is a known word (or, for a name, a reading whose lemma the corpus has); without
        ``split`` (a name), never two words run together."""
        if not _LATIN_KEYS.fullmatch(word):
            if scheme == "transliteration" and (pieced := self.pieces(word, guess)) is not None:
                return scheme, pieced  # «2-ochkovoi», «kislorod-18», «80-h»: the number as typed
            numbered = _NUMBERED_KEYS.fullmatch(word) if scheme == "layout" else None
            if numbered is not None:  # «1970-[» is «1970-х» in a query typed on the wrong layout
                head, keys, tail = numbered.group(1) or "", numbered.group(2) or numbered.group(3), numbered.group(4)
                switched = "".join(
                    LATIN_TO_CYRILLIC_KEYS.get(c) or SHIFTED_LATIN_TO_CYRILLIC_KEYS.get(c, c) for c in keys
                )
                if _CYRILLIC_WORD.fullmatch(switched):
                    return scheme, head + switched + (tail or "")
            return None
        short = len(word) <= 2
        read = {"layout": self.layout, "transliteration": self.transliteration}
        if word in self.vocabulary:  # Ozon, Seller, API: the corpus writes them so
            if scheme == "layout" and short:  # «c» is «с» in a query typed on the wrong layout
                russian = self.layout(word)
                if russian is not None and self.vocabulary.morph.is_function_word(russian):
                    return scheme, russian
            if scheme == "transliteration" and _LATIN_WORD.fullmatch(word):
                russian = self.transliteration(word)
                if russian is None:
                    return None
                # «ne» is «не» in a transliterated query; «chat» is «чат» where the corpus says «чат» more often.
                counts = self.vocabulary.counts
                if (short and self.vocabulary.morph.is_function_word(russian)) or (
                    counts.get(russian, 0) > counts[word]
                ):
                    return scheme, russian
            return None
        if scheme is not None:
            if scheme == "transliteration" and not _LATIN_WORD.fullmatch(word):
                pieced = self.pieces(word, guess)
                if pieced is not None:  # «vopros.», «den.Ia», «2-ochkovoi»: piece by piece
                    return scheme, pieced
                if _is_domain(word):
                    return None  # «ozon.ru» in a transliterated query is the address, not «щящтюкг»
                scheme = "layout"  # «;» or «[» can only be keys of the Russian layout
            own = read[scheme](word)
            pieced = scheme == "transliteration" and "-" in word
            if own is None and pieced:
                own = self.pieces(word, guess)  # «chisel-bliznetsov»: no word as a whole, two in parts
            # A typo typed on the wrong layout or in Latin letters: spelling finishes it. A word in pieces none
            # of which reads («e-mail», «wi-fi») is no Russian word with a typo either.
            if own is None and guess and not pieced:
                own = self.near_layout(word) if scheme == "layout" else self.near_transliteration(word)
            # Else two words run together («kodovoeslovo»), each read through the query's scheme; not a name.
            if own is None and guess and split and not pieced:
                own = self.segmented(word, scheme)
            if own is None and not guess and scheme == "transliteration" and len(word) >= 4:
                own = self.name_reading(word)  # «Bronkosom»: the corpus's «Бронкос» in another case
            if own is not None:
                return scheme, own
            other = "layout" if scheme == "transliteration" else "transliteration"
            found = read[other](word) if len(word) >= 3 else None
            if found is not None:
                return other, found
            if scheme == "layout" and guess:  # «kr», «dbg» in a query typed on the wrong layout: лк, вип
                switched = self.switched(word)
                return (scheme, switched) if switched and _CYRILLIC_WORD.fullmatch(switched) else None
            return None
        # No scheme for the query: each word alone, as long as it is long enough to tell.
        if short:
            return None
        layout = self.layout(word)
        translit = self.transliteration(word) if _LATIN_WORD.fullmatch(word) else None
        if layout is not None and translit is not None:
            if layout in self.vocabulary and translit not in self.vocabulary:
                return "layout", layout
            return "transliteration", translit
        if layout is not None:
            return "layout", layout
        if translit is not None and (translit in self.vocabulary or len(translit) > 2):
            return "transliteration", translit
        if guess and split:  # «cnfnecpfrfpf» alone: two words run together in one scheme
            for other in ("layout", "transliteration"):
                if (segmented := self.segmented(word, other)) is not None:
                    return other, segmented
        return None

    def alongside(self, word: str) -> str | None:
        """For a word the corpus writes in Latin (``ozon``, ``seller``, ``shorts``) that stays in a
        transliterated query, its Russian reading when the corpus uses that too (``озон``, ``селлер``)."""
        if word not in self.vocabulary or not _LATIN_WORD.fullmatch(word) or len(word) < 3:
            return None
        russian = self.transliteration(word)
        return russian if russian is not None and russian in self.vocabulary else None

    def name_reading(self, word: str) -> str | None:
        """A cheapest reading of a name, no spelling involved, whose lemma the corpus has, or None."""
        if not _LATIN_WORD.fullmatch(word) or "-" in word:
            return None
        for reading in _plain_readings(word):
            if _CYRILLIC_WORD.fullmatch(reading) and self.vocabulary.lemma_in_corpus(reading):
                return reading
        return None

    def pieces(self, word: str, guess: bool = True) -> str | None:
        """A word of Latin pieces joined by hyphens or stuck punctuation, each piece read through
        transliteration where it reads (digits and unread pieces as typed); None when none reads,
        and for an address (``seller.ozon.ru``)."""
        if not _PIECED.fullmatch(word) or _PIECE_BREAK.search(word) is None:
            return None
        if _is_domain(word):
            return None
        parts = _PIECE_BREAK.split(word)
        changed = False
        for number, part in enumerate(parts):
            # one letter is read after a number only («80-h», «99-j»), not in «e-mail»
            if len(part) == 1 and not (number >= 2 and parts[number - 2].isdigit()):
                continue
            if number % 2 == 0 and _LATIN_WORD.fullmatch(part):
                found = self.reading(part, "transliteration", guess)
                if found is not None and found[0] == "transliteration":
                    parts[number], changed = found[1], True
        return "".join(parts) if changed else None

    def spelt_out(self, text: str) -> Rewrite:
        """``text`` with each run of single Latin letters, digits or address characters one space apart joined
        back where the join is what was spelt: a word the corpus writes in Latin or one reading as Russian
        («o z o n» → ozon, «o b r a t n y j» → obratnyj, then обратный), an address («o z o n . r u»), a number
        («8 8 0 0» → 8800, «2 3 2 - 1 0 - 0 0»), or a word typed on the Russian layout whose keys are one of
        the corpus's Latin words («щ я щ т» → щящт, then ozon). The script steps read whole words, so this
        comes before them. Letters that are each a one-letter word («s v i», «d c») stay: a phrase as typed."""
        corrections: list[Correction] = []

        def join(match: re.Match[str]) -> str:
            letters = match.group()
            joined = normalize(letters.replace(" ", ""))
            if not self._spelt(joined):
                return letters
            corrections.append(Correction(SPELLING, letters, joined))
            return joined

        return Rewrite(_SPELT_OUT_KEYS.sub(join, text), tuple(corrections))

    def _spelt(self, joined: str) -> bool:
        """Whether the characters of a run of single ones, joined, are what was spelt (see ``spelt_out``)."""
        if any(char in "@." for char in joined):
            return _is_domain(joined)
        if not any(char.isalpha() for char in joined):
            return sum(char.isdigit() for char in joined) >= 3 and joined[0].isdigit() and joined[-1].isdigit()
        if not joined.isalpha():
            return False
        if _CYRILLIC_WORD.fullmatch(joined):
            keys = "".join(CYRILLIC_TO_LATIN_KEYS.get(char, char) for char in joined)
            return not self.vocabulary.known(joined) and keys in self.vocabulary.counts
        if joined in self.vocabulary.counts:
            return True
        if set(joined) <= _ONE_LETTER_LATIN:
            return False  # «s v i»: each letter a word (с, в, и), a phrase as typed
        return self.layout(joined) is not None or self.transliteration(joined) is not None


def _is_domain(word: str) -> bool:
    """An e-mail address or a domain (``seller.ozon.ru``, ``ozon.ru.``), by its suffix."""
    core = word.rstrip(".,;:")
    return _ADDRESS.fullmatch(core) is not None and core.rsplit(".", 1)[-1] in DOMAIN_SUFFIXES


# A word spelt out in Latin letters, digits or an address's characters: three single ones or more, one space apart
# («o z o n», «8 8 0 0», «s a l e s - p v z @ o z o n . r u»); or in Cyrillic letters, for a Latin word typed on the
# Russian layout («щ я щ т»).
_SPELT_OUT_KEYS = re.compile(
    r"(?<!\S)(?:[a-z0-9@._+-](?: [a-z0-9@._+-]){2,}|[а-яё](?: [а-яё]){2,})(?!\S)", re.IGNORECASE
)
# Latin letters that are one-letter words, transliterated (с, в, и, к, а, о, у) or on the Russian keys (в, с, к, у,
# о, и, а: «d», «c», «r», «e», «j», «b», «f»).
_ONE_LETTER_LATIN = frozenset("svikaoudcrejbf")


def _lattice(
    word: str, vocabulary: Vocabulary, heads: dict[int, dict[str, int]] | None = None
) -> list[tuple[str, int]]:
    """Known Cyrillic readings of a Latin word and their cost (unusual readings and added signs).

    A depth-first walk over every segmentation of ``word`` into the table's
    sequences and every reading of each, with a soft or hard sign optional
    after each consonant; a branch ends as soon as no corpus or dictionary
    word starts with what it has spelt, so the walk stays small. ``heads``, when
    given, gets the known words the walk spells on the way, by where they end
    (the first word of two run together: «kodovoeslovo» has «кодовое» at 7).
    """
    if not _LATIN_WORD.fullmatch(word):
        return []
    found: dict[str, int] = {}
    stack: list[tuple[int, str, int]] = [(0, "", 0)]
    alive, known = vocabulary.has_prefix, vocabulary.known
    end = len(word)
    states = 0
    while stack and states < LATTICE_MAX_STATES:
        position, spelt, cost = stack.pop()
        states += 1
        if position == end:
            candidate = spelt.replace("ё", "е")
            if known(candidate) and cost < found.get(candidate, 99):
                found[candidate] = cost
        elif heads is not None and position >= 2:
            head = spelt.replace("ё", "е")
            if known(head) and cost < heads.setdefault(position, {}).get(head, 99):
                heads[position][head] = cost
        if spelt and spelt[-1] in CONSONANTS:
            for sign in OPTIONAL_SIGNS:
                if alive(spelt + sign):
                    stack.append((position, spelt + sign, cost + 1))
        window = word[position : position + TRANSLITERATION_MAX_SEQUENCE]
        here = _STEPS.get(window)
        if here is None:
            here = _steps(window)
        for size, reading, unusual in here:
            grown = spelt + reading
            if alive(grown):
                stack.append((position + size, grown, cost + unusual))
    return list(found.items())


# The steps a lattice may take from the letters ahead of it (``_steps``), kept per window of letters (a dict,
# emptied when full): the same few thousand windows recur in every word.
_STEPS: dict[str, tuple[tuple[int, str, bool], ...]] = {}


def _steps(window: str) -> tuple[tuple[int, str, bool], ...]:
    """The (length, reading, unusual?) of each table sequence ``window`` starts with, longest first, each sequence's
    readings in the table's order (the first is the usual one)."""
    steps = tuple(
        (size, reading, rank > 0)
        for size in range(len(window), 0, -1)
        for rank, reading in enumerate(TRANSLITERATION.get(window[:size], ()))
    )
    if len(_STEPS) >= WORDS_KEPT:
        _STEPS.clear()
    _STEPS[window] = steps
    return steps


# Russian spelling never puts «ы», «ь» or «ъ» first or after a vowel or «й»: «personalyy» is not «персоналыы».
_IMPOSSIBLE = re.compile(r"(?:^|[аеёиоуыэюяй])[ыьъ]")


def _plain_readings(word: str, limit: int = 8) -> list[str]:
    """The cheapest readings of a Latin word, known or not: the usual reading of each letter or sequence,
    then those with one or two unusual ones («personalyy» → персоналыы, then персоналый, …), no signs added."""
    found: list[str] = []
    heap: list[tuple[int, int, str]] = [(0, 0, "")]
    while heap and len(found) < limit:
        cost, position, spelt = heapq.heappop(heap)
        if position == len(word):
            if spelt not in found and not _IMPOSSIBLE.search(spelt):
                found.append(spelt)
            continue
        for size in range(min(TRANSLITERATION_MAX_SEQUENCE, len(word) - position), 0, -1):
            for rank, reading in enumerate(TRANSLITERATION.get(word[position : position + size], ())):
                # A sequence read with a sign («ie» → ъе) costs as much as an unusual reading.
                extra = (rank > 0) + ("ъ" in reading and size > 1)
                if cost + extra <= 2:
                    heapq.heappush(heap, (cost + extra, position + size, spelt + reading))
    return found


def _rank_readings(readings: Iterable[tuple[str, int]], vocabulary: Vocabulary) -> tuple[str, ...]:
    """The corpus's own words (most frequent first), then forms of its lemmas, then dictionary words;
    a lemma itself (people ask «как вернуть», not «вернут») before its other forms, then the usual reading."""

    readings = list(readings)
    if len(readings) < 2:
        return tuple(word for word, _ in readings)  # most words: nothing to rank (no parse, no frequency read)
    morph = vocabulary.morph
    usual = min((cost for word, cost in readings if not morph.lemma(word).distorted), default=0)

    def key(item: tuple[str, int]) -> tuple[int, int, bool, int, int, str]:
        word, cost = item
        count = vocabulary.counts.get(word, 0)
        lemma = morph.lemma(word)
        if lemma.function_word and len(word) <= 3 and cost <= usual and not lemma.distorted:
            # «i» is «и», «ee» «ее», «tom» «том»: the language's most frequent words, never indexed, so never
            # the corpus's; not «й» (a letter the corpus has after «41-»), «ээ», «томь». Only as the usual
            # reading, forms the dictionary marks as distorted aside («eto» is «это», not «ето»): «che» is
            # «че», not «чье» with a sign added.
            return -1, 0, False, 0, cost, word
        tier = 0 if count else 1 if vocabulary.lemma_in_corpus(word) else 2
        # Then the language's more frequent reading by whole Zipf units (ten times as frequent), then the
        # usual one: «skolki» is «скольки» with a sign added, not the rare «сколки».
        common = -int(vocabulary.frequency(word))
        return tier, -count, lemma.distorted or lemma.lemma != word, common, cost, word

    return tuple(word for word, _ in sorted(readings, key=key))


class LayoutStep(RewriteStep):
    """``cnfnec`` → ``статус`` and ``щящт`` → ``ozon``: words typed with the other keyboard layout."""

    name: ClassVar[str] = "layout"

    def __init__(self, vocabulary: Vocabulary, script: ScriptReader | None = None) -> None:
        self.vocabulary = vocabulary
        self.script = script or ScriptReader(vocabulary)

    def _latin_keys(self, word: str) -> str | None:
        """The Latin keys of a Cyrillic word nobody knows, when they are letters («щящт» → ozon), else None."""
        if not _CYRILLIC_WORD.fullmatch(word) or self.vocabulary.known(word) or len(word) < 2:
            return None
        switched = "".join(CYRILLIC_TO_LATIN_KEYS.get(char, char) for char in word)
        return switched if switched.isascii() and switched.isalpha() else None

    def _reads_in_latin(self, switched: str, corpus: bool = False) -> bool:
        """Transliterated Russian typed on the Russian layout («мщямкфе» → «vozvrat»): the next step reads it
        as a known word (with ``corpus``, as a word of the corpus)."""
        if len(switched) < 4:
            return False
        translit = self.script.transliteration(switched)
        return translit is not None and (translit in self.vocabulary if corpus else self.vocabulary.known(translit))

    def apply(self, text: str) -> Rewrite:
        decided: list[tuple[str | None, bool]] = []  # the query's scheme and whether it is Latin typed in Cyrillic
        names = _names(text)  # «SkyBox», «GoldmanSachs»: a name is never split

        def query(all_words: list[str]) -> tuple[str | None, bool]:
            """Read when a word first needs it: a query of known Cyrillic words (most) needs neither."""
            if not decided:
                # A transliterated query typed on the Russian layout: most of its unknown Cyrillic words read
                # in Latin letters, and then so do its short ones («ы лфкен» → «s karty»).
                unknown = [switched for w in all_words if (switched := self._latin_keys(w)) and len(w) >= 3]
                readable = sum(map(self._reads_in_latin, unknown))
                # Two such words at least: one Cyrillic typo («уещь») reads as something in Latin by chance.
                decided.append((self.script.decide(all_words), readable > 1 and readable * 2 >= len(unknown)))
            return decided[0]

        def change(word: str, index: int, all_words: list[str]) -> str | None:
            if _CYRILLIC_WORD.fullmatch(word):
                switched = self._latin_keys(word)
                if switched is None:
                    return None
                scheme, latin_typed = query(all_words)
                if switched in self.vocabulary or latin_typed or self._reads_in_latin(switched, corpus=True):
                    return switched
                if word not in names and (pair := self.script.latin_pair(switched)) is not None:
                    # «щящтшв»: «ozon id», two of the corpus's Latin words, the space lost; but a word spelling
                    # reads one edit away is a Russian typo («сетис»: сети, not «ct nbc»)
                    corrected = self.script.finish(word) if self.script.finish is not None else None
                    if corrected is None or OSA.distance(word, corrected) > 1:
                        return pair
                # A Latin word in a query typed on the wrong layout («Зкуьшгь» among «crjkmrj cnjbn»): Premium.
                return switched if scheme == "layout" and len(word) >= 3 else None
            if _ADDRESS_KEYS.fullmatch(word):  # «ыфдуы-змя@щящт.кг»: an address typed on the Russian layout
                switched = "".join(CYRILLIC_TO_LATIN_KEYS.get(char, char) if char.isalpha() else char for char in word)
                if _ADDRESS.fullmatch(switched) and switched.rsplit(".", 1)[-1] in DOMAIN_SUFFIXES:
                    return switched
                return None
            found = self.script.reading(word, query(all_words)[0], split=word not in names)
            return found[1] if found is not None and found[0] == self.name else None

        return _map_words(text, self.name, change)


class TransliterationStep(RewriteStep):
    """``kak vernut dengi`` → ``как вернуть деньги``: Russian typed in Latin letters, in any usual scheme."""

    name: ClassVar[str] = "transliteration"

    def __init__(self, vocabulary: Vocabulary, script: ScriptReader | None = None) -> None:
        self.vocabulary = vocabulary
        self.script = script or ScriptReader(vocabulary)

    def apply(self, text: str, keep: Collection[str] = ()) -> Rewrite:
        """``keep``: words an earlier step wrote (normalized), read only if they read exactly: «vozvrat»
        switched from «мщямкфе» is «возврат», «premium» switched from «Зкуьшгь» is no Russian word with a typo.
        Capitalised words (names: «Premium», «Khorugvino») are never guessed at either."""
        if _NO_LATIN.fullmatch(text) and _NUMBER_HYPHEN.search(text) is None:
            return Rewrite(text, ())  # no word to read (most queries by now): not split into words
        scheme: list[str | None] = []
        names = _names(text)
        alongside: dict[tuple[str, str], None] = {}

        def change(word: str, index: int, all_words: list[str]) -> str | None:
            if not _LATIN_WORD.fullmatch(word) and not _PIECED.fullmatch(word):
                return None
            if not scheme:
                scheme.append(self.script.decide(all_words))
            found = self.script.reading(word, scheme[0], guess=word not in keep and word not in names)
            if found is None and scheme[0] == self.name and (russian := self.script.alongside(word)):
                alongside[word, russian] = None
            return found[1] if found is not None and found[0] == self.name else None

        rewrite = _map_words(text, self.name, change)
        return Rewrite(rewrite.text, rewrite.corrections, tuple(alongside))
