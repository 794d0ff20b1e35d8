"""Searching the pane: where the view goes, what is highlighted, n / N, Escape."""

from __future__ import annotations

from rich.style import Style
from textual.strip import Strip

from joblens.widgets.log import LogPane
from support.log_host import chunk, numbered, open_pane, write


def _styled(strip: Strip, style: Style) -> str:
    """The text of a row's cells drawn with ``style``'s background."""
    return "".join(
        s.text for s in strip if s.style is not None and s.style.bgcolor == style.bgcolor
    )


def _row_of(pane: LogPane, line: int) -> int:
    return line - round(pane.scroll_y)


async def test_search_moves_to_the_first_match_below_the_top_and_highlights_it() -> None:
    async with open_pane() as (_, pilot, pane):
        await write(pilot, pane, numbered(0, 300))
        await write(pilot, pane, chunk("\x1b[31mTarget\x1b[0m found here, target again\n"))
        await write(pilot, pane, numbered(301, 400))
        assert pane.following
        pane.scroll_to(y=0, animate=False)
        await pilot.pause()
        assert pane.search("target")
        await pilot.pause()
        assert pane.match_line == 300 and pane.search_text == "target"
        assert not pane.following  # moved away from the end: paused
        row = _row_of(pane, 300)
        assert 0 <= row < pane.scrollable_content_region.height
        current = pane.get_component_rich_style("log-pane--current-match", partial=True)
        assert _styled(pane.render_line(row), current) == "Targettarget"


async def test_n_and_shift_n_cycle_through_matches_and_wrap() -> None:
    async with open_pane() as (_, pilot, pane):
        await write(pilot, pane, numbered(0, 100, prefix="row"))  # "row 7", "row 17", ...
        pane.scroll_to(y=0, animate=False)
        await pilot.pause()
        assert pane.search("7 ") is False  # nothing ends a line with a space after 7
        assert pane.search("row 7")
        assert pane.match_line == 7
        seen = []
        for _ in range(3):
            await pilot.press("n")
            seen.append(pane.match_line)
        assert seen == [70, 71, 72]
        await pilot.press("N", "N", "N")
        assert pane.match_line == 7
        await pilot.press("N")  # before the first: around to the last
        assert pane.match_line == 79
        other = pane.get_component_rich_style("log-pane--match", partial=True)
        row = _row_of(pane, 78)
        assert _styled(pane.render_line(row), other) == "row 7"


async def test_a_match_beyond_the_right_edge_scrolls_into_view() -> None:
    async with open_pane((40, 10)) as (_, pilot, pane):
        await write(pilot, pane, chunk("x" * 150 + " needle\n"), numbered(0, 5))
        assert pane.search("needle")
        await pilot.pause()
        assert pane.scroll_x > 100
        assert "needle" in "".join(s.text for s in pane.render_line(_row_of(pane, 0)))


async def test_escape_clears_the_search_and_new_lines_are_searched_too() -> None:
    async with open_pane() as (_, pilot, pane):
        await write(pilot, pane, chunk("one match\n"), numbered(0, 50))
        assert pane.search("match")
        await write(pilot, pane, chunk("second match\n"))
        await pilot.press("n")
        assert pane.match_line == 51
        await pilot.press("escape")
        assert pane.search_text is None and pane.match_line is None
        before = pane.scroll_y
        await pilot.press("n")  # nothing to repeat: n does nothing
        assert pane.scroll_y == before
