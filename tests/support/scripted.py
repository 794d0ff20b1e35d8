"""A scripted in-memory log table for the feed's tests, and rows cut from streams' text.

``ScriptedBackend`` plays a script of steps against an in-memory table with a realtime-like
delivery queue: commits are queued for live delivery in commit order, a drop loses what was
queued, and a re-subscription may race with commits (so backfill and live delivery overlap).
``CutBackend`` writes rows cut from a few streams' text (``cut_streams``) instead.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncGenerator, Collection
from dataclasses import dataclass, field

from hypothesis import strategies as st

from joblens.backends.base import (
    Backend,
    ChangeEvent,
    ChunksArrived,
    FollowEvent,
    LiveInterrupted,
    LiveStarted,
)
from joblens.models import Job, JobState, LogChunk, StreamType, Tendril

JOB = "00000000-0000-4000-8000-000000000001"

# Script steps: ("commit", n) writes n chunks; ("deliver", k) lets k queued chunks arrive live;
# ("drop",) disconnects (queued chunks are lost); ("resub", m) reconnects, with m chunks
# committed while the subscription comes up (seen by backfill and delivered live too);
# ("late", n) takes n ids now but commits them only at the next step, after a later id
# (a transaction that began first and committed last).
Step = tuple[str, int] | tuple[str]


@dataclass
class ScriptedBackend(Backend):
    script: list[Step]
    backlog: int
    db: list[LogChunk] = field(default_factory=list)
    next_id: int = 1

    def make(self, n: int) -> list[LogChunk]:
        made = []
        for _ in range(n):
            stream = StreamType.STDERR if self.next_id % 5 == 0 else StreamType.STDOUT
            made.append(LogChunk(self.next_id, JOB, f"line {self.next_id}\n", stream))
            self.next_id += 1
        return made

    def commit(self, n: int) -> list[LogChunk]:
        made = self.make(n)
        self.db.extend(made)
        self.db.sort(key=lambda c: int(c.id))
        return made

    async def fetch_logs(
        self, job_id: str, *, after: LogChunk | None = None, limit: int = 1000
    ) -> list[LogChunk]:
        start = 0 if after is None else int(after.id)
        await asyncio.sleep(0)
        return [c for c in self.db if int(c.id) > start][:limit]

    async def fetch_latest_logs(
        self, job_id: str, *, before: LogChunk | None = None, limit: int = 1000
    ) -> list[LogChunk]:
        await asyncio.sleep(0)
        older = [c for c in self.db if before is None or int(c.id) < int(before.id)]
        return older[-limit:]

    async def follow_logs(self, job_id: str) -> AsyncGenerator[FollowEvent, None]:
        self.commit(self.backlog)
        queue: list[LogChunk] = []
        live = True
        yield LiveStarted()
        held: list[LogChunk] = []
        for step in self.script:
            kind = step[0]
            if held:  # the late transaction commits now, after the later ids
                self.db.extend(held)
                self.db.sort(key=lambda c: int(c.id))
                if live:
                    queue.extend(held)
                held = []
            if kind == "late":
                held = self.make(step[1])  # type: ignore[misc]
                made = self.commit(1)
                if live:
                    queue.extend(made)
            elif kind == "commit":
                made = self.commit(step[1])  # type: ignore[misc]
                if live:
                    queue.extend(made)
            elif kind == "deliver" and live and queue:
                count = step[1]  # type: ignore[misc]
                out, queue = queue[:count], queue[count:]
                yield ChunksArrived(tuple(out))
            elif kind == "drop" and live:
                live = False
                queue.clear()
                yield LiveInterrupted("dropped")
            elif kind == "resub" and not live:
                live = True
                queue.extend(self.commit(step[1]))  # type: ignore[misc]
                yield LiveStarted()
        if held:
            self.db.extend(held)
            self.db.sort(key=lambda c: int(c.id))
            if live:
                queue.extend(held)
        if not live:
            yield LiveStarted()  # the watchdog always reconnects in the end
        if queue:
            yield ChunksArrived(tuple(queue))

    # The rest of the interface is not used by the feed.
    async def resolve_job_id(self, ref: str) -> str:
        return ref

    async def get_job(self, job_id: str) -> Job:
        raise NotImplementedError

    async def get_job_state(self, job_id: str) -> JobState:
        raise NotImplementedError

    async def cancel_job(self, job_id: str) -> bool:
        raise NotImplementedError

    async def rerun_job(self, job: Job) -> Job:
        raise NotImplementedError

    async def apply_plan(self, plan: Job, tendril_id: str | None) -> Job:
        raise NotImplementedError

    async def list_deploys(self, plan_id: str) -> list[Job]:
        return []

    async def list_tendrils(self) -> list[Tendril]:
        return []

    async def list_jobs(
        self, statuses: Collection[str] = (), types: Collection[str] = (), limit: int = 50
    ) -> list[Job]:
        return []

    async def job_changes(self) -> AsyncGenerator[ChangeEvent, None]:
        return  # no jobs list here: nothing ever changes
        yield


STREAMS = ("STDOUT", "STDERR", "SYSTEM")

line_text = st.text(alphabet=st.sampled_from(list("ab \x1b[31m;\r\tλ")), min_size=0, max_size=12)
stream_lines = st.lists(line_text, min_size=0, max_size=8)


@st.composite
def cut_streams(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Chunks (stream, text) of up to three streams, each cut anywhere, interleaved anyhow."""
    pieces: dict[str, list[str]] = {}
    for stream in STREAMS:
        lines = draw(stream_lines)
        text = "".join(line + "\n" for line in lines)
        if lines and bool(draw(st.booleans())):
            text += draw(line_text)  # the stream may end without a newline
        cuts = sorted(draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=6)))
        bounds = [0, *(c for c in cuts if c < len(text)), len(text)]
        pieces[stream] = [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    order = draw(st.permutations([s for s, chunks in pieces.items() for _ in chunks]))
    taken = {stream: iter(chunks) for stream, chunks in pieces.items()}
    return [(stream, next(taken[stream])) for stream in order]


@dataclass
class CutBackend(ScriptedBackend):
    """The feed tests' scripted table, its rows cut from a few streams' text."""

    pieces: list[tuple[str, str]] = field(default_factory=list)

    def make(self, n: int) -> list[LogChunk]:
        made = []
        for _ in range(n):
            if not self.pieces:
                break
            stream, text = self.pieces.pop(0)
            made.append(LogChunk(self.next_id, JOB, text, stream))
            self.next_id += 1
        return made
