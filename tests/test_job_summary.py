"""`joblens summary` over the demo backend: the job, a PLAN's digest, an apply's resources and
the diagnostics, as text safe for a terminal or as one JSON object, secrets masked. Through the
local stack: tests/supabase/test_supabase_summary_cli.py."""

from __future__ import annotations

import io
import json
import re

import pytest

from joblens.backends.demo import DemoBackend
from joblens.errors import ExitCode, JobNotFound
from joblens.job_summary import read_summary
from joblens.plain import print_logs
from joblens.secrets import MASK
from joblens.summary_output import print_summary, summary_json, summary_text
from support.oracle import shown_lines

SPEED = 100.0
ANY_ESCAPE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


async def summarise(backend: DemoBackend, job_id: str, *, as_json: bool) -> str:
    out = io.StringIO()
    assert await print_summary(backend, job_id, as_json=as_json, out=out) == ExitCode.OK
    return out.getvalue()


async def finished(scenario: str, seed: int) -> tuple[DemoBackend, str]:
    """A demo scenario's job, run to its end."""
    backend = DemoBackend(speed=SPEED, seed=seed)
    job_id = backend.start_scenario(scenario)
    await print_logs(
        backend, job_id, follow=True, color="never", out=io.StringIO(), err=io.StringIO()
    )
    return backend, job_id


async def log_lines(backend: DemoBackend, job_id: str) -> list[str]:
    await backend.connect()
    chunks = await backend.fetch_logs(job_id, limit=100_000)
    return shown_lines((str(c.stream), c.text) for c in chunks)


def plan_line(lines: list[str]) -> dict[str, int]:
    """Terraform's own ``Plan: N to add, M to change, K to destroy.`` line, read plainly."""
    [line] = [line for line in lines if line.startswith("Plan: ")]
    return {what: int(n) for n, what in re.findall(r"(\d+) to (\w+)", line)}


def headed(lines: list[str], *verbs: str) -> set[str]:
    """The addresses of the plan's resource headers ending with one of ``verbs``."""
    found = (re.fullmatch(r"\s*# (\S+) (.*)", line) for line in lines)
    return {match[1] for match in found if match is not None and match[2].endswith(verbs)}


async def test_a_failed_deploy_shows_its_resources_and_its_error_where_the_log_has_it() -> None:
    backend, job_id = await finished("deploy-fail", seed=41)
    data = json.loads(await summarise(backend, job_id, as_json=True))
    assert set(data) == {"job", "waiting", "plan", "errors", "resources"}
    assert data["waiting"] is None  # (only a QUEUED job waits)
    assert data["job"]["id"] == job_id and data["job"]["type"] == "DEPLOY"
    assert data["job"]["status"] == "FAILED" and data["job"]["duration"]["phase"] == "took"
    assert data["job"]["tendril"] and data["job"]["tendril_id"]
    assert data["plan"] is None
    [error] = data["errors"]
    assert error["severity"] == "error" and error["stream"] == "STDERR"
    assert error["address"] == 'module.eks.aws_eks_node_group.this["general"]'
    assert (error["file"], error["line"]) == ("modules/eks/nodes.tf", 3)
    lines = await log_lines(backend, job_id)
    assert lines[error["first_line"] - 1].startswith("Error: creating EKS Node Group")
    resources = data["resources"]
    # The DEPLOY applies a saved plan: the PLAN job's metadata gives the total and the rest.
    planned = plan_line(await log_lines(backend, data["job"]["plan_job_id"]))
    total = planned["add"] + planned["change"] + planned["destroy"]
    assert resources["total"] == total and resources["failed"] == 1
    assert resources["progress"] == f"{resources['done']}/{total} resources, 1 failed"
    by_address = {item["address"]: item for item in resources["items"]}
    failed = by_address['module.eks.aws_eks_node_group.this["general"]']
    assert failed["state"] == "failed" and failed["operation"] == "create"
    assert "Creating..." in lines[failed["first_line"] - 1]
    pending = [item for item in resources["items"] if item["state"] == "pending"]
    assert pending and all(item["first_line"] is None for item in pending)
    text = await summarise(backend, job_id, as_json=False)
    assert text.startswith(f"▲ Deploy  ✖ FAILED  #{job_id[:8]}  Tendril ")
    assert f"{resources['done']}/{total} resources, 1 failed" in text
    assert f"log line {error['first_line']}" in text


async def test_a_plan_lists_its_resources_by_action_destroys_and_replaces_marked() -> None:
    backend, job_id = await finished("plan", seed=42)
    summary = await read_summary(backend, job_id)
    assert summary.resources is None and summary.plan is not None
    data = summary_json(summary)
    lines = await log_lines(backend, job_id)
    counts = data["plan"]["counts"]
    assert {what: counts[what] for what in ("add", "change", "destroy")} == plan_line(lines)
    replaced = headed(lines, "must be replaced")
    assert counts["replace"] == len(replaced) > 0
    assert data["plan"]["cost"]["monthly"] is not None
    destructive = {r["address"] for r in data["plan"]["resources"] if r["destructive"]}
    assert destructive == headed(lines, "will be destroyed") | replaced
    text = summary_text(summary)
    assert text.splitlines()[2].startswith(f"Plan: {counts['add']} to add, ")
    assert "Monthly cost: $" in text
    for address in destructive:
        assert any(line.startswith(f"  ! {address}") for line in text.splitlines())
    for address in headed(lines, "will be created"):
        assert f"    {address}" in text.splitlines()
    assert "Errors: 0 errors, 1 warning" in text


async def test_a_plan_read_from_its_log_cut_mid_line_and_colourless() -> None:
    backend = DemoBackend(speed=SPEED, seed=43, simulate=False)
    job_id = backend.store.insert_job({"job_type": "PLAN", "status": "SUCCESS"})["id"]
    for text, stream in [
        ("  # aws_db_instance.main must be repl", "STDOUT"),
        ('aced\n-/+ resource "aws_db_instance" "main" {\n  # aws_s3', "STDOUT"),
        ('_bucket.b will be created\n  + resource "aws_s3_bucket" "b" {\n', "STDOUT"),
        ("Plan: 2 to add, 0 to change, 1 to destroy.\n", "STDOUT"),
    ]:
        backend.write_log(job_id, text, stream)
    data = summary_json(await read_summary(backend, str(job_id)))
    assert data["plan"]["source"] == "log"
    assert [(r["address"], r["action"], r["destructive"]) for r in data["plan"]["resources"]] == [
        ("aws_db_instance.main", "replace", True),
        ("aws_s3_bucket.b", "create", False),
    ]


async def test_secrets_are_masked_and_server_text_is_made_safe_in_both_forms() -> None:
    backend = DemoBackend(speed=SPEED, seed=44, simulate=False)
    secret_url = "postgres://app:pg-Pa55word@db.internal:5432/app"
    row = backend.store.insert_job(
        {
            "job_type": "DEPLOY",
            "status": "FAILED",
            "error_message": f"Error: cannot connect to {secret_url}\x1b]0;pwned\x07",
        }
    )
    job_id = str(row["id"])
    hostile = (
        f"Error: connecting to {secret_url} \x1b[2J\u202eevil\n\n"
        "  with aws_db_instance.\x1b[31mmain\x1b[0m,\n"
        f"  on main.tf line 4, in resource:\n\n{secret_url} refused\n"
    )
    backend.write_log(job_id, hostile, "STDERR")
    text = await summarise(backend, job_id, as_json=False)
    raw = await summarise(backend, job_id, as_json=True)
    for shown in (text, raw):
        assert "pg-Pa55word" not in shown and "pwned" not in shown
        assert "\x1b" not in shown and ANY_ESCAPE.search(shown.replace("\n", "")) is None
    assert raw.isascii()
    data = json.loads(raw)
    assert MASK in data["job"]["error_message"] and MASK in data["errors"][0]["summary"]
    assert data["errors"][0]["detail"] == [f"postgres://app:{MASK}@db.internal:5432/app refused"]
    assert data["errors"][0]["address"] == "aws_db_instance.main"
    assert MASK in text and "aws_db_instance.main · main.tf:4 · log line 1" in text


async def test_an_unknown_job_is_the_usual_error() -> None:
    backend = DemoBackend(speed=SPEED, seed=45, simulate=False)
    backend.start_scenario("plan")
    with pytest.raises(JobNotFound):
        await summarise(backend, "00000000-0000-4000-8000-000000000000", as_json=True)


async def test_the_summary_says_when_the_job_was_created_with_its_zone_and_how_long_ago() -> None:
    backend, job_id = await finished("deploy-fail", seed=43)
    text = await summarise(backend, job_id, as_json=False)
    [line] = [line for line in text.splitlines() if "created " in line]
    # The demo's job was created moments ago, on this machine's clock and in its zone.
    assert re.search(
        r"created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d (UTC|[+-]\d\d:\d\d) \(\d+s ago\)", line
    )


async def test_a_queued_job_says_what_it_waits_for_and_whether_anything_can_claim_it() -> None:
    backend = DemoBackend(speed=SPEED, seed=43, simulate=False)
    world = backend.world
    stuck = backend.store.insert_job(
        {
            "job_type": "PLAN",
            "user_id": world.user_id,
            "assigned_worker_id": world.offline_tendril_id,
        }
    )["id"]
    text = await summarise(backend, stuck, as_json=False)
    first = text.split("\n\n")[0].splitlines()
    assert "◷ QUEUED" in first[0] and "tendril-us-east-2 (requested)" in first[0]
    assert first[1] == (
        "  ⚠ Waiting for tendril-us-east-2 to claim the job: offline, last seen 3d 4h ago"
    )
    data = json.loads(await summarise(backend, stuck, as_json=True))
    assert data["waiting"] == {
        "text": "waiting for tendril-us-east-2 to claim the job: offline, last seen 3d 4h ago",
        "stuck": True,
    }
    anyone = backend.store.insert_job({"job_type": "PLAN", "user_id": world.user_id})["id"]
    data = json.loads(await summarise(backend, anyone, as_json=True))
    assert data["waiting"]["stuck"] is False and data["waiting"]["text"].endswith("(2 online)")
