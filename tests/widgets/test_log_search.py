"""Finding text in the packed store: the same lines a line-by-line search finds, in any layout."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.segment import Segment

from joblens.sanitize import strip_sgr
from joblens.widgets.log import store as log_store
from joblens.widgets.log.search import (
    BadPattern,
    Finder,
    LogQuery,
    find_line,
    match_cells,
    next_line,
)
from joblens.widgets.log.store import LineStore

_line = st.lists(
    st.one_of(
        st.sampled_from(["error", "Error", "ERR", "warn", "ok", " ", "\t", "界", "é", "İ", "x"]),
        st.sampled_from(["\x1b[31m", "\x1b[0m", "\x1b[1;33m"]),
    ),
    max_size=8,
).map("".join)


def _naive(lines: list[str], query: LogQuery, start: int, backwards: bool) -> int | None:
    plain = [strip_sgr(line) for line in lines]
    order = range(start, -1, -1) if backwards else range(start, len(lines))
    return next((i for i in order if query.needle in query.fold(plain[i])), None)


@given(
    st.lists(st.lists(_line, min_size=1, max_size=6), min_size=1, max_size=12),
    st.lists(st.booleans(), min_size=12, max_size=12),
    st.sampled_from(["error", "Error", "r", "err or", "界", "\x1b", "ok\t", "é", "i̇", "İ"]),
    st.integers(min_value=0),
    st.booleans(),
)
def test_find_line_agrees_with_a_line_by_line_search(
    chunks: list[list[str]],
    prepend: list[bool],
    text: str,
    start_seed: int,
    backwards: bool,
) -> None:
    # Tiny blocks, so that matches sit in every block, first, last and merged ones.
    with patch.object(log_store, "_BLOCK_BYTES", 48), patch.object(log_store, "_MERGE_BYTES", 64):
        store = LineStore()
        lines: list[str] = []
        for chunk, front in zip(chunks, prepend, strict=False):
            if front:
                store.prepend([("\n".join(chunk) + "\n", 0, 0)])
                lines[:0] = chunk
            else:
                store.append("\n".join(chunk) + "\n")
                lines.extend(chunk)
    assert [store.line(i).decode() for i in range(len(store))] == lines
    query = LogQuery.parse(text)
    assert query is not None
    start = start_seed % len(lines)
    assert find_line(store, query, start, backwards) == _naive(lines, query, start, backwards)


def test_a_match_at_the_very_start_or_end_of_a_block_is_found() -> None:
    with patch.object(log_store, "_BLOCK_BYTES", 16):
        store = LineStore()
        for text in ("fine\nfine\n", "error at start\n", "fine\n", "ends in error\n"):
            store.append(text)
    assert len(store.blocks) == 4
    query = LogQuery.parse("error")
    assert query is not None
    assert find_line(store, query, 0) == 2
    assert find_line(store, query, 3) == 4
    assert find_line(store, query, 3, backwards=True) == 2
    assert find_line(store, query, 1, backwards=True) is None


def test_next_line_wraps_around_and_comes_back_to_itself() -> None:
    store = LineStore()
    store.append("error one\nfine\nerror two\nfine\n")
    query = LogQuery.parse("error")
    assert query is not None
    assert next_line(store, query, 0) == 2
    assert next_line(store, query, 2) == 0
    assert next_line(store, query, 0, backwards=True) == 2
    assert next_line(store, query, 3, backwards=True) == 2
    only = LineStore()
    only.append("error\nfine\n")
    assert next_line(only, query, 0) == 0 and next_line(only, query, 0, backwards=True) == 0
    assert next_line(LineStore(), query, 0) is None


def test_smart_case_and_literal_text() -> None:
    store = LineStore()
    store.append("Error: bad\nerror: worse\n\x1b[1mError:\x1b[0m colour\n(a+b)*\n")
    lower, upper, regexy = LogQuery.parse("error:"), LogQuery.parse("Error:"), LogQuery.parse("+b)")
    assert lower and upper and regexy and LogQuery.parse("") is None
    assert not lower.exact and upper.exact
    assert find_line(store, lower, 1) == 1  # any case
    assert find_line(store, upper, 1) == 2  # exactly, across the colour codes
    assert find_line(store, regexy, 0) == 3  # literal, not a pattern


def test_match_cells_count_terminal_cells() -> None:
    query = LogQuery.parse("error")
    assert query is not None
    assert match_cells([Segment("an error, "), Segment("ERROR")], query) == [(3, 8), (10, 15)]
    assert match_cells([Segment("界界 error")], query) == [(5, 10)]


def _store(*lines: str) -> LineStore:
    store = LineStore()
    store.append("\n".join(lines) + "\n")
    return store


def _regex(text: str) -> LogQuery:
    query = LogQuery.parse(text, regex=True)
    assert query is not None
    return query


def _lines(query: LogQuery, *lines: str) -> tuple[list[int], list[int]]:
    return query.lines_in(strip_sgr("\n".join(lines) + "\n"))


def test_a_regex_finds_lines_in_both_directions() -> None:
    store = _store("Still creating... [10s]", "done", "Still destroying... [3s]", "fine")
    query = _regex(r"Still (creating|destroying)")
    assert find_line(store, query, 0) == 0
    assert find_line(store, query, 1) == 2
    assert find_line(store, query, 3) is None
    assert find_line(store, query, 1, backwards=True) == 0
    assert next_line(store, query, 2) == 0
    assert next_line(store, query, 0, backwards=True) == 2


def test_smart_case_for_a_regex_ignores_escapes_and_group_names() -> None:
    assert not _regex(r"error:\s+\S+").exact  # \s and \S are no capitals
    assert not _regex(r"(?P<Name>err)").exact
    assert _regex(r"Error\W").exact
    lines = ("ERROR: disk", "error: cpu", "Error: mem")
    store = _store(*lines)
    assert _lines(_regex(r"error:\s+\w+"), *lines)[0] == [0, 1, 2]
    assert find_line(store, _regex(r"Error:\s"), 0) == 2
    # An escape naming a capital letter matches either case, as the letter itself would not.
    assert _lines(_regex(r"\x41b"), "ab", "AB", "xy")[0] == [0, 1]


def test_a_bad_regex_says_what_and_where_in_one_line() -> None:
    with pytest.raises(BadPattern, match=r"^unbalanced parenthesis at position 1$"):
        LogQuery.parse("a)", regex=True)
    with pytest.raises(ValueError, match="missing \\), unterminated subpattern at position 0"):
        LogQuery.parse("(ab", regex=True)
    for text in ("a{99999999999}", "(" * 3000 + ")" * 3000, "[z-a]", "\\"):
        with pytest.raises(BadPattern) as raised:
            LogQuery.parse(text, regex=True)
        assert "\n" not in str(raised.value) and str(raised.value)
    assert LogQuery.parse("a)") is not None  # literal: any text is fine


def test_a_bad_regex_leaves_the_search_as_it_was() -> None:
    store = _store("error here", "fine")
    finder = Finder()
    assert finder.start(store, "error", 0) == 0
    with pytest.raises(BadPattern):
        finder.start(store, "err(", 0, regex=True)
    assert finder.query is not None and finder.query.text == "error"
    assert finder.start(store, "f.ne", 0, regex=True) == 1
    assert finder.query.regex and finder.match_line(store) == 1


def test_a_pattern_matching_empty_text_matches_every_line_like_grep() -> None:
    lines = ("alpha", "", "baa", "\x1b[31m\x1b[0m")
    for pattern in ("^", "$", "x*", "a*", r"\b|^"):
        query = _regex(pattern)
        found, counts = _lines(query, *lines)
        assert found == [0, 1, 2, 3], pattern
        assert all(count >= 1 for count in counts)
    # Empty matches are neither counted beyond one per line nor highlighted.
    assert _lines(_regex("a*"), *lines)[1] == [2, 1, 1, 1]
    assert _regex("a*").spans("baa") == [(1, 3)]
    assert _regex("^").spans("abc") == []


def test_a_match_never_runs_over_the_end_of_a_line() -> None:
    lines = ("a ", " b", "ab", "a")
    assert _lines(_regex(r"a\s+b"), *lines) == ([], [])
    assert _lines(_regex(r"a\s*b"), *lines)[0] == [2]
    assert _lines(_regex(r"\n"), *lines) == ([], [])
    assert _lines(_regex(r"(?s)a.b"), *lines) == ([], [])
    # \s+ over "a \n b" would take " \n "; each line alone has its own space.
    assert _lines(_regex(r"\s+"), *lines) == ([0, 1], [1, 1])
    assert _lines(_regex(r"[^x]+"), "ab", "cd") == ([0, 1], [1, 1])
    assert _lines(_regex(r"b$"), "ab", "ba") == ([0], [1])


def test_lookarounds_see_only_their_own_line() -> None:
    lines = ("a", "b", "ab")
    assert _lines(_regex(r"(?<=a)b"), *lines) == ([2], [1])
    assert _lines(_regex(r"(?<=\s)b"), *lines) == ([], [])
    assert _lines(_regex(r"a(?!\s)"), *lines) == ([0, 2], [1, 1])
    assert _lines(_regex(r"\Ab"), *lines) == ([1], [1])
    assert _lines(_regex(r"a\Z"), *lines) == ([0], [1])


def test_colour_codes_are_not_text() -> None:
    lines = ("\x1b[1mmod\x1b[0m", "\x1b[31mred\x1b[0m")
    store = _store(*lines)
    for query in (LogQuery.parse("m"), _regex("m"), _regex(r"\[\d+m")):
        assert query is not None
        found, counts = query.lines_in(_shown_block(store))
        assert found in ([0], []) and counts in ([1], [])
    assert find_line(store, _regex(r"\[31m"), 0) is None
    assert find_line(store, _regex("^red$"), 0) == 1


def _shown_block(store: LineStore) -> str:
    return strip_sgr(b"".join(store.line(i) + b"\n" for i in range(len(store))).decode())


def test_non_ascii_text() -> None:
    lines = ("界界 error", "ÉTÉ", "été", "İstanbul")
    assert _lines(_regex("été"), *lines)[0] == [1, 2]  # smart case lowers É
    assert _lines(_regex("ÉTÉ"), *lines)[0] == [1]
    assert _lines(_regex(r"^\w+$"), "ÉTÉ", "été", "straße")[0] == [0, 1, 2]
    assert _lines(_regex("界+"), *lines) == ([0], [1])
    assert match_cells([Segment("界界 error")], _regex("e.r")) == [(5, 8)]
    assert match_cells([Segment("İstanbul: err")], _regex("err")) == [(10, 13)]


@given(
    st.lists(_line, min_size=1, max_size=20),
    st.sampled_from(["e", "r+", r"\w+$", "^E", "[^o]r", r"\s", "o?k", "(?=r)", "^$", r"\be"]),
    st.integers(min_value=0),
    st.booleans(),
)
def test_find_line_with_a_regex_agrees_with_a_line_by_line_search(
    lines: list[str], text: str, start_seed: int, backwards: bool
) -> None:
    with patch.object(log_store, "_BLOCK_BYTES", 32):
        store = LineStore()
        for line in lines:
            store.append(line + "\n")
    query = _regex(text)
    assert query.pattern is not None
    plain = [query.fold(strip_sgr(line)) for line in lines]
    start = start_seed % len(lines)
    order = range(start, -1, -1) if backwards else range(start, len(lines))
    expected = next((i for i in order if query.pattern.search(plain[i])), None)
    assert find_line(store, query, start, backwards) == expected
