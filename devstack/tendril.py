"""`tendril`: play a Tendril working a job through the stack's REST, as a real one does.

It writes what a real runner writes, so that readers of the logs meet what they meet in
production: OpenTofu's output without colour (terraform-exec passes ``-no-color``; ``--ansi``
keeps the colour path testable), the newer runners' own ``▸`` lines on SYSTEM, and now and then
a provider warning on STDERR (as with ``TF_LOG=WARN``). The rows are cut by the runner's flush
model (:mod:`joblens.runner_log`, shared with the demo): a row ends wherever a flush fell,
often mid-line, and the streams' rows interleave. ``--lines N`` is N lines in all (N ``\\n``).

``--requeue-at N`` plays a runner that dies after N lines (its last row ends mid-line, its
unsent buffers are lost), the platform's ``recover_stale_jobs()`` putting the job back in the
queue, and another Tendril claiming it and finishing: the lines then add up to ``--lines``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import secrets
import sys
import time
import zlib
from typing import Any

import httpx

from joblens.runner_log import NEW_RUNNER, OLD_RUNNER, FlushPolicy, Row, RunnerLogWriter

from .tendril_output import Writes, attempt_output, exactly, now_iso, schedule, tail_lines

ERRORS = {
    "FAILED": "Error: creating EKS Cluster: ResourceInUseException",
    "CANCELLED": "Cancelled by user",
}
#: Lines per second OpenTofu writes while it is busy, in the job's own time. A faster
#: ``--rate`` plays the job faster: the runner's timers run that much faster too, so a short
#: test run is cut into rows as the same job would be at its own pace.
JOB_RATE = 20.0
#: Seconds between the dead runner's last flush and the job back in the queue, and until
#: another Tendril claims it (the platform's timeouts are minutes; tests want it short).
REQUEUE_PAUSE = 0.3
CLAIM_PAUSE = 0.4


def paced(policy: FlushPolicy, rate: float) -> FlushPolicy:
    """The runner's timers in wall-clock seconds when the job plays at ``rate`` lines/s."""
    speedup = max(1.0, rate / JOB_RATE)

    def scale(seconds: float | None) -> float | None:
        return None if seconds is None else seconds / speedup

    return dataclasses.replace(
        policy,
        interval=scale(policy.interval),
        quiet=scale(policy.quiet),
        backstop=scale(policy.backstop),
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
        self.last_beat = time.monotonic()

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

    async def heartbeat(self, at: str | None = None) -> None:
        """Keep the worker alive (``at``: a heartbeat as of another time)."""
        await self.call(
            "PATCH",
            "/workers",
            params={"id": f"eq.{self.worker_id}"},
            json={"last_heartbeat": at or now_iso(), "status": "ONLINE"},
        )
        self.last_beat = time.monotonic()

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

    async def claim(self, job: str) -> bool:
        """Claim the job (QUEUED, or CLAIMED by nobody running it) and start it."""
        claimed = await self.call(
            "PATCH",
            "/provision_jobs",
            params={"id": f"eq.{job}", "status": "in.(QUEUED,CLAIMED)"},
            json={"status": "CLAIMED", "worker_id": self.worker_id, "claimed_at": now_iso()},
        )
        if not claimed:
            return False
        await self.update_job(
            job,
            {"status": "PROCESSING", "started_at": now_iso()},
            {"phase": "apply", "progress": 0, "worker": self.worker_id},
        )
        return True


class Flusher:
    """One attempt's runner: feeds timed writes through the flush model, inserting each row
    when its flush falls (in real time, from the attempt's start)."""

    def __init__(self, t: Tendril, table: str, job: str, policy: FlushPolicy) -> None:
        self.t, self.table, self.job = t, table, job
        self.writer = RunnerLogWriter(policy)
        self.start = time.monotonic()
        self.newlines = 0  # in the rows sent

    async def _until(self, at: float) -> None:
        delay = self.start + at - time.monotonic()
        if delay > 0.001:
            await asyncio.sleep(delay)

    async def send(self, rows: list[Row]) -> None:
        for row in rows:
            # One insert per flush, as real Tendrils do: each row gets its own created_at
            # (now() is per transaction), which is what orders uuid-keyed logs.
            await self.t.call(
                "POST",
                f"/{self.table}",
                json={"job_id": self.job, "log_chunk": row.text, "stream_type": row.stream},
            )
            self.newlines += row.text.count("\n")
        if time.monotonic() - self.t.last_beat > 5:
            await self.t.heartbeat()

    async def run_timers(self, until: float) -> None:
        """Flushes that fall by ``until``, each sent when it falls."""
        while (due := self.writer.due()) is not None and due <= until:
            await self._until(due)
            await self.send(self.writer.advance(due))

    async def play(self, writes: list[tuple[float, str, str]]) -> None:
        for at, stream, text in writes:
            await self.run_timers(at)
            await self._until(at)
            await self.send(self.writer.write(stream, text, at))

    async def finish(self) -> None:
        """The process ended: send everything (after the timers due by then)."""
        await self.send(self.writer.close(self.writer.now))

    async def die_mid_line(self, line: str) -> None:
        """OpenTofu wrote the start of ``line``; a flush sends it; the runner dies before the
        rest: whatever it still held on other streams is lost."""
        at = self.writer.now + 0.001
        await self.send(self.writer.write("STDOUT", line[: max(1, len(line) // 2)], at))
        while "STDOUT" in self.writer.pending():
            await self.run_timers(self.writer.due() or at)
        self.writer.abandon()


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


async def recover_stale_job(t: Tendril, job: str, dead: Tendril) -> None:
    """The platform's ``recover_stale_jobs()``: the dead runner's heartbeat is stale, so its job
    goes back to QUEUED with its claim cleared. Nothing is written to the job's log."""
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    await dead.heartbeat(stale.isoformat())
    await t.call(
        "PATCH",
        "/provision_jobs",
        params={"id": f"eq.{job}", "status": "in.(CLAIMED,PROCESSING)"},
        json={"status": "QUEUED", "worker_id": None, "claimed_at": None, "started_at": None},
    )


async def play(
    url: str,
    service_key: str,
    job: str,
    lines: int,
    rate: float,
    final: str,
    *,
    ansi: bool = False,
    requeue_at: int | None = None,
    runner: str = "new",
    seed: int | None = None,
) -> int:
    """Claim the job, stream ``lines`` log lines at ``rate`` per second, then finish it."""
    if rate <= 0:
        raise ValueError("--rate must be positive")
    if requeue_at is not None and not 0 < requeue_at < lines:
        raise ValueError("--requeue-at must be between 0 and --lines")
    policy = paced(OLD_RUNNER if runner == "old" else NEW_RUNNER, rate)
    system = runner != "old"  # old runners have no SYSTEM stream
    rnd = random.Random(zlib.crc32(job.encode()) if seed is None else seed)
    t = Tendril(url, service_key)
    first = t
    sent = 0  # lines in the rows of earlier attempts
    try:
        table = await t.logs_table()
        await t.register()
        if not await t.claim(job):
            print(f"job {job} is not waiting to be claimed", file=sys.stderr)
            return 1
        planned = max(3, lines // 30)
        if requeue_at is not None:
            flusher = Flusher(t, table, job, policy)
            writes = Writes(attempt_output(rnd.getrandbits(32), ansi, system, planned))
            await flusher.play(schedule(writes.take_lines(requeue_at), rate, rnd))
            await flusher.run_timers(flusher.writer.now)
            await flusher.die_mid_line(writes.next_line())
            await asyncio.sleep(REQUEUE_PAUSE)
            await recover_stale_job(t, job, t)
            await asyncio.sleep(CLAIM_PAUSE)
            sent = flusher.newlines
            lines -= sent
            t = Tendril(url, service_key)  # another Tendril claims it
            await t.register()
            if not await t.claim(job):
                print(f"job {job} was not put back in the queue", file=sys.stderr)
                return 1
        flusher = Flusher(t, table, job, policy)
        writes = Writes(attempt_output(rnd.getrandbits(32), ansi, system, planned))
        body = exactly(lines, writes, tail_lines(final, ansi, system, planned))
        await flusher.play(schedule(body, rate, rnd))
        await flusher.finish()
        fields: dict[str, Any] = {"status": final, "completed_at": now_iso()}
        if final in ERRORS:
            fields["error_message"] = ERRORS[final]
        meta = {"phase": "done", "progress": 100, "lines_written": sent + flusher.newlines}
        await t.update_job(job, fields, meta)
        await t.heartbeat()
        return 0
    finally:
        await t.http.aclose()
        if first is not t:
            await first.http.aclose()
