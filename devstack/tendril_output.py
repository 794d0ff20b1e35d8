"""What ``devstack tendril`` writes: OpenTofu's output and the runner's lines, and when.

Plain text as the real runner stores it (commands run with ``-no-color``), or with OpenTofu's
colours for tests of that path. An attempt is a stream of *writes* (one line, or a block such as
the plan that OpenTofu prints at once), each ending in a newline; :func:`schedule` times them
and splits them as pipe reads, for the runner's flush model to cut into rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator

from joblens.runner_log import JOB_CLAIMED, assuming_role, job_finished, running

RESOURCES = [
    "aws_vpc.main",
    "aws_subnet.private[0]",
    "aws_subnet.private[1]",
    "aws_security_group.nodes",
    "aws_eks_cluster.this",
    "aws_iam_role.nodes",
    "aws_eks_node_group.default",
    "helm_release.argocd",
    "aws_route53_record.api",
]
BOLD, GREEN, YELLOW, RED, RESET = "\x1b[1m", "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[0m"
Line = tuple[str, str]  # (stream, text ending in "\n")


def now_iso() -> str:
    """The current time as PostgREST accepts it."""
    return dt.datetime.now(dt.UTC).isoformat()


class Text:
    """OpenTofu's text: plain (``-no-color``, the real runner) or as a terminal shows it."""

    def __init__(self, ansi: bool) -> None:
        self.ansi = ansi

    def __call__(self, text: str, *codes: str) -> str:
        return f"{''.join(codes)}{text}{RESET}" if self.ansi and codes else text


def resource_name(n: int) -> str:
    res = RESOURCES[n % len(RESOURCES)]
    return f"{res.split('[')[0]}[{n}]" if n >= len(RESOURCES) else res


def plan_block(count: int, t: Text) -> str:
    """The plan ``tofu apply`` prints (in one write) before applying without a saved plan."""
    plus = t("+", GREEN)
    lines = [
        "",
        "OpenTofu used the selected providers to generate the following execution",
        "plan. Resource actions are indicated with the following symbols:",
        f"  {plus} create",
        "",
        "OpenTofu will perform the following actions:",
        "",
    ]
    for n in range(count):
        name = resource_name(n)
        kind, label = name.split("[")[0].split(".")
        lines += [
            f"  {t('# ' + name, BOLD)} will be created",
            f'  {plus} resource "{kind}" "{label}" {{',
            f"      {plus} arn      = (known after apply)",
            f"      {plus} id       = (known after apply)",
            f'      {plus} name     = "devstack-{label}-{n}"',
            f"      {plus} tags_all = (known after apply)",
            "    }",
            "",
        ]
    lines.append(f"{t('Plan:', BOLD)} {count} to add, 0 to change, 0 to destroy.")
    return "\n".join(lines) + "\n"


def attempt_output(seed: int, ansi: bool, system: bool, planned: int) -> Iterator[Line]:
    """One attempt's endless output, write by write: the runner's lines, ``tofu init``, then
    ``tofu apply`` (its plan of ``planned`` resources at once, then progress, line by line)."""
    rnd = random.Random(seed)
    t = Text(ansi)
    if system:
        yield "SYSTEM", JOB_CLAIMED
        yield "SYSTEM", assuming_role("arn:aws:iam::123456789012:role/devstack-deployer")
        yield "SYSTEM", running("tofu init")
    for line in (
        t("Initializing the backend...", BOLD),
        "",
        t("Initializing provider plugins...", BOLD),
        "- Reusing previous version of hashicorp/aws from the dependency lock file",
        "- Installing hashicorp/aws v5.76.0...",
        "- Installed hashicorp/aws v5.76.0 (signed, key ID 0C0AF313E5FD9F80)",
        "",
        t("OpenTofu has been successfully initialized!", GREEN, BOLD),
    ):
        yield "STDOUT", line + "\n"
    if system:
        yield "SYSTEM", running("tofu apply")
    yield "STDOUT", plan_block(planned, t)
    for n in itertools.count():
        res = resource_name(n % planned)
        yield "STDOUT", t(f"{res}: Creating...", BOLD) + "\n"
        for s in range(rnd.randint(0, 2)):
            yield "STDOUT", t(f"{res}: Still creating... [{(s + 1) * 10}s elapsed]", BOLD) + "\n"
        if rnd.random() < 0.08:  # the runner sets TF_LOG=WARN: provider warnings on STDERR
            yield (
                "STDERR",
                f'{now_iso()[:23]}Z [WARN]  Provider "registry.opentofu.org/hashicorp/aws" '
                f"produced an unexpected new value for {res}, but we are tolerating it "
                "because it is using the legacy plugin SDK.\n",
            )
        ident = f"{rnd.getrandbits(64):016x}"
        created = f"{res}: Creation complete after {rnd.randint(1, 90)}s [id={ident}]"
        yield "STDOUT", t(created, BOLD) + "\n"


class Writes:
    """An attempt's writes, taken by lines: a write cut short keeps its rest for what follows."""

    def __init__(self, source: Iterator[Line]) -> None:
        self.source = source
        self.rest: Line | None = None

    def _next(self) -> Line:
        if self.rest is not None:
            rest, self.rest = self.rest, None
            return rest
        return next(self.source)

    def take_lines(self, count: int) -> list[Line]:
        """Writes holding exactly ``count`` lines (the last write cut after its count-th)."""
        out: list[Line] = []
        while count > 0:
            stream, text = self._next()
            lines = text.splitlines(keepends=True)
            if len(lines) > count:
                self.rest = (stream, "".join(lines[count:]))
                lines = lines[:count]
            out.append((stream, "".join(lines)))
            count -= len(lines)
        return out

    def next_line(self, stream: str = "STDOUT") -> str:
        """The next line OpenTofu writes to ``stream`` that is more than a newline."""
        while True:
            kind, text = self._next()
            line = text.split("\n", 1)[0]
            if kind == stream and len(line) > 1:
                return line + "\n"


def tail_lines(final: str, ansi: bool, system: bool, planned: int) -> list[Line]:
    """How the output ends for each final status."""
    t = Text(ansi)
    if final == "FAILED":  # an error diagnostic, plain as -no-color writes it
        summary = "creating EKS Cluster (devstack-demo): ResourceInUseException: Cluster "
        lines = [
            ("STDERR", ""),
            ("STDERR", t("Error: ", RED, BOLD) + t(summary + "already exists", BOLD)),
            ("STDERR", ""),
            ("STDERR", "  with aws_eks_cluster.this,"),
            ("STDERR", '  on main.tf line 12, in resource "aws_eks_cluster" "this":'),
            ("STDERR", '  12: resource "aws_eks_cluster" "this" {'),
            ("STDERR", ""),
        ]
    elif final == "CANCELLED":
        lines = [
            ("STDOUT", ""),
            ("STDOUT", "Interrupt received."),
            ("STDOUT", "Please wait for OpenTofu to exit or data loss may occur."),
            ("STDOUT", "Gracefully shutting down..."),
            ("STDOUT", ""),
            ("STDOUT", "Stopping operation..."),
        ]
    else:
        done = f"Apply complete! Resources: {planned} added, 0 changed, 0 destroyed."
        lines = [("STDOUT", ""), ("STDOUT", t(done, GREEN, BOLD))]
    out = [(stream, text + "\n") for stream, text in lines]
    return out + ([("SYSTEM", job_finished(final))] if system else [])


def exactly(count: int, writes: Writes, tail: list[Line]) -> list[Line]:
    """An attempt of exactly ``count`` lines that ends with ``tail`` (its end kept)."""
    if count <= len(tail):
        return tail[len(tail) - count :] if count > 0 else []
    return writes.take_lines(count - len(tail)) + tail


def schedule(writes: list[Line], rate: float, rnd: random.Random) -> list[tuple[float, str, str]]:
    """When each piece reaches the runner: about a line every ``1/rate`` seconds (a write of
    several lines at once, then as long a pause); OpenTofu's writes mostly in two pipe reads
    (the second a little later), the runner's own lines whole."""
    timed = []
    lines = 0
    for stream, text in writes:
        at = (lines + rnd.uniform(0.0, 0.3)) / rate
        lines += text.count("\n")
        if stream != "SYSTEM" and len(text) > 1 and rnd.random() < 0.8:
            cut = rnd.randrange(1, len(text))
            timed.append((at, stream, text[:cut]))
            timed.append((at + rnd.uniform(0.05, 0.65) / rate, stream, text[cut:]))
        else:
            timed.append((at, stream, text))
    return timed
