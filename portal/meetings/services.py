"""Governing bodies, their members and their meetings: the rules, the audit trail, and the
queries that serve the pages.

Services flush and never commit: the caller commits once, so an audit event and the change it
describes are saved together or not at all. Business rules refuse with portal.domain.DomainError;
its `reason` is a member of MeetingRefusal (models.py), which carries the message and its field:

- TERM_ORDER: a term ends before it starts;
- SEAT_OVERLAP: the same person (linked account, or name) would hold two seats in one body at once;
- UNKNOWN_ACCOUNT: no account has the email given to link a member to;
- UNKNOWN_BODY: the body is not one of this school's;
- NOT_A_MEMBER: attendance for someone who is not a member of the body on the meeting's date;
- UNKNOWN_AGENDA_ITEM: an agenda item that is not on this meeting's agenda;
- AGENDA_CHANGED: someone else changed the agenda at the same moment;
- MINUTES_APPROVED: the meeting's minutes are approved, so its record no longer changes;
- MINUTES_EMPTY: there are no minutes to approve.

Approving the minutes also publishes them: the record of the meeting is rendered to PDF, signed
and archived (portal.documents) in the same transaction.
"""

import functools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, and_, bindparam, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal import audit, events
from portal.accounts.models import User, normalize_email
from portal.clock import local_date, local_time, utcnow
from portal.documents import render
from portal.documents.models import DocumentKind
from portal.documents.render import body_fingerprint, verify_url
from portal.documents.services import archive_pdf
from portal.domain import DomainError
from portal.extensions import db
from portal.meetings.models import (
    AgendaItem,
    Attendance,
    BodyKind,
    BodyMember,
    Constituency,
    GoverningBody,
    Meeting,
    MeetingRefusal,
    Position,
)
from portal.schools.models import School
from portal.text import render_markdown

# A meeting has no end time of its own: calendars show it as lasting this long.
DEFAULT_MEETING_DURATION = timedelta(hours=2)
# The calendar feed carries every upcoming meeting and those of this many days past.
CALENDAR_PAST_DAYS = 90
CALENDAR_MAX_EVENTS = 500
PAST_MEETINGS_PER_PAGE = 20
UPCOMING_MEETINGS_MAX = 50

# Members are listed chair first, then vice chairs, the secretary and members, each by name.
_POSITION_ORDER = case(
    {Position.CHAIR.value: 0, Position.VICE_CHAIR.value: 1, Position.SECRETARY.value: 2},
    value=BodyMember.position,
    else_=3,
)


# --- loading ------------------------------------------------------------------------------


def bodies_of_school(school: School) -> list[GoverningBody]:
    return list(
        db.session.scalars(select(GoverningBody).where(GoverningBody.school_id == school.id).order_by(GoverningBody.id))
    )


def body_in_school(school: School, body_id: int) -> GoverningBody | None:
    """The body with this id if it belongs to `school`; None otherwise (out of scope: 404)."""
    return db.session.scalar(
        select(GoverningBody).where(GoverningBody.id == body_id, GoverningBody.school_id == school.id)
    )


def member_in_body(body: GoverningBody, member_id: int) -> BodyMember | None:
    return db.session.scalar(
        select(BodyMember)
        .where(BodyMember.id == member_id, BodyMember.body_id == body.id)
        .options(joinedload(BodyMember.user))
    )


def meeting_by_id(meeting_id: int) -> Meeting | None:
    """A meeting with what its public page shows: body, school, agenda, attendance."""
    return db.session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .options(
            joinedload(Meeting.body),
            joinedload(Meeting.school).joinedload(School.authority),
            selectinload(Meeting.agenda_items),
            selectinload(Meeting.attendance),
        )
    )


def meeting_in_school(school: School, meeting_id: int, *, for_update: bool = False) -> Meeting | None:
    """The meeting with this id if it belongs to `school`. With `for_update`, the row stays
    locked until the transaction ends (PostgreSQL), so that two people approving and editing
    the minutes at the same moment are served one after the other, never interleaved: approved
    minutes cannot be overwritten by an edit that read them while they were a draft."""
    statement = select(Meeting).where(Meeting.id == meeting_id, Meeting.school_id == school.id)
    if for_update:
        # populate_existing: the locked row as it is now, not as this session may have cached it.
        statement = statement.with_for_update(of=Meeting).execution_options(populate_existing=True)
    return db.session.scalar(statement.options(joinedload(Meeting.body), selectinload(Meeting.agenda_items)))


def _current(statement, on: date):
    return statement.where(BodyMember.term_start <= on, or_(BodyMember.term_end.is_(None), BodyMember.term_end >= on))


def _with_accounts(statement, with_accounts: bool):
    return statement.options(selectinload(BodyMember.user)) if with_accounts else statement


def current_members(body: GoverningBody, on: date, *, with_accounts: bool = False) -> list[BodyMember]:
    """Members whose term covers `on`, chair first (with their linked accounts, if asked)."""
    statement = _current(select(BodyMember).where(BodyMember.body_id == body.id), on)
    statement = statement.order_by(_POSITION_ORDER, BodyMember.name, BodyMember.id)
    return list(db.session.scalars(_with_accounts(statement, with_accounts)))


def former_members(body: GoverningBody, on: date, *, with_accounts: bool = False) -> list[BodyMember]:
    """Members whose term ended before `on`, the most recent first."""
    statement = (
        select(BodyMember)
        .where(BodyMember.body_id == body.id, BodyMember.term_end < on)
        .order_by(BodyMember.term_end.desc(), BodyMember.name, BodyMember.id)
    )
    return list(db.session.scalars(_with_accounts(statement, with_accounts)))


def former_member_count(body: GoverningBody, on: date) -> int:
    return db.session.scalar(
        select(func.count()).select_from(BodyMember).where(BodyMember.body_id == body.id, BodyMember.term_end < on)
    )


def future_members(body: GoverningBody, on: date, *, with_accounts: bool = False) -> list[BodyMember]:
    """Members whose term has not started yet (for the management page)."""
    statement = (
        select(BodyMember)
        .where(BodyMember.body_id == body.id, BodyMember.term_start > on)
        .order_by(BodyMember.term_start, _POSITION_ORDER, BodyMember.name)
    )
    return list(db.session.scalars(_with_accounts(statement, with_accounts)))


def members_for_meeting(meeting: Meeting) -> list[BodyMember]:
    """The members of the meeting's body whose term covers the meeting's date: those whose
    attendance is recorded."""
    return current_members(meeting.body, local_date(meeting.starts_at))


@functools.cache
def _bodies_with_current_members_query() -> Select:
    # Built once, run with the school's id and the day: the school's page runs it on every visit
    # (charters.services._school_with_charter_query says why).
    today = bindparam("today")
    current = and_(
        BodyMember.body_id == GoverningBody.id,
        BodyMember.term_start <= today,
        or_(BodyMember.term_end.is_(None), BodyMember.term_end >= today),
    )
    return (
        select(GoverningBody, BodyMember)
        .outerjoin(BodyMember, current)
        .where(GoverningBody.school_id == bindparam("school_id"))
        .order_by(GoverningBody.id, _POSITION_ORDER, BodyMember.name, BodyMember.id)
    )


def bodies_with_current_members(school: School, today: date) -> list[tuple[GoverningBody, list[BodyMember]]]:
    """Every body of `school` with its members on `today` (chair first). One query (the bodies
    joined to their current members), however many bodies and members there are."""
    rows = db.session.execute(_bodies_with_current_members_query(), {"school_id": school.id, "today": today})
    members: dict[GoverningBody, list[BodyMember]] = {}
    for body, member in rows:
        members.setdefault(body, [])
        if member is not None:
            members[body].append(member)
    return list(members.items())


@functools.cache
def _meetings_for_school_page_query(upcoming: int, recent: int) -> Select:
    # Built once, run with the school's id and the time: the school's page runs it on every visit
    # (charters.services._school_with_charter_query says why).
    of_school = Meeting.school_id == bindparam("school_id")
    now = bindparam("now")
    coming = (
        select(Meeting.id)
        .where(of_school, Meeting.starts_at >= now)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(upcoming)
    )
    past = (
        select(Meeting.id)
        .where(of_school, Meeting.starts_at < now)
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(recent)
    )
    return select(Meeting).where(or_(Meeting.id.in_(coming), Meeting.id.in_(past))).options(joinedload(Meeting.body))


def meetings_for_school_page(
    school: School, now: datetime, upcoming: int = 3, recent: int = 3
) -> tuple[list[Meeting], list[Meeting]]:
    """The next `upcoming` meetings (soonest first) and the last `recent` ones (latest first),
    each with its body. One query: the ids of each side chosen in a subquery."""
    query = _meetings_for_school_page_query(upcoming, recent)
    found = db.session.scalars(query, {"school_id": school.id, "now": now}).all()
    soonest = sorted((m for m in found if m.starts_at >= now), key=lambda m: (m.starts_at, m.id))
    latest = sorted((m for m in found if m.starts_at < now), key=lambda m: (m.starts_at, m.id), reverse=True)
    return soonest, latest


def upcoming_meetings(
    school: School, now: datetime, *, body: GoverningBody | None = None, limit: int = UPCOMING_MEETINGS_MAX
):
    statement = select(Meeting).where(Meeting.school_id == school.id, Meeting.starts_at >= now)
    if body is not None:
        statement = statement.where(Meeting.body_id == body.id)
    return list(
        db.session.scalars(
            statement.options(joinedload(Meeting.body)).order_by(Meeting.starts_at, Meeting.id).limit(limit)
        )
    )


def past_meetings(
    school: School,
    now: datetime,
    *,
    body: GoverningBody | None = None,
    page: int = 1,
    per_page: int = PAST_MEETINGS_PER_PAGE,
):
    """Past meetings, latest first, a page at a time (Flask-SQLAlchemy's Pagination)."""
    statement = select(Meeting).where(Meeting.school_id == school.id, Meeting.starts_at < now)
    if body is not None:
        statement = statement.where(Meeting.body_id == body.id)
    statement = statement.options(joinedload(Meeting.body)).order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    return db.paginate(statement, page=page, per_page=per_page, error_out=False, count=True)


def meetings_for_calendar(school: School, now: datetime) -> list[Meeting]:
    """Upcoming meetings and those of the last CALENDAR_PAST_DAYS days, with body and agenda."""
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.school_id == school.id, Meeting.starts_at >= now - timedelta(days=CALENDAR_PAST_DAYS))
            .options(joinedload(Meeting.body), selectinload(Meeting.agenda_items))
            .order_by(Meeting.starts_at, Meeting.id)
            .limit(CALENDAR_MAX_EVENTS)
        )
    )


# --- bodies and members -------------------------------------------------------------------


def create_body(actor, school: School, data: dict) -> GoverningBody:
    """Add a governing body to `school`. `data`: kind, name, description."""
    body = GoverningBody(
        school=school,
        kind=BodyKind(data["kind"]),
        name=data["name"].strip(),
        description=(data.get("description") or "").strip(),
    )
    db.session.add(body)
    db.session.flush()
    audit.record(actor, "body.create", body, school_id=school.id, kind=body.kind.value, name=body.name)
    return body


def update_body(actor, body: GoverningBody, data: dict) -> dict:
    """Change a body's kind, name or description; audits what changed. Returns the changes."""
    new_values = {
        "kind": BodyKind(data["kind"]),
        "name": data["name"].strip(),
        "description": (data.get("description") or "").strip(),
    }
    changes = _apply(body, new_values)
    if changes:
        db.session.flush()
        audit.record(actor, "body.update", body, school_id=body.school_id, changes=changes)
    return changes


def _apply(obj, new_values: dict) -> dict:
    changes = {}
    for field, new in new_values.items():
        old = getattr(obj, field)
        if new != old:
            changes[field] = {"before": _plain(old), "after": _plain(new)}
            setattr(obj, field, new)
    return changes


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value.value if hasattr(value, "value") else value


def _same_person(name: str):
    """Names are compared without case or surrounding space: "王芳" and " 王芳 " are one person."""
    return func.lower(func.trim(BodyMember.name)) == name.strip().lower()


def _check_seat(
    body: GoverningBody,
    *,
    name: str,
    user_id: int | None,
    term_start: date,
    term_end: date | None,
    member_id: int | None = None,
):
    """Refuse a term that ends before it starts, and a second seat for the same person in the
    same body while their terms overlap (a person holds one position in a body at a time)."""
    if term_end is not None and term_end < term_start:
        raise DomainError(MeetingRefusal.TERM_ORDER)
    person = _same_person(name) if user_id is None else or_(_same_person(name), BodyMember.user_id == user_id)
    overlapping = (
        select(func.count())
        .select_from(BodyMember)
        .where(
            BodyMember.body_id == body.id,
            person,
            or_(BodyMember.term_end.is_(None), BodyMember.term_end >= term_start),
        )
    )
    if term_end is not None:
        overlapping = overlapping.where(BodyMember.term_start <= term_end)
    if member_id is not None:
        overlapping = overlapping.where(BodyMember.id != member_id)
    if db.session.scalar(overlapping):
        raise DomainError(MeetingRefusal.SEAT_OVERLAP)


def find_account(email: str | None) -> User | None:
    """The account to link a member to, by its email; None when no email is given. Raises
    MeetingRefusal.UNKNOWN_ACCOUNT when an email is given but no account has it."""
    email = normalize_email(email or "")
    if not email:
        return None
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        raise DomainError(MeetingRefusal.UNKNOWN_ACCOUNT)
    return user


def _member_values(data: dict) -> dict:
    user = find_account(data.get("account_email"))
    return {
        "name": data["name"].strip(),
        "user_id": user.id if user else None,
        "position": Position(data["position"]),
        "constituency": Constituency(data["constituency"]),
        "term_start": data["term_start"],
        "term_end": data.get("term_end"),
    }


def add_member(actor, body: GoverningBody, data: dict) -> BodyMember:
    """Seat a person on `body` for a term. `data`: name, account_email (optional: links the
    seat to that account), position, constituency, term_start, term_end (optional).
    Raises MeetingRefusal TERM_ORDER, SEAT_OVERLAP or UNKNOWN_ACCOUNT."""
    values = _member_values(data)
    _check_seat(body, **{k: values[k] for k in ("name", "user_id", "term_start", "term_end")})
    member = BodyMember(body=body, **values)
    db.session.add(member)
    db.session.flush()
    audit.record(
        actor,
        "member.add",
        member,
        school_id=body.school_id,
        body_id=body.id,
        name=member.name,
        user_id=member.user_id,
        position=member.position.value,
        constituency=member.constituency.value,
        term_start=member.term_start.isoformat(),
        term_end=member.term_end.isoformat() if member.term_end else None,
    )
    return member


def update_member(actor, member: BodyMember, data: dict) -> dict:
    """Correct a seat (the same fields as add_member); audits what changed. The same rules apply."""
    values = _member_values(data)
    _check_seat(
        member.body, member_id=member.id, **{k: values[k] for k in ("name", "user_id", "term_start", "term_end")}
    )
    changes = _apply(member, values)
    if changes:
        db.session.flush()
        audit.record(
            actor, "member.update", member, school_id=member.body.school_id, body_id=member.body_id, changes=changes
        )
    return changes


def end_member_term(actor, member: BodyMember, end: date) -> None:
    """End a seat on `end` (the last day served). The member stays on record as a former member.
    Raises MeetingRefusal.TERM_ORDER for a day before the term started, END_AFTER_TERM for a day
    after the term's end (that would lengthen it)."""
    if end < member.term_start:
        raise DomainError(MeetingRefusal.TERM_ORDER)
    if member.term_end is not None and end > member.term_end:
        raise DomainError(MeetingRefusal.END_AFTER_TERM)
    before = member.term_end
    member.term_end = end
    db.session.flush()
    audit.record(
        actor,
        "member.end_term",
        member,
        school_id=member.body.school_id,
        body_id=member.body_id,
        before=before.isoformat() if before else None,
        after=end.isoformat(),
    )


# --- meetings -----------------------------------------------------------------------------


def _refuse_if_approved(meeting: Meeting) -> None:
    if meeting.minutes_approved:
        raise DomainError(MeetingRefusal.MINUTES_APPROVED)


def _body_for_meeting(school: School, body_id) -> GoverningBody:
    body = body_in_school(school, body_id)
    if body is None:
        raise DomainError(MeetingRefusal.UNKNOWN_BODY)
    return body


def create_meeting(actor, school: School, data: dict) -> Meeting:
    """Schedule a meeting of one of `school`'s bodies. `data`: body_id, title, starts_at (an
    aware datetime), place. Raises MeetingRefusal.UNKNOWN_BODY for a body of another school."""
    body = _body_for_meeting(school, data.get("body_id"))
    meeting = Meeting(
        body=body,
        school=school,
        title=data["title"].strip(),
        starts_at=data["starts_at"].astimezone(UTC),
        place=(data.get("place") or "").strip(),
    )
    db.session.add(meeting)
    db.session.flush()
    audit.record(
        actor,
        "meeting.create",
        meeting,
        school_id=school.id,
        body_id=body.id,
        title=meeting.title,
        starts_at=meeting.starts_at.isoformat(),
        place=meeting.place,
    )
    return meeting


def update_meeting(actor, meeting: Meeting, data: dict) -> dict:
    """Change a meeting's body, title, time or place; audits what changed. Refused once its
    minutes are approved (they record the meeting as it was)."""
    _refuse_if_approved(meeting)
    body = _body_for_meeting(meeting.school, data.get("body_id"))
    changes = _apply(
        meeting,
        {
            "title": data["title"].strip(),
            "starts_at": data["starts_at"].astimezone(UTC),
            "place": (data.get("place") or "").strip(),
        },
    )
    if body.id != meeting.body_id:
        changes["body"] = {"before": meeting.body.name, "after": body.name}
        meeting.body = body
        meeting.attendance.clear()  # it was recorded for the members of the other body
    if changes:
        db.session.flush()
        audit.record(actor, "meeting.update", meeting, school_id=meeting.school_id, changes=changes)
    return changes


def _agenda_titles(meeting: Meeting) -> list[str]:
    return [item.title for item in meeting.agenda_items]


def _agenda_changed(actor, meeting: Meeting, **data) -> None:
    # The calendar feed carries the agenda: its DTSTAMP (the meeting's updated_at) must move too.
    meeting.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "meeting.agenda", meeting, school_id=meeting.school_id, agenda=_agenda_titles(meeting), **data)


def _renumber(meeting: Meeting, items: list[AgendaItem]) -> None:
    """Give `items` the positions 1, 2, 3… in this order. In two steps, through negative
    numbers, because (meeting, position) is unique at every moment, not only at the end."""
    for index, item in enumerate(items, start=1):
        item.position = -index
    db.session.flush()
    for index, item in enumerate(items, start=1):
        item.position = index
    db.session.flush()
    meeting.agenda_items.sort(key=lambda item: item.position)  # the loaded list, in the new order


def add_agenda_item(actor, meeting: Meeting, title: str) -> AgendaItem:
    """Add an item at the end of the agenda. Raises MeetingRefusal.MINUTES_APPROVED, or
    AGENDA_CHANGED when someone else added an item at the same moment."""
    _refuse_if_approved(meeting)
    position = max((item.position for item in meeting.agenda_items), default=0) + 1
    item = AgendaItem(position=position, title=title.strip())
    try:
        with db.session.begin_nested():
            meeting.agenda_items.append(item)
            db.session.flush()
    except IntegrityError:
        raise DomainError(MeetingRefusal.AGENDA_CHANGED) from None
    _agenda_changed(actor, meeting, change="add", item=item.title)
    return item


def _agenda_item(meeting: Meeting, item_id) -> AgendaItem:
    item = next((item for item in meeting.agenda_items if item.id == item_id), None)
    if item is None:
        raise DomainError(MeetingRefusal.UNKNOWN_AGENDA_ITEM)
    return item


def move_agenda_item(actor, meeting: Meeting, item_id: int, direction: str) -> None:
    """Move an item one place "up" (earlier) or "down" (later). At either end it stays put.
    Raises MeetingRefusal MINUTES_APPROVED, or UNKNOWN_AGENDA_ITEM for an item not on this
    meeting's agenda."""
    _refuse_if_approved(meeting)
    item = _agenda_item(meeting, item_id)
    items = list(meeting.agenda_items)
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(items):
        return
    items[index], items[other] = items[other], items[index]
    _renumber(meeting, items)
    _agenda_changed(actor, meeting, change="move", item=item.title, direction=direction)


def remove_agenda_item(actor, meeting: Meeting, item_id: int) -> None:
    """Take an item off the agenda; those after it move up. Raises MeetingRefusal
    MINUTES_APPROVED, or UNKNOWN_AGENDA_ITEM for an item not on this meeting's agenda."""
    _refuse_if_approved(meeting)
    item = _agenda_item(meeting, item_id)
    meeting.agenda_items.remove(item)  # delete-orphan: the row goes
    db.session.flush()
    _renumber(meeting, list(meeting.agenda_items))
    _agenda_changed(actor, meeting, change="remove", item=item.title)


def record_attendance(actor, meeting: Meeting, presence: dict[int, bool | None], now: datetime | None = None) -> dict:
    """Record who was present (True) or absent (False); None forgets what was recorded.
    Only members of the body whose term covers the meeting's date can be recorded: any other
    id raises MeetingRefusal.NOT_A_MEMBER and nothing is changed; before the meeting has begun,
    MEETING_NOT_HELD. Returns the changes."""
    _refuse_if_approved(meeting)
    meeting.refuse_if_not_held(now or utcnow())
    eligible = {member.id: member for member in members_for_meeting(meeting)}
    if any(member_id not in eligible for member_id in presence):
        raise DomainError(MeetingRefusal.NOT_A_MEMBER)
    recorded = {row.member_id: row for row in meeting.attendance}
    changes = {}
    for member_id, present in presence.items():
        row = recorded.get(member_id)
        before = None if row is None else row.present
        if before == present:
            continue
        if present is None:
            meeting.attendance.remove(row)
        elif row is None:
            meeting.attendance.append(Attendance(member_id=member_id, present=present))
        else:
            row.present = present
        changes[eligible[member_id].name] = {"before": before, "after": present}
    if changes:
        db.session.flush()
        audit.record(actor, "meeting.attendance", meeting, school_id=meeting.school_id, changes=changes)
    return changes


def edit_minutes(actor, meeting: Meeting, minutes: str) -> bool:
    """Save the draft minutes (Markdown). Returns whether they changed.
    Raises MeetingRefusal.MINUTES_APPROVED once they are approved."""
    before = meeting.minutes
    meeting.edit_minutes(minutes.replace("\r\n", "\n").strip())
    if meeting.minutes == before:
        return False
    db.session.flush()
    audit.record(actor, "meeting.minutes_edit", meeting, school_id=meeting.school_id, length=len(meeting.minutes))
    return True


def approve_minutes(actor, meeting: Meeting, now: datetime | None = None) -> None:
    """Approve the minutes: from now on they are public and never change. The meeting's record
    (agenda, attendance, minutes) is rendered to PDF, signed and archived, and
    `minutes_document_sha256` set, in the caller's transaction. Raises MeetingRefusal
    MINUTES_APPROVED, MEETING_NOT_HELD or MINUTES_EMPTY (before anything is rendered); or the failure of
    rendering, signing or storing the PDF, and then the caller rolls back and nothing is approved."""
    meeting.approve_minutes(getattr(actor, "id", None), now or utcnow())
    db.session.flush()
    audit.record(actor, "meeting.minutes_approve", meeting, school_id=meeting.school_id, length=len(meeting.minutes))
    context = minutes_pdf_context(meeting)
    document = archive_pdf(
        actor,
        kind=DocumentKind.MINUTES,
        object_type="minutes",
        object_id=meeting.id,
        pdf_bytes=render.render_pdf("minutes", context),
        school_id=meeting.school_id,
        text_sha256=context["fingerprint"],
    )
    meeting.minutes_document_sha256 = document.sha256
    db.session.flush()
    events.emit("minutes.approved", meeting, actor)


def minutes_pdf_context(meeting: Meeting) -> dict:
    """The plain data the PDF of approved minutes is rendered from (CONVENTIONS.md §8)."""
    members = members_for_meeting(meeting)
    attendance = attendance_summary(meeting, members)
    return {
        "lang": "zh-CN",
        "title": f"{meeting.title}纪要",
        "school_name": meeting.school.name_zh,
        "body_name": meeting.body.name,
        "meeting_title": meeting.title,
        "meeting_date": local_date(meeting.starts_at),
        "meeting_time": local_time(meeting.starts_at).strftime("%H:%M"),
        "place": meeting.place,
        "agenda": [item.title for item in meeting.agenda_items],
        "present": [member.name for member in members if attendance[member.id] is True],
        "absent": [member.name for member in members if attendance[member.id] is False],
        # Two levels down: the PDF's own headings (议程, 纪要) are <h2>.
        "minutes_html": str(render_markdown(meeting.minutes, shift_headings=2)),
        "approved_on": local_date(meeting.minutes_approved_at),
        "verify_url": verify_url(),
        "fingerprint": body_fingerprint(meeting.minutes),
    }


def attendance_summary(meeting: Meeting, members: list[BodyMember]) -> dict:
    """For a page: each member with True (present), False (absent) or None (not recorded)."""
    recorded = {row.member_id: row.present for row in meeting.attendance}
    return {member.id: recorded.get(member.id) for member in members}
