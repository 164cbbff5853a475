"""What a page rendered, kept by each app process for the next reader of the same thing.

Some fragments are read far more often than what they show changes: the poll results that a
hundred browsers ask for every few seconds during a meeting, the performance dashboard that
changes a few times a day. A view keys each rendering by everything it depends on (a
version of the data, the reader's choices), so a change of the data is a new key and the
next request renders afresh; old keys fall out, least recently used first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import current_app


class RenderCache:
    """The last `size` renderings by key, shared by the threads of one process."""

    def __init__(self, size: int = 64):
        self.size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def render_cache(name: str, size: int = 64) -> RenderCache:
    """This app's cache called `name` (one per app, so tests' apps never share renderings)."""
    return current_app.extensions.setdefault(f"render_cache:{name}", RenderCache(size))
