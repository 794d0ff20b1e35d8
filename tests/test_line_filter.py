"""Which lines a filter shows (`joblens logs --grep/--invert/--stream`), and the gutter of
numbers and times before them: smart case as rg has it, colour codes ignored, any text safe."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joblens.line_filter import LineFilter, PatternError, compile_pattern, ignores_case
from joblens.line_gutter import STAMP_WIDTH, Gutter, iso_stamp
from joblens.models import StreamType

STREAM_NAMES = st.sampled_from(["STDOUT", "STDERR", "SYSTEM", "stdout", "OTHER"])
# Log-like text: letters of both cases, regex-special characters, escapes and box drawing.
LINES = st.text(alphabet=st.sampled_from("aAeErRzZ09 .*+?()[]{}|\\^$:\x1b[m;│╷\t"), max_size=40)
PATTERNS = st.lists(
    st.sampled_from(["err", "Err", "a.c", r"\d+", "^z", "x|y", "(r)\\1"]), max_size=3
)


@pytest.mark.parametrize(
    ("pattern", "smart"),
    [
        ("error", True),
        ("Error", False),
        (r"\S+ing", True),  # an escape is not a capital letter
        (r"\Wfoo", True),
        ("(?P<Name>x)", True),  # nor is a group's name
        ("(?P<n>x)(?P=n)Y", False),
        (r"\N{LATIN SMALL LETTER A}", True),
        ("ÉCHEC", False),
    ],
)
def test_a_pattern_ignores_case_unless_it_has_a_capital_letter_of_its_own(
    pattern: str, smart: bool
) -> None:
    assert ignores_case(pattern) is smart


def test_matching_is_smart_case_on_the_text_without_colour_codes() -> None:
    lower, upper = LineFilter(["error"]), LineFilter(["Error"])
    assert lower.matches("ERROR: boom", "STDOUT") and lower.matches("an error", "STDOUT")
    assert upper.matches("Error: x", "STDOUT") and not upper.matches("error: x", "STDOUT")
    coloured = "\x1b[1;31mErr\x1b[0mor: boom"  # colour codes split the word
    assert upper.matches(coloured, "STDERR")
    assert not LineFilter(["31m"]).matches(coloured, "STDERR")


def test_any_pattern_selects_and_invert_selects_the_rest() -> None:
    lines = ["Creating...", "Still creating... [10s elapsed]", "Error: x", "Plan: 1 to add"]
    either = LineFilter(["^error", "plan:"])
    assert [line for line in lines if either.matches(line, "STDOUT")] == lines[2:]
    rest = LineFilter(["^error", "plan:"], invert=True)
    assert [line for line in lines if rest.matches(line, "STDOUT")] == lines[:2]


def test_patterns_keep_their_own_case_rule_and_groups_when_several() -> None:
    select = LineFilter(["Warn", r"(o)\1"])  # a backreference must not be renumbered
    assert select.matches("Warning", "STDOUT") and not select.matches("warning", "STDOUT")
    assert select.matches("tool", "STDOUT") and not select.matches("to", "STDOUT")
    flagged = LineFilter(["(?i)WARN", "x"])  # global flags: cannot be joined, still works
    assert flagged.matches("warn", "STDOUT") and flagged.matches("x", "STDOUT")


def test_streams_are_chosen_in_any_case_and_unknown_streams_are_left_out() -> None:
    select = LineFilter(streams=["stderr", "System"])
    assert select.streams == ("STDERR", "SYSTEM") and select.active
    assert select.matches("x", StreamType.STDERR) and select.matches("x", "SYSTEM")
    assert not select.matches("x", StreamType.STDOUT) and not select.matches("x", "OTHER")
    assert not LineFilter().active and LineFilter().matches("x", "OTHER")


def test_a_bad_pattern_is_one_line_naming_it() -> None:
    with pytest.raises(PatternError) as caught:
        LineFilter(["ok", "(unclosed"])
    assert caught.value.pattern == "(unclosed"
    assert str(caught.value).startswith("'(unclosed' is not a valid regular expression: ")
    assert "\n" not in str(caught.value)
    with pytest.raises(PatternError):
        compile_pattern("x{2,1}")


def test_a_block_is_shown_when_any_of_its_lines_matches() -> None:
    block = ["╷", "│ Error: creating bucket", "│   with aws_s3_bucket.b,", "╵"]
    assert LineFilter(["s3_bucket"]).matches_block(block, "STDERR")
    assert not LineFilter(["s3_bucket"], invert=True).matches_block(block, "STDERR")
    assert LineFilter(["eks"], invert=True).matches_block(block, "STDERR")
    assert not LineFilter(["s3"], streams=["STDOUT"]).matches_block(block, "STDERR")


@settings(max_examples=300)
@given(
    patterns=PATTERNS.filter(bool),
    streams=st.lists(STREAM_NAMES, max_size=2),
    text=LINES,
    stream=STREAM_NAMES,
)
def test_invert_is_the_exact_complement_within_the_chosen_streams(
    patterns: list[str], streams: list[str], text: str, stream: str
) -> None:
    shown = LineFilter(patterns, streams=streams)
    hidden = LineFilter(patterns, invert=True, streams=streams)
    if shown.stream_shown(stream):
        assert hidden.matches(text, stream) is not shown.matches(text, stream)
    else:
        assert not shown.matches(text, stream) and not hidden.matches(text, stream)


@settings(max_examples=300)
@given(patterns=PATTERNS, text=LINES)
def test_several_patterns_match_as_any_one_of_them(patterns: list[str], text: str) -> None:
    joined = LineFilter(patterns)
    plain = re.sub(r"\x1b\[[0-9;:]*m", "", text)
    alone = [LineFilter([pattern]).matches(text, "STDOUT") for pattern in patterns]
    assert joined.matches(text, "STDOUT") is (any(alone) or not patterns)
    assert LineFilter(patterns).matches(plain, "STDOUT") is joined.matches(text, "STDOUT")


@given(pattern=st.text(max_size=12), text=st.text(max_size=60), stream=st.text(max_size=8))
def test_a_filter_never_raises_on_any_text_once_made(pattern: str, text: str, stream: str) -> None:
    try:
        select = LineFilter([pattern], invert=True, streams=["STDOUT"])
    except PatternError as error:
        assert "\n" not in error.reason
        return
    assert isinstance(select.matches(text, stream), bool)
    assert isinstance(select.matches_block([text, text], "STDOUT"), bool)


# -- the gutter ------------------------------------------------------------------------------


def test_a_stamp_is_iso_8601_to_the_second_with_its_offset() -> None:
    moment = datetime(2026, 11, 30, 21, 48, 46, 123456, tzinfo=UTC)
    assert iso_stamp(moment, utc=True) == "2026-11-30T21:48:46+00:00"
    east = moment.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert iso_stamp(east, utc=True) == "2026-11-30T21:48:46+00:00"
    assert iso_stamp(datetime(2026, 1, 2, 3, 4, 5), utc=True) == "2026-01-02T03:04:05+00:00"
    local = iso_stamp(moment)
    assert len(local) == STAMP_WIDTH and datetime.fromisoformat(local) == moment.replace(
        microsecond=0
    )


@given(st.datetimes(timezones=st.timezones()), st.booleans())
def test_every_stamp_has_the_same_width(moment: datetime, utc: bool) -> None:
    assert len(iso_stamp(moment, utc)) == STAMP_WIDTH


def test_the_gutter_numbers_like_grep_and_blanks_a_line_without_a_time() -> None:
    moment = datetime(2026, 11, 30, 21, 48, 46, tzinfo=UTC)
    both = Gutter(numbers=True, times=True, utc=True)
    assert both.number(12) + both.stamp(moment) == "12:2026-11-30T21:48:46+00:00 "
    assert both.stamp(None) == " " * (STAMP_WIDTH + 1)
    coloured = Gutter(numbers=True, times=True, utc=True, colour=True)
    assert coloured.number(3) == "\x1b[32m3\x1b[0m:"
    assert coloured.stamp(moment) == "\x1b[2m2026-11-30T21:48:46+00:00\x1b[0m "
    off = Gutter()
    assert not off.active and off.number(1) == off.stamp(moment) == ""
