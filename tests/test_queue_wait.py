"""What a queued job waits for (joblens.queue_wait), and plain mode saying so when nothing
alive can claim it."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joblens.errors import ExitCode
from joblens.job_wait import WaitTimedOut, wait_for_end
from joblens.models import Job, JobStatus, Tendril
from joblens.plain import print_logs
from joblens.queue_wait import waiting_for
from joblens.sanitize import plain_text
from support.demo import T0, StaticWorld

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def tendril(name: str, status: str | None, seen: timedelta | None, id: str = "") -> Tendril:
    return Tendril.from_row(
        {
            "id": id or f"id-{name}",
            "name": name,
            "status": status,
            "last_heartbeat": None if seen is None else (NOW - seen).isoformat(),
        }
    )


def queued(assigned: str | None = None, name: str | None = None) -> Job:
    return Job.from_row(
        {
            "id": "97d6cd33-0000-4000-8000-000000000001",
            "job_type": "PLAN",
            "status": "QUEUED",
            "assigned_worker_id": assigned,
            "assigned_worker": {"name": name} if name else None,
            "created_at": (NOW - timedelta(minutes=4)).isoformat(),
        }
    )


LIVE = tendril("tendril-eu", "ONLINE", timedelta(seconds=20))
SILENT = tendril("tendril-laptop", "ONLINE", timedelta(minutes=17))
OFFLINE = tendril("tendril-us", "OFFLINE", timedelta(days=3, hours=4))
DRAINING = tendril("cloud-us", "DRAINING", timedelta(seconds=5))
NEVER = tendril("tendril-new", None, None)
ALL = [LIVE, SILENT, OFFLINE, DRAINING, NEVER]


@pytest.mark.parametrize(
    ("wanted", "text", "stuck"),
    [
        (LIVE, "waiting for tendril-eu to claim the job (online)", False),
        (
            SILENT,
            "waiting for tendril-laptop to claim the job: silent, last heartbeat 17m 00s ago",
            True,
        ),
        (
            OFFLINE,
            "waiting for tendril-us to claim the job: offline, last seen 3d 4h ago",
            True,
        ),
        (
            DRAINING,
            "waiting for cloud-us to claim the job: draining, last seen 5s ago",
            True,
        ),
        (
            NEVER,
            "waiting for tendril-new to claim the job: never seen",
            True,
        ),
    ],
)
def test_a_job_that_asked_for_a_tendril_waits_for_it_and_says_why_it_cannot_come(
    wanted: Tendril, text: str, stuck: bool
) -> None:
    waiting = waiting_for(queued(wanted.id), ALL, NOW)
    assert waiting is not None
    assert (waiting.text, waiting.stuck) == (text, stuck)


def test_a_tendril_the_user_cannot_see_is_named_as_the_job_names_it_or_by_its_id() -> None:
    named = waiting_for(queued("a1b2c3d4-0000-4000-8000-00000000000f", "theirs"), ALL, NOW)
    assert named is not None and named.stuck
    assert named.text == ("waiting for theirs to claim the job: not among the Tendrils you can see")
    unnamed = waiting_for(queued("a1b2c3d4-0000-4000-8000-00000000000f"), ALL, NOW)
    assert unnamed is not None and unnamed.text.startswith("waiting for Tendril #a1b2c3d4 ")


def test_any_available_counts_the_live_tendrils_and_is_stuck_with_none() -> None:
    some = waiting_for(queued(), [LIVE, SILENT, OFFLINE, tendril("b", "ONLINE", timedelta())], NOW)
    assert some is not None and not some.stuck
    assert some.text == "waiting for any available Tendril to claim the job (2 online)"
    none = waiting_for(queued(), [SILENT, OFFLINE], NOW)
    assert none is not None and none.stuck
    assert none.text == (
        "waiting for any available Tendril to claim the job: none of the 2 you can see is online"
    )
    nothing = waiting_for(queued(), [], NOW)
    assert nothing is not None and nothing.text.endswith(": none is online")


@pytest.mark.parametrize("status", [s for s in JobStatus if s != JobStatus.QUEUED])
def test_only_a_queued_job_waits_and_nothing_is_said_without_the_tendrils(status: str) -> None:
    job = Job.from_row({"id": "97d6cd33-0000-4000-8000-000000000001", "status": status})
    assert waiting_for(job, ALL, NOW) is None
    assert waiting_for(queued(), None, NOW) is None


@given(st.text(), st.text())
def test_names_from_the_server_reach_the_line_only_as_safe_text(ours: str, theirs: str) -> None:
    """A Tendril's name (and the job's name for it) are the server's text: the line holds
    them made safe (no escape or control character), whichever of them it uses."""
    mine = tendril(ours, "OFFLINE", timedelta(hours=2), id="t-1")
    for job in (queued("t-1", theirs), queued("t-2", theirs)):
        waiting = waiting_for(job, [mine], NOW)
        assert waiting is not None
        assert waiting.text == plain_text(waiting.text)
        assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in waiting.text)


# -- plain mode ---------------------------------------------------------------------------------


async def test_logs_follow_says_once_that_a_queued_job_waits_for_an_offline_tendril() -> None:
    world = StaticWorld()
    offline = world.world.offline_tendril_id
    job_id = world.job(assigned_worker_id=offline)
    out, err = io.StringIO(), io.StringIO()
    following = asyncio.create_task(
        print_logs(
            world.backend, job_id, follow=True, color="never", out=out, err=err, poll_seconds=0.1
        )
    )
    await asyncio.sleep(0.5)
    assert err.getvalue() == (
        f"joblens: job #{job_id[:8]} is waiting for tendril-us-east-2 to claim the job: "
        "offline, last seen 3d 4h ago\n"
    )
    world.set(job_id, status="CANCELLED", completed_at=T0 + timedelta(seconds=9))
    assert await asyncio.wait_for(following, 5) == ExitCode.JOB_CANCELLED
    assert err.getvalue().count("waiting for") == 1


async def test_wait_says_it_too_unless_quiet_and_not_for_a_job_a_live_tendril_can_claim() -> None:
    world = StaticWorld()
    stuck = world.job(assigned_worker_id=world.world.offline_tendril_id)
    err = io.StringIO()
    with pytest.raises(WaitTimedOut):
        await wait_for_end(world.backend, stuck, timeout=0.2, err=err, poll_seconds=0.05)
    assert err.getvalue().startswith(f"joblens: job #{stuck[:8]} is waiting for tendril-us-east-2")
    for job_id, quiet in [(stuck, True), (world.job(), False)]:
        err = io.StringIO()
        with pytest.raises(WaitTimedOut):
            await wait_for_end(
                world.backend, job_id, timeout=0.2, quiet=quiet, err=err, poll_seconds=0.05
            )
        assert err.getvalue() == ""
