"""The demo's scenario names, apart from the demo itself so that ``joblens --help`` stays fast."""

from __future__ import annotations

#: The first three are `joblens demo`'s; the others show what real Tendrils sometimes do.
SCENARIOS = ("plan", "deploy-fail", "long", "cancel-ignored", "requeued", "flaky-realtime")
