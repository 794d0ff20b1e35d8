"""Fixtures for the Supabase backend's integration tests (helpers live in tests/support/)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from devstack.testing import StackInfo

from support.users import User, forget_users, new_user


@pytest.fixture
async def user(stack: StackInfo) -> User:
    """A fresh user on the stack, with a one-hour token."""
    return await new_user(stack)


@pytest.fixture(autouse=True)
async def _forget_users() -> AsyncIterator[None]:
    """Leave the shared stacks as empty as they were: delete this test's users and rows."""
    yield
    await forget_users()
