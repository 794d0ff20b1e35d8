"""Rows become typed models at the edge, whatever they hold."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joblens import models
from joblens.models import Job, JobState, JobStatus, JobType, LogChunk, StreamType, Tendril
from joblens.sanitize import INVISIBLE_CHARACTERS


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


# -- The rule: every text from the server is made safe where a row becomes a model (issue 9) --

#: A hostile payload: OSC 52 and title writes, a screen clear, a cursor report request (8-bit
#: CSI), BEL, an absurd SGR, bidi and zero-width characters, NUL, CR, line breaks, C1 NEL, a
#: lone surrogate, and visible words.
HOSTILE = (
    "\x1b]52;c;SGVsbG8=\x07\x1b]0;title\x07\x1b[2J\x9b6n\x07\x1b[38;5;99999999m"
    "\u202e\u2066\u200b\ufeff\U000e0041\x00\r\n\t\x85\ud800visible words\n"
)

#: Fields left as the server sent them, on purpose: log text is sanitised as lines complete,
#: in the feed; the JSON fields are sanitised where they are shown (widgets/details.py).
#: Adding a field here is a decision to review, not a way to make this test pass.
EXEMPT = {"LogChunk": {"text"}, "Job": {"config_snapshot", "execution_metadata"}}
#: Text fields that keep their line breaks (LF only).
MULTILINE = {"error_message"}

_UNSAFE = re.compile(
    "[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f\\ud800-\\udfff"
    + "".join(re.escape(c) for c in sorted(INVISIBLE_CHARACTERS))
    + "]"
)


class HostileValue(str):
    """The payload, which is also a row: whatever key a parser reads from it holds the payload.

    ``from_row`` reads embeds (``row["worker"]["name"]``) as mappings; a value that is both a
    string and a mapping puts the payload in every text a parser reads, at any depth, without
    this test knowing the keys: a field added later is covered as it is written.
    """

    def get(self, key: object, default: object = None) -> HostileValue:
        return HostileValue(HOSTILE)


Mapping.register(HostileValue)


class HostileRow(Mapping[str, Any]):
    """A row whose every key holds :class:`HostileValue`."""

    def __getitem__(self, key: str) -> HostileValue:
        return HostileValue(HOSTILE)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _models() -> list[type[Any]]:
    """Every model the backends build from rows (a dataclass with ``from_row``)."""
    return [
        obj
        for obj in vars(models).values()
        if isinstance(obj, type) and dataclasses.is_dataclass(obj) and hasattr(obj, "from_row")
    ]


def _texts(value: object) -> Iterator[str]:
    """Every string in a value, at any depth."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _texts(item)


def unsafe_fields(model: object) -> list[str]:
    """The fields of a parsed model that hold text no terminal should be given."""
    found = []
    for item in dataclasses.fields(model):  # type: ignore[arg-type]
        if item.name in EXEMPT.get(type(model).__name__, ()):
            continue
        for text in _texts(getattr(model, item.name)):
            if item.name in MULTILINE:
                text = text.replace("\n", "")
            if _UNSAFE.search(text) or "\x1b" in text:
                found.append(item.name)
    return found


def test_the_rule_covers_every_model() -> None:
    assert {m.__name__ for m in _models()} >= {"Job", "JobState", "Tendril", "LogChunk"}


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_no_field_of_any_model_holds_unsafe_text_whatever_the_row_holds(
    model: type[Any],
) -> None:
    parsed = model.from_row(HostileRow())
    assert unsafe_fields(parsed) == []
    for item in dataclasses.fields(parsed):
        if "str" in str(item.type) and item.name not in EXEMPT.get(model.__name__, ()):
            value = getattr(parsed, item.name)
            assert value is not None, f"{item.name} did not read the row: the check proves nothing"
            assert "visible words" in value, item.name  # made safe, not thrown away


def test_the_check_finds_a_field_that_skips_the_rule() -> None:
    job = Job.from_row(HostileRow())
    assert unsafe_fields(dataclasses.replace(job, vine_name=HOSTILE)) == ["vine_name"]
    assert unsafe_fields(dataclasses.replace(job, error_message="a\nb")) == []


def test_log_text_and_json_are_kept_as_the_server_sent_them() -> None:
    snapshot = {"\x1b]0;key\x07": ["\u202evalue"]}
    job = Job.from_row({"id": "j", "config_snapshot": snapshot, "execution_metadata": HOSTILE})
    assert job.config_snapshot is snapshot and job.execution_metadata == HOSTILE
    assert LogChunk.from_row({"id": 1, "log_chunk": HOSTILE}).text == HOSTILE


def test_the_forms_each_field_takes() -> None:
    job = Job.from_row(
        {
            "id": "3f2a9c1e-1111-4222-8333-444455556666",
            "job_type": "PLAN",
            "status": "FAILED\x1b[2J",
            "error_message": "Error: boom\x1b]52;c;eA==\x07\n\n  with\taws_eks_cluster.main",
            "worker": {"name": "eu\u202e-west\x1b]0;t\x07\nnode"},
            "cloud_identity": {"provider": "aws", "name": "prod\x9b6n"},
        }
    )
    assert job.id == "3f2a9c1e-1111-4222-8333-444455556666" and job.job_type is JobType.PLAN
    assert job.status is JobStatus.FAILED  # known once made safe
    assert job.error_message == "Error: boom\n\n  with  aws_eks_cluster.main"
    assert job.worker_name == "eu<U+202E>-west node"
    assert job.cloud_identity_label == "aws · prod"
    tendril = Tendril.from_row({"id": "t", "name": "\x1b[31mred\x1b[0m", "version": "1\t2"})
    assert (tendril.name, tendril.version) == ("red", "1 2")


_field_text = st.lists(
    st.one_of(
        st.text(max_size=6),
        st.sampled_from(
            ["\x1b", "\x1b]52;c;", "\x07", "\x9b", "\x9d", "\r", "\n", "\u202e", "\u200b", "["]
        ),
    ),
    max_size=8,
).map("".join)


@given(
    st.fixed_dictionaries(
        {
            key: _field_text
            for key in (
                "id",
                "job_type",
                "status",
                "error_message",
                "vine_id",
                "worker_id",
                "configuration_hash",
                "plan_job_id",
            )
        }
    ),
    st.fixed_dictionaries({"name": _field_text, "version": _field_text, "mode": _field_text}),
    st.fixed_dictionaries(
        {"project_name": _field_text, "environment_stage": _field_text, "region": _field_text}
    ),
)
def test_rows_as_json_decodes_them_are_made_safe(
    row: dict[str, Any], worker: dict[str, Any], vine: dict[str, Any]
) -> None:
    full = {
        **row,
        "worker": worker,
        "assigned_worker": worker,
        "vine": vine,
        "vineyard": {"name": worker["name"]},
        "cloud_identity": {"provider": "aws", "name": worker["name"]},
    }
    assert unsafe_fields(Job.from_row(full)) == []
    assert unsafe_fields(JobState.from_row(full)) == []
    assert unsafe_fields(Tendril.from_row({**worker, "id": row["id"]})) == []
    assert unsafe_fields(LogChunk.from_row({**row, "log_chunk": "x"})) == []
