"""The test-only endpoints: `POST /__devstack/fault` (inject a fault, now or after a delay),
`GET /__devstack/faults` (what the faults did), `GET|POST /__devstack/options` (tunables).

A fault suite injects faults at random moments while a job streams, several times each: every
request answers 200 as soon as the fault is applied (or scheduled, with `delay`), faults add up
(two `lose` of 5 lose 10), and the status endpoint tells a test whether a fault really hit
(e.g. how many changes were lost), so a run that proves nothing can be told from one that does.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import Any

from aiohttp import web

from .realtime_faults import REALTIME_KINDS, FaultRequest
from .realtime_hub import RealtimeHub
from .state import Stack

REST_KINDS = {"rest_error", "rest_hang", "db_unreachable"}
FAULT_KINDS = REALTIME_KINDS | REST_KINDS | {"clear"}


class FaultApi:
    """The /__devstack handlers."""

    def __init__(self, stack: Stack, hub: RealtimeHub) -> None:
        self.stack = stack
        self.hub = hub
        self._scheduled: set[asyncio.Task[None]] = set()

    def install(self, app: web.Application) -> None:
        """Add the routes."""
        app.router.add_post("/__devstack/fault", self.fault)
        app.router.add_get("/__devstack/faults", self.status)
        app.router.add_get("/__devstack/options", self.get_options)
        app.router.add_post("/__devstack/options", self.set_options)

    async def fault(self, request: web.Request) -> web.Response:
        """`{"fault": KIND, "seconds", "count", "channel", "table", "reason", "delay"}`."""
        try:
            body: dict[str, Any] = json.loads(await request.read() or b"{}")
            req = FaultRequest(
                kind=str(body.get("fault")),
                seconds=float(body.get("seconds") or 0),
                count=int(body.get("count") or 1),
                channel=body.get("channel"),
                table=body.get("table"),
                reason=body.get("reason"),
            )
            delay = float(body.get("delay") or 0)
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": f"bad fault request: {exc}"}, status=400)
        if req.kind not in FAULT_KINDS:
            return web.json_response(
                {"error": f"unknown fault {req.kind!r}", "kinds": sorted(FAULT_KINDS)}, status=400
            )
        answer = {"applied": req.kind, "seconds": req.seconds, "count": req.count}
        if delay > 0 and req.kind != "clear":
            task = asyncio.create_task(self._later(delay, req))
            self._scheduled.add(task)
            task.add_done_callback(self._scheduled.discard)
            return web.json_response({**answer, "applied": None, "scheduled": req.kind})
        await self.apply(req)
        return web.json_response(answer)

    async def _later(self, delay: float, req: FaultRequest) -> None:
        await asyncio.sleep(delay)
        await self.apply(req)

    async def apply(self, req: FaultRequest) -> None:
        """Apply a fault now."""
        rest = self.stack.rest_faults
        if req.kind == "clear":
            # Undo what a test left behind; options back to the values the stack started with.
            rest.errors = rest.hangs = 0
            rest.unreachable_until = 0.0
            for task in list(self._scheduled):
                task.cancel()
            self.hub.faults.clear()
            self.stack.options = self.stack.start_options
        elif req.kind == "rest_error":
            rest.errors += req.count
        elif req.kind == "rest_hang":
            rest.hangs += req.count
            rest.hang_seconds = req.seconds
        elif req.kind == "db_unreachable":
            rest.unreachable_until = max(rest.unreachable_until, time.monotonic() + req.seconds)
        elif req.kind == "expire_tokens":
            # Whole-second cut-off: tokens carry whole-second iat, so wait for the next second
            # before answering, and every token issued after the answer is valid.
            cutoff = math.floor(time.time())
            self.stack.verifier.expired_before = cutoff
            await asyncio.sleep(max(0.0, cutoff + 1 - time.time()))
            await self.hub.faults.apply(req)
        else:
            await self.hub.faults.apply(req)

    async def status(self, _request: web.Request) -> web.Response:
        """What the faults did so far and what is pending."""
        rest = self.stack.rest_faults
        return web.json_response(
            {
                **self.hub.faults.status(),
                "rest_errors_pending": rest.errors,
                "rest_hangs_pending": rest.hangs,
                "db_unreachable": time.monotonic() < rest.unreachable_until,
                "scheduled": len(self._scheduled),
            }
        )

    async def get_options(self, _request: web.Request) -> web.Response:
        """The options in effect."""
        return web.json_response(self.stack.options.as_json())

    async def set_options(self, request: web.Request) -> web.Response:
        """Change some options (`clear` puts them back); answers the options in effect."""
        try:
            changes = json.loads(await request.read() or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("options must be a JSON object")
            self.stack.options = self.stack.options.updated(changes)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        if changes.get("cold_start") is not None:
            self.hub.cold = True  # the project goes cold: its next subscriptions are slow
        return web.json_response(self.stack.options.as_json())
