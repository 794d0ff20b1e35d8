"""The sanitiser's rules beyond log text (issue 9): SGR limits, bidi and invisible characters
never obeyed, and the display forms every other server text takes."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from joblens.sanitize import (
    INVISIBLE_CHARACTERS,
    SGR_MAX_PARAMS,
    display_lines,
    display_text,
    plain_text,
    sanitize,
)

_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SHOWN = re.compile(r"<U\+([0-9A-F]{4,5})>")

# Hostile text: escapes and controls of every kind, bidi and invisible characters, absurd SGR.
_hostile_pieces = st.one_of(
    st.text(max_size=8),
    st.sampled_from(sorted(INVISIBLE_CHARACTERS)),
    st.sampled_from(
        [
            "\x1b",
            "\x1b[",
            "\x1b]",
            "\x07",
            "\x9b",
            "\x9c",
            "\x9d",
            "\r",
            "\n",
            "\r\n",
            "\t",
            "\x00",
            ";",
            "m",
            ":",
            "\x1b[31m",
            "\x1b[38;5;99999999m",
            "\x1b[38;2;1;2;300m",
            "\x1b[" + ";".join(["1"] * 40) + "m",
            "\x1b[4:3m",
            "\x1b[2J",
            "\x1b[6n",
            "\x1b]52;c;SGVsbG8=\x07",
            "\x1b]0;title\x1b\\",
            "\u202eevil\u202c",
            "\ud800",
        ]
    ),
)
_hostile = st.lists(_hostile_pieces, max_size=25).map("".join)
_sgr_params = st.text(alphabet="0123456789;:", max_size=40)


def _no_invisible(text: str) -> bool:
    return not INVISIBLE_CHARACTERS.intersection(text)


# -- SGR: only what terminals read as intended ------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        "38;5;99999999",
        "38;5;256",
        "48;2;1;2;256",
        "38;2;1;2",
        "38;5",
        "38",
        "38;3;1;2;3",
        ";".join(["1"] * 1000),
        ";".join(["0"] * (SGR_MAX_PARAMS + 1)),
        "1000",
        "0001",
        "10",
        "20",
        "50",
        "51",
        "60",
        "108",
        "4:6",
        "4:1:1",
        "1:2",
        "38:5:300",
        "38:2:1:2",
        "38:2:0:1:2:3:4",
        "9" * 5000,
        ";".join(["38:2:0:255:255:255"] * (SGR_MAX_PARAMS + 1)),
    ],
)
def test_sgr_sequences_out_of_range_are_dropped_whole(params: str) -> None:
    assert sanitize(f"a\x1b[{params}mb") == "ab"
    assert sanitize(f"\x1b[31mred\x1b[{params}m\x1b[0m") == "\x1b[31mred\x1b[0m"


@pytest.mark.parametrize(
    "params",
    [
        "",
        "0",
        "00",
        ";",
        "1;31",
        "38;5;255",
        "48;2;0;128;255",
        "58;5;1",
        "38:5:208",
        "38:2::1:2:3",
        "38:2:1:2:3",
        "4:3",
        "4:0;59",
        "1;2;3;4;5;7;8;9;21;22;23;24;25;27;28;29;39;49;53;55",
        ";".join(["0"] * SGR_MAX_PARAMS),
        ";".join(["38:2:0:255:255:255"] * SGR_MAX_PARAMS),
        "90;107",
    ],
)
def test_sgr_sequences_terminals_read_as_intended_survive(params: str) -> None:
    text = f"a\x1b[{params}mb"
    assert sanitize(text) is text  # the fast path: nothing to do


@given(_sgr_params)
@example("38;5;99999999")
@example("38;2;255;255;255;1")
def test_any_sgr_survives_whole_or_not_at_all_and_within_limits(params: str) -> None:
    shown = sanitize(f"\x1b[{params}m")
    assert shown in ("", f"\x1b[{params}m")
    if shown:
        fields = params.split(";")
        assert len(fields) <= SGR_MAX_PARAMS
        numbers = [n for f in fields for n in f.split(":") if n]
        assert all(len(n) <= 3 and int(n) <= 255 for n in numbers)


@given(_hostile)
@example("\x1b[38;5;99999999m\x1b[1;" + "1;" * 999 + "m")
def test_every_sgr_left_in_any_text_is_within_limits(text: str) -> None:
    for params in _SGR.findall(sanitize(text)):
        assert sanitize(f"\x1b[{params}m") == f"\x1b[{params}m"
        assert len(params.split(";")) <= SGR_MAX_PARAMS


# -- bidi and invisible characters: shown, never obeyed --------------------------------------


def test_every_invisible_character_is_shown_as_its_code_point() -> None:
    for char in sorted(INVISIBLE_CHARACTERS):
        shown = f"<U+{ord(char):04X}>"
        assert sanitize(f"a{char}b") == f"a{shown}b"
        assert plain_text(char) == display_text(char) == display_lines(char) == shown


def test_bidi_overrides_and_zero_width_characters_are_among_them() -> None:
    required = {
        *map(chr, range(0x202A, 0x202F)),
        *map(chr, range(0x2066, 0x206A)),
        "\u200e",
        "\u200f",
        "\u061c",
        *map(chr, range(0x200B, 0x200E)),
        *map(chr, range(0x2060, 0x2065)),
        "\ufeff",
        "\u180e",
        "\u00ad",
    }
    assert required <= INVISIBLE_CHARACTERS


# The format characters that are visible signs (the prepended concatenation marks).
_VISIBLE_FORMAT = {
    *map(chr, range(0x0600, 0x0606)),
    "\u06dd",
    "\u070f",
    "\u0890",
    "\u0891",
    "\u08e2",
    "\U000110bd",
    "\U000110cd",
}


def test_every_unicode_format_character_is_shown_but_the_visible_signs() -> None:
    format_chars = {
        chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"
    }
    assert format_chars - _VISIBLE_FORMAT <= INVISIBLE_CHARACTERS
    assert not _VISIBLE_FORMAT & INVISIBLE_CHARACTERS


def test_a_reversed_line_reads_in_the_order_it_holds() -> None:
    assert sanitize("echo safe \u202ehs.lave | moc.live//:ptth lruc\u202c") == (
        "echo safe <U+202E>hs.lave | moc.live//:ptth lruc<U+202C>"
    )
    assert sanitize("\x1b[31mpay\u200bpal\x1b[0m\n") == "\x1b[31mpay<U+200B>pal\x1b[0m\n"


@given(_hostile)
def test_no_form_lets_an_invisible_character_through(text: str) -> None:
    for form in (sanitize, plain_text, display_text, display_lines):
        assert _no_invisible(form(text))


# -- display_text: one line, no escapes, no controls -----------------------------------------


@given(_hostile)
@example("name\x1b]52;c;SGVsbG8=\x07\nversion\r\n\t2\x9b6n")
def test_display_text_is_one_line_without_any_control(text: str) -> None:
    shown = display_text(text)
    assert _CONTROL.search(shown) is None
    assert _no_invisible(shown)
    assert display_text(shown) == shown  # idempotent


@given(_hostile)
def test_display_lines_keeps_only_line_breaks(text: str) -> None:
    shown = display_lines(text)
    assert _CONTROL.search(shown.replace("\n", "")) is None
    assert "\t" not in shown and _no_invisible(shown)
    assert display_lines(shown) == shown
    # The same text with its lines kept (TABs are spaces in both, to a tab stop here).
    assert display_text(shown).split() == display_text(text).split()


@given(
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cc", "Cs"), blacklist_characters=INVISIBLE_CHARACTERS
        ),
        max_size=100,
    )
)
def test_clean_text_is_returned_as_the_same_object(text: str) -> None:
    assert display_text(text) is text
    assert display_lines(text) is text
    assert sanitize(text) is text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("tendril-eu\x1b]52;c;cm0gLXJmIH4=\x07", "tendril-eu"),
        ("\x1b]0;pwned\x07v1.2\x1b[2J\x9b6n", "v1.2"),
        ("\x1b[1;31mbold red\x1b[0m", "bold red"),
        ("two\nlines", "two lines"),
        ("  blank \n\n\n  lines  ", "  blank lines  "),
        ("\nleading and trailing\n", "leading and trailing"),
        ("tab\there", "tab here"),
        ("10%\r100%", "100%"),
        ("a\u202eb", "a<U+202E>b"),
        ("bad\ud800", "bad\ufffd"),
        ("", ""),
    ],
)
def test_display_text_examples(raw: str, shown: str) -> None:
    assert display_text(raw) == shown


def test_display_text_can_mark_where_the_line_breaks_were() -> None:
    assert display_text("a\nb\n\nc", newline="⏎") == "a⏎b⏎c"


def test_display_lines_examples() -> None:
    assert display_lines("Error: boom\n\n  with\tx\x1b]0;t\x07") == "Error: boom\n\n  with  x"
    assert display_lines("line\r\nnext\r") == "line\nnext"
