"""The running stack's shared state: pool, schema cache, keys, options, faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from . import catalog
from .catalog import Catalog, Table
from .options import Options
from .tokens import Verifier

#: libpq's words when nothing listens on the database's port.
UNREACHABLE = (
    'connection to server at "127.0.0.1", port 5432 failed: Connection refused\n'
    "\tIs the server running on that host and accepting TCP/IP connections?\n"
)

#: The roles PostgREST logs in as (`authenticator`) and switches to; their settings apply.
API_ROLES = ("authenticator", "anon", "authenticated", "service_role")

#: Per-role settings as PostgREST reads them (ALTER ROLE ... SET), this database's first. Only
#: settings a plain user may change count, as in PostgREST's `queryRoleSettings`.
ROLE_SETTINGS_SQL = """
select distinct on (r.rolname, split_part(c.setting, '=', 1))
       r.rolname as role, split_part(c.setting, '=', 1) as key,
       substr(c.setting, strpos(c.setting, '=') + 1) as value
from pg_db_role_setting s
join pg_roles r on r.oid = s.setrole
cross join lateral unnest(s.setconfig) as c(setting)
join pg_settings p on p.name = split_part(c.setting, '=', 1) and p.context = 'user'
where r.rolname = any($1::text[])
  and s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
order by r.rolname, split_part(c.setting, '=', 1), s.setdatabase desc
"""


class DatabaseUnreachable(Exception):
    """No connection to the database could be had (PostgREST's PGRST000, 503)."""


@dataclass
class RestFaults:
    """Pending REST faults: answer 503, or hang, for the next N requests; or, until a time,
    fail to reach the database."""

    errors: int = 0
    hangs: int = 0
    hang_seconds: float = 0.0
    unreachable_until: float = 0.0


@dataclass
class Stack:
    """Everything the handlers share."""

    pool: asyncpg.Pool
    verifier: Verifier
    jwt_secret: str
    anon_key: str
    service_role_key: str
    database_url: str
    cat: Catalog = field(default_factory=Catalog)
    rest_faults: RestFaults = field(default_factory=RestFaults)
    options: Options = field(default_factory=Options)
    start_options: Options = field(default_factory=Options)
    #: role -> settings PostgREST applies when it acts as that role (e.g. statement_timeout)
    role_settings: dict[str, dict[str, str]] = field(default_factory=dict)
    _reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def reload(self) -> None:
        """Reload the schema cache and the roles' settings."""
        async with self._reload_lock, self.pool.acquire() as conn:
            self.cat = await catalog.load(conn)
            self.role_settings = await load_role_settings(conn)

    async def table(self, name: str) -> Table | None:
        """A table of `public`, reloading the cache once on a miss (like a schema reload)."""
        table = self.cat.table("public", name)
        if table is None:
            await self.reload()
            table = self.cat.table("public", name)
        return table

    @contextlib.asynccontextmanager
    async def rest_connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection for a REST request. Failing to get one (the server refuses
        connections, or the `db_unreachable` fault plays that) is DatabaseUnreachable, which
        PostgREST answers 503; errors once connected are the query's own."""
        if time.monotonic() < self.rest_faults.unreachable_until:
            raise DatabaseUnreachable(UNREACHABLE)
        try:
            conn = await self.pool.acquire()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise DatabaseUnreachable(str(exc)) from exc
        try:
            yield conn
        finally:
            await self.pool.release(conn)

    def settings_for(self, role: str) -> dict[str, str]:
        """What PostgREST sets for a request as `role`: the login role's settings, then the
        role's own."""
        return {**self.role_settings.get("authenticator", {}), **self.role_settings.get(role, {})}


async def load_role_settings(conn: asyncpg.Connection) -> dict[str, dict[str, str]]:
    """The API roles' settings, this database's overriding the cluster-wide ones."""
    out: dict[str, dict[str, str]] = {}
    for row in await conn.fetch(ROLE_SETTINGS_SQL, list(API_ROLES)):
        out.setdefault(row["role"], {})[row["key"]] = row["value"]
    return out


async def run_as(
    conn: asyncpg.Connection,
    claims: dict[str, Any],
    method: str,
    path: str,
    settings: dict[str, str] | None = None,
) -> None:
    """Start acting as the JWT's role with its claims, for this transaction only; `settings`
    (the role's, e.g. statement_timeout) are set for the transaction too, as PostgREST does."""
    await conn.execute(
        "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),"
        " set_config('request.method', $3, true), set_config('request.path', $4, true),"
        " (select count(set_config(key, value, true)) from json_each_text($5::json))",
        str(claims.get("role") or "anon"),
        json.dumps(claims),
        method,
        path,
        json.dumps(settings or {}),
    )
