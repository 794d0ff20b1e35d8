"""The Supabase backend on a local stack, as the tests open it."""

from __future__ import annotations

from devstack.testing import StackInfo

from joblens.backends.supabase import LiveTiming, SupabaseBackend, SupabaseSettings

#: Short watchdog timings so the recovery tests finish in seconds.
FAST = LiveTiming(
    check_every=0.3, probe_after=1.0, dead_after=3.0, not_live_after=15.0, assume_live_after=8.0
)


def backend_for(
    stack: StackInfo,
    token: str,
    refresh: str | None = None,
    *,
    timing: LiveTiming | None = FAST,
    rest_timeout: float = 8.0,
) -> SupabaseBackend:
    """A (not yet connected) backend on the stack, as the user of ``token``."""
    settings = SupabaseSettings(
        url=stack.url,
        anon_key=stack.anon_key,
        access_token=token,
        refresh_token=refresh,
        logs_table=stack.logs_table,
    )
    return SupabaseBackend(settings, live_timing=timing, rest_timeout=rest_timeout)
