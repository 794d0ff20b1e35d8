"""Finding text in the packed store: the same lines a line-by-line search finds, in any layout."""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import given
from hypothesis import strategies as st
from rich.segment import Segment

from joblens.sanitize import strip_sgr
from joblens.widgets.log import store as log_store
from joblens.widgets.log.search import LogQuery, find_line, match_cells, next_line
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
