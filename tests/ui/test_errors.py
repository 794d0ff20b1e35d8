"""Going to the errors in a log: e / E, the footer and the palette, and a failed job's banner."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from joblens.backends.demo import DemoBackend
from joblens.screens.job_screen import JobScreen
from joblens.widgets.banner import StatusBanner
from joblens.widgets.log import LogPane
from support.demo import StaticWorld
from support.views import QUICK_POLL, make_app, notes, opened, opened_pane
from support.waiting import wait_for

#: A log with a deprecation warning (STDOUT), an error (STDERR), a runner line and a panic.
LOG = (
    *((f"refreshing {i}\n", "STDOUT") for i in range(100)),
    ("Warning: Argument is deprecated\n\nUse something else instead.\n", "STDOUT"),  # 100
    *((f"applying {i}\n", "STDOUT") for i in range(100)),
    ("\nError: creating S3 Bucket (logs): BucketAlreadyExists\n\n", "STDERR"),  # 204
    ("  with aws_s3_bucket.logs,\n", "STDERR"),
    *((f"still destroying {i}\n", "STDOUT") for i in range(50)),
    ("▸ Job finished — FAILED\n", "SYSTEM"),
    ("panic: runtime error: invalid memory address\ngoroutine 1 [running]:\n", "STDERR"),  # 258
    *((f"after {i}\n", "STDOUT") for i in range(50)),
)
WARNING, ERROR, PANIC = 100, 204, 258
LINES = 310


def footer_keys(pilot: Pilot[Any]) -> set[str]:
    return {key.key for key in pilot.app.screen.query(FooterKey)}


def in_view(pane: LogPane, line: int) -> bool:
    row = pane.row_of(line)  # rows are not lines where runs of noise are folded
    return pane.scroll_y <= row < pane.scroll_y + pane.scrollable_content_region.height


async def test_a_failed_demo_deploy_offers_its_first_error_and_e_goes_there() -> None:
    backend = DemoBackend(speed=100.0, seed=5)
    job_id = backend.start_scenario("deploy-fail")
    async with make_app(backend, job_id, poll_seconds=QUICK_POLL).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        pane = screen.query_one(LogPane)
        banner = screen.query_one(StatusBanner)
        await wait_for(pilot, lambda: screen.job.status == "FAILED", timeout=30)
        await wait_for(pilot, lambda: str(banner.render()).endswith("  ·  e first error"))
        assert str(banner.render()).startswith("✖ Failed: Error: creating EKS Node Group")
        await wait_for(pilot, lambda: {"e", "E"} <= footer_keys(pilot))
        assert pane.following
        await pilot.press("e")  # following the end: the first error
        line = pane.error_line
        assert line is not None and in_view(pane, line)
        assert pane.line_text(line).startswith("Error: creating EKS Node Group")
        await pilot.press("e")  # the only one: wraps onto itself, and says so
        await wait_for(pilot, lambda: "Wrapped around to the first error" in notes(pilot.app))
        await pilot.press("E")
        await wait_for(pilot, lambda: "Wrapped around to the last error" in notes(pilot.app))
        assert pane.error_line == line


async def test_e_and_E_step_through_the_errors_wrapping_and_saying_so(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="SUCCESS")
    static_world.logs(job_id, *LOG)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, LINES)
        assert "first error" not in str(pilot.app.screen.query_one(StatusBanner).render())
        await pilot.press("e")  # following: the first error, past the warning before it
        assert pane.error_line == ERROR and in_view(pane, ERROR)
        assert not pane.following  # paused, as a search does
        await pilot.press("e")
        assert pane.error_line == PANIC and in_view(pane, PANIC)
        await pilot.press("e")
        assert pane.error_line == WARNING and in_view(pane, WARNING)
        await wait_for(pilot, lambda: "Wrapped around to the first error" in notes(pilot.app))
        await pilot.press("E")
        assert pane.error_line == PANIC
        await wait_for(pilot, lambda: "Wrapped around to the last error" in notes(pilot.app))
        await pilot.press("E", "E")
        assert pane.error_line == WARNING


async def test_scrolled_away_e_goes_to_the_next_error_below_the_top_of_the_view(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="SUCCESS")
    static_world.logs(job_id, *LOG)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, LINES)
        await pilot.press("home")
        await pilot.press("e")
        assert pane.error_line == WARNING
        pane.scroll_to(y=PANIC + 1, animate=False)
        await pilot.pause()
        await pilot.press("E")  # from the error gone to last, not from the view
        assert pane.error_line == PANIC


async def test_the_keys_are_offered_only_when_there_is_an_error_to_go_to(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="PROCESSING")
    static_world.logs(job_id, *((f"line {i}\n", "STDOUT") for i in range(30)))
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, 30)
        screen = pilot.app.screen
        assert isinstance(screen, JobScreen)
        await wait_for(pilot, lambda: "w" in footer_keys(pilot))
        assert "e" not in footer_keys(pilot)
        assert "Next error" not in [c.title for c in pilot.app.get_system_commands(screen)]
        await pilot.press("e")
        await wait_for(pilot, lambda: "No errors" in notes(pilot.app))
        assert pane.error_line is None and pane.following
        static_world.logs(job_id, ("Error: connection refused\n", "STDERR"))
        await wait_for(pilot, lambda: {"e", "E"} <= footer_keys(pilot))
        titles = [c.title for c in pilot.app.get_system_commands(screen)]
        assert {"Next error", "Previous error", "First error"} <= set(titles)
        await pilot.press("E")  # following the end, E goes to the last error
        assert pane.error_line == 30


async def test_the_failed_banner_offers_the_first_error_to_click(static_world: StaticWorld) -> None:
    job_id = static_world.job(job_type="DEPLOY", status="FAILED", error_message="boom")
    static_world.logs(job_id, *LOG)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, LINES)
        banner = pilot.app.screen.query_one(StatusBanner)
        offered = "✖ Failed: boom  ·  e first error  ·  x all errors"  # (x: the Errors panel)
        await wait_for(pilot, lambda: str(banner.render()) == offered)
        column = str(banner.render()).index("first error")
        # The banner's thick left border and its padding come before the text.
        await pilot.click(StatusBanner, offset=(column + 2, 0))
        await wait_for(pilot, lambda: pane.error_line == ERROR)
        assert in_view(pane, ERROR) and pane.has_focus


async def test_at_80_columns_the_footer_has_no_room_but_the_keys_work(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="SUCCESS")
    static_world.logs(job_id, *LOG)
    async with static_world.app(job_id).run_test(size=(80, 24)) as pilot:
        pane = await opened_pane(pilot, LINES)
        await wait_for(pilot, lambda: pane.has_errors and "q" in footer_keys(pilot))
        assert "e" not in footer_keys(pilot)
        await pilot.press("e")
        assert pane.error_line == ERROR and in_view(pane, ERROR)
        await pilot.press("E")
        assert pane.error_line == WARNING
