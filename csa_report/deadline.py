"""The annual report's deadline (Art. 3(1)(g)(vii)): the report on a calendar year is due by 31 January of the
next year. Used by DEADLINE-1, ``csa-report status`` and the sign-off form, so all three say the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from csa_report.period import Period
from csa_report.reference import regimes


@dataclass(frozen=True)
class Deadline:
    due: date
    #: False when the regime in force at the period's end does not confirm the 31 January deadline.
    confirmed: bool

    def days_left(self, at: datetime | date) -> int:
        """Days from ``at`` (its day) until the due day; negative when late (the due day itself is 0)."""
        day = at.date() if isinstance(at, datetime) else at
        return (self.due - day).days

    def describe(self, at: datetime | date) -> str:
        """One line in plain words, e.g. 'due 2027-01-31: 12 days left' or 'due 2027-01-31: 3 days late'."""
        left = self.days_left(at)
        if left > 0:
            state = f"{left} day{'s' if left != 1 else ''} left"
        elif left == 0:
            state = "due today"
        else:
            state = f"{-left} day{'s' if left != -1 else ''} late"
        note = "" if self.confirmed else " (deadline under Regulation (EU) 2026/1881 not confirmed)"
        return f"due {self.due.isoformat()}: {state}{note}"


def deadline_for(period: Period) -> Deadline:
    """31 January of the year after the period's last day."""
    regime = next((r for r in regimes() if r.covers(period.end)), None)
    return Deadline(date(period.end.year + 1, 1, 31), regime.deadline_confirmed if regime else True)
