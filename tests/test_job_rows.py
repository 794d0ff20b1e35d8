"""A job as one row of the list (joblens/job_rows.py): which columns fit a width, and names
cut at a word's end, never wrapped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from joblens.job_rows import age, cells, fit_columns, fit_text, row_line

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("width", "keys"),
    [
        (118, ["status", "id", "type", "tendril", "vine", "created", "duration"]),
        (78, ["status", "id", "type", "tendril", "created", "duration"]),
        (57, ["status", "id", "type", "created", "duration"]),
        (50, ["status", "id", "type", "duration"]),
        (20, ["status"]),
    ],
)
def test_columns_are_dropped_whole_as_the_width_shrinks(width: int, keys: list[str]) -> None:
    layout = fit_columns(width)
    assert [column.key for column, _ in layout.columns] == keys
    used = sum(w for _, w in layout.columns) + layout.gap * (len(layout.columns) - 1)
    assert used <= width or len(keys) == 1


@given(st.integers(min_value=12, max_value=300))
def test_a_row_is_never_wider_than_its_width(width: int) -> None:
    values = {
        "status": "● PROCESSING",
        "id": "3f2a9c1e",
        "type": "Connection test",
        "tendril": "trellis-cloud-eu-1-with-a-very-long-name",
        "vine": "日本語のプロジェクト-staging",
        "created": "23h ago",
        "duration": "23h 59m",
    }
    line = "".join(text for _, text in row_line(values, fit_columns(width)))
    assert cell_len(line) <= max(width, 12)


def test_names_are_cut_after_a_word() -> None:
    assert fit_text("tendril-eu-west-1", 17) == "tendril-eu-west-1"
    assert fit_text("tendril-eu-west-1", 14) == "tendril-eu…"
    assert fit_text("acme-platform", 11) == "acme…"
    assert fit_text("averyveryverylongname", 8) == "averyve…"
    assert fit_text("日本語のテキスト", 7) == "日本語…"


def test_ages_read_in_their_largest_unit() -> None:
    assert [age(NOW - timedelta(seconds=s), NOW) for s in (5, 300, 7300, 200000)] == [
        "5s ago",
        "5m ago",
        "2h ago",
        "2d ago",
    ]
    assert age(None, NOW) == "—"


def test_cells_of_a_job_with_unknown_values_and_no_names() -> None:
    from joblens.models import Job

    job = Job.from_row({"id": "abcdef12-3456", "job_type": "MIGRATE", "status": "PAUSED"})
    assert cells(job, NOW) == {
        "status": "? PAUSED",
        "id": "abcdef12",
        "type": "MIGRATE",
        "tendril": "any",
        "vine": "—",
        "created": "—",
        "duration": "—",
    }
