"""The tendril command plays a worker: claim, stream logs as a real runner cuts them, finish."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import uuid
from typing import Any

from devstack.testing import REPO_ROOT, StackInfo

from joblens.runner_log import JOB_CLAIMED, MAX_ROW_BYTES
from support.realtime import subscribe
from support.seeding import create_job
from support.users import signed_in
from support.waiting import until

CLAIMED = JOB_CLAIMED  # "▸ Job claimed — preparing workspace…\n"


async def tendril(stack: StackInfo, job: str, *extra: str, **kw: Any) -> int:
    """Run `python -m devstack tendril` with options beyond what StackInfo passes."""
    args = stack.tendril_args(job, **kw) + list(extra)
    proc = await asyncio.create_subprocess_exec(*args, cwd=REPO_ROOT)
    return await proc.wait()


async def rows(stack: StackInfo, job: str) -> list[dict[str, Any]]:
    """The job's rows in the log's order (created_at, then id: both schemas)."""
    return await stack.asql(
        f"select log_chunk, stream_type from {stack.logs_table} where job_id = $1"
        " order by created_at, id",
        uuid.UUID(job),
    )


def stream_text(chunks: list[dict[str, Any]], stream: str) -> str:
    return "".join(c["log_chunk"] for c in chunks if c["stream_type"] == stream)


async def test_a_tendril_claims_streams_and_fails_the_job(stack: StackInfo) -> None:
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    sub = await subscribe(user.client, stack.logs_table, job)
    assert await stack.run_tendril(job, lines=120, rate=1200, final="FAILED") == 0
    row = (await stack.asql("select * from provision_jobs where id = $1", uuid.UUID(job)))[0]
    assert row["status"] == "FAILED" and row["error_message"]
    assert row["worker_id"] and row["claimed_at"] and row["started_at"] and row["completed_at"]
    chunks = await rows(stack, job)
    assert sum(c["log_chunk"].count("\n") for c in chunks) == 120  # --lines: 120 newlines
    assert not any("\x1b" in c["log_chunk"] for c in chunks)  # -no-color, as real runners
    assert stream_text(chunks, "SYSTEM").startswith(CLAIMED)
    assert stream_text(chunks, "SYSTEM").endswith("▸ Job finished — FAILED\n")
    assert "\nError: creating EKS Cluster" in stream_text(chunks, "STDERR")
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


async def test_rows_end_mid_line_interleave_and_never_pass_10_kb(stack: StackInfo) -> None:
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    assert await stack.run_tendril(job, lines=1500, rate=6000) == 0

    chunks = await rows(stack, job)
    sizes = [len(c["log_chunk"].encode()) for c in chunks]
    assert max(sizes) == MAX_ROW_BYTES  # the size cap cut (ASCII: exactly at 10 KB)
    assert all(0 < size <= MAX_ROW_BYTES for size in sizes)
    assert any(not c["log_chunk"].endswith("\n") for c in chunks)
    streams = [c["stream_type"] for c in chunks]
    assert {"STDOUT", "STDERR", "SYSTEM"} <= set(streams)
    assert sum(a != b for a, b in itertools.pairwise(streams)) >= 4
    for stream in ("STDOUT", "STDERR", "SYSTEM"):  # each stream's lines are whole in the end
        assert stream_text(chunks, stream).endswith("\n")
    assert sum(size_text.count("\n") for size_text in (c["log_chunk"] for c in chunks)) == 1500
    assert "Apply complete! Resources:" in stream_text(chunks, "STDOUT")


async def test_requeue_at_plays_a_dead_runner_the_platform_and_another_tendril(
    stack_deployed: StackInfo,
) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    job = await create_job(stack, user.id)
    seen: list[dict[str, Any]] = []

    async def watch() -> None:
        while True:
            found = await stack.asql(
                "select status::text, worker_id, claimed_at, started_at from provision_jobs"
                " where id = $1",
                uuid.UUID(job),
            )
            seen.append(found[0])
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    try:
        assert await tendril(stack, job, "--requeue-at", "120", lines=300, rate=1500) == 0
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)

    # Put back as recover_stale_jobs() does: QUEUED, the claim cleared.
    queued = [s for s in seen if s["status"] == "QUEUED"]
    assert queued and all(
        (s["worker_id"], s["claimed_at"], s["started_at"]) == (None, None, None) for s in queued
    )
    workers = {s["worker_id"] for s in seen if s["worker_id"]}
    assert len(workers) == 2  # claimed again by another Tendril
    row = (await stack.asql("select * from provision_jobs where id = $1", uuid.UUID(job)))[0]
    assert row["status"] == "SUCCESS" and row["claimed_at"] and row["started_at"]
    chunks = await rows(stack, job)
    assert sum(c["log_chunk"].count("\n") for c in chunks) == 300
    claims = [i for i, c in enumerate(chunks) if c["log_chunk"].startswith(CLAIMED)]
    assert len(claims) == 2
    # The dead runner's last row ends mid-line: the rest was in its lost buffer.
    last = chunks[claims[1] - 1]
    assert last["stream_type"] == "STDOUT" and not last["log_chunk"].endswith("\n")
    assert "▸ Job finished" not in stream_text(chunks[: claims[1]], "SYSTEM")
    assert stream_text(chunks, "SYSTEM").endswith("▸ Job finished — SUCCESS\n")


async def test_colour_and_old_runners_on_request(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    coloured, old = await create_job(stack, user.id), await create_job(stack, user.id)
    assert await tendril(stack, coloured, "--ansi", lines=60, rate=3000) == 0
    assert await tendril(stack, old, "--runner", "old", lines=60, rate=3000) == 0

    assert any("\x1b[1m" in c["log_chunk"] for c in await rows(stack, coloured))
    old_rows = await rows(stack, old)
    assert {c["stream_type"] for c in old_rows} <= {"STDOUT", "STDERR"}  # no SYSTEM stream
    assert sum(c["log_chunk"].count("\n") for c in old_rows) == 60


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
