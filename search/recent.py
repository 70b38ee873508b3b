"""A bounded memo for work that depends on one key alone (a word's reading, a query's rewrite, a passage's
sentences): kept for the keys seen lately, so a process serving open-ended queries for weeks stays small."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Recent"]

V = TypeVar("V")
_MISSING = object()


class Recent(Generic[V]):
    """At most ``size`` values, the oldest entry going first; a value may be None.

    Safe under threads: two may compute the same value once each, no more.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        value = self._values.get(key, _MISSING)
        if value is _MISSING:
            value = self._values[key] = make()
            while len(self._values) > self.size:
                try:
                    self._values.popitem(last=False)
                except KeyError:  # another thread emptied it first
                    break
        return value  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._values)
