"""Where GoTrue lets a sign-in go back to, and how it writes the way back.

- `redirect_to` (a `redirect_to` header, else the query or form value, else the `Referer`) is
  kept only if allowed: the site URL's own origin (any port for a loopback host), any loopback
  IP address, or a match of one of the allow-list's globs; otherwise the site URL is used.
  The globs are gobwas/glob's with `.` and `/` as separators: `*` and `?` stop at them, `**`
  does not; `[a-z]`, `[!a-z]`, `{a,b}` and `\\` escapes work; the whole URL (without its
  fragment) must match.
- A code is added to the way back as Go's `url.Values` do it: the query is parsed, `code` set,
  and the whole query re-encoded with its keys in order.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aiohttp import web

from .options import Options

#: gobwas/glob's separators as GoTrue compiles URI_ALLOW_LIST
SEPARATORS = "./"
_NOT_SEP = "[^./]"
_DECIMAL_HOST = re.compile(r"[0-9]+")
_REGULAR_HOST = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?")
_LOCALHOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}


@functools.lru_cache(maxsize=256)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """The regular expression for a glob; ValueError for a malformed one."""
    out: list[str] = []
    depth = 0
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise ValueError(f"glob {pattern!r} ends with an escape")
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif c == "*":
            if pattern.startswith("**", i):
                out.append(".*")
                i += 2
            else:
                out.append(f"{_NOT_SEP}*")
                i += 1
        elif c == "?":
            out.append(_NOT_SEP)
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise ValueError(f"glob {pattern!r} has an unclosed [")
            body = pattern[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            if not body:
                raise ValueError(f"glob {pattern!r} has an empty []")
            escaped = "".join("\\" + ch if ch in "\\[]^" else ch for ch in body)
            out.append("[" + ("^" if negate else "") + escaped + "]")
            i = end + 1
        elif c == "{":
            out.append("(?:")
            depth += 1
            i += 1
        elif c == "}" and depth:
            out.append(")")
            depth -= 1
            i += 1
        elif c == "," and depth:
            out.append("|")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    if depth:
        raise ValueError(f"glob {pattern!r} has an unclosed {{")
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error as exc:
        raise ValueError(f"glob {pattern!r}: {exc}") from None


def _is_localhost(hostname: str) -> bool:
    host = hostname.lower()
    return host in _LOCALHOSTS or host.endswith(".localhost")


def redirect_allowed(url: str, options: Options) -> bool:
    """Whether GoTrue accepts `url` as a place to send the browser back to."""
    if not url:
        return False
    try:
        base, ref = urlsplit(options.site_url), urlsplit(url)
        base_port, ref_port = base.port, ref.port
    except ValueError:
        return False
    host = ref.hostname or ""
    if (
        (base.hostname or "") == host
        and base.scheme == ref.scheme
        and (base_port == ref_port or _is_localhost(host))
    ):
        return True
    is_http = ref.scheme.lower().rstrip(":") in ("http", "https")
    if _DECIMAL_HOST.fullmatch(host):
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if is_http and not _REGULAR_HOST.fullmatch(host):
        return False
    without_fragment = url.split("#", 1)[0]
    return any(compile_glob(p).fullmatch(without_fragment) for p in options.redirect_allow_list)


def referrer(request: web.Request, options: Options, form_value: str = "") -> str:
    """GoTrue's referrer: the asked `redirect_to` if allowed, else an allowed `Referer`,
    else the site URL. `form_value`: a `redirect_to` read from a form body."""
    asked = request.headers.get("redirect_to") or request.query.get("redirect_to", "") or form_value
    if redirect_allowed(asked, options):
        return asked
    referer = request.headers.get("Referer", "")
    if redirect_allowed(referer, options):
        return referer
    return options.site_url


def with_query(url: str, **values: str) -> str:
    """`url` with `values` set in its query (replacing any of the same name), the query
    re-encoded with sorted keys as Go's `url.Values.Encode` does; the fragment is kept."""
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in values]
    pairs.extend(values.items())
    pairs.sort(key=lambda kv: kv[0])  # stable: a key's own values keep their order
    return urlunsplit(parts._replace(query=urlencode(pairs)))


def encode_sorted(values: dict[str, str]) -> str:
    """A query string with sorted keys (Go's `url.Values.Encode`)."""
    return urlencode(sorted(values.items()))
