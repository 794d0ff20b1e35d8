"""The runner's flush model (joblens.runner_log): rows as a real Tendril inserts them."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joblens.runner_log import (
    NEW_RUNNER,
    OLD_RUNNER,
    FlushPolicy,
    Row,
    RunnerLogWriter,
    replay,
)

STREAMS = ("STDOUT", "STDERR", "SYSTEM")

policies = st.one_of(
    st.just(NEW_RUNNER),
    st.just(OLD_RUNNER),
    st.builds(
        FlushPolicy,
        interval=st.none() | st.floats(0.05, 3.0),
        quiet=st.floats(0.01, 1.0),
        backstop=st.none() | st.floats(0.1, 2.0),
        max_bytes=st.integers(4, 64),  # small, so the size cap cuts often
    ),
)
# Text with multi-byte characters (2, 3 and 4 bytes in UTF-8) and newlines.
texts = st.text(alphabet=st.sampled_from("ab \n\u00e9\u20ac\u2502\U0001f600"), max_size=120)
writes = st.lists(st.tuples(st.floats(0.0, 1.5), st.sampled_from(STREAMS), texts), max_size=40).map(
    # (gap, stream, text) -> (time, stream, text): times never go backwards
    lambda items: [
        (sum(gap for gap, _s, _t in items[: i + 1]), stream, text)
        for i, (_gap, stream, text) in enumerate(items)
    ]
)


def by_stream(rows: list[Row]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for row in rows:
        joined[row.stream] = joined.get(row.stream, "") + row.text
    return joined


@settings(max_examples=300)
@given(timed=writes, policy=policies)
def test_each_streams_rows_join_to_exactly_what_was_written_to_it(
    timed: list[tuple[float, str, str]], policy: FlushPolicy
) -> None:
    rows = replay(timed, policy)

    written: dict[str, str] = {}
    for _at, stream, text in timed:
        if text:
            written[stream] = written.get(stream, "") + text
    assert by_stream(rows) == written
    assert all(0 < len(row.text.encode()) <= policy.max_bytes for row in rows)
    assert [row.at for row in rows] == sorted(row.at for row in rows)


@settings(max_examples=200)
@given(timed=writes, policy=policies, cut=st.integers(0, 40))
def test_a_dead_runner_loses_exactly_what_it_had_not_sent(
    timed: list[tuple[float, str, str]], policy: FlushPolicy, cut: int
) -> None:
    writer = RunnerLogWriter(policy)
    sent: list[Row] = []
    for at, stream, text in timed[:cut]:
        sent += writer.write(stream, text, at)
    lost = writer.abandon()

    written: dict[str, str] = {}
    for _at, stream, text in timed[:cut]:
        written[stream] = written.get(stream, "") + text
    got = by_stream(sent)
    for stream in STREAMS:
        assert got.get(stream, "") + lost.get(stream, "") == written.get(stream, "")
    assert writer.due() is None and writer.pending() == {}


def test_the_size_cap_cuts_at_10_kb_even_mid_line_but_never_inside_a_character() -> None:
    ascii_rows = replay([(0.0, "STDOUT", "x" * 25_000 + "\n")])
    assert [len(r.text) for r in ascii_rows] == [10_240, 10_240, 4_521]
    assert [r.at for r in ascii_rows] == [0.0, 0.0, 0.0]

    # 10,239 ASCII bytes then a 3-byte character: cutting at 10,240 would split it.
    rows = replay([(0.0, "STDOUT", "y" * 10_239 + "\u2502tail\n")])
    assert [len(r.text.encode()) for r in rows] == [10_239, 8]
    assert rows[1].text == "\u2502tail\n"


def test_newer_runners_flush_100_ms_after_a_write_and_at_least_every_second() -> None:
    quiet = replay([(0.0, "STDOUT", "a\nb"), (0.05, "STDOUT", "c\n"), (0.5, "STDOUT", "d\n")])
    assert [(r.text, r.at) for r in quiet] == [("a\nbc\n", pytest.approx(0.15)), ("d\n", 0.5)]

    # A process that never pauses 100 ms: the backstop sends what is there every second,
    # wherever in a line that falls.
    steady = [
        (i * 0.035 + half * 0.02, "STDOUT", f"line {i:03d}\n"[half * 5 : 5 + half * 5])
        for i in range(80)
        for half in (0, 1)
    ]
    rows = replay(steady)
    assert [round(r.at, 6) for r in rows[:-1]] == [1.0, 2.0]
    assert rows[0].text.endswith("line 027\nline ")  # the rest of line 28 came at 1.0
    assert "".join(r.text for r in rows) == "".join(f"line {i:03d}\n" for i in range(80))


def test_old_runners_flush_every_buffer_on_one_2_second_ticker() -> None:
    writer = RunnerLogWriter(OLD_RUNNER, start=10.0)
    assert writer.write("STDOUT", "plan", 10.5) == []
    assert writer.write("STDERR", "warn\n", 11.9) == []
    assert writer.due() == 12.0
    rows = writer.write("STDOUT", "ned\n", 12.5)
    assert [(r.stream, r.text, r.at) for r in rows] == [
        ("STDOUT", "plan", 12.0),
        ("STDERR", "warn\n", 12.0),
    ]
    assert writer.close(13.0) == [Row("STDOUT", "ned\n", 13.0)]


def test_realistic_output_ends_rows_mid_line_and_interleaves_the_streams() -> None:
    rng = random.Random(4)
    timed: list[tuple[float, str, str]] = []
    at = 0.0
    for i in range(400):
        stream = "STDERR" if i % 37 == 5 else "SYSTEM" if i % 101 == 0 else "STDOUT"
        line = f"module.eks.aws_eks_node_group.this[{i}]: Still creating... [{i}s elapsed]\n"
        at += rng.uniform(0.0, 0.06)
        if stream != "SYSTEM" and rng.random() < 0.5:  # the pipe read ended mid-line
            split = rng.randrange(1, len(line))
            timed += [(at, stream, line[:split]), (at + rng.uniform(0, 0.2), stream, line[split:])]
        else:
            timed.append((at, stream, line))
    rows = replay(timed)

    stdout = [r for r in rows if r.stream == "STDOUT"]
    assert any(not r.text.endswith("\n") for r in stdout[:-1])
    streams = [r.stream for r in rows]
    assert sum(a != b for a, b in itertools.pairwise(streams)) > 5
    assert by_stream(rows)["STDOUT"].count("\n") == sum(
        t.count("\n") for _a, s, t in timed if s == "STDOUT"
    )


def test_a_policy_needs_a_timer_and_time_never_goes_back() -> None:
    with pytest.raises(ValueError):
        FlushPolicy()
    writer = RunnerLogWriter()
    writer.write("STDOUT", "x", 1.0)
    with pytest.raises(ValueError):
        writer.write("STDOUT", "y", 0.5)
