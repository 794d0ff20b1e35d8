"""The plan digest: what the demo generator writes, real Terraform/OpenTofu/Infracost text, and
properties (it never raises, never changes the text it reads, and reads the same whatever the
batches).

The samples in ``tests/data/plans/`` (and ``tests/data/tofu/plan.txt``) are written as the
platform's runner stores them: colourless (``-no-color``), one line per line.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import astuple, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from joblens.backends.demo.terraform import JobContext, build_script
from joblens.backends.demo.world import config_snapshot
from joblens.json_doc import JsonDoc
from joblens.lines import LineAssembler
from joblens.models import LogChunk
from joblens.plan_digest import (
    CREATE_FIRST,
    DESTROY_FIRST,
    Action,
    PlanCost,
    PlanCounts,
    PlanDigest,
    format_money,
    module_of,
)
from joblens.sanitize import carry_colour, sanitize, strip_sgr

DATA = Path(__file__).parent / "data"
PLANS = DATA / "plans"


def digest_of(text: str, **metadata: Any) -> PlanDigest:
    digest = PlanDigest()
    digest.feed(text)
    if metadata:
        digest.set_metadata(metadata)
    return digest


def shown(resources: Any) -> list[tuple[str, Action, str, str | None]]:
    """What the view shows of each resource: address, action, module, how it is replaced."""
    return [(r.address, r.action, r.module, r.replace_order) for r in resources]


def lines_of(name: str) -> list[str]:
    return (PLANS / name).read_text(encoding="utf-8").splitlines()


def plan_line_counts(text: str) -> dict[str, int]:
    """The numbers of the last ``Plan:`` line, read independently of the digest."""
    line = [ln for ln in strip_sgr(text).splitlines() if ln.startswith("Plan: ")][-1]
    return {what: int(n) for n, what in re.findall(r"(\d+) to (\w+)", line)}


# -- real samples ----------------------------------------------------------------------------


def test_a_terraform_plan_with_modules_drift_moves_and_every_kind_of_replacement() -> None:
    summary = digest_of((PLANS / "terraform_modules.txt").read_text()).summary()

    assert summary.source == "log"
    assert summary.counts == PlanCounts(add=6, change=1, destroy=5, replace=3)
    assert sorted(shown(summary.resources)) == [
        ("aws_instance.bastion", Action.CREATE, "", None),
        ("aws_instance.old", Action.DELETE, "", None),
        ("aws_instance.web (deposed object 4f1d2a3b)", Action.DELETE, "", None),
        ("aws_lb.front", Action.REPLACE, "", DESTROY_FIRST),
        ("aws_security_group.app", Action.REPLACE, "", CREATE_FIRST),
        (
            'module.apps["api.v2"].aws_cloudwatch_log_group.this',
            Action.CREATE,
            'module.apps["api.v2"]',
            None,
        ),
        (
            'module.apps["api.v2"].aws_ecs_service.this',
            Action.REPLACE,
            'module.apps["api.v2"]',
            DESTROY_FIRST,
        ),
        (
            'module.network.aws_subnet.private["eu-west-1a"]',
            Action.UPDATE,
            "module.network",
            None,
        ),
        (
            'module.network.module.nat["primary gw"].aws_nat_gateway.this[0]',
            Action.CREATE,
            'module.network.module.nat["primary gw"]',
            None,
        ),
    ]
    # Drift ("has changed", "has been deleted"), reads, moves and heredoc text are not changes.
    assert [r.address for r in summary.destructive] == [
        "aws_instance.old",
        "aws_instance.web (deposed object 4f1d2a3b)",
        "aws_lb.front",
        "aws_security_group.app",
        'module.apps["api.v2"].aws_ecs_service.this',
    ]
    groups = summary.by_action()
    assert [action for action, _modules in groups] == [
        Action.DELETE,
        Action.REPLACE,
        Action.UPDATE,
        Action.CREATE,
    ]
    creates = dict(groups[3][1])
    assert list(creates) == ["", 'module.apps["api.v2"]', 'module.network.module.nat["primary gw"]']
    assert [r.name for r in creates['module.network.module.nat["primary gw"]']] == [
        "aws_nat_gateway.this[0]"
    ]


def test_the_counts_from_headers_alone_agree_with_the_plan_line() -> None:
    """Before the Plan: line arrives the figures are the headers' (Terraform's arithmetic)."""
    text = (PLANS / "terraform_modules.txt").read_text()
    before = text[: text.index("Plan: ")]
    assert digest_of(before).summary().counts == digest_of(text).summary().counts


def test_an_opentofu_plan_that_imports_and_forgets() -> None:
    summary = digest_of((PLANS / "tofu_import_forget.txt").read_text()).summary()
    assert summary.counts == PlanCounts(add=0, change=1, destroy=0, imported=2, forget=1)
    assert [(r.address, r.action) for r in summary.resources] == [
        ("aws_iam_role.ci", Action.UPDATE),
        ("aws_s3_bucket.assets", Action.IMPORT),
        ("aws_s3_bucket.scratch", Action.FORGET),
    ]
    assert summary.destructive == ()


def test_terraform_forgetting_a_resource_destroys_nothing() -> None:
    summary = digest_of((PLANS / "terraform_forget.txt").read_text()).summary()
    assert summary.counts == PlanCounts(forget=1)
    assert [(r.address, r.action) for r in summary.resources] == [
        ("aws_s3_bucket.kept", Action.FORGET)
    ]


def test_no_changes_is_a_plan_of_nothing() -> None:
    summary = digest_of((PLANS / "terraform_no_changes.txt").read_text()).summary()
    assert summary.counts == PlanCounts()
    assert summary.counts.changes_nothing and summary.resources == ()


def test_the_opentofu_fixture_the_colouring_tests_use() -> None:
    summary = digest_of((DATA / "tofu" / "plan.txt").read_text()).summary()
    assert summary.counts == PlanCounts(add=2, change=1, destroy=2, replace=1)
    assert [(r.address, r.action, r.replace_order) for r in summary.resources] == [
        ("aws_instance.legacy_jumpbox", Action.DELETE, None),
        ("aws_instance.web", Action.REPLACE, DESTROY_FIRST),
        ("aws_s3_bucket.artifacts", Action.CREATE, None),
        ("aws_security_group.web", Action.UPDATE, None),
    ]


def test_infracost_breakdown_gives_the_monthly_total() -> None:
    summary = digest_of((PLANS / "infracost_breakdown.txt").read_text()).summary()
    assert summary.cost == PlanCost("$", Decimal("1742.64"), None)
    assert summary.counts is None  # costs alone say nothing of the plan's changes


def test_infracost_diff_gives_the_change_and_the_new_total() -> None:
    summary = digest_of((PLANS / "infracost_diff.txt").read_text()).summary()
    # The summary sentence (rounded by Infracost) is the change; the total is the projects'.
    assert summary.cost == PlanCost("$", Decimal("1386.37"), Decimal("638"))


def test_a_cost_that_goes_down() -> None:
    text = (
        "Monthly cost change for acme/old\n"
        "Amount:  -$52 ($52 → $0.00)\n"
        "\n"
        "Infracost estimate: Monthly cost will decrease by $52 ↓\n"
    )
    assert digest_of(text).summary().cost == PlanCost("$", Decimal("0.00"), Decimal("-52"))


def test_a_plan_and_its_costs_in_one_log() -> None:
    text = (PLANS / "terraform_modules.txt").read_text()
    text += (PLANS / "infracost_breakdown.txt").read_text()
    summary = digest_of(text).summary()
    assert summary.counts == PlanCounts(add=6, change=1, destroy=5, replace=3)
    assert summary.cost == PlanCost("$", Decimal("1742.64"), None)


def test_coloured_output_reads_as_the_colourless() -> None:
    plain = digest_of((DATA / "tofu" / "plan.txt").read_text()).summary()
    coloured = (
        "  \x1b[1m# aws_instance.legacy_jumpbox\x1b[0m will be \x1b[1m\x1b[31mdestroyed\x1b[0m\n"
        '  \x1b[31m-\x1b[0m resource "aws_instance" "legacy_jumpbox" {\n'
        "  \x1b[1m# aws_instance.web\x1b[0m must be \x1b[1m\x1b[31mreplaced\x1b[0m\n"
        '\x1b[31m-\x1b[0m/\x1b[32m+\x1b[0m resource "aws_instance" "web" {\n'
        "  \x1b[1m# aws_s3_bucket.artifacts\x1b[0m will be created\n"
        "  \x1b[1m# aws_security_group.web\x1b[0m will be updated in-place\n"
        "\x1b[1mPlan:\x1b[0m 2 to add, 1 to change, 2 to destroy.\n"
    )
    assert digest_of(coloured).summary() == plain


def test_lines_that_only_look_like_headers_are_not_read() -> None:
    text = (
        "      + user_data = <<-EOT\n"
        "            # aws_instance.deep will be destroyed\n"
        "        EOT\n"
        'echo "  # aws_instance.quoted will be destroyed"\n'
        "  # (because aws_instance.x is not in configuration)\n"
        "  # aws_instance.drifted has changed\n"
        "  # aws_instance.gone has been deleted\n"
        "  # data.aws_ami.ubuntu will be read during apply\n"
        "  # aws_s3_bucket.a has moved to aws_s3_bucket.b\n"
        "  # aws_instance.later was deferred\n"
        "  Plan: 1 to add, 0 to change, 0 to destroy.\n"  # indented: quoted, not Terraform's
        "Plan: nothing to see\n"
    )
    summary = digest_of(text).summary()
    assert summary.counts is None and summary.resources == ()


def test_an_address_with_spaces_markup_and_brackets_is_kept_as_it_is() -> None:
    address = 'aws_s3_bucket.this["[bold red]x[/] will be created"]'
    summary = digest_of(f"  # {address} will be destroyed\n").summary()
    assert [(r.address, r.action) for r in summary.resources] == [(address, Action.DELETE)]


def test_a_requeued_plan_printed_twice_counts_each_resource_once() -> None:
    text = (DATA / "tofu" / "plan.txt").read_text()
    partial = text[: text.index("# aws_s3_bucket.artifacts")]
    once = digest_of(text).summary()
    twice = digest_of(partial + "\n── attempt 2 ──\n" + text).summary()
    assert twice.counts == once.counts
    assert twice.resources == once.resources


@pytest.mark.parametrize(
    ("address", "module"),
    [
        ("aws_instance.web", ""),
        ("module.vpc.aws_subnet.a[0]", "module.vpc"),
        ('module.a["x.y"].module.b[2].aws_s3_bucket.c', 'module.a["x.y"].module.b[2]'),
        ('module.a["with ] bracket"].null_resource.x', 'module.a["with ] bracket"]'),
        ("data.aws_ami.ubuntu", ""),
        ("module.m.data.aws_ami.x", "module.m"),
    ],
)
def test_the_module_of_an_address(address: str, module: str) -> None:
    assert module_of(address) == module


def test_money() -> None:
    assert format_money(Decimal("1234.5")) == "$1,234.50"
    assert format_money(Decimal("-3.5"), "€", signed=True) == "-€3.50"
    assert format_money(Decimal("12"), signed=True) == "+$12.00"
    assert format_money(Decimal("0"), signed=True) == "±$0.00"


# -- the metadata ----------------------------------------------------------------------------

RESOURCE_CHANGES = [
    {"address": "aws_instance.a", "mode": "managed", "change": {"actions": ["create"]}},
    {"address": "aws_instance.b", "mode": "managed", "change": {"actions": ["update"]}},
    {
        "address": "module.m.aws_instance.c",
        "module_address": "module.m",
        "mode": "managed",
        "change": {"actions": ["delete", "create"], "before": {"big": "x" * 1000}},
    },
    {"address": "aws_instance.d", "mode": "managed", "change": {"actions": ["create", "delete"]}},
    {"address": "aws_instance.e", "mode": "managed", "change": {"actions": ["delete"]}},
    {
        "address": "aws_instance.e",
        "mode": "managed",
        "deposed": "0badc0de",
        "change": {"actions": ["delete"]},
    },
    {"address": "data.aws_ami.x", "mode": "data", "change": {"actions": ["read"]}},
    {"address": "data.aws_ami.y", "mode": "data", "change": {"actions": ["delete"]}},
    {"address": "aws_instance.f", "mode": "managed", "change": {"actions": ["no-op"]}},
    {
        "address": "aws_instance.g",
        "mode": "managed",
        "change": {"actions": ["no-op"], "importing": {"id": "i-1"}},
    },
    {"address": "aws_instance.h", "mode": "managed", "change": {"actions": ["forget"]}},
]
COSTS = {
    "cost_breakdown": {"currency": "EUR", "totalMonthlyCost": "1234.5", "projects": []},
    "cost_summary": {"total_monthly": 999, "diff_monthly": 12.25},
}


def expected_from_metadata() -> tuple[PlanCounts, list[tuple[str, Action, str, str | None]]]:
    return PlanCounts(add=3, change=1, destroy=4, replace=2, imported=1, forget=1), [
        ("aws_instance.a", Action.CREATE, "", None),
        ("aws_instance.b", Action.UPDATE, "", None),
        ("module.m.aws_instance.c", Action.REPLACE, "module.m", DESTROY_FIRST),
        ("aws_instance.d", Action.REPLACE, "", CREATE_FIRST),
        ("aws_instance.e", Action.DELETE, "", None),
        ("aws_instance.e (deposed object 0badc0de)", Action.DELETE, "", None),
        ("aws_instance.g", Action.IMPORT, "", None),
        ("aws_instance.h", Action.FORGET, "", None),
    ]


@pytest.mark.parametrize("as_doc", [False, True], ids=["values", "JsonDoc"])
def test_the_metadata_plan_and_costs_win_over_the_log(as_doc: bool) -> None:
    metadata: Any = {"phase": "plan", "plan_result": {"resource_changes": RESOURCE_CHANGES}}
    metadata.update(COSTS)
    if as_doc:
        metadata = JsonDoc.from_value(metadata)
    digest = digest_of((DATA / "tofu" / "plan.txt").read_text())
    assert digest.set_metadata(metadata)
    assert not digest.set_metadata(metadata)  # the same again changes nothing

    summary = digest.summary()
    counts, resources = expected_from_metadata()
    assert summary.source == "metadata"
    assert summary.counts == counts
    assert shown(summary.resources) == resources
    # Infracost's own figures first, the platform's summary where they are missing.
    assert summary.cost == PlanCost("€", Decimal("1234.5"), Decimal("12.25"))


def test_the_log_is_needed_until_the_metadata_has_the_plan_and_its_costs() -> None:
    digest = PlanDigest()
    assert digest.needs_log
    digest.set_metadata({"plan_result": {"resource_changes": RESOURCE_CHANGES}})
    assert digest.needs_log  # the costs may still come from the log
    digest.set_metadata({"plan_result": {"resource_changes": RESOURCE_CHANGES}, **COSTS})
    assert not digest.needs_log


def test_metadata_without_a_plan_leaves_the_log_to_speak() -> None:
    digest = digest_of((DATA / "tofu" / "plan.txt").read_text())
    digest.set_metadata({"phase": "refresh", "progress": 30})
    assert digest.summary().source == "log"
    assert digest.summary().counts == PlanCounts(add=2, change=1, destroy=2, replace=1)


def test_metadata_text_is_made_safe() -> None:
    digest = PlanDigest()
    digest.set_metadata(
        {
            "plan_result": {
                "resource_changes": [
                    {"address": "aws_x.a\x1b[2J\x1b]0;t\x07\nb", "change": {"actions": ["delete"]}}
                ]
            }
        }
    )
    assert [r.address for r in digest.summary().resources] == ["aws_x.a b"]


def test_a_plan_result_stored_as_json_text_is_read() -> None:
    digest = PlanDigest()
    plan = '{"resource_changes": [{"address": "a.b", "change": {"actions": ["update"]}}]}'
    digest.set_metadata({"plan_result": plan})
    assert digest.summary().counts == PlanCounts(change=1)


# -- the log, fed as it arrives ---------------------------------------------------------------


def test_a_rewind_forgets_what_was_fed_after_the_mark() -> None:
    text = (DATA / "tofu" / "plan.txt").read_text()
    head, tail = text[: text.index("  # aws_s3_bucket")], text[text.index("  # aws_s3_bucket") :]
    digest = PlanDigest()
    digest.feed(head, 0)
    before = digest.summary()
    digest.feed(tail, 10)
    assert digest.summary().counts == PlanCounts(add=2, change=1, destroy=2, replace=1)
    assert digest.rewind(10)
    assert digest.summary() == before
    assert not digest.rewind(10)  # nothing after it any more
    digest.feed(tail, 10)  # fed again, as the feed does after a rewind
    assert digest.summary() == digest_of(text).summary()


def test_older_lines_fed_later_go_before_the_newer_ones() -> None:
    """History read newest first: an older page comes with a lower position."""
    text = (DATA / "tofu" / "plan.txt").read_text()
    cut = text.index("  # aws_instance.web")
    digest = PlanDigest()
    digest.feed(text[cut:], 0)
    digest.feed(text[:cut], -40)
    assert digest.summary() == digest_of(text).summary()


def test_a_replacement_split_between_two_batches_keeps_its_order() -> None:
    digest = PlanDigest()
    digest.feed("  # aws_security_group.app must be replaced\n  # (a note)\n", 0)
    digest.feed('+/- resource "aws_security_group" "app" {\n', 1)
    assert shown(digest.summary().resources) == [
        ("aws_security_group.app", Action.REPLACE, "", CREATE_FIRST)
    ]


# -- the demo's plans ------------------------------------------------------------------------

VINE = {
    "id": "5c0e1f4a-0000-4000-8000-000000000001",
    "project_name": "acme-platform",
    "environment_stage": "staging",
    "region": "eu-west-1",
    "terraform_version": "1.9.8",
}


def demo_plan(seed: int, ansi: bool) -> tuple[list[LogChunk], dict[str, Any]]:
    """The rows a demo PLAN writes (cut where the runner's flushes fall) and its metadata."""
    rng = random.Random(seed)
    context = JobContext("job", "PLAN", "success", config_snapshot(VINE, rng), ansi=ansi)
    script = build_script(context, rng)
    rows: list[LogChunk] = []
    metadata: dict[str, Any] = {}
    for flush in script.flushes:
        for text, stream in flush.chunks:
            rows.append(LogChunk(len(rows) + 1, "job", text, stream))
        metadata.update(flush.metadata or {})
    return rows, metadata


def as_the_feed_gives_them(rows: list[LogChunk]) -> list[LogChunk]:
    """Whole lines, sanitised, as the feed hands them to the job screen."""
    lines = LineAssembler().add_all(rows)
    return [replace(c, text=carry_colour(sanitize(c.text))) for c in lines]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), ansi=st.booleans(), batch=st.integers(1, 12))
def test_the_demo_plan_reads_as_its_own_plan_line_and_metadata_say(
    seed: int, ansi: bool, batch: int
) -> None:
    rows, metadata = demo_plan(seed, ansi)
    chunks = as_the_feed_gives_them(rows)
    digest = PlanDigest()
    for start in range(0, len(chunks), batch):
        digest.feed_texts((c.text for c in chunks[start : start + batch]), start)
    from_log = digest.summary()

    text = "".join(row.text for row in rows)
    plan_line = plan_line_counts(text)
    assert from_log.source == "log"
    assert from_log.counts is not None
    assert (from_log.counts.add, from_log.counts.change, from_log.counts.destroy) == (
        plan_line["add"],
        plan_line["change"],
        plan_line["destroy"],
    )
    # The log's cost is Infracost's printed total, the metadata's the same in its JSON.
    assert from_log.cost is not None
    assert from_log.cost.monthly == Decimal(metadata["cost_breakdown"]["totalMonthlyCost"])

    from_metadata = PlanDigest()
    from_metadata.set_metadata(metadata)
    by_metadata = from_metadata.summary()
    assert by_metadata.source == "metadata"
    assert by_metadata.counts == from_log.counts
    assert sorted(shown(by_metadata.resources)) == sorted(shown(from_log.resources))
    assert by_metadata.cost == PlanCost(
        "$",
        Decimal(metadata["cost_breakdown"]["totalMonthlyCost"]),
        Decimal(metadata["cost_breakdown"]["diffTotalMonthlyCost"]),
    )
    destroyed = [r for r in from_log.resources if r.action is Action.DELETE]
    assert [r.address for r in destroyed] == ["aws_instance.legacy_jumpbox"]


# -- properties ------------------------------------------------------------------------------

#: Lines of real plans and costs, to put among random text.
REAL_LINES = sorted(
    {
        line
        for path in [*PLANS.glob("*.txt"), DATA / "tofu" / "plan.txt"]
        for line in path.read_text(encoding="utf-8").splitlines()
    }
)
ANY_LINE = st.one_of(
    st.sampled_from(REAL_LINES),
    st.text(max_size=60).map(lambda t: t.replace("\n", " ")),
    st.sampled_from(REAL_LINES).flatmap(
        lambda line: st.integers(0, len(line)).map(lambda cut: line[:cut])
    ),
    st.text(alphabet=st.sampled_from(list('# -/+~.()[]"Plan:NoOVERALTMmthycstA$0123456789\x1b'))),
)


@settings(max_examples=300, deadline=None)
@given(
    batches=st.lists(st.tuples(st.lists(ANY_LINE, max_size=12), st.integers(-50, 50)), max_size=12),
    rewinds=st.lists(st.integers(-60, 60), max_size=3),
)
def test_it_never_raises_and_never_changes_what_it_reads(
    batches: list[tuple[list[str], int]], rewinds: list[int]
) -> None:
    kept = [(list(lines), at) for lines, at in batches]
    digest = PlanDigest()
    for i, (lines, at) in enumerate(batches):
        digest.feed_lines(lines, at)
        digest.feed("".join(lines), at)
        if i < len(rewinds):
            digest.rewind(rewinds[i])
        counts = digest.summary().counts
        assert counts is None or min(astuple(counts)) >= 0
    assert [(list(lines), at) for lines, at in batches] == kept  # the lines are untouched
    # Every address it reports is text it was given.
    fed = strip_sgr("\n".join(text for lines, _at in batches for text in [*lines, "".join(lines)]))
    for resource in digest.summary().resources:
        assert resource.address in fed
    digest.summary().by_action()
    _ = digest.summary().destructive


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(ANY_LINE, max_size=40), cuts=st.sets(st.integers(1, 39), max_size=6))
def test_how_the_lines_are_batched_changes_nothing(lines: list[str], cuts: set[int]) -> None:
    whole = PlanDigest()
    whole.feed_lines(lines, 0)
    batched = PlanDigest()
    bounds = [0, *sorted(c for c in cuts if c < len(lines)), len(lines)]
    for position, (start, end) in enumerate(itertools.pairwise(bounds)):
        if end > start:
            batched.feed_lines(lines[start:end], position)
    assert batched.summary() == whole.summary()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "plan_result",
                    "resource_changes",
                    "change",
                    "actions",
                    "address",
                    "module_address",
                    "mode",
                    "deposed",
                    "importing",
                    "cost_breakdown",
                    "cost_summary",
                    "currency",
                    "totalMonthlyCost",
                    "diffTotalMonthlyCost",
                    "total_monthly",
                    "diff_monthly",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(metadata=JSON, as_doc=st.booleans())
def test_any_metadata_is_read_without_raising(metadata: Any, as_doc: bool) -> None:
    digest = PlanDigest()
    digest.set_metadata(JsonDoc.from_value(metadata) if as_doc else metadata)
    summary = digest.summary()
    summary.by_action()
    for resource in summary.resources:
        assert "\x1b" not in resource.address and "\n" not in resource.address


@given(raw=st.binary(max_size=200))
def test_malformed_json_text_is_read_as_no_plan(raw: bytes) -> None:
    digest = PlanDigest()
    digest.set_metadata(JsonDoc.from_text(raw.decode("utf-8", "replace")))
    digest.summary()
