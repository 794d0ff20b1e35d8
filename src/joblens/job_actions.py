"""Which actions a job offers in its current state (PLATFORM.md, "What the web page does")."""

from __future__ import annotations

from enum import StrEnum

from joblens.models import ACTIVE_STATUSES, TERMINAL_STATUSES, Job, JobStatus, JobType


class JobAction(StrEnum):
    CANCEL = "cancel"
    APPLY = "apply"
    RERUN = "rerun"


def available_actions(job: Job) -> frozenset[JobAction]:
    """Cancel while active; Apply for a successful PLAN; Re-run once terminal."""
    actions: set[JobAction] = set()
    if job.status in ACTIVE_STATUSES:
        actions.add(JobAction.CANCEL)
    if job.status in TERMINAL_STATUSES:
        actions.add(JobAction.RERUN)
    if job.job_type == JobType.PLAN and job.status == JobStatus.SUCCESS:
        actions.add(JobAction.APPLY)
    return frozenset(actions)
