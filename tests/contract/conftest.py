"""The contract tests' environments: a backend plus a seeder that writes rows behind its back.

Every backend runs the same tests in this directory. To add one, write an async context
manager that yields a :class:`ContractEnv` and register it in :data:`ENVIRONMENTS`; the
``contract_env`` fixture is parametrized over that dict's keys.

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

from joblens.backends.base import Backend
from joblens.backends.demo import DemoBackend
from joblens.backends.demo.store import now
from joblens.models import TERMINAL_STATUSES

from .supabase_env import supabase_env


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
        for text, stream in chunks:
            self.backend.write_log(job_id, text, stream)

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
async def demo_env() -> AsyncIterator[ContractEnv]:
    # No simulated Tendrils: the tests alone change the rows, as with a real project.
    backend = DemoBackend(speed=100.0, seed=7, simulate=False)
    await backend.connect()
    try:
        yield ContractEnv("demo", backend, DemoSeeder(backend))
    finally:
        await backend.close()


#: Backend name -> a factory for its environment (given the test's request, for fixtures such
#: as the local Supabase stacks). Add new backends here.
ENVIRONMENTS: dict[
    str, Callable[[pytest.FixtureRequest], AbstractAsyncContextManager[ContractEnv]]
] = {
    "demo": lambda _request: demo_env(),
    "supabase-documented": supabase_env("documented"),
    "supabase-deployed": supabase_env("deployed"),
}


@pytest.fixture(params=sorted(ENVIRONMENTS))
async def contract_env(request: pytest.FixtureRequest) -> AsyncIterator[ContractEnv]:
    async with ENVIRONMENTS[request.param](request) as env:
        yield env
