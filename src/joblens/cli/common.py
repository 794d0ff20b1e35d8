"""What every command shares: one-line errors and exit codes, and the settings options."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

from joblens.errors import ExitCode, JoblensError
from joblens.sanitize import display_text

F = TypeVar("F", bound=Callable[..., Any])


def say_error(message: str) -> None:
    """One line on stderr: ``message`` often holds the server's words, so it is made safe here
    too (it already is, as every JoblensError message is; this is the last door)."""
    click.echo(f"joblens: {display_text(message)}", err=True)


def run_guarded(debug: bool, func: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """Run ``func``; map user-facing errors and Ctrl-C to one line and an exit code.

    ``debug`` prints the error's traceback before its line, and keeps its exit code: a script
    run with ``--debug`` must still tell a missing job (4) from a failed one (1).
    """
    try:
        return int(func(*args, **kwargs))
    except JoblensError as error:
        if debug:
            traceback.print_exc()
        say_error(error.message)
        return int(error.exit_code)
    except KeyboardInterrupt:
        click.echo("joblens: interrupted", err=True)
        return int(ExitCode.INTERRUPTED)


def finish(ctx: click.Context, func: Callable[[], Any]) -> None:
    """Run a command's body under :func:`run_guarded` and exit with its code."""
    sys.exit(run_guarded(ctx.obj["debug"], func))


def project_options(func: F) -> F:
    """``--profile`` and the project's settings, each overriding the environment and profile."""
    options = [
        click.option(
            "--profile",
            metavar="NAME",
            help="Profile in the config file (else JOBLENS_PROFILE, else default_profile).",
        ),
        click.option("--url", metavar="URL", help="Project URL (else SUPABASE_URL, profile)."),
        click.option(
            "--anon-key", metavar="KEY", help="Anon (public) key (else SUPABASE_ANON_KEY, profile)."
        ),
        click.option(
            "--logs-table",
            metavar="NAME",
            help="Log table (else JOBLENS_LOGS_TABLE, profile; default provision_job_logs).",
        ),
        click.option(
            "--allow-service-role",
            is_flag=True,
            help="Accept a service-role key (it bypasses row-level security; warns).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def view_options(func: F) -> F:
    """The view's preferences, overriding JOBLENS_THEME/_WRAP/_TIMESTAMPS/_BELL/_DESKTOP_NOTIFY
    and the profile."""
    options = [
        click.option("--theme", metavar="NAME", help="Colour theme (a Textual theme name)."),
        click.option("--wrap/--no-wrap", default=None, help="Wrap long log lines."),
        click.option(
            "--timestamps/--no-timestamps", default=None, help="Show when each line was written."
        ),
        click.option(
            "--bell/--no-bell", default=None, help="Ring the terminal bell when the job ends."
        ),
        click.option(
            "--notify/--no-notify",
            "desktop_notify",
            default=None,
            help="A desktop notification when the job ends (where the desktop has one).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def settings_from(options: dict[str, Any]) -> Any:
    """The effective settings (:func:`joblens.settings.resolve`) from a command's options."""
    from joblens.settings import resolve

    flags = {
        name: options.get(name)
        for name in (
            "url",
            "anon_key",
            "logs_table",
            "theme",
            "wrap",
            "timestamps",
            "bell",
            "desktop_notify",
        )
    }
    return resolve(flags, profile=options.get("profile"))


def backend_from(options: dict[str, Any]) -> Any:
    """A Supabase backend for the command's settings (and the session they lead to)."""
    from joblens.backends.supabase import SupabaseBackend, SupabaseSettings

    settings = settings_from(options)
    return SupabaseBackend(
        SupabaseSettings.from_settings(
            settings, allow_service_role=bool(options.get("allow_service_role"))
        )
    ), settings


def prefs_from(settings: Any) -> Any:
    from joblens.prefs import ViewPrefs

    theme = settings.value("theme")
    return ViewPrefs(
        theme=theme if isinstance(theme, str) else None,
        wrap=bool(settings.value("wrap")),
        timestamps=bool(settings.value("timestamps")),
        bell=bool(settings.value("bell")),
        desktop_notify=bool(settings.value("desktop_notify")),
    )
