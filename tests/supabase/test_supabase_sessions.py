"""One session shared by several joblens processes, through real refreshes on the stack's GoTrue.

The stack plays GoTrue's reuse detection strictly here (no reuse interval): a refresh token
used after it was spent ends the whole session, as hosted does ten seconds after a refresh.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from devstack.testing import StackInfo

from joblens.errors import ExitCode
from support.cli import joblens
from support.seeding import create_job, db_lines
from support.users import User, signed_in_user

ENDED = (
    "joblens: your session has ended (signed out, or revoked by the server): sign in again "
    "and set fresh JOBLENS_ACCESS_TOKEN and JOBLENS_REFRESH_TOKEN"
)


@pytest.fixture
async def strict(stack_documented: StackInfo) -> AsyncIterator[StackInfo]:
    # Sessions are the auth server's business, the same whatever the logs table's shape: one
    # schema is enough.
    stack = stack_documented
    stack.options(refresh_token_reuse_interval=0)
    yield stack
    stack.fault("clear")


def follow(
    stack: StackInfo, job_id: str, user: User, refresh: str, home: Path
) -> asyncio.Task[tuple[int, str, str]]:
    """`joblens logs ID --follow` in its own process, with a session in the environment and
    ``home`` as its state directory (where the session file lives)."""
    return asyncio.create_task(
        joblens(
            stack,
            user.token,
            "logs",
            job_id,
            "--follow",
            JOBLENS_REFRESH_TOKEN=refresh,
            XDG_STATE_HOME=str(home),
        )
    )


async def refreshes(stack: StackInfo, first_refresh: str) -> int:
    """How many times the session that began with ``first_refresh`` has been refreshed."""
    rows = await stack.asql(
        "select count(*) - 1 as n from auth.refresh_tokens where session_id ="
        " (select session_id from auth.refresh_tokens where token = $1)",
        first_refresh,
    )
    return int(rows[0]["n"] or 0)


async def session_alive(stack: StackInfo, first_refresh: str) -> bool:
    rows = await stack.asql(
        "select count(*) as n from auth.sessions where id ="
        " (select session_id from auth.refresh_tokens where token = $1)",
        first_refresh,
    )
    return int(rows[0]["n"]) == 1


async def expire_and_wait_for_refresh(stack: StackInfo, first_refresh: str) -> None:
    """Expire every token; wait until some process has refreshed the session."""
    before = await refreshes(stack, first_refresh)
    await stack.afault("expire_tokens")
    for _ in range(200):
        if await refreshes(stack, first_refresh) > before:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("no process refreshed the session within 20 s")


@pytest.mark.slow(11)
async def test_processes_sharing_a_session_through_several_refreshes_never_trip_reuse(
    strict: StackInfo, tmp_path: Path
) -> None:
    stack = strict
    user, refresh = await signed_in_user(stack)
    job_id = await create_job(stack, user.id, job_type="DEPLOY")
    first = follow(stack, job_id, user, refresh, tmp_path)
    await asyncio.sleep(1.5)
    for _ in range(2):
        await expire_and_wait_for_refresh(stack, refresh)
    # Started an hour later, as it were, with the same variables: their refresh token is spent.
    second = follow(stack, job_id, user, refresh, tmp_path)
    await asyncio.sleep(1.5)
    for _ in range(3):
        await expire_and_wait_for_refresh(stack, refresh)
        await asyncio.sleep(1.0)  # both processes have met the refusal and renewed
    assert await stack.run_tendril(job_id, lines=400, rate=800.0) == 0
    expected = await db_lines(stack, job_id)
    for follower in (first, second):
        code, out, err = await follower
        assert code == ExitCode.OK, err
        assert out.splitlines() == expected
    assert await session_alive(stack, refresh)
    assert await refreshes(stack, refresh) >= 5


async def test_without_the_shared_session_a_spent_token_ends_the_session_in_one_line(
    strict: StackInfo, tmp_path: Path
) -> None:
    """What sharing prevents: a process that kept its own copy of a session spends a token the
    other already spent, and the server ends the session for both."""
    stack = strict
    user, refresh = await signed_in_user(stack)
    job_id = await create_job(stack, user.id, job_type="DEPLOY", status="PROCESSING")
    first = follow(stack, job_id, user, refresh, tmp_path / "one")
    await asyncio.sleep(1.5)
    for _ in range(2):
        await expire_and_wait_for_refresh(stack, refresh)
    second = follow(stack, job_id, user, refresh, tmp_path / "two")
    await stack.afault("expire_tokens")
    code, _out, err = await asyncio.wait_for(second, 30)
    assert code == ExitCode.AUTH
    assert err.strip().splitlines() == [ENDED]
    assert not await session_alive(stack, refresh)
    # The first process meets the end at its next renewal: the same one line, last.
    await stack.afault("expire_tokens")
    code, _out, err = await asyncio.wait_for(first, 30)
    assert code == ExitCode.AUTH
    assert err.strip().splitlines()[-1] == ENDED
    # The dead session is forgotten: nothing keeps a revoked token around.
    assert not list((tmp_path / "one").rglob("*.json"))


async def test_a_session_signed_out_elsewhere_says_sign_in_again(
    stack_documented: StackInfo, tmp_path: Path
) -> None:
    stack = stack_documented
    user, refresh = await signed_in_user(stack)
    job_id = await create_job(stack, user.id, job_type="DEPLOY", status="PROCESSING")
    follower = follow(stack, job_id, user, refresh, tmp_path)
    await asyncio.sleep(1.5)
    request = urllib.request.Request(
        f"{stack.url}/auth/v1/logout",
        data=json.dumps({}).encode(),
        method="POST",
        headers={"apikey": stack.anon_key, "Authorization": f"Bearer {user.token}"},
    )
    await asyncio.to_thread(lambda: urllib.request.urlopen(request, timeout=10).close())
    await stack.afault("expire_tokens")
    code, _out, err = await asyncio.wait_for(follower, 30)
    assert code == ExitCode.AUTH
    # Notices of the reconnection may come first; the error is one line, the last.
    assert err.strip().splitlines()[-1] == ENDED
