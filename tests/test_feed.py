"""The log feed passes every chunk on exactly once, in order, whatever the stream does.

The backend here is a scripted in-memory table with a realtime-like delivery queue: commits
are queued for live delivery in commit order, a drop loses what was queued, and a
re-subscription may race with commits (so backfill and live delivery overlap).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joblens.backends.base import (
    Backend,
    ChunksArrived,
    FollowEvent,
    LiveInterrupted,
    LiveStarted,
)
from joblens.feed import LogFeed
from joblens.job_watch import Backoff
from joblens.models import Job, JobState, LogChunk, StreamType, Tendril

JOB = "00000000-0000-4000-8000-000000000001"

# Script steps: ("commit", n) writes n chunks; ("deliver", k) lets k queued chunks arrive live;
# ("drop",) disconnects (queued chunks are lost); ("resub", m) reconnects, with m chunks
# committed while the subscription comes up (seen by backfill and delivered live too);
# ("late", n) takes n ids now but commits them only at the next step, after a later id
# (a transaction that began first and committed last).
Step = tuple[str, int] | tuple[str]

steps = st.lists(
    st.one_of(
        st.tuples(st.just("commit"), st.integers(1, 6)),
        st.tuples(st.just("deliver"), st.integers(1, 8)),
        st.tuples(st.just("drop")),
        st.tuples(st.just("resub"), st.integers(0, 4)),
        st.tuples(st.just("late"), st.integers(1, 3)),
    ),
    max_size=25,
)


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

    async def list_tendrils(self) -> list[Tendril]:
        return []


async def run_feed(backend: ScriptedBackend, tail_first: bool, page: int) -> list[LogChunk]:
    shown: list[LogChunk] = []

    def prepend(chunks: list[LogChunk]) -> None:
        shown[:0] = chunks

    feed = LogFeed(
        backend, JOB, shown.extend, older_sink=prepend if tail_first else None, page_size=page
    )
    await feed.run()
    await asyncio.wait_for(feed.history_loaded.wait() if tail_first else asyncio.sleep(0), 5)
    return shown


@settings(max_examples=150)
@given(script=steps, backlog=st.integers(0, 30), tail_first=st.booleans(), page=st.integers(1, 7))
def test_every_chunk_arrives_exactly_once_in_order(
    script: list[Step], backlog: int, tail_first: bool, page: int
) -> None:
    backend = ScriptedBackend(script, backlog)
    shown = asyncio.run(run_feed(backend, tail_first, page))
    ids = [c.id for c in shown]
    assert sorted(ids) == [c.id for c in backend.db]  # every chunk, exactly once
    if not any(step[0] == "late" for step in script):
        assert ids == [c.id for c in backend.db]  # and in order when commits are in order


def test_chunks_reach_the_sink_sanitised() -> None:
    backend = ScriptedBackend([], 0)
    backend.db.append(LogChunk(1, JOB, "\x1b]52;c;ZXZpbA==\x07ok \x1b[32mgreen\x1b[0m\x1b[2J\n"))
    backend.next_id = 2
    shown = asyncio.run(run_feed(backend, False, 10))
    assert [c.text for c in shown] == ["ok \x1b[32mgreen\x1b[0m\n"]


def test_a_colour_left_on_carries_to_the_next_lines_of_its_chunk_only() -> None:
    backend = ScriptedBackend([], 0)
    backend.db.append(LogChunk(1, JOB, "\x1b[33mWarning: deprecated\nsee the docs\n"))
    backend.db.append(LogChunk(2, JOB, "next chunk\n"))
    backend.next_id = 3
    shown = asyncio.run(run_feed(backend, False, 10))
    assert [c.text for c in shown] == [
        "\x1b[33mWarning: deprecated\n\x1b[33msee the docs\n",
        "next chunk\n",
    ]


async def test_backoff_doubles_from_one_second_up_to_thirty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    backoff = Backoff()
    for _ in range(7):
        await backoff.wait()
    assert slept == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
