"""A deterministic Terraform-like log: ~100-character lines, 5% in ANSI colour, 100 per batch."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

BATCH_LINES = 100

_RESOURCES = [
    "aws_s3_bucket.logs",
    "aws_iam_role.app",
    "aws_instance.web[3]",
    "module.vpc.aws_subnet.private[1]",
    "aws_security_group.db",
    "module.eks.aws_eks_node_group.default",
    "aws_route53_record.api",
]
_PLAIN = [
    "{r}: Refreshing state... [id={h}]",
    "{r}: Still creating... [{s}s elapsed]",
    "{r}: Creation complete after {s}s [id={h}]",
    "      + arn                         = (known after apply) # {h}",
    '      ~ tags                        = {{ "Name" = "joblens-{h}" }}',
    "{r}: Modifying... [id={h}, {s}s elapsed, provider registry.terraform.io/hashicorp/aws]",
]
_COLOURED = [
    '  \x1b[32m+\x1b[0m resource \x1b[1m"{r}"\x1b[0m will be created # {h}',
    '  \x1b[33m~\x1b[0m resource \x1b[1m"{r}"\x1b[0m will be updated in-place # {h}',
    "\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mcreating {r}: AccessDenied ({h})\x1b[0m",
    "\x1b[0m\x1b[1mPlan:\x1b[0m {s} to add, 2 to change, 1 to destroy. {h}",
]


_FILLER = (
    " [provider=registry.terraform.io/hashicorp/aws v5.31.0, region=eu-west-1,"
    " workspace=production, module.vpc.aws_subnet.private]"
)
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _line(rng: random.Random) -> str:
    pattern = rng.choice(_COLOURED if rng.random() < 0.05 else _PLAIN)
    text = pattern.format(
        r=rng.choice(_RESOURCES), h=f"{rng.getrandbits(64):016x}", s=rng.randint(1, 600)
    )
    visible = len(_SGR.sub("", text))
    width = rng.randint(95, 105)
    return text + _FILLER[: max(0, width - visible)]


def batches(total_lines: int, seed: int = 4) -> Iterator[str]:
    """``total_lines`` lines as chunk texts of BATCH_LINES newline-terminated lines each."""
    rng = random.Random(seed)
    done = 0
    while done < total_lines:
        n = min(BATCH_LINES, total_lines - done)
        yield "".join(_line(rng) + "\n" for _ in range(n))
        done += n
