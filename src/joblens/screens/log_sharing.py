"""Getting the log out of the job view: copying the lines in view or the job's id, saving the
log (or what the filter shows) to a file, and reading it in ``$PAGER``.

Apart from the screen because none of it is about showing the job: each takes the screen for
its pane, its app (clipboard, terminal, threads) and its toasts, and the files and the pager
are :mod:`joblens.log_export`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported

from joblens.clipboard import copy_text
from joblens.log_export import page_lines, save_path, write_lines

if TYPE_CHECKING:
    from joblens.screens.job_screen import JobScreen


def copy_visible(screen: JobScreen) -> None:
    """Copy the log's lines on screen, as shown."""
    text = screen.pane.visible_text()
    if not text:
        screen.notify("No lines in view to copy", severity="warning", markup=False)
        return
    where = copy_text(screen.app, text)
    count = text.count("\n") + 1
    screen.notify(f"Copied the {count:,} lines in view to the {where}.", markup=False)


def copy_id(screen: JobScreen) -> None:
    """Copy the job's full id."""
    job_id = screen.job.id
    where = copy_text(screen.app, job_id)
    screen.notify(f"Copied job id {job_id} to the {where}.", title="Copied", markup=False)


def save_log(screen: JobScreen) -> None:
    """Save the log (or what the filter shows) as plain text in the working directory, in a
    thread (a large log takes a while to write)."""
    pane = screen.pane
    path = save_path(screen.job, Path.cwd())
    lines = pane.export_lines()
    what = "the filtered lines" if pane.filter is not None else "the log"
    app = screen.app

    def save() -> None:
        try:
            written = write_lines(path, lines)
        except OSError as error:
            message = f"Could not save {what}: {error.strerror or error}"
            app.call_from_thread(screen.notify, message, severity="error", markup=False)
            return
        message = f"Saved {what} ({written:,} lines) to {path}"
        app.call_from_thread(screen.notify, message, title="Saved", markup=False)

    screen.run_worker(save, thread=True, group="save-log")


def page_log(screen: JobScreen) -> None:
    """Open the log (or what the filter shows) in ``$PAGER`` (``less`` without one)."""
    lines = list(screen.pane.export_lines())
    try:
        with screen.app.suspend():
            problem = page_lines(lines)
    except SuspendNotSupported:
        problem = "this terminal cannot hand the screen to a pager"
    if problem:
        screen.notify(f"Could not open the pager: {problem}", severity="error", markup=False)
