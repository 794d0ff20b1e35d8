"""Secrets found by the shape of a value, inside any text: the half of :mod:`joblens.secrets`
that needs no key.

:func:`mask_shapes` replaces the secret part of every shape below with :data:`MASK` and keeps
the rest of the text readable (``postgres://app:••••••••@db.internal/app``), so an error
message still says what failed. The shapes, in the order they are applied:

- PEM private keys (``-----BEGIN … PRIVATE KEY-----`` to its ``-----END …-----``, or to the
  end of the base64 when the block was cut; the BEGIN and END lines stay), their base64 form
  (a kubeconfig's ``client-key-data``: ``LS0tLS1CRUdJTi…`` that decodes to a private key),
  PuTTY private lines;
- a whole text that is one ``KEY=value`` with a secret-looking KEY (an entry of an env list,
  ``DB_PASSWORD=p@ss word``): everything after ``=``;
- passwords in URLs (``scheme://user:••••••••@host``); Slack, Discord and Teams webhook URLs;
- ``Authorization:``-style header values (the scheme word kept: ``Bearer ••••••••``) and
  ``Cookie:``/``Set-Cookie:`` values (cookie names and attributes kept);
- ``KEY=value``, ``KEY: value`` and ``"KEY": "value"`` where KEY looks secret (the caller's
  ``is_secret_key``): env entries, HCL, query parameters (an Azure SAS URL's ``sig=``,
  ``X-Amz-Signature=``), JSON or Python reprs inside a message (escaped JSON too), connection
  strings (``AccountKey=…;``, ``Password=…;``) and YAML lines (a kubeconfig's ``token: …``,
  the rest of the line). An unquoted ``KEY: value`` counts only at the start of a line, so
  ``invalid token: expired`` stays as it is. References (``var.db_password``,
  ``${DB_PASSWORD}``) and ``true``/``false``/``null`` are not secrets;
- ``Bearer <token>`` and ``Basic <base64 of user:password>`` anywhere;
- vendor tokens, whole: JWTs, GitHub, GitLab, Slack, AWS access key ids, Google API keys and
  OAuth secrets and tokens, Stripe, SendGrid, npm, PyPI, Vault, Terraform Cloud, DigitalOcean,
  OpenAI and Anthropic, Twilio API keys, Discord bot tokens, Azure storage account keys; and a
  quoted 40-character AWS secret key written just after ``aws…key``.

The vendor token shapes follow Yelp's detect-secrets plugins (Apache-2.0; the tests generate
tokens from the plugins' own regexes and check every one is masked here), widened where those
regexes find only a prefix of the secret (Stripe), stop short of its end (a JWT's signature) or
miss a form (``github_pat_``). Why the library itself is not used: :mod:`joblens.secrets`.

Cost: each rule runs only when a substring it needs is in the text (``://``, ``-----BEGIN``, a
stem of a secret key name such as ``pass`` or ``token``), and the token patterns start with a
literal character, which the regex engine skips to. Clean text comes back as the same object;
every quantifier is bounded, so no input makes a pattern backtrack for long.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

#: What a secret is replaced with.
MASK = "••••••••"

KeyTest = Callable[[str], bool]

# A PEM private key: the body (base64, its headers such as Proc-Type, line breaks, escaped
# line breaks) runs to the END line, or to where the text stops looking like one (a cut block).
# The body cannot hold "-----", so each BEGIN scans no further than the next BEGIN or END.
_PEM = re.compile(
    r"(?P<begin>-----BEGIN (?P<label>[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?)-----)"
    r"(?P<body>(?:[A-Za-z0-9+/=\s\\:,.]|-(?!----)){0,20000}+)(?P<end>-----END (?P=label)-----)?"
)
_PEM_B64 = re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{10,100000}={0,2}")
_PUTTY = re.compile(
    r"(?P<head>Private-Lines:\s{0,4}\d{1,4}+)\s{0,4}[A-Za-z0-9+/=\\][A-Za-z0-9+/=\s\\]{0,20000}"
)
_ENV_ENTRY = re.compile(
    r"[ \t]{0,64}(?:export[ \t]{1,8})?(?P<key>[A-Za-z_][\w.\-]{0,63})[ \t]{0,8}=[ \t]{0,8}"
    r"(?P<value>[^\r\n]+?)\s*"
)
_URL_PASSWORD = re.compile(r"://(?P<user>[^\s:/?#@\"'<>]{0,256}):(?P<pw>[^\s/?#\"'<>]{1,256})@")
_WEBHOOK = re.compile(
    r"(?i)(?P<head>hooks\.slack\.com/(?:services|workflows|triggers)/"
    r"|discord(?:app)?\.com/api/webhooks/\d{1,30}/"
    r"|\.webhook\.office\.com/webhookb2/)(?P<secret>[A-Za-z0-9_@/+=-]{1,400})"
)
# Headers whose whole value is a credential (a scheme word before it is kept).
_CREDENTIAL_HEADERS = (
    "proxy-authorization", "authorization", "x-api-key", "api-key", "x-auth-token",
    "x-vault-token", "private-token", "x-goog-api-key", "ocp-apim-subscription-key",
)  # fmt: skip
_HEADER_NAMES = frozenset((*_CREDENTIAL_HEADERS, "cookie", "set-cookie"))
_HEADER = re.compile(
    rf"(?i)(?<![\w-])(?P<head>{'|'.join(map(re.escape, _CREDENTIAL_HEADERS))})"
    r"(?P<sep>\s{0,8}:\s{0,8})(?P<scheme>(?:bearer|basic|token|digest|negotiate|aws4-hmac-sha256)"
    r"\s{1,8})?(?P<value>[^\r\n\"']{1,4096})"
)
_COOKIE = re.compile(
    r"(?i)(?<![\w-])(?P<head>set-cookie|cookie)(?P<sep>\s{0,8}:\s{0,8})(?P<value>[^\r\n\"']{1,8192})"
)
_COOKIE_ATTRIBUTES = frozenset(
    ("path", "domain", "expires", "max-age", "samesite", "priority", "version", "comment")
)
# Every secret key name holds one of these, lower-cased: where KEY=value is looked for (keep
# in step with joblens.secrets.is_secret_key).
_KEY_STEM = re.compile(r"pass|pw|secret|token|cred|cookie|bearer|auth|kube|sas|sig|key|cert|id_")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
# At the start of a key: KEY, a closing quote, = or :, the value (quoted, or up to a delimiter).
_ASSIGNMENT = re.compile(
    r"(?P<key>[A-Za-z_][\w.\-]{0,63}+)(?P<rq>\\{0,8}[\"'])?(?P<sep>[ \t]{0,8}[:=][ \t]{0,8})"
    r"(?P<value>\"(?:[^\"\\\n]|\\.){0,4096}\"|'[^'\n]{0,4096}'"
    r"|(?P<q>\\{1,8}[\"'])(?:(?!(?P=q))[^\n]){0,4096}(?P=q)"  # quoted in escaped JSON
    r"|\$\{[^}\s]{1,128}\}|[^\s,;&\"'`<>()\[\]{}]{1,4096})"
)
_QUOTE = re.compile(r"\\{0,8}[\"']")
# A YAML value: the rest of the line (a literal \n ends it too: YAML inside a JSON string).
_YAML_VALUE = re.compile(r"[^\s\"'|>&*!#\\](?:[^\r\n\\\"]|\\(?![nr])){0,4095}")
_NOT_A_VALUE = re.compile(
    r"(?:true|false|null|none|nil|\$\{?[\w.:-]{1,128}\}?|\.{3}|…|\*{3,}|<[\w .-]{1,64}>"
    r"|(?:var|local|module|data|each)\.[\w.\[\]\"'-]{1,128})",
    re.IGNORECASE,
)
_BEARER = re.compile(
    r"(?i)(?<![\w-])(?P<scheme>bearer\s{1,8})(?P<token>[\w.~+/-]{8,4096}+=*)"
    r"(?=[\s\"'`,;)\]}>\\]|$)"
)
_BASIC = re.compile(
    r"(?<![\w-])(?P<scheme>Basic\s{1,8})(?P<token>[A-Za-z0-9+/]{4,4096}={0,2})(?![\w+/=])"
)
# Each alternative starts with a literal character (the engine skips to those), then checks
# that no letter or digit comes before it: _B, after that first character.
_B = r"(?<![A-Za-z0-9_].)"
_TOKENS = re.compile(
    rf"e{_B}yJ[\w=-]{{1,8192}}\.[\w=-]{{1,8192}}(?:\.[\w.+/=-]{{0,8192}})?"
    rf"|g{_B}(?:h[pousr]_\w{{20,251}}|ithub_pat_\w{{22,251}}"
    rf"|l(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-[\w-]{{20,1024}})"
    rf"|G{_B}(?:R1348941[\w-]{{20,50}}|OCSPX-[\w-]{{20,100}})"
    rf"|x{_B}(?:ox[abposr]-[A-Za-z0-9-]{{10,250}}|ox[abposr]-(?:\d{{1,20}}-){{1,8}}[A-Za-z0-9]{{1,128}}"
    rf"|app-\d-[A-Za-z0-9-]{{10,250}})"
    rf"|A{_B}(?:(?:3T[A-Z0-9]|KIA|SIA|BIA|CCA)[A-Z0-9]{{16}}(?![A-Za-z0-9])|Iza[\w-]{{35}})"
    rf"|y{_B}a29\.[\w-]{{20,4096}}"
    rf"|r{_B}k_(?:live|test)_[0-9A-Za-z]{{10,247}}"
    rf"|s{_B}k(?:_(?:live|test)_[0-9A-Za-z]{{10,247}}"
    rf"|-(?:proj-|ant-[a-z0-9]{{2,8}}-|svcacct-)?[\w-]{{0,200}}T3BlbkFJ[\w-]{{20,200}}"
    rf"|-(?:proj-|ant-[a-z0-9]{{2,8}}-|svcacct-)[\w-]{{20,400}}|-[A-Za-z0-9]{{48}})"
    rf"|w{_B}hsec_[A-Za-z0-9+/=]{{20,256}}"
    rf"|S{_B}(?:G\.[\w-]{{22}}\.[\w-]{{43}}|K[0-9a-fA-F]{{32}}(?![0-9a-fA-F]))"
    rf"|n{_B}pm_[A-Za-z0-9]{{36}}"
    rf"|p{_B}ypi-AgE[\w-]{{50,4096}}"
    rf"|h{_B}v[sbr]\.[\w-]{{20,4096}}"
    rf"|d{_B}op_v1_[a-f0-9]{{64}}",
    re.ASCII,
)
# Shapes that start with a class, not a literal: each gets a scan of its own.
_DISCORD = re.compile(r"[MNO](?<![\w+/-].)[\w-]{23,25}+\.[\w-]{6}\.[\w-]{27,38}", re.ASCII)
_TERRAFORM_CLOUD = re.compile(r"(?<![\w+/=])[A-Za-z0-9]{14}\.atlasv1\.[\w-]{60,256}", re.ASCII)
# An Azure storage or Cosmos account key: 88 base64 characters ending in ==.
_AZURE_KEY = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])")
_QUOTED_40 = re.compile(r"['\"](?P<secret>[0-9a-zA-Z/+]{40})['\"]")
_AWS_NAME_BEFORE = re.compile(r"(?i)aws.{0,20}?(?:key|pwd|pw|password|pass|token).{0,20}?\Z")


def _span(text: str, match: re.Match[str], group: str, replacement: str = MASK) -> str:
    """The matched text with one group replaced (the rest of the match kept as it was)."""
    start, end = match.span(group)
    return text[match.start() : start] + replacement + text[end : match.end()]


def _masked_value(value: str) -> str:
    """A value masked but its quotes kept; references and literals left alone."""
    found = _QUOTE.match(value)
    quote = found.group(0) if found else ""
    if len(value) < 2 * len(quote) or not value.endswith(quote):
        quote = ""
    inner = value[len(quote) : len(value) - len(quote)]
    if not inner or inner == MASK or _NOT_A_VALUE.fullmatch(inner.strip("`")):
        return value
    return f"{quote}{MASK}{quote}"


def _mask_pem(match: re.Match[str]) -> str:
    if not match.group("body").strip():
        return match.group(0)  # a BEGIN line alone, or a body already masked
    return f"{match.group('begin')}{MASK}{match.group('end') or ''}"


def _mask_pem_b64(match: re.Match[str]) -> str:
    head = match.group(0)[:96]
    try:
        decoded = base64.b64decode(head[: len(head) - len(head) % 4])
    except (binascii.Error, ValueError):
        return match.group(0)
    return MASK if b"PRIVATE KEY" in decoded else match.group(0)


def _mask_cookie(match: re.Match[str]) -> str:
    parts = []
    for part in match.group("value").split(";"):
        name, equals, value = part.partition("=")
        keep = not equals or not value.strip() or name.strip().lower() in _COOKIE_ATTRIBUTES
        parts.append(part if keep else f"{name}={MASK}")
    return match.group("head") + match.group("sep") + ";".join(parts)


def _mask_bearer(match: re.Match[str]) -> str:
    token = match.group("token")
    # "bearer token-based auth", "Bearer password_reset_required" are prose: a token has a
    # digit in it, or is long and mixes cases.
    mixed = len(token) >= 24 and not token.islower() and not token.isupper()
    if not mixed and not any(c.isdigit() for c in token):
        return match.group(0)
    return match.group("scheme") + MASK


def _mask_basic(match: re.Match[str]) -> str:
    token = match.group("token")
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    # "Basic authentication" is prose: credentials decode to user:password.
    return match.group("scheme") + MASK if b":" in decoded else match.group(0)


def _mask_aws_secret(match: re.Match[str]) -> str:
    before = match.string[max(0, match.start() - 64) : match.start()]
    if _AWS_NAME_BEFORE.search(before) is None:
        return match.group(0)
    return _span(match.string, match, "secret")


def _at_line_start(text: str, start: int) -> bool:
    """Only blanks (and a YAML list's ``- ``) between the line's start and ``start``.

    A literal backslash-n counts as a line break too (YAML inside a JSON string).
    """
    window = text[max(0, start - 72) : start]
    breaks = [at + 1 for at in (window.rfind("\n"),) if at >= 0]
    breaks += [at + 2 for at in (window.rfind("\\n"),) if at >= 0]
    if breaks:
        window = window[max(breaks) :]
    elif start > 72:
        return False  # no line break in the last 72 characters: not a line's start
    return window.strip() in ("", "-")


def _mask_assignments(text: str, is_secret_key: KeyTest) -> str:
    """Mask the values of ``KEY=value``, ``"KEY": "value"`` and YAML ``KEY: value``.

    Looked for only around the stems of secret key names (``pass``, ``token``, ``key``…), so
    text without them costs one scan.
    """
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lower-cased
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    pieces: list[str] = []
    copied = 0  # text[:copied] is in pieces
    resume = 0  # stems before this were looked at already
    for stem in _KEY_STEM.finditer(lowered):
        if stem.start() < resume:
            continue
        start = stem.start()
        while start > resume and text[start - 1] in _KEY_CHARS:
            start -= 1
        while start < stem.start() and not (text[start].isalpha() or text[start] == "_"):
            start += 1
        match = _ASSIGNMENT.match(text, start)
        if match is None or match.end("key") <= stem.start():
            continue
        resume = match.end("key")
        key = match.group("key")
        if not is_secret_key(key):
            continue
        span = _value_span(text, match, start, key)
        if span is None:
            continue
        value = text[span[0] : span[1]]
        pieces.append(text[copied : span[0]])
        pieces.append(_masked_value(value))
        copied = resume = span[1]
    if not pieces:
        return text
    pieces.append(text[copied:])
    return "".join(pieces)


def _value_span(text: str, match: re.Match[str], start: int, key: str) -> tuple[int, int] | None:
    """Where the secret value of a matched secret ``KEY=value`` is, or None if it is not one."""
    value = match.group("value")
    if ":" not in match.group("sep"):
        return match.span("value")
    quoted_key = match.group("rq") is not None and start > 0 and text[start - 1] in "\"'"
    if value[0] in "\"'\\" or quoted_key:
        return match.span("value")
    if key.lower() in _HEADER_NAMES:
        return None  # header lines have their own rules, which keep the scheme and cookie names
    if not match.group("sep").endswith((" ", "\t")) or not _at_line_start(text, start):
        return None  # YAML wants "key: value"; "invalid token: expired" is prose
    line_value = _YAML_VALUE.match(text, match.start("value"))
    if line_value is None:
        return None
    return line_value.start(), line_value.start() + len(line_value.group(0).rstrip())


def mask_shapes(text: str, is_secret_key: KeyTest) -> str:
    """``text`` with the secret part of every known shape replaced by :data:`MASK`.

    ``is_secret_key`` decides which ``KEY=value`` names are secret (the key-name rules live in
    :mod:`joblens.secrets`). Clean text comes back as the same object. Masking one secret can
    reveal the shape of another around it (``ApiKey:"PASS=\\"``: once the inner value is
    masked the outer quotes close), so a text that changed is masked again until it does not:
    masking is idempotent. Each round only replaces text that is not yet the mask, so the
    rounds end; the bound is a safety net.
    """
    for _ in range(8):
        masked = _mask_once(text, is_secret_key)
        if masked == text:
            return text
        text = masked
    return text


def _mask_once(text: str, is_secret_key: KeyTest) -> str:
    if len(text) < 4:
        return text
    if "-----BEGIN" in text:
        text = _PEM.sub(_mask_pem, text)
    if "LS0tLS1CRUdJTi" in text:
        text = _PEM_B64.sub(_mask_pem_b64, text)
    if "Private-Lines" in text:
        text = _PUTTY.sub(lambda m: m.group("head") + " " + MASK, text)
    if "=" in text:
        entry = _ENV_ENTRY.fullmatch(text)
        if entry is not None and is_secret_key(entry.group("key")):
            first = (entry.group("value").split(None, 1) or [""])[0].rstrip(",;")
            if first and _masked_value(first) != first:
                return text[: entry.start("value")] + MASK + text[entry.end("value") :]
    if "://" in text:
        if "@" in text:
            text = _URL_PASSWORD.sub(lambda m: _span(m.string, m, "pw"), text)
        lowered = text.lower()
        if "webhook" in lowered or "hooks.slack" in lowered:
            text = _WEBHOOK.sub(lambda m: _span(m.string, m, "secret"), text)
    if ":" in text:
        lowered = text.lower()
        if any(h in lowered for h in ("authorization", "api-key", "-token", "subscription-key")):
            text = _HEADER.sub(lambda m: _span(m.string, m, "value"), text)
        if "cookie" in lowered:
            text = _COOKIE.sub(_mask_cookie, text)
    if "=" in text or ":" in text:
        text = _mask_assignments(text, is_secret_key)
    if "earer" in text or "EARER" in text:
        text = _BEARER.sub(_mask_bearer, text)
    if "Basic" in text:
        text = _BASIC.sub(_mask_basic, text)
    text = _DISCORD.sub(MASK, _TOKENS.sub(MASK, text))
    if ".atlasv1." in text:
        text = _TERRAFORM_CLOUD.sub(MASK, text)
    if "==" in text:
        text = _AZURE_KEY.sub(MASK, text)
    if ("'" in text or '"' in text) and "aws" in text.lower():
        text = _QUOTED_40.sub(_mask_aws_secret, text)
    return text
