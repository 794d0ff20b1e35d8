"""`joblens list` against the local stack, as a script runs it: a process signed in as one
user, the real supabase-py client, the real RLS. It lists that user's jobs, never another's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from devstack.testing import StackInfo

from joblens.errors import ExitCode
from support.cli import joblens
from support.seeding import create_job, insert_row
from support.users import User, new_user

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


async def test_list_json_gives_the_users_jobs_and_no_one_elses(
    stack: StackInfo, user: User
) -> None:
    other = await new_user(stack)
    vine = await insert_row(
        stack,
        "vines",
        {"user_id": user.id, "project_name": "acme-platform", "environment_stage": "staging"},
    )
    tendril = await insert_row(stack, "workers", {"user_id": user.id, "name": "tendril-eu"})
    mine = [
        await create_job(
            stack,
            user.id,
            job_type="DEPLOY",
            status="FAILED",
            created_at=T0,
            worker_id=tendril,
            vine_id=vine,
            error_message="Error: quota",
            execution_metadata={"argocd_admin_password": "s3cret-admin"},
            config_snapshot={"db_password": "hunter2-secret"},
        ),
        await create_job(stack, user.id, status="QUEUED", created_at=T0 + timedelta(hours=1)),
    ]
    theirs = await create_job(stack, other.id, status="QUEUED", created_at=T0 + timedelta(hours=2))

    code, out, err = await joblens(stack, user.token, "list", "--json")

    assert (code, err) == (ExitCode.OK, "")
    items = json.loads(out)
    assert [item["id"] for item in items] == [mine[1], mine[0]]
    deploy = items[1]
    assert (deploy["type"], deploy["status"], deploy["error_message"]) == (
        "DEPLOY",
        "FAILED",
        "Error: quota",
    )
    assert (deploy["tendril"], deploy["vine"], deploy["vine_stage"]) == (
        "tendril-eu",
        "acme-platform",
        "staging",
    )
    assert deploy["created_at"] == T0.isoformat()
    assert "s3cret-admin" not in out and "hunter2-secret" not in out
    assert theirs not in out

    code, out, _ = await joblens(stack, other.token, "list", "--json")
    assert code == ExitCode.OK and [item["id"] for item in json.loads(out)] == [theirs]


async def test_list_filters_and_limits_on_the_server_and_pipes_a_table(
    stack: StackInfo, user: User
) -> None:
    ids = [
        await create_job(
            stack, user.id, job_type=kind, status=status, created_at=T0 + timedelta(minutes=i)
        )
        for i, (kind, status) in enumerate(
            [("PLAN", "SUCCESS"), ("DEPLOY", "FAILED"), ("PLAN", "FAILED"), ("PLAN", "QUEUED")]
        )
    ]
    code, out, _ = await joblens(
        stack, user.token, "list", "--json", "--status", "failed,queued", "--type", "plan"
    )
    assert code == ExitCode.OK
    assert [item["id"] for item in json.loads(out)] == [ids[3], ids[2]]
    code, out, _ = await joblens(stack, user.token, "list", "--json", "--limit", "1")
    assert [item["id"] for item in json.loads(out)] == [ids[3]]

    code, out, err = await joblens(stack, user.token, "list", "--status", "ended")  # piped
    assert (code, err) == (ExitCode.OK, "")
    title, *rows = out.splitlines()
    assert title.split()[:3] == ["ID", "TYPE", "STATUS"]
    assert [row.split()[0] for row in rows] == [ids[2][:8], ids[1][:8], ids[0][:8]]


async def test_an_expired_session_is_one_line_and_exit_6(stack: StackInfo) -> None:
    expired = await new_user(stack, ttl=-120)
    code, out, err = await joblens(stack, expired.token, "list", "--json")
    assert (code, out) == (ExitCode.AUTH, "")
    assert len(err.splitlines()) == 1 and err.startswith("joblens: ")
