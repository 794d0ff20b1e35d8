"""The ``joblens`` command line.

Kept light: ``joblens --help`` and ``--version`` import neither Textual nor supabase-py
(each costs about half a second); they load only when a job is opened or the auth server is
asked. One module a concern: ``jobs`` (open, logs, summary, wait, demo), ``listing`` (list, and
bare ``joblens``), ``auth`` (login,
whoami, logout), ``config`` (show, set); ``common`` holds the error handling and the shared
options.
"""

from __future__ import annotations

import sys

import click

from joblens import __version__
from joblens.cli.auth import login, logout, whoami
from joblens.cli.common import say_error
from joblens.cli.config import config
from joblens.cli.jobs import demo, logs, open_job, summary, wait
from joblens.cli.listing import list_jobs
from joblens.errors import ExitCode


class _JobIdGroup(click.Group):
    """A group where ``joblens <job-id>`` (any non-command word) means ``joblens open <job-id>``."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "open", self.commands["open"], args
        return super().resolve_command(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[OPTIONS] [JOB_ID | COMMAND [ARGS]...]")


@click.group(
    cls=_JobIdGroup,
    invoke_without_command=True,  # bare `joblens`: the jobs list
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=(
        "Examples:\n\n"
        "  joblens demo                 watch a simulated PLAN job (no setup)\n\n"
        "  joblens                      your newest jobs, live (as `joblens list`)\n\n"
        "  joblens list --json --status failed   the failed ones, for a script\n\n"
        "  joblens login --provider github   sign in to the project\n\n"
        "  joblens 3f2a9c1e             open a job by its short id\n\n"
        "  joblens logs 3f2a9c1e -f     print its logs until it finishes\n\n"
        "  joblens wait 3f2a9c1e        wait for it to end; exit with its code\n\n"
        "Exit codes: 0 success, 1 job failed, 2 bad usage, 3 job cancelled, 4 job not found,\n"
        "5 configuration, 6 authentication, 7 server unavailable, 8 wait timed out,\n"
        "130 interrupted."
    ),
)
@click.version_option(__version__, "-V", "--version", prog_name="joblens")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Watch a Terraform provisioning job live: logs, status and actions.

    Without JOB_ID or a command: your newest jobs, live (`joblens list`).

    JOB_ID is a job's full uuid or a unique prefix of at least 8 hex digits. Settings come from
    flags, then the environment (SUPABASE_URL, SUPABASE_ANON_KEY, JOBLENS_LOGS_TABLE, …), then
    a profile in the config file (`joblens config show`); the session from `joblens login`, or
    JOBLENS_ACCESS_TOKEN and JOBLENS_REFRESH_TOKEN. With stdout not a terminal, prints the logs
    like `joblens logs JOB_ID --follow`.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_jobs)


for _command in (open_job, list_jobs, logs, summary, wait, demo, login, whoami, logout, config):
    main.add_command(_command)


def run() -> None:
    """The console script: click's usage errors become one line and exit code 2."""
    try:
        code = main.main(standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.format_message(), err=True)  # bare `joblens`: the help itself
        sys.exit(int(ExitCode.USAGE))
    except click.UsageError as error:
        hint = f"{error.ctx.command_path} --help" if error.ctx else "joblens --help"
        say_error(f"{error.format_message()} (see '{hint}')")
        sys.exit(int(ExitCode.USAGE))
    except click.Abort:
        click.echo("joblens: interrupted", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except click.ClickException as error:
        say_error(error.format_message())
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    run()
