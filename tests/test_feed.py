"""The log feed passes every chunk on exactly once, in order, whatever the stream does.

The backend here (support/scripted.py) is a scripted in-memory table with a realtime-like
delivery queue: commits are queued for live delivery in commit order, a drop loses what was
queued, and a re-subscription may race with commits (so backfill and live delivery overlap).
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joblens.feed import LogFeed
from joblens.job_watch import Backoff
from joblens.models import LogChunk
from support.scripted import JOB, ScriptedBackend, Step

# Scripts of every kind of step (support/scripted.py says what each does).
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
