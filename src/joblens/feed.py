"""The log feed: live chunks and backfilled pages merged into one ordered stream of lines.

backend -> LogFeed -> sink (the log pane, or plain-mode output). Every chunk is taken exactly
once, in order: backfill runs whenever the live stream (re)starts, and a chunk seen once (by
id) is never taken again. Chunks are joined per stream and cut at newlines
(:mod:`joblens.lines`): the sink gets chunks of whole, sanitised lines, each placed where it
completed, and ``on_open`` gets each stream's unfinished line as it grows. What the feed holds
is checked against the table while it runs (:mod:`joblens.completeness`): a row the live
stream dropped or delivered late is put in its place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import replace

from joblens.backends.base import (
    PAGE_SIZE,
    Backend,
    ChunksArrived,
    JobChanged,
    LiveInterrupted,
    LiveStarted,
)
from joblens.completeness import SETTLE_SECONDS, VERIFY_SECONDS, CompletenessChecks
from joblens.errors import JoblensError
from joblens.job_watch import Backoff
from joblens.lines import LineAssembler, resolved_from, stream_key, without_newline
from joblens.log_output import ChunkSink, Output, PaneOutput
from joblens.merger import ChunkMerger
from joblens.models import Job, LogChunk
from joblens.sanitize import carry_colour, sanitize

StatusSink = Callable[[str | None], None]
JobSink = Callable[[Job], None]


class LogFeed(CompletenessChecks):
    """Follows one job's logs through a backend and hands sanitised chunks to a sink."""

    def __init__(
        self,
        backend: Backend,
        job_id: str,
        sink: ChunkSink | Output,
        on_link: StatusSink | None = None,
        older_sink: ChunkSink | None = None,
        page_size: int = PAGE_SIZE,
        on_open: ChunkSink | None = None,
        on_job: JobSink | None = None,
        verify_every: float = VERIFY_SECONDS,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        """``older_sink``, when given, makes the first backfill show the newest page first and
        hand older pages to it (oldest first within a page) in the background. ``on_open``
        gets each stream's unfinished line (sanitised, no newline) whenever they change;
        ``on_job`` the job's row whenever the backend says it changed."""
        self.backend = backend
        self.job_id = job_id
        self._out: Output = PaneOutput(sink) if callable(sink) else sink
        self._older_sink = older_sink
        self._on_link = on_link or (lambda _reason: None)
        #: How long the stream had been silent when its last interruption was noticed.
        self.quiet_for = 0.0
        self._on_open = on_open
        self._on_job = on_job
        self.merger = ChunkMerger()
        self.lines = LineAssembler()
        # Newest-first history: the oldest chunks read, whose lines wait for the older page
        # (a stream's first row in a page may continue a line begun before it).
        self._held: list[LogChunk] = []
        # Streams of every chunk from the held ones on: their line left open at the end of an
        # older page continues in chunks already read.
        self._continued: set[str] = set()
        # Streams with no newline in the pages read so far: the live assembler holds only the
        # end of their open line; with the count of their completed lines when that was so.
        self._headless: dict[str, int] = {}
        #: Lines shown in two parts: a stream missing from the newest page completed a line
        #: live before the older page with its beginning was read (rare: see _prepend).
        self.split_lines = 0
        self.live = False
        self.backfilled = asyncio.Event()  # set after the first complete backfill
        self.history_loaded = asyncio.Event()  # set once every older page has been loaded
        if older_sink is None:
            self.history_loaded.set()  # backfill reads from the start: no separate history
        self._history_task: asyncio.Task[None] | None = None
        self.page_size = page_size
        self._init_checks(verify_every, settle_seconds)
        self._checkpoint()  # read from the start: the empty log is the first place to go back to

    def _emit(self, chunks: Iterable[LogChunk]) -> None:
        """Take new chunks in the log's order: their completed lines go to the output."""
        newest = self.merger.last
        fresh = self.merger.admit(chunks)
        if not fresh:
            return
        if self._arrived is not None:
            self._arrived.extend(fresh)
        highest = None if newest is None else newest.order_key
        for chunk in fresh:
            key = chunk.order_key
            if highest is not None and key < highest:
                self._out_of_place(key)  # it follows lines that come after it in the table
            elif highest is None or key > highest:
                highest = key
        self._taken_since_check += len(fresh)
        self._deliver(self.lines.add_all(fresh))
        self._open_changed()
        self._checkpoint()

    def _deliver(self, done: list[LogChunk], sink: ChunkSink | None = None) -> None:
        """Whole lines, sanitised now that escape sequences cut between rows are whole too."""
        if not done:
            return
        clean = [replace(c, text=carry_colour(sanitize(c.text))) for c in done]
        if sink is None:
            self._out.lines(clean)
        else:
            sink(clean)

    def _open_changed(self) -> None:
        if self._on_open is not None:
            self._on_open([replace(c, text=sanitize(t)) for c, t in self.lines.open_lines()])

    def close_open_lines(self) -> None:
        """The job or its attempt ended: its unfinished lines are final as they are."""
        self._deliver(self.lines.close())
        self._open_changed()
        self._checkpoint()

    def note(self, text: str) -> None:
        """A line of joblens's own at this place in the log (it stays there on a replay).

        Notes mark where an attempt ended: its unfinished lines end there too.
        """
        self._deliver(self.lines.close())
        self._open_changed()
        key = None if self.merger.last is None else self.merger.last.order_key
        self._notes.append((key, text))
        self._out.note(text)
        self._checkpoint()

    def release(self) -> None:
        """The job ended and its lines were checked: let every held line go."""
        self._out.release(None)

    async def _load_tail(self) -> None:
        """The newest page first, so a long job shows its end at once."""
        page = await self.backend.fetch_latest_logs(self.job_id, limit=self.page_size)
        fresh = self.merger.admit(sorted(page, key=lambda c: c.order_key))
        if len(page) < self.page_size:
            self.history_loaded.set()  # the page starts at the log's start: all is known
        else:
            known = resolved_from(fresh)
            self._held = fresh[:known]
            self._continued = {stream_key(c) for c in fresh}
            self.lines = LineAssembler.after(self._held)
            fresh = fresh[known:]
        self._deliver(self.lines.add_all(fresh))
        self._open_changed()
        self._checkpoint()
        if not self.history_loaded.is_set():
            self._headless = {key: 0 for key in without_newline(self._held + fresh)}

    async def _load_history(self) -> None:
        """Older pages, newest page first, their lines handed to the older sink."""
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
            at_start = len(page) < self.page_size
            self._prepend(self.merger.admit(sorted(page, key=lambda c: c.order_key)), at_start)
            if at_start:
                break
            await asyncio.sleep(0)  # keys and live lines go first
        self.history_loaded.set()
        self._checkpoint()

    def _prepend(self, older: list[LogChunk], at_start: bool) -> None:
        """Lines of an older page, and of the held rows it completes, before all shown."""
        region = older + self._held
        known = 0 if at_start else resolved_from(region)
        # A stream first seen in this page, with no newline in it: where its line begins is
        # in an older page still, so its rows wait with the held ones.
        waiting = set() if at_start else set(without_newline(region)) - self._continued
        if waiting:
            last = max(i for i, c in enumerate(region) if stream_key(c) in waiting)
            known = max(known, last + 1)
        assembler = LineAssembler.after(region[:known])
        done = assembler.add_all(region[known:])
        heads = bool(self._headless)
        done += self._give_heads(older, at_start)
        # A stream's line still open at the end of the region continues in chunks already read
        # (the live assembler started from it). A stream with no row since is still writing
        # that line: it becomes the live assembler's open line. Only if such a stream wrote
        # live rows before its history came does the old line end here, on its own.
        assembler.drop(self._continued | waiting)
        for sample, text in assembler.open_lines():
            if self.lines.adopt(sample, text, assembler.began(stream_key(sample))):
                heads = True
            else:
                done.append(replace(sample, text=text + "\n"))
                self.split_lines += 1
        self._continued.update(stream_key(c) for c in region)
        self._continued -= waiting
        self._held = region[:known]
        self._deliver(done, self._older_sink)
        if heads:
            self._open_changed()

    def _give_heads(self, older: list[LogChunk], at_start: bool) -> list[LogChunk]:
        """Older text of the lines the live assembler holds only the end of.

        A stream with no newline in the pages read so far: its text in ``older`` after its
        last newline (or all of it) begins the open line. Given to that line while it is
        still open; if it completed meanwhile (a live row came first), the beginning can only
        be its own line, placed before all shown.
        """
        lost: list[LogChunk] = []
        for key, completed in list(self._headless.items()):
            parts = [c for c in older if stream_key(c) == key]
            text = "".join(c.text for c in parts)
            cut = text.rfind("\n")
            head = text[cut + 1 :]
            if head and not (
                self.lines.completed(key) == completed
                and self.lines.prepend_open(key, head, _chunk_holding(parts, cut))
            ):
                lost.append(replace(parts[-1], text=head + "\n"))
                self.split_lines += 1
            if cut >= 0 or at_start:
                del self._headless[key]  # where its line begins is known now
        return lost

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
        checker = asyncio.create_task(self._keep_checking(), name=f"joblens-check-{self.job_id}")
        try:
            await self._follow()
            if self._history_task is not None:
                await self._history_task  # the stream ended: finish loading history first
        finally:
            checker.cancel()
            if self._history_task is not None:
                self._history_task.cancel()

    async def _follow(self) -> None:
        async for event in self.backend.follow_logs(self.job_id):
            if isinstance(event, ChunksArrived):
                self._emit(event.chunks)
            elif isinstance(event, LiveStarted):
                # The server says "Subscribed" again after a new token or a restart of its
                # change capture: one more catch-up, but the link never went down.
                if not self.live:
                    self._on_link(None)
                self.live = True
                await self.backfill()
                self._taken_since_check += 1  # check what was missed while it was down
                self._check_now.set()
            elif isinstance(event, LiveInterrupted):
                self.live = False
                self.quiet_for = event.quiet_for
                self._on_link(event.reason)
            elif isinstance(event, JobChanged) and self._on_job is not None:
                self._on_job(event.job)


def _chunk_holding(parts: list[LogChunk], offset: int) -> LogChunk:
    """The chunk of ``parts`` (one stream's, in order) where the text after ``offset`` begins."""
    start = offset + 1
    for chunk in parts:
        if start < len(chunk.text):
            return chunk
        start -= len(chunk.text)
    return parts[-1]
