"""`joblens login`, `whoami` and `logout` against the stack's auth server, as a user runs them.

Each test has its own config and state directories (where the session is kept); the project
comes from the environment, no token is given: joblens uses what `joblens login` stored.
"""

from __future__ import annotations

import asyncio
import json
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from devstack.testing import StackInfo

from joblens.errors import ExitCode
from support.cli import clean_env
from support.login import Joblens, login_env, run
from support.seeding import create_job, db_lines
from support.users import _password_user

SIGN_IN_AGAIN = "sign in again with `joblens login`"


def session_files(home: Path) -> list[Path]:
    return sorted((home / "config" / "joblens" / "sessions").glob("*.json"))


async def password_login(stack: StackInfo, home: Path) -> tuple[str, str]:
    """A new user signed in with `joblens login --email --password-stdin`: (id, email)."""
    uid, email, password = await _password_user(stack)
    code, _out, err = await run(
        login_env(stack, home), "login", "--email", email, "--password-stdin", stdin=password
    )
    assert code == ExitCode.OK, err
    assert f"Signed in to {stack.url} as {email}" in err
    return uid, email


async def test_password_login_then_whoami_then_a_job_then_logout(
    stack_documented: StackInfo, tmp_path: Path
) -> None:
    stack = stack_documented
    uid, email = await password_login(stack, tmp_path)
    env = login_env(stack, tmp_path)
    [stored] = session_files(tmp_path)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert "password" not in stored.read_text()

    code, out, err = await run(env, "whoami")
    assert code == ExitCode.OK, err
    assert out.splitlines()[0] == email
    assert uid in out and stack.url in out and "valid until" in out

    job_id = await create_job(stack, uid, job_type="DEPLOY")
    assert await stack.run_tendril(job_id, lines=50, rate=2000.0) == 0
    code, out, err = await run(env, "logs", job_id)
    assert code == ExitCode.OK, err
    assert out.splitlines() == await db_lines(stack, job_id)

    session = json.loads(stored.read_text())
    code, _out, err = await run(env, "logout")
    assert code == ExitCode.OK, err
    assert session_files(tmp_path) == []
    # Signed out on the server too: the stored refresh token is dead there.
    rows = await stack.asql(
        "select count(*) as n from auth.refresh_tokens where token = $1",
        session["refresh_token"],
    )
    assert rows[0]["n"] == 0
    code, _out, err = await run(env, "whoami")
    assert code == ExitCode.AUTH
    assert (
        err.strip()
        == f"joblens: not signed in to {stack.url} (profile 'default'): run `joblens login`"
    )


async def test_a_wrong_password_stores_nothing(stack_documented: StackInfo, tmp_path: Path) -> None:
    stack = stack_documented
    _uid, email, _password = await _password_user(stack)
    code, _out, err = await run(
        login_env(stack, tmp_path), "login", "--email", email, "--password-stdin", stdin="nope"
    )
    assert code == ExitCode.AUTH
    assert err.strip().splitlines() == [
        "joblens: wrong email or password; nothing was stored (check them and try again)"
    ]
    assert session_files(tmp_path) == []


async def test_an_existing_session_can_be_imported(
    stack_documented: StackInfo, tmp_path: Path
) -> None:
    from support.users import signed_in_user

    stack = stack_documented
    user, refresh = await signed_in_user(stack)
    env = login_env(stack, tmp_path)
    tokens = json.dumps({"access_token": user.token, "refresh_token": refresh})
    code, _out, err = await run(env, "login", "--token-stdin", stdin=tokens)
    assert code == ExitCode.OK, err
    code, out, err = await run(env, "whoami")
    assert code == ExitCode.OK, err
    assert user.id in out
    # Garbage is refused before anything is sent or stored.
    other = tmp_path / "other"
    code, _out, err = await run(login_env(stack, other), "login", "--token-stdin", stdin="x y")
    assert code == ExitCode.CONFIG
    assert "not a JWT" in err
    assert session_files(other) == []


async def test_a_session_revoked_on_the_server_says_sign_in_again(
    stack_documented: StackInfo, tmp_path: Path
) -> None:
    stack = stack_documented
    uid, _email = await password_login(stack, tmp_path)
    job_id = await create_job(stack, uid, job_type="DEPLOY", status="PROCESSING")
    await stack.asql("delete from auth.sessions where user_id = $1::uuid", uid)
    await stack.afault("expire_tokens")
    code, _out, err = await run(login_env(stack, tmp_path), "logs", job_id, timeout=30)
    assert code == ExitCode.AUTH
    assert err.strip().splitlines()[-1].endswith(SIGN_IN_AGAIN)
    assert session_files(tmp_path) == []  # a dead session is not kept


@pytest.fixture
async def strict(stack_documented: StackInfo):  # type: ignore[no-untyped-def]
    stack_documented.options(refresh_token_reuse_interval=0)
    yield stack_documented
    stack_documented.fault("clear")


@pytest.mark.slow(13)
async def test_two_watches_on_one_login_refresh_it_many_times_without_a_lost_line(
    strict: StackInfo, tmp_path: Path
) -> None:
    """Refresh during a watch, in two processes sharing the stored session: no reuse error
    (the stack ends a session at the first reuse), and every line printed by both."""
    stack = strict
    uid, _email = await password_login(stack, tmp_path)
    [stored] = session_files(tmp_path)
    first_refresh = json.loads(stored.read_text())["refresh_token"]
    job_id = await create_job(stack, uid, job_type="DEPLOY")
    env = login_env(stack, tmp_path)
    followers = [
        asyncio.create_task(run(env, "logs", job_id, "--follow", timeout=90)) for _ in range(2)
    ]
    await asyncio.sleep(2.0)

    async def refreshed() -> int:
        rows = await stack.asql(
            "select count(*) - 1 as n from auth.refresh_tokens where session_id ="
            " (select session_id from auth.refresh_tokens where token = $1)",
            first_refresh,
        )
        return int(rows[0]["n"] or 0)

    for _ in range(4):
        before = await refreshed()
        await stack.afault("expire_tokens")
        async with asyncio.timeout(20):
            while await refreshed() <= before:
                await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
    tendril = asyncio.create_task(stack.run_tendril(job_id, lines=400, rate=400.0))
    await asyncio.sleep(0.4)
    await stack.afault("expire_tokens")  # once more while lines stream
    assert await tendril == 0
    expected = await db_lines(stack, job_id)
    for follower in followers:
        code, out, err = await follower
        assert code == ExitCode.OK, err
        assert out.splitlines() == expected
    assert await refreshed() >= 5
    rows = await stack.asql("select count(*) as n from auth.sessions where user_id = $1::uuid", uid)
    assert rows[0]["n"] == 1  # the session is alive


# -- in the browser (OAuth with PKCE) and with a code by email --------------------------------


async def _browser(stack: StackInfo, url: str, *, stop_at_app: bool) -> str:
    """Follow the sign-in as a browser does; with ``stop_at_app``, the address it ends on is
    returned without loading it (over SSH the loopback page is on another machine)."""
    async with httpx.AsyncClient(timeout=10) as http:
        for _ in range(6):
            if stop_at_app and not url.startswith(stack.url + "/"):
                return url
            response = await http.get(url)
            if response.status_code not in (302, 303):
                assert response.status_code == 200, response.text
                assert "Signed in" in response.text
                return url
            url = response.headers["location"]
    raise AssertionError(f"the sign-in never left the stack: {url}")


async def _authorize_url(process: Joblens) -> str:
    await process.err_line("to sign in with github")
    url = (await process.err_line("/auth/v1/authorize?")).strip()
    assert url.startswith("http")
    return url


@pytest.mark.parametrize("over_ssh", [False, True], ids=["loopback", "pasted"])
async def test_provider_login_in_the_browser(
    stack_documented: StackInfo, tmp_path: Path, over_ssh: bool
) -> None:
    stack = stack_documented
    uid, email, _password = await _password_user(stack)
    extra = {"SSH_CONNECTION": "10.0.0.2 51000 10.0.0.1 22"} if over_ssh else {}
    env = login_env(stack, tmp_path, **extra)
    process = await Joblens.start(env, "login", "--provider", "github", "--no-browser")
    url = await _authorize_url(process)
    # The user picks their account at the provider (the stand-in takes it from login_hint).
    landed = await _browser(stack, f"{url}&login_hint={email}", stop_at_app=over_ssh)
    assert landed.startswith("http://127.0.0.1:") and "code=" in landed
    if over_ssh:
        process.type("not the address\n")
        process.type(landed + "\n")
    code, _out, err = await process.end()
    assert code == ExitCode.OK, err
    assert f"Signed in to {stack.url} as {email}" in err
    if over_ssh:
        assert "That is not the address the browser ended on" in err
    code, out, err = await run(env, "whoami")
    assert code == ExitCode.OK, err
    assert uid in out


async def test_a_provider_the_project_does_not_offer_is_one_line(
    stack_documented: StackInfo, tmp_path: Path
) -> None:
    env = login_env(stack_documented, tmp_path)
    code, _out, err = await run(env, "login", "--provider", "discord", "--no-browser")
    assert code == ExitCode.AUTH
    assert err.strip().splitlines() == [
        "joblens: the project does not offer this sign-in: Unsupported provider: "
        "provider is not enabled"
    ]
    # A name no auth server knows is a usage error, before anything is asked.
    code, _out, err = await run(env, "login", "--provider", "myspace")
    assert code == ExitCode.USAGE
    assert err.startswith("joblens: Invalid value for '--provider': 'myspace' is not a provider")
    assert session_files(tmp_path) == []


async def _mailed_code(stack: StackInfo, email: str) -> str:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(f"{stack.url}/__devstack/mail", params={"email": email})
    return str(response.json()[0]["token"])


async def test_email_code_login(stack_documented: StackInfo, tmp_path: Path) -> None:
    stack = stack_documented
    stack.options(email_max_frequency=0)
    try:
        uid, email, _password = await _password_user(stack)
        env = login_env(stack, tmp_path)
        # A wrong code: one line, nothing stored.
        process = await Joblens.start(env, "login", "--email", email)
        await process.err_line(f"A sign-in code was sent to {email}")
        process.type("000000\n")
        code, _out, err = await process.end()
        assert code == ExitCode.AUTH
        assert err.strip().splitlines()[-1] == (
            f"joblens: that code is wrong or has expired; nothing was stored "
            f"(run `joblens login --email {email}` for a new one)"
        )
        assert session_files(tmp_path) == []
        # The code from the mail, piped in as a script would.
        process = await Joblens.start(env, "login", "--email", email)
        await process.err_line(f"A sign-in code was sent to {email}")
        process.type(await _mailed_code(stack, email) + "\n")
        code, _out, err = await process.end()
        assert code == ExitCode.OK, err
        code, out, err = await run(env, "whoami")
        assert code == ExitCode.OK, err
        assert uid in out
    finally:
        stack.fault("clear")


class _NotSupabase(BaseHTTPRequestHandler):
    """A web server that is not a Supabase project: an HTML page for any POST."""

    def do_POST(self) -> None:
        status = 404 if "/nope" in self.path else 500
        body = b"<html><body>Not here</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def not_supabase() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotSupabase)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_url_that_is_not_a_supabase_project_is_said_to_be_so(
    not_supabase: str, tmp_path: Path
) -> None:
    """An HTML answer to the sign-in (a wrong URL, a proxy's error page) read "your session
    could not be refreshed" at a first sign-in; a 4xx now says to check the URL (exit 5), a
    5xx that the server failed (exit 7)."""
    env = clean_env(
        SUPABASE_ANON_KEY="anon",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    args = ("login", "--email", "me@example.test", "--password-stdin")
    url = f"{not_supabase}/nope"
    code, _out, err = await run({**env, "SUPABASE_URL": url}, *args, stdin="pw")
    assert code == ExitCode.CONFIG, err
    assert err.strip() == (
        f"joblens: SUPABASE_URL {url} does not answer as a Supabase project (HTTP 404 Not"
        " Found, not its auth server's JSON): check the URL"
    )
    code, _out, err = await run({**env, "SUPABASE_URL": not_supabase}, *args, stdin="pw")
    assert code == ExitCode.UNAVAILABLE, err
    assert "failed (HTTP 500 Internal Server Error): try again" in err
    assert "session" not in err and session_files(tmp_path) == []
