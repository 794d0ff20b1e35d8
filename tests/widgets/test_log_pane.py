"""Following the end of a live log: pinning, pausing, counting, re-pinning, backfill, idle."""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot

from joblens.models import StreamType
from joblens.widgets.log import LogPane
from support.log_host import (
    LogHost,
    chunk,
    indicator_text,
    numbered,
    open_pane,
    settle,
    visible,
    wheel,
    write,
)


async def test_new_lines_keep_the_view_pinned_to_the_bottom() -> None:
    async with open_pane() as (app, pilot, pane):
        for batch in range(10):
            await write(pilot, pane, numbered(batch * 10, batch * 10 + 10))
            assert pane.scroll_y == pane.max_scroll_y
        assert pane.following and pane.unseen == 0
        assert pane.line_count == 100
        assert visible(pane)[-1] == "line 99"
        assert "Following" in indicator_text(app)


async def test_scrolling_up_by_key_pauses_following_and_counts_new_lines() -> None:
    for key in ("up", "k", "pageup", "home", "g"):
        async with open_pane() as (app, pilot, pane):
            await write(pilot, pane, numbered(0, 100))
            await pilot.press(key)
            assert not pane.following, key
            top = visible(pane)
            await write(pilot, pane, numbered(100, 107))
            assert visible(pane) == top, f"{key}: the view moved while the user reads"
            assert pane.unseen == 7
            assert app.states[-1] == (False, 7)
            assert "7 new lines" in indicator_text(app)
            await write(pilot, pane, numbered(107, 108))
            assert pane.unseen == 8


async def test_wheel_up_pauses_and_wheel_back_to_bottom_repins() -> None:
    async with open_pane() as (_, pilot, pane):
        await write(pilot, pane, numbered(0, 100))
        await wheel(pilot, pane, events.MouseScrollUp, 2)
        assert not pane.following
        await write(pilot, pane, numbered(100, 110))
        assert pane.unseen == 10
        assert pane.scroll_y < pane.max_scroll_y
        # Lines keep arriving while the user wheels back down.
        while pane.scroll_y < pane.max_scroll_y:
            await wheel(pilot, pane, events.MouseScrollDown, 1)
            pane.write_chunks([numbered(0, 1, "more")])
        await settle(pilot)
        assert pane.following and pane.unseen == 0
        await write(pilot, pane, numbered(200, 220))
        assert pane.scroll_y == pane.max_scroll_y
        assert visible(pane)[-1] == "line 219"


async def test_end_key_repins() -> None:
    for key in ("end", "G"):
        async with open_pane() as (app, pilot, pane):
            await write(pilot, pane, numbered(0, 100))
            await pilot.press("home")
            await write(pilot, pane, numbered(100, 150))
            assert pane.unseen == 50
            await pilot.press(key)
            assert pane.following and pane.unseen == 0, key
            assert app.states[-1] == (True, 0)
            await write(pilot, pane, numbered(150, 160))
            assert visible(pane)[-1] == "line 159"


async def test_pagedown_to_the_end_repins() -> None:
    async with open_pane() as (_, pilot, pane):
        await write(pilot, pane, numbered(0, 30))
        await pilot.press("home")
        for _ in range(5):
            await pilot.press("pagedown")
        assert pane.following
        await write(pilot, pane, numbered(30, 60))
        assert visible(pane)[-1] == "line 59"


async def test_scrollbar_drag_to_bottom_repins() -> None:
    async with open_pane() as (_, pilot, pane):
        await write(pilot, pane, numbered(0, 200))
        bar = pane.vertical_scrollbar
        # Grab the thumb (at the bottom of the bar) and drag it to the top.
        bottom = bar.size.height - 1
        await pilot.mouse_down(bar, offset=(0, bottom))
        assert pane.is_vertical_scrollbar_grabbed
        await pilot.hover(bar, offset=(0, 0))
        await pilot.wait_for_animation()
        await settle(pilot)
        assert not pane.following
        # While held, arriving lines neither move the view nor re-pin it.
        y = pane.scroll_y
        await write(pilot, pane, numbered(200, 210))
        assert pane.scroll_y == y and pane.unseen == 10
        # Drag back down past the end and let go: following again.
        await pilot.hover(bar, offset=(0, bottom + 1))
        await pilot.wait_for_animation()
        await settle(pilot)
        assert pane.following
        await pilot.mouse_up(bar, offset=(0, bottom + 1))
        assert pane.following and pane.unseen == 0
        await write(pilot, pane, numbered(210, 230))
        assert pane.scroll_y == pane.max_scroll_y
        assert visible(pane)[-1] == "line 229"


async def test_setting_scroll_y_to_the_bottom_repins() -> None:
    async with open_pane() as (_, pilot, pane):
        await write(pilot, pane, numbered(0, 100))
        pane.scroll_y = 10
        await write(pilot, pane, numbered(100, 110))
        assert not pane.following and pane.scroll_y == 10
        pane.scroll_y = pane.max_scroll_y
        await write(pilot, pane, numbered(110, 120))
        assert pane.following and visible(pane)[-1] == "line 119"


async def test_prepend_keeps_the_viewport() -> None:
    async with open_pane() as (_, pilot, pane):
        await write(pilot, pane, numbered(100, 200))
        await pilot.press("home")
        before = visible(pane)
        assert before[0] == "line 100"
        pane.prepend_chunks([numbered(50, 100)])
        assert visible(pane) == before
        pane.prepend_chunks([numbered(0, 25), numbered(25, 50)])
        await settle(pilot)
        assert visible(pane) == before
        assert pane.line_count == 200 and pane.scroll_y == 100
        await pilot.press("home")
        assert visible(pane)[0] == "line 0"
        # While following, backfill leaves the newest lines in view.
        await pilot.press("end")
        pane.prepend_chunks([numbered(0, 10, "older")])
        await settle(pilot)
        assert pane.following and visible(pane)[-1] == "line 199"


async def test_prepend_keeps_the_viewport_when_wrapped() -> None:
    async with open_pane((42, 12), wrap=True) as (_, pilot, pane):
        await write(pilot, pane, numbered(100, 200))
        await pilot.press("home")
        before = visible(pane)
        pane.prepend_chunks([chunk("z" * 100 + "\n"), numbered(0, 5)])
        await settle(pilot)
        assert visible(pane) == before
        assert pane.scroll_y == 3 + 5


async def test_quiet_job_schedules_nothing() -> None:
    async with open_pane() as (_, pilot, pane):
        await write(pilot, pane, numbered(0, 10))
        await pilot.pause(0.1)
        assert pane._flush_timer is None and not pane._flush_queued


def test_log_pane_snapshot(snap_compare: object) -> None:
    async def fill(pilot: Pilot[None]) -> None:
        pane = pilot.app.query_one(LogPane)
        pane.write_chunks(
            [
                chunk("Assuming IAM role arn:aws:iam::123456789012:role/joblens\n", "SYSTEM"),
                chunk(
                    "Initializing the backend...\n"
                    "\x1b[0m\x1b[1mTerraform will perform the following actions:\x1b[0m\n"
                    '  \x1b[32m+\x1b[0m resource "aws_s3_bucket" "logs" {\n'
                    '  \x1b[33m~\x1b[0m resource "aws_iam_role" "app" {\n'
                    '  \x1b[31m-\x1b[0m resource "aws_instance" "old" {\n'
                    "\x1b[1mPlan:\x1b[0m 1 to add, 1 to change, 1 to destroy.\n"
                ),
                chunk("Warning: Argument is deprecated\n", StreamType.STDERR),
                chunk("\tindented\twith tabs\n"),
            ]
        )
        await pilot.pause(0.05)

    assert snap_compare(LogHost(), terminal_size=(70, 12), run_before=fill)  # type: ignore[operator]


def test_paused_pane_snapshot(snap_compare: object) -> None:
    async def scroll_up_while_lines_arrive(pilot: Pilot[None]) -> None:
        pane = pilot.app.query_one(LogPane)
        pane.write_chunks([numbered(0, 40)])
        await settle(pilot)
        await pilot.press("pageup")
        pane.write_chunks([numbered(40, 52), chunk("Error: quota exceeded\n", StreamType.STDERR)])
        await settle(pilot)

    assert snap_compare(LogHost(), terminal_size=(50, 10), run_before=scroll_up_while_lines_arrive)  # type: ignore[operator]


async def test_the_pane_tells_its_cadence_what_painting_a_flush_costs() -> None:
    """A long stream is shown as often as its paints allow (widgets/log/cadence.py): the pane
    times the paint that follows each flush."""
    async with open_pane() as (_, pilot, pane):
        assert pane._cadence.paint_seconds == 0.0
        await write(pilot, pane, numbered(0, 100))
        await pilot.pause()
        assert 0.0 < pane._cadence.paint_seconds < 1.0
