"""The reporting schema (data-contract §1) as SQLAlchemy 2 models.

This is the *source* schema: providers map their warehouse onto it (usually with views) and csa-report only
reads it. The models exist so that tests, the demo and the seeder can create a database in this shape through
Alembic. Enumerations are deliberately plain text without CHECK constraints: a provider's views carry none,
and csa-report must be able to see (and name) a bad value rather than have the database hide it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, MetaData, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from csa_report.vocabulary import CATEGORIES as CATEGORIES
from csa_report.vocabulary import CSAM_ROLES, SOLICITATION_ROLES
from csa_report.vocabulary import REGIONS as REGIONS

# SQLite only aliases the rowid for INTEGER PRIMARY KEY; BIGINT elsewhere.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData()


class ProcessingVolume(Base):
    __tablename__ = "processing_volumes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    service: Mapped[str] = mapped_column(Text)
    day: Mapped[date] = mapped_column(Date)
    data_type: Mapped[str] = mapped_column(Text)
    file_type: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_region: Mapped[str] = mapped_column(Text)
    items: Mapped[int] = mapped_column(BigInteger)
    bytes: Mapped[int] = mapped_column(BigInteger)


class Detection(Base):
    __tablename__ = "detections"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    service: Mapped[str] = mapped_column(Text)
    technology: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    data_type: Mapped[str] = mapped_column(Text)
    file_type: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_region: Mapped[str] = mapped_column(Text)
    account_ref: Mapped[str | None] = mapped_column(Text, nullable=True)
    flagged_at: Mapped[datetime] = mapped_column(DateTime)
    automated: Mapped[bool] = mapped_column(Boolean)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    verdict: Mapped[str | None] = mapped_column(Text, nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    hold_ref: Mapped[str | None] = mapped_column(Text, nullable=True)


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    service: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    human_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ReportItem(Base):
    __tablename__ = "report_items"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    detection_id: Mapped[int] = mapped_column(ForeignKey("detections.id"), primary_key=True)

    __table_args__ = (Index("ix_report_items_detection_id", "detection_id"),)


class ReportAccount(Base):
    __tablename__ = "report_accounts"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    account_ref: Mapped[str] = mapped_column(Text, primary_key=True)
    role: Mapped[str] = mapped_column(Text, primary_key=True)
    user_region: Mapped[str] = mapped_column(Text)


class ContentAction(Base):
    __tablename__ = "content_actions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    service: Mapped[str] = mapped_column(Text)
    detection_id: Mapped[int] = mapped_column(ForeignKey("detections.id"))
    removed_at: Mapped[datetime] = mapped_column(DateTime)
    restored_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    user_notified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("ix_content_actions_detection_id", "detection_id"),)


class AccountAction(Base):
    __tablename__ = "account_actions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    service: Mapped[str] = mapped_column(Text)
    account_ref: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    user_region: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    taken_at: Mapped[datetime] = mapped_column(DateTime)
    user_notified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    restored_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    service: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    content_action_id: Mapped[int | None] = mapped_column(ForeignKey("content_actions.id"), nullable=True)
    account_action_id: Mapped[int | None] = mapped_column(ForeignKey("account_actions.id"), nullable=True)
    channel: Mapped[str] = mapped_column(Text)
    lodged_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    complied_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


# The enumerations of data-contract §1, per (table, column). A value outside them is a data error. CATEGORIES
# and REGIONS are shared with the report and the checks (csa_report.vocabulary).
DATA_TYPES: Final = ("image", "video", "other_file", "text", "metadata", "audio")
VERDICTS: Final = ("confirmed", "not_abuse")
ROLES: Final = (*CSAM_ROLES, *SOLICITATION_ROLES)
ACTIONS: Final = ("suspend", "terminate", "restrict")
SUBJECTS: Final = ("content", "account")
CHANNELS: Final = ("internal", "judicial")
OUTCOMES: Final = ("restored", "upheld")

ENUMERATIONS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("processing_volumes", "data_type"): DATA_TYPES,
    ("processing_volumes", "user_region"): REGIONS,
    ("detections", "category"): CATEGORIES,
    ("detections", "data_type"): DATA_TYPES,
    ("detections", "user_region"): REGIONS,
    ("detections", "verdict"): VERDICTS,
    ("reports", "category"): CATEGORIES,
    ("report_accounts", "role"): ROLES,
    ("report_accounts", "user_region"): REGIONS,
    ("account_actions", "category"): CATEGORIES,
    ("account_actions", "user_region"): REGIONS,
    ("account_actions", "action"): ACTIONS,
    ("complaints", "subject"): SUBJECTS,
    ("complaints", "channel"): CHANNELS,
    ("complaints", "outcome"): OUTCOMES,
}

# Tables in dependency order (parents first), for loading and for checking that the schema exists.
TABLE_ORDER: Final = (
    "processing_volumes",
    "detections",
    "reports",
    "report_items",
    "report_accounts",
    "content_actions",
    "account_actions",
    "complaints",
)

#: Column names of every table in declaration order (the order the seeder emits rows in and the loaders
#: name in their INSERT/COPY statements).
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    name: tuple(c.name for c in Base.metadata.tables[name].columns) for name in TABLE_ORDER
}
