"""The job's actions in the job view: Cancel, Apply and Re-run, each confirmed first and run
once at a time; opening the jobs related to this one (a DEPLOY's plan, a PLAN's DEPLOY jobs);
and why a key does nothing now (what its toast says).

Apart from the screen because the flows are long sequences of questions and backend calls
that the screen only starts: it keeps the ``action_*`` names its bindings and buttons call,
and asks ``why_not`` which keys apply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from joblens.actions import ACTION_BY_NAME, ActionSpec, JobAction, unavailable_reason
from joblens.errors import JoblensError
from joblens.models import JobStatus, JobType
from joblens.screens.confirm import ConfirmScreen
from joblens.screens.job_plan import JobPlan
from joblens.screens.tendril_picker import TendrilPicker
from joblens.widgets.header import JobHeader
from joblens.widgets.resources import ResourcesPanel

if TYPE_CHECKING:
    from joblens.screens.job_screen import JobScreen


def sentence(reason: str) -> str:
    """One of ``joblens.actions``' reasons as a toast says it."""
    return reason[0].upper() + reason[1:] + "."


def action_method(screen: JobScreen, spec: ActionSpec) -> Callable[[], Any]:
    """The screen's ``action_<name>`` method for a job action."""
    method: Callable[[], Any] = getattr(screen, f"action_{spec.name}")
    return method


class JobActions:
    """The actions on the job ``screen`` shows; Apply asks ``plan`` first and tells it of the
    DEPLOY it queued."""

    def __init__(self, screen: JobScreen, plan: JobPlan) -> None:
        self._screen = screen
        self._plan = plan
        self._busy: set[JobAction] = set()

    def why_not(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        """Why ``action`` does not apply to this job now (a sentence, for a toast), or None
        when it does (or is never refused)."""
        job = self._screen.job
        wanted = ACTION_BY_NAME.get(action)
        if wanted is not None:
            reason = unavailable_reason(wanted, job)
            return None if reason is None else sentence(reason)
        if action == "open_plan" and job.plan_job_id is None and not self._plan.deploys:
            # (a DEPLOY's plan, or a PLAN's newest DEPLOY)
            if job.job_type == JobType.PLAN:
                return "No DEPLOY to open: none applies this PLAN yet."
            return f"No plan to open: this {job.job_type} has no source PLAN."
        if action == "toggle_panel" and parameters == ("plan",) and self._plan.digest is None:
            return f"No Plan panel: only a PLAN has one, and this job is a {job.job_type}."
        if action == "toggle_panel" and parameters == ("resources",):
            if any(panel.seen for panel in self._screen.query(ResourcesPanel)):
                return None
            if self._plan.digest is not None:
                return "A PLAN has no Resources panel: its resources are in the Plan panel (p)."
            return f"No Resources panel: this {job.job_type}'s log has applied no resource."
        return None

    def _start(self, action: JobAction, flow: Callable[[], Awaitable[None]]) -> None:
        """Run an action's flow once: a key pressed again while it runs sends nothing."""
        screen = self._screen
        reason = unavailable_reason(action, screen.job)
        if reason is not None:
            screen.notify(sentence(reason), severity="warning", markup=False)
            return
        if action in self._busy:
            screen.notify(f"{action.title()} is already in progress.", markup=False)
            return
        self._busy.add(action)
        screen.query_one(JobHeader).show_busy(frozenset(self._busy))

        async def guarded() -> None:
            try:
                await flow()
            except JoblensError as error:
                screen.notify(
                    error.message,
                    title=f"{action.title()} failed",
                    severity="error",
                    markup=False,
                    timeout=10,
                )
            finally:
                self._busy.discard(action)
                if screen.is_attached:
                    screen.query_one(JobHeader).show_busy(frozenset(self._busy))

        screen.run_worker(guarded(), group=f"action-{action}")

    def cancel(self) -> None:
        """Cancel the job, once confirmed."""
        self._start(JobAction.CANCEL, self._cancel_flow)

    def apply(self) -> None:
        """Apply the plan on a Tendril the user picks, once the plan's questions are answered."""
        self._start(JobAction.APPLY, self._apply_flow)

    def rerun(self) -> None:
        """Queue the job again with the same configuration, once confirmed."""
        self._start(JobAction.RERUN, self._rerun_flow)

    async def _cancel_flow(self) -> None:
        screen = self._screen
        job = screen.job
        queued = job.status == JobStatus.QUEUED  # no Tendril has it yet: none can carry on
        after = (
            "no Tendril has claimed it yet."
            if queued
            else "a Tendril already running it may carry on, and joblens keeps watching."
        )
        confirmed = await screen.app.push_screen_wait(
            ConfirmScreen(
                "Cancel this job?",
                f"{job.job_type} #{job.short_id} is {job.status}. It will be marked CANCELLED; "
                + after,
                confirm_label="Cancel job (Enter)",
            )
        )
        if not confirmed:
            return
        queued = screen.job.status == JobStatus.QUEUED  # (as last seen, the dialog answered)
        if await screen.backend.cancel_job(job.id):
            screen.notify(
                "Job cancelled before any Tendril claimed it."
                if queued
                else "Job cancelled. joblens keeps watching in case the Tendril carries on.",
                title="Cancelled",
                markup=False,
            )
        else:
            screen.notify(
                "The job had already finished; nothing was cancelled.",
                severity="warning",
                markup=False,
            )
        await screen.refresh_job()

    async def _apply_flow(self) -> None:
        screen = self._screen
        if not await self._plan.confirm_apply():
            return
        tendrils = await screen.backend.list_tendrils()
        choice = await screen.app.push_screen_wait(
            TendrilPicker(tendrils, f"Apply plan #{screen.job.short_id} on which Tendril?")
        )
        if choice is None:
            return
        deploy = await screen.backend.apply_plan(screen.job, choice.tendril_id)
        self._plan.deploy_added(deploy)
        screen.notify(
            f"Deploy #{deploy.short_id} queued on {choice.label}.", title="Applying", markup=False
        )
        screen.joblens_app.open_job(deploy)

    async def _rerun_flow(self) -> None:
        screen = self._screen
        confirmed = await screen.app.push_screen_wait(
            ConfirmScreen(
                "Re-run this job?",
                f"A new {screen.job.job_type} job is queued with the same configuration "
                f"as #{screen.job.short_id}.",
                confirm_label="Re-run (Enter)",
            )
        )
        if not confirmed:
            return
        new_job = await screen.backend.rerun_job(screen.job)
        screen.notify(
            f"{new_job.job_type} #{new_job.short_id} queued.", title="Re-run", markup=False
        )
        screen.joblens_app.open_job(new_job)

    # -- the jobs related to this one ------------------------------------------------------

    def open_plan(self) -> None:
        """A DEPLOY's source PLAN; a PLAN's newest DEPLOY."""
        screen = self._screen
        plan_job_id = screen.job.plan_job_id
        if plan_job_id is None:
            if self._plan.deploys:  # a PLAN: the newest DEPLOY applying it
                self.open_job_by_id(self._plan.deploys[0].id)
            return
        self.open_job_by_id(plan_job_id, group="open-plan")

    def open_job_by_id(self, job_id: str, *, group: str = "open-job") -> None:
        """Read the job ``job_id`` and open it (a toast if it cannot be read)."""
        screen = self._screen

        async def open_job() -> None:
            try:
                job = await screen.backend.get_job(job_id)
            except JoblensError as error:
                screen.notify(error.message, severity="error", markup=False)
                return
            screen.joblens_app.open_job(job)

        screen.run_worker(open_job(), group=group, exclusive=True)
