"""The ``joblens`` command run as a user runs it: a separate process, configured by its
environment."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

from devstack.testing import REPO_ROOT, StackInfo

#: Variables that configure joblens: a test's joblens sees only those the test gives it.
CONFIG_PREFIXES = ("SUPABASE_", "JOBLENS_")


def clean_env(*, drop: Sequence[str] = (), **extra: str) -> dict[str, str]:
    """This process's environment without joblens's configuration (nor variables starting
    with a ``drop`` prefix), plus ``extra``."""
    dropped = (*CONFIG_PREFIXES, *drop)
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(extra)
    return env


def env_for(
    stack: StackInfo, token: str, *, drop: Sequence[str] = (), **extra: str
) -> dict[str, str]:
    """The environment of a joblens signed in to ``stack`` with ``token`` (plus ``extra``)."""
    return clean_env(
        drop=drop,
        SUPABASE_URL=stack.url,
        SUPABASE_ANON_KEY=stack.anon_key,
        JOBLENS_ACCESS_TOKEN=token,
        JOBLENS_LOGS_TABLE=stack.logs_table,
        **extra,
    )


def run_joblens(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """``python -m joblens ARGS`` to its end (stdin empty, output piped): its exit code, stdout
    and stderr (UTF-8). ``env``: the whole environment (default: `clean_env()`)."""
    done = subprocess.run(
        [sys.executable, "-m", "joblens", *args],
        cwd=REPO_ROOT,
        env=clean_env() if env is None else dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


async def joblens(
    stack: StackInfo, token: str, *args: str, timeout: float = 60.0, **extra: str
) -> tuple[int, str, str]:
    """`run_joblens` on ``stack`` as the user of ``token`` (``extra``: more variables, e.g.
    ``JOBLENS_REFRESH_TOKEN``), without blocking the event loop: (exit code, stdout, stderr)."""
    env = env_for(stack, token, **extra)
    done = await asyncio.to_thread(run_joblens, *args, env=env, timeout=timeout)
    return done.returncode, done.stdout, done.stderr
