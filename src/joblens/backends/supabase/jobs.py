"""What the Supabase backend reads from ``provision_jobs`` and ``workers``: the tables and the
job's selects. What the actions write is ``joblens.actions``, shared with the demo backend.

The job's two JSON columns are selected as text (``config_snapshot::text``), never as JSON:
supabase-py would parse them itself, recursively, and a nested ``config_snapshot`` stops it.
From 253 levels the single-row answer fails pydantic's validation in postgrest-py
(``SingleAPIResponse``: "the server refused the request: OK (200)"); from about 990,
``json.loads`` raises RecursionError. As text they are one flat string each, read by
:mod:`joblens.json_doc` without either limit (and a 10 MB one is not made a 50 MB object tree).
So the select names its columns instead of ``*``; a deployment without one of them (PostgREST
answers 42703, "column provision_jobs.x does not exist") is asked again without it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any, NoReturn

from postgrest.exceptions import APIError

from joblens.backends.supabase.errors import MISSING_RELATION_CODES
from joblens.errors import JoblensError
from joblens.json_doc import JsonDoc
from joblens.models import JSON_COLUMNS

JOBS = "provision_jobs"
WORKERS = "workers"
#: The display names, most embeds first; a deployment missing a table or relationship falls
#: back to the next (PGRST200/PGRST205). ``credentials`` is never selected.
JOB_EMBEDS = (
    "worker:workers!provision_jobs_worker_id_fkey(name), "
    "assigned_worker:workers!provision_jobs_assigned_worker_id_fkey(name), "
    "vine:vines(project_name,environment_stage,region,terraform_version,status), "
    "vineyard:vineyards(name), cloud_identity:cloud_identities(provider,name)",
    "worker:workers!provision_jobs_worker_id_fkey(name), "
    "assigned_worker:workers!provision_jobs_assigned_worker_id_fkey(name)",
    "",
)

_MISSING_COLUMN = re.compile(r'column (?:"?(\w+)"?\.)?"?(\w+)"? does not exist')


def job_select(columns: Collection[str], embeds: str) -> str:
    """The select list: ``columns`` (the JSON ones cast to text under their own names)."""
    parts = [f"{c}:{c}::text" if c in JSON_COLUMNS else c for c in columns]
    if embeds:
        parts.append(embeds)
    return ", ".join(parts)


def missing_column(message: str, columns: Collection[str]) -> str | None:
    """The selected column a 42703 error says does not exist, if it names one of ``columns``."""
    match = _MISSING_COLUMN.search(message)
    if match is None or match.group(1) not in (None, JOBS) or match.group(2) not in columns:
        return None  # another table's column (an embed's): the embeds fall back instead
    return match.group(2)


class EmbedMissing(JoblensError):
    """Internal: this deployment lacks a table or relationship the job select embeds."""


class ColumnMissing(JoblensError):
    """Internal: this deployment's ``provision_jobs`` lacks ``column``."""

    def __init__(self, column: str) -> None:
        super().__init__(f"no column {column}")
        self.column = column


def raise_select_error(error: APIError, columns: Collection[str], *, embeds: bool) -> NoReturn:
    """A job select's error, as the selects fall back on it: a selected column this
    deployment lacks (``ColumnMissing``), a missing embedded table or relationship when the
    select ``embeds`` any (``EmbedMissing``), else the error itself."""
    code = error.code or ""
    gone = missing_column(str(error.message), columns) if code == "42703" else None
    if gone is not None:
        raise ColumnMissing(gone) from None
    if embeds and code in MISSING_RELATION_CODES:
        raise EmbedMissing(str(error.message)) from None
    raise error


def job_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A job row as ``Job.from_row`` takes it: the JSON columns' text as documents."""
    parsed = dict(row)
    for column in JSON_COLUMNS:
        text = parsed.get(column)
        if isinstance(text, str):
            parsed[column] = JsonDoc.from_text(text)
    return parsed
