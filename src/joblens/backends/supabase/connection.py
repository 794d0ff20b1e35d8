"""The Supabase backend's connection: supabase-py's async client, the signed-in session kept
fresh, and every PostgREST call run through one place (:meth:`SupabaseConnection._rest`).

:class:`joblens.backends.supabase.backend.SupabaseBackend` is built on it (its reads and
actions); :mod:`joblens.backends.supabase.session` keeps the session on disk and refreshes it
under a lock shared with every other joblens process using it. The client is created in
``connect`` (``_open``), inside the running event loop, never at construction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from postgrest.exceptions import APIError

from joblens.backends.supabase.config import SupabaseSettings
from joblens.backends.supabase.errors import is_auth_error, translate
from joblens.backends.supabase.jobs import JOBS
from joblens.backends.supabase.keepalive import LiveTiming
from joblens.backends.supabase.session import (
    Session,
    SessionKeeper,
    SessionStore,
    env_session_file,
)
from joblens.errors import AuthError, BackendUnavailable, JoblensError
from supabase import AsyncClient, AsyncClientOptions, acreate_client

if TYPE_CHECKING:
    from joblens.backends.supabase.live import LiveLogs

log = logging.getLogger(__name__)

T = TypeVar("T")

#: A request's timeout, seconds. Hosted PostgREST ends an authenticated statement after 8 s
#: and says so (500, 57014); waiting a little longer gets that answer instead of a guess.
REST_TIMEOUT = 10.0
#: How many times one request renews a refused session before the refusal is the answer.
TOKEN_RETRIES = 3


class SupabaseConnection:
    """A Supabase project's client and the session it uses, for the backend to read through."""

    def __init__(
        self,
        settings: SupabaseSettings,
        *,
        live_timing: LiveTiming | None = None,
        rest_timeout: float = REST_TIMEOUT,
        session_file: SessionStore | None = None,
    ) -> None:
        self.settings = settings
        self._session_file = session_file
        self._keeper: SessionKeeper | None = None
        self._live_timing = live_timing
        self._rest_timeout = rest_timeout
        self._client: AsyncClient | None = None
        self._token = settings.access_token  # the token realtime has
        self._installed: str | None = None  # the token the auth client has, once it has one
        self._tasks: set[asyncio.Task[Any]] = set()
        self._streams: set[LiveLogs] = set()  # live channels (the jobs list's LiveJobs too)

    async def _open(self) -> bool:
        """Create the client and install the session; False when it is open already."""
        if self._client is not None:
            return False
        settings = self.settings
        options = AsyncClientOptions(
            postgrest_client_timeout=self._rest_timeout,
            # The session is refreshed by SessionKeeper, under a lock shared with every other
            # joblens process using it, never by the auth client's own timer.
            auto_refresh_token=False,
            persist_session=False,
            realtime={"hb_interval": 15},
        )
        if settings.refresh_token is None:
            # A bare token: send it on every request; nothing can refresh it.
            options.headers["Authorization"] = f"Bearer {settings.access_token}"
        try:
            client = await acreate_client(settings.url, settings.anon_key, options)
            client.auth.on_auth_state_change(self._on_auth_change)
        except Exception as error:
            raise translate(error, url=settings.url, table=JOBS, names=settings.names) from None
        self._client = client
        if settings.refresh_token is not None:
            store = (
                self._session_file
                or settings.session_store
                or env_session_file(settings.url, settings.refresh_token)
            )
            self._keeper = SessionKeeper(
                store, Session(settings.access_token, settings.refresh_token)
            )
            await self._use(self._keeper, await self._keeper.current(self._send_refresh))
            self._spawn(self._keep_fresh())
        return True

    def _on_auth_change(self, event: str, session: Any) -> None:
        """After a refresh, realtime must use the new token too (called synchronously)."""
        token = getattr(session, "access_token", None)
        if not token:
            return
        self._installed = token
        if token == self._token:
            return
        self._token = token
        if self._client is not None:
            self._spawn(self._client.realtime.set_auth(token))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        async def run() -> None:
            with contextlib.suppress(Exception):
                await coro

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_refresh(self, refresh_token: str) -> Session:
        """Spend ``refresh_token`` at the auth server; the client installs the new session."""
        client = self._require()
        try:
            response = await client.auth.refresh_session(refresh_token)
        except Exception as error:
            raise self._translate(error, JOBS) from None
        session = response.session
        if session is None or not session.refresh_token:
            raise BackendUnavailable("the auth server answered a refresh without a session")
        return Session(session.access_token, session.refresh_token)

    async def _install(self, session: Session) -> None:
        """Use ``session`` for REST and realtime (a no-op when it is in use already)."""
        if session.access_token == self._installed:
            return
        client = self._require()
        try:
            await client.auth.set_session(session.access_token, session.refresh_token)
        except Exception as error:
            raise self._translate(error, JOBS) from None

    async def _refresh_session(self) -> bool:
        """Renew the session if there is a refresh token; False when there is none."""
        keeper = self._keeper
        if keeper is None or self._client is None:
            return False
        await self._use(keeper, await keeper.refresh(self._send_refresh, stale=self._token))
        return True

    async def _use(self, keeper: SessionKeeper, session: Session) -> None:
        """Install ``session``; when the server refuses it, renew it once and install that.

        A stored session can be refused although it is not due: another process's, refreshed
        before the server cut tokens off, or the one a process was started with.
        """
        try:
            await self._install(session)
        except AuthError:
            await self._install(
                await keeper.refresh(self._send_refresh, stale=session.access_token)
            )

    async def _keep_fresh(self) -> None:
        """Refresh the session shortly before it expires, for as long as the backend is open."""
        keeper = self._keeper
        failures = 0
        while keeper is not None and self._client is not None:
            wait = keeper.due_in()
            if wait is None:
                return
            await asyncio.sleep(wait if failures == 0 else min(30.0, 2.0**failures))
            try:
                await self._refresh_session()
                failures = 0
            except AuthError as error:
                # The next request meets the same refusal and reports it to the user.
                log.warning("session refresh refused: %s", error)
                return
            except JoblensError as error:
                failures += 1
                log.info("session refresh failed (%s); retrying", error)

    async def close(self) -> None:
        """Leave channels, stop background tasks and close the HTTP clients."""
        for stream in list(self._streams):
            await stream.close()
        client, self._client = self._client, None
        for task in list(self._tasks):
            task.cancel()
        if client is None:
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(3.0):
                await client.realtime.close()
        with contextlib.suppress(Exception):
            await client.postgrest.aclose()
        with contextlib.suppress(Exception):
            await client.auth.close()

    def _translate(self, error: BaseException, table: str, action: str = "") -> JoblensError:
        settings = self.settings
        return translate(error, url=settings.url, table=table, action=action, names=settings.names)

    def _require(self) -> AsyncClient:
        if self._client is None:
            raise BackendUnavailable("not connected: call connect() first")
        return self._client

    async def _rest(
        self,
        run: Callable[[AsyncClient], Awaitable[T]],
        *,
        table: str,
        action: str = "",
    ) -> T:
        """Run one PostgREST call; renew the session on a token error; map every failure.

        A token refused again right after a refresh (the server cut tokens off once more, or
        another process's session was refused as well) is renewed again, a few times at most.
        """
        for attempt in range(TOKEN_RETRIES + 1):
            client = self._require()
            try:
                return await run(client)
            except APIError as error:
                if (
                    is_auth_error(error)
                    and attempt < TOKEN_RETRIES
                    and await self._refresh_session()
                ):
                    continue
                raise self._translate(error, table, action) from None
            except JoblensError:
                raise
            except Exception as error:
                raise self._translate(error, table, action) from None
        raise AssertionError("unreachable")  # pragma: no cover
