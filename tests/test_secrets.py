"""Secrets are masked by key name and by value shape, everywhere they can appear.

The corpus below holds every spelling and shape the platform has been seen (or can be expected)
to send; each is checked in every place it can appear: in metadata JSON (whole, node by node as a
lazy viewer shows it, inside lists, nested deep), as text (alone, inside an error message, as
JSON inside a message), and on screen and on stderr (the status banner, the Job Details table,
plain mode's failure line). The look-alikes stay visible everywhere. Hypothesis checks that
masking never raises, is idempotent, keeps every key and the shape of every structure, and
leaves clean text as it is; and that every token Yelp's detect-secrets plugins describe (tokens
generated from their own regexes) is masked.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
from dataclasses import dataclass
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from joblens.models import Job, JobState, JobStatus, JobType
from joblens.plain import _report_outcome
from joblens.secrets import (
    MASK,
    child_sensitivity,
    is_secret_key,
    is_sensitive_output,
    mask_leaf,
    mask_secrets,
    mask_text,
)
from joblens.widgets.banner import banner_text
from joblens.widgets.details import job_details_table

# Fake credentials of the real shapes (none of them is or was valid anywhere).
PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"
PEM = (
    f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\nc2VjcmV0LWJvZHk=\n"
    "-----END RSA PRIVATE KEY-----\n"
)
OPENSSH = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB"
    "\nAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBhc2VjcmV0a2V5\n-----END OPENSSH PRIVATE KEY-----"
)
PEM_B64 = base64.b64encode(PEM.encode()).decode()
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwicm9sZSI6ImFkbWluIn0"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
GHP = "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345"
AZURE_KEY = ("Zm9vYmFyYmF6" * 8)[:86] + "=="
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
BASIC = base64.b64encode(b"admin:Adm1n-pw").decode()


@dataclass(frozen=True)
class Shape:
    """A secret in text form: ``text`` holds it, ``leaks`` are what must never be shown.

    ``in_text``: masked wherever the text appears (False for shapes only a whole JSON value
    betrays, such as a bare 40-character AWS secret key).
    """

    name: str
    text: str
    leaks: tuple[str, ...]
    in_text: bool = True


SHAPES = [
    Shape("url-postgres", "postgres://app:pg-Pa55word@db.internal:5432/app", ("pg-Pa55word",)),
    Shape("url-redis-no-user", "redis://:r3dis-s3cret@cache.internal:6379/0", ("r3dis-s3cret",)),
    Shape("url-at-in-password", "mysql://root:p@ss@w0rd@10.0.0.5/db", ("p@ss", "ss@w0rd")),
    Shape("url-git-https", "https://deploy:gh-9f8e7d6c@git.example.com/o/r.git", ("gh-9f8e7d6c",)),
    Shape(
        "url-in-error",
        "Error: dial postgresql://svc:Xy7%21pq@10.1.2.3:5432/prod failed: i/o timeout",
        ("Xy7%21pq",),
    ),
    Shape("jdbc-query", "jdbc:postgresql://db:5432/app?user=app&password=Jd8c-pw", ("Jd8c-pw",)),
    Shape("pem-rsa", PEM, (PEM_BODY[:20], "c2VjcmV0LWJvZHk")),
    Shape("pem-openssh", OPENSSH, ("b3BlbnNzaC1rZXkt", "c2VjcmV0a2V5")),
    Shape("pem-escaped-newlines", PEM.replace("\n", "\\n"), (PEM_BODY[:20],)),
    Shape("pem-cut-short", PEM[:120], (PEM_BODY[:20],)),
    Shape(
        "pem-encrypted-pkcs8",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG\n"
        "-----END ENCRYPTED PRIVATE KEY-----",
        ("MIIFHDBOBgkqhkiG",),
    ),
    Shape("pem-base64", PEM_B64, (PEM_B64[:24],)),
    Shape("bearer-header", "Authorization: Bearer 8f3c2a9e7b6d5c4a3b2c1d0e", ("8f3c2a9e7b6d",)),
    Shape(
        "bearer-in-curl",
        "curl -H 'Authorization: Bearer abc123def456ghi789' https://api.example.com",
        ("abc123def456ghi789",),
    ),
    Shape("basic-header", f"Authorization: Basic {BASIC}", (BASIC,)),
    Shape("basic-in-text", f"retrying with Basic {BASIC} after 401", (BASIC,)),
    Shape("x-api-key-header", "X-Api-Key: xak-123456789abc", ("xak-123456789abc",)),
    Shape(
        "cookie-header",
        "Cookie: session=s3ss10n-abc123; csrftoken=csrf-xyz789",
        ("s3ss10n-abc123", "csrf-xyz789"),
    ),
    Shape(
        "set-cookie-header",
        "Set-Cookie: __Host-sid=sid-5up3r-s3cret; Path=/; Secure; HttpOnly",
        ("sid-5up3r-s3cret",),
    ),
    Shape("env-entry", "DB_PASSWORD=Env-Pa55-word", ("Env-Pa55-word",)),
    Shape("env-export", f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}", (AWS_SECRET,)),
    Shape("env-entry-with-spaces", "API_TOKEN=two words here", ("two words",)),
    Shape("cli-flag", "tofu apply -var db_password=Cl1-flag-pw -auto-approve", ("Cl1-flag-pw",)),
    Shape("hcl-assignment", 'admin_password = "Hcl-Pa55"', ("Hcl-Pa55",)),
    Shape("json-in-text", '{"client_secret": "cs-JSON-in-text", "region": "eu"}', ("cs-JSON",)),
    Shape("escaped-json-in-text", '{\\"api_key\\": \\"esc-JSON-key\\"}', ("esc-JSON-key",)),
    Shape("python-repr", "{'password': 'py-repr-pw', 'user': 'app'}", ("py-repr-pw",)),
    Shape(
        "kubeconfig-yaml",
        "apiVersion: v1\nusers:\n- name: admin\n  user:\n    token: kube-t0ken-abc\n"
        f"    client-certificate-data: {PEM_B64[:40]}Q0VSVA==\n"
        "    client-key-data: Y2xpZW50LWtleS1kYXRh\n",
        ("kube-t0ken-abc", "Y2xpZW50LWtleS1kYXRh", "Q0VSVA=="),
    ),
    Shape("jwt", JWT, (JWT[:30], JWT[-20:])),
    Shape("jwt-in-text", f"token rejected: {JWT}; please log in again", (JWT[40:70],)),
    Shape("github-classic", GHP, (GHP[4:],)),
    Shape(
        "github-fine-grained",
        "github_pat_11ABCDEFG0" + "a1b2c3d4e5" * 5 + "abcdefghi",
        ("11ABCDEFG0a1b2",),
    ),
    Shape(
        "github-app-in-clone-url",
        "git clone https://x-access-token:ghs_0123456789abcdefghijABCDEFGHIJ012345@github.com/o/r",
        ("ghs_0123456789", "0123456789abcdefghijABCDEF"),
    ),
    Shape("gitlab", "glpat-AbCdEfGhIjKlMnOpQrSt", ("AbCdEfGhIjKl",)),
    Shape("slack-bot", "xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", ("AbCdEfGh",)),
    Shape(
        "slack-webhook",
        "posting to https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        ("XXXXXXXXXXXXXXXX",),
    ),
    Shape(
        "discord-webhook",
        "https://discord.com/api/webhooks/123456789012345678/AbCdEf-GhIjKl_MnOpQrStUvWxYz",
        ("AbCdEf-GhIjKl",),
    ),
    Shape("aws-access-key-id", "AKIAIOSFODNN7EXAMPLE", ("IOSFODNN7EXAMPLE",)),
    Shape("aws-session-key-in-text", "assumed role as ASIAY34FZKBOKMUTVV7A", ("Y34FZKBOKMUTVV7A",)),
    Shape("aws-secret-quoted", f"aws_secret_access_key = '{AWS_SECRET}'", (AWS_SECRET,)),
    Shape("aws-secret-near-name", f'config: aws.key="{AWS_SECRET}"', (AWS_SECRET,)),
    Shape("aws-secret-bare", AWS_SECRET, (AWS_SECRET,), in_text=False),
    Shape(
        "aws-presigned-url",
        "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
        "AKIAIOSFODNN7EXAMPLE%2F20261130%2Feu-west-1%2Fs3%2Faws4_request"
        "&X-Amz-Signature=0123456789abcdef0123456789abcdef",
        ("IOSFODNN7EXAMPLE", "0123456789abcdef0123"),
    ),
    Shape(
        "azure-connection-string",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey="
        f"{AZURE_KEY};EndpointSuffix=core.windows.net",
        (AZURE_KEY[:30],),
    ),
    Shape("azure-account-key", AZURE_KEY, (AZURE_KEY[:30],)),
    Shape(
        "azure-sas-url",
        "https://acct.blob.core.windows.net/tfstate/prod.tfstate?sv=2022-11-02&ss=b&srt=o"
        "&sp=r&se=2026-12-01T00:00:00Z&sig=Abc%2BDef%2FGhi123%3D",
        ("Abc%2BDef",),
    ),
    Shape(
        "azure-service-bus",
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;"
        "SharedAccessKey=SAK-abc123+def=",
        ("SAK-abc123",),
    ),
    Shape("google-api-key", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", ("9tSrke72PouQ",)),
    Shape("google-oauth-secret", "GOCSPX-abcdefghijklmnopqrstuvwxyz12", ("abcdefghijklmnop",)),
    Shape("stripe-secret", "sk_live_" + "51Hx" + "a" * 90, ("51Hxaaaa", "a" * 40)),
    Shape("stripe-restricted", "rk_live_" + "0123456789" * 3, ("0123456789012",)),
    Shape("sendgrid", "SG." + "a" * 22 + "." + "B" * 43, ("BBBBBBBBBBBB",)),
    Shape("npm", "npm_" + "a1B2c3D4e5" * 3 + "F6g7H8", ("a1B2c3D4e5",)),
    Shape("vault", "hvs.CAESIJlU9JMYEhOPYv4igdhm9PnK3dNuWbcJuxEq3rHQ", ("CAESIJlU9JMY",)),
    Shape(
        "terraform-cloud",
        "abcdefghijklmn.atlasv1." + "Z" * 64,
        ("ZZZZZZZZZZZZZZZZ", "abcdefghijklmn"),
    ),
    Shape("digitalocean", "dop_v1_" + "0123456789abcdef" * 4, ("0123456789abcdef",)),
    Shape("openai-project", "sk-proj-" + "Ab1" * 20, ("Ab1Ab1Ab1Ab1",)),
    Shape("anthropic", "sk-ant-api03-" + "Xy9_" * 20, ("Xy9_Xy9_Xy9_",)),
    Shape("twilio-api-key", "SK" + "0123456789abcdef" * 2, ("0123456789abcdef",)),
    Shape(
        "discord-bot-token",
        "MTA4NjQ5NzI0NjM0ODg2MzYxNg.GhIjKl.abcdefghijklmnopqrstuvwxyz0",
        ("MTA4NjQ5NzI0NjM0",),
    ),
    Shape(
        "putty",
        "PuTTY-User-Key-File-3: ssh-ed25519\nPrivate-Lines: 1\nAAAAIHByaXZhdGUta2V5LWJ5dGVz\n",
        ("AAAAIHByaXZhdGUta2V5",),
    ),
]

# Secrets betrayed by their key or by Terraform's marks: (name, data, leaks, visible).
STRUCTURES: list[tuple[str, Any, tuple[str, ...], tuple[str, ...]]] = [
    ("argocd-password", {"argocd_admin_password": "s3cr3t-argo"}, ("s3cr3t-argo",), ()),
    (
        "kubeconfig-string",
        {"kubeconfig": "apiVersion: v1\nclusters: []\ncurrent-context: prod"},
        ("current-context",),
        (),
    ),
    ("kube-config-raw", {"kube_config_raw": "apiVersion: v1 raw-kc"}, ("raw-kc",), ()),
    ("ssh-key-pem", {"ssh_key": OPENSSH}, ("b3BlbnNzaC1rZXkt",), ()),
    ("ssh-key-opaque", {"ssh_key": "opaque-ssh-key-material"}, ("opaque-ssh",), ()),
    (
        "k8s-tls-secret",
        {"data": {"tls.crt": "Y2VydGlmaWNhdGU=", "tls.key": "dGxzLWtleS1tYXRlcmlhbA=="}},
        ("dGxzLWtleS1tYXRlcmlhbA",),
        ("Y2VydGlmaWNhdGU=",),
    ),
    ("server-key-file", {"server.key": "srv-key-material"}, ("srv-key-material",), ()),
    ("id-rsa-file", {"id_rsa": "id-rsa-material"}, ("id-rsa-material",), ()),
    ("client-key-data", {"client-key-data": "Y2tkLW1hdGVyaWFs"}, ("Y2tkLW1hdGVyaWFs",), ()),
    ("client-certificate", {"client_certificate": "Y2VydC1kYXRh"}, ("Y2VydC1kYXRh",), ()),
    ("authorization-token", {"Authorization": "Token tok-1234"}, ("tok-1234",), ()),
    ("bearer-key", {"bearer": "opaque-bearer"}, ("opaque-bearer",), ()),
    ("basic-auth", {"basic_auth": "deploy:hunter2"}, ("hunter2",), ()),
    ("cookies-dict", {"cookies": {"session": "sess-cookie-1"}}, ("sess-cookie-1",), ()),
    ("camel-case", {"argocdAdminPassword": "camel-pw"}, ("camel-pw",), ()),
    ("upper-case", {"AWS_SECRET_ACCESS_KEY": "upper-aws-secret"}, ("upper-aws-secret",), ()),
    ("api-key-dash", {"x-api-key": "dash-api-key"}, ("dash-api-key",), ()),
    ("api-key-camel", {"apiKey": "camel-api-key"}, ("camel-api-key",), ()),
    ("db-pass", {"db_pass": "short-pass-1"}, ("short-pass-1",), ()),
    ("passphrase", {"key_passphrase": "pass-phrase-1"}, ("pass-phrase-1",), ()),
    ("vault-secret-id", {"secret_id": "8f1c-approle"}, ("8f1c-approle",), ()),
    (
        "credentials-blob",
        {"credentials": {"type": "service_account", "private_key_id": "abc123", "x": 1}},
        ("service_account", "abc123"),
        (),
    ),
    (
        "env-list",
        {"env": ["DB_PASSWORD=env-list-pw", "REGION=eu-west-1"]},
        ("env-list-pw",),
        ("REGION=eu-west-1",),
    ),
    (
        "deep-in-lists",
        {"a": [{"b": [{"c": {"token": "deep-token-xyz"}}]}]},
        ("deep-token-xyz",),
        (),
    ),
    (
        "output-sensitive-true",
        {"outputs": {"db": {"value": "o-bool-true", "sensitive": True, "type": "string"}}},
        ("o-bool-true",),
        ("string",),
    ),
    (
        "output-sensitive-string",
        {"outputs": {"conn": {"value": "o-str-true", "sensitive": "true"}}},
        ("o-str-true",),
        (),
    ),
    (
        "output-sensitive-title",
        {"outputs": {"conn": {"value": "o-str-True", "sensitive": "True"}}},
        ("o-str-True",),
        (),
    ),
    ("output-sensitive-one", {"o": {"value": "o-int-one", "sensitive": 1}}, ("o-int-one",), ()),
    ("output-sensitive-yes", {"o": {"value": "o-yes", "sensitive": "yes"}}, ("o-yes",), ()),
    (
        "output-sensitive-structure",
        {"o": {"value": {"user": "app", "dsn_part": "deep-o"}, "sensitive": True}},
        ("deep-o", "app"),
        ("user", "dsn_part"),
    ),
    (
        "output-under-secret-name",
        {"kubeconfig": {"value": "kc-value", "type": "string", "sensitive": False}},
        ("kc-value",),
        ("string",),
    ),
    (
        "plan-after-sensitive",
        {
            "resource_changes": [
                {
                    "change": {
                        "after": {"result": "rand-pw-xyz", "length": 16},
                        "after_sensitive": {"result": True},
                    }
                }
            ]
        },
        ("rand-pw-xyz",),
        ("16",),
    ),
    (
        "plan-before-sensitive-all",
        {"change": {"before": {"conn": "before-all"}, "before_sensitive": True}},
        ("before-all",),
        (),
    ),
    (
        "plan-output-change",
        {"output_changes": {"db": {"after": "oc-after", "after_sensitive": True}}},
        ("oc-after",),
        (),
    ),
    (
        "state-sensitive-values",
        {"values": {"id": "res-1", "connection_info": "state-conn"}, "sensitive_values": {
            "connection_info": True
        }},
        ("state-conn",),
        ("res-1",),
    ),
    (
        "mirror-in-list",
        {"after": {"rules": [{"x": "plain-x"}, {"x": "list-marked"}]},
         "after_sensitive": {"rules": [{}, {"x": True}]}},
        ("list-marked",),
        ("plain-x",),
    ),
]  # fmt: skip

# Must stay visible, by key and by value, in JSON and in text.
LOOKALIKES: dict[str, Any] = {
    "password_policy": {"min_length": 12, "require_symbols": True},
    "min_password_length": 12,
    "password_reset_required": False,
    "token_count": 3,
    "max_tokens": 4096,
    "token_ttl": "1h",
    "token_type": "Bearer",
    "token_endpoint": "https://login.example.com/oauth2/token",
    "keyboard_layout": "us",
    "monkey": "business",
    "turkey": "sandwich",
    "passenger_count": 3,
    "public_key": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA deployer@ci",
    "ssh_public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx9pqZ deployer",
    "key_name": "deployer",
    "key_pair_name": "deployer",
    "ssh_key_name": "deployer",
    "keyspace": "events",
    "key_id": "1234abcd-12ab-34cd-56ef-1234567890ab",
    "kms_key_id": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "plan_file_key": "plans/7f3da03a/plan.tfplan",
    "sort_key": "created_at",
    "tags": [{"key": "Name", "value": "web"}],
    "ami": "ami-0a8e758f5e873d1c1",
    "subnet_id": "subnet-0123456789abcdef0",
    "commit": "7f3da03a2b1c4d5e6f708192a3b4c5d6e7f80912",
    "job_id": "3f2a9c1e-7b4d-4e21-9a3c-8d2f1e0b5a6c",
    "configuration_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "source_code_hash": "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
    "cluster_endpoint": "https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com",
    "argocd_url": "https://argocd.example.com:8443/applications?proj=web",
    "secret_name": "db-creds",
    "secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-creds-AbCdEf",
    "password_secret_ref": "vault:kv/db",
    "auth_method": "oidc",
    "arn": "arn:aws:iam::123456789012:role/deployer",
    "certificate": "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
    "ca_data": base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n").decode(),
    "registry": "registry.terraform.io/hashicorp/aws",
    "created": "2026-11-30T13:14:38Z",
    "email": "ops@example.com",
    "git_remote": "git@github.com:org/repo.git",
    "stripe_publishable": "pk_live_51HxAbCdEfGhIjKlMnOp",
    "reference": "password = var.db_password",
    "env_reference": "DB_PASSWORD=${DB_PASSWORD}",
    "error": "Error: invalid token: expired",
    "message": "Basic authentication failed for user deploy",
    "note": "bearer token-based auth is configured",
    "docs": "Set the password with `tofu apply -var db_password=...` before the token expires",
    "prose": "secret rotation: every 90 days; key: see the runbook",
    "time": "13:14:38",
}


def _names(text: str) -> list[str]:
    return text.split()


def _lookalike_strings() -> list[str]:
    found: list[str] = []
    stack: list[Any] = [LOOKALIKES]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            found.append(node)
    return found


def lazy_view(data: Any) -> str:
    """What a lazy JSON viewer shows, node by node, with ``child_sensitivity`` and ``mask_leaf``."""
    shown: list[str] = []
    stack: list[tuple[Any, Any]] = [(mask_leaf(None, data), None)]
    while stack:
        node, mark = stack.pop()
        if not isinstance(node, dict | list):
            shown.append(str(node))
            continue
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            child = child_sensitivity(node, key, mark)
            leaf = mask_leaf(
                key if isinstance(key, str) else None, value, sensitive_output=child is True
            )
            shown.append(str(key))
            stack.append((leaf, child))
    return "\n".join(shown)


def plain_view(data: Any) -> str:
    """What :func:`lazy_view` shows, in the same order, without masking anything."""
    shown: list[str] = []
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict | list):
            shown.append(str(node))
            continue
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            shown.append(str(key))
            stack.append(value)
    return "\n".join(shown)


def _job(error_message: str) -> Job:
    return Job(
        id="3f2a9c1e-0000-4000-8000-000000000000",
        job_type=JobType.DEPLOY,
        status=JobStatus.FAILED,
        error_message=error_message,
    )


def shown_on_screen_and_stderr(error_message: str) -> dict[str, str]:
    """The error message as the banner, the Job Details table and plain mode show it."""
    banner = banner_text(_job(error_message))
    assert banner is not None
    console = Console(width=400, file=io.StringIO(), record=True, color_system=None)
    console.print(job_details_table(_job(error_message)))
    err = io.StringIO()
    _report_outcome("3f2a9c1e", JobState(status=JobStatus.FAILED, error_message=error_message), err)
    return {"banner": banner.plain, "details": console.export_text(), "plain": err.getvalue()}


def _assert_hidden(shown: str, leaks: tuple[str, ...], where: str) -> None:
    for leak in leaks:
        assert leak not in shown, f"{leak!r} shown in {where}: {shown!r}"


# ---------------------------------------------------------------------------- the corpus


def test_the_corpus_is_large_enough() -> None:
    assert len(SHAPES) + len(STRUCTURES) >= 40
    assert len(LOOKALIKES) >= 40


@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
def test_a_secret_shape_is_masked_everywhere_it_can_appear(shape: Shape) -> None:
    places: dict[str, str] = {
        "json value": json.dumps(mask_secrets({"detail": shape.text}), ensure_ascii=False),
        "json list": json.dumps(mask_secrets({"items": ["a", shape.text]}), ensure_ascii=False),
        "json nested": json.dumps(
            mask_secrets([{"x": {"y": [[{"z": shape.text}]]}}]), ensure_ascii=False
        ),
        "lazy viewer": lazy_view({"detail": [shape.text]}),
        "mask_leaf": str(mask_leaf("detail", shape.text)),
    }
    if shape.in_text:
        places["mask_text"] = mask_text(shape.text)
        places["in a message"] = mask_text(f"Error: applying module.db: {shape.text} (exit 1)")
        places["in a json message"] = mask_text(json.dumps({"detail": shape.text}))
        places.update(shown_on_screen_and_stderr(f"deploy failed:\n{shape.text}\nexit status 1"))
    for where, shown in places.items():
        _assert_hidden(shown, shape.leaks, where)
        assert MASK in shown, where


@pytest.mark.parametrize(
    ("data", "leaks", "visible"),
    [case[1:] for case in STRUCTURES],
    ids=[case[0] for case in STRUCTURES],
)
def test_a_secret_by_key_or_terraform_mark_is_masked_in_json(
    data: Any, leaks: tuple[str, ...], visible: tuple[str, ...]
) -> None:
    places = {
        "mask_secrets": json.dumps(mask_secrets(data), ensure_ascii=False),
        "in a list": json.dumps(mask_secrets([1, [data]]), ensure_ascii=False),
        "lazy viewer": lazy_view(data),
    }
    for where, shown in places.items():
        _assert_hidden(shown, leaks, where)
        assert MASK in shown, where
        for expected in visible:
            assert expected in shown, (expected, where)


@pytest.mark.parametrize(
    ("data", "leaks"),
    [
        case[1:3]
        for case in STRUCTURES
        if all(isinstance(value, str) for value in case[1].values())
        and "sensitive" not in json.dumps(case[1])
    ],
)
def test_secret_keys_are_masked_in_json_written_into_an_error_message(
    data: Any, leaks: tuple[str, ...]
) -> None:
    # Terraform's marks need the structure; key names work in text too (for string values).
    message = f"Error: provider returned {json.dumps(data)}"
    for where, shown in {"text": mask_text(message), **shown_on_screen_and_stderr(message)}.items():
        _assert_hidden(shown, leaks, where)


def test_lookalikes_stay_visible_everywhere() -> None:
    assert mask_secrets(LOOKALIKES) == LOOKALIKES
    assert MASK not in lazy_view(LOOKALIKES)
    for key in LOOKALIKES:
        assert not is_secret_key(key), key
    for text in _lookalike_strings():
        assert mask_text(text) == text
        assert MASK not in "".join(shown_on_screen_and_stderr(text).values()), text
    as_text = json.dumps(LOOKALIKES)
    assert mask_text(as_text) == as_text


def test_key_names() -> None:
    secret = _names(
        "password passwd pwd db_pass admin_pw secret client_secret clientSecret token "
        "access_token GITHUB_TOKEN refresh-token api_key apiKey APIKey x-api-key "
        "access_key secret_key private_key privateKey ssh_key tls_key tls.key server.key "
        "id_rsa id_ed25519 signing_key encryption_key master_key account_key "
        "primary_access_key storage_key credentials creds cookie set_cookie "
        "authorization bearer auth basic_auth kubeconfig kube_config "
        "kube_admin_config_raw client-key-data client_certificate_data sas_token sig "
        "X-Amz-Signature secret_id passphrase key_passphrase"
    )
    visible = _names(
        "key keys key_name key_id kms_key_id key_vault_id keyspace keyboard monkey "
        "sort_key partition_key plan_file_key s3_key public_key ssh_public_key "
        "public_key_openssh secret_name secret_arn secret_ref secret_version "
        "password_policy password_length min_password_length token_count token_ttl "
        "token_type token_url token_endpoint max_tokens total_tokens auth_method "
        "auth_type authentication credential_name credentials_file kubeconfig_path "
        "cookie_name signature_version passenger bypass region cluster_name node_count "
        "sensitive value access_key_id private_key_id configuration_hash"
    )
    assert [k for k in secret if not is_secret_key(k)] == []
    assert [k for k in visible if is_secret_key(k)] == []


@pytest.mark.parametrize("spelling", [True, "true", "True", "TRUE", 1, "1", "yes", "Yes", "on"])
def test_terraform_sensitive_in_any_spelling(spelling: object) -> None:
    output = {"value": "v", "sensitive": spelling}
    assert is_sensitive_output(output)
    assert mask_secrets({"o": output})["o"] == {"value": MASK, "sensitive": spelling}


@pytest.mark.parametrize("spelling", [False, "false", "False", 0, "0", "no", None, "", [], {}])
def test_terraform_not_sensitive_in_any_spelling(spelling: object) -> None:
    assert not is_sensitive_output({"value": "v", "sensitive": spelling})
    assert mask_secrets({"o": {"value": "v", "sensitive": spelling}})["o"]["value"] == "v"


def test_only_the_secret_part_of_a_text_is_masked() -> None:
    assert mask_text("postgres://u:pw@h/db") == f"postgres://u:{MASK}@h/db"
    assert mask_text("Authorization: Bearer abc123def456") == f"Authorization: Bearer {MASK}"
    assert mask_text("Set-Cookie: sid=abc; Path=/; HttpOnly") == (
        f"Set-Cookie: sid={MASK}; Path=/; HttpOnly"
    )
    assert mask_text(
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
    ) == (f"-----BEGIN RSA PRIVATE KEY-----{MASK}-----END RSA PRIVATE KEY-----")
    assert (
        mask_text('{"password": "x1", "user": "app"}') == f'{{"password": "{MASK}", "user": "app"}}'
    )
    assert mask_text("?sv=1&sig=abc&se=2") == f"?sv=1&sig={MASK}&se=2"
    assert mask_text("DB_PASSWORD=a b c") == f"DB_PASSWORD={MASK}"
    assert mask_text("x" * 5000 + " AKIAIOSFODNN7EXAMPLE") == "x" * 5000 + " " + MASK


def test_masking_does_not_change_the_input() -> None:
    data = {"password": "x", "nested": [{"token": "y"}], "o": {"value": "v", "sensitive": True}}
    mask_secrets(data)
    assert data == {
        "password": "x",
        "nested": [{"token": "y"}],
        "o": {"value": "v", "sensitive": True},
    }


def test_mask_leaf_for_a_lazy_viewer() -> None:
    assert mask_leaf("password", "x") == MASK
    assert mask_leaf("password", None) is None
    assert mask_leaf("region", "eu-west-1") == "eu-west-1"
    assert mask_leaf("detail", "postgres://u:pw@h") == f"postgres://u:{MASK}@h"
    assert mask_leaf("value", "v", sensitive_output=True) == MASK
    assert mask_leaf("count", 3, sensitive_output=True) == MASK
    # A container: its own children are masked when shown, unless the node itself is secret.
    big = {"password": "x", "region": "eu"}
    assert mask_leaf("config", big) is big
    assert mask_leaf("credentials", big) == {"password": MASK, "region": MASK}
    assert mask_leaf("kubeconfig", {"value": "kc", "type": "string"}) == {
        "value": MASK,
        "type": "string",
    }
    outputs = {"db": {"value": "v", "sensitive": "true"}}
    assert child_sensitivity(outputs["db"], "value") is True
    assert child_sensitivity(outputs["db"], "sensitive") is None
    assert child_sensitivity(outputs, "db") is None
    change = {"after": {"a": 1, "b": 2}, "after_sensitive": {"b": True}}
    mirror = child_sensitivity(change, "after")
    assert mirror == {"b": True}
    assert child_sensitivity(change["after"], "b", mirror) is True
    assert child_sensitivity(change["after"], "a", mirror) is None


# ---------------------------------------------------------------------------- properties

SECRET_TEXTS = [s.text for s in SHAPES] + ["true", "yes", "1", MASK]
KEYS = st.sampled_from(
    [
        "password",
        "token",
        "api_key",
        "kubeconfig",
        "secret_name",
        "value",
        "sensitive",
        "after",
        "after_sensitive",
        "before_sensitive",
        "values",
        "sensitive_values",
        "outputs",
        "key",
        "tls.key",
        "type",
    ]
) | st.text(max_size=8)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=24)
    | st.sampled_from(SECRET_TEXTS)
)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=40,
)


def skeleton(data: Any) -> Any:
    """The structure with every leaf replaced by None (keys and lengths kept)."""
    if isinstance(data, dict):
        return {k: skeleton(v) for k, v in data.items()}
    if isinstance(data, list):
        return [skeleton(v) for v in data]
    return None


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES)
def test_masking_never_raises_keeps_keys_and_shape_and_is_idempotent(data: Any) -> None:
    once = mask_secrets(data)
    assert skeleton(once) == skeleton(data)
    assert mask_secrets(once) == once
    # A lazy viewer shows exactly what mask_secrets gives, node by node.
    assert lazy_view(data) == plain_view(once)


@settings(max_examples=300)
@given(st.text(max_size=200), st.sampled_from(SECRET_TEXTS), st.text(max_size=40))
def test_mask_text_never_raises_is_idempotent_and_only_inserts_the_mask(
    before: str, secret: str, after: str
) -> None:
    for text in (before, before + secret + after, secret + "\n" + before):
        masked = mask_text(text)
        assert mask_text(masked) == masked
        assert masked == text or MASK in masked


# Words of the look-alikes, but none that makes the next word a secret: "secret = 13:14:38"
# and "bearer 9f86d08…" are credentials.
CLEAN_WORDS = st.sampled_from(
    [
        w
        for text in _lookalike_strings()
        for w in text.split()
        if w.strip("=:") == w and w.lower() not in ("bearer", "basic")
    ]
    + list(LOOKALIKES)
    + ["Error:", "Plan:", "-", "module.app", "aws_instance.web[0]", "(known after apply)"]
)


@settings(max_examples=300)
@given(st.lists(CLEAN_WORDS, max_size=30), st.sampled_from([" ", "\n", ", ", "  "]))
def test_clean_text_is_never_changed_nor_lengthened(words: list[str], sep: str) -> None:
    text = sep.join(words)
    assert mask_text(text) == text


def _deep(depth: int, leaf: dict[str, Any]) -> Any:
    root: dict[str, Any] = {}
    node = root
    for i in range(depth):
        child: dict[str, Any] = {}
        node["next"] = [child] if i % 2 else child
        node = child
    node.update(leaf)
    return root


def _bottom(data: Any) -> Any:
    while True:
        if isinstance(data, list):
            data = data[0]
        elif isinstance(data, dict) and "next" in data:
            data = data["next"]
        else:
            return data


def test_5000_deep_json_is_masked_without_recursion() -> None:
    deep = _deep(5000, {"password": "deep-pw", "note": "postgres://u:pw@h", "ok": 1})
    masked = mask_secrets(deep)
    assert _bottom(masked) == {"password": MASK, "note": f"postgres://u:{MASK}@h", "ok": 1}
    assert _bottom(mask_secrets(masked)) == _bottom(masked)
    assert _bottom(deep)["password"] == "deep-pw"  # the input is not changed
    assert mask_leaf("credentials", _deep(5000, {"x": "y"})) is not None
    assert "deep-pw" not in lazy_view(deep)


# ---------------------------------------------------------------------------- detect-secrets


def _plugin_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """The denylist regexes of the detect-secrets plugins whose shapes joblens masks."""
    from detect_secrets.plugins.aws import AWSKeyDetector
    from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
    from detect_secrets.plugins.discord import DiscordBotTokenDetector
    from detect_secrets.plugins.github_token import GitHubTokenDetector
    from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
    from detect_secrets.plugins.jwt import JwtTokenDetector
    from detect_secrets.plugins.openai import OpenAIDetector
    from detect_secrets.plugins.pypi_token import PypiTokenDetector
    from detect_secrets.plugins.sendgrid import SendGridDetector
    from detect_secrets.plugins.slack import SlackDetector
    from detect_secrets.plugins.stripe import StripeDetector

    plugins = [
        AWSKeyDetector,
        AzureStorageKeyDetector,
        DiscordBotTokenDetector,
        GitHubTokenDetector,
        GitLabTokenDetector,
        JwtTokenDetector,
        OpenAIDetector,
        PypiTokenDetector,
        SendGridDetector,
        SlackDetector,
        StripeDetector,
    ]
    return [
        (f"{plugin.__name__}[{i}]", pattern)
        for plugin in plugins
        for i, pattern in enumerate(cast("list[re.Pattern[str]]", plugin.denylist))
    ]


PLUGIN_PATTERNS = _plugin_patterns()


def _as_issued(name: str, token: str) -> str:
    """A generated token as the vendor would issue it: Slack's prefixes are lower-case (the
    plugin's regex ignores case)."""
    return token[:5].lower() + token[5:] if name == "SlackDetector[0]" else token


@pytest.mark.parametrize(
    ("name", "pattern"), PLUGIN_PATTERNS, ids=[name for name, _ in PLUGIN_PATTERNS]
)
@settings(
    max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(data=st.data())
def test_every_token_a_detect_secrets_plugin_describes_is_masked(
    name: str, pattern: re.Pattern[str], data: st.DataObject
) -> None:
    token = data.draw(
        # Drawn from ASCII only: tokens are ASCII, and drawing from all of Unicode then filtering
        # took 20 s for the Discord pattern alone.
        st.from_regex(pattern, fullmatch=True, alphabet=st.characters(codec="ascii"))
        .map(lambda t: _as_issued(name, t))
        .filter(lambda t: t.isascii() and "\n" not in t),
        label="token",
    )
    for text in (token, f"Error: got {token} from the provider", f'{{"detail": "{token}"}}'):
        masked = mask_text(text)
        assert pattern.search(masked) is None, (text, masked)
        assert token not in masked


def test_the_corpus_leaves_nothing_detect_secrets_would_find() -> None:
    for shape in SHAPES:
        if not shape.in_text:
            continue
        masked = mask_text(shape.text)
        for name, pattern in PLUGIN_PATTERNS:
            assert pattern.search(masked) is None, (shape.name, name, masked)


# ---------------------------------------------------------------------------- cost


def _metadata(target_bytes: int) -> dict[str, Any]:
    """Realistic PLAN execution_metadata of about ``target_bytes`` of JSON, with secrets."""
    changes: list[Any] = []
    size = i = 0
    while size < target_bytes:
        after = {
            "ami": f"ami-0{i:016x}",
            "instance_type": "t3.small",
            "subnet_id": f"subnet-0{i:016x}",
            "arn": f"arn:aws:ec2:eu-west-1:123456789012:instance/i-0{i:016x}",
            "tags": {"Name": f"web-{i}", "Environment": "staging", "ManagedBy": "terraform"},
            "user_data": "#!/bin/bash\nset -euo pipefail\nyum install -y nginx\n",
            "endpoint": f"https://{i:016X}.gr7.eu-west-1.eks.amazonaws.com",
            "password": f"pw-{i}",
            "connection": f"postgres://app:conn-{i}@db.internal:5432/app",
        }
        change = {
            "address": f"module.app.aws_instance.r{i}",
            "type": "aws_instance",
            "change": {"actions": ["create"], "before": None, "after": after},
        }
        changes.append(change)
        size += len(json.dumps(change))
        i += 1
    return {"phase": "plan", "plan_result": {"resource_changes": changes}}


def test_a_megabyte_of_metadata_is_masked_quickly() -> None:
    metadata = _metadata(1024 * 1024)
    start = time.perf_counter()
    masked = mask_secrets(metadata)
    elapsed = time.perf_counter() - start
    text = json.dumps(masked)
    assert "pw-1" not in text and "conn-1@" not in text and "amazonaws.com" in text
    assert elapsed < 3.0, f"{elapsed:.2f} s for 1 MB"  # about 0.05 s on a quiet 2-core machine
