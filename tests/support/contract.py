"""The contract tests' environments: a backend plus a seeder that writes rows behind its back.

Every backend runs the same tests (tests/contract/). To add one, write an async context
manager that yields a :class:`ContractEnv` and register it in tests/contract/conftest.py's
``ENVIRONMENTS``; the ``contract_env`` fixture is parametrized over that dict's keys.

A seeder writes as the platform would (a Tendril, the web page, a database admin), never
through the backend under test. Field values are Python values (``datetime`` for timestamps,
dicts for jsonb); a seeder serialises them as its store needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import pytest
from devstack.testing import StackInfo

from joblens.backends.base import Backend
from joblens.backends.demo import DemoBackend
from joblens.backends.demo.store import now
from joblens.backends.supabase.connection import REST_TIMEOUT
from joblens.models import TERMINAL_STATUSES
from support import seeding
from support.backends import backend_for
from support.demo import write_demo_logs
from support.users import forget_users, new_user


@dataclass(frozen=True, slots=True)
class VineRefs:
    """The ids a job refers to, created together."""

    vine_id: str
    vineyard_id: str
    cloud_identity_id: str


class Seeder(Protocol):
    """Writes rows as the platform would, bypassing the backend under test."""

    async def create_job(self, **fields: Any) -> str:
        """Insert a ``provision_jobs`` row owned by the test user (defaults: PLAN, QUEUED)."""
        ...

    async def write_logs(self, job_id: str, chunks: Sequence[tuple[str, str]]) -> None:
        """Insert log rows ``(text, stream_type)`` in this order, one commit each."""
        ...

    async def set_status(self, job_id: str, status: str, error: str | None = None) -> None:
        """Set status and error_message (and completed_at for a terminal status)."""
        ...

    async def create_tendril(
        self,
        *,
        name: str,
        status: str | None = "ONLINE",
        heartbeat_age: timedelta | None = timedelta(0),
        mode: str = "self-hosted",
        is_default: bool = False,
    ) -> str:
        """Insert a ``workers`` row visible to the test user; ``heartbeat_age`` None: never beat."""
        ...

    async def create_vine(
        self, *, project_name: str, environment_stage: str, region: str
    ) -> VineRefs:
        """Insert a vine in a new vineyard, and a cloud identity (aws)."""
        ...


@dataclass(frozen=True, slots=True)
class ContractEnv:
    name: str
    backend: Backend
    seeder: Seeder


#: Makes a contract environment, given the test's request (for fixtures such as the stacks).
EnvFactory = Callable[[pytest.FixtureRequest], AbstractAsyncContextManager[ContractEnv]]


# -- the demo backend ----------------------------------------------------------------------


class DemoSeeder:
    """Writes straight into the demo backend's tables."""

    def __init__(self, backend: DemoBackend) -> None:
        self.backend = backend
        self.store = backend.store

    async def create_job(self, **fields: Any) -> str:
        values: dict[str, Any] = {"job_type": "PLAN", "user_id": self.backend.world.user_id}
        values.update(fields)
        return str(self.store.insert_job(values)["id"])

    async def write_logs(self, job_id: str, chunks: Sequence[tuple[str, str]]) -> None:
        write_demo_logs(self.backend, job_id, chunks)

    async def set_status(self, job_id: str, status: str, error: str | None = None) -> None:
        changes: dict[str, Any] = {"status": status, "error_message": error}
        if status in TERMINAL_STATUSES:
            changes["completed_at"] = now()
        self.store.update_job(job_id, changes)

    async def create_tendril(
        self,
        *,
        name: str,
        status: str | None = "ONLINE",
        heartbeat_age: timedelta | None = timedelta(0),
        mode: str = "self-hosted",
        is_default: bool = False,
    ) -> str:
        row = self.store.insert_worker(
            {
                "user_id": self.backend.world.user_id,
                "name": name,
                "status": status,
                "last_heartbeat": None if heartbeat_age is None else now() - heartbeat_age,
                "mode": mode,
                "is_default": is_default,
                "version": "0.14.2",
            }
        )
        return str(row["id"])

    async def create_vine(
        self, *, project_name: str, environment_stage: str, region: str
    ) -> VineRefs:
        ids = [self.store.new_id() for _ in range(3)]
        vine_id, vineyard_id, identity_id = ids
        self.store.vineyards[vineyard_id] = {"id": vineyard_id, "name": f"{project_name} yard"}
        self.store.vines[vine_id] = {
            "id": vine_id,
            "project_name": project_name,
            "environment_stage": environment_stage,
            "region": region,
            "terraform_version": "1.9.8",
            "vineyard_id": vineyard_id,
        }
        self.store.identities[identity_id] = {
            "id": identity_id,
            "provider": "aws",
            "name": f"{project_name}-deployer",
            "credentials": {"secret": "never selected"},
        }
        return VineRefs(vine_id, vineyard_id, identity_id)


@asynccontextmanager
async def demo_env(_request: pytest.FixtureRequest) -> AsyncIterator[ContractEnv]:
    # No simulated Tendrils: the tests alone change the rows, as with a real project.
    backend = DemoBackend(speed=100.0, seed=7, simulate=False)
    await backend.connect()
    try:
        yield ContractEnv("demo", backend, DemoSeeder(backend))
    finally:
        await backend.close()


# -- the Supabase backend on a local stack -------------------------------------------------
#
# The seeder writes with SQL as the database owner; the backend reads as a fresh signed-in
# user, through the unmodified supabase-py client. A deployment newer than joblens may hold
# enum values joblens does not know: asked for one, the seeder adds it to the enum (or lifts
# the CHECK), as such a deployment would have.

_ENUMS = {"job_type": "job_type", "status": "job_status"}
_TENDRIL_STATUSES = {"ONLINE", "OFFLINE", "DRAINING", None}


class StackSeeder:
    """Writes rows for one user straight into the stack's database."""

    def __init__(self, stack: StackInfo, user_id: str) -> None:
        self.stack = stack
        self.user_id = user_id
        self.lifted_check = False

    async def restore(self) -> None:
        """Put back a lifted CHECK."""
        if self.lifted_check:
            await self.stack.asql(
                "alter table public.workers add constraint workers_status_check "
                "check (status in ('ONLINE', 'OFFLINE', 'DRAINING'))"
            )

    async def _allow_enum_value(self, enum: str, value: str) -> None:
        known = await self.stack.asql(f"select unnest(enum_range(null::public.{enum}))::text as v")
        if value not in {row["v"] for row in known}:
            await self.stack.asql(f"alter type public.{enum} add value if not exists '{value}'")

    async def create_job(self, **fields: Any) -> str:
        for name, enum in _ENUMS.items():
            if isinstance(fields.get(name), str):
                await self._allow_enum_value(enum, fields[name])
        return await seeding.create_job(self.stack, self.user_id, **fields)

    async def write_logs(self, job_id: str, chunks: Sequence[tuple[str, str]]) -> None:
        await seeding.write_logs(self.stack, job_id, chunks)

    async def set_status(self, job_id: str, status: str, error: str | None = None) -> None:
        await self._allow_enum_value("job_status", status)
        await seeding.set_status(self.stack, job_id, status, error)

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
            await self.stack.asql(
                "alter table public.workers drop constraint if exists workers_status_check"
            )
            self.lifted_check = True
        rows = await self.stack.asql(
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
        user_id = self.user_id
        vineyard_id = await seeding.insert_row(
            self.stack, "vineyards", {"user_id": user_id, "name": f"{project_name} yard"}
        )
        vine_id = await seeding.insert_row(
            self.stack,
            "vines",
            {
                "user_id": user_id,
                "vineyard_id": vineyard_id,
                "project_name": project_name,
                "environment_stage": environment_stage,
                "region": region,
                "terraform_version": "1.9.8",
            },
        )
        identity_id = await seeding.insert_row(
            self.stack,
            "cloud_identities",
            {
                "user_id": user_id,
                "provider": "aws",
                "name": f"{project_name}-deployer",
                "credentials": {"secret": "never selected"},
            },
        )
        return VineRefs(vine_id, vineyard_id, identity_id)


def supabase_env(schema: str) -> EnvFactory:
    """A contract environment on the session's stack for ``schema``."""

    @asynccontextmanager
    async def env(request: pytest.FixtureRequest) -> AsyncIterator[ContractEnv]:
        stack: StackInfo = request.getfixturevalue(f"stack_{schema}")
        user = await new_user(stack)
        # The backend as shipped: its own watchdog timings and request timeout.
        backend = backend_for(stack, user.token, timing=None, rest_timeout=REST_TIMEOUT)
        await backend.connect()
        seeder = StackSeeder(stack, user.id)
        try:
            yield ContractEnv(f"supabase-{schema}", backend, seeder)
        finally:
            await backend.close()
            await forget_users()  # the stacks are shared by the whole session
            await seeder.restore()

    return env
