"""`joblens wait` against the local stack, as a script runs it: a process, its code, its line."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta

from devstack.testing import StackInfo

from joblens.display import format_duration
from joblens.errors import ExitCode
from support.cli import joblens
from support.seeding import create_job, set_status
from support.users import User

#: How long the REST requests hang once the job runs (the live UPDATE must end the wait first).
HANG_SECONDS = 60.0


async def test_a_job_that_fails_while_waiting_exits_1_with_one_line(
    stack: StackInfo, user: User
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=190)
    job_id = await create_job(
        stack, user.id, job_type="DEPLOY", status="PROCESSING", started_at=started
    )
    created = time.monotonic()
    channels = (await stack.afault_status())["live_channels"]
    waiter = asyncio.create_task(joblens(stack, user.token, "wait", job_id[:8]))
    # It has read the job (running) and its live stream gets the table's changes: a fixed
    # sleep was not always enough on a loaded machine.
    deadline = time.monotonic() + 60
    while (await stack.afault_status())["live_channels"] <= channels:
        assert not waiter.done() and time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert not waiter.done()
    # From now on every REST request (the 3 s status poll) hangs for a minute: an end within
    # half of it can only come from the live UPDATE, however busy the machine (a bound of 2 s
    # against the poll's 3 s failed under CI's load).
    await stack.afault("rest_hang", seconds=HANG_SECONDS, count=1000)
    ended = time.monotonic()
    await set_status(stack, job_id, "FAILED", "Error: quota\x1b[2J exceeded\nfor EKS")
    code, out, err = await waiter
    assert time.monotonic() - ended < HANG_SECONDS / 2  # the live UPDATE, not a poll
    assert (code, out) == (ExitCode.JOB_FAILED, "")
    [line] = err.splitlines()
    # It ran 190 s before the test began, and as long again as the test took to end it.
    ran = 190 + ended - created
    took = "|".join(format_duration(n) for n in range(int(ran) - 1, int(ran) + 2))
    assert re.fullmatch(
        rf"joblens: job #{job_id[:8]} FAILED after (?:{took}): Error: quota exceeded for EKS",
        line,
    ), line


async def test_a_job_that_has_ended_exits_at_once_with_its_code(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id, status="SUCCESS")
    code, out, err = await joblens(stack, user.token, "wait", job_id)
    assert (code, out) == (ExitCode.OK, "")
    assert re.fullmatch(rf"joblens: job #{job_id[:8]} SUCCESS( after \d+s)?\n", err), err
    code, out, err = await joblens(stack, user.token, "wait", job_id, "--quiet")
    assert (code, out, err) == (ExitCode.OK, "", "")
    cancelled = await create_job(stack, user.id, status="CANCELLED")
    code, _, err = await joblens(stack, user.token, "wait", cancelled[:8], "-q")
    assert (code, err) == (ExitCode.JOB_CANCELLED, "")


async def test_timeout_exits_8_with_one_line_while_the_job_runs(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id, status="PROCESSING")
    code, out, err = await joblens(stack, user.token, "wait", job_id[:8], "--timeout", "0.5")
    assert (code, out) == (ExitCode.WAIT_TIMEOUT, "")
    assert err == (
        f"joblens: job #{job_id[:8]} is still PROCESSING after waiting 0.5s (--timeout)\n"
    )
    code, _, err = await joblens(stack, user.token, "wait", "00000000", "--timeout", "5")
    assert code == ExitCode.NOT_FOUND and err.startswith("joblens: no job") and err.count("\n") == 1
