"""The packed line store and the wrap index agree with the obvious list-of-strings model."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from joblens.sanitize import split_chunk, strip_sgr
from joblens.widgets.log import store as log_store
from joblens.widgets.log.store import (
    NO_TIME,
    LineStore,
    display_width,
    epoch_seconds,
    expand_tabs,
)
from joblens.widgets.log.wrap import WrapIndex

_text = st.lists(
    st.sampled_from(["a", "b", " ", "\n", "\t", "é", "漢", "\x1b[31m", "\x1b[0m", "─"]),
    max_size=60,
).map("".join)
# (text, stream code, time): times are epoch seconds, 0 for none (store.NO_TIME).
_chunks = st.lists(
    st.tuples(_text, st.integers(0, 2), st.sampled_from([0, 1, 1_764_322_200, 0xFFFFFFFF])),
    max_size=12,
)
Chunks = list[tuple[str, int, int]]


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tiny blocks and merge limits, so a few lines cross every boundary."""
    monkeypatch.setattr(log_store, "_BLOCK_BYTES", 16)
    monkeypatch.setattr(log_store, "_MERGE_LINES", 3)
    yield


def expected_width(line: str) -> int:
    return cell_len(expand_tabs(strip_sgr(line)))


def lines_of(text: str, code: int, stamp: int) -> list[tuple[str, int, int]]:
    """The model: each line of a chunk with the chunk's stream and time."""
    return [(line, code, stamp) for line in split_chunk(text)]


def assert_reads_back(store: LineStore, model: list[tuple[str, int, int]]) -> None:
    assert len(store) == len(model)
    for i, (line, code, stamp) in enumerate(model):
        assert store.line(i).decode() == line
        assert store.stream(i) == code
        assert store.width(i) == expected_width(line)
        assert store.time(i) == stamp


@given(_chunks, _chunks, _chunks)
def test_appended_and_prepended_lines_read_back_in_order(
    newer: Chunks, older: Chunks, newest: Chunks
) -> None:
    store = LineStore()
    model: list[tuple[str, int, int]] = []
    for text, code, stamp in newer:
        assert store.append(text, code, stamp) == len(split_chunk(text))
        model += lines_of(text, code, stamp)
    # Backfill arrives page by page, newest page first.
    for text, code, stamp in reversed(older):
        added = store.prepend([(text, code, stamp)])
        assert added == len(split_chunk(text))
        model = lines_of(text, code, stamp) + model
    # Live lines keep arriving after the backfill.
    for text, code, stamp in newest:
        store.append(text, code, stamp)
        model += lines_of(text, code, stamp)
    assert store.origin == sum(len(split_chunk(t)) for t, _, _ in older)
    assert_reads_back(store, model)
    assert store.max_width == max((expected_width(line) for line, _, _ in model), default=0)


def test_huge_lines_saturate_their_width() -> None:
    store = LineStore()
    store.append("x" * 100_000)
    assert store.width(0) == log_store.MAX_STORED_WIDTH
    assert len(store.line(0)) == 100_000
    assert display_width(b"\x1b[31m\t\xe6\xbc\xa2") == 10
    assert display_width("漢\tx".encode()) == 9  # tab stops count cells, as a terminal does


@given(st.lists(st.integers(0, 300), max_size=40), st.integers(1, 50), st.integers(0, 20))
def test_wrap_index_matches_counting_rows_line_by_line(
    widths: list[int], width: int, later: int
) -> None:
    store = LineStore()
    for w in widths:
        store.append("x" * w + "\n")
    index = WrapIndex(store, cap=200)
    index.update(width)
    # More lines after the first count (the live tail), then a recount.
    for _ in range(later):
        store.append("y" * 120 + "\n")
        widths.append(120)
    index.update(width)
    rows = [max(1, -(-min(w, 200) // width)) for w in widths]
    assert index.total == sum(rows)
    row = 0
    for line, n in enumerate(rows):
        assert index.row_of(line) == row
        for sub in range(n):
            assert index.locate(row + sub) == (line, sub)
        row += n


@given(_chunks, _chunks, st.integers(0, 40), _chunks, st.integers(1, 30))
def test_truncated_lines_are_gone_and_the_next_ones_follow(
    first: Chunks, older: Chunks, keep: int, then: Chunks, width: int
) -> None:
    store = LineStore()
    model: list[tuple[str, int, int]] = []
    for text, code, stamp in first:
        store.append(text, code, stamp)
        model += lines_of(text, code, stamp)
    for text, code, stamp in reversed(older):
        store.prepend([(text, code, stamp)])
        model = lines_of(text, code, stamp) + model
    keep = min(keep, len(model))
    assert store.truncate(keep) == len(model) - keep
    del model[keep:]
    for text, code, stamp in then:
        store.append(text, code, stamp)
        model += lines_of(text, code, stamp)
    assert_reads_back(store, model)
    assert store.max_width >= max((expected_width(line) for line, _, _ in model), default=0)
    wrap = WrapIndex(store, 10_000)
    rows = sum(max(1, -(-expected_width(line) // width)) for line, _, _ in model)
    assert wrap.update(width) == rows


def test_a_chunk_time_is_stored_as_whole_epoch_seconds() -> None:
    written = datetime(2026, 11, 28, 9, 30, 5, 900_000, tzinfo=UTC)
    assert epoch_seconds(written) == 1_795_858_205  # the second it was in, not rounded up
    assert epoch_seconds(None) == NO_TIME
    # Times a 32-bit count cannot hold are no time, not a wrong one.
    assert epoch_seconds(datetime(1969, 12, 31, tzinfo=UTC)) == NO_TIME
    assert epoch_seconds(datetime(2107, 1, 1, tzinfo=UTC)) == NO_TIME
    store = LineStore()
    store.append("one\ntwo\n", 0, epoch_seconds(written))
    store.append("a note\n", log_store.NOTE)
    assert [store.time(i) for i in range(3)] == [1_795_858_205, 1_795_858_205, NO_TIME]


def test_times_cost_four_bytes_a_line() -> None:
    """The store stays a few bytes a line (the module docstring): a time is one 32-bit slot."""
    store = LineStore()
    store.append("x\n" * 5, 0, 1_764_322_200)
    block = store.blocks[0]
    assert block.times.itemsize == 4 and len(block.times) == 5
    per_line = block.starts.itemsize + block.widths.itemsize + 1 + block.times.itemsize
    assert per_line == 11
