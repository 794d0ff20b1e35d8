"""``joblens list`` (and bare ``joblens``): the user's newest jobs, live in the view, or printed
for scripts (``--json``, or a plain table when stdout is not a terminal)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from joblens.backends.base import JOBS_LISTED, PAGE_SIZE
from joblens.cli.common import backend_from, finish, prefs_from, project_options, view_options
from joblens.models import ACTIVE_STATUSES, TERMINAL_STATUSES, JobStatus, JobType

#: ``--status`` words that stand for several statuses.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "active": tuple(s.value for s in JobStatus if s in ACTIVE_STATUSES),
    "ended": tuple(s.value for s in JobStatus if s in TERMINAL_STATUSES),
}


Check = Callable[[click.Context, click.Parameter, tuple[str, ...]], tuple[str, ...]]


def _choices(names: tuple[str, ...], groups: dict[str, tuple[str, ...]]) -> Check:
    """A callback reading repeated, comma-separated values of ``names`` (any case) and
    ``groups``; anything else is a one-line usage error naming the option (exit 2)."""
    known = {name.lower(): (name,) for name in names} | groups

    def check(
        ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
    ) -> tuple[str, ...]:
        chosen: list[str] = []
        for value in values:
            for word in value.split(","):
                word = word.strip()
                if not word:
                    continue
                if word.lower() not in known:
                    shown = word if len(word) <= 30 else word[:29] + "…"
                    raise click.BadParameter(
                        f"{shown!r} is not one of {', '.join([*names, *groups])}",
                        ctx=ctx,
                        param=param,
                    )
                chosen += known[word.lower()]
        return tuple(dict.fromkeys(chosen))

    return check


_STATUSES = tuple(s.value for s in JobStatus)
_TYPES = tuple(t.value for t in JobType)


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array instead of the view.")
@click.option(
    "--status",
    "statuses",
    metavar="STATUS",
    multiple=True,
    callback=_choices(_STATUSES, STATUS_GROUPS),
    help=f"Only jobs with this status: {', '.join(_STATUSES)}, or active or ended "
    "(repeat, or separate with commas, for several; any case).",
)
@click.option(
    "--type",
    "types",
    metavar="TYPE",
    multiple=True,
    callback=_choices(_TYPES, {}),
    help=f"Only jobs of this type: {', '.join(_TYPES)} (repeat, or separate with commas).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, PAGE_SIZE),
    default=JOBS_LISTED,
    show_default=True,
    help="The newest this many jobs.",
)
@project_options
@view_options
@click.pass_context
def list_jobs(
    ctx: click.Context,
    as_json: bool,
    statuses: tuple[str, ...],
    types: tuple[str, ...],
    limit: int,
    **options: Any,
) -> None:
    """List your newest jobs, live: new jobs appear, statuses change in place.

    In the view: Enter opens a job (Esc comes back), / searches ids, vines and Tendrils, s and
    t cycle the status and type filters. With --json, or stdout not a terminal, prints them
    once (newest first) and exits 0: one JSON array (secrets never included), or a table.
    """
    from joblens.launch import run_list, run_list_view

    def go() -> int:
        backend, settings = backend_from(options)
        if as_json or not sys.stdout.isatty():
            return run_list(backend, statuses, types, limit, as_json=as_json)
        return run_list_view(backend, statuses, types, limit, prefs_from(settings))

    finish(ctx, go)
