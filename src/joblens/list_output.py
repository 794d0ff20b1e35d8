"""``joblens list`` for scripts and pipes: the user's newest jobs as one JSON array, or a plain
table (stdout not a terminal).

JSON (``--json``): one array, newest first; each item has the keys of ``summary --json``'s
``job`` (``summary_output.job_json``: the error masked, no configuration or metadata, which
may hold secrets) plus ``short_id``, ``vine``, ``vine_stage`` and ``vineyard``; strings have
no escapes and are written in ASCII, as ``summary --json`` writes them. The table: a title
line, then one line a job, columns two spaces apart (no colour, no symbols: for ``grep``,
``awk`` and ``cut``); the type and status as the platform spells them, the created time
local with its offset.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, TextIO

from rich.cells import cell_len

from joblens.backends.base import Backend
from joblens.errors import ExitCode
from joblens.job_rows import duration, tendril
from joblens.models import Job
from joblens.plain_output import ReaderGone, silence_stdout, write_out
from joblens.sanitize import plain_text
from joblens.summary_output import job_json

#: The plain table's columns: title, and how a job fills it.
_TABLE: tuple[str, ...] = ("ID", "TYPE", "STATUS", "TENDRIL", "VINE", "CREATED", "DURATION")


def list_json(jobs: Collection[Job]) -> list[dict[str, Any]]:
    """The jobs as JSON-ready objects (see the module's docstring for the keys)."""

    def text(value: str | None) -> str | None:
        return None if value is None else plain_text(value)

    return [
        {
            **job_json(job),
            "short_id": job.short_id,
            "vine": text(job.vine_name),
            "vine_stage": text(job.vine_stage),
            "vineyard": text(job.vineyard_name),
        }
        for job in jobs
    ]


def _created(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone().isoformat(timespec="seconds")


def list_table(jobs: Collection[Job], now: datetime | None = None) -> str:
    """The jobs as a plain table (a title line, then a line a job), ending in a newline."""
    now = now or datetime.now(UTC)
    rows = [list(_TABLE)]
    for job in jobs:
        rows.append(
            [
                job.short_id,
                str(job.job_type),
                str(job.status),
                tendril(job),
                job.vine_name or "-",
                _created(job.created_at),
                duration(job, now).replace(" ", "").replace("—", "-"),
            ]
        )
    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(_TABLE))]
    lines = [
        "  ".join(cell + " " * (widths[i] - cell_len(cell)) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"


async def print_list(
    backend: Backend,
    *,
    statuses: Collection[str],
    types: Collection[str],
    limit: int,
    as_json: bool,
    out: TextIO | None = None,
) -> int:
    """Print the user's newest jobs (JSON, or the table); the exit code."""
    out = sys.stdout if out is None else out
    await backend.connect()
    try:
        jobs = await backend.list_jobs(statuses, types, limit)
    finally:
        await backend.close()
    text = json.dumps(list_json(jobs), indent=2) + "\n" if as_json else list_table(jobs)
    try:
        write_out(out, text)
    except ReaderGone:
        silence_stdout(out)
    return int(ExitCode.OK)
