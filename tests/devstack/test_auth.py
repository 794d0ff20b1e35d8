"""Auth through supabase-py: password and refresh grants, the user, logout; the CLI."""

from __future__ import annotations

import secrets
import subprocess
import sys
from typing import Any

import httpx
import jwt
import pytest
from devstack.testing import REPO_ROOT, StackInfo
from supabase_auth.errors import AuthApiError

from supabase import acreate_client
from support.users import signed_in


async def test_password_sign_in_refresh_and_logout(stack_documented: StackInfo) -> None:
    stack = stack_documented
    user = await signed_in(stack)
    claims = jwt.decode(
        user.access_token, stack.jwt_secret, algorithms=["HS256"], audience="authenticated"
    )
    assert claims["sub"] == user.id and claims["role"] == "authenticated"
    assert claims["exp"] > claims["iat"]
    me = await user.client.auth.get_user()
    assert me is not None and me.user.id == user.id and me.user.email == user.email
    refreshed = await user.client.auth.refresh_session()
    assert refreshed.session is not None
    assert refreshed.session.refresh_token != user.refresh_token
    again = await acreate_client(stack.url, stack.anon_key)
    reused = await again.auth.refresh_session(user.refresh_token)  # within the reuse interval
    assert reused.session is not None
    assert reused.session.refresh_token == refreshed.session.refresh_token
    rows = await user.client.table("provision_jobs").select("id").execute()
    assert rows.data == []
    await user.client.auth.sign_out()
    fresh = await acreate_client(stack.url, stack.anon_key)
    with pytest.raises(AuthApiError) as err:
        await fresh.auth.refresh_session(refreshed.session.refresh_token)
    assert err.value.code == "refresh_token_not_found"


async def test_a_wrong_password_is_invalid_credentials(stack_documented: StackInfo) -> None:
    stack = stack_documented
    email = "someone@example.test"
    await stack.acreate_user(email, "right")
    client = await acreate_client(stack.url, stack.anon_key)
    with pytest.raises(AuthApiError) as err:
        await client.auth.sign_in_with_password({"email": email, "password": "wrong"})
    assert err.value.code == "invalid_credentials" and err.value.status == 400
    assert err.value.message == "Invalid login credentials"


def test_the_user_and_token_commands(stack_deployed: StackInfo) -> None:
    run = [sys.executable, "-m", "devstack"]
    made = subprocess.run(
        [
            *run,
            "user",
            "--database-url",
            stack_deployed.database_url,
            "--email",
            "cli@example.test",
            "--password",
            "pw",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    uid = made.stdout.strip()
    assert stack_deployed.sql("select email from auth.users where id::text = $1", uid) == [
        {"email": "cli@example.test"}
    ]
    token = subprocess.run(
        [*run, "token", "--jwt-secret", stack_deployed.jwt_secret, "--sub", uid, "--ttl", "60"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    claims = jwt.decode(
        token, stack_deployed.jwt_secret, algorithms=["HS256"], audience="authenticated"
    )
    assert claims["sub"] == uid and claims["role"] == "authenticated"
    assert claims["exp"] - claims["iat"] == 60


def test_the_user_command_run_again_gives_the_same_user(stack_deployed: StackInfo) -> None:
    """The README's walkthrough can be run twice on one database."""

    def user(password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                *(sys.executable, "-m", "devstack", "user"),
                *("--database-url", stack_deployed.database_url),
                *("--email", "again@example.test", "--password", password),
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )

    first, second = user("pw-1"), user("pw-1")
    assert first.returncode == second.returncode == 0
    assert first.stdout.strip() == second.stdout.strip() != ""
    other = user("pw-2")
    assert other.returncode == 1
    assert other.stderr.strip() == "devstack user: again@example.test exists with another password"


V2024 = {"X-Supabase-Api-Version": "2024-01-01"}


async def _sign_in(stack: StackInfo, http: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """A new user signed in through the password grant: (user id, session)."""
    email = f"rt-{secrets.token_hex(4)}@example.test"
    uid = await stack.acreate_user(email, "pw-rotate")
    signed = await http.post(
        "/token", params={"grant_type": "password"}, json={"email": email, "password": "pw-rotate"}
    )
    assert signed.status_code == 200
    return uid, signed.json()


async def _refresh(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post(
        "/token", params={"grant_type": "refresh_token"}, json={"refresh_token": token}
    )


def _auth_http(stack: StackInfo) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{stack.url}/auth/v1", headers={"apikey": stack.anon_key, **V2024}
    )


async def test_refresh_tokens_rotate_and_a_reused_one_ends_the_session(
    stack_deployed: StackInfo,
) -> None:
    stack = stack_deployed
    await stack.aoptions(refresh_token_reuse_interval=0)  # hosted: 10 s
    async with _auth_http(stack) as http:
        _, first = await _sign_in(stack, http)
        a = first["refresh_token"]
        assert len(a) == 12 and a.isalnum() and a.lower() == a
        second = (await _refresh(http, a)).json()
        b = second["refresh_token"]
        assert b != a
        lost_answer = (await _refresh(http, a)).json()  # the active token's parent: allowed
        assert lost_answer["refresh_token"] == b
        c = (await _refresh(http, b)).json()
        me = await http.get("/user", headers={"Authorization": f"Bearer {c['access_token']}"})
        assert me.status_code == 200
        reused = await _refresh(http, a)  # older than the active token's parent
        assert reused.status_code == 400
        assert reused.json() == {
            "code": "refresh_token_already_used",
            "message": "Invalid Refresh Token: Already Used",
        }
        assert reused.headers["x-sb-error-code"] == "refresh_token_already_used"
        assert reused.headers["X-Supabase-Api-Version"] == "2024-01-01"
        after = await _refresh(http, c["refresh_token"])  # the whole session is gone
        assert after.json()["code"] == "refresh_token_not_found"
        gone = await http.get("/user", headers={"Authorization": f"Bearer {c['access_token']}"})
        assert gone.status_code == 403
        assert gone.json() == {
            "code": "session_not_found",
            "message": "Session from session_id claim in JWT does not exist",
        }
        old_shape = await http.get(
            "/user",
            headers={"Authorization": f"Bearer {c['access_token']}", "X-Supabase-Api-Version": ""},
        )
        assert old_shape.json() == {
            "code": 403,
            "error_code": "session_not_found",
            "msg": "Session from session_id claim in JWT does not exist",
        }


async def test_concurrent_refreshes_within_the_reuse_interval(stack_documented: StackInfo) -> None:
    stack = stack_documented  # refresh_token_reuse_interval: 10 s, as hosted
    async with _auth_http(stack) as http:
        _, first = await _sign_in(stack, http)
        b = (await _refresh(http, first["refresh_token"])).json()["refresh_token"]
        c = (await _refresh(http, b)).json()["refresh_token"]
        late = await _refresh(http, first["refresh_token"])  # a second tab, a moment late
        assert late.status_code == 200 and late.json()["refresh_token"] == c
        bad = await _refresh(http, "not-a-refresh-token")
        assert (bad.status_code, bad.json()["code"]) == (400, "validation_failed")
        empty = await _refresh(http, "")
        assert empty.json() == {
            "error": "invalid_request",
            "error_description": "refresh_token required",
        }


async def test_user_after_logout_is_session_not_found(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await signed_in(stack)
    await user.client.auth.sign_out()
    async with _auth_http(stack) as http:
        me = await http.get("/user", headers={"Authorization": f"Bearer {user.access_token}"})
        assert (me.status_code, me.json()["code"]) == (403, "session_not_found")
        # A token signed outside GoTrue has no session: nothing to be missing.
        outside = await http.get(
            "/user", headers={"Authorization": f"Bearer {stack.token(user.id)}"}
        )
        assert outside.status_code == 200 and outside.json()["id"] == user.id
