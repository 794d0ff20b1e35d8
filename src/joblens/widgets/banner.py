"""The banner shown once a job reaches a terminal status."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from joblens.display import duration_phase, format_duration, status_class
from joblens.models import Job, JobStatus
from joblens.sanitize import plain_text
from joblens.secrets import mask_text

#: After a failed job whose log has errors: the key (or a click) that goes to the first.
FIRST_ERROR_KEY = "e"


def banner_text(job: Job, note: str | None = None, first_error: bool = False) -> Text | None:
    """The banner's words for a terminal job; None while it runs.

    The error message comes from the job (untrusted): it is sanitised and never read as markup.
    ``first_error``: the log has errors, and a failed job's banner offers the first of them.
    """
    message = mask_text(plain_text(job.error_message or "")).strip()
    if job.status == JobStatus.SUCCESS:
        text = Text("✔ Succeeded", style="bold")
        phase = duration_phase(job)
        if phase is not None:
            text.append(f" in {format_duration(phase[1])}")
    elif job.status == JobStatus.FAILED:
        text = Text("✖ Failed", style="bold")
        text.append(f": {message}" if message else " (no error message)")
    elif job.status == JobStatus.CANCELLED:
        text = Text("⊘ ", style="bold")
        text.append(message or "Cancelled by user", style="bold")
    else:
        return None
    if note:
        text.append(f"  ·  {note}", style="italic")
    if first_error and job.status == JobStatus.FAILED:
        go = Style(meta={"@click": "screen.first_error"})
        text.append("  ·  ")
        text.append(FIRST_ERROR_KEY, style=Style(bold=True) + go)
        text.append(" first error", style=go)
    return text


class StatusBanner(Static):
    """Green with a check mark, red with the error message, or gray "Cancelled by user"."""

    def show_job(self, job: Job, note: str | None = None, first_error: bool = False) -> None:
        text = banner_text(job, note, first_error)
        self.display = text is not None
        self.set_classes(status_class(job.status))
        if text is not None:
            self.update(text)
