"""Why a queued job is still waiting: the Tendril it asked for, or any available one, and
whether anything that could claim it is alive.

A job waits in QUEUED until a Tendril claims it: the one it asked for (``assigned_worker_id``),
or with none asked for, any available one. A Tendril is alive while it is ONLINE with a
heartbeat in the last 60 s (nothing reliably sets OFFLINE: docs/PLATFORM.md). A job that asked
for a Tendril that stopped days ago waits for ever, and neither the web page nor the job's
status says so; the job view and plain mode say it here, in one line, from the ``workers`` rows
the user can see (RLS: cloud-hosted ones and their own).

Names come from ``Tendril.from_row`` / ``Job.from_row`` (made safe there); the line is plain
text, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from joblens.display import format_relative
from joblens.errors import JoblensError
from joblens.models import Job, JobStatus, Tendril, TendrilStatus

if TYPE_CHECKING:
    from joblens.backends.base import Backend

__all__ = [
    "TENDRIL_REFRESH_SECONDS",
    "Waiting",
    "read_tendrils",
    "say_if_stuck",
    "waiting_for",
    "waiting_of",
    "why_not_live",
]

#: How often the Tendrils are read again while a shown job waits in the queue.
TENDRIL_REFRESH_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class Waiting:
    """What a queued job waits for, in one line."""

    text: str
    """``waiting for tendril-a to claim the job: offline, last seen 3d 4h ago``:
    lower case, for "job #abcd1234 is ..." or, capitalised, a line of its own."""
    stuck: bool
    """Nothing that could claim it is alive: it will wait until that changes."""


def waiting_for(
    job: Job, tendrils: Sequence[Tendril] | None, now: datetime | None = None
) -> Waiting | None:
    """The line for a QUEUED job, given the Tendrils the user can see (None: not read, or
    they could not be); None for a job in any other status, or while nothing is known."""
    if job.status != JobStatus.QUEUED or tendrils is None:
        return None
    now = now or datetime.now(UTC)
    wanted = job.assigned_worker_id
    if not wanted:
        live = sum(1 for tendril in tendrils if tendril.is_live(now))
        if live:
            return Waiting(
                f"waiting for any available Tendril to claim the job ({live} online)", False
            )
        seen = f"none of the {len(tendrils)} you can see is" if tendrils else "none is"
        return Waiting(f"waiting for any available Tendril to claim the job: {seen} online", True)
    tendril = next((t for t in tendrils if t.id == wanted), None)
    name = (
        tendril.name
        if tendril is not None
        else job.assigned_worker_name or f"Tendril #{wanted.replace('-', '')[:8]}"
    )
    if tendril is None:
        return Waiting(
            f"waiting for {name} to claim the job: not among the Tendrils you can see",
            True,
        )
    if tendril.is_live(now):
        return Waiting(f"waiting for {name} to claim the job (online)", False)
    return Waiting(f"waiting for {name} to claim the job: {why_not_live(tendril, now)}", True)


async def read_tendrils(backend: Backend) -> list[Tendril] | None:
    """The Tendrils the user can see; None when they cannot be read (best effort: what a job
    waits for is then not said, and whatever else failed is reported where it matters)."""
    try:
        return await backend.list_tendrils()
    except JoblensError:
        return None


async def waiting_of(backend: Backend, job: Job) -> Waiting | None:
    """:func:`waiting_for` with the Tendrils read now (only for a QUEUED job)."""
    if job.status != JobStatus.QUEUED:
        return None
    return waiting_for(job, await read_tendrils(backend))


async def say_if_stuck(backend: Backend, job: Job, say: Callable[[str], None]) -> None:
    """Plain mode, once as it starts following a QUEUED job: when nothing that could claim
    it is alive, ``say`` one line of why (a script would otherwise wait without a word)."""
    waiting = await waiting_of(backend, job)
    if waiting is not None and waiting.stuck:
        say(f"joblens: job #{job.short_id} is {waiting.text}")


def why_not_live(tendril: Tendril, now: datetime) -> str:
    """Why a Tendril cannot claim a job now, in a few words (the Tendril picker's too):
    ``offline, last seen 3d 4h ago``, ``silent, last heartbeat 17m 00s ago``, ``never seen``."""
    if tendril.last_heartbeat is None:
        return "never seen"
    seen = format_relative(tendril.last_heartbeat, now)
    if tendril.status == TendrilStatus.ONLINE:
        return f"silent, last heartbeat {seen}"
    return f"{str(tendril.status or 'offline').lower()}, last seen {seen}"
