"""The demo supervisor: supervisor@example.org, responsible supervisor of the two 渝中区 schools,
with one feedback item the school left unanswered (referred by itself) and one request for
review by the demo parent. Safe to run again."""

from datetime import timedelta

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.clock import local_date, utcnow
from portal.extensions import db
from portal.feedback import services as feedback_services
from portal.feedback.models import Feedback, FeedbackStatus
from portal.schools.models import School
from portal.supervision import services
from portal.supervision.models import SupervisionCase

CONTACT = "渝中区人民政府教育督导室 023-6377 0000（工作日 9:00–17:00）"
UNANSWERED = "教室的空调坏了两个多星期，孩子们上课很热，反映给班主任后一直没有回音。"
REVIEW_REASON = "学校的答复只说“会研究”，没有说明具体措施和时间，希望督学督促落实。"


def seed_supervision(schools: list[School], supervisor: User, parent: User) -> None:
    """`schools`: those the supervisor serves (the first gets the cases)."""
    for school in schools:
        services.assign_supervisor(None, school, supervisor, CONTACT)
    if db.session.scalar(select(func.count()).select_from(SupervisionCase)):
        return
    first = schools[0]
    now = utcnow()
    # Sent six weeks ago and never answered: the escalation job refers it, as it would every hour.
    feedback_services.send_feedback(
        parent,
        first,
        {"category": "facilities", "body": UNANSWERED, "private": False, "submission_token": "demo-escalated-0001"},
        now=now - timedelta(days=42),
    )
    services.escalate_unanswered(local_date(now), services.DEFAULT_ESCALATE_DAYS, now=now)
    # The demo parent is not satisfied with an answer they got.
    answered = db.session.scalar(
        select(Feedback)
        .where(
            Feedback.school_id == first.id,
            Feedback.author_id == parent.id,
            Feedback.status == FeedbackStatus.ANSWERED,
        )
        .order_by(Feedback.id)
    )
    if answered is not None:
        services.request_review(parent, answered, {"reason": REVIEW_REASON}, now=now - timedelta(hours=3))
    db.session.flush()
