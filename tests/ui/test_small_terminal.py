"""A short terminal (under 20 rows) gives the log the room; dialogs fit or scroll."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Collapsible, OptionList

from joblens.screens.confirm import ConfirmScreen
from joblens.screens.tendril_picker import TendrilPicker
from joblens.widgets.banner import StatusBanner
from joblens.widgets.header import JobHeader
from joblens.widgets.log import LogPane
from support.demo import StaticWorld
from support.views import opened
from support.waiting import wait_for

LONG_ERROR = (
    "Error: creating EKS Node Group (acme-platform-staging:general): waiting for completion: "
    "unexpected state 'CREATE_FAILED', wanted target 'ACTIVE'. last error: eks-general: "
    "AsgInstanceLaunchFailures: Could not launch On-Demand Instances. "
    "InsufficientInstanceCapacity - We currently do not have sufficient m6i.large capacity"
)


def failed_deploy(static_world: StaticWorld) -> str:
    job_id = static_world.job(job_type="DEPLOY", status="FAILED", error_message=LONG_ERROR)
    static_world.logs(job_id, ("".join(f"line {i}\n" for i in range(80)), "STDOUT"))
    return job_id


def log_rows(pilot: Pilot[Any]) -> int:
    return pilot.app.screen.query_one(LogPane).scrollable_content_region.height


def inside_screen(pilot: Pilot[Any], widget: Widget) -> bool:
    region = widget.region
    return region.height > 0 and pilot.app.screen.region.contains_region(region)


async def test_a_failed_job_with_a_panel_open_still_shows_log_rows_at_60x15(
    static_world: StaticWorld,
) -> None:
    async with static_world.app(failed_deploy(static_world)).run_test(size=(60, 15)) as pilot:
        screen = await opened(pilot)
        banner = screen.query_one(StatusBanner)
        await wait_for(pilot, lambda: banner.display and banner.region.height > 0)
        assert banner.region.height == 1  # one line, however long the message
        assert screen.query_one(JobHeader).region.height <= 2
        # The closed panels' titles take no rows: their keys open them.
        titles = [c for c in screen.query(Collapsible) if c.region.height > 0]
        assert titles == []
        assert log_rows(pilot) >= 7
        await pilot.press("d")
        details = screen.query_one("#job-details", Collapsible)
        await wait_for(pilot, lambda: details.region.height > 1)
        await pilot.pause(0.1)
        assert log_rows(pilot) >= 3
        await pilot.press("d")
        await wait_for(pilot, lambda: details.region.height == 0)


async def test_the_view_takes_its_room_back_on_a_taller_terminal(
    static_world: StaticWorld,
) -> None:
    async with static_world.app(failed_deploy(static_world)).run_test(size=(60, 15)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: pilot.app.has_class("-short"))
        await pilot.resize_terminal(80, 30)
        await wait_for(pilot, lambda: not pilot.app.has_class("-short"))
        await pilot.pause(0.1)
        assert screen.query_one(StatusBanner).region.height > 1
        assert all(c.region.height >= 1 for c in screen.query(Collapsible) if c.display)


async def test_the_tendril_picker_fits_at_60x15(static_world: StaticWorld) -> None:
    plan_id = static_world.job(status="SUCCESS")
    async with static_world.app(plan_id).run_test(size=(60, 15)) as pilot:
        await opened(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TendrilPicker))
        await pilot.pause(0.1)
        picker = pilot.app.screen
        for part in ("#dialog-title", "#dialog-hint"):
            assert inside_screen(pilot, picker.query_one(part)), part
        options = picker.query_one(OptionList)
        assert inside_screen(pilot, options) and options.region.height >= 3
        await pilot.press("end")  # the last Tendril scrolls into the list's view
        await pilot.pause(0.1)
        assert options.highlighted is not None


async def test_a_long_confirmation_scrolls_and_keeps_its_buttons_at_60x15(
    static_world: StaticWorld,
) -> None:
    """Apply's question can name five resources and more (screens/job_plan.py)."""
    job_id = static_world.job(status="FAILED", error_message="boom")
    question = "This plan destroys:\n" + "\n".join(f"  aws_s3_bucket.b{i}" for i in range(12))
    async with static_world.app(job_id).run_test(size=(60, 15)) as pilot:
        await opened(pilot)
        pilot.app.push_screen(ConfirmScreen("Apply?", question, "Apply"))
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.pause(0.1)
        dialog = pilot.app.screen
        assert inside_screen(pilot, dialog.query_one("#dialog-title"))
        for button in dialog.query(Button):
            assert inside_screen(pilot, button), button.id
        body = dialog.query_one("#dialog-body")
        assert inside_screen(pilot, body) and body.max_scroll_y > 0  # the rest is a scroll away


async def test_a_long_error_message_takes_two_lines_at_80x24_and_four_when_tall(
    static_world: StaticWorld,
) -> None:
    """The banner cuts a long error message to leave the log its rows (it took six at 80x24,
    and the log six), keeps what comes after it, and gives the message more lines on a taller
    terminal (Job Details, ``d``, holds it whole)."""
    job_id = failed_deploy(static_world)
    async with static_world.app(job_id).run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        banner = screen.query_one(StatusBanner)
        await wait_for(pilot, lambda: banner.display and banner.region.height > 0)
        await pilot.pause(0.1)
        shown = str(banner.render())
        assert banner.region.height == 2
        assert shown.startswith("✖ Failed: Error: creating EKS Node Group") and "…" in shown
        assert log_rows(pilot) >= 10
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: banner.region.height > 2)
        await pilot.pause(0.2)
        assert banner.region.height == 3  # the whole message, in the room it needs
        assert str(banner.render()).endswith("m6i.large capacity")
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: banner.region.height == 2)
