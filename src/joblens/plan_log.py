"""Reading a PLAN's log a batch of whole lines at a time: what each batch says (:func:`_read`),
for :mod:`joblens.plan_log_state` to add up when :mod:`joblens.plan_digest` asks.

The lines read: the resource headers Terraform and OpenTofu print
(``  # module.vpc.aws_subnet.a[0] will be created`` / ``will be updated in-place`` / ``will
be destroyed`` / ``must be replaced`` / ``is tainted, so must be replaced`` / ``will be
imported`` / ``will no longer be managed by Terraform`` / ``will be removed from the
OpenTofu state...``), the ``-/+`` (destroy first) or ``+/-`` (create first) line under a
replacement, the ``Plan: N to add, M to change, K to destroy.`` line (with ``to import`` and
``to forget`` where there are any), ``No changes.``, and Infracost's totals (``OVERALL
TOTAL`` of ``infracost breakdown``; ``Monthly cost change for ...`` / ``Amount: +$X ($A →
$B)`` and ``Monthly cost will increase by $X`` of ``infracost diff``). What a batch leaves
open (a header cut from its ``-/+`` line, a project's cost from its ``Amount:``) the next one
finishes (:func:`_open_end`).

Cost: a batch is first looked at with ``str.__contains__`` (``memchr``, ~0.3 µs for 10 KB).
With no ``#`` and none of the capitals of the lines read once per plan (P, N, O, M), it says
nothing; with ``#`` alone (the bulk of a plan), its headers are found by their ``# `` (the
regex engine's tight loop for a literal, not an attempt at every line), and most are read
by a quick pattern as (address, one-letter kind) pairs, which ``dict`` takes in C; with the
capitals, every line start is tried (~40 ns a line). Colour is removed only from the lines of
a batch from the first that may be read. The figures: :mod:`joblens.plan_digest`.

Nothing here raises on any text, and the text is only read. It arrives sanitised
(``joblens.feed``), possibly with SGR colour (removed here before reading).
"""

from __future__ import annotations

import re
from typing import Any

from joblens.plan_log_state import _Continued, _Event, _header_action, _kind, _open_address
from joblens.plan_types import Action
from joblens.sanitize import strip_sgr

#: What a resource header says happens (Terraform's ``resourceChangeComment``, OpenTofu's words
#: for a forget), at the end of its line: will be created / updated in-place / destroyed /
#: imported / replaced[, as requested | due to changes in replace_triggered_by] / removed from
#: the X state, but will not be destroyed; will no longer be managed by X[, but will not be
#: destroyed]; [is tainted, so] must be replaced; must be replaced, but the existing object
#: will not be destroyed. Written as a tree of shared words, so that the engine, trying it at
#: each space of a line from its end, drops a wrong place at its first letter.
_VERB = (
    r"will (?:be (?:created|updated in-place|destroyed|imported"
    r"|replaced(?:, as requested| due to changes in replace_triggered_by)?"
    r"|removed from (?:the )?\w+ state,? but will not be destroyed)"
    r"|no longer be managed by \w+(?:, but will not be destroyed)?)"
    r"|must be replaced(?:, but the existing object will not be destroyed)?"
    r"|is tainted, so must be replaced"
)
#: The lines read once per plan: Terraform's ``Plan: ...`` and ``No changes.``, Infracost's
#: ``OVERALL TOTAL``, ``Monthly cost change for ...`` (with its ``Amount:``) and ``Monthly cost
#: will ...``. Not indented, but for ``OVERALL TOTAL`` (Infracost's table).
_OTHER = (
    r"(?<![ \t])Plan: [^\n]*+"
    r"|(?<![ \t])No changes\."
    r"|OVERALL TOTAL[^\n]*+"
    r"|(?<![ \t])Monthly cost change for [^\n]*+(?:\n[ \t]*+Amount:[^\n]*+)?"
    r"|(?<![ \t])(?:Infracost estimate: |\U0001F4B0 ?)?Monthly cost will [^\n]*+"
)
#: A line the digest may read: at most 4 blanks, then a header's ``#`` or one of those lines.
_LINE_START = r"[ \t]{0,4}+(?=[#PNOMI\U0001F4B0])"
#: A resource header after its ``# ``: the whole line (the address may hold spaces,
#: ``["a key"]``, so the verb is matched at the end of the line, greedily: "is tainted, so"
#: belongs to the verb; the space before the verb comes right after the address, so that the
#: engine goes back from the end of the line space by space), its notes (``  # (because
#: ...)``) and, for a replacement, the symbol opening its body (``-/+`` destroys first,
#: ``+/-`` creates first). Groups: address, verb, symbol.
_HEADER = (
    rf"([^\n]*) (?<!, so )({_VERB})[ \t]*+$"
    r"(?:\n[ \t]*+#[ \t]*+\([^\n]*+)*+(?:\n {0,2}+(-/\+|\+/-) (?=resource |data ))?"
)
#: What the digest reads on a line of its own: a header or a line of :data:`_OTHER`. Groups:
#: address, verb, symbol, and the other line. This is the reading that defines the digest;
#: the quicker patterns below read the same.
_LINE_BODY = rf"{_LINE_START}(?:# (?=[^\s(]){_HEADER}|({_OTHER}))"
#: Such a line at the start of a batch (:data:`_READ_LINES` and :data:`_HEADERS` find the
#: others by the newline before them).
_FIRST_LINE = re.compile(_LINE_BODY, re.MULTILINE)

#: The headers most plans are made of, read without trying the verbs from the end of the line:
#: an address of printable ASCII without spaces, then one of a few verbs, as one letter, its
#: kind (:data:`joblens.plan_log_state._CODES`): ``c``reated, ``u``pdated in-place,
#: ``d``estroyed, ``i``mported, and a replacement by the symbol right under it (``-``/+ or
#: ``+``/-), or ``r`` when the text ends first. A one-letter string costs nothing to make
#: (Python keeps them) and little to count. Where it reads a header, it reads what
#: :data:`_HEADER` reads (the address has no space, so only one split of the line can end in a
#: verb). Groups: address, kind.
_QUICK = (
    r"([!-~]++) (?:will be (?=(?:created|updated in-place|destroyed|imported)$)"
    r"|must be replaced\n(?=(?:-/\+|\+/-) (?:resource|data) )"
    r"|must be (?=replaced\n?\Z))([cudi+r-])"
)
#: ``# `` at a line start after at most 4 blanks: the literal first, so that the engine looks
#: for ``# `` alone (a tight loop in C) and checks the line start only there, instead of
#: trying every line.
_HASH = (
    r"# (?:(?<=\n  # )|(?<=\n# )|(?<=\n[ \t]# )|(?<=\n[ \t]{2}# )|(?<=\n[ \t]{3}# )"
    r"|(?<=\n[ \t]{4}# ))(?=[^\s(])"
)
#: The headers of a batch with no line of :data:`_OTHER`: (address, kind) pairs, for
#: ``dict`` to take in C; ("", "") for a header line :data:`_QUICK` cannot read, which sends
#: the batch to :data:`_HEADERS`.
_QUICK_HEADERS = re.compile(rf"{_HASH}(?:{_QUICK}|)", re.MULTILINE)
#: ... every header: groups quick address, kind, address, verb, symbol, and an empty one
#: (the place of the other line, in :data:`_READ_LINES`' items).
_HEADERS = re.compile(rf"{_HASH}(?:{_QUICK}|{_HEADER})()", re.MULTILINE)
#: Every line start of a batch that may hold lines of :data:`_OTHER` (it has their capitals),
#: read as :data:`_LINE_BODY` reads it, :data:`_QUICK` first (the engine tries each line start,
#: ~40-60 ns); the same groups.
_READ_LINES = re.compile(
    rf"\n{_LINE_START}(?:# (?=[^\s(])(?:{_QUICK}|{_HEADER})|({_OTHER}))", re.MULTILINE
)
#: ... and with no header (no ``#``): the other lines alone, or when ``OVERALL TOTAL`` cannot
#: be there (one of its letters is missing), those at the start of a line (~30 ns a line).
_OTHER_LINES = re.compile(rf"\n{_LINE_START}({_OTHER})", re.MULTILINE)
_UNINDENTED_OTHER_LINES = re.compile(rf"\n(?=[PNMI\U0001F4B0])({_OTHER})", re.MULTILINE)
#: A coloured line that may be read once its colours are removed: blanks and colours, then a
#: ``#`` or the capital of a line of :data:`_OTHER` (colour is removed only from such batches).
_COLOURED_BODY = r"[ \t]*+(?:\x1b\[[0-9;:]*m[ \t]*+)*+[#PNOMI\U0001F4B0]"
_COLOURED_LINE, _COLOURED_FIRST_LINE = re.compile("\n" + _COLOURED_BODY), re.compile(_COLOURED_BODY)

#: How a line that may leave something open for the next batch starts (:func:`_open_end`).
_MAY_BE_OPEN = re.compile(r"[ \t]*+#|Monthly cost change for ")
#: A header's note: ``  # (because aws_instance.old is not in configuration)``.
_NOTE = re.compile(r"[ \t]*+#[ \t]*+\([^\n]*+")
#: What a batch may begin with that belongs to the end of the batch before (see
#: :func:`_open_end`): the symbol of a replacement (after its notes), a project's ``Amount:``
#: (as :data:`_OTHER` reads them within a batch).
_CONTINUED_SYMBOL = re.compile(
    r"(?:[ \t]*+#[ \t]*+\([^\n]*+\n)*+ {0,2}+(-/\+|\+/-) (?:resource|data) "
)
_CONTINUED_AMOUNT = re.compile(r"[ \t]*+Amount:[^\n]*+")
#: What the end of a batch leaves open for the next one.
_NOTHING_OPEN, _OPEN_REPLACEMENT, _OPEN_PROJECT = range(3)


def _open_end(text: str, before: int) -> int:
    """What the last lines of a batch (whole lines) leave for the next batch to finish: a
    replacement's header, with perhaps its notes (its ``-/+`` line comes next), or a
    project's ``Monthly cost change for`` (its ``Amount:`` comes next). ``before``: what the
    batch before left open, still open after a batch of a replacement's notes alone. Looks at
    the last line only, unless it starts with a ``#`` or that phrase; then line by line, up."""
    end = len(text) - 1 if text.endswith("\n") else len(text)
    start = text.rfind("\n", 0, end) + 1
    if _MAY_BE_OPEN.match(text, start, end) is None:
        return _NOTHING_OPEN
    last = True
    while _NOTE.fullmatch(text, start, end):  # a header's notes: the header is above them
        if start == 0:
            return _OPEN_REPLACEMENT if before == _OPEN_REPLACEMENT else _NOTHING_OPEN
        end, last = start - 1, False
        start = text.rfind("\n", 0, end) + 1
    found = _FIRST_LINE.fullmatch(text[start:end])
    if found is None:
        return _NOTHING_OPEN
    _address, verb, symbol, other = found.groups()
    if verb and not symbol and _header_action(verb) is Action.REPLACE:
        return _OPEN_REPLACEMENT
    if last and other and other.startswith("Monthly cost change for "):
        return _OPEN_PROJECT
    return _NOTHING_OPEN


#: What :data:`_HEADERS` and :data:`_READ_LINES` find: (quick address, kind, address, verb,
#: symbol, other line), one of the three filled.
_Found = tuple[str, str, str, str, str, str]


def _first_line(text: str) -> _Found | None:
    """The batch's first line, if the digest reads it (no newline before it to look for)."""
    found = _FIRST_LINE.match(text)
    if found is None:
        return None
    address, verb, symbol, other = found.groups("")
    return ("", "", address, verb, symbol, other)


def _events(found: list[_Found]) -> list[_Event]:
    """What was found, in order, as events: the headers between two other lines as one run."""
    events: list[_Event] = []
    run: dict[str, str] = {}
    last = ("", "")
    for quick, code, address, verb, symbol, other in found:
        if quick:
            run[quick] = code
            last = (quick, code)
        elif address:
            last = (address, _kind(verb, symbol))
            run[address] = last[1]
        elif other:
            if run:
                events.append((run, _open_address(*last)))
                run = {}
            events.append(other)
    if run:
        events.append((run, _open_address(*last)))
    return events


def _read_headers(text: str) -> tuple[dict[str, str], str | None] | list[_Event]:
    """A batch with no line of :data:`_OTHER`: its headers as one run (one pass of
    :data:`_QUICK_HEADERS`, its pairs made a dict in C), or, where that pattern cannot read a
    header line, their events by :data:`_HEADERS` (a second pass, for that batch only)."""
    pairs: list[tuple[str, str]] = _QUICK_HEADERS.findall(text)
    first = _first_line(text)
    if first is not None and first[2]:
        pairs.insert(0, (first[2], _kind(first[3], first[4])))
    run = dict(pairs)
    if "" in run or (first is not None and not first[2]):
        found: list[_Found] = _HEADERS.findall(text)
        return _events([first, *found] if first is not None else found)
    return (run, _open_address(*pairs[-1])) if pairs else []


def _read_lines(text: str, headers: bool) -> list[_Event]:
    """A batch that may hold lines of :data:`_OTHER` (it has their capitals): one pass over
    its line starts, with the headers if it has any ``#``."""
    found: list[_Found]
    if headers:
        found = _READ_LINES.findall(text)
    else:
        anywhere = "V" in text and "E" in text and "R" in text and "L" in text and "T" in text
        others = (_OTHER_LINES if anywhere else _UNINDENTED_OTHER_LINES).findall(text)
        found = [("", "", "", "", "", other) for other in others]
    first = _first_line(text)
    if first is not None:
        found.insert(0, first)
    return _events(found) if found else []


def _read(text: str, open_end: int) -> tuple[Any, str | None, int]:
    """What a batch (whole lines) says, and what it leaves open (:func:`_open_end`). ``open_end``:
    what the batch before left open, which the first lines of this one may finish.

    Returns (what it said, the replacement left waiting, what it leaves open); what it said is
    None, a run of headers alone (a dict, with the replacement waiting at its end: the bulk of
    a plan) or a list of :data:`joblens.plan_log_state._Event`. A batch is read by what
    ``str.__contains__`` finds in it first (``memchr``, ~0.3 µs for 10 KB): without ``#`` or
    the capitals of :data:`_OTHER`, it says nothing; with ``#`` alone, its headers are read
    (:func:`_read_headers`); with the capitals, every line start (:func:`_read_lines`).
    """
    if "\x1b" in text:
        text = _colourless(text, open_end)
        if not text:
            return None, None, _NOTHING_OPEN
    capitals = "P" in text or "N" in text or "O" in text or "M" in text
    hashes = "#" in text
    if not (capitals or hashes or open_end):
        return None, None, _NOTHING_OPEN
    continued: list[_Event] = []  # what finishes what the batch before left open
    if open_end == _OPEN_REPLACEMENT:
        symbol = _CONTINUED_SYMBOL.match(text)
        if symbol is not None:
            continued = [_Continued(symbol.group(1))]
    elif open_end == _OPEN_PROJECT:
        amount = _CONTINUED_AMOUNT.match(text)
        if amount is not None:
            continued = [amount.group(0).strip()]
    left_open = _open_end(text, open_end) if capitals or hashes else _NOTHING_OPEN
    if capitals:
        events = continued + _read_lines(text, hashes)
    elif hashes:
        read = _read_headers(text)
        if isinstance(read, list):
            events = continued + read
        elif not continued:
            return read[0], read[1], left_open  # the bulk of a plan: a run of headers alone
        else:
            events = [*continued, read]
    else:
        events = continued
    return (events or None), None, left_open


def _colourless(text: str, open_end: int) -> str:
    """A coloured batch without its colours, from its first line that may be read on (the lines
    before it say nothing, and need no copy); "" when it has none. Whole when the batch
    before left something open (its first lines may finish it)."""
    if open_end:
        return strip_sgr(text)
    if _COLOURED_FIRST_LINE.match(text) is not None:
        return strip_sgr(text)
    found = _COLOURED_LINE.search(text)
    return "" if found is None else strip_sgr(text[found.start() + 1 :])
