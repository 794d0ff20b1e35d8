"""Errors a user can be shown, each with one line of text and a documented exit code."""

from __future__ import annotations

from enum import IntEnum


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
    INTERRUPTED = 130  # Ctrl-C


class JoblensError(Exception):
    """An error with a one-line message for the user and an exit code."""

    exit_code: ExitCode = ExitCode.UNAVAILABLE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

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
