"""The job actions, in one place: when each applies, what it needs, what it is called, what it
writes to ``provision_jobs`` and what its refusals say (docs/PLATFORM.md, "Actions").

The screen asks :func:`available_actions` what to offer and :func:`unavailable_reason` what to
say about a key that does not apply; both backends build the rows they write with
:func:`cancel_changes`, :func:`rerun_row` and :func:`deploy_row`, and check a chosen Tendril with
:func:`check_tendril`. So the demo refuses exactly what Supabase refuses, in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from joblens.errors import ActionRejected
from joblens.json_doc import JsonDoc
from joblens.json_values import ValueDoc
from joblens.models import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    Job,
    JobStatus,
    JobType,
    Tendril,
)


class JobAction(StrEnum):
    CANCEL = "cancel"
    APPLY = "apply"
    RERUN = "rerun"


@dataclass(frozen=True)
class ActionSpec:
    """How an action is offered: its button and footer label, its key, the screen's action
    (``action_<name>``) and its command-palette entry."""

    action: JobAction
    label: str
    key: str
    name: str
    title: str
    help: str


#: The job actions, in the order they are shown: the one place that names them.
ACTION_SPECS: tuple[ActionSpec, ...] = (
    ActionSpec(
        JobAction.CANCEL, "Cancel", "c", "cancel_job", "Cancel job", "Cancel this job (asks first)"
    ),
    ActionSpec(
        JobAction.APPLY, "Apply", "a", "apply_plan", "Apply plan", "Deploy this plan on a Tendril"
    ),
    ActionSpec(
        JobAction.RERUN,
        "Re-run",
        "r",
        "rerun_job",
        "Re-run job",
        "Queue a new job with the same configuration",
    ),
)
ACTION_BY_NAME = {spec.name: spec.action for spec in ACTION_SPECS}

#: Cancel applies only while the job is in one of these.
CANCELLABLE = sorted(str(s) for s in ACTIVE_STATUSES)


# -- when each applies ---------------------------------------------------------------------------


def unavailable_reason(action: JobAction, job: Job) -> str | None:
    """Why ``action`` does not apply to ``job`` now (one line), or None when it does.

    Cancel while the job is queued or running; Re-run once it has ended; Apply for a PLAN that
    succeeded.
    """
    if action == JobAction.CANCEL and job.status not in ACTIVE_STATUSES:
        return f"only a queued or running job can be cancelled; this job is {job.status}"
    if action == JobAction.RERUN and job.status not in TERMINAL_STATUSES:
        return f"only a finished job can be re-run; this job is {job.status}"
    if action == JobAction.APPLY and (
        job.job_type != JobType.PLAN or job.status != JobStatus.SUCCESS
    ):
        return (
            f"only a PLAN that succeeded can be applied; this job is a {job.job_type} "
            f"with status {job.status}"
        )
    return None


def available_actions(job: Job) -> frozenset[JobAction]:
    """The actions that apply to ``job`` now."""
    return frozenset(a for a in JobAction if unavailable_reason(a, job) is None)


def require(action: JobAction, job: Job) -> None:
    """ActionRejected, in :func:`unavailable_reason`'s words, unless ``action`` applies."""
    reason = unavailable_reason(action, job)
    if reason is not None:
        raise ActionRejected(reason)


def check_tendril(tendril: Tendril | None, now: datetime | None = None) -> None:
    """ActionRejected unless a chosen Tendril is visible to the user and live (the picker's
    rule: a Tendril that has not been heard from recently would never claim the job)."""
    if tendril is None:
        raise ActionRejected("that Tendril is not visible to you: choose another")
    if not tendril.is_live(now):
        raise ActionRejected(
            f"Tendril {tendril.name} is not live: choose a live one or Any available"
        )


# -- what each writes ----------------------------------------------------------------------------


def cancel_changes() -> dict[str, Any]:
    """What Cancel writes (the web page's values), with completed_at = now in UTC."""
    return {
        "status": str(JobStatus.CANCELLED),
        "error_message": "Cancelled by user",
        "completed_at": datetime.now(UTC).isoformat(),
    }


def _snapshot(job: Job) -> Any:
    """The job's configuration as plain JSON values, to insert again as it is.

    A large or deep snapshot is held as a lazy document (:mod:`joblens.json_doc`); the row
    written needs the values themselves.
    """
    snapshot = job.config_snapshot
    if snapshot is None:
        return {}
    return snapshot.value() if isinstance(snapshot, JsonDoc | ValueDoc) else snapshot


def rerun_row(job: Job) -> dict[str, Any]:
    """A new QUEUED job with ``job``'s type and configuration (user_id left to auth.uid())."""
    require(JobAction.RERUN, job)
    row: dict[str, Any] = {
        "job_type": str(job.job_type),
        "status": str(JobStatus.QUEUED),
        "config_snapshot": _snapshot(job),
        "cloud_identity_id": job.cloud_identity_id,
        "vineyard_id": job.vineyard_id,
        "vine_id": job.vine_id,
    }
    if job.job_type == JobType.DEPLOY:
        row["plan_job_id"] = job.plan_job_id
    return row


def deploy_row(plan: Job, tendril_id: str | None) -> dict[str, Any]:
    """A QUEUED DEPLOY of exactly what ``plan`` planned, on ``tendril_id`` (None: any)."""
    require(JobAction.APPLY, plan)
    return {
        "job_type": str(JobType.DEPLOY),
        "status": str(JobStatus.QUEUED),
        "plan_job_id": plan.id,
        "assigned_worker_id": tendril_id,
        "vine_id": plan.vine_id,
        "vineyard_id": plan.vineyard_id,
        "cloud_identity_id": plan.cloud_identity_id,
        "config_snapshot": _snapshot(plan),
        "configuration_hash": plan.configuration_hash,
    }
