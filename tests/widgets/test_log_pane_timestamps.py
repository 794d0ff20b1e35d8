"""Timestamps in the log pane (``t``): each line's time in a gutter that is not the line's text."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from rich.style import Style
from textual.strip import Strip

from joblens.models import LogChunk, StreamType
from joblens.widgets.log import LogPane
from joblens.widgets.log.render import TIME_GUTTER
from support.log_host import chunk, indicator_text, numbered, open_pane, settle, visible, write

#: 09:30:00 UTC, which is 15:00:00 in the zone the tests run in (below).
T0 = datetime(2026, 11, 28, 9, 30, 0, tzinfo=UTC)
BLANK = " " * TIME_GUTTER


@pytest.fixture(autouse=True)
def local_zone() -> Iterator[None]:
    """A local zone 5½ hours ahead of UTC: a time shown in UTC (or any other zone) shows."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "IST-5:30")
        time.tzset()
        yield
    time.tzset()


def timed(start: int, stop: int, at: datetime = T0, prefix: str = "line") -> LogChunk:
    """Lines ``prefix start`` to ``prefix stop-1`` in one chunk written at ``at``."""
    return chunk("".join(f"{prefix} {i}\n" for i in range(start, stop)), at=at)


def _styled(strip: Strip, style: Style) -> tuple[int, str]:
    """Where the first cell drawn with ``style``'s background is, and the text so drawn."""
    cells, found, first = 0, "", -1
    for segment in strip:
        if segment.style is not None and segment.style.bgcolor == style.bgcolor:
            first = cells if first < 0 else first
            found += segment.text
        cells += segment.cell_length
    return first, found


async def test_t_shows_when_each_line_was_written_and_hides_it_again() -> None:
    async with open_pane() as (app, pilot, pane):
        assert app.active_bindings["t"].binding.description == "Time"
        await write(
            pilot,
            pane,
            chunk("plan started\nreading state\n", at=T0),
            chunk("Error: quota\n", StreamType.STDERR, at=T0 + timedelta(seconds=65.999)),
            chunk("a row with no time\n"),
        )
        pane.write_note("── attempt 2 ──")
        await settle(pilot)
        plain = visible(pane)
        assert not pane.timestamps
        assert plain[:5] == [
            "plan started",
            "reading state",
            "Error: quota",
            "a row with no time",
            "── attempt 2 ──",
        ]
        await pilot.press("t")
        assert pane.timestamps
        # Local time, to the second the row was written in; blanks where there is no time.
        assert visible(pane)[:5] == [
            "15:00:00 plan started",
            "15:00:00 reading state",
            "15:01:05 Error: quota",
            BLANK + "a row with no time",
            BLANK + "── attempt 2 ──",
        ]
        assert [pane.line_time(i) for i in (0, 2, 3, 4)] == [
            int(T0.timestamp()),
            int(T0.timestamp()) + 65,
            0,
            0,
        ]
        segments = list(pane.render_line(0))
        clock = [s for s in segments[:TIME_GUTTER] if s.text.strip()]
        assert "".join(s.text for s in clock) == "15:00:00"
        assert all(s.style is not None and s.style.dim for s in clock)
        text = [s for s in segments[TIME_GUTTER:] if s.text.strip()]
        assert text and not any(s.style is not None and s.style.dim for s in text)
        await pilot.press("t")
        assert not pane.timestamps
        assert visible(pane) == plain


async def test_a_pane_made_with_timestamps_shows_them_from_the_start() -> None:
    async with open_pane(timestamps=True) as (_, pilot, pane):
        await write(pilot, pane, timed(0, 2))
        assert pane.timestamps
        assert visible(pane)[:2] == ["15:00:00 line 0", "15:00:00 line 1"]


async def test_the_view_keeps_following_the_bottom_through_toggles() -> None:
    async with open_pane() as (app, pilot, pane):
        await write(pilot, pane, timed(0, 100))
        for n, key in enumerate(["t", "t", "t"]):
            await pilot.press(key)
            await settle(pilot)
            assert pane.following and pane.scroll_y == pane.max_scroll_y
            await write(pilot, pane, timed(100 + n * 10, 110 + n * 10, T0 + timedelta(minutes=1)))
            assert pane.scroll_y == pane.max_scroll_y
            newest = f"line {109 + n * 10}"
            assert visible(pane)[-1] == (newest if n % 2 else f"15:01:00 {newest}")
        assert "Following" in indicator_text(app)


async def test_toggling_while_paused_keeps_the_lines_in_view() -> None:
    async with open_pane() as (app, pilot, pane):
        await write(pilot, pane, timed(0, 100))
        pane.scroll_to(y=40, animate=False)
        await pilot.pause()
        await pilot.press("t")
        await settle(pilot)
        assert not pane.following
        assert visible(pane)[0] == "15:00:00 line 40"
        await write(pilot, pane, timed(100, 105))
        assert pane.unseen == 5 and visible(pane)[0] == "15:00:00 line 40"
        await pilot.press("end")
        assert pane.following and visible(pane)[-1] == "15:00:00 line 104"
        assert app.states[-1] == (True, 0)


async def test_wrapped_lines_wrap_beside_the_gutter() -> None:
    async with open_pane((42, 12), wrap=True) as (_, pilot, pane):
        width = pane.scrollable_content_region.width
        text = width - TIME_GUTTER
        long = "".join(chr(ord("a") + i % 26) for i in range(100))
        await write(pilot, pane, chunk(long + "\n", at=T0), timed(0, 5))
        await pilot.press("home")
        rows = -(-100 // width)
        assert pane.virtual_size.height == rows + 5
        await pilot.press("t")
        await settle(pilot)
        # The text wraps at the view's width less the gutter; only its first row has a time.
        rows = -(-100 // text)
        assert pane.virtual_size.height == rows + 5
        shown = visible(pane)
        assert shown[0] == "15:00:00 " + long[:text]
        assert shown[1] == BLANK + long[text : 2 * text]
        assert shown[rows - 1] == BLANK + long[(rows - 1) * text :]
        assert shown[rows] == "15:00:00 line 0"
        assert all(pane.render_line(y).cell_length == width for y in range(len(shown)))
        # Following still pins the newest line.
        await pilot.press("end")
        await write(pilot, pane, timed(5, 30), chunk(long + "\n", at=T0))
        assert pane.following and pane.scroll_y == pane.max_scroll_y
        assert visible(pane)[-1] == BLANK + long[(rows - 1) * text :]
        assert visible(pane)[-rows] == "15:00:00 " + long[:text]
        # Unwrapped, the gutter stays and the line is cut at the view's edge.
        await pilot.press("w", "home")
        assert visible(pane)[0] == "15:00:00 " + long[:text]
        assert pane.virtual_size.width == 100 + TIME_GUTTER


async def test_toggling_timestamps_while_wrapped_and_paused_keeps_the_top_line() -> None:
    async with open_pane((42, 12), wrap=True) as (_, pilot, pane):
        await write(pilot, pane, *(chunk("x" * 60 + f" {i}\n", at=T0) for i in range(40)))
        pane.scroll_to(y=pane.row_of(20), animate=False)
        await pilot.pause()
        assert visible(pane)[0].startswith("x")
        top = pane.top_line
        await pilot.press("t")
        await settle(pilot)
        assert not pane.following
        assert pane.top_line == top == 20
        assert visible(pane)[0].startswith("15:00:00 x")
        await pilot.press("t")
        await settle(pilot)
        assert pane.top_line == 20


async def test_the_gutter_stays_put_when_the_view_scrolls_sideways() -> None:
    async with open_pane((40, 10), timestamps=True) as (_, pilot, pane):
        digits = "0123456789" * 10
        await write(pilot, pane, chunk(digits + "\n", at=T0))
        text = pane.scrollable_content_region.width - TIME_GUTTER
        assert pane.virtual_size.width == 100 + TIME_GUTTER
        await pilot.press("right")  # 8 columns
        assert visible(pane)[0] == "15:00:00 " + digits[8 : 8 + text]
        pane.scroll_to(x=pane.max_scroll_x, animate=False)
        await pilot.pause()
        assert visible(pane)[0] == "15:00:00 " + digits[-text:]  # the line's end is reachable


async def test_the_unfinished_line_shows_its_time() -> None:
    async with open_pane(timestamps=True) as (_, pilot, pane):
        await write(pilot, pane, timed(0, 2))
        pane.show_open_lines([chunk("Still creat", at=T0 + timedelta(seconds=30))])
        await settle(pilot)
        assert visible(pane)[2] == "15:00:30 Still creat"
        pane.show_open_lines([chunk("no time yet")])
        await settle(pilot)
        assert visible(pane)[2] == BLANK + "no time yet"


async def test_older_lines_keep_their_times() -> None:
    async with open_pane(timestamps=True) as (_, pilot, pane):
        await write(pilot, pane, timed(10, 20, T0 + timedelta(hours=1)))
        pane.prepend_chunks([timed(0, 10, T0 - timedelta(hours=1), prefix="older")])
        await settle(pilot)
        await pilot.press("home")
        assert visible(pane)[0] == "14:00:00 older 0"
        await pilot.press("end")
        assert visible(pane)[-1] == "16:00:00 line 19"
        assert pane.line_time(9) == int((T0 - timedelta(hours=1)).timestamp())


async def test_search_finds_the_text_only_and_highlights_it_beside_the_gutter() -> None:
    async with open_pane(timestamps=True) as (_, pilot, pane):
        await write(
            pilot, pane, timed(0, 30), chunk("Apply began at 15:00\n", at=T0), timed(31, 60)
        )
        pane.scroll_to(y=0, animate=False)
        await pilot.pause()
        # Every row shows 15:00:00, but no line's text holds it.
        assert pane.search("15:00:00") is False
        assert pane.search("15:00")
        assert pane.match_line == 30
        await pilot.pause()
        current = pane.get_component_rich_style("log-pane--current-match", partial=True)
        row = pane.render_line(30 - round(pane.scroll_y))
        assert _styled(row, current) == (TIME_GUTTER + len("Apply began at "), "15:00")


async def test_a_match_beyond_the_right_edge_scrolls_into_view_beside_the_gutter() -> None:
    async with open_pane((40, 10), timestamps=True) as (_, pilot, pane):
        await write(pilot, pane, chunk("x" * 150 + " needle\n", at=T0), numbered(0, 5))
        assert pane.search("needle")
        await pilot.pause()
        assert pane.scroll_x > 100
        row = "".join(s.text for s in pane.render_line(0))
        assert row.startswith("15:00:00 ") and "needle" in row


async def test_selecting_from_the_gutter_selects_text_only() -> None:
    async with open_pane(timestamps=True) as (app, pilot, pane):
        await write(pilot, pane, chunk("first line\nsecond line\nthird line\n", at=T0))
        # Pressed on the time of line 1, released on the 6th cell of line 2's text.
        await pilot.mouse_down(pane, offset=(3, 1))
        await pilot.hover(pane, offset=(TIME_GUTTER + 5, 2))
        await pilot.mouse_up(pane, offset=(TIME_GUTTER + 5, 2))
        assert app.screen.get_selected_text() == "second line\nthird "
        # The time is never painted as selected.
        selected = app.screen.get_component_rich_style("screen--selection")
        assert _styled(pane.render_line(1), selected) == (TIME_GUTTER, "second line")


async def test_selecting_a_wrapped_row_beside_the_gutter() -> None:
    async with open_pane((42, 12), wrap=True, timestamps=True) as (app, pilot, pane):
        text = pane.scrollable_content_region.width - TIME_GUTTER
        await write(pilot, pane, chunk("a" * text + "0123456789" + "\n", at=T0))
        await pilot.mouse_down(pane, offset=(TIME_GUTTER + 2, 1))
        await pilot.hover(pane, offset=(TIME_GUTTER + 5, 1))
        await pilot.mouse_up(pane, offset=(TIME_GUTTER + 5, 1))
        assert app.screen.get_selected_text() == "2345"


async def test_a_view_narrower_than_the_gutter_draws_rows_its_width() -> None:
    async with open_pane((8, 6), timestamps=True) as (_, pilot, pane):
        await write(pilot, pane, timed(0, 3))
        width = pane.scrollable_content_region.width
        assert 0 < width < TIME_GUTTER
        assert all(pane.render_line(y).cell_length == width for y in range(4))
        await pilot.press("w")
        await settle(pilot)
        assert all(pane.render_line(y).cell_length == width for y in range(4))


def test_timestamps_is_a_reactive_of_the_pane_and_off_by_default() -> None:
    assert LogPane().timestamps is False
    assert LogPane(timestamps=True).timestamps is True


async def test_resizing_a_wrapped_pane_with_timestamps_counts_rows_beside_the_gutter() -> None:
    async with open_pane((42, 12), wrap=True, timestamps=True) as (_, pilot, pane):
        await write(pilot, pane, chunk("y" * 100 + "\n", at=T0), timed(0, 3))
        for columns in (62, 30, 42):
            await pilot.resize_terminal(columns, 12)
            await settle(pilot)
            text = pane.scrollable_content_region.width - TIME_GUTTER
            assert pane.virtual_size.height == -(-100 // text) + 3, columns
            shown = [row for row in visible(pane) if row]
            assert pane.following and shown[-1] == "15:00:00 line 2"
            assert shown[0] == "15:00:00 " + "y" * min(100, text)
