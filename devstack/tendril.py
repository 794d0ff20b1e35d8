"""`tendril`: play a Tendril working a job through the stack's REST, as a real one does."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
import secrets
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx

FLUSH_SECONDS = 0.25  # real Tendrils flush every 2 s; faster keeps tests short
FLUSH_BYTES = 10_000
RESOURCES = [
    "aws_vpc.main",
    "aws_subnet.private[0]",
    "aws_subnet.private[1]",
    "aws_security_group.nodes",
    "aws_eks_cluster.this",
    "aws_iam_role.nodes",
    "aws_eks_node_group.default",
    "helm_release.argocd",
    "aws_route53_record.api",
]
BOLD, GREEN, YELLOW, RED, RESET = "\x1b[1m", "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[0m"


def now_iso() -> str:
    """The current time as PostgREST accepts it."""
    return dt.datetime.now(dt.UTC).isoformat()


def terraform_lines(seed: int) -> Iterator[tuple[str, str]]:
    """An endless, Terraform-like stream of (stream, line)."""
    rnd = random.Random(seed)
    yield "STDOUT", f"{BOLD}Initializing the backend...{RESET}"
    yield "STDOUT", f"{BOLD}Initializing provider plugins...{RESET}"
    yield "STDOUT", '- Finding hashicorp/aws versions matching "~> 5.0"...'
    yield "STDOUT", f"{GREEN}{BOLD}Terraform has been successfully initialized!{RESET}"
    for n in itertools.count():
        res = f"{RESOURCES[n % len(RESOURCES)]}"
        if n >= len(RESOURCES):
            res = f"{res.split('[')[0]}[{n}]"
        yield "STDOUT", f"{BOLD}{res}: Creating...{RESET}"
        for s in range(rnd.randint(0, 2)):
            yield "STDOUT", f"{BOLD}{res}: Still creating... [{(s + 1) * 10}s elapsed]{RESET}"
        if rnd.random() < 0.08:
            yield "STDERR", f"{YELLOW}╷{RESET}"
            yield (
                "STDERR",
                f"{YELLOW}│{RESET} {YELLOW}{BOLD}Warning: {RESET}{BOLD}Argument is "
                f"deprecated{RESET}",
            )
            yield "STDERR", f"{YELLOW}╵{RESET}"
        yield (
            "STDOUT",
            (
                f"{BOLD}{res}: Creation complete after {rnd.randint(1, 90)}s "
                f"[id={secrets.token_hex(8)}]{RESET}"
            ),
        )


class Tendril:
    """A worker with a REST session authenticated by the service key."""

    def __init__(self, url: str, service_key: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=f"{url.rstrip('/')}/rest/v1",
            headers={
                "apikey": service_key,
                "Authorization": f"Bearer {service_key}",
                "Content-Type": "application/json",
            },
            timeout=30,
        )
        self.worker_id = ""

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One REST request; raise on an error status."""
        headers = {"Prefer": "return=representation"}
        resp = await self.http.request(method, path, headers=headers, **kwargs)
        if resp.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {resp.status_code} {resp.text}")
        return resp.json() if resp.content else None

    async def logs_table(self) -> str:
        """Whichever logs table this database has."""
        resp = await self.http.get("/job_logs", params={"select": "id", "limit": "0"})
        return "job_logs" if resp.status_code == 200 else "provision_job_logs"

    async def register(self) -> None:
        """Register (and heartbeat) the worker."""
        rows = await self.call(
            "POST",
            "/workers",
            json={
                "name": f"tendril-{secrets.token_hex(3)}",
                "mode": "cloud-hosted",
                "status": "ONLINE",
                "last_heartbeat": now_iso(),
                "version": "devstack-1.0",
            },
        )
        self.worker_id = rows[0]["id"]

    async def heartbeat(self) -> None:
        """Keep the worker alive."""
        await self.call(
            "PATCH",
            "/workers",
            params={"id": f"eq.{self.worker_id}"},
            json={"last_heartbeat": now_iso(), "status": "ONLINE"},
        )

    async def update_job(self, job: str, fields: dict[str, Any], meta: dict[str, Any]) -> None:
        """Set job fields, merging execution_metadata like a real Tendril."""
        rows = await self.call(
            "GET", "/provision_jobs", params={"select": "execution_metadata", "id": f"eq.{job}"}
        )
        merged = {**((rows[0].get("execution_metadata") if rows else None) or {}), **meta}
        await self.call(
            "PATCH",
            "/provision_jobs",
            params={"id": f"eq.{job}"},
            json={**fields, "execution_metadata": merged},
        )


async def queue_job(url: str, service_key: str, user_id: str, job_type: str) -> str:
    """Insert a QUEUED job owned by a user; return its id."""
    t = Tendril(url, service_key)
    try:
        rows = await t.call(
            "POST",
            "/provision_jobs",
            json={
                "user_id": user_id,
                "job_type": job_type,
                "config_snapshot": {"project_name": "devstack-demo", "region": "eu-west-1"},
            },
        )
        return str(rows[0]["id"])
    finally:
        await t.http.aclose()


async def play(url: str, service_key: str, job: str, lines: int, rate: float, final: str) -> int:
    """Claim the job, stream `lines` log lines at `rate` per second, then finish it."""
    t = Tendril(url, service_key)
    try:
        table = await t.logs_table()
        await t.register()
        claimed = await t.call(
            "PATCH",
            "/provision_jobs",
            params={"id": f"eq.{job}", "status": "in.(QUEUED,CLAIMED)"},
            json={"status": "CLAIMED", "worker_id": t.worker_id, "claimed_at": now_iso()},
        )
        if not claimed:
            print(f"job {job} is not waiting to be claimed", file=sys.stderr)
            return 1
        await t.update_job(
            job,
            {"status": "PROCESSING", "started_at": now_iso()},
            {"phase": "apply", "progress": 0, "worker": t.worker_id},
        )
        await stream_logs(t, table, job, lines, rate)
        fields: dict[str, Any] = {"status": final, "completed_at": now_iso()}
        if final == "FAILED":
            fields["error_message"] = "Error: creating EKS Cluster: ResourceInUseException"
        elif final == "CANCELLED":
            fields["error_message"] = "Cancelled by user"
        await t.update_job(job, fields, {"phase": "done", "progress": 100, "lines_written": lines})
        await t.heartbeat()
        return 0
    finally:
        await t.http.aclose()


async def stream_logs(t: Tendril, table: str, job: str, lines: int, rate: float) -> None:
    """Write exactly `lines` lines as multi-line chunks, one flush per stream at a time."""
    source = terraform_lines(hash(job) & 0xFFFF)
    per_flush = max(1, int(rate * FLUSH_SECONDS))
    written = 0
    last_beat = time.monotonic()
    while written < lines:
        started = time.monotonic()
        batch = [next(source) for _ in range(min(per_flush, lines - written))]
        written += len(batch)
        chunks: list[dict[str, str]] = []
        for stream, group in itertools.groupby(batch, key=lambda x: x[0]):
            text = "\n".join(line for _, line in group)
            while text:
                cut = text[:FLUSH_BYTES]
                if len(text) > FLUSH_BYTES:
                    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
                chunks.append({"job_id": job, "log_chunk": cut, "stream_type": stream})
                text = text[len(cut) :].lstrip("\n")
        for chunk in chunks:
            # One insert per flush, as real Tendrils do: each chunk gets its own created_at
            # (now() is per transaction), which is what orders uuid-keyed logs.
            await t.call("POST", f"/{table}", json=chunk)
        if time.monotonic() - last_beat > 5:
            await t.heartbeat()
            last_beat = time.monotonic()
        if written < lines:
            await asyncio.sleep(max(0.0, len(batch) / rate - (time.monotonic() - started)))
