"""A job's log as the platform's runner writes it, for tests through the local stack.

devstack's OpenTofu output with ``-no-color`` (as the runner runs tofu): no colour, every write
cut mid-way into two rows, the streams interleaved, ending in an error diagnostic. Kinder data
than this proves little (docs/TESTING.md).
"""

from __future__ import annotations

from devstack.tendril_output import RESOURCES, Writes, attempt_output, exactly, tail_lines
from devstack.testing import StackInfo

from support.seeding import create_job, set_status, write_logs
from support.users import User


def runner_rows() -> list[tuple[str, str]]:
    """A failed apply as the platform's runner stores it (OpenTofu with ``-no-color``): every
    write cut mid-way into two rows, the rest of a write arriving after the next write of
    another stream has begun."""
    planned = len(RESOURCES)
    tail = tail_lines("FAILED", ansi=False, system=True, planned=planned)
    # Up to the cluster's "Creating...": its error is the tail's diagnostic.
    writes = exactly(111, Writes(attempt_output(7, False, True, planned)), tail)
    rows: list[tuple[str, str]] = []
    held: tuple[str, str] | None = None
    for stream, text in writes:
        if held is not None and held[1] == stream:
            rows.append(held)
            held = None
        cut = max(1, len(text) // 2)
        rows.append((text[:cut], stream))
        if held is not None:
            rows.append(held)
        held = (text[cut:], stream) if text[cut:] else None
    return rows + ([held] if held is not None else [])


async def failed_job(stack: StackInfo, user: User) -> str:
    job_id = await create_job(stack, user.id, job_type="DEPLOY", status="PROCESSING")
    await write_logs(stack, job_id, runner_rows())
    await set_status(stack, job_id, "FAILED", "Error: creating EKS Cluster: ResourceInUse")
    return job_id
