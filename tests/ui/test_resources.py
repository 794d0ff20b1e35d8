"""An apply's resources in the view: ``N/M resources`` in the header as the log streams, the
Resources panel (R) with each resource's state, and a failed resource in red."""

from __future__ import annotations

import re

from rich.text import Text
from textual.widgets import Static

from joblens.backends.demo import DemoBackend
from joblens.plan_digest import read_metadata
from joblens.screens.job_screen import JobScreen
from joblens.widgets.resources import ResourceProgress, ResourcesPanel
from support.demo import StaticWorld
from support.views import QUICK_POLL, make_app, opened
from support.waiting import wait_for

PROGRESS = re.compile(r"(\d+)/(\d+|\?) resources(?:, (\d+) failed)?")


def progress(screen: JobScreen) -> str:
    widget = screen.query_one(ResourceProgress)
    return str(widget.render()) if widget.display else ""


def panel_text(screen: JobScreen) -> Text:
    content = screen.query_one("#resources-body", Static).content
    assert isinstance(content, Text)
    return content


def row_of(text: Text, address: str) -> str:
    return next(line for line in text.plain.splitlines() if f" {address} " in f"{line} ")


def styles_of(text: Text, part: str) -> set[str]:
    start = text.plain.index(part)
    return {str(span.style) for span in text.spans if span.start <= start < span.end}


async def test_a_failing_demo_deploy_counts_its_resources_and_marks_the_failed_one() -> None:
    backend = DemoBackend(speed=40.0, seed=7)
    job_id = backend.start_scenario("deploy-fail")
    plan = backend.store.jobs[backend.store.jobs[job_id]["plan_job_id"]]
    counts = read_metadata(plan["execution_metadata"]).counts  # type: ignore[union-attr]
    assert counts is not None
    total = counts.add + counts.change + counts.destroy
    async with make_app(backend, job_id, poll_seconds=QUICK_POLL).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        seen: list[str] = []
        while screen.job.status != "FAILED":  # the header, sampled as the apply runs
            if progress(screen) and progress(screen) not in seen:
                seen.append(progress(screen))
            await pilot.pause(0.02)
        failed = backend.store.jobs[job_id]["execution_metadata"]["failed_resource"]
        await wait_for(pilot, lambda: progress(screen).endswith(", 1 failed"), timeout=10)
        seen.append(progress(screen))
        # N/M with M the saved plan's total, N growing to the failure.
        figures = [PROGRESS.fullmatch(text) for text in seen]
        assert all(figures), seen
        done = [int(found[1]) for found in figures if found]
        assert {found[2] for found in figures if found} == {str(total)}
        assert len(set(done)) >= 2 and done == sorted(done) and done[-1] < total

        # R: one row per resource, the failed one red with ✗.
        assert screen.check_action("toggle_panel", ("resources",))
        await pilot.press("R")
        panel = screen.query_one("#resources", ResourcesPanel)
        await wait_for(pilot, lambda: not panel.collapsed and failed in panel_text(screen).plain)
        body = panel_text(screen)
        assert body.plain.startswith(progress(screen))
        row = row_of(body, failed)
        assert row.startswith("✗ create ")
        assert "bold red" in styles_of(body, "✗") and "red" in styles_of(body, failed)
        assert row_of(body, "module.vpc.aws_vpc.this").startswith("✓ ")
        assert "pending" in body.plain.splitlines()[0]  # what the failure left undone
        assert "Show the resources" in [c.title for c in pilot.app.get_system_commands(screen)]
        await pilot.press("R")
        await wait_for(pilot, lambda: panel.collapsed)


async def test_resources_and_their_ids_are_plain_text(static_world: StaticWorld) -> None:
    address = 'aws_s3_bucket.b["[bold]x[/bold] [@click=app.quit]y[/]"]'
    job_id = static_world.job(job_type="DEPLOY", status="PROCESSING")
    static_world.logs(
        job_id,
        (
            f"{address}: Creating...\n{address}: Creation complete after 2s [id=[red]z[/]]\n"
            "aws_instance.web: Creating...\naws_instance.web: Still creating... [10s elapsed]\n",
            "STDOUT",
        ),
    )
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: progress(screen) == "1/? resources")
        await pilot.press("R")
        await wait_for(pilot, lambda: address in panel_text(screen).plain)
        body = panel_text(screen)
        assert row_of(body, address) == f"✓ create      2s  {address}  [red]z[/]"
        assert row_of(body, "aws_instance.web") == "▶ create     10s  aws_instance.web"


async def test_only_jobs_that_apply_show_resources(static_world: StaticWorld) -> None:
    plan_id = static_world.job(status="SUCCESS")
    static_world.logs(plan_id, ("aws_instance.web: Creating...\n", "STDOUT"))
    worker_id = static_world.job(job_type="DEPLOY_WORKER", status="PROCESSING")
    async with static_world.app(plan_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        assert screen.resource_tracker is None and not screen.query(ResourcesPanel)
        assert not screen.check_action("toggle_panel", ("resources",))
    async with static_world.app(worker_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        panel = screen.query_one("#resources", ResourcesPanel)
        assert not panel.display and not screen.check_action("toggle_panel", ("resources",))
        titles = [c.title for c in pilot.app.get_system_commands(screen)]
        assert "Show the resources" not in titles
        # Its log turns out to apply something: the panel and R are there.
        static_world.logs(
            worker_id,
            (
                "Plan: 1 to add, 0 to change, 0 to destroy.\nhelm_release.tendril: Creating...\n",
                "STDOUT",
            ),
        )
        await wait_for(pilot, lambda: progress(screen) == "0/1 resources")
        assert panel.display and screen.check_action("toggle_panel", ("resources",))
