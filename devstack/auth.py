"""GoTrue under /auth/v1: password and refresh-token grants (rotation and reuse rules in
auth_refresh.py), the user, logout; errors in the shape the client's API version asks for.
The other sign-in flows (OAuth, PKCE, email codes) are in auth_flows.py."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Any

import asyncpg
import bcrypt
from aiohttp import web

from . import auth_refresh
from .auth_refresh import new_refresh_token
from .state import Stack
from .tokens import TokenError, make_token

ACCESS_TTL = 3600

USER_JSON = """
select json_build_object(
  'id', u.id, 'aud', coalesce(u.aud, 'authenticated'), 'role', coalesce(u.role, 'authenticated'),
  'email', u.email, 'email_confirmed_at', u.email_confirmed_at, 'phone', coalesce(u.phone, ''),
  'confirmed_at', u.confirmed_at, 'last_sign_in_at', u.last_sign_in_at,
  'app_metadata', coalesce(u.raw_app_meta_data, '{}'::jsonb),
  'user_metadata', coalesce(u.raw_user_meta_data, '{}'::jsonb),
  'identities', coalesce((select json_agg(json_build_object(
      'identity_id', i.id, 'id', i.provider_id, 'user_id', i.user_id,
      'identity_data', i.identity_data, 'provider', i.provider,
      'last_sign_in_at', i.last_sign_in_at, 'created_at', i.created_at,
      'updated_at', i.updated_at, 'email', i.email))
    from auth.identities i where i.user_id = u.id), '[]'),
  'created_at', u.created_at, 'updated_at', u.updated_at, 'is_anonymous', u.is_anonymous
)::text from auth.users u where u.id = $1
"""


#: GoTrue's bcrypt cost (Go's bcrypt.DefaultCost): about 80 ms a hash or check on a 2-core
#: machine, so both run in a thread.
BCRYPT_COST = 10


def _bcrypt_input(password: str) -> bytes:
    """bcrypt reads 72 bytes: like pgcrypto's crypt(), a longer password is cut there (bcrypt
    5 refuses longer input rather than cutting it itself)."""
    return password.encode()[:72]


def hash_password(password: str) -> str:
    """A bcrypt hash as GoTrue stores it in auth.users.encrypted_password (`$2a$10$...`)."""
    salt = bcrypt.gensalt(BCRYPT_COST, prefix=b"2a")
    return bcrypt.hashpw(_bcrypt_input(password), salt).decode()


def password_matches(password: str, encrypted_password: str | None) -> bool:
    """Whether the password is the one hashed; False too when there is no bcrypt hash."""
    try:
        return bcrypt.checkpw(_bcrypt_input(password), (encrypted_password or "").encode())
    except ValueError:  # not a bcrypt hash (empty, or another scheme), or not encodable
        return False


async def create_user(conn: asyncpg.Connection, email: str, password: str) -> str:
    """Create a confirmed email/password user (bcrypt, as GoTrue); return its id."""
    encrypted_password = await asyncio.to_thread(hash_password, password)
    async with conn.transaction():
        user_id = await conn.fetchval(
            "insert into auth.users (instance_id, email, encrypted_password, email_confirmed_at,"
            " raw_user_meta_data) values ('00000000-0000-0000-0000-000000000000', $1,"
            " $2, now(), '{}') returning id",
            email,
            encrypted_password,
        )
        await conn.execute(
            "insert into auth.identities (provider_id, user_id, identity_data, provider)"
            " values ($1::text, $3::uuid, jsonb_build_object('sub', $1::text, 'email', $2::text,"
            " 'email_verified', true), 'email')",
            str(user_id),
            email,
            user_id,
        )
    return str(user_id)


async def start_session(conn: asyncpg.Connection, user_id: Any, method: str) -> tuple[Any, str]:
    """Sign a user in (in the caller's transaction): a session recording how (`method`, as
    GoTrue's `amr` names it: password, oauth, otp, magiclink, ...), the user's last sign-in,
    and the session's first refresh token. Returns (session id, refresh token)."""
    session_id = await conn.fetchval(
        "insert into auth.sessions (user_id) values ($1) returning id", _uuid(user_id)
    )
    await conn.execute(
        "insert into auth.mfa_amr_claims (session_id, created_at, updated_at,"
        " authentication_method) select id, created_at, created_at, $2"
        " from auth.sessions where id = $1",
        session_id,
        method,
    )
    await conn.execute(
        "update auth.users set last_sign_in_at = now() where id = $1", _uuid(user_id)
    )
    refresh = new_refresh_token()
    await conn.execute(
        "insert into auth.refresh_tokens (token, user_id, session_id) values ($1, $2, $3)",
        refresh,
        str(user_id),
        session_id,
    )
    return session_id, refresh


API_VERSION = "2024-01-01"
NIL_UUID = "00000000-0000-0000-0000-000000000000"


def auth_error(request: web.Request, status: int, error_code: str, msg: str) -> web.Response:
    """GoTrue's error body, in the shape the client's announced API version asks for:
    `{"code": <error code>, "message"}` from 2024-01-01 (supabase-py and -js send it, and get
    the version echoed), else the original `{"code": <status>, "error_code", "msg"}`."""
    headers = {"x-sb-error-code": error_code}
    asked = request.headers.get("X-Supabase-Api-Version", "")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", asked) and asked >= API_VERSION:
        headers["X-Supabase-Api-Version"] = API_VERSION
        body: dict[str, Any] = {"code": error_code, "message": msg}
    else:
        body = {"code": status, "error_code": error_code, "msg": msg}
    return web.json_response(body, status=status, headers=headers)


class AuthApi:
    """The /auth/v1 handlers."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def _check_apikey(self, request: web.Request) -> web.Response | None:
        apikey = request.headers.get("apikey") or request.query.get("apikey")
        if apikey not in (self.stack.anon_key, self.stack.service_role_key):
            return web.json_response({"message": "Invalid API key"}, status=401)
        return None

    async def token(self, request: web.Request) -> web.Response:
        """POST /token?grant_type=password|refresh_token."""
        if (bad := self._check_apikey(request)) is not None:
            return bad
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            return auth_error(request, 400, "bad_json", "Could not parse request body as JSON")
        grant = request.query.get("grant_type")
        async with self.stack.pool.acquire() as conn:
            if grant == "password":
                user = await conn.fetchrow(
                    "select id, encrypted_password from auth.users where lower(email) = lower($1)"
                    " and deleted_at is null",
                    str(body.get("email") or ""),
                )
                if user is None or not await asyncio.to_thread(
                    password_matches, str(body.get("password") or ""), user["encrypted_password"]
                ):
                    return auth_error(
                        request, 400, "invalid_credentials", "Invalid login credentials"
                    )
                user_id = user["id"]
                async with conn.transaction():
                    session_id, refresh = await start_session(conn, user_id, "password")
                return await self._session(conn, user_id, session_id, refresh)
            if grant == "refresh_token":
                token = str(body.get("refresh_token") or "")
                if not token:  # an OAuth error: its own shape, whatever the API version
                    return web.json_response(
                        {"error": "invalid_request", "error_description": "refresh_token required"},
                        status=400,
                    )
                interval = self.stack.options.refresh_token_reuse_interval
                try:
                    granted = await auth_refresh.refresh(conn, token, interval)
                except auth_refresh.Refused as exc:
                    return auth_error(request, exc.status, exc.code, exc.message)
                return await self._session(
                    conn, granted.user_id, granted.session_id, granted.refresh_token
                )
        # GoTrue's own code for a grant it does not know
        return auth_error(request, 400, "invalid_credentials", "unsupported_grant_type")

    async def _session(
        self,
        conn: asyncpg.Connection,
        user_id: Any,
        session_id: Any,
        refresh: str,
        extra: dict[str, Any] | None = None,
    ) -> web.Response:
        """The session answer GoTrue gives a grant (`extra`: e.g. `provider_token`)."""
        return web.json_response(await self.session_body(conn, user_id, session_id, refresh, extra))

    async def session_body(
        self,
        conn: asyncpg.Connection,
        user_id: Any,
        session_id: Any,
        refresh: str,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A session as GoTrue's grants answer it: tokens, user, and `extra`."""
        user = json.loads(await conn.fetchval(USER_JSON, _uuid(user_id)))
        # How and when the session was signed in, as GoTrue's `amr` says, most recent first
        # (an access token refreshed within the same second is therefore the same token, as
        # on hosted projects). A session without a recorded method was a password sign-in.
        amr = [
            {"method": r["authentication_method"], "timestamp": r["at"]}
            for r in await conn.fetch(
                "select authentication_method, extract(epoch from updated_at)::bigint as at"
                " from auth.mfa_amr_claims where session_id = $1 order by updated_at desc",
                session_id,
            )
        ]
        if not amr:
            signed_in = await conn.fetchval(
                "select extract(epoch from created_at)::bigint from auth.sessions where id = $1",
                session_id,
            )
            amr = [{"method": "password", "timestamp": int(signed_in or time.time())}]
        # Tokens carry a whole-second `iat`, and the `expire_tokens` fault refuses every token
        # issued in or before its cut-off second: one issued now, in that second, would be
        # refused at once. Issue it in the next second, as the fault promises.
        cutoff = self.stack.verifier.expired_before
        if cutoff is not None and time.time() < cutoff + 1:
            await asyncio.sleep(cutoff + 1 - time.time())
        access = make_token(
            self.stack.jwt_secret,
            str(user_id),
            "authenticated",
            ACCESS_TTL,
            {
                "email": user.get("email"),
                "phone": "",
                "app_metadata": user["app_metadata"],
                "user_metadata": user["user_metadata"],
                "aal": "aal1",
                "amr": amr,
                "session_id": str(session_id),
                "is_anonymous": False,
            },
        )
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": ACCESS_TTL,
            "expires_at": int(time.time()) + ACCESS_TTL,
            "refresh_token": refresh,
            "user": user,
            **(extra or {}),
        }

    async def _user_claims(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The signed-in user's claims, or GoTrue's refusal: bad apikey, bad or no JWT, a user
        that no longer exists, or a session that is gone (logged out, ended for reuse)."""
        if (bad := self._check_apikey(request)) is not None:
            return bad
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        try:
            claims = self.stack.verifier.claims(token)
        except TokenError as exc:
            detail = "token is expired" if exc.expired_for is not None else str(exc)
            return auth_error(
                request,
                403,
                "bad_jwt",
                f"invalid JWT: unable to parse or verify "
                f"signature, token has invalid claims: {detail}",
            )
        if not claims.get("sub"):
            return auth_error(request, 403, "bad_jwt", "invalid claim: missing sub claim")
        try:
            uuid.UUID(str(claims["sub"]))
        except ValueError:
            return auth_error(request, 400, "bad_jwt", "invalid claim: sub claim must be a UUID")
        session_id = str(claims.get("session_id") or "")
        async with self.stack.pool.acquire() as conn:
            known = await conn.fetchval(
                "select 1 from auth.users where id = $1", _uuid(claims["sub"])
            )
            if known is None:
                return auth_error(
                    request, 403, "user_not_found", "User from sub claim in JWT does not exist"
                )
            if session_id and session_id != NIL_UUID:
                alive = await conn.fetchval(
                    "select 1 from auth.sessions where id = $1", _uuid(session_id)
                )
                if alive is None:
                    return auth_error(
                        request,
                        403,
                        "session_not_found",
                        "Session from session_id claim in JWT does not exist",
                    )
        return claims

    async def user(self, request: web.Request) -> web.Response:
        """GET /user."""
        claims = await self._user_claims(request)
        if isinstance(claims, web.Response):
            return claims
        async with self.stack.pool.acquire() as conn:
            body = await conn.fetchval(USER_JSON, _uuid(claims["sub"]))
        if body is None:
            return auth_error(
                request, 403, "user_not_found", "User from sub claim in JWT does not exist"
            )
        return web.Response(body=body.encode(), content_type="application/json")

    async def logout(self, request: web.Request) -> web.Response:
        """POST /logout[?scope=global|local|others]."""
        claims = await self._user_claims(request)
        if isinstance(claims, web.Response):
            return claims
        scope = request.query.get("scope", "global") or "global"
        if scope not in ("global", "local", "others"):
            return auth_error(
                request, 400, "validation_failed", f'Unsupported logout scope "{scope}"'
            )
        # Signing out ends sessions (and with them their refresh tokens), as GoTrue does.
        session_id = str(claims.get("session_id") or "")
        async with self.stack.pool.acquire() as conn:
            if scope == "global" or not session_id or session_id == NIL_UUID:
                await conn.execute(
                    "delete from auth.sessions where user_id = $1", _uuid(claims["sub"])
                )
            else:
                op = "=" if scope == "local" else "<>"
                await conn.execute(
                    f"delete from auth.sessions where user_id = $1 and id::text {op} $2",
                    _uuid(claims["sub"]),
                    session_id,
                )
        return web.Response(status=204)


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)
