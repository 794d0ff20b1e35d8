"""Opening a job: the live view, its logs as text, its summary, and the demo."""

from __future__ import annotations

import sys
from typing import Any

import click

from joblens.backends.demo import SCENARIOS
from joblens.cli.common import (
    backend_from,
    finish,
    prefs_from,
    project_options,
    settings_from,
    view_options,
)
from joblens.models import JobRef

#: The view's option to end with the job (a flag of the run, not a setting).
exit_on_end_option = click.option(
    "--exit-on-end",
    is_flag=True,
    help="Quit when the job ends, with its exit code (0 success, 1 failed, 3 cancelled), "
    "its final banner shown for a second.",
)


@click.command("open", hidden=True)
@click.argument("job_id")
@project_options
@view_options
@exit_on_end_option
@click.pass_context
def open_job(ctx: click.Context, job_id: str, exit_on_end: bool, **options: Any) -> None:
    """Open JOB_ID in the live view."""
    from joblens.launch import run_job_view, run_plain

    def go() -> int:
        JobRef.parse(job_id)  # a typo is reported before any configuration is looked at
        backend, settings = backend_from(options)
        if not sys.stdout.isatty():
            return run_plain(backend, job_id, follow=True, color="auto")
        return run_job_view(backend, job_id, prefs_from(settings), exit_on_end=exit_on_end)

    finish(ctx, go)


def _check_patterns(
    ctx: click.Context, param: click.Parameter, patterns: tuple[str, ...]
) -> tuple[str, ...]:
    """Each --grep pattern compiles, or a one-line usage error naming the option (exit 2)."""
    from joblens.line_filter import PatternError, compile_pattern

    for pattern in patterns:
        try:
            compile_pattern(pattern)
        except PatternError as error:
            raise click.BadParameter(str(error), ctx=ctx, param=param) from None
    return patterns


@click.command()
@click.argument("job_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing until the job finishes.")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the output (auto: only when stdout is a terminal).",
)
@click.option(
    "--errors",
    is_flag=True,
    help="Print only the Terraform diagnostics (errors and warnings), each block whole, "
    "a blank line between blocks (none: stdout stays empty, stderr says so).",
)
@click.option(
    "--grep",
    "patterns",
    metavar="RE",
    multiple=True,
    callback=_check_patterns,
    help="Only lines matching this Python regular expression (colour codes ignored; any case "
    "unless it has a capital letter). Repeat for any of several. With --errors: the blocks "
    "with a matching line.",
)
@click.option("-v", "--invert", is_flag=True, help="Only lines matching no --grep pattern.")
@click.option(
    "--stream",
    "streams",
    type=click.Choice(["STDOUT", "STDERR", "SYSTEM"], case_sensitive=False),
    multiple=True,
    help="Only lines of this stream (repeat for several).",
)
@click.option(
    "-t",
    "--timestamps",
    is_flag=True,
    help="Start each line with its time (ISO 8601, local time with its offset).",
)
@click.option("--utc", is_flag=True, help="Timestamps in UTC (implies --timestamps).")
@click.option(
    "-n",
    "--line-numbers",
    is_flag=True,
    help="Start each line with its number in the whole log (as the view counts, before "
    "filtering) and a colon, like grep -n.",
)
@project_options
@click.pass_context
def logs(
    ctx: click.Context,
    job_id: str,
    follow: bool,
    color: str,
    errors: bool,
    patterns: tuple[str, ...],
    invert: bool,
    streams: tuple[str, ...],
    timestamps: bool,
    utc: bool,
    line_numbers: bool,
    **options: Any,
) -> None:
    """Print a job's log lines (sanitised) and exit.

    With --follow, exits when the job has finished and every line is printed: 0 for SUCCESS,
    1 for FAILED, 3 for CANCELLED. The filters (--grep, --invert, --stream) look at each line
    as it is printed, live too; the exit code does not depend on what they found.
    """
    from joblens.launch import run_plain
    from joblens.line_filter import LineFilter

    if invert and not patterns:
        raise click.UsageError("--invert needs a --grep pattern to invert", ctx=ctx)
    select = LineFilter(patterns, invert=invert, streams=streams)

    def go() -> int:
        JobRef.parse(job_id)
        backend, _ = backend_from(options)
        return run_plain(
            backend,
            job_id,
            follow=follow,
            color=color,
            errors=errors,
            select=select,
            numbers=line_numbers,
            times=timestamps or utc,
            utc=utc,
        )

    finish(ctx, go)


@click.command()
@click.argument("job_id")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Give up after this long: exit 8 if the job has not ended by then.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when the job ends.")
@project_options
@click.pass_context
def wait(
    ctx: click.Context, job_id: str, timeout: float | None, quiet: bool, **options: Any
) -> None:
    """Wait for a job to end without printing its logs; exit with its code.

    Exits as `logs --follow` does: 0 for SUCCESS, 1 for FAILED, 3 for CANCELLED (at once if
    it has ended already), with one line on stderr, `joblens: job #abcd1234 FAILED after
    3m 10s` (and a failed job's error), unless --quiet. With --timeout, exits 8 if the job
    is still running after SECONDS.
    """
    from joblens.launch import run_wait

    def go() -> int:
        JobRef.parse(job_id)
        backend, _ = backend_from(options)
        return run_wait(backend, job_id, timeout=timeout, quiet=quiet)

    finish(ctx, go)


@click.command()
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@project_options
@click.pass_context
def summary(ctx: click.Context, job_id: str, as_json: bool, **options: Any) -> None:
    """Print what a job came to: the job, a PLAN's plan, an apply's resources, the errors.

    Reads the job and its whole log once (it does not follow a running job). --json prints
    one object with the keys job, waiting, plan, errors and resources (secrets masked).
    """
    from joblens.launch import run_summary

    def go() -> int:
        JobRef.parse(job_id)
        backend, _ = backend_from(options)
        return run_summary(backend, job_id, as_json=as_json)

    finish(ctx, go)


@click.command()
@click.option(
    "-s",
    "--scenario",
    type=click.Choice(SCENARIOS),
    default="plan",
    show_default=True,
    help="plan: a PLAN that succeeds (try Apply); deploy-fail: a DEPLOY that fails; "
    "long: a long job you can cancel; cancel-ignored: a Tendril that runs on after a cancel; "
    "requeued: a Tendril dies and the job is claimed again; flaky-realtime: the live "
    "stream drops now and then (nothing is lost).",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0.1, max=100.0),
    default=1.0,
    show_default=True,
    help="Run the simulated Tendrils this many times faster (at 1, the times their logs "
    "print agree with the header's clock).",
)
@click.option(
    "--list",
    "as_list",
    is_flag=True,
    help="Open the jobs list instead (two days of past jobs, the scenario's job running).",
)
@click.option("--profile", metavar="NAME", help="Take display preferences from this profile.")
@view_options
@exit_on_end_option
@click.pass_context
def demo(
    ctx: click.Context,
    scenario: str,
    speed: float,
    as_list: bool,
    exit_on_end: bool,
    **options: Any,
) -> None:
    """Watch a simulated job on an embedded backend (no Supabase needed).

    Simulated Tendrils claim and run jobs with Terraform-like output; Cancel, Apply and Re-run
    work as they do against a real project. With --list, opens on the jobs list (Enter opens a
    job, Esc comes back). With stdout not a terminal, prints the logs (with --list, the table).
    """
    from joblens.backends.base import JOBS_LISTED
    from joblens.backends.demo import DemoBackend
    from joblens.launch import run_job_view, run_list, run_list_view, run_plain

    def go() -> int:
        prefs = prefs_from(settings_from(options))
        backend = DemoBackend(speed=speed)
        if as_list:
            backend.add_history()
        job_id = backend.start_scenario(scenario)
        if as_list and not sys.stdout.isatty():
            return run_list(backend, (), (), JOBS_LISTED, as_json=False)
        if as_list:
            return run_list_view(backend, (), (), JOBS_LISTED, prefs)
        if not sys.stdout.isatty():
            return run_plain(backend, job_id, follow=True, color="auto")
        return run_job_view(backend, job_id, prefs, exit_on_end=exit_on_end)

    finish(ctx, go)
