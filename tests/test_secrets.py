"""Secrets in job metadata are masked before anything shows them."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from joblens.secrets import MASK, is_secret_key, mask_secrets


def test_argocd_password_and_secret_looking_keys_are_masked() -> None:
    metadata = {
        "cluster_name": "eks-prod",
        "argocd_admin_password": "hunter2",
        "db": {"password": "p4ss", "host": "db.internal", "api_key": "AKIA123"},
        "GITHUB_TOKEN": "ghp_xxx",
        "client_secret": "s3cr3t",
        "private_key": "-----BEGIN",
    }
    masked = mask_secrets(metadata)
    text = json.dumps(masked)
    for secret in ("hunter2", "p4ss", "AKIA123", "ghp_xxx", "s3cr3t", "-----BEGIN"):
        assert secret not in text
    assert masked["cluster_name"] == "eks-prod"
    assert masked["db"]["host"] == "db.internal"
    assert masked["argocd_admin_password"] == MASK


def test_sensitive_terraform_outputs_are_masked_and_others_kept() -> None:
    outputs = {
        "outputs": {
            "kubeconfig": {"value": "apiVersion: v1 x", "sensitive": True, "type": "string"},
            "endpoint": {"value": "https://k8s.example", "sensitive": False, "type": "string"},
            "plain": "value",
        }
    }
    masked = mask_secrets(outputs)["outputs"]
    assert masked["kubeconfig"]["value"] == MASK
    assert masked["kubeconfig"]["type"] == "string"
    assert masked["endpoint"]["value"] == "https://k8s.example"
    assert masked["plain"] == "value"


def test_masking_does_not_change_the_input() -> None:
    data = {"password": "x", "nested": [{"token": "y"}]}
    mask_secrets(data)
    assert data == {"password": "x", "nested": [{"token": "y"}]}


def test_ordinary_keys_are_not_secret() -> None:
    for key in ("region", "cluster_name", "node_count", "passenger"):
        assert not is_secret_key(key), key


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_masking_keeps_the_shape_and_is_idempotent(data: object) -> None:
    once = mask_secrets(data)
    assert mask_secrets(once) == once
    assert type(once) is type(data)


@given(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=20))
def test_any_password_key_hides_its_value(prefix: str, value: str) -> None:
    masked = mask_secrets({f"{prefix}_password": value})
    assert masked == {f"{prefix}_password": MASK}
