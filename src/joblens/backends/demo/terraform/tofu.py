"""What OpenTofu prints for the demo's stack: init, refresh, the plan, diagnostics, outputs.

Pure functions of their inputs. By default the text is what the real runner stores: commands run
with ``-no-color``, so no escape codes, and diagnostics in their plain form (a blank line, then
``Error: ...``; warnings on STDOUT, errors on STDERR), as OpenTofu's ``format.DiagnosticPlain``
writes them. With the :data:`ANSI` palette the same output is rendered as on a terminal: bold
addresses, green +, yellow ~, red -, and diagnostics boxed with ``╷ │ ╵``.
"""

from __future__ import annotations

import random
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from joblens.backends.demo.terraform.stack import (
    CREATE,
    DELETE,
    PLAIN,
    REPLACE,
    UPDATE,
    Change,
    Palette,
    fake_id,
    plan_summary_line,
)

#: Columns OpenTofu assumes when its output is not a terminal (the runner's pipe).
COLUMNS = 78

_PROVIDERS = (("aws", "5.76.0"), ("helm", "2.16.1"), ("kubernetes", "2.33.0"))


def init_chunks(p: Palette = PLAIN) -> list[str]:
    """``tofu init`` output (modules, providers from the lock file), as two writes."""
    first = (
        f"{p.b('Initializing the backend...')}\n"
        + p.paint(
            p.green,
            '\nSuccessfully configured the backend "s3"! OpenTofu will automatically\n'
            "use this backend unless the backend configuration changes.",
        )
        + f"\n{p.b('Initializing modules...')}\n"
        "- eks in modules/eks\n- vpc in modules/vpc\n"
        f"\n{p.b('Initializing provider plugins...')}\n"
        + "".join(
            f"- Reusing previous version of hashicorp/{name} from the dependency lock file\n"
            for name, _version in _PROVIDERS
        )
    )
    second = (
        "".join(
            f"- Installing hashicorp/{name} v{version}...\n"
            f"- Installed hashicorp/{name} v{version} (signed, key ID 0C0AF313E5FD9F80)\n"
            for name, version in _PROVIDERS
        )
        + "\nProviders are signed by their developers.\n"
        "If you'd like to know more about provider signing, you can read about it here:\n"
        "https://opentofu.org/docs/cli/plugins/signing/\n\n"
        + p.paint(p.green, p.b("OpenTofu has been successfully initialized!"))
        + "\n"
    )
    return [first, second]


def refresh_chunks(changes: Sequence[Change], rng: random.Random, p: Palette = PLAIN) -> list[str]:
    """``Refreshing state...`` for every resource that already exists, four lines a write."""
    lines = [
        p.b(f"{c.resource.address}: Refreshing state... [id={fake_id(c.resource.id_prefix, rng)}]")
        for c in changes
        if c.actions != CREATE
    ]
    lines.insert(0, p.b("data.aws_caller_identity.current: Reading..."))
    lines.insert(
        1, p.b("data.aws_caller_identity.current: Read complete after 0s [id=492837465012]")
    )
    return ["\n".join(lines[i : i + 4]) + "\n" for i in range(0, len(lines), 4)]


def _symbols(p: Palette) -> dict[tuple[str, ...], str]:
    return {
        CREATE: p.paint(p.green, "+"),
        UPDATE: p.paint(p.yellow, "~"),
        DELETE: p.paint(p.red, "-"),
        REPLACE: p.paint(p.red, "-") + "/" + p.paint(p.green, "+"),
    }


def _verbs(p: Palette) -> dict[tuple[str, ...], str]:
    return {
        CREATE: "will be created",
        UPDATE: "will be updated in-place",
        DELETE: f"will be {p.bold}{p.paint(p.red, 'destroyed')}",
        REPLACE: f"must be {p.bold}{p.paint(p.red, 'replaced')}",
    }


def _change_block(change: Change, p: Palette) -> str:
    res = change.resource
    symbol = _symbols(p)
    head = [f"  {p.b('# ' + res.address)} {_verbs(p)[change.actions]}"]
    if change.actions == DELETE:
        head.append(f"  # (because {res.address} is not in configuration)")
    # A 1-character symbol is indented two spaces, "-/+" none: the resource keyword lines up.
    indent = "" if change.actions == REPLACE else "  "
    body = [*head, f'{indent}{symbol[change.actions]} resource "{res.type}" "{res.name}" {{']
    attrs = list(res.attrs)
    if change.actions in (CREATE, REPLACE):
        attrs.append(("id", "(known after apply)"))
    width = max((len(key) for key, _value in attrs), default=0)
    if change.actions == UPDATE:
        # OpenTofu shows what changes and hides the rest of an in-place update.
        body.append(f"      {symbol[UPDATE]} {'tags':<{width}} = {{")
        body.append(f'          {symbol[CREATE]} "CostCenter" = "platform"')
        body.append("        }")
        body.append(f"        # ({len(res.attrs) + 3} unchanged attributes hidden)")
    else:
        mark = symbol[DELETE] if change.actions == DELETE else symbol[CREATE]
        forcing = res.attrs[0][0] if res.attrs else None
        for key, value in sorted(attrs):
            line = f"      {mark} {key:<{width}} = {value}"
            if change.actions == DELETE:
                line += f" {p.paint(p.red, '->')} null"
            elif change.actions == REPLACE and key == forcing:
                line += f" {p.paint(p.red, '# forces replacement')}"
            body.append(line)
    body.append("    }")
    return "\n".join(body) + "\n"


def plan_chunks(changes: Sequence[Change], p: Palette = PLAIN) -> list[str]:
    """The plan: the legend, the change blocks three to a write, then the summary line."""
    symbol = _symbols(p)
    legend = (
        "\nOpenTofu used the selected providers to generate the following execution\n"
        "plan. Resource actions are indicated with the following symbols:\n"
        f"  {symbol[CREATE]} create\n  {symbol[UPDATE]} update in-place\n"
        f"  {symbol[DELETE]} destroy\n{symbol[REPLACE]} destroy and then create replacement\n\n"
        "OpenTofu will perform the following actions:\n\n"
    )
    chunks = [legend]
    blocks = [_change_block(c, p) + "\n" for c in changes]  # a blank line after each
    for i in range(0, len(blocks), 3):
        chunks.append("".join(blocks[i : i + 3]))
    chunks.append(f"{plan_summary_line(changes, p)}\n")
    return chunks


def saved_plan(path: str) -> str:
    """What ``tofu plan -out`` prints after the plan (and its warnings)."""
    return (
        f"\n{'─' * (COLUMNS - 1)}\n\n"
        f"Saved the plan to: {path}\n\n"
        "To perform exactly these actions, run the following command to apply:\n"
        f'    tofu apply "{path}"\n'
    )


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """An OpenTofu diagnostic: warnings go to STDOUT, errors to STDERR."""

    severity: str  # "Error" or "Warning"
    summary: str
    detail: str = ""
    address: str | None = None
    where: str | None = None  # ``modules/eks/nodes.tf line 3, in resource "..." "..."``
    snippet: tuple[int, str] | None = None  # (line number, source line)

    def render(self, p: Palette = PLAIN) -> str:
        """Plain (``-no-color``: a blank line, then ``Error: ...``) or boxed with colour."""
        source = []
        if self.address:
            source.append(f"  with {self.address},")
        if self.where:
            source.append(f"  on {self.where}:")
        if self.snippet:
            number, code = self.snippet
            source.append(f"{number:4d}: {code}")
        if not p.ansi:
            lines = ["", f"{self.severity}: {self.summary}", "", *source]
            if source:
                lines.append("")
            lines += textwrap.wrap(self.detail, COLUMNS - 1, break_on_hyphens=False)
            return "\n".join(lines) + "\n"
        colour = p.red if self.severity == "Error" else p.yellow
        bar = p.paint(colour, "│")
        title = f"{p.bold}{p.paint(colour, self.severity + ': ')}{p.b(self.summary)}"
        inner = [title, "", *source]
        if self.detail:
            inner += ["", *textwrap.wrap(self.detail, COLUMNS - 2, break_on_hyphens=False)]
        boxed = [f"{bar} {line}" if line else bar for line in inner]
        return "\n".join([p.paint(colour, "╷"), *boxed, p.paint(colour, "╵")]) + "\n"


DEPRECATION = Diagnostic(
    "Warning",
    "Argument is deprecated",
    "Use resolve_conflicts_on_create and resolve_conflicts_on_update instead.",
    "module.eks.aws_eks_addon.coredns",
    'modules/eks/addons.tf line 14, in resource "aws_eks_addon" "coredns"',
    (14, '  resolve_conflicts = "OVERWRITE"'),
)


def node_group_error(cluster: str, region: str, failed: str) -> tuple[Diagnostic, str]:
    """The AWS provider's error for a node group that found no capacity, and the job's
    ``error_message``."""
    group = failed.split('"')[1] if '"' in failed else "general"
    summary = f"creating EKS Node Group ({cluster}:{group}): waiting for completion"
    detail = (
        "unexpected state 'CREATE_FAILED', wanted target 'ACTIVE'. last error: "
        f"eks-{group}-4cc9a1e2: AsgInstanceLaunchFailures: Could not launch On-Demand "
        "Instances. InsufficientInstanceCapacity - We currently do not have sufficient "
        f"m6i.large capacity in the Availability Zone you requested ({region}c)."
    )
    diagnostic = Diagnostic(
        "Error",
        summary,
        detail,
        failed,
        'modules/eks/nodes.tf line 3, in resource "aws_eks_node_group" "this"',
        (3, 'resource "aws_eks_node_group" "this" {'),
    )
    return diagnostic, f"Error: {summary}: {detail}"


def outputs_block(
    cluster: str, region: str, stage: str, project: str, rng: random.Random, p: Palette
) -> tuple[str, dict[str, Any]]:
    """The ``Outputs:`` block and the DEPLOY metadata (one output sensitive)."""
    endpoint = f"https://{rng.getrandbits(128):032X}.gr7.{region}.eks.amazonaws.com"
    argocd = f"https://argocd.{stage}.{project}.example.com"
    password = "".join(
        rng.choice("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(16)
    )
    vpc = f"vpc-{rng.getrandbits(68):017x}"
    text = (
        f"\n{p.paint(p.green, 'Outputs:')}\n\n"
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
