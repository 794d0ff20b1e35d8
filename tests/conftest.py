"""Shared fixtures: local Supabase-compatible stacks, started lazily, one per schema."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# devstack/ is a tool at the repository root, not part of the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devstack.testing import StackInfo, drop_stale_databases, run_sync, start_stack

# Property tests check what happens, never how fast: Hypothesis's own timers (a 200 ms deadline
# per example, the "input generation is slow" health check) failed CI on a loaded machine.
settings.register_profile(
    "joblens", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("joblens")

# joblens keeps sessions and settings in the user's state and config directories: a test run
# (and every joblens it starts) gets its own, so it never reads or writes the user's.
_HOME = tempfile.mkdtemp(prefix="joblens-tests-")
os.environ["XDG_STATE_HOME"] = os.path.join(_HOME, "state")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def stack_factory() -> Iterator[Callable[[str], StackInfo]]:
    """Start (once per session) and return the stack for "documented" or "deployed"."""
    stacks: dict[str, StackInfo] = {}

    def get(schema: str) -> StackInfo:
        if not stacks:
            run_sync(drop_stale_databases())  # left by killed sessions
        if schema not in stacks:
            stacks[schema] = start_stack(schema)
        return stacks[schema]

    yield get
    for info in stacks.values():
        info.stop()


def _fresh(info: StackInfo) -> StackInfo:
    # Faults left over by an earlier test (unused rest_error counts, held joins) are cleared.
    info.fault("clear")
    return info


@pytest.fixture
def stack_documented(stack_factory: Callable[[str], StackInfo]) -> StackInfo:
    """The stack with the documented schema (logs in provision_job_logs, uuid ids)."""
    return _fresh(stack_factory("documented"))


@pytest.fixture
def stack_deployed(stack_factory: Callable[[str], StackInfo]) -> StackInfo:
    """The stack with the deployed schema (logs in job_logs, bigint identity ids)."""
    return _fresh(stack_factory("deployed"))


@pytest.fixture(params=["documented", "deployed"])
def stack(request: pytest.FixtureRequest, stack_factory: Callable[[str], StackInfo]) -> StackInfo:
    """Each test runs against both log-table shapes."""
    return _fresh(stack_factory(request.param))
