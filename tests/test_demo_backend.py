"""The demo backend's scenarios: what `joblens demo` shows, run at high speed.

The demo writes what real runners write: OpenTofu's output without colour (``-no-color``), in
rows cut wherever the runner's flush fell (often mid-line), streams interleaved. So text is
checked per stream, with the stream's rows joined, never row by row.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joblens.backends.base import LiveStarted
from joblens.backends.demo import DemoBackend
from joblens.backends.demo.terraform import Fate, JobContext, Script, build_script
from joblens.backends.demo.terraform.script import DEMO_STEP
from joblens.backends.demo.world import config_snapshot
from joblens.feed import LogFeed
from joblens.models import Job, JobStatus, JobType, LogChunk, StreamType, TendrilStatus
from joblens.runner_log import MAX_ROW_BYTES

#: A guard against hangs only: a scenario at these speeds ends well within a second or two.
HANG = 30.0
FAST = 400.0
SGR = re.compile(r"\x1b\[[0-9;]*m")
SUMMARY = re.compile(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\.")
APPLIED = re.compile(r"Apply complete! Resources: (\d+) added, (\d+) changed, (\d+) destroyed\.")


@pytest.fixture
async def demo() -> AsyncIterator[DemoBackend]:
    backend = DemoBackend(speed=FAST, seed=11)
    yield backend
    await backend.close()


async def settle(backend: DemoBackend, job_id: str) -> Job:
    """The job once it is terminal and no simulated Tendril works on it any more."""
    async with asyncio.timeout(HANG):
        while True:
            state = await backend.get_job_state(job_id)
            if state.is_terminal and job_id not in backend.running_job_ids:
                return await backend.get_job(job_id)
            await asyncio.sleep(0.005)


async def all_logs(backend: DemoBackend, job_id: str) -> list[LogChunk]:
    return await backend.fetch_logs(job_id, limit=100_000)


def plain(chunks: list[LogChunk], stream: str | None = None) -> str:
    """A stream's text: its rows joined (rows end mid-line), without colour codes.

    Without ``stream`` every row is joined in id order: only for counting, as the streams'
    rows interleave mid-line.
    """
    return "".join(SGR.sub("", c.text) for c in chunks if stream is None or c.stream == stream)


def assert_cut_like_a_runner(logs: list[LogChunk]) -> None:
    """Rows as a real runner sends them: none over 10 KB, some ending mid-line."""
    assert all(0 < len(c.text.encode()) <= MAX_ROW_BYTES for c in logs)
    assert any(not c.text.endswith("\n") for c in logs)


async def test_the_plan_scenario_succeeds_with_terraform_output(demo: DemoBackend) -> None:
    job_id = demo.start_scenario("plan")
    assert (await demo.get_job(job_id)).status is JobStatus.QUEUED
    await demo.connect()

    job = await settle(demo, job_id)
    logs = await all_logs(demo, job_id)

    assert job.job_type is JobType.PLAN and job.status is JobStatus.SUCCESS
    assert job.worker_name == job.assigned_worker_name == "tendril-eu-west-1"
    assert job.claimed_at and job.started_at and job.completed_at and job.created_at
    assert job.created_at <= job.claimed_at <= job.started_at <= job.completed_at
    assert (job.vine_name, job.vine_stage, job.vineyard_name) == (
        "acme-platform",
        "staging",
        "Acme Platform",
    )
    stdout = plain(logs, StreamType.STDOUT)
    assert "OpenTofu has been successfully initialized!\n" in stdout
    assert "Refreshing state..." in stdout
    assert "OpenTofu will perform the following actions:\n" in stdout
    assert SUMMARY.search(stdout)
    assert "OVERALL TOTAL" in stdout
    # Warnings go to STDOUT, in their -no-color form; Infracost's progress to STDERR.
    assert "\nWarning: Argument is deprecated\n" in stdout
    assert "Retrieving cloud prices to calculate costs" in plain(logs, StreamType.STDERR)
    system = plain(logs, StreamType.SYSTEM)
    assert system.startswith(
        "▸ Job claimed — preparing workspace…\n▸ Assuming IAM role arn:aws:iam::"
    )
    for line in ("▸ Running tofu init\n", "▸ Running tofu plan\n", "▸ Uploading plan file\n"):
        assert line in system
    assert system.endswith("▸ Job finished — SUCCESS\n")
    assert not any("\x1b" in c.text for c in logs)  # -no-color: no escape codes at all
    assert any(c.text.count("\n") > 3 for c in logs)  # rows are multi-line flushes
    assert_cut_like_a_runner(logs)
    streams = [c.stream for c in logs]
    switches = sum(a != b for a, b in itertools.pairwise(streams))
    assert switches >= 6  # SYSTEM, STDOUT and STDERR rows interleave


async def test_the_plan_metadata_agrees_with_its_printed_summary(demo: DemoBackend) -> None:
    job_id = demo.start_scenario("plan")
    await demo.connect()
    job = await settle(demo, job_id)
    found = SUMMARY.search(plain(await all_logs(demo, job_id), StreamType.STDOUT))
    assert found is not None
    meta = job.execution_metadata

    actions = [rc["change"]["actions"] for rc in meta["plan_result"]["resource_changes"]]
    add = sum("create" in a for a in actions)
    change = sum(a == ["update"] for a in actions)
    destroy = sum("delete" in a for a in actions)
    assert (add, change, destroy) == tuple(int(n) for n in found.groups())
    assert ["delete", "create"] in actions and ["update"] in actions
    assert meta["plan_completed"] is True
    assert (meta["phase"], meta["progress"]) == ("completed", 100)
    assert meta["plan_file_key"].endswith(f"{job_id}.tfplan")
    breakdown, summary = meta["cost_breakdown"], meta["cost_summary"]
    assert breakdown["currency"] == "USD" and isinstance(breakdown["totalMonthlyCost"], str)
    assert summary["total_monthly"] == pytest.approx(float(breakdown["totalMonthlyCost"]))
    assert summary["total_resources"] == summary["resources_with_cost"] + summary["resources_free"]
    assert "db_master_password" in job.config_snapshot["variables"]


async def test_the_deploy_fail_scenario_fails_with_an_eks_error(demo: DemoBackend) -> None:
    job_id = demo.start_scenario("deploy-fail")
    await demo.connect()

    job = await settle(demo, job_id)
    logs = await all_logs(demo, job_id)

    assert job.job_type is JobType.DEPLOY and job.status is JobStatus.FAILED
    assert job.error_message is not None
    assert job.error_message.startswith("Error: creating EKS Node Group")
    assert "Error: creating EKS Node Group" in plain(logs, StreamType.STDERR)
    assert "Still creating..." in plain(logs, StreamType.STDOUT)
    assert "Apply complete!" not in plain(logs)
    plan = await demo.get_job(job.plan_job_id or "")
    assert (plan.job_type, plan.status) == (JobType.PLAN, JobStatus.SUCCESS)
    assert plan.config_snapshot == job.config_snapshot
    assert await all_logs(demo, plan.id)  # the earlier PLAN's output is there to read


async def test_the_long_scenario_writes_hundreds_of_lines_of_progress(demo: DemoBackend) -> None:
    job_id = demo.start_scenario("long")
    await demo.connect()

    job = await settle(demo, job_id)
    logs = await all_logs(demo, job_id)

    assert job.status is JobStatus.SUCCESS
    text = plain(logs, StreamType.STDOUT)
    assert text.count("\n") > 300
    assert re.search(r"aws_instance\.web\[3\]: Still creating\.\.\. \[\d+s elapsed\]", text)
    assert len(logs) > 80
    assert_cut_like_a_runner(logs)


async def test_cancelling_stops_the_simulated_run(demo: DemoBackend) -> None:
    job_id = demo.start_scenario("long")
    await demo.connect()
    async with asyncio.timeout(HANG):
        while len(await all_logs(demo, job_id)) < 10:
            await asyncio.sleep(0.005)

    assert await demo.cancel_job(job_id) is True
    job = await settle(demo, job_id)
    logs = await all_logs(demo, job_id)

    assert job.status is JobStatus.CANCELLED
    assert job.error_message == "Cancelled by user"
    stdout = plain(logs, StreamType.STDOUT)
    assert "\nInterrupt received.\n" in stdout  # OpenTofu says so on STDOUT
    assert "Apply complete!" not in plain(logs)
    assert plain(logs, StreamType.SYSTEM).endswith("▸ Job finished — CANCELLED\n")
    # Interrupted, OpenTofu finishes the line it was writing: no stream ends mid-line.
    assert all(plain(logs, s).endswith("\n") for s in {c.stream for c in logs})
    assert await demo.cancel_job(job_id) is False


async def test_a_job_cancelled_while_queued_is_never_claimed(demo: DemoBackend) -> None:
    job_id = demo.start_scenario("plan")
    assert await demo.cancel_job(job_id) is True
    await demo.connect()

    job = await settle(demo, job_id)

    assert job.status is JobStatus.CANCELLED and job.worker_id is None
    assert await all_logs(demo, job_id) == []


async def test_applying_the_plan_runs_a_deploy_on_the_chosen_tendril(demo: DemoBackend) -> None:
    plan_id = demo.start_scenario("plan")
    await demo.connect()
    plan = await settle(demo, plan_id)
    planned = SUMMARY.search(plain(await all_logs(demo, plan_id), StreamType.STDOUT))
    cloud = next(t for t in await demo.list_tendrils() if t.name == "trellis-cloud-eu-1")

    deploy = await demo.apply_plan(plan, cloud.id)
    done = await settle(demo, deploy.id)
    logs = await all_logs(demo, deploy.id)

    assert done.status is JobStatus.SUCCESS
    assert done.worker_id == cloud.id and done.worker_name == "trellis-cloud-eu-1"
    applied = APPLIED.search(plain(logs, StreamType.STDOUT))
    assert planned and applied and applied.groups() == planned.groups()
    assert done.plan_job_id == plan_id
    assert "▸ Downloading plan file\n▸ Running tofu apply\n" in plain(logs, StreamType.SYSTEM)
    assert "OpenTofu will perform" not in plain(logs)  # a saved plan is applied, not shown
    meta = done.execution_metadata
    assert meta["cluster_name"] == "acme-platform-staging"
    assert meta["cluster_endpoint"].startswith("https://")
    assert meta["argocd_url"].startswith("https://argocd.")
    assert meta["argocd_admin_password"]
    secret = meta["outputs"]["argocd_admin_password"]
    assert secret == {"value": meta["argocd_admin_password"], "sensitive": True, "type": "string"}
    assert "argocd_admin_password = <sensitive>" in plain(logs, StreamType.STDOUT)
    assert meta["argocd_admin_password"] not in plain(logs)


async def test_rerunning_the_failed_deploy_runs_again(demo: DemoBackend) -> None:
    job_id = demo.start_scenario("deploy-fail")
    await demo.connect()
    failed = await settle(demo, job_id)

    again = await demo.rerun_job(failed)
    done = await settle(demo, again.id)

    assert done.id != failed.id and done.plan_job_id == failed.plan_job_id
    assert done.status is JobStatus.SUCCESS  # the capacity error was transient
    assert done.worker_name in ("tendril-eu-west-1", "trellis-cloud-eu-1")


async def test_the_tendrils_cover_every_liveness_case(demo: DemoBackend) -> None:
    tendrils = await demo.list_tendrils()

    assert len(tendrils) == 5
    default = tendrils[0]
    assert default.is_default and default.is_live() and default.name == "tendril-eu-west-1"
    assert {t.name for t in tendrils if t.is_live()} == {"tendril-eu-west-1", "trellis-cloud-eu-1"}
    statuses = {t.status for t in tendrils}
    assert {TendrilStatus.OFFLINE, TendrilStatus.DRAINING} <= statuses
    stale = [t for t in tendrils if t.status is TendrilStatus.ONLINE and not t.is_live()]
    assert [t.name for t in stale] == ["tendril-laptop-mara"]
    assert {t.mode for t in tendrils} == {"self-hosted", "cloud-hosted"}


async def test_follow_logs_streams_a_running_job_and_unsubscribes_on_close(
    demo: DemoBackend,
) -> None:
    job_id = demo.start_scenario("plan")
    await demo.connect()
    seen: list[LogChunk] = []
    async with aclosing(demo.follow_logs(job_id)) as events:
        assert isinstance(await anext(events), LiveStarted)
        assert demo.store.subscriber_count(job_id) == 1
        async with asyncio.timeout(HANG):
            while len(seen) < 5:
                event = await anext(events)
                seen.extend(getattr(event, "chunks", ()))

    assert demo.store.subscriber_count(job_id) == 0
    ids = [c.id for c in seen]
    assert ids == sorted(ids)


async def test_a_seed_makes_the_demo_repeatable() -> None:
    runs = []
    for _ in range(2):
        backend = DemoBackend(speed=FAST, seed=5)
        job_id = backend.start_scenario("plan")
        await backend.connect()
        try:
            job = await settle(backend, job_id)
            runs.append((job_id, [c.text for c in await all_logs(backend, job_id)], job))
        finally:
            await backend.close()

    (first_id, first_logs, first), (second_id, second_logs, second) = runs
    assert first_id == second_id
    assert first_logs == second_logs
    assert first.execution_metadata == second.execution_metadata
    assert first.config_snapshot == second.config_snapshot


def test_an_unknown_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        DemoBackend(seed=1).start_scenario("nope")


async def test_a_tendril_that_ignores_cancel_writes_processing_back_and_finishes(
    demo: DemoBackend,
) -> None:
    job_id = demo.start_scenario("cancel-ignored")
    await demo.connect()
    async with asyncio.timeout(HANG):
        while len(await all_logs(demo, job_id)) < 8:
            await asyncio.sleep(0.005)

    assert await demo.cancel_job(job_id) is True
    job = await settle(demo, job_id)

    history = demo.store.status_history[job_id]
    cancelled_at = history.index("CANCELLED")
    assert "PROCESSING" in history[cancelled_at:]
    assert job.status is JobStatus.SUCCESS
    assert "Interrupt received." not in plain(await all_logs(demo, job_id))


async def test_a_tendril_that_dies_mid_apply_is_requeued_and_another_finishes_the_job(
    demo: DemoBackend,
) -> None:
    job_id = demo.start_scenario("requeued")
    requeued: list[dict[str, Any]] = []
    demo.store.on_job_queued(
        lambda jid: requeued.append(dict(demo.store.jobs[jid])) if jid == job_id else None
    )
    await demo.connect()

    job = await settle(demo, job_id)
    logs = await all_logs(demo, job_id)

    assert demo.store.status_history[job_id] == [
        "QUEUED",
        "CLAIMED",
        "PROCESSING",
        "QUEUED",
        "CLAIMED",
        "PROCESSING",
        "SUCCESS",
    ]
    # Put back exactly as recover_stale_jobs() does: the claim cleared.
    back = requeued[-1]
    assert back["status"] == "QUEUED"
    assert (back["worker_id"], back["claimed_at"], back["started_at"]) == (None, None, None)
    # Claimed again by the other Tendril, with its own claim and start.
    assert job.status is JobStatus.SUCCESS and job.worker_name is not None
    assert job.claimed_at and job.started_at and back["updated_at"] <= job.claimed_at
    claims = [i for i, c in enumerate(logs) if c.text == "▸ Job claimed — preparing workspace…\n"]
    assert len(claims) == 2
    first, second = logs[: claims[1]], logs[claims[1] :]
    # The dead runner stopped mid-apply; its last row ends mid-line, the rest of the line was
    # lost with its buffer, and nobody wrote a word about it (the platform writes no log).
    assert "Creating..." in plain(first, StreamType.STDOUT)
    assert "Apply complete!" not in plain(first)
    assert not first[-1].text.endswith("\n")
    assert "▸ Job finished" not in plain(first, StreamType.SYSTEM)
    assert APPLIED.search(plain(second, StreamType.STDOUT))
    assert plain(second, StreamType.SYSTEM).endswith("▸ Job finished — SUCCESS\n")


async def test_a_feed_over_a_flaky_realtime_stream_still_gets_every_chunk_once(
    demo: DemoBackend,
) -> None:
    job_id = demo.start_scenario("flaky-realtime")
    await demo.connect()
    received: list[LogChunk] = []
    drops: list[str] = []
    feed = LogFeed(demo, job_id, received.extend, on_link=lambda r: drops.append(r or ""))
    following = asyncio.create_task(feed.run())

    def per_stream(chunks: list[LogChunk]) -> dict[str, str]:
        texts: dict[str, str] = {}
        for c in chunks:
            texts[str(c.stream)] = texts.get(str(c.stream), "") + c.text
        return texts

    try:
        await settle(demo, job_id)
        expected = per_stream(await all_logs(demo, job_id))
        async with asyncio.timeout(HANG):
            while per_stream(received) != expected:
                await asyncio.sleep(0.005)
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)

    # Rows end mid-line, so the feed may hand them on as they complete lines: what counts is
    # that each stream's text arrived whole, once, in the log's order.
    ids = [c.id for c in received]
    assert ids == sorted(set(ids))
    assert any("realtime channel closed" in reason for reason in drops)


# The generated Terraform output, for any seed


def _plan_context(job_type: str = "PLAN", fate: Fate = "success", **kw: Any) -> JobContext:
    snapshot = config_snapshot(
        {
            "id": "v",
            "project_name": "acme",
            "environment_stage": "dev",
            "region": "eu-west-1",
            "terraform_version": "1.9.8",
        },
        random.Random(0),
    )
    return JobContext(job_id="j", job_type=job_type, fate=fate, config=snapshot, **kw)


def _merged_metadata(script: Script) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for flush in script.flushes:
        merged.update(flush.metadata or {})
    return merged


def _script_text(script: Script, stream: StreamType = StreamType.STDOUT) -> str:
    """A stream's text as its rows carry it (rows joined, colour codes removed)."""
    return "".join(SGR.sub("", text) for f in script.flushes for text, s in f.chunks if s == stream)


@settings(max_examples=40)
@given(seed=st.integers(0, 10_000))
def test_any_plan_prints_the_summary_its_metadata_implies(seed: int) -> None:
    script = build_script(_plan_context(), random.Random(seed))
    meta = _merged_metadata(script)
    found = SUMMARY.search(_script_text(script))

    actions = [rc["change"]["actions"] for rc in meta["plan_result"]["resource_changes"]]
    counts = (
        sum("create" in a for a in actions),
        sum(a == ["update"] for a in actions),
        sum("delete" in a for a in actions),
    )
    assert found is not None and tuple(int(n) for n in found.groups()) == counts
    # Watchable: a flush every 100 ms to 2 s or so of simulated time, never a long silence.
    delays = [f.delay for f in script.flushes]
    assert all(0 <= d <= 3.0 for d in delays) and 0.1 <= sum(delays) / len(delays) <= 2.0


@settings(max_examples=40)
@given(seed=st.integers(0, 10_000))
def test_applying_any_plan_completes_each_change_once_and_waits_for_dependencies(
    seed: int,
) -> None:
    plan_meta = _merged_metadata(build_script(_plan_context(), random.Random(seed)))
    changes = plan_meta["plan_result"]["resource_changes"]
    deploy = build_script(
        _plan_context("DEPLOY", plan_job_id="p", plan_metadata=plan_meta), random.Random(seed)
    )
    text = _script_text(deploy)

    assert deploy.status is JobStatus.SUCCESS
    for rc in changes:
        address, actions = rc["address"], rc["change"]["actions"]
        done = {
            ("create",): ["Creation complete"],
            ("update",): ["Modifications complete"],
            ("delete",): ["Destruction complete"],
            ("delete", "create"): ["Destruction complete", "Creation complete"],
        }[tuple(actions)]
        for word in done:
            assert text.count(f"{address}: {word} after") == 1, (address, word)
    # The node groups start only once the cluster is up.
    assert text.index("aws_eks_cluster.this: Creation complete") < text.index(
        'aws_eks_node_group.this["general"]: Creating...'
    )
    planned = SUMMARY.search(_script_text(build_script(_plan_context(), random.Random(seed))))
    applied = APPLIED.search(text)
    assert planned and applied and applied.groups() == planned.groups()


@settings(max_examples=25)
@given(
    seed=st.integers(0, 10_000),
    job_type=st.sampled_from(["PLAN", "DEPLOY", "DESTROY", "FETCH_RESOURCES", "DEPLOY_WORKER"]),
    fate=st.sampled_from(["success", "fail", "long"]),
)
def test_the_rows_of_any_script_carry_exactly_what_was_written_to_each_stream(
    seed: int, job_type: str, fate: Fate
) -> None:
    script = build_script(_plan_context(job_type, fate), random.Random(seed))

    for stream in StreamType:
        written = "".join(t for step in script.steps for t, s in step.chunks if s == stream)
        rows = [t for f in script.flushes for t, s in f.chunks if s == stream]
        assert "".join(rows) == written
        assert all(0 < len(row.encode()) <= MAX_ROW_BYTES for row in rows)
    assert not any("\x1b" in t for f in script.flushes for t, _s in f.chunks)
    assert sum(f.starts_processing for f in script.flushes) == 1
    assert _script_text(script, StreamType.SYSTEM).endswith(
        f"▸ Job finished — {script.status.value}\n"
    )


@settings(max_examples=25)
@given(seed=st.integers(0, 10_000))
def test_a_crashing_tendril_stops_mid_apply_right_after_a_row_that_ends_mid_line(
    seed: int,
) -> None:
    plain_script = build_script(_plan_context("DEPLOY", "requeued"), random.Random(seed))
    script = replace(plain_script, crash_before=plain_script.mid_apply())
    death = script.death_point()

    assert death is not None and 0 < death < len(script.flushes)
    sent = script.flushes[:death]
    assert not sent[-1].chunks[-1][0].endswith("\n")
    stdout = "".join(t for f in sent for t, s in f.chunks if s == StreamType.STDOUT)
    assert "Creating..." in stdout and "Apply complete!" not in stdout


def test_the_colour_option_writes_what_opentofu_prints_on_a_terminal() -> None:
    context = _plan_context()
    plain_script = build_script(context, random.Random(3))
    coloured = build_script(replace(context, ansi=True), random.Random(3))

    text = "".join(t for f in coloured.flushes for t, s in f.chunks if s == StreamType.STDOUT)
    for code in ("\x1b[32m+\x1b[0m", "\x1b[33m~\x1b[0m", "\x1b[31m-\x1b[0m", "\x1b[1mPlan:"):
        assert code in text
    assert "\x1b[33m╷\x1b[0m\n\x1b[33m│\x1b[0m \x1b[1m\x1b[33mWarning: " in text  # boxed
    planned, shown = (
        SUMMARY.search(_script_text(plain_script)),
        SUMMARY.search(_script_text(coloured)),
    )
    assert planned and shown and planned.groups() == shown.groups()
    assert plain_script.coloured().flushes == coloured.flushes  # the same run, in colour


async def test_a_demo_with_colour_on_writes_ansi_and_can_turn_it_off_per_scenario() -> None:
    for ansi, scenario_ansi, expected in ((True, None, True), (True, False, False)):
        backend = DemoBackend(speed=FAST, seed=2, ansi=ansi)
        job_id = backend.start_scenario("plan", ansi=scenario_ansi)
        await backend.connect()
        try:
            await settle(backend, job_id)
            logs = await all_logs(backend, job_id)
        finally:
            await backend.close()
        assert any("\x1b[" in c.text for c in logs) is expected
        assert "OpenTofu has been successfully initialized!" in plain(logs, StreamType.STDOUT)


_STEP_LINE = re.compile(
    r"^(?P<address>\S+): (?:(?P<start>Creating|Destroying|Modifying|Reading)\.\.\."
    r"|Still \w+\.\.\. \[(?:id=[^,]*, )?(?P<tick>\w+) elapsed\]"
    r"|\w+ complete after (?P<done>\w+))",
    re.M,
)


def _seconds(text: str) -> int:
    minutes, _, rest = text.rpartition("m")
    return int(minutes or 0) * 60 + int(rest.rstrip("s"))


@settings(max_examples=20)
@given(
    seed=st.integers(0, 10_000),
    job_type=st.sampled_from(["DEPLOY", "DESTROY"]),
    fate=st.sampled_from(["success", "fail", "long"]),
)
def test_the_demo_logs_elapsed_times_are_the_time_its_lines_take_to_come(
    seed: int, job_type: str, fate: Fate
) -> None:
    """At speed 1 an apply's ``[10s elapsed]`` and ``complete after 1m5s`` are the time since
    the resource's ``Creating...`` was written, within one flush: what the header's running
    time counts (issue 14: the log said 3m30s while the header said 19s)."""
    script = build_script(_plan_context(job_type, fate), random.Random(seed))
    began: dict[str, float] = {}
    at = 0.0
    checked = 0
    for step in script.steps:
        at += step.delay
        for text, stream in step.chunks:
            if stream != StreamType.STDOUT:
                continue
            for line in _STEP_LINE.finditer(text):
                address = line["address"]
                if line["start"]:
                    began[address] = at
                    continue
                said = _seconds(line["tick"] or line["done"])
                taken = at - began[address]
                assert said - DEMO_STEP <= taken <= said + DEMO_STEP, line[0]
                checked += 1
    assert checked > 0
