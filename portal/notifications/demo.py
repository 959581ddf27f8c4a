"""Demo notifications for `flask portal seed-demo` (after every other demo: the notifications
themselves come from what the other demos did, through the same events as for real).

The demo parent follows a second school of the district (besides their child's, whose news they get as a
verified parent) and the district-wide consultation; every demo account has read its older
notifications and finds its newest few unread. News for a school's parents and followers is
written by jobs (the fan-out), and mails by the mail job: `make run` starts the worker, which
writes them, and the mails land in instance/outbox/. Safe to run again."""

from sqlalchemy import select, update

from portal.clock import utcnow
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.notifications import services
from portal.notifications.models import Notification

UNREAD_KEPT = 4  # the newest few of each demo account stay unread


def seed_notifications(schools: dict, people: dict, district_consultation_title: str | None = None) -> None:
    parent = people.get("parent@example.org")
    followed = list(schools.values())[1:2]  # a second school of the district
    if parent is not None:
        for school in followed:
            services.follow(parent, school=school)
        if district_consultation_title:
            consultation = db.session.scalar(
                select(Consultation).where(Consultation.title == district_consultation_title)
            )
            if consultation is not None:
                services.follow(parent, consultation=consultation)
    now = utcnow()
    for person in people.values():
        newest = select(Notification.id).where(Notification.user_id == person.id).order_by(Notification.id.desc())
        kept = list(db.session.scalars(newest.limit(UNREAD_KEPT)))
        older = update(Notification).where(Notification.user_id == person.id, Notification.read_at.is_(None))
        if kept:
            older = older.where(Notification.id.not_in(kept))
        db.session.execute(older.values(read_at=now).execution_options(synchronize_session=False))
    db.session.flush()
