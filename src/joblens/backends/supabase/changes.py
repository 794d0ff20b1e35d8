"""Reading realtime ``postgres_changes`` payloads as the hosted server sends them.

realtime-py 2.34 hands a binding's callback the frame's payload unchanged:
``{"ids": [binding ids], "data": {schema, table, type, commit_timestamp, columns, errors,
record, old_record}}``. ``record`` is the new row (INSERT, UPDATE), ``old_record`` the old one
(UPDATE: its replica identity, the whole row for REPLICA IDENTITY FULL; DELETE: only the key
under RLS). When the change is over the server's 1 MiB limit, ``errors`` holds "Error 413:
Payload Too Large" and both records keep only their values of at most 64 bytes: such a row
is re-fetched through REST. Nothing here trusts the payload's shape: anything unexpected is
None (a bad frame must never raise inside the stream, let alone inside a callback).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from joblens.errors import AuthError, JoblensError, JobNotFound
from joblens.models import Job, LogChunk
from joblens.sanitize import display_text

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Waits before each REST re-fetch of a truncated row (a transient error gets three more tries).
REFETCH_DELAYS = (0.0, 0.5, 1.0, 2.0)


# -- what the realtime callbacks queue for LiveLogs' stream (used by ``live`` only) ---


@dataclass(frozen=True, slots=True)
class ChangeItem:
    generation: int  # the channel it came through (LiveLogs drops those of older channels)
    payload: Any
    job: bool = False  # the job's own row (UPDATE), not a log row


@dataclass(frozen=True, slots=True)
class LiveItem:
    generation: int


@dataclass(frozen=True, slots=True)
class DownItem:
    generation: int | None  # None: not tied to one channel (the socket, the watchdog)
    reason: str


@dataclass(frozen=True, slots=True)
class FatalItem:
    error: JoblensError


QueueItem = ChangeItem | LiveItem | DownItem | FatalItem


def refuses_binding(detail: str, table: str) -> bool:
    """Whether a channel error is the server refusing the binding on ``table`` (unpublished).

    The server names the binding it could not serve: "Unable to subscribe to changes with
    given parameters. Please check Realtime is enabled for the given connect parameters:
    [event: UPDATE, schema: public, table: provision_jobs, filters: [...]]".
    """
    return "Unable to subscribe" in detail and bool(
        re.search(rf"table: {re.escape(table)}(?!\w)", detail)
    )


# -- reading payloads ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowChange:
    """One change as delivered: its kind, the new row and whether it arrived cut short."""

    kind: str  # "INSERT", "UPDATE" or "DELETE"
    table: str
    record: Mapping[str, Any]
    old_record: Mapping[str, Any] | None
    truncated: bool  # "Error 413": the record holds only its small values


def row_change(payload: Any) -> RowChange | None:
    """The change a payload carries, or None when it is not a row change at all."""
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, Mapping):
        return None
    record = data.get("record")
    if not isinstance(record, Mapping):
        return None
    old = data.get("old_record")
    errors = data.get("errors")
    kind = data.get("type")  # realtime-py validates it into a str Enum: str() would be its name
    return RowChange(
        kind=str(getattr(kind, "value", kind) or "").upper(),
        table=str(data.get("table") or ""),
        record=record,
        old_record=old if isinstance(old, Mapping) else None,
        truncated=bool(errors) and "413" in str(errors),
    )


async def fetch_with_retries(fetch: Callable[[], Awaitable[T | None]], what: str) -> T | None:
    """``fetch()``, tried again after a transient error; None if it never succeeds.

    An AuthError is raised at once (the stream reports it); JobNotFound means the row is gone
    or no longer visible, which no retry changes.
    """
    for delay in REFETCH_DELAYS:
        await asyncio.sleep(delay)
        try:
            return await fetch()
        except (AuthError, asyncio.CancelledError):
            raise
        except JobNotFound:
            return None
        except JoblensError as error:
            # ``what`` names a row by the id the server sent: made safe before any log sees it.
            log.warning("re-fetching %s failed: %s", display_text(what), error)
    return None


class ChangeReader:
    """Turns one job's change payloads into log chunks and job rows.

    A truncated record (or one missing what it must hold) is re-fetched by id through REST,
    with retries; ``job_id`` is lower case, as the filters are.
    """

    def __init__(
        self,
        job_id: str,
        *,
        refetch_chunk: Callable[[int | str], Awaitable[LogChunk | None]],
        refetch_job: Callable[[str], Awaitable[Job]] | None,
    ) -> None:
        self._job_id = job_id.lower()
        self._refetch_chunk = refetch_chunk
        self._refetch_job = refetch_job

    async def chunk(self, payload: Any) -> LogChunk | None:
        """The log chunk an INSERT payload carries (None: not this job's, or unreadable)."""
        change = row_change(payload)
        if change is None:
            return None
        record = change.record
        if change.truncated or not isinstance(record.get("log_chunk"), str):
            row_id = record.get("id")
            if row_id is None:
                log.warning("a live log row arrived without its id; the next backfill has it")
                return None
            key: int | str = row_id if isinstance(row_id, int) else str(row_id)
            return await fetch_with_retries(
                lambda: self._refetch_chunk(key), f"oversized log row {key}"
            )
        chunk = LogChunk.from_row(record)
        return chunk if chunk.job_id.lower() == self._job_id else None

    async def job(self, payload: Any) -> Job | None:
        """The job row an UPDATE payload carries (None: another row, or unreadable).

        Parsed from the record alone, so the embeds' display names are None; a record cut
        short by the 413 limit (its large values missing, e.g. ``execution_metadata``) is
        replaced by the job as REST returns it now, names included.
        """
        change = row_change(payload)
        if change is None or change.kind != "UPDATE":
            return None
        record = change.record
        row_id = record.get("id")
        if row_id is not None and str(row_id).lower() != self._job_id:
            return None
        if change.truncated or row_id is None or record.get("status") is None:
            refetch = self._refetch_job
            if refetch is None:
                return None
            job_id = self._job_id
            return await fetch_with_retries(lambda: refetch(job_id), f"job {job_id}")
        return Job.from_row(record)
