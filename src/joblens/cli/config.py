"""``joblens config``: the effective settings and where each came from; set one."""

from __future__ import annotations

from typing import Any

import click

from joblens.cli.common import finish, project_options, settings_from, view_options
from joblens.errors import ExitCode
from joblens.sanitize import display_text


@click.group()
def config() -> None:
    """Show or change settings (a TOML file of profiles in your config directory).

    Precedence: flags, then the environment (SUPABASE_URL, SUPABASE_ANON_KEY, JOBLENS_*),
    then the profile.
    """


@config.command()
@project_options
@view_options
@click.pass_context
def show(ctx: click.Context, **options: Any) -> None:
    """Print each setting, its value (secrets masked) and where it came from."""
    from joblens.backends.supabase.session import profile_store
    from joblens.settings import REQUIRED

    def go() -> int:
        settings = settings_from(options)
        width = max(len(name) for name in (*settings.values, "config file"))
        missing = "" if settings.path.exists() else " (none yet)"
        click.echo(f"{'config file':<{width}}  {settings.path}{missing}")
        click.echo(f"{'profile':<{width}}  {settings.profile}  ({settings.profile_source})")
        for name, setting in settings.values.items():
            shown = display_text(setting.shown())
            source = str(setting.source)
            if setting.value is None and name in REQUIRED:
                source = f"needed: {settings.how_to_set(name)}"
            click.echo(f"{name:<{width}}  {shown}  ({source})")
        url = settings.value("url")
        if isinstance(url, str):
            store = profile_store(settings.profile, url)
            state = "signed in" if store.load() is not None else "not signed in"
            click.echo(f"{'session':<{width}}  {state}  ({store.describe()})")
        return int(ExitCode.OK)

    finish(ctx, go)


@config.command("set")
@click.argument("key")
@click.argument("value")
@click.option("--profile", metavar="NAME", help="Profile to change (default: the one in use).")
@click.pass_context
def set_(ctx: click.Context, key: str, value: str, profile: str | None) -> None:
    """Set KEY to VALUE in a profile: url, anon_key, logs_table, theme, wrap, timestamps,
    bell, desktop_notify."""
    import os

    from joblens.settings import (
        DEFAULT_PROFILE,
        PROFILE_ENV,
        check_profile_name,
        config_path,
        read_file,
        write_setting,
    )

    def go() -> int:
        path = config_path()
        name, label = profile, "--profile"
        if not name:
            name, label = os.environ.get(PROFILE_ENV, "").strip(), PROFILE_ENV
        if not name:
            default = read_file(path).get("default_profile")
            name = default if isinstance(default, str) else DEFAULT_PROFILE
            label = f"default_profile in {path}"
        check_profile_name(name, label)  # named as the user gave it
        stored = write_setting(path, name, key, value)
        if key == "anon_key":
            from joblens.backends.supabase.config import check_key_role

            check_key_role(str(stored), key, allow_service_role=True)
        click.echo(f"Set {key} in profile {name!r} ({path}).", err=True)
        return int(ExitCode.OK)

    finish(ctx, go)
