"""GoTrue's other sign-in flows under /auth/v1: OAuth (`/authorize`, a stand-in provider that
approves at once, `/callback`), the PKCE grant (`/token?grant_type=pkce`), and one-time codes
by email (`/otp`, `/verify`), with the stack's outbox at `/__devstack/mail`.

As supabase/auth does it (docs/SUPABASE.md, "Auth"):

- `/authorize`, `/callback` and `/verify` are open routes (the gateway asks no API key);
  `/otp` and `/token` want one.
- `/authorize` always keeps a flow state (its id is the OAuth `state`); with a code challenge
  it also holds a one-use auth code, handed to the app on the way back (`?code=`) once the
  provider's callback has signed the identity in. Without one (implicit flow) the callback
  signs in at once and the tokens travel in the fragment.
- The PKCE grant refuses an unknown or spent code (404 `flow_state_not_found`), an old flow
  (422 `flow_state_expired`), a wrong verifier (400 `bad_code_verifier`, the flow kept), and
  deletes the flow state when it answers a session.
- `/otp` sends a 6-digit code: to a new (or unconfirmed) address a sign-up confirmation
  (`confirmation_token`), to a confirmed one a magic link (`recovery_token`); each address at
  most once per `email_max_frequency`. `/verify` takes the code once, within `otp_expiry`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiohttp import web

from .auth import NIL_UUID, AuthApi, auth_error, start_session
from .auth_redirects import encode_sorted, referrer, with_query
from .auth_refresh import Refused
from .state import Stack

#: GoTrue's built-in OAuth providers (internal/api/external.go, `Provider`): one of these not
#: in the `oauth_providers` option is "not enabled"; any other name "could not be found".
KNOWN_PROVIDERS = frozenset(
    {
        "apple", "azure", "bitbucket", "discord", "facebook", "figma", "fly", "github",
        "gitlab", "google", "kakao", "keycloak", "linkedin", "linkedin_oidc", "notion",
        "snapchat", "spotify", "slack", "slack_oidc", "twitch", "twitter", "x",
        "vercel_marketplace", "workos", "zoom",
    }
)  # fmt: skip
#: The stand-in provider's authorization page.
PROVIDER_PAGE = "/auth/v1/__devstack/provider/{provider}"
#: Query parameters /authorize never passes on to the provider (GoTrue sets them itself).
RESERVED_OAUTH_PARAMS = frozenset(
    {
        "client_id", "client_secret", "redirect_uri", "response_type", "state",
        "code_challenge", "code_challenge_method", "code_verifier", "nonce",
    }
)  # fmt: skip
#: How long the stand-in provider's codes can be exchanged (GitHub's: 10 minutes).
PROVIDER_CODE_TTL = 600.0
#: badoux/checkmail's format check, as GoTrue's validateEmail uses it.
EMAIL_RE = re.compile(
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*"
)
CHALLENGE_RE = re.compile(r"[a-zA-Z._~0-9-]+")
OTP_DIGITS = 6
#: A code that is wrong, spent or too old, for an address with or without a user.
INVALID_OTP = (403, "otp_expired", "Token has expired or is invalid")
#: The same for a token hash (a link's).
INVALID_LINK = (403, "otp_expired", "Email link is invalid or has expired")
UNEXPECTED = (
    500,
    "unexpected_failure",
    "Unexpected failure, please check server logs for more information",
)
#: GoTrue's OAuth `error` for an HTTP status, in redirects.
OAUTH_ERRORS = {
    400: "invalid_request",
    401: "unauthorized_client",
    403: "access_denied",
    500: "server_error",
    503: "temporarily_unavailable",
}
#: The email types /verify knows, and what a code of each is checked against.
EMAIL_OTP_TYPES = {"email", "signup", "invite", "magiclink", "recovery"}
#: kind of code -> (users' column prefix, one_time_tokens type, subject of the message)
CODE_KINDS = {
    "signup": ("confirmation", "confirmation_token", "Confirm your email address"),
    "magiclink": ("recovery", "recovery_token", "Your sign-in link"),
}


class OAuthDenied(Exception):
    """The provider said no (`error` on the callback): passed on as it came."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


@dataclass
class ProviderGrant:
    """What the stand-in provider approved, until its code is exchanged."""

    provider: str
    email: str
    access_token: str
    created: float


def token_hash(email: str, otp: str) -> str:
    """How GoTrue stores an emailed code: SHA-224 of address and code, in hex."""
    return hashlib.sha224((email + otp).encode()).hexdigest()


def validate_email(email: str) -> str:
    """GoTrue's address check; the address lower-cased."""
    if not email:
        raise Refused(400, "validation_failed", "An email address is required")
    if len(email) > 255:
        raise Refused(400, "validation_failed", "An email address is too long")
    if not EMAIL_RE.fullmatch(email):
        raise Refused(400, "validation_failed", "Unable to validate email address: invalid format")
    return email.lower()


def check_pkce_params(method: str, challenge: str) -> None:
    """Both or neither of code_challenge and code_challenge_method; a well-formed challenge."""
    if bool(challenge) != bool(method):
        raise Refused(
            400,
            "validation_failed",
            "PKCE flow requires code_challenge_method and code_challenge",
        )
    if challenge and not 43 <= len(challenge) <= 128:
        raise Refused(
            400, "validation_failed", "code challenge has to be between 43 and 128 characters"
        )
    if challenge and not CHALLENGE_RE.fullmatch(challenge):
        raise Refused(
            400,
            "validation_failed",
            "code challenge can only contain alphanumeric characters, hyphens, periods,"
            " underscores and tildes",
        )


def pkce_mismatch(challenge: str, method: str, verifier: str) -> str | None:
    """Why a verifier does not answer a challenge (GoTrue's words), or None if it does."""
    if method.lower() == "s256":
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    elif method.lower() == "plain":
        computed = verifier
    else:
        return "code challenge method not supported"
    if not secrets.compare_digest(challenge.encode(), computed.encode()):
        return "code challenge does not match previously saved code verifier"
    return None


def error_redirect(
    url: str, error: str, description: str, code: str = "", fragment: bool = True
) -> str:
    """The way back with an error: in the query (and, for the callback, the fragment too,
    where GoTrue still writes it, marked `sb`)."""
    values = {"error": error, "error_description": description}
    if code:
        values["error_code"] = code
    if not fragment:
        return with_query(url, **values)
    return with_query(url.split("#", 1)[0], **values) + "#" + encode_sorted({**values, "sb": ""})


def _refusal_redirect(url: str, exc: Refused, fragment: bool = True) -> str:
    access_denied = exc.code in ("signup_disabled", "user_banned")
    error = "access_denied" if access_denied else OAUTH_ERRORS.get(exc.status, "server_error")
    return error_redirect(url, error, exc.message, exc.code, fragment)


def _found(location: str, status: int = 302) -> web.Response:
    return web.Response(status=status, headers={"Location": location})


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise Refused(400, "bad_json", f"Could not parse request body as JSON: {exc}") from None
    if not isinstance(body, dict):
        raise Refused(400, "bad_json", "Could not parse request body as JSON: not a JSON object")
    return body


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Refused(
            400, "bad_json", f"Could not parse request body as JSON: {key} must be a string"
        )
    return value


def _flag(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise Refused(
            400, "bad_json", f"Could not parse request body as JSON: {key} must be a boolean"
        )
    return value


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Refused(
            400, "bad_json", f"Could not parse request body as JSON: {key} must be an object"
        )
    return value


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def _new_flow_state(
    conn: asyncpg.Connection,
    provider_type: str,
    auth_method: str,
    method: str,
    challenge: str,
    user_id: Any,
    back: str | None,
) -> tuple[str, str | None]:
    """Keep a flow state: (its id, its auth code, None without a code challenge)."""
    flow_id = str(uuid.uuid4())
    auth_code = str(uuid.uuid4()) if challenge else None
    await conn.execute(
        "insert into auth.flow_state (id, user_id, auth_code, code_challenge_method,"
        " code_challenge, provider_type, authentication_method, referrer, created_at,"
        " updated_at) values ($1::uuid, $2::uuid, $3, $4::auth.code_challenge_method, $5,"
        " $6, $7, $8, now(), now())",
        flow_id,
        user_id,
        auth_code,
        method.lower() if challenge else None,
        challenge or None,
        provider_type,
        auth_method,
        back,
    )
    return flow_id, auth_code


async def _update_providers(conn: asyncpg.Connection, user_id: Any) -> None:
    """app_metadata's `providers` (each identity's provider, oldest first) and `provider`."""
    await conn.execute(
        """
        update auth.users u
        set raw_app_meta_data = coalesce(u.raw_app_meta_data, '{}'::jsonb)
              || jsonb_build_object('providers', p.list)
              || case when p.list->0 is null then '{}'::jsonb
                      else jsonb_build_object('provider', p.list->0) end,
            updated_at = now()
        from (select coalesce(jsonb_agg(provider order by first), '[]'::jsonb) as list
              from (select provider, min(created_at) as first from auth.identities
                    where user_id = $1 group by provider) x) p
        where u.id = $1
        """,
        user_id,
    )


async def _confirm(conn: asyncpg.Connection, user_id: Any) -> None:
    """GoTrue's User.Confirm: confirmed now, `email_verified` in user_metadata, codes gone."""
    await conn.execute(
        "update auth.users set confirmation_token = '', email_confirmed_at = now(),"
        " raw_user_meta_data = coalesce(raw_user_meta_data, '{}'::jsonb)"
        " || '{\"email_verified\": true}'::jsonb, updated_at = now() where id = $1",
        user_id,
    )
    await conn.execute("delete from auth.one_time_tokens where user_id = $1", user_id)


class AuthFlows:
    """The handlers of the OAuth, PKCE and email-code flows."""

    def __init__(self, stack: Stack, auth: AuthApi) -> None:
        self.stack = stack
        self.auth = auth
        #: the stand-in provider's codes not yet exchanged
        self._grants: dict[str, ProviderGrant] = {}

    def install(self, app: web.Application) -> None:
        """Add the routes (`/auth/v1/token` included: it passes other grants to AuthApi)."""
        app.router.add_post("/auth/v1/token", self.token)
        app.router.add_get("/auth/v1/authorize", self.authorize)
        app.router.add_get("/auth/v1/callback", self.callback)
        app.router.add_post("/auth/v1/callback", self.callback)
        app.router.add_get(PROVIDER_PAGE, self.provider_page)
        app.router.add_post("/auth/v1/otp", self.otp)
        app.router.add_post("/auth/v1/verify", self.verify)
        app.router.add_get("/__devstack/mail", self.mailbox)

    # -- OAuth ----------------------------------------------------------------------------
    def _check_provider(self, provider: str) -> None:
        if provider.startswith("custom:"):
            problem = "custom OAuth providers are disabled"
        elif provider not in KNOWN_PROVIDERS:
            problem = f"Provider {provider} could not be found"
        elif provider not in self.stack.options.oauth_providers:
            problem = "provider is not enabled"
        else:
            return
        raise Refused(400, "validation_failed", f"Unsupported provider: {problem}")

    async def authorize(self, request: web.Request) -> web.Response:
        """GET /authorize?provider=P[&redirect_to][&scopes][&code_challenge&..._method]:
        keep a flow state and send the browser to the provider (the stand-in page)."""
        query = request.query
        provider = query.get("provider", "").lower()
        options = self.stack.options
        try:
            self._check_provider(provider)
            if query.get("invite_token"):  # the stack sends no invitations
                raise Refused(404, "user_not_found", "User identified by token not found")
            back = referrer(request, options)
            challenge = query.get("code_challenge", "")
            method = query.get("code_challenge_method", "")
            check_pkce_params(method, challenge)
            if challenge and method.lower() not in ("s256", "plain"):
                raise Refused(400, "validation_failed", "Invalid code_challenge_method")
            async with self.stack.pool.acquire() as conn:
                state, _ = await _new_flow_state(
                    conn, provider, "oauth", method, challenge, None, back
                )
        except Refused as exc:
            return auth_error(request, exc.status, exc.code, exc.message)
        base = _base_url(request)
        params = {
            "client_id": "devstack",
            "redirect_uri": f"{base}/auth/v1/callback",
            "response_type": "code",
            "state": state,
        }
        if query.get("scopes"):
            params["scope"] = query["scopes"]
        for key, value in query.items():  # passed on, as GoTrue does (login_hint, ...)
            if key not in ("provider", "scopes") and key.lower() not in RESERVED_OAUTH_PARAMS:
                params.setdefault(key, value)
        page = base + PROVIDER_PAGE.format(provider=provider)
        return _found(f"{page}?{encode_sorted(params)}")

    async def provider_page(self, request: web.Request) -> web.Response:
        """The stand-in provider: approves at once, as `login_hint` (else the `oauth_email`
        option), and sends the browser back to auth's callback with a code."""
        query = request.query
        redirect_uri, state = query.get("redirect_uri", ""), query.get("state", "")
        if not redirect_uri or not state:
            return web.json_response(
                {"error": "invalid_request", "error_description": "redirect_uri and state"},
                status=400,
            )
        provider = request.match_info["provider"]
        email = (query.get("login_hint") or self.stack.options.oauth_email).strip().lower()
        now = time.monotonic()
        for old in [c for c, g in self._grants.items() if now - g.created > PROVIDER_CODE_TTL]:
            del self._grants[old]
        code = secrets.token_urlsafe(24)
        token = f"devstack-{provider}-{secrets.token_urlsafe(24)}"
        self._grants[code] = ProviderGrant(provider, email, token, now)
        return _found(with_query(redirect_uri, code=code, state=state))

    async def _load_state(self, conn: asyncpg.Connection, state: str) -> asyncpg.Record:
        if not state:
            raise Refused(400, "bad_oauth_callback", "OAuth state parameter missing")
        try:
            uuid.UUID(state)
        except ValueError:
            raise Refused(400, "bad_oauth_state", "OAuth state parameter is invalid") from None
        flow = await conn.fetchrow(
            "select *, clock_timestamp() > created_at + make_interval(secs => $2) as expired"
            " from auth.flow_state where id = $1::uuid",
            state,
            self.stack.options.flow_state_expiry,
        )
        if flow is None:
            raise Refused(400, "bad_oauth_state", "OAuth state not found or expired")
        if flow["expired"]:
            raise Refused(400, "bad_oauth_state", "OAuth state has expired")
        if flow["code_challenge"] and flow["user_id"] is not None:
            raise Refused(400, "flow_state_already_used", "State has already been used")
        return flow

    async def callback(self, request: web.Request) -> web.Response:
        """GET|POST /callback?code&state: the provider's answer. Signs the identity in, then
        sends the browser back: `?code=` (PKCE) or the tokens in the fragment (implicit)."""
        params: Any = await request.post() if request.method == "POST" else request.query
        site_url = self.stack.options.site_url
        async with self.stack.pool.acquire() as conn:
            try:
                flow = await self._load_state(conn, str(params.get("state") or ""))
            except Refused as exc:  # no referrer known yet: the site URL, query only
                return _found(_refusal_redirect(site_url, exc, fragment=False), 303)
            back = flow["referrer"] or site_url
            try:
                return _found(await self._finish_oauth(request, conn, flow, params, back))
            except Refused as exc:
                return _found(_refusal_redirect(back, exc))
            except OAuthDenied as exc:
                return _found(error_redirect(back, exc.error, exc.description))

    async def _finish_oauth(
        self,
        request: web.Request,
        conn: asyncpg.Connection,
        flow: asyncpg.Record,
        params: Any,
        back: str,
    ) -> str:
        if params.get("error"):
            raise OAuthDenied(str(params["error"]), str(params.get("error_description") or ""))
        code = str(params.get("code") or "")
        if not code:
            raise Refused(
                400, "bad_oauth_callback", "OAuth callback with missing authorization code missing"
            )
        provider = flow["provider_type"]
        if provider not in self.stack.options.oauth_providers:
            raise Refused(
                400, "oauth_provider_not_supported", "Unsupported provider: provider is not enabled"
            )
        grant = self._grants.pop(code, None)  # a provider's code is good once
        if (
            grant is None
            or grant.provider != provider
            or time.monotonic() - grant.created > PROVIDER_CODE_TTL
        ):
            raise Refused(
                500, "unexpected_failure", f"Unable to exchange external code: {code[:4]}"
            )
        async with conn.transaction():
            user_id = await self._oauth_user(conn, provider, grant.email, _base_url(request))
            if flow["code_challenge"]:
                claimed = await conn.fetchval(
                    "update auth.flow_state set user_id = $2, provider_access_token = $3,"
                    " auth_code_issued_at = now(), updated_at = now()"
                    " where id = $1 and user_id is null returning auth_code",
                    flow["id"],
                    user_id,
                    grant.access_token,
                )
                if claimed is None:
                    raise Refused(400, "flow_state_already_used", "State has already been used")
                return with_query(back, code=claimed)
            session_id, refresh = await start_session(conn, user_id, "oauth")
            await conn.execute("delete from auth.flow_state where id = $1", flow["id"])
        body = await self.auth.session_body(conn, user_id, session_id, refresh)
        fragment = {
            "access_token": body["access_token"],
            "token_type": body["token_type"],
            "expires_in": str(body["expires_in"]),
            "expires_at": str(body["expires_at"]),
            "refresh_token": refresh,
            "provider_token": grant.access_token,
            "sb": "",
        }
        return f"{back}#{encode_sorted(fragment)}"

    async def _oauth_user(
        self, conn: asyncpg.Connection, provider: str, email: str, base: str
    ) -> Any:
        """Sign a provider's identity in, as GoTrue decides it: its identity's user; else
        linked to the one user with that (verified) address; else a new user. An unconfirmed
        user is confirmed by it (the provider verified the address), keeping only it."""
        sub = str(int.from_bytes(hashlib.sha256(f"{provider}:{email}".encode()).digest()[:6]))
        name = email.split("@", 1)[0]
        data = {
            "iss": base + PROVIDER_PAGE.format(provider=provider),
            "sub": sub,
            "provider_id": sub,
            "email": email,
            "email_verified": True,
            "phone_verified": False,
            "name": name,
            "full_name": name,
            "user_name": name,
            "preferred_username": name,
        }
        data_json = json.dumps(data)
        found = await conn.fetchrow(
            "select id, user_id from auth.identities where provider_id = $1 and provider = $2",
            sub,
            provider,
        )
        if found is not None:
            user_id, identity_id = found["user_id"], found["id"]
            await conn.execute(
                "update auth.identities set identity_data = $2::jsonb, last_sign_in_at = now(),"
                " updated_at = now() where id = $1",
                identity_id,
                data_json,
            )
            created = False
        else:
            owners = [
                r["user_id"]
                for r in await conn.fetch(
                    "select distinct user_id from auth.identities where email = $1", email
                )
            ]
            if not owners:
                owners = [
                    r["id"]
                    for r in await conn.fetch(
                        "select id from auth.users where lower(email) = $1 and not is_sso_user",
                        email,
                    )
                ]
            if len(owners) > 1:
                raise Refused(
                    500,
                    "unexpected_failure",
                    "Multiple accounts with the same email address in the same linking domain"
                    " detected: default",
                )
            created = not owners
            if created:
                user_id = await conn.fetchval(
                    "insert into auth.users (instance_id, email, raw_app_meta_data,"
                    " raw_user_meta_data) values ($1::uuid, $2, jsonb_build_object('provider',"
                    " $3::text, 'providers', jsonb_build_array($3::text)), $4::jsonb)"
                    " returning id",
                    NIL_UUID,
                    email,
                    provider,
                    data_json,
                )
            else:
                user_id = owners[0]
            identity_id = await conn.fetchval(
                "insert into auth.identities (provider_id, user_id, identity_data, provider,"
                " last_sign_in_at) values ($1, $2, $3::jsonb, $4, now()) returning id",
                sub,
                user_id,
                data_json,
                provider,
            )
        if not created:  # GoTrue merges the identity's claims into user_metadata
            await conn.execute(
                "update auth.users set raw_user_meta_data = coalesce(raw_user_meta_data,"
                " '{}'::jsonb) || $2::jsonb, updated_at = now() where id = $1",
                user_id,
                data_json,
            )
        user = await conn.fetchrow(
            "select email_confirmed_at is not null as confirmed,"
            " coalesce(banned_until > now(), false) as banned from auth.users where id = $1",
            user_id,
        )
        if user["banned"]:
            raise Refused(403, "user_banned", "User is banned")
        if not user["confirmed"]:
            # Whoever registered the address unconfirmed loses the way in (password, other
            # identities): the provider has just proved who owns it.
            await conn.execute(
                "update auth.users set encrypted_password = null, raw_user_meta_data = $2::jsonb"
                " where id = $1",
                user_id,
                data_json,
            )
            await conn.execute(
                "delete from auth.identities where user_id = $1 and id <> $2",
                user_id,
                identity_id,
            )
            await _confirm(conn, user_id)
        await _update_providers(conn, user_id)
        return user_id

    # -- the PKCE grant ------------------------------------------------------------------
    async def token(self, request: web.Request) -> web.Response:
        """POST /token: `grant_type=pkce` here, the others in AuthApi."""
        if request.query.get("grant_type") != "pkce":
            return await self.auth.token(request)
        if (bad := self.auth._check_apikey(request)) is not None:
            return bad
        try:
            body = await _json_body(request)
            auth_code, verifier = _text(body, "auth_code"), _text(body, "code_verifier")
            if not auth_code or not verifier:
                raise Refused(
                    400,
                    "validation_failed",
                    "invalid request: both auth code and code verifier should be non-empty",
                )
            async with self.stack.pool.acquire() as conn:
                async with conn.transaction():
                    flow = await self._claim_flow(conn, auth_code, verifier)
                    user_id = flow["user_id"]
                    session_id, refresh = await start_session(
                        conn, user_id, flow["authentication_method"]
                    )
                    await conn.execute("delete from auth.flow_state where id = $1", flow["id"])
                extra: dict[str, Any] = {}
                if flow["provider_access_token"]:
                    extra["provider_token"] = flow["provider_access_token"]
                if flow["provider_refresh_token"]:
                    extra["provider_refresh_token"] = flow["provider_refresh_token"]
                return await self.auth._session(conn, user_id, session_id, refresh, extra)
        except Refused as exc:
            return auth_error(request, exc.status, exc.code, exc.message)

    async def _claim_flow(
        self, conn: asyncpg.Connection, auth_code: str, verifier: str
    ) -> asyncpg.Record:
        """The flow state an auth code opens, locked; refused as GoTrue refuses it."""
        flow = await conn.fetchrow(
            "select f.*, f.code_challenge_method::text as method,"
            " clock_timestamp() > (case when f.auth_code_issued_at is not null"
            "   and f.authentication_method = 'magiclink' then f.auth_code_issued_at"
            "   else f.created_at end) + make_interval(secs => $2) as expired,"
            " exists (select 1 from auth.users u where u.id = f.user_id) as user_exists"
            " from auth.flow_state f where f.auth_code = $1 for update of f",
            auth_code,
            self.stack.options.flow_state_expiry,
        )
        if flow is None or flow["user_id"] is None:
            raise Refused(
                404, "flow_state_not_found", "invalid flow state, no valid flow state found"
            )
        if flow["expired"]:
            raise Refused(422, "flow_state_expired", "invalid flow state, flow state has expired")
        if not flow["user_exists"]:
            raise Refused(404, "user_not_found", "User not found")
        problem = pkce_mismatch(flow["code_challenge"] or "", flow["method"] or "", verifier)
        if problem is not None:
            raise Refused(400, "bad_code_verifier", problem)
        return flow

    # -- one-time codes by email ------------------------------------------------------------
    async def otp(self, request: web.Request) -> web.Response:
        """POST /otp {email, create_user, data, code_challenge, code_challenge_method}: send
        a code; answers `{}`."""
        if (bad := self.auth._check_apikey(request)) is not None:
            return bad
        try:
            body = await _json_body(request)
            email, phone = _text(body, "email"), _text(body, "phone")
            channel = _text(body, "channel")
            create_user = _flag(body, "create_user", True)
            data = _object(body, "data")
            method = _text(body, "code_challenge_method")
            challenge = _text(body, "code_challenge")
            if email and phone:
                raise Refused(
                    400,
                    "validation_failed",
                    "Only an email address or phone number should be provided",
                )
            if email and channel:
                raise Refused(
                    400, "validation_failed", "Channel should only be specified with Phone OTP"
                )
            check_pkce_params(method, challenge)
            async with self.stack.pool.acquire() as conn:
                if not create_user:
                    known = None
                    if email:
                        email = validate_email(email)
                        known = await conn.fetchval(
                            "select 1 from auth.users where lower(email) = $1", email
                        )
                    if (email or phone) and known is None:
                        raise Refused(422, "otp_disabled", "Signups not allowed for otp")
                if email:
                    await self._magic_link(request, conn, email, data, method, challenge)
                elif phone:  # the stack sends no text messages
                    raise Refused(400, "phone_provider_disabled", "Unsupported phone provider")
                else:
                    raise Refused(400, "validation_failed", "One of email or phone must be set")
        except Refused as exc:
            return auth_error(request, exc.status, exc.code, exc.message)
        return web.json_response({})

    async def _magic_link(
        self,
        request: web.Request,
        conn: asyncpg.Connection,
        email: str,
        data: dict[str, Any],
        method: str,
        challenge: str,
    ) -> None:
        """A confirmed user gets a magic link's code; anyone else is signed up (unconfirmed)
        and gets a confirmation's code. Nothing changes when the address is refused."""
        email = validate_email(email)
        if challenge and method.lower() not in ("s256", "plain"):
            raise Refused(*UNEXPECTED)  # GoTrue fails here without an HTTP error of its own
        pkce = bool(challenge)
        back = referrer(request, self.stack.options)
        async with conn.transaction():
            user = await conn.fetchrow(
                "select id, email_confirmed_at is not null as confirmed from auth.users"
                " where lower(email) = $1 for update",
                email,
            )
            if user is not None and user["confirmed"]:
                if pkce:
                    await _new_flow_state(
                        conn, "magiclink", "magiclink", method, challenge, user["id"], None
                    )
                await self._send_code(conn, user["id"], "magiclink", pkce, back)
                return
            user_id = user["id"] if user is not None else uuid.uuid4()
            identity = await conn.fetchval(
                "select id from auth.identities where user_id = $1 and provider = 'email'"
                " and provider_id = $2",
                user_id,
                str(user_id),
            )
            if identity is None:
                identity_data = {
                    "sub": str(user_id),
                    "email": email,
                    "email_verified": False,
                    "phone_verified": False,
                }
                identity_data.update({k: v for k, v in data.items() if k not in identity_data})
                if user is None:
                    await conn.execute(
                        "insert into auth.users (instance_id, id, email) values ($1::uuid, $2, $3)",
                        NIL_UUID,
                        user_id,
                        email,
                    )
                identity = await conn.fetchval(
                    "insert into auth.identities (provider_id, user_id, identity_data, provider)"
                    " values ($1::text, $2, $3::jsonb, 'email') returning id",
                    str(user_id),
                    user_id,
                    json.dumps(identity_data),
                )
                # An unconfirmed user keeps only this identity, and its data as metadata.
                await conn.execute(
                    "update auth.users set raw_user_meta_data = $2::jsonb where id = $1",
                    user_id,
                    json.dumps(identity_data),
                )
                await conn.execute(
                    "delete from auth.identities where user_id = $1 and id <> $2",
                    user_id,
                    identity,
                )
                await _update_providers(conn, user_id)
            if pkce:
                await _new_flow_state(
                    conn, "email", "email/signup", method, challenge, user_id, None
                )
            await self._send_code(conn, user_id, "signup", pkce, back)

    async def _send_code(
        self, conn: asyncpg.Connection, user_id: Any, kind: str, pkce: bool, back: str
    ) -> None:
        """Issue a code of `kind` (signup or magiclink) to the user, and "send" it."""
        column, ott_type, subject = CODE_KINDS[kind]
        row = await conn.fetchrow(
            f"select email, extract(epoch from {column}_sent_at + make_interval(secs => $2)"
            f" - clock_timestamp())::float8 as wait from auth.users where id = $1",
            user_id,
            self.stack.options.email_max_frequency,
        )
        if row["wait"] is not None and row["wait"] > 0:
            raise Refused(
                429,
                "over_email_send_rate_limit",
                f"For security purposes, you can only request this after {int(row['wait'])}"
                " seconds.",
            )
        email = row["email"]
        otp = f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"
        hashed = token_hash(email, otp)
        stored = f"pkce_{hashed}" if pkce else hashed
        await conn.execute(
            f"update auth.users set {column}_token = $2, {column}_sent_at = now(),"
            f" updated_at = now() where id = $1",
            user_id,
            stored,
        )
        await conn.execute(
            "delete from auth.one_time_tokens where user_id = $1 and token_type = $2",
            user_id,
            ott_type,
        )
        await conn.execute(
            "insert into auth.one_time_tokens (user_id, token_type, token_hash, relates_to)"
            " values ($1, $2, $3, lower($4))",
            user_id,
            ott_type,
            stored,
            email,
        )
        await conn.execute(
            "insert into devstack.mail (to_address, subject, type, token, token_hash,"
            " redirect_to) values ($1, $2, $3, $4, $5, $6)",
            email,
            subject,
            kind,
            otp,
            stored,
            back,
        )

    async def verify(self, request: web.Request) -> web.Response:
        """POST /verify {type, email, token} or {type, token_hash}: a session for a good code,
        which is then spent."""
        try:
            body = await _json_body(request)
            vtype = _text(body, "type")
            token, hashed = _text(body, "token"), _text(body, "token_hash")
            email, phone = _text(body, "email"), _text(body, "phone")
            if not vtype:
                raise Refused(400, "validation_failed", "Verify requires a verification type")
            if bool(token) == bool(hashed):
                raise Refused(
                    400, "validation_failed", "Verify requires either a token or a token hash"
                )
            if token:
                if phone and not email:  # the stack sends no text messages: nothing to match
                    raise Refused(*INVALID_OTP)
                if not email or phone:
                    raise Refused(
                        400,
                        "validation_failed",
                        "Only an email address or phone number should be provided on verify",
                    )
                try:
                    email = validate_email(email)
                except Refused:
                    raise Refused(422, "validation_failed", "Invalid email format") from None
            elif email or phone or _text(body, "redirect_to"):
                raise Refused(
                    400, "validation_failed", "Only the token_hash and type should be provided"
                )
            async with self.stack.pool.acquire() as conn:
                async with conn.transaction():
                    if token:
                        user_id, kind = await self._user_and_code(conn, vtype, email, token)
                    else:
                        user_id, kind = await self._user_by_hash(conn, vtype, hashed)
                    if kind == "signup":
                        await _confirm(conn, user_id)
                        await conn.execute(
                            "update auth.identities i set identity_data = i.identity_data"
                            " || '{\"email_verified\": true}'::jsonb from auth.users u"
                            " where u.id = $1 and i.user_id = u.id and i.email = lower(u.email)",
                            user_id,
                        )
                    else:
                        await conn.execute(
                            "update auth.users set recovery_token = '', updated_at = now()"
                            " where id = $1",
                            user_id,
                        )
                        await conn.execute(
                            "delete from auth.one_time_tokens where user_id = $1", user_id
                        )
                        confirmed = await conn.fetchval(
                            "select email_confirmed_at is not null from auth.users where id = $1",
                            user_id,
                        )
                        if not confirmed:
                            await _confirm(conn, user_id)
                    await _update_providers(conn, user_id)
                    session_id, refresh = await start_session(conn, user_id, "otp")
                return await self.auth._session(conn, user_id, session_id, refresh)
        except Refused as exc:
            return auth_error(request, exc.status, exc.code, exc.message)

    async def _user_and_code(
        self, conn: asyncpg.Connection, vtype: str, email: str, otp: str
    ) -> tuple[Any, str]:
        """The user a code was sent to and which code it is (signup or magiclink)."""
        if vtype not in EMAIL_OTP_TYPES:  # sms, email_change, ...: the stack sends none
            raise Refused(*INVALID_OTP)
        hashed = token_hash(email, otp)
        user = await conn.fetchrow(
            """
            select id, coalesce(banned_until > now(), false) as banned,
              coalesce(confirmation_token in ($2::text, 'pkce_' || $2::text)
                and clock_timestamp() <= confirmation_sent_at + make_interval(secs => $3),
                false) as signup_ok,
              coalesce(recovery_token in ($2::text, 'pkce_' || $2::text)
                and clock_timestamp() <= recovery_sent_at + make_interval(secs => $3),
                false) as magiclink_ok
            from auth.users where lower(email) = $1 for update
            """,
            email,
            hashed,
            self.stack.options.otp_expiry,
        )
        if user is None:
            raise Refused(*INVALID_OTP)
        if user["banned"]:
            raise Refused(403, "user_banned", "User is banned")
        if vtype in ("email", "signup", "invite") and user["signup_ok"]:
            return user["id"], "signup"
        if vtype in ("email", "magiclink", "recovery") and user["magiclink_ok"]:
            return user["id"], "magiclink"
        raise Refused(*INVALID_OTP)

    async def _user_by_hash(
        self, conn: asyncpg.Connection, vtype: str, hashed: str
    ) -> tuple[Any, str]:
        """The user a token hash (a link's, as sent) belongs to, and which code it is."""
        columns = {
            "email": ("confirmation", "recovery"),
            "signup": ("confirmation",),
            "invite": ("confirmation",),
            "magiclink": ("recovery",),
            "recovery": ("recovery",),
            "email_change": (),
        }.get(vtype)
        if columns is None:
            raise Refused(400, "validation_failed", "Invalid email verification type")
        for column in columns:
            user = await conn.fetchrow(
                f"select id, coalesce(banned_until > now(), false) as banned,"
                f" clock_timestamp() > {column}_sent_at + make_interval(secs => $2) as expired"
                f" from auth.users where {column}_token = $1 and not is_sso_user for update",
                hashed,
                self.stack.options.otp_expiry,
            )
            if user is None:
                continue
            if user["banned"]:
                raise Refused(403, "user_banned", "User is banned")
            if user["expired"] is not False:
                raise Refused(*INVALID_LINK)
            return user["id"], "signup" if column == "confirmation" else "magiclink"
        raise Refused(*INVALID_LINK)

    # -- the outbox -------------------------------------------------------------------------
    async def mailbox(self, request: web.Request) -> web.Response:
        """GET /__devstack/mail[?email=ADDRESS]: what auth "sent" (to that address), newest
        first."""
        address = request.query.get("email", "").strip()
        async with self.stack.pool.acquire() as conn:
            rows = await conn.fetch(
                "select to_address, subject, type, token, token_hash, redirect_to, sent_at"
                " from devstack.mail where $1 = '' or lower(to_address) = lower($1)"
                " order by id desc",
                address,
            )
        return web.json_response(
            [
                {
                    "to": r["to_address"],
                    "subject": r["subject"],
                    "type": r["type"],
                    "token": r["token"],
                    "token_hash": r["token_hash"],
                    "redirect_to": r["redirect_to"],
                    "sent_at": r["sent_at"].isoformat(),
                }
                for r in rows
            ]
        )
