"""The tendril command plays a worker: claim, stream logs, finish."""

from __future__ import annotations

import subprocess
import sys
import uuid

from devstack.testing import REPO_ROOT, StackInfo
from devstack_helpers import new_job, signed_in, subscribe, until


async def test_a_tendril_claims_streams_and_fails_the_job(stack: StackInfo) -> None:
    user = await signed_in(stack)
    job = await new_job(stack, user.id)
    sub = await subscribe(user.client, stack.logs_table, job)
    assert await stack.run_tendril(job, lines=120, rate=1200, final="FAILED") == 0
    row = (await stack.asql("select * from provision_jobs where id = $1", uuid.UUID(job)))[0]
    assert row["status"] == "FAILED" and row["error_message"]
    assert row["worker_id"] and row["claimed_at"] and row["started_at"] and row["completed_at"]
    chunks = await stack.asql(
        f"select log_chunk, stream_type from {stack.logs_table} where job_id = $1", uuid.UUID(job)
    )
    assert sum(c["log_chunk"].count("\n") + 1 for c in chunks) == 120
    assert any("\x1b[" in c["log_chunk"] for c in chunks)
    await until(lambda: len(sub.records) == len(chunks))
    worker = (
        await user.client.table("workers")
        .select("name,status")
        .eq("id", str(row["worker_id"]))
        .single()
        .execute()
    )
    assert worker.data["status"] == "ONLINE"
    assert await stack.run_tendril(job) == 1  # a finished job cannot be claimed again


def test_the_job_command_queues_a_job_for_a_user(stack_deployed: StackInfo) -> None:
    uid = stack_deployed.create_user()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack",
            "job",
            "--url",
            stack_deployed.url,
            "--service-key",
            stack_deployed.service_role_key,
            "--user-id",
            uid,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    rows = stack_deployed.sql(
        "select user_id::text, status::text from provision_jobs where id::text = $1", out
    )
    assert rows == [{"user_id": uid, "status": "QUEUED"}]
