"""JSON documents as jobs hold them, with secrets inside: very deep, and very big."""

from __future__ import annotations

from typing import Any

#: Every secret `deep_config` and `big_metadata` hold: none may be shown unmasked.
SECRETS = ("hunter2-deep", "s3cret-inner", "s3cret-item", "s3cret-kube", "hunter2-big", "pw-")


def deep_config(depth: int) -> dict[str, Any]:
    """``depth`` levels of ``{"level": n, "child": ...}`` with secrets at the bottom."""
    value: dict[str, Any] = {
        "db_password": "hunter2-deep",
        "api_token": {"inner": "s3cret-inner", "list": ["s3cret-item", 7]},
        "outputs": {"kubeconfig": {"value": "s3cret-kube", "sensitive": "true", "type": "s"}},
        "visible": "still-visible",
    }
    for level in range(depth):
        value = {"level": level, "child": value}
    return value


def big_metadata(resources: int = 40_000) -> dict[str, Any]:
    """About 10 MB of Terraform-plan-like metadata (40,000 resources), secrets inside."""
    changes = [
        {
            "address": f"aws_instance.node[{n}]",
            "type": "aws_instance",
            "change": {
                "actions": ["create"],
                "after": {
                    "ami": f"ami-{n:012x}",
                    "tags": {"Name": f"node-{n}", "team": "platform"},
                    "user_data": "#!/bin/bash\necho provisioning node\n" * 3,
                    "password": f"pw-{n}",
                },
            },
        }
        for n in range(resources)
    ]
    return {
        "phase": "apply",
        "plan_result": {"resource_changes": changes},
        "outputs": {"db_admin_password": "hunter2-big", "region": "eu-west-1"},
    }
