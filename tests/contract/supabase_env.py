"""The Supabase backend's contract environments: the local stack, one per log-table shape.

The seeder writes with SQL as the database owner (as a Tendril, the web page or an admin
would); the backend reads as a fresh signed-in user, through the unmodified supabase-py client.
A deployment newer than joblens may hold enum values joblens does not know: asked for one, the
seeder adds it to the enum (or lifts the CHECK), as such a deployment would have.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from devstack.testing import StackInfo

from joblens.backends.supabase import SupabaseBackend, SupabaseSettings
from joblens.models import TERMINAL_STATUSES

if TYPE_CHECKING:  # the conftest imports this module: import it lazily at run time
    from .conftest import ContractEnv, VineRefs

_ENUMS = {"job_type": "job_type", "status": "job_status"}
_TENDRIL_STATUSES = {"ONLINE", "OFFLINE", "DRAINING", None}


class StackSeeder:
    """Writes rows for one user straight into the stack's database."""

    def __init__(self, stack: StackInfo, user_id: str) -> None:
        self.stack = stack
        self.user_id = user_id
        self.lifted_check = False

    async def restore(self) -> None:
        """Delete the user (its rows go by cascade) and put back a lifted CHECK."""
        await self._execute("delete from auth.users where id = $1", self.user_id)
        if self.lifted_check:
            await self._execute(
                "alter table public.workers add constraint workers_status_check "
                "check (status in ('ONLINE', 'OFFLINE', 'DRAINING'))"
            )

    async def _execute(self, query: str, *args: Any) -> list[dict[str, Any]]:
        return await self.stack.asql(query, *args)

    async def _insert(self, table: str, values: dict[str, Any]) -> str:
        names = list(values)
        params = [
            f"${i}::jsonb" if isinstance(values[n], dict | list) else f"${i}"
            for i, n in enumerate(names, 1)
        ]
        args = [json.dumps(v) if isinstance(v, dict | list) else v for v in values.values()]
        rows = await self._execute(
            f"insert into public.{table} ({', '.join(names)}) values ({', '.join(params)}) "
            "returning id::text",
            *args,
        )
        return str(rows[0]["id"])

    async def _allow_enum_value(self, enum: str, value: str) -> None:
        known = await self._execute(f"select unnest(enum_range(null::public.{enum}))::text as v")
        if value not in {row["v"] for row in known}:
            await self._execute(f"alter type public.{enum} add value if not exists '{value}'")

    async def create_job(self, **fields: Any) -> str:
        values: dict[str, Any] = {"job_type": "PLAN", "user_id": self.user_id}
        values.update(fields)
        for name, enum in _ENUMS.items():
            if isinstance(values.get(name), str):
                await self._allow_enum_value(enum, values[name])
        return await self._insert("provision_jobs", values)

    async def write_logs(self, job_id: str, chunks: Sequence[tuple[str, str]]) -> None:
        conn = await asyncpg.connect(self.stack.database_url)
        try:
            for text, stream in chunks:  # one commit each, as a Tendril flushes
                await conn.execute(
                    f"insert into public.{self.stack.logs_table} (job_id, log_chunk, stream_type)"
                    " values ($1, $2, $3)",
                    job_id,
                    text,
                    stream,
                )
        finally:
            await conn.close()

    async def set_status(self, job_id: str, status: str, error: str | None = None) -> None:
        await self._allow_enum_value("job_status", status)
        terminal = status in TERMINAL_STATUSES
        await self._execute(
            "update public.provision_jobs set status = $2::text::public.job_status, "
            "error_message = $3, completed_at = case when $4 then now() end where id = $1",
            job_id,
            status,
            error,
            terminal,
        )

    async def create_tendril(
        self,
        *,
        name: str,
        status: str | None = "ONLINE",
        heartbeat_age: timedelta | None = timedelta(0),
        mode: str = "self-hosted",
        is_default: bool = False,
    ) -> str:
        if status not in _TENDRIL_STATUSES:
            await self._execute(
                "alter table public.workers drop constraint if exists workers_status_check"
            )
            self.lifted_check = True
        rows = await self._execute(
            "insert into public.workers (user_id, name, mode, status, last_heartbeat, "
            "is_default, version) values ($1, $2, $3, $4, "
            "case when $5::float8 is null then null "
            "else now() - make_interval(secs => $5::float8) end, $6, '0.14.2') "
            "returning id::text",
            self.user_id,
            name,
            mode,
            status,
            None if heartbeat_age is None else heartbeat_age.total_seconds(),
            is_default,
        )
        return str(rows[0]["id"])

    async def create_vine(
        self, *, project_name: str, environment_stage: str, region: str
    ) -> VineRefs:
        from .conftest import VineRefs

        vineyard_id = await self._insert(
            "vineyards", {"user_id": self.user_id, "name": f"{project_name} yard"}
        )
        vine_id = await self._insert(
            "vines",
            {
                "user_id": self.user_id,
                "vineyard_id": vineyard_id,
                "project_name": project_name,
                "environment_stage": environment_stage,
                "region": region,
                "terraform_version": "1.9.8",
            },
        )
        identity_id = await self._insert(
            "cloud_identities",
            {
                "user_id": self.user_id,
                "provider": "aws",
                "name": f"{project_name}-deployer",
                "credentials": {"secret": "never selected"},
            },
        )
        return VineRefs(vine_id, vineyard_id, identity_id)


def supabase_env(schema: str) -> Callable[[pytest.FixtureRequest], Any]:
    """A contract environment on the session's stack for ``schema``."""

    @asynccontextmanager
    async def env(request: pytest.FixtureRequest) -> AsyncIterator[ContractEnv]:
        from .conftest import ContractEnv

        stack: StackInfo = request.getfixturevalue(f"stack_{schema}")
        user_id = await stack.acreate_user()
        settings = SupabaseSettings(
            url=stack.url,
            anon_key=stack.anon_key,
            access_token=stack.token(user_id),
            logs_table=stack.logs_table,
        )
        backend = SupabaseBackend(settings)
        await backend.connect()
        seeder = StackSeeder(stack, user_id)
        try:
            yield ContractEnv(f"supabase-{schema}", backend, seeder)
        finally:
            await backend.close()
            await seeder.restore()  # the stacks are shared by the whole session

    return env
