"""GoTrue's other sign-in flows on the stack, through the unmodified supabase-py client over
real HTTP: OAuth with PKCE (the redirects followed with httpx, as a browser would, up to the
app's loopback address), the implicit OAuth flow, and one-time codes by email."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from devstack.testing import StackInfo
from supabase_auth.errors import AuthApiError

from supabase import AsyncClient, AsyncClientOptions, acreate_client
from support.seeding import create_job

#: The app's own redirect (a loopback port nothing listens on: never followed).
APP = "http://127.0.0.1:9/auth/callback"
SITE_URL = "http://localhost:3000"  # the stack's default site_url
V2024 = {"X-Supabase-Api-Version": "2024-01-01"}


@pytest.fixture
async def addresses(stack_documented: StackInfo) -> AsyncIterator[Callable[[], str]]:
    """New addresses; their users (made by the flows) are deleted after the test."""
    made: list[str] = []

    def new() -> str:
        made.append(f"flow-{secrets.token_hex(5)}@example.test")
        return made[-1]

    yield new
    await stack_documented.asql("delete from auth.users where lower(email) = any($1::text[])", made)


async def _client(stack: StackInfo) -> AsyncClient:
    return await acreate_client(stack.url, stack.anon_key, AsyncClientOptions(flow_type="pkce"))


async def _follow(stack: StackInfo, url: str) -> str:
    """Follow the stack's redirects as a browser does (no API key); the first Location that
    leaves the stack."""
    async with httpx.AsyncClient(timeout=10) as http:
        for _ in range(5):
            resp = await http.get(url)
            assert resp.status_code in (302, 303), (resp.status_code, resp.text)
            url = resp.headers["location"]
            if not url.startswith(stack.url + "/"):
                return url
    raise AssertionError(f"still on the stack after 5 redirects: {url}")


def _code(location: str) -> str:
    return parse_qs(urlsplit(location).query)["code"][0]


def _claims(stack: StackInfo, token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, stack.jwt_secret, algorithms=["HS256"], audience="authenticated"))


async def _oauth_code(
    stack: StackInfo, client: AsyncClient, email: str, redirect_to: str = APP
) -> str:
    """Sign in with GitHub (PKCE) up to the app's redirect; the Location it gets."""
    started = await client.auth.sign_in_with_oauth(
        {
            "provider": "github",
            "options": {"redirect_to": redirect_to, "query_params": {"login_hint": email}},
        }
    )
    assert started.url.startswith(f"{stack.url}/auth/v1/authorize?")
    return await _follow(stack, started.url)


async def _auth(
    stack: StackInfo, method: str, path: str, json: Any = None, **params: str
) -> httpx.Response:
    async with httpx.AsyncClient(
        base_url=f"{stack.url}/auth/v1", headers={"apikey": stack.anon_key, **V2024}, timeout=10
    ) as http:
        return await http.request(method, path, json=json, params=params)


async def _mail(stack: StackInfo, email: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as http:
        resp = await http.get(f"{stack.url}/__devstack/mail", params={"email": email})
    assert resp.status_code == 200
    return list(resp.json())


async def test_oauth_pkce_sign_in_end_to_end(
    stack_documented: StackInfo, addresses: Callable[[], str]
) -> None:
    stack = stack_documented
    email = addresses()
    client = await _client(stack)
    location = await _oauth_code(stack, client, email)
    assert location.startswith(APP + "?code=")
    res = await client.auth.exchange_code_for_session({"auth_code": _code(location)})
    session = res.session
    assert session is not None and session.user.email == email
    assert session.user.app_metadata["provider"] == "github"
    assert [i.provider for i in session.user.identities or []] == ["github"]
    assert session.user.email_confirmed_at is not None
    assert (session.provider_token or "").startswith("devstack-github-")
    claims = _claims(stack, session.access_token)
    assert claims["sub"] == session.user.id and claims["session_id"]
    assert [a["method"] for a in claims["amr"]] == ["oauth"]
    me = await client.auth.get_user()
    assert me is not None and me.user.id == session.user.id
    job = await create_job(stack, session.user.id)
    rows = await client.table("provision_jobs").select("id").execute()
    assert rows.data == [{"id": job}]  # REST as the user: RLS shows its own job
    refreshed = await client.auth.refresh_session()
    assert refreshed.session is not None
    assert _claims(stack, refreshed.session.access_token)["amr"][0]["method"] == "oauth"

    # The same identity again is the same user, in a new session.
    other = await _client(stack)
    again = await other.auth.exchange_code_for_session(
        {"auth_code": _code(await _oauth_code(stack, other, email))}
    )
    assert again.session is not None and again.session.user.id == session.user.id
    assert _claims(stack, again.session.access_token)["session_id"] != claims["session_id"]


async def test_oauth_links_to_the_user_with_that_address(
    stack_documented: StackInfo, addresses: Callable[[], str]
) -> None:
    stack = stack_documented
    email = addresses()
    uid = await stack.acreate_user(email, "pw-link")
    client = await _client(stack)
    res = await client.auth.exchange_code_for_session(
        {"auth_code": _code(await _oauth_code(stack, client, email))}
    )
    assert res.session is not None and res.session.user.id == uid
    assert sorted(i.provider for i in res.session.user.identities or []) == ["email", "github"]
    assert res.session.user.app_metadata["providers"] == ["email", "github"]
    password = await _client(stack)  # the password still signs in
    signed = await password.auth.sign_in_with_password({"email": email, "password": "pw-link"})
    assert signed.user is not None and signed.user.id == uid


async def test_an_auth_code_is_good_once_and_only_with_its_verifier(
    stack_documented: StackInfo, addresses: Callable[[], str]
) -> None:
    stack = stack_documented
    client = await _client(stack)
    code = _code(await _oauth_code(stack, client, addresses()))
    with pytest.raises(AuthApiError) as err:
        await client.auth.exchange_code_for_session({"auth_code": code, "code_verifier": "x" * 64})
    assert (err.value.status, err.value.code) == (400, "bad_code_verifier")
    assert err.value.message == "code challenge does not match previously saved code verifier"
    res = await client.auth.exchange_code_for_session({"auth_code": code})  # the flow was kept
    assert res.session is not None
    reused = await _auth(
        stack, "POST", "/token", {"auth_code": code, "code_verifier": "x" * 64}, grant_type="pkce"
    )
    assert reused.status_code == 404
    assert reused.json() == {
        "code": "flow_state_not_found",
        "message": "invalid flow state, no valid flow state found",
    }
    assert reused.headers["x-sb-error-code"] == "flow_state_not_found"
    empty = await _auth(stack, "POST", "/token", {"auth_code": code}, grant_type="pkce")
    assert (empty.status_code, empty.json()["code"]) == (400, "validation_failed")


async def test_a_callback_is_good_once(
    stack_documented: StackInfo, addresses: Callable[[], str]
) -> None:
    """The provider's answer replayed: the flow state is spent, so GoTrue sends the browser
    to the site URL with the error in the query."""
    stack = stack_documented
    client = await _client(stack)
    started = await client.auth.sign_in_with_oauth(
        {
            "provider": "google",
            "options": {"redirect_to": APP, "query_params": {"login_hint": addresses()}},
        }
    )
    async with httpx.AsyncClient(timeout=10) as http:
        provider_page = (await http.get(started.url)).headers["location"]
        assert provider_page.startswith(f"{stack.url}/auth/v1/__devstack/provider/google?")
        callback = (await http.get(provider_page)).headers["location"]
        assert callback.startswith(f"{stack.url}/auth/v1/callback?code=")
        first = await http.get(callback)
        assert first.status_code == 302 and first.headers["location"].startswith(APP + "?code=")
        replay = await http.get(callback)
    assert replay.status_code == 303
    assert replay.headers["location"] == (
        f"{SITE_URL}?error=invalid_request&error_code=flow_state_already_used"
        "&error_description=State+has+already+been+used"
    )


async def test_an_expired_flow_state_is_refused(
    stack_documented: StackInfo, addresses: Callable[[], str]
) -> None:
    stack = stack_documented
    client = await _client(stack)
    code = _code(await _oauth_code(stack, client, addresses()))
    await stack.aoptions(flow_state_expiry=0)  # hosted: 300 s
    with pytest.raises(AuthApiError) as err:
        await client.auth.exchange_code_for_session({"auth_code": code})
    assert (err.value.status, err.value.code) == (422, "flow_state_expired")
    assert err.value.message == "invalid flow state, flow state has expired"


async def test_a_redirect_not_allowed_goes_to_the_site_url(
    stack_documented: StackInfo, addresses: Callable[[], str]
) -> None:
    stack = stack_documented
    email = addresses()
    client = await _client(stack)
    location = await _oauth_code(stack, client, email, "https://evil.example.test/steal")
    assert location.startswith(f"{SITE_URL}?code=")
    res = await client.auth.exchange_code_for_session({"auth_code": _code(location)})
    assert res.session is not None and res.session.user.email == email

    # The allow-list's globs: `*` stops at `/` and `.`.
    await stack.aoptions(redirect_allow_list=["https://app.example.test/*"])
    for asked, back in [
        ("https://app.example.test/cb?next=1", "https://app.example.test/cb"),
        ("https://app.example.test/a/b", SITE_URL),
        ("https://app.example.test.evil.test/cb", SITE_URL),
        ("http://127.0.0.1:8/any/path", "http://127.0.0.1:8/any/path"),  # loopback: always
    ]:
        location = await _oauth_code(stack, await _client(stack), email, asked)
        query = parse_qs(urlsplit(location).query)
        assert location.split("?")[0] == back, (asked, location)
        assert set(query) == ({"code", "next"} if "next" in asked else {"code"})


async def test_an_unknown_or_disabled_provider_is_refused(stack_documented: StackInfo) -> None:
    stack = stack_documented
    async with httpx.AsyncClient(base_url=f"{stack.url}/auth/v1", timeout=10) as http:
        unknown = await http.get("/authorize", params={"provider": "nope", "redirect_to": APP})
        assert unknown.status_code == 400  # no API key needed, and the old shape without one
        assert unknown.json() == {
            "code": 400,
            "error_code": "validation_failed",
            "msg": "Unsupported provider: Provider nope could not be found",
        }
        disabled = await http.get("/authorize", params={"provider": "azure"}, headers=V2024)
        assert disabled.status_code == 400
        assert disabled.json() == {
            "code": "validation_failed",
            "message": "Unsupported provider: provider is not enabled",
        }
        await stack.aoptions(oauth_providers=["azure"])
        assert (await http.get("/authorize", params={"provider": "azure"})).status_code == 302
        github = await http.get("/authorize", params={"provider": "github"}, headers=V2024)
        assert github.json()["message"] == "Unsupported provider: provider is not enabled"
        bad = await http.get(
            "/authorize",
            params={"provider": "azure", "code_challenge": "x", "code_challenge_method": "s256"},
            headers=V2024,
        )
        assert bad.json() == {
            "code": "validation_failed",
            "message": "code challenge has to be between 43 and 128 characters",
        }


async def test_oauth_without_a_code_challenge_puts_the_tokens_in_the_fragment(
    stack_documented: StackInfo, addresses: Callable[[], str]
) -> None:
    stack = stack_documented
    email = addresses()
    await stack.aoptions(oauth_email=email)  # whom the provider signs in without a login_hint
    query = httpx.QueryParams({"provider": "gitlab", "redirect_to": APP})
    location = await _follow(stack, f"{stack.url}/auth/v1/authorize?{query}")
    assert location.startswith(APP + "#")
    fragment = {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}
    assert fragment["token_type"] == "bearer" and len(fragment["refresh_token"]) == 12
    assert fragment["provider_token"].startswith("devstack-gitlab-")
    assert _claims(stack, fragment["access_token"])["amr"][0]["method"] == "oauth"
    async with httpx.AsyncClient(timeout=10) as http:
        bearer = f"Bearer {fragment['access_token']}"
        me = await http.get(
            f"{stack.url}/auth/v1/user", headers={"apikey": stack.anon_key, "Authorization": bearer}
        )
    assert me.status_code == 200 and me.json()["email"] == email


async def test_an_email_code_signs_in_once(
    stack_documented: StackInfo, addresses: Callable[[], str]
) -> None:
    stack = stack_documented
    email = addresses()
    client = await _client(stack)
    await client.auth.sign_in_with_otp(
        {"email": email, "options": {"email_redirect_to": APP, "data": {"plan": "pro"}}}
    )
    [message] = await _mail(stack, email)
    assert message["to"] == email and message["subject"] == "Confirm your email address"
    assert re.fullmatch(r"\d{6}", message["token"]) and message["redirect_to"] == APP
    before = await stack.asql(
        "select email_confirmed_at, confirmation_token, raw_user_meta_data->>'plan' as plan"
        " from auth.users where email = $1",
        email,
    )
    assert before[0]["email_confirmed_at"] is None and before[0]["plan"] == "pro"
    wrong = f"{(int(message['token']) + 1) % 10**6:06d}"
    with pytest.raises(AuthApiError) as err:
        await client.auth.verify_otp({"email": email, "token": wrong, "type": "email"})
    assert (err.value.status, err.value.code) == (403, "otp_expired")
    assert err.value.message == "Token has expired or is invalid"
    after = await stack.asql(
        "select email_confirmed_at, confirmation_token, raw_user_meta_data->>'plan' as plan"
        " from auth.users where email = $1",
        email,
    )
    assert after == before  # a wrong code changes nothing
    res = await client.auth.verify_otp({"email": email, "token": message["token"], "type": "email"})
    assert res.session is not None and res.user is not None and res.user.email == email
    assert res.user.email_confirmed_at is not None
    assert _claims(stack, res.session.access_token)["amr"][0]["method"] == "otp"
    me = await client.auth.get_user()
    assert me is not None and me.user.id == res.user.id
    assert (await client.table("provision_jobs").select("id").execute()).data == []
    with pytest.raises(AuthApiError) as again:
        await client.auth.verify_otp({"email": email, "token": message["token"], "type": "email"})
    assert (again.value.status, again.value.code) == (403, "otp_expired")

    # Confirmed now: the next code is a magic link's.
    await client.auth.sign_in_with_otp({"email": email})
    latest = (await _mail(stack, email))[0]
    assert latest["subject"] == "Your sign-in link" and latest["token"] != message["token"]
    link = await client.auth.verify_otp(
        {"email": email, "token": latest["token"], "type": "magiclink"}
    )
    assert link.user is not None and link.user.id == res.user.id


async def test_a_second_code_within_the_minute_is_refused(
    stack_documented: StackInfo, addresses: Callable[[], str]
) -> None:
    stack = stack_documented
    email = addresses()
    first = await _auth(stack, "POST", "/otp", {"email": email, "create_user": True})
    assert (first.status_code, first.json()) == (200, {})
    second = await _auth(stack, "POST", "/otp", {"email": email, "create_user": True})
    assert second.status_code == 429
    assert second.json()["code"] == "over_email_send_rate_limit"
    assert re.fullmatch(
        r"For security purposes, you can only request this after (59|60) seconds\.",
        second.json()["message"],
    )
    assert len(await _mail(stack, email)) == 1
    await stack.aoptions(email_max_frequency=0)  # hosted: 60 s
    client = await _client(stack)
    await client.auth.sign_in_with_otp({"email": email})
    newest, older = await _mail(stack, email)
    assert newest["sent_at"] > older["sent_at"]
    with pytest.raises(AuthApiError):  # the new code replaced the old one
        await client.auth.verify_otp({"email": email, "token": older["token"], "type": "email"})
    res = await client.auth.verify_otp({"email": email, "token": newest["token"], "type": "email"})
    assert res.session is not None


async def test_no_code_for_an_unknown_address_without_create_user(
    stack_documented: StackInfo, addresses: Callable[[], str]
) -> None:
    stack = stack_documented
    email = addresses()
    client = await _client(stack)
    with pytest.raises(AuthApiError) as err:
        await client.auth.sign_in_with_otp(
            {"email": email, "options": {"should_create_user": False}}
        )
    assert (err.value.status, err.value.code) == (422, "otp_disabled")
    assert err.value.message == "Signups not allowed for otp"
    assert await _mail(stack, email) == []
    assert await stack.asql("select id from auth.users where email = $1", email) == []
    async with httpx.AsyncClient(timeout=10) as http:  # /otp wants the API key
        keyless = await http.post(f"{stack.url}/auth/v1/otp", json={"email": email})
    assert keyless.status_code == 401


async def test_an_expired_code_is_refused(
    stack_documented: StackInfo, addresses: Callable[[], str]
) -> None:
    stack = stack_documented
    email = addresses()
    await stack.aoptions(otp_expiry=0)  # hosted: 3600 s
    client = await _client(stack)
    await client.auth.sign_in_with_otp({"email": email})
    [message] = await _mail(stack, email)
    async with httpx.AsyncClient(timeout=10) as http:  # /verify is open: no API key
        resp = await http.post(
            f"{stack.url}/auth/v1/verify",
            json={"type": "email", "email": email, "token": message["token"]},
            headers=V2024,
        )
    assert resp.status_code == 403
    assert resp.json() == {"code": "otp_expired", "message": "Token has expired or is invalid"}
