"""The log feed: live chunks and backfilled pages merged into one ordered stream.

backend -> LogFeed -> sink (the log pane, or plain-mode output). Every chunk reaches the sink
exactly once, sanitised, in order: backfill runs whenever the live stream (re)starts, and a
chunk seen once (by id) is never passed on again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import replace

from joblens.backends.base import PAGE_SIZE, Backend, ChunksArrived, LiveInterrupted, LiveStarted
from joblens.models import LogChunk
from joblens.sanitize import sanitize

ChunkSink = Callable[[list[LogChunk]], None]
StatusSink = Callable[[str | None], None]


class ChunkMerger:
    """Drops chunks already passed on and remembers where backfill resumes."""

    def __init__(self) -> None:
        self._seen: set[int | str] = set()
        self.last: LogChunk | None = None  # the newest chunk passed on, by order key
        self.count = 0

    def admit(self, chunks: Iterable[LogChunk]) -> list[LogChunk]:
        """The chunks not seen before, in the order given."""
        fresh: list[LogChunk] = []
        for chunk in chunks:
            if chunk.id in self._seen:
                continue
            self._seen.add(chunk.id)
            fresh.append(chunk)
            if self.last is None or chunk.order_key > self.last.order_key:
                self.last = chunk
        self.count += len(fresh)
        return fresh


class LogFeed:
    """Follows one job's logs through a backend and hands sanitised chunks to a sink."""

    def __init__(
        self,
        backend: Backend,
        job_id: str,
        sink: ChunkSink,
        on_link: StatusSink | None = None,
    ) -> None:
        self.backend = backend
        self.job_id = job_id
        self._sink = sink
        self._on_link = on_link or (lambda _reason: None)
        self.merger = ChunkMerger()
        self.live = False
        self.backfilled = asyncio.Event()  # set after the first complete backfill

    def _emit(self, chunks: Iterable[LogChunk]) -> None:
        fresh = self.merger.admit(chunks)
        if fresh:
            self._sink([replace(c, text=sanitize(c.text)) for c in fresh])

    async def backfill(self) -> None:
        """Fetch every chunk after the newest one seen, page by page, until a short page."""
        while True:
            page = await self.backend.fetch_logs(
                self.job_id, after=self.merger.last, limit=PAGE_SIZE
            )
            self._emit(sorted(page, key=lambda c: c.order_key))
            if len(page) < PAGE_SIZE:
                break
        self.backfilled.set()

    async def run(self) -> None:
        """Follow until cancelled. Live chunks queued during a backfill are merged after it."""
        async for event in self.backend.follow_logs(self.job_id):
            if isinstance(event, ChunksArrived):
                self._emit(event.chunks)
            elif isinstance(event, LiveStarted):
                self.live = True
                self._on_link(None)
                await self.backfill()
            elif isinstance(event, LiveInterrupted):
                self.live = False
                self._on_link(event.reason)
