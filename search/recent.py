"""A bounded memo for work that depends on one key alone (a word's reading, a query's rewrite, a passage's
sentences): kept for the keys seen lately, so a process serving open-ended queries for weeks stays small."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Kept", "Recent"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()


class Recent(Generic[V]):
    """At most ``size`` values, the oldest entry going first; a value may be None.

    With ``weigh``, ``size`` is a budget in its units (a value's bytes: the posting lists a loaded index's kernel
    read lately) rather than a count, and a value weighing more than all of it is not kept.
    Safe under threads: two may compute the same value once each, no more.
    """

    def __init__(self, size: int, weigh: Callable[[V], int] | None = None) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._weigh = weigh
        self._held = 0  # the kept values' weight, with ``weigh``
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        value = self._values.get(key, _MISSING)
        if value is _MISSING:
            value = make()
            if self._weigh is None:
                self._values[key] = value
                while len(self._values) > self.size:
                    try:
                        self._values.popitem(last=False)
                    except KeyError:  # another thread emptied it first
                        break
            else:
                self._keep(key, value, self._weigh)
        return value  # type: ignore[return-value]

    def _keep(self, key: Hashable, value: V, weigh: Callable[[V], int]) -> None:
        weight = weigh(value)
        if weight > self.size:
            return
        with self._lock:  # the held weight must match the values kept
            if key in self._values:
                return
            self._values[key] = value
            self._held += weight
            while self._held > self.size:
                _, dropped = self._values.popitem(last=False)
                self._held -= weigh(dropped)

    def __len__(self) -> int:
        return len(self._values)


class Kept(dict[K, V]):
    """At most ``size`` entries, the first written going first: a plain dict to read (``get`` and ``in`` at a dict's
    speed, for memos read on every word of every query and passage), written through ``keep``.

    Safe under threads: a key two threads keep at once is written twice and may go a turn early, no worse.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self._order: deque[K] = deque()  # the keys in the order written, the oldest first

    def keep(self, key: K, value: V) -> None:
        if key not in self:
            self._order.append(key)
        self[key] = value
        while len(self._order) > self.size:
            try:
                self.pop(self._order.popleft(), None)
            except IndexError:  # another thread emptied it first
                break
