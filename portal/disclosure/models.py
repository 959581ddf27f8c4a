"""The disclosure catalogue (what must be published, from the official lists) and what each school
published against it; the one function that says where a school stands on an item on a day."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import format_date, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import local_date, utcnow
from portal.domain import DomainError, Labelled, Reason
from portal.extensions import db, str_enum
from portal.schools.models import Authority, School

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.documents.models import Document
    from portal.workdays import WorkingCalendar

CODE_MAX = 40
TITLE_MAX = 200
CONTENT_MAX = 1_000
BASIS_MAX = 500
SOURCE_TITLE_MAX = 200
SOURCE_URL_MAX = 500
DISCLOSURE_TEXT_MAX = 5_000
DEADLINE_DAYS_MAX = 250  # a year of working days: anything longer is a typing mistake
DEFAULT_DEADLINE_DAYS = 20  # 信息形成或者变更之日起20个工作日内


class DisclosureCategory(Labelled):
    BASIC = "basic", _l("School profile")
    ADMISSIONS = "admissions", _l("Admissions")
    FINANCE = "finance", _l("Fees, finance and financial aid")
    GOVERNANCE = "governance", _l("Rules and major decisions")
    SAFETY = "safety", _l("Safety and supervision")


class Publisher(Labelled):
    SCHOOL = "school", _l("The school")
    BUREAU = "bureau", _l("The district bureau")


class DisclosureAudience(Labelled):
    PUBLIC = "public", _l("Everyone")
    PARENTS = "parents", _l("Parents and students of the school")


class SatisfiedBy(Labelled):
    """A record the portal already keeps that satisfies an item when the school has one."""

    NOTHING = "", ""
    CHARTER = "charter", _l("The adopted charter")
    DECISION = "decision", _l("A published decision")
    MINUTES = "minutes", _l("Approved minutes")
    OUTCOME = "outcome", _l("A published consultation outcome")


class DisclosureRefusal(Reason):
    NATIONAL_ITEM = "national_item", _l("This item is on the national list: it cannot be removed.")
    NOTHING_TO_PUBLISH = (
        "nothing_to_publish",
        _l("Attach the PDF or write the text to publish for this item."),
        "text",
    )
    NOT_YOURS = "not_yours", _l("This item was added by another authority: only it can remove it.")
    ALREADY_PUBLISHED = "already_published", _l("This disclosure is already published.")
    FORMED_IN_FUTURE = (
        "formed_in_future",
        _l("The information cannot have been formed after today."),
        "formed_on",
    )


class DisclosureItem(db.Model):
    """One line of the catalogue: a national one (authority None, from the Ministry's list and the
    official standard catalogues) or one a district adds for its own schools."""

    __tablename__ = "disclosure_item"
    __table_args__ = (
        CheckConstraint(f"deadline_days > 0 AND deadline_days <= {DEADLINE_DAYS_MAX}", name="deadline_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_MAX), unique=True)
    # None: national, for every school, and nobody removes it. Else the district that added it.
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authority.id"), index=True)
    category: Mapped[DisclosureCategory] = mapped_column(str_enum(DisclosureCategory))
    position: Mapped[int] = mapped_column(default=0)
    title_zh: Mapped[str] = mapped_column(String(TITLE_MAX))
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX))
    content_zh: Mapped[str] = mapped_column(String(CONTENT_MAX))  # 公开内容: what it must contain
    content_en: Mapped[str] = mapped_column(String(CONTENT_MAX))
    basis: Mapped[str] = mapped_column(String(BASIS_MAX))  # 公开依据, as the official list cites it
    deadline_days: Mapped[int] = mapped_column(default=DEFAULT_DEADLINE_DAYS)  # working days from "formed on"
    publisher: Mapped[Publisher] = mapped_column(str_enum(Publisher), default=Publisher.SCHOOL)
    audience: Mapped[DisclosureAudience] = mapped_column(
        str_enum(DisclosureAudience), default=DisclosureAudience.PUBLIC
    )
    satisfied_by: Mapped[SatisfiedBy] = mapped_column(str_enum(SatisfiedBy), default=SatisfiedBy.NOTHING)
    # Where the item comes from: the document's title, and its address when one was found.
    source_title: Mapped[str] = mapped_column(String(SOURCE_TITLE_MAX))
    source_url: Mapped[str] = mapped_column(String(SOURCE_URL_MAX), default="")
    removed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    authority: Mapped[Authority | None] = relationship()

    @property
    def is_national(self) -> bool:
        return self.authority_id is None

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_zh

    def content(self, language: str) -> str:
        return self.content_en if language == "en" else self.content_zh

    def applies_to(self, school: School) -> bool:
        return self.removed_at is None and (self.authority is None or self.authority.covers(school.authority))

    def remove(self, at: datetime) -> None:
        """A district's own item may go; a national one stays (DisclosureRefusal.NATIONAL_ITEM)."""
        if self.is_national:
            raise DomainError(DisclosureRefusal.NATIONAL_ITEM)
        self.removed_at = at

    def __repr__(self):
        return f"<DisclosureItem {self.code}>"


class DisclosureStatus(Labelled):
    DRAFT = "draft", _l("Draft")
    PUBLISHED = "published", _l("Published")


class SchoolDisclosure(db.Model):
    """What a school published (or is preparing) against an item: a PDF archived through the
    documents pipeline, a short text, or both; with the day the information was formed, from
    which the deadline counts. Each publication is a row of its own: the latest one counts."""

    __tablename__ = "school_disclosure"
    __table_args__ = (
        Index("ix_school_disclosure_school_item_status", "school_id", "item_id", "status"),
        CheckConstraint("status = 'draft' OR published_at IS NOT NULL", name="published_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("disclosure_item.id"), index=True)
    status: Mapped[DisclosureStatus] = mapped_column(str_enum(DisclosureStatus), default=DisclosureStatus.DRAFT)
    formed_on: Mapped[date]
    text: Mapped[str] = mapped_column(Text, default="")
    document_sha256: Mapped[str | None] = mapped_column(ForeignKey("document.sha256"))
    published_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    school: Mapped[School] = relationship()
    item: Mapped[DisclosureItem] = relationship()
    document: Mapped["Document | None"] = relationship()
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])

    @property
    def is_published(self) -> bool:
        return self.status == DisclosureStatus.PUBLISHED

    def publish(self, at: datetime) -> None:
        """Draft → published, once; it needs a text or a document (DisclosureRefusal)."""
        if self.is_published:
            raise DomainError(DisclosureRefusal.ALREADY_PUBLISHED)
        if not self.text.strip() and self.document_sha256 is None:
            raise DomainError(DisclosureRefusal.NOTHING_TO_PUBLISH)
        self.status, self.published_at = DisclosureStatus.PUBLISHED, at


class ItemState(Labelled):
    PUBLISHED = "published", _l("Published")
    NOT_YET_DUE = "not_yet_due", _l("Not yet due")
    OVERDUE = "overdue", _l("Overdue")


@dataclass(frozen=True)
class ItemStatus:
    """Where a school stands on an item on a day, as every page, list and export shows it. Made by
    item_status() alone. `published_on` and `url` for a publication; `due_on` once the information
    is formed; `days_overdue` (working days past `due_on`) when overdue."""

    state: ItemState
    published_on: date | None = None
    due_on: date | None = None
    days_overdue: int = 0
    url: str | None = None
    sha256: str | None = None

    @property
    def value(self) -> str:
        return self.state.value

    @property
    def label(self) -> str:
        if self.state == ItemState.PUBLISHED and self.published_on:
            return str(_l("Published on %(date)s", date=format_date(self.published_on, "long")))
        if self.state == ItemState.OVERDUE:
            return ngettext(
                "Overdue by %(num)d working day",
                "Overdue by %(num)d working days",
                self.days_overdue,
            )
        if self.due_on is not None:
            return str(_l("Not yet due (due by %(date)s)", date=format_date(self.due_on, "long")))
        return str(ItemState.NOT_YET_DUE.label)

    def __str__(self) -> str:
        return self.label


def item_status(
    item: DisclosureItem,
    latest: SchoolDisclosure | None,
    today: date,
    calendar: "WorkingCalendar",
    *,
    record: tuple[date, str] | None = None,
) -> ItemStatus:
    """The one rule for an item at a school on `today`:

    - published when the latest disclosure is published, or a record the portal keeps satisfies
      the item (`record`: its date and address);
    - else, when the information is formed (a draft gives its "formed on" date), it is due
      `item.deadline_days` working days after that date (the day itself not counted, as the
      official 信息形成之日起20个工作日内 counts), and overdue once at least one working day has
      passed after the due date (so the Saturday after a Friday deadline is not yet "overdue by
      0 days"); the lateness counts in working days, holidays and the commission's overrides
      included;
    - else (nothing recorded yet) not yet due.
    """
    if latest is not None and latest.is_published:
        return ItemStatus(
            ItemState.PUBLISHED,
            published_on=latest.published_at and local_date(latest.published_at),
            sha256=latest.document_sha256,
        )
    if record is not None:
        return ItemStatus(ItemState.PUBLISHED, published_on=record[0], url=record[1])
    if latest is None:
        return ItemStatus(ItemState.NOT_YET_DUE)
    due_on = calendar.after(latest.formed_on, item.deadline_days)
    late = calendar.between(due_on, today)
    if late >= 1:
        return ItemStatus(ItemState.OVERDUE, due_on=due_on, days_overdue=late)
    return ItemStatus(ItemState.NOT_YET_DUE, due_on=due_on)
