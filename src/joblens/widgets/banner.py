"""The banner shown once a job reaches a terminal status, and while it waits in the queue for
a Tendril that cannot claim it (or for any: what it waits for, ``joblens.queue_wait``)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widgets import Static

from joblens.display import SHORT_BELOW, duration_phase, format_duration, status_class
from joblens.models import Job, JobStatus
from joblens.queue_wait import Waiting
from joblens.sanitize import plain_text
from joblens.secrets import mask_text

#: Terminals this tall or taller give a long error message 4 lines; shorter ones 2 (and those
#: under ``display.SHORT_BELOW`` rows, 1): the log keeps the room (an 80x24 terminal showed six
#: rows of log under a six-line message). The whole message is in Job Details (``d``).
TALL_FROM = 32
#: After a failed job whose log has errors: the key (or a click) that goes to the first.
FIRST_ERROR_KEY = "e"
#: ... and the one that opens the Errors panel (said only where the banner has room).
DIGEST_KEY = "x"


def banner_text(
    job: Job, note: str | None = None, first_error: bool = False, cut: int | None = None
) -> Text | None:
    """The banner's words for a terminal job; None while it runs.

    The error message comes from the job (untrusted): it is sanitised and never read as markup.
    ``first_error``: the log has errors, and a failed job's banner offers the first of them.
    ``cut``: the most characters of the message shown (the rest becomes ``…``).
    """
    message = mask_text(plain_text(job.error_message or "")).strip()
    if cut is not None and len(message) > cut:
        message = message[:cut].rstrip() + "…"
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


def waiting_text(waiting: Waiting) -> Text:
    """A queued job's line: what it waits for (a plain string: never read as markup)."""
    words = waiting.text[:1].upper() + waiting.text[1:]
    return Text.assemble(("◷ ", "bold"), words)


def digest_hint(text: Text, width: int) -> Text:
    """``text`` with ``  ·  x all errors`` after it if that still fits on one line of
    ``width`` cells; else ``text`` as it is (the banner never grows a line for it)."""
    hint = Text("  ·  ")
    go = Style(meta={"@click": "screen.toggle_errors"})
    hint.append(DIGEST_KEY, style=Style(bold=True) + go)
    hint.append(" all errors", style=go)
    if text.cell_len + hint.cell_len > width:
        return text
    return Text.assemble(text, hint)


class StatusBanner(Static):
    """Green with a check mark, red with the error message, or gray "Cancelled by user".

    While the job is QUEUED, what it waits for (``show_waiting``): in yellow when nothing
    that could claim it is alive, quiet otherwise.

    After FAILED, when the log has diagnostics (``offer_digest``), it also offers ``x`` for
    the Errors panel if there is room for it on the banner's one line.
    """

    _shown: tuple[Job, str | None, bool] | None = None  # show_job's arguments
    _digest = False  # offer_digest's
    _waiting: Waiting | None = None  # show_waiting's
    _painted: Text | None = None

    def show_job(self, job: Job, note: str | None = None, first_error: bool = False) -> None:
        self._shown = (job, note, first_error)
        self._paint()

    def offer_digest(self, present: bool) -> None:
        """The log has diagnostics for the Errors panel to list (or no longer has)."""
        if present != self._digest:
            self._digest = present
            self._paint()

    def show_waiting(self, waiting: Waiting | None) -> None:
        """What a queued job waits for (None: nothing to say, or it no longer waits)."""
        if waiting != self._waiting:
            self._waiting = waiting
            self._paint()

    def on_resize(self, event: events.Resize) -> None:
        self._paint()  # the hint for x comes or goes with the room for it

    def max_lines(self) -> int:
        """The banner's most lines for the terminal's height: the log keeps the room."""
        height = self.app.size.height
        return 1 if height < SHORT_BELOW else 2 if height < TALL_FROM else 4

    def refit(self) -> None:
        """The terminal changed size: the message may now get more lines, or fewer (once the
        banner has its new width)."""
        self.call_after_refresh(self._paint)

    def _paint(self) -> None:
        if self._shown is None:
            return
        job = self._shown[0]
        text = banner_text(*self._shown)
        classes = status_class(job.status)
        if text is None and self._waiting is not None and job.status == JobStatus.QUEUED:
            text = waiting_text(self._waiting)
            classes += " -stuck" if self._waiting.stuck else ""
        self.display = text is not None
        self.set_classes(classes)
        if text is None:
            return
        width = self.content_size.width
        if job.status == JobStatus.QUEUED:  # (what it waits for: cut to one line if need be)
            if self.max_lines() == 1 and width > 0:
                text.truncate(width, overflow="ellipsis")
        else:
            text = self._fitted(text, width)
        if self._digest and job.status == JobStatus.FAILED:
            text = digest_hint(text, width)
        if text != self._painted:
            self._painted = text
            self.update(text)
            # Painted while a resize is laid out, the new height would wait for the next
            # layout: ask for one after this refresh.
            self.call_after_refresh(self.refresh, layout=True)

    def _fitted(self, text: Text, width: int) -> Text:
        """``text`` in at most ``max_lines`` lines of ``width``: a long error message cut
        (it is whole in Job Details, ``d``), what comes after it kept."""
        lines = self.max_lines()
        if width <= 0 or self._lines(text, width) <= lines or self._shown is None:
            return text
        low, high = 0, len(self._shown[0].error_message or "")
        while low < high:  # the longest cut that fits
            middle = (low + high + 1) // 2
            cut = banner_text(*self._shown, cut=middle)
            if cut is not None and self._lines(cut, width) <= lines:
                low = middle
            else:
                high = middle - 1
        return banner_text(*self._shown, cut=low) or text

    def _lines(self, text: Text, width: int) -> int:
        return len(text.wrap(self.app.console, width))
