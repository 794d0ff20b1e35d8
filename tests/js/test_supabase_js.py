"""The official JavaScript client (@supabase/supabase-js, pinned by package-lock.json) against the
stack at its default options: what the platform's web page does must work on the stack too.

The package is installed here, from the lock file (`npm ci` into tests/js/node_modules, which
is git-ignored), the first time and whenever the installed version is not the locked one.
Node 20 has a WebSocket only behind `--experimental-websocket` (Node 22 has it by default), so
the flag is given when the runtime needs it: a browser-like runtime, not a client option.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from devstack.testing import StackInfo
from filelock import FileLock

HERE = Path(__file__).resolve().parent
NODE = shutil.which("node")

#: The job select of the platform's web page (and joblens's richest one).
WEB_PAGE_SELECT = (
    "*, worker:workers!provision_jobs_worker_id_fkey(name), "
    "assigned_worker:workers!provision_jobs_assigned_worker_id_fkey(name), "
    "vine:vines(project_name,environment_stage,region,terraform_version,status), "
    "vineyard:vineyards(name), cloud_identity:cloud_identities(provider,name)"
)

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed on this machine")


def _install() -> None:
    """`npm ci` unless node_modules already holds the locked supabase-js. One process at a
    time: the test runs once per schema, maybe at once in two pytest-xdist workers, and `npm
    ci` starts by deleting node_modules."""
    lock = json.loads((HERE / "package-lock.json").read_text())
    wanted = lock["packages"]["node_modules/@supabase/supabase-js"]["version"]
    installed = HERE / "node_modules" / "@supabase" / "supabase-js" / "package.json"
    with FileLock(HERE / "node_modules.lock"):  # git-ignored, as node_modules
        if installed.exists() and json.loads(installed.read_text()).get("version") == wanted:
            return
        npm = shutil.which("npm")
        assert npm is not None, "node is installed but npm is not: cannot install supabase-js"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HERE,
            check=True,
            timeout=300,
            capture_output=True,
        )


def _node_command() -> list[str]:
    assert NODE is not None
    probe = subprocess.run(
        [NODE, "-p", "typeof WebSocket"], capture_output=True, text=True, timeout=30
    )
    flags = ["--experimental-websocket"] if probe.stdout.strip() != "function" else []
    return [NODE, *flags, str(HERE / "client_check.mjs")]


async def _seed(stack: StackInfo) -> dict[str, Any]:
    """A user with a job on a cloud worker, in a vine of a vineyard, with a cloud identity."""
    email = f"js-{uuid.uuid4().hex[:8]}@example.test"
    uid = uuid.UUID(await stack.acreate_user(email, "pw-js-client"))
    worker = await stack.asql(
        "insert into workers (name, mode, status) values ('cloud-js', 'cloud-hosted', 'ONLINE')"
        " returning id"
    )
    vineyard = await stack.asql(
        "insert into vineyards (user_id, name) values ($1, 'orchard') returning id", uid
    )
    vine = await stack.asql(
        "insert into vines (user_id, vineyard_id, project_name, environment_stage, region)"
        " values ($1, $2, 'shop', 'staging', 'eu-west-1') returning id",
        uid,
        vineyard[0]["id"],
    )
    identity = await stack.asql(
        "insert into cloud_identities (user_id, provider, name, credentials)"
        " values ($1, 'aws', 'main', '{\"secret\": \"never shown\"}') returning id",
        uid,
    )
    job = await stack.asql(
        "insert into provision_jobs (user_id, job_type, status, worker_id, vine_id,"
        " vineyard_id, cloud_identity_id) values ($1, 'PLAN', 'PROCESSING', $2, $3, $4, $5)"
        " returning id",
        uid,
        worker[0]["id"],
        vine[0]["id"],
        vineyard[0]["id"],
        identity[0]["id"],
    )
    return {
        "email": email,
        "user_id": str(uid),
        "job_id": str(job[0]["id"]),
        "worker_id": worker[0]["id"],
    }


async def _forget(stack: StackInfo, seeded: dict[str, Any]) -> None:
    """Leave the shared stack as it was: the user's rows go with it; the worker is everyone's."""
    await stack.asql("delete from auth.users where id = $1", uuid.UUID(seeded["user_id"]))
    await stack.asql("delete from workers where id = $1", seeded["worker_id"])


async def test_supabase_js_signs_in_follows_logs_selects_and_refreshes(
    stack: StackInfo,
) -> None:
    await asyncio.to_thread(_install)
    seeded = await _seed(stack)
    # Hosted realtime confirms the subscription again after a new token (1-3 s there).
    await stack.aoptions(resubscribe_delay=0.1)
    env = {
        "url": stack.url,
        "anonKey": stack.anon_key,
        "serviceKey": stack.service_role_key,
        "email": seeded["email"],
        "password": "pw-js-client",
        "jobId": seeded["job_id"],
        "logsTable": stack.logs_table,
        "rows": 3,
        "select": WEB_PAGE_SELECT,
    }
    proc = await asyncio.create_subprocess_exec(
        *_node_command(),
        cwd=HERE,
        env={**os.environ, "JOBLENS_JS_CHECK": json.dumps(env)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
        await _forget(stack, seeded)
    lines = out.decode().strip().splitlines()
    assert lines, f"no report from node (exit {proc.returncode}): {err.decode()[-2000:]}"
    report = json.loads(lines[-1])
    assert proc.returncode == 0, report
    assert report["userId"] == seeded["user_id"] == report["me"]
    assert report["vsn"] == "2.0.0"  # the client's default protocol
    assert report["rows"] == ["js 1\n", "js 2\n", "js 3\n", "after refresh\n"]
    assert report["system"] == ["postgres_changes: ok: Subscribed to PostgreSQL"] * 2
    assert report["states"] == ["SUBSCRIBED"]  # never errored, closed or timed out
    assert report["left"] == ["ok"] and report["statesAfterLeave"] == ["SUBSCRIBED", "CLOSED"]
    job = report["job"]
    assert job["id"] == seeded["job_id"] and job["status"] == "PROCESSING"
    assert job["worker"] == {"name": "cloud-js"} and job["assigned_worker"] is None
    assert job["vine"]["project_name"] == "shop" and job["vineyard"] == {"name": "orchard"}
    assert job["cloud_identity"] == {"provider": "aws", "name": "main"}
    assert report["rotated"] and report["newAccessToken"]
