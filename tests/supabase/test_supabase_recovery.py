"""The live stream survives what real servers do (drops, closes, silence, errors, expiring
tokens) and REST failures end cleanly: every chunk still arrives exactly once, in order."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from devstack.testing import StackInfo

from joblens.backends.base import LiveInterrupted, LiveStarted
from joblens.backends.supabase import SupabaseBackend
from joblens.errors import AuthError, BackendUnavailable
from joblens.feed import LogFeed
from joblens.models import LogChunk
from support.backends import backend_for
from support.seeding import create_job, db_chunks, write_logs
from support.users import User, new_user, signed_in_user
from support.waiting import next_event, until


class Watch:
    """A LogFeed over the backend, recording chunks and link changes."""

    def __init__(self, backend: SupabaseBackend, job_id: str) -> None:
        self.chunks: list[LogChunk] = []
        self.links: list[str | None] = []
        self.feed = LogFeed(backend, job_id, self.chunks.extend, on_link=self.links.append)
        self.task = asyncio.create_task(self.feed.run())

    def lines(self) -> list[str]:
        return [c.text for c in self.chunks]

    async def live(self, count: int = 1, timeout: float = 20.0) -> None:
        """Wait until the feed has (re)started live delivery ``count`` times."""
        await until(lambda: self.links.count(None) >= count and self.feed.live, timeout)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@asynccontextmanager
async def watching(backend: SupabaseBackend, job_id: str) -> AsyncIterator[Watch]:
    """Connect, follow the job's logs, and on the way out stop following and close."""
    await backend.connect()
    watch = Watch(backend, job_id)
    try:
        yield watch
    finally:
        await watch.stop()
        await backend.close()


async def assert_complete(stack: StackInfo, watch: Watch, job_id: str) -> None:
    expected = await db_chunks(stack, job_id)
    await until(lambda: len(watch.chunks) >= len(expected), timeout=20)
    assert [(str(c.id), c.text) for c in watch.chunks] == expected


@pytest.mark.parametrize("kind", ["drop", "close", "phx_error"])
async def test_the_stream_comes_back_after_a_fault_and_misses_nothing(
    stack: StackInfo, user: User, kind: str
) -> None:
    job_id = await create_job(stack, user.id, status="PROCESSING")
    backend = backend_for(stack, user.token)
    async with watching(backend, job_id) as watch:
        await watch.live()
        await write_logs(stack, job_id, [(f"before {i}\n", "STDOUT") for i in range(5)])
        await until(lambda: len(watch.chunks) == 5)
        await stack.afault(kind)
        await write_logs(stack, job_id, [(f"during {i}\n", "STDERR") for i in range(5)])
        await until(lambda: any(link is not None for link in watch.links))
        await watch.live(count=2)
        await write_logs(stack, job_id, [(f"after {i}\n", "STDOUT") for i in range(5)])
        await assert_complete(stack, watch, job_id)


async def test_the_watchdog_reconnects_when_the_library_has_given_up(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id, status="PROCESSING")
    backend = backend_for(stack, user.token)
    async with watching(backend, job_id) as watch:
        await watch.live()
        assert backend._client is not None
        # As after realtime-py's five failed retries: no automatic reconnect any more.
        backend._client.realtime.auto_reconnect = False
        await stack.afault("drop")
        await write_logs(stack, job_id, [("while down\n", "STDOUT")])
        await watch.live(count=2)
        await assert_complete(stack, watch, job_id)


async def test_a_silent_half_open_socket_is_dropped_and_replaced(
    stack_documented: StackInfo,
) -> None:
    stack = stack_documented
    uid = (await new_user(stack)).id
    job_id = await create_job(stack, uid, status="PROCESSING")
    backend = backend_for(stack, stack.token(uid))
    async with watching(backend, job_id) as watch:
        await watch.live()
        await stack.afault("silence", seconds=30)  # nothing sent, not even heartbeat replies
        await write_logs(stack, job_id, [("unheard\n", "STDOUT")])
        await watch.live(count=2, timeout=15)  # dead_after is 3 s in the fast timing
        assert any(link and "stopped answering" in link for link in watch.links)
        await assert_complete(stack, watch, job_id)


async def test_held_joins_only_delay_the_start(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    uid = (await new_user(stack)).id
    job_id = await create_job(stack, uid, status="PROCESSING")
    await write_logs(stack, job_id, [("old\n", "STDOUT")])
    backend = backend_for(stack, stack.token(uid))
    await backend.connect()
    await stack.afault("hold_joins", seconds=2)
    watch = Watch(backend, job_id)
    try:
        await watch.live(timeout=20)
        await write_logs(stack, job_id, [("new\n", "STDOUT")])
        await assert_complete(stack, watch, job_id)
    finally:
        await watch.stop()
        await backend.close()


async def test_an_expired_token_without_refresh_is_a_clear_auth_error(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id, status="PROCESSING")
    backend = backend_for(stack, user.token)
    await backend.connect()
    events = backend.follow_logs(job_id)
    try:
        assert isinstance(await next_event(events), LiveStarted)
        await stack.afault("expire_tokens")
        with pytest.raises(AuthError, match="JOBLENS_ACCESS_TOKEN"):
            while True:
                await next_event(events)
        with pytest.raises(AuthError, match="set a fresh JOBLENS_ACCESS_TOKEN"):
            await backend.get_job_state(job_id)
    finally:
        await events.aclose()
        await backend.close()


async def test_a_token_that_expires_while_following_ends_the_stream_with_auth_error(
    stack_deployed: StackInfo,
) -> None:
    stack = stack_deployed
    uid = (await new_user(stack)).id
    job_id = await create_job(stack, uid, status="PROCESSING")
    backend = backend_for(stack, stack.token(uid, ttl=3))
    await backend.connect()
    events = backend.follow_logs(job_id)
    try:
        assert isinstance(await next_event(events), LiveStarted)
        with pytest.raises(AuthError):
            while True:
                await next_event(events, timeout=20)
    finally:
        await events.aclose()
        await backend.close()


async def test_with_a_refresh_token_an_expired_session_renews_itself(stack: StackInfo) -> None:
    user, refresh = await signed_in_user(stack)
    job_id = await create_job(stack, user.id, status="PROCESSING")
    backend = backend_for(stack, user.token, refresh)
    async with watching(backend, job_id) as watch:
        await watch.live()
        await write_logs(stack, job_id, [("one\n", "STDOUT")])
        await stack.afault("expire_tokens")
        await write_logs(stack, job_id, [("two\n", "STDOUT")])
        await watch.live(count=2)
        await write_logs(stack, job_id, [("three\n", "STDOUT")])
        await assert_complete(stack, watch, job_id)
        assert watch.lines() == ["one\n", "two\n", "three\n"]
        assert (await backend.get_job_state(job_id)).status == "PROCESSING"


async def test_rest_errors_are_retried_for_reads_or_fail_in_one_clean_line(
    stack: StackInfo, user: User
) -> None:
    job_id = await create_job(stack, user.id, status="PROCESSING")
    await write_logs(stack, job_id, [("a\n", "STDOUT")])
    backend = backend_for(stack, user.token, rest_timeout=1.0)
    await backend.connect()
    try:
        await stack.afault("rest_error", count=1)  # the library retries GETs on 503
        assert [c.text for c in await backend.fetch_logs(job_id)] == ["a\n"]
        await stack.afault("rest_error", count=1)  # writes are not retried
        with pytest.raises(BackendUnavailable, match="try again") as caught:
            await backend.cancel_job(job_id)
        assert "\n" not in str(caught.value)
        await stack.afault("rest_hang", seconds=3, count=1)
        with pytest.raises(BackendUnavailable, match="timed out"):
            await backend.get_job_state(job_id)
    finally:
        await stack.afault("clear")
        await backend.close()


async def test_an_unreachable_server_is_one_line_naming_supabase_url() -> None:
    from joblens.backends.supabase import SupabaseSettings

    settings = SupabaseSettings(
        url="http://127.0.0.1:9", anon_key="k", access_token="a.e30.c", logs_table="job_logs"
    )
    backend = SupabaseBackend(settings, rest_timeout=2.0)
    with pytest.raises(
        BackendUnavailable, match=re.escape("cannot reach SUPABASE_URL http://127.0.0.1:9")
    ):
        await backend.connect()
    await backend.close()


async def test_a_wrong_logs_table_is_a_config_error(stack: StackInfo, user: User) -> None:
    from joblens.backends.supabase import SupabaseSettings
    from joblens.errors import ConfigError

    settings = SupabaseSettings(
        url=stack.url, anon_key=stack.anon_key, access_token=user.token, logs_table="nope_logs"
    )
    backend = SupabaseBackend(settings)
    with pytest.raises(ConfigError, match="table nope_logs not found: check JOBLENS_LOGS_TABLE"):
        await backend.connect()
    await backend.close()
    # Sanity: the LiveInterrupted type is what the feed reports on.
    assert LiveInterrupted("x").reason == "x"


async def test_a_system_error_frame_is_reported_as_interrupted(
    stack_documented: StackInfo,
) -> None:
    from joblens.backends.supabase.live import LiveLogs

    stack = stack_documented
    uid = (await new_user(stack)).id
    backend = backend_for(stack, stack.token(uid))
    await backend.connect()
    assert backend._client is not None
    # `workers` is not in the supabase_realtime publication: the server answers the join, then
    # sends the "system" frame with status "error" instead of "Subscribed to PostgreSQL".
    stream = LiveLogs(
        backend._client,
        table="workers",
        job_id=str(uuid.uuid4()),
        token=lambda: stack.token(uid),
        refresh=backend._refresh_session,
        refetch=backend.fetch_chunk,
    )
    events = stream.events()
    try:
        event = await next_event(events)
        assert isinstance(event, LiveInterrupted)
        assert "realtime channel error" in event.reason
    finally:
        await events.aclose()  # type: ignore[attr-defined]
        await backend.close()


async def test_an_expired_access_token_with_a_refresh_token_starts_fine(stack: StackInfo) -> None:
    user, refresh = await signed_in_user(stack)
    job_id = await create_job(stack, user.id, status="QUEUED")
    expired = stack.token(user.id, ttl=-60)
    backend = backend_for(stack, expired, refresh)
    await backend.connect()  # set_session refreshes the session first
    try:
        assert (await backend.get_job_state(job_id)).status == "QUEUED"
        assert await backend.cancel_job(job_id) is True
    finally:
        await backend.close()
    bad = backend_for(stack, expired, "not-a-refresh-token")
    with pytest.raises(AuthError, match="sign in again"):
        await bad.connect()
    await bad.close()


@pytest.mark.slow(13)
async def test_a_session_that_refreshes_itself_keeps_the_channel_without_a_gap(
    stack_deployed: StackInfo,
) -> None:
    stack = stack_deployed
    user, refresh = await signed_in_user(stack)
    job_id = await create_job(stack, user.id, status="PROCESSING")
    # An access token with 11 s left: the auth client refreshes it 10 s before expiry, and
    # the backend must hand the new token to realtime, or the server closes the channel at 11 s.
    short = stack.token(user.id, ttl=11)
    backend = backend_for(stack, short, refresh)
    async with watching(backend, job_id) as watch:
        await watch.live()
        await asyncio.sleep(12.5)  # past the first token's expiry
        await write_logs(stack, job_id, [("still here\n", "STDOUT")])
        await assert_complete(stack, watch, job_id)
        assert watch.links == [None]  # live once, never interrupted
        assert (await backend.get_job_state(job_id)).status == "PROCESSING"
