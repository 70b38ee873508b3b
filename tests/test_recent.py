"""The bounded memos every per-word and per-passage cache shares."""

from __future__ import annotations

from search.recent import Kept, Recent


def test_a_value_is_made_once_while_recent_and_the_oldest_goes_first() -> None:
    made: list[str] = []
    kept: Recent[str | None] = Recent(2)

    def make(word: str) -> str | None:
        made.append(word)
        return None if word == "абырвалг" else word.upper()

    assert kept.get("абырвалг", lambda: make("абырвалг")) is None
    assert kept.get("абырвалг", lambda: make("абырвалг")) is None  # a None is kept too, not made again
    assert kept.get("чат", lambda: make("чат")) == "ЧАТ"
    assert kept.get("заказ", lambda: make("заказ")) == "ЗАКАЗ"
    assert len(kept) == 2 and made == ["абырвалг", "чат", "заказ"]
    kept.get("абырвалг", lambda: make("абырвалг"))  # the oldest went first: made again
    assert made == ["абырвалг", "чат", "заказ", "абырвалг"]


def test_weighed_values_keep_within_a_budget_and_one_over_it_is_not_kept() -> None:
    made: list[str] = []
    kept: Recent[str] = Recent(10, weigh=len)

    def make(word: str) -> str:
        made.append(word)
        return word

    kept.get("заказ", lambda: make("заказ"))  # 5
    kept.get("чат", lambda: make("чат"))  # 3: 8 held
    assert len(kept) == 2
    kept.get("озон", lambda: make("озон"))  # 4: 12 > 10, the oldest («заказ») goes
    assert len(kept) == 2
    kept.get("чат", lambda: make("чат"))  # still kept
    assert made == ["заказ", "чат", "озон"]
    assert kept.get("поддержка-продавцов", lambda: make("поддержка-продавцов")) == "поддержка-продавцов"
    assert len(kept) == 2  # heavier than the whole budget: returned, not kept
    kept.get("заказ", lambda: make("заказ"))
    assert made[-1] == "заказ"


def test_kept_reads_as_a_dict_and_forgets_the_first_written_first() -> None:
    kept: Kept[str, str] = Kept(2)
    kept.keep("чат", "чат")
    kept.keep("заказ", "заказ")
    kept.keep("чат", "чаты")  # written again: still the first written, its value the new one
    assert kept == {"чат": "чаты", "заказ": "заказ"}
    kept.keep("озон", "озон")
    assert kept == {"заказ": "заказ", "озон": "озон"} and kept.get("чат") is None
    kept.keep("чат", "чат")
    assert list(kept) == ["озон", "чат"]
