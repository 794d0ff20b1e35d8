"""The proof at the terminal (issue 9): escape sequences in every text the server provides reach
nothing but the sanitiser; the bytes joblens writes hold only SGR and Textual's own sequences.

The real view runs under a pseudo-terminal (``python -m joblens <id>``) against the local
stack, twice, driven the same way: once on jobs whose every server-provided text is hostile,
once on the same jobs with clean text (the baseline). Every byte written to the terminal is
cut into sequence kinds (CSI final byte and private prefix, OSC number, DCS/SOS/PM/APC, other
ESC, C0 and C1 controls): the hostile run may write no kind the clean run did not. Each hostile
sequence also carries a marker (an OSC 52 payload, a title, odd CSI parameters) that must never
appear inside a sequence written, and no bidi or invisible character may be written at all.
Plain mode (``joblens logs --color always``) is checked directly: only SGR on stdout, nothing
on stderr but one line of text.
"""

from __future__ import annotations

import asyncio
import base64
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from devstack.testing import REPO_ROOT, StackInfo

from joblens.errors import ExitCode
from joblens.sanitize import INVISIBLE_CHARACTERS
from support.cli import env_for, run_joblens
from support.seeding import create_job, write_logs
from support.terminal import PtyProgram, Token, escapes
from support.users import User, new_user

CLIPBOARD_MARKER = base64.b64encode(b"PWNED-CLIPBOARD").decode()  # an OSC 52 payload
#: Strings that only the hostile sequences hold: none may appear inside a sequence written.
MARKERS = (CLIPBOARD_MARKER, "PWNED", "7777", "8888")

_SEQUENCES = (
    f"\x1b]52;c;{CLIPBOARD_MARKER}\x07"  # clipboard write, BEL-terminated
    f"\x1b]52;c;{CLIPBOARD_MARKER}\x1b\\"  # ... ST-terminated
    "\x1b]0;PWNED-TITLE\x07\x1b]2;PWNED-TITLE\x1b\\"  # window titles
    "\x1b]8;;https://PWNED-link.example\x1b\\link\x1b]8;;\x1b\\"  # a hyperlink
    "\x1b[2J\x1b[7777J\x1b[7777;8888H\x1b[?7777h\x1b[6n"  # clear, moves, modes, report
    "\x9b7777;8888H\x9b6n\x9d0;PWNED-C1-TITLE\x9c"  # 8-bit CSI and OSC
    "\x1bPPWNED-DCS\x1b\\\x1b_PWNED-APC\x1b\\\x1b^PWNED-PM\x1b\\\x1bX7777\x1b\\"  # strings
    "\x07\x08\x0b\x0c\x7f\x1b7\x1b8\x1bc"  # BEL, BS, VT, FF, DEL, save/restore, reset
    "\x1b[38;5;99999999m\x1b[" + ";".join(["1"] * 1000) + "m"  # absurd SGR
    "\u202e\u2066\u2067\u2068\u2069\u200b\u200d\ufeff\u00ad"  # bidi, zero-width
)


def hostile(tag: str) -> str:
    """A server text: its visible words, then every kind of hostile sequence."""
    return f"{tag}-visible{_SEQUENCES}\r\nmore {tag}\u202c"


def clean(tag: str) -> str:
    return f"{tag}-visible more {tag}"


def shown(tag: str) -> str:
    """How the start of ``hostile(tag)`` reads once made safe (a hyperlink keeps its text)."""
    return f"{tag}-visiblelink<U+202E>"


@dataclass
class Seeded:
    failed_deploy: str  # a FAILED DEPLOY of the plan: the view opens here
    plan: str  # a SUCCESS PLAN: Apply opens the picker
    refused_read: str  # a job whose logs the server refuses to read


async def _execute(stack: StackInfo, sql: str) -> None:
    """Run several SQL statements as the database owner."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _install_refusals(stack: StackInfo) -> None:
    """A server that refuses with words of its choosing: a cancel of a DEPLOY of a listed plan,
    and a read of a listed job's logs (as a policy or trigger on a real server could)."""
    await _execute(
        stack,
        """
        create table if not exists public.test_refusals (
          id uuid, kind text, message text, primary key (id, kind));
        create or replace function public.test_refuse_cancel() returns trigger
          language plpgsql security definer set search_path = public as $$
          declare m text;
          begin
            select message into m from test_refusals
              where id = old.plan_job_id and kind = 'cancel';
            if m is not null and new.status = 'CANCELLED' then
              raise exception using message = m;
            end if;
            return new;
          end $$;
        create or replace function public.test_refuse_read(job uuid) returns boolean
          language plpgsql stable security definer set search_path = public as $$
          declare m text;
          begin
            select message into m from test_refusals where id = job and kind = 'read';
            if m is not null then raise exception using message = m; end if;
            return true;
          end $$;
        drop trigger if exists test_refuse_cancel on public.provision_jobs;
        create trigger test_refuse_cancel before update on public.provision_jobs
          for each row execute function public.test_refuse_cancel();
        drop policy if exists test_refuse_read on public.job_logs;
        create policy test_refuse_read on public.job_logs as restrictive for select
          to authenticated using (public.test_refuse_read(job_id));
        """,
    )


async def _remove_refusals(stack: StackInfo) -> None:
    await _execute(
        stack,
        """
        drop policy if exists test_refuse_read on public.job_logs;
        drop trigger if exists test_refuse_cancel on public.provision_jobs;
        drop function if exists public.test_refuse_read(uuid);
        drop function if exists public.test_refuse_cancel();
        drop table if exists public.test_refusals;
        """,
    )


async def _seed(stack: StackInfo, user: User, text: Any) -> Seeded:
    """The same jobs, Tendrils, vine, vineyard and identity, every text made by ``text``."""

    async def insert(sql: str, *args: Any) -> str:
        return str((await stack.asql(sql + " returning id::text", *args))[0]["id"])

    live = await insert(
        "insert into workers (user_id, name, status, last_heartbeat, version, is_default) "
        "values ($1, $2, 'ONLINE', now() + interval '5 minutes', $3, true)",
        user.id,
        text("tendril"),
        text("version"),
    )
    asked = await insert(
        "insert into workers (user_id, name, status, last_heartbeat, version) "
        "values ($1, $2, 'OFFLINE', now() - interval '1 hour', $3)",
        user.id,
        text("asked"),
        text("oldversion"),
    )
    vineyard = await insert(
        "insert into vineyards (user_id, name) values ($1, $2)", user.id, text("vineyard")
    )
    identity = await insert(
        "insert into cloud_identities (user_id, provider, name) values ($1, 'aws', $2)",
        user.id,
        text("identity"),
    )
    vine = await insert(
        "insert into vines (user_id, vineyard_id, project_name, environment_stage, region) "
        "values ($1, $2, $3, 'production', $4)",
        user.id,
        vineyard,
        text("vine"),
        text("region"),
    )
    start = datetime.now(UTC) - timedelta(minutes=5)
    common: dict[str, Any] = {
        "vine_id": vine,
        "vineyard_id": vineyard,
        "cloud_identity_id": identity,
        "worker_id": live,
        "assigned_worker_id": asked,
        "configuration_hash": text("hash"),
        # One key each: jsonb orders keys by length, and the panels show the first lines.
        "config_snapshot": {text("cfgkey"): {"list": [text("cfgvalue"), 3]}},
        "execution_metadata": {text("metakey"): {"outputs": [text("metavalue")]}},
        "started_at": start,
        "completed_at": start + timedelta(seconds=42),
    }
    plan = await create_job(
        stack, user.id, job_type="PLAN", status="SUCCESS", error_message=text("planerror"), **common
    )
    deploy = await create_job(
        stack,
        user.id,
        job_type="DEPLOY",
        status="FAILED",
        plan_job_id=plan,
        error_message=text("failure") + "\nsecond line",
        **common,
    )
    refused = await create_job(stack, user.id, job_type="PLAN", status="SUCCESS", **common)
    for job in (plan, deploy, refused):
        await write_logs(
            stack,
            job,
            [
                (text("log") + "\n\x1b[32mgreen\x1b[0m\n", "STDOUT"),
                (text("stderr") + "\n", "STDERR"),
                (text("split") + "\x1b]52;c;", "STDOUT"),  # a sequence split across rows
                (f"{CLIPBOARD_MARKER}\x07rest\n", "STDOUT"),
            ],
        )
    await refuse(stack, plan, "cancel", text("refusal"))
    return Seeded(deploy, plan, refused)


async def refuse(stack: StackInfo, job_id: str, kind: str, message: str) -> None:
    """From now on the server refuses ``kind`` ("cancel": of a DEPLOY of this plan; "read": of
    this job's logs, by any query that meets them) with ``message``."""
    await stack.asql(
        "insert into test_refusals (id, kind, message) values ($1, $2, $3)", job_id, kind, message
    )


def _env(stack: StackInfo, token: str) -> dict[str, str]:
    return env_for(
        stack,
        token,
        drop=("TEXTUAL", "DISPLAY", "WAYLAND_DISPLAY", "NO_COLOR"),
        TERM="xterm-256color",
        COLORTERM="truecolor",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        TZ="UTC",
        PYTHONUTF8="1",
        TEXTUAL_ANIMATIONS="none",
    )


def _drive_view(stack: StackInfo, token: str, jobs: Seeded) -> list[Token]:
    """Open the failed DEPLOY, every panel, its plan, the Apply picker (after saying the
    DEPLOY applied it; backed out of, then used), a refused cancel of the new DEPLOY, Copy id,
    Quit; every token written."""
    program = PtyProgram(
        [sys.executable, "-m", "joblens", jobs.failed_deploy],
        env=_env(stack, token),
        cwd=REPO_ROOT,
        size=(140, 64),  # tall enough for every row of the details, folded as hostile ones are
    )
    try:
        program.wait_for("Failed: failure-visible", timeout=45)
        program.wait_for("log-visible")
        for key, inside in (("d", "Tendril requested"), ("s", "cfgkey"), ("m", "metakey")):
            program.press(key)  # open the panel, see what is in it, close it again
            program.wait_for(inside)
            program.press(key)
            program.wait_for(lambda screen, inside=inside: inside not in screen)  # type: ignore[misc]
        program.press("o")
        program.wait_for("Apply (a)")
        program.press("d")  # the plan's details: its own error message
        program.wait_for("planerror-visible")
        program.press("d")
        program.wait_for(lambda screen: "planerror-visible" not in screen)
        program.press("a")
        program.wait_for("already applied by DEPLOY")  # the failed DEPLOY applied this plan
        program.press("enter")
        program.wait_for("Any available Tendril")
        program.press("escape")
        program.wait_for(lambda screen: "Any available Tendril" not in screen)
        program.press("a")
        program.wait_for("already applied by DEPLOY")
        program.press("enter")
        program.wait_for("Any available Tendril")
        program.press("enter")  # the default, live Tendril is preselected
        program.wait_for("queued on")  # the toast; the Tendril's name is checked below
        program.wait_for("Cancel (c)")  # the new DEPLOY is open
        program.press("c")
        program.wait_for("Cancel this job?")
        program.press("enter")
        program.wait_for("Cancel failed")  # the toast with the server's words
        program.press("escape")  # back to the plan
        program.wait_for(lambda screen: "Apply (a)" in screen and "Cancel (c)" not in screen)
        program.press("y")
        program.wait_for("Copied job id")
        program.press("q")
        assert program.wait_exit() == 0
    finally:
        program.close()
    return program.tokens()


def _kinds(tokens: list[Token]) -> set[str]:
    return {t.kind for t in escapes(tokens)}


def _visible(tokens: list[Token]) -> str:
    return "".join(t.raw for t in tokens if not t.is_escape)


async def test_only_sgr_and_textuals_own_sequences_reach_the_terminal(
    stack_deployed: StackInfo,
) -> None:
    stack = stack_deployed
    await _install_refusals(stack)
    try:
        user = await new_user(stack)  # one user each: each has its own default Tendril
        baseline_jobs = await _seed(stack, user, clean)
        baseline = await asyncio.to_thread(_drive_view, stack, user.token, baseline_jobs)
        user = await new_user(stack)
        hostile_jobs = await _seed(stack, user, hostile)
        attacked = await asyncio.to_thread(_drive_view, stack, user.token, hostile_jobs)
    finally:
        await _remove_refusals(stack)
    assert _kinds(attacked) <= _kinds(baseline), _kinds(attacked) - _kinds(baseline)
    for token in escapes(attacked):
        assert not any(marker in token.raw for marker in MARKERS), token
    text = _visible(attacked)
    assert not INVISIBLE_CHARACTERS.intersection(text)
    assert not re.search("[\x80-\x9f\udc80-\udcff]", text)
    # Every hostile text was on screen, made safe (so the checks above were not vacuous).
    for tag in ("tendril", "asked", "vineyard", "identity", "vine", "region", "failure"):
        assert shown(tag) in text, tag
    for tag in ("planerror", "hash", "cfgkey", "cfgvalue", "metakey", "metavalue", "log"):
        assert f"{tag}-visible" in text, tag
    assert shown("refusal") in text and shown("version") in text


def _plain(stack: StackInfo, token: str, *args: str) -> tuple[int, str, str]:
    done = run_joblens(*args, env=_env(stack, token))
    return done.returncode, done.stdout, done.stderr


_NOT_SGR = re.compile(r"\x1b(?!\[[0-9;:]*m)|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]")
_SGR_PARAMS = re.compile(r"\x1b\[([0-9;:]*)m")
_ANY_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _sgr_in_range(params: str) -> bool:
    fields = params.split(";")
    numbers = [n for f in fields for n in f.split(":") if n]
    return len(fields) <= 32 and all(len(n) <= 3 and int(n) <= 255 for n in numbers)


async def test_plain_mode_writes_only_sgr_and_one_line_errors(stack_deployed: StackInfo) -> None:
    stack = stack_deployed
    user = await new_user(stack)
    await _install_refusals(stack)
    try:
        jobs = await _seed(stack, user, hostile)
        failed = await asyncio.to_thread(
            _plain, stack, user.token, "logs", jobs.failed_deploy, "--follow", "--color", "always"
        )
        await refuse(stack, jobs.refused_read, "read", hostile("refusal"))
        refused = await asyncio.to_thread(
            _plain, stack, user.token, "logs", jobs.refused_read, "--color", "always"
        )
    finally:
        await _remove_refusals(stack)
    code, out, err = failed
    assert code == ExitCode.JOB_FAILED, err
    assert shown("log") in out and "\x1b[32mgreen\x1b[0m" in out, (out, err)
    assert _NOT_SGR.search(out) is None
    assert all(_sgr_in_range(p) for p in _SGR_PARAMS.findall(out))
    for text in (out, err):
        assert not INVISIBLE_CHARACTERS.intersection(text)
        assert not any(marker in text for marker in MARKERS[:2])
    assert err.startswith(f"joblens: job {jobs.failed_deploy[:8]} failed: {shown('failure')}")
    assert err.count("\n") == 1 and _ANY_CONTROL.search(err) is None
    code, out, err = refused
    assert (code, out) == (ExitCode.UNAVAILABLE, "")
    assert err.startswith(f"joblens: the server refused the request: {shown('refusal')}")
    assert err.count("\n") == 1 and _ANY_CONTROL.search(err) is None
    assert not INVISIBLE_CHARACTERS.intersection(err)
