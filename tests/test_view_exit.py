"""The view's exit codes as a shell sees them: q is 0, Ctrl+C is 130 (README, "Exit codes")."""

from __future__ import annotations

import sys

import pytest
from devstack.testing import REPO_ROOT

from joblens.errors import ExitCode
from support.cli import clean_env
from support.terminal import PtyProgram


@pytest.mark.parametrize(("key", "code"), [("q", ExitCode.OK), ("ctrl+c", ExitCode.INTERRUPTED)])
def test_quitting_the_view_exits_with_the_keys_code(key: str, code: int) -> None:
    program = PtyProgram(
        [sys.executable, "-m", "joblens", "demo", "--scenario", "long"],
        env=clean_env(),
        cwd=REPO_ROOT,
        size=(100, 30),
    )
    try:
        program.wait_for("Cancel (c)", timeout=45)
        program.press(key)
        assert program.wait_exit() == code
    finally:
        program.close()
