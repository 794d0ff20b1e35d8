"""Opening a job: backfill in pages, live INSERTs, every chunk exactly once, in order."""

from __future__ import annotations

import asyncio

import pytest
from devstack.testing import StackInfo

from joblens.backends.base import ChunksArrived, LiveStarted
from joblens.feed import LogFeed
from joblens.models import LogChunk
from joblens.sanitize import split_chunk, strip_sgr
from support.backends import backend_for
from support.seeding import create_job, db_chunks, db_lines, write_logs
from support.users import User
from support.waiting import next_event, until


async def test_a_backlog_and_a_writing_tendril_end_as_exactly_the_databases_lines(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id, job_type="DEPLOY")
    # 5,000 lines in 500 chunks of 10, one commit each, before the job is opened.
    await write_logs(
        stack,
        job_id,
        [("".join(f"backlog {c}.{i}\n" for i in range(10)), "STDOUT") for c in range(500)],
    )
    backend = backend_for(stack, user.token)
    await backend.connect()
    got: list[LogChunk] = []
    feed = LogFeed(backend, job_id, got.extend)
    follower = asyncio.create_task(feed.run())
    tendril = asyncio.create_task(stack.run_tendril(job_id, lines=400, rate=800.0))
    try:
        # The status poll, as the job view and plain mode run it.
        for _ in range(300):
            state = await backend.get_job_state(job_id)
            if state.is_terminal:
                break
            await asyncio.sleep(0.1)
        assert state.status == "SUCCESS"
        assert await tendril == 0
        expected = await db_chunks(stack, job_id)
        last_id = expected[-1][0]
        await until(lambda: feed.merger.last is not None, timeout=10)
        await until(lambda: str(feed.merger.last.id) == last_id, timeout=10)  # type: ignore[union-attr]
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
        await backend.close()
    feed.close_open_lines()
    assert len(expected) > 500
    # Every row taken once, in order: the lines are the table's, each stream's rows joined.
    lines = [strip_sgr(line) for c in got for line in split_chunk(c.text)]
    assert lines == await db_lines(stack, job_id)
    assert lines[:5000] == [f"backlog {c}.{i}" for c in range(500) for i in range(10)]


@pytest.mark.slow(9)
async def test_pages_never_rely_on_the_server_returning_what_was_asked(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id)
    await write_logs(stack, job_id, [(f"chunk {i}\n", "STDOUT") for i in range(2100)])
    backend = backend_for(stack, user.token)
    await backend.connect()
    try:
        # Asking for more than 1000 still gives pages of at most 1000 (the hosted cap).
        first = await backend.fetch_logs(job_id, limit=5000)
        assert len(first) == 1000
        second = await backend.fetch_logs(job_id, after=first[-1], limit=1000)
        third = await backend.fetch_logs(job_id, after=second[-1], limit=1000)
        assert [len(second), len(third)] == [1000, 100]
        assert await backend.fetch_logs(job_id, after=third[-1]) == []
        texts = [c.text for c in first + second + third]
        assert texts == [f"chunk {i}\n" for i in range(2100)]
        # Newest first pages, handed back oldest first.
        latest = await backend.fetch_latest_logs(job_id, limit=3)
        assert [c.text for c in latest] == ["chunk 2097\n", "chunk 2098\n", "chunk 2099\n"]
        before = await backend.fetch_latest_logs(job_id, before=latest[0], limit=2)
        assert [c.text for c in before] == ["chunk 2095\n", "chunk 2096\n"]
    finally:
        await backend.close()


async def test_chunks_sharing_a_timestamp_are_paged_without_loss(
    stack: StackInfo, user: User
) -> None:
    # One transaction: every row gets the same now(); paging must fall back to the id.
    job_id = await create_job(stack, user.id)
    await stack.asql(
        f"insert into {stack.logs_table} (job_id, log_chunk) "
        "select $1, 'same ' || g || E'\\n' from generate_series(1, 30) g",
        job_id,
    )
    backend = backend_for(stack, user.token)
    await backend.connect()
    try:
        seen: list[LogChunk] = []
        after = None
        while True:
            page = await backend.fetch_logs(job_id, after=after, limit=7)
            seen.extend(page)
            if len(page) < 7:
                break
            after = page[-1]
        assert [(str(c.id), c.text) for c in seen] == await db_chunks(stack, job_id)
    finally:
        await backend.close()


async def test_live_starts_only_after_subscribed_to_postgresql_and_filters_by_job(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id)
    other_job = await create_job(stack, user.id)
    backend = backend_for(stack, user.token)
    await backend.connect()
    events = backend.follow_logs(job_id)
    try:
        assert isinstance(await next_event(events), LiveStarted)
        await write_logs(stack, other_job, [("not mine\n", "STDOUT")])
        await write_logs(stack, job_id, [("mine\n", "STDERR")])
        event = await next_event(events)
        assert isinstance(event, ChunksArrived)
        assert [(c.text, str(c.stream)) for c in event.chunks] == [("mine\n", "STDERR")]
    finally:
        await events.aclose()
        await backend.close()


async def test_a_row_over_one_mebibyte_is_refetched_whole(stack: StackInfo, user: User) -> None:
    job_id = await create_job(stack, user.id)
    backend = backend_for(stack, user.token)
    await backend.connect()
    events = backend.follow_logs(job_id)
    big = ("x" * 1023 + "\n") * 1100  # about 1.1 MiB
    try:
        assert isinstance(await next_event(events), LiveStarted)
        await write_logs(stack, job_id, [(big, "STDOUT"), ("after\n", "STDOUT")])
        received: list[LogChunk] = []
        while len(received) < 2:
            event = await next_event(events)
            if isinstance(event, ChunksArrived):
                received.extend(event.chunks)
        assert [len(c.text) for c in received] == [len(big), len("after\n")]
        assert received[0].text == big
    finally:
        await events.aclose()
        await backend.close()
