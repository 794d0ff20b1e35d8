"""joblens run as a user who signs in with ``joblens login``: its own config and state
directories (where the session is kept), the project from the environment, no token given."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from devstack.testing import REPO_ROOT, StackInfo

from support.cli import clean_env


def login_env(stack: StackInfo, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user of ``stack`` whose joblens keeps its files under ``home``."""
    return clean_env(
        SUPABASE_URL=stack.url,
        SUPABASE_ANON_KEY=stack.anon_key,
        JOBLENS_LOGS_TABLE=stack.logs_table,
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",  # a file, whatever the machine
        **extra,
    )


class Joblens:
    """One ``python -m joblens`` process with pipes, for the sign-ins that talk back."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.err_lines: list[str] = []

    @classmethod
    async def start(cls, env: dict[str, str], *args: str) -> Joblens:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "joblens",
            *args,
            cwd=REPO_ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def err_line(self, containing: str, timeout: float = 30.0) -> str:
        """The next stderr line holding ``containing`` (the lines before are kept)."""
        assert self.process.stderr is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.process.stderr.readline()
                if not raw:
                    raise AssertionError(f"joblens ended before saying {containing!r}")
                line = raw.decode().rstrip("\n")
                self.err_lines.append(line)
                if containing in line:
                    return line

    def type(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode())

    async def end(self, timeout: float = 30.0) -> tuple[int, str, str]:
        """Close stdin, wait for the exit: (code, stdout, every stderr line)."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        async with asyncio.timeout(timeout):
            out, err = await self.process.communicate()
        lines = "\n".join([*self.err_lines, err.decode()])
        return int(self.process.returncode or 0), out.decode(), lines


async def run(
    env: dict[str, str], *args: str, stdin: str = "", timeout: float = 60.0
) -> tuple[int, str, str]:
    """``joblens ARGS`` with ``stdin`` given whole: (exit code, stdout, stderr)."""
    process = await Joblens.start(env, *args)
    process.type(stdin)
    return await process.end(timeout)
