"""The pane with the platform's real output: unfinished lines, over-wide lines, notes."""

from __future__ import annotations

from joblens.models import StreamType
from support.log_host import chunk, numbered, open_pane, settle, visible, write


async def test_an_unfinished_line_shows_below_the_lines_and_is_replaced_when_it_completes() -> None:
    async with open_pane((60, 8)) as (_app, pilot, pane):
        await write(pilot, pane, numbered(0, 3))
        pane.show_open_lines([chunk("Plan: 1 to add", StreamType.STDOUT)])
        await settle(pilot)
        assert visible(pane)[:4] == ["line 0", "line 1", "line 2", "Plan: 1 to add"]
        # The newline arrives: the line is stored, and the open line goes in the same frame.
        pane.write_chunks([chunk("Plan: 1 to add, 0 to change.\n")])
        pane.show_open_lines([])
        await settle(pilot)
        shown = visible(pane)
        assert shown[:5] == ["line 0", "line 1", "line 2", "Plan: 1 to add, 0 to change.", ""]
        assert pane.line_count == 4
        assert pane.open_lines == []


async def test_each_streams_unfinished_line_follows_the_newest_line() -> None:
    async with open_pane((60, 6)) as (_app, pilot, pane):
        await write(pilot, pane, numbered(0, 20))
        pane.show_open_lines(
            [chunk("aws_vpc.main: Creat", StreamType.STDOUT), chunk("╷", StreamType.STDERR)]
        )
        await settle(pilot)
        assert pane.following
        assert visible(pane)[-2:] == ["aws_vpc.main: Creat", "╷"]


async def test_a_long_line_then_a_short_one_leaves_the_short_one_in_view() -> None:
    # The first over-wide line brings the horizontal scrollbar, which takes a row from the
    # view: the newest line must not end up under it while the pane says it is following.
    async with open_pane((40, 8)) as (_app, pilot, pane):
        await write(pilot, pane, numbered(0, 20))
        await write(pilot, pane, chunk("x" * 300 + "\n"), chunk("short and last\n"))
        await pilot.pause()
        await settle(pilot)
        assert pane.following
        assert pane.scroll_y == pane.max_scroll_y
        assert "short and last" in visible(pane)


async def test_a_note_is_a_line_of_its_own_in_the_log() -> None:
    async with open_pane((80, 8)) as (_app, pilot, pane):
        await write(pilot, pane, numbered(0, 2))
        pane.write_note("── requeued 14:02:11: Tendril eu-west-1 stopped responding · attempt 2 ──")
        await settle(pilot)
        assert pane.line_count == 3
        assert visible(pane)[2].startswith("── requeued 14:02:11")


async def test_a_megabyte_unfinished_line_is_cut_for_display_and_kept_whole() -> None:
    async with open_pane((60, 6)) as (_app, pilot, pane):
        text = "y" * 1_000_000
        pane.show_open_lines([chunk(text)])
        await settle(pilot)
        row = visible(pane)[0]
        assert row.startswith("y" * 50)
        assert pane.open_lines == [text]
        pane.write_chunks([chunk(text + "\n")])
        pane.show_open_lines([])
        await settle(pilot)
        assert pane.line_text(0) == text
        pane.scroll_to(x=10_000, animate=False)
        await settle(pilot)
        assert "more characters" in "".join(visible(pane))


async def test_rewind_takes_back_the_lines_after_a_mark_and_the_log_goes_on() -> None:
    async with open_pane((60, 8), wrap=True) as (_app, pilot, pane):
        await write(pilot, pane, numbered(0, 3))
        pane.prepend_chunks([numbered(-2, 0, prefix="older")])
        mark = pane.append_mark()
        await write(pilot, pane, numbered(3, 6, prefix="out of place"))
        pane.rewind(mark)
        await write(pilot, pane, numbered(3, 5, prefix="in place"))
        texts = [pane.line_text(i) for i in range(pane.line_count)]
        assert texts == [
            "older -2",
            "older -1",
            "line 0",
            "line 1",
            "line 2",
            "in place 3",
            "in place 4",
        ]
        assert pane.following
        assert "in place 4" in visible(pane)
        pane.rewind(pane.start_mark())
        await settle(pilot)
        assert pane.line_count == 0
