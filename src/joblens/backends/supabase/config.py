"""Settings for the Supabase backend, resolved once (:mod:`joblens.settings`) and checked early.

Every problem is a :class:`ConfigError` (or :class:`AuthError` for an expired token or no
session) whose one line names the setting at fault as the user set it. Secrets never appear
in ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from joblens.errors import TOKEN_FIX, AuthError, ConfigError
from joblens.sanitize import display_text
from joblens.settings import DEFAULT_LOGS_TABLE, Settings, resolve

if TYPE_CHECKING:
    from joblens.backends.supabase.session import SessionStore

#: What to do about an ended session, by where the session came from.
LOGIN_FIX = "sign in again with `joblens login`"
ENV_FIX = "sign in again and set fresh JOBLENS_ACCESS_TOKEN and JOBLENS_REFRESH_TOKEN"


def _mask(secret: str | None) -> str:
    return "None" if secret is None else f"<{len(secret)} chars>"


@dataclass(frozen=True)
class SettingNames:
    """How messages name each setting: as the user set it (a variable, a flag, a profile key)."""

    url: str = "SUPABASE_URL"
    anon_key: str = "SUPABASE_ANON_KEY"
    logs_table: str = "JOBLENS_LOGS_TABLE"
    #: What to do when the session ends: depends on where it came from.
    sign_in: str = ENV_FIX

    @classmethod
    def of(cls, settings: Settings) -> SettingNames:
        """The names as ``settings`` say each was set."""
        return cls(
            url=settings.label("url"),
            anon_key=settings.label("anon_key"),
            logs_table=settings.label("logs_table"),
        )

    @property
    def from_login(self) -> bool:
        """The session is one `joblens login` stored (not one from the environment)."""
        return self.sign_in == LOGIN_FIX


@dataclass(frozen=True)
class SupabaseSettings:
    """Where the project is and who the user is."""

    url: str
    anon_key: str = field(repr=False)
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    logs_table: str = DEFAULT_LOGS_TABLE
    names: SettingNames = field(default_factory=SettingNames, compare=False)
    #: Where the session is kept: the profile's store for a `joblens login` session; None for
    #: a session from the environment (kept in a file named after it, see session.py).
    session_store: SessionStore | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        return (
            f"SupabaseSettings(url={self.url!r}, anon_key={_mask(self.anon_key)}, "
            f"access_token={_mask(self.access_token)}, "
            f"refresh_token={_mask(self.refresh_token)}, logs_table={self.logs_table!r})"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SupabaseSettings:
        """Settings from the environment and the config file (no flags, the usual profile)."""
        env = os.environ if environ is None else environ
        return cls.from_settings(resolve(environ=env), env)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        environ: Mapping[str, str] | None = None,
        *,
        allow_service_role: bool = False,
    ) -> SupabaseSettings:
        """Check the project settings and find the session: the environment's tokens
        (``JOBLENS_ACCESS_TOKEN``, ``JOBLENS_REFRESH_TOKEN``), else the profile's stored one."""
        env = os.environ if environ is None else environ
        url = settings.value("url")
        if not isinstance(url, str):
            raise settings.missing("url")
        anon_key = settings.value("anon_key")
        if not isinstance(anon_key, str):
            raise settings.missing("anon_key")
        check_key_role(anon_key, settings.label("anon_key"), allow_service_role)
        logs_table = settings.value("logs_table")
        names = SettingNames.of(settings)
        access_token = env.get("JOBLENS_ACCESS_TOKEN", "").strip() or None
        refresh_token = env.get("JOBLENS_REFRESH_TOKEN", "").strip() or None
        store: SessionStore | None = None
        if access_token is None:
            if refresh_token is not None:
                raise ConfigError(
                    "JOBLENS_REFRESH_TOKEN is set without JOBLENS_ACCESS_TOKEN: set both, "
                    "or neither and sign in with `joblens login`"
                )
            from joblens.backends.supabase.session import profile_store

            store = profile_store(settings.profile, url)
            stored = store.load()
            if stored is None:
                raise not_signed_in(url, settings.profile)
            access_token, refresh_token = stored.access_token, stored.refresh_token
            names = replace(names, sign_in=LOGIN_FIX)
        else:
            jwt_claims(access_token)  # a clear message now for something that is not a JWT
            expiry = token_expiry(access_token)
            if refresh_token is None and expiry is not None and expiry <= datetime.now(UTC):
                raise AuthError(
                    f"your access token expired at {expiry:%Y-%m-%d %H:%M:%S} UTC; {TOKEN_FIX}"
                )
        return cls(
            url=url,
            anon_key=anon_key,
            access_token=access_token,
            refresh_token=refresh_token,
            logs_table=logs_table if isinstance(logs_table, str) else DEFAULT_LOGS_TABLE,
            names=names,
            session_store=store,
        )


def not_signed_in(url: str, profile: str) -> AuthError:
    """No session for ``profile`` at ``url``: the one line that says what to do."""
    return AuthError(f"not signed in to {url} (profile {profile!r}): run `joblens login`")


def key_role(key: str) -> str | None:
    """The role an API key acts as: ``anon``, ``service_role``, or None when it does not say.

    Supabase's keys are JWTs with a ``role`` claim, or (newer) ``sb_publishable_…`` and
    ``sb_secret_…`` keys; a secret key acts as the service role.
    """
    if key.startswith("sb_secret_"):
        return "service_role"
    if key.startswith("sb_publishable_"):
        return "anon"
    try:
        role = jwt_claims(key).get("role")
    except ConfigError:
        return None
    return role if isinstance(role, str) else None


def check_key_role(key: str, label: str, allow_service_role: bool) -> None:
    """Refuse a service-role key unless ``allow_service_role``; warn when it is allowed."""
    if key_role(key) != "service_role":
        return
    if not allow_service_role:
        raise ConfigError(
            f"{label} is a service-role key, which bypasses row-level security: use the "
            f"project's anon (public) key, or pass --allow-service-role if you mean it"
        )
    click_warning(
        f"warning: {label} is a service-role key: row-level security is bypassed, every "
        f"user's jobs can be seen and changed"
    )


def click_warning(text: str) -> None:
    """One warning line on stderr, as the command line's errors are written."""
    import sys

    print(f"joblens: {display_text(text)}", file=sys.stderr)


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
