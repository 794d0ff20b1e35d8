"""The demo's infrastructure: an EKS stack's resources, the changes a plan makes, and colours.

Everything here is pure: given the same inputs and random generator, the same result. The text
OpenTofu prints for it is in ``tofu.py``; :class:`Palette` is here because every writer of
that text (plan, apply, Infracost) takes one. By default it is :data:`PLAIN`: the real runner's
terraform-exec runs every command with ``-no-color``, so real logs hold no escape codes.
:data:`ANSI` renders the same output as OpenTofu does on a terminal, so the colour path of
everything downstream stays exercised.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CREATE = ("create",)
UPDATE = ("update",)
DELETE = ("delete",)
REPLACE = ("delete", "create")


@dataclass(frozen=True, slots=True)
class Palette:
    """The escape codes OpenTofu would write: all empty under ``-no-color`` (the real runner)."""

    bold: str = ""
    red: str = ""
    green: str = ""
    yellow: str = ""
    reset: str = ""

    @property
    def ansi(self) -> bool:
        return bool(self.reset)

    def b(self, text: str) -> str:
        """Bold text (resource addresses, headings)."""
        return f"{self.bold}{text}{self.reset}"

    def paint(self, colour: str, text: str) -> str:
        return f"{colour}{text}{self.reset}"


PLAIN = Palette()
ANSI = Palette("\x1b[1m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[0m")


def palette(ansi: bool) -> Palette:
    return ANSI if ansi else PLAIN


@dataclass(frozen=True, slots=True)
class CostLine:
    """One Infracost cost component: ``EKS cluster  730 hours  $73.00``."""

    name: str
    quantity: str
    unit: str
    monthly: float


@dataclass(frozen=True, slots=True)
class Resource:
    """A managed resource of the demo stack, with what it takes to create and what it costs."""

    address: str
    type: str
    attrs: tuple[tuple[str, str], ...]
    seconds: int  # typical creation time, as Terraform would report it
    wave: int  # dependency depth: a resource starts once every lower wave is done
    costs: tuple[CostLine, ...] = ()
    id_prefix: str = "id"

    @property
    def name(self) -> str:
        return self.address.rsplit(".", 1)[-1].split("[", 1)[0]

    @property
    def monthly(self) -> float:
        return round(sum(c.monthly for c in self.costs), 2)


@dataclass(frozen=True, slots=True)
class Change:
    resource: Resource
    actions: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """The entry of ``terraform show -json``'s ``resource_changes`` for this change."""
        entry: dict[str, Any] = {
            "address": self.resource.address,
            "mode": "managed",
            "type": self.resource.type,
            "name": self.resource.name,
            "provider_name": "registry.terraform.io/hashicorp/"
            + self.resource.type.split("_", 1)[0],
            "change": {"actions": list(self.actions)},
        }
        if self.resource.address.startswith("module."):
            entry["module_address"] = ".".join(self.resource.address.split(".")[:2])
        return entry


def stack_resources(cluster: str, node_groups: Sequence[dict[str, Any]]) -> list[Resource]:
    """The resources of an EKS stack with Argo CD, in dependency order."""
    res = [
        Resource(
            "module.vpc.aws_vpc.this",
            "aws_vpc",
            (("cidr_block", '"10.40.0.0/16"'), ("enable_dns_hostnames", "true")),
            3,
            0,
            id_prefix="vpc",
        ),
        Resource(
            "aws_cloudwatch_log_group.eks",
            "aws_cloudwatch_log_group",
            (("name", f'"/aws/eks/{cluster}/cluster"'), ("retention_in_days", "30")),
            1,
            0,
            (CostLine("Data ingested", "50", "GB", 26.5),),
        ),
        Resource(
            "module.eks.aws_iam_role.cluster",
            "aws_iam_role",
            (("name", f'"{cluster}-cluster"'),),
            2,
            0,
            id_prefix="",
        ),
    ]
    for i, az in enumerate("abc"):
        res.append(
            Resource(
                f"module.vpc.aws_subnet.private[{i}]",
                "aws_subnet",
                (("availability_zone", f'"eu-west-1{az}"'), ("cidr_block", f'"10.40.{i}.0/20"')),
                2,
                1,
                id_prefix="subnet",
            )
        )
    res += [
        Resource(
            "module.vpc.aws_nat_gateway.this[0]",
            "aws_nat_gateway",
            (("connectivity_type", '"public"'),),
            105,
            2,
            (
                CostLine("NAT gateway", "730", "hours", 35.04),
                CostLine("Data processed", "100", "GB", 5.2),
            ),
            "nat",
        ),
        Resource(
            "module.eks.aws_eks_cluster.this",
            "aws_eks_cluster",
            (("name", f'"{cluster}"'), ("version", '"1.30"')),
            560,
            2,
            (CostLine("EKS cluster", "730", "hours", 73.0),),
            "",
        ),
        Resource(
            "module.eks.aws_security_group_rule.node_ingress",
            "aws_security_group_rule",
            (("from_port", "443"), ("to_port", "443"), ("type", '"ingress"')),
            1,
            2,
            id_prefix="sgrule",
        ),
        Resource(
            "module.eks.aws_launch_template.nodes",
            "aws_launch_template",
            (("name_prefix", f'"{cluster}-nodes-"'), ("update_default_version", "true")),
            2,
            2,
            id_prefix="lt",
        ),
    ]
    for group in node_groups:
        name = str(group.get("name", "general"))
        itype = str((group.get("instance_types") or ["m6i.large"])[0])
        size = int(group.get("desired_size", 2))
        res.append(
            Resource(
                f'module.eks.aws_eks_node_group.this["{name}"]',
                "aws_eks_node_group",
                (("instance_types", f'["{itype}"]'), ("node_group_name", f'"{name}"')),
                150,
                3,
                (
                    CostLine(
                        f"Instance usage (Linux/UNIX, on-demand, {itype})",
                        f"{730 * size:,}",
                        "hours",
                        round(0.107 * 730 * size, 2),
                    ),
                    CostLine("Storage (gp3)", f"{20 * size}", "GB", round(1.76 * size, 2)),
                ),
                "",
            )
        )
    res += [
        Resource(
            "helm_release.argocd",
            "helm_release",
            (("chart", '"argo-cd"'), ("namespace", '"argocd"'), ("version", '"7.6.12"')),
            75,
            4,
            id_prefix="",
        ),
        Resource(
            "aws_instance.bastion",
            "aws_instance",
            (("ami", '"ami-0d64bb532e0502c46"'), ("instance_type", '"t3.micro"')),
            32,
            2,
            (CostLine("Instance usage (Linux/UNIX, on-demand, t3.micro)", "730", "hours", 8.32),),
            "i",
        ),
    ]
    return res


def web_instances(count: int) -> list[Resource]:
    """A fleet of instances, for the long-running DEPLOY."""
    return [
        Resource(
            f"aws_instance.web[{i}]",
            "aws_instance",
            (("instance_type", '"m6i.xlarge"'), ("monitoring", "true")),
            180 + 20 * (i % 5),
            5,
            (CostLine("Instance usage (on-demand, m6i.xlarge)", "730", "hours", 140.16),),
            "i",
        )
        for i in range(count)
    ]


def choose_changes(resources: Sequence[Resource], rng: random.Random) -> list[Change]:
    """A plausible plan over an existing stack: mostly creations, a few updates, one replace."""
    changes: list[Change] = []
    existing = [r for r in resources if r.wave <= 2 and r.type != "aws_eks_cluster"]
    updated = set(rng.sample([r.address for r in existing], k=2))
    replaced = next(r.address for r in resources if r.type == "aws_launch_template")
    for res in resources:
        if res.address == replaced:
            changes.append(Change(res, REPLACE))
        elif res.address in updated:
            changes.append(Change(res, UPDATE))
        else:
            new = res.wave > 2 or res.type in ("aws_eks_cluster", "aws_nat_gateway")
            if new or rng.random() < 0.5:  # some of the base layer exists already
                changes.append(Change(res, CREATE))
    if not any(c.actions == UPDATE for c in changes):
        changes.append(Change(existing[0], UPDATE))
    changes.append(
        Change(
            Resource(
                "aws_instance.legacy_jumpbox",
                "aws_instance",
                (("ami", '"ami-0a8e758f5e873d1c1"'), ("instance_type", '"t2.small"')),
                20,
                0,
                (
                    CostLine(
                        "Instance usage (Linux/UNIX, on-demand, t2.small)", "730", "hours", 16.79
                    ),
                ),
                "i",
            ),
            DELETE,
        )
    )
    return changes


def summary_counts(changes: Sequence[Change]) -> tuple[int, int, int]:
    """(to add, to change, to destroy) as OpenTofu counts them: a replace adds and destroys."""
    add = sum(1 for c in changes if "create" in c.actions)
    change = sum(1 for c in changes if c.actions == UPDATE)
    destroy = sum(1 for c in changes if "delete" in c.actions)
    return add, change, destroy


def plan_summary_line(changes: Sequence[Change], p: Palette = PLAIN) -> str:
    add, change, destroy = summary_counts(changes)
    return f"{p.b('Plan:')} {add} to add, {change} to change, {destroy} to destroy."


def fake_id(prefix: str, rng: random.Random) -> str:
    digits = f"{rng.getrandbits(68):017x}"
    return f"{prefix}-{digits}" if prefix else digits[:12]
