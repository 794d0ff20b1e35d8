"""Where ``e`` / ``E`` go in a log pane's store (widgets/log/errors.py): diagnostics' first lines
and the first line of each STDERR run, found lazily, kept right across appends, prepends and
rewinds."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from joblens.diagnostics import ERROR, start_severity, uncoloured
from joblens.widgets.log.errors import ErrorMarks
from joblens.widgets.log.store import STDERR, STDOUT, SYSTEM, LineStore


def store_of(*chunks: tuple[str, int]) -> LineStore:
    store = LineStore()
    for text, code in chunks:
        store.append(text, code)
    return store


def found(store: LineStore) -> tuple[ErrorMarks, list[int]]:
    marks = ErrorMarks()
    marks.catch_up(store)
    return marks, marks.lines(store)


def test_diagnostics_and_stderr_runs_are_one_stop_each() -> None:
    store = store_of(
        ("init\nWarning: Argument is deprecated\n\nUse something else.\n", STDOUT),
        ("╷\n│ Error: creating bucket\n│\n│   with aws_s3_bucket.b,\n╵\n", STDERR),
        ("▸ Uploading plan file\n", SYSTEM),
        ("\ntraceback line 1\ntraceback line 2\n", STDERR),
        ("done\n", STDOUT),
        ("\nError: Unsupported argument\n\n  on main.tf line 3:\n", STDERR),
    )
    marks, lines = found(store)
    assert lines == [1, 4, 11, 15]  # the warning, the frame's top, the run's first text, Error:
    assert marks.first_error(store) == 4  # the warning is not an error
    assert marks.step(store, 4) == (11, False)
    assert marks.step(store, 15) == (1, True)
    assert marks.step(store, 1, backwards=True) == (15, True)
    assert marks.step(store, 0) == (1, False)
    assert marks.last(store) == 15


def test_no_errors_and_words_that_only_look_like_them() -> None:
    store = store_of(
        ('  + description = "Error: not at the margin"\n', STDOUT),
        ("│ Error: a frame line alone\n", STDOUT),
        ("Errors: 0\n", STDOUT),
    )
    marks, lines = found(store)
    assert lines == [] and not marks and marks.step(store, 0) is None
    assert marks.first_error(store) is None


def test_a_frames_top_waits_for_the_line_after_it() -> None:
    store = store_of(("plan\n╷\n", STDOUT))
    marks, lines = found(store)
    assert lines == []
    store.append("│ Error: boom\n│\n╵\n", STDOUT)
    marks.catch_up(store)
    assert marks.lines(store) == [1]


def test_lines_prepended_above_are_found_and_can_continue_a_run() -> None:
    store = store_of(("second half of a trace\nmore\n", STDERR), ("Error: late\n", STDOUT))
    marks, lines = found(store)
    assert lines == [0, 2]
    store.prepend([("Error: early\ntrace starts here\n", STDERR, 0)])
    marks.catch_up(store)
    # The run now starts above: its first text is the prepended "Error: early".
    assert marks.lines(store) == [0, 4]


def test_a_rewind_forgets_what_it_dropped() -> None:
    store = store_of(("ok\n", STDOUT), ("Error: one\n", STDERR), ("Error: two\n", STDOUT))
    marks, lines = found(store)
    assert lines == [1, 2]
    store.truncate(2)
    marks.truncate(store, 2)
    marks.catch_up(store)  # the last line kept is decided again
    assert marks.lines(store) == [1]
    store.append("fine\n", STDOUT)
    marks.catch_up(store)
    assert marks.lines(store) == [1]


# -- against a reference: every line looked at, the whole log at once -------------------------

LINES = st.sampled_from(
    [
        "",
        " ",
        "text",
        "  indented",
        "╷",
        " ╷ ",
        "│",
        "│ Error: boom",
        "│ Warning: careful",
        "│ detail",
        "╵",
        "Error: boom",
        "Warning: careful",
        "\x1b[31mError: \x1b[0mred",
        "\x1b[1mWarning:\x1b[0m bold",
        "Error:",
        "x Error: y",
    ]
)
CODES = st.sampled_from([STDOUT, STDERR, SYSTEM])
CHUNK = st.tuples(st.lists(LINES, min_size=1, max_size=6), CODES)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), CHUNK),
        st.tuples(st.just("prepend"), CHUNK),
        st.tuples(st.just("scan"), st.none()),
        st.tuples(st.just("rewind"), st.integers(0, 8)),
    ),
    max_size=25,
)


def reference(lines: list[tuple[str, int]]) -> dict[int, str]:
    """The targets of a log, by definition (errors.py's docstring)."""
    plain = [uncoloured(text) for text, _ in lines]
    targets: dict[int, str] = {}
    for i, (_, code) in enumerate(lines):
        severity = start_severity(plain[i], plain[i + 1] if i + 1 < len(plain) else None)
        if severity is not None:
            targets[i] = severity
        elif code == STDERR and plain[i].strip() and plain[i].lstrip(" ")[:1] not in "│╵":
            j = i - 1
            while j >= 0 and lines[j][1] == STDERR and not plain[j].strip():
                j -= 1
            if j < 0 or lines[j][1] != STDERR:
                targets[i] = ERROR
    # The last line, if it has a frame's top, waits for the line after it.
    last = len(lines) - 1
    if last in targets and "╷" in lines[last][0] and start_severity(plain[last]) is None:
        del targets[last]
    return targets


@settings(max_examples=500)
@given(OPS)
def test_the_targets_are_those_of_the_whole_log_however_it_arrived(
    ops: list[tuple[str, Any]],
) -> None:
    store = LineStore()
    marks = ErrorMarks()
    model: list[tuple[str, int]] = []
    for op, arg in ops:
        if op in ("append", "prepend"):
            lines, code = arg
            text = "".join(f"{line}\n" for line in lines)
            if op == "append":
                store.append(text, code)
                model += [(line, code) for line in lines]
            else:
                store.prepend([(text, code, 0)])
                model[:0] = [(line, code) for line in lines]
        elif op == "rewind":
            count = max(0, len(model) - arg)
            store.truncate(count)
            marks.truncate(store, len(store))
            del model[count:]
        else:
            marks.catch_up(store)
    marks.catch_up(store)
    expected = reference(model)
    assert marks.lines(store) == sorted(expected)
    errors = [i for i, severity in sorted(expected.items()) if severity == ERROR]
    first = errors[0] if errors else min(expected, default=None)
    assert marks.first_error(store) == first
