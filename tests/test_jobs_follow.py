"""``Backend.follow_jobs`` (backends/jobs_follow.py) when the live stream loses changes or the
server stops answering: the re-reads still bring the truth."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import pytest

from joblens.backends.base import (
    ChangeEvent,
    JobChanged,
    JobsEvent,
    JobsListed,
    JobsUnread,
    LiveInterrupted,
    LiveStarted,
)
from joblens.backends.demo import DemoBackend
from joblens.errors import AuthError, BackendUnavailable
from joblens.models import Job

HANG = 10.0


def _backend() -> DemoBackend:
    return DemoBackend(speed=100.0, seed=5, simulate=False)


async def _silent_changes() -> AsyncGenerator[ChangeEvent, None]:
    """A live stream that says it is live and then drops every change (docs/SUPABASE.md,
    "No delivery guarantee")."""
    yield LiveStarted()
    await asyncio.Event().wait()


async def _next(events: AsyncGenerator[JobsEvent, None]) -> JobsEvent:
    async with asyncio.timeout(HANG):
        return await anext(events)


async def test_a_change_the_live_stream_dropped_comes_with_the_next_re_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = _backend()
    monkeypatch.setattr(backend, "job_changes", _silent_changes)
    async with aclosing(backend.follow_jobs(reread_every=0.2)) as events:
        first = await _next(events)
        assert first == JobsListed(())
        job_id = backend.store.insert_job({"user_id": backend.world.user_id})["id"]
        while True:
            event = await _next(events)
            assert not isinstance(event, JobChanged)  # nothing came live
            if isinstance(event, JobsListed) and event.jobs:
                break
    assert [j.id for j in event.jobs] == [job_id]


async def test_a_live_change_keeps_the_names_the_list_had(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _backend()
    world = backend.world
    job_id = backend.store.insert_job({"user_id": world.user_id, "vine_id": world.vine_ids[0]})[
        "id"
    ]
    reads: list[str] = []
    get_job = backend.get_job

    async def counted_get_job(ref: str) -> Job:
        reads.append(ref)
        return await get_job(ref)

    monkeypatch.setattr(backend, "get_job", counted_get_job)
    async with aclosing(backend.follow_jobs(reread_every=600)) as events:
        listed = await _next(events)
        assert isinstance(listed, JobsListed) and listed.jobs[0].vine_name == "acme-platform"
        await asyncio.sleep(0.1)  # live (the demo subscribes in a few ms), then read again
        backend.store.update_job(job_id, {"status": "CANCELLED"})
        event = await _next(events)
        while not isinstance(event, JobChanged):
            event = await _next(events)
    assert (event.job.status, event.job.vine_name) == ("CANCELLED", "acme-platform")
    assert reads == []  # the row alone, named from the list's version


async def test_a_failed_re_read_is_told_and_the_next_one_tried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = _backend()
    list_jobs = backend.list_jobs
    failing = {"now": False}

    async def flaky(*args: Any, **kwargs: Any) -> list[Job]:
        if failing["now"]:
            raise BackendUnavailable("the server did not answer")
        return await list_jobs(*args, **kwargs)

    monkeypatch.setattr(backend, "list_jobs", flaky)
    monkeypatch.setattr(backend, "job_changes", _silent_changes)
    async with aclosing(backend.follow_jobs(reread_every=0.1)) as events:
        assert isinstance(await _next(events), JobsListed)
        failing["now"] = True
        event = await _next(events)
        while isinstance(event, JobsListed):
            event = await _next(events)
        assert isinstance(event, JobsUnread) and "did not answer" in event.reason
        failing["now"] = False
        while not isinstance(event, JobsListed):
            event = await _next(events)


async def test_a_refused_session_ends_the_list(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _backend()
    calls = {"n": 0}

    async def refused(*args: Any, **kwargs: Any) -> list[Job]:
        calls["n"] += 1
        if calls["n"] > 1:
            raise AuthError("the session has expired")
        return []

    monkeypatch.setattr(backend, "list_jobs", refused)
    monkeypatch.setattr(backend, "job_changes", _silent_changes)
    async with aclosing(backend.follow_jobs(reread_every=0.05)) as events:
        assert await _next(events) == JobsListed(())
        with pytest.raises(AuthError):
            while True:
                await _next(events)


async def test_the_stream_is_told_up_after_the_read_it_brings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LiveStarted follows the read it asked for, so a list shown as live is whole; a stream
    without job changes (the table not published) says so, and the re-reads go on."""

    async def unpublished() -> AsyncGenerator[ChangeEvent, None]:
        yield LiveStarted(jobs=False)
        await asyncio.Event().wait()

    backend = _backend()
    monkeypatch.setattr(backend, "job_changes", unpublished)
    async with aclosing(backend.follow_jobs(reread_every=0.2)) as events:
        seen = [await _next(events) for _ in range(4)]
    assert seen[:3] == [JobsListed(()), JobsListed(()), LiveStarted(jobs=False)]
    assert seen[3] == JobsListed(())  # the next re-read


async def test_a_stream_that_gave_up_is_told_as_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    async def giving_up() -> AsyncGenerator[ChangeEvent, None]:
        yield LiveStarted()
        raise BackendUnavailable("realtime gave up after 5 tries")

    backend = _backend()
    monkeypatch.setattr(backend, "job_changes", giving_up)
    async with aclosing(backend.follow_jobs(reread_every=600)) as events:
        seen = [await _next(events) for _ in range(4)]
    assert seen[:3] == [JobsListed(()), JobsListed(()), LiveStarted()]
    ended = seen[3]
    assert isinstance(ended, LiveInterrupted) and ended.ended
    assert "gave up after 5 tries" in ended.reason
