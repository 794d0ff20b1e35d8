"""How ``joblens summary`` prints a :class:`joblens.job_summary.JobSummary`: text, or JSON.

Text is for people: the job's line (and its error), a PLAN's plan (its figures, cost, and
every resource by action, ``!`` marking each destroy and replace), an apply's resources (state,
address, operation, elapsed time, id), then the diagnostics (severity, summary, address,
file:line, and the line in the log); every server or log text in it is made safe for a
terminal (``sanitize.display_text``). JSON (``--json``) is one object with the keys ``job``,
``plan`` (null unless a PLAN), ``errors`` (warnings too, each with its ``severity``) and
``resources`` (null for a PLAN); its strings have no escapes (``sanitize.plain_text``), and
are written in ASCII (``\\uXXXX`` for the rest): JSON is data, and the log's text, kept
exact, then cannot reach a terminal as anything but text (a bidi override included).
Secrets are masked in both, as everywhere (``secrets.mask_text``): the job's error and the
diagnostics' text. Line numbers count from 1, as ``joblens logs -n`` does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TextIO

from joblens.backends.base import Backend
from joblens.diagnostics import ERROR, Diagnostic
from joblens.display import (
    duration_phase,
    format_created,
    format_duration,
    status_icon,
    type_icon,
    type_label,
)
from joblens.errors import ExitCode
from joblens.job_summary import JobSummary, masked, read_summary, tendril_text
from joblens.models import Job
from joblens.plain_output import ReaderGone, silence_stdout, write_out
from joblens.plan_digest import DESTRUCTIVE, PlannedResource, PlanSummary
from joblens.plan_words import ACTION_HEADINGS, cost_words, counts_sentence, replace_how
from joblens.resources import Resource, ResourceState, ResourceTracker
from joblens.sanitize import display_text, plain_text, strip_sgr

__all__ = ["job_line", "print_summary", "summary_json", "summary_text"]


async def print_summary(
    backend: Backend, job_ref: str, *, as_json: bool, out: TextIO | None = None
) -> int:
    """Print the summary of ``job_ref`` (text, or one JSON object); the exit code."""
    out = sys.stdout if out is None else out
    summary = await read_summary(backend, job_ref)
    text = json.dumps(summary_json(summary), indent=2) if as_json else summary_text(summary)
    try:
        write_out(out, text if text.endswith("\n") else text + "\n")
    except ReaderGone:
        silence_stdout(out)
    return int(ExitCode.OK)


def _safe(text: object) -> str:
    """Server or log text as one line of the terminal's: no escapes, no control characters."""
    return display_text(strip_sgr(str(text)))


def job_line(job: Job) -> str:
    """``▲ Deploy  ✖ FAILED  #3f2a9c1e  Tendril t-1  created 2026-11-30 21:48:46 UTC (5m ago)
    took 42s`` (on one line)."""
    parts = [
        f"{type_icon(job.job_type)} {type_label(job.job_type)}",
        f"{status_icon(job.status)} {job.status}",
        f"#{job.short_id}",
        f"Tendril {tendril_text(job)}",
        f"created {format_created(job.created_at)}",
    ]
    phase = duration_phase(job)
    if phase is not None:
        parts.append(f"{phase[0]} {format_duration(phase[1])}")
    return _safe("  ".join(parts))


def _plan_lines(plan: PlanSummary, finished: bool) -> list[str]:
    counts = plan.counts
    if counts is None:
        found = "found in the job's metadata or log" if finished else "yet"
        lines = [f"Plan: none {found}"]
    else:
        where = "the plan's JSON" if plan.source == "metadata" else "the log"
        lines = [f"Plan: {counts_sentence(counts)}  (from {where})"]
    monthly, change = cost_words(plan.cost)
    if monthly or change:
        cost = f"{monthly} ({change})" if monthly and change else monthly or change
        lines.append(f"Monthly cost: {cost}")
    for action, modules in plan.by_action():
        resources = [resource for _module, group in modules for resource in group]
        lines += ["", f"{ACTION_HEADINGS[action]} ({len(resources)})"]
        lines += map(_resource_line, resources)
    return lines


def _resource_line(resource: PlannedResource) -> str:
    """``  ! module.db.aws_db_instance.main  (destroy, then create again)``: ``!`` marks
    what the plan destroys or replaces."""
    mark = "!" if resource.action in DESTRUCTIVE else " "
    how = replace_how(resource)
    return f"  {mark} {_safe(resource.address)}" + (f"  ({how})" if how else "")


def _resources_lines(tracker: ResourceTracker) -> list[str]:
    lines = [_safe(tracker.progress_text() or "no resources")]
    rows = [
        (
            _safe(resource.state),
            _safe(resource.address),
            _safe(resource.operation),
            _safe(resource.elapsed or ""),  # Terraform's words: "1m10s"
            f"id={_safe(resource.ident)}" if resource.ident else "",
        )
        for resource in tracker.resources
    ]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append(("  " + "  ".join([*cells, row[4]])).rstrip())
    return lines


def _diagnostic_lines(found: Iterable[Diagnostic]) -> list[str]:
    found = list(found)
    errors = sum(1 for block in found if block.severity == ERROR)
    warnings = len(found) - errors
    if not found:
        return ["Errors: none"]
    lines = [f"Errors: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"]
    for block in found:
        lines.append(f"  {block.severity:<8} {_safe(masked(block.summary))}")
        where = [_safe(block.address)] if block.address else []
        if block.file:
            where.append(_safe(f"{block.file}:{block.line}"))
        where.append(f"log line {block.first + 1}")
        lines.append(f"  {'':<8} {' · '.join(where)}")
    return lines


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def summary_text(summary: JobSummary) -> str:
    """The summary as text: a section a paragraph, each line safe for a terminal."""
    job = summary.job
    sections = [[job_line(job)]]
    error = " ".join(masked(job.error_message).split())
    if error:
        sections[0].append(f"  {_safe(error)}")
    waiting = summary.waiting
    if waiting is not None:
        mark = "⚠ " if waiting.stuck else ""
        sections[0].append(f"  {mark}{_safe(waiting.text[:1].upper() + waiting.text[1:])}")
    if summary.plan is not None:
        sections.append(_plan_lines(summary.plan, job.is_terminal))
    if summary.resources is not None and summary.resources.resources:
        sections.append(_resources_lines(summary.resources))
    sections.append(_diagnostic_lines(summary.diagnostics))
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


# -- JSON --------------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    """A string for JSON: sanitised, without colour codes; None stays None."""
    return None if value is None else plain_text(str(value))


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def job_json(job: Job) -> dict[str, Any]:
    """A job as JSON: the keys of `summary --json`'s ``job`` (and of `list --json`'s items)."""
    phase = duration_phase(job)
    return {
        "id": job.id,
        "type": str(job.job_type),
        "status": str(job.status),
        "tendril": job.worker_name,  # the one that ran it (None: none yet, or name unknown)
        "tendril_id": job.worker_id,
        "requested_tendril": job.assigned_worker_name,  # None too for "any available"
        "requested_tendril_id": job.assigned_worker_id,
        "created_at": _time(job.created_at),
        "started_at": _time(job.started_at),
        "completed_at": _time(job.completed_at),
        "duration": None if phase is None else {"phase": phase[0], "seconds": phase[1]},
        "error_message": masked(job.error_message) or None,
        "plan_job_id": job.plan_job_id,
    }


def _plan_json(plan: PlanSummary) -> dict[str, Any]:
    counts = plan.counts
    cost = plan.cost
    return {
        "source": plan.source or None,
        "counts": None
        if counts is None
        else {
            "add": counts.add,
            "change": counts.change,
            "destroy": counts.destroy,
            "replace": counts.replace,
            "import": counts.imported,
            "forget": counts.forget,
        },
        "cost": None
        if cost is None
        else {
            "currency": cost.currency,
            "monthly": None if cost.monthly is None else str(cost.monthly),
            "change": None if cost.change is None else str(cost.change),
        },
        "resources": [
            {
                "address": _text(resource.address),
                "action": str(resource.action),
                "module": _text(resource.module),
                "destructive": resource.action in DESTRUCTIVE,
                "replace_order": resource.replace_order,
            }
            for resource in plan.resources
        ],
    }


def _diagnostic_json(block: Diagnostic) -> dict[str, Any]:
    return {
        "severity": block.severity,
        "summary": masked(block.summary),
        "address": _text(block.address),
        "file": _text(block.file),
        "line": block.line,
        "block": _text(block.block),
        "detail": [masked(line) for line in block.detail],
        "stream": _text(block.stream),
        "first_line": block.first + 1,
        "last_line": (block.last if block.last >= 0 else block.first) + 1,
    }


def _resources_json(tracker: ResourceTracker, planned: frozenset[str]) -> dict[str, Any]:
    """The resources; a pending one known only from the applied plan is in no line (null)."""

    def unseen(resource: Resource) -> bool:
        return resource.state is ResourceState.PENDING and resource.address in planned

    return {
        "done": tracker.done,
        "failed": tracker.failed,
        "total": tracker.total,
        "progress": tracker.progress_text(),
        "items": [
            {
                "address": _text(resource.address),
                "operation": _text(resource.operation),
                "state": _text(resource.state),
                "elapsed": resource.elapsed,
                "id": _text(resource.ident),
                "first_line": None if unseen(resource) else resource.first_line + 1,
                "last_line": None if unseen(resource) else resource.last_line + 1,
            }
            for resource in tracker.resources
        ],
    }


def summary_json(summary: JobSummary) -> dict[str, Any]:
    """The summary as one JSON-ready object: ``job``, ``waiting`` (a QUEUED job's wait, else
    None), ``plan``, ``errors``, ``resources``."""
    waiting = summary.waiting
    return {
        "job": job_json(summary.job),
        "waiting": None
        if waiting is None
        else {"text": _text(waiting.text), "stuck": waiting.stuck},
        "plan": None if summary.plan is None else _plan_json(summary.plan),
        "errors": [_diagnostic_json(block) for block in summary.diagnostics],
        "resources": None
        if summary.resources is None
        else _resources_json(summary.resources, summary.planned),
    }
