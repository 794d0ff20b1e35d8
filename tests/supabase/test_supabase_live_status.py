"""Live job status: the job's own row UPDATEs reach ``follow_logs`` as JobChanged, in commit
order with the log chunks, for the job's owner only, through the unmodified supabase-py client
and the local stack (which sends UPDATEs as hosted realtime does: full old row, 413 over 1 MiB).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import cast

import pytest
from devstack.testing import StackInfo

from joblens.backends.base import ChunksArrived, FollowEvent, JobChanged, LiveStarted
from joblens.backends.supabase import SupabaseBackend
from joblens.backends.supabase.live import LiveLogs
from joblens.backends.supabase.live_jobs import LiveJobs
from joblens.models import Job, JobStatus
from supabase import AsyncClient
from support.backends import backend_for
from support.seeding import create_job, set_status, write_logs
from support.users import User, new_user
from support.waiting import next_event


async def _live(backend: SupabaseBackend, job_id: str) -> AsyncGenerator[FollowEvent, None]:
    events = backend.follow_logs(job_id)
    assert isinstance(await next_event(events), LiveStarted)
    return events


async def _connected(stack: StackInfo, user: User) -> tuple[SupabaseBackend, AsyncClient]:
    """A backend of ``user`` connected to ``stack``, and its client."""
    backend = backend_for(stack, user.token)
    await backend.connect()
    assert backend._client is not None
    return backend, backend._client


async def _stream(
    stack: StackInfo, user: User, job_id: str, **options: str
) -> tuple[SupabaseBackend, LiveLogs]:
    """A connected backend and a LiveLogs of its client, as the backend would make it."""
    backend, client = await _connected(stack, user)
    stream = LiveLogs(
        client,
        table=stack.logs_table,
        job_id=job_id,
        token=lambda: user.token,
        refresh=backend._refresh_session,
        refetch=backend.fetch_chunk,
        refetch_job=backend.get_job,
        **options,  # type: ignore[arg-type]
    )
    return backend, stream


async def _collect(
    events: AsyncGenerator[FollowEvent, None], until_status: str, timeout: float = 15.0
) -> list[str]:
    """Chunk texts and job statuses in the order the stream yields them, up to ``until_status``."""
    seen: list[str] = []
    while until_status not in seen:
        event = await next_event(events, timeout)
        if isinstance(event, ChunksArrived):
            seen += [chunk.text for chunk in event.chunks]
        elif isinstance(event, JobChanged):
            seen.append(str(event.job.status))
    return seen


async def test_status_changes_come_in_commit_order_with_the_chunks(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id)
    backend = backend_for(stack, user.token)
    await backend.connect()
    try:
        events = await _live(backend, job_id)
        # Another connection (a Tendril) commits one change at a time, back to back.
        for text, status in (("a\n", "CLAIMED"), ("b\n", "PROCESSING"), ("c\n", "SUCCESS")):
            await write_logs(stack, job_id, [(text, "STDOUT")])
            await set_status(stack, job_id, status)
        seen = await _collect(events, "SUCCESS")
        assert seen == ["a\n", "CLAIMED", "b\n", "PROCESSING", "c\n", "SUCCESS"]
        await events.aclose()
    finally:
        await backend.close()


async def test_every_status_of_a_job_arrives_none_lost(stack: StackInfo, user: User) -> None:
    job_id = await create_job(stack, user.id)
    backend = backend_for(stack, user.token)
    await backend.connect()
    try:
        events = await _live(backend, job_id)
        for status in ("CLAIMED", "PROCESSING", "SUCCESS"):
            await set_status(stack, job_id, status)
        changed: list[Job] = []
        while not changed or changed[-1].status != JobStatus.SUCCESS:
            event = await next_event(events)
            if isinstance(event, JobChanged):
                changed.append(event.job)
        assert [job.status for job in changed] == ["CLAIMED", "PROCESSING", "SUCCESS"]
        last = changed[-1]
        assert last.id == job_id and last.user_id == user.id and last.completed_at is not None
        assert last.worker_name is None  # the row alone: embeds are not in a realtime record
        await events.aclose()
    finally:
        await backend.close()


async def test_another_users_job_is_never_delivered(stack: StackInfo, user: User) -> None:
    other = await new_user(stack)
    job_id = await create_job(stack, user.id)
    owner, snoop = backend_for(stack, user.token), backend_for(stack, other.token)
    await owner.connect()
    await snoop.connect()
    try:
        mine = await _live(owner, job_id)
        theirs = await _live(snoop, job_id)  # joins fine; RLS delivers nothing
        await set_status(stack, job_id, "CLAIMED")
        await write_logs(stack, job_id, [("secret\n", "STDOUT")])
        await set_status(stack, job_id, "FAILED", "boom")
        assert await _collect(mine, "FAILED") == ["CLAIMED", "secret\n", "FAILED"]
        with pytest.raises(TimeoutError):
            await next_event(theirs, timeout=1.0)
        await mine.aclose()
        await theirs.aclose()
    finally:
        await owner.close()
        await snoop.close()


async def test_an_oversized_job_row_is_refetched_through_rest(
    stack: StackInfo, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = await stack.asql(
        "insert into workers (user_id, name, status) values ($1, 'big-one', 'ONLINE')"
        " returning id::text",
        user.id,
    )
    metadata = {"plan_json": "x" * 600_000, "phase": "plan"}
    job_id = await create_job(
        stack, user.id, worker_id=worker[0]["id"], execution_metadata=metadata
    )
    backend = backend_for(stack, user.token)
    await backend.connect()
    fetched: list[str] = []
    get_job = backend.get_job

    async def counting_get_job(job_id: str) -> Job:
        fetched.append(job_id)
        return await get_job(job_id)

    monkeypatch.setattr(backend, "get_job", counting_get_job)
    try:
        events = await _live(backend, job_id)
        # 600 kB in the new row and again in the full old row: "Error 413", a partial record.
        await set_status(stack, job_id, "PROCESSING")
        event = await next_event(events)
        assert isinstance(event, JobChanged)
        assert fetched == [job_id]
        assert event.job.status == JobStatus.PROCESSING
        assert event.job.execution_metadata == metadata
        assert event.job.worker_name == "big-one"  # REST, with its embeds
        await events.aclose()
    finally:
        await backend.close()


async def test_without_the_jobs_table_published_the_logs_still_flow(
    stack_deployed: StackInfo, caplog: pytest.LogCaptureFixture
) -> None:
    stack = stack_deployed
    user = await new_user(stack)
    job_id = await create_job(stack, user.id)
    # `workers` is not in the publication: the server refuses the job binding, as it would
    # provision_jobs on a project that does not publish it.
    backend, stream = await _stream(stack, user, job_id, jobs_table="workers")
    events = cast(AsyncGenerator[FollowEvent, None], stream.events())
    try:
        with caplog.at_level(logging.WARNING, logger="joblens.backends.supabase.live"):
            started = await next_event(events)
        # No interruption first, and the stream says job changes do not come on it.
        assert started == LiveStarted(jobs=False)
        assert "workers is not in the supabase_realtime publication" in caplog.text
        await write_logs(stack, job_id, [("still here\n", "STDOUT")])
        event = await next_event(events)
        assert isinstance(event, ChunksArrived)
        assert [c.text for c in event.chunks] == ["still here\n"]
    finally:
        await events.aclose()
        await backend.close()


async def test_a_change_it_cannot_use_is_skipped_never_raised(
    stack_documented: StackInfo,
) -> None:
    """A garbled or foreign UPDATE payload is skipped, never raised from the callback."""
    stack = stack_documented
    user = await new_user(stack)
    job_id = await create_job(stack, user.id)
    backend, stream = await _stream(stack, user, job_id)
    events = cast(AsyncGenerator[FollowEvent, None], stream.events())
    try:
        assert isinstance(await next_event(events), LiveStarted)
        generation = stream._generation
        callback = stream._on_change(generation, job=True)
        for junk in (None, "x", {"data": None}, {"data": {"record": 3}}, {"ids": [1]}):
            callback(junk)  # must not raise
        callback({"data": {"type": "UPDATE", "record": {"id": "0" * 8, "status": "FAILED"}}})
        callback({"data": {"type": "INSERT", "record": {"id": job_id, "status": "FAILED"}}})
        await set_status(stack, job_id, "CANCELLED")
        event = await next_event(events)
        assert isinstance(event, JobChanged) and event.job.status == JobStatus.CANCELLED
    finally:
        await events.aclose()
        await backend.close()


async def test_the_jobs_list_stream_says_when_job_changes_cannot_come_live(
    stack_deployed: StackInfo, caplog: pytest.LogCaptureFixture
) -> None:
    """The list's channel (LiveJobs) on a table the server refuses to bind (not published):
    it starts without the binding and says so, so the list never claims to be live."""
    stack = stack_deployed
    user = await new_user(stack)
    backend, client = await _connected(stack, user)
    stream = LiveJobs(
        client,
        token=lambda: user.token,
        refresh=backend._refresh_session,
        refetch_job=backend.get_job,
        jobs_table="workers",
    )
    events = cast(AsyncGenerator[FollowEvent, None], stream.events())
    try:
        with caplog.at_level(logging.WARNING, logger="joblens.backends.supabase.live"):
            assert await next_event(events) == LiveStarted(jobs=False)
        assert "workers is not in the supabase_realtime publication" in caplog.text
    finally:
        await events.aclose()
        await backend.close()


async def test_the_jobs_list_stream_is_live_where_the_jobs_table_is_published(
    stack_deployed: StackInfo,
) -> None:
    stack = stack_deployed
    user = await new_user(stack)
    backend = backend_for(stack, user.token)
    await backend.connect()
    try:
        async with aclosing(backend.job_changes()) as changes:
            assert await next_event(changes) == LiveStarted(jobs=True)
            job_id = await create_job(stack, user.id)
            event = await next_event(changes)
            assert isinstance(event, JobChanged) and event.job.id == job_id
    finally:
        await backend.close()
