"""Labels, durations and the actions a job offers."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from joblens.actions import JobAction, available_actions
from joblens.display import (
    duration_phase,
    format_created,
    format_duration,
    status_class,
    type_label,
)
from joblens.models import Job, JobStatus, JobType

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


def make_job(**fields: object) -> Job:
    base = Job(
        id="3f2a9c1e-0000-4000-8000-000000000000",
        job_type=JobType.PLAN,
        status=JobStatus.QUEUED,
        created_at=NOW - timedelta(seconds=90),
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def test_durations_read_compactly() -> None:
    assert format_duration(0) == "0s"
    assert format_duration(59.9) == "59s"
    assert format_duration(187) == "3m 07s"
    assert format_duration(2 * 3600 + 5 * 60) == "2h 05m"
    assert format_duration(-5) == "0s"


def test_duration_counts_queue_time_then_run_time_then_the_final_time() -> None:
    queued = make_job()
    assert duration_phase(queued, NOW) == ("queued", 90.0)
    running = make_job(status=JobStatus.PROCESSING, started_at=NOW - timedelta(seconds=30))
    assert duration_phase(running, NOW) == ("running", 30.0)
    done = make_job(
        status=JobStatus.SUCCESS,
        started_at=NOW - timedelta(seconds=30),
        completed_at=NOW - timedelta(seconds=5),
    )
    assert duration_phase(done, NOW + timedelta(hours=1)) == ("took", 25.0)
    # Cancelled in the queue: it never ran, it waited (from its creation to the cancel).
    never_ran = make_job(status=JobStatus.CANCELLED, completed_at=NOW + timedelta(seconds=10))
    assert duration_phase(never_ran, NOW + timedelta(hours=1)) == ("waited", 100.0)


def test_unknown_values_are_shown_as_they_are() -> None:
    assert type_label("TELEPORT") == "TELEPORT"
    assert status_class("PAUSED") == "-unknown"


def test_actions_follow_the_platform_rules() -> None:
    assert available_actions(make_job(status=JobStatus.QUEUED)) == {JobAction.CANCEL}
    assert available_actions(make_job(status=JobStatus.CLAIMED)) == {JobAction.CANCEL}
    assert available_actions(make_job(status=JobStatus.PROCESSING)) == {JobAction.CANCEL}
    assert available_actions(make_job(status=JobStatus.SUCCESS)) == {
        JobAction.RERUN,
        JobAction.APPLY,
    }
    deploy_done = make_job(job_type=JobType.DEPLOY, status=JobStatus.SUCCESS)
    assert available_actions(deploy_done) == {JobAction.RERUN}
    assert available_actions(make_job(status=JobStatus.FAILED)) == {JobAction.RERUN}
    assert available_actions(make_job(status=JobStatus.CANCELLED)) == {JobAction.RERUN}
    assert available_actions(make_job(status="PAUSED")) == frozenset()


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local zone is Paris (UTC+01:00 in November) for the test, then what it was."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
    assert os.environ.get("TZ") != "Europe/Paris"


def test_a_created_time_names_its_zone_and_how_long_ago(local_zone: None) -> None:
    created = NOW - timedelta(minutes=5, seconds=20)
    assert format_created(created, NOW) == "2026-11-28 12:54:40 +01:00 (5m ago)"
    assert format_created(created, NOW, short=True) == "12:54 +01:00 · 5m ago"
    # Older than a day: the date and zone alone, in both forms.
    old = NOW - timedelta(days=3)
    assert format_created(old, NOW) == "2026-11-25 13:00:00 +01:00"
    assert format_created(old, NOW, short=True) == "2026-11-25 13:00 +01:00"
    # Ahead of this machine's clock (a skewed server): no "ago".
    assert format_created(NOW + timedelta(minutes=2), NOW) == "2026-11-28 13:02:00 +01:00"
    assert format_created(None, NOW) == "—"


def test_a_created_time_in_utc_says_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert format_created(NOW - timedelta(hours=2), NOW) == "2026-11-28 10:00:00 UTC (2h ago)"
    finally:
        monkeypatch.undo()
        time.tzset()
