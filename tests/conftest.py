"""Shared fixtures: PostgreSQL and the local Supabase-compatible stacks, started lazily.

Helpers live in tests/support/ (``from support.<module> import ...``): ``tests/`` and the
repository root (for ``devstack``) are on ``sys.path`` through pyproject.toml's ``pythonpath``.
Every test that needs PostgreSQL is marked ``pg`` here (`pytest_collection_modifyitems`), so
``pytest -m "not pg"`` runs the others without a database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator

import pytest
from devstack.testing import StackInfo, drop_stale_databases, run_sync, start_stack
from hypothesis import HealthCheck, settings

from devstack import testing as devstack_testing

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


# PostgreSQL: JOBLENS_TEST_PG (host:port, default 127.0.0.1:5432), or, when nothing answers
# there, a private server started for the run when a test first needs it (docs/TESTING.md).
def pytest_configure(config: pytest.Config) -> None:
    capture = config.pluginmanager.getplugin("capturemanager")

    # In a parallel run each worker starts its own private server: the line says whose.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    prefix = f"[{worker}] " if worker else ""

    def announce(line: str) -> None:  # on stderr even while pytest captures the test's output
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            print(f"\n{prefix}{line}", file=sys.stderr, flush=True)

    devstack_testing.announce = announce


def pytest_unconfigure(config: pytest.Config) -> None:
    devstack_testing.stop_private_server()  # after the stacks have dropped their databases


#: The fixture every use of PostgreSQL goes through (each stack fixture depends on it).
PG_FIXTURE = "pg_server"


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``pg`` every test that uses PostgreSQL, directly or through another fixture (its
    fixture closure holds `pg_server`). Tests that reach it otherwise say so themselves, as
    the contract tests' stack environments do (tests/contract/conftest.py).

    In a parallel run (pytest-xdist), the tests marked ``slow`` come first, the slowest
    first: the first tests are dealt to the workers in turn, so the long ones run side by
    side from the start instead of one of them starting last while the others wait."""
    for item in items:
        if PG_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.pg)
    if os.environ.get("PYTEST_XDIST_WORKER"):  # every worker orders them the same way
        items.sort(key=lambda item: -_slow_seconds(item))  # stable: the rest keep their order


def _slow_seconds(item: pytest.Item) -> float:
    """What ``@pytest.mark.slow(seconds)`` says the test takes; 0 when it is not marked."""
    mark = item.get_closest_marker("slow")
    return float(mark.args[0]) if mark is not None and mark.args else 0.0


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The URL of the PostgreSQL server the tests use: JOBLENS_TEST_PG's, or the private one,
    started now if it was not yet (docs/TESTING.md). A test using it is marked ``pg``."""
    devstack_testing.ensure_server()
    return devstack_testing.SERVER_URL


@pytest.fixture(scope="session")
def stack_factory(pg_server: str) -> Iterator[Callable[[str], StackInfo]]:
    """Start (once per session) and return the stack for "documented" or "deployed"."""
    stacks: dict[str, StackInfo] = {}

    def get(schema: str) -> StackInfo:
        if not stacks:
            run_sync(drop_stale_databases(pg_server))  # left by killed sessions
        if schema not in stacks:
            stacks[schema] = start_stack(schema, pg_server)
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
