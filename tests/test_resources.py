"""Resource progress read from an apply's log (joblens.resources): examples from real OpenTofu
output, plain and coloured, and properties over any text."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joblens.backends.demo.terraform.script import JobContext, build_script
from joblens.resources import Resource, ResourceState, ResourceTracker, track_lines
from joblens.sanitize import split_chunk
from joblens.terraform_colour import colour_lines
from support.resources_reference import ReferenceTracker

DATA = Path(__file__).parent / "data"
FAILED_APPLY = (DATA / "applies" / "apply_failed_22.txt").read_text().splitlines()

DONE, RUNNING, PENDING, FAILED = (
    ResourceState.DONE,
    ResourceState.RUNNING,
    ResourceState.PENDING,
    ResourceState.FAILED,
)


def by_address(tracker: ResourceTracker) -> dict[str, Resource]:
    return {resource.address: resource for resource in tracker.resources}


def shown(tracker: ResourceTracker) -> tuple[object, ...]:
    """Everything a tracker shows."""
    return (
        tracker.resources,
        tracker.done,
        tracker.failed,
        tracker.total,
        tracker.progress_text(),
    )


# -- a realistic failed apply ------------------------------------------------------------------


def test_a_failed_apply_of_22_changes_reads_as_tofu_ran_it() -> None:
    tracker = track_lines(FAILED_APPLY)
    assert tracker.total == 22  # Plan: 17 to add, 2 to change, 3 to destroy.
    assert tracker.progress_text() == "20/22 resources, 1 failed"
    found = by_address(tracker)
    web = found["aws_instance.web"]
    assert (web.state, web.operation, web.elapsed) == (FAILED, "create", "10s")
    # The failure is the diagnostic's: its Error line is the last line about the resource.
    assert FAILED_APPLY[web.last_line].startswith("Error: creating EC2 Instance")
    assert FAILED_APPLY[web.first_line] == "  # aws_instance.web will be created"
    # Depending on it, never started.
    assert found["null_resource.bootstrap"].state is PENDING
    nat = found["module.vpc.aws_nat_gateway.this[0]"]
    assert (nat.state, nat.elapsed, nat.ident) == (DONE, "1m45s", "nat-0b2c3d4e5f6a79788")
    assert found["aws_security_group.web"].operation == "update"
    assert found["aws_instance.legacy_jumpbox"].operation == "destroy"
    # A warning about a resource is not its failure.
    assert found["aws_s3_bucket.artifacts"].state is DONE
    assert tracker.failed == 1


def test_module_addresses_and_keys_with_spaces_quotes_and_colons() -> None:
    found = by_address(track_lines(FAILED_APPLY))
    for address, ident in (
        ('module.vpc.aws_subnet.private["eu-west-1a"]', "subnet-0e1f2a3b4c5d69788"),
        ('aws_security_group_rule.ingress["https 443"]', "sgrule-2915637148"),
        (
            'aws_iam_role_policy_attachment.app["arn:aws:iam::aws:policy/ReadOnlyAccess"]',
            "tendril-app-20261130094512345600000001",
        ),
        (
            'module.dns.module.records.aws_route53_record.this["api.example.com"]',
            "Z0123456789ABCDEFGHIJ_api.example.com_CNAME",
        ),
    ):
        assert (found[address].state, found[address].ident) == (DONE, ident)
    tracker = ResourceTracker()
    tracker.feed('module.a["x: y"].aws_s3_object.o["say \\"hi\\" [1]"]: Creating...')
    [resource] = tracker.resources
    assert resource.address == 'module.a["x: y"].aws_s3_object.o["say \\"hi\\" [1]"]'


def test_replacements_count_once_in_either_order() -> None:
    found = by_address(track_lines(FAILED_APPLY))
    # -/+: destroyed, then created again; +/-: created, then the deposed object destroyed.
    for address, ident in (
        ("aws_launch_template.nodes", "lt-0f1e2d3c4b5a69788"),
        (
            "aws_lb.app",
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/"
            "tendril-app/7a1f3e2b9c4d5e60",
        ),
    ):
        assert (found[address].operation, found[address].state) == ("replace", DONE)
        assert found[address].ident == ident  # the new object's
    assert not any("deposed" in address for address in found)


def test_a_replacement_without_its_plan_is_seen_from_its_two_steps() -> None:
    tracker = ResourceTracker()
    tracker.feed("aws_instance.web: Destroying... [id=i-1]")
    tracker.feed("aws_instance.web: Destruction complete after 3s")
    [resource] = tracker.resources
    assert (resource.operation, resource.state) == ("destroy", DONE)
    tracker.feed("aws_instance.web: Creating...")
    assert (tracker.resources[0].operation, tracker.resources[0].state) == ("replace", RUNNING)
    assert tracker.done == 1  # of its two steps
    tracker.feed("aws_instance.web: Creation complete after 9s [id=i-2]")
    [resource] = tracker.resources
    assert (resource.state, resource.elapsed, resource.ident) == (DONE, "9s", "i-2")
    assert tracker.progress_text() == "2/? resources"


def test_the_same_resources_from_coloured_output() -> None:
    coloured = colour_lines(FAILED_APPLY)
    assert any("\x1b[" in line for line in coloured)
    assert shown(track_lines(coloured)) == shown(track_lines(FAILED_APPLY))


def test_a_boxed_error_fails_its_resource() -> None:
    lines = (DATA / "tofu" / "apply_failed_framed.txt").read_text().splitlines()
    tracker = ResourceTracker()
    tracker.feed_lines(lines)  # the frame's ╵ ends it: no close needed
    [db] = tracker.resources
    assert (db.address, db.state, db.elapsed) == ("aws_db_instance.main", FAILED, "20s")


def test_a_plain_error_at_the_end_of_the_log_counts_once_the_log_ends() -> None:
    lines = (DATA / "tofu" / "apply_failed.txt").read_text().splitlines()[:-1]  # no lock line
    tracker = ResourceTracker()
    tracker.feed_lines(lines)
    assert tracker.failed == 0  # its detail may go on
    assert tracker.close()
    found = by_address(tracker)
    assert found["aws_iam_role.app"].state is FAILED
    assert found["aws_db_instance.main"].state is RUNNING
    assert tracker.progress_text() == "0/? resources, 1 failed"


def test_every_kind_of_step_line() -> None:
    tracker = ResourceTracker()
    tracker.feed_lines(
        [
            "aws_instance.a: Creating...",
            "aws_instance.a: Still creating... [00m10s elapsed]",  # Terraform 1.12's clock
            "aws_instance.a: Creation errored after 12s",
            "aws_instance.b: Modifying... [id=i-b]",
            "aws_instance.b: Still modifying... [id=i-b, 1m10s elapsed]",
            "data.aws_ami.c: Reading...",
            "data.aws_ami.c: Still reading... [10s elapsed]",
            "aws_s3_bucket.d: Importing... [id=bucket-d]",
            "aws_s3_bucket.d: Import complete [id=bucket-d]",
            "aws_instance.e: Destroying... [id=i-e]",
            "aws_instance.e: Still destroying... [id=i-e, 20s elapsed]",
            "aws_instance.e: Refreshing state... [id=i-e]",
        ]
    )
    found = by_address(tracker)
    assert (found["aws_instance.a"].state, found["aws_instance.a"].elapsed) == (FAILED, "12s")
    b = found["aws_instance.b"]
    assert (b.operation, b.state, b.elapsed, b.ident) == ("update", RUNNING, "1m10s", "i-b")
    assert (found["data.aws_ami.c"].operation, found["data.aws_ami.c"].elapsed) == ("read", "10s")
    d = found["aws_s3_bucket.d"]
    assert (d.operation, d.state, d.ident) == ("import", DONE, "bucket-d")
    e = found["aws_instance.e"]
    assert (e.operation, e.state, e.elapsed, e.last_line) == ("destroy", RUNNING, "20s", 10)
    assert tracker.progress_text() == "0/? resources, 1 failed"


def test_provisioner_output_belongs_to_its_resource_and_changes_no_state() -> None:
    lines = (DATA / "tofu" / "apply.txt").read_text().splitlines()
    tracker = ResourceTracker()
    tracker.feed_lines(lines[:16])  # to "aws_instance.web (local-exec): ready"
    web = by_address(tracker)["aws_instance.web"]
    assert (web.state, web.last_line) == (RUNNING, 15)
    assert lines[15] == "aws_instance.web (local-exec): ready"
    tracker.feed_lines(lines[16:])
    # No Plan: line (a saved plan's apply): the total is the end's tally.
    assert tracker.total == 5 and tracker.progress_text() == "5/5 resources"


def test_nothing_before_the_first_resource_and_the_plan_total_once_printed() -> None:
    tracker = ResourceTracker()
    assert tracker.progress_text() is None and tracker.total is None
    assert not tracker.feed("Initializing the backend...")
    assert tracker.feed("Plan: 1 to add, 1 to change, 1 to destroy.")
    assert tracker.total == 3 and tracker.progress_text() is None
    tracker.feed("aws_instance.a: Creating...")
    assert tracker.progress_text() == "0/3 resources"
    tracker.feed("Destroy complete! Resources: 4 destroyed.")
    assert tracker.total == 3  # the plan's says it first


def test_the_expected_plan_lists_pending_resources_and_gives_the_total() -> None:
    tracker = ResourceTracker()
    tracker.feed("aws_instance.a: Creating...")
    tracker.expect([("aws_instance.a", "create"), ("aws_lb.b", "replace"), ("x.y", "forget")])
    assert tracker.total == 3
    assert [(r.address, r.state, r.first_line) for r in tracker.resources] == [
        ("aws_instance.a", RUNNING, 0),
        ("aws_lb.b", PENDING, -1),
    ]
    assert tracker.progress_text() == "0/3 resources"


def test_older_lines_fed_later_and_lines_taken_back() -> None:
    """History read newest first (older chunks come with a lower position), and a rewind
    (the feed puts a late row in its place): the same result as the log read in order."""
    text = "\n".join(FAILED_APPLY) + "\n"
    cut = text.index("aws_lb.app: Creating...")
    whole = track_lines(FAILED_APPLY)
    tracker = ResourceTracker()
    older = text[:cut].count("\n")
    tracker.feed_chunks([(text[cut:], "STDOUT")], at=older)
    assert tracker.feed_chunks([(text[:cut], "STDOUT")], at=0)
    tracker.close()
    assert shown(tracker) == shown(whole)

    late = text.index("aws_instance.web: Creating...")
    tracker = ResourceTracker()
    tracker.feed_chunks([(text[:late], "STDOUT"), ("aws_instance.web: Creating...\n", "STDOUT")])
    tracker.feed_chunks([(text[late:], "STDOUT")])
    assert tracker.rewind(text[:late].count("\n"))
    tracker.feed_chunks([(text[late:], "STDOUT")], at=text[:late].count("\n"))
    tracker.close()
    assert shown(tracker) == shown(whole)


# -- the demo's runs ---------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), ansi=st.booleans(), fate=st.sampled_from(["fail", "success"]))
def test_the_demo_deploys_read_back_to_what_the_simulation_did(
    seed: int, ansi: bool, fate: str
) -> None:
    script = build_script(
        JobContext("job", "DEPLOY", fate, {}, ansi=ansi),  # type: ignore[arg-type]
        random.Random(seed),
    )
    tracker = ResourceTracker()
    for step in script.steps:
        for text, stream in step.chunks:
            tracker.feed_text(text, stream)
    tracker.close()
    failed = [
        step.metadata["failed_resource"]
        for step in script.steps
        if step.metadata and "failed_resource" in step.metadata
    ]
    assert [r.address for r in tracker.resources if r.state is FAILED] == failed
    if fate == "success":
        assert tracker.done == tracker.total and tracker.failed == 0
        assert all(r.state is DONE for r in tracker.resources)


# -- properties over any text ------------------------------------------------------------------

SGR = st.sampled_from(["", "\x1b[1m", "\x1b[0m\x1b[1m", "\x1b[32m"])
PIECES = st.sampled_from(
    [
        "aws_instance.web: Creating...",
        "aws_instance.web: Creation complete after 2s [id=i-1]",
        "aws_instance.web: Creation errored after 2s",
        "aws_instance.web: Destroying... [id=i-0]",
        "aws_instance.web: Destruction complete after 1s",
        "aws_instance.web: Still creating... [10s elapsed]",
        "aws_instance.web (local-exec): ready",
        "aws_instance.web: Provisioning with 'local-exec'...",
        'module.m["a b"].aws_x.y["k: v"]: Modifying... [id=x, ',
        "aws_lb.app (deposed object 1a): Destroying... [id=old]",
        "data.aws_ami.a: Read complete after 0s [id=1]",
        "  # aws_instance.web will be created",
        "  # aws_lb.app must be replaced",
        "Plan: 2 to add, 1 to change, 1 to destroy.",
        "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.",
        "No changes.",
        "",
        "Error: creating EC2 Instance",
        "  with aws_instance.web,",
        "╷",
        "│ Error: boom",
        "│   with aws_lb.app,",
        "╵",
        "Warning: careful",
    ]
)
LINE = st.one_of(
    st.text(max_size=30).map(lambda text: text.replace("\n", " ")),
    st.builds(lambda c, p, t: c + p + t, SGR, PIECES, st.sampled_from(["", "]", " [", "x"])),
)
LINES = st.lists(LINE, max_size=40)
STREAMED = st.lists(st.tuples(LINE, st.sampled_from(["STDOUT", "STDERR"])), max_size=40)


@given(st.lists(st.text(), max_size=20), st.text())
def test_never_raises_on_any_text(lines: list[str], text: str) -> None:
    given_lines = list(lines)
    tracker = ResourceTracker()
    tracker.feed_lines(lines)
    tracker.feed_text(text, "STDERR")
    tracker.feed_chunks([(text, None)], at=-5)
    tracker.rewind(len(lines) // 2)
    tracker.expect([(text, "create")])
    tracker.close()
    tracker.progress_text()
    assert lines == given_lines
    track_lines([*lines, text])


@given(STREAMED)
def test_line_by_line_equals_all_at_once(lines: list[tuple[str, str]]) -> None:
    one = ResourceTracker()
    for line, stream in lines:
        one.feed(line, stream)
    batched = ResourceTracker()
    at = 0
    while at < len(lines):  # each stream's run of lines as one chunk of text
        end = at + 1
        while end < len(lines) and lines[end][1] == lines[at][1]:
            end += 1
        text = "".join(line + "\n" for line, _ in lines[at:end])
        batched.feed_chunks([(text, lines[at][1])])
        at = end
    assert shown(one) == shown(batched) and one.index == batched.index == len(lines)
    one.close()
    batched.close()
    assert shown(one) == shown(batched)


@given(LINES)
def test_feed_lines_and_feed_text_agree(lines: list[str]) -> None:
    by_lines, by_text = ResourceTracker(), ResourceTracker()
    by_lines.feed_lines(lines)
    text = "".join(line + "\n" for line in lines)
    if lines and lines[-1]:
        text = text[:-1]  # a last line with no newline is a line all the same
    assert split_chunk(text) == lines
    by_text.feed_text(text)
    assert shown(by_lines) == shown(by_text) and by_lines.index == by_text.index


@given(LINES)
def test_the_same_input_twice_gives_the_same_result(lines: list[str]) -> None:
    assert shown(track_lines(lines)) == shown(track_lines(list(lines)))


@given(
    st.lists(PIECES.filter(lambda p: not p.startswith(("Error", "Warning", "╷", "│")))),
    st.integers(0, 40),
)
def test_older_lines_fed_last_give_what_they_give_in_order(lines: list[str], cut: int) -> None:
    cut = min(cut, len(lines))
    in_order = track_lines(lines)
    tracker = ResourceTracker()
    tracker.feed_chunks([("".join(line + "\n" for line in lines[cut:]), None)], at=cut)
    tracker.feed_chunks([("".join(line + "\n" for line in lines[:cut]), None)], at=0)
    assert shown(tracker) == shown(in_order)


# -- the quick reading holds to the reference --------------------------------------------------
#
# ``support.resources_reference`` keeps the tracker as it was before it was made cheap (one
# search per batch trying every line start, Python for each line found). The quick reading
# (joblens.resource_lines.read_text: one findall sorting every line) must read every log into
# the same events, so the same state, whatever the log holds and however it is cut.

ADDRESSES = [
    "aws_instance.web",
    "aws_instance.web[3]",
    'module.vpc.aws_subnet.private["eu-west-1a"]',
    'module.a["x: y"].aws_s3_object.o["say \\"hi\\" [1]"]',
    'aws_iam_role_policy_attachment.app["arn:aws:iam::aws:policy/ReadOnlyAccess"]',
    'aws_security_group_rule.ingress["https 443"]',
    'aws_x.y["a]b"]',
    "aws_lb.app (deposed object 1a2b)",
    "data.aws_ami.ubuntu",
    "data.x",
    "module.x",
    "module.m.module.n.aws_db.main",
    "aws_instance.ünïcode",
    "Error.x",
    "x.y(z)",
]
MESSAGES = [
    "Creating...",
    "Modifying... [id=i-1]",
    "Destroying... [id=i-0]",
    "Reading...",
    "Importing... [id=b-1]",
    "Preparing import... [id=b-1]",
    "Import prepared!",
    "Still creating... [10s elapsed]",
    "Still creating... [00m10s elapsed]",
    "Still modifying... [id=i-1, 1m10s elapsed]",
    "Still destroying... [id=, 20s elapsed]",
    "Still reading... [ elapsed]",
    "Still importing... [id=a, b, 5s elapsed]",
    "Still creating... [10s elapsed] [x]",
    "Still creating...",
    "Still waiting... [10s elapsed]",
    "Creation complete after 2s [id=i-1]",
    "Creation complete after 2s [id=]",
    "Creation complete after [5s]",
    "Creation complete after 5s]",
    "Creation complete after 5s [id=a] [b]",
    "Creation complete after 5s extra [id=a]",
    "Modifications complete after 1s [id=i-1, 3s elapsed]",
    "Modification complete after 1s",
    "Destruction complete after 3s",
    "Read complete after 0s [id=ami-1]",
    "Import complete [id=b-1]",
    "Creation errored after 5s",
    "Destruction errored after 1s [id=x elapsed]",
    "Refreshing state... [id=i-1]",
    "Provisioning with 'local-exec'...",
    "Creating... extra",
    "Creating...\r",
    "",
]
OTHER_LINES = [
    "",
    "   ",
    "Plan: 2 to add, 1 to change, 1 to destroy.",
    "No changes. Your infrastructure matches the configuration.",
    "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.",
    "Apply complete! 3 added",
    "Destroy complete! Resources: 2 destroyed.",
    "  # aws_instance.web will be created",
    "  # aws_lb.app must be replaced",
    '  # module.vpc.aws_subnet.private["eu-west-1a"] will be destroyed',
    "    # aws_x.y will be updated in-place",
    "     # aws_x.y will be created",
    "        # (3 unchanged attributes hidden)",
    "\t# aws_x.y will be read during apply",
    "#aws_x.y will be created",
    "Error: creating EC2 Instance: boom",
    "Error: ",
    "  with aws_instance.web,",
    '  on main.tf line 12, in resource "aws_instance" "web":',
    "  12: resource",
    "the detail of the error",
    "╷",
    "  ╷",
    "│ Error: boom",
    "│ Warning: careful",
    "│",
    "│   with aws_lb.app,",
    "╵",
    "Warning: Argument is deprecated",
    "Note: Objects have changed outside of Terraform",
    "Saved the plan to: tfplan",
    "Terraform will perform the following actions:",
    "      + arn = (known after apply)",
    "▸ Running tofu apply",
    "aws_instance.web (local-exec): ready",
    "aws_x.y (remote-exec): Creating...",
    'aws_x.y["a b"] (local-exec): x',
    "module.vpc: Creating...",
]


@st.composite
def realistic_lines(draw: st.DrawFn) -> str:
    """A line as Terraform, OpenTofu or the runner print them, or anything else."""
    kind = draw(st.sampled_from(["step", "step", "step", "other", "text"]))
    if kind == "step":
        line = f"{draw(st.sampled_from(ADDRESSES))}: {draw(st.sampled_from(MESSAGES))}"
    elif kind == "other":
        line = draw(st.sampled_from(OTHER_LINES))
    else:
        line = draw(st.text(max_size=20).map(lambda text: text.replace("\n", " ")))
    colour = draw(st.sampled_from(["", "", "around", "inside", "broken"]))
    if colour == "around":  # as views/hook_ui.go colours a step
        return f"\x1b[0m\x1b[1m{line}\x1b[0m\x1b[0m"
    if colour in ("inside", "broken"):
        at = draw(st.integers(0, len(line)))
        code = "\x1b[32m" if colour == "inside" else "\x1b[3"
        return line[:at] + code + line[at:]
    return line


def reference_and_quick() -> tuple[ReferenceTracker, ResourceTracker]:
    return ReferenceTracker(), ResourceTracker()


def same(reference: ReferenceTracker, quick: ResourceTracker) -> None:
    assert quick._events == reference._events
    assert shown(quick) == shown(reference)  # type: ignore[arg-type]
    assert quick.index == reference.index


def batches_of(lines: list[str], cuts: list[int]) -> list[str]:
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(lines)}), len(lines)]
    return ["".join(line + "\n" for line in lines[a:b]) for a, b in itertools.pairwise(bounds)]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(realistic_lines(), max_size=60),
    st.lists(st.integers(0, 60), max_size=12),
    st.lists(st.sampled_from(["STDOUT", "STDERR"]), min_size=1, max_size=4),
    st.booleans(),
)
def test_the_quick_reading_gives_the_reference_events(
    lines: list[str], cuts: list[int], streams: list[str], unfinished: bool
) -> None:
    reference, quick = reference_and_quick()
    texts = batches_of(lines, cuts)
    if unfinished and texts and texts[-1]:
        texts[-1] = texts[-1][:-1]  # a last line with no newline is a line all the same
    for number, text in enumerate(texts):
        stream = streams[number % len(streams)]
        assert quick.feed_text(text, stream) == reference.feed_text(text, stream)
        same(reference, quick)
    assert quick.close() == reference.close()
    same(reference, quick)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(realistic_lines(), max_size=40),
    st.lists(st.integers(0, 40), max_size=8),
    st.integers(0, 40),
    st.integers(0, 40),
)
def test_the_quick_reading_gives_the_reference_events_with_history_and_rewinds(
    lines: list[str], cuts: list[int], older: int, mark: int
) -> None:
    """Older lines fed last (history), lines taken back at any mark and fed again."""
    texts = batches_of(lines, cuts)
    older = min(older, len(texts))
    first = sum(text.count("\n") for text in texts[:older])
    reference, quick = reference_and_quick()
    for tracker in (reference, quick):
        tracker.feed_chunks([(text, "STDOUT") for text in texts[older:]], at=first)
    same(reference, quick)
    chunks = [(text, "STDERR") for text in texts[:older]]
    assert quick.feed_chunks(chunks, at=0) == reference.feed_chunks(chunks, at=0)
    same(reference, quick)
    assert quick.rewind(mark) == reference.rewind(mark)
    same(reference, quick)
    again = "".join(line + "\n" for line in lines[mark:])
    assert quick.feed_chunks([(again, "STDOUT")], at=mark) == reference.feed_chunks(
        [(again, "STDOUT")], at=mark
    )
    same(reference, quick)
    planned = [("aws_instance.web", "create"), ("aws_lb.app (deposed object 1a2b)", "replace")]
    assert quick.expect(planned) == reference.expect(planned)
    same(reference, quick)


@pytest.mark.parametrize("coloured", [False, True], ids=["plain", "coloured"])
def test_the_sample_logs_read_as_the_reference_reads_them(coloured: bool) -> None:
    for path in sorted(DATA.glob("*/*.txt")):
        lines = path.read_text().splitlines()
        lines = colour_lines(lines) if coloured else lines
        for size in (1, 7, 100, len(lines) or 1):
            reference, quick = reference_and_quick()
            for text in batches_of(lines, list(range(size, len(lines), size))):
                assert quick.feed_text(text, "STDOUT") == reference.feed_text(text, "STDOUT")
            reference.close()
            quick.close()
            same(reference, quick)


def test_the_benchmark_logs_read_as_the_reference_reads_them() -> None:
    """The logs benchmarks/resources.py times: one of many steps, coloured and not."""
    rng = random.Random(3)
    running: list[str] = []
    lines: list[str] = []
    for number in range(3000):
        address = f'module.fleet["eu-west-1"].aws_instance.node[{number}]'
        if len(running) < 10:
            running.append(address)
            lines.append(f"{address}: Creating...")
        address = rng.choice(running)
        if rng.random() < 0.2:
            running.remove(address)
            lines.append(f"{address}: Creation complete after 53s [id=i-{number:x}]")
        else:
            lines.append(f"{address}: Still creating... [{number % 60}s elapsed]")
    for log in (lines, [f"\x1b[0m\x1b[1m{line}\x1b[0m\x1b[0m" for line in lines]):
        reference, quick = reference_and_quick()
        for text in batches_of(log, list(range(100, len(log), 100))):
            assert quick.feed_text(text, "STDOUT") == reference.feed_text(text, "STDOUT")
        same(reference, quick)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(realistic_lines(), max_size=40),
    st.integers(0, 40),
    st.integers(1, 8),
    st.lists(realistic_lines(), max_size=6),
)
def test_working_out_a_slice_at_a_time_gives_what_working_out_at_once_gives(
    lines: list[str], cut: int, budget: int, late: list[str]
) -> None:
    """Older lines put first make the state to be worked out again (the job view does it
    ``budget`` events at a time between keys); lines arriving in between count too."""
    cut = min(cut, len(lines))
    newer = "".join(line + "\n" for line in lines[cut:])
    older = "".join(line + "\n" for line in lines[:cut])
    arriving = "".join(line + "\n" for line in late)
    at_once, sliced = ResourceTracker(), ResourceTracker()
    for tracker in (at_once, sliced):
        tracker.feed_chunks([(newer, "STDOUT")], at=cut)
        tracker.feed_chunks([(older, "STDOUT")], at=0)
    late_fed = False
    while not sliced.work_out(budget):
        if not late_fed:
            sliced.feed_chunks([(arriving, "STDOUT")])  # (a live row, mid-way)
            late_fed = True
    if not late_fed:  # (nothing was left to work out)
        sliced.feed_chunks([(arriving, "STDOUT")])
    at_once.feed_chunks([(arriving, "STDOUT")])
    assert shown(sliced) == shown(at_once)
    assert sliced.work_out(budget)  # whole: nothing left to do
