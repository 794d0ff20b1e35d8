"""Signing in to a project from the terminal, and the account behind a stored session.

Every flow goes through supabase-py's own auth client (``supabase_auth``) against the
project's auth server (GoTrue), and ends with a :class:`Session` that ``joblens login``
stores (:func:`joblens.backends.supabase.session.profile_store`); a password is never stored.

- :func:`oauth`: a provider (GitHub, GitLab, …) with PKCE. The browser is sent to the
  project's ``/authorize``, which comes back to a loopback page on 127.0.0.1
  (:mod:`joblens.loopback`) with a one-time code that only this process, holding the code
  verifier, can exchange. Over SSH the browser's last address can be pasted instead.
- :func:`email_code`: a one-time code sent by email, then typed in.
- :func:`password`: email and password.
- :func:`imported`: an access and refresh token the user already has, checked first.

The auth server's refusals become one line each (:func:`_refused`) and leave nothing stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from joblens.backends.supabase.config import SettingNames
from joblens.backends.supabase.session import Session
from joblens.errors import AuthError, BackendUnavailable, JoblensError
from joblens.loopback import Callback, LoopbackServer, callback_from_url

if TYPE_CHECKING:
    from supabase_auth import AsyncGoTrueClient

#: How long a browser sign-in may take before joblens stops waiting.
OAUTH_TIMEOUT = 300.0
#: Providers the platform's web app offers (listed first in messages).
PROVIDERS = ("github", "gitlab", "bitbucket", "google")


def known_providers() -> tuple[str, ...]:
    """Every provider name supabase-py accepts (it refuses others before asking the server)."""
    from typing import get_args

    from supabase_auth.types import Provider

    others = sorted(set(get_args(Provider)) - set(PROVIDERS))
    return (*PROVIDERS, *others)


@dataclass(frozen=True)
class SignedIn:
    session: Session
    email: str | None
    user_id: str | None


@dataclass(frozen=True)
class Project:
    """The project's auth server, as the settings name it."""

    url: str
    anon_key: str
    names: SettingNames

    def client(self, flow_type: str = "implicit") -> AsyncGoTrueClient:
        from supabase_auth import AsyncGoTrueClient

        return AsyncGoTrueClient(
            url=f"{self.url}/auth/v1",
            headers={"apikey": self.anon_key, "Authorization": f"Bearer {self.anon_key}"},
            auto_refresh_token=False,
            persist_session=False,
            flow_type=flow_type,  # type: ignore[arg-type]
        )

    def refused(self, error: BaseException, what: str, again: str) -> JoblensError:
        return _refused(error, self, what, again)


def _refused(error: BaseException, project: Project, what: str, again: str) -> JoblensError:
    """The auth server's answer as one line: what was refused and what to do."""
    from supabase_auth.errors import AuthApiError

    from joblens.backends.supabase.errors import first_line_of, translate

    if isinstance(error, AuthApiError) and error.status < 500:
        code = str(error.code or "")
        detail = first_line_of(str(error.message or "")) or code
        if code == "invalid_credentials":
            return AuthError(f"wrong email or password; nothing was stored ({again})")
        if code in ("otp_expired", "otp_invalid"):
            return AuthError(f"that code is wrong or has expired; nothing was stored ({again})")
        if code in ("flow_state_not_found", "flow_state_expired", "bad_code_verifier"):
            return AuthError(f"the sign-in code was refused ({detail}); {again}")
        if code in ("otp_disabled", "signup_disabled", "user_not_found"):
            return AuthError(f"{what} was refused: {detail} (is there an account for it?)")
        if code.startswith("over_") or error.status == 429:
            return BackendUnavailable(f"{what} was refused for now: {detail}")
        if "api key" in detail.lower():
            from joblens.backends.supabase.errors import key_refused

            return key_refused(project.names)
        return AuthError(f"{what} was refused: {detail}")
    # The rest (network, 5xx, the client's own errors) as anywhere else.
    return translate(error, url=project.url, table="auth", names=project.names)


def _signed_in(response: Any) -> SignedIn:
    session = getattr(response, "session", None)
    if session is None or not session.access_token or not session.refresh_token:
        raise BackendUnavailable("the auth server answered a sign-in without a session")
    user = getattr(response, "user", None) or getattr(session, "user", None)
    return SignedIn(
        Session(session.access_token, session.refresh_token),
        getattr(user, "email", None) or None,
        getattr(user, "id", None) or None,
    )


# -- OAuth with PKCE ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OAuthPrompt:
    """What the user is told while the browser does the sign-in."""

    authorize_url: str
    redirect_url: str


class _Lines:
    """Lines typed on stdin, read in a daemon thread (a blocked read never holds up the exit)."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        threading.Thread(target=self._read, daemon=True, name="joblens-stdin").start()

    def _read(self) -> None:
        try:
            for line in sys.stdin:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, line)
        except (OSError, ValueError):
            pass
        with contextlib.suppress(RuntimeError):  # the loop may be gone already
            self._loop.call_soon_threadsafe(self._queue.put_nowait, None)

    async def next(self) -> str | None:
        return await self._queue.get()


async def _pasted(say: Callable[[str], None]) -> Callback:
    """The first pasted line that holds a code (or an error); waits for ever at end of input."""
    lines = _Lines()
    while True:
        line = await lines.next()
        if line is None:
            await asyncio.Event().wait()  # no more input: only the browser can answer now
            continue
        found = callback_from_url(line)
        if found is not None:
            return found
        if line.strip():
            say("That is not the address the browser ended on (it holds ?code=…): try again.")


async def _check_provider(project: Project, url: str) -> None:
    """Ask /authorize before the browser does: an unknown or disabled provider says so here."""
    import httpx

    try:
        async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as http:
            response = await http.get(url)
    except httpx.HTTPError as error:
        raise _refused(error, project, "", "") from None
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = ""
    if isinstance(body, dict):
        detail = str(body.get("msg") or body.get("message") or body.get("error_description") or "")
    from joblens.backends.supabase.errors import first_line_of

    detail = first_line_of(detail) or f"HTTP {response.status_code}"
    if response.status_code >= 500:
        raise BackendUnavailable(f"the auth server failed ({detail}): try again")
    raise AuthError(f"the project does not offer this sign-in: {detail}")


async def oauth(
    project: Project,
    provider: str,
    *,
    announce: Callable[[OAuthPrompt], None],
    say: Callable[[str], None],
    port: int = 0,
    read_pasted: bool = True,
    timeout: float = OAUTH_TIMEOUT,
) -> SignedIn:
    """Sign in with ``provider`` in a browser (PKCE), the code coming back to a loopback page
    or, over SSH, pasted (the address the browser ended on)."""
    again = f"run `joblens login --provider {provider}` again"
    client = project.client("pkce")
    try:
        async with LoopbackServer(port) as server:
            try:
                response = await client.sign_in_with_oauth(
                    {"provider": provider, "options": {"redirect_to": server.redirect_url}}  # type: ignore[typeddict-item]
                )
            except Exception as error:
                raise project.refused(error, "the sign-in", again) from None
            await _check_provider(project, response.url)
            announce(OAuthPrompt(response.url, server.redirect_url))
            assert server.result is not None
            waits: list[Awaitable[Callback]] = [server.result]
            if read_pasted:
                waits.append(_pasted(say))
            tasks = [asyncio.ensure_future(w) for w in waits]
            try:
                done, _ = await asyncio.wait(
                    tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                for task in tasks:
                    task.cancel()
            if not done:
                raise AuthError(f"no sign-in came back within {timeout / 60:.0f} minutes; {again}")
            callback = next(iter(done)).result()
        if callback.code is None:
            from joblens.backends.supabase.errors import first_line_of

            detail = first_line_of(callback.description or callback.error or "") or "refused"
            raise AuthError(f"the sign-in was refused: {detail}; {again}")
        try:
            exchanged = await client.exchange_code_for_session({"auth_code": callback.code})
        except Exception as error:
            raise project.refused(error, "the sign-in", again) from None
        return _signed_in(exchanged)
    except OSError as error:
        raise BackendUnavailable(
            f"cannot listen on 127.0.0.1:{port} for the browser: {error.strerror or error}"
        ) from None
    finally:
        await _close(client)


# -- email: a one-time code, or a password ----------------------------------------------------


async def send_email_code(project: Project, email: str) -> None:
    """Ask the project to email a one-time code to ``email`` (an existing account only)."""
    client = project.client()
    try:
        await client.sign_in_with_otp({"email": email, "options": {"should_create_user": False}})
    except Exception as error:
        raise project.refused(error, f"a sign-in code for {email}", "try again") from None
    finally:
        await _close(client)


async def email_code(project: Project, email: str, code: str) -> SignedIn:
    """Sign in with the one-time ``code`` emailed to ``email``."""
    client = project.client()
    try:
        response = await client.verify_otp({"email": email, "token": code.strip(), "type": "email"})
    except Exception as error:
        raise project.refused(
            error, "the code", f"run `joblens login --email {email}` for a new one"
        ) from None
    finally:
        await _close(client)
    return _signed_in(response)


async def password(project: Project, email: str, secret: str) -> SignedIn:
    client = project.client()
    try:
        response = await client.sign_in_with_password({"email": email, "password": secret})
    except Exception as error:
        raise project.refused(error, "the sign-in", "check them and try again") from None
    finally:
        await _close(client)
    return _signed_in(response)


# -- a session the user already has -----------------------------------------------------------


def parse_tokens(text: str) -> Session:
    """An access and a refresh token: JSON ``{"access_token", "refresh_token"}`` (a
    session as supabase-js stores it) or the two tokens, access first, on lines or words."""
    import json

    from joblens.errors import ConfigError

    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise ConfigError("the session on stdin is not valid JSON") from None
        if isinstance(data, dict) and isinstance(data.get("currentSession"), dict):
            data = data["currentSession"]  # supabase-js's older storage shape
        access = data.get("access_token") if isinstance(data, dict) else None
        refresh = data.get("refresh_token") if isinstance(data, dict) else None
    else:
        words = text.split()
        access = refresh = None
        if len(words) == 2:
            access, refresh = words
    if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
        raise ConfigError(
            "give the session on stdin as JSON with access_token and refresh_token, or the "
            "access token and the refresh token on two lines"
        )
    from joblens.backends.supabase.config import jwt_claims

    try:
        jwt_claims(access)
    except ConfigError:
        raise ConfigError("the access token on stdin is not a JWT") from None
    return Session(access, refresh)


async def account(project: Project, session: Session) -> SignedIn:
    """Who ``session`` belongs to, as the auth server says (its access token must be valid)."""
    client = project.client()
    try:
        response = await client.get_user(session.access_token)
    except Exception as error:
        raise project.refused(error, "the session", "sign in again with `joblens login`") from None
    finally:
        await _close(client)
    user = getattr(response, "user", None)
    return SignedIn(session, getattr(user, "email", None), getattr(user, "id", None))


async def refresh(project: Project, refresh_token: str) -> Session:
    """Spend ``refresh_token`` for a new session (callers hold the session's lock)."""
    client = project.client()
    try:
        response = await client.refresh_session(refresh_token)
    except Exception as error:
        from joblens.backends.supabase.errors import translate

        raise translate(error, url=project.url, table="auth", names=project.names) from None
    finally:
        await _close(client)
    return _signed_in(response).session


async def sign_out(project: Project, session: Session) -> bool:
    """End ``session`` on the server (this session only); False when it had ended already."""
    from supabase_auth.errors import AuthApiError

    client = project.client()
    try:
        await client.admin.sign_out(session.access_token, "local")
    except AuthApiError as error:
        if error.status in (401, 403, 404):
            return False  # expired, revoked or signed out already: nothing to end
        raise project.refused(error, "signing out", "try again") from None
    except Exception as error:
        raise project.refused(error, "signing out", "try again") from None
    finally:
        await _close(client)
    return True


async def _close(client: AsyncGoTrueClient) -> None:
    with contextlib.suppress(Exception):
        await client.close()
