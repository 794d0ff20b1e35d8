"""Cancel, Apply, Re-run and Copy id, by key and by button, in each state."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from textual.widgets import OptionList

from joblens.app import JoblensApp
from joblens.errors import ActionRejected
from joblens.screens.confirm import ConfirmScreen
from joblens.screens.job_screen import JobScreen
from joblens.screens.tendril_picker import ANY_AVAILABLE, TendrilPicker
from joblens.widgets.banner import StatusBanner
from support.demo import StaticWorld
from support.views import notes, opened
from support.waiting import wait_for


@pytest.mark.parametrize("status", ["QUEUED", "CLAIMED", "PROCESSING"])
async def test_cancel_asks_first_then_cancels(static_world: StaticWorld, status: str) -> None:
    job_id = static_world.job(status=status)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        question = str(pilot.app.screen.query_one("#dialog-question").render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.job.status == "CANCELLED")
        row = static_world.store.jobs[job_id]
        assert row["status"] == "CANCELLED"
        assert row["error_message"] == "Cancelled by user"
        assert row["completed_at"] is not None
        assert str(screen.query_one(StatusBanner).render()) == "⊘ Cancelled by user"
        # A Tendril that has the job may carry on; a queued job has none (it waited, too).
        said = "before any Tendril claimed it" if status == "QUEUED" else "keeps watching"
        may_carry_on = "a Tendril already running it may carry on" in question
        assert may_carry_on == (status != "QUEUED"), question
        # App.notify posts a message: the note lands a moment after the status.
        await wait_for(pilot, lambda: any(said in n for n in notes(pilot.app)))
        duration = str(screen.query_one("#duration").render())
        assert duration.startswith("waited " if status == "QUEUED" else "took "), duration


async def test_declining_the_cancel_changes_nothing(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobScreen))
        await pilot.pause(0.2)
        assert static_world.store.jobs[job_id]["status"] == "PROCESSING"


async def test_cancel_button_does_what_the_key_does(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.click("#action-cancel")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.job.status == "CANCELLED")


async def test_pressing_cancel_twice_sends_one_request(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    calls: list[str] = []
    original = static_world.backend.cancel_job
    release = asyncio.Event()

    async def slow_cancel(jid: str) -> bool:
        calls.append(jid)
        await release.wait()
        return await original(jid)

    static_world.backend.cancel_job = slow_cancel  # type: ignore[method-assign, assignment]
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(calls) == 1)
        await pilot.press("c", "c")
        await pilot.pause(0.2)
        assert isinstance(pilot.app.screen, JobScreen)  # no second confirmation opened
        assert any("already in progress" in n for n in notes(pilot.app))
        release.set()
        await wait_for(pilot, lambda: screen.job.status == "CANCELLED")
        assert calls == [job_id]


async def test_cancel_of_a_job_that_just_finished_says_so(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        static_world.set(job_id, status="SUCCESS")  # the Tendril finished meanwhile
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("already finished" in n for n in notes(pilot.app)))
        await wait_for(pilot, lambda: screen.job.status == "SUCCESS")
        assert static_world.store.jobs[job_id]["status"] == "SUCCESS"


async def test_cancel_is_not_offered_once_the_job_has_finished(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        assert screen.check_action("cancel_job", ()) is False
        await pilot.press("c")
        await pilot.pause(0.1)
        assert isinstance(pilot.app.screen, JobScreen)
        assert static_world.store.jobs[job_id]["status"] == "SUCCESS"


async def test_a_cancelled_job_that_comes_back_is_reported(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="CANCELLED", error_message="Cancelled by user")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        static_world.set(job_id, status="PROCESSING", error_message=None, completed_at=None)
        await wait_for(pilot, lambda: screen.job.status == "PROCESSING")
        await wait_for(
            pilot, lambda: any("kept running after the cancel" in n for n in notes(pilot.app))
        )
        assert not screen.query_one(StatusBanner).display
        static_world.set(job_id, status="SUCCESS")
        await wait_for(pilot, lambda: screen.job.status == "SUCCESS")
        assert "finished after it was cancelled" in str(screen.query_one(StatusBanner).render())


async def test_apply_preselects_the_default_tendril_and_opens_the_deploy(
    static_world: StaticWorld,
) -> None:
    plan_id = static_world.job(status="SUCCESS", configuration_hash="abc123")
    async with static_world.app(plan_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TendrilPicker))
        options = pilot.app.screen.query_one(OptionList)
        highlighted = options.get_option_at_index(options.highlighted or 0)
        assert highlighted.id == static_world.world.default_tendril_id
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(pilot.app.screen, JobScreen) and pilot.app.screen is not screen,
        )
        deploy = pilot.app.screen.job  # type: ignore[attr-defined]
        assert deploy.job_type == "DEPLOY" and deploy.plan_job_id == plan_id
        row = static_world.store.jobs[deploy.id]
        plan = static_world.store.jobs[plan_id]
        assert row["status"] == "QUEUED"
        assert row["assigned_worker_id"] == static_world.world.default_tendril_id
        for key in (
            "vine_id",
            "vineyard_id",
            "cloud_identity_id",
            "config_snapshot",
            "configuration_hash",
        ):
            assert row[key] == plan[key], key
        await pilot.press("escape")  # back to the plan
        await wait_for(pilot, lambda: pilot.app.screen is screen)


async def test_apply_picker_lets_only_live_tendrils_be_chosen(static_world: StaticWorld) -> None:
    plan_id = static_world.job(status="SUCCESS")
    async with static_world.app(plan_id).run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TendrilPicker))
        options = pilot.app.screen.query_one(OptionList)
        rows = [options.get_option_at_index(i) for i in range(options.option_count)]
        assert rows[0].id == ANY_AVAILABLE and not rows[0].disabled
        tendrils = {t.id: t for t in await static_world.backend.list_tendrils()}
        assert {r.id for r in rows[1:]} == set(tendrils)
        for row in rows[1:]:
            assert row.disabled == (not tendrils[row.id or ""].is_live())
        assert any(r.disabled for r in rows) and sum(not r.disabled for r in rows) >= 2


async def test_apply_on_any_available_leaves_the_tendril_unassigned(
    static_world: StaticWorld,
) -> None:
    plan_id = static_world.job(status="SUCCESS")
    async with static_world.app(plan_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TendrilPicker))
        await pilot.press("home", "enter")
        await wait_for(
            pilot,
            lambda: pilot.app.screen is not screen and isinstance(pilot.app.screen, JobScreen),
        )
        deploy = pilot.app.screen.job  # type: ignore[attr-defined]
        assert static_world.store.jobs[deploy.id]["assigned_worker_id"] is None


async def test_backing_out_of_the_picker_creates_nothing(static_world: StaticWorld) -> None:
    plan_id = static_world.job(status="SUCCESS")
    before = set(static_world.store.jobs)
    async with static_world.app(plan_id).run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TendrilPicker))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobScreen))
        await pilot.pause(0.1)
    assert set(static_world.store.jobs) == before


async def test_apply_is_only_for_a_successful_plan(static_world: StaticWorld) -> None:
    for fields in ({"status": "FAILED"}, {"job_type": "DEPLOY", "status": "SUCCESS"}):
        job_id = static_world.job(**fields)
        async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
            screen = await opened(pilot)
            assert screen.check_action("apply_plan", ()) is False


@pytest.mark.parametrize("status", ["SUCCESS", "FAILED", "CANCELLED"])
async def test_rerun_queues_the_same_configuration_and_opens_it(
    static_world: StaticWorld, status: str
) -> None:
    job_id = static_world.job(job_type="DEPLOY", status=status, plan_job_id=None)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: pilot.app.screen is not screen and isinstance(pilot.app.screen, JobScreen),
        )
        new = static_world.store.jobs[pilot.app.screen.job.id]  # type: ignore[attr-defined]
        old = static_world.store.jobs[job_id]
        assert new["status"] == "QUEUED" and new["id"] != job_id
        for key in ("job_type", "config_snapshot", "cloud_identity_id", "vineyard_id", "vine_id"):
            assert new[key] == old[key], key


async def test_rerun_is_not_offered_while_running(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="PROCESSING")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        assert screen.check_action("rerun_job", ()) is False


async def test_a_failed_action_says_why(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="FAILED")

    async def refused(job: object) -> object:
        raise ActionRejected("re-run refused: you may not create jobs in this vineyard")

    static_world.backend.rerun_job = refused  # type: ignore[method-assign,assignment]
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("refused" in n for n in notes(pilot.app)))
        assert pilot.app.screen is screen


async def test_copy_id_puts_the_full_id_on_the_clipboard_and_says_so(
    static_world: StaticWorld, no_system_clipboard: list[str]
) -> None:
    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert no_system_clipboard == [job_id]
        assert any(job_id in n and "clipboard" in n for n in notes(pilot.app))


async def test_copy_id_falls_back_to_osc52_without_a_system_clipboard(
    static_world: StaticWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyperclip

    def no_clipboard(text: str) -> None:
        raise pyperclip.PyperclipException("could not find a copy/paste mechanism")

    monkeypatch.setattr(pyperclip, "copy", no_clipboard)
    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert pilot.app.clipboard == job_id
        assert any("OSC 52" in n for n in notes(pilot.app))


async def test_command_palette_offers_the_actions_available_now(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(status="SUCCESS")
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        titles = [c.title for c in pilot.app.get_system_commands(screen)]
        assert {"Apply plan", "Re-run job", "Copy job id"} <= set(titles)
        assert "Cancel job" not in titles


async def test_going_back_while_a_poll_is_in_flight_is_harmless(
    static_world: StaticWorld,
) -> None:
    plan_id = static_world.job(status="SUCCESS")
    original = static_world.backend.get_job_state

    async def slow_state(job_id: str) -> object:
        if job_id != plan_id:
            await asyncio.sleep(0.3)
        return await original(job_id)

    static_world.backend.get_job_state = slow_state  # type: ignore[method-assign,assignment]
    async with static_world.app(plan_id).run_test(size=(120, 40)) as pilot:
        plan_screen = await opened(pilot)
        deploy = await static_world.backend.apply_plan(plan_screen.job, None)
        cast(JoblensApp, pilot.app).open_job(deploy)
        await wait_for(pilot, lambda: pilot.app.screen is not plan_screen)
        await pilot.pause(0.15)  # the deploy's first poll is now waiting on the server
        static_world.set(deploy.id, status="PROCESSING")
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is plan_screen)
        await pilot.pause(0.6)
        assert pilot.app.is_running and pilot.app.screen is plan_screen
