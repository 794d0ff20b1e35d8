"""The banner shown once a job reaches a terminal status."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from joblens.display import duration_phase, format_duration, status_class
from joblens.models import Job, JobStatus
from joblens.sanitize import plain_text
from joblens.secrets import mask_text


def banner_text(job: Job, note: str | None = None) -> Text | None:
    """The banner's words for a terminal job; None while it runs.

    The error message comes from the job (untrusted): it is sanitised and never read as markup.
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
    return text


class StatusBanner(Static):
    """Green with a check mark, red with the error message, or gray "Cancelled by user"."""

    def show_job(self, job: Job, note: str | None = None) -> None:
        text = banner_text(job, note)
        self.display = text is not None
        self.set_classes(status_class(job.status))
        if text is not None:
            self.update(text)
