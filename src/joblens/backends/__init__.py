"""Backends: the only door between the screens and where jobs live (the demo or Supabase)."""

from joblens.backends.base import (
    Backend,
    ChunksArrived,
    FollowEvent,
    LiveInterrupted,
    LiveStarted,
)

__all__ = ["Backend", "ChunksArrived", "FollowEvent", "LiveInterrupted", "LiveStarted"]
