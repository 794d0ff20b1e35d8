"""Typed models for the platform's rows, parsed once at the backend boundary.

Parsing never fails on surprising data: an unknown enum value is kept as the raw string (and
shown as it is), a missing optional field becomes ``None``, a malformed timestamp is ``None``.
Nothing past the backend handles raw row dicts.

Every text in a row is untrusted (issue 9: whoever names a Tendril or a vine, or writes a
job's error, writes to the terminal of whoever opens the job), so ``from_row`` makes it safe,
once, for every widget and stream after it: each ``str`` field of the model passes
:func:`_safe_fields`, found by introspection, so a field added later is covered too. Per field:

- by default one line, no escapes, no control characters (``sanitize.display_text``): ids,
  names, versions, labels, stage, region, hash, statuses and types kept as unknown strings;
- ``error_message`` keeps its line breaks (``sanitize.display_lines``): a Terraform error
  spans lines; the banner shows them, plain mode folds them into one;
- raw, sanitised elsewhere: ``LogChunk.text`` (by the feed, as lines complete, so an escape
  split across two rows is seen whole) and the JSON ``config_snapshot`` and
  ``execution_metadata`` (kept as sent, for Re-run and Apply to copy; the panels pass their
  keys and values through ``sanitize.display_text`` as they show them).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from joblens.json_doc import json_field
from joblens.sanitize import display_lines, display_text

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    CLAIMED = "CLAIMED"
    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


TERMINAL_STATUSES = frozenset({JobStatus.SUCCESS, JobStatus.FAILED, JobStatus.CANCELLED})
ACTIVE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.CLAIMED, JobStatus.PROCESSING})


class JobType(StrEnum):
    CONNECTION_TEST = "CONNECTION_TEST"
    FETCH_RESOURCES = "FETCH_RESOURCES"
    PLAN = "PLAN"
    DEPLOY = "DEPLOY"
    DESTROY = "DESTROY"
    DEPLOY_WORKER = "DEPLOY_WORKER"
    UPDATE_WORKER = "UPDATE_WORKER"
    DESTROY_WORKER = "DESTROY_WORKER"


class StreamType(StrEnum):
    STDOUT = "STDOUT"
    STDERR = "STDERR"
    SYSTEM = "SYSTEM"


class TendrilStatus(StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    DRAINING = "DRAINING"


#: A Tendril is alive while it is ONLINE and its heartbeat is this recent.
TENDRIL_HEARTBEAT_WINDOW = timedelta(seconds=60)

E = TypeVar("E", bound=StrEnum)


def parse_enum(kind: type[E], value: object) -> E | str | None:
    """The enum member for ``value``; an unknown value is kept as its string, made safe first
    (so a known value wrapped in escapes is still known)."""
    if value is None:
        return None
    text = display_text(str(value))
    try:
        return kind(text)
    except ValueError:
        return text


def parse_time(value: object) -> datetime | None:
    """A timezone-aware datetime from PostgREST's ISO text, or ``None`` if absent or malformed."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # PostgreSQL prints "+00" offsets; fromisoformat wants "+00:00".
    if len(text) >= 3 and text[-3] in "+-" and text[-2:].isdigit():
        text += ":00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


M = TypeVar("M", bound="DataclassInstance")

#: Fields kept as the server sent them, per model (sanitised elsewhere: module docstring).
_RAW_FIELDS = {"LogChunk": {"text"}, "Job": {"config_snapshot", "execution_metadata"}}
#: Text fields whose line breaks are kept.
_MULTILINE_FIELDS = frozenset({"error_message"})


def _safe_fields(model: M) -> M:
    """``model`` with every ``str`` field made safe for a terminal (the same object if clean).

    Every field but the model's ``_RAW_FIELDS`` is looked at: a text field added later is
    sanitised without a change here. Enum members are clean text, kept as they are.
    """
    raw = _RAW_FIELDS.get(type(model).__name__, ())
    changes: dict[str, str] = {}
    for item in fields(model):
        name = item.name
        value = getattr(model, name)
        if name in raw or not isinstance(value, str):
            continue
        clean = display_lines(value) if name in _MULTILINE_FIELDS else display_text(value)
        if clean != value:
            changes[name] = clean
    return replace(model, **changes) if changes else model


_HEX_DIGITS = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class JobRef:
    """A job id as a user typed it: the full uuid, or a prefix of at least 8 hex digits."""

    digits: str  # lower-case hex digits, hyphens removed
    full_id: str | None  # the canonical uuid when all 32 digits were given

    @classmethod
    def parse(cls, ref: str) -> JobRef:
        """Raise InvalidJobId (one line, saying what to give) for anything else."""
        from joblens.errors import InvalidJobId

        digits = ref.strip().lower().replace("-", "")
        if not 8 <= len(digits) <= 32 or not set(digits) <= _HEX_DIGITS:
            shown = ref.strip()[:40] or "(empty)"
            raise InvalidJobId(
                f"{shown!r} is not a job id: give the full id or at least its first 8 hex digits"
            )
        full = str(uuid.UUID(digits)) if len(digits) == 32 else None
        return cls(digits, full)

    @property
    def id_range(self) -> tuple[str, str]:
        """The lowest and highest uuids starting with these digits (one range of the column)."""
        return (
            str(uuid.UUID(self.digits.ljust(32, "0"))),
            str(uuid.UUID(self.digits.ljust(32, "f"))),
        )

    def matches(self, job_id: str) -> bool:
        """Whether ``job_id`` starts with these digits."""
        return job_id.lower().replace("-", "").startswith(self.digits)


@dataclass(frozen=True, slots=True)
class Tendril:
    """A worker that claims and runs jobs."""

    id: str
    name: str
    mode: str | None = None
    status: TendrilStatus | str | None = None
    last_heartbeat: datetime | None = None
    version: str | None = None
    is_default: bool = False

    def is_live(self, now: datetime | None = None) -> bool:
        """ONLINE with a heartbeat in the last 60 s (nothing reliably sets OFFLINE)."""
        if self.status != TendrilStatus.ONLINE or self.last_heartbeat is None:
            return False
        now = now or datetime.now(UTC)
        return now - self.last_heartbeat <= TENDRIL_HEARTBEAT_WINDOW

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Tendril:
        """Parse a ``workers`` row; its name and version are shown, so made safe here."""
        return _safe_fields(
            cls(
                id=str(row.get("id", "")),
                name=str(row.get("name") or "(unnamed)"),
                mode=_str_or_none(row.get("mode")),
                status=parse_enum(TendrilStatus, row.get("status")),
                last_heartbeat=parse_time(row.get("last_heartbeat")),
                version=_str_or_none(row.get("version")),
                is_default=bool(row.get("is_default")),
            )
        )


@dataclass(frozen=True, slots=True)
class JobState:
    """The lightweight poll: status and error message only."""

    status: JobStatus | str
    error_message: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> JobState:
        """Parse the poll's ``status, error_message`` (made safe here, as every row is)."""
        return _safe_fields(
            cls(
                status=parse_enum(JobStatus, row.get("status")) or "UNKNOWN",
                error_message=_str_or_none(row.get("error_message")),
            )
        )


#: The columns of ``provision_jobs`` that ``Job.from_row`` reads as plain values ...
JOB_COLUMNS = (
    "id",
    "user_id",
    "job_type",
    "status",
    "vine_id",
    "vineyard_id",
    "cloud_identity_id",
    "plan_job_id",
    "assigned_worker_id",
    "worker_id",
    "configuration_hash",
    "error_message",
    "created_at",
    "updated_at",
    "claimed_at",
    "started_at",
    "completed_at",
)
#: ... and its JSON columns (the Supabase backend reads them as text: joblens.json_doc).
JSON_COLUMNS = ("config_snapshot", "execution_metadata")


@dataclass(frozen=True, slots=True)
class Job:
    """A provisioning job with the display names of what it refers to."""

    id: str
    job_type: JobType | str
    status: JobStatus | str
    created_at: datetime | None = None
    updated_at: datetime | None = None
    claimed_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error_message: str | None = None
    user_id: str | None = None
    vine_id: str | None = None
    vineyard_id: str | None = None
    cloud_identity_id: str | None = None
    plan_job_id: str | None = None
    assigned_worker_id: str | None = None
    worker_id: str | None = None
    assigned_worker_name: str | None = None
    worker_name: str | None = None
    vine_name: str | None = None
    vine_stage: str | None = None
    vine_region: str | None = None
    vineyard_name: str | None = None
    cloud_identity_label: str | None = None
    configuration_hash: str | None = None
    # JSON columns: plain values when small and shallow, else a joblens.json_doc.JsonDoc
    # (read lazily, any depth); see json_doc.json_field.
    config_snapshot: Any = field(default_factory=dict)
    execution_metadata: Any = None

    @property
    def short_id(self) -> str:
        return self.id[:8]

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def state(self) -> JobState:
        return JobState(self.status, self.error_message)

    def with_names_from(self, older: Job) -> Job:
        """This version of the row with ``older``'s display names wherever the ids agree.

        A realtime UPDATE carries the row without its embeds: the Tendril, vine, vineyard and
        cloud identity names are kept from the version that had them.
        """
        if older.id != self.id:
            return self
        same = {
            "worker_name": self.worker_id == older.worker_id,
            "assigned_worker_name": self.assigned_worker_id == older.assigned_worker_id,
            "vine_name": self.vine_id == older.vine_id,
            "vine_stage": self.vine_id == older.vine_id,
            "vine_region": self.vine_id == older.vine_id,
            "vineyard_name": self.vineyard_id == older.vineyard_id,
            "cloud_identity_label": self.cloud_identity_id == older.cloud_identity_id,
        }
        names = {
            name: getattr(older, name)
            for name, kept in same.items()
            if kept and getattr(self, name) is None
        }
        return replace(self, **names) if names else self

    @property
    def missing_names(self) -> bool:
        """Whether a Tendril this job names is shown without its name (ask ``get_job``)."""
        return bool(
            (self.worker_id and self.worker_name is None)
            or (self.assigned_worker_id and self.assigned_worker_name is None)
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Job:
        """Parse a ``provision_jobs`` row, with optional embeds.

        Embeds are read under the names joblens selects them as: ``worker`` and
        ``assigned_worker`` (``workers``), ``vine``, ``vineyard`` and ``cloud_identity``.
        Every text field is made safe (see the module docstring); the JSON fields are not.
        """
        worker = _mapping(row.get("worker"))
        assigned = _mapping(row.get("assigned_worker"))
        vine = _mapping(row.get("vine"))
        vineyard = _mapping(row.get("vineyard"))
        identity = _mapping(row.get("cloud_identity"))
        label = None
        if identity:
            parts = [str(p) for p in (identity.get("provider"), identity.get("name")) if p]
            label = " · ".join(parts) or None
        return _safe_fields(
            cls(
                id=str(row.get("id", "")),
                job_type=parse_enum(JobType, row.get("job_type")) or "UNKNOWN",
                status=parse_enum(JobStatus, row.get("status")) or "UNKNOWN",
                created_at=parse_time(row.get("created_at")),
                updated_at=parse_time(row.get("updated_at")),
                claimed_at=parse_time(row.get("claimed_at")),
                started_at=parse_time(row.get("started_at")),
                completed_at=parse_time(row.get("completed_at")),
                error_message=_str_or_none(row.get("error_message")),
                user_id=_str_or_none(row.get("user_id")),
                vine_id=_str_or_none(row.get("vine_id")),
                vineyard_id=_str_or_none(row.get("vineyard_id")),
                cloud_identity_id=_str_or_none(row.get("cloud_identity_id")),
                plan_job_id=_str_or_none(row.get("plan_job_id")),
                assigned_worker_id=_str_or_none(row.get("assigned_worker_id")),
                worker_id=_str_or_none(row.get("worker_id")),
                assigned_worker_name=_str_or_none(assigned.get("name")),
                worker_name=_str_or_none(worker.get("name")),
                vine_name=_str_or_none(vine.get("project_name")),
                vine_stage=_str_or_none(vine.get("environment_stage")),
                vine_region=_str_or_none(vine.get("region")),
                vineyard_name=_str_or_none(vineyard.get("name")),
                cloud_identity_label=label,
                configuration_hash=_str_or_none(row.get("configuration_hash")),
                config_snapshot=json_field(row.get("config_snapshot"), default={}),
                execution_metadata=json_field(row.get("execution_metadata")),
            )
        )


@dataclass(frozen=True, slots=True)
class LogChunk:
    """One flush of a job's output: often many ``\\n``-separated lines.

    ``id`` is an ``int`` for bigint logs tables (``job_logs``) and a ``str`` uuid for
    ``provision_job_logs``. ``text`` is raw and untrusted: sanitise before showing it.
    """

    id: int | str
    job_id: str
    text: str
    stream: StreamType | str = StreamType.STDOUT
    created_at: datetime | None = None

    @property
    def order_key(self) -> tuple[Any, ...]:
        """Chunks sort by numeric id, or by (created_at, id) where ids are uuids."""
        if isinstance(self.id, int):
            return (0, self.id)
        stamp = self.created_at.timestamp() if self.created_at else float("-inf")
        return (1, stamp, self.id)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LogChunk:
        """Parse a logs-table row: ``text`` stays raw (the feed sanitises whole lines)."""
        raw_id = row.get("id")
        chunk_id: int | str
        if isinstance(raw_id, int) and not isinstance(raw_id, bool):
            chunk_id = raw_id
        elif isinstance(raw_id, str) and raw_id.isdigit():
            chunk_id = int(raw_id)
        else:
            chunk_id = str(raw_id)
        text = row.get("log_chunk")
        return _safe_fields(
            cls(
                id=chunk_id,
                job_id=str(row.get("job_id", "")),
                text=text if isinstance(text, str) else ("" if text is None else str(text)),
                stream=parse_enum(StreamType, row.get("stream_type")) or StreamType.STDOUT,
                created_at=parse_time(row.get("created_at")),
            )
        )
