"""The demo's fixed world: one user, vines in a vineyard, a cloud identity and five Tendrils."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from joblens.backends.demo.store import DemoStore, now


@dataclass(frozen=True, slots=True)
class World:
    """Ids of the rows the scenarios use."""

    user_id: str
    vineyard_id: str
    identity_id: str
    vine_ids: tuple[str, ...]
    default_tendril_id: str
    live_tendril_ids: tuple[str, ...]  # the Tendrils that claim and run jobs
    beating_tendril_ids: tuple[str, ...]  # those whose heartbeat stays fresh (and a draining one)
    cloud_tendril_id: str = ""  # the cloud-hosted live one
    offline_tendril_id: str = ""  # the user's own, offline for days: what waits for it waits


#: In a live Tendril's ``metadata``: it runs OpenTofu without ``-no-color``, so its output
#: carries ANSI colour. No real runner does (terraform-exec always passes ``-no-color``); the
#: demo keeps the option so that the colour path stays exercised (``DemoBackend(ansi=True)``).
COLOUR_KEY = "demo_tofu_colour"


def set_colour(store: DemoStore, world: World, ansi: bool) -> None:
    """Make the world's live Tendrils run OpenTofu with colour (or, by default, without)."""
    for worker_id in world.live_tendril_ids:
        metadata = dict(store.workers[worker_id].get("metadata") or {})
        if ansi:
            metadata[COLOUR_KEY] = True
        else:
            metadata.pop(COLOUR_KEY, None)
        store.workers[worker_id]["metadata"] = metadata


def configuration_hash(snapshot: Mapping[str, Any]) -> str:
    """SHA-256 of the snapshot's canonical JSON, as some creation paths store it."""
    text = json.dumps(snapshot, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def config_snapshot(vine: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    """A vine configuration as frozen at job creation (with secrets, to exercise masking)."""
    secret = "".join(rng.choice("abcdefghijkmnopqrstuvwxyz0123456789") for _ in range(24))
    return {
        "vine": {
            "id": vine["id"],
            "project_name": vine["project_name"],
            "environment_stage": vine["environment_stage"],
            "region": vine["region"],
            "terraform_version": vine["terraform_version"],
        },
        "cluster": {
            "kubernetes_version": "1.30",
            "endpoint_public_access": False,
            "node_groups": [
                {
                    "name": "general",
                    "instance_types": ["m6i.large"],
                    "capacity_type": "ON_DEMAND",
                    "min_size": 2,
                    "desired_size": 3,
                    "max_size": 6,
                },
                {
                    "name": "spot",
                    "instance_types": ["m6a.large", "m5.large"],
                    "capacity_type": "SPOT",
                    "min_size": 0,
                    "desired_size": 2,
                    "max_size": 10,
                    "labels": {"workload": "batch"},
                },
            ],
        },
        "network": {
            "vpc_cidr": "10.40.0.0/16",
            "azs": [f"{vine['region']}{az}" for az in "abc"],
            "single_nat_gateway": True,
        },
        "addons": {"argocd": {"enabled": True, "chart_version": "7.6.12"}},
        "variables": {
            "domain": f"{vine['environment_stage']}.{vine['project_name']}.example.com",
            "db_master_password": f"demo-{secret[:12]}",
            "datadog_api_key": secret,
            "slack_webhook_secret": f"https://hooks.slack.com/services/T000/B000/{secret[12:]}",
            "tags": {"team": "platform", "managed-by": "trellis"},
        },
    }


def populate(store: DemoStore, *, ansi: bool = False) -> World:
    """Insert the world's rows; Tendril heartbeats are relative to now.

    With ``ansi`` the live Tendrils run OpenTofu with colour (see :data:`COLOUR_KEY`).
    """
    user = store.new_id()
    vineyard = store.new_id()
    store.vineyards[vineyard] = {"id": vineyard, "name": "Acme Platform"}
    identity = store.new_id()
    store.identities[identity] = {
        "id": identity,
        "provider": "aws",
        "name": "acme-staging-deployer",
        "credentials": {"role_arn": "never selected"},
    }
    vines = []
    for project, stage, region in (
        ("acme-platform", "staging", "eu-west-1"),
        ("acme-platform", "production", "eu-west-1"),
        ("acme-data", "development", "us-east-2"),
    ):
        vine_id = store.new_id()
        store.vines[vine_id] = {
            "id": vine_id,
            "project_name": project,
            "environment_stage": stage,
            "region": region,
            "terraform_version": "1.9.8",
            "status": "ACTIVE",
            "vineyard_id": vineyard,
        }
        vines.append(vine_id)
    stamp = now()
    default = store.insert_worker(
        {
            "user_id": user,
            "name": "tendril-eu-west-1",
            "mode": "self-hosted",
            "status": "ONLINE",
            "last_heartbeat": stamp,
            "version": "0.14.2",
            "is_default": True,
        }
    )
    cloud = store.insert_worker(
        {
            "name": "trellis-cloud-eu-1",
            "mode": "cloud-hosted",
            "status": "ONLINE",
            "last_heartbeat": stamp,
            "version": "0.15.0",
        }
    )
    offline = store.insert_worker(
        {
            "user_id": user,
            "name": "tendril-us-east-2",
            "status": "OFFLINE",
            "last_heartbeat": stamp - timedelta(days=3, hours=4),
            "version": "0.13.7",
        }
    )
    # Nothing reliably sets OFFLINE: this one still says ONLINE but stopped beating.
    store.insert_worker(
        {
            "user_id": user,
            "name": "tendril-laptop-mara",
            "status": "ONLINE",
            "last_heartbeat": stamp - timedelta(minutes=17),
            "version": "0.14.2",
        }
    )
    draining = store.insert_worker(
        {
            "name": "trellis-cloud-us-1",
            "mode": "cloud-hosted",
            "status": "DRAINING",
            "last_heartbeat": stamp,
            "version": "0.15.0",
        }
    )
    world = World(
        user_id=user,
        vineyard_id=vineyard,
        identity_id=identity,
        vine_ids=tuple(vines),
        default_tendril_id=default["id"],
        live_tendril_ids=(default["id"], cloud["id"]),
        beating_tendril_ids=(default["id"], cloud["id"], draining["id"]),
        cloud_tendril_id=cloud["id"],
        offline_tendril_id=offline["id"],
    )
    set_colour(store, world, ansi)
    return world
