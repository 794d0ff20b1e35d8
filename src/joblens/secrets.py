"""Masking secrets in job metadata before anything shows them.

Execution metadata and config snapshots are opaque JSON; some of it is secret
(``argocd_admin_password``, keys, tokens, Terraform outputs marked sensitive).
"""

from __future__ import annotations

import re
from typing import Any

MASK = "••••••••"

_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?$|passw|secret|token|api[_-]?key|private[_-]?key|access[_-]?key"
    r"|credential|auth[_-]?key|client[_-]?secret|session[_-]?key|signing[_-]?key|^pwd$",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    """True for keys named like a password, secret, token or key material."""
    return bool(_SECRET_KEY.search(key))


def _mask_value(value: Any) -> Any:
    # A secret that is itself a structure is masked leaf by leaf, so its shape stays readable.
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(v) for v in value]
    if value is None or value == "":
        return value
    return MASK


def mask_secrets(data: Any) -> Any:
    """A copy of ``data`` with secret values replaced by a mask; the input is not changed.

    Masked: values under secret-looking keys, and Terraform outputs shaped
    ``{"value": ..., "sensitive": true}``.
    """
    if isinstance(data, dict):
        if data.get("sensitive") is True and "value" in data:
            return {
                k: (_mask_value(v) if k == "value" else mask_secrets(v)) for k, v in data.items()
            }
        return {
            k: _mask_value(v) if is_secret_key(str(k)) else mask_secrets(v) for k, v in data.items()
        }
    if isinstance(data, list):
        return [mask_secrets(v) for v in data]
    return data
