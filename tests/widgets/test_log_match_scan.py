"""Scanning the whole store in slices: the lines kept are what a line-by-line check keeps,
however the scan is sliced and whatever happens to the store between slices."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from joblens.sanitize import strip_sgr
from joblens.widgets.log import store as log_store
from joblens.widgets.log.match_scan import MatchScan, match_ordinal
from joblens.widgets.log.search import BadPattern, LogQuery
from joblens.widgets.log.store import NOTE, STDERR, STDOUT, SYSTEM, LineStore


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tiny blocks and merge limits, so that scans start and stop inside and across blocks."""
    monkeypatch.setattr(log_store, "_BLOCK_BYTES", 40)
    monkeypatch.setattr(log_store, "_MERGE_LINES", 3)
    monkeypatch.setattr(log_store, "_MERGE_BYTES", 48)
    yield


_line = st.lists(
    st.one_of(
        st.sampled_from(["error", "Error", "ERR", "r", "ok", " ", "\t", "界", "é", "İ", "5s"]),
        st.sampled_from(["\x1b[31m", "\x1b[0m", "\x1b[1;33m"]),
    ),
    max_size=6,
).map("".join)
# A chunk: its lines, its stream code, and whether it goes in front (a page of older lines).
_chunk = st.tuples(
    st.lists(_line, min_size=1, max_size=5),
    st.sampled_from([STDOUT, STDOUT, STDERR, SYSTEM, NOTE]),
    st.booleans(),
)
_literal = st.sampled_from(["error", "Error", "r", "rr", "err or", "界", "é", "i̇", "\t", "5s"])
_streams = st.one_of(st.none(), st.sets(st.sampled_from([STDOUT, STDERR, SYSTEM])).map(frozenset))

_ATOMS = ["e", "r", "E", "o", " ", "界", "é", ".", r"\w", r"\s", r"\S", r"\d", "[a-z]", "[^e]"]
_ATOMS += ["(?:er|k)", r"\n"]
_ANCHORS = ["^", "$", r"\b", r"(?<=e)", r"(?!r)", r"\Z", r"\A"]
_piece = st.one_of(
    st.tuples(st.sampled_from(_ATOMS), st.sampled_from(["", "", "*", "+", "?", "{1,2}"])).map(
        "".join
    ),
    st.sampled_from(_ANCHORS),
)
_branch = st.lists(_piece, min_size=1, max_size=4).map("".join)
_regex = st.tuples(
    st.sampled_from(["", "", "(?s)"]), st.lists(_branch, min_size=1, max_size=2).map("|".join)
).map("".join)


@dataclass
class Model:
    """The log as a list: each line's text and stream, and the stable id of the first."""

    lines: list[tuple[str, int]] = field(default_factory=list)
    first_id: int = 0


def _matches(query: LogQuery | None, line: str) -> int:
    """How many matches the line holds, checked on its own (0: it does not match)."""
    if query is None:
        return 1
    folded = query.fold(strip_sgr(line))
    if query.pattern is None:
        return folded.count(query.needle) if "\n" not in query.needle else 0
    if not query.pattern.search(folded):
        return 0
    return max(1, sum(m.end() > m.start() for m in query.pattern.finditer(folded)))


def _expected(
    model: Model, query: LogQuery | None, invert: bool, streams: frozenset[int] | None
) -> tuple[list[int], int]:
    kept, total = [], 0
    for offset, (line, code) in enumerate(model.lines):
        if streams is not None and code not in streams and code != NOTE:
            continue
        found = _matches(query, line)
        if invert and query is not None:
            found = 0 if found else 1
        if found:
            kept.append(model.first_id + offset)
            total += found
    return kept, total


def _check(
    chunks: list[tuple[list[str], int, bool]],
    budgets: list[int],
    query: LogQuery | None,
    invert: bool,
    streams: frozenset[int] | None,
) -> None:
    store, model = LineStore(), Model()
    scan = MatchScan(store, query, invert=invert, streams=streams)
    for (lines, code, front), budget in zip(chunks, budgets, strict=False):
        text = "\n".join(lines) + "\n"
        if front:
            store.prepend([(text, code, 0)])
            model.lines[:0] = [(line, code) for line in lines]
            model.first_id -= len(lines)
        else:
            store.append(text, code)
            model.lines.extend((line, code) for line in lines)
        scan.step(budget)  # a slice, maybe not all of what is new
    assert [store.line(i).decode() for i in range(len(store))] == [t for t, _ in model.lines]
    while not scan.step(3):
        pass
    kept, total = _expected(model, query, invert, streams)
    assert list(scan.lines) == kept
    assert scan.matches == total
    assert scan.scanned == len(store) - store.origin
    if kept:  # the ordinal of the last line's first match: every match before it, plus one
        last = kept[-1] - model.first_id
        assert match_ordinal(scan, kept[-1]) == total - _own(query, invert, model, last) + 1


def _own(query: LogQuery | None, invert: bool, model: Model, offset: int) -> int:
    return 1 if invert or query is None else _matches(query, model.lines[offset][0])


@given(
    st.lists(_chunk, min_size=1, max_size=10),
    st.lists(st.integers(1, 7), min_size=10, max_size=10),
    _literal,
    st.booleans(),
    _streams,
)
def test_a_literal_scan_keeps_what_a_line_by_line_check_keeps(
    chunks: list[tuple[list[str], int, bool]],
    budgets: list[int],
    text: str,
    invert: bool,
    streams: frozenset[int] | None,
) -> None:
    _check(chunks, budgets, LogQuery.parse(text), invert, streams)


@given(
    st.lists(_chunk, min_size=1, max_size=8),
    st.lists(st.integers(1, 7), min_size=8, max_size=8),
    _regex,
    st.booleans(),
    _streams,
)
def test_a_regex_scan_keeps_what_a_line_by_line_check_keeps(
    chunks: list[tuple[list[str], int, bool]],
    budgets: list[int],
    text: str,
    invert: bool,
    streams: frozenset[int] | None,
) -> None:
    try:
        query = LogQuery.parse(text, regex=True)
    except BadPattern:
        assume(False)
        raise
    assert query is not None and query.pattern is not None
    assert query.pattern.pattern == text and re.compile(text)  # the very pattern typed
    _check(chunks, budgets, query, invert, streams)


@given(st.lists(_chunk, min_size=1, max_size=8), _streams)
def test_a_stream_filter_without_a_pattern_keeps_every_line_of_those_streams(
    chunks: list[tuple[list[str], int, bool]], streams: frozenset[int] | None
) -> None:
    _check(chunks, [2] * len(chunks), None, False, streams)


@given(st.lists(_line, min_size=1, max_size=12), _literal, st.booleans())
def test_invert_keeps_exactly_the_lines_the_query_does_not(
    lines: list[str], text: str, regex: bool
) -> None:
    store = LineStore()
    store.append("\n".join(lines) + "\n")
    query = LogQuery.parse(re.escape(text) if regex else text, regex=regex)
    kept, dropped = MatchScan(store, query), MatchScan(store, query, invert=True)
    while not (kept.step(2) & dropped.step(5)):
        pass
    assert sorted([*kept.lines, *dropped.lines]) == list(range(len(lines)))
    assert not set(kept.lines) & set(dropped.lines)


def test_a_rewind_drops_what_was_found_after_it_and_scans_it_again() -> None:
    store = LineStore()
    store.append("error 1\nok\nerror 2\nerror 3 error\n")
    scan = MatchScan(store, LogQuery.parse("error"))
    assert scan.step() and list(scan.lines) == [0, 2, 3] and scan.matches == 4
    store.truncate(2)
    scan.restart_from(2)
    assert list(scan.lines) == [0] and scan.matches == 1 and scan.scanned == 2
    store.append("fine\nerror again\n")
    assert scan.step() and list(scan.lines) == [0, 3] and scan.matches == 2


def test_lines_put_in_front_get_negative_ids_and_count_first() -> None:
    store = LineStore()
    store.append("error b\nok\n")
    scan = MatchScan(store, LogQuery.parse("error"))
    assert scan.step() and list(scan.lines) == [0]
    assert match_ordinal(scan, 0) == 1
    store.prepend([("error a error\nfine\n", STDOUT, 0)])
    assert not scan.step(1)  # one line of the two in front: not yet caught up
    assert scan.step()
    assert list(scan.lines) == [-2, 0] and scan.matches == 3
    assert [match_ordinal(scan, line) for line in (-2, -1, 0)] == [1, 0, 3]


def test_note_lines_pass_any_stream_filter_but_not_the_pattern() -> None:
    store = LineStore()
    store.append("error out\n", STDOUT)
    store.append("error err\n", STDERR)
    store.append("attempt 2 begins\n", NOTE)
    store.append("error note\n", NOTE)
    only_errors = MatchScan(store, None, streams=frozenset({STDERR}))
    assert only_errors.step() and list(only_errors.lines) == [1, 2, 3]
    matching = MatchScan(store, LogQuery.parse("error"), streams=frozenset({STDERR}))
    assert matching.step() and list(matching.lines) == [1, 3]


def test_a_slow_pattern_stops_a_step_early_and_resumes() -> None:
    store = LineStore()
    store.append("x\n" * 20_000)
    scan = MatchScan(store, LogQuery.parse(r"x", regex=True))
    assert not scan.step(max_seconds=0)  # one slice, then the clock says stop
    assert 0 < scan.scanned < 20_000 and len(scan.lines) == scan.scanned
    while not scan.step():
        pass
    assert len(scan.lines) == scan.matches == 20_000
