"""A stored line becomes rows of exactly the view's width, its text and colours intact."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.style import Style

from joblens.sanitize import strip_sgr
from joblens.widgets.log.render import LINE_CELL_CAP, line_segments, row_strip
from joblens.widgets.log.store import display_width, expand_tabs

_console = Console(width=200, color_system="truecolor")
_base = Style(color="white", bgcolor="black")
_marker = Style(italic=True)

_line = st.lists(
    st.sampled_from(["a", "b", " ", "\t", "é", "漢", "─", "\x1b[31m", "\x1b[1;32m", "\x1b[0m"]),
    max_size=80,
).map("".join)


def rows_of(raw: bytes, width: int) -> list[str]:
    segments, length = line_segments(raw, _base, _marker, _console)
    count = max(1, -(-length // width))
    rows = [row_strip(segments, length, k * width, width, _base) for k in range(count)]
    assert all(row.cell_length == width for row in rows)
    return ["".join(segment.text for segment in row) for row in rows]


@given(_line, st.integers(1, 30))
def test_wrapped_rows_hold_the_line_and_fill_the_width(line: str, width: int) -> None:
    raw = line.encode()
    _, length = line_segments(raw, _base, _marker, _console)
    assert length == display_width(raw)  # the store's width and the rendered width agree
    text = "".join(rows_of(raw, width)).rstrip(" ")
    plain = expand_tabs(strip_sgr(line)).rstrip(" ")
    if not any(ord(c) > 0x2FFF for c in plain):  # no double-width character cut in two
        assert text == plain


@given(_line, st.integers(0, 40), st.integers(1, 30))
def test_a_sideways_window_is_exactly_the_width(line: str, start: int, width: int) -> None:
    segments, length = line_segments(line.encode(), _base, _marker, _console)
    row = row_strip(segments, length, start, width, _base)
    assert row.cell_length == width
    assert all("\x1b" not in segment.text for segment in row)


def test_colour_codes_become_styles_over_the_stream_colour() -> None:
    segments, length = line_segments(b"ok \x1b[31mred\x1b[0m done", _base, _marker, _console)
    assert length == len("ok red done")
    styles = {segment.text: segment.style for segment in segments}
    assert styles["ok "] == _base
    red = styles["red"]
    assert red is not None and red.color is not None and red.color.number == 1
    assert red.bgcolor == _base.bgcolor  # the stream's background stays under the SGR colour


def test_an_enormous_line_is_cut_with_a_count_of_what_is_left() -> None:
    raw = b"\x1b[32m" + b"x" * 200_000
    segments, length = line_segments(raw, _base, _marker, _console)
    assert LINE_CELL_CAP < length <= LINE_CELL_CAP + 40
    assert segments[-1].text == f" … ({200_000 - LINE_CELL_CAP:,} more characters)"
    assert segments[-1].style == _marker
