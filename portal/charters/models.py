"""The charter (章程) of a school, kept as numbered versions."""

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.domain import DomainError, Labelled, Reason, Status
from portal.extensions import db, str_enum
from portal.schools.models import School


class CharterStatus(StrEnum):
    DRAFT = "draft"
    ADOPTED = "adopted"


class CharterState(Labelled):
    """Where a version stands on a given day (CharterVersion.status_on)."""

    DRAFT = "draft", _l("Draft")
    # %(date)s: the day it comes into force.
    NOT_YET_IN_FORCE = "not_yet_in_force", _l("Not yet in force (from %(date)s)")
    IN_FORCE = "in_force", _l("In force")
    # %(date)s: the day the next adopted version comes into force.
    ENDING = "ending", _l("In force until %(date)s, when the next version comes into force")
    SUPERSEDED = "superseded", _l("No longer in force")


CHARTER_BODY_MAX = 200_000
CHARTER_NOTE_MAX = 500


class CharterRefusal(Reason):
    """Why a charter version refused a change. Two messages name a version or a date: the view
    fills them in (`message % {...}`), as it knows which version the person is looking at."""

    # %(number)d: the version's number.
    CHARTER_ADOPTED = (
        "charter_adopted",
        _l("Version %(number)d is adopted and can no longer be changed. To amend the charter, start a new draft."),
    )
    DRAFT_EXISTS = (
        "draft_exists",
        _l("A draft is already being prepared. Edit or adopt that draft instead of starting another."),
    )
    EMPTY_BODY = "empty_body", _l("The draft has no text yet. Write the charter before adopting it.")
    DRAFT_IN_USE = (
        "draft_in_use",
        _l("A draft decision names this version. Change that decision, or delete it, before deleting the draft."),
    )
    # The day the body adopted it has happened: a version adopted "next year" would be listed and
    # disclosed as adopted today. The day it comes into force may be later (effective_on).
    ADOPTED_IN_FUTURE = (
        "adopted_in_future",
        _l(
            "The day of adoption cannot be after today. Adopt the version once the body has adopted it; "
            "the day it comes into force may be later."
        ),
        "adopted_on",
    )
    EFFECTIVE_BEFORE_ADOPTION = (
        "effective_before_adoption",
        _l("A charter cannot come into force before the day it is adopted."),
        "effective_on",
    )
    # %(number)d and %(date)s: the previous adopted version's number and adoption day.
    ADOPTED_BEFORE_PREVIOUS = (
        "adopted_before_previous",
        _l("Version %(number)d was adopted on %(date)s. A later version cannot be adopted before that day."),
        "adopted_on",
    )


class CharterVersion(db.Model):
    """One version of a school's charter (章程). Numbered 1, 2, 3… per school. A draft is edited
    until adopted; an adopted version never changes again."""

    __tablename__ = "charter_version"
    __table_args__ = (UniqueConstraint("school_id", "number", name="uq_charter_version_school_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    number: Mapped[int]
    status: Mapped[CharterStatus] = mapped_column(str_enum(CharterStatus), default=CharterStatus.DRAFT)
    body: Mapped[str] = mapped_column(Text)
    change_note: Mapped[str] = mapped_column(String(CHARTER_NOTE_MAX), default="")
    based_on_number: Mapped[int | None]
    adopted_on: Mapped[date | None]
    effective_on: Mapped[date | None]
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The archived PDF of the adopted text (portal.documents), set when the version is adopted.
    document_sha256: Mapped[str | None] = mapped_column(ForeignKey("document.sha256"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    school: Mapped[School] = relationship()
    # For the management page ("adopted by …"); the public pages never name the person.
    adopted_by: Mapped["User | None"] = relationship(foreign_keys=[adopted_by_id])  # noqa: F821

    @property
    def is_adopted(self) -> bool:
        return self.status == CharterStatus.ADOPTED

    @property
    def takes_effect_on(self) -> date | None:
        return self.effective_on or self.adopted_on

    def status_on(self, today: date, adopted: "Iterable[CharterVersion]") -> Status:
        """Where this version stands on `today` (the schools' date, portal.clock.today()), the one
        rule every page shows: `adopted` are the school's adopted versions (any order; this one
        may be among them). A version is in force from its effective date until a later
        version's; the newest version that has taken effect is the charter in force."""
        if not self.is_adopted:
            return Status(CharterState.DRAFT)
        starts = self.takes_effect_on
        if starts is not None and starts > today:
            return Status(CharterState.NOT_YET_IN_FORCE, starts)
        later = [v.takes_effect_on for v in adopted if v.number > self.number and v.takes_effect_on is not None]
        if any(day <= today for day in later):
            return Status(CharterState.SUPERSEDED)
        if later:
            return Status(CharterState.ENDING, min(later))
        return Status(CharterState.IN_FORCE)

    def edit(self, body: str, change_note: str) -> None:
        if self.is_adopted:
            raise DomainError(CharterRefusal.CHARTER_ADOPTED)
        self.body = body
        self.change_note = change_note

    def adopt(self, by_id: int | None, adopted_on: date, effective_on: date) -> None:
        if self.is_adopted:
            raise DomainError(CharterRefusal.CHARTER_ADOPTED)
        self.status = CharterStatus.ADOPTED
        self.adopted_by_id = by_id
        self.adopted_on = adopted_on
        self.effective_on = effective_on


class StoredCharterDiff(db.Model):
    """What changed from one adopted version to another, as the public diff page shows it
    (portal.charters.structure.CharterDiff.to_dict): adopted versions never change, so their
    comparison is made once, the first time someone asks for it, and read back afterwards.
    `format` is the shape it was made in (structure.DIFF_FORMAT); one of an older format is made
    again. Drafts are compared afresh each time: their text may still change."""

    __tablename__ = "charter_diff"

    older_id: Mapped[int] = mapped_column(ForeignKey("charter_version.id", ondelete="CASCADE"), primary_key=True)
    newer_id: Mapped[int] = mapped_column(ForeignKey("charter_version.id", ondelete="CASCADE"), primary_key=True)
    format: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
