"""The Errors panel (x): every diagnostic in the log, to go to (Enter, a click) and copy (c)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from joblens.backends.demo import DemoBackend
from joblens.diagnostics import Diagnostic, DiagnosticParser
from joblens.sanitize import strip_sgr
from joblens.screens.job_screen import JobScreen
from joblens.widgets.banner import StatusBanner
from joblens.widgets.error_digest import DigestReader, ErrorsPanel
from joblens.widgets.log import LogPane
from joblens.widgets.log import store as store_module
from joblens.widgets.log.store import NOTE, LineStore, stream_code
from support.demo import StaticWorld
from support.views import QUICK_POLL, make_app, notes, opened, opened_pane
from support.waiting import wait_for

S3_ERROR = "Error: creating S3 Bucket (logs): BucketAlreadyExists"
#: Colourless diagnostics as the runner stores tofu's output: a warning on STDOUT, two errors
#: on STDERR; STDOUT lines written between an error's rows, one of its lines cut across two
#: rows; the last error's summary hostile (escape sequences, Rich markup).
LOG = (
    *((f"refreshing {i}\n", "STDOUT") for i in range(60)),
    (
        "\nWarning: Argument is deprecated\n\n"
        "  with module.eks.aws_eks_addon.coredns,\n"
        '  on modules/eks/addons.tf line 14, in resource "aws_eks_addon" "coredns":\n'
        '  14:   resolve_conflicts = "OVERWRITE"\n\n'
        "Use resolve_conflicts_on_create instead.\n\n",
        "STDOUT",
    ),
    *(
        (f"aws_instance.app[{i}]: Creation complete after 1s [id=i-{i}]\n", "STDOUT")
        for i in range(60)
    ),
    ("\nError: creating S3 Bucket (logs): BucketAlre", "STDERR"),
    ("module.vpc.aws_vpc.this: Creation complete after 2s [id=vpc-1]\n", "STDOUT"),
    (
        "adyExists\n\n"
        "  with aws_s3_bucket.logs,\n"
        '  on s3.tf line 7, in resource "aws_s3_bucket" "logs":\n'
        '   7: resource "aws_s3_bucket" "logs" {\n\n'
        "The bucket name is taken.\n",
        "STDERR",
    ),
    *((f"waiting {i}\n", "STDOUT") for i in range(5)),
    (
        "\nError: \x1b[31m[bold]Unauthorized[/bold]\x1b]0;pwned\x07\x1b[2J operation\n\n"
        "  with aws_iam_role.nodes,\n\n"
        "Access denied: [link=https://evil.example]here[/link].\n",
        "STDERR",
    ),
    *((f"after {i}\n", "STDOUT") for i in range(80)),
)
LINES = 229
HOSTILE = "[bold]Unauthorized[/bold] operation"
S3_LINES = [
    S3_ERROR,
    "",
    "  with aws_s3_bucket.logs,",
    '  on s3.tf line 7, in resource "aws_s3_bucket" "logs":',
    '   7: resource "aws_s3_bucket" "logs" {',
    "",
    "The bucket name is taken.",
]


def digest_panel(pilot: Pilot[Any]) -> ErrorsPanel:
    return pilot.app.screen.query_one("#errors", ErrorsPanel)


def entries(panel: ErrorsPanel) -> list[Text]:
    """The entries listed, as the list holds them."""
    listed = panel.entries
    prompts = [listed.get_option_at_index(i).prompt for i in range(listed.option_count)]
    assert all(isinstance(prompt, Text) for prompt in prompts)
    return prompts  # type: ignore[return-value]


def rows_in_view(widget: Any) -> list[str]:
    """The text of the rows a widget paints, top to bottom."""
    return [widget.render_line(y).text for y in range(widget.scrollable_content_region.height)]


def in_view(pane: LogPane, line: int) -> bool:
    return any(row.rstrip() == pane.line_text(line) for row in rows_in_view(pane))


def line_of(pane: LogPane, text: str) -> int:
    """The first line that reads ``text`` (colour codes aside)."""
    return next(i for i in range(pane.line_count) if strip_sgr(pane.line_text(i)) == text)


def styles_of(text: Text, part: str) -> set[str]:
    start = text.plain.index(part)
    return {str(span.style) for span in text.spans if span.start <= start < span.end}


# -- the demo's failing DEPLOY ------------------------------------------------------------------


async def test_the_demo_failed_deploy_lists_its_error_to_go_to_and_copy(
    no_system_clipboard: list[str],
) -> None:
    backend = DemoBackend(speed=100.0, seed=5)
    job_id = backend.start_scenario("deploy-fail")
    async with make_app(backend, job_id, poll_seconds=QUICK_POLL).run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        pane = screen.query_one(LogPane)
        await wait_for(pilot, lambda: screen.job.status == "FAILED", timeout=30)
        panel = digest_panel(pilot)
        # Closed, its title already says how many.
        await wait_for(pilot, lambda: panel.title == "Errors: 1 error")
        assert panel.collapsed
        await pilot.press("x")
        assert not panel.collapsed and panel.entries.has_focus
        # (FAILED may come before the log's last rows: the entry is shown as read so far, its
        # detail once the line with it is in.)
        await wait_for(pilot, lambda: [e.plain.count("\n") for e in entries(panel)] == [2])
        (entry,) = entries(panel)
        summary, where, detail = entry.plain.split("\n")
        assert summary.startswith("✖ error  creating EKS Node Group (acme-platform-staging:")
        assert summary.endswith("): waiting for completion")
        assert where.startswith("  module.eks.aws_eks_node_group.this[")
        assert where.endswith("]  modules/eks/nodes.tf:3")
        assert detail == "  unexpected state 'CREATE_FAILED', wanted target 'ACTIVE'. last error:"
        assert "bold red" in styles_of(entry, "✖ error")

        await pilot.press("enter")
        (diagnostic,) = panel.diagnostics
        line = diagnostic.first - pane.start_mark()
        assert pane.error_line == line and in_view(pane, line)
        assert pane.line_text(line).startswith("Error: creating EKS Node Group")
        assert panel.entries.has_focus  # the next entry is a key away

        await pilot.press("c")
        log = [strip_sgr(pane.line_text(i)) for i in range(line, diagnostic.last + 1)]
        assert no_system_clipboard == ["\n".join(log)]
        assert log[-1].endswith("capacity in the Availability Zone you requested (eu-west-1c).")
        assert any("Copied the error “creating EKS Node Group" in n for n in notes(pilot.app))

        await pilot.press("x")  # closed again, back to the log
        assert panel.collapsed and pane.has_focus


# -- a log of colourless diagnostics -------------------------------------------------------------


async def test_the_title_counts_errors_and_warnings_while_the_panel_is_closed(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(job_type="DEPLOY", status="PROCESSING")
    static_world.logs(job_id, *LOG[:121])  # up to the warning's end
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        panel = digest_panel(pilot)
        await wait_for(pilot, lambda: panel.title == "Errors: 1 warning")
        static_world.logs(job_id, *LOG[121:])  # the errors, one of them cut mid-line
        await wait_for(pilot, lambda: panel.title == "Errors: 2 errors, 1 warning")
        assert panel.collapsed
        footer = {key.key for key in pilot.app.screen.query(FooterKey)}
        assert "x" not in footer  # the palette and the help have it; the footer has no room
        titles = [c.title for c in pilot.app.get_system_commands(pilot.app.screen)]
        assert titles.index("Show the errors") > titles.index("Search the log")


async def test_each_entry_shows_severity_summary_address_place_and_detail(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(job_type="DEPLOY", status="FAILED", error_message="exit 1")
    static_world.logs(job_id, *LOG)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        await opened_pane(pilot, LINES)
        panel = digest_panel(pilot)
        await wait_for(pilot, lambda: len(panel.diagnostics) == 3)
        await pilot.press("x")
        warning, s3, hostile = entries(panel)
        assert warning.plain == (
            "▲ warning  Argument is deprecated\n"
            "  module.eks.aws_eks_addon.coredns  modules/eks/addons.tf:14\n"
            "  Use resolve_conflicts_on_create instead."
        )
        assert "bold yellow" in styles_of(warning, "▲ warning")
        assert s3.plain == (
            "✖ error  creating S3 Bucket (logs): BucketAlreadyExists\n"
            "  aws_s3_bucket.logs  s3.tf:7\n"
            "  The bucket name is taken."
        )
        assert "bold red" in styles_of(s3, "✖ error")
        # Escape sequences gone, markup shown as the text it is.
        assert hostile.plain == (
            f"✖ error  {HOSTILE}\n"
            "  aws_iam_role.nodes\n"
            "  Access denied: [link=https://evil.example]here[/link]."
        )
        painted = "\n".join(rows_in_view(panel.entries))
        assert f"✖ error  {HOSTILE}" in painted
        assert "[link=https://evil.example]here[/link]" in painted
        assert "\x1b" not in painted and "pwned" not in painted


async def test_enter_and_a_click_move_the_log_to_the_diagnostic_pausing_following(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(job_type="DEPLOY", status="FAILED", error_message="exit 1")
    static_world.logs(job_id, *LOG)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, LINES)
        panel = digest_panel(pilot)
        await wait_for(pilot, lambda: len(panel.diagnostics) == 3)
        assert pane.following
        await pilot.press("x", "down", "enter")
        s3 = line_of(pane, S3_ERROR)
        assert pane.error_line == s3 and in_view(pane, s3)
        assert not pane.following
        await pilot.press("x", "e")  # back in the log, e goes on from there: the next error
        assert pane.error_line == line_of(pane, f"Error: {HOSTILE}")

        await pilot.press("x")
        await pilot.click("#errors-list", offset=(6, 0))  # the warning's first row
        warning = line_of(pane, "Warning: Argument is deprecated")
        assert pane.error_line == warning and in_view(pane, warning)
        assert not pane.following


async def test_c_and_y_copy_the_diagnostic_lines_and_say_what_was_copied(
    static_world: StaticWorld, no_system_clipboard: list[str]
) -> None:
    job_id = static_world.job(job_type="DEPLOY", status="FAILED", error_message="exit 1")
    static_world.logs(job_id, *LOG)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        await opened_pane(pilot, LINES)
        panel = digest_panel(pilot)
        await wait_for(pilot, lambda: len(panel.diagnostics) == 3)
        await pilot.press("x", "down", "c")
        # Its own lines only (not the STDOUT line written among them), the cut line whole.
        assert no_system_clipboard == ["\n".join(S3_LINES)]
        copied = "Copied the error “creating S3 Bucket (logs): BucketAlreadyExists” (7 lines)"
        await wait_for(pilot, lambda: any(n.startswith(copied) for n in notes(pilot.app)))
        await pilot.press("down", "y")
        assert no_system_clipboard[-1] == (
            f"Error: {HOSTILE}\n\n  with aws_iam_role.nodes,\n\n"
            "Access denied: [link=https://evil.example]here[/link]."
        )
        assert pilot.app.screen.query_one(LogPane).line_count == LINES  # nothing else happened


async def test_a_log_without_diagnostics_says_so(static_world: StaticWorld) -> None:
    job_id = static_world.job(status="SUCCESS")
    static_world.logs(job_id, *((f"line {i}\n", "STDOUT") for i in range(30)))
    async with static_world.app(job_id).run_test(size=(80, 24)) as pilot:
        pane = await opened_pane(pilot, 30)
        panel = digest_panel(pilot)
        assert panel.title == "Errors (0)"
        await pilot.press("x")
        assert not panel.collapsed
        empty = panel.query_one("#errors-empty", Static)
        assert empty.display and str(empty.render()) == "No errors or warnings so far"
        assert not panel.entries.display and pane.has_focus


async def test_an_error_in_an_older_page_is_found_as_the_history_loads(
    static_world: StaticWorld,
) -> None:
    job_id = static_world.job(job_type="DEPLOY", status="FAILED", error_message="exit 1")
    rows = [(f"row {i}\n", "STDOUT") for i in range(2500)]  # pages of 1,000: two prepended
    rows[10] = ("Error: early failure\n", "STDERR")
    static_world.logs(job_id, *rows)
    async with static_world.app(job_id).run_test(size=(120, 40)) as pilot:
        pane = await opened_pane(pilot, 2500)
        panel = digest_panel(pilot)
        await wait_for(pilot, lambda: panel.title == "Errors: 1 error")
        await pilot.press("x", "enter")
        assert pane.error_line == 10 and in_view(pane, 10)
        assert pane.start_mark() < 0  # (the older pages were put before the newest one)


# -- the banner --------------------------------------------------------------------------------


async def test_the_failed_banner_mentions_x_only_where_there_is_room(
    static_world: StaticWorld,
) -> None:
    message = "terraform apply exited 1 after 3 resources failed"  # fits at 80 without x
    job_id = static_world.job(job_type="DEPLOY", status="FAILED", error_message=message)
    static_world.logs(job_id, *LOG)
    async with static_world.app(job_id).run_test(size=(80, 24)) as pilot:
        await opened_pane(pilot, LINES)
        banner = pilot.app.screen.query_one(StatusBanner)
        await wait_for(pilot, lambda: str(banner.render()).endswith("e first error"))
        await wait_for(pilot, lambda: len(digest_panel(pilot).diagnostics) == 3)
        await pilot.pause(0.1)
        assert str(banner.render()) == f"✖ Failed: {message}  ·  e first error"
        assert banner.size.height == 1
        await pilot.resize_terminal(120, 40)
        offered = f"✖ Failed: {message}  ·  e first error  ·  x all errors"
        await wait_for(pilot, lambda: str(banner.render()) == offered)
        assert banner.size.height == 1
        # Clicked, it opens the panel.
        column = offered.index("x all errors")
        await pilot.click(StatusBanner, offset=(column + 2, 0))
        await wait_for(pilot, lambda: not digest_panel(pilot).collapsed)
        assert isinstance(pilot.app.screen, JobScreen)


# -- reading the pane's lines ----------------------------------------------------------------------


class StoreLines:
    """The pane's lines without a screen: its store, read the way the pane reads it."""

    read_blocks = LogPane.read_blocks

    def __init__(self) -> None:
        self._store = LineStore()

    @property
    def line_count(self) -> int:
        return len(self._store)

    def start_mark(self) -> int:
        return -self._store.origin

    def lines(self) -> Iterator[tuple[str, int]]:
        for i in range(len(self._store)):
            yield self._store.line(i).decode("utf-8", "replace"), self._store.stream(i)


def parsed_at_once(lines: StoreLines) -> tuple[Diagnostic, ...]:
    """Every line through one parser, a note ending what is open (what the reader must give)."""
    parser = DiagnosticParser(lines.start_mark())
    found: list[Diagnostic] = []
    for text, code in lines.lines():
        if code == NOTE:
            found += parser.close()
            parser.index += 1
        else:
            found += parser.feed(text, code)
    return tuple(sorted(found + parser.close(), key=lambda d: d.first))


_PIECES = [
    "Error: boom",
    "Warning: careful",
    "Error: ",
    "",
    "  with aws_instance.web,",
    '  on main.tf line 12, in resource "aws_instance" "web":',
    "  12: resource {",
    "The detail.",
    "╷",
    "  ╷ ",
    "│ Error: boxed",
    "│",
    "│   with aws_s3_bucket.logs,",
    "│ boxed detail",
    "╵",
    "\x1b[31m╷\x1b[0m",
    "\x1b[31m│\x1b[0m \x1b[1m\x1b[31mError: \x1b[0m\x1b[1mcoloured\x1b[0m",
    "\x1b[1mError\x1b[0m: split by colour",
    "Plan: 1 to add, 0 to change, 0 to destroy.",
    "▸ Running tofu apply",
    "aws_instance.web: Creating...",
    "  # aws_instance.web will be created",
    "Waiting",
    "E",
    "W",
    "  Error: indented, so no diagnostic's start",
    "\x1b[31m  Warning: coloured and indented",
    "text with a ╷ inside",
    " E",
    "\x1b[0mplain after a colour code",
    "plain output",
]
_STREAMS = ["STDOUT", "STDERR", "SYSTEM"]
_chunk = st.tuples(
    st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8), st.sampled_from(_STREAMS)
)
_step = st.one_of(
    st.tuples(st.just("append"), _chunk),
    st.tuples(st.just("prepend"), _chunk),
    st.tuples(st.just("note"), st.just(None)),
    st.tuples(st.just("rewind"), st.integers(0, 40)),
    st.tuples(st.just("read"), st.integers(1, 30)),
)


@pytest.fixture(scope="module")
def small_blocks() -> Iterator[None]:
    """Blocks of 120 bytes: a block's first line, and diagnostics across blocks, all the time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store_module, "_BLOCK_BYTES", 120)
        yield


@settings(max_examples=300, deadline=None)
@given(st.lists(_step, max_size=30))
def test_reading_in_slices_with_prepends_and_rewinds_finds_what_one_pass_finds(
    small_blocks: None, steps: Sequence[tuple[str, Any]]
) -> None:
    lines, reader = StoreLines(), DigestReader()
    marks = [0]
    for op, arg in steps:
        store = lines._store
        if op == "append":
            marks.append(len(store) - store.origin)
            store.append("\n".join(arg[0]) + "\n", stream_code(arg[1]))
        elif op == "prepend":
            store.prepend([("\n".join(arg[0]) + "\n", stream_code(arg[1]), 0)])
        elif op == "note":
            store.append("── attempt 2 ──\n", NOTE)
        elif op == "rewind":
            mark = max(-store.origin, marks[arg % len(marks)])
            store.truncate(mark + store.origin)
            reader.rewind(mark)
            marks = [m for m in marks if m <= mark]
        else:
            reader.read(lines, limit=arg)
    while not reader.read(lines, limit=7):
        pass
    assert reader.diagnostics == parsed_at_once(lines)
    assert all(d.lines and d.first <= d.last for d in reader.diagnostics)
