"""The tendril command plays a worker: claim, stream logs, finish."""

from __future__ import annotations

import uuid

from devstack.testing import StackInfo
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
