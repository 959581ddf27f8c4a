"""Consultations for tests that are not fixtures: the access matrix rows, and outcomes (which the
management pages publish; here they are written through the model, with a stand-in PDF).
"""

import hashlib
import itertools
from datetime import timedelta

from portal.accounts import services as account_services
from portal.clock import utcnow
from portal.consultations import responses as response_services
from portal.consultations import services
from portal.consultations.models import OutcomeTheme, Phase, QuestionKind
from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.moderation import services as moderation_services
from tests.helpers.decisions import stand_in_pdf

_sequence = itertools.count(1)

QUESTIONS = [
    {"kind": QuestionKind.SINGLE, "prompt": "您希望课后服务几点结束？", "choices": ["17:00", "17:30", "18:00"]},
    {"kind": QuestionKind.MULTIPLE, "prompt": "您希望增加哪些活动？", "choices": ["体育", "艺术", "阅读", "作业辅导"]},
    {"kind": QuestionKind.TEXT, "prompt": "其他建议", "choices": []},
]


def create_consultation(school, phase=Phase.OPEN, *, authority=None, questions=QUESTIONS, **details):
    """A consultation of `school` (or of `authority`) in `phase`: draft, submitted, scheduled,
    open or closed (by its dates), made through the services so that it is audited and tallied
    like a real one, and committed."""
    now = utcnow()
    opens, closes = {
        Phase.SCHEDULED: (now + timedelta(days=2), now + timedelta(days=30)),
        Phase.CLOSED: (now - timedelta(days=40), now - timedelta(days=10)),
    }.get(phase, (now - timedelta(days=1), now + timedelta(days=20)))
    data = {
        "title": "关于调整课后服务时间的意见征集",
        "summary": "学校拟调整课后服务结束时间，征求家长意见。",
        "proposal": "## 提案\n\n拟将课后服务结束时间由17:00调整为17:30。",
        "audience": "registered",
        "moderation": "pre",
        "opens_at": opens,
        "closes_at": closes,
        **details,
    }
    owner = {"authority": authority} if authority is not None else {"school": school}
    consultation = services.create_consultation(None, data=data, **owner)
    for question in questions:
        services.add_question(None, consultation, **question)
    if phase != Phase.DRAFT:
        # Submitted and approved "before" its dates, as it would have been in real life.
        real_closes = consultation.closes_at
        consultation.closes_at = max(real_closes, now + timedelta(days=1))
        services.submit(None, consultation, now=now - timedelta(days=50))
        if phase != Phase.SUBMITTED:
            services.approve(None, consultation, now=now - timedelta(days=50))
        consultation.closes_at = real_closes
    db.session.commit()
    return consultation


def respond(consultation, author, stance="support", *, body="同意调整。", answers=None, show_name=False, publish=False):
    """A response submitted while the consultation was open (published if `publish`), committed."""
    at = max(consultation.opens_at, utcnow() - timedelta(days=400)) + timedelta(seconds=1)
    response = response_services.submit_response(
        author, consultation, {"stance": stance, "body": body, "answers": answers or {}, "show_name": show_name}, now=at
    )
    if publish and response.state.value == "pending":
        moderation_services.moderate(None, response, "publish", now=at)
    db.session.commit()
    return response


def someone(display_name=None, days_old=0):
    """A person with an account and no role, made `days_old` days ago (reports count toward
    hiding only from accounts at least PORTAL_REPORT_MIN_ACCOUNT_AGE old)."""
    n = next(_sequence)
    user = account_services.register_user(
        email=f"consultation-person{n}@example.org",
        display_name=display_name or f"回应者{n}",
        password="correct horse battery",
        language=None,
    )
    if days_old:
        user.created_at = utcnow() - timedelta(days=days_old)
    db.session.commit()
    return user


def publish_outcome(
    consultation,
    *,
    heard="多数家长支持延长至17:30。",
    changes="自下学期起，课后服务于17:30结束。",
    themes=(("接送时间", 12), ("体育活动", 7)),
    with_document=True,
):
    """The outcome of a closed consultation, with its themes and (a stand-in of) its archived PDF."""
    sha256 = None
    if with_document:
        content = stand_in_pdf(f"outcome {consultation.id} {heard}")
        sha256 = hashlib.sha256(content).hexdigest()
        db.session.add(Document(sha256=sha256, size=len(content), content=content, kind=DocumentKind.OUTCOME))
        db.session.flush()
    consultation.publish_outcome(utcnow(), heard=heard, changes=changes, document_sha256=sha256)
    for position, (title, count) in enumerate(themes, start=1):
        consultation.themes.append(OutcomeTheme(position=position, title=title, count=count))
    db.session.commit()
    return consultation
