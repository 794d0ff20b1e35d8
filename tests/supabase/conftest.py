"""Fixtures for the Supabase backend's integration tests (helpers live in stackhelp.py)."""

from __future__ import annotations

import pytest
from devstack.testing import StackInfo
from stackhelp import User, new_user


@pytest.fixture
async def user(stack: StackInfo) -> User:
    """A fresh user on the stack, with a one-hour token."""
    return await new_user(stack)
