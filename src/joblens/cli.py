"""The ``joblens`` command line.

Kept light: ``joblens --help`` and ``--version`` import neither Textual nor supabase-py
(each costs about half a second); they load only when a job is opened.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from joblens import __version__
from joblens.backends.demo import SCENARIOS
from joblens.errors import ExitCode, JoblensError
from joblens.models import JobRef
from joblens.sanitize import display_text


class _JobIdGroup(click.Group):
    """A group where ``joblens <job-id>`` (any non-command word) means ``joblens open <job-id>``."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "open", self.commands["open"], args
        return super().resolve_command(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[OPTIONS] JOB_ID | COMMAND [ARGS]...")


def _say_error(message: str) -> None:
    """One line on stderr: ``message`` often holds the server's words, so it is made safe here
    too (it already is, as every JoblensError message is; this is the last door)."""
    click.echo(f"joblens: {display_text(message)}", err=True)


def _fail(error: JoblensError, debug: bool) -> None:
    if debug:
        raise error
    _say_error(error.message)
    sys.exit(int(error.exit_code))


def _run_guarded(debug: bool, func: Any, *args: Any, **kwargs: Any) -> int:
    """Run ``func``; map user-facing errors and Ctrl-C to one line and an exit code."""
    try:
        return int(func(*args, **kwargs))
    except JoblensError as error:
        _fail(error, debug)
    except KeyboardInterrupt:
        click.echo("joblens: interrupted", err=True)
        return int(ExitCode.INTERRUPTED)
    return int(ExitCode.OK)


@click.group(
    cls=_JobIdGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=(
        "Examples:\n\n"
        "  joblens demo                 watch a simulated PLAN job (no setup)\n\n"
        "  joblens 3f2a9c1e             open a job by its short id\n\n"
        "  joblens logs 3f2a9c1e -f     print its logs until it finishes\n\n"
        "Exit codes: 0 success, 1 job failed, 2 bad usage, 3 job cancelled, 4 job not found,\n"
        "5 configuration, 6 authentication, 7 server unavailable, 130 interrupted."
    ),
)
@click.version_option(__version__, "-V", "--version", prog_name="joblens")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Watch a Terraform provisioning job live: logs, status and actions.

    JOB_ID is a job's full uuid or a unique prefix of at least 8 hex digits. Connection settings
    come from the environment: SUPABASE_URL, SUPABASE_ANON_KEY, JOBLENS_ACCESS_TOKEN (and
    JOBLENS_REFRESH_TOKEN), JOBLENS_LOGS_TABLE. With stdout not a terminal, prints the logs
    like `joblens logs JOB_ID --follow`.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@main.command("open", hidden=True)
@click.argument("job_id")
@click.pass_context
def open_job(ctx: click.Context, job_id: str) -> None:
    """Open JOB_ID in the live view."""
    from joblens.backends.supabase import SupabaseBackend
    from joblens.launch import run_job_view, run_plain

    debug = ctx.obj["debug"]

    def go() -> int:
        JobRef.parse(job_id)  # a typo is reported before any configuration is looked at
        backend = SupabaseBackend.from_env()
        if not sys.stdout.isatty():
            return run_plain(backend, job_id, follow=True, color="auto")
        return run_job_view(backend, job_id)

    sys.exit(_run_guarded(debug, go))


@main.command()
@click.argument("job_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing until the job finishes.")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the output (auto: only when stdout is a terminal).",
)
@click.pass_context
def logs(ctx: click.Context, job_id: str, follow: bool, color: str) -> None:
    """Print a job's log lines (sanitised) and exit.

    With --follow, exits when the job has finished and every line is printed: 0 for SUCCESS,
    1 for FAILED, 3 for CANCELLED.
    """
    from joblens.backends.supabase import SupabaseBackend
    from joblens.launch import run_plain

    def go() -> int:
        JobRef.parse(job_id)
        return run_plain(SupabaseBackend.from_env(), job_id, follow=follow, color=color)

    sys.exit(_run_guarded(ctx.obj["debug"], go))


@main.command()
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
@click.pass_context
def demo(ctx: click.Context, scenario: str, speed: float) -> None:
    """Watch a simulated job on an embedded backend (no Supabase needed).

    Simulated Tendrils claim and run jobs with Terraform-like output; Cancel, Apply and Re-run
    work as they do against a real project. With stdout not a terminal, prints the logs.
    """
    from joblens.backends.demo import DemoBackend
    from joblens.launch import run_job_view, run_plain

    debug = ctx.obj["debug"]

    def go() -> int:
        backend = DemoBackend(speed=speed)
        job_id = backend.start_scenario(scenario)
        if not sys.stdout.isatty():
            return run_plain(backend, job_id, follow=True, color="auto")
        return run_job_view(backend, job_id)

    sys.exit(_run_guarded(debug, go))


def run() -> None:
    """The console script: click's usage errors become one line and exit code 2."""
    try:
        code = main.main(standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.format_message(), err=True)  # bare `joblens`: the help itself
        sys.exit(int(ExitCode.USAGE))
    except click.UsageError as error:
        hint = f"{error.ctx.command_path} --help" if error.ctx else "joblens --help"
        _say_error(f"{error.format_message()} (see '{hint}')")
        sys.exit(int(ExitCode.USAGE))
    except click.Abort:
        click.echo("joblens: interrupted", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except click.ClickException as error:
        _say_error(error.format_message())
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    run()
