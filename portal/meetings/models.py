"""Governing bodies (school board, parents' committee, staff congress), their members and terms,
and their meetings with agenda, attendance and minutes."""

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.domain import DomainError, Labelled, Reason, Status
from portal.extensions import db, str_enum
from portal.schools.models import School

if TYPE_CHECKING:
    from portal.accounts.models import User


class MeetingRefusal(Reason):
    """What the rules of bodies, members and meetings refuse, and the words for it. The field is
    the member's or the meeting's form field the message belongs beside; None: the part of the
    page it is about (the agenda, the attendance, the approval) or the top of the page."""

    TERM_ORDER = "term_order", _l("The term cannot end before it starts."), "term_end"
    # Ending a term brings its last day closer; a later day would lengthen it (the member's form does that).
    END_AFTER_TERM = (
        "end_after_term",
        _l(
            "The term already ends before this day. Ending a term can only bring its last day closer; "
            "to lengthen it, change the term on the member's form."
        ),
        "last_day",
    )
    SEAT_OVERLAP = (
        "seat_overlap",
        _l("This person already holds a seat in this body during these dates. End that term first, or correct it."),
        "name",
    )
    UNKNOWN_ACCOUNT = (
        "unknown_account",
        _l("No portal account has this email address. Leave the field empty if the member has no account."),
        "account_email",
    )
    UNKNOWN_BODY = "unknown_body", _l("Choose one of this school's governing bodies."), "body_id"
    NOT_A_MEMBER = (
        "not_a_member",
        _l("Attendance can only be recorded for members of this body whose term covers the meeting's date."),
    )
    UNKNOWN_AGENDA_ITEM = (
        "unknown_agenda_item",
        _l("This item is no longer on the agenda. Reload the page to see the agenda as it is now."),
    )
    AGENDA_CHANGED = "agenda_changed", _l("Someone else changed the agenda at the same moment. Please try again.")
    MINUTES_APPROVED = (
        "minutes_approved",
        _l("The minutes of this meeting are approved, so its record can no longer be changed."),
    )
    MINUTES_EMPTY = "minutes_empty", _l("Write the minutes and save them before approving them.")
    # Who was present, and the minutes as approved, are a record of what happened: not before it.
    MEETING_NOT_HELD = (
        "meeting_not_held",
        _l("This meeting has not taken place yet. Its attendance and its minutes are recorded once it has begun."),
    )


class BodyKind(Labelled):
    SCHOOL_BOARD = "school_board", _l("School board")
    PARENTS_COMMITTEE = "parents_committee", _l("Parents' committee")
    STAFF_CONGRESS = "staff_congress", _l("Staff congress")
    OTHER = "other", _l("Other body")


class Position(Labelled):
    CHAIR = "chair", _l("Chair")
    VICE_CHAIR = "vice_chair", _l("Vice chair")
    SECRETARY = "secretary", _l("Secretary")
    MEMBER = "member", _l("Member")


class Constituency(Labelled):
    PARENT = "parent", _l("Parent representative")
    TEACHER = "teacher", _l("Teacher representative")
    STAFF = "staff", _l("Staff representative")
    COMMUNITY = "community", _l("Community representative")
    STUDENT = "student", _l("Student representative")
    PRINCIPAL = "principal", _l("Principal")


BODY_NAME_MAX = 120
BODY_DESCRIPTION_MAX = 2000
MEMBER_NAME_MAX = 60


class GoverningBody(db.Model):
    __tablename__ = "governing_body"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[BodyKind] = mapped_column(str_enum(BodyKind))
    name: Mapped[str] = mapped_column(String(BODY_NAME_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school: Mapped[School] = relationship()
    members: Mapped[list["BodyMember"]] = relationship(back_populates="body", order_by="BodyMember.term_start")

    @property
    def kind_beside_name(self) -> str | None:
        """The kind of body, in the page's language, to show beside its name; None when the name
        says it already (a body named "校务委员会" is not labelled "校务委员会" again)."""
        label = str(self.kind.label)
        return None if self.name.strip() == label else label


class BodyMember(db.Model):
    """A seat held for a term. Former members stay as history (their term has ended)."""

    __tablename__ = "body_member"
    __table_args__ = (CheckConstraint("term_end IS NULL OR term_end >= term_start", name="term_ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("governing_body.id"), index=True)
    name: Mapped[str] = mapped_column(String(MEMBER_NAME_MAX))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    position: Mapped[Position] = mapped_column(str_enum(Position))
    constituency: Mapped[Constituency] = mapped_column(str_enum(Constituency))
    term_start: Mapped[date]
    term_end: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    body: Mapped[GoverningBody] = relationship(back_populates="members")
    # The member's own account, when they have one: it lets them read their body's draft minutes.
    user: Mapped["User | None"] = relationship()

    def is_current(self, today: date) -> bool:
        return self.term_start <= today and (self.term_end is None or self.term_end >= today)


class MinutesStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class MinutesState(Labelled):
    """Where a meeting's minutes stand at a given moment (Meeting.minutes_status_on)."""

    NOT_HELD = "not_held", _l("Meeting not held yet")
    DRAFT = "draft", _l("Minutes not yet approved")
    APPROVED = "approved", _l("Minutes approved")


MEETING_PLACE_MAX = 200
MEETING_TITLE_MAX = 200
AGENDA_TITLE_MAX = 200
MINUTES_MAX = 100_000


class Meeting(db.Model):
    """A meeting of a governing body. The meeting itself (time, place, agenda) is public; its
    minutes are public once approved, and approved minutes never change."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("governing_body.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    title: Mapped[str] = mapped_column(String(MEETING_TITLE_MAX))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(String(MEETING_PLACE_MAX), default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    minutes_status: Mapped[MinutesStatus] = mapped_column(str_enum(MinutesStatus), default=MinutesStatus.DRAFT)
    minutes_approved_at: Mapped[datetime | None]
    minutes_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The archived PDF of the approved minutes (portal.documents), set when they are approved.
    minutes_document_sha256: Mapped[str | None] = mapped_column(ForeignKey("document.sha256"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    body: Mapped[GoverningBody] = relationship()
    school: Mapped[School] = relationship()
    agenda_items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    attendance: Mapped[list["Attendance"]] = relationship(back_populates="meeting", cascade="all, delete-orphan")

    @property
    def minutes_approved(self) -> bool:
        return self.minutes_status == MinutesStatus.APPROVED

    def minutes_status_on(self, now: datetime) -> Status:
        """Where its minutes stand at `now` (portal.clock.utcnow()): the one rule the meeting
        pages and lists show. A meeting that has not begun has no minutes to approve yet."""
        if self.minutes_approved:
            return Status(MinutesState.APPROVED)
        return Status(MinutesState.DRAFT if self.starts_at <= now else MinutesState.NOT_HELD)

    def edit_minutes(self, minutes: str) -> None:
        """Raises MeetingRefusal.MINUTES_APPROVED once they are approved."""
        if self.minutes_approved:
            raise DomainError(MeetingRefusal.MINUTES_APPROVED)
        self.minutes = minutes

    def has_begun(self, now: datetime) -> bool:
        return self.starts_at <= now

    def refuse_if_not_held(self, now: datetime) -> None:
        """Raises MeetingRefusal.MEETING_NOT_HELD while the meeting has not begun."""
        if not self.has_begun(now):
            raise DomainError(MeetingRefusal.MEETING_NOT_HELD)

    def approve_minutes(self, by_id: int | None, at: datetime) -> None:
        """Raises MeetingRefusal.MINUTES_APPROVED, MEETING_NOT_HELD before the meeting's start, or
        MINUTES_EMPTY when there is nothing to approve."""
        if self.minutes_approved:
            raise DomainError(MeetingRefusal.MINUTES_APPROVED)
        self.refuse_if_not_held(at)
        if not self.minutes.strip():
            raise DomainError(MeetingRefusal.MINUTES_EMPTY)
        self.minutes_status = MinutesStatus.APPROVED
        self.minutes_approved_by_id = by_id
        self.minutes_approved_at = at


class AgendaItem(db.Model):
    __tablename__ = "agenda_item"
    __table_args__ = (UniqueConstraint("meeting_id", "position", name="uq_agenda_item_meeting_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(AGENDA_TITLE_MAX))

    meeting: Mapped[Meeting] = relationship(back_populates="agenda_items")


class Attendance(db.Model):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id", name="uq_attendance_meeting_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("body_member.id"), index=True)
    present: Mapped[bool]

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    member: Mapped[BodyMember] = relationship()
