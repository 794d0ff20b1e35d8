"""Which actions a job offers in its current state (docs/PLATFORM.md, "Actions")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from joblens.models import ACTIVE_STATUSES, TERMINAL_STATUSES, Job, JobStatus, JobType


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
