"""`joblens logs --grep --stream --timestamps -n` and `joblens summary --json` against the local
stack, on a job written as the platform's runner writes one (devstack's OpenTofu output): no
colour, rows cut mid-line, the streams interleaved, ending in an error diagnostic."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from devstack.tendril_output import RESOURCES
from devstack.testing import StackInfo

from joblens.errors import ExitCode
from joblens.sanitize import sanitize, strip_sgr
from support.cli import joblens
from support.runner_rows import failed_job
from support.seeding import db_lines
from support.users import User

#: A zone with no summer time, named the POSIX way (no tz database needed): UTC+9.
ZONE, OFFSET = "JST-9", timezone(timedelta(hours=9))


async def timed_lines(stack: StackInfo, job_id: str) -> list[tuple[str, str, datetime]]:
    """(stream, line, time of the row that completed it) of every line, in the log's order:
    each stream's rows joined and cut at newlines, as the oracle (support/oracle.py) does."""
    order = "l.id" if stack.logs_table == "job_logs" else "l.created_at, l.id"
    rows = await stack.asql(
        f"select l.stream_type, l.log_chunk, l.created_at from {stack.logs_table} l "
        f"where l.job_id = $1 order by {order}",
        job_id,
    )
    # What makes this the platform's output and not a kinder one.
    assert any(not row["log_chunk"].endswith("\n") for row in rows), "no row ends mid-line"
    assert not any("\x1b" in row["log_chunk"] for row in rows), "real runners write no colour"
    pending: dict[str, tuple[str, datetime]] = {}
    lines: list[tuple[str, str, datetime]] = []
    for row in rows:
        stream, text, when = row["stream_type"], row["log_chunk"], row["created_at"]
        *done, rest = (pending.pop(stream, ("", when))[0] + text).split("\n")
        lines += [(stream, strip_sgr(sanitize(line)), when) for line in done]
        if rest:
            pending[stream] = (rest, when)
    lines += [(stream, strip_sgr(sanitize(t)), when) for stream, (t, when) in pending.items()]
    return lines


async def test_logs_filters_numbers_and_stamps_the_databases_lines(
    stack: StackInfo, user: User
) -> None:
    job_id = await failed_job(stack, user)
    args = ("logs", job_id[:8], "--grep", "creat", "--stream", "stdout", "-t", "-n")
    code, out, err = await joblens(stack, user.token, *args, TZ=ZONE)
    assert code == ExitCode.OK, err
    lines = await timed_lines(stack, job_id)
    assert [line for _, line, _ in lines] == await db_lines(stack, job_id)
    expected = [
        f"{n}:{when.astimezone(OFFSET).isoformat(timespec='seconds')} {line}"
        for n, (stream, line, when) in enumerate(lines, 1)
        if stream == "STDOUT" and "creat" in line.lower()
    ]
    assert len(expected) > 3 and out.splitlines() == expected
    assert "\x1b" not in out


async def test_summary_json_has_the_job_its_error_and_its_resources(
    stack: StackInfo, user: User
) -> None:
    job_id = await failed_job(stack, user)
    code, out, err = await joblens(stack, user.token, "summary", job_id[:8], "--json")
    assert code == ExitCode.OK, err
    data = json.loads(out)
    assert data["job"]["id"] == job_id and data["job"]["status"] == "FAILED"
    assert data["plan"] is None
    lines = await db_lines(stack, job_id)
    [error] = data["errors"]
    assert (error["address"], error["file"], error["line"]) == (
        "aws_eks_cluster.this",
        "main.tf",
        12,
    )
    assert lines[error["first_line"] - 1].startswith("Error: creating EKS Cluster")
    resources = data["resources"]
    [plan] = [line for line in lines if line.startswith("Plan: ")]
    assert resources["total"] == int(re.findall(r"(\d+) to add", plan)[0]) == len(RESOURCES)
    log = "\n".join(lines)
    states = {}
    for item in resources["items"]:
        address = item["address"]
        states[address] = item["state"]
        if f"{address}: Creation complete after {item['elapsed']} [id={item['id']}]" in log:
            assert item["state"] == "done"
            assert lines[item["last_line"] - 1].startswith(f"{address}: Creation complete")
        elif f"{address}: Creating..." in log:
            assert item["state"] == ("failed" if address == error["address"] else "running")
        else:
            assert item["state"] == "pending"
            assert lines[item["first_line"] - 1].endswith(f"# {address} will be created")
    assert states["aws_eks_cluster.this"] == "failed"
    assert set(states) == set(RESOURCES)
    done = sum(1 for state in states.values() if state == "done")
    assert (resources["done"], resources["failed"]) == (done, 1) and done > 2
    code, text, _ = await joblens(stack, user.token, "summary", job_id)
    assert code == ExitCode.OK and text.startswith("▲ Deploy  ✖ FAILED  #")
    assert f"log line {error['first_line']}" in text and "\x1b" not in text
