"""Entry points behind the command line: the live view and the plain-text mode."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from joblens.backends.base import Backend

if TYPE_CHECKING:
    from joblens.line_filter import LineFilter
    from joblens.prefs import ViewPrefs


def run_job_view(
    backend: Backend, job_ref: str, prefs: ViewPrefs | None = None, *, exit_on_end: bool = False
) -> int:
    """Run the Textual job view until the user quits (or, with ``exit_on_end``, until the job
    ends: its exit code); raise the error that ended it, if any."""
    from joblens.app import JoblensApp
    from joblens.end_notice import find_notifier
    from joblens.prefs import ViewPrefs
    from joblens.view_memory import ViewMemory

    app = JoblensApp(
        backend,
        job_ref,
        prefs=prefs or ViewPrefs(),
        notifier=find_notifier(),
        exit_on_end=exit_on_end,
        memory=ViewMemory(),
    )
    app.run()
    if app.fatal_error is not None:
        raise app.fatal_error
    return app.return_code or 0


def run_list_view(
    backend: Backend,
    statuses: tuple[str, ...],
    types: tuple[str, ...],
    limit: int,
    prefs: ViewPrefs | None = None,
) -> int:
    """Run the jobs list (and the job views opened from it) until the user quits; raise the
    error that ended it, if any."""
    from joblens.app import JoblensApp
    from joblens.end_notice import find_notifier
    from joblens.prefs import ViewPrefs
    from joblens.screens.job_list import ListQuery
    from joblens.view_memory import ViewMemory

    app = JoblensApp(
        backend,
        None,
        list_query=ListQuery(statuses, types, limit),
        prefs=prefs or ViewPrefs(),
        notifier=find_notifier(),
        memory=ViewMemory(),
    )
    app.run()
    if app.fatal_error is not None:
        raise app.fatal_error
    return app.return_code or 0


def run_list(
    backend: Backend,
    statuses: tuple[str, ...],
    types: tuple[str, ...],
    limit: int,
    *,
    as_json: bool,
) -> int:
    """Print the newest jobs (one JSON array, or a plain table: :mod:`joblens.list_output`)."""
    from joblens.list_output import print_list

    return asyncio.run(
        print_list(backend, statuses=statuses, types=types, limit=limit, as_json=as_json)
    )


def run_plain(
    backend: Backend,
    job_ref: str,
    *,
    follow: bool,
    color: str,
    errors: bool = False,
    select: LineFilter | None = None,
    numbers: bool = False,
    times: bool = False,
    utc: bool = False,
) -> int:
    """Print the job's logs (``errors``: its diagnostics only; ``select``: the lines it shows;
    ``numbers``, ``times``: each line's number and time) to stdout (see :mod:`joblens.plain`);
    return the exit code."""
    from joblens.plain import print_logs

    return asyncio.run(
        print_logs(
            backend,
            job_ref,
            follow=follow,
            color=color,
            errors=errors,
            select=select,
            numbers=numbers,
            times=times,
            utc=utc,
        )
    )


def run_wait(backend: Backend, job_ref: str, *, timeout: float | None, quiet: bool) -> int:
    """Wait for the job to end without printing its logs (see :mod:`joblens.job_wait`); return
    its exit code."""
    from joblens.job_wait import wait_for_end

    return asyncio.run(wait_for_end(backend, job_ref, timeout=timeout, quiet=quiet))


def run_summary(backend: Backend, job_ref: str, *, as_json: bool) -> int:
    """Print the job's summary (text, or one JSON object) to stdout (see
    :mod:`joblens.summary_output`); return the exit code."""
    from joblens.summary_output import print_summary

    return asyncio.run(print_summary(backend, job_ref, as_json=as_json))
