"""How the log pane shows lines: colours, wrap, sideways scrolling, huge input, selection."""

from __future__ import annotations

from rich.color import Color
from rich.segment import Segment
from textual import events
from textual.pilot import _get_mouse_message_arguments
from textual.strip import Strip

from joblens.models import StreamType
from joblens.widgets.log.render import LINE_CELL_CAP
from support.log_host import chunk, numbered, open_pane, settle, text_of, visible, write


def colours(strip: Strip) -> dict[str, Color | None]:
    return {
        seg.text.strip(): seg.style.color if seg.style else None
        for seg in strip
        if seg.text.strip()
    }


async def test_stderr_is_red_and_system_is_blue() -> None:
    async with open_pane() as (app, pilot, pane):
        await write(
            pilot,
            pane,
            chunk("plain output\n"),
            chunk("Error: boom\n", StreamType.STDERR),
            chunk("Assuming IAM role\n", StreamType.SYSTEM),
            chunk("a stream nobody knows\n", "WEIRD"),
        )
        variables = app.get_css_variables()
        rows = [pane.render_line(y) for y in range(4)]
        assert colours(rows[0])["plain output"] == Color.parse(variables["foreground"])
        assert colours(rows[1])["Error: boom"] == Color.parse(variables["text-error"])
        assert colours(rows[2])["Assuming IAM role"] == Color.parse(variables["text-primary"])
        assert colours(rows[3])["a stream nobody knows"] == Color.parse(variables["foreground"])
        red, blue = Color.parse(variables["text-error"]), Color.parse(variables["text-primary"])
        assert red.triplet and red.triplet.red > red.triplet.blue
        assert blue.triplet and blue.triplet.blue > blue.triplet.red
        # Themes work: another theme, other colours.
        app.theme = "gruvbox"
        await settle(pilot)
        variables = app.get_css_variables()
        row = pane.render_line(1)
        assert colours(row)["Error: boom"] == Color.parse(variables["text-error"])


async def test_terraform_colours_are_kept() -> None:
    async with open_pane() as (app, pilot, pane):
        await write(
            pilot,
            pane,
            chunk("  \x1b[32m+\x1b[0m resource \x1b[1maws_s3_bucket.logs\x1b[0m\n"),
            chunk("\x1b[31mnot reset at the end of the line\n\x1b[0mnext line\n"),
        )
        first = pane.render_line(0)
        segments: list[Segment] = list(first)
        assert "\x1b" not in text_of(first)
        plus = next(s for s in segments if s.text == "+")
        assert plus.style and plus.style.color == Color.parse("color(2)")  # SGR 32
        name = next(s for s in segments if s.text == "aws_s3_bucket.logs")
        assert name.style and name.style.bold
        # Colour does not carry to the next line (each line is parsed on its own).
        variables = app.get_css_variables()
        assert colours(pane.render_line(1))["not reset at the end of the line"] == Color.parse(
            "color(1)"
        )
        assert colours(pane.render_line(2))["next line"] == Color.parse(variables["foreground"])


async def test_nothing_but_sgr_reaches_the_terminal_even_unsanitised() -> None:
    async with open_pane() as (_, pilot, pane):
        # The feed sanitises; the pane does not trust that it did.
        await write(pilot, pane, chunk("a\x1b]52;c;SGVsbG8=\x07b\x1b[2Jc\x00d\x9b31me\n"))
        text = text_of(pane.render_line(0))
        assert text.rstrip() == "abcde"


async def test_wrap_toggle() -> None:
    async with open_pane((42, 12)) as (_, pilot, pane):
        width = pane.scrollable_content_region.width
        long = "x" * (width * 2) + "END"
        await write(pilot, pane, chunk(f"short\n{long}\n\x1b[31m{'r' * width}\x1b[0m\ntail\n"))
        assert pane.virtual_size.height == 4
        assert pane.virtual_size.width == len(long)
        await pilot.press("w")
        assert pane.wrap
        # The long line takes three rows; the red line exactly fits one (codes take no room).
        assert pane.virtual_size.height == 6
        assert visible(pane)[:6] == ["short", "x" * width, "x" * width, "END", "r" * width, "tail"]
        await pilot.press("w")
        assert not pane.wrap and pane.virtual_size.height == 4
        assert visible(pane)[1] == "x" * width
        # Unwrapped, the long line scrolls sideways.
        await pilot.press("right", "l")
        assert pane.scroll_x == 16
        assert visible(pane)[1].endswith("x")
        await pilot.press("h")
        assert pane.scroll_x == 8


async def test_shift_wheel_scrolls_sideways_when_unwrapped() -> None:
    async with open_pane((42, 12)) as (app, pilot, pane):
        await write(pilot, pane, chunk("0123456789" * 20 + "\n"))
        arguments = {**_get_mouse_message_arguments(pane, (5, 5)), "shift": True}
        for _ in range(3):
            app.screen._forward_event(events.MouseScrollDown(**arguments))
            await pilot.pause()
        assert pane.scroll_x > 0
        assert pane.scroll_y == 0 and pane.following


async def test_wrap_keeps_the_top_line_and_follows_on_resize() -> None:
    async with open_pane((42, 12), wrap=True) as (_, pilot, pane):
        await write(pilot, pane, *(chunk(f"{i} " + "y" * 60 + "\n") for i in range(50)))
        assert pane.virtual_size.height == 100
        assert pane.following and visible(pane)[-1].startswith("y")
        await pilot.resize_terminal(82, 12)
        await settle(pilot)
        assert pane.virtual_size.height == 50
        assert pane.following and visible(pane)[-1].startswith("49 ")
        pane.scroll_y = 20
        await pilot.press("w")
        assert visible(pane)[0].startswith("20 ")


async def test_enormous_line_does_not_freeze() -> None:
    async with open_pane() as (_, pilot, pane):
        huge = "A" * 1_000_000  # 1 MB, no newline
        ten_mb = "".join(f"{i:07d} " + "b" * 92 + "\n" for i in range(100_000))  # 10 MB
        junk = "".join(chr(c) for c in range(0x20, 0x3000) if not 0x7F <= c <= 0x9F) * 20
        await write(pilot, pane, chunk(huge), chunk(ten_mb), chunk(junk, StreamType.STDERR))
        assert pane.line_count == 100_002
        await pilot.press("home")
        first = pane.render_line(0)
        assert text_of(first) == "A" * first.cell_length
        segments, length = pane._line_segments(0)
        assert length <= LINE_CELL_CAP + 40
        marker = f" … ({1_000_000 - LINE_CELL_CAP:,} more characters)"
        assert "".join(s.text for s in segments).endswith(marker)
        assert pane.virtual_size.width <= LINE_CELL_CAP + 40
        # The whole line is still stored.
        assert len(pane.line_text(0)) == 1_000_000
        await pilot.press("end")
        assert pane._line_segments(pane.line_count - 1)[1] <= LINE_CELL_CAP + 40
        await pilot.press("w")
        assert pane.wrap and pane.virtual_size.height > pane.line_count
        await pilot.press("home")
        assert visible(pane)[0] == "A" * pane.scrollable_content_region.width


async def test_an_auto_height_pane_grows_with_its_lines() -> None:
    async with open_pane((60, 20)) as (_, pilot, pane):
        pane.styles.height = "auto"
        pane.styles.max_height = 12
        await write(pilot, pane, numbered(0, 3))
        await pilot.pause()
        small = pane.size.height
        await write(pilot, pane, numbered(3, 6))
        await pilot.pause()
        assert pane.size.height == small + 3
        assert visible(pane)[-1] == "line 5"


async def test_clear_empties_the_pane_for_another_job() -> None:
    async with open_pane() as (_, pilot, pane):
        await write(pilot, pane, numbered(0, 100))
        await pilot.press("home")
        await write(pilot, pane, numbered(100, 105))
        pane.clear()
        await settle(pilot)
        assert pane.line_count == 0 and pane.virtual_size.height == 0
        assert pane.following and pane.unseen == 0
        await write(pilot, pane, chunk("first line of the next job\n"))
        assert visible(pane)[0] == "first line of the next job"
        assert pane.line_text(0) == "first line of the next job"


async def test_dragging_the_mouse_selects_text_without_colour_codes() -> None:
    async with open_pane() as (app, pilot, pane):
        await write(
            pilot,
            pane,
            chunk("first line\n"),
            chunk("  \x1b[32m+\x1b[0m resource aws_s3_bucket.logs\n"),
            chunk("Error: boom\n", StreamType.STDERR),
        )
        await pilot.mouse_down(pane, offset=(2, 1))
        await pilot.hover(pane, offset=(5, 2))
        await pilot.mouse_up(pane, offset=(5, 2))
        # From the cell pressed to the cell released, inclusive, as Textual's Log selects.
        assert app.screen.get_selected_text() == "+ resource aws_s3_bucket.logs\nError:"
        # The selection is painted over the line's own colours.
        plain = next(iter(pane.render_line(0)))
        plus = next(s for s in pane.render_line(1) if s.text.startswith("+"))
        assert plain.style is not None and plus.style is not None
        assert plus.style.bgcolor != plain.style.bgcolor


async def test_selecting_a_wrapped_row_selects_that_part_of_the_line() -> None:
    async with open_pane((42, 12), wrap=True) as (app, pilot, pane):
        width = pane.scrollable_content_region.width
        await write(pilot, pane, chunk("a" * width + "0123456789" + "\n"))
        await pilot.mouse_down(pane, offset=(2, 1))
        await pilot.hover(pane, offset=(5, 1))
        await pilot.mouse_up(pane, offset=(5, 1))
        assert app.screen.get_selected_text() == "2345"


async def test_selecting_after_older_lines_arrive_selects_the_lines_under_the_mouse() -> None:
    """Rows are reused while they only move up; once older lines shift every index, the rows
    (and the line numbers they carry for selection) are made afresh."""
    async with open_pane() as (app, pilot, pane):
        await write(pilot, pane, numbered(0, 5))
        assert visible(pane)[:2] == ["line 0", "line 1"]
        pane.prepend_chunks([numbered(0, 3, prefix="older")])
        await settle(pilot)
        shown = visible(pane)
        await pilot.mouse_down(pane, offset=(0, 0))
        await pilot.hover(pane, offset=(5, 1))
        await pilot.mouse_up(pane, offset=(5, 1))
        top, second = shown[0], shown[1]
        assert app.screen.get_selected_text() == f"{top}\n{second[:6]}"


async def test_a_selection_stays_on_its_lines_when_older_lines_arrive() -> None:
    async with open_pane() as (app, pilot, pane):
        await write(pilot, pane, numbered(0, 5))
        await pilot.mouse_down(pane, offset=(0, 1))
        await pilot.hover(pane, offset=(5, 2))
        await pilot.mouse_up(pane, offset=(5, 2))
        assert app.screen.get_selected_text() == "line 1\nline 2"
        pane.prepend_chunks([numbered(0, 3, prefix="older")])
        await settle(pilot)
        assert app.screen.get_selected_text() == "line 1\nline 2"
        highlighted = [i for i in range(pane.line_count) if pane.text_selection.get_span(i)]  # type: ignore[union-attr]
        assert [pane.line_text(i) for i in highlighted] == ["line 1", "line 2"]
