"""A small, hand-counted world for the oversight dashboard's tests: two districts of one city,
three schools, consultations in every phase, responses and feedback at set times. The numbers
each test expects are worked out by hand in EXPECTED (with the reasoning beside them)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from portal.consultations.models import Consultation, ConsultationStatus, Response, ResponseState, Stance
from portal.extensions import db
from portal.feedback import services as feedback_services
from portal.feedback.models import FeedbackStatus
from tests.helpers.feedback import token

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)  # Friday 27 November 2026, 12:00 in Beijing
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING).astimezone(UTC)


def consultation(owner, title, opens, closes, *, phase="approved", at=None):
    """A consultation of a school or an authority, moved through its lifecycle by its methods:
    "draft", "submitted", "approved" (open or closed by its dates), "closed_early" (at `at`),
    "outcome" (published at `at`)."""
    owner_field = {"school": owner} if owner.__class__.__name__ == "School" else {"authority": owner}
    item = Consultation(title=title, opens_at=opens, closes_at=closes, status=ConsultationStatus.DRAFT, **owner_field)
    db.session.add(item)
    if phase != "draft":
        item.submit(opens - 3 * DAY)
    if phase not in ("draft", "submitted"):
        item.approve(None, opens - 2 * DAY)
    if phase == "closed_early":
        item.close_early(at, "提前结束")
    if phase == "outcome":
        item.publish_outcome(at, heard="听到了", changes="改了", document_sha256=None)
    db.session.flush()
    return item


def response(item, author, created, *, state="pending", moderated=None):
    written = Response(
        consultation=item,
        author_id=author.id,
        stance=Stance.SUPPORT,
        body="意见",
        state=ResponseState.PENDING,
        created_at=created,
        updated_at=created,
    )
    db.session.add(written)
    if state in ("published", "hidden"):
        written.publish(None, moderated)
    elif state == "rejected":
        written.reject(None, moderated, "离题")
    db.session.flush()
    return written


def feedback(author, school, received, *answers, reopened=None):
    """Feedback received at `received`, marked answered at each of `answers` (reopened in
    between, at `reopened`)."""
    item = feedback_services.send_feedback(
        author, school, {"category": "canteen", "body": "午餐是凉的。", "submission_token": token()}, now=received
    )
    for number, answered in enumerate(answers):
        if number:
            feedback_services.change_feedback_status(None, item, FeedbackStatus.IN_PROGRESS, now=reopened)
        feedback_services.reply_to_feedback(
            None, item, {"reply": "已处理。", "public": False, "mark_answered": True}, now=answered
        )
    db.session.flush()
    return item


def build_world(make_authority, make_school, make_user):
    """The world, committed; returns its places and people by name."""
    city = make_authority("重庆市教育委员会（测试）", "Chongqing Education Commission (test)")
    yuzhong = make_authority("渝中区教育委员会（测试）", "Yuzhong District (test)", parent=city)
    shapingba = make_authority("沙坪坝区教育委员会（测试）", "Shapingba District (test)", parent=city)
    a1 = make_school(authority=yuzhong, slug="yz-first", name_zh="渝中第一小学", name_en="Yuzhong No. 1 Primary")
    a2 = make_school(authority=yuzhong, slug="yz-second", name_zh="渝中第二小学", name_en="Yuzhong No. 2 Primary")
    b1 = make_school(authority=shapingba, slug="spb-first", name_zh="沙坪坝第一小学", name_en="Shapingba No. 1 Primary")
    p1, p2, p3, p4, p7 = (make_user(role="parent", scope=a1) for _ in range(5))
    p5 = make_user(role="parent", scope=a2)
    p6 = make_user(role="parent", scope=b1)
    r1 = make_user()  # an account, not a parent

    c1 = consultation(a1, "A1 open", NOW - 5 * DAY, NOW + 10 * DAY)
    c2 = consultation(a1, "A1 closed 40 days ago", NOW - 100 * DAY, NOW - 40 * DAY)
    consultation(a1, "A1 outcome", NOW - 100 * DAY, NOW - 50 * DAY, phase="outcome", at=NOW - 20 * DAY)
    consultation(a1, "A1 awaiting approval", NOW + 5 * DAY, NOW + 30 * DAY, phase="submitted")
    consultation(
        a1, "A1 closed early 10 days ago", NOW - 30 * DAY, NOW + 30 * DAY, phase="closed_early", at=NOW - 10 * DAY
    )
    c13 = consultation(a1, "A1 closed 400 days ago", NOW - 500 * DAY, NOW - 400 * DAY)
    c6 = consultation(a2, "A2 open", NOW - 3 * DAY, NOW + 3 * DAY)
    consultation(a2, "A2 draft", NOW + 3 * DAY, NOW + 13 * DAY, phase="draft")
    c8 = consultation(yuzhong, "Yuzhong district-wide open", NOW - 3 * DAY, NOW + 3 * DAY)
    c9 = consultation(b1, "B1 open", NOW - 3 * DAY, NOW + 3 * DAY)
    c10 = consultation(b1, "B1 closed 31 days ago", NOW - 60 * DAY, NOW - 31 * DAY)
    consultation(b1, "B1 awaiting approval", NOW + 5 * DAY, NOW + 30 * DAY, phase="submitted")
    consultation(city, "City-wide open", NOW - 3 * DAY, NOW + 3 * DAY)

    response(c1, p1, NOW - 4 * DAY, state="published", moderated=NOW - 4 * DAY + 2 * HOUR)
    response(c1, p2, NOW - 1 * DAY)
    response(c1, r1, NOW - 3 * DAY, state="rejected", moderated=NOW - 3 * DAY + 6 * HOUR)
    response(c2, p1, NOW - 60 * DAY, state="published", moderated=NOW - 60 * DAY + 10 * HOUR)
    response(c2, p3, NOW - 95 * DAY, state="published", moderated=NOW - 94 * DAY)
    response(c13, p4, NOW - 450 * DAY, state="published", moderated=NOW - 449 * DAY)
    response(c6, p5, NOW - 2 * DAY)
    response(c8, p5, NOW - 2 * DAY, state="published", moderated=NOW - 2 * DAY + 4 * HOUR)
    response(c8, p1, NOW - 2 * DAY, state="published", moderated=NOW - 2 * DAY + 1 * HOUR)
    response(c9, p6, NOW - 1 * DAY, state="published", moderated=NOW - 1 * DAY + 3 * HOUR)

    feedback(p1, a1, beijing(2026, 11, 2, 10), beijing(2026, 11, 23, 16))  # 15th working day: in time
    feedback(p1, a1, beijing(2026, 11, 2, 10), beijing(2026, 11, 24, 9))  # 16th: late
    feedback(p1, a1, beijing(2026, 10, 5, 10))  # never answered, past its deadline (26 October): late
    feedback(p1, a1, beijing(2026, 11, 26, 10))  # not answered, still within: left out
    feedback(p1, a1, beijing(2025, 10, 1, 10), beijing(2025, 10, 2, 10))  # more than a year ago: left out
    feedback(p1, a1, beijing(2026, 11, 20, 10), beijing(2026, 11, 21, 10))  # answered on a Saturday: in time
    # Sent on Sunday 1 November (deadline Friday 20 November); answered at 01:00 on Saturday the
    # 21st in Beijing, still the 20th in UTC: late, for the days are Beijing's.
    feedback(p1, a1, beijing(2026, 11, 1, 23, 30), beijing(2026, 11, 21, 1))
    # Answered in time, reopened, answered again late: the first answer counts.
    feedback(
        p1,
        a1,
        beijing(2026, 11, 2, 10),
        beijing(2026, 11, 3, 10),
        beijing(2026, 11, 25, 10),
        reopened=beijing(2026, 11, 4, 10),
    )
    feedback(p6, b1, beijing(2026, 11, 2, 10), beijing(2026, 11, 3, 10))
    db.session.commit()
    return {
        "city": city,
        "yuzhong": yuzhong,
        "shapingba": shapingba,
        "a1": a1,
        "a2": a2,
        "b1": b1,
        "c2": c2,
        "c10": c10,
        "c13": c13,
    }


# What the dashboard must show, counted by hand from build_world.
EXPECTED = {
    "yuzhong": {
        "open_consultations": 3,  # A1 open, A2 open, the district's own
        "responses": 9,  # A1: 3 + 2 + 1, A2: 1, district's: 2
        "published_responses": 6,
        "pending_responses": 2,
        "submitted_consultations": 1,
        "backlog": 3,
        "responders": 5,  # p1, p2, r1, p3, p5 (p4 answered only a consultation closed 400 days ago)
        "parent_responders": 4,  # all but r1, who is no parent
        "verified_parents": 6,  # five of A1, one of A2
        "median_moderation_hours": 4.0,  # 1, 2, 4, 6, 10 (p3's and p4's were moderated over 90 days ago)
        "feedback_counted": 6,
        "feedback_in_time": 3,
        "overdue_outcomes": 2,  # closed 40 and 400 days ago; the early close was 10 days ago
    },
    "shapingba": {
        "open_consultations": 1,
        "responses": 1,
        "published_responses": 1,
        "pending_responses": 0,
        "submitted_consultations": 1,
        "backlog": 1,
        "responders": 1,
        "parent_responders": 1,
        "verified_parents": 1,
        "median_moderation_hours": 3.0,
        "feedback_counted": 1,
        "feedback_in_time": 1,
        "overdue_outcomes": 1,
    },
    "a1": {
        "open_consultations": 1,
        "responses": 6,
        "published_responses": 4,
        "pending_responses": 1,
        "submitted_consultations": 1,
        "backlog": 2,
        "responders": 4,  # p1, p2, r1, p3
        "parent_responders": 3,  # p1, p2, p3
        "verified_parents": 5,
        "median_moderation_hours": 6.0,  # 2, 6, 10
        "feedback_counted": 6,
        "feedback_in_time": 3,
        "overdue_outcomes": 2,
    },
    "a2": {
        "open_consultations": 1,
        "responses": 1,
        "published_responses": 0,
        "pending_responses": 1,
        "submitted_consultations": 0,
        "backlog": 1,
        "responders": 1,
        "parent_responders": 1,  # p5
        "verified_parents": 1,
        "median_moderation_hours": None,
        "feedback_counted": 0,
        "feedback_in_time": 0,
        "overdue_outcomes": 0,
    },
}


def numbers(row) -> dict:
    return {name: getattr(row, name) for name in EXPECTED["a1"]}
