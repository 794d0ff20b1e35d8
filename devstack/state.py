"""The running stack's shared state: pool, schema cache, keys, faults."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from . import catalog
from .catalog import Catalog, Table
from .tokens import Verifier


@dataclass
class RestFaults:
    """Pending REST faults: answer 503, or hang, for the next N requests."""

    errors: int = 0
    hangs: int = 0
    hang_seconds: float = 0.0


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
    _reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def reload(self) -> None:
        """Reload the schema cache."""
        async with self._reload_lock, self.pool.acquire() as conn:
            self.cat = await catalog.load(conn)

    async def table(self, name: str) -> Table | None:
        """A table of `public`, reloading the cache once on a miss (like a schema reload)."""
        table = self.cat.table("public", name)
        if table is None:
            await self.reload()
            table = self.cat.table("public", name)
        return table


async def run_as(conn: asyncpg.Connection, claims: dict[str, Any], method: str, path: str) -> None:
    """Start acting as the JWT's role with its claims, for this transaction only."""
    await conn.execute(
        "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),"
        " set_config('request.method', $3, true), set_config('request.path', $4, true)",
        str(claims.get("role") or "anon"),
        json.dumps(claims),
        method,
        path,
    )
