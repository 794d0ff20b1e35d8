"""The one function that makes untrusted log text safe for a terminal.

Only SGR (colour and style) sequences survive. Everything else that a terminal would act on is
removed: other CSI sequences (cursor moves, screen clears), OSC (titles, clipboard writes,
hyperlinks) with their payloads, DCS/SOS/PM/APC strings, other ESC sequences, the 8-bit C1
controls (U+0080-U+009F, including the C1 CSI U+009B and its parameters), and C0 controls except
TAB and LF. A lone CR keeps what a terminal would leave visible: each CR returns to the start
of the line and what follows overwrites what was there, so ``abcdef\rXY`` shows ``XYcdef``
and ``10%\r50%\r100%`` shows ``100%``. Lone surrogates become U+FFFD so the text can be
encoded.
"""

from __future__ import annotations

import re

# The sequences, longest forms first. String sequences (OSC, DCS, SOS, PM, APC, in 7- or 8-bit
# form) end at BEL or ST; an unterminated one swallows the rest of its line, not the next line.
_STRING_SEQ = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
_CSI = r"(?:\x1b\[|\x9b)(?P<params>[\x30-\x3f]*)[\x20-\x2f]*(?P<final>[\x40-\x7e])?"
_OTHER_ESC = r"\x1b[\x20-\x2f]*[\x30-\x7e]?"
_CONTROLS = r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f\x80-\x9f]"
_SURROGATE = r"[\ud800-\udfff]"

_UNSAFE = re.compile(
    f"(?P<string>{_STRING_SEQ})|(?P<csi>{_CSI})|{_OTHER_ESC}|{_CONTROLS}|(?P<sur>{_SURROGATE})"
)
# Anything that could need work; text without these is returned untouched (the common case).
_NEEDS_WORK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# The same without ESC: text whose only escapes are well-formed SGR is also returned as is
# (Terraform colours nearly every chunk).
_NEEDS_WORK_BUT_ESC = re.compile(r"[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f\ud800-\udfff]")
_SGR_PARAMS = re.compile(r"[0-9;:]*")
_SGR = re.compile(r"\x1b\[[0-9;:]*m")
# A colour code that is not a plain reset, followed on its line only by text: the colour is
# still on at the end of the line, and a terminal would carry it onto the next one.
_OPEN_AT_END_OF_LINE = re.compile(r"\x1b\[(?!0*m)[0-9;:]*m[^\x1b\n]*\n")


def _replace(match: re.Match[str]) -> str:
    if match.group("csi") is not None:
        params = match.group("params")
        if (
            match.group("final") == "m"
            and match.group(0).startswith("\x1b[")
            and len(match.group(0)) == len(params) + 3
            and _SGR_PARAMS.fullmatch(params)
        ):
            return match.group(0)  # a plain 7-bit SGR: colour survives
        return ""
    if match.group("sur") is not None:
        return "\ufffd"
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


def sanitize(text: str) -> str:
    """``text`` with every control or escape sequence removed except SGR colour codes.

    Newlines are kept (CRLF becomes LF); the result contains no C0/C1 control characters other
    than TAB, LF and the ESC of a well-formed SGR sequence.
    """
    if _NEEDS_WORK.search(text) is None:
        return text
    if _NEEDS_WORK_BUT_ESC.search(text) is None and text.count("\x1b") == len(_SGR.findall(text)):
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
            decoder.decode_line(line)
    return "\n".join(lines)


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
    """Untrusted text (an error message, a metadata value) with no escapes at all, not even SGR."""
    return strip_sgr(sanitize(text))
