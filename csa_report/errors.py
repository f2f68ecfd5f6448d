"""The one exception hierarchy of csa-report.

Every error a user can cause or meet carries the exit code the command line returns for it, so the
CLI maps exceptions to exit codes in one place and never shows a traceback for them:

====  =========================================================================
code  meaning
====  =========================================================================
0     success (``check``: no blocking finding remains)
1     ``check``/``run``: a blocking finding remains (not an exception: a result)
2     invalid input or configuration: bad period, policy document, enum value,
      missing table or column, missing setting
3     an external system (database, S3, SMTP, Prefect API) stayed unreachable
      after retries
4     the tool itself failed (a bug, or a check that could not run for a reason
      that is not the user's input)
5     storage integrity (``IntegrityViolation``; not SQLAlchemy's
      ``IntegrityError``): staged bytes changed after sign-off, or a create-only
      write met different bytes (nothing was sent)
6     no valid sign-off: nobody answered within the time-out, or every answer
      was refused (nothing was submitted; the staged copy stays)
7     refused by a server for good (an SMTP 5xx answer to a recipient or a
      message): permanent, never retried; the other deliveries were made
====  =========================================================================
"""

from __future__ import annotations


class CsaReportError(Exception):
    """Base class. ``str(err)`` is the one line shown to the user."""

    exit_code: int = 4


class InputError(CsaReportError):
    """Something the user gave us is invalid (exit 2)."""

    exit_code = 2


class PeriodError(InputError):
    """A reporting period or as-of instant that does not parse or does not fit."""


class ConfigError(InputError):
    """A setting is missing or invalid."""


class DataError(InputError):
    """The source database does not follow the reporting schema (missing table/column, bad enum value)."""


class PolicyError(InputError):
    """A policy document is missing, unparsable or invalid."""


class UnreachableError(CsaReportError):
    """An external system stayed unreachable after retries (exit 3)."""

    exit_code = 3


class ToolError(CsaReportError):
    """The tool could not do its job for a reason that is not the user's input (exit 4)."""

    exit_code = 4


class RefusedError(CsaReportError):
    """A server answered that it will not do this, ever (exit 7): an SMTP 5xx reply, an S3 403. Not an outage, so
    it is never retried (not an UnreachableError); the message names the setting or policy field to fix."""

    exit_code = 7


class IntegrityViolation(CsaReportError):
    """Stored bytes differ from what was signed or expected (exit 5)."""

    exit_code = 5


# --- storage, delivery (issue 5) ---------------------------------------------------------------------------


class TamperedError(IntegrityViolation):
    """A staged object no longer holds the signed-off bytes (exit 5). Names the key, never the content."""


class StorageConflict(IntegrityViolation):
    """A create-only write met an existing object with different bytes (exit 5); nothing was overwritten."""


class DeliveryError(UnreachableError):
    """An e-mail delivery did not go through for now (the server deferred it or could not be reached); it is
    recorded failed and retried (exit 3)."""


class DeliveryRefused(RefusedError):
    """The mail server refused one recipient, or the message for it, for good (a 5xx answer): that delivery is
    recorded failed with the server's answer and never retried; the other recipients still get theirs (exit 7).
    ``check`` names what to fix: the recipient's address in the policies, or an SMTP setting."""

    def __init__(self, recipient: str, detail: str, check: str = "") -> None:
        hint = f"; check {check}" if check else ""
        super().__init__(f"the mail server refused the message to {recipient} for good: {detail}{hint}")
        self.recipient = recipient
        self.detail = detail
        self.check = check


class DeliveryUnknown(CsaReportError):
    """A claimed delivery whose outcome is unknown (the process died, or the connection broke, between handing
    the message over and the server's answer). Never counted as sent and never retried on its own: an operator
    confirms or resends it (exit 3)."""

    exit_code = 3


# --- compliance checks (issue 3) ---------------------------------------------------------------------------


class CheckError(ToolError):
    """A compliance rule could not run (a query failed): a tool error, never a pass or a finding (exit 4).
    A missing table or column is a DataError instead (exit 2)."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"check {rule} could not run: {detail}")
        self.rule = rule
        self.detail = detail


class BlockingFindings(CsaReportError):
    """``check``: a blocking finding remains (exit 1). A result rather than a failure; raised by the command
    so the one-line summary and the exit code go through the CLI's single error path."""

    exit_code = 1


# --- sign-off (issue 6) ------------------------------------------------------------------------------------


class SignOffMissing(CsaReportError):
    """No valid sign-off was obtained, so nothing was submitted (exit 6). Not a tool error and not bad input:
    the humans did not answer in time, or every answer was refused. The staged copy stays for a new run."""

    exit_code = 6


class SignOffTimeout(SignOffMissing):
    """Nobody answered the sign-off form within the time-out (``CSA_SIGNOFF_TIMEOUT_S``, default 14 days)."""


class SignOffRefused(SignOffMissing):
    """Too many sign-off answers were refused (reviewer not an approver, reviewer is the preparer, wrong hash)."""
