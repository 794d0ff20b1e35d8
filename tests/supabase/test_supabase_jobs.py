"""Jobs through the Supabase backend: ids, the job with its names, the actions, RLS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from devstack.testing import StackInfo

from joblens.backends.supabase import SupabaseBackend
from joblens.errors import ActionRejected, InvalidJobId, JobNotFound
from joblens.models import JobStatus, JobType
from joblens.queue_wait import Waiting, waiting_for
from support.backends import backend_for
from support.seeding import create_job
from support.users import User, new_user


@pytest.fixture
async def backend(stack: StackInfo, user: User) -> AsyncIterator[SupabaseBackend]:
    backend = backend_for(stack, user.token)
    await backend.connect()
    yield backend
    await backend.close()


async def world(stack: StackInfo, user: User) -> dict[str, str]:
    """A vineyard, vine, cloud identity and two Tendrils (one default) owned by the user."""
    yard = await stack.asql(
        "insert into vineyards (user_id, name) values ($1, 'acme yard') returning id::text",
        user.id,
    )
    ident = await stack.asql(
        "insert into cloud_identities (user_id, provider, name, credentials) "
        "values ($1, 'aws', 'acme-deployer', '{\"secret\": \"s3cr3t\"}') returning id::text",
        user.id,
    )
    vine = await stack.asql(
        "insert into vines (user_id, vineyard_id, project_name, environment_stage, region, "
        "terraform_version, status) values ($1, $2, 'acme-platform', 'staging', 'eu-west-1', "
        "'1.9.8', 'ACTIVE') returning id::text",
        user.id,
        yard[0]["id"],
    )
    workers = await stack.asql(
        "insert into workers (user_id, name, mode, status, last_heartbeat, is_default) values "
        "($1, 'tendril-a', 'self-hosted', 'ONLINE', now(), true), "
        "($1, 'tendril-b', 'self-hosted', 'OFFLINE', now() - interval '1 hour', false) "
        "returning id::text, name",
        user.id,
    )
    by_name = {w["name"]: w["id"] for w in workers}
    return {
        "vineyard_id": yard[0]["id"],
        "cloud_identity_id": ident[0]["id"],
        "vine_id": vine[0]["id"],
        "tendril_a": by_name["tendril-a"],
        "tendril_b": by_name["tendril-b"],
    }


async def test_a_job_id_resolves_in_full_or_by_a_unique_prefix(
    stack: StackInfo, user: User, backend: SupabaseBackend
) -> None:
    job_id = await create_job(stack, user.id)
    assert await backend.resolve_job_id(job_id.upper()) == job_id
    assert await backend.resolve_job_id(job_id[:8]) == job_id
    assert await backend.resolve_job_id(job_id[:13]) == job_id  # with its dash
    # Two jobs sharing their first 8 hex digits make that prefix ambiguous.
    twin_a = await create_job(stack, user.id, id="abcdef01-0000-4000-8000-00000000000a")
    await create_job(stack, user.id, id="abcdef01-0000-4000-8000-00000000000b")
    with pytest.raises(JobNotFound, match="more than one"):
        await backend.resolve_job_id("abcdef01")
    assert await backend.resolve_job_id("abcdef01-0000-4000-8000-00000000000a") == twin_a
    assert await backend.resolve_job_id("ABCDEF01000040008000" + "00000000000A") == twin_a
    with pytest.raises(JobNotFound, match="no job"):
        await backend.resolve_job_id("fedcba98")
    for bad in ("xyz", "1234567", "g2345678", "", "12345678-zz"):
        with pytest.raises(InvalidJobId):
            await backend.resolve_job_id(bad)


async def test_the_job_comes_with_its_tendril_and_vine_names_but_no_credentials(
    stack: StackInfo, user: User, backend: SupabaseBackend
) -> None:
    ids = await world(stack, user)
    job_id = await create_job(
        stack,
        user.id,
        job_type="DEPLOY",
        status="PROCESSING",
        vine_id=ids["vine_id"],
        vineyard_id=ids["vineyard_id"],
        cloud_identity_id=ids["cloud_identity_id"],
        assigned_worker_id=ids["tendril_a"],
        worker_id=ids["tendril_b"],
        config_snapshot={"region": "eu-west-1", "nodes": [1, 2]},
        execution_metadata={"phase": "apply"},
    )
    job = await backend.get_job(job_id)
    assert (job.id, job.job_type, job.status) == (job_id, JobType.DEPLOY, JobStatus.PROCESSING)
    assert job.assigned_worker_name == "tendril-a"
    assert job.worker_name == "tendril-b"
    assert (job.vine_name, job.vine_stage, job.vine_region) == (
        "acme-platform",
        "staging",
        "eu-west-1",
    )
    assert job.vineyard_name == "acme yard"
    assert job.cloud_identity_label == "aws · acme-deployer"
    assert job.config_snapshot == {"region": "eu-west-1", "nodes": [1, 2]}
    assert job.execution_metadata == {"phase": "apply"}
    assert "s3cr3t" not in repr(job)
    state = await backend.get_job_state(job_id)
    assert (state.status, state.error_message) == (JobStatus.PROCESSING, None)


async def test_cancel_is_one_conditional_update_and_says_when_the_job_had_finished(
    stack: StackInfo, user: User, backend: SupabaseBackend
) -> None:
    job_id = await create_job(stack, user.id, status="PROCESSING")
    assert await backend.cancel_job(job_id) is True
    row = (await stack.asql("select * from provision_jobs where id = $1", job_id))[0]
    assert row["status"] == "CANCELLED"
    assert row["error_message"] == "Cancelled by user"
    assert row["completed_at"] is not None
    assert await backend.cancel_job(job_id) is False  # already finished
    done = await create_job(stack, user.id, status="SUCCESS")
    assert await backend.cancel_job(done) is False
    assert (await stack.asql("select status::text from provision_jobs where id = $1", done))[0][
        "status"
    ] == "SUCCESS"


async def test_rerun_inserts_a_queued_copy_of_the_configuration(
    stack: StackInfo, user: User, backend: SupabaseBackend
) -> None:
    ids = await world(stack, user)
    plan_id = await create_job(stack, user.id, status="SUCCESS")
    job_id = await create_job(
        stack,
        user.id,
        job_type="DEPLOY",
        status="FAILED",
        vine_id=ids["vine_id"],
        vineyard_id=ids["vineyard_id"],
        cloud_identity_id=ids["cloud_identity_id"],
        plan_job_id=plan_id,
        config_snapshot={"k": "v"},
        error_message="boom",
    )
    job = await backend.get_job(job_id)
    new = await backend.rerun_job(job)
    assert new.id != job_id and new.status == JobStatus.QUEUED
    row = (await stack.asql("select * from provision_jobs where id = $1", new.id))[0]
    assert str(row["user_id"]) == user.id  # left to the default, auth.uid()
    assert row["job_type"] == "DEPLOY" and row["status"] == "QUEUED"
    assert str(row["vine_id"]) == ids["vine_id"]
    assert str(row["vineyard_id"]) == ids["vineyard_id"]
    assert str(row["cloud_identity_id"]) == ids["cloud_identity_id"]
    assert str(row["plan_job_id"]) == plan_id
    assert row["config_snapshot"] == '{"k": "v"}'
    assert row["error_message"] is None and row["worker_id"] is None
    running = await backend.get_job(await create_job(stack, user.id, status="PROCESSING"))
    with pytest.raises(ActionRejected):
        await backend.rerun_job(running)


async def test_apply_inserts_a_deploy_of_exactly_the_plan(
    stack: StackInfo, user: User, backend: SupabaseBackend
) -> None:
    ids = await world(stack, user)
    plan_id = await create_job(
        stack,
        user.id,
        job_type="PLAN",
        status="SUCCESS",
        vine_id=ids["vine_id"],
        vineyard_id=ids["vineyard_id"],
        cloud_identity_id=ids["cloud_identity_id"],
        config_snapshot={"plan": {"nodes": 3}},
        configuration_hash="abc123",
    )
    plan = await backend.get_job(plan_id)
    deploy = await backend.apply_plan(plan, ids["tendril_a"])
    assert deploy.job_type == JobType.DEPLOY and deploy.status == JobStatus.QUEUED
    assert deploy.assigned_worker_name == "tendril-a"
    row = (await stack.asql("select * from provision_jobs where id = $1", deploy.id))[0]
    assert str(row["plan_job_id"]) == plan_id
    assert str(row["assigned_worker_id"]) == ids["tendril_a"]
    assert str(row["vine_id"]) == ids["vine_id"]
    assert row["configuration_hash"] == "abc123"
    assert row["config_snapshot"] == '{"plan": {"nodes": 3}}'
    assert str(row["user_id"]) == user.id
    anywhere = await backend.apply_plan(plan, None)
    assert anywhere.assigned_worker_id is None
    failed_plan = await backend.get_job(await create_job(stack, user.id, status="FAILED"))
    with pytest.raises(ActionRejected, match="PLAN"):
        await backend.apply_plan(failed_plan, None)
    deploy_job = await backend.get_job(
        await create_job(stack, user.id, job_type="DEPLOY", status="SUCCESS")
    )
    with pytest.raises(ActionRejected):
        await backend.apply_plan(deploy_job, None)


async def test_another_users_job_is_not_found_and_cannot_be_cancelled(
    stack: StackInfo, user: User, backend: SupabaseBackend
) -> None:
    stranger = await new_user(stack)
    theirs = await create_job(stack, stranger.id, status="PROCESSING")
    with pytest.raises(JobNotFound):
        await backend.resolve_job_id(theirs[:8])
    with pytest.raises(JobNotFound):
        await backend.get_job(theirs)
    with pytest.raises(JobNotFound):
        await backend.get_job_state(theirs)
    with pytest.raises(JobNotFound):
        await backend.cancel_job(theirs)
    assert await backend.fetch_logs(theirs) == []
    row = (await stack.asql("select status::text from provision_jobs where id = $1", theirs))[0]
    assert row["status"] == "PROCESSING"


async def test_an_insert_refused_by_rls_is_a_clear_rejection(
    stack: StackInfo, user: User, backend: SupabaseBackend
) -> None:
    job = await backend.get_job(await create_job(stack, user.id, status="SUCCESS"))
    # The policies let only the "authenticated" role insert: the same user as "anon" is refused.
    anon = backend_for(stack, stack.token(user.id, role="anon"))
    await anon.connect()
    try:
        with pytest.raises(ActionRejected, match="refused the re-run"):
            await anon.rerun_job(job)
    finally:
        await anon.close()


async def test_the_tendril_list_is_every_worker_the_user_can_see(
    stack: StackInfo, user: User, backend: SupabaseBackend
) -> None:
    ids = await world(stack, user)
    stranger = await new_user(stack)
    await stack.asql(
        "insert into workers (user_id, name, mode) values ($1, 'not-yours', 'self-hosted'), "
        "($1, 'cloud-eu', 'cloud-hosted')",
        stranger.id,
    )
    tendrils = {t.name: t for t in await backend.list_tendrils()}
    assert "not-yours" not in tendrils
    assert {"tendril-a", "tendril-b", "cloud-eu"} <= set(tendrils)
    assert tendrils["tendril-a"].id == ids["tendril_a"]
    assert tendrils["tendril-a"].is_default and tendrils["tendril-a"].is_live()
    assert not tendrils["tendril-b"].is_live()


async def test_a_queued_job_says_what_it_waits_for_from_the_tendrils_rls_shows(
    stack: StackInfo, user: User, backend: SupabaseBackend
) -> None:
    ids = await world(stack, user)
    stranger = await new_user(stack)
    theirs = await stack.asql(
        "insert into workers (user_id, name, mode, status, last_heartbeat) values "
        "($1, 'not-yours', 'self-hosted', 'ONLINE', now()) returning id::text",
        stranger.id,
    )
    tendrils = await backend.list_tendrils()
    waits = {}
    for name, tendril_id in [
        ("a", ids["tendril_a"]),
        ("b", ids["tendril_b"]),
        ("hidden", theirs[0]["id"]),
        ("any", None),
    ]:
        job_id = await create_job(stack, user.id, assigned_worker_id=tendril_id)
        waits[name] = waiting_for(await backend.get_job(job_id), tendrils)
    assert waits["a"] == Waiting("waiting for tendril-a to claim the job (online)", False)
    assert waits["b"] == Waiting(
        "waiting for tendril-b to claim the job: offline, last seen 1h 00m ago", True
    )
    assert waits["hidden"] is not None and waits["hidden"].stuck
    assert "not among the Tendrils you can see" in waits["hidden"].text
    assert waits["any"] is not None and not waits["any"].stuck
