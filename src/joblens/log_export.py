"""A job's log as plain text: saved to a file, or handed to the user's pager.

The text is the log pane's (``LogPane.export_lines``): sanitised at ingest, colour codes
removed here, one line per line. A saved file never replaces one that exists: a second save of
the same job in the same second gets ``-2`` and so on.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from joblens.models import Job

#: What runs when ``$PAGER`` is not set: ``less`` with search and no wrapping surprises.
DEFAULT_PAGER = "less"


def save_path(job: Job, directory: Path, now: datetime | None = None) -> Path:
    """Where ``S`` saves the log: ``joblens-<short id>-<YYYYmmdd-HHMMSS>.log`` in
    ``directory``, numbered when that name is taken."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = f"joblens-{job.short_id}-{stamp}"
    path = directory / f"{base}.log"
    n = 2
    while path.exists():
        path = directory / f"{base}-{n}.log"
        n += 1
    return path


def write_lines(path: Path, lines: Iterable[str]) -> int:
    """Write ``lines`` to a new file at ``path`` (never over an existing one); how many."""
    count = 0
    with path.open("x", encoding="utf-8", newline="\n") as out:
        for line in lines:
            out.write(line)
            out.write("\n")
            count += 1
    return count


def pager_command(environ: dict[str, str] | None = None) -> list[str]:
    """The user's pager as a command line: ``$PAGER``, else ``less``."""
    environ = dict(os.environ) if environ is None else environ
    return shlex.split(environ.get("PAGER") or DEFAULT_PAGER) or [DEFAULT_PAGER]


def page_lines(lines: Iterable[str], environ: dict[str, str] | None = None) -> str | None:
    """Show ``lines`` in the user's pager (the terminal must be free: the app suspended) and
    wait for it to end; None, or what went wrong in a few words."""
    command = pager_command(environ)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", prefix="joblens-", suffix=".log", delete=False
    ) as out:
        for line in lines:
            out.write(line)
            out.write("\n")
        name = out.name
    try:
        subprocess.run([*command, name], check=False)
    except OSError as error:
        return f"{command[0]}: {error.strerror or error}"
    finally:
        os.unlink(name)
    return None
