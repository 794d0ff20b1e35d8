"""Auth through supabase-py: password and refresh grants, the user, logout; the CLI."""

from __future__ import annotations

import subprocess
import sys

import jwt
import pytest
from devstack.testing import REPO_ROOT, StackInfo
from devstack_helpers import signed_in
from supabase_auth.errors import AuthApiError

from supabase import acreate_client


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
