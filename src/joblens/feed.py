"""The log feed: live chunks and backfilled pages merged into one ordered stream.

backend -> LogFeed -> sink (the log pane, or plain-mode output). Every chunk reaches the sink
exactly once, sanitised, in order: backfill runs whenever the live stream (re)starts, and a
chunk seen once (by id) is never passed on again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import timedelta

from joblens.backends.base import PAGE_SIZE, Backend, ChunksArrived, LiveInterrupted, LiveStarted
from joblens.errors import JoblensError
from joblens.models import LogChunk
from joblens.sanitize import carry_colour, sanitize

ChunkSink = Callable[[list[LogChunk]], None]
StatusSink = Callable[[str | None], None]


#: Backfill re-reads a little before the newest chunk seen: a transaction that began earlier
#: (an earlier created_at, or a lower identity id) may commit after a later one, and a drop
#: can fall between the two deliveries. Chunks read twice are dropped by id.
RESUME_OVERLAP_IDS = 256
RESUME_OVERLAP_TIME = timedelta(seconds=30)
_NIL_UUID = "00000000-0000-0000-0000-000000000000"


class Backoff:
    """The wait between retries after an error: 1 s, doubling, at most 30 s."""

    FIRST_SECONDS = 1.0
    MAX_SECONDS = 30.0

    def __init__(self) -> None:
        self.delay = self.FIRST_SECONDS

    async def wait(self) -> None:
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, self.MAX_SECONDS)


class ChunkMerger:
    """Drops chunks already passed on and remembers where backfill resumes."""

    def __init__(self) -> None:
        self._seen: set[int | str] = set()
        self.last: LogChunk | None = None  # the newest chunk passed on, by order key
        self.first: LogChunk | None = None  # the oldest, where loading older history resumes

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
            if self.first is None or chunk.order_key < self.first.order_key:
                self.first = chunk
        return fresh

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


class LogFeed:
    """Follows one job's logs through a backend and hands sanitised chunks to a sink."""

    def __init__(
        self,
        backend: Backend,
        job_id: str,
        sink: ChunkSink,
        on_link: StatusSink | None = None,
        older_sink: ChunkSink | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        """``older_sink``, when given, makes the first backfill show the newest page first and
        hand older pages to it (oldest first within a page) in the background."""
        self.backend = backend
        self.job_id = job_id
        self._sink = sink
        self._older_sink = older_sink
        self._on_link = on_link or (lambda _reason: None)
        self.merger = ChunkMerger()
        self.live = False
        self.backfilled = asyncio.Event()  # set after the first complete backfill
        self.history_loaded = asyncio.Event()  # set once every older page has been loaded
        if older_sink is None:
            self.history_loaded.set()  # backfill reads from the start: no separate history
        self._history_task: asyncio.Task[None] | None = None
        self.page_size = page_size

    def _emit(self, chunks: Iterable[LogChunk], sink: ChunkSink | None = None) -> None:
        fresh = self.merger.admit(chunks)
        if fresh:
            (sink or self._sink)([replace(c, text=carry_colour(sanitize(c.text))) for c in fresh])

    async def _load_tail(self) -> None:
        """The newest page first, so a long job shows its end at once."""
        page = await self.backend.fetch_latest_logs(self.job_id, limit=self.page_size)
        self._emit(sorted(page, key=lambda c: c.order_key))
        if len(page) < self.page_size:
            self.history_loaded.set()

    async def _load_history(self) -> None:
        """Older pages, newest page first, each handed to the older sink."""
        assert self._older_sink is not None
        backoff = Backoff()
        while True:
            try:
                page = await self.backend.fetch_latest_logs(
                    self.job_id, before=self.merger.first, limit=self.page_size
                )
            except JoblensError:
                await backoff.wait()  # the live view goes on; history resumes later
                continue
            self._emit(sorted(page, key=lambda c: c.order_key), self._older_sink)
            if len(page) < self.page_size:
                break
            await asyncio.sleep(0)  # keys and live lines go first
        self.history_loaded.set()

    async def backfill(self) -> None:
        """Fetch every chunk after the newest one seen, page by page, until a short page."""
        if self._older_sink is not None and not self.history_loaded.is_set():
            if self.merger.last is None:
                await self._load_tail()
            task = self._history_task
            if not self.history_loaded.is_set() and (task is None or task.done()):
                self._history_task = asyncio.create_task(self._load_history())
        cursor = self.merger.resume_after()
        while True:
            page = await self.backend.fetch_logs(self.job_id, after=cursor, limit=self.page_size)
            page.sort(key=lambda c: c.order_key)
            if not self.history_loaded.is_set() and self.merger.first is not None:
                # What precedes the oldest chunk shown is the history loader's to prepend.
                floor = self.merger.first.order_key
                self._emit(c for c in page if c.order_key >= floor)
            else:
                self._emit(page)
            if len(page) < self.page_size:
                break
            cursor = page[-1]
        self.backfilled.set()

    async def run(self) -> None:
        """Follow until cancelled. Live chunks queued during a backfill are merged after it."""
        try:
            await self._follow()
            if self._history_task is not None:
                await self._history_task  # the stream ended: finish loading history first
        finally:
            if self._history_task is not None:
                self._history_task.cancel()

    async def _follow(self) -> None:
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
