"""Each devstack test closes the realtime sockets its clients opened and deletes the users it
made (the stacks are shared)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from support.users import close_clients, forget_users


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    await close_clients()
    await forget_users()
