"""What a user sees and does in the log pane: following, pausing, colours, wrap, huge input."""

from __future__ import annotations

from itertools import count

from rich.color import Color
from rich.segment import Segment
from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot, _get_mouse_message_arguments
from textual.strip import Strip

from joblens.models import LogChunk, StreamType
from joblens.widgets.log_pane import LogFollowIndicator, LogPane
from joblens.widgets.log_render import LINE_CELL_CAP

_ids = count(1)


def chunk(text: str, stream: StreamType | str = StreamType.STDOUT) -> LogChunk:
    return LogChunk(id=next(_ids), job_id="job", text=text, stream=stream)


def numbered(start: int, stop: int, prefix: str = "line") -> LogChunk:
    return chunk("".join(f"{prefix} {i}\n" for i in range(start, stop)))


class LogHost(App[None]):
    """The pane as the job screen uses it: the pane, and the indicator fed by its message."""

    def __init__(self, wrap: bool = False) -> None:
        super().__init__()
        self.wrap = wrap
        self.states: list[tuple[bool, int]] = []

    def compose(self) -> ComposeResult:
        yield LogPane(wrap=self.wrap)
        yield LogFollowIndicator()

    def on_mount(self) -> None:
        self.query_one(LogPane).focus()

    def on_log_pane_following_changed(self, event: LogPane.FollowingChanged) -> None:
        self.states.append((event.following, event.unseen))
        self.query_one(LogFollowIndicator).show_state(event.following, event.unseen)


def text_of(strip: Strip) -> str:
    return "".join(segment.text for segment in strip)


def visible(pane: LogPane) -> list[str]:
    height = pane.scrollable_content_region.height
    return [text_of(pane.render_line(y)).rstrip() for y in range(height)]


async def settle(pilot: Pilot[None]) -> None:
    """Let the buffered flush (at most FLUSH_SECONDS away) and its repaint happen."""
    pane = pilot.app.query_one(LogPane)
    for _ in range(200):
        if not pane._flush_queued:
            break
        await pilot.pause(0.01)
    await pilot.pause()


async def write(pilot: Pilot[None], pane: LogPane, *chunks: LogChunk) -> None:
    pane.write_chunks(list(chunks))
    await settle(pilot)


async def wheel(pilot: Pilot[None], pane: LogPane, kind: type[events.MouseEvent], n: int) -> None:
    """Turn the mouse wheel over the pane, as the terminal reports it."""
    arguments = _get_mouse_message_arguments(pane, (5, 5))
    for _ in range(n):
        pilot.app.screen._forward_event(kind(**arguments))
        await pilot.pause()


def indicator_text(app: LogHost) -> str:
    return str(app.query_one(LogFollowIndicator).render())


async def test_new_lines_keep_the_view_pinned_to_the_bottom() -> None:
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
        for batch in range(10):
            await write(pilot, pane, numbered(batch * 10, batch * 10 + 10))
            assert pane.scroll_y == pane.max_scroll_y
        assert pane.following and pane.unseen == 0
        assert pane.line_count == 100
        assert visible(pane)[-1] == "line 99"
        assert "Following" in indicator_text(app)


async def test_scrolling_up_by_key_pauses_following_and_counts_new_lines() -> None:
    for key in ("up", "k", "pageup", "home", "g"):
        app = LogHost()
        async with app.run_test(size=(60, 12)) as pilot:
            pane = app.query_one(LogPane)
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
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
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
        app = LogHost()
        async with app.run_test(size=(60, 12)) as pilot:
            pane = app.query_one(LogPane)
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
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
        await write(pilot, pane, numbered(0, 30))
        await pilot.press("home")
        for _ in range(5):
            await pilot.press("pagedown")
        assert pane.following
        await write(pilot, pane, numbered(30, 60))
        assert visible(pane)[-1] == "line 59"


async def test_scrollbar_drag_to_bottom_repins() -> None:
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
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
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
        await write(pilot, pane, numbered(0, 100))
        pane.scroll_y = 10
        await write(pilot, pane, numbered(100, 110))
        assert not pane.following and pane.scroll_y == 10
        pane.scroll_y = pane.max_scroll_y
        await write(pilot, pane, numbered(110, 120))
        assert pane.following and visible(pane)[-1] == "line 119"


def colours(strip: Strip) -> dict[str, Color | None]:
    return {
        seg.text.strip(): seg.style.color if seg.style else None
        for seg in strip
        if seg.text.strip()
    }


async def test_stderr_is_red_and_system_is_blue() -> None:
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
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
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
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
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
        # The feed sanitises; the pane does not trust that it did.
        await write(pilot, pane, chunk("a\x1b]52;c;SGVsbG8=\x07b\x1b[2Jc\x00d\x9b31me\n"))
        text = text_of(pane.render_line(0))
        assert text.rstrip() == "abcde"


async def test_wrap_toggle() -> None:
    app = LogHost()
    async with app.run_test(size=(42, 12)) as pilot:
        pane = app.query_one(LogPane)
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
    app = LogHost()
    async with app.run_test(size=(42, 12)) as pilot:
        pane = app.query_one(LogPane)
        await write(pilot, pane, chunk("0123456789" * 20 + "\n"))
        arguments = {**_get_mouse_message_arguments(pane, (5, 5)), "shift": True}
        for _ in range(3):
            app.screen._forward_event(events.MouseScrollDown(**arguments))
            await pilot.pause()
        assert pane.scroll_x > 0
        assert pane.scroll_y == 0 and pane.following


async def test_wrap_keeps_the_top_line_and_follows_on_resize() -> None:
    app = LogHost(wrap=True)
    async with app.run_test(size=(42, 12)) as pilot:
        pane = app.query_one(LogPane)
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


async def test_prepend_keeps_the_viewport() -> None:
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
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
    app = LogHost(wrap=True)
    async with app.run_test(size=(42, 12)) as pilot:
        pane = app.query_one(LogPane)
        await write(pilot, pane, numbered(100, 200))
        await pilot.press("home")
        before = visible(pane)
        pane.prepend_chunks([chunk("z" * 100 + "\n"), numbered(0, 5)])
        await settle(pilot)
        assert visible(pane) == before
        assert pane.scroll_y == 3 + 5


async def test_enormous_line_does_not_freeze() -> None:
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
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
    app = LogHost()
    async with app.run_test(size=(60, 20)) as pilot:
        pane = app.query_one(LogPane)
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
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
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
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
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
    app = LogHost(wrap=True)
    async with app.run_test(size=(42, 12)) as pilot:
        pane = app.query_one(LogPane)
        width = pane.scrollable_content_region.width
        await write(pilot, pane, chunk("a" * width + "0123456789" + "\n"))
        await pilot.mouse_down(pane, offset=(2, 1))
        await pilot.hover(pane, offset=(5, 1))
        await pilot.mouse_up(pane, offset=(5, 1))
        assert app.screen.get_selected_text() == "2345"


async def test_quiet_job_schedules_nothing() -> None:
    app = LogHost()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
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
