"""What a simulated Tendril writes for a job: timed flushes of output and metadata, and an end.

A :class:`Script` is built up front from the job's type, its fate (succeed, fail, run long),
its configuration and, for a DEPLOY, its PLAN's metadata; the Tendril only plays it back. Delays
are simulated seconds at speed 1.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from joblens.backends.demo_apply import ApplySimulation
from joblens.backends.demo_costs import cost_breakdown, cost_summary, cost_table
from joblens.backends.demo_terraform import (
    BOLD,
    CREATE,
    DELETE,
    DEPRECATION_WARNING,
    GREEN,
    RESET,
    Change,
    Resource,
    choose_changes,
    error_block,
    init_chunks,
    plan_chunks,
    refresh_chunks,
    stack_resources,
    summary_counts,
    web_instances,
)
from joblens.models import JobStatus, JobType, StreamType

#: How a job's run goes: "cancel-ignored" and "requeued" succeed, after a twist the Tendril adds.
Fate = Literal["success", "fail", "long", "cancel-ignored", "requeued"]

ACCOUNT_ID = "492837465012"


@dataclass(frozen=True, slots=True)
class Flush:
    """Wait ``delay``, then write ``chunks`` (text, stream) and merge ``metadata``."""

    delay: float
    chunks: tuple[tuple[str, StreamType], ...] = ()
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Script:
    """A job's whole run, and how it ends."""

    flushes: tuple[Flush, ...]
    status: JobStatus
    error_message: str | None = None
    #: Like some real Tendrils, keep running (and write PROCESSING back) after a cancel.
    ignores_cancel: bool = False
    #: The Tendril dies before this flush; the platform puts the job back in the queue.
    crash_before: int | None = None


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a script depends on."""

    job_id: str
    job_type: str
    fate: Fate
    config: Mapping[str, Any]
    plan_job_id: str | None = None
    plan_metadata: Mapping[str, Any] | None = None


@dataclass(slots=True)
class _Writer:
    rng: random.Random
    low: float = 0.5
    high: float = 2.0
    flushes: list[Flush] = field(default_factory=list)

    def write(
        self,
        *chunks: tuple[str, StreamType],
        metadata: Mapping[str, Any] | None = None,
        delay: float | None = None,
    ) -> None:
        wait = self.rng.uniform(self.low, self.high) if delay is None else delay
        self.flushes.append(Flush(wait, tuple(chunks), metadata))

    def out(self, text: str, **kw: Any) -> None:
        self.write((text, StreamType.STDOUT), **kw)

    def err(self, text: str, **kw: Any) -> None:
        self.write((text, StreamType.STDERR), **kw)

    def system(self, text: str, **kw: Any) -> None:
        self.write((text, StreamType.SYSTEM), **kw)


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


def _preamble(w: _Writer, ctx: JobContext, command: str) -> None:
    project, stage, region = _names(ctx.config)
    w.system(
        f"Assuming IAM role arn:aws:iam::{ACCOUNT_ID}:role/trellis-deployer-{stage} "
        f"in {region}…\nAssumed role; session expires in 60 minutes.\n",
        metadata={"phase": "init", "progress": 5},
        delay=0.8,
    )
    w.system(
        f"Workspace ready: {project}/{stage} (terraform "
        f"{_section(ctx.config, 'vine').get('terraform_version', '1.9.8')}). "
        f"Running terraform {command}.\n"
    )
    for i, chunk in enumerate(init_chunks(f"{project}/{stage}/terraform.tfstate", "1.9.8")):
        w.out(chunk, metadata={"progress": 10 + 5 * i})


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
    w = _Writer(rng)
    project, stage, _region = _names(ctx.config)
    changes = choose_changes(stack_resources(f"{project}-{stage}", _node_groups(ctx.config)), rng)
    _preamble(w, ctx, "plan")
    for chunk in refresh_chunks(changes, rng):
        w.out(chunk, metadata={"phase": "refresh", "progress": 30})
    chunks = plan_chunks(changes)
    for chunk in chunks[:-1]:
        w.out(chunk, metadata={"phase": "plan", "progress": 50})
    w.out(
        chunks[-1],
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
    w.err(DEPRECATION_WARNING)
    w.system(
        "Estimating costs (Infracost v0.10.39)…\n",
        metadata={"phase": "cost_estimation", "progress": 80},
    )
    w.out(
        cost_table(f"{project}/{stage}", changes),
        metadata={
            "cost_breakdown": cost_breakdown(f"{project}/{stage}", changes),
            "cost_summary": cost_summary(changes),
            "progress": 90,
        },
    )
    key = f"plans/{project}/{stage}/{ctx.job_id}.tfplan"
    w.system(f"Uploading plan file to s3://trellis-plans-{ACCOUNT_ID}/{key}…\n")
    w.system(
        "Plan file uploaded (148 KB). Review the plan, then Apply it on a Tendril.\n",
        metadata={"phase": "completed", "progress": 100, "plan_file_key": key},
    )
    return Script(tuple(w.flushes), JobStatus.SUCCESS)


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
    w = _Writer(rng, 0.8, 2.0) if ctx.fate == "long" else _Writer(rng)
    project, stage, region = _names(ctx.config)
    cluster = f"{project}-{stage}"
    changes = _deploy_changes(ctx, rng)
    _preamble(w, ctx, "apply")
    if ctx.plan_job_id:
        w.system(
            f"Downloading plan file plans/{project}/{stage}/{ctx.plan_job_id}.tfplan; "
            "configuration hash matches the PLAN.\n"
        )
    groups = [c.resource.address for c in changes if c.resource.type == "aws_eks_node_group"]
    fail_at = groups[0] if ctx.fate == "fail" and groups else None
    sim = ApplySimulation(
        changes,
        rng,
        step=10 if ctx.fate == "long" else 30,
        fail_address=fail_at,
        fail_after=int(rng.uniform(170, 260)),
    )
    warned = False
    failed: str | None = None
    for tick in sim.ticks():
        progress = 20 + int(70 * tick.done / max(tick.total, 1))
        if tick.lines:
            w.out("\n".join(tick.lines) + "\n", metadata={"phase": "apply", "progress": progress})
        if not warned and tick.done * 3 >= tick.total:
            w.err(DEPRECATION_WARNING)
            warned = True
        failed = tick.failed
    if failed:
        group = failed.split('"')[1] if '"' in failed else "general"
        summary = f"creating EKS Node Group ({cluster}:{group}): waiting for completion"
        detail = (
            "unexpected state 'CREATE_FAILED', wanted target 'ACTIVE'. last error: "
            f"eks-{group}-4cc9a1e2: AsgInstanceLaunchFailures: Could not launch On-Demand "
            "Instances. InsufficientInstanceCapacity - We currently do not have sufficient "
            f"m6i.large capacity in the Availability Zone you requested ({region}c)."
        )
        w.err(
            error_block(
                summary,
                detail,
                f"with {failed},\non modules/eks/nodes.tf line 3, in resource "
                '"aws_eks_node_group" "this":',
            ),
            metadata={"phase": "apply", "failed_resource": failed},
        )
        w.system("terraform apply exited with status 1. Releasing the state lock.\n")
        return Script(tuple(w.flushes), JobStatus.FAILED, f"Error: {summary}: {detail}")
    add, change, destroy = summary_counts(changes)
    w.out(
        f"\n{BOLD}{GREEN}Apply complete! Resources: {add} added, {change} changed, "
        f"{destroy} destroyed.{RESET}\n"
    )
    outputs, meta = _outputs(cluster, region, stage, project, rng)
    w.out(outputs, metadata={"phase": "outputs", "progress": 95})
    w.system("Checking the Argo CD rollout…\n")
    # kubectl redraws its progress line with a bare CR: the log keeps every redraw.
    w.out(
        'Waiting for deployment "argocd-server" rollout to finish: 0 of 2 updated replicas '
        'are available...\rWaiting for deployment "argocd-server" rollout to finish: 1 of 2 '
        'updated replicas are available...\rdeployment "argocd-server" successfully rolled out\n'
    )
    w.system(
        f"Registered cluster {cluster} with the platform; Argo CD is at {meta['argocd_url']}.\n",
        metadata={"phase": "completed", "progress": 100, **meta},
    )
    return Script(tuple(w.flushes), JobStatus.SUCCESS)


def _outputs(
    cluster: str, region: str, stage: str, project: str, rng: random.Random
) -> tuple[str, dict[str, Any]]:
    """The ``Outputs:`` block and the DEPLOY metadata (one output sensitive)."""
    endpoint = f"https://{rng.getrandbits(128):032X}.gr7.{region}.eks.amazonaws.com"
    argocd = f"https://argocd.{stage}.{project}.example.com"
    password = "".join(
        rng.choice("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(16)
    )
    vpc = f"vpc-{rng.getrandbits(68):017x}"
    text = (
        f"\n{GREEN}Outputs:{RESET}\n\n"
        "argocd_admin_password = <sensitive>\n"
        f'argocd_url = "{argocd}"\n'
        f'cluster_endpoint = "{endpoint}"\n'
        f'cluster_name = "{cluster}"\n'
        'node_group_names = [\n  "general",\n  "spot",\n]\n'
        f'vpc_id = "{vpc}"\n'
    )
    meta: dict[str, Any] = {
        "cluster_name": cluster,
        "cluster_endpoint": endpoint,
        "argocd_url": argocd,
        "argocd_admin_password": password,
        "outputs": {
            "argocd_admin_password": {"value": password, "sensitive": True, "type": "string"},
            "argocd_url": argocd,
            "cluster_endpoint": endpoint,
            "cluster_name": cluster,
            "node_group_names": {
                "value": ["general", "spot"],
                "sensitive": False,
                "type": ["list", "string"],
            },
            "vpc_id": vpc,
        },
    }
    return text, meta


def destroy_script(ctx: JobContext, rng: random.Random) -> Script:
    """A DESTROY of the whole stack."""
    w = _Writer(rng)
    project, stage, _region = _names(ctx.config)
    resources = stack_resources(f"{project}-{stage}", _node_groups(ctx.config))
    changes = [Change(r, DELETE) for r in reversed(resources)]
    _preamble(w, ctx, "destroy")
    for tick in ApplySimulation(changes, rng, step=30).ticks():
        if tick.lines:
            w.out("\n".join(tick.lines) + "\n", metadata={"phase": "destroy"})
    w.out(
        f"\n{BOLD}{GREEN}Destroy complete! Resources: {len(changes)} destroyed.{RESET}\n",
        metadata={"phase": "completed", "progress": 100},
    )
    return Script(tuple(w.flushes), JobStatus.SUCCESS)


def discovery_script(ctx: JobContext, rng: random.Random) -> Script:
    """CONNECTION_TEST and FETCH_RESOURCES: check the account, list what is there."""
    w = _Writer(rng)
    _project, stage, region = _names(ctx.config)
    w.system(f"Assuming IAM role arn:aws:iam::{ACCOUNT_ID}:role/trellis-deployer-{stage}…\n")
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
    return Script(tuple(w.flushes), JobStatus.SUCCESS)


def worker_script(ctx: JobContext, rng: random.Random) -> Script:
    """DEPLOY_WORKER and friends, and any job type this demo does not know."""
    w = _Writer(rng)
    w.system(f"Running {ctx.job_type} for this account…\n")
    w.out("Rendering Tendril manifests…\nApplying Helm release tendril (chart 0.14.2)…\n")
    w.out(
        "Release tendril is ready; it will register within a minute.\n",
        metadata={"phase": "completed", "progress": 100},
    )
    return Script(tuple(w.flushes), JobStatus.SUCCESS)


def build_script(ctx: JobContext, rng: random.Random) -> Script:
    """The script for any job."""
    if ctx.job_type == JobType.PLAN:
        return plan_script(ctx, rng)
    if ctx.job_type == JobType.DEPLOY:
        return deploy_script(ctx, rng)
    if ctx.job_type == JobType.DESTROY:
        return destroy_script(ctx, rng)
    if ctx.job_type in (JobType.CONNECTION_TEST, JobType.FETCH_RESOURCES):
        return discovery_script(ctx, rng)
    return worker_script(ctx, rng)
