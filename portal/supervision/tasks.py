"""The escalation job: every hour, feedback left unanswered past PORTAL_FEEDBACK_ESCALATE_DAYS
working days goes to the school's responsible supervisor (each item once; the sender and the
supervisor are told through the "feedback.escalated" event)."""

from flask import current_app

from portal import clock, jobs
from portal.extensions import db
from portal.supervision import services


@jobs.periodic(jobs.crontab(minute="25"))
def escalate_unanswered_feedback(now=None) -> int:
    now = now or clock.utcnow()
    days = int(current_app.config.get("PORTAL_FEEDBACK_ESCALATE_DAYS", services.DEFAULT_ESCALATE_DAYS))
    cases = services.escalate_unanswered(clock.local_date(now), days, now=now)
    db.session.commit()
    return len(cases)
