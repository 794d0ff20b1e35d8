"""Finding Terraform's noise in a log as it streams (``widgets/log/folds.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joblens.widgets.log import store as store_module
from joblens.widgets.log.folds import MIN_RUN, FoldFinder, FoldKind
from joblens.widgets.log.shown import FoldedLines
from joblens.widgets.log.store import LineStore
from support.log_host import chunk, open_pane, settle, visible, write

# One line of each kind (and lines that only look like one), by the kind they are.
LINES: list[tuple[str, FoldKind | None]] = [
    ("aws_vpc.main: Refreshing state... [id=vpc-0a1b]", FoldKind.REFRESH),
    ('module.a.aws_subnet.s["x y"]: Refreshing state... [id=subnet-1]', FoldKind.REFRESH),
    ("\x1b[0m\x1b[1maws_iam_role.app: Refreshing state... [id=app]\x1b[0m", FoldKind.REFRESH),
    ("aws_instance.web[0]: Still creating... [10s elapsed]", FoldKind.STILL),
    ("aws_db_instance.main: Still destroying... [id=db-1, 1m20s elapsed]", FoldKind.STILL),
    ('- Finding hashicorp/aws versions matching "~> 5.0"...', FoldKind.PROVIDERS),
    ("- Installing hashicorp/aws v5.31.0...", FoldKind.PROVIDERS),
    ("\x1b[0m- Installed hashicorp/aws v5.31.0 (signed by HashiCorp)", FoldKind.PROVIDERS),
    ("- Using previously-installed hashicorp/random v3.6.0", FoldKind.PROVIDERS),
    ("  - Installing is what this indented line says", None),
    ("note - Installing hashicorp/aws v5.31.0...", None),
    ("aws_instance.web[0]: Creating...", None),
    ("aws_instance.web[0]: Creation complete after 2s [id=i-1]", None),
    ('      + ami = "ami-123"', None),
    ("", None),
    ("Plan: 3 to add, 0 to change, 0 to destroy.", None),
]


def expected_runs(kinds: list[FoldKind | None]) -> list[tuple[int, int, FoldKind]]:
    """The maximal runs of MIN_RUN or more lines of one kind, found the slow way."""
    runs: list[tuple[int, int, FoldKind]] = []
    start = 0
    for i in range(1, len(kinds) + 1):
        if i == len(kinds) or kinds[i] != kinds[start]:
            kind = kinds[start]
            if kind is not None and i - start >= MIN_RUN:
                runs.append((start, i - 1, kind))
            start = i
    return runs


@pytest.fixture(scope="module")
def small_blocks() -> Iterator[None]:
    """Blocks of 200 bytes: runs cross from one block into the next all the time (the same
    for every example, so a module-scoped fixture)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store_module, "_BLOCK_BYTES", 200)
        yield


@given(
    picks=st.lists(st.integers(0, len(LINES) - 1), max_size=120),
    cuts=st.lists(st.integers(1, 9), min_size=1, max_size=40),
)
def test_runs_are_found_whatever_the_chunks_and_blocks(
    small_blocks: None, picks: list[int], cuts: list[int]
) -> None:
    lines = [LINES[i] for i in picks]
    store, finder = LineStore(), FoldFinder()
    at, k = 0, 0
    while at < len(lines):
        size = cuts[k % len(cuts)]
        k += 1
        chunk = lines[at : at + size]
        store.append("".join(text + "\n" for text, _ in chunk))
        at += size
        finder.catch_up(store)  # looked at as they arrive
    got = [(f.first, f.last, f.kind) for f in finder.folds]
    assert got == expected_runs([kind for _, kind in lines])
    whole = FoldFinder()
    whole.catch_up(store)
    assert [(f.first, f.last, f.kind) for f in whole.folds] == got


@given(
    picks=st.lists(st.integers(0, len(LINES) - 1), min_size=1, max_size=80),
    keep=st.integers(0, 80),
    more=st.lists(st.integers(0, len(LINES) - 1), max_size=40),
)
def test_a_rewind_forgets_what_the_lost_lines_made(
    small_blocks: None, picks: list[int], keep: int, more: list[int]
) -> None:
    lines = [LINES[i] for i in picks]
    store, finder = LineStore(), FoldFinder()
    store.append("".join(text + "\n" for text, _ in lines))
    finder.catch_up(store)
    keep = min(keep, len(lines))
    store.truncate(keep)
    finder.truncate(store)
    added = [LINES[i] for i in more]
    if added:
        store.append("".join(text + "\n" for text, _ in added))
    finder.catch_up(store)
    kinds = [kind for _, kind in lines[:keep] + added]
    assert [(f.first, f.last, f.kind) for f in finder.folds] == expected_runs(kinds)


def test_a_prepended_page_is_seen_by_a_new_finder() -> None:
    store = LineStore()
    store.append("aws_a.b: Creating...\n")
    store.prepend(
        [("".join(f"aws_x.r{i}: Refreshing state... [id={i}]\n" for i in range(4)), 0, 0)]
    )
    finder = FoldFinder()
    finder.catch_up(store)
    (fold,) = finder.folds
    assert (fold.first + store.origin, fold.last + store.origin) == (0, 3)


@given(
    picks=st.lists(st.integers(0, len(LINES) - 1), max_size=120),
    pages=st.lists(st.integers(1, 12), min_size=1, max_size=30),
    live=st.lists(st.integers(0, len(LINES) - 1), max_size=20),
    looks=st.lists(st.booleans(), min_size=1, max_size=10),
)
def test_pages_read_newest_first_fold_as_the_log_read_in_order(
    small_blocks: None, picks: list[int], pages: list[int], live: list[int], looks: list[bool]
) -> None:
    """The newest page first, older pages put before it one by one (each looked at alone,
    ``FoldFinder.prepended``), live lines after: the same runs as the whole log read in
    order, whether or not the finder looked at the lines after each page before the next."""
    lines = [LINES[i] for i in picks]
    store, finder = LineStore(), FoldFinder()
    end, k = len(lines), 0
    while end > 0:
        size = pages[k % len(pages)]
        page = lines[max(0, end - size) : end]
        end -= len(page)
        if len(store) == 0:
            store.append("".join(text + "\n" for text, _ in page))
        else:
            added = store.prepend([("".join(text + "\n" for text, _ in page), 0, 0)])
            finder.prepended(store, added)
        if looks[k % len(looks)]:
            finder.catch_up(store)
        k += 1
    added_live = [LINES[i] for i in live]
    if added_live:
        store.append("".join(text + "\n" for text, _ in added_live))
    finder.catch_up(store)
    kinds = [kind for _, kind in lines + added_live]
    got = [(f.first + store.origin, f.last + store.origin, f.kind) for f in finder.folds]
    assert got == expected_runs(kinds)


@given(
    picks=st.lists(st.integers(0, len(LINES) - 1), max_size=120),
    pages=st.lists(st.integers(1, 12), min_size=1, max_size=30),
    live=st.lists(st.integers(0, len(LINES) - 1), max_size=20),
    opened=st.lists(st.integers(0, 120), max_size=4),
)
def test_entries_of_older_pages_go_first_as_if_laid_out_anew(
    small_blocks: None, picks: list[int], pages: list[int], live: list[int], opened: list[int]
) -> None:
    """``FoldedLines.prepended`` lays out the older lines only, and gives the entries (folds
    shown folded, opened ones as their lines) that laying out the whole log gives."""
    lines = [LINES[i] for i in picks]
    store, finder = LineStore(), FoldFinder()
    shown: FoldedLines | None = None
    opened_ids: set[int] = set()
    end, k = len(lines), 0
    while end > 0:
        size = pages[k % len(pages)]
        page = lines[max(0, end - size) : end]
        end -= len(page)
        k += 1
        if len(store) == 0:
            store.append("".join(text + "\n" for text, _ in page))
            finder.catch_up(store)
            shown = FoldedLines(store, finder, opened_ids)
            continue
        added = store.prepend([("".join(text + "\n" for text, _ in page), 0, 0)])
        assert shown is not None
        if finder.prepended(store, added):
            shown.prepended(added)
        else:
            shown.rebuild()
        for fold in finder.folds:  # the user opens some folds as they come
            if (fold.first + store.origin) in opened:
                opened_ids.add(fold.first)
                shown.rebuild()
    added_live = [LINES[i] for i in live]
    if added_live:
        store.append("".join(text + "\n" for text, _ in added_live))
    finder.catch_up(store)
    if shown is None:
        return
    shown.extend()
    whole = FoldedLines(store, finder, opened_ids)
    assert list(shown.entries) == list(whole.entries)
    assert [shown.fold_at(e) for e in range(len(shown))] == [
        whole.fold_at(e) for e in range(len(whole))
    ]


def test_the_summary_says_what_a_run_holds() -> None:
    store = LineStore()
    text = "".join(
        f"module.net.aws_subnet.s[{i}]: Refreshing state... [id=s-{i}]\n" for i in range(5)
    )
    store.append(text, stamp=1_700_000_000)
    store.append("aws_instance.web: Still creating... [10s elapsed]\n", stamp=1_700_000_010)
    store.append("aws_instance.db: Still creating... [10s elapsed]\n", stamp=1_700_000_011)
    store.append("aws_instance.web: Still creating... [1m20s elapsed]\n", stamp=1_700_000_080)
    finder = FoldFinder()
    finder.catch_up(store)
    refresh, still = finder.folds
    assert refresh.summary(store) == (
        "Refreshing state: 5 lines · module.net.aws_subnet.s[0], module.net.aws_subnet.s[1], "
        "module.net.aws_subnet.s[2], …"
    )
    assert still.summary(store) == (
        "Still running: 3 lines over 1m10s · up to 1m20s elapsed · "
        "aws_instance.web, aws_instance.db"
    )


# -- in the pane ---------------------------------------------------------------------------

REFRESH = "".join(f"aws_subnet.s[{i}]: Refreshing state... [id=subnet-{i}]\n" for i in range(40))
PLAN = "".join(f"  + resource {i}\n" for i in range(5))


async def test_a_run_of_noise_shows_as_one_line_that_opens_and_folds_again() -> None:
    async with open_pane((100, 12)) as (_app, pilot, pane):
        await write(pilot, pane, chunk("Initializing...\n" + REFRESH + PLAN))
        shown = visible(pane)
        assert shown[0] == "Initializing..."
        assert shown[1].startswith("▸ Refreshing state: 40 lines · aws_subnet.s[0]")
        assert shown[2:7] == [f"  + resource {i}" for i in range(5)]
        assert pane.line_count == 46 and len(pane.folded) == 1
        # Enter opens the first fold in view; Enter again folds it back.
        await pilot.press("g", "enter")
        await settle(pilot)
        assert visible(pane)[1] == "aws_subnet.s[0]: Refreshing state... [id=subnet-0]"
        assert not pane.folded
        await pilot.press("enter")
        await settle(pilot)
        assert visible(pane)[1].startswith("▸ Refreshing state")
        # z unfolds everything; z again folds everything.
        await pilot.press("z")
        await settle(pilot)
        assert not pane.folding and len(visible(pane)) == 11
        await pilot.press("z")
        await settle(pilot)
        assert pane.folding and len(pane.folded) == 1


async def test_a_click_opens_a_fold() -> None:
    async with open_pane((100, 12)) as (_app, pilot, pane):
        await write(pilot, pane, chunk("Initializing...\n" + REFRESH + PLAN))
        await pilot.click(pane, offset=(5, 1))
        await settle(pilot)
        assert not pane.folded
        assert visible(pane)[1].startswith("aws_subnet.s[0]: Refreshing")


async def test_a_fold_grows_live_and_the_view_keeps_following() -> None:
    async with open_pane((100, 8)) as (_app, pilot, pane):
        await write(pilot, pane, chunk("aws_instance.web: Creating...\n"))
        for tick in range(1, 7):
            await write(
                pilot, pane, chunk(f"aws_instance.web: Still creating... [{tick}0s elapsed]\n")
            )
        shown = visible(pane)
        assert shown[0] == "aws_instance.web: Creating..."
        assert shown[1].startswith("▸ Still running: 6 lines · up to 1m0s elapsed") or shown[
            1
        ].startswith("▸ Still running: 6 lines · up to 60s elapsed")
        await write(pilot, pane, chunk("aws_instance.web: Creation complete after 61s [id=i-1]\n"))
        assert visible(pane)[2] == "aws_instance.web: Creation complete after 61s [id=i-1]"
        assert pane.following


async def test_searching_for_a_folded_line_opens_its_fold() -> None:
    async with open_pane((100, 12)) as (_app, pilot, pane):
        await write(pilot, pane, chunk("Initializing...\n" + REFRESH + PLAN))
        assert pane.search("subnet-33")
        await settle(pilot)
        assert not pane.folded
        assert any("id=subnet-33" in row for row in visible(pane))


async def test_line_numbers_count_the_log_lines_across_a_fold() -> None:
    async with open_pane((100, 12)) as (_app, pilot, pane):
        await write(pilot, pane, chunk("Initializing...\n" + REFRESH + PLAN))
        await pilot.press("number_sign")
        await settle(pilot)
        shown = visible(pane)
        assert shown[0] == "   1 Initializing..."
        assert shown[1].startswith("   2 ▸ Refreshing state: 40 lines")
        assert shown[2] == "  42   + resource 0"


async def test_wrapped_lines_and_folds_together() -> None:
    long = "x" * 150
    async with open_pane((60, 12), wrap=True) as (_app, pilot, pane):
        await write(pilot, pane, chunk(f"{long}\n" + REFRESH + f"{long}\n"))
        shown = visible(pane)
        width = pane.scrollable_content_region.width
        rest = "x" * (150 - 2 * width)
        fold = shown[3]
        assert fold.startswith("▸ Refreshing state: 40 lines")
        assert shown[:3] == ["x" * width, "x" * width, rest] == shown[4:7]
        assert pane.virtual_size.height == 7
