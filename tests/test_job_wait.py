"""``joblens wait`` in process, on the demo backend (job_wait.py); the CLI through the local stack
is tests/supabase/test_supabase_wait_cli.py."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import timedelta

import pytest

from joblens.errors import ExitCode
from joblens.job_wait import WaitTimedOut, wait_for_end
from joblens.secrets_shapes import MASK
from support.demo import T0, StaticWorld

#: Far longer than any test here: only the live stream can end a wait in time.
NO_POLL = 60.0


async def test_a_live_update_ends_the_wait_without_waiting_for_the_poll() -> None:
    world = StaticWorld()
    job_id = world.job(job_type="DEPLOY", status="PROCESSING")
    err = io.StringIO()
    waiting = asyncio.create_task(
        wait_for_end(world.backend, job_id[:8], err=err, poll_seconds=NO_POLL)
    )
    await asyncio.sleep(0.3)
    assert not waiting.done()
    ended = time.monotonic()
    world.set(
        job_id,
        status="FAILED",
        error_message="Error:\x1b]0;x\x07 token=ghp_" + "a" * 36 + "\nquota",
        completed_at=T0 + timedelta(seconds=193),
    )
    assert await asyncio.wait_for(waiting, 5) == ExitCode.JOB_FAILED
    assert time.monotonic() - ended < 1.0
    assert (
        err.getvalue()
        == f"joblens: job #{job_id[:8]} FAILED after 3m 10s: Error: token={MASK} quota\n"
    )


async def test_an_ended_job_returns_its_code_at_once_and_quiet_says_nothing() -> None:
    world = StaticWorld()
    for status, code in [("SUCCESS", 0), ("FAILED", 1), ("CANCELLED", 3)]:
        err = io.StringIO()
        job_id = world.job(status=status)
        started = time.monotonic()
        assert await wait_for_end(world.backend, job_id, quiet=True, err=err) == code
        assert time.monotonic() - started < 0.5
        assert err.getvalue() == ""


async def test_the_timeout_is_an_error_with_exit_code_8() -> None:
    world = StaticWorld()
    job_id = world.job(status="QUEUED")
    with pytest.raises(WaitTimedOut) as raised:
        await wait_for_end(world.backend, job_id, timeout=0.2, poll_seconds=0.05)
    assert raised.value.exit_code == ExitCode.WAIT_TIMEOUT == 8
    assert raised.value.message == (
        f"job #{job_id[:8]} is still QUEUED after waiting 0.2s (--timeout)"
    )
