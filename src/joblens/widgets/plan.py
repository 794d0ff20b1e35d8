"""The plan digest on screen: the header's figures and the Plan panel under the logs.

What is shown comes from :class:`joblens.plan_digest.PlanSummary`. Addresses and module paths
are untrusted text (a log line, or the server's JSON made safe by the digest): they are put
in ``rich.text.Text`` as plain text, never read as markup. Every destroy and replace is red.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from joblens.display import format_time
from joblens.models import Job
from joblens.plan_digest import DESTRUCTIVE, Action, PlannedResource, PlanSummary
from joblens.plan_words import ACTION_HEADINGS as _HEADINGS
from joblens.plan_words import cost_words, counts_sentence, replace_how
from joblens.widgets.lazy_panel import LazyPanel

#: The style of each action, in the header and the panel: destroy and replace in red.
ACTION_STYLE: dict[Action, str] = {
    Action.DELETE: "bold red",
    Action.REPLACE: "bold red",
    Action.UPDATE: "yellow",
    Action.CREATE: "green",
    Action.IMPORT: "cyan",
    Action.FORGET: "magenta",
}
#: At most this many resources are listed in the panel (the counts say how many in all).
PANEL_MAX_RESOURCES = 2000


def cost_text(summary: PlanSummary) -> Text:
    """``$520.91/mo (+$504.12)``, or the part of it that is known; empty if none is."""
    monthly, change = cost_words(summary.cost)  # the words are plan_words's, shared
    text = Text(monthly)
    if change:
        text.append(f" ({change})" if monthly else change, style="dim" if monthly else "")
    return text


def plan_figures(summary: PlanSummary) -> Text:
    """The header's figures: ``+9 ~1 -2 ±1  $520.91/mo (+$504.12)``; empty while nothing is
    known. Destroys and replacements in red; a zero dimmed."""
    text = Text(no_wrap=True, overflow="ellipsis")
    counts = summary.counts
    if counts is not None:
        if counts.changes_nothing:
            text.append("no changes", style="dim")
        else:
            for symbol, value, style in (
                ("+", counts.add, "green"),
                ("~", counts.change, "yellow"),
                ("-", counts.destroy, "bold red"),
                ("±", counts.replace, "bold red"),
            ):
                if text:
                    text.append(" ")
                text.append(f"{symbol}{value}", style=style if value else "dim")
    cost = cost_text(summary)
    if cost:
        if text:
            text.append("  ")
        text.append_text(cost)
    return text


def figures_tooltip(summary: PlanSummary) -> Text | None:
    """What the figures mean, in words (a Text: a str tooltip would be read as markup)."""
    if summary.counts is None and summary.cost is None:
        return None
    lines = []
    if summary.counts is not None:
        lines.append(f"Plan: {counts_sentence(summary.counts)}.")
    cost = cost_text(summary)
    if cost:
        lines.append(f"Monthly cost: {cost.plain}.")
    lines.append("p shows the plan's resources.")
    return Text("\n".join(lines))


def _deploy_line(deploys: Sequence[Job]) -> Text:
    text = Text("Applied by  ", style="bold")
    for i, deploy in enumerate(deploys[:5]):
        if i:
            text.append(" · ")
        text.append(f"DEPLOY #{deploy.short_id} ")
        text.append(str(deploy.status), style="bold")
        text.append(f" {format_time(deploy.created_at)}", style="dim")
    if len(deploys) > 5:
        text.append(f" · and {len(deploys) - 5} more", style="dim")
    text.append("  (o opens the newest)", style="dim")
    return text


def _resource_line(resource: PlannedResource, indent: str) -> Text:
    style = ACTION_STYLE[resource.action]
    text = Text(indent)
    text.append(resource.name, style=style if resource.action in DESTRUCTIVE else "")
    how = replace_how(resource)
    if how is not None:
        text.append(f"  ({how})", style="red")
    return text


def plan_body(
    summary: PlanSummary,
    *,
    finished: bool = False,
    deploys: Sequence[Job] | None = None,
    limit: int = PANEL_MAX_RESOURCES,
) -> Text:
    """The Plan panel: the figures in words, the cost, the DEPLOY jobs that applied the plan,
    then every resource by action (destroys first) and module, destroys and replaces in red."""
    text = Text()
    counts = summary.counts
    if counts is None:
        text.append(
            "No plan found in this job's metadata or log."
            if finished
            else "No plan yet: it shows here as the plan is written.",
            style="dim",
        )
    else:
        text.append("Plan: ", style="bold")
        text.append(counts_sentence(counts))
        where = "the plan's JSON" if summary.source == "metadata" else "the log"
        text.append(f"  (from {where})", style="dim")
    cost = cost_text(summary)
    if cost:
        text.append("\n")
        text.append("Monthly cost  ", style="bold")
        text.append_text(cost)
    if deploys:
        text.append("\n")
        text.append_text(_deploy_line(deploys))
    shown = 0
    for action, modules in summary.by_action():
        if shown >= limit:
            break
        total = sum(len(resources) for _module, resources in modules)
        style = ACTION_STYLE[action]
        text.append("\n\n")
        text.append(
            f"{_HEADINGS[action]} ({total})", style=style if action in DESTRUCTIVE else "bold"
        )
        for module, resources in modules:
            if shown >= limit:
                break
            indent = "  "
            if module:
                text.append("\n  ")
                text.append(module, style="bold dim")
                indent = "    "
            for resource in resources[: limit - shown]:
                text.append("\n")
                text.append_text(_resource_line(resource, indent))
            shown += min(len(resources), limit - shown)
    if shown < len(summary.resources):
        text.append(f"\n\n… and {len(summary.resources) - shown} more", style="dim")
    return text


class PlanPanel(LazyPanel):
    """The Plan panel: built when it is opened, and again when the plan changes while open."""

    def __init__(self, **kwargs: object) -> None:
        self._body = Static(id="plan-body", classes="plan-body")
        super().__init__(self._body, title="Plan", collapsed=True, **kwargs)  # type: ignore[arg-type]
        self._summary = PlanSummary()
        self._finished = False
        self._deploys: Sequence[Job] | None = None

    def show(
        self,
        summary: PlanSummary,
        *,
        finished: bool = False,
        deploys: Sequence[Job] | None = None,
    ) -> None:
        """Show this (the body is made only while the panel is open)."""
        if (summary, finished, deploys) == (self._summary, self._finished, self._deploys):
            return
        self._summary, self._finished, self._deploys = summary, finished, deploys
        self.changed()

    def paint(self) -> None:
        self._body.update(plan_body(self._summary, finished=self._finished, deploys=self._deploys))
