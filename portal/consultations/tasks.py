"""The consultations' daily job: people who started a response and did not send it are told once,
two days before the consultation closes; what they typed is deleted once it has closed."""

from portal import clock, jobs
from portal.consultations import responses
from portal.extensions import db

REMINDER_HOUR = 9  # on the schools' clock: people hear of it in the morning, not at night


@jobs.periodic(jobs.crontab(minute="35"))
def remind_unfinished_responses(now=None) -> None:
    """Once a day, in the 09:00 hour on the schools' clock (huey's crontab is in UTC, the schools'
    clock is configurable: the hour is checked here). Safe to run twice: each draft is told once."""
    now = now or clock.utcnow()
    if now.astimezone(clock.school_timezone()).hour != REMINDER_HOUR:
        return
    responses.remind_unfinished(now)
    responses.forget_drafts_of_closed(now)
    db.session.commit()
