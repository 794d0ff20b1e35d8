"""Turn supabase-py's exceptions into joblens's one-line errors.

PostgREST errors arrive as ``postgrest.exceptions.APIError`` (with PostgREST's code but not the
HTTP status); timeouts and network failures are raw ``httpx`` exceptions; the auth client raises
its own ``AuthError`` family. Nothing else should escape the backend.

The server's words in those errors (messages, codes, the realtime server's reasons) are as
untrusted as its rows: every piece of them is made one safe line, and cut to
:data:`MAX_DETAIL` characters, here, before it is put in a message (and
:class:`joblens.errors.JoblensError` sanitises each message again as it is built).
"""

from __future__ import annotations

import json
import re

import httpx
from postgrest.exceptions import APIError
from supabase_auth.errors import AuthApiError, AuthRetryableError, AuthUnknownError
from supabase_auth.errors import AuthError as SupabaseAuthError

from joblens.backends.supabase.config import LOGIN_FIX, SettingNames
from joblens.errors import (
    TOKEN_FIX,
    ActionRejected,
    AuthError,
    BackendUnavailable,
    ConfigError,
    InvalidJobId,
    JoblensError,
    JobNotFound,
)
from joblens.sanitize import display_text, plain_text

#: PostgREST codes for a missing, malformed, expired or refused JWT.
AUTH_CODES = frozenset({"PGRST300", "PGRST301", "PGRST302", "PGRST303", "401"})
#: Codes that mean an embedded table or relationship does not exist in this deployment.
MISSING_RELATION_CODES = frozenset({"PGRST200", "PGRST201", "PGRST205", "42P01", "42703"})

#: The server (or PostgREST's database connection) is down or overloaded: try again later.
UNAVAILABLE_CODES = frozenset(
    {"500", "502", "503", "504", "520", "PGRST000", "PGRST001", "PGRST002", "PGRST003"}
    # A serialization failure, a deadlock and a statement timeout: PostgREST answers 500 and
    # the same request may well pass in a moment (docs/SUPABASE.md, "REST").
    | {"40001", "40P01", "57014"}
)

TOKEN_MESSAGE = f"your access token expired or was refused: {TOKEN_FIX}"
#: The settings' names when nothing says otherwise: the environment's.
ENV_NAMES = SettingNames()

#: The most characters of the server's own text put in one message (a toast, one stderr line).
MAX_DETAIL = 300


def is_auth_error(error: APIError) -> bool:
    """True when PostgREST refused the request because of the token."""
    if (error.code or "") in AUTH_CODES:
        return True
    return "jwt" in (error.message or "").lower()


def is_key_refused(message: str) -> bool:
    """True when the API gateway refused the request's apikey (wrong project, or no key)."""
    lowered = message.lower()
    return "invalid api key" in lowered or "no api key found" in lowered


def key_refused(names: SettingNames) -> ConfigError:
    return ConfigError(
        f"the project refused the API key in {names.anon_key}: set it to the anon (public) key "
        f"of the project at {names.url}"
    )


def from_api_error(
    error: APIError, *, table: str, action: str = "", names: SettingNames = ENV_NAMES
) -> JoblensError:
    """The joblens error for a PostgREST error on ``table``."""
    code = first_line_of(str(error.code or ""))
    message = first_line_of(str(error.message or ""))
    if is_key_refused(message):
        return key_refused(names)
    if is_auth_error(error):
        if names.from_login:
            return AuthError(f"your session expired or was refused: {LOGIN_FIX}")
        return AuthError(TOKEN_MESSAGE)
    if code == "22P02":
        return InvalidJobId("not a valid job id: give the full uuid or at least 8 hex digits")
    if code == "PGRST205" or code == "42P01":
        hint = f"check {names.logs_table}" if "log" in table else f"check {names.url}"
        return ConfigError(f"table {table} not found: {hint}")
    if code == "PGRST116":
        return JobNotFound("job not found, or not visible to this user")
    if code == "42501":
        what = action or "the request"
        return ActionRejected(f"the server refused {what}: permission denied")
    if code in UNAVAILABLE_CODES:
        return BackendUnavailable(
            f"the server failed ({code} {message or 'error'}): try again in a moment"
        )
    detail = f"{message} ({code})" if code else message or "unknown error"
    if action:
        return ActionRejected(f"the server refused {action}: {detail}")
    return BackendUnavailable(f"the server refused the request: {detail}")


def from_http_error(
    error: httpx.HTTPError, url: str, names: SettingNames = ENV_NAMES
) -> JoblensError:
    """The joblens error for a timeout or network failure talking to ``url``."""
    if isinstance(error, httpx.TimeoutException):
        return BackendUnavailable(f"cannot reach {names.url} {url}: timed out")
    return BackendUnavailable(f"cannot reach {names.url} {url}: {first_line(error)}")


#: GoTrue's error codes for a session that can never be used again: a spent refresh token used
#: again (the server then ends the session), an unknown one, or a session signed out.
SESSION_ENDED_CODES = frozenset(
    {
        "refresh_token_already_used",
        "refresh_token_not_found",
        "session_not_found",
        "session_expired",
    }
)


def from_auth_error(
    error: SupabaseAuthError, url: str, names: SettingNames = ENV_NAMES
) -> JoblensError:
    """The joblens error for a failed session set-up or refresh."""
    if isinstance(error, AuthRetryableError):
        reason = first_line_of(str(error.message or "")) or type(error).__name__
        return BackendUnavailable(f"cannot reach {names.url} {url}: {reason}")
    if isinstance(error, AuthApiError) and error.status >= 500:
        return BackendUnavailable(f"the auth server failed ({error.status}): try again")
    if isinstance(error, AuthUnknownError):
        return _not_auth_answer(error, url, names)
    if is_key_refused(str(getattr(error, "message", "") or "")):
        return key_refused(names)
    code = getattr(error, "code", None) or ""
    if code in SESSION_ENDED_CODES:
        return AuthError(
            f"your session has ended (signed out, or revoked by the server): {names.sign_in}"
        )
    return AuthError(f"your session could not be refreshed: {names.sign_in}")


#: How httpx words a bad status, which supabase-py's auth client passes on as the message of
#: an AuthUnknownError (the answer was not JSON): "Client error '404 Not Found' for url ...".
_HTTP_STATUS = re.compile(r"'(\d{3})((?: [^\n]*?)?)' for url")


def _not_auth_answer(error: AuthUnknownError, url: str, names: SettingNames) -> JoblensError:
    """An answer no Supabase auth server gives (not JSON; an HTML page, say): a 4xx means the
    URL is not the project's; a 5xx, a server (or a proxy before it) failing. It had read
    "your session could not be refreshed", even for a first sign-in."""
    message = str(error.message or "")
    found = _HTTP_STATUS.search(message)
    if found is None:
        reason = first_line_of(message) or "not an auth server's answer"
        return BackendUnavailable(f"unexpected answer from {url}: {reason}")
    status = int(found[1])
    answered = first_line_of(f"HTTP {found[1]}{found[2]}")
    if status < 500 or status == 501:  # (501: the server does not do this at all)
        return ConfigError(
            f"{names.url} {url} does not answer as a Supabase project ({answered}, not its"
            " auth server's JSON): check the URL"
        )
    return BackendUnavailable(f"the auth server at {url} failed ({answered}): try again")


def translate(
    error: BaseException,
    *,
    url: str,
    table: str,
    action: str = "",
    names: SettingNames = ENV_NAMES,
) -> JoblensError:
    """Any exception from supabase-py as a joblens error (unknown ones as BackendUnavailable)."""
    if isinstance(error, JoblensError):
        return error
    if isinstance(error, APIError):
        return from_api_error(error, table=table, action=action, names=names)
    if isinstance(error, httpx.HTTPError):
        return from_http_error(error, url, names)
    if isinstance(error, SupabaseAuthError):
        return from_auth_error(error, url, names)
    if isinstance(error, OSError):
        return BackendUnavailable(f"cannot reach {names.url} {url}: {first_line(error)}")
    return BackendUnavailable(f"unexpected error talking to {url}: {first_line(error)}")


def first_line_of(text: str) -> str:
    """The first line of untrusted ``text`` with anything in it, made safe ("" for blank text).

    Sanitised before it is cut into lines, so an escape sequence cannot hide a line break; the
    line is one line of display text (:func:`joblens.sanitize.display_text`) of at most
    :data:`MAX_DETAIL` characters.
    """
    for line in plain_text(text).split("\n"):
        shown = display_text(line).strip()
        if shown:
            return shown if len(shown) <= MAX_DETAIL else shown[: MAX_DETAIL - 1] + "…"
    return ""


def first_line(error: BaseException) -> str:
    """An exception's first line of text, made safe (or its type's name)."""
    return first_line_of(str(error)) or type(error).__name__


def live_down_reason(state: str, detail: str) -> str:
    """What a realtime subscribe state (CLOSED, TIMED_OUT, CHANNEL_ERROR) tells the user."""
    if state == "CLOSED":
        return "realtime channel closed; resubscribing"
    if state == "TIMED_OUT":
        return "realtime subscription timed out; retrying"
    first = first_line_of(_message_of(detail))
    if not first:
        return "realtime channel error; reconnecting"
    return f"realtime channel error ({first[:120]}); reconnecting"


def _message_of(detail: str) -> str:
    """The ``message`` of a realtime error payload given as JSON, else ``detail`` itself."""
    try:
        payload = json.loads(detail)
    except ValueError:
        return detail
    message = payload.get("message") if isinstance(payload, dict) else None
    return message if isinstance(message, str) and message.strip() else detail
