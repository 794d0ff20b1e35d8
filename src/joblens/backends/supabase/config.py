"""Settings for the Supabase backend, read once from the environment and checked early.

Every problem is a :class:`ConfigError` (or :class:`AuthError` for an expired token) whose one
line names exactly what to set. Secrets never appear in ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlparse

from joblens.errors import TOKEN_FIX, AuthError, ConfigError

DEFAULT_LOGS_TABLE = "provision_job_logs"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _mask(secret: str | None) -> str:
    return "None" if secret is None else f"<{len(secret)} chars>"


@dataclass(frozen=True)
class SupabaseSettings:
    """Where the project is and who the user is."""

    url: str
    anon_key: str = field(repr=False)
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    logs_table: str = DEFAULT_LOGS_TABLE

    def __repr__(self) -> str:
        return (
            f"SupabaseSettings(url={self.url!r}, anon_key={_mask(self.anon_key)}, "
            f"access_token={_mask(self.access_token)}, "
            f"refresh_token={_mask(self.refresh_token)}, logs_table={self.logs_table!r})"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SupabaseSettings:
        """Read and check SUPABASE_URL, SUPABASE_ANON_KEY, JOBLENS_* from the environment."""
        env = os.environ if environ is None else environ

        def value(name: str) -> str | None:
            text = env.get(name, "").strip()
            return text or None

        url = value("SUPABASE_URL")
        if url is None:
            raise ConfigError(
                "SUPABASE_URL is not set: set it to your project's URL "
                "(https://<project>.supabase.co)"
            )
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(
                "SUPABASE_URL is not a valid http(s) URL: set it to your project's URL "
                "(https://<project>.supabase.co)"
            )
        anon_key = value("SUPABASE_ANON_KEY")
        if anon_key is None:
            raise ConfigError(
                "SUPABASE_ANON_KEY is not set: set it to your project's anon (public) API key"
            )
        access_token = value("JOBLENS_ACCESS_TOKEN")
        if access_token is None:
            raise ConfigError(
                "JOBLENS_ACCESS_TOKEN is not set: set it to your session's access token (a JWT)"
            )
        refresh_token = value("JOBLENS_REFRESH_TOKEN")
        expiry = token_expiry(access_token)
        if refresh_token is None and expiry is not None and expiry <= datetime.now(UTC):
            raise AuthError(
                f"your access token expired at {expiry:%Y-%m-%d %H:%M:%S} UTC; {TOKEN_FIX}"
            )
        logs_table = value("JOBLENS_LOGS_TABLE") or DEFAULT_LOGS_TABLE
        if not _IDENTIFIER.fullmatch(logs_table):
            raise ConfigError(
                "JOBLENS_LOGS_TABLE must be a plain table name such as provision_job_logs "
                "or job_logs"
            )
        return cls(
            url=url.rstrip("/"),
            anon_key=anon_key,
            access_token=access_token,
            refresh_token=refresh_token,
            logs_table=logs_table,
        )


def jwt_claims(token: str) -> dict[str, object]:
    """The claims of a JWT, decoded without verifying it (for early, friendly checks)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ConfigError(
            "JOBLENS_ACCESS_TOKEN is not a JWT: set it to your session's access token"
        )
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError) as error:
        raise ConfigError(
            "JOBLENS_ACCESS_TOKEN is not a readable JWT: set it to your session's access token"
        ) from error
    if not isinstance(claims, dict):
        raise ConfigError(
            "JOBLENS_ACCESS_TOKEN is not a readable JWT: set it to your session's access token"
        )
    return claims


def token_expiry(token: str) -> datetime | None:
    """When the token expires (its ``exp`` claim), or None if it does not say."""
    exp = jwt_claims(token).get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    try:
        return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, OSError, ValueError):
        return None
