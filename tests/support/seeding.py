"""Rows written on a local stack behind joblens's back, as the platform would, and read back.

SQL as the database owner (as a Tendril, the web page or an admin would write; RLS does not
apply). Field values are Python values (``datetime`` for timestamps, dicts and lists for
jsonb). The demo backend's equivalent is support/demo.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import asyncpg
from devstack.testing import StackInfo

from joblens.models import TERMINAL_STATUSES
from support.oracle import shown_lines


async def insert_row(stack: StackInfo, table: str, values: dict[str, Any]) -> str:
    """Insert one row into ``public.<table>``; its id as text."""
    names = list(values)
    params = [
        f"${i}::jsonb" if isinstance(values[n], dict | list) else f"${i}"
        for i, n in enumerate(names, 1)
    ]
    args = [json.dumps(v) if isinstance(v, dict | list) else v for v in values.values()]
    rows = await stack.asql(
        f"insert into public.{table} ({', '.join(names)}) values ({', '.join(params)}) "
        "returning id::text",
        *args,
    )
    return str(rows[0]["id"])


async def create_job(stack: StackInfo, user_id: str, **fields: Any) -> str:
    """Insert a ``provision_jobs`` row owned by ``user_id`` (defaults: PLAN, QUEUED); its id."""
    return await insert_row(
        stack, "provision_jobs", {"user_id": user_id, "job_type": "PLAN", **fields}
    )


async def write_logs(stack: StackInfo, job_id: str, chunks: Iterable[tuple[str, str]]) -> None:
    """Insert log rows ``(text, stream_type)`` in this order, one commit each (as a Tendril
    flushes)."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        for text, stream in chunks:
            await conn.execute(
                f"insert into public.{stack.logs_table} (job_id, log_chunk, stream_type) "
                "values ($1, $2, $3)",
                job_id,
                text,
                stream,
            )
    finally:
        await conn.close()


async def add_logs(stack: StackInfo, job_id: str, n: int, prefix: str = "line") -> None:
    """Insert ``n`` log rows "<prefix> 1" ... "<prefix> n" in one transaction, in order."""
    await stack.asql(
        f"insert into public.{stack.logs_table} (job_id, log_chunk, created_at)"
        " select $1, $2 || ' ' || g, now() + g * interval '1 microsecond'"
        " from generate_series(1, $3) g",
        job_id,
        prefix,
        n,
    )


async def set_status(stack: StackInfo, job_id: str, status: str, error: str | None = None) -> None:
    """Set a job's status and error_message (and completed_at, for a terminal status)."""
    await stack.asql(
        "update public.provision_jobs set status = $2::text::public.job_status, "
        "error_message = $3, completed_at = case when $4 then now() end where id = $1",
        job_id,
        status,
        error,
        status in TERMINAL_STATUSES,
    )


def _log_order(stack: StackInfo) -> str:
    """The table's order of a job's log rows (bigint ids count up; uuids do not)."""
    return "l.id" if stack.logs_table == "job_logs" else "l.created_at, l.id"


async def db_chunks(stack: StackInfo, job_id: str) -> list[tuple[str, str]]:
    """(id, text) of every chunk of the job in the table's order."""
    rows = await stack.asql(
        f"select l.id::text as id, l.log_chunk from {stack.logs_table} l "
        f"where l.job_id = $1 order by {_log_order(stack)}",
        job_id,
    )
    return [(r["id"], r["log_chunk"]) for r in rows]


async def db_lines(stack: StackInfo, job_id: str) -> list[str]:
    """The job's lines as plain mode prints them without colour (support/oracle.py)."""
    rows = await stack.asql(
        f"select l.stream_type, l.log_chunk from {stack.logs_table} l "
        f"where l.job_id = $1 order by {_log_order(stack)}",
        job_id,
    )
    return shown_lines((r["stream_type"], r["log_chunk"]) for r in rows)
