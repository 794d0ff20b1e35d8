"""`python -m devstack serve|user|token|job|tendril`."""

from __future__ import annotations

import argparse
import asyncio
import sys

#: What the stack imports beyond joblens's own dependencies: the dev group in pyproject.toml
#: (jwt comes with supabase-auth too, but is the dev group's as well).
DEV_TOOLS = frozenset({"aiohttp", "asyncpg", "bcrypt", "jwt"})
NEEDS_DEV_TOOLS = "devstack needs the dev tools: run `./dev test` once, or `python3 -m uv sync`"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m devstack", description="A local Supabase-compatible stack."
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="set up the database and serve REST/auth/realtime")
    s.add_argument("--database-url", required=True)
    s.add_argument("--port", type=int, default=54321)
    s.add_argument("--jwt-secret")
    s.add_argument(
        "--schema",
        action="append",
        default=[],
        help="documented | deployed | FILE.sql | DIR (repeatable)",
    )
    s.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a tunable (devstack/options.py), VALUE as JSON: e.g. join_error_delay=5,"
        " cold_start=[1,3] (repeatable)",
    )
    u = sub.add_parser("user", help="create an email/password user and print its id")
    u.add_argument("--database-url", required=True)
    u.add_argument("--email", required=True)
    u.add_argument("--password", required=True)
    t = sub.add_parser("token", help="print a HS256 JWT")
    t.add_argument("--jwt-secret", required=True)
    t.add_argument("--sub", required=True)
    t.add_argument("--role", default="authenticated")
    t.add_argument("--ttl", type=int, default=3600)
    j = sub.add_parser(
        "job", help="queue a job for a user (as the web page would) and print its id"
    )
    j.add_argument("--url", required=True)
    j.add_argument("--service-key", required=True)
    j.add_argument("--user-id", required=True)
    j.add_argument("--type", default="PLAN")
    w = sub.add_parser("tendril", help="play a Tendril working on one job")
    w.add_argument("--url", required=True)
    w.add_argument("--service-key", required=True)
    w.add_argument("--job", required=True)
    w.add_argument("--lines", type=int, default=200)
    w.add_argument("--rate", type=float, default=50.0, help="lines per second")
    w.add_argument("--final", choices=["SUCCESS", "FAILED", "CANCELLED"], default="SUCCESS")
    w.add_argument(
        "--ansi", action="store_true", help="OpenTofu with colour (real runners pass -no-color)"
    )
    w.add_argument(
        "--requeue-at",
        type=int,
        metavar="N",
        help="die after N lines; the job is re-queued and another Tendril finishes it",
    )
    w.add_argument(
        "--runner",
        choices=["new", "old"],
        default="new",
        help="new: flush 100 ms after a write (1 s backstop), SYSTEM lines; old: every 2 s",
    )
    w.add_argument("--seed", type=int, help="repeatable output (default: from the job id)")
    return p


async def _create_user(url: str, email: str, password: str) -> str:
    import asyncpg

    from .auth import create_user, password_matches

    conn = await asyncpg.connect(url)
    try:
        # Run twice (the README's walkthrough, run again), the same user is the same user.
        known = await conn.fetchrow(
            "select id::text, encrypted_password from auth.users where lower(email) = lower($1)",
            email,
        )
        if known is None:
            return await create_user(conn, email, password)
        if not password_matches(password, known["encrypted_password"]):
            raise SystemExit(f"devstack user: {email} exists with another password")
        return str(known["id"])
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    """Run one command; failures are one line on stderr and exit status 1 (2 when the dev tools
    are not installed)."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a dev tool: say what failed, in one line
        if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in DEV_TOOLS:
            # e.g. after `./dev demo` alone, which installs joblens without the dev group
            print(f"{NEEDS_DEV_TOOLS} ({exc.name} is missing)", file=sys.stderr)
            return 2
        print(f"devstack {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.command == "serve":
        from .options import parse_cli
        from .server import serve

        options = parse_cli(args.option)
        return asyncio.run(
            serve(args.database_url, args.port, args.jwt_secret, args.schema, options)
        )
    if args.command == "user":
        print(asyncio.run(_create_user(args.database_url, args.email, args.password)))
        return 0
    if args.command == "token":
        from .tokens import make_token

        print(make_token(args.jwt_secret, args.sub, args.role, args.ttl))
        return 0
    if args.command == "job":
        from .tendril import queue_job

        print(asyncio.run(queue_job(args.url, args.service_key, args.user_id, args.type)))
        return 0
    if args.command == "tendril":
        from .tendril import play

        return asyncio.run(
            play(
                args.url,
                args.service_key,
                args.job,
                args.lines,
                args.rate,
                args.final,
                ansi=args.ansi,
                requeue_at=args.requeue_at,
                runner=args.runner,
                seed=args.seed,
            )
        )
    return 2


if __name__ == "__main__":
    sys.exit(main())
