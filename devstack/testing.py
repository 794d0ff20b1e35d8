"""Starting stacks for tests: a unique database, `python -m devstack serve`, and helpers."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import secrets
import select
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from .database import drop_database, with_database
from .private_pg import PrivateServer, default_announce, probe, process_alive
from .tokens import make_token

REPO_ROOT = Path(__file__).resolve().parent.parent
LOGS_TABLES = {"documented": "provision_job_logs", "deployed": "job_logs"}
T = TypeVar("T")


def target_url(target: str) -> str:
    """The server URL for JOBLENS_TEST_PG: `host:port` (user postgres), or a whole URL."""
    return target if "://" in target else f"postgresql://postgres@{target}"


# Where the tests look for PostgreSQL: JOBLENS_TEST_PG, default 127.0.0.1:5432. When no server
# answers there, the tests get a private one instead (devstack/private_pg.py): its URL is fixed
# now, and it starts when a test first needs it (`ensure_server`). See docs/TESTING.md.
TEST_PG = os.environ.get("JOBLENS_TEST_PG") or "127.0.0.1:5432"
_why_not = probe(target_url(TEST_PG))
PRIVATE_SERVER = None if _why_not is None else PrivateServer(TEST_PG, _why_not)
SERVER_URL = target_url(TEST_PG) if PRIVATE_SERVER is None else PRIVATE_SERVER.url
#: How `ensure_server` says that it started the private server (conftest.py shows it on
#: stderr even while pytest captures a test's output).
announce = default_announce


def ensure_server() -> None:
    """Start the private server if the tests were pointed at it and it is not running yet;
    then every process started from here on uses it too (JOBLENS_TEST_PG)."""
    if PRIVATE_SERVER is not None and PRIVATE_SERVER.start():
        os.environ["JOBLENS_TEST_PG"] = PRIVATE_SERVER.url
        announce(PRIVATE_SERVER.describe())


def stop_private_server() -> None:
    """Stop and delete the private server, if one was started (also done at exit)."""
    if PRIVATE_SERVER is not None:
        PRIVATE_SERVER.stop()


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclass
class StackInfo:
    """A running stack: its URL and keys, and helpers to seed and poke it."""

    url: str
    anon_key: str
    service_role_key: str
    jwt_secret: str
    database_url: str
    logs_table: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    # -- seeding and asserting ----------------------------------------------------------
    async def asql(self, query: str, *args: Any) -> list[dict[str, Any]]:
        """Run SQL as the database owner (bypasses RLS); rows as dicts."""
        conn = await asyncpg.connect(self.database_url)
        try:
            return [dict(r) for r in await conn.fetch(query, *args)]
        finally:
            await conn.close()

    def sql(self, query: str, *args: Any) -> list[dict[str, Any]]:
        """Sync `asql` (safe to call from async tests too; it blocks briefly)."""
        return run_sync(self.asql(query, *args))

    async def acreate_user(self, email: str | None = None, password: str = "password-1") -> str:
        """Create a confirmed email/password user; return its id."""
        from .auth import create_user

        email = email or f"user-{secrets.token_hex(6)}@example.test"
        conn = await asyncpg.connect(self.database_url)
        try:
            return await create_user(conn, email, password)
        finally:
            await conn.close()

    def create_user(self, email: str | None = None, password: str = "password-1") -> str:
        """Sync `acreate_user`."""
        return run_sync(self.acreate_user(email, password))

    def token(self, sub: str, ttl: int = 3600, role: str = "authenticated") -> str:
        """A user JWT signed with the stack's secret."""
        return make_token(self.jwt_secret, sub, role, ttl)

    # -- faults and options ---------------------------------------------------------------
    def _call(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST (with a body) or GET one of the /__devstack endpoints; its JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}/__devstack/{path}",
            data=data,
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return dict(json.loads(resp.read()))

    def fault(self, kind: str, seconds: float = 0, count: int = 1, **extra: Any) -> None:
        """POST /__devstack/fault and wait until it is applied (or scheduled, with `delay`).
        `extra`: `channel`, `table`, `reason`, `delay` (see devstack/README.md)."""
        self._call("fault", {"fault": kind, "seconds": seconds, "count": count, **extra})

    async def afault(self, kind: str, seconds: float = 0, count: int = 1, **extra: Any) -> None:
        """`fault` without blocking the event loop."""
        await asyncio.to_thread(self.fault, kind, seconds, count, **extra)

    def fault_status(self) -> dict[str, Any]:
        """GET /__devstack/faults: what the faults did (changes lost, ...) and what is pending."""
        return self._call("faults")

    async def afault_status(self) -> dict[str, Any]:
        """`fault_status` without blocking the event loop."""
        return await asyncio.to_thread(self.fault_status)

    def options(self, **changes: Any) -> dict[str, Any]:
        """Change options (POST /__devstack/options; `clear` restores them); the options now."""
        return self._call("options", changes)

    async def aoptions(self, **changes: Any) -> dict[str, Any]:
        """`options` without blocking the event loop."""
        return await asyncio.to_thread(lambda: self.options(**changes))

    # -- a Tendril ----------------------------------------------------------------------
    def tendril_args(
        self, job_id: str, lines: int = 50, rate: float = 200.0, final: str = "SUCCESS"
    ) -> list[str]:
        """The command line of `python -m devstack tendril` for this stack."""
        return [
            sys.executable,
            "-m",
            "devstack",
            "tendril",
            "--url",
            self.url,
            "--service-key",
            self.service_role_key,
            "--job",
            job_id,
            "--lines",
            str(lines),
            "--rate",
            str(rate),
            "--final",
            final,
        ]

    async def run_tendril(
        self, job_id: str, lines: int = 50, rate: float = 200.0, final: str = "SUCCESS"
    ) -> int:
        """Play a Tendril on a job to its final status; return its exit code."""
        proc = await asyncio.create_subprocess_exec(
            *self.tendril_args(job_id, lines, rate, final), cwd=REPO_ROOT
        )
        return await proc.wait()

    # -- lifecycle -----------------------------------------------------------------------
    def stop(self, drop: bool = True) -> None:
        """SIGTERM the server, then drop its database."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if drop:
            from .database import drop_database

            run_sync(drop_database(self.database_url))


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, so no server is orphaned."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


async def drop_stale_databases(server_url: str = SERVER_URL) -> list[str]:
    """Drop test databases left by test processes that no longer run (killed sessions)."""
    ensure_server()
    conn = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        names = [
            r["datname"]
            for r in await conn.fetch(
                "select datname from pg_database where datname like 'joblens\\_t\\_%'"
            )
        ]
    finally:
        await conn.close()
    dropped = []
    for name in names:
        pid = name.split("_")[2]
        if pid.isdigit() and not process_alive(int(pid)):
            await drop_database(with_database(server_url, name))
            dropped.append(name)
    return dropped

    return True


def start_stack(schema: str, server_url: str = SERVER_URL, timeout: float = 60.0) -> StackInfo:
    """Create a uniquely named database and start `python -m devstack serve` on a free port."""
    ensure_server()
    name = f"joblens_t_{os.getpid()}_{secrets.token_hex(4)}"
    database_url = with_database(server_url, name)
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devstack",
            "serve",
            "--database-url",
            database_url,
            "--port",
            "0",
            "--schema",
            schema,
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        preexec_fn=_die_with_parent,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if proc.poll() is not None or left <= 0:
            proc.kill()
            stderr.seek(0)
            raise RuntimeError(f"devstack serve failed: {stderr.read().decode()[-2000:]}")
        ready, _, _ = select.select([proc.stdout], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            line += chunk
    info = json.loads(line.decode().splitlines()[0])
    return StackInfo(
        url=info["url"],
        anon_key=info["anon_key"],
        service_role_key=info["service_role_key"],
        jwt_secret=info["jwt_secret"],
        database_url=info["database_url"],
        logs_table=LOGS_TABLES.get(schema, "provision_job_logs"),
        process=proc,
    )
