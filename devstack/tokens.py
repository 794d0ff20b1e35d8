"""HS256 JWTs as Supabase issues them, and their verification with the stack's rules."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

PROJECT_KEY_TTL = 10 * 365 * 24 * 3600


def make_token(
    secret: str,
    sub: str | None,
    role: str = "authenticated",
    ttl: int = 3600,
    extra: dict[str, Any] | None = None,
) -> str:
    """Sign a JWT with Supabase's claims (sub, role, aud, exp, iat).

    No `session_id` unless `extra` brings one (GoTrue's own tokens do): a token signed outside
    GoTrue has no session, so GoTrue never answers `session_not_found` for it.
    """
    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": "authenticated",
        "exp": now + ttl,
        "iat": now,
        "role": role,
        "iss": "devstack",
    }
    if sub is not None:
        claims["sub"] = sub
    if extra:
        claims.update(extra)
    return jwt.encode(claims, secret, algorithm="HS256")


def project_key(secret: str, role: str, issued_at: int | None = None) -> str:
    """A long-lived anon or service_role key, as a project's API settings show them."""
    now = int(time.time()) if issued_at is None else issued_at
    claims = {"iss": "supabase-devstack", "role": role, "iat": now, "exp": now + PROJECT_KEY_TTL}
    return jwt.encode(claims, secret, algorithm="HS256")


class TokenError(Exception):
    """A token that cannot be used; `expired_for` is set when it only expired. `kind` says
    why: "expired", "signature" (not signed with the project's secret) or "malformed"."""

    def __init__(self, message: str, expired_for: int | None = None, kind: str = "") -> None:
        super().__init__(message)
        self.expired_for = expired_for
        self.kind = kind or ("expired" if expired_for is not None else "malformed")


@dataclass
class Verifier:
    """Checks tokens against the secret and the `expire_tokens` fault's cut-off."""

    secret: str
    project_keys: frozenset[str]
    expired_before: float | None = None  # tokens issued at or before this count as expired

    def claims(self, token: str, leeway: float = 0.0) -> dict[str, Any]:
        """Decode a token or raise TokenError (expired tokens say for how long).

        `leeway`: seconds a token is still accepted past its `exp` (PostgREST allows 30 s of
        clock skew). The `expire_tokens` cut-off ignores it: that fault plays tokens expired
        long ago.
        """
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                options={"verify_aud": False, "verify_exp": False},
            )
        except jwt.InvalidSignatureError as exc:
            raise TokenError("JWSError JWSInvalidSignature", kind="signature") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenError(f"JWSError (CompactDecodeError {exc})") from exc
        now = time.time()
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and exp + leeway <= now:
            raise TokenError("JWT expired", expired_for=max(0, int(now - exp)))
        cutoff = self.expired_before
        if cutoff is not None and token not in self.project_keys:
            iat = claims.get("iat")
            if isinstance(iat, (int, float)) and iat <= cutoff:
                raise TokenError("JWT expired", expired_for=max(0, int(now - cutoff)))
        return claims

    def expires_at(self, claims: dict[str, Any]) -> float | None:
        """When a token stops being valid, in epoch seconds (None: never)."""
        exp = claims.get("exp")
        return float(exp) if isinstance(exp, (int, float)) else None
