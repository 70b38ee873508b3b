"""A deterministic synthetic Russian corpus for scale benchmarks.

Real word forms, not random strings, so that lemmatization, the dictionary
cache and the vocabulary size behave as they would on a real help center:

- the embedded corpus's own words, most frequent first (function words
  included: the analysis chain drops them, as it would in real text), then
- word forms sampled from pymorphy3's dictionary (a fixed stride over the
  first keys under every three-letter prefix, so the sample is spread over the
  whole alphabet and the same on every run),

ranked in that order and drawn from a Zipf distribution (``p(rank) ∝ 1 /
rank^s``). Passages are 45–75 tokens, cut into sentences of 6–14 words;
queries are 2–6 words from the same distribution. The same ``seed`` gives the
same texts, byte for byte::

    python -m benchmarks.synthetic --passages 100000 --out /tmp/synthetic-100k
    python -m benchmarks.synthetic --passages 10000 --stdout | head

>>> corpus = SyntheticCorpus(seed=1)
>>> corpus.passages(3) == SyntheticCorpus(seed=1).passages(3)
True
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from collections import Counter
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

import numpy as np

__all__ = ["SyntheticCorpus", "SIZES", "ZipfCorpus", "write_folder", "write_zipf_folder"]

SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"
XQUAD = Path("/work/shared/benchmarks/xquad/xquad.ru.json")
_ALPHABET = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
_WORD = re.compile(r"[а-яё]+(?:-[а-яё]+)?")


def corpus_words(folder: Path = CORPUS) -> list[str]:
    """The embedded corpus's Cyrillic word forms, most frequent first (ties alphabetically)."""
    counts: Counter[str] = Counter()
    for path in sorted(folder.glob("*.txt")):
        if path.name == "synonyms.txt":
            continue
        counts.update(_WORD.findall(path.read_text(encoding="utf-8").lower().replace("ё", "е")))
    return [word for word, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def dictionary_words(per_prefix: int = 12, stride: int = 5, scan: int = 400) -> list[str]:
    """Word forms from pymorphy3's dictionary: every ``stride``-th key under each three-letter prefix."""
    import pymorphy3

    words = pymorphy3.MorphAnalyzer(lang="ru").dictionary.words
    found: dict[str, None] = {}
    for a, b, c in itertools.product(_ALPHABET, repeat=3):
        distinct: dict[str, None] = {}
        for key in itertools.islice(words.iterkeys(a + b + c), scan):
            distinct.setdefault(key.replace("ё", "е"), None)
        for key in itertools.islice(distinct, 0, stride * per_prefix, stride):
            if len(key) > 1:
                found.setdefault(key, None)
    return list(found)


class SyntheticCorpus:
    """Zipf-distributed real Russian word forms; every text is a pure function of ``seed`` and its position."""

    def __init__(self, seed: int = 20261123, zipf: float = 1.0, vocabulary_size: int = 100_000) -> None:
        self.seed, self.zipf, self.vocabulary_size = seed, zipf, vocabulary_size

    @cached_property
    def vocabulary(self) -> np.ndarray:
        """Word forms by rank: the corpus's own words first, then a shuffled dictionary sample."""
        own = corpus_words()
        seen = set(own)
        extra = [w for w in dictionary_words() if w not in seen]
        np.random.default_rng(self.seed).shuffle(extra)  # a random but fixed rank for each dictionary form
        return np.array((own + extra)[: self.vocabulary_size], dtype=object)

    @cached_property
    def _cdf(self) -> np.ndarray:
        weights = 1.0 / np.arange(1, len(self.vocabulary) + 1) ** self.zipf
        return np.cumsum(weights / weights.sum())

    def _draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        ranks = np.searchsorted(self._cdf, rng.random(size), side="right")
        return self.vocabulary[np.minimum(ranks, len(self.vocabulary) - 1)]

    def _text(self, rng: np.random.Generator, words: np.ndarray) -> str:
        sentences, position = [], 0
        while position < len(words):
            length = int(rng.integers(6, 15))
            sentence = " ".join(words[position : position + length])
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
            position += length
        return " ".join(sentences)

    def iter_passages(self, count: int, block: int = 10_000) -> Iterator[str]:
        """``count`` passages of 45–75 tokens; block ``i`` always has the same texts, whatever ``count``."""
        for start in range(0, count, block):
            rng = np.random.default_rng([self.seed, start // block])
            size = min(block, count - start)
            lengths = rng.integers(45, 76, size=size)
            words = self._draw(rng, int(lengths.sum()))
            offsets = np.concatenate([[0], np.cumsum(lengths)])
            for i in range(size):
                yield self._text(rng, words[offsets[i] : offsets[i + 1]])

    def passages(self, count: int) -> list[str]:
        return list(self.iter_passages(count))

    def queries(self, count: int = 200) -> list[str]:
        """Queries of 2–6 words, drawn from the same Zipf distribution (so some hit very long postings)."""
        rng = np.random.default_rng([self.seed, 10**9])
        lengths = rng.integers(2, 7, size=count)
        return [" ".join(self._draw(rng, int(n))) for n in lengths]


def write_folder(
    folder: str | Path, count: int, corpus: SyntheticCorpus | None = None, per_file: int = 1000, headings: bool = True
) -> Path:
    """A corpus folder the engine can read: one .txt document per ``per_file`` texts.

    With ``headings``, a title and one heading per text; without, texts separated by blank lines only.
    """
    corpus = corpus or SyntheticCorpus()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    texts = corpus.iter_passages(count)
    for number in range((count + per_file - 1) // per_file):
        chunk = list(itertools.islice(texts, per_file))
        if headings:
            body = "\n\n".join(f"## Раздел {number}.{i}\n\n{text}" for i, text in enumerate(chunk))
            content = f"# Документ {number}\n\n{body}\n"
        else:
            content = "\n\n".join(chunk) + "\n"
        (folder / f"doc-{number:05d}.txt").write_text(content, encoding="utf-8")
    return folder


class ZipfCorpus(SyntheticCorpus):
    """Issue 15's workload: every word form of the seed documents and the XQuAD paragraphs, by frequency rank.

    The vocabulary is the Cyrillic word forms of ``corpus/*.txt`` and of the
    Russian XQuAD paragraphs, ranked by their frequency there (most frequent
    first, ties alphabetically), function words and all; texts of 45–75 words
    and queries of 2–6 words are drawn by one Zipf law over those ranks, so
    queries hit «как», «заказ», «поддержка» and the other long postings as
    people's queries do.

    >>> ZipfCorpus(seed=1).passages(2) == ZipfCorpus(seed=1).passages(2)
    True
    """

    def __init__(self, seed: int = 20261130, zipf: float = 1.0, xquad: Path = XQUAD) -> None:
        super().__init__(seed=seed, zipf=zipf)
        self.xquad = xquad

    @cached_property
    def vocabulary(self) -> np.ndarray:
        import json

        counts: Counter[str] = Counter()
        texts = [
            path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.txt")) if path.name != "synonyms.txt"
        ]
        if self.xquad.is_file():
            data = json.loads(self.xquad.read_text(encoding="utf-8"))
            texts += [p["context"] for article in data["data"] for p in article["paragraphs"]]
        for text in texts:
            counts.update(_WORD.findall(text.lower().replace("ё", "е")))
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return np.array([word for word, _ in ranked], dtype=object)


def write_zipf_folder(folder: str | Path, count: int, corpus: ZipfCorpus | None = None, per_file: int = 1000) -> Path:
    """Issue 15's layout: ``per_file`` Zipf texts a file, separated by blank lines, no headings."""
    return write_folder(folder, count, corpus or ZipfCorpus(), per_file, headings=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--out", type=Path, help="write a corpus folder of .txt files here")
    parser.add_argument("--stdout", action="store_true", help="print one passage a line")
    parser.add_argument("--queries", action="store_true", help="print the 200 queries instead")
    args = parser.parse_args(argv)
    corpus = SyntheticCorpus(seed=args.seed)
    if args.queries:
        print("\n".join(corpus.queries()))
    elif args.out:
        print(write_folder(args.out, args.passages, corpus))
    else:
        for text in corpus.iter_passages(args.passages):
            sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
