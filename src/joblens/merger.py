"""Which chunks the feed has taken: each once, in order, and where a backfill resumes."""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from joblens.models import LogChunk

#: Backfill re-reads a little before the newest chunk seen: a transaction that began earlier
#: (an earlier created_at, or a lower identity id) may commit after a later one, and a drop
#: can fall between the two deliveries. Chunks read twice are dropped by id.
RESUME_OVERLAP_IDS = 256
RESUME_OVERLAP_TIME = timedelta(seconds=30)
_NIL_UUID = "00000000-0000-0000-0000-000000000000"


class ChunkMerger:
    """Drops chunks already passed on and remembers where backfill resumes."""

    def __init__(self) -> None:
        self._seen: set[int | str] = set()
        self._keys: list[tuple[Any, ...]] = []  # order keys of the chunks passed on, sorted
        self.last: LogChunk | None = None  # the newest chunk passed on, by order key
        self.first: LogChunk | None = None  # the oldest, where loading older history resumes

    def admit(self, chunks: Iterable[LogChunk]) -> list[LogChunk]:
        """The chunks not seen before, in the order given."""
        fresh: list[LogChunk] = []
        keys = self._keys
        for chunk in chunks:
            if chunk.id in self._seen:
                continue
            self._seen.add(chunk.id)
            fresh.append(chunk)
            key = chunk.order_key
            if not keys or key > keys[-1]:
                keys.append(key)  # the usual case: in order
            else:
                insort(keys, key)
            if self.last is None or key > self.last.order_key:
                self.last = chunk
            if self.first is None or key < self.first.order_key:
                self.first = chunk
        return fresh

    def held(self, upto: LogChunk | None) -> int:
        """How many chunks passed on are at or before ``upto`` (all, for None)."""
        if upto is None:
            return len(self._keys)
        return bisect_right(self._keys, upto.order_key)

    def ids(self) -> frozenset[int | str]:
        """The ids of every chunk passed on."""
        return frozenset(self._seen)

    def forget_after(self, mark: LogChunk | None) -> None:
        """Forget every chunk after ``mark`` (all, for None): they will be passed on again."""
        cut = 0 if mark is None else self.held(mark)
        for key in self._keys[cut:]:
            self._seen.discard(key[-1])
        del self._keys[cut:]
        self.last = mark if cut else None
        if not cut:
            self.first = None

    def resume_after(self) -> LogChunk | None:
        """The cursor backfill resumes after: a margin before the newest chunk seen."""
        last = self.last
        if last is None:
            return None
        if isinstance(last.id, int):
            return replace(last, id=max(0, last.id - RESUME_OVERLAP_IDS))
        if last.created_at is None:
            return None  # no order to resume from: read it all, duplicates are dropped
        return replace(last, id=_NIL_UUID, created_at=last.created_at - RESUME_OVERLAP_TIME)
