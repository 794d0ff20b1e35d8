"""Getting to the point of a job through the local stack, on rows as the platform's runner
writes them (colourless OpenTofu, every write cut mid-line, streams interleaved, a failure):
the filter, stream keys, folds, the errors and resources panels, and saving the log."""

from __future__ import annotations

from pathlib import Path

import pytest
from devstack.tendril_output import RESOURCES
from devstack.testing import StackInfo

from joblens.widgets.error_digest import ErrorsPanel
from joblens.widgets.log.folds import FoldKind
from support.runner_rows import failed_job
from support.seeding import db_lines
from support.users import User
from support.views import live_view, notes, pane_lines
from support.waiting import wait_for

POLL_SECONDS = 0.5


async def test_the_log_tools_work_on_the_runners_rows(
    stack: StackInfo, user: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    job_id = await failed_job(stack, user)
    expected = await db_lines(stack, job_id)
    async with live_view(stack, user.token, job_id, poll_seconds=POLL_SECONDS) as (
        pilot,
        screen,
        pane,
    ):
        await wait_for(pilot, lambda: pane_lines(pane) == expected, timeout=15)
        # init's provider lines are one fold; every line is still there.
        await wait_for(pilot, lambda: [f.kind for f in pane.folded] == [FoldKind.PROVIDERS])
        # The filter: only the progress lines of the cluster, then the STDERR lines hidden.
        await pilot.press("f", *"aws_eks_cluster", "enter")
        await wait_for(pilot, lambda: pane.filter_progress[2])
        kept = [line for line in expected if "aws_eks_cluster" in line.lower()]
        assert pane.filter_progress[0] == len(kept)
        assert list(pane.export_lines()) == kept
        await pilot.press("escape")
        await pilot.press("2")  # hide STDERR: the diagnostic goes
        await wait_for(pilot, lambda: pane.filter_progress[2])
        assert not any(line.startswith("Error:") for line in pane.export_lines())
        await pilot.press("2")
        assert pane.filter is None
        # The errors panel has the diagnostic; the header counts the resources.
        panel = screen.query_one(ErrorsPanel)
        await wait_for(pilot, lambda: "1 error" in str(panel.title), timeout=10)
        header = str(screen.query_one("#header").render()) + " ".join(
            str(w.render()) for w in screen.query("#header *")
        )
        assert f"/{len(RESOURCES)} resources, 1 failed" in header
        # Saving writes the log, every line, as the database holds it.
        await pilot.press("S")
        await wait_for(pilot, lambda: any("Saved the log" in n for n in notes(pilot.app)))
        (saved,) = tmp_path.glob("joblens-*.log")
        assert saved.read_text().splitlines() == expected
