"""A deployment without the vines, vineyards and cloud_identities tables still works: the job
select falls back to fewer embeds instead of failing (PostgREST answers PGRST200)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from devstack.testing import StackInfo, start_stack

from joblens.feed import LogFeed
from joblens.models import JobStatus, LogChunk
from support.backends import backend_for
from support.seeding import create_job, write_logs

SCHEMA = Path(__file__).parent / "schemas" / "minimal.sql"


@pytest.fixture(scope="module")
def minimal_stack(pg_server: str) -> Iterator[StackInfo]:
    info = start_stack(str(SCHEMA), pg_server)
    info.logs_table = "job_logs"
    yield info
    info.stop()


async def test_a_job_opens_without_the_display_tables(
    minimal_stack: StackInfo, caplog: pytest.LogCaptureFixture
) -> None:
    stack = minimal_stack
    uid = await stack.acreate_user()
    worker = await stack.asql(
        "insert into workers (user_id, name, status, last_heartbeat) "
        "values ($1, 'solo', 'ONLINE', now()) returning id::text",
        uid,
    )
    job_id = await create_job(
        stack, uid, job_type="PLAN", status="PROCESSING", worker_id=worker[0]["id"]
    )
    await write_logs(stack, job_id, [("one\n", "STDOUT"), ("two\n", "STDERR")])
    backend = backend_for(stack, stack.token(uid), timing=None)
    await backend.connect()
    try:
        with caplog.at_level(logging.INFO, logger="joblens.backends.supabase"):
            job = await backend.get_job(job_id)
        assert "job select without some embeds" in caplog.text
        assert (job.status, job.worker_name, job.vine_name) == (JobStatus.PROCESSING, "solo", None)
        again = await backend.get_job(job_id)  # the fallback is remembered
        assert again.worker_name == "solo"
        got: list[LogChunk] = []
        await LogFeed(backend, job_id, got.extend).backfill()
        assert [c.text for c in got] == ["one\n", "two\n"]
        assert [t.name for t in await backend.list_tendrils()] == ["solo"]
    finally:
        await backend.close()
