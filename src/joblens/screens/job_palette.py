"""The job view's entries in the command palette: the actions available now, the log view's own
keys (with their current state: "Stop wrapping", "Show STDERR lines"), the panels, and the
DEPLOY jobs applying a PLAN.

Apart from the screen because it is a long list of titles and help texts that only reads the
screen's state and calls its actions; ``JobScreen.palette_commands`` (which the app's palette
asks) hands it the screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from joblens.actions import ACTION_SPECS, available_actions
from joblens.screens.job_actions import action_method
from joblens.screens.job_plan import SHOWN_IN_PROMPT
from joblens.widgets.log.log_filter import STREAM_CODES

if TYPE_CHECKING:
    from joblens.screens.job_screen import JobScreen

#: The panels every job has, for the command palette: (id, title, help).
_PANELS = (
    ("job-details", "Show the job details", "Status, times, Tendril, vine and ids (d)"),
    ("config-snapshot", "Show the config snapshot", "The configuration the job ran with (s)"),
    (
        "execution-metadata",
        "Show the execution metadata",
        "What the Tendril recorded of the run (m)",
    ),
)


def palette_commands(
    screen: JobScreen, open_job_by_id: Callable[[str], None]
) -> Iterable[SystemCommand]:
    """The commands ``screen`` offers now; ``open_job_by_id`` opens a DEPLOY of its plan."""
    job = screen.job
    available = available_actions(job)
    for spec in ACTION_SPECS:
        if spec.action in available:
            yield SystemCommand(spec.title, spec.help, action_method(screen, spec))
    yield SystemCommand("Copy job id", "Copy the full job id (y)", screen.action_copy_id)
    if screen.exit_on_end or not job.is_terminal:
        yield SystemCommand(
            "Stay open when the job ends" if screen.exit_on_end else "Quit when the job ends",
            "Quit with the job's exit code once it ends: 0 success, 1 failed, 3 cancelled (Q)",
            screen.action_toggle_exit_on_end,
        )
    yield SystemCommand(
        "Search the log", "Find text in the log (/, then n / N)", screen.action_search
    )
    yield from _log_commands(screen)
    yield from _sharing_commands(screen)
    pane = screen.pane
    if pane.has_errors:
        yield SystemCommand(
            "Next error", "Go to the next diagnostic or STDERR line (e)", pane.action_next_error
        )
        yield SystemCommand(
            "Previous error",
            "Go to the previous diagnostic or STDERR line (E)",
            pane.action_previous_error,
        )
        yield SystemCommand("First error", "Go to the log's first error", screen.action_first_error)
    if job.plan_job_id:
        yield SystemCommand(
            "Open source plan", "Open the PLAN this job applies", screen.action_open_plan
        )
    yield from _panel_commands(screen)
    yield SystemCommand(
        "Show the keys",
        "Every key, by where it works (?, F1)",
        screen.joblens_app.action_show_help,
    )
    for deploy in (screen.deploys or [])[:SHOWN_IN_PROMPT]:
        yield SystemCommand(
            f"Open DEPLOY #{deploy.short_id}",
            "A DEPLOY that applies this plan",
            lambda job_id=deploy.id: open_job_by_id(job_id),
        )


def _log_commands(screen: JobScreen) -> Iterable[SystemCommand]:
    """The log view's own keys, for the command palette."""
    pane = screen.pane
    yield SystemCommand(
        "Filter the log",
        "Show only lines with a text or regex; !text hides them (f; Esc clears)",
        screen.action_filter,
    )
    kept = (pane.filter.streams if pane.filter else None) or frozenset(STREAM_CODES)
    for key, name in enumerate(STREAM_CODES, start=1):
        verb = "Hide" if name in kept else "Show"
        yield SystemCommand(
            f"{verb} {name} lines",
            f"{verb} the log's {name} lines ({key})",
            lambda name=name: pane.action_toggle_stream(name),
        )
    on_off = {True: "Stop", False: "Start"}
    yield SystemCommand(
        "Unfold all noise" if pane.folding else "Fold the noise",
        "Fold provider downloads, Refreshing state and Still creating runs into one line (z)",
        pane.action_toggle_folding,
    )
    yield SystemCommand(
        f"{on_off[pane.wrap]} wrapping long lines",
        "Wrap long log lines (w)",
        pane.action_toggle_wrap,
    )
    yield SystemCommand(
        f"{on_off[pane.timestamps]} showing timestamps",
        "When each line was written (t)",
        pane.action_toggle_timestamps,
    )
    yield SystemCommand(
        f"{on_off[pane.line_numbers]} showing line numbers",
        "Each line's number in the log (#)",
        pane.action_toggle_line_numbers,
    )
    yield SystemCommand(
        "Follow the end", "Scroll to the newest line and stay there (End, G)", pane.follow
    )


def _sharing_commands(screen: JobScreen) -> Iterable[SystemCommand]:
    """Copying, saving and paging the log (screens/log_sharing.py)."""
    yield SystemCommand(
        "Copy the lines in view",
        "The log's lines on screen, as shown (Y)",
        screen.action_copy_visible,
    )
    yield SystemCommand(
        "Save the log",
        "As plain text in the working directory; with a filter, the lines it shows (S)",
        screen.action_save_log,
    )
    yield SystemCommand(
        "Open the log in $PAGER",
        "less without one; joblens comes back after (|)",
        screen.action_page_log,
    )


def _panel_commands(screen: JobScreen) -> Iterable[SystemCommand]:
    """The panels under the log that this job has now."""
    if screen.plan_digest is not None:
        yield SystemCommand(
            "Show the plan",
            "What this plan adds, changes, destroys and replaces, by module (p)",
            lambda: screen.action_toggle_panel("plan"),
        )
    if screen.check_action("toggle_panel", ("resources",)):
        yield SystemCommand(
            "Show the resources",
            "Each resource the apply changes: its state, time and id (R)",
            lambda: screen.action_toggle_panel("resources"),
        )
    yield SystemCommand(
        "Show the errors",
        "Errors: every Terraform error and warning in the log, to go to and copy (x)",
        screen.action_toggle_errors,
    )
    for panel_id, title, help_text in _PANELS:
        yield SystemCommand(
            title, help_text, lambda panel_id=panel_id: screen.action_toggle_panel(panel_id)
        )
