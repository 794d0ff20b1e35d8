"""GoTrue under /auth/v1: password and refresh-token grants, the user, logout."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from typing import Any

import asyncpg
from aiohttp import web

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


async def create_user(conn: asyncpg.Connection, email: str, password: str) -> str:
    """Create a confirmed email/password user (bcrypt through pgcrypto); return its id."""
    async with conn.transaction():
        user_id = await conn.fetchval(
            "insert into auth.users (instance_id, email, encrypted_password, email_confirmed_at,"
            " raw_user_meta_data) values ('00000000-0000-0000-0000-000000000000', $1,"
            " extensions.crypt($2, extensions.gen_salt('bf')), now(), '{}') returning id",
            email,
            password,
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


def auth_error(status: int, error_code: str, msg: str) -> web.Response:
    """GoTrue's error body."""
    return web.json_response({"code": status, "error_code": error_code, "msg": msg}, status=status)


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
            return auth_error(400, "bad_json", "Could not parse request body as JSON")
        grant = request.query.get("grant_type")
        async with self.stack.pool.acquire() as conn:
            if grant == "password":
                user_id = await conn.fetchval(
                    "select id from auth.users where lower(email) = lower($1)"
                    " and encrypted_password = extensions.crypt($2, encrypted_password)"
                    " and deleted_at is null",
                    str(body.get("email") or ""),
                    str(body.get("password") or ""),
                )
                if user_id is None:
                    return auth_error(400, "invalid_credentials", "Invalid login credentials")
                session_id = await conn.fetchval(
                    "insert into auth.sessions (user_id) values ($1) returning id", user_id
                )
                await conn.execute(
                    "update auth.users set last_sign_in_at = now() where id = $1", user_id
                )
                return await self._session(conn, user_id, session_id, None)
            if grant == "refresh_token":
                row = await conn.fetchrow(
                    "update auth.refresh_tokens set revoked = true, updated_at = now()"
                    " where token = $1 and not revoked returning user_id, session_id, token",
                    str(body.get("refresh_token") or ""),
                )
                if row is None:
                    return await self._reuse(conn, str(body.get("refresh_token") or ""))
                return await self._session(conn, row["user_id"], row["session_id"], row["token"])
        return auth_error(400, "validation_failed", "unsupported_grant_type")

    async def _reuse(self, conn: asyncpg.Connection, token: str) -> web.Response:
        """GoTrue's reuse interval: a token rotated in the last 10 s gives the active one."""
        row = await conn.fetchrow(
            "select c.user_id, c.session_id, c.token from auth.refresh_tokens p"
            " join auth.refresh_tokens c on c.parent = p.token and not c.revoked"
            " where p.token = $1 and p.revoked and p.updated_at > now() - interval '10 seconds'",
            token,
        )
        if row is None:
            return auth_error(
                400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"
            )
        return await self._session(conn, row["user_id"], row["session_id"], None, row["token"])

    async def _session(
        self,
        conn: asyncpg.Connection,
        user_id: Any,
        session_id: Any,
        parent: str | None,
        active: str | None = None,
    ) -> web.Response:
        user = json.loads(await conn.fetchval(USER_JSON, _uuid(user_id)))
        refresh = active or secrets.token_urlsafe(9)
        if active is None:
            await conn.execute(
                "insert into auth.refresh_tokens (token, user_id, session_id, parent)"
                " values ($1, $2, $3, $4)",
                refresh,
                str(user_id),
                session_id,
                parent,
            )
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
                "amr": [{"method": "password", "timestamp": int(time.time())}],
                "session_id": str(session_id),
                "is_anonymous": False,
            },
        )
        return web.json_response(
            {
                "access_token": access,
                "token_type": "bearer",
                "expires_in": ACCESS_TTL,
                "expires_at": int(time.time()) + ACCESS_TTL,
                "refresh_token": refresh,
                "user": user,
            }
        )

    def _user_claims(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The signed-in user's claims, or the error response (bad apikey, bad or no JWT)."""
        if (bad := self._check_apikey(request)) is not None:
            return bad
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        try:
            claims = self.stack.verifier.claims(token)
        except TokenError as exc:
            detail = "token is expired" if exc.expired_for is not None else str(exc)
            return auth_error(
                403,
                "bad_jwt",
                f"invalid JWT: unable to parse or verify "
                f"signature, token has invalid claims: {detail}",
            )
        if not claims.get("sub"):
            return auth_error(403, "bad_jwt", "invalid claim: missing sub claim")
        return claims

    async def user(self, request: web.Request) -> web.Response:
        """GET /user."""
        claims = self._user_claims(request)
        if isinstance(claims, web.Response):
            return claims
        async with self.stack.pool.acquire() as conn:
            body = await conn.fetchval(USER_JSON, _uuid(claims["sub"]))
        if body is None:
            return auth_error(403, "user_not_found", "User from sub claim in JWT does not exist")
        return web.Response(body=body.encode(), content_type="application/json")

    async def logout(self, request: web.Request) -> web.Response:
        """POST /logout[?scope=global|local|others]."""
        claims = self._user_claims(request)
        if isinstance(claims, web.Response):
            return claims
        scope = request.query.get("scope", "global")
        # Signing out ends sessions (and with them their refresh tokens), as GoTrue does.
        async with self.stack.pool.acquire() as conn:
            if scope == "global":
                await conn.execute(
                    "delete from auth.sessions where user_id = $1", _uuid(claims["sub"])
                )
            elif claims.get("session_id"):
                op = "=" if scope == "local" else "<>"
                await conn.execute(
                    f"delete from auth.sessions where user_id = $1 and id::text {op} $2",
                    _uuid(claims["sub"]),
                    str(claims["session_id"]),
                )
        return web.Response(status=204)


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)
