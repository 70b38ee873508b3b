"""Reading corpus folders: the manifest, plain folders, and files that cannot be documents."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from search.corpus import CorpusError, CorpusWarning, read_corpus


def test_the_embedded_corpus_follows_its_manifest(corpus_dir: Path) -> None:
    documents = read_corpus(corpus_dir)
    assert [d.id for d in documents] == ["buyers-support", "seller-request", "seller-channels", "chat-and-support"]
    assert {d.audience for d in documents} == {("покупатели",), ("продавцы",), ("покупатели", "продавцы")}
    seeds = corpus_dir.parent.parent / "shared" / "seeds"
    for document in documents:
        assert document.source.endswith(".txt")
        if seeds.is_dir():  # the texts are the seeds, byte for byte
            assert (seeds / document.source).read_text(encoding="utf-8") == document.text


def test_plain_folder_titles_come_from_headings_or_file_names(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# Оплата заказа\n\nКартой или СБП.\n", encoding="utf-8")
    (tmp_path / "a_доставка.txt").write_text("Курьер привозит заказ.\n", encoding="utf-8")
    (tmp_path / "skip.pdf").write_bytes(b"%PDF")
    documents = read_corpus(tmp_path)
    assert [(d.id, d.title) for d in documents] == [("a_доставка", "a доставка"), ("b", "Оплата заказа")]


def test_windows_line_endings_and_bom_are_read_as_text(tmp_path: Path) -> None:
    (tmp_path / "doc.txt").write_bytes("\ufeffЗаголовок\r\nТекст абзаца.\r\n".encode())
    assert read_corpus(tmp_path)[0].text == "Заголовок\nТекст абзаца.\n"


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\n ", "only white space"),
        ("latin1.txt", "Возврат".encode("cp1251"), "not UTF-8"),
        ("binary.txt", b"\x00\x01\x02text", "binary"),
    ],
)
def test_a_broken_file_is_skipped_with_a_warning_naming_it(tmp_path: Path, name: str, content: bytes, why: str) -> None:
    (tmp_path / "good.txt").write_text("Возврат товара оформляют в личном кабинете.\n", encoding="utf-8")
    (tmp_path / name).write_bytes(content)
    with pytest.warns(CorpusWarning, match=f"{name}.*{why}"):
        documents = read_corpus(tmp_path)
    assert [d.id for d in documents] == ["good"]


def test_a_link_out_of_the_corpus_is_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("Пароль от сервера.\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Текст.\n", encoding="utf-8")
    os.symlink(outside, corpus / "link.txt")
    with pytest.warns(CorpusWarning, match="link.txt.*outside the corpus"):
        assert [d.id for d in read_corpus(corpus)] == ["good"]


def test_identical_documents_are_indexed_once(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Один и тот же текст.\n", encoding="utf-8")
    with pytest.warns(CorpusWarning, match="b.txt: same text as a.txt"):
        assert [d.id for d in read_corpus(tmp_path)] == ["a"]


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ('[[documents]]\nid = "a"\nfile = "missing.txt"\n', "document 1: file not found: missing.txt"),
        ('[[documents]]\nid = "a"\nfile = \n', r"manifest.toml: .*line 3"),
        ('[[documents]]\nfile = "a.txt"\n', "document 1: missing id"),
        ('title = "x"\n', "expected one or more"),
        ('[[documents]]\nid = "a"\nfile = "a.txt"\n[[documents]]\nid = "a"\nfile = "a.txt"\n', "duplicate id 'a'"),
    ],
)
def test_a_broken_manifest_is_a_clear_error(tmp_path: Path, manifest: str, message: str) -> None:
    (tmp_path / "a.txt").write_text("Текст.\n", encoding="utf-8")
    (tmp_path / "manifest.toml").write_text(manifest, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        read_corpus(tmp_path)


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="corpus folder not found"):
        read_corpus(tmp_path / "nowhere")
