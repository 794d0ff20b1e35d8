"""Errors a user can be shown, each with one line of text and a documented exit code.

A message often carries the server's own words (a PostgREST error, a refused action's reason)
and is shown in a toast, the header or on stderr: every message is made safe as it is set, one
line with no escape sequence or control character (:func:`joblens.sanitize.display_text`),
whoever builds the error.
"""

from __future__ import annotations

from enum import IntEnum

from joblens.sanitize import display_text


class ExitCode(IntEnum):
    """Process exit codes (documented in the README)."""

    OK = 0  # the job ended SUCCESS (or the command did what it was asked)
    JOB_FAILED = 1  # the job ended FAILED
    USAGE = 2  # bad arguments (click's own code)
    JOB_CANCELLED = 3  # the job ended CANCELLED
    NOT_FOUND = 4  # no such job, or not visible to this user; ambiguous id prefix
    CONFIG = 5  # missing or invalid configuration
    AUTH = 6  # the token is expired or refused
    UNAVAILABLE = 7  # the server could not be reached, failed, or timed out
    WAIT_TIMEOUT = 8  # `joblens wait --timeout`: the job had not ended in time
    INTERRUPTED = 130  # Ctrl-C


class JoblensError(Exception):
    """An error with a one-line message for the user and an exit code.

    ``message`` is sanitised when set (server text lands in messages), so it can be shown
    anywhere as it is.
    """

    exit_code: ExitCode = ExitCode.UNAVAILABLE

    def __init__(self, message: str) -> None:
        message = display_text(message)
        super().__init__(message)
        self._message = message

    @property
    def message(self) -> str:
        """The one line to show: no escapes, no control characters."""
        return self._message

    @message.setter
    def message(self, value: str) -> None:
        self._message = display_text(value)

    def __str__(self) -> str:
        return self.message


class JobNotFound(JoblensError):
    exit_code = ExitCode.NOT_FOUND


class InvalidJobId(JoblensError):
    exit_code = ExitCode.NOT_FOUND


class ConfigError(JoblensError):
    exit_code = ExitCode.CONFIG


#: What to do about a token that expired or was refused; every such message ends with it.
TOKEN_FIX = "sign in again and set a fresh JOBLENS_ACCESS_TOKEN (or set JOBLENS_REFRESH_TOKEN)"


class AuthError(JoblensError):
    exit_code = ExitCode.AUTH


class BackendUnavailable(JoblensError):
    exit_code = ExitCode.UNAVAILABLE


class ActionRejected(JoblensError):
    """An action the server refused or that no longer applies (e.g. job already finished)."""

    exit_code = ExitCode.UNAVAILABLE
