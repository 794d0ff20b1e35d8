"""What every backend promises the screens: the contract of ``joblens.backends.base.Backend``.

Rows are written by the seeder (as Tendrils and the web page would); the backend under test
only reads them and takes the actions. See docs/PLATFORM.md for what each action writes.
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from joblens.backends.base import ChunksArrived, LiveInterrupted, LiveStarted
from joblens.errors import ActionRejected, InvalidJobId, JobNotFound
from joblens.feed import LogFeed
from joblens.models import JobStatus, JobType, LogChunk, StreamType, TendrilStatus
from support.contract import ContractEnv

#: A guard against hangs only: nothing here is expected to take more than a moment.
HANG = 10.0

SNAPSHOT = {
    "vine": {"project_name": "contract", "region": "eu-central-1"},
    "cluster": {"node_groups": [{"name": "general", "desired_size": 2}]},
    "variables": {"db_password": "hunter2", "tags": {"team": "qa"}},
}


async def _job_with_refs(env: ContractEnv, **fields: Any) -> str:
    refs = await env.seeder.create_vine(
        project_name="contract-vine", environment_stage="staging", region="eu-central-1"
    )
    values: dict[str, Any] = {
        "vine_id": refs.vine_id,
        "vineyard_id": refs.vineyard_id,
        "cloud_identity_id": refs.cloud_identity_id,
        "config_snapshot": SNAPSHOT,
        "configuration_hash": "a" * 64,
    }
    values.update(fields)
    return await env.seeder.create_job(**values)


async def _write_lines(env: ContractEnv, job_id: str, start: int, count: int) -> None:
    streams = ("STDOUT", "STDERR", "SYSTEM")
    await env.seeder.write_logs(
        job_id, [(f"line {i}\nmore {i}\n", streams[i % 3]) for i in range(start, start + count)]
    )


def _texts(chunks: list[LogChunk]) -> list[str]:
    return [c.text for c in chunks]


def _expected(start: int, count: int) -> list[str]:
    return [f"line {i}\nmore {i}\n" for i in range(start, start + count)]


# get_job and get_job_state


async def test_get_job_parses_every_field(contract_env: ContractEnv) -> None:
    env = contract_env
    worker = await env.seeder.create_tendril(name="contract-runner")
    wanted = await env.seeder.create_tendril(name="contract-wanted")
    plan_id = await _job_with_refs(env, status="SUCCESS")
    claimed = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
    metadata = {"phase": "apply", "progress": 40, "outputs": {"x": {"value": 1}}}
    job_id = await _job_with_refs(
        env,
        job_type="DEPLOY",
        status="PROCESSING",
        plan_job_id=plan_id,
        assigned_worker_id=wanted,
        worker_id=worker,
        claimed_at=claimed,
        started_at=claimed + timedelta(seconds=2),
        execution_metadata=metadata,
    )

    job = await env.backend.get_job(job_id)

    assert job.id == job_id
    assert job.job_type is JobType.DEPLOY
    assert job.status is JobStatus.PROCESSING
    assert job.plan_job_id == plan_id
    assert (job.assigned_worker_id, job.assigned_worker_name) == (wanted, "contract-wanted")
    assert (job.worker_id, job.worker_name) == (worker, "contract-runner")
    assert job.claimed_at == claimed
    assert job.started_at == claimed + timedelta(seconds=2)
    assert job.completed_at is None and job.error_message is None
    assert job.created_at is not None and job.created_at.tzinfo is not None
    assert job.config_snapshot == SNAPSHOT
    assert job.configuration_hash == "a" * 64
    assert job.execution_metadata == metadata
    assert (job.vine_name, job.vine_stage, job.vine_region) == (
        "contract-vine",
        "staging",
        "eu-central-1",
    )
    assert job.vineyard_name
    assert job.cloud_identity_label is not None and job.cloud_identity_label.startswith("aws")
    assert job.user_id


async def test_a_job_without_optional_fields_parses_with_nones(contract_env: ContractEnv) -> None:
    job_id = await contract_env.seeder.create_job(job_type="CONNECTION_TEST")

    job = await contract_env.backend.get_job(job_id)

    assert job.status is JobStatus.QUEUED
    assert job.config_snapshot == {}
    assert job.worker_name is None and job.assigned_worker_name is None
    assert job.vine_name is None and job.vineyard_name is None
    assert job.cloud_identity_label is None
    assert job.execution_metadata is None


async def test_unknown_enum_values_survive(contract_env: ContractEnv) -> None:
    job_id = await contract_env.seeder.create_job(job_type="DRIFT_CHECK", status="PAUSED")

    job = await contract_env.backend.get_job(job_id)
    state = await contract_env.backend.get_job_state(job_id)

    assert (job.job_type, job.status) == ("DRIFT_CHECK", "PAUSED")
    assert state.status == "PAUSED"
    assert not state.is_terminal


async def test_get_job_state_reports_status_and_error(contract_env: ContractEnv) -> None:
    job_id = await contract_env.seeder.create_job(status="PROCESSING")
    await contract_env.seeder.set_status(job_id, "FAILED", "Error: boom")

    state = await contract_env.backend.get_job_state(job_id)

    assert (state.status, state.error_message) == (JobStatus.FAILED, "Error: boom")
    assert state.is_terminal


async def test_unknown_job_is_not_found(contract_env: ContractEnv) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(JobNotFound):
        await contract_env.backend.get_job(missing)
    with pytest.raises(JobNotFound):
        await contract_env.backend.get_job_state(missing)


# resolve_job_id


async def test_resolve_accepts_full_ids_and_unique_prefixes(contract_env: ContractEnv) -> None:
    job_id = await contract_env.seeder.create_job()
    backend = contract_env.backend

    assert await backend.resolve_job_id(job_id) == job_id
    assert await backend.resolve_job_id(job_id.upper()) == job_id
    assert await backend.resolve_job_id(f"  {job_id}\n") == job_id
    assert await backend.resolve_job_id(job_id[:8]) == job_id
    assert await backend.resolve_job_id(job_id[:13]) == job_id


@pytest.mark.parametrize("ref", ["", "xyz", "1234567", "3f2a9c1g", "not-a-job-id", "3f2a 9c1e"])
async def test_resolve_rejects_malformed_ids(contract_env: ContractEnv, ref: str) -> None:
    with pytest.raises(InvalidJobId) as caught:
        await contract_env.backend.resolve_job_id(ref)
    assert "\n" not in caught.value.message


async def test_resolve_unknown_or_ambiguous_prefix_is_not_found(
    contract_env: ContractEnv,
) -> None:
    head = uuid.uuid4().hex[:8]
    first = f"{head}-1111-4000-8000-{uuid.uuid4().hex[:12]}"
    second = f"{head}-2222-4000-8000-{uuid.uuid4().hex[:12]}"
    await contract_env.seeder.create_job(id=first)
    await contract_env.seeder.create_job(id=second)
    backend = contract_env.backend

    with pytest.raises(JobNotFound) as ambiguous:
        await backend.resolve_job_id(head)
    assert "\n" not in ambiguous.value.message
    assert await backend.resolve_job_id(f"{head}-1") == first
    unknown = str(uuid.uuid4())
    with pytest.raises(JobNotFound) as missing:
        await backend.resolve_job_id(unknown.upper().replace("-", ""))
    assert unknown in missing.value.message  # the id as uuids are written (it had no dashes)
    unused = next(p for p in ("00000000", "ffffffff", "0f0f0f0f") if p != head)
    with pytest.raises(JobNotFound):
        await backend.resolve_job_id(f"{unused}-0000-4000-8000-000000000000")


# fetch_logs and fetch_latest_logs


async def test_fetch_logs_pages_every_chunk_once_in_order(contract_env: ContractEnv) -> None:
    job_id = await contract_env.seeder.create_job()
    other = await contract_env.seeder.create_job()
    await _write_lines(contract_env, job_id, 0, 20)
    await _write_lines(contract_env, other, 100, 3)  # another job's logs never leak in

    pages: list[list[LogChunk]] = []
    cursor: LogChunk | None = None
    while True:
        page = await contract_env.backend.fetch_logs(job_id, after=cursor, limit=7)
        pages.append(page)
        if len(page) < 7:
            break
        cursor = page[-1]

    assert [len(p) for p in pages] == [7, 7, 6]
    chunks = [c for p in pages for c in p]
    assert _texts(chunks) == _expected(0, 20)
    assert [c.stream for c in chunks[:3]] == [StreamType.STDOUT, StreamType.STDERR, "SYSTEM"]
    keys = [c.order_key for c in chunks]
    assert keys == sorted(keys) and len(set(keys)) == 20
    assert all(c.job_id == job_id for c in chunks)


async def test_fetch_logs_after_a_cursor(contract_env: ContractEnv) -> None:
    job_id = await contract_env.seeder.create_job()
    await _write_lines(contract_env, job_id, 0, 10)
    backend = contract_env.backend
    everything = await backend.fetch_logs(job_id)

    assert _texts(await backend.fetch_logs(job_id, after=everything[4])) == _expected(5, 5)
    assert await backend.fetch_logs(job_id, after=everything[-1]) == []
    assert await backend.fetch_logs(str(uuid.uuid4())) == []


async def test_fetch_latest_logs_gives_the_newest_oldest_first(
    contract_env: ContractEnv,
) -> None:
    job_id = await contract_env.seeder.create_job()
    await _write_lines(contract_env, job_id, 0, 12)
    backend = contract_env.backend
    everything = await backend.fetch_logs(job_id)

    assert _texts(await backend.fetch_latest_logs(job_id, limit=5)) == _expected(7, 5)
    older = await backend.fetch_latest_logs(job_id, before=everything[7], limit=3)
    assert _texts(older) == _expected(4, 3)
    assert _texts(await backend.fetch_latest_logs(job_id, before=everything[2])) == _expected(0, 2)
    assert await backend.fetch_latest_logs(job_id, before=everything[0]) == []


async def test_count_logs_counts_exactly_a_range_of_the_log(contract_env: ContractEnv) -> None:
    job_id = await contract_env.seeder.create_job()
    other = await contract_env.seeder.create_job()
    await _write_lines(contract_env, job_id, 0, 12)
    await _write_lines(contract_env, other, 100, 3)  # another job's rows are never counted
    backend = contract_env.backend
    everything = await backend.fetch_logs(job_id)

    assert await backend.count_logs(job_id) == 12
    assert await backend.count_logs(job_id, after=everything[3]) == 8
    assert await backend.count_logs(job_id, upto=everything[3]) == 4
    assert await backend.count_logs(job_id, after=everything[3], upto=everything[9]) == 6
    assert await backend.count_logs(job_id, after=everything[-1]) == 0
    assert await backend.count_logs(str(uuid.uuid4())) == 0


# follow_logs and the feed


async def test_follow_logs_starts_live_then_delivers_new_chunks_in_order(
    contract_env: ContractEnv,
) -> None:
    job_id = await contract_env.seeder.create_job(status="PROCESSING")
    await _write_lines(contract_env, job_id, 0, 3)
    async with aclosing(contract_env.backend.follow_logs(job_id)) as events:
        first = await asyncio.wait_for(anext(events), HANG)
        assert isinstance(first, LiveStarted)

        await _write_lines(contract_env, job_id, 3, 5)
        arrived: list[LogChunk] = []
        while len([c for c in arrived if c.text in _expected(3, 5)]) < 5:
            event = await asyncio.wait_for(anext(events), HANG)
            if isinstance(event, ChunksArrived):
                arrived.extend(event.chunks)
            else:
                assert isinstance(event, LiveStarted | LiveInterrupted)

    new = [c for c in arrived if c.text in _expected(3, 5)]
    assert _texts(new) == _expected(3, 5)
    assert all(c.job_id == job_id for c in arrived)


async def test_a_log_feed_passes_backlog_and_live_chunks_exactly_once_in_order(
    contract_env: ContractEnv,
) -> None:
    job_id = await contract_env.seeder.create_job(status="PROCESSING")
    await _write_lines(contract_env, job_id, 0, 25)
    received: list[LogChunk] = []
    feed = LogFeed(contract_env.backend, job_id, received.extend)

    async def keep_writing() -> None:
        for i in range(25, 55):
            await _write_lines(contract_env, job_id, i, 1)
            await asyncio.sleep(0)  # let the feed interleave: commits land during backfill

    following = asyncio.create_task(feed.run())
    try:
        await keep_writing()
        async with asyncio.timeout(HANG):
            while len(received) < 55:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # room for a duplicate to show up, were there one
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)

    assert _texts(received) == _expected(0, 55)


# cancel_job


@pytest.mark.parametrize("status", ["QUEUED", "CLAIMED", "PROCESSING"])
async def test_cancel_an_active_job(contract_env: ContractEnv, status: str) -> None:
    job_id = await contract_env.seeder.create_job(status=status)

    assert await contract_env.backend.cancel_job(job_id) is True

    job = await contract_env.backend.get_job(job_id)
    assert job.status is JobStatus.CANCELLED
    assert job.error_message == "Cancelled by user"
    assert job.completed_at is not None


@pytest.mark.parametrize("status", ["SUCCESS", "FAILED", "CANCELLED"])
async def test_cancel_a_finished_job_changes_nothing(
    contract_env: ContractEnv, status: str
) -> None:
    job_id = await contract_env.seeder.create_job(status="PROCESSING")
    await contract_env.seeder.set_status(
        job_id, status, "Error: earlier" if status == "FAILED" else None
    )

    assert await contract_env.backend.cancel_job(job_id) is False

    state = await contract_env.backend.get_job_state(job_id)
    assert state.status == status
    assert state.error_message == ("Error: earlier" if status == "FAILED" else None)


# rerun_job


@pytest.mark.parametrize("job_type", ["PLAN", "DEPLOY"])
async def test_rerun_inserts_a_queued_copy_of_the_configuration(
    contract_env: ContractEnv, job_type: str
) -> None:
    env = contract_env
    plan_id = await _job_with_refs(env, status="SUCCESS")
    worker = await env.seeder.create_tendril(name="contract-rerun")
    source_id = await _job_with_refs(
        env,
        job_type=job_type,
        status="FAILED",
        error_message="Error: boom",
        plan_job_id=plan_id if job_type == "DEPLOY" else None,
        worker_id=worker,
        execution_metadata={"phase": "apply"},
    )
    source = await env.backend.get_job(source_id)

    new = await env.backend.rerun_job(source)

    assert new.id != source.id
    stored = await env.backend.get_job(new.id)
    for job in (new, stored):
        assert job.status is JobStatus.QUEUED
        assert job.job_type == job_type
        assert job.config_snapshot == SNAPSHOT
        assert (job.vine_id, job.vineyard_id, job.cloud_identity_id) == (
            source.vine_id,
            source.vineyard_id,
            source.cloud_identity_id,
        )
        assert job.plan_job_id == (plan_id if job_type == "DEPLOY" else None)
        assert job.worker_id is None and job.error_message is None
        assert job.completed_at is None and job.started_at is None


@pytest.mark.parametrize("status", ["QUEUED", "CLAIMED", "PROCESSING"])
async def test_rerun_refuses_a_job_that_has_not_finished(
    contract_env: ContractEnv, status: str
) -> None:
    job = await contract_env.backend.get_job(await _job_with_refs(contract_env, status=status))

    with pytest.raises(ActionRejected) as refused:
        await contract_env.backend.rerun_job(job)
    # Every backend refuses in the same words (joblens.actions).
    assert refused.value.message == f"only a finished job can be re-run; this job is {status}"

    assert (await contract_env.backend.get_job(job.id)).status == status


# apply_plan


async def test_apply_plan_inserts_a_queued_deploy_of_the_plan(contract_env: ContractEnv) -> None:
    env = contract_env
    tendril = await env.seeder.create_tendril(name="contract-apply")
    plan = await env.backend.get_job(await _job_with_refs(env, status="SUCCESS"))

    deploy = await env.backend.apply_plan(plan, tendril)

    stored = await env.backend.get_job(deploy.id)
    for job in (deploy, stored):
        assert job.id != plan.id
        assert job.job_type is JobType.DEPLOY
        assert job.status is JobStatus.QUEUED
        assert job.plan_job_id == plan.id
        assert job.assigned_worker_id == tendril
        assert (job.vine_id, job.vineyard_id, job.cloud_identity_id) == (
            plan.vine_id,
            plan.vineyard_id,
            plan.cloud_identity_id,
        )
        assert job.config_snapshot == plan.config_snapshot
        assert job.configuration_hash == plan.configuration_hash
    assert stored.assigned_worker_name == "contract-apply"


async def test_apply_plan_on_any_available_tendril(contract_env: ContractEnv) -> None:
    plan = await contract_env.backend.get_job(await _job_with_refs(contract_env, status="SUCCESS"))

    deploy = await contract_env.backend.apply_plan(plan, None)

    assert deploy.assigned_worker_id is None
    assert deploy.plan_job_id == plan.id


@pytest.mark.parametrize(
    ("job_type", "status"),
    [("DEPLOY", "SUCCESS"), ("PLAN", "FAILED"), ("PLAN", "PROCESSING"), ("PLAN", "CANCELLED")],
)
async def test_apply_plan_needs_a_successful_plan(
    contract_env: ContractEnv, job_type: str, status: str
) -> None:
    job = await contract_env.backend.get_job(
        await _job_with_refs(contract_env, job_type=job_type, status=status)
    )

    with pytest.raises(ActionRejected) as refused:
        await contract_env.backend.apply_plan(job, None)
    assert refused.value.message == (
        f"only a PLAN that succeeded can be applied; this job is a {job_type} with status {status}"
    )


@pytest.mark.parametrize(
    ("status", "age"),
    [("OFFLINE", timedelta(0)), ("ONLINE", timedelta(minutes=5)), ("DRAINING", timedelta(0))],
)
async def test_apply_plan_refuses_a_tendril_that_is_not_live(
    contract_env: ContractEnv, status: str, age: timedelta
) -> None:
    tendril = await contract_env.seeder.create_tendril(
        name="contract-dead", status=status, heartbeat_age=age
    )
    plan = await contract_env.backend.get_job(await _job_with_refs(contract_env, status="SUCCESS"))

    with pytest.raises(ActionRejected) as refused:
        await contract_env.backend.apply_plan(plan, tendril)
    assert refused.value.message == (
        "Tendril contract-dead is not live: choose a live one or Any available"
    )


async def test_apply_plan_refuses_a_tendril_it_cannot_see(contract_env: ContractEnv) -> None:
    plan = await contract_env.backend.get_job(await _job_with_refs(contract_env, status="SUCCESS"))

    with pytest.raises(ActionRejected) as refused:
        await contract_env.backend.apply_plan(plan, "00000000-0000-4000-8000-00000000dead")
    assert refused.value.message == "that Tendril is not visible to you: choose another"


# list_deploys


async def test_list_deploys_gives_the_deploys_of_a_plan_newest_first(
    contract_env: ContractEnv,
) -> None:
    env = contract_env
    plan_id = await _job_with_refs(env, status="SUCCESS")
    other_plan = await _job_with_refs(env, status="SUCCESS")
    t0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    older = await _job_with_refs(
        env, job_type="DEPLOY", status="SUCCESS", plan_job_id=plan_id, created_at=t0
    )
    newer = await _job_with_refs(
        env,
        job_type="DEPLOY",
        status="FAILED",
        plan_job_id=plan_id,
        created_at=t0 + timedelta(hours=1),
    )
    await _job_with_refs(env, job_type="DEPLOY", status="QUEUED", plan_job_id=other_plan)
    await _job_with_refs(env, job_type="DESTROY", status="QUEUED", plan_job_id=plan_id)
    await _job_with_refs(env, job_type="DEPLOY", status="QUEUED")  # applies no plan

    deploys = await env.backend.list_deploys(plan_id)

    assert [(d.id, d.status, d.plan_job_id) for d in deploys] == [
        (newer, JobStatus.FAILED, plan_id),
        (older, JobStatus.SUCCESS, plan_id),
    ]
    assert all(d.job_type is JobType.DEPLOY for d in deploys)
    assert deploys[0].created_at == t0 + timedelta(hours=1)


async def test_list_deploys_sees_a_deploy_apply_plan_made(contract_env: ContractEnv) -> None:
    plan = await contract_env.backend.get_job(await _job_with_refs(contract_env, status="SUCCESS"))
    assert await contract_env.backend.list_deploys(plan.id) == []

    deploy = await contract_env.backend.apply_plan(plan, None)

    assert [d.id for d in await contract_env.backend.list_deploys(plan.id)] == [deploy.id]
    assert await contract_env.backend.list_deploys(deploy.id) == []


# list_tendrils


async def test_list_tendrils_shows_every_visible_tendril_and_its_liveness(
    contract_env: ContractEnv,
) -> None:
    seeder = contract_env.seeder
    made = {
        "c-live": await seeder.create_tendril(name="c-live"),
        "c-cloud": await seeder.create_tendril(name="c-cloud", mode="cloud-hosted"),
        "c-stale": await seeder.create_tendril(name="c-stale", heartbeat_age=timedelta(minutes=3)),
        "c-offline": await seeder.create_tendril(
            name="c-offline", status="OFFLINE", heartbeat_age=timedelta(days=2)
        ),
        "c-draining": await seeder.create_tendril(name="c-draining", status="DRAINING"),
        "c-odd": await seeder.create_tendril(name="c-odd", status="MAINTENANCE"),
        "c-never": await seeder.create_tendril(name="c-never", status=None, heartbeat_age=None),
    }

    listed = {t.id: t for t in await contract_env.backend.list_tendrils()}

    assert set(made.values()) <= set(listed)
    by_name = {name: listed[tendril_id] for name, tendril_id in made.items()}
    live = {name for name, t in by_name.items() if t.is_live()}
    assert live == {"c-live", "c-cloud"}
    assert by_name["c-cloud"].mode == "cloud-hosted"
    assert by_name["c-offline"].status is TendrilStatus.OFFLINE
    assert by_name["c-draining"].status is TendrilStatus.DRAINING
    assert by_name["c-odd"].status == "MAINTENANCE"
    assert by_name["c-never"].last_heartbeat is None
