"""Log-table queries: pages in the table's own order, built for supabase-py's query builder.

A ``job_logs`` table has bigint identity ids: the order is the id, and a page resumes with
``id > last``. A ``provision_job_logs`` table has uuid ids: the order is (created_at, id), and a
page resumes with ``or=(created_at.gt.T,and(created_at.eq.T,id.gt.I))``. Rows of one
transaction share created_at, so the id breaks the tie.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from postgrest.types import CountMethod

from joblens.models import LogChunk
from supabase import AsyncClient

LOG_COLUMNS = "id,job_id,log_chunk,stream_type,created_at"


def rows_of(data: object) -> list[dict[str, Any]]:
    """The row objects of a PostgREST answer (anything else is ignored, never a crash)."""
    return [row for row in data if isinstance(row, dict)] if isinstance(data, list) else []


def row_of(data: object) -> dict[str, Any]:
    """The row object of a single-row answer (anything else is an empty row)."""
    return data if isinstance(data, dict) else {}


def utc_text(moment: datetime) -> str:
    """A timestamp as PostgREST filter text: UTC, microseconds, ``Z`` (no ``+`` to encode)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def after_filter(query: Any, mark: LogChunk, *, newest: bool) -> Any:
    """Rows strictly after ``mark`` (before it when ``newest``), in the table's order."""
    op = "lt" if newest else "gt"
    if isinstance(mark.id, int) or mark.created_at is None:
        return query.filter("id", op, str(mark.id))
    stamp = utc_text(mark.created_at)
    # Quoted: the timestamp's ':' and '.' must not be read as PostgREST syntax.
    return query.or_(f'created_at.{op}."{stamp}",and(created_at.eq."{stamp}",id.{op}.{mark.id})')


async def log_page(
    client: AsyncClient,
    table: str,
    job_id: str,
    *,
    after: LogChunk | None,
    by_created_at: bool,
    newest: bool,
    limit: int,
) -> list[dict[str, Any]]:
    """One page of a job's rows, ascending (``newest``: descending, before ``after``)."""
    query = client.table(table).select(LOG_COLUMNS).eq("job_id", job_id.lower())
    if after is not None:
        query = after_filter(query, after, newest=newest)
    if by_created_at:
        query = query.order("created_at", desc=newest).order("id", desc=newest)
    else:
        query = query.order("id", desc=newest)
    response = await query.limit(limit).execute()
    return rows_of(response.data)


def _time_key(mark: LogChunk, op: str, id_op: str) -> str:
    """``(created_at, id) <op> mark`` in PostgREST's logic syntax, for a uuid-id table."""
    assert mark.created_at is not None
    stamp = utc_text(mark.created_at)
    return f'created_at.{op}."{stamp}",and(created_at.eq."{stamp}",id.{id_op}.{mark.id})'


async def log_count(
    client: AsyncClient,
    table: str,
    job_id: str,
    *,
    after: LogChunk | None,
    upto: LogChunk | None,
) -> int:
    """The exact number of a job's rows in (``after``, ``upto``]: a HEAD request, no rows."""
    query = client.table(table).select("id", count=CountMethod.exact, head=True)
    query = query.eq("job_id", job_id.lower())
    marks = [m for m in (after, upto) if m is not None]
    if any(isinstance(m.id, int) or m.created_at is None for m in marks):
        if after is not None:
            query = query.filter("id", "gt", str(after.id))
        if upto is not None:
            query = query.filter("id", "lte", str(upto.id))
    elif after is not None and upto is not None:
        # One logic tree: the range's two ends are each an or().
        low, high = _time_key(after, "gt", "gt"), _time_key(upto, "lt", "lte")
        query = query.or_(f"and(or({low}),or({high}))")
    elif after is not None:
        query = query.or_(_time_key(after, "gt", "gt"))
    elif upto is not None:
        query = query.or_(_time_key(upto, "lt", "lte"))
    response = await query.execute()
    return int(response.count or 0)


async def log_row(client: AsyncClient, table: str, chunk_id: int | str) -> dict[str, Any] | None:
    """One row by id, or None."""
    query = client.table(table).select(LOG_COLUMNS).eq("id", str(chunk_id)).limit(1)
    rows = rows_of((await query.execute()).data)
    return rows[0] if rows else None
