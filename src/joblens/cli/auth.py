"""Signing in and out: ``joblens login``, ``whoami`` and ``logout``."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

import click

from joblens.cli.common import finish, project_options, settings_from
from joblens.errors import AuthError, ConfigError, ExitCode, JoblensError
from joblens.sanitize import display_text


def _project(options: dict[str, Any]) -> tuple[Any, Any]:
    """The project to sign in to (its URL and anon key checked) and the settings."""
    from joblens.backends.supabase.config import SettingNames, check_key_role
    from joblens.signin import Project

    settings = settings_from(options)
    url, anon_key = settings.value("url"), settings.value("anon_key")
    if not isinstance(url, str):
        raise settings.missing("url")
    if not isinstance(anon_key, str):
        raise settings.missing("anon_key")
    check_key_role(anon_key, settings.label("anon_key"), bool(options.get("allow_service_role")))
    return Project(url, anon_key, SettingNames.of(settings)), settings


def _read_stdin(what: str) -> str:
    text = sys.stdin.read()
    if not text.strip():
        raise ConfigError(f"nothing on stdin: pipe the {what} in")
    return text


def _ask(prompt: str) -> str:
    """A line the user types: prompted on a terminal, else the next line of stdin."""
    if sys.stdin.isatty():
        return str(click.prompt(prompt, prompt_suffix=": ", err=True))
    line = sys.stdin.readline()
    if not line.strip():
        raise ConfigError(f"nothing on stdin: {prompt.lower()} expected")
    return line.strip()


def _until(epoch: float | None) -> str:
    if epoch is None:
        return "no expiry given"
    when = datetime.fromtimestamp(epoch, UTC)
    left = epoch - time.time()
    if left <= 0:
        return f"expired {when:%Y-%m-%d %H:%M} UTC"
    return f"valid until {when:%Y-%m-%d %H:%M} UTC ({left / 60:.0f} min)"


def _browser_available() -> bool:
    """A browser this process may open: not over SSH, and with a display on Linux."""
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return False
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    return True


@click.command()
@click.option("--provider", metavar="NAME", help="Sign in with github, gitlab, bitbucket, google…")
@click.option("--email", metavar="ADDRESS", help="Sign in with a code sent to ADDRESS.")
@click.option(
    "--password-stdin", is_flag=True, help="With --email: read the password from stdin instead."
)
@click.option(
    "--token-stdin",
    is_flag=True,
    help="Import a session: access and refresh token (or its JSON) from stdin.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Loopback port for --provider (default: any free one).",
)
@click.option("--no-browser", is_flag=True, help="With --provider: print the URL, do not open it.")
@project_options
@click.pass_context
def login(
    ctx: click.Context,
    provider: str | None,
    email: str | None,
    password_stdin: bool,
    token_stdin: bool,
    port: int,
    no_browser: bool,
    **options: Any,
) -> None:
    """Sign in to the project and keep the session (keyring, else an owner-only file).

    \b
    --provider NAME    in the browser (OAuth with PKCE). The project must allow the
                       redirect URL http://127.0.0.1:*/callback. Over SSH, open the printed
                       URL on your machine and paste the address the browser ends on.
    --email ADDRESS    a one-time code sent by email, then typed in (or read from stdin);
                       with --password-stdin, the password from stdin instead.
    --token-stdin      a session you already have (access and refresh token).
    """
    from joblens import signin
    from joblens.backends.supabase.session import profile_store

    chosen = [bool(provider), bool(email) and not password_stdin, password_stdin, token_stdin]
    if sum(chosen) != 1 or (password_stdin and not email):
        raise click.UsageError(
            "choose one way to sign in: --provider NAME, --email ADDRESS "
            "(with --password-stdin for a password), or --token-stdin"
        )

    if provider:
        provider = provider.strip().lower()
        if provider not in signin.known_providers():
            raise click.BadParameter(
                f"{provider[:40]!r} is not a provider: choose one of "
                f"{', '.join(signin.known_providers())}",
                param_hint="'--provider'",
            )

    def go() -> int:
        project, settings = _project(options)
        store = profile_store(settings.profile, project.url)

        def say(text: str) -> None:
            click.echo(display_text(text), err=True)

        async def sign_in() -> signin.SignedIn:
            if provider:

                def announce(prompt: signin.OAuthPrompt) -> None:
                    opened = False
                    if not no_browser and _browser_available():
                        import webbrowser

                        opened = webbrowser.open(prompt.authorize_url)
                    say(
                        f"{'A browser opened' if opened else 'Open this URL in a browser'} "
                        f"to sign in with {provider}:"
                    )
                    click.echo(f"  {prompt.authorize_url}", err=True)
                    say(
                        f"Waiting for it to come back to {prompt.redirect_url}. On another "
                        "machine (over SSH), paste here the address the browser ends on."
                    )

                return await signin.oauth(project, provider, announce=announce, say=say, port=port)
            if token_stdin:
                session = signin.parse_tokens(_read_stdin("session"))
                if session.needs_refresh(time.time()):
                    session = await signin.refresh(project, session.refresh_token)
                return await signin.account(project, session)
            assert email is not None
            if password_stdin:
                secret = _read_stdin("password").rstrip("\r\n")
                return await signin.password(project, email, secret)
            await signin.send_email_code(project, email)
            say(f"A sign-in code was sent to {email}.")
            code = _ask("Code")
            return await signin.email_code(project, email, code)

        signed = asyncio.run(sign_in())
        try:
            store.save(signed.session)
        except OSError as error:
            raise ConfigError(
                f"cannot store the session in {store.describe()}: {error.strerror or error}"
            ) from None
        who = signed.email or signed.user_id or "your account"
        say(
            f"Signed in to {project.url} as {who} (profile {settings.profile!r}); "
            f"the session is kept in {store.describe()}."
        )
        return int(ExitCode.OK)

    finish(ctx, go)


async def _fresh(project: Any, store: Any) -> Any:
    """The stored session, refreshed first (under its lock) when it is due; None if none."""
    from joblens import signin
    from joblens.backends.supabase.session import SessionKeeper

    stored = store.load()
    if stored is None:
        return None
    keeper = SessionKeeper(store, stored)
    return await keeper.current(lambda token: signin.refresh(project, token))


@click.command()
@project_options
@click.pass_context
def whoami(ctx: click.Context, **options: Any) -> None:
    """Say who is signed in, to which project, and until when the session holds."""
    from joblens import signin
    from joblens.backends.supabase.config import not_signed_in
    from joblens.backends.supabase.session import Session, profile_store

    def go() -> int:
        project, settings = _project(options)
        env_access = os.environ.get("JOBLENS_ACCESS_TOKEN", "").strip()
        if env_access:
            session = Session(env_access, os.environ.get("JOBLENS_REFRESH_TOKEN", "").strip())
            where = "the environment (JOBLENS_ACCESS_TOKEN)"
            if session.needs_refresh(time.time(), 0):
                raise AuthError(
                    "the access token in JOBLENS_ACCESS_TOKEN has expired: sign in again"
                )
        else:
            store = profile_store(settings.profile, project.url)
            where = store.describe()
            session = asyncio.run(_fresh(project, store))
            if session is None:
                raise not_signed_in(project.url, settings.profile)
        signed = asyncio.run(signin.account(project, session))
        # The user's email and id are the server's words: one safe line each.
        click.echo(display_text(signed.email or signed.user_id or "unknown user"))
        click.echo(f"  project  {project.url} (profile {settings.profile!r})")
        click.echo(f"  user id  {display_text(signed.user_id or 'unknown')}")
        click.echo(f"  session  {where}")
        click.echo(
            f"  token    {_until(session.expires_at)}"
            + ("; renewed while joblens runs" if session.refresh_token else "")
        )
        return int(ExitCode.OK)

    finish(ctx, go)


@click.command()
@project_options
@click.pass_context
def logout(ctx: click.Context, **options: Any) -> None:
    """Sign out on the server and delete the stored session."""
    from joblens import signin
    from joblens.backends.supabase.session import profile_store

    def go() -> int:
        project, settings = _project(options)
        store = profile_store(settings.profile, project.url)
        if store.load() is None:
            click.echo(
                f"Not signed in to {project.url} (profile {settings.profile!r}): nothing to do.",
                err=True,
            )
            return int(ExitCode.OK)

        async def end() -> JoblensError | None:
            try:
                session = await _fresh(project, store)
                if session is not None:
                    await signin.sign_out(project, session)
            except AuthError:
                pass  # ended already: nothing left to end on the server
            except JoblensError as error:
                return error
            return None

        failed = asyncio.run(end())
        store.delete()
        if failed is not None:
            failed.message = (
                f"the session was deleted here, but the server was not told "
                f"({failed.message}); it ends there when it expires"
            )
            raise failed
        click.echo(f"Signed out of {project.url} (profile {settings.profile!r}).", err=True)
        return int(ExitCode.OK)

    finish(ctx, go)
