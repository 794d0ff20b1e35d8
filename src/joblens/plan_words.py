"""How a plan digest reads in words: the same sentences on screen and in ``joblens summary``.

Pure (no Textual): the Plan panel (:mod:`joblens.widgets.plan`) styles these words, the summary
prints them as they are. The figures are :class:`joblens.plan_digest.PlanSummary`'s.
"""

from __future__ import annotations

from joblens.plan_digest import CREATE_FIRST, Action, PlanCost, PlanCounts, PlannedResource
from joblens.plan_digest import format_money as format_money

__all__ = ["ACTION_HEADINGS", "cost_words", "counts_sentence", "format_money", "replace_how"]

#: The heading of each action's list of resources.
ACTION_HEADINGS: dict[Action, str] = {
    Action.DELETE: "To destroy",
    Action.REPLACE: "To replace",
    Action.UPDATE: "To change in place",
    Action.CREATE: "To add",
    Action.IMPORT: "To import",
    Action.FORGET: "To forget (removed from the state, not destroyed)",
}


def counts_sentence(counts: PlanCounts) -> str:
    """``9 to add, 1 to change, 2 to destroy (1 replaced)``, as Terraform says it."""
    if counts.changes_nothing:
        return "no changes"
    parts = [f"{counts.add} to add", f"{counts.change} to change", f"{counts.destroy} to destroy"]
    if counts.imported:
        parts.insert(0, f"{counts.imported} to import")
    if counts.forget:
        parts.append(f"{counts.forget} to forget")
    text = ", ".join(parts)
    if counts.replace:
        text += f" ({counts.replace} replaced: destroyed and created again)"
    return text


def cost_words(cost: PlanCost | None) -> tuple[str, str]:
    """The monthly cost and its change as shown: ``("$520.91/mo", "+$504.12")``; a change
    alone is per month (``("", "+$4.10/mo")``); ``("", "")`` when nothing is known."""
    if cost is None:
        return "", ""
    monthly = "" if cost.monthly is None else f"{format_money(cost.monthly, cost.currency)}/mo"
    change = ""
    if cost.change is not None:
        change = format_money(cost.change, cost.currency, signed=True)
        if not monthly:
            change += "/mo"
    return monthly, change


def replace_how(resource: PlannedResource) -> str | None:
    """How a replacement goes, in words (None for other actions, or when not known)."""
    if resource.action is not Action.REPLACE or resource.replace_order is None:
        return None
    if resource.replace_order == CREATE_FIRST:
        return "create the new one, then destroy the old"
    return "destroy, then create again"
