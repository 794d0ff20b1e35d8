"""Mouse and focus in the job view: selected text that shows, drags that select what is under
the pointer, the log's keys from any focus, and a first Tab that lands somewhere visible."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual import events
from textual.geometry import Region
from textual.pilot import Pilot, _get_mouse_message_arguments
from textual.widget import Widget
from textual.widgets._collapsible import CollapsibleTitle

from joblens.widgets.banner import StatusBanner
from joblens.widgets.log import LogPane
from support.demo import StaticWorld
from support.views import opened, opened_pane
from support.waiting import wait_for

LINES = 60


def numbered_log(static_world: StaticWorld, status: str = "SUCCESS") -> str:
    job_id = static_world.job(status=status, error_message="boom: the apply failed")
    static_world.logs(job_id, ("".join(f"line {i:02}\n" for i in range(LINES)), "STDOUT"))
    return job_id


async def drag(
    pilot: Pilot[Any], widget: Widget, start: tuple[int, int], end: tuple[int, int]
) -> None:
    """Press at ``start`` (in ``widget``), move a row at a time to ``end``, release: as a
    terminal reports a real drag, each move with its distance from the last."""
    screen = pilot.app.screen
    await pilot.mouse_down(widget, offset=start)
    x, y = start
    while (x, y) != end:
        step = (end[1] > y) - (end[1] < y)
        x, y = end[0], y + step
        arguments = {**_get_mouse_message_arguments(widget, (x, y), button=1), "delta_y": step}
        screen._forward_event(events.MouseMove(**arguments))
        await pilot.pause(0.05)
    await pilot.mouse_up(widget, offset=end)


def selected_segments(strip: Any, text: str) -> list[Segment]:
    return [s for s in strip if s.text.strip() and s.text.strip() in text]


async def test_selected_log_text_stands_out_from_its_background(static_world: StaticWorld) -> None:
    async with static_world.app(numbered_log(static_world)).run_test(size=(80, 24)) as pilot:
        pane = await opened_pane(pilot, LINES)
        await drag(pilot, pane, (0, 2), (6, 3))
        selected = pilot.app.screen.get_selected_text()
        assert selected is not None and selected.count("\n") == 1
        for y in (2, 3):
            for segment in selected_segments(pane.render_line(y), selected):
                style = segment.style
                assert style is not None and style.bgcolor is not None
                assert style.color != style.bgcolor, f"invisible selection: {style}"


async def test_selected_banner_text_stands_out(static_world: StaticWorld) -> None:
    job_id = numbered_log(static_world, "FAILED")
    async with static_world.app(job_id).run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        banner = screen.query_one(StatusBanner)
        await wait_for(pilot, lambda: banner.display and banner.region.height > 0)
        await drag(pilot, banner, (2, 0), (12, 0))
        assert pilot.app.screen.get_selected_text()
        [strip] = banner.render_lines(Region(0, 0, banner.size.width, 1))
        styles = [s.style for s in strip if s.style is not None and s.style.bgcolor is not None]
        assert styles and all(style.color != style.bgcolor for style in styles)


async def test_a_drag_from_the_logs_first_rows_selects_the_rows_under_the_pointer(
    static_world: StaticWorld,
) -> None:
    async with static_world.app(numbered_log(static_world)).run_test(size=(80, 24)) as pilot:
        pane = await opened_pane(pilot, LINES)
        await wait_for(pilot, lambda: pane.scroll_y > 0)  # at the end: rows above to scroll to
        top = round(pane.scroll_y)
        for first in (0, 1):
            await drag(pilot, pane, (0, first), (6, first + 4))
            await pilot.pause(0.2)  # an auto-scroll would have moved by now
            assert round(pane.scroll_y) == top
            # From the cell pressed to the cell released, inclusive: whole lines here.
            expected = "\n".join(f"line {top + i:02}" for i in range(first, first + 5))
            assert pilot.app.screen.get_selected_text() == expected


async def test_the_logs_keys_work_after_a_click_on_a_panel_title(
    static_world: StaticWorld,
) -> None:
    async with static_world.app(numbered_log(static_world)).run_test(size=(80, 24)) as pilot:
        pane = await opened_pane(pilot, LINES)
        await wait_for(pilot, lambda: pane.scroll_y > 0)
        title = pilot.app.screen.query(CollapsibleTitle).first()
        await pilot.click(title)
        assert pilot.app.focused is title
        bottom = pane.scroll_y
        await pilot.press("k")
        await wait_for(pilot, lambda: pane.scroll_y == bottom - 1)
        await pilot.press("G")
        await wait_for(pilot, lambda: pane.scroll_y == bottom and pane.following)
        wrap = pane.wrap
        await pilot.press("w")
        await wait_for(pilot, lambda: pane.wrap is not wrap)
        await pilot.press("t")
        await wait_for(pilot, lambda: pane.timestamps)
        assert pilot.app.focused is title  # the keys acted on the log; the focus stayed


async def test_the_first_tab_goes_to_something_that_shows_its_focus(
    static_world: StaticWorld,
) -> None:
    async with static_world.app(numbered_log(static_world)).run_test(size=(80, 24)) as pilot:
        pane = await opened_pane(pilot, LINES)
        assert pane.has_focus
        titles = list(pilot.app.screen.query(CollapsibleTitle))
        unfocused = titles[1].rich_style
        await pilot.press("tab")
        await pilot.pause()
        focused = pilot.app.focused
        assert isinstance(focused, CollapsibleTitle)
        assert focused.rich_style.bgcolor != unfocused.bgcolor
        assert isinstance(pilot.app.screen.query_one("#log"), LogPane)
