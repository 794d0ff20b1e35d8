"""Tunable behaviours of a running stack: hosted Supabase's timings where they cost tests nothing,
short ones where hosted's would slow every test (a test sets hosted's value when it needs it).

Set at start (`serve --option NAME=VALUE`), changed at run time (`POST /__devstack/options`),
and put back to the start values by the `clear` fault, so every test starts from the same stack.
A range is `[min, max]` seconds (a single number means exactly that long); each use draws a
uniform random value from it, as the real server's randomised back-offs do.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

Range = tuple[float, float]


@dataclass(frozen=True)
class Options:
    """What a stack does where hosted Supabase's own value would slow the test suite.

    Hosted values, for reference: ``subscribe_delay`` well under a second on a warm project,
    ``resubscribe_delay`` [1, 3] (supabase/realtime's
    ``postgres_subscribe()`` back-off), ``join_error_delay`` 5 (``CHANNEL_ERROR_BACKOFF_MS``),
    ``cold_start`` [1, 3] or longer, ``idle_timeout`` 60 (Phoenix's websocket timeout),
    ``refresh_token_reuse_interval`` 10 (GoTrue's ``REFRESH_TOKEN_REUSE_INTERVAL``),
    ``jwt_leeway`` 30, ``flow_state_expiry`` 300 (GoTrue's ``FLOW_STATE_EXPIRY_DURATION``, also
    its minimum), ``otp_expiry`` 3600 (``MAILER_OTP_EXP`` as hosted projects set it) and
    ``email_max_frequency`` 60 (``SMTP_MAX_FREQUENCY``) are hosted's own defaults here too.
    """

    #: join reply -> "Subscribed to PostgreSQL" on a warm project
    subscribe_delay: Range = (0.05, 0.05)
    #: access_token push with a new token -> "Subscribed to PostgreSQL" again this long after,
    #: as hosted does (short here); None: the subscription is redone without a word
    resubscribe_delay: Range | None = (0.2, 0.5)
    #: a refused join is answered this late, every other frame of its socket held meanwhile
    join_error_delay: float = 0.0
    #: when set, the project is cold once: the next subscriptions wait this long (then warm)
    cold_start: Range | None = None
    #: a socket that receives no frame for this long is closed (code 1000)
    idle_timeout: float = 60.0
    #: an older refresh token used within this long of the session's last refresh gets the
    #: active pair instead of ending the session
    refresh_token_reuse_interval: float = 10.0
    #: REST accepts a JWT this long past its `exp` (PostgREST's allowed clock skew)
    jwt_leeway: float = 30.0
    #: auth's SITE_URL: where a sign-in goes back to when its `redirect_to` is not allowed
    site_url: str = "http://localhost:3000"
    #: auth's URI_ALLOW_LIST: globs a `redirect_to` may match (`*` stops at `.` and `/`, `**`
    #: does not); loopback addresses and the site's own origin are allowed anyway, as in GoTrue
    redirect_allow_list: tuple[str, ...] = ("http://127.0.0.1:*/**", "http://localhost:*/**")
    #: the OAuth providers enabled (each signs in at once on the stack's stand-in page)
    oauth_providers: tuple[str, ...] = ("github", "gitlab", "bitbucket", "google")
    #: whom the stand-in provider signs in when /authorize has no `login_hint`
    oauth_email: str = "oauth-user@example.test"
    #: a PKCE flow state (and its auth code) is refused this long after it began
    flow_state_expiry: float = 300.0
    #: an emailed one-time code is refused this long after it was sent
    otp_expiry: float = 3600.0
    #: one address is sent a code at most this often (sooner: 429 over_email_send_rate_limit)
    email_max_frequency: float = 60.0

    def updated(self, changes: dict[str, Any]) -> Options:
        """A copy with `changes` applied (names and values checked); raises ValueError."""
        known = {f.name: f for f in fields(self)}
        values: dict[str, Any] = {}
        for name, raw in changes.items():
            if name not in known:
                raise ValueError(f"unknown option {name!r} (known: {', '.join(sorted(known))})")
            values[name] = _convert(name, raw)
        return replace(self, **values)

    def as_json(self) -> dict[str, Any]:
        """The options as JSON values (ranges as two-element lists)."""
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


RANGES = {"subscribe_delay", "resubscribe_delay", "cold_start"}
NULLABLE = {"resubscribe_delay", "cold_start"}
TEXTS = {"site_url", "oauth_email"}
#: lists of words: a JSON list, or one string of comma-separated words
LISTS = {"redirect_allow_list", "oauth_providers"}


def _convert(name: str, raw: Any) -> Any:
    if name in NULLABLE and raw is None:
        return None
    if name in RANGES:
        return _range(name, raw)
    if name in TEXTS:
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError(f"option {name} wants a non-empty string, got {raw!r}")
        return raw.strip()
    if name in LISTS:
        return _words(name, raw)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"option {name} wants seconds, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"option {name} cannot be negative")
    return value


def _range(name: str, raw: Any) -> Range:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        low = high = float(raw)
    elif isinstance(raw, (list, tuple)) and len(raw) == 2:
        try:
            low, high = float(raw[0]), float(raw[1])
        except (TypeError, ValueError):
            raise ValueError(f"option {name} wants [min, max] seconds, got {raw!r}") from None
    else:
        raise ValueError(f"option {name} wants seconds or [min, max], got {raw!r}")
    if low < 0 or high < low:
        raise ValueError(f"option {name}: need 0 <= min <= max, got {raw!r}")
    return (low, high)


def _words(name: str, raw: Any) -> tuple[str, ...]:
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        raise ValueError(f"option {name} wants a list of strings, got {raw!r}")
    words = tuple(i.strip() for i in items if i.strip())
    if name == "oauth_providers":
        return tuple(w.lower() for w in words)
    from .auth_redirects import compile_glob  # a bad pattern is refused when set

    for pattern in words:
        compile_glob(pattern)
    return words


def draw(span: Range) -> float:
    """A random delay within a range."""
    low, high = span
    return low if high <= low else random.uniform(low, high)


def parse_cli(pairs: list[str]) -> dict[str, Any]:
    """`NAME=VALUE` arguments (VALUE as JSON, e.g. `cold_start=[1,3]`) as an options dict."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, eq, text = pair.partition("=")
        if not eq:
            raise ValueError(f"--option wants NAME=VALUE, got {pair!r}")
        try:
            out[name.strip()] = json.loads(text)
        except ValueError:
            out[name.strip()] = text
    return out
