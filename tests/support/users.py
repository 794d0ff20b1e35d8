"""Users of a local stack, their tokens and sessions, and the supabase-py clients tests open.

Every user made here is deleted after the test (its rows go with it, by cascade) and every
client's realtime socket closed, by the fixtures in tests/supabase/conftest.py and
tests/devstack/conftest.py (and the contract's stack environments): the session's stacks are
shared, and stay as empty as tests expect.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import urllib.request
from dataclasses import dataclass
from typing import Any

from devstack.testing import StackInfo

from supabase import AsyncClient, AsyncClientOptions, acreate_client


@dataclass
class User:
    """A user of a stack and its access token; signed in with a password, its session too."""

    id: str
    token: str
    email: str = ""
    password: str = ""
    refresh_token: str = ""

    @property
    def access_token(self) -> str:
        return self.token


@dataclass(kw_only=True)
class ClientUser(User):
    """A user signed in through supabase-py: its client, with realtime's auth set too."""

    client: AsyncClient


#: Users made since the last `forget_users`, and clients not yet closed.
_CREATED_USERS: list[tuple[StackInfo, str]] = []
_OPEN_CLIENTS: list[AsyncClient] = []


async def _password_user(stack: StackInfo) -> tuple[str, str, str]:
    """A new user with an email and password: (id, email, password)."""
    email, password = f"u{secrets.token_hex(5)}@example.test", "pw-" + secrets.token_hex(4)
    uid = await stack.acreate_user(email, password)
    _CREATED_USERS.append((stack, uid))
    return uid, email, password


async def new_user(stack: StackInfo, ttl: int = 3600) -> User:
    """A fresh user with a token minted for ``ttl`` seconds (no session behind it)."""
    uid = await stack.acreate_user()
    _CREATED_USERS.append((stack, uid))
    return User(uid, stack.token(uid, ttl=ttl))


async def signed_in_user(stack: StackInfo) -> tuple[User, str]:
    """A user with a real session from the stack's auth (password grant over HTTP):
    (user, refresh token)."""
    uid, email, password = await _password_user(stack)
    req = urllib.request.Request(
        f"{stack.url}/auth/v1/token?grant_type=password",
        data=json.dumps({"email": email, "password": password}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "apikey": stack.anon_key},
    )

    def post() -> dict[str, Any]:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return dict(json.loads(resp.read()))

    session = await asyncio.to_thread(post)
    refresh = str(session["refresh_token"])
    return User(uid, str(session["access_token"]), email, password, refresh), refresh


async def _client(url: str, key: str, options: AsyncClientOptions | None = None) -> AsyncClient:
    client = await acreate_client(url, key, options)
    _OPEN_CLIENTS.append(client)
    return client


async def signed_in(stack: StackInfo) -> ClientUser:
    """A new user and a supabase-py client signed in with its password (realtime auth set)."""
    uid, email, password = await _password_user(stack)
    client = await _client(stack.url, stack.anon_key)
    res = await client.auth.sign_in_with_password({"email": email, "password": password})
    assert res.session is not None
    await client.realtime.set_auth(res.session.access_token)
    session = res.session
    return ClientUser(
        uid, session.access_token, email, password, session.refresh_token, client=client
    )


async def token_client(stack: StackInfo, token: str) -> AsyncClient:
    """A supabase-py client using a bearer token given from outside (no session)."""
    client = await _client(
        stack.url,
        stack.anon_key,
        AsyncClientOptions(headers={"Authorization": f"Bearer {token}"}),
    )
    await client.realtime.set_auth(token)
    return client


async def close_clients() -> None:
    """Close the realtime sockets of every client made here."""
    while _OPEN_CLIENTS:
        client = _OPEN_CLIENTS.pop()
        await client.realtime.close()


async def forget_users() -> None:
    """Delete the users made since the last call, with everything they own."""
    while _CREATED_USERS:
        stack, uid = _CREATED_USERS.pop()
        await stack.asql("delete from auth.users where id = $1", uid)
