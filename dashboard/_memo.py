"""A small memo of rendered output, shared by every screen served by this process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class RenderMemo(Generic[V]):
    """Keeps the last ``size`` results by key; builds under the lock, so screens that
    ask for the same key at the same moment cause one build, not one each."""

    def __init__(self, size: int = 16) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self.builds = 0  # for tests and debugging

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            value = build()
            self.builds += 1
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
            return value
