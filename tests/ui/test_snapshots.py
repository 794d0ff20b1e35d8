"""How the job view looks in its main states (pytest-textual-snapshot).

Jobs come from the demo backend with fixed timestamps and seeded ids; the clock-driven parts
(spinner, "running" durations, relative heartbeat ages) are kept out of these states.
Update after an intended change with ``./dev test tests/ui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from joblens.screens.job_screen import JobScreen
from joblens.widgets.log import LogPane
from support.demo import StaticWorld
from support.waiting import wait_for

# As the platform's runner writes it: no colour (-no-color), rows cut where a flush fell.
PLAN_OUTPUT = (
    (
        "▸ Job claimed — preparing workspace…\n"
        "▸ Assuming IAM role arn:aws:iam::123456789012:role/trellis-deployer\n",
        "SYSTEM",
    ),
    (
        "OpenTofu will perform the following actions:\n\n"
        "  # aws_eks_cluster.main will be created\n"
        '  + resource "aws_eks_cluster" "main" {\n'
        '      + name = "acme-staging"\n'
        "    }\n\n"
        "  # aws_iam_role.nodes will be upd",
        "STDOUT",
    ),
    ("Warning: Argument is deprecated\n", "STDERR"),
    (
        "ated in-place\n"
        '  ~ resource "aws_iam_role" "nodes" {\n'
        "      ~ max_session_duration = 3600 -> 7200\n"
        "    }\n\n"
        "  # aws_instance.bastion will be destroyed\n"
        '  - resource "aws_instance" "bastion" {\n'
        '      - ami = "ami-0a8e758f5e873d1c1" -> null\n'
        "    }\n\n"
        "Plan: 1 to add, 1 to change, 1 to destroy.\n",
        "STDOUT",
    ),
)


async def _settled(pilot: Pilot[Any]) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobScreen))
    screen = pilot.app.screen
    assert isinstance(screen, JobScreen)
    await wait_for(pilot, lambda: screen.feed.live and screen.feed.backfilled.is_set())
    await wait_for(pilot, lambda: screen.query_one(LogPane).line_count > 0)
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_successful_plan(snap_compare: Any, size: tuple[int, int]) -> None:
    world = StaticWorld()
    job_id = world.job(status="SUCCESS")
    world.logs(job_id, *PLAN_OUTPUT)
    assert snap_compare(world.app(job_id), terminal_size=size, run_before=_settled)


def test_failed_deploy(snap_compare: Any) -> None:
    world = StaticWorld()
    job_id = world.job(
        job_type="DEPLOY",
        status="FAILED",
        error_message="Error: creating EKS Node Group: InsufficientInstanceCapacity",
    )
    world.logs(
        job_id,
        *PLAN_OUTPUT[:2],
        ("Error: creating EKS Node Group (general): InsufficientInstanceCapacity\n", "STDERR"),
    )
    assert snap_compare(world.app(job_id), terminal_size=(120, 40), run_before=_settled)


def test_cancelled_job_with_details_open(snap_compare: Any) -> None:
    world = StaticWorld()
    job_id = world.job(job_type="DEPLOY", status="CANCELLED", error_message="Cancelled by user")
    world.logs(job_id, *PLAN_OUTPUT)

    async def open_details(pilot: Pilot[Any]) -> None:
        await _settled(pilot)
        # The lower one first: once Job Details opens, the titles under it are off screen.
        await pilot.click("#config-snapshot CollapsibleTitle")
        await pilot.click("#job-details CollapsibleTitle")
        await pilot.pause(0.2)

    assert snap_compare(world.app(job_id), terminal_size=(120, 40), run_before=open_details)


def test_searching_the_log(snap_compare: Any) -> None:
    """Matches highlighted, the current one stronger, the search field open for a new one."""
    world = StaticWorld()
    job_id = world.job(status="SUCCESS")
    world.logs(job_id, *PLAN_OUTPUT)

    async def search(pilot: Pilot[Any]) -> None:
        await _settled(pilot)
        await pilot.press("slash", *"resource", "enter", "n", "slash", *"aws_")
        # The field's cursor blinks on a timer: shown steadily, the picture does not depend
        # on when it is taken (a loaded machine caught it in the other phase).
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause(0.2)

    assert snap_compare(world.app(job_id), terminal_size=(80, 24), run_before=search)
