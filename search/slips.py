"""How far a typed word is from a meant one, counted in the slips people make: of the finger and of the ear.

Keyboard neighbours on the ЙЦУКЕН layout (``keyboard_cost``, ``finger_slips``,
``slip_cost``) and misspellings by ear (an unstressed vowel as heard, a double
letter single, «сч» for «щ»: ``ear_slips``). Pure functions of two strings,
kept (bounded) because the same pairs are asked again; the spelling step ranks
and weighs its candidates by them. They read no vocabulary, so they live apart.
"""

from __future__ import annotations

import functools
import re

from .lang import CONSONANTS, JCUKEN_ROWS
from .vocabulary import WORDS_KEPT

__all__ = [
    "ear_slips",
    "ear_variants",
    "finger_slips",
    "keyboard_cost",
    "slip_cost",
]


def _neighbours() -> dict[str, frozenset[str]]:
    near: dict[str, set[str]] = {}
    for row_number, row in enumerate(JCUKEN_ROWS):
        for column, key in enumerate(row):
            keys = near.setdefault(key, set())
            keys.update(row[max(column - 1, 0) : column + 2])
            for other in (row_number - 1, row_number + 1):  # staggered rows: the keys above and below
                if 0 <= other < len(JCUKEN_ROWS):
                    keys.update(JCUKEN_ROWS[other][max(column - 1, 0) : column + 2])
    return {key: frozenset(keys - {key}) for key, keys in near.items()}


_KEYBOARD = _neighbours()


def keyboard_cost(typed: str, candidate: str) -> int:
    """How many substituted letters are not a neighbouring key («закв» → «заказ» costs less than → «закат»)."""
    if len(typed) != len(candidate):
        return 0
    return sum(1 for a, b in zip(typed, candidate) if a != b and b not in _KEYBOARD.get(a, ()))


# Each key's letter and the letters of the keys around it: what a finger meaning that key may strike.
_STRIKES: dict[str, frozenset[str]] = {key: keys | {key} for key, keys in _KEYBOARD.items()}


@functools.lru_cache(maxsize=WORDS_KEPT)
def finger_slips(typed: str, candidate: str, limit: int | None = None) -> int:
    """How many slips of the finger make ``typed`` of ``candidate`` (a large number when they cannot): a
    letter left out, two neighbours swapped, a neighbouring key struck, a letter too many beside its own
    key or a neighbour's. A restricted edit distance: «вкольо» is two slips from «сколько», «протокол» no
    number of slips from «промокод» (м for т is no neighbouring key).

    With ``limit``, ``limit + 1`` stands for any number above it, and the count stops as soon as no slip
    further on can bring it back to ``limit``: spelling asks «two slips or fewer?» of a hundred candidates a
    typo. Kept for the pairs seen lately (it is asked again when candidates are ranked and weighed)."""
    never = len(typed) + len(candidate) + 1
    strikes = [_STRIKES.get(meant) or frozenset(meant) for meant in candidate]
    # A typed letter is one too many when it is a letter beside it, or a neighbouring key of one.
    beside = [_STRIKES.get(other) or frozenset(other) for other in typed]
    before: list[int] = []  # the row two letters up, for a swap
    row = list(range(len(candidate) + 1))
    for i, letter in enumerate(typed, 1):
        extra = (i > 1 and letter in beside[i - 2]) or (i < len(typed) and letter in beside[i])
        above = row
        left = above[0] + 1 if extra else never
        row = [left]
        previous = typed[i - 2] if i > 1 else ""
        for j, meant in enumerate(candidate, 1):
            best = left + 1  # the meant letter left out
            if letter in strikes[j - 1]:
                struck = above[j - 1] + (letter != meant)
                if struck < best:
                    best = struck
            if extra and above[j] + 1 < best:
                best = above[j] + 1
            if j > 1 and previous == meant and letter == candidate[j - 2] and letter != meant and i > 1:
                swapped = before[j - 2] + 1
                if swapped < best:
                    best = swapped
            left = best if best < never else never
            row.append(left)
        # Every count further on is at least a count of this row, or of the row above plus a swap.
        if limit is not None and min(row) > limit and min(above) >= limit:
            return limit + 1
        before = above
    return row[-1] if limit is None or row[-1] <= limit else limit + 1


def slip_cost(typed: str, candidate: str) -> int:
    """How unlikely a slip of the finger makes ``typed`` of ``candidate`` (a noisy channel, coarsely): 0 for
    a letter left out, a letter doubled or two neighbours swapped; 1 for each neighbouring key struck (one
    of its several neighbours, so rarer than leaving the letter out: «сарался» is «старался», not
    «скрался»); 2 for a key far from the meant one, or a letter too many that neither doubles nor
    neighbours a letter beside it («делта» is «дельта» with «ь» left out, not «дела» with a stray «т»)."""
    if len(typed) == len(candidate):
        diff = [i for i, (a, b) in enumerate(zip(typed, candidate)) if a != b]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == candidate[diff[1]]:
            return 0  # a swap
        return sum(1 if candidate[i] in _KEYBOARD.get(typed[i], ()) else 2 for i in diff)
    if len(typed) != len(candidate) + 1:
        return 0
    costs = []
    for i, letter in enumerate(typed):
        if typed[:i] + typed[i + 1 :] == candidate:
            beside = typed[i - 1 : i] + typed[i + 1 : i + 2]
            near = any(letter == other or letter in _KEYBOARD.get(other, ()) for other in beside)
            costs.append(0 if near else 2)
    return min(costs, default=0)


# Unstressed vowels people write as they hear them (а/о, е/и, е/я, и/я): a slip of the ear (``ear_slips``).
_MISHEARD = frozenset({frozenset("ао"), frozenset("еи"), frozenset("ея"), frozenset("ия")})
# ... one way for «я»: unstressed it sounds as «и», so is written «е» or «и», but no ear writes «я» for them (only the
# rule does, after a hushing consonant: «чящка», ``_HUSHED``): «включять» is «включать», not «включить».
_NEVER_WRITTEN_BY_EAR = "я"


_HUSHED = {("е", "о"), ("и", "ы"), ("а", "я"), ("у", "ю")}  # after «ж», «ш», «ч», «щ»: «пришол», «шышка», «чящка»
_HUSHING = frozenset("жшчщ")


_EAR_BLIND = str.maketrans({"з": "с", "ь": None, **{vowel: None for vowel in "аеёиоуыэюя"}})


@functools.lru_cache(maxsize=WORDS_KEPT)
def _ear_skeleton(word: str) -> str:
    """What no misspelling by ear changes: the consonants, «з» as «с», «щ» as «сч», a double one single."""
    return re.sub(r"(.)\1+", r"\1", word.replace("щ", "сч").translate(_EAR_BLIND))


@functools.lru_cache(maxsize=WORDS_KEPT)
def ear_slips(typed: str, candidate: str) -> int:
    """How many misspellings by ear or by rule make ``typed`` of ``candidate`` (a large number when no number
    of them can): an unstressed vowel as heard (а/о, е/и, е/я, и/я: «сабака»), «ё», «ы», «я», «ю» after a
    hushing consonant or «ц» («пришол», «цыфра», «чящка»), «з/с» before a consonant («безполезный»), «ь» left
    out or added after a consonant («связатся», «делаеть»), a double consonant single or a single doubled
    («акаунт», «ограниченый», «адресс»), «сч/щ» («щетчик»). An edit distance whose only edits are these: a
    slip of the ear is as likely as one of the finger, and spelling counts either as one (``_ranked``)."""
    never = len(typed) + len(candidate) + 1
    if _ear_skeleton(typed) != _ear_skeleton(candidate):
        return never  # a consonant no misspelling by ear changes: most pairs, at the cost of two string scans
    n, m = len(candidate), len(typed)
    cost = [[never] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0
    for i in range(n + 1):
        for j in range(m + 1):
            here = cost[i][j]
            if here >= never:
                continue
            meant, written = candidate[i : i + 1], typed[j : j + 1]
            moves: list[tuple[int, int, int]] = []  # (letters of candidate, letters of typed, slips)
            if meant and written:
                pair = frozenset((meant, written))
                before = candidate[i - 1 : i]
                if meant == written:
                    moves.append((1, 1, 0))
                elif (
                    (pair in _MISHEARD and written not in _NEVER_WRITTEN_BY_EAR)
                    or (before in "жшчщ" and before and (meant, written) in _HUSHED)
                    or (before == "ц" and pair == frozenset("иы"))
                    or (pair == frozenset("зс") and candidate[i + 1 : i + 2] in CONSONANTS)
                ):
                    moves.append((1, 1, 1))
                if meant == candidate[i + 1 : i + 2] == written and meant in CONSONANTS:
                    moves.append((2, 1, 1))  # «аккаунт» → акаунт
                if meant == written == typed[j + 1 : j + 2] and meant in CONSONANTS:
                    moves.append((1, 2, 1))  # «адрес» → адресс
                if candidate[i : i + 2] == "сч" and written == "щ":
                    moves.append((2, 1, 1))
                if meant == "щ" and typed[j : j + 2] == "сч":
                    moves.append((1, 2, 1))
            if meant == "ь" and i and candidate[i - 1] in CONSONANTS:
                moves.append((1, 0, 1))
            if written == "ь" and j and typed[j - 1] in CONSONANTS:
                moves.append((0, 1, 1))
            for di, dj, slips in moves:
                if here + slips < cost[i + di][j + dj]:
                    cost[i + di][j + dj] = here + slips
    return cost[n][m]


# Each vowel and the vowels an ear may have heard as it anywhere unstressed (``_MISHEARD``), and after a hushing
# consonant (``_HUSHED``: «о» written for «е» in «пришол»).
_HEARD_AS = {
    v: tuple(sorted(o for pair in _MISHEARD if v in pair for o in pair - {v}))
    for v in "аеиоя"
    if v not in _NEVER_WRITTEN_BY_EAR
}
_HEARD_AFTER_HUSHING = {written: meant for meant, written in _HUSHED}
_VOICED_PAIR = {"з": "с", "с": "з"}
_AFTER_TSE = {"и": "ы", "ы": "и"}


@functools.lru_cache(maxsize=WORDS_KEPT)
def ear_variants(word: str) -> frozenset[str]:
    """The words one misspelling by ear makes ``word`` of, or ``word`` of them (``ear_slips`` 1), made letter by
    letter: a few dozen strings, so a real word's neighbours by ear are dictionary look-ups, not a search of the
    spelling index."""
    made: set[str] = set()
    add = made.add
    before = ""
    for i, letter in enumerate(word):
        head, tail = word[:i], word[i + 1 :]
        after = tail[:1]
        for other in _HEARD_AS.get(letter, ()):
            add(head + other + tail)
        if before in _HUSHING and letter in _HEARD_AFTER_HUSHING:
            add(head + _HEARD_AFTER_HUSHING[letter] + tail)
        elif before == "ц" and letter in _AFTER_TSE:
            add(head + _AFTER_TSE[letter] + tail)
        if letter in CONSONANTS:
            if letter in _VOICED_PAIR and after in CONSONANTS:
                add(head + _VOICED_PAIR[letter] + tail)
            if letter != "щ":
                add(head + letter + word[i:])  # a single consonant doubled
                if after != "ь":
                    add(word[: i + 1] + "ь" + tail)  # a soft sign written
            if after == letter:
                add(head + tail)  # a double consonant single
        elif letter == "ь" and before in CONSONANTS:
            add(head + tail)  # a soft sign left out
        before = letter
    if "щ" in word or "сч" in word:
        for hushed in re.finditer("сч|щ", word):
            add(word[: hushed.start()] + ("щ" if hushed[0] == "сч" else "сч") + word[hushed.end() :])
    made.discard(word)
    return frozenset(made)


def _slips(typed: str, candidate: str, limit: int | None = None) -> int:
    """The fewer of the slips of the finger and the misspellings by ear that make ``typed`` of ``candidate``
    (``limit`` as for ``finger_slips``: within it, the slips of the finger are the answer, the ear not asked)."""
    fingers = finger_slips(typed, candidate, limit)
    if limit is not None and fingers <= limit:
        return fingers
    return min(fingers, ear_slips(typed, candidate))
