"""Each devstack test closes the realtime sockets its clients opened (stacks are shared)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from devstack_helpers import close_clients


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    await close_clients()
