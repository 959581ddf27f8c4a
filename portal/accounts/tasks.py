"""The accounts' background jobs: forgetting sessions nobody uses any more, and the staff
invitations that ended without an account."""

from datetime import timedelta

from portal import jobs
from portal.accounts import services
from portal.clock import utcnow
from portal.extensions import db

# A session without "keep me logged in" lives in the browser until it closes; the server forgets
# it after this long unused. A remembered one lasts as long as its cookie.
IDLE_SESSION_DAYS = 30


@jobs.periodic(jobs.crontab(minute="17", hour="19"))  # 03:17 in Beijing
def forget_stale_sessions():
    forgotten = services.forget_stale_sessions(
        utcnow(), idle=timedelta(days=IDLE_SESSION_DAYS), remembered=services.remembered_for()
    )
    db.session.commit()
    return forgotten


@jobs.periodic(jobs.crontab(minute="27", hour="19"))  # 03:27 in Beijing
def forget_old_staff_invitations():
    forgotten = services.forget_old_staff_invitations(utcnow())
    db.session.commit()
    return forgotten
