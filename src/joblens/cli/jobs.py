"""Opening a job: the live view, its logs as text, and the demo."""

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


@click.command("open", hidden=True)
@click.argument("job_id")
@project_options
@view_options
@click.pass_context
def open_job(ctx: click.Context, job_id: str, **options: Any) -> None:
    """Open JOB_ID in the live view."""
    from joblens.launch import run_job_view, run_plain

    def go() -> int:
        JobRef.parse(job_id)  # a typo is reported before any configuration is looked at
        backend, settings = backend_from(options)
        if not sys.stdout.isatty():
            return run_plain(backend, job_id, follow=True, color="auto")
        return run_job_view(backend, job_id, prefs_from(settings))

    finish(ctx, go)


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
    "a blank line between blocks.",
)
@project_options
@click.pass_context
def logs(
    ctx: click.Context, job_id: str, follow: bool, color: str, errors: bool, **options: Any
) -> None:
    """Print a job's log lines (sanitised) and exit.

    With --follow, exits when the job has finished and every line is printed: 0 for SUCCESS,
    1 for FAILED, 3 for CANCELLED.
    """
    from joblens.launch import run_plain

    def go() -> int:
        JobRef.parse(job_id)
        backend, _ = backend_from(options)
        return run_plain(backend, job_id, follow=follow, color=color, errors=errors)

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
    help="Run the simulated Tendrils this many times faster.",
)
@click.option("--profile", metavar="NAME", help="Take display preferences from this profile.")
@view_options
@click.pass_context
def demo(ctx: click.Context, scenario: str, speed: float, **options: Any) -> None:
    """Watch a simulated job on an embedded backend (no Supabase needed).

    Simulated Tendrils claim and run jobs with Terraform-like output; Cancel, Apply and Re-run
    work as they do against a real project. With stdout not a terminal, prints the logs.
    """
    from joblens.backends.demo import DemoBackend
    from joblens.launch import run_job_view, run_plain

    def go() -> int:
        prefs = prefs_from(settings_from(options))
        backend = DemoBackend(speed=speed)
        job_id = backend.start_scenario(scenario)
        if not sys.stdout.isatty():
            return run_plain(backend, job_id, follow=True, color="auto")
        return run_job_view(backend, job_id, prefs)

    finish(ctx, go)
