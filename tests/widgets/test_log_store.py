"""The packed line store and the wrap index agree with the obvious list-of-strings model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from joblens.sanitize import split_chunk, strip_sgr
from joblens.widgets.log import store as log_store
from joblens.widgets.log.store import LineStore, display_width, expand_tabs
from joblens.widgets.log.wrap import WrapIndex

_text = st.lists(
    st.sampled_from(["a", "b", " ", "\n", "\t", "é", "漢", "\x1b[31m", "\x1b[0m", "─"]),
    max_size=60,
).map("".join)
_chunks = st.lists(st.tuples(_text, st.integers(0, 2)), max_size=12)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tiny blocks and merge limits, so a few lines cross every boundary."""
    monkeypatch.setattr(log_store, "_BLOCK_BYTES", 16)
    monkeypatch.setattr(log_store, "_MERGE_LINES", 3)
    yield


def expected_width(line: str) -> int:
    return cell_len(expand_tabs(strip_sgr(line)))


@given(_chunks, _chunks, _chunks)
def test_appended_and_prepended_lines_read_back_in_order(
    newer: list[tuple[str, int]], older: list[tuple[str, int]], newest: list[tuple[str, int]]
) -> None:
    store = LineStore()
    model: list[tuple[str, int]] = []
    for text, code in newer:
        assert store.append(text, code) == len(split_chunk(text))
        model += [(line, code) for line in split_chunk(text)]
    # Backfill arrives page by page, newest page first.
    for text, code in reversed(older):
        added = store.prepend([(text, code)])
        assert added == len(split_chunk(text))
        model = [(line, code) for line in split_chunk(text)] + model
    # Live lines keep arriving after the backfill.
    for text, code in newest:
        store.append(text, code)
        model += [(line, code) for line in split_chunk(text)]
    assert len(store) == len(model)
    assert store.origin == sum(len(split_chunk(t)) for t, _ in older)
    for i, (line, code) in enumerate(model):
        assert store.line(i).decode() == line
        assert store.stream(i) == code
        assert store.width(i) == expected_width(line)
    assert store.max_width == max((expected_width(line) for line, _ in model), default=0)


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
    first: list[tuple[str, int]],
    older: list[tuple[str, int]],
    keep: int,
    then: list[tuple[str, int]],
    width: int,
) -> None:
    store = LineStore()
    model: list[tuple[str, int]] = []
    for text, code in first:
        store.append(text, code)
        model += [(line, code) for line in split_chunk(text)]
    for text, code in reversed(older):
        store.prepend([(text, code)])
        model = [(line, code) for line in split_chunk(text)] + model
    keep = min(keep, len(model))
    assert store.truncate(keep) == len(model) - keep
    del model[keep:]
    for text, code in then:
        store.append(text, code)
        model += [(line, code) for line in split_chunk(text)]
    assert len(store) == len(model)
    for i, (line, code) in enumerate(model):
        assert store.line(i).decode() == line
        assert store.stream(i) == code
        assert store.width(i) == expected_width(line)
    assert store.max_width >= max((expected_width(line) for line, _ in model), default=0)
    wrap = WrapIndex(store, 10_000)
    assert wrap.update(width) == sum(max(1, -(-expected_width(line) // width)) for line, _ in model)
