"""OpenTofu's apply walk for the demo: waves, parallelism and ``Still creating...`` lines."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from joblens.backends.demo.terraform.stack import (
    DELETE,
    PLAIN,
    REPLACE,
    UPDATE,
    Change,
    Palette,
    fake_id,
)

_VERBS = {"create": "Creating...", "update": "Modifying...", "destroy": "Destroying..."}


def elapsed(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


@dataclass(slots=True)
class _Op:
    change: Change
    phase: str  # "destroy" or "create" (or "update")
    duration: int
    started: int
    ident: str


@dataclass(slots=True)
class ApplyTick:
    """One flush of apply progress: its lines and how many operations are done."""

    lines: list[str]
    done: int
    total: int
    failed: str | None = None  # the address whose operation failed in this tick
    clock: int = 0


@dataclass(slots=True)
class ApplySimulation:
    """OpenTofu's apply walk, in simulated seconds: waves, parallelism, ``Still creating``."""

    changes: Sequence[Change]
    rng: random.Random
    step: int = 10  # simulated seconds per flush
    parallelism: int = 10
    fail_address: str | None = None
    fail_after: int = 60
    palette: Palette = PLAIN
    #: Each resource's typical time (``Resource.seconds``) is scaled by this: the demo's
    #: scripts keep an apply short enough to watch, its flushes ``step`` seconds apart, so
    #: the log's ``[10s elapsed]`` and the header's running time agree (``DEMO_TIME``).
    time_scale: float = 1.0

    def _queue(self) -> list[tuple[Change, str]]:
        order: list[tuple[Change, str]] = []
        for change in sorted(self.changes, key=lambda c: c.resource.wave):
            if change.actions == DELETE:
                order.insert(0, (change, "destroy"))
            elif change.actions == REPLACE:
                order += [(change, "destroy"), (change, "create")]
            else:
                order.append((change, "update" if change.actions == UPDATE else "create"))
        return order

    def ticks(self) -> Iterator[ApplyTick]:
        """Flushes until every operation is done (or the failing one fails)."""
        bold = self.palette.b
        pending = self._queue()
        total = len(pending)
        running: list[_Op] = []
        done = 0
        clock = 0
        while pending or running:
            lines: list[str] = []
            while pending and len(running) < self.parallelism:
                change, phase = pending[0]
                blocking = min((op.change.resource.wave for op in running), default=None)
                if blocking is not None and change.resource.wave > blocking:
                    break
                pending.pop(0)
                res = change.resource
                base = res.seconds if phase == "create" else max(1, res.seconds // 6)
                duration = max(1, int(base * self.time_scale * self.rng.uniform(0.8, 1.25)))
                if res.address == self.fail_address and phase == "create":
                    duration = self.fail_after
                # (its age counts from the flush that says "Creating...": the next one)
                op = _Op(
                    change, phase, duration, clock + self.step, fake_id(res.id_prefix, self.rng)
                )
                running.append(op)
                verb = _VERBS[phase]
                suffix = "" if phase == "create" else f" [id={op.ident}]"
                lines.append(bold(f"{res.address}: {verb}{suffix}"))
            clock += self.step
            failed: str | None = None
            for op in list(running):
                res = op.change.resource
                age = clock - op.started
                for mark in range(10, min(age, op.duration) + 1, 10):
                    if mark > age - self.step:
                        word = {"create": "creating", "update": "modifying"}.get(
                            op.phase, "destroying"
                        )
                        ident = "" if op.phase == "create" else f"id={op.ident}, "
                        lines.append(
                            bold(f"{res.address}: Still {word}... [{ident}{elapsed(mark)} elapsed]")
                        )
                if age < op.duration:
                    continue
                running.remove(op)
                if res.address == self.fail_address and op.phase == "create":
                    failed = res.address
                    continue
                done += 1
                after = elapsed(op.duration)
                if op.phase == "create":
                    lines.append(
                        bold(f"{res.address}: Creation complete after {after} [id={op.ident}]")
                    )
                elif op.phase == "update":
                    lines.append(
                        bold(f"{res.address}: Modifications complete after {after} [id={op.ident}]")
                    )
                else:
                    lines.append(bold(f"{res.address}: Destruction complete after {after}"))
            yield ApplyTick(lines, done, total, failed, clock)
            if failed:
                return
