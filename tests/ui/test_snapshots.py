"""How the job view looks in its main states (pytest-textual-snapshot).

Jobs come from the demo backend with fixed timestamps and seeded ids; the clock-driven parts
(spinner, "running" durations, relative heartbeat ages) are kept out of these states.
Update after an intended change with ``./dev test tests/ui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from joblens.screens.job_screen import JobScreen
from joblens.widgets.log_pane import LogPane

from .conftest import StaticWorld, wait_for

PLAN_OUTPUT = (
    ("Tendril tendril-eu-west-1 claimed job.\n", "SYSTEM"),
    ("Assuming IAM role arn:aws:iam::123456789012:role/trellis-deployer…\n", "SYSTEM"),
    (
        "Terraform will perform the following actions:\n\n"
        '  \x1b[32m+\x1b[0m resource "aws_eks_cluster" "main" {\n'
        '  \x1b[33m~\x1b[0m resource "aws_iam_role" "nodes" {\n'
        '  \x1b[31m-\x1b[0m resource "aws_instance" "bastion" {\n\n'
        "\x1b[1mPlan:\x1b[0m 1 to add, 1 to change, 1 to destroy.\n",
        "STDOUT",
    ),
    ("Warning: Argument is deprecated\n", "STDERR"),
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
        await pilot.click("#job-details CollapsibleTitle")
        await pilot.click("#config-snapshot CollapsibleTitle")
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
        await pilot.pause(0.2)

    assert snap_compare(world.app(job_id), terminal_size=(80, 24), run_before=search)
