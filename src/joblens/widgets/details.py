"""The collapsible panels under the logs: Job Details, Config Snapshot, Execution Metadata
(and, for a PLAN, Plan: ``widgets/plan.py``; for every job, Errors: ``widgets/error_digest.py``).

Bodies are built on first expand (Textual mounts a Collapsible's children even while collapsed)
and rebuilt only when their data changed. Secrets are masked, and every key and value made
safe (:func:`joblens.sanitize.display_text`), before anything is rendered.

A JSON body takes one of three forms. Plain values (the model keeps JSON as plain values when
it is small and shallow, or when it arrived parsed; see :func:`joblens.json_doc.json_field`)
of at most 12,000 members and 256 KB of strings are printed: up to 400 lines as coloured text
(a ``Static``), up to 15,000 in a read-only ``TextArea``. Everything else, a
:class:`~joblens.json_doc.JsonDoc` (the Supabase backend's large or deep JSON) or a larger
value, is a :class:`~joblens.widgets.json_tree.JsonTree` that reads the document only as it
is opened. Bodies are made in a worker thread, so opening a panel never blocks keys for the
time it takes to mask and print; a ``TextArea`` still lays out every line on the event loop
when it is mounted (about 40 ms per 10,000 lines), which is why it stops at 15,000 (the old
panel printed anything into one: 9 s and 464 MB for 10 MB).
"""

from __future__ import annotations

import json
from typing import Any

from rich.highlighter import JSONHighlighter
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Collapsible, Static, TextArea

from joblens.display import format_time, type_label
from joblens.json_doc import JsonDoc
from joblens.json_values import ValueDoc, too_big_to_print
from joblens.models import Job, JobType
from joblens.sanitize import display_text, plain_text
from joblens.secrets import mask_secrets, mask_text
from joblens.widgets.error_digest import ErrorsPanel
from joblens.widgets.json_rows import NEWLINE_MARK, escape_unsafe
from joblens.widgets.json_tree import JsonTree
from joblens.widgets.plan import PlanPanel
from joblens.widgets.resources import ResourcesPanel

#: Above this many lines a JSON body is shown in a virtualised TextArea, not a Static.
LARGE_JSON_LINES = 400
#: Above this many lines, in the lazy tree: a TextArea lays out every line when mounted.
TEXT_AREA_MAX_LINES = 15_000
#: A plain value with more members than this (in all), or more characters in its strings, is
#: not printed: it goes to the tree.
TEXT_MAX_MEMBERS = 12_000
TEXT_MAX_CHARACTERS = 256 * 1024


def _displayed(data: Any) -> Any:
    """A copy of plain JSON data with every string key and value as one safe display line.

    Walks with its own stack (any depth); strings that need no change are shared.
    """

    def clean(value: Any) -> Any:
        return display_text(value, NEWLINE_MARK) if isinstance(value, str) else value

    if not isinstance(data, dict | list):
        return clean(data)
    root: Any = {} if isinstance(data, dict) else []
    stack: list[tuple[Any, Any]] = [(data, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            copy: Any = value
            if isinstance(value, dict | list):
                copy = {} if isinstance(value, dict) else []
                stack.append((value, copy))
            else:
                copy = clean(value)
            if isinstance(target, dict):
                target[clean(key)] = copy
            else:
                target.append(copy)
    return root


def safe_json(data: Any) -> str:
    """Pretty JSON of untrusted data: keys and values made safe, every control escaped."""
    text = json.dumps(_displayed(data), indent=2, ensure_ascii=False, default=str)
    return escape_unsafe(text)


def _plain(value: object) -> Text:
    """Untrusted text, sanitised and shown literally (never as markup)."""
    return Text(plain_text(str(value)))


def job_details_table(job: Job) -> Table:
    """The Job Details panel: every identifier and timestamp of the job."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")

    def row(label: str, value: object | None) -> None:
        table.add_row(label, _plain(value) if value not in (None, "") else Text("—", style="dim"))

    def named(name: str | None, ident: str | None) -> str | None:
        if ident is None:
            return None
        return f"{name}  ({ident})" if name else ident

    row("ID", job.id)
    row("Type", f"{type_label(job.job_type)} ({job.job_type})")
    row("Status", job.status)
    row("Error", mask_text(plain_text(job.error_message or "")))  # secrets in it masked
    row("Tendril requested", named(job.assigned_worker_name, job.assigned_worker_id) or "any")
    row("Tendril running", named(job.worker_name, job.worker_id))
    vine = " · ".join(p for p in (job.vine_name, job.vine_stage, job.vine_region) if p) or None
    row("Vine", named(vine, job.vine_id))
    row("Vineyard", named(job.vineyard_name, job.vineyard_id))
    row("Cloud identity", named(job.cloud_identity_label, job.cloud_identity_id))
    row("Plan job", job.plan_job_id)
    row("Config hash", job.configuration_hash)
    row("Created", format_time(job.created_at))
    row("Claimed", format_time(job.claimed_at) if job.claimed_at else None)
    row("Started", format_time(job.started_at) if job.started_at else None)
    row("Completed", format_time(job.completed_at) if job.completed_at else None)
    row("Updated", format_time(job.updated_at) if job.updated_at else None)
    return table


def _same(a: Any, b: Any) -> bool:
    """Whether a body showing ``a`` already shows ``b`` (a document is compared by its text)."""
    if isinstance(a, JsonDoc) or isinstance(b, JsonDoc):
        return type(a) is type(b) and bool(a == b)
    try:
        return a is b or bool(a == b)
    except RecursionError:
        return False


def json_body(data: Any) -> Widget:
    """The widget that shows ``data`` (plain JSON values or a JsonDoc); secrets masked.

    Slow for large values (masking and printing ~50 ms per 256 KB, a TextArea ~30 ms per
    1,000 lines): called in a worker thread. A value of more than TEXT_MAX_MEMBERS members or
    TEXT_MAX_CHARACTERS characters of strings, or whose text would not fit a TextArea, goes
    to the tree as it is (a ValueDoc: read in place, never printed).
    """
    if data is None or (not isinstance(data, JsonDoc) and data == {}):
        return Static(Text("(empty)", style="dim"), classes="json-body")
    if isinstance(data, JsonDoc):
        return JsonTree(data, classes="json-body -tree")
    if too_big_to_print(data, TEXT_MAX_MEMBERS, TEXT_MAX_CHARACTERS):
        return JsonTree(ValueDoc(data), classes="json-body -tree")
    text = safe_json(mask_secrets(data))
    lines = text.count("\n")
    if lines <= LARGE_JSON_LINES:
        return Static(JSONHighlighter()(Text(text)), classes="json-body")
    if lines <= TEXT_AREA_MAX_LINES:
        return TextArea(text, read_only=True, soft_wrap=False, classes="json-body -large")
    return JsonTree(ValueDoc(data), classes="json-body -tree")


class JsonPanel(Collapsible):
    """A collapsible JSON body with secrets masked, built on first expand, off the event loop."""

    class _Body(Message):
        def __init__(self, build: int, body: Widget) -> None:
            super().__init__()
            self.build, self.body = build, body

    def __init__(self, title: str, data: Any, **kwargs: Any) -> None:
        super().__init__(title=title, collapsed=True, **kwargs)
        self._data = data
        self._shown: Any = object()  # what the body currently shows (or is being built for)
        self._builds = 0

    def set_data(self, data: Any) -> None:
        self._data = data
        if not self.collapsed:
            self._build()

    def watch_collapsed(self, collapsed: bool) -> None:
        if not collapsed:
            self._build()

    def _build(self) -> None:
        if _same(self._shown, self._data):
            return
        self._shown = data = self._data
        self._builds += 1
        build = self._builds
        small = not isinstance(data, dict | list) or not too_big_to_print(data, 400, 32_768)
        if isinstance(data, JsonDoc) or small:
            self._show(build, json_body(data))  # little or nothing to print: at once
            return

        def make() -> None:
            try:
                body = json_body(data)
            except Exception as error:  # shown in the panel, never raised
                body = Static(Text(f"(could not show this JSON: {error})", style="dim"))
            self.post_message(self._Body(build, body))

        self.run_worker(make, thread=True, exit_on_error=False, group=f"body-{self.id}")

    def _on_json_panel__body(self, message: _Body) -> None:
        self._show(message.build, message.body)

    def _show(self, build: int, body: Widget) -> None:
        if build != self._builds:
            return  # the data changed again while this was being made
        contents = self.query_one(Collapsible.Contents)
        contents.remove_children()
        contents.mount(body)


class DetailsPanels(Widget):
    """The collapsible sections below the logs: for a PLAN, Plan (``widgets.plan``), for
    another job Resources (``widgets.resources``); Errors (``widgets.error_digest``); then the
    web page's three."""

    def __init__(self, job: Job, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = job

    def compose(self) -> ComposeResult:
        # Not focusable itself: Tab goes to the panels' titles and bodies, which show their
        # focus; the container's own showed nothing (the first Tab seemed lost).
        with VerticalScroll(id="details-scroll", can_focus=False):
            if self.job.job_type == JobType.PLAN:
                yield PlanPanel(id="plan")  # what the plan does (joblens.plan_digest)
            else:  # what an apply does (joblens.resources); hidden until a resource is seen
                applies = self.job.job_type in (JobType.DEPLOY, JobType.DESTROY)
                yield ResourcesPanel(shown=applies, id="resources")
            yield ErrorsPanel(id="errors")  # every diagnostic in the log (its title counts them)
            with Collapsible(title="Job Details", collapsed=True, id="job-details"):
                yield Static(job_details_table(self.job), id="job-details-body")
            yield JsonPanel("Config Snapshot", self.job.config_snapshot, id="config-snapshot")
            yield JsonPanel(
                "Execution Metadata", self.job.execution_metadata, id="execution-metadata"
            )

    def update_job(self, job: Job) -> None:
        if job == self.job:
            return  # a full refresh with nothing new: the panels stay as they are
        self.job = job
        self.query_one("#job-details-body", Static).update(job_details_table(job))
        self.query_one("#config-snapshot", JsonPanel).set_data(job.config_snapshot)
        self.query_one("#execution-metadata", JsonPanel).set_data(job.execution_metadata)
