"""Completeness: what the feed holds is checked against the table, the only truth.

Supabase gives no delivery guarantee for Postgres Changes (docs/PLATFORM.md, "Delivery"): the
server may drop a change while the socket stays up, and a transaction that began first may
commit after later ones, so a row can arrive late or never. While rows arrive, the feed
counts the table's rows up to the newest it took (one exact count, a HEAD request) every few
seconds, after every (re)subscription and before plain mode reports the job's end:

- the counts agree: what was passed on up to there is confirmed (plain mode prints it);
- the table holds more, or a chunk arrived behind later ones: the feed goes back to the
  newest checkpoint the table agrees with (found by counting, a few requests), reads the
  table again from there and passes the log on again, every row in its place; the output
  takes back what it had after that checkpoint (``joblens.log_output``);
- nothing arrives but the table grows (a silent stream, lost last changes): read as backfill.

Rows that arrive normally are never delayed in the view; plain mode prints a line once it
is confirmed. The cost: one count per check while rows arrive, two when a count differs,
and log2(checkpoints) counts plus the rows since that checkpoint when a row was missed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from joblens.backends.base import Backend
from joblens.errors import JoblensError
from joblens.lines import LineAssembler
from joblens.log_output import Output
from joblens.merger import ChunkMerger
from joblens.models import LogChunk
from joblens.waits import wait_set

#: How often, while rows arrive, what the feed holds is checked against the table.
VERIFY_SECONDS = 3.0
#: A count that differs is taken again after this long: a row may be on its way live.
SETTLE_SECONDS = 0.3
#: While no row arrives, rows after the newest are looked for at most this far apart.
QUIET_CHECK_MAX_SECONDS = 60.0
#: Checkpoints kept since the last confirmed one (thinned beyond, never the confirmed one).
MAX_CHECKPOINTS = 512


@dataclass(frozen=True, slots=True)
class _Checkpoint:
    """What had been passed on when ``last`` was the newest chunk: a replay starts here."""

    last: LogChunk | None
    held: int  # chunks passed on up to ``last`` (all of them in place)
    lines: LineAssembler  # the assembler's state then (a copy)
    mark: int  # the output's mark then
    notes: int  # notes written by then


class CompletenessChecks:
    """The feed's checks against the table (mixed into :class:`joblens.feed.LogFeed`)."""

    # What the feed provides.
    backend: Backend
    job_id: str
    merger: ChunkMerger
    lines: LineAssembler
    history_loaded: asyncio.Event
    page_size: int
    split_lines: int
    _out: Output

    def _init_checks(self, verify_every: float, settle_seconds: float) -> None:
        self.verify_every = verify_every
        self.settle_seconds = settle_seconds
        self._checkpoints: list[_Checkpoint] = []
        self._notes: list[tuple[tuple[Any, ...] | None, str]] = []
        self._can_count = True
        self._verifying = False
        self._replay_needed = False  # a chunk arrived behind later ones: put it in place
        self._arrived: list[LogChunk] | None = None  # chunks taken while a replay reads
        self._taken_since_check = 0
        self._check_now = asyncio.Event()
        #: Chunks put in their place after the table showed they had been missed or were late.
        self.recovered = 0

    def _emit(self, chunks: list[LogChunk]) -> None:
        raise NotImplementedError

    def note(self, text: str) -> None:
        raise NotImplementedError

    async def backfill(self) -> None:
        raise NotImplementedError

    @property
    def replay_pending(self) -> bool:
        """A chunk arrived out of place and the log has not been passed on again yet."""
        return self._replay_needed

    def _checkpoint(self) -> None:
        """Remember the state now, to replay from should an earlier row turn up later."""
        if not self._can_count or not self.history_loaded.is_set() or self._replay_needed:
            return  # rows before the newest page are still being prepended, or out of place
        mark = self._out.mark()
        if mark is None:
            return
        last = self.merger.last
        point = _Checkpoint(last, self.merger.held(last), self.lines.copy(), mark, len(self._notes))
        points = self._checkpoints
        if points and points[-1].last == last and points[-1].notes == point.notes:
            points[-1] = point  # the same place, a later state (lines closed)
        else:
            points.append(point)
        if len(points) > MAX_CHECKPOINTS:
            del points[1:-1:2]  # thin them out; the oldest (the confirmed one) stays

    def _out_of_place(self, key: tuple[Any, ...]) -> None:
        """A chunk arrived behind later ones (a transaction that committed late): its lines
        went after theirs. Checkpoints past its place are void; replay from before it."""
        self._checkpoints = [
            p for p in self._checkpoints if p.last is None or p.last.order_key < key
        ]
        self._replay_needed = True
        self._check_now.set()

    async def verify(self) -> int:
        """Check what the feed holds against the table and put what it lacks in its place.

        One exact count when all is well. When the table holds more up to the newest chunk
        taken, the log is passed on again from the last checkpoint the table agrees with; rows
        after the newest chunk are read as backfill. Returns how many chunks were recovered.
        """
        if self._verifying or not self._can_count or not self.history_loaded.is_set():
            return 0
        self._verifying = True
        try:
            return await self._verify()
        finally:
            self._verifying = False

    async def _verify(self) -> int:
        self._taken_since_check = 0
        last = self.merger.last
        held = self.merger.held(last)
        counted = await self.backend.count_logs(self.job_id, upto=last)
        if counted is None:
            self._can_count = False  # a backend that cannot count: no check, no checkpoints
            self._checkpoints.clear()
            self._out.release(None)
            return 0
        if counted != held and not self._replay_needed:
            await asyncio.sleep(self.settle_seconds)  # a row may be on its way live
            held = self.merger.held(last)
            counted = await self.backend.count_logs(self.job_id, upto=last)
        recovered = 0
        if counted != held or self._replay_needed:
            recovered = await self._replay(await self._agreeing_checkpoint())
        elif self._checkpoints:
            # Confirmed up to ``last``: older checkpoints are no longer needed.
            at = max(i for i, p in enumerate(self._checkpoints) if p.held <= held)
            del self._checkpoints[:at]
            self._out.release(self._checkpoints[0].mark)
        self.recovered += recovered
        return recovered

    async def catch_up(self) -> bool:
        """Whether the table holds rows after the newest chunk taken; if so, read them.

        For a stream that went quiet: the server may have stopped sending (or dropped the
        last changes) while the job still writes. One count; a backfill only when it says so.
        """
        if not self._can_count or not self.history_loaded.is_set():
            return False
        last = self.merger.last
        beyond = await self.backend.count_logs(self.job_id, after=last)
        if not beyond:
            return False
        await self.backfill()
        return True

    async def _agreeing_checkpoint(self) -> _Checkpoint | None:
        """The newest checkpoint the table agrees with (every row up to it was in place);
        the log's very start when none does and everything can be taken back."""
        points = self._checkpoints
        low, high = 0, len(points) - 1
        found: _Checkpoint | None = None
        while low <= high:  # the table agrees with a prefix of the checkpoints
            middle = (low + high) // 2
            point = points[middle]
            if point.last is None:
                counted: int | None = 0  # before the first chunk: nothing to disagree with
            else:
                counted = await self.backend.count_logs(self.job_id, upto=point.last)
            if counted == point.held:
                found, low = point, middle + 1
            else:
                high = middle - 1
        if found is None:
            start = self._out.start_mark()
            if start is not None:
                found = _Checkpoint(None, 0, LineAssembler(), start, 0)
        return found

    async def _replay(self, point: _Checkpoint | None) -> int:
        """Read the table again after ``point`` and pass the log on again from there; how
        many of the chunks read had not been taken before."""
        self._replay_needed = False
        if point is None:
            # Nothing can be taken back: the rows missed go after what is shown, not lost.
            return await self._read_missed()
        self._arrived = []
        try:
            rows: list[LogChunk] = []
            cursor = point.last
            while True:
                page = await self.backend.fetch_logs(
                    self.job_id, after=cursor, limit=self.page_size
                )
                rows += page
                if len(page) < self.page_size:
                    break
                cursor = page[-1]
        finally:
            arrived, self._arrived = self._arrived, None
        # From here on, nothing awaits: no chunk can arrive halfway through the replay.
        ordered = sorted({c.id: c for c in [*rows, *arrived]}.values(), key=_order)
        self._out.rewind(point.mark)
        if point.last is None:
            self.split_lines = 0  # every line is passed on again from the start, whole
        self.lines = point.lines.copy()
        taken = self.merger.ids()
        self.merger.forget_after(point.last)
        self._checkpoints = [p for p in self._checkpoints if p.mark <= point.mark]
        notes = self._notes[point.notes :]
        del self._notes[point.notes :]
        for chunk in ordered:
            while notes and (notes[0][0] is None or notes[0][0] < chunk.order_key):
                self.note(notes.pop(0)[1])
            self._emit([chunk])
        for _, text in notes:
            self.note(text)
        return sum(1 for chunk in ordered if chunk.id not in taken)

    async def _read_missed(self) -> int:
        """Read the whole log again and pass on what was not taken (out of its place)."""
        taken = self.merger.ids()
        cursor: LogChunk | None = None
        missed = 0
        while True:
            page = await self.backend.fetch_logs(self.job_id, after=cursor, limit=self.page_size)
            fresh = [c for c in page if c.id not in taken]
            missed += len(fresh)
            self._emit(fresh)
            if len(page) < self.page_size:
                return missed
            cursor = page[-1]

    async def _keep_checking(self) -> None:
        """Check every ``verify_every`` seconds while chunks arrive, and at once when one
        arrived out of place or the stream came back. While nothing arrives, look for rows
        after the newest one taken, less and less often (up to once a minute)."""
        quiet = self.verify_every
        while True:
            await wait_set(self._check_now, quiet)
            self._check_now.clear()
            try:
                if self._taken_since_check or self._replay_needed:
                    quiet = self.verify_every
                    await self.verify()
                elif await self.catch_up():
                    quiet = self.verify_every
                else:
                    quiet = min(quiet * 2, QUIET_CHECK_MAX_SECONDS)
            except JoblensError:
                pass  # the server is not answering: the next check will tell


def _order(chunk: LogChunk) -> tuple[Any, ...]:
    return chunk.order_key
