"""The jobs list's part of the backend contract: ``list_jobs``, ``job_changes`` and
``follow_jobs`` (joblens.backends.base), for every backend (the ``contract_env`` fixture)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from typing import Any

from joblens.backends.base import (
    JobChanged,
    JobsEvent,
    JobsListed,
    LiveInterrupted,
    LiveStarted,
)
from joblens.models import Job, JobStatus, JobType
from support.contract import ContractEnv

#: A guard against hangs only (a local stack's first subscription can take a few seconds).
HANG = 15.0
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


async def _jobs(env: ContractEnv, *specs: tuple[str, str, int]) -> list[str]:
    """Jobs of (type, status, minutes after T0), with a vine; their ids, in the given order."""
    refs = await env.seeder.create_vine(
        project_name="list-vine", environment_stage="staging", region="eu-central-1"
    )
    tendril = await env.seeder.create_tendril(name="list-runner")
    ids = []
    for job_type, status, minutes in specs:
        ids.append(
            await env.seeder.create_job(
                job_type=job_type,
                status=status,
                vine_id=refs.vine_id,
                vineyard_id=refs.vineyard_id,
                cloud_identity_id=refs.cloud_identity_id,
                worker_id=None if status == "QUEUED" else tendril,
                created_at=T0 + timedelta(minutes=minutes),
            )
        )
    return ids


async def test_list_jobs_gives_the_newest_first_with_their_names(
    contract_env: ContractEnv,
) -> None:
    plan, deploy, queued = await _jobs(
        contract_env, ("PLAN", "SUCCESS", 0), ("DEPLOY", "FAILED", 5), ("PLAN", "QUEUED", 9)
    )

    jobs = await contract_env.backend.list_jobs()

    assert [j.id for j in jobs] == [queued, deploy, plan]
    assert [(j.job_type, j.status) for j in jobs] == [
        (JobType.PLAN, JobStatus.QUEUED),
        (JobType.DEPLOY, JobStatus.FAILED),
        (JobType.PLAN, JobStatus.SUCCESS),
    ]
    assert jobs[1].worker_name == "list-runner" and jobs[0].worker_name is None
    assert {j.vine_name for j in jobs} == {"list-vine"}
    assert jobs[0].created_at == T0 + timedelta(minutes=9)
    assert all(j.execution_metadata is None for j in jobs)  # the JSON columns are not read


async def test_list_jobs_filters_by_status_and_type_and_keeps_the_newest_to_the_limit(
    contract_env: ContractEnv,
) -> None:
    ids = await _jobs(
        contract_env,
        ("PLAN", "SUCCESS", 0),
        ("DEPLOY", "FAILED", 1),
        ("PLAN", "FAILED", 2),
        ("DESTROY", "PROCESSING", 3),
        ("PLAN", "SUCCESS", 4),
    )
    backend = contract_env.backend

    assert [j.id for j in await backend.list_jobs(statuses=["FAILED"])] == [ids[2], ids[1]]
    assert [j.id for j in await backend.list_jobs(types=["PLAN"])] == [ids[4], ids[2], ids[0]]
    both = await backend.list_jobs(statuses=["SUCCESS", "PROCESSING"], types=["PLAN", "DESTROY"])
    assert [j.id for j in both] == [ids[4], ids[3], ids[0]]
    assert [j.id for j in await backend.list_jobs(limit=2)] == [ids[4], ids[3]]
    assert await backend.list_jobs(statuses=["CANCELLED"]) == []


async def _until(
    events: AsyncGenerator[JobsEvent, None], done: Callable[[JobsEvent], bool]
) -> list[JobsEvent]:
    """Events up to and including the first that ``done`` holds for."""
    seen: list[JobsEvent] = []
    async with asyncio.timeout(HANG):
        async for event in events:
            seen.append(event)
            if done(event):
                return seen
    raise AssertionError(f"the stream ended before the event came: {seen}")


def _changed(job_id: str, status: str) -> Callable[[JobsEvent], bool]:
    def done(event: JobsEvent) -> bool:
        return isinstance(event, JobChanged) and (event.job.id, event.job.status) == (
            job_id,
            status,
        )

    return done


async def test_follow_jobs_lists_then_tells_of_new_jobs_and_changes_live(
    contract_env: ContractEnv,
) -> None:
    [first] = await _jobs(contract_env, ("PLAN", "SUCCESS", 0))
    backend = contract_env.backend
    # Re-reads far apart: what comes in between came live.
    async with aclosing(backend.follow_jobs(reread_every=600)) as events:
        listed = await _until(events, lambda e: isinstance(e, JobsListed))
        assert [j.id for j in listed[-1].jobs] == [first]  # type: ignore[union-attr]
        # Once live, the list is read again (what was committed meanwhile is in it), and then
        # the stream is told up, job changes and all.
        await _until(events, lambda e: isinstance(e, JobsListed))
        assert await _until(events, lambda e: True) == [LiveStarted(jobs=True)]

        [new] = await _jobs(contract_env, ("DEPLOY", "QUEUED", 30))
        seen = await _until(events, _changed(new, "QUEUED"))
        job: Job = seen[-1].job  # type: ignore[union-attr]
        assert job.job_type == JobType.DEPLOY
        assert job.vine_name == "list-vine"  # the row alone has no names: read again

        await contract_env.seeder.set_status(new, "FAILED", "Error: quota")
        seen = await _until(events, _changed(new, "FAILED"))
        assert seen[-1].job.error_message == "Error: quota"  # type: ignore[union-attr]
        assert seen[-1].job.vine_name == "list-vine"  # type: ignore[union-attr]
        assert not any(isinstance(e, JobsListed) for e in seen)
        assert all(isinstance(e, JobChanged | LiveInterrupted) for e in seen)


async def test_job_changes_starts_live_then_yields_inserts_and_updates(
    contract_env: ContractEnv,
) -> None:
    seeder = contract_env.seeder
    async with aclosing(contract_env.backend.job_changes()) as changes:
        events: list[Any] = []
        async with asyncio.timeout(HANG):
            async for event in changes:
                events.append(event)
                if type(event).__name__ == "LiveStarted":
                    break
        job_id = await seeder.create_job(status="QUEUED")
        await seeder.set_status(job_id, "CANCELLED", "Cancelled by user")
        statuses: list[str] = []
        async with asyncio.timeout(HANG):
            async for event in changes:
                if isinstance(event, JobChanged) and event.job.id == job_id:
                    statuses.append(str(event.job.status))
                    if event.job.status == JobStatus.CANCELLED:
                        break
    assert statuses == ["QUEUED", "CANCELLED"]
