"""An apply's resource progress on screen: the header's ``N/M resources`` and the Resources panel.

What is shown comes from :class:`joblens.resources.ResourceTracker`. Addresses and ids are
untrusted log text: made one safe line (``sanitize.display_text``) and put in
``rich.text.Text`` as plain text, never read as markup. A failed resource is red, with ✗.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from joblens.resources import Resource, ResourceState
from joblens.sanitize import display_text
from joblens.widgets.lazy_panel import LazyPanel

#: At most this many resources are listed in the panel (the counts say how many in all).
PANEL_MAX_RESOURCES = 2000

#: Each state's mark and its style.
STATE_MARKS: dict[ResourceState, tuple[str, str]] = {
    ResourceState.PENDING: ("·", "dim"),
    ResourceState.RUNNING: ("▶", "bold yellow"),
    ResourceState.DONE: ("✓", "green"),
    ResourceState.FAILED: ("✗", "bold red"),
}
#: The style of each operation, as the Plan panel colours its actions (destroys in red).
OPERATION_STYLE: dict[str, str] = {
    "create": "green",
    "update": "yellow",
    "destroy": "red",
    "replace": "red",
    "read": "cyan",
    "import": "cyan",
}


def progress_figures(text: str | None) -> Text:
    """The header's ``3/12 resources, 1 failed``, the failures in red; empty for None."""
    figures = Text(no_wrap=True, overflow="ellipsis")
    if text is None:
        return figures
    progress, comma, failed = text.partition(", ")
    figures.append(progress, style="bold")
    if comma:
        figures.append(comma)
        figures.append(failed, style="bold red")
    return figures


def _state_counts(resources: Sequence[Resource]) -> str:
    counts = {state: 0 for state in ResourceState}
    for resource in resources:
        counts[resource.state] += 1
    return ", ".join(f"{n} {state}" for state, n in counts.items() if n)


def _row(resource: Resource) -> Text:
    """``✓ create      2s  aws_instance.web  i-0aa11bb2``: the address (of any length) after
    the columns of fixed width, the id last (cut first when the row is too wide)."""
    mark, mark_style = STATE_MARKS[resource.state]
    failed = resource.state is ResourceState.FAILED
    row = Text()
    row.append(mark, style=mark_style)
    row.append(f" {resource.operation:<8}", style=OPERATION_STYLE.get(resource.operation, ""))
    row.append(f"{resource.elapsed or '':>6}  ", style="dim")
    row.append(display_text(resource.address), style="red" if failed else "")
    if resource.ident:
        row.append(f"  {display_text(resource.ident)}", style="dim")
    return row


def resources_body(
    resources: Sequence[Resource],
    progress: str | None,
    *,
    finished: bool = False,
    limit: int = PANEL_MAX_RESOURCES,
) -> Text:
    """The Resources panel: the progress, how many are in each state, then one row per
    resource (state, operation, address, elapsed time, id) in the order the log names them."""
    text = Text()
    if not resources:
        text.append(
            "No resource changes in this job's log."
            if finished
            else "No resources yet: they show here as the apply runs.",
            style="dim",
        )
        return text
    text.append_text(progress_figures(progress))
    text.append(f"  ({_state_counts(resources)})", style="dim")
    for resource in resources[:limit]:
        text.append("\n")
        text.append_text(_row(resource))
    hidden = resources[limit:]
    if hidden:
        text.append(f"\n… and {len(hidden)} more", style="dim")
        failed = sum(1 for r in hidden if r.state is ResourceState.FAILED)
        if failed:
            text.append(f" ({failed} of them failed)", style="bold red")
    return text


class ResourceProgress(Widget):
    """The header's ``N/M resources``, right of the actions, once a resource is seen. (Not a
    Static: the header's rule for its Statics would size it to its text.)"""

    DEFAULT_CSS = """
    ResourceProgress {
        display: none;
        width: 1fr;
        height: 1;
        text-align: right;
    }
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._figures = Text()

    def show(self, text: str | None) -> None:
        """``3/12 resources, 1 failed`` (:meth:`ResourceTracker.progress_text`); None hides it."""
        self.display = text is not None
        self.tooltip = Text("R lists the resources.") if text is not None else None
        figures = progress_figures(text)
        if figures != self._figures:
            self._figures = figures
            self.refresh()  # its width is the row's rest: no layout

    def render(self) -> Text:
        return self._figures


class ResourcesPanel(LazyPanel):
    """The Resources panel: built when it is opened, and again when the resources change while
    open. ``shown``: there from the start (a DEPLOY or DESTROY); else only once a resource is
    seen (another job whose log turns out to apply something)."""

    DEFAULT_CSS = """
    ResourcesPanel.-unseen {
        display: none;
    }
    ResourcesPanel .resources-body {
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(
        self,
        *,
        shown: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        self._body = Static(id="resources-body", classes="resources-body")
        super().__init__(
            self._body,
            title="Resources",
            collapsed=True,
            name=name,
            id=id,
            classes=classes,
            disabled=disabled,
        )
        self._source: Callable[[], Sequence[Resource]] = tuple
        self._version = -1
        self._progress: str | None = None
        self._finished = False
        self.set_class(not shown, "-unseen")  # a class, not display: a short terminal hides
        # every closed panel by CSS too (styles/app.tcss), and its R must still open this one

    @property
    def seen(self) -> bool:
        """The panel is offered (R opens it): a DEPLOY or DESTROY, or a resource was seen."""
        return not self.has_class("-unseen")

    def show(
        self,
        resources: Callable[[], Sequence[Resource]],
        version: int,
        progress: str | None,
        *,
        finished: bool = False,
    ) -> None:
        """Show the resources ``resources()`` gives (asked only while the panel is open: a
        long apply's records are not made for a closed panel); ``version`` changes whenever
        they do (``ResourceTracker.version``)."""
        if (version, progress, finished) == (self._version, self._progress, self._finished):
            return
        self._source, self._version = resources, version
        self._progress, self._finished = progress, finished
        if progress is not None:
            self.remove_class("-unseen")  # (a progress is shown once a resource is seen)
        self.changed()

    def paint(self) -> None:
        resources = self._source()
        self._body.update(resources_body(resources, self._progress, finished=self._finished))
