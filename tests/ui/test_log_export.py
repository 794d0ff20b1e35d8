"""Saving the log (S), paging it (|) and copying the lines in view (Y)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from joblens.log_export import page_lines, pager_command, save_path
from joblens.models import Job
from support.demo import StaticWorld
from support.views import notes, opened_pane
from support.waiting import wait_for

LOG = (
    ("\x1b[1maws_vpc.main: Creating...\x1b[0m\n", "STDOUT"),
    *((f"aws_subnet.s[{i}]: Refreshing state... [id=s-{i}]\n", "STDOUT") for i in range(20)),
    ("Error: creating subnet: quota exceeded\n", "STDERR"),
    ("▸ tofu apply\n", "SYSTEM"),
)
PLAIN = [
    "aws_vpc.main: Creating...",
    *(f"aws_subnet.s[{i}]: Refreshing state... [id=s-{i}]" for i in range(20)),
    "Error: creating subnet: quota exceeded",
    "▸ tofu apply",
]


async def test_S_saves_the_whole_log_as_plain_text_folds_and_all(
    static_world: StaticWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    job_id = static_world.job(status="FAILED")
    static_world.logs(job_id, *LOG)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, len(PLAIN))
        assert pane.folded  # the refreshes are one line on screen, all lines in the file
        await pilot.press("S")
        await wait_for(pilot, lambda: any("Saved the log" in n for n in notes(pilot.app)))
        (saved,) = tmp_path.glob("joblens-*.log")
        assert saved.read_text().splitlines() == PLAIN
        # With a filter, what the filter shows; a second save never replaces the first.
        await pilot.press("f", *"creat", "enter")
        await pilot.press("S")
        await wait_for(
            pilot, lambda: any("filtered lines (2 lines)" in n for n in notes(pilot.app))
        )
        second = [p for p in tmp_path.glob("joblens-*.log") if p != saved]
        assert len(second) == 1 and second[0].read_text().splitlines() == [PLAIN[0], PLAIN[21]]


async def test_Y_copies_the_lines_in_view_as_shown(
    static_world: StaticWorld, no_system_clipboard: list[str]
) -> None:
    job_id = static_world.job(status="FAILED")
    static_world.logs(job_id, *LOG)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        await opened_pane(pilot, len(PLAIN))
        await pilot.press("Y")
        await wait_for(pilot, lambda: bool(no_system_clipboard))
        lines = no_system_clipboard[-1].split("\n")
        assert lines[0] == PLAIN[0]
        assert lines[1].startswith("▸ Refreshing state: 20 lines")
        assert lines[2:] == PLAIN[21:]


def test_the_pager_gets_the_lines_and_a_missing_one_says_so(tmp_path: Path) -> None:
    out = tmp_path / "paged.txt"
    script = tmp_path / "pager.py"
    script.write_text(f"import shutil, sys\nshutil.copy(sys.argv[1], {str(out)!r})\n")
    environ = {"PAGER": f"{sys.executable} {script}"}
    assert page_lines(PLAIN, environ) is None
    assert out.read_text().splitlines() == PLAIN
    assert pager_command({}) == ["less"]
    problem = page_lines(PLAIN, {"PAGER": str(tmp_path / "no-such-pager")})
    assert problem is not None and "no-such-pager" in problem


def test_a_saved_file_never_replaces_another(tmp_path: Path) -> None:
    job = Job.from_row(
        {"id": "3f2a9c1e-1111-4222-8333-444455556666", "job_type": "PLAN", "status": "SUCCESS"}
    )
    first = save_path(job, tmp_path)
    assert first.name.startswith("joblens-3f2a9c1e-")
    first.write_text("x")
    second = save_path(job, tmp_path)
    assert second != first and second.name.endswith("-2.log")
