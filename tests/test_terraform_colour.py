"""Colourless tofu output is coloured as tofu's colour mode would, and its text never changes.

The fixtures in ``tests/data/tofu/`` are OpenTofu 1.8 output as the platform's runner gets it
(``-no-color``): an init and plan, an apply, a failing apply with the plain diagnostics
``-no-color`` prints, and the same failure in tofu's framed form (``╷ │ ╵``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.style import Style

from joblens.sanitize import sanitize, strip_sgr
from joblens.terraform_colour import (
    LOOKBACK,
    SGR,
    Nearby,
    colour_line,
    colour_lines,
    frame_severity,
    line_spans,
    spans,
)
from joblens.widgets.log.render import LINE_CELL_CAP, line_segments
from joblens.widgets.log.store import display_width, expand_tabs

DATA = Path(__file__).resolve().parent / "data" / "tofu"

_console = Console(width=200, color_system="truecolor")
_stdout = Style(color="white", bgcolor="black")
_stderr = Style(color="#ff5555", bgcolor="black")
_marker = Style(italic=True)


def fixture(name: str) -> list[str]:
    return (DATA / name).read_text(encoding="utf-8").splitlines()


def around(lines: Sequence[str], index: int) -> Nearby:
    def nearby(offset: int) -> str | None:
        at = index + offset
        return lines[at] if 0 <= at < len(lines) else None

    return nearby


def pieces(line: str, nearby: Nearby | None = None) -> list[tuple[str, str]]:
    """What is styled, as (text, style name): easier to read than offsets."""
    return [(line[start:end], name) for start, end, name in line_spans(line, nearby)]


def styled(name: str) -> dict[str, list[tuple[str, str]]]:
    """Every line of a fixture with what is styled in it (frames see their neighbours)."""
    lines = fixture(name)
    return {line: pieces(line, around(lines, i)) for i, line in enumerate(lines)}


# ----------------------------------------------------------------------------- a plan


def test_plan_symbols_are_coloured_as_tofu_colours_them() -> None:
    plan = styled("plan.txt")
    assert plan['  + resource "aws_s3_bucket" "artifacts" {'] == [("+", "create")]
    assert plan['  ~ resource "aws_security_group" "web" {'] == [("~", "update")]
    assert plan['  - resource "aws_instance" "legacy_jumpbox" {'] == [("-", "destroy")]
    assert plan['-/+ resource "aws_instance" "web" {'] == [("-", "destroy"), ("+", "create")]
    assert plan[' <= data "aws_iam_policy_document" "assume" {'] == [("<=", "read")]
    assert plan['      + bucket                      = "tendril-artifacts-eu-west-1"'] == [
        ("+", "create")
    ]
    assert plan['                  - "0.0.0.0/0",'] == [("-", "destroy")]
    # The legend after "Resource actions are indicated with the following symbols:".
    assert plan["  + create"] == [("+", "create")]
    assert plan["  ~ update in-place"] == [("~", "update")]
    assert plan["  - destroy"] == [("-", "destroy")]
    assert plan["-/+ destroy and then create replacement"] == [("-", "destroy"), ("+", "create")]
    assert plan[" <= read (data resources)"] == [("<=", "read")]


def test_plan_notes_are_red_or_dimmed_as_in_tofu() -> None:
    plan = styled("plan.txt")
    forces = next(line for line in plan if line.endswith("# forces replacement"))
    assert plan[forces] == [("~", "update"), ("# forces replacement", "destroy")]
    to_null = next(line for line in plan if line.startswith("      - instance_type"))
    assert plan[to_null] == [("-", "destroy"), ("-> null", "dim")]
    assert plan["        } -> null"] == [("-> null", "dim")]
    assert plan["        # (31 unchanged attributes hidden)"] == [
        ("# (31 unchanged attributes hidden)", "dim")
    ]
    assert plan["        # (8 unchanged blocks hidden)"] == [
        ("# (8 unchanged blocks hidden)", "dim")
    ]


def test_resource_headers_have_their_address_in_bold() -> None:
    plan = styled("plan.txt")
    assert plan["  # aws_s3_bucket.artifacts will be created"] == [
        ("# aws_s3_bucket.artifacts", "bold")
    ]
    assert plan["  # aws_security_group.web will be updated in-place"] == [
        ("# aws_security_group.web", "bold")
    ]
    assert plan["  # aws_instance.legacy_jumpbox will be destroyed"] == [
        ("# aws_instance.legacy_jumpbox", "bold")
    ]
    assert plan["  # aws_instance.web must be replaced"] == [("# aws_instance.web", "bold")]
    assert plan["  # data.aws_iam_policy_document.assume will be read during apply"] == [
        ("# data.aws_iam_policy_document.assume", "bold")
    ]
    deposed = "  # aws_instance.web (deposed object 1a2b3c4d) will be destroyed"
    assert pieces(deposed) == [("# aws_instance.web (deposed object 1a2b3c4d)", "bold")]
    assert pieces('  # aws_instance.web["a b"] has moved to aws_instance.app["a b"]') == [
        ('# aws_instance.web["a b"]', "bold")
    ]
    # The notes under a header stay plain, as in tofu.
    assert plan["  # (depends on a resource or a module with changes pending)"] == []
    assert plan["  # (because aws_instance.legacy_jumpbox is not in configuration)"] == []


def test_plan_summary_and_outputs() -> None:
    plan = styled("plan.txt")
    assert plan["Plan: 2 to add, 1 to change, 2 to destroy."] == [
        ("Plan:", "bold"),
        ("2 to add", "create"),
        ("1 to change", "update"),
        ("2 to destroy", "destroy"),
    ]
    # A count of zero is not news: it stays plain.
    assert pieces("Plan: 1 to add, 0 to change, 0 to destroy.") == [
        ("Plan:", "bold"),
        ("1 to add", "create"),
    ]
    assert plan["Changes to Outputs:"] == [("Changes to Outputs:", "bold")]
    assert plan['  + artifacts_bucket = "tendril-artifacts-eu-west-1"'] == [("+", "create")]
    no_changes = "No changes. Your infrastructure matches the configuration."
    assert pieces(no_changes) == [
        ("No changes.", "success"),
        (" Your infrastructure matches the configuration.", "bold"),
    ]


def test_init_refresh_and_lock_chatter_is_dimmed() -> None:
    plan = styled("plan.txt")
    assert plan["Initializing the backend..."] == [("Initializing the backend...", "bold")]
    assert plan["Initializing provider plugins..."] == [
        ("Initializing provider plugins...", "bold")
    ]
    assert plan["OpenTofu has been successfully initialized!"] == [
        ("OpenTofu has been successfully initialized!", "success")
    ]
    assert pieces("Terraform has been successfully initialized!") == [
        ("Terraform has been successfully initialized!", "success")
    ]
    for line, found in plan.items():
        if line.startswith(("- Find", "- Install", "Acquiring state", "Releasing state")):
            assert found == [(line, "dim")], line
        if ": Refreshing state... [id=" in line:
            assert found == [(line, "dim")], line
    assert pieces("- Using previously-installed hashicorp/aws v5.72.1") == [
        ("- Using previously-installed hashicorp/aws v5.72.1", "dim")
    ]
    assert pieces("- Reusing previous version of hashicorp/aws from the dependency lock file")
    assert plan["data.aws_ami.ubuntu: Reading..."] == [("data.aws_ami.ubuntu: Reading...", "bold")]


def test_prose_in_a_plan_stays_plain() -> None:
    plan = styled("plan.txt")
    plain = [
        "Providers are signed by their developers.",
        "https://opentofu.org/docs/cli/plugins/signing/",
        'you run "tofu init" in the future.',
        "OpenTofu will perform the following actions:",
        '        id                     = "sg-0a1b2c3d4e5f67890"',
        "        }",
        "    }",
        "Saved the plan to: tfplan",
        '    tofu apply "tfplan"',
        "─" * 77,
        "",
    ]
    for line in plain:
        assert plan[line] == [], line


# ----------------------------------------------------------------------------- an apply


def test_apply_progress_lines_are_bold_as_tofu_prints_them() -> None:
    apply = styled("apply.txt")
    progress = [line for line in apply if line.startswith(("aws_", "data."))]
    assert len(progress) == 18
    for line in progress:
        if " (local-exec): " in line:
            prefix = line[: line.index(":") + 1]
            assert apply[line] == [(prefix, "bold")], line
        else:
            assert apply[line] == [(line, "bold")], line


def test_apply_results_are_bold_green() -> None:
    apply = styled("apply.txt")
    done = "Apply complete! Resources: 2 added, 1 changed, 2 destroyed."
    assert apply[done] == [(done, "success")]
    assert apply["Outputs:"] == [("Outputs:", "success")]
    assert apply['artifacts_bucket = "tendril-artifacts-eu-west-1"'] == []
    destroyed = "Destroy complete! Resources: 4 destroyed."
    assert pieces(destroyed) == [(destroyed, "success")]


# ----------------------------------------------------------------------------- a failing apply


def test_plain_diagnostics_have_a_red_error_and_a_yellow_warning() -> None:
    failed = styled("apply_failed.txt")
    error = next(line for line in failed if line.startswith("Error: "))
    assert failed[error] == [("Error: ", "error"), (error[len("Error: ") :], "bold")]
    assert failed["Warning: Argument is deprecated"] == [
        ("Warning: ", "warning"),
        ("Argument is deprecated", "bold"),
    ]
    assert failed["  with aws_iam_role.app,"] == []
    assert failed['  on iam.tf line 3, in resource "aws_iam_role" "app":'] == []
    assert failed['   3: resource "aws_iam_role" "app" {'] == []


def test_frame_gutters_take_the_colour_of_their_block() -> None:
    lines = fixture("apply_failed_framed.txt")
    warning_block = lines[1:10]
    error_block = lines[10:18]
    assert warning_block[0] == "╷" and warning_block[-1] == "╵"
    assert error_block[0] == "╷" and error_block[-1] == "╵"
    for offset, block, severity in ((1, warning_block, "warning"), (10, error_block, "error")):
        for i, line in enumerate(block):
            found = pieces(line, around(lines, offset + i))
            assert found[0] == (line[0], f"{severity}-frame"), line
            if i == 1:  # the severity line itself
                label = "Error: " if severity == "error" else "Warning: "
                assert found[1] == (label, severity)
                assert found[2][1] == "bold"
            else:
                assert len(found) == 1, line
    assert pieces(lines[-1], around(lines, len(lines) - 1)) == [(lines[-1], "dim")]


def test_a_frame_line_alone_is_not_guessed() -> None:
    # Without neighbours (or with the block's start out of reach) the gutter stays plain.
    assert line_spans("│   with aws_db_instance.main,") == ()
    assert line_spans("╵") == ()
    lines = ["╷", "│ Error: boom", *["│ detail"] * LOOKBACK, "╵"]
    assert frame_severity(lines[LOOKBACK], around(lines, LOOKBACK)) == "error"
    far = LOOKBACK + 1  # its ╷ is one line further up than is looked
    assert frame_severity(lines[far], around(lines, far)) is None
    # A ╷ that is the last line known: the next line has not arrived.
    assert frame_severity("╷", around(["╷"], 0)) is None
    # A frame line after ordinary text is not in a block.
    assert frame_severity("│ x", around(["text", "│ x"], 1)) is None


# ----------------------------------------------------------------------------- plain mode


def test_colour_line_writes_the_sgr_codes_tofu_would() -> None:
    assert colour_line('  + resource "a" "b" {') == '  \x1b[32m+\x1b[0m resource "a" "b" {\x1b[0m'
    assert colour_line("Error: boom") == "\x1b[1;31mError: \x1b[0m\x1b[1mboom\x1b[0m"
    assert colour_line("nothing to see") == "nothing to see"
    # A line with its own colours keeps them, reset at the end so they never leak.
    assert colour_line("\x1b[32m+\x1b[0m done") == "\x1b[32m+\x1b[0m done\x1b[0m"


def test_a_tinted_line_keeps_its_tint_and_gets_bold_only() -> None:
    red = "\x1b[31m"
    assert colour_line("Error: boom", tint=red) == (
        f"{red}\x1b[1mError: \x1b[0m{red}\x1b[1mboom\x1b[0m{red}\x1b[0m"
    )
    assert colour_line("  + x", tint=red) == f"{red}  + x\x1b[0m"
    assert colour_line("plain", tint=red) == f"{red}plain\x1b[0m"


def test_colour_lines_sees_the_lines_printed_before() -> None:
    lines = fixture("apply_failed_framed.txt")
    first, rest = lines[:12], lines[12:]  # the error block is cut in two
    coloured = colour_lines(rest, before=first)
    assert coloured[0] == "\x1b[31m│\x1b[0m"
    assert coloured[-2] == "\x1b[31m╵\x1b[0m"
    assert [strip_sgr(line) for line in coloured] == rest


# ----------------------------------------------------------------------------- properties

_PIECES = [
    " ",
    "  ",
    "    ",
    "\t",
    "+",
    "-",
    "~",
    "<=",
    "-/+",
    "+/-",
    "#",
    "# ",
    "(",
    ")",
    "}",
    "]",
    ": ",
    "aws_instance.web",
    "data.aws_ami.x",
    'resource "aws_s3_bucket" "logs" {',
    " will be created",
    " must be replaced",
    " has moved to ",
    "Creating...",
    "Still creating... [10s elapsed]",
    "Refreshing state...",
    " (local-exec)",
    "Error: ",
    "Warning: ",
    "Error:",
    "│",
    "│ ",
    "╷",
    "╵",
    "Plan: ",
    "1 to add",
    "0 to destroy",
    ", ",
    " # forces replacement",
    " -> null",
    "unchanged",
    " hidden)",
    "(known after apply)",
    "Initializing ",
    "- Finding ",
    "Outputs:",
    "No changes.",
    "Apply complete!",
    "Note: ",
    "Success! ",
    "漢",
    "é",
    "\u200b",
    "x",
]
_tofu_line = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)
_any_line = st.text(alphabet=st.characters(codec="utf-8"), max_size=120)
_lines = st.one_of(_tofu_line, _any_line)


def assert_well_formed(line: str, found: tuple[tuple[int, int, str], ...]) -> None:
    done = 0
    for start, end, name in found:
        assert done <= start < end <= len(line), found
        assert name in SGR
        done = end


@given(_lines)
def test_spans_are_in_range_sorted_and_apart(line: str) -> None:
    assert_well_formed(line, spans(line))


@given(_lines, st.lists(_lines, max_size=6), st.integers(0, 6))
def test_spans_with_neighbours_are_well_formed_too(line: str, others: list[str], at: int) -> None:
    lines = [*others[:at], line, *others[at:]]
    index = min(at, len(others))
    assert_well_formed(line, line_spans(line, around(lines, index)))


@given(_lines, st.lists(_lines, max_size=4), st.booleans())
def test_rendering_never_changes_the_text(line: str, others: list[str], tinted: bool) -> None:
    lines = [line, *others]
    raw = line.encode("utf-8")
    style = _stderr if tinted else _stdout
    segments, length = line_segments(raw, style, _marker, _console, around(lines, 0), tinted=tinted)
    shown = sanitize(line)
    if "\x1b" in shown:
        return  # SGR lines are not highlighted; their text is test_log_render's concern
    expected = expand_tabs(shown)
    if display_width(shown.encode()) <= LINE_CELL_CAP:
        assert "".join(segment.text for segment in segments) == expected
        assert length == display_width(shown.encode())
    assert all(segment.style is not None for segment in segments)


@given(_lines, st.sampled_from(["", "\x1b[31m", "\x1b[34m"]))
def test_plain_mode_never_changes_the_text(line: str, tint: str) -> None:
    line = strip_sgr(sanitize(line))
    assert strip_sgr(colour_line(line, tint=tint)) == line


# ----------------------------------------------------------------------------- the pane's styles


def test_spans_are_drawn_over_the_stream_style() -> None:
    raw = b'  + resource "aws_s3_bucket" "logs" {'
    segments, _ = line_segments(raw, _stdout, _marker, _console)
    plus = next(segment for segment in segments if segment.text == "+")
    assert plus.style is not None and plus.style.color is not None
    assert plus.style.color.name == "green"
    assert plus.style.bgcolor == _stdout.bgcolor  # the stream's background stays under it
    assert segments[0].style == _stdout


@pytest.mark.parametrize("text", ["Error: boom", "Warning: careful"])
def test_a_stderr_line_stays_red_and_is_bold(text: str) -> None:
    # STDERR's own red stays: the label and the summary are bold in it, one segment.
    segments, _ = line_segments(text.encode(), _stderr, _marker, _console, tinted=True)
    assert [segment.text for segment in segments] == [text]
    assert segments[0].style == _stderr + Style(bold=True)
    # On STDOUT the label takes tofu's colour.
    segments, _ = line_segments(text.encode(), _stdout, _marker, _console)
    label = segments[0].style
    assert label is not None and label.bold and label.color is not None
    assert label.color.name == ("red" if text.startswith("Error") else "yellow")


def test_a_huge_colourless_line_is_still_highlighted_before_the_cut() -> None:
    raw = ("aws_instance.web: Still creating... " + "x" * 100_000).encode()
    segments, length = line_segments(raw, _stdout, _marker, _console)
    assert length <= LINE_CELL_CAP + 40
    assert segments[0].style is not None and segments[0].style.bold
    assert segments[-1].style == _marker


def test_the_pane_and_plain_mode_show_each_style_alike() -> None:
    # Plain mode writes SGR; the pane draws Rich styles: the same colour and weight for each.
    from rich.text import Text

    from joblens.widgets.log.render import _TOFU_STYLES

    def look(style: Style | str) -> tuple[int | None, bool | None, bool | None]:
        assert isinstance(style, Style)
        return (style.color.number if style.color else None, style.bold, style.dim)

    assert set(_TOFU_STYLES) == set(SGR)
    for name, params in SGR.items():
        parsed = Text.from_ansi(f"\x1b[{params}mx\x1b[0m").spans[0].style
        assert look(parsed) == look(_TOFU_STYLES[name]), name


def test_an_underline_colour_in_the_log_draws_no_blink_frame_or_bold() -> None:
    """Rich's decoder read ``58;5;51`` (underline colour) as blink and frame, and
    ``58;2;r;g;b`` as bold, dim and italic: log text could make itself blink."""
    for raw in (b"\x1b[58;5;51mquiet", b"\x1b[58;2;1;2;3mquiet", b"\x1b[31;58;5;5mquiet"):
        segments, _ = line_segments(raw, _stdout, _marker, _console)
        quiet = next(segment for segment in segments if segment.text == "quiet")
        assert quiet.style is not None
        assert not (quiet.style.blink or quiet.style.frame or quiet.style.bold), raw
        assert not (quiet.style.dim or quiet.style.italic), raw
