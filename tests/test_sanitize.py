"""Untrusted log text: only SGR colour survives ``sanitize``; chunks split into lines exactly."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rich.ansi import AnsiDecoder
from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style
from rich.text import Text

from joblens.sanitize import (
    INVISIBLE_CHARACTERS,
    carry_colour,
    for_rich,
    sanitize,
    split_chunk,
    strip_sgr,
)

_SGR = re.compile(r"\x1b\[[0-9;:]*m")
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

# Text that looks like a terminal's input: printable runs, escapes and controls of every kind.
_pieces = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "\x1b",
            "\x1b[",
            "\x1b]",
            "\x1bP",
            "\x1b\\",
            "\x07",
            "\x9b",
            "\x9c",
            "\x9d",
            "\x90",
            "\r",
            "\r\n",
            "\n",
            "\t",
            "\x00",
            "\x08",
            "\x7f",
            "m",
            ";",
            "31",
            "\x1b[31m",
            "\x1b[0m",
            "\x1b[2J",
            "\x1b]52;c;SGVsbG8=\x07",
            "\x1b]8;;https://example.com\x1b\\",
            "\ud800",
        ]
    ),
)
_terminal_text = st.lists(_pieces, max_size=30).map("".join)
_printable = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs"), blacklist_characters=INVISIBLE_CHARACTERS
    ),
    max_size=200,
)
# Valid SGR, built from the grammar terminals read (see sanitize._valid_sgr): attributes,
# 256-colour and RGB colours in the semicolon and colon forms, underline styles, empty = 0.
_byte = st.integers(0, 255).map(str)
_colour_code = st.sampled_from(["38", "48", "58"])
_sgr_param = st.one_of(
    st.sampled_from(
        [
            *map(str, range(10)),
            *map(str, range(21, 38)),
            *("39", "49", "53", "55", "59", "", "00", "01"),
            *map(str, range(40, 48)),
            *map(str, range(90, 98)),
            *map(str, range(100, 108)),
        ]
    ),
    st.builds(lambda c, n: f"{c};5;{n}", _colour_code, _byte),
    st.builds(lambda c, r, g, b: f"{c};2;{r};{g};{b}", _colour_code, _byte, _byte, _byte),
    st.builds(lambda c, n: f"{c}:5:{n}", _colour_code, _byte),
    st.builds(lambda c, r, g, b: f"{c}:2:{r}:{g}:{b}", _colour_code, _byte, _byte, _byte),
    st.builds(
        lambda c, s, r, g, b: f"{c}:2:{s}:{r}:{g}:{b}",
        _colour_code,
        st.sampled_from(["", "0", "1"]),
        _byte,
        _byte,
        _byte,
    ),
    st.integers(0, 5).map(lambda style: f"4:{style}"),
)
_sgr = st.lists(_sgr_param, max_size=6).map(lambda params: f"\x1b[{';'.join(params)}m")


@given(_terminal_text)
@example("\x1b\x00[31m")
@example("\x1b[\x0031m")
@example("a\r\r\nb")
def test_only_sgr_escapes_and_no_other_controls_survive(text: str) -> None:
    clean = sanitize(text)
    assert _FORBIDDEN.search(_SGR.sub("", clean)) is None
    assert "\r" not in clean


@given(_terminal_text)
def test_sanitize_is_idempotent(text: str) -> None:
    once = sanitize(text)
    assert sanitize(once) == once


@given(_printable)
def test_printable_text_is_unchanged(text: str) -> None:
    assert sanitize(text) == text


@given(st.lists(st.one_of(_printable, _sgr), max_size=20).map("".join))
def test_sgr_sequences_survive(text: str) -> None:
    assert sanitize(text) == text
    assert _SGR.findall(sanitize(text)) == _SGR.findall(text)


@given(_terminal_text)
def test_split_chunk_round_trips_modulo_a_final_newline(text: str) -> None:
    clean = sanitize(text)
    lines = split_chunk(clean)
    assert "\n".join(lines) == clean.removesuffix("\n")
    assert all("\n" not in line for line in lines)
    assert len(lines) == clean.count("\n") + (0 if clean.endswith("\n") or not clean else 1)


@given(st.lists(st.one_of(_printable, _sgr), max_size=20).map("".join))
def test_strip_sgr_leaves_the_printable_text(text: str) -> None:
    assert _SGR.search(strip_sgr(text)) is None
    assert strip_sgr(text) == _SGR.sub("", text)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        # OSC 52: a clipboard write, BEL- or ST-terminated, payload and all.
        ("copy\x1b]52;c;cm0gLXJmIH4=\x07me", "copyme"),
        ("copy\x1b]52;c;cm0gLXJmIH4=\x1b\\me", "copyme"),
        # OSC 0 and 2: window titles.
        ("\x1b]0;pwned title\x07ok", "ok"),
        ("\x1b]2;pwned title\x1b\\ok", "ok"),
        # OSC 8: a hyperlink keeps its text, loses the link.
        ("\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"),
        # CSI: screen clear, cursor home and moves.
        ("\x1b[2J\x1b[Hclean\x1b[10;20H", "clean"),
        ("a\x1b[1Ab\x1b[?25lc", "abc"),
        # DCS with a payload.
        ("\x1bP1$r0m\x1b\\after", "after"),
        # 8-bit C1 CSI and its parameters.
        ("x\x9b2Jy\x9b31mz", "xyz"),
        # NUL, BEL, BS and DEL.
        ("a\x00b\x07c\x08d\x7fe", "abcde"),
        # A lone CR keeps what a terminal would show.
        ("progress 10%\rprogress 100%", "progress 100%"),
        ("done\r", "done"),
        ("crlf\r\nline", "crlf\nline"),
        # ... the text after a CR overwrites the start, the rest of the longer text stays.
        ("10%\r50%\r100%", "100%"),
        ("abcdef\rXY", "XYcdef"),
        ("Downloading 100%\rDone", "Doneloading 100%"),
        # ... and each character keeps the colour it was written in.
        ("\x1b[31mred text\x1b[0m\rXY", "XY\x1b[31md text\x1b[0m"),
        # Colour survives, other escapes around it do not.
        ("\x1b[1m\x1b[31mError:\x1b[0m boom\x1b[K", "\x1b[1m\x1b[31mError:\x1b[0m boom"),
        # An unterminated OSC eats the rest of its line only.
        ("\x1b]0;title without end\nnext", "\nnext"),
        # Lone surrogates become U+FFFD.
        ("bad\ud800surrogate", "bad\ufffdsurrogate"),
    ],
)
def test_examples(raw: str, shown: str) -> None:
    assert sanitize(raw) == shown


def test_split_chunk_examples() -> None:
    assert split_chunk("") == []
    assert split_chunk("\n") == [""]
    assert split_chunk("a\n\nb\n") == ["a", "", "b"]
    assert split_chunk("no newline") == ["no newline"]


# Colour as programs write it: opened on one line and closed lines later, or never.
_coloured_text = st.lists(
    st.one_of(
        st.text(alphabet="ab \t\n", max_size=6),
        st.sampled_from(
            [
                "\x1b[31m",
                "\x1b[1m",
                "\x1b[22m",
                "\x1b[0m",
                "\x1b[m",
                "\x1b[39m",
                "\x1b[;m",
                "\x1b[1;0m",
                "\x1b[0;32m",
                "\x1b[4;7m",
                "\x1b[38;5;0m",
                "\x1b[38;5;208m",
                "\x1b[48;2;10;20;30m",
                "\x1b[38:2::1:2:3m",
                "\x1b[9m",
                "\x1b[00m",
                "\x1b[58;5;51m",  # underline colours, which Rich misread as other fields
                "\x1b[31;58;2;1;2;3;1m",
                "\x1b[38;5;58;4m",  # (58 as a colour's number: nothing to do with them)
            ]
        ),
        _sgr,
    ),
    max_size=40,
).map("".join)

_console = Console(width=10_000, color_system="truecolor")


def _looks(line: Text) -> list[tuple[str, str]]:
    """Each character with the codes a terminal would get for it."""
    out: list[tuple[str, str]] = []
    for segment in line.render(_console):
        codes = (
            segment.style.render("x", color_system=ColorSystem.TRUECOLOR) if segment.style else "x"
        )
        out.extend((char, codes) for char in segment.text)
    return out


@given(_coloured_text)
@example("\x1b[31mred\nstill red\n\x1b[0mplain")
@example("\x1b[1;38;5;200mbold\n\nmore\x1b[22m\nnot bold\n")
@example("\x1b[58;5;51m\na")  # the underline colour was carried as blink and frame
def test_each_carried_line_alone_looks_as_in_the_whole_chunk(raw: str) -> None:
    text = sanitize(raw)
    carried = carry_colour(text)
    assert sanitize(carried) == carried  # still nothing but SGR
    assert strip_sgr(carried) == strip_sgr(text)  # the same characters, lines and all
    whole = AnsiDecoder()  # a terminal: one state across the chunk (as the pane reads SGR)
    for original, alone in zip(text.split("\n"), carried.split("\n"), strict=True):
        expected = _looks(whole.decode_line(for_rich(original)))
        assert _looks(AnsiDecoder().decode_line(for_rich(alone))) == expected


@given(_coloured_text)
def test_for_rich_takes_out_only_the_underline_colour(raw: str) -> None:
    text = sanitize(raw)
    read = for_rich(text)
    assert sanitize(read) == read and strip_sgr(read) == strip_sgr(text)
    assert "58;5;" not in read.replace("38;5;58;", "").replace("\x1b[38;5;58m", "")


@pytest.mark.parametrize(
    ("line", "style"),
    [
        ("\x1b[58;5;51mx", Style()),  # was blink and frame
        ("\x1b[58;2;1;2;3mx", Style()),  # was bold, dim and italic
        ("\x1b[31;58;5;200;1mx", Style(color="color(1)", bold=True)),  # was blink too
        ("\x1b[38;5;58;4mx", Style(color="color(58)", underline=True)),
    ],
)
def test_an_underline_colour_is_not_read_as_other_attributes(line: str, style: Style) -> None:
    decoded = AnsiDecoder().decode_line(for_rich(line))
    assert decoded.plain == "x"
    assert sum((span.style for span in decoded.spans), Style()) == style


def test_lines_that_close_their_colour_are_left_as_they_are() -> None:
    terraform = "\x1b[32m+\x1b[0m resource\n\x1b[1mPlan:\x1b[0m 1 to add\n\x1b[31mopen at the end"
    assert carry_colour(terraform) is terraform
    assert carry_colour("no colour\nat all\n") == "no colour\nat all\n"
    assert carry_colour("\x1b[31mred\n\nred\n") == "\x1b[31mred\n\n\x1b[31mred\n"


def _terminal_row(line: str) -> str:
    """What a terminal shows of one line of plain text written with CRs: a cursor and cells."""
    cells: list[str] = []
    cursor = 0
    for char in line:
        if char == "\r":
            cursor = 0
        elif cursor < len(cells):
            cells[cursor] = char
            cursor += 1
        else:
            cells.append(char)
            cursor += 1
    return "".join(cells)


@given(st.text(alphabet=st.sampled_from(list("ab \rx\n")), max_size=40))
def test_a_lone_cr_shows_what_a_terminal_shows(text: str) -> None:
    expected = "\n".join(_terminal_row(line) for line in text.replace("\r\n", "\n").split("\n"))
    assert sanitize(text) == expected
