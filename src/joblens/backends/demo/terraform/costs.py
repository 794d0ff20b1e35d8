"""Infracost-like cost estimates for the demo's PLAN: the printed table and the metadata.

The runner runs ``infracost breakdown --no-color`` on the plan: the table goes to STDOUT and
Infracost's own progress to STDERR, which is where a PLAN's STDERR rows come from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from joblens.backends.demo.terraform.stack import DELETE, PLAIN, Change, Palette

HOURS_PER_MONTH = 730


def _money(value: float) -> str:
    return f"{value:.2f}"


def _priced(changes: Sequence[Change]) -> list[Change]:
    """Resources that exist after the apply (a deletion costs nothing afterwards)."""
    return [c for c in changes if c.actions != DELETE]


#: What Infracost writes to STDERR while it prices a plan JSON file.
PROGRESS = (
    "Detected Terraform plan JSON file at tfplan.json\n"
    "  ✔ Extracting only cost-related params from terraform \n"
    "  ✔ Retrieving cloud prices to calculate costs \n"
)


def cost_table(project: str, changes: Sequence[Change], p: Palette = PLAIN) -> str:
    """The ``infracost breakdown`` table, as one write."""
    rows = [
        p.b(f"Project: {project}"),
        "",
        f" {'Name':<58} {'Monthly Qty':>11}  {'Unit':<6} {'Monthly Cost':>12}",
        "",
    ]
    total = 0.0
    for change in _priced(changes):
        res = change.resource
        if not res.costs:
            continue
        rows.append(f" {p.b(res.address)}")
        for i, cost in enumerate(res.costs):
            branch = "└─" if i == len(res.costs) - 1 else "├─"
            label = f" {branch} {cost.name}"
            money = f"${cost.monthly:,.2f}"
            rows.append(f" {label:<58} {cost.quantity:>11}  {cost.unit:<6} {money:>12}")
            total += cost.monthly
        rows.append("")
    money = f"${total:,.2f}"
    total_row = f"{'OVERALL TOTAL':<78} {money:>12}"
    rows.append(f" {p.b(total_row)}")
    free = sum(1 for c in _priced(changes) if not c.resource.costs)
    rows += [
        "",
        "──────────────────────────────────",
        f"{len(_priced(changes))} cloud resources were detected:",
        f"∙ {len(_priced(changes)) - free} were estimated",
        f"∙ {free} were free",
    ]
    return "\n".join(rows) + "\n"


def cost_breakdown(project: str, changes: Sequence[Change]) -> dict[str, Any]:
    """Infracost's JSON (``infracost breakdown --format json``): money values are strings."""
    resources = []
    total = 0.0
    for change in _priced(changes):
        res = change.resource
        monthly = res.monthly
        total += monthly
        resources.append(
            {
                "name": res.address,
                "resourceType": res.type,
                "monthlyCost": _money(monthly) if res.costs else None,
                "hourlyCost": f"{monthly / HOURS_PER_MONTH:.4f}" if res.costs else None,
                "costComponents": [
                    {
                        "name": c.name,
                        "unit": c.unit,
                        "monthlyQuantity": c.quantity.replace(",", ""),
                        "monthlyCost": _money(c.monthly),
                    }
                    for c in res.costs
                ],
            }
        )
    # What the deleted resources cost before, so the diff is not just the total.
    removed = sum(c.resource.monthly for c in changes if c.actions == DELETE)
    past = removed + sum(
        c.resource.monthly for c in changes if c.actions not in (DELETE, ("create",))
    )
    return {
        "version": "0.2",
        "currency": "USD",
        "projects": [
            {
                "name": project,
                "breakdown": {"resources": resources, "totalMonthlyCost": _money(total)},
            }
        ],
        "totalMonthlyCost": _money(total),
        "totalHourlyCost": f"{total / HOURS_PER_MONTH:.4f}",
        "pastTotalMonthlyCost": _money(past),
        "diffTotalMonthlyCost": _money(total - past),
    }


def cost_summary(changes: Sequence[Change]) -> dict[str, Any]:
    """The platform's own summary of the breakdown (numbers, not strings)."""
    priced = _priced(changes)
    total = round(sum(c.resource.monthly for c in priced), 2)
    past = sum(c.resource.monthly for c in changes if c.actions != ("create",))
    with_cost = sum(1 for c in priced if c.resource.costs)
    return {
        "total_monthly": total,
        "total_hourly": round(total / HOURS_PER_MONTH, 4),
        "diff_monthly": round(total - past, 2),
        "resources_with_cost": with_cost,
        "resources_free": len(priced) - with_cost,
        "total_resources": len(priced),
    }
