"""The one sanitiser: every text that came from the server passes here before it is shown.

Everything the server sends is untrusted: anyone who can write a log line, name a Tendril or a
vine, or make the server fail with a message of their choosing can put escape sequences in
front of another user. Four forms, one set of rules:

- :func:`sanitize`: log text. Only well-formed SGR (colour and style) sequences survive.
- :func:`plain_text`: the same without SGR: no escape sequence at all, line breaks kept.
- :func:`display_text`: one line, no escapes, no control characters at all. For names,
  versions, ids, statuses, labels, error messages in exceptions, and JSON keys and values
  (the details panels call it at display time).
- :func:`display_lines`: the same but line breaks kept (a job's ``error_message``).

The rules. Everything a terminal would act on is removed: CSI sequences other than SGR (cursor
moves, screen clears, mode changes, reports such as CSI 6n whose answer the terminal would type
into joblens's own input), OSC (titles, clipboard writes, hyperlinks) with their payloads,
DCS/SOS/PM/APC strings, other ESC sequences, the 8-bit C1 controls (U+0080-U+009F, including
the C1 CSI U+009B and its parameters), and C0 controls except TAB and LF. An SGR sequence
survives only if a terminal would read it as intended: at most 32 parameters, only the
attributes terminals implement (see :func:`_valid_sgr`), colour indexes and RGB components at
most 255; any other SGR sequence is dropped whole. A lone CR keeps what a terminal would leave
visible: each CR returns to the start of the line and what follows overwrites what was there,
so ``abcdef\\rXY`` shows ``XYcdef`` and ``10%\\r50%\\r100%`` shows ``100%``. Lone surrogates
become U+FFFD so the text can be encoded.

Bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), invisible format
characters (zero-width space and joiners U+200B-U+200D, U+2060-U+2064, U+206A-U+206F, the BOM
U+FEFF, U+180E, the soft hyphen U+00AD, the tag characters U+E0001 and U+E0020-U+E007F, which
can carry hidden text; every format character but the visible ones, see
:data:`INVISIBLE_RANGES`) and the line and paragraph separators U+2028/U+2029 are never
obeyed: each is shown as its code point, ``<U+202E>``. Obeying them lets a line display in
another order than it holds (a command shown as something harmless); removing them silently
would hide that someone tried, so they stay visible.

Clean text is the common case and costs one precompiled regex search (ASCII text a smaller
one); it is returned as the same object.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Bidi controls, invisible format characters and the line and paragraph separators
#: (inclusive code point ranges): never obeyed, each shown as ``<U+XXXX>``. That is every
#: Unicode format character (category Cf) except the prepended concatenation marks (U+0600-
#: U+0605, U+06DD, U+070F, U+0890, U+0891, U+08E2, U+110BD, U+110CD), which are visible signs,
#: plus U+2028 and U+2029 (categories Zl, Zp), which some programs take as line breaks.
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x061C, 0x061C),  # Arabic letter mark
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200F),  # zero-width space, non-joiner, joiner; LRM, RLM
    (0x2028, 0x2029),  # line and paragraph separators
    (0x202A, 0x202E),  # LRE, RLE, PDF, LRO, RLO
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x206F),  # LRI, RLI, FSI, PDI; deprecated format characters
    (0xFEFF, 0xFEFF),  # zero-width no-break space (BOM)
    (0xFFF9, 0xFFFB),  # interlinear annotation
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0001, 0xE0001),  # language tag
    (0xE0020, 0xE007F),  # tag characters (invisible text)
)
#: Every character of :data:`INVISIBLE_RANGES`.
INVISIBLE_CHARACTERS = frozenset(
    chr(code) for first, last in INVISIBLE_RANGES for code in range(first, last + 1)
)


def _class_body(ranges: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> str:
    """Code point ranges as the body of a regex character class."""
    return "".join(
        f"\\U{first:08x}" + (f"-\\U{last:08x}" if last != first else "") for first, last in ranges
    )


_INVISIBLE = _class_body(INVISIBLE_RANGES)
# For the quick "could this need work" checks: the BMP ranges exactly, and one range from the
# first astral one to the last (a class of one range matches three times faster than the
# list, and astral text is rare; what the range lets through is decided by the exact list).
_ASTRAL = [r for r in INVISIBLE_RANGES if r[0] > 0xFFFF]
_MAYBE_INVISIBLE = _class_body(
    [r for r in INVISIBLE_RANGES if r[1] <= 0xFFFF] + [(_ASTRAL[0][0], _ASTRAL[-1][1])]
)

# The sequences, longest forms first. String sequences (OSC, DCS, SOS, PM, APC, in 7- or 8-bit
# form) end at BEL or ST; an unterminated one swallows the rest of its line, not the next line.
_STRING_SEQ = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
_CSI = r"(?:\x1b\[|\x9b)(?P<params>[\x30-\x3f]*)[\x20-\x2f]*(?P<final>[\x40-\x7e])?"
_OTHER_ESC = r"\x1b[\x20-\x2f]*[\x30-\x7e]?"
_CONTROLS = r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f\x80-\x9f]"
_SURROGATE = r"[\ud800-\udfff]"

_UNSAFE = re.compile(
    f"(?P<string>{_STRING_SEQ})|(?P<csi>{_CSI})|{_OTHER_ESC}|{_CONTROLS}"
    f"|(?P<sur>{_SURROGATE})|(?P<inv>[{_INVISIBLE}])"
)
# Anything that could need work; text without these is returned untouched (the common case).
_NEEDS_WORK = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\ud800-\\udfff{_MAYBE_INVISIBLE}]")
_ASCII_NEEDS_WORK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# The same without ESC: text whose only escapes are valid SGR is also returned as is
# (Terraform colours nearly every chunk).
_NEEDS_WORK_BUT_ESC = re.compile(
    f"[\\x00-\\x08\\x0b-\\x1a\\x1c-\\x1f\\x7f-\\x9f\\ud800-\\udfff{_MAYBE_INVISIBLE}]"
)
_ASCII_NEEDS_WORK_BUT_ESC = re.compile(r"[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]")
_SGR_PARAMS = re.compile(r"[0-9;:]*")
_SGR = re.compile(r"\x1b\[[0-9;:]*m")
_SGR_PARAMS_OF = re.compile(r"\x1b\[([0-9;:]*)m")
# A colour code that is not a plain reset, followed on its line only by text: the colour is
# still on at the end of the line, and a terminal would carry it onto the next one.
_OPEN_AT_END_OF_LINE = re.compile(r"\x1b\[(?!0*m)[0-9;:]*m[^\x1b\n]*\n")

#: The most parameters an SGR sequence may have (Terraform and tofu use at most 3; a truecolor
#: foreground and background with four attributes is 14).
SGR_MAX_PARAMS = 32
# The SGR attributes terminals implement (ECMA-48 and xterm's list): reset, bold ... strike
# (0-9), their "off" codes and double underline (21-29), the 8 colours and default (30-37, 39,
# 40-47, 49), overline (53, 55), default underline colour (59), the bright colours (90-97,
# 100-107). 38, 48 and 58 (foreground, background, underline colour) take arguments.
_SGR_ATTRIBUTES = frozenset((*range(0, 10), *range(21, 38), 39, *range(40, 48), 49, 53, 55, 59))
_SGR_ATTRIBUTES |= frozenset((*range(90, 98), *range(100, 108)))
_SGR_COLOURS = frozenset({38, 48, 58})
#: The fields after ``38;5`` (a palette index) and ``38;2`` (r, g, b); 48 and 58 alike.
_COLOUR_ARGS = {5: 1, 2: 3}
_UNDERLINE_STYLES = range(0, 6)  # 4:0 none ... 4:3 curly, 4:4 dotted, 4:5 dashed


def _number(field: str) -> int | None:
    """An SGR parameter's value (empty is 0), or None when it is not 1-3 ASCII digits."""
    if not field:
        return 0
    if len(field) > 3 or not field.isdigit():
        return None
    return int(field)


def _bytes(fields: list[str]) -> bool:
    """Whether every field is a colour index or component (0-255; empty counts as 0)."""
    for field in fields:
        value = _number(field)
        if value is None or value > 255:
            return False
    return True


def _valid_colour_subparams(subs: list[str]) -> bool:
    """The colon form of 38/48/58: ``5:n``, ``2:r:g:b`` or ``2:colourspace:r:g:b``."""
    if not subs:
        return False
    kind = _number(subs[0])
    if kind == 5:
        return len(subs) == 2 and _bytes(subs[1:])
    if kind == 2:
        return len(subs) in (4, 5) and _bytes(subs[1:])
    return False


# The longest valid parameters: SGR_MAX_PARAMS fields of at most 23 characters
# (``38:2:255:255:255:255``). Longer ones are refused before they reach the cache.
_SGR_MAX_CHARS = SGR_MAX_PARAMS * 24


def _valid_sgr(params: str) -> bool:
    """Whether the parameters of ``ESC [ params m`` are all ones terminals read as intended.

    Semicolon-separated parameters, at most :data:`SGR_MAX_PARAMS`; each a known attribute,
    ``38;5;n`` / ``38;2;r;g;b`` (and 48, 58) with values up to 255, or a colon form: ``4:0``
    to ``4:5`` (underline styles), ``38:5:n``, ``38:2:[cs]:r:g:b``.
    """
    return len(params) <= _SGR_MAX_CHARS and _valid_sgr_fields(params)


@lru_cache(maxsize=4096)
def _valid_sgr_fields(params: str) -> bool:
    """:func:`_valid_sgr` for parameters of a bounded length. Cached: a log uses few distinct
    SGR sequences; the cache holds at most 4096 of at most ``_SGR_MAX_CHARS`` characters."""
    fields = params.split(";")
    if len(fields) > SGR_MAX_PARAMS:
        return False
    i = 0
    while i < len(fields):
        field = fields[i]
        if ":" in field:
            head, *subs = field.split(":")
            value = _number(head)
            if value == 4:
                style = _number(subs[0]) if len(subs) == 1 else None
                if style not in _UNDERLINE_STYLES:
                    return False
            elif value not in _SGR_COLOURS or not _valid_colour_subparams(subs):
                return False
            i += 1
            continue
        value = _number(field)
        if value in _SGR_COLOURS:
            kind = _number(fields[i + 1]) if i + 1 < len(fields) else None
            count = _COLOUR_ARGS.get(kind or 0)
            args = fields[i + 2 : i + 2 + count] if count else []
            if not count or len(args) != count or not _bytes(args):
                return False
            i += 2 + count
            continue
        if value not in _SGR_ATTRIBUTES:
            return False
        i += 1
    return True


def _replace(match: re.Match[str]) -> str:
    if match.group("csi") is not None:
        params = match.group("params")
        if (
            match.group("final") == "m"
            and match.group(0).startswith("\x1b[")
            and len(match.group(0)) == len(params) + 3
            and _SGR_PARAMS.fullmatch(params)
            and _valid_sgr(params)
        ):
            return match.group(0)  # a plain 7-bit SGR a terminal reads as intended: kept
        return ""
    if match.group("sur") is not None:
        return "\ufffd"
    invisible = match.group("inv")
    if invisible is not None:
        return f"<U+{ord(invisible):04X}>"
    return ""


_SGR_OR_CHAR = re.compile(r"\x1b\[[0-9;:]*m|.", re.DOTALL)
_RESET_CODES = frozenset({"\x1b[m", "\x1b[0m"})


def _resolve_carriage_returns(line: str) -> str:
    """What a terminal leaves visible of a line written with lone CRs (and only SGR codes).

    Each CR moves back to the first column; the characters that follow overwrite the ones
    there, and the rest of the longer text stays. A character keeps the colour it was
    written in.
    """
    parts = line.split("\r")
    if "\x1b" not in line:
        cells = list(parts[0])
        for part in parts[1:]:
            cells[: len(part)] = part
        return "".join(cells)
    # With colour: each cell is (the SGR codes in force when it was written, its character).
    styled: list[tuple[str, str]] = []
    state = ""
    for part in parts:
        column = 0
        for token in _SGR_OR_CHAR.findall(part):
            if token.startswith("\x1b["):
                state = "" if token in _RESET_CODES else state + token
                continue
            if column < len(styled):
                styled[column] = (state, token)
            else:
                styled.append((state, token))
            column += 1
    out: list[str] = []
    current = ""
    for codes, char in styled:
        if codes != current:
            out.append("\x1b[0m" + codes if current else codes)
            current = codes
        out.append(char)
    if current:
        out.append("\x1b[0m")
    return "".join(out)


def _only_valid_sgr(text: str) -> bool:
    """Whether every ESC in ``text`` starts a valid SGR sequence (no other control in it).

    A chunk repeats a few sequences many times: each distinct one is checked once.
    """
    found = _SGR_PARAMS_OF.findall(text)
    if text.count("\x1b") != len(found):
        return False
    return all(map(_valid_sgr, found if len(found) < 8 else set(found)))


def sanitize(text: str) -> str:
    """Log text: every control or escape sequence removed except valid SGR colour codes.

    Newlines are kept (CRLF becomes LF); the result contains no C0/C1 control characters other
    than TAB, LF and the ESC of a valid SGR sequence, and no bidi or invisible format character
    (each is shown as ``<U+XXXX>``).
    """
    ascii_only = text.isascii()
    if (_ASCII_NEEDS_WORK if ascii_only else _NEEDS_WORK).search(text) is None:
        return text
    clean_but_esc = _ASCII_NEEDS_WORK_BUT_ESC if ascii_only else _NEEDS_WORK_BUT_ESC
    if clean_but_esc.search(text) is None and _only_valid_sgr(text):
        return text
    text = _UNSAFE.sub(_replace, text)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            text = "\n".join(_resolve_carriage_returns(line) for line in text.split("\n"))
    return text


def carry_colour(text: str) -> str:
    """A sanitised chunk whose lines each start in the colour the line before left on.

    A terminal keeps an SGR state from one line to the next; the log pane renders each line on
    its own. Re-issuing the open state at the start of the next line makes every line look as
    it would in the terminal that ran the command, when drawn alone. The chunk is the unit (it
    is one write by the Tendril): its last line's open colour is not carried into the next
    chunk, which may come from the other stream. Terraform resets at the end of each line, so
    the common case is one regex scan that finds nothing.
    """
    if "\x1b" not in text or _OPEN_AT_END_OF_LINE.search(text) is None:
        return text
    from rich.ansi import AnsiDecoder  # only for the rare chunk that needs it
    from rich.color import ColorSystem

    decoder = AnsiDecoder()
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i and line and decoder.style:
            # The state as codes: Style.render wraps the text in its SGR and a reset.
            opened = decoder.style.render("\n", color_system=ColorSystem.TRUECOLOR)
            lines[i] = opened[: opened.index("\n")] + line
        if "\x1b" in line:
            decoder.decode_line(for_rich(line))
    return "\n".join(lines)


def for_rich(text: str) -> str:
    """Sanitised text as Rich's ``AnsiDecoder`` should read it: without the underline colour
    (``58;5;n``, ``58;2;r;g;b``), which it does not know and misreads as the fields after it
    (``58;5;51`` became blink and frame, ``58;2;1;2;3`` bold, dim and italic). The rest of
    each sequence is kept; a sequence of nothing else goes whole (``ESC[m`` would reset)."""
    if "58;" not in text:
        return text  # (the common case: one substring search)
    return _SGR_PARAMS_OF.sub(_without_underline_colour, text)


def _without_underline_colour(match: re.Match[str]) -> str:
    params = match.group(1)
    if "58;" not in params:
        return match.group(0)
    fields = params.split(";")
    kept: list[str] = []
    i = 0
    while i < len(fields):
        value = _number(fields[i])
        if value in _SGR_COLOURS and ":" not in fields[i]:
            kind = _number(fields[i + 1]) if i + 1 < len(fields) else None
            width = 2 + _COLOUR_ARGS.get(kind or 0, 0)
            if value != 58:
                kept += fields[i : i + width]
            i += width
            continue
        kept.append(fields[i])
        i += 1
    return f"\x1b[{';'.join(kept)}m" if kept else ""


def split_chunk(text: str) -> list[str]:
    """The lines of one log chunk; a final newline does not make an empty last line.

    An empty chunk has no lines. ``"a\\n\\nb\\n"`` is ``["a", "", "b"]``.
    """
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def strip_sgr(text: str) -> str:
    """Sanitised text without its colour codes (for plain output and searching)."""
    return _SGR.sub("", text)


def plain_text(text: str) -> str:
    """Untrusted text with no escapes at all, not even SGR; line breaks and TABs kept."""
    return strip_sgr(sanitize(text))


# Text that needs work to become display text: any control (TAB and LF included), bidi or
# invisible character, or lone surrogate.
_DISPLAY_WORK = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\ud800-\\udfff{_MAYBE_INVISIBLE}]")
_ASCII_DISPLAY_WORK = re.compile(r"[\x00-\x1f\x7f]")
_LINES_WORK = re.compile(f"[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f\\ud800-\\udfff{_MAYBE_INVISIBLE}]")
_ASCII_LINES_WORK = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
# A line break with the blanks around it, and blank lines: one break when folded.
_BREAKS = re.compile(r"[ \t]*\n[ \t\n]*")


def display_text(text: str, newline: str = " ") -> str:
    """Untrusted text as one line with no escapes and no control characters at all.

    The form for every short text from the server: names, versions, ids, statuses and types
    kept as unknown strings, labels, error messages, and the keys and values of JSON shown in
    the details panels. Sanitised as :func:`sanitize` does (escape sequences with their
    payloads removed, a lone CR resolved, bidi and invisible characters shown as
    ``<U+XXXX>``), SGR removed too, TABs made spaces, and line breaks (with the blanks around
    them) folded into ``newline``: a space by default; a JSON viewer may pass ``"⏎"`` or
    ``"\\\\n"`` to show where they were (``newline`` itself is not checked: pass printable
    text). Leading and trailing line breaks are dropped.

    Fast for clean text: one precompiled search (a smaller one for ASCII text), and the same
    object is returned. Idempotent.
    """
    work = _ASCII_DISPLAY_WORK if text.isascii() else _DISPLAY_WORK
    if work.search(text) is None:
        return text
    clean = strip_sgr(sanitize(text))
    if "\n" in clean:
        clean = _BREAKS.sub(newline, clean.strip("\n"))
    return clean.replace("\t", " ")


def display_lines(text: str) -> str:
    """Untrusted multi-line text (a job's ``error_message``): :func:`display_text`, lines kept.

    The only control character left is LF; TABs are expanded to spaces (to the next multiple of
    8 columns, as a terminal shows them). Fast and idempotent as :func:`display_text` is.
    """
    work = _ASCII_LINES_WORK if text.isascii() else _LINES_WORK
    if work.search(text) is None:
        return text
    return strip_sgr(sanitize(text)).expandtabs(8)
