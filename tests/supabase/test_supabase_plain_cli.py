"""`joblens logs` and `joblens <id>` (piped) against the local stack, as a user runs them."""

from __future__ import annotations

import asyncio
import re

from devstack.testing import StackInfo

from joblens.errors import ExitCode
from support.cli import joblens
from support.seeding import create_job, db_lines, write_logs
from support.users import User

NON_SGR_ESCAPE = re.compile(r"\x1b(?!\[[0-9;:]*m)|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]")


async def expected_lines(stack: StackInfo, job_id: str) -> list[str]:
    return await db_lines(stack, job_id)


async def test_logs_follow_prints_every_line_of_a_running_job_and_exits_0(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id, job_type="DEPLOY")
    await write_logs(stack, job_id, [("\x1b[1mbacklog\x1b[0m\nsecond\n", "STDOUT")])
    follower = asyncio.create_task(joblens(stack, user.token, "logs", job_id[:8], "--follow"))
    await asyncio.sleep(1.0)  # let it connect: the rest arrives live
    assert await stack.run_tendril(job_id, lines=300, rate=600.0) == 0
    code, out, err = await follower
    assert code == ExitCode.OK, err
    assert out.splitlines() == await expected_lines(stack, job_id)
    assert "\x1b" not in out  # piped: no colour
    assert out.startswith("backlog\nsecond\n")


async def test_a_failed_job_exits_1_with_its_error_on_stderr(stack: StackInfo, user: User) -> None:
    job_id = await create_job(stack, user.id, job_type="DEPLOY")
    assert await stack.run_tendril(job_id, lines=40, rate=2000.0, final="FAILED") == 0
    code, out, err = await joblens(stack, user.token, "logs", job_id, "--follow")
    assert code == ExitCode.JOB_FAILED
    assert err.strip().splitlines() == [
        f"joblens: job {job_id[:8]} failed: Error: creating EKS Cluster: ResourceInUseException"
    ]
    assert out.splitlines() == await expected_lines(stack, job_id)


async def test_piped_open_follows_and_a_cancelled_job_exits_3(stack: StackInfo, user: User) -> None:
    job_id = await create_job(stack, user.id, status="CANCELLED", error_message="Cancelled by user")
    await write_logs(stack, job_id, [("\x1b]0;title\x07\x1b[31mred\x1b[0m\n", "STDERR")])
    code, out, err = await joblens(stack, user.token, job_id)  # stdout is a pipe: plain mode
    assert code == ExitCode.JOB_CANCELLED
    assert out == "red\n"
    assert "cancelled" in err
    code, out, _ = await joblens(stack, user.token, "logs", job_id, "--color", "always")
    assert code == ExitCode.OK
    assert out == "\x1b[31mred\x1b[0m\x1b[0m\n"
    assert NON_SGR_ESCAPE.search(out) is None


async def test_cli_errors_are_one_line_with_documented_codes(stack: StackInfo, user: User) -> None:
    code, out, err = await joblens(stack, user.token, "logs", "00000000")
    assert (code, out) == (ExitCode.NOT_FOUND, "")
    assert err.count("\n") == 1 and err.startswith("joblens: no job")
    code, _, err = await joblens(stack, user.token, "logs", "nothex!!")
    assert code == ExitCode.NOT_FOUND and "not a job id" in err
    expired = stack.token(user.id, ttl=-10)
    code, _, err = await joblens(stack, expired, "logs", "00000000")
    assert code == ExitCode.AUTH and "expired" in err and err.count("\n") == 1
    assert "Traceback" not in err
