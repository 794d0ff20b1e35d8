"""Rows become typed models at the edge, whatever they hold."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from joblens.models import Job, JobState, JobStatus, JobType, LogChunk, StreamType, Tendril


def test_a_full_row_with_embeds_parses() -> None:
    job = Job.from_row(
        {
            "id": "3F2A9C1E-1111-4222-8333-444455556666".lower(),
            "job_type": "PLAN",
            "status": "PROCESSING",
            "created_at": "2026-11-28T10:00:00.123456+00:00",
            "started_at": "2026-11-28 10:00:05+00",
            "worker": {"name": "tendril-eu"},
            "assigned_worker": None,
            "vine": {
                "project_name": "shop",
                "environment_stage": "production",
                "region": "eu-west-1",
            },
            "cloud_identity": {"provider": "aws", "name": "prod"},
            "config_snapshot": {"a": 1},
        }
    )
    assert job.job_type is JobType.PLAN and job.status is JobStatus.PROCESSING
    assert job.short_id == "3f2a9c1e"
    assert job.started_at == datetime(2026, 11, 28, 10, 0, 5, tzinfo=UTC)
    assert job.worker_name == "tendril-eu" and job.assigned_worker_name is None
    assert job.cloud_identity_label == "aws · prod"


def test_unknown_enum_values_and_missing_fields_survive() -> None:
    job = Job.from_row(
        {
            "id": "x",
            "job_type": "TELEPORT",
            "status": "PAUSED",
            "created_at": "not a date",
            "config_snapshot": None,
        }
    )
    assert job.job_type == "TELEPORT" and job.status == "PAUSED"
    assert job.created_at is None and job.config_snapshot == {}
    assert not job.is_terminal
    assert JobState.from_row({}).status == "UNKNOWN"


def test_log_chunk_ids_order_numerically_or_by_time_then_id() -> None:
    a = LogChunk.from_row({"id": 9, "job_id": "j", "log_chunk": "x", "stream_type": "STDERR"})
    b = LogChunk.from_row({"id": "10", "job_id": "j", "log_chunk": "y"})
    assert a.order_key < b.order_key and a.stream is StreamType.STDERR
    u1 = LogChunk.from_row(
        {"id": "b-uuid", "job_id": "j", "log_chunk": "", "created_at": "2026-01-01T00:00:00Z"}
    )
    u2 = LogChunk.from_row(
        {"id": "a-uuid", "job_id": "j", "log_chunk": "", "created_at": "2026-01-01T00:00:01Z"}
    )
    assert u1.order_key < u2.order_key
    odd = LogChunk.from_row({"id": 1, "job_id": "j", "log_chunk": None, "stream_type": "WEIRD"})
    assert odd.text == "" and odd.stream == "WEIRD"


def test_tendril_liveness_needs_online_and_a_recent_heartbeat() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    fresh = Tendril.from_row(
        {"id": "t", "name": "a", "status": "ONLINE", "last_heartbeat": "2026-11-28T11:59:30Z"}
    )
    stale = Tendril.from_row(
        {"id": "t", "name": "a", "status": "ONLINE", "last_heartbeat": "2026-11-28T11:58:00Z"}
    )
    offline = Tendril.from_row(
        {"id": "t", "name": "a", "status": "OFFLINE", "last_heartbeat": "2026-11-28T11:59:59Z"}
    )
    assert fresh.is_live(now) and not stale.is_live(now) and not offline.is_live(now)


row_values = st.none() | st.integers() | st.text(max_size=10) | st.booleans() | st.floats()


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "job_type",
                "status",
                "created_at",
                "worker",
                "config_snapshot",
                "execution_metadata",
                "vine",
                "cloud_identity",
                "error_message",
            ]
        ),
        row_values,
    )
)
def test_no_row_crashes_the_parser(row: dict[str, object]) -> None:
    Job.from_row(row)
    JobState.from_row(row)
    LogChunk.from_row(row)
    Tendril.from_row(row)
