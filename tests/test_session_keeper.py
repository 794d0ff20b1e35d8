"""SessionKeeper: a session shared by several processes never spends a refresh token twice.

The auth server here is strict GoTrue without the allowances (no parent reuse, no reuse
interval): any spent token used again ends the session. The keepers share one session file,
as separate joblens processes do; the cross-process run uses real processes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing
import os
import stat
import time
from pathlib import Path

import pytest
from filelock import FileLock
from hypothesis import given, settings
from hypothesis import strategies as st

from joblens.backends.supabase.session import (
    Session,
    SessionFile,
    SessionKeeper,
    env_session_file,
)
from joblens.errors import AuthError, BackendUnavailable


def jwt(iat: float, exp: float, n: int) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part({'iat': iat, 'exp': exp, 'n': n})}.sig"


class StrictAuth:
    """Rotating refresh tokens; any reuse of a spent token ends the session for good."""

    def __init__(self, lifetime: float = 3600.0) -> None:
        self.lifetime = lifetime
        self.active = "r0"
        self.spent: set[str] = set()
        self.revoked = False
        self.requests = 0
        self._n = 0

    def first(self, now: float) -> Session:
        return Session(jwt(now, now + self.lifetime, 0), self.active)

    async def refresh(self, token: str, now: float | None = None) -> Session:
        self.requests += 1
        await asyncio.sleep(0)  # let others run while the request is in flight
        if self.revoked or token != self.active:
            self.revoked = True
            raise AuthError("your session has ended: sign in again")
        self.spent.add(token)
        self._n += 1
        self.active = f"r{self._n}"
        issued = time.time() if now is None else now
        return Session(jwt(issued, issued + self.lifetime, self._n), self.active)


def test_a_stored_chain_is_newer_than_the_session_a_process_was_started_with(
    tmp_path: Path,
) -> None:
    store = SessionFile(tmp_path / "s.json")
    auth = StrictAuth()
    started_with = auth.first(time.time())
    newer = Session(jwt(time.time(), time.time() + 3600, 7), "r7")
    store.save(newer)
    assert SessionKeeper(store, started_with).session == newer
    # With nothing stored, the session it was started with is stored at once.
    other = SessionFile(tmp_path / "t.json")
    SessionKeeper(other, started_with)
    assert other.load() == started_with


async def test_a_refresh_already_done_by_another_process_is_taken_not_repeated(
    tmp_path: Path,
) -> None:
    auth = StrictAuth()
    first = auth.first(time.time())
    one = SessionKeeper(SessionFile(tmp_path / "s.json"), first)
    two = SessionKeeper(SessionFile(tmp_path / "s.json"), first)
    fresh = await one.refresh(auth.refresh, stale=first.access_token)
    taken = await two.refresh(auth.refresh, stale=first.access_token)
    assert taken == fresh
    assert auth.requests == 1 and not auth.revoked


@settings(max_examples=40)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=40),
)
def test_any_interleaving_of_refreshes_by_several_processes_never_reuses_a_token(
    steps: list[tuple[int, bool]],
) -> None:
    """Four keepers on one file; each step, one of them (or all at once) asks for a refresh."""

    async def run(directory: Path) -> None:
        auth = StrictAuth()
        first = auth.first(time.time())
        keepers = [SessionKeeper(SessionFile(directory / "s.json"), first) for _ in range(4)]
        for who, everyone in steps:
            askers = keepers if everyone else [keepers[who]]
            await asyncio.gather(
                *(k.refresh(auth.refresh, stale=k.session.access_token) for k in askers)
            )
            assert not auth.revoked
        # Whatever each keeper holds, its next refresh uses a token the server accepts.
        for keeper in keepers:
            await keeper.refresh(auth.refresh, stale=keeper.session.access_token)
        assert not auth.revoked

    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(run(Path(directory)))


def _process(path: str, rounds: int, results: multiprocessing.Queue) -> None:
    """One joblens-like process: refreshes through a shared strict auth 'server' file."""

    async def main() -> list[str]:
        server = Path(path).with_name("server.json")
        server_lock = FileLock(str(server) + ".lock")

        async def refresh(token: str) -> Session:
            with server_lock:
                state = json.loads(server.read_text())
                if state["revoked"] or token != state["active"]:
                    state["revoked"] = True
                    server.write_text(json.dumps(state))
                    raise AuthError("your session has ended: sign in again")
                state["n"] += 1
                state["active"] = f"r{state['n']}"
                server.write_text(json.dumps(state))
                now = time.time()
                return Session(jwt(now, now + 3600, state["n"]), state["active"])

        keeper = SessionKeeper(SessionFile(Path(path)), Session(jwt(0, 1e10, 0), "r0"))
        used = []
        for _ in range(rounds):
            session = await keeper.refresh(refresh, stale=keeper.session.access_token)
            used.append(session.refresh_token)
            await asyncio.sleep(0.001)
        return used

    try:
        results.put(asyncio.run(main()))
    except AuthError as error:
        results.put(str(error))


def test_real_processes_sharing_one_session_never_trip_reuse_detection(tmp_path: Path) -> None:
    (tmp_path / "server.json").write_text(json.dumps({"active": "r0", "n": 0, "revoked": False}))
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [
        context.Process(target=_process, args=(str(tmp_path / "s.json"), 15, results))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(10)
    assert all(isinstance(o, list) for o in outcomes), outcomes
    server = json.loads((tmp_path / "server.json").read_text())
    assert not server["revoked"]
    assert server["n"] <= 60  # one request per asked refresh at most


async def test_a_session_the_server_ended_is_forgotten_and_said_in_one_line(
    tmp_path: Path,
) -> None:
    auth = StrictAuth()
    first = auth.first(time.time())
    store = SessionFile(tmp_path / "s.json")
    keeper = SessionKeeper(store, first)
    auth.revoked = True
    with pytest.raises(AuthError, match="sign in again"):
        await keeper.refresh(auth.refresh, stale=first.access_token)
    assert store.load() is None


async def test_a_lock_held_too_long_by_another_process_is_a_clear_error(tmp_path: Path) -> None:
    auth = StrictAuth()
    first = auth.first(time.time())
    store = SessionFile(tmp_path / "s.json")
    store.lock.timeout = 0.3
    keeper = SessionKeeper(store, first)
    with FileLock(str(store.path) + ".lock"), pytest.raises(BackendUnavailable, match="lock"):
        await keeper.refresh(auth.refresh, stale=first.access_token)
    assert auth.requests == 0


def test_the_session_file_is_owner_only_from_the_first_byte(tmp_path: Path) -> None:
    store = env_session_file("https://p.supabase.co", "r0", state_dir=tmp_path)
    store.save(Session(jwt(0, 1, 0), "r0"))
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.path.parent).st_mode) == 0o700
    # One file per project and starting token; the token itself is not in the name.
    assert "r0" not in store.path.name
    other = env_session_file("https://q.supabase.co", "r0", state_dir=tmp_path)
    assert other.path != store.path
    # Unreadable or foreign content is no session, never a crash.
    store.path.write_text("{not json")
    assert store.load() is None
    store.path.write_text(json.dumps({"access_token": 1}))
    assert store.load() is None


def test_refresh_falls_due_a_minute_before_expiry_or_half_way_for_short_tokens() -> None:
    hour = Session(jwt(1000, 4600, 0), "r")
    assert hour.refresh_due(0) == 4540
    short = Session(jwt(1000, 1010, 0), "r")
    assert short.refresh_due(0) == 1005
    assert not short.needs_refresh(1004) and short.needs_refresh(1005)
    assert Session("not-a-jwt", "r").refresh_due(0) is None
