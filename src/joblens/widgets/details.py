"""The collapsible panels under the logs: Job Details, Config Snapshot, Execution Metadata.

Bodies are built on first expand (Textual mounts a Collapsible's children even while collapsed)
and rebuilt only when their data changed. Secrets are masked before anything is rendered.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rich.highlighter import JSONHighlighter
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Collapsible, Static, TextArea

from joblens.display import format_time, type_label
from joblens.models import Job
from joblens.sanitize import plain_text
from joblens.secrets import mask_secrets

#: Above this many lines a JSON body is shown in a virtualised TextArea, not a Static.
LARGE_JSON_LINES = 400

# json.dumps escapes C0 controls but not C1 (U+0080-U+009F) or DEL; a terminal may act on those.
_UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def safe_json(data: Any) -> str:
    """Pretty JSON of untrusted data with every control character escaped."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str, sort_keys=False)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


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
    row("Error", job.error_message)
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


class JsonPanel(Collapsible):
    """A collapsible, coloured, pretty JSON body with secrets masked, built on first expand."""

    def __init__(self, title: str, data: Any, **kwargs: Any) -> None:
        super().__init__(title=title, collapsed=True, **kwargs)
        self._data = data
        self._shown: Any = object()  # what the body currently shows

    def set_data(self, data: Any) -> None:
        self._data = data
        if not self.collapsed:
            self._build()

    def watch_collapsed(self, collapsed: bool) -> None:
        if not collapsed:
            self._build()

    def _build(self) -> None:
        if self._data == self._shown:
            return
        self._shown = self._data
        contents = self.query_one(Collapsible.Contents)
        contents.remove_children()
        if self._data is None or self._data == {}:
            contents.mount(Static(Text("(empty)", style="dim"), classes="json-body"))
            return
        text = safe_json(mask_secrets(self._data))
        if text.count("\n") > LARGE_JSON_LINES:
            area = TextArea(text, read_only=True, soft_wrap=False, classes="json-body -large")
            contents.mount(area)
        else:
            contents.mount(Static(JSONHighlighter()(Text(text)), classes="json-body"))


class DetailsPanels(Widget):
    """The three collapsible sections below the logs."""

    def __init__(self, job: Job, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = job

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="details-scroll"):
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
