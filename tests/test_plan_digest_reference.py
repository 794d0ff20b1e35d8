"""The plan digest reads a log as it did before it was made cheap, however the log is cut.

``support.plan_digest_reference`` keeps the reading as it was (one pass trying every line
start, a tuple per header). The digest now skips a batch by what ``memchr`` finds in it, reads
most headers with a quick pattern that says when it cannot tell, and removes colour only from
batches with a line it may read; these tests hold it to the old reading of the whole text, fed
as the platform's runner cuts it (rows ending mid-line, joined into whole lines by the feed,
then handed over in batches), with history pages and rewinds as the job screen feeds them.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from joblens.backends.demo.terraform.stack import choose_changes, stack_resources
from joblens.backends.demo.terraform.tofu import plan_chunks
from joblens.lines import LineAssembler
from joblens.models import LogChunk
from joblens.plan_digest import PlanDigest
from joblens.sanitize import carry_colour, sanitize
from support.plan_digest_reference import ReferenceDigest, View, view

DATA = Path(__file__).parent / "data"
SAMPLES = sorted([*(DATA / "plans").glob("*.txt"), *(DATA / "tofu").glob("*.txt")])


def as_before(text: str) -> View:
    """What the old reading makes of the whole text, read at once."""
    reference = ReferenceDigest()
    reference.feed(text)
    return view(reference.summary())


def in_batches(batches: list[str]) -> View:
    digest = PlanDigest()
    for at, batch in enumerate(batches):
        digest.feed_texts([batch], at)
    return view(digest.summary())


def lines_cut(text: str, cuts: list[int]) -> list[str]:
    """``text`` cut after the given line numbers (whole lines)."""
    lines = text.splitlines(keepends=True)
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(lines)}), len(lines)]
    return ["".join(lines[a:b]) for a, b in itertools.pairwise(bounds)]


# -- lines to build logs from ------------------------------------------------------------------

REAL_LINES = sorted(
    {line for path in SAMPLES for line in path.read_text(encoding="utf-8").splitlines()}
)
ADDRESSES = st.one_of(
    st.sampled_from(
        [
            "aws_instance.web",
            "module.vpc.aws_subnet.a[0]",
            'module.apps["api v2"].aws_ecs_service.this',  # a space: the quick pattern passes
            'aws_s3_bucket.this["[bold]x will be created"]',
            "aws_x.a, so",
            "aws_instance.ünïcode",
            "(paren).x",
            ")x",
            "a\tb",
            "x will be",
        ]
    ),
    st.text(st.sampled_from(list('abc_.[]"-0 ,()')), min_size=1, max_size=12),
)
VERBS = st.sampled_from(
    [
        "will be created",
        "will be updated in-place",
        "will be destroyed",
        "will be imported",
        "must be replaced",
        "is tainted, so must be replaced",
        "must be replaced, but the existing object will not be destroyed",
        "will be replaced, as requested",
        "will be replaced due to changes in replace_triggered_by",
        "will no longer be managed by Terraform",
        "will no longer be managed by OpenTofu, but will not be destroyed",
        "will be removed from the tofu state, but will not be destroyed",
        "has changed",
        "will be read during apply",
        "will be created will be created",
        "must be replaced must be replaced",
        "",
    ]
)
HEADERS = st.builds(
    "{}# {} {}{}".format,
    st.sampled_from(["  ", "", " ", "\t", "    ", "     "]),
    ADDRESSES,
    VERBS,
    st.sampled_from(["", "", "", " ", "\t "]),
)
NOTES = st.sampled_from(
    [
        "  # (because aws_instance.old is not in configuration)",
        "#(moved from aws_instance.a)",
        "    #  (imported from x)",
        "        # (3 unchanged attributes hidden)",
    ]
)
SYMBOLS = st.sampled_from(
    [
        '-/+ resource "aws_lb" "front" {',
        '+/- resource "aws_security_group" "app" {',
        ' -/+ data "aws_ami" "x" {',
        "  +/- resource x",
        "   -/+ resource x",
        "-/+ resourcex",
        '  + resource "aws_s3_bucket" "b" {',
    ]
)
OTHERS = st.sampled_from(
    [
        "Plan: 1 to add, 2 to change, 3 to destroy.",
        "Plan: 2 to import, 1 to forget.",
        "  Plan: 9 to add, 0 to change, 0 to destroy.",
        "Plan: nothing",
        "No changes. Your infrastructure matches the configuration.",
        " OVERALL TOTAL                          $1,234.50",
        "     OVERALL TOTAL $5",
        "Monthly cost change for acme/infra/dev",
        "Amount:  +$77.37 ($0.00 → $77.37)",
        "Amount:+$5 ($1 -> $6)",
        "  Amount: -$3",
        "Infracost estimate: Monthly cost will increase by $638 ↑",
        "💰 Monthly cost will decrease by €12",
        "Monthly cost will not change",
        "Name Monthly Qty Unit Monthly Cost",
    ]
)
ATTRIBUTES = st.sampled_from(
    [
        '      + ami           = "ami-0c55b159" # forces replacement',
        '      ~ tags          = { "Name" = "Office VPN" -> "Partner NAT" }',
        "    }",
        "",
        '          - "10.0.0.1/32",',
        "Terraform will perform the following actions:",
        "OpenTofu used the selected providers to generate the following execution plan.",
    ]
)
SGR = st.sampled_from(["\x1b[1m", "\x1b[0m", "\x1b[31m", "\x1b[32m", "\x1b[0m\x1b[1m"])


@st.composite
def coloured(draw: st.DrawFn, line: str) -> str:
    """``line``, perhaps with colour codes put in it (anywhere: before its blanks, inside)."""
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(line)))
        line = line[:at] + draw(SGR) + line[at:]
    return line


PLAIN_LINE = st.one_of(
    HEADERS,
    NOTES,
    SYMBOLS,
    OTHERS,
    ATTRIBUTES,
    st.sampled_from(REAL_LINES),
    st.text(max_size=30).map(lambda t: t.replace("\n", " ").replace("\r", " ")),
)
LINE = st.one_of(PLAIN_LINE, PLAIN_LINE.flatmap(coloured))
# Headers, notes and symbols together, as Terraform prints them, but in any order.
LOGS = st.lists(st.one_of(LINE, st.tuples(HEADERS, NOTES, SYMBOLS).map("\n".join)), max_size=40)


def log_text(lines: list[str]) -> str:
    """Whole lines, sanitised as the feed sanitises them."""
    return sanitize("".join(line + "\n" for line in lines))


# -- what the quick reading must get right ----------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_sample_reads_as_before_whole_and_line_by_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expected = as_before(text)
    assert in_batches([text]) == expected
    assert in_batches(text.splitlines(keepends=True)) == expected


@pytest.mark.parametrize(
    "text",
    [
        '  # module.apps["api v2"].aws_ecs_service.this will be created\n',  # a space
        "  # aws_instance.a has changed\n  # aws_instance.b will be created\n",  # drift
        "  # aws_instance.a will be created \n",  # a blank after the verb
        '  # aws_lb.front must be replaced\n  # (because x)\n-/+ resource "aws_lb" {\n',
        '  # aws_lb.front must be replaced\n  -/+ resource "aws_lb" {\n',
        "  # aws_lb.front must be replaced\n  ~ x = 1\n",
        "  # aws_lb.front must be replaced\n",
        '  # aws_lb.front will be destroyed\n-/+ resource "aws_lb" {\n',
        '  # aws_x.y is tainted, so must be replaced\n+/- resource "x" "y" {\n',
        "  # aws_x.ü will be created\n",
        "# aws_x.y will be created\n\t# aws_x.z will be destroyed\n"
        "    # aws_x.w will be imported\n",
        "     # aws_x.too_deep will be created\n",
        "  \x1b[1m# aws_x.y\x1b[0m will be \x1b[1m\x1b[31mdestroyed\x1b[0m\n",
        "\x1b[1m  # aws_x.y will be created\x1b[0m\n"
        "\x1b[0m\x1b[1mPlan:\x1b[0m 1 to add, 0 to change, 0 to destroy.\n",
        "  # aws_x.y will be created\nPlan: 1 to add, 0 to change, 0 to destroy.\n",
        "  # aws_x.y will be created\n  Plan: 1 to add\n",
        'Name   "Name" = "Office"\n  # aws_x.y will be updated in-place\n',
        " OVERALL TOTAL  $12\n  # aws_x.y will be created\n",
    ],
)
def test_the_cases_the_quick_patterns_hand_over_read_as_before(text: str) -> None:
    expected = as_before(text)
    assert in_batches([text]) == expected
    assert in_batches(text.splitlines(keepends=True)) == expected


@pytest.mark.parametrize(
    "batches",
    [
        # A replacement's notes fill a batch: the symbol after them is still the replacement's
        # (the old reading forgot the replacement there, not in the whole log).
        ["  # aws_lb.front must be replaced\n", "  # (because x)\n", '-/+ resource "a" "b" {\n'],
        # A project's Amount: with no blank after its colon, read at the start of a batch as
        # within one (the old reading wanted a blank there).
        ["Monthly cost change for acme/x\n", "Amount:+$5 ($1 -> $6)\n"],
        # Colour removed from the first line that may be read on.
        [
            "      \x1b[32m+\x1b[0m\x1b[0m a = 1\n" * 5
            + "  \x1b[1m# aws_x.y\x1b[0m will be created\n"
            + '      \x1b[32m+\x1b[0m\x1b[0m "Name" = "x"\n',
            "\x1b[1mPlan:\x1b[0m 1 to add, 0 to change, 0 to destroy.\n",
        ],
    ],
    ids=["notes alone", "amount", "colour"],
)
def test_what_is_cut_by_a_batch_reads_as_in_the_whole_log(batches: list[str]) -> None:
    assert in_batches(batches) == as_before("".join(batches))


def demo_plan_text(copies: int, seed: int) -> str:
    """The demo stack's plan blocks, repeated with distinct addresses (the benchmark's)."""
    rng = random.Random(seed)
    parts = []
    for copy in range(copies):
        resources = stack_resources(f"acme-{copy}", [{"name": "general"}, {"name": "spot"}])
        text = "".join(plan_chunks(choose_changes(resources, rng))[1:-1])
        parts.append(text.replace("module.", f"module.c{copy}_"))
    return "".join(parts) + "Plan: 1 to add, 0 to change, 0 to destroy.\n"


@pytest.mark.parametrize("rows", [1, 7, 40])
def test_a_large_plan_in_rows_reads_as_before(rows: int) -> None:
    text = demo_plan_text(30, seed=rows)
    lines = text.splitlines(keepends=True)
    batches = ["".join(lines[i : i + rows]) for i in range(0, len(lines), rows)]
    assert in_batches(batches) == as_before(text)
    coloured_text = "".join(f"\x1b[0m{line}" for line in lines)
    assert in_batches([coloured_text]) == as_before(coloured_text)


# -- properties ------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=LOGS, rows=st.lists(st.integers(1, 400), max_size=30), data=st.data())
def test_any_log_cut_as_the_runner_cuts_it_reads_as_before(
    lines: list[str], rows: list[int], data: st.DataObject
) -> None:
    raw = "".join(line + "\n" for line in lines)
    # The runner's rows end anywhere, mid-line too; the feed joins them into whole lines.
    cuts = sorted({min(r, len(raw)) for r in itertools.accumulate(rows)} | {len(raw)})
    chunks = [
        LogChunk(n, "job", raw[a:b])
        for n, (a, b) in enumerate(itertools.pairwise([0, *cuts]), start=1)
        if b > a
    ]
    whole = [carry_colour(sanitize(c.text)) for c in LineAssembler().add_all(chunks)]
    # ... and hands them to the screen a few rows at a time.
    sizes = data.draw(st.lists(st.integers(1, 4), max_size=len(whole)))
    digest, at, start = PlanDigest(), 0, 0
    for size in [*sizes, len(whole)]:
        if start < len(whole):
            digest.feed_texts(whole[start : start + size], at)
            start, at = start + size, at + 7
    assert view(digest.summary()) == as_before("".join(whole))


@settings(max_examples=300, deadline=None)
@given(lines=LOGS, cuts=st.lists(st.integers(1, 40), max_size=6))
def test_history_read_newest_page_first_reads_as_before(lines: list[str], cuts: list[int]) -> None:
    """Older pages come with lower positions, none finishing what a newer one began."""
    pages = lines_cut(log_text(lines), cuts)
    digest, reference = PlanDigest(), ReferenceDigest()
    for at in reversed(range(len(pages))):
        assert digest.feed(pages[at], at * 10) == reference.feed(pages[at], at * 10)
    assert view(digest.summary()) == view(reference.summary())


def merged_notes(batches: list[str]) -> list[str]:
    """Batches with a batch of notes alone joined to the one before it: there, the old
    reading forgot the replacement above the notes (the digest now keeps it waiting)."""
    out: list[str] = []
    for batch in batches:
        alone = all(line.lstrip(" \t").startswith("#") for line in batch.splitlines())
        if out and alone:
            out[-1] += batch
        else:
            out.append(batch)
    return out


@settings(max_examples=300, deadline=None)
@given(
    lines=LOGS.map(lambda ls: [line for line in ls if "Amount:+" not in line]),
    cuts=st.lists(st.integers(1, 40), max_size=6),
    marks=st.lists(st.integers(0, 8), max_size=3),
)
def test_rewinds_and_batches_fed_again_read_as_before(
    lines: list[str], cuts: list[int], marks: list[int]
) -> None:
    """The same batches, rewinds and batches fed again, to both readings (a project's
    ``Amount:`` with no blank after its colon, read at the start of a batch, is read now as
    within one: it is left out here, and held to the whole text's reading above)."""
    batches = merged_notes(lines_cut(log_text(lines), cuts))
    digest, reference = PlanDigest(), ReferenceDigest()
    for at, batch in enumerate(batches):
        assert digest.feed(batch, at) == reference.feed(batch, at)
        if marks and at == marks[0]:
            mark = marks.pop(0)
            assert digest.rewind(mark) == reference.rewind(mark)
            for again in range(mark, at + 1):
                digest.feed(batches[again], again)
                reference.feed(batches[again], again)
        assert view(digest.summary()) == view(reference.summary())


@settings(max_examples=200, deadline=None)
@given(lines=LOGS, cuts=st.sets(st.integers(1, 39), max_size=6))
def test_the_same_log_in_other_batches_gives_an_equal_summary(
    lines: list[str], cuts: set[int]
) -> None:
    """Equal, not only alike: the screen compares summaries to know whether to redraw."""
    text = log_text(lines)
    whole, batched = PlanDigest(), PlanDigest()
    whole.feed(text, 0)
    for at, batch in enumerate(lines_cut(text, sorted(cuts))):
        batched.feed(batch, at)
    assert batched.summary() == whole.summary()
