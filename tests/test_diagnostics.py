"""Terraform/OpenTofu diagnostics parsed from a log's lines (joblens.diagnostics): real samples
in both forms, what the demo writes, and properties over any text (never raises, never changes a
line, agrees with ``start_severity``, the same whatever way the lines arrive)."""

from __future__ import annotations

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from joblens.backends.demo.terraform.script import JobContext, build_script
from joblens.backends.demo.terraform.stack import ANSI, PLAIN
from joblens.backends.demo.terraform.tofu import DEPRECATION, node_group_error
from joblens.diagnostics import (
    ERROR,
    WARNING,
    Diagnostic,
    DiagnosticParser,
    parse_lines,
    start_severity,
    uncoloured,
)
from joblens.models import StreamType
from joblens.sanitize import split_chunk

# -- real output, as Terraform and OpenTofu print it -------------------------------------------


def as_printed(text: str) -> str:
    """Terraform writes an empty line in the frame as ``│`` and a space."""
    return re.sub(r"(?m)^│$", "│ ", text)


# Terraform 1.x in a terminal: a Go error's text runs over two lines of the summary.
BOXED_ERROR = as_printed("""\
╷
│ Error: creating EC2 Instance: InvalidAMIID.NotFound: The image id '[ami-0a1b2c3d]' does not exist
│ \tstatus code: 400, request id: 5f0e1c9a-7c1d-4a4e-9d0b-2b0b8f1e6a11
│
│   with aws_instance.web,
│   on main.tf line 12, in resource "aws_instance" "web":
│   12: resource "aws_instance" "web" {
│
╵""")

BOXED_WARNING = as_printed("""\
╷
│ Warning: Argument is deprecated
│
│   with module.logs.aws_s3_bucket.this,
│   on modules/logs/main.tf line 7, in resource "aws_s3_bucket" "this":
│    7:   acl    = "private"
│
│ Use the aws_s3_bucket_acl resource instead
│
│ (and 2 more similar warnings elsewhere)
╵""")

# No source; its detail holds a line that starts "Error:", inside the frame (its empty lines
# without the space after the bar).
BOXED_NO_SOURCE = """\
╷
│ Error: No valid credential sources found
│
│ Please see https://registry.terraform.io/providers/hashicorp/aws
│ for more information about providing credentials.
│
│ Error: failed to refresh cached credentials, no EC2 IMDS role found
╵"""

# -no-color: expression values under the snippet, then the detail.
PLAIN_ERROR = """\

Error: Invalid index

  on main.tf line 8, in output "first":
   8:   value = var.names[5]
    ├────────────────
    │ var.names is list of string with 2 elements

The given key does not identify an element in this collection value: the
given index is greater than or equal to the length of the collection.

"""

# A detail of two paragraphs, then Terraform's own output.
PLAIN_WARNING_THEN_PLAN = """\

Warning: Value for undeclared variable

The root module does not declare a variable named "region" but a value was
found in file "terraform.tfvars". If you meant to use this value, add a
"variable" block to the configuration.

To silence these warnings, use TF_VAR_... environment variables to provide
certain "global" settings to all configurations in your organization.

No changes. Your infrastructure matches the configuration."""

# Terraform 0.11 and older.
OLD_ERROR = """\
Error: Error applying plan:

1 error occurred:
\t* aws_instance.web: 1 error occurred:
\t* aws_instance.web: Error launching source instance: UnauthorizedOperation: You are not \
authorized to perform this operation.
\tstatus code: 403, request id: 1f1c

Terraform does not automatically rollback in the face of errors.
Instead, your Terraform state file has been partially updated with
any resources that successfully completed. Please address the error
above and apply again to incrementally change your infrastructure.


Releasing state lock. This may take a few moments..."""

# Terraform 0.12-0.14 without colour: a summary over two lines, source, no detail; two errors.
TWO_PLAIN_ERRORS = """\

Error: Error creating S3 bucket: BucketAlreadyExists: The requested bucket name is not available.
\tstatus code: 409, request id: 4F3C8, host id: abc=

  on main.tf line 1, in resource "aws_s3_bucket" "b":
   1: resource "aws_s3_bucket" "b" {



Error: Unsupported argument

  on main.tf line 3, in resource "aws_s3_bucket" "b":
   3:   acceleration = true

An argument named "acceleration" is not expected here.

"""


def parsed(text: str) -> list[Diagnostic]:
    return parse_lines(text.split("\n"))


def test_a_boxed_error_with_its_summary_over_two_lines() -> None:
    [found] = parsed(BOXED_ERROR)
    assert found.severity == ERROR and found.boxed
    assert found.summary.startswith("creating EC2 Instance: InvalidAMIID.NotFound")
    assert found.address == "aws_instance.web"
    assert (found.file, found.line) == ("main.tf", 12)
    assert found.block == 'resource "aws_instance" "web"'
    assert found.detail == ("\tstatus code: 400, request id: 5f0e1c9a-7c1d-4a4e-9d0b-2b0b8f1e6a11",)
    assert found.lines == tuple(BOXED_ERROR.split("\n")) and found.first == 0


def test_a_boxed_warning_with_a_detail_of_two_paragraphs() -> None:
    [found] = parsed(BOXED_WARNING)
    assert (found.severity, found.summary) == (WARNING, "Argument is deprecated")
    assert found.address == "module.logs.aws_s3_bucket.this"
    assert (found.file, found.line) == ("modules/logs/main.tf", 7)
    assert found.detail == (
        "Use the aws_s3_bucket_acl resource instead",
        "",
        "(and 2 more similar warnings elsewhere)",
    )


def test_error_inside_a_frame_is_its_detail_not_a_new_diagnostic() -> None:
    [found] = parsed(BOXED_NO_SOURCE)
    assert found.summary == "No valid credential sources found"
    assert found.address is None and found.file is None and found.line is None
    assert found.detail[-1] == "Error: failed to refresh cached credentials, no EC2 IMDS role found"
    assert len(found.lines) == len(BOXED_NO_SOURCE.split("\n"))


def test_a_plain_error_keeps_its_expression_values_as_source() -> None:
    [found] = parsed(PLAIN_ERROR)
    lines = PLAIN_ERROR.split("\n")
    assert not found.boxed and found.first == 1  # the blank line before it is not its own
    assert (found.file, found.line, found.block) == ("main.tf", 8, 'output "first"')
    assert found.address is None
    assert found.detail == (
        "The given key does not identify an element in this collection value: the",
        "given index is greater than or equal to the length of the collection.",
    )
    assert found.lines == tuple(lines[1:-2])  # up to its last line, no blank after


def test_a_plain_warning_ends_where_terraforms_own_output_goes_on() -> None:
    [found] = parsed(PLAIN_WARNING_THEN_PLAN)
    assert found.severity == WARNING and found.summary == "Value for undeclared variable"
    assert found.detail[0].startswith("The root module") and "" in found.detail
    assert found.detail[-1].startswith("certain")
    assert not any("No changes" in line for line in found.lines)


def test_the_old_form_runs_to_the_blank_lines_after_it() -> None:
    [found] = parsed(OLD_ERROR)
    assert found.summary == "Error applying plan:" and found.first == 0
    assert found.lines[-1].startswith("above and apply again")
    assert found.detail[0] == "1 error occurred:"


def test_two_plain_errors_in_a_row() -> None:
    first, second = parsed(TWO_PLAIN_ERRORS)
    assert first.summary.startswith("Error creating S3 bucket: BucketAlreadyExists")
    assert first.detail == ("\tstatus code: 409, request id: 4F3C8, host id: abc=",)
    assert (first.file, first.line) == ("main.tf", 1)
    assert first.lines[-1] == '   1: resource "aws_s3_bucket" "b" {'
    assert second.summary == "Unsupported argument" and second.line == 3
    assert second.detail == ('An argument named "acceleration" is not expected here.',)


def test_an_error_line_among_other_output_is_a_diagnostic_of_its_own() -> None:
    [found] = parse_lines(
        ["Error: exit status 1", "aws_instance.web: Creating...", '  + ami = "ami-1"', "noise"]
    )
    assert found.lines == ("Error: exit status 1",) and found.detail == ()
    # A summary runs on for a few lines at most before its blank line.
    [found] = parse_lines(["Error: x", *(f"word {i}" for i in range(20))])
    assert len(found.lines) == 1 + 8


def test_colour_codes_are_ignored_but_kept_in_the_lines() -> None:
    text = DEPRECATION.render(ANSI)
    [found] = parse_lines(split_chunk(text))
    assert found.boxed and found.summary == "Argument is deprecated"
    assert found.address == "module.eks.aws_eks_addon.coredns"
    assert found.lines == tuple(split_chunk(text))
    assert "\x1b[" in found.lines[1]


def test_streams_are_followed_apart() -> None:
    parser = DiagnosticParser()
    done: list[Diagnostic] = []
    lines = PLAIN_ERROR.split("\n")[:-1]
    for i, line in enumerate(lines):
        done += parser.feed(line, "STDERR")
        if i == 3:  # the runner writes a line of its own in the middle
            done += parser.feed("▸ Uploading plan file", "SYSTEM")
    assert done == [] and parser.open_starts == [1]
    [found] = parser.close()
    assert found.stream == "STDERR" and found.first == 1 and found.last == len(lines) - 1
    assert "▸ Uploading plan file" not in found.lines
    assert found.detail[-1].startswith("given index")


def test_a_diagnostic_is_returned_once_complete() -> None:
    parser = DiagnosticParser()
    lines = BOXED_WARNING.split("\n")
    assert [d for line in lines[:-1] for d in parser.feed(line)] == []
    [found] = parser.feed(lines[-1])
    assert found.last == len(lines) - 1 and parser.close() == []


def test_start_severity_needs_the_line_after_a_frames_top() -> None:
    assert start_severity("Error: boom") == ERROR
    assert start_severity("Warning: careful") == WARNING
    assert start_severity("╷") is None
    assert start_severity("╷", "│ Error: boom") == ERROR
    assert start_severity("╷", "│ Warning: careful") == WARNING
    assert start_severity("╷", "│ something else") is None
    assert start_severity("  Error: indented") is None
    assert start_severity("Error:") is None
    assert start_severity("│ Error: inside") is None


# -- what the demo writes ---------------------------------------------------------------------


def demo_run(job_type: str, fate: str, ansi: bool, seed: int) -> tuple[list[Diagnostic], object]:
    script = build_script(
        JobContext("job", job_type, fate, {}, ansi=ansi),  # type: ignore[arg-type]
        random.Random(seed),
    )
    parser = DiagnosticParser()
    found: list[Diagnostic] = []
    for step in script.steps:
        for text, stream in step.chunks:
            found += parser.feed_lines(split_chunk(text), stream)
    return found + parser.close(), script


@settings(max_examples=30)
@given(seed=st.integers(0, 10_000), ansi=st.booleans())
def test_a_failing_demo_deploy_has_one_error_on_the_failed_resource(seed: int, ansi: bool) -> None:
    found, script = demo_run("DEPLOY", "fail", ansi, seed)
    failed = [
        step.metadata["failed_resource"]
        for step in script.steps  # type: ignore[attr-defined]
        if step.metadata and "failed_resource" in step.metadata
    ]
    [error] = found
    assert error.severity == ERROR and error.boxed == ansi
    assert error.stream == StreamType.STDERR
    assert error.summary.startswith("creating EKS Node Group")
    assert [error.address] == failed
    assert (error.file, error.line) == ("modules/eks/nodes.tf", 3)
    assert error.detail[-1].endswith("c).")


@settings(max_examples=20)
@given(
    seed=st.integers(0, 10_000),
    ansi=st.booleans(),
    job=st.sampled_from([("PLAN", "success"), ("DEPLOY", "success")]),
)
def test_a_successful_demo_run_has_the_deprecation_warning_only(
    seed: int, ansi: bool, job: tuple[str, str]
) -> None:
    found, _ = demo_run(*job, ansi, seed)
    [warning] = found
    assert warning.severity == WARNING and warning.summary == DEPRECATION.summary
    assert warning.address == DEPRECATION.address and warning.line == 14
    assert warning.detail == (DEPRECATION.detail,)
    assert warning.stream == StreamType.STDOUT


def test_the_demos_diagnostics_parse_back_to_what_was_rendered() -> None:
    diagnostic, _ = node_group_error("acme-staging", "eu-west-1", 'aws_eks_node_group.this["x"]')
    for palette in (PLAIN, ANSI):
        [found] = parse_lines(split_chunk(diagnostic.render(palette)))
        assert found.summary == diagnostic.summary
        assert found.address == diagnostic.address
        assert " ".join(found.detail) == diagnostic.detail


# -- properties over any text -----------------------------------------------------------------

SGR = st.sampled_from(["", "\x1b[31m", "\x1b[1m\x1b[33m", "\x1b[0m"])
PIECES = st.sampled_from(
    [
        "",
        " ",
        "╷",
        "│",
        "│ ",
        "╵",
        "─" * 5,
        "Error: boom",
        "Warning: careful",
        "Error:",
        "│ Error: inside",
        "│ Warning: inside",
        "│   with aws_x.y,",
        '│   on main.tf line 12, in resource "a" "b":',
        "  with aws_x.y,",
        "  on main.tf line 99999999999999999999:",
        "   3: code",
        "Plan: 1 to add, 0 to change, 0 to destroy.",
        "Apply complete! Resources: 1 added.",
        "▸ Job finished — FAILED",
        "detail text",
        "  indented detail",
    ]
)
LINE = st.one_of(
    st.text(max_size=40),
    st.builds(lambda c, p, r, t: c + p + r + t, SGR, PIECES, SGR, st.text(max_size=8)),
)
STREAMS = st.sampled_from(["STDOUT", "STDERR", "SYSTEM"])
SAMPLES = [
    text.split("\n")
    for text in (
        BOXED_ERROR,
        BOXED_WARNING,
        BOXED_NO_SOURCE,
        PLAIN_ERROR,
        PLAIN_WARNING_THEN_PLAN,
        OLD_ERROR,
        TWO_PLAIN_ERRORS,
        DEPRECATION.render(ANSI),
        DEPRECATION.render(PLAIN),
    )
]
#: Whole samples, or a sample cut short at either end, among lines of any kind.
SAMPLE_CUTS = st.sampled_from(SAMPLES).flatmap(
    lambda lines: st.tuples(st.integers(0, len(lines)), st.integers(0, len(lines))).map(
        lambda cut: lines[min(cut) :] if cut[0] > cut[1] else lines[: max(cut) or len(lines)]
    )
)
PARTS = st.one_of(LINE.map(lambda line: [line]), SAMPLE_CUTS)
#: Lines with their streams: each part of them written to one stream.
STREAMED = st.lists(st.tuples(PARTS, STREAMS), max_size=12).map(
    lambda parts: [(line, stream) for lines, stream in parts for line in lines]
)
TEXTS = st.lists(st.one_of(LINE.map(lambda line: [line]), SAMPLE_CUTS), max_size=12).map(
    lambda parts: [line for part in parts for line in part]
)


def feed_all(lines: list[tuple[str, str]]) -> list[Diagnostic]:
    parser = DiagnosticParser()
    found: list[Diagnostic] = []
    for line, stream in lines:
        found += parser.feed(line, stream)
    return found + parser.close()


@given(STREAMED)
def test_never_raises_never_changes_a_line_and_blocks_stay_apart(
    lines: list[tuple[str, str]],
) -> None:
    given_lines = list(lines)
    found = feed_all(lines)
    assert lines == given_lines
    taken: set[int] = set()
    for diagnostic in found:
        assert diagnostic.severity in (ERROR, WARNING)
        assert diagnostic.first <= diagnostic.last
        # Its lines are its stream's lines from its first to its last, exactly as given.
        own = [
            line
            for line, stream in lines[diagnostic.first : diagnostic.last + 1]
            if stream == diagnostic.stream
        ]
        assert diagnostic.lines == tuple(own)
        assert lines[diagnostic.first][0] == diagnostic.lines[0]
        indexes = {
            i
            for i in range(diagnostic.first, diagnostic.last + 1)
            if lines[i][1] == diagnostic.stream
        }
        assert not indexes & taken
        taken |= indexes


@given(TEXTS)
def test_diagnostics_start_exactly_where_start_severity_says(lines: list[str]) -> None:
    plain = [uncoloured(line) for line in lines]
    expected = {
        i: severity
        for i, line in enumerate(plain)
        if (severity := start_severity(line, plain[i + 1] if i + 1 < len(plain) else None))
    }
    assert {d.first: d.severity for d in parse_lines(lines)} == expected


@given(
    STREAMED,
    st.randoms(use_true_random=False),
)
def test_the_same_blocks_however_the_lines_are_batched(
    lines: list[tuple[str, str]], rng: random.Random
) -> None:
    """Lines fed in batches (``feed_lines``, as chunks arrive) give what they give one by one,
    and a block being read is one that the whole input completes."""
    whole = feed_all(lines)
    parser = DiagnosticParser()
    found: list[Diagnostic] = []
    at = 0
    while at < len(lines):
        stream = lines[at][1]
        end = at + 1
        while end < len(lines) and lines[end][1] == stream and rng.random() < 0.7:
            end += 1
        found += parser.feed_lines([line for line, _ in lines[at:end]], stream)
        assert set(parser.open_starts) <= {d.first for d in whole}
        at = end
    found += parser.close()
    assert sorted(found, key=lambda d: d.first) == sorted(whole, key=lambda d: d.first)
