"""What a simulated Tendril writes for a job: timed flushes of rows and metadata, and an end.

A :class:`Script` is built up front from the job's type, its fate (succeed, fail, run long),
its configuration and, for a DEPLOY, its PLAN's metadata; the Tendril only plays it back. The
builders below write what a newer runner and OpenTofu write (:class:`Step`); ``runner.py``
turns that into the rows a real runner inserts, cut wherever its flushes fall. Delays are
simulated seconds at speed 1.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from joblens.backends.demo.terraform.apply import ApplySimulation
from joblens.backends.demo.terraform.costs import PROGRESS, cost_breakdown, cost_summary, cost_table
from joblens.backends.demo.terraform.runner import Flush, Step, cut
from joblens.backends.demo.terraform.stack import (
    CREATE,
    DELETE,
    Change,
    Palette,
    Resource,
    choose_changes,
    palette,
    stack_resources,
    summary_counts,
    web_instances,
)
from joblens.backends.demo.terraform.tofu import (
    DEPRECATION,
    init_chunks,
    node_group_error,
    outputs_block,
    plan_chunks,
    refresh_chunks,
    saved_plan,
)
from joblens.models import JobStatus, JobType, StreamType
from joblens.runner_log import (
    DOWNLOADING_PLAN,
    ESTIMATING_COSTS,
    JOB_CLAIMED,
    UPLOADING_PLAN,
    assuming_role,
    job_finished,
    running,
)

__all__ = ["Fate", "JobContext", "Script", "build_script"]

#: How a job's run goes: "cancel-ignored" and "requeued" succeed, after a twist the Tendril adds.
Fate = Literal["success", "fail", "long", "cancel-ignored", "requeued"]

ACCOUNT_ID = "492837465012"
#: The demo's applies run this fraction of a real stack's times (an EKS cluster in two minutes,
#: not eleven), so one can be watched whole; their flushes are DEMO_STEP seconds apart
#: and say so (``Still creating... [10s elapsed]``), so at speed 1 the log's times and the
#: header's running time agree. (``--speed`` runs the Tendril faster than the header's clock.)
DEMO_TIME = 1 / 6
DEMO_STEP = 5


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a script depends on."""

    job_id: str
    job_type: str
    fate: Fate
    config: Mapping[str, Any]
    plan_job_id: str | None = None
    plan_metadata: Mapping[str, Any] | None = None
    #: OpenTofu run without ``-no-color`` (no real runner does): its output carries ANSI.
    ansi: bool = False


@dataclass(frozen=True, slots=True)
class Script:
    """A job's whole run, and how it ends."""

    flushes: tuple[Flush, ...]
    status: JobStatus
    error_message: str | None = None
    #: Like some real Tendrils, keep running (and write PROCESSING back) after a cancel.
    ignores_cancel: bool = False
    #: The Tendril dies near this flush (see :meth:`death_point`); the platform re-queues.
    crash_before: int | None = None
    #: What OpenTofu and the runner wrote, before the runner cut it into rows.
    steps: tuple[Step, ...] = ()
    context: JobContext | None = field(default=None, compare=False, repr=False)
    rng_state: Any = field(default=None, compare=False, repr=False)

    def coloured(self) -> Script:
        """The same run with OpenTofu's colours (same choices, same twist)."""
        if self.context is None or self.context.ansi or self.rng_state is None:
            return self
        rng = random.Random()
        rng.setstate(self.rng_state)
        again = build_script(replace(self.context, ansi=True), rng)
        crash = self.crash_before
        if crash is not None:  # the same point of the run, in a differently cut list
            crash = crash * len(again.flushes) // max(len(self.flushes), 1)
        return replace(again, ignores_cancel=self.ignores_cancel, crash_before=crash)

    def mid_apply(self) -> int:
        """The flush halfway through the apply (where the "requeued" scenario's Tendril dies);
        two fifths of the way through a run that applies nothing."""
        phase: Any = None
        applying: list[int] = []
        for i, flush in enumerate(self.flushes):
            if phase == "apply":
                applying.append(i)
            phase = (flush.metadata or {}).get("phase", phase)
        if not applying:
            return len(self.flushes) * 2 // 5
        return applying[len(applying) // 2]

    def death_point(self) -> int | None:
        """The flush before which a crashing Tendril stops: the first from ``crash_before`` on
        that follows a row ending mid-line while applying, as a killed runner's last row does
        (the rest of the line was in its buffer, lost with it)."""
        if self.crash_before is None:
            return None
        phase: Any = None
        for i, flush in enumerate(self.flushes):
            if i >= max(self.crash_before, 1) and phase == "apply":
                last = self.flushes[i - 1].chunks
                if last and not last[-1][0].endswith("\n"):
                    return i
            phase = (flush.metadata or {}).get("phase", phase)
        return min(self.crash_before, len(self.flushes))


@dataclass(slots=True)
class _Writer:
    """Collects the steps of a run: what OpenTofu and the runner write, and when."""

    rng: random.Random
    p: Palette
    low: float = 0.5
    high: float = 2.0
    steps: list[Step] = field(default_factory=list)

    def write(
        self,
        *chunks: tuple[str, StreamType],
        metadata: Mapping[str, Any] | None = None,
        delay: float | None = None,
        starts_processing: bool = False,
    ) -> None:
        wait = self.rng.uniform(self.low, self.high) if delay is None else delay
        self.steps.append(Step(wait, tuple(chunks), metadata, starts_processing))

    def out(self, text: str, **kw: Any) -> None:
        self.write((text, StreamType.STDOUT), **kw)

    def err(self, text: str, **kw: Any) -> None:
        self.write((text, StreamType.STDERR), **kw)

    def system(self, text: str, **kw: Any) -> None:
        self.write((text, StreamType.SYSTEM), **kw)

    def finish(
        self,
        status: JobStatus,
        error: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Script:
        """End with the runner's last line; cut everything into the rows it sends."""
        self.system(job_finished(status.value), metadata=metadata, delay=0.4)
        flushes = cut(self.steps, random.Random(self.rng.getrandbits(64)))
        return Script(flushes, status, error, steps=tuple(self.steps))


def _section(config: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A part of the snapshot, or nothing: the snapshot's shape is not guaranteed."""
    value = config.get(key)
    return value if isinstance(value, Mapping) else {}


def _names(config: Mapping[str, Any]) -> tuple[str, str, str]:
    vine = _section(config, "vine")
    project = str(vine.get("project_name", "acme-platform"))
    stage = str(vine.get("environment_stage", "staging"))
    region = str(vine.get("region", "eu-west-1"))
    return project, stage, region


def _node_groups(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    groups = _section(config, "cluster").get("node_groups")
    if isinstance(groups, list) and groups:
        return [g for g in groups if isinstance(g, dict)]
    return [{"name": "general", "instance_types": ["m6i.large"], "desired_size": 2}]


def _claimed(w: _Writer, ctx: JobContext) -> None:
    """Claimed: prepare the workspace, then (PROCESSING) assume the vine's deployer role."""
    _project, stage, _region = _names(ctx.config)
    w.system(JOB_CLAIMED, delay=0.0)
    w.system(
        assuming_role(f"arn:aws:iam::{ACCOUNT_ID}:role/trellis-deployer-{stage}"),
        metadata={"phase": "init", "progress": 5},
        delay=w.rng.uniform(0.5, 1.0),
        starts_processing=True,
    )


def _init(w: _Writer, ctx: JobContext) -> None:
    _claimed(w, ctx)
    w.system(running("tofu init"), delay=0.8)
    for i, chunk in enumerate(init_chunks(w.p)):
        w.out(chunk, metadata={"progress": 10 + 5 * i})


def _plan_output(w: _Writer, changes: list[Change], progress: int) -> None:
    """Refresh, then the plan itself, as ``tofu plan`` and ``tofu apply`` without a file print."""
    for chunk in refresh_chunks(changes, w.rng, w.p):
        w.out(chunk, metadata={"phase": "refresh", "progress": progress})
    for chunk in plan_chunks(changes, w.p):
        w.out(chunk, metadata={"phase": "plan", "progress": progress + 10})


def _changes_from_plan(ctx: JobContext, resources: list[Resource]) -> list[Change]:
    """The changes the PLAN recorded, matched back to the demo stack's resources."""
    meta = ctx.plan_metadata or {}
    recorded = (meta.get("plan_result") or {}).get("resource_changes") or []
    by_address = {r.address: r for r in resources}
    changes: list[Change] = []
    for entry in recorded:
        if not isinstance(entry, Mapping):
            continue
        address = str(entry.get("address", "unknown.resource"))
        actions = tuple((entry.get("change") or {}).get("actions") or ["create"])
        if actions in (("no-op",), ("read",)):
            continue
        res = by_address.get(address) or Resource(
            address, str(entry.get("type", "null_resource")), (), 20, 2, id_prefix="id"
        )
        changes.append(Change(res, actions))
    return changes


def plan_script(ctx: JobContext, rng: random.Random) -> Script:
    """A PLAN that succeeds: init, refresh, plan, a warning, costs, the uploaded plan file."""
    w = _Writer(rng, palette(ctx.ansi))
    project, stage, _region = _names(ctx.config)
    changes = choose_changes(stack_resources(f"{project}-{stage}", _node_groups(ctx.config)), rng)
    _init(w, ctx)
    w.system(running("tofu plan"))
    _plan_output(w, changes, 30)
    w.out(
        DEPRECATION.render(w.p) + saved_plan("tfplan"),
        metadata={
            "phase": "plan",
            "progress": 70,
            "plan_completed": True,
            "plan_result": {
                "format_version": "1.2",
                "terraform_version": "1.9.8",
                "resource_changes": [c.as_json() for c in changes],
            },
        },
    )
    w.system(ESTIMATING_COSTS, metadata={"phase": "cost_estimation", "progress": 80})
    w.err(PROGRESS)
    w.out(
        cost_table(f"{project}/{stage}", changes, w.p),
        metadata={
            "cost_breakdown": cost_breakdown(f"{project}/{stage}", changes),
            "cost_summary": cost_summary(changes),
            "progress": 90,
        },
    )
    w.system(UPLOADING_PLAN)
    key = f"plans/{project}/{stage}/{ctx.job_id}.tfplan"
    return w.finish(
        JobStatus.SUCCESS, metadata={"phase": "completed", "progress": 100, "plan_file_key": key}
    )


def _deploy_changes(ctx: JobContext, rng: random.Random) -> list[Change]:
    project, stage, _region = _names(ctx.config)
    resources = stack_resources(f"{project}-{stage}", _node_groups(ctx.config))
    if ctx.fate == "long":
        return [Change(r, CREATE) for r in resources + web_instances(16)]
    if ctx.fate != "fail" and not ctx.plan_metadata:
        return [Change(r, CREATE) for r in resources]
    from_plan = _changes_from_plan(ctx, resources)
    return from_plan or choose_changes(resources, rng)


def deploy_script(ctx: JobContext, rng: random.Random) -> Script:
    """A DEPLOY: apply progress, then outputs (success) or an EKS node group error (fail)."""
    p = palette(ctx.ansi)
    w = _Writer(rng, p, 0.8, 2.0) if ctx.fate == "long" else _Writer(rng, p)
    project, stage, region = _names(ctx.config)
    cluster = f"{project}-{stage}"
    changes = _deploy_changes(ctx, rng)
    _init(w, ctx)
    if ctx.plan_job_id:
        w.system(DOWNLOADING_PLAN)
        w.system(running("tofu apply"), delay=0.6)
    else:  # no saved plan: `tofu apply -auto-approve` plans first and prints it
        w.system(running("tofu apply"))
        _plan_output(w, changes, 15)
    groups = [c.resource.address for c in changes if c.resource.type == "aws_eks_node_group"]
    fail_at = groups[0] if ctx.fate == "fail" and groups else None
    scale = DEMO_TIME * (3 if ctx.fate == "long" else 1)
    sim = ApplySimulation(
        changes,
        rng,
        step=DEMO_STEP,
        fail_address=fail_at,
        fail_after=int(rng.uniform(170, 260) * scale),
        palette=p,
        time_scale=scale,
    )
    failed: str | None = None
    wait = 0.0  # (a flush with nothing to say is time all the same)
    for tick in sim.ticks():
        progress = 30 + int(60 * tick.done / max(tick.total, 1))
        wait += sim.step
        if tick.lines:
            meta = {"phase": "apply", "progress": progress}
            w.out("\n".join(tick.lines) + "\n", metadata=meta, delay=wait)
            wait = 0.0
        failed = tick.failed
    if failed:
        diagnostic, message = node_group_error(cluster, region, failed)
        w.err(diagnostic.render(p), metadata={"phase": "apply", "failed_resource": failed})
        return w.finish(JobStatus.FAILED, message)
    add, change, destroy = summary_counts(changes)
    done = f"Apply complete! Resources: {add} added, {change} changed, {destroy} destroyed."
    w.out(DEPRECATION.render(p) + f"\n{p.paint(p.green, p.b(done))}\n")
    outputs, meta = outputs_block(cluster, region, stage, project, rng, p)
    w.out(outputs, metadata={"phase": "outputs", "progress": 95})
    return w.finish(JobStatus.SUCCESS, metadata={"phase": "completed", "progress": 100, **meta})


def destroy_script(ctx: JobContext, rng: random.Random) -> Script:
    """A DESTROY of the whole stack."""
    p = palette(ctx.ansi)
    w = _Writer(rng, p)
    project, stage, _region = _names(ctx.config)
    resources = stack_resources(f"{project}-{stage}", _node_groups(ctx.config))
    changes = [Change(r, DELETE) for r in reversed(resources)]
    _init(w, ctx)
    w.system(running("tofu destroy"))
    sim = ApplySimulation(changes, rng, step=DEMO_STEP, palette=p, time_scale=DEMO_TIME)
    wait = 0.0
    for tick in sim.ticks():
        wait += sim.step
        if tick.lines:
            w.out("\n".join(tick.lines) + "\n", metadata={"phase": "destroy"}, delay=wait)
            wait = 0.0
    done = f"Destroy complete! Resources: {len(changes)} destroyed."
    w.out(f"\n{p.paint(p.green, p.b(done))}\n")
    return w.finish(JobStatus.SUCCESS, metadata={"phase": "completed", "progress": 100})


def discovery_script(ctx: JobContext, rng: random.Random) -> Script:
    """CONNECTION_TEST and FETCH_RESOURCES: check the account, list what is there."""
    w = _Writer(rng, palette(ctx.ansi))
    _project, stage, region = _names(ctx.config)
    _claimed(w, ctx)
    w.out(
        f"Caller identity: arn:aws:sts::{ACCOUNT_ID}:assumed-role/"
        f"trellis-deployer-{stage}/tendril\n"
        "Checking permissions: ec2:Describe* ok, eks:* ok, iam:PassRole ok, s3:* ok\n"
    )
    cached = {
        "region": region,
        "vpcs": [{"id": f"vpc-{rng.getrandbits(68):017x}", "cidr": "10.40.0.0/16"}],
        "eks_clusters": [f"acme-platform-{stage}"],
        "instance_types": ["m6i.large", "m6a.large", "t3.micro"],
    }
    w.out(
        f"Found {len(cached['vpcs'])} VPC, {len(cached['eks_clusters'])} EKS cluster.\n",
        metadata={"cached_resources": cached},
    )
    return w.finish(JobStatus.SUCCESS)


def worker_script(ctx: JobContext, rng: random.Random) -> Script:
    """DEPLOY_WORKER and friends, and any job type this demo does not know."""
    w = _Writer(rng, palette(ctx.ansi))
    _claimed(w, ctx)
    w.system(running(f"{ctx.job_type.lower()} for this account"))
    w.out("Rendering Tendril manifests…\nApplying Helm release tendril (chart 0.14.2)…\n")
    w.out("Release tendril is ready; it will register within a minute.\n")
    return w.finish(JobStatus.SUCCESS, metadata={"phase": "completed", "progress": 100})


def build_script(ctx: JobContext, rng: random.Random) -> Script:
    """The script for any job."""
    state = rng.getstate()  # to build the same run again in colour (Script.coloured)
    if ctx.job_type == JobType.PLAN:
        script = plan_script(ctx, rng)
    elif ctx.job_type == JobType.DEPLOY:
        script = deploy_script(ctx, rng)
    elif ctx.job_type == JobType.DESTROY:
        script = destroy_script(ctx, rng)
    elif ctx.job_type in (JobType.CONNECTION_TEST, JobType.FETCH_RESOURCES):
        script = discovery_script(ctx, rng)
    else:
        script = worker_script(ctx, rng)
    return replace(script, context=ctx, rng_state=state)
