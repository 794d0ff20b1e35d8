"""The habits the README's development section promises: ruff-clean, formatted, and typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["src", "tests", "devstack", "benchmarks"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "command",
    [("ruff", "check", *CHECKED), ("ruff", "format", "--check", *CHECKED)],
    ids=["lint", "format"],
)
def test_ruff_is_clean(command: tuple[str, ...]) -> None:
    done = _run(*command)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow(13)
def test_mypy_is_clean() -> None:
    done = _run("mypy")  # pyproject.toml says what: src/joblens, tests and devstack
    assert done.returncode == 0, done.stdout + done.stderr
