"""The disclosure checklist's rules: which items apply to a school, where it stands on each (one
query per kind of record, never one per item), publishing against an item, and the figures for
the commission's overview and the oversight dashboard."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import url_for
from sqlalchemy import func, or_, select

from portal import audit, workdays
from portal.charters.models import CharterStatus, CharterVersion
from portal.clock import local_date, utcnow
from portal.consultations.models import Consultation, ConsultationStatus
from portal.decisions.models import Decision, DecisionStatus
from portal.disclosure.models import (
    DisclosureCategory,
    DisclosureItem,
    DisclosureRefusal,
    DisclosureStatus,
    ItemState,
    ItemStatus,
    Publisher,
    SatisfiedBy,
    SchoolDisclosure,
    item_status,
)
from portal.documents import services as documents
from portal.documents.models import DocumentKind
from portal.domain import DomainError
from portal.extensions import db
from portal.meetings.models import Meeting, MinutesStatus
from portal.schools.models import Authority, School


def items_for(school: School) -> list[DisclosureItem]:
    """The items the school itself must publish: the national ones and those its district (or
    the city above it) added, in catalogue order."""
    authorities = _authority_chain(school.authority)
    query = (
        select(DisclosureItem)
        .where(
            DisclosureItem.removed_at.is_(None),
            DisclosureItem.publisher == Publisher.SCHOOL,
            or_(DisclosureItem.authority_id.is_(None), DisclosureItem.authority_id.in_([a.id for a in authorities])),
        )
        .order_by(DisclosureItem.category, DisclosureItem.position, DisclosureItem.id)
    )
    order = list(DisclosureCategory)
    return sorted(db.session.scalars(query), key=lambda item: (order.index(item.category), item.position, item.id))


def _authority_chain(authority: Authority) -> list[Authority]:
    chain = []
    while authority is not None:
        chain.append(authority)
        authority = authority.parent
    return chain


def latest_disclosures(school_ids: list[int]) -> dict[tuple[int, int], SchoolDisclosure]:
    """The latest disclosure (draft or published) of each (school, item): the newest row counts."""
    if not school_ids:
        return {}
    newest = (
        select(func.max(SchoolDisclosure.id))
        .where(SchoolDisclosure.school_id.in_(school_ids))
        .group_by(SchoolDisclosure.school_id, SchoolDisclosure.item_id)
    )
    rows = db.session.scalars(select(SchoolDisclosure).where(SchoolDisclosure.id.in_(newest)))
    return {(row.school_id, row.item_id): row for row in rows}


def _latest_by_school(query) -> dict[int, tuple]:
    found = {}
    for school_id, *rest in db.session.execute(query):
        found.setdefault(school_id, tuple(rest))
    return found


def satisfying_records(school_ids: list[int]) -> dict[tuple[int, SatisfiedBy], tuple[date, str]]:
    """For each school, the latest record of each kind the portal keeps that satisfies an item:
    (its date on the schools' calendar, its address). One query per kind."""
    if not school_ids:
        return {}
    found: dict[tuple[int, SatisfiedBy], tuple[date, str]] = {}
    charters = _latest_by_school(
        select(CharterVersion.school_id, CharterVersion.adopted_on, School.slug)
        .join(School, School.id == CharterVersion.school_id)
        .where(
            CharterVersion.school_id.in_(school_ids),
            CharterVersion.status == CharterStatus.ADOPTED,
            CharterVersion.adopted_on.is_not(None),
        )
        .order_by(CharterVersion.school_id, CharterVersion.number.desc())
    )
    for school_id, (adopted_on, slug) in charters.items():
        found[(school_id, SatisfiedBy.CHARTER)] = (adopted_on, url_for("charters.current", slug=slug))
    decisions = _latest_by_school(
        select(Decision.school_id, Decision.published_at, Decision.id)
        .where(
            Decision.school_id.in_(school_ids),
            Decision.status != DecisionStatus.DRAFT,
            Decision.published_at.is_not(None),
        )
        .order_by(Decision.school_id, Decision.published_at.desc())
    )
    for school_id, (published_at, ident) in decisions.items():
        found[(school_id, SatisfiedBy.DECISION)] = (
            local_date(published_at),
            url_for("decisions.show", decision_id=ident),
        )
    minutes = _latest_by_school(
        select(Meeting.school_id, Meeting.minutes_approved_at, Meeting.id)
        .where(
            Meeting.school_id.in_(school_ids),
            Meeting.minutes_status == MinutesStatus.APPROVED,
            Meeting.minutes_approved_at.is_not(None),
        )
        .order_by(Meeting.school_id, Meeting.minutes_approved_at.desc())
    )
    for school_id, (approved_at, ident) in minutes.items():
        found[(school_id, SatisfiedBy.MINUTES)] = (local_date(approved_at), url_for("meetings.show", meeting_id=ident))
    outcomes = _latest_by_school(
        select(Consultation.school_id, Consultation.outcome_published_at, Consultation.id)
        .where(
            Consultation.school_id.in_(school_ids),
            Consultation.status == ConsultationStatus.OUTCOME_PUBLISHED,
            Consultation.outcome_published_at.is_not(None),
        )
        .order_by(Consultation.school_id, Consultation.outcome_published_at.desc())
    )
    for school_id, (published_at, ident) in outcomes.items():
        found[(school_id, SatisfiedBy.OUTCOME)] = (
            local_date(published_at),
            url_for("consultations.show", consultation_id=ident),
        )
    return found


@dataclass
class ChecklistRow:
    item: DisclosureItem
    status: ItemStatus
    disclosure: SchoolDisclosure | None


@dataclass
class Checklist:
    school: School
    rows: list[ChecklistRow]
    by_category: dict = field(default_factory=dict)

    def count(self, state: ItemState) -> int:
        return sum(1 for row in self.rows if row.status.state == state)

    @property
    def published(self) -> int:
        return self.count(ItemState.PUBLISHED)

    @property
    def overdue(self) -> int:
        return self.count(ItemState.OVERDUE)

    @property
    def completeness(self) -> float | None:
        """Published items as a share of the items that apply (None when none apply)."""
        return self.published / len(self.rows) if self.rows else None

    def category_completeness(self, category: DisclosureCategory) -> float | None:
        rows = [row for row in self.rows if row.item.category == category]
        if not rows:
            return None
        return sum(1 for row in rows if row.status.state == ItemState.PUBLISHED) / len(rows)


def checklists(schools: list[School], today: date) -> list[Checklist]:
    """Where each school stands on each of its items on `today` (a fixed number of queries)."""
    ids = [school.id for school in schools]
    latest = latest_disclosures(ids)
    records = satisfying_records(ids)
    calendar = workdays.calendar()
    items_by_authority: dict[int, list[DisclosureItem]] = {}
    result = []
    for school in schools:
        if school.authority_id not in items_by_authority:
            items_by_authority[school.authority_id] = items_for(school)
        rows = []
        for item in items_by_authority[school.authority_id]:
            disclosure = latest.get((school.id, item.id))
            record = records.get((school.id, item.satisfied_by)) if item.satisfied_by else None
            status = item_status(item, disclosure, today, calendar, record=record)
            if status.state == ItemState.PUBLISHED and disclosure is not None and disclosure.is_published:
                status = ItemStatus(
                    status.state,
                    published_on=status.published_on,
                    url=url_for("disclosure.published", slug=school.slug, disclosure_id=disclosure.id),
                    sha256=disclosure.document_sha256,
                )
            rows.append(ChecklistRow(item, status, disclosure))
        result.append(Checklist(school, rows))
    return result


def checklist(school: School, today: date) -> Checklist:
    return checklists([school], today)[0]


def published_disclosure(school: School, disclosure_id: int) -> SchoolDisclosure | None:
    return db.session.scalar(
        select(SchoolDisclosure).where(
            SchoolDisclosure.id == disclosure_id,
            SchoolDisclosure.school_id == school.id,
            SchoolDisclosure.status == DisclosureStatus.PUBLISHED,
        )
    )


def published_disclosure_by_id(disclosure_id: int) -> SchoolDisclosure | None:
    """A published disclosure (for /verify: what a document records); None for a draft."""
    disclosure = db.session.get(SchoolDisclosure, disclosure_id)
    return disclosure if disclosure is not None and disclosure.is_published else None


def item_for_school(school: School, item_id: int) -> DisclosureItem | None:
    """The item, if it is one the school must publish (else None: 404)."""
    item = db.session.get(DisclosureItem, item_id)
    if item is None or item.publisher != Publisher.SCHOOL or not item.applies_to(school):
        return None
    return item


def current_draft(school: School, item: DisclosureItem) -> SchoolDisclosure | None:
    latest = latest_disclosures([school.id]).get((school.id, item.id))
    return latest if latest is not None and not latest.is_published else None


def history(school: School, item: DisclosureItem) -> list[SchoolDisclosure]:
    return list(
        db.session.scalars(
            select(SchoolDisclosure)
            .where(SchoolDisclosure.school_id == school.id, SchoolDisclosure.item_id == item.id)
            .order_by(SchoolDisclosure.id.desc())
        )
    )


def _check_formed_on(formed_on: date, today: date) -> None:
    if formed_on > today:
        raise DomainError(DisclosureRefusal.FORMED_IN_FUTURE)


def save_draft(actor, school: School, item: DisclosureItem, data: dict, *, today: date) -> SchoolDisclosure:
    """Record (or update) the school's draft for `item`: the day the information was formed,
    from which the deadline counts, and its text so far. Audited; flushes."""
    _check_formed_on(data["formed_on"], today)
    draft = current_draft(school, item)
    before = None
    if draft is None:
        draft = SchoolDisclosure(
            school=school, item=item, formed_on=data["formed_on"], created_by_id=getattr(actor, "id", None)
        )
        db.session.add(draft)
    else:
        before = {"formed_on": draft.formed_on.isoformat(), "text": draft.text}
    draft.formed_on, draft.text = data["formed_on"], data.get("text") or ""
    db.session.flush()
    audit.record(
        actor,
        "disclosure.save_draft",
        draft,
        school_id=school.id,
        item=item.code,
        before=before,
        after={"formed_on": draft.formed_on.isoformat(), "text": draft.text},
    )
    return draft


def publish_disclosure(
    actor, school: School, item: DisclosureItem, data: dict, *, pdf_bytes: bytes | None, today: date
) -> SchoolDisclosure:
    """Publish against `item`: the draft (or a new record) takes the text and, when given, the
    PDF, which is signed, stored once by its SHA-256 and logged as every published document is;
    then it is marked published and audited, all in the caller's transaction. Flushes."""
    draft = save_draft(actor, school, item, data, today=today)
    if pdf_bytes:
        document = documents.archive_pdf(
            actor,
            kind=DocumentKind.DISCLOSURE,
            object_type="school_disclosure",
            object_id=draft.id,
            pdf_bytes=pdf_bytes,
            school_id=school.id,
        )
        draft.document_sha256 = document.sha256
    now = utcnow()
    draft.publish(now)
    draft.published_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        actor,
        "disclosure.publish",
        draft,
        school_id=school.id,
        item=item.code,
        sha256=draft.document_sha256,
        formed_on=draft.formed_on.isoformat(),
    )
    return draft


# --- the commission's overview ------------------------------------------------------------


def schools_overseen(authorities: list[Authority]) -> list[School]:
    """Every school under any of `authorities` (each with its subtree)."""
    if not authorities:
        return []
    schools = db.session.scalars(select(School).order_by(School.name_sort, School.id))
    return [school for school in schools if any(a.covers(school.authority) for a in authorities)]


SORTS = ("overdue", "completeness", "name")


def overview(schools: list[School], today: date, sort: str = "overdue") -> list[Checklist]:
    """The schools' checklists, sorted: most overdue items first (then least complete), least
    complete first, or by name."""
    lists = checklists(schools, today)
    if sort == "completeness":
        return sorted(lists, key=lambda c: (c.completeness if c.completeness is not None else 2, -c.overdue))
    if sort == "name":
        return sorted(lists, key=lambda c: (c.school.name_sort, c.school.id))
    return sorted(lists, key=lambda c: (-c.overdue, c.completeness if c.completeness is not None else 2))


def overall_completeness(lists: list[Checklist]) -> float | None:
    """Published items over all items of all the schools (each item of each school counts once)."""
    total = sum(len(c.rows) for c in lists)
    return sum(c.published for c in lists) / total if total else None


def overdue_by_category(lists: list[Checklist]) -> dict[DisclosureCategory, int]:
    counts: dict[DisclosureCategory, int] = defaultdict(int)
    for c in lists:
        for row in c.rows:
            if row.status.state == ItemState.OVERDUE:
                counts[row.item.category] += 1
    return counts


def as_of(moment: datetime | None) -> date | None:
    return local_date(moment) if moment else None


# --- a district's own items ---------------------------------------------------------------------


def catalogue_of(authority: Authority) -> list[DisclosureItem]:
    """The items that apply under `authority`: the national ones and those it or an authority
    above it added (not removed), in catalogue order."""
    chain = [a.id for a in _authority_chain(authority)]
    query = select(DisclosureItem).where(
        DisclosureItem.removed_at.is_(None),
        or_(DisclosureItem.authority_id.is_(None), DisclosureItem.authority_id.in_(chain)),
    )
    order = list(DisclosureCategory)
    return sorted(db.session.scalars(query), key=lambda item: (order.index(item.category), item.position, item.id))


def add_item(actor, authority: Authority, data: dict) -> DisclosureItem:
    """A district's (or the city's) own item, for the schools under it. Audited; flushes."""
    position = db.session.scalar(select(func.coalesce(func.max(DisclosureItem.position), 0))) + 1
    item = DisclosureItem(
        code=f"local-{authority.id}-{position}",
        authority_id=authority.id,
        category=DisclosureCategory(data["category"]),
        position=position,
        title_zh=data["title_zh"],
        title_en=data["title_en"],
        content_zh=data["content_zh"],
        content_en=data["content_en"],
        basis=data["basis"],
        deadline_days=data["deadline_days"],
        audience=data["audience"],
        source_title=data["source_title"],
    )
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "disclosure.add_item", item, authority_id=authority.id, code=item.code, title=item.title_zh)
    return item


CATALOGUE_FIELDS = (
    "category",
    "title_zh",
    "title_en",
    "content_zh",
    "content_en",
    "basis",
    "deadline_days",
    "audience",
    "source_title",
)


def edit_item(actor, item: DisclosureItem, data: dict) -> None:
    """Change an area's own item (the caller checked "edit_disclosure_item": never a national
    one). The audit record keeps what each changed field said before and after. Flushes."""
    before = {name: str(getattr(item, name)) for name in CATALOGUE_FIELDS}
    item.category = DisclosureCategory(data["category"])
    for name in CATALOGUE_FIELDS[1:]:
        setattr(item, name, data[name])
    after = {name: str(getattr(item, name)) for name in CATALOGUE_FIELDS}
    changed = [name for name in CATALOGUE_FIELDS if before[name] != after[name]]
    db.session.flush()
    audit.record(
        actor,
        "disclosure.edit_item",
        item,
        authority_id=item.authority_id,
        code=item.code,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )


def remove_item(actor, authority: Authority, item: DisclosureItem) -> None:
    """Remove an item `authority` or an authority under it added. A national item refuses
    (DisclosureRefusal.NATIONAL_ITEM); what was published against a removed item stays published.
    Audited; flushes."""
    if item.authority is not None and not authority.covers(item.authority):
        raise DomainError(DisclosureRefusal.NOT_YOURS)
    item.remove(utcnow())
    db.session.flush()
    audit.record(actor, "disclosure.remove_item", item, authority_id=authority.id, code=item.code)
