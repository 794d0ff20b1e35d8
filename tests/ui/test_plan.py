"""A PLAN's digest in the view: the header's figures, the Plan panel (p), and Apply's questions
(the plan destroys something; DEPLOY jobs already apply it)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Static

from joblens.backends.demo import DemoBackend
from joblens.json_doc import JsonDoc
from joblens.plan_digest import PlanDigest, format_money
from joblens.screens.confirm import ConfirmScreen
from joblens.screens.job_screen import JobScreen
from joblens.screens.tendril_picker import TendrilPicker
from joblens.widgets.log import LogPane
from joblens.widgets.plan import PlanPanel, plan_body, plan_figures
from support.demo import StaticWorld
from support.views import QUICK_POLL, make_app, notes, opened, pane_lines
from support.waiting import wait_for

#: A colourless plan as the runner stores it, cut mid-line between rows.
PLAN_HEAD = (
    "OpenTofu will perform the following actions:\n\n"
    "  # aws_iam_role.nodes will be updated in-place\n"
    '  ~ resource "aws_iam_role" "nodes" {\n'
    "    }\n\n"
    "  # aws_instance.bastion will be destroyed\n"
    '  - resource "aws_instance" "bastion" {\n'
    "    }\n\n"
    "  # module.eks.aws_launch_template.nodes must be repl"
)
PLAN_TAIL = (
    "aced\n"
    '-/+ resource "aws_launch_template" "nodes" {\n'
    "    }\n\n"
    "  # module.vpc.aws_subnet.private[0] will be created\n"
    '  + resource "aws_subnet" "private" {\n'
    "    }\n\n"
    "Plan: 2 to add, 1 to change, 2 to destroy.\n"
)


def figures(screen: JobScreen) -> str:
    widget = screen.query_one("#plan-figures", Static)
    return str(widget.render()) if widget.display else ""


def plan_text(screen: JobScreen) -> Text:
    content = screen.query_one("#plan-body", Static).content
    assert isinstance(content, Text)
    return content


def styles_of(text: Text, part: str) -> set[str]:
    """The styles of the spans that cover ``part`` of ``text``."""
    start = text.plain.index(part)
    return {str(span.style) for span in text.spans if span.start <= start and span.end > start}


async def confirm_question(pilot: Pilot[Any]) -> tuple[str, str]:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    dialog = pilot.app.screen
    title = str(dialog.query_one("#dialog-title", Static).render())
    return title, str(dialog.query_one("#dialog-question", Static).render())


# -- the demo's plan --------------------------------------------------------------------------


async def test_the_demo_plan_shows_its_figures_panel_and_asks_before_destroying() -> None:
    backend = DemoBackend(speed=400.0, seed=3)
    job_id = backend.start_scenario("plan")
    async with make_app(backend, job_id, poll_seconds=QUICK_POLL).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: screen.job.status == "SUCCESS", timeout=20)
        metadata = backend.store.jobs[job_id]["execution_metadata"]
        log = "".join(row["log_chunk"] for row in backend.store.log_rows(job_id))
        plan_line = re.search(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy", log)
        assert plan_line is not None
        add, change, destroy = map(int, plan_line.groups())
        changes = metadata["plan_result"]["resource_changes"]
        replace = sum(1 for c in changes if c["change"]["actions"] == ["delete", "create"])
        costs = metadata["cost_breakdown"]
        total = format_money(Decimal(costs["totalMonthlyCost"]))
        diff = format_money(Decimal(costs["diffTotalMonthlyCost"]), signed=True)
        expected = f"+{add} ~{change} -{destroy} ±{replace}  {total}/mo ({diff})"
        await wait_for(pilot, lambda: figures(screen) == expected)

        # p: the resources by action and module, the destroys and replacements in red.
        await pilot.press("p")
        panel = screen.query_one("#plan", PlanPanel)
        await wait_for(pilot, lambda: not panel.collapsed and "To destroy" in plan_text(screen))
        body = plan_text(screen)
        assert body.plain.startswith(
            f"Plan: {add} to add, {change} to change, {destroy} to destroy "
            f"({replace} replaced: destroyed and created again)  (from the plan's JSON)"
        )
        assert "  aws_instance.legacy_jumpbox" in body.plain
        assert "bold red" in styles_of(body, "aws_instance.legacy_jumpbox")
        assert "\n  module.eks\n    aws_launch_template.nodes  (destroy, then create again)" in (
            body.plain
        )
        assert "bold red" in styles_of(body, "aws_launch_template.nodes")
        assert "bold red" not in styles_of(body, "helm_release.argocd")
        assert body.plain.index("To destroy") < body.plain.index("To replace")
        assert body.plain.index("To replace") < body.plain.index("To add")

        # Apply asks first, naming what the plan destroys; backing out creates nothing.
        jobs_before = set(backend.store.jobs)
        await pilot.press("a")
        title, question = await confirm_question(pilot)
        assert title == "This plan destroys resources"
        assert question.startswith(
            f"Applying plan #{job_id[:8]} destroys {destroy} resources "
            f"({replace} of them replaced: created again):\n"
        )
        assert "  destroy  aws_instance.legacy_jumpbox\n" in question
        assert "  replace  module.eks.aws_launch_template.nodes\n" in question
        assert question.endswith("Apply it anyway?")
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        await pilot.pause(0.1)
        assert set(backend.store.jobs) == jobs_before

        # Confirmed: the Tendril picker, then the DEPLOY.
        await pilot.press("a")
        await confirm_question(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TendrilPicker))
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                pilot.app.screen is not screen and not isinstance(pilot.app.screen, TendrilPicker)
            ),
        )
        deploy = pilot.app.screen.job  # type: ignore[attr-defined]
        assert deploy.job_type == "DEPLOY" and deploy.plan_job_id == job_id


# -- streaming, and what a plan's log alone says -----------------------------------------------


async def test_the_figures_follow_the_log_as_it_streams(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    static_world.logs(job_id, (PLAN_HEAD, "STDOUT"))
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        # Two headers are whole; the third line is still being written.
        await wait_for(pilot, lambda: figures(screen) == "+0 ~1 -1 ±0")
        await pilot.press("p")
        await wait_for(pilot, lambda: "aws_instance.bastion" in plan_text(screen).plain)
        assert plan_text(screen).plain.startswith("Plan: 0 to add, 1 to change, 1 to destroy")

        static_world.logs(job_id, (PLAN_TAIL, "STDOUT"))
        await wait_for(pilot, lambda: figures(screen) == "+2 ~1 -2 ±1")
        await wait_for(pilot, lambda: "aws_subnet.private[0]" in plan_text(screen).plain)
        assert "(from the log)" in plan_text(screen).plain
        # The log on screen is the log as written: reading it changed nothing.
        assert pane_lines(screen.query_one(LogPane)) == (PLAN_HEAD + PLAN_TAIL).splitlines()

        # The runner's metadata, once merged, wins; costs come with it.
        static_world.set(
            job_id,
            execution_metadata={
                "plan_result": {
                    "resource_changes": [
                        {"address": "aws_iam_role.nodes", "change": {"actions": ["update"]}}
                    ]
                },
                "cost_summary": {"total_monthly": 73.5, "diff_monthly": -12},
            },
        )
        await wait_for(pilot, lambda: figures(screen) == "+0 ~1 -0 ±0  $73.50/mo (-$12.00)")
        await wait_for(pilot, lambda: "(from the plan's JSON)" in plan_text(screen).plain)


async def test_untrusted_addresses_stay_plain_text(static_world: StaticWorld) -> None:
    address = 'aws_s3_bucket.b["[bold]x[/bold] [@click=app.quit]y[/]"]'
    job_id = static_world.job(status="SUCCESS")
    static_world.logs(
        job_id,
        (
            f"  # {address} will be destroyed\nPlan: 0 to add, 0 to change, 1 to destroy.\n",
            "STDOUT",
        ),
    )
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: figures(screen) == "+0 ~0 -1 ±0")
        await pilot.press("p")
        await wait_for(pilot, lambda: address in plan_text(screen).plain)
        await pilot.press("a")
        _title, question = await confirm_question(pilot)
        assert f"  destroy  {address}\n" in question
        await pilot.press("escape")


async def test_a_plan_without_changes_and_a_job_that_is_no_plan(static_world: StaticWorld) -> None:
    plan_id = static_world.job(status="SUCCESS")
    static_world.logs(
        plan_id, ("No changes. Your infrastructure matches the configuration.\n", "STDOUT")
    )
    deploy_id = static_world.job(job_type="DEPLOY", status="SUCCESS")
    static_world.logs(deploy_id, (PLAN_HEAD + PLAN_TAIL, "STDOUT"))
    async with static_world.app(plan_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: figures(screen) == "no changes")
        await pilot.press("a")  # nothing destroyed: straight to the picker
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TendrilPicker))
    async with static_world.app(deploy_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: screen.query_one(LogPane).line_count > 10)
        assert figures(screen) == "" and not screen.query(PlanPanel)
        assert screen.check_action("toggle_panel", ("plan",)) is False


# -- Apply on a plan that DEPLOY jobs already apply ----------------------------------------------


async def test_apply_says_first_which_deploys_already_applied_the_plan(
    static_world: StaticWorld,
) -> None:
    plan_id = static_world.job(status="SUCCESS")
    static_world.logs(plan_id, (PLAN_HEAD + PLAN_TAIL, "STDOUT"))
    deploy_id = static_world.job(job_type="DEPLOY", status="SUCCESS", plan_job_id=plan_id)
    async with static_world.app(plan_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: screen.deploys is not None and len(screen.deploys) == 1)
        await pilot.press("a")
        title, question = await confirm_question(pilot)
        assert title == "Apply this plan again?"
        assert question == (
            f"Plan #{plan_id[:8]} was already applied by DEPLOY #{deploy_id[:8]} (SUCCESS) "
            "— apply again?"
        )
        await pilot.press("enter")
        title, _question = await confirm_question(pilot)  # then what it destroys
        assert title == "This plan destroys resources"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TendrilPicker))
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is screen)

        # The panel names the DEPLOY; o and the palette open it.
        await pilot.press("p")
        await wait_for(pilot, lambda: f"DEPLOY #{deploy_id[:8]} SUCCESS" in plan_text(screen).plain)
        titles = [c.title for c in pilot.app.get_system_commands(screen)]
        assert f"Open DEPLOY #{deploy_id[:8]}" in titles and "Show the plan" in titles
        await pilot.press("o")
        await wait_for(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, JobScreen) and pilot.app.screen.job.id == deploy_id
            ),
        )


async def test_declining_to_apply_again_creates_nothing(static_world: StaticWorld) -> None:
    plan_id = static_world.job(status="SUCCESS")
    static_world.job(job_type="DEPLOY", status="PROCESSING", plan_job_id=plan_id)
    static_world.job(job_type="DEPLOY", status="FAILED", plan_job_id=plan_id)
    before = set(static_world.store.jobs)
    async with static_world.app(plan_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("a")
        _title, question = await confirm_question(pilot)
        assert question.startswith(f"Plan #{plan_id[:8]} is already being applied by DEPLOY #")
        assert question.count("DEPLOY #") == 2
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        await pilot.pause(0.1)
    assert set(static_world.store.jobs) == before


async def test_many_destroys_are_named_the_first_few_and_counted(
    static_world: StaticWorld,
) -> None:
    changes = [
        {"address": f"aws_instance.old[{i}]", "change": {"actions": ["delete"]}} for i in range(8)
    ]
    plan_id = static_world.job(
        status="SUCCESS", execution_metadata={"plan_result": {"resource_changes": changes}}
    )
    async with static_world.app(plan_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await wait_for(pilot, lambda: figures(screen) == "+0 ~0 -8 ±0")
        await pilot.press("a")
        _title, question = await confirm_question(pilot)
        named = [line for line in question.splitlines() if line.startswith("  destroy  ")]
        assert named == [f"  destroy  aws_instance.old[{i}]" for i in range(5)]
        assert "\n  and 3 more\n" in question
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        assert not notes(pilot.app) or all("failed" not in n for n in notes(pilot.app))


async def test_large_metadata_is_read_off_the_event_loop(static_world: StaticWorld) -> None:
    """Metadata over 256 KB is a JsonDoc in the model: read in a thread, then shown."""
    changes = [
        {
            "address": f"module.fleet.aws_instance.web[{i}]",
            "module_address": "module.fleet",
            "change": {"actions": ["delete"] if i < 3 else ["create"], "after": {"x": "y" * 900}},
        }
        for i in range(400)
    ]
    metadata = {
        "plan_result": {"resource_changes": changes},
        "cost_breakdown": {
            "currency": "USD",
            "totalMonthlyCost": "10",
            "diffTotalMonthlyCost": "4",
        },
    }
    plan_id = static_world.job(status="SUCCESS", execution_metadata=JsonDoc.from_value(metadata))
    static_world.logs(plan_id, (PLAN_HEAD + PLAN_TAIL, "STDOUT"))  # says otherwise: not read
    async with static_world.app(plan_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        assert isinstance(screen.job.execution_metadata, JsonDoc)
        await wait_for(pilot, lambda: figures(screen) == "+397 ~0 -3 ±0  $10.00/mo (+$4.00)")
        assert screen.plan_digest is not None and not screen.plan_digest.needs_log
        await pilot.press("p")
        await wait_for(pilot, lambda: "module.fleet" in plan_text(screen).plain)
        assert "(from the plan's JSON)" in plan_text(screen).plain


def test_a_long_plan_lists_the_destroys_first_then_says_how_many_more() -> None:
    digest = PlanDigest()
    digest.feed(
        "".join(f"  # module.m.aws_instance.new[{i}] will be created\n" for i in range(10))
        + "  # aws_instance.old will be destroyed\n"
    )
    body = plan_body(digest.summary(), limit=4).plain
    assert body.index("To destroy (1)\n  aws_instance.old") < body.index("To add (10)")
    assert body.count("aws_instance.new[") == 3
    assert body.endswith("\n\n… and 7 more")
    assert plan_figures(digest.summary()).plain == "+10 ~0 -1 ±0"
