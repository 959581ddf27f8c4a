"""Published decisions written straight into the database, for tests about lists, filters,
feeds and access: a few milliseconds each, where publishing through the service renders and
signs a PDF (about 0.3 s). They keep the table's rules (a number, its year and sequence, a
publication time); the PDF behind `with_document=True` is a stand-in, not a real rendering.
Tests about publishing itself use the `make_published` fixture instead. (The access matrix
rows use these too.) `publishable_drafts` makes drafts ready to publish, through the services.
"""

import hashlib
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from portal.decisions import services as decisions
from portal.decisions.models import Decision, DecisionStatus, format_number
from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.meetings import services as meetings
from portal.meetings.models import BodyKind, Constituency, Position

BODY = "为保障学生饮食安全，决定如下：\n\n1. 每学期组织家长代表陪餐检查不少于两次。\n2. 检查结果在校园网公示。"


def stand_in_pdf(text: str) -> bytes:
    return b"%PDF-1.7\n% stand-in for tests\n" + text.encode("utf-8") + b"\n%%EOF\n"


def insert_published(
    school,
    *,
    title: str = "关于加强学校食堂管理的决定",
    body: str = BODY,
    year: int = 2026,
    sequence: int | None = None,
    published_at: datetime | None = None,
    status: DecisionStatus = DecisionStatus.PUBLISHED,
    with_document: bool = False,
    commit: bool = True,
    **fields,
) -> Decision:
    """A decision of `school` as publishing leaves it: numbered in `year` (the next sequence
    unless given), published at `published_at` (default: 1 January of `year` plus the sequence in
    hours, so later sequences are newer)."""
    if sequence is None:
        highest = db.session.scalar(
            select(func.max(Decision.number_sequence)).where(
                Decision.school_id == school.id, Decision.number_year == year
            )
        )
        sequence = (highest or 0) + 1
    number = format_number(school.decision_prefix or "测试校委", year, sequence)
    document_sha256 = None
    if with_document:
        content = stand_in_pdf(f"{school.id} {number} {title}")
        document_sha256 = hashlib.sha256(content).hexdigest()
        db.session.add(Document(sha256=document_sha256, size=len(content), content=content, kind=DocumentKind.DECISION))
        db.session.flush()  # no relationship tells the unit of work that the decision needs it first
    decision = Decision(
        school_id=school.id,
        status=status,
        title=title,
        body=body,
        number=number,
        number_year=year,
        number_sequence=sequence,
        published_at=published_at or datetime(year, 1, 1, tzinfo=UTC) + timedelta(hours=sequence),
        document_sha256=document_sha256,
        votes_for=fields.pop("votes_for", 3),
        votes_against=fields.pop("votes_against", 0),
        votes_abstain=fields.pop("votes_abstain", 0),
        **fields,
    )
    db.session.add(decision)
    db.session.flush()
    if commit:
        db.session.commit()
    return decision


def publishable_drafts(school, how_many: int) -> list:
    """`how_many` drafts of `school`, ready to publish: its board met (three present) and voted
    3–0 on each. Committed."""
    body = meetings.create_body(None, school, {"kind": BodyKind.SCHOOL_BOARD, "name": "校务委员会", "description": ""})
    members = [
        meetings.add_member(
            None,
            body,
            {
                "name": name,
                "position": Position.MEMBER,
                "constituency": Constituency.TEACHER,
                "term_start": date(2024, 9, 1),
                "term_end": None,
                "account_email": None,
            },
        )
        for name in ("甲", "乙", "丙")
    ]
    meeting = meetings.create_meeting(
        None,
        school,
        {"body_id": body.id, "title": "校务会议", "starts_at": datetime(2026, 3, 2, 7, 30, tzinfo=UTC), "place": ""},
    )
    meetings.record_attendance(None, meeting, {member.id: True for member in members})
    drafts = [
        decisions.create_draft(
            None,
            school,
            {
                "title": f"关于第{n}项事项的决定",
                "body": "经校务委员会审议，决定如下。",
                "meeting_id": meeting.id,
                "votes_for": 3,
                "votes_against": 0,
                "votes_abstain": 0,
            },
        )
        for n in range(1, how_many + 1)
    ]
    db.session.commit()
    return drafts
