"""Section-aware chunking: a document becomes passages that keep their section.

    lines ─► blocks (heading, paragraph, list item, table row, question)
          ─► sections (heading chains) ─► units (a paragraph with the list it
          introduces, a question with its answer) ─► passages of ~40–150 words

Help-center articles rarely use Markdown. Their headings are short lines
without final punctuation (``Как найти номер телефона``), numbered lines
(``2 Проблемы с оплатой``), lines that repeat an entry of the article's own
table of contents (``Часто задаваемые вопросы (FAQ) ❓``) or real Markdown
(``## Ozon ID``). A passage never crosses a section, never cuts a sentence
(razdel splits the rare paragraph longer than a passage), and its text is a
verbatim slice of the document, so it can always be found there again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

import razdel

from .corpus import Document
from .lang import QUESTION_WORDS

__all__ = ["Passage", "chunk_document", "is_question", "CHUNKER_VERSION"]

CHUNKER_VERSION = 2  # bump when the same text would be cut (or its fields read) differently
MIN_WORDS = 40
MAX_WORDS = 150
HEADING_MAX_WORDS = 12
QUESTION_MAX_WORDS = 25


@dataclass(frozen=True, slots=True)
class Passage:
    """A verbatim slice of one document, inside one section."""

    id: str
    doc_id: str
    title: str
    section: tuple[str, ...]  # heading chain, outermost first; () before the first heading
    lines: tuple[int, int]  # first and last line in the source file, 1-based
    text: str  # exactly document.text[start:end]
    start: int
    end: int
    section_span: tuple[int, int] = (0, 0)  # the whole section's slice of the document
    audience: tuple[str, ...] = field(default=())
    # The FAQ question(s) this passage answers, "" when it is not part of a FAQ entry: the document's
    # first heading when that is a question (one entry per file), else the question lines inside the passage.
    question: str = ""

    @property
    def fields(self) -> dict[str, str]:
        """The FAQ fields: ``question`` and ``answer`` (the text without its own question lines)."""
        if not self.question:
            return {"question": "", "answer": self.text}
        asked = {line.strip() for line in self.question.split("\n")}
        answer = "\n".join(line for line in self.text.split("\n") if _strip_bullet(line) not in asked)
        return {"question": self.question, "answer": answer.strip()}

    @property
    def section_title(self) -> str:
        return " › ".join(self.section)

    @property
    def citation(self) -> str:
        """``title › section, lines a–b``: enough to find the passage by hand; a heading equal to the title once."""
        section = self.section[1:] if self.section[:1] == (self.title,) else self.section
        where = " › ".join((self.title, *section))
        first, last = self.lines
        lines = f"строка {first}" if first == last else f"строки {first}–{last}"
        return f"{where}, {lines}"


# --- lines → blocks -----------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_NUMBERED = re.compile(r"^(\d{1,2})[.)]?\s+(\S.*)$")
_BULLET = re.compile(r"^(?:[-*•–—]|\d{1,2}[.)])\s+")
_LONE_MARKER = re.compile(r"^[-*•–—]$")
_WORD = re.compile(r"\w+")


@dataclass(slots=True)
class _Block:
    kind: str  # "heading", "paragraph", "item", "table", "question"
    start: int  # offsets into the document text
    end: int
    text: str
    level: int = 0  # headings only
    numbered: bool = False
    markdown: bool = False

    @property
    def words(self) -> int:
        return len(_WORD.findall(self.text))


def _strip_bullet(line: str) -> str:
    return re.sub(r"^[-*•–—]\s+", "", line.strip())


def is_question(text: str) -> bool:
    """A heading or line that asks: it ends with "?" or opens with a question word («Какие настройки …»)."""
    plain = _strip_decoration(text)
    words = _WORD.findall(plain.casefold())
    return bool(words) and (plain.endswith("?") or words[0] in QUESTION_WORDS)


def _strip_decoration(text: str) -> str:
    """Heading text without Markdown marks and trailing emoji ("FAQ ❓" → "FAQ")."""
    text = re.sub(r"^[-*•]\s+", "", text.strip())
    text = re.sub(r"^#{1,6}\s+", "", text)
    while text and (
        unicodedata.category(text[-1]) in {"So", "Sk", "Cn", "Mn", "Cf", "Zs"} or text[-1] in "\ufe0f\u200d"
    ):
        text = text[:-1]
    return text.strip()


def _is_heading_like(text: str) -> bool:
    plain = _strip_decoration(text)
    if not plain or len(plain) > 120 or len(plain.split()) > HEADING_MAX_WORDS:
        return False
    if "|" in plain or plain[-1] in ".,;:!?…" or not (plain[0].isupper() or plain[0].isdigit()):
        return False
    return any(char.isalpha() for char in plain)


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    offset = 0
    pending_marker = False
    for raw in text.split("\n"):
        start, end = offset, offset + len(raw)
        offset = end + 1
        line = raw.strip()
        if not line:
            pending_marker = False
            blocks.append(_Block("blank", start, end, ""))
            continue
        lead = len(raw) - len(raw.lstrip())
        start, end = start + lead, start + lead + len(line)
        if _LONE_MARKER.match(line):
            pending_marker = True  # "-" alone on a line: the next line is the item
            continue
        markdown = _MD_HEADING.match(line)
        numbered = _NUMBERED.match(line)
        if markdown:
            block = _Block("heading", start, end, line, level=len(markdown.group(1)), markdown=True)
        elif line.endswith("?") and len(line.split()) <= QUESTION_MAX_WORDS:
            block = _Block("question", start, end, line)
        elif pending_marker or (_BULLET.match(line) and not (numbered and _is_heading_like(numbered.group(2)))):
            block = _Block("item", start, end, line)
        elif line.count("|") >= 2:
            block = _Block("table", start, end, line)
        elif numbered and _is_heading_like(numbered.group(2)):
            block = _Block("heading", start, end, line, numbered=True)
        elif _is_heading_like(line):
            block = _Block("heading", start, end, line)
        else:
            block = _Block("paragraph", start, end, line)
        pending_marker = False
        blocks.append(block)
    return _join_wrapped(_demote_trailing_headings(blocks))


def _demote_trailing_headings(blocks: list[_Block]) -> list[_Block]:
    """A "heading" with nothing after it is a closing line, not a heading."""
    for block in reversed(blocks):
        if block.kind == "blank":
            continue
        if block.kind == "heading" and not block.markdown:
            block.kind = "paragraph"
        break
    return blocks


def _join_wrapped(blocks: list[_Block]) -> list[_Block]:
    """Glue hard-wrapped paragraph lines back together (a line that goes on in lowercase)."""
    joined: list[_Block] = []
    for block in blocks:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.kind == "paragraph"
            and block.kind in {"paragraph", "heading"}
            and not block.markdown
            and not block.numbered
            and block.text[:1].islower()
            and previous.text[-1:] not in ".!?:;…"
        ):
            previous.end = block.end
            previous.text = previous.text + " " + block.text
            continue
        joined.append(block)
    return [block for block in joined if block.kind != "blank"]


# --- blocks → sections ---------------------------------------------------------------


def _table_of_contents(blocks: list[_Block]) -> set[str]:
    """Entries of list items that name a later heading: the article's own contents."""
    items = {_strip_decoration(block.text).casefold() for block in blocks if block.kind == "item"}
    headings = {_strip_decoration(block.text).casefold() for block in blocks if block.kind == "heading"}
    return items & headings


def _assign_levels(blocks: list[_Block]) -> None:
    """Give every heading a depth: 1 for the article's main sections, more for subsections."""
    contents = _table_of_contents(blocks)
    anchor_level = 0  # numbered subsections ("1 …", "2 …") hang below this heading's level
    previous: _Block | None = None
    for block in blocks:
        if block.kind != "heading":
            previous = block
            continue
        plain = _strip_decoration(block.text).casefold()
        directly_under = previous is not None and previous.kind == "heading" and not previous.numbered
        if block.numbered:
            block.level = anchor_level + 1
        elif contents:
            # Main sections are the ones the contents list; others sit below them.
            block.level = 1 if plain in contents or previous is None else 2
        elif block.markdown:
            pass  # keeps the level its "#" marks gave it
        elif directly_under and previous is not None:
            block.level = previous.level + 1  # a heading right under a heading is its subsection
        else:
            block.level = 1
        if not block.numbered and not (directly_under and not contents and not block.markdown):
            anchor_level = block.level
        previous = block


@dataclass(slots=True)
class _Section:
    path: tuple[str, ...]
    blocks: list[_Block]
    start: int
    end: int


def _sections(blocks: list[_Block], length: int) -> list[_Section]:
    _assign_levels(blocks)
    sections = [_Section((), [], 0, length)]
    chain: list[tuple[int, str]] = []
    for block in blocks:
        if block.kind == "heading":
            sections[-1].end = block.start
            chain = [(level, name) for level, name in chain if level < block.level]
            chain.append((block.level, _strip_decoration(block.text)))
            sections.append(_Section(tuple(name for _, name in chain), [], block.start, length))
        else:
            sections[-1].blocks.append(block)
    return [section for section in sections if section.blocks]


# --- sections → units → passages -----------------------------------------------------


def _units(blocks: list[_Block]) -> list[list[_Block]]:
    """Blocks that belong together: a lead paragraph with its list, a question with its answer."""
    units: list[list[_Block]] = []
    for block in blocks:
        current = units[-1] if units else None
        if current is None or block.kind == "question":
            units.append([block])
        elif current[0].kind == "question" or block.kind in {"item", "table"}:
            current.append(block)  # the answer stays with its question, a list with its lead
        else:
            units.append([block])
    return units


@dataclass(slots=True)
class _Atom:
    start: int
    end: int
    words: int


def _atoms(unit: list[_Block], text: str, most: int) -> list[_Atom]:
    """The smallest pieces a unit may be cut into: lines, or sentences of a very long line."""
    atoms = []
    for block in unit:
        words = block.words  # counted once: a regex over the block's text
        if words <= most:
            atoms.append(_Atom(block.start, block.end, words))
            continue
        for sentence in razdel.sentenize(text[block.start : block.end]):
            words = len(_WORD.findall(sentence.text))
            atoms.append(_Atom(block.start + sentence.start, block.start + sentence.stop, words))
    return atoms


def _pack(atoms: list[_Atom], least: int, most: int) -> Iterator[list[_Atom]]:
    """Greedy packing towards ``least``..``most`` words; a short tail joins the previous passage."""
    group: list[_Atom] = []
    words = 0
    for atom in atoms:
        if group and words + atom.words > most and words >= least // 2:
            yield group
            group, words = [], 0
        group.append(atom)
        words += atom.words
    if group:
        yield group


def _passages_of_section(section: _Section, text: str, least: int, most: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int, int]] = []  # start, end, words
    current: list[_Atom] = []

    def flush() -> None:
        if current:
            spans.append((current[0].start, current[-1].end, sum(a.words for a in current)))
            current.clear()

    for unit in _units(section.blocks):
        atoms = _atoms(unit, text, most)
        unit_words = sum(atom.words for atom in atoms)
        current_words = sum(atom.words for atom in current)
        if current_words + unit_words <= most:
            current.extend(atoms)
            continue
        if current_words >= least or unit_words > most:
            flush()
        if unit_words <= most:
            current.extend(atoms)
            continue
        for group in _pack(atoms, least, most):
            flush()
            current.extend(group)
    flush()
    # A short last passage (under ``least`` words) joins the one before it when the two still fit.
    if len(spans) > 1 and spans[-1][2] < least and spans[-2][2] + spans[-1][2] <= most * 1.2:
        last = spans.pop()
        before = spans.pop()
        spans.append((before[0], last[1], before[2] + last[2]))
    return [(start, end) for start, end, _ in spans]


def chunk_document(document: Document, words: tuple[int, int] = (MIN_WORDS, MAX_WORDS)) -> list[Passage]:
    """The passages of one document, in reading order, with stable ids; ``words`` bounds their length.

    Ids are ``<doc id>:<ordinal>``: the same corpus always gives the same ids.
    """
    text = document.text
    line_starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        low, high = 0, len(line_starts)
        while low < high - 1:
            middle = (low + high) // 2
            if line_starts[middle] <= offset:
                low = middle
            else:
                high = middle
        return low + 1

    blocks = _blocks(text)
    entry = _entry_question(blocks)
    questions = [block for block in blocks if block.kind == "question"]
    passages = []
    for section in _sections(blocks, len(text)):
        for start, end in _passages_of_section(section, text, *words):
            inside = [_strip_bullet(q.text) for q in questions if start <= q.start and q.end <= end]
            passages.append(
                Passage(
                    id=f"{document.id}:{len(passages):03d}",
                    doc_id=document.id,
                    title=document.title,
                    section=section.path,
                    lines=(line_of(start), line_of(max(start, end - 1))),
                    text=text[start:end],
                    start=start,
                    end=end,
                    section_span=(section.start, section.end),
                    audience=document.audience,
                    question=entry or "\n".join(inside),
                )
            )
    return passages


def _entry_question(blocks: list[_Block]) -> str:
    """The question of a one-entry FAQ file: it opens with a Markdown heading that asks (``# Как …?``)
    and no later heading of that level starts another entry. A plain first line («Как открыть чат на Ozon»)
    is an article's title, not a question."""
    first = blocks[0] if blocks else None
    if first is None or first.kind != "heading" or not first.markdown or not is_question(first.text):
        return ""
    if any(b.kind == "heading" and b.markdown and b.level <= first.level for b in blocks[1:]):
        return ""  # several entries (or sections) in one file: each question line speaks for itself
    return _strip_decoration(first.text)
