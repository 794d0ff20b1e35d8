"""What each action writes to ``provision_jobs`` (docs/PLATFORM.md, "Actions"), and when it
may: one definition for every backend, so the demo refuses what Supabase refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from joblens.errors import ActionRejected
from joblens.json_doc import JsonDoc
from joblens.json_values import ValueDoc
from joblens.models import ACTIVE_STATUSES, Job, JobStatus, JobType

#: Cancel applies only while the job is in one of these.
CANCELLABLE = sorted(str(s) for s in ACTIVE_STATUSES)


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
    if not job.is_terminal:
        raise ActionRejected("only a finished job can be re-run")
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
    if plan.job_type != JobType.PLAN or plan.status != JobStatus.SUCCESS:
        raise ActionRejected(
            f"only a PLAN that succeeded can be applied; this job is a {plan.job_type} "
            f"with status {plan.status}"
        )
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
