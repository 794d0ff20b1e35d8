"""Masking secrets in everything the server sends, before anything shows it.

Execution metadata, config snapshots and error messages are untrusted, opaque text and JSON,
and some of it is secret: ``argocd_admin_password``, Terraform outputs marked sensitive, a
kubeconfig, a database URL with its password, a token pasted into an error. Three rules, applied
together everywhere (the panels, the status banner, the Job Details table, plain mode's stderr):

- **By key name** (:func:`is_secret_key`): the value under a key named like a password, secret,
  token, credential, cookie, bearer or authorization, a kubeconfig, or key material
  (``api_key``, ``private_key``, ``ssh_key``, ``tls.key``, ``client_key_data``, ``id_rsa``)
  is masked whole; a secret that is itself a structure is masked leaf by leaf, so its shape
  stays readable. Names *about* a secret are not secret: a key ending in ``_name``, ``_arn``,
  ``_path``, ``_file``, ``_type``, ``_policy``, ``_length``, ``_count``, ``_ttl``, ``_url``
  and the like (``secret_name: "db-creds"``, ``password_policy``, ``token_count``) stays
  visible, and so does ``key`` without a word saying it is key material (``key_name``,
  ``plan_file_key``, ``sort_key``, ``public_key``, ``keyspace``). ``secret_id`` is masked: in
  Vault's AppRole it is the login credential (an ARN of a Secrets Manager secret, which it is
  elsewhere, is a cheap thing to hide by mistake).
- **By value shape** (:mod:`joblens.secrets_shapes`): URL passwords, PEM private keys, bearer
  and basic credentials, JWTs, cloud and vendor tokens, webhook URLs, cookies, SAS signatures,
  ``KEY=value`` entries; only the secret part of the text is replaced, whatever the key. A
  whole JSON string value shaped like an AWS secret access key (40 characters of base64 mixing
  cases and digits) is masked too; inside longer text only next to an ``aws…key`` name.
- **Terraform's own marks**: an output ``{"value": …, "sensitive": …}`` with ``sensitive`` true
  in any spelling (``true``, ``"true"``, ``"True"``, ``1``, ``"yes"``) has its value masked,
  and so have the parts of a plan's ``after``/``before`` that ``after_sensitive``/
  ``before_sensitive`` mark, and of a state's ``values`` that ``sensitive_values`` mark.

Keys are never changed (a secret written into a key stays), nor the shape of a structure: a
masked leaf becomes :data:`MASK`, and ``None`` and ``""`` stay as they are. Booleans and numbers
are masked like any other leaf when a key or a mark says so, never by shape. Masking is
idempotent.

The API (other modules use nothing else):

- :func:`mask_secrets` ``(data) -> data``: a masked copy of a whole JSON structure (dicts,
  lists, scalars), by key, by shape and by Terraform's marks. Walks with an explicit stack, so
  any depth works (5,000 levels, more); the input is not changed, unchanged strings are shared.
- :func:`mask_text` ``(text) -> text``: value-shape masking inside any text: ``error_message``,
  toasts, plain mode's stderr, log lines. Clean text comes back unchanged. Sanitise first
  (:mod:`joblens.sanitize`), then mask, with the line breaks still in: an escape sequence
  inside a secret would otherwise hide it, and YAML's ``token:`` counts at a line's start.
- :func:`mask_leaf` ``(key, value, *, sensitive_output=False) -> value``: one node, for a lazy
  JSON viewer that masks as the user expands. ``key`` is the node's key (``None`` for a list
  item); pass ``sensitive_output=True`` when :func:`child_sensitivity` returned ``True`` for
  the node. A container is returned as it is unless the node is secret (then masked whole,
  leaf by leaf): the viewer masks its children as it shows them.
- :func:`child_sensitivity` ``(parent, key, inherited=None)``: what the viewer passes down,
  for ``parent[key]``: ``True`` (everything below is secret: a secret key, a sensitive output's
  ``value``, a part Terraform marked), a Terraform sensitivity mirror to hand to the node's own
  children as ``inherited``, or ``None``. A viewer expanding ``node`` (whose own mark is
  ``mark``, ``None`` at the root) shows each child as::

      child_mark = child_sensitivity(node, key, mark)
      shown = mask_leaf(key, node[key], sensitive_output=child_mark is True)
      # expanding ``shown`` later: its children with ``child_mark`` as their ``inherited``

  and shows exactly what :func:`mask_secrets` would (the tests hold the two to that).
- :func:`is_sensitive_output` ``(mapping) -> bool``: a Terraform output marked sensitive.
- :func:`is_secret_key` ``(key) -> bool``: the key-name rule.

Why not Yelp's detect-secrets: its plugins' regexes detect rather than delimit (its JWT pattern
stops before the signature, its Stripe pattern after the first 24 characters, its private key
pattern finds the BEGIN line only), it has no ``github_pat_`` form, importing any plugin takes
0.17 s and brings in ``requests``, ``urllib3`` and ``pyyaml``, and it has had no release since
May 2024. The shapes here follow its plugins, and the tests check them against its regexes
(detect-secrets is a development dependency only).

Cost, on a 2-core machine: ``mask_text`` on 10 KB of clean log-like text about 0.4 ms;
``mask_secrets`` on realistic ``execution_metadata`` about 0.05 s per MB (0.5-0.6 s for 10 MB).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from joblens.secrets_shapes import MASK, mask_shapes

__all__ = [
    "MASK",
    "child_sensitivity",
    "is_secret_key",
    "is_sensitive_output",
    "mask_leaf",
    "mask_secrets",
    "mask_text",
]


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words of a key: snake, kebab, dotted and camelCase alike (APIKey -> api, key).
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# Secret wherever they appear in a key (unless the last word says the key is about them).
_SECRET_WORDS = _wordset(
    "password passwd passphrase pwd passcode passkey secret secrets token tokens credential "
    "credentials creds cookie cookies bearer authorization kubeconfig sas sig signature privkey "
    "apikey accesskey secretkey privatekey accountkey sshkey masterkey authkey signingkey "
    "clientkey storagekey sharedkey encryptionkey sessionkey appkey"
)
# "key" is secret only after a word saying it is key material: api_key, ssh_key, tls.key.
_KEY_MATERIAL = _wordset(
    "api access secret private ssh tls ssl client signing sign encryption encrypt master account "
    "storage auth session shared primary secondary hmac app jwt admin license deploy root "
    "instrumentation ingestion subscription function write sas service rsa ecdsa ed25519 dsa"
)
# A key ending in one of these names something about a secret, not the secret itself.
_ABOUT_A_SECRET = _wordset(
    "name names id ids arn arns path paths file files filename dir ref refs reference version "
    "versions type types kind algorithm algo size length len bits policy policies rotation "
    "expiry expires expiration at date time timestamp created updated changed count counts url "
    "uri urls endpoint fingerprint prefix suffix hint format usage spec enabled disabled "
    "required set exists configured ttl seconds timeout header env var variable source location "
    "region mode method scheme strategy label labels description limit limits rules manager "
    "store vault ring alias owner domain min max complexity field fields attribute provider "
    "backend issuer audience scope scopes used"
)
# ... except these, which are credentials: Vault AppRole's secret_id.
_STILL_SECRET = frozenset({("secret", "id")})
# max_tokens, total_tokens: counts of tokens (a language model's), not tokens.
_COUNTING = _wordset("max min num total count prompt completion input output")
_PRIVATE_KEY_FILE = re.compile(r"(?i)(?:.*\.key|(?:.*/)?id_(?:rsa|dsa|ecdsa|ed25519))")
_TRUE_WORDS = _wordset("true yes y 1 on t")


@lru_cache(maxsize=16384)
def is_secret_key(key: str) -> bool:
    """True for keys named like a password, secret, token, credential or key material.

    Names about a secret (``secret_name``, ``password_policy``, ``token_count``) and keys
    that are not key material (``key_name``, ``keyboard_layout``, ``public_key``) are not.
    """
    if _PRIVATE_KEY_FILE.fullmatch(key):
        return True  # tls.key, server.key, id_rsa
    words = [w.lower() for w in _WORDS.findall(key)]
    if not words:
        return False
    if words[-1] in _ABOUT_A_SECRET and tuple(words[-2:]) not in _STILL_SECRET:
        return False
    last = len(words) - 1
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        if word in ("token", "tokens") and words[0] in _COUNTING:
            continue
        if (
            word in _SECRET_WORDS
            or "passw" in word
            or "passphrase" in word
            or word.endswith(("secret", "token"))
            or (word == "key" and before in _KEY_MATERIAL)
            or (word in ("pass", "pw", "auth") and i == last)
            or (word == "certificate" and before == "client")
            or (word == "config" and "kube" in words[:i])
        ):
            return True
    return False


def _truthy(value: Any) -> bool:
    """Terraform's ``sensitive`` in any spelling: true, "true", "True", 1, "yes"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_WORDS
    return False


def is_sensitive_output(mapping: Any) -> bool:
    """True for a Terraform output ``{"value": …, "sensitive": <true in any spelling>}``."""
    return (
        isinstance(mapping, Mapping)
        and "value" in mapping
        and "sensitive" in mapping
        and _truthy(mapping["sensitive"])
    )


def _mark(mirror: Any) -> Any:
    """A Terraform sensitivity mirror normalised: True, a dict or list to descend, or None."""
    if isinstance(mirror, dict | list):
        return mirror or None
    return True if _truthy(mirror) else None


# An output-shaped value under a secret key (kubeconfig: {value, type}): only "value" is hidden.
_OUTPUT_KEYS = frozenset(("value", "type", "sensitive", "description", "depends_on"))
_VALUE_ONLY = {"value": True}


# Terraform's sensitivity mirrors: a plan's change and output_changes, a state's resources.
_MIRRORS = {"after": "after_sensitive", "before": "before_sensitive", "values": "sensitive_values"}


def child_sensitivity(parent: Any, key: Any, inherited: Any = None) -> Any:
    """How secret ``parent[key]`` is: ``True`` (all of it), a mirror for its children, or None.

    ``inherited`` is what this function returned for ``parent`` itself. A lazy viewer calls
    it for each node it shows and passes ``sensitive_output=result is True`` to
    :func:`mask_leaf`; :func:`mask_secrets` walks with it too, so both mask the same nodes.
    """
    if inherited is True:
        return True
    mark: Any = None
    if isinstance(inherited, dict):
        mark = _mark(inherited.get(key))
    elif isinstance(inherited, list) and isinstance(key, int) and 0 <= key < len(inherited):
        mark = _mark(inherited[key])
    if mark is True or not isinstance(parent, Mapping):
        return mark
    if key == "value" and is_sensitive_output(parent):
        return True
    mirror_key = _MIRRORS.get(key) if isinstance(key, str) else None
    if mirror_key is not None and mirror_key in parent:
        mark = _mark(parent[mirror_key]) or mark
    if key is not None and is_secret_key(key if isinstance(key, str) else str(key)):
        return _secret_child(parent.get(key))
    return mark


def _secret_child(value: Any) -> Any:
    """The mark of a value under a secret key: all of it, or only the value of an output."""
    if isinstance(value, dict) and "value" in value and value.keys() <= _OUTPUT_KEYS:
        return _VALUE_ONLY  # kubeconfig: {value, type, sensitive}: the type stays readable
    return True


def _has_marks(mapping: dict[Any, Any]) -> bool:
    """Whether a mapping holds Terraform marks for its children (most hold none)."""
    return "sensitive" in mapping or any(m in mapping for m in _MIRRORS.values())


def _hidden(value: Any) -> Any:
    """A scalar leaf that is secret: the mask, but None and "" stay (nothing to hide)."""
    if value is None or value == "":
        return value
    return MASK


# A whole value shaped like an AWS secret access key: 40 base64 characters mixing cases and
# digits (a git SHA is hex, so it stays).
_AWS_SECRET_VALUE = re.compile(r"(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[A-Za-z0-9/+]{40}")


@lru_cache(maxsize=65536)
def _mask_short(text: str) -> str:
    return mask_shapes(text, is_secret_key)


def mask_text(text: str) -> str:
    """``text`` with every secret shape in it masked, the rest kept readable.

    For error messages, toasts, stderr lines, log lines. Clean text comes back unchanged;
    masking is idempotent and changes text only by putting the mask in place of secrets.
    Short texts (most JSON values) are remembered, as the same ones recur across metadata.
    """
    if len(text) <= 256:
        return _mask_short(text)
    return mask_shapes(text, is_secret_key)


def _mask_string_leaf(text: str) -> str:
    if len(text) == 40 and _AWS_SECRET_VALUE.fullmatch(text):
        return MASK
    return mask_text(text)


def _mask_scalar(value: Any, mark: Any) -> Any:
    if mark is True:
        return _hidden(value)
    if isinstance(value, str):
        return _mask_string_leaf(value)
    return value


def mask_leaf(key: str | None, value: Any, *, sensitive_output: bool = False) -> Any:
    """One node of a JSON structure as a viewer should show it.

    Secret (by its key, or ``sensitive_output``: :func:`child_sensitivity` said ``True``):
    masked whole, a container leaf by leaf. Otherwise a string is masked by shape, another
    scalar kept, and a container returned as it is (its children are masked when shown).
    """
    if sensitive_output:
        mark: Any = True
    else:
        mark = None if key is None else child_sensitivity({key: value}, key)
    if isinstance(value, dict | list):
        return value if mark is None else _mask_tree(value, mark)
    return _mask_scalar(value, mark)


def mask_secrets(data: Any) -> Any:
    """A copy of ``data`` with every secret masked, by key, by shape and by Terraform's marks.

    Any depth: the walk keeps its own stack, never Python's. The input is not changed.
    """
    return _mask_tree(data, None)


def _mask_tree(data: Any, mark: Any) -> Any:
    """The masked copy, walked with an explicit stack: any depth, no recursion."""
    if not isinstance(data, dict | list):
        return _mask_scalar(data, mark)
    root: dict[Any, Any] | list[Any] = {} if isinstance(data, dict) else []
    stack: list[tuple[Any, Any, Any]] = [(data, root, mark)]
    while stack:
        source, target, mark = stack.pop()
        if isinstance(source, dict):
            # The common case, a plain mapping with no marks, needs only the key-name rule.
            plain = mark is None and not _has_marks(source)
            for key, value in source.items():
                if not plain:
                    child = child_sensitivity(source, key, mark)
                elif is_secret_key(key if isinstance(key, str) else str(key)):
                    child = _secret_child(value)
                else:
                    child = None
                if isinstance(value, dict | list):
                    new: dict[Any, Any] | list[Any] = {} if isinstance(value, dict) else []
                    target[key] = new
                    stack.append((value, new, child))
                elif child is True:
                    target[key] = _hidden(value)
                elif isinstance(value, str):
                    target[key] = _mask_string_leaf(value)
                else:
                    target[key] = value
        else:
            for index, value in enumerate(source):
                child = None if mark is None else child_sensitivity(source, index, mark)
                if isinstance(value, dict | list):
                    new = {} if isinstance(value, dict) else []
                    target.append(new)
                    stack.append((value, new, child))
                else:
                    target.append(_mask_scalar(value, child))
    return root
