"""The contract tests run against every backend: the ``contract_env`` fixture, one per entry of
``ENVIRONMENTS`` (the environments themselves are in support/contract.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from support.contract import ContractEnv, EnvFactory, demo_env, supabase_env

#: Backend name -> a factory for its environment. Add new backends here.
ENVIRONMENTS: dict[str, EnvFactory] = {
    "demo": demo_env,
    "supabase-documented": supabase_env("documented"),
    "supabase-deployed": supabase_env("deployed"),
}
#: The environments on a local stack: their tests need PostgreSQL (marked ``pg``).
ON_POSTGRES = {"supabase-documented", "supabase-deployed"}


@pytest.fixture(
    params=[
        pytest.param(name, marks=[pytest.mark.pg] if name in ON_POSTGRES else [])
        for name in sorted(ENVIRONMENTS)
    ]
)
async def contract_env(request: pytest.FixtureRequest) -> AsyncIterator[ContractEnv]:
    async with ENVIRONMENTS[request.param](request) as env:
        yield env
