"""The notifications' jobs: telling a whole school or district (fan_out), and what the portal says
by itself on a schedule — a consultation that opens at its time, reminders of unanswered feedback,
a moderation queue left waiting, and the daily digest at 18:00 on the schools' clock.

Each is idempotent (portal.notifications.services.announce_once): run twice, by a retry or by
two workers, it tells nobody twice.
"""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from portal import clock, jobs, workdays
from portal.accounts.models import AUTHORITY_ROLES, Membership, User
from portal.charters.models import CharterVersion
from portal.consultations.models import Consultation, Phase, Response
from portal.decisions.models import Decision
from portal.extensions import db
from portal.feedback import services as feedback_services
from portal.feedback.models import Feedback, FeedbackStatus
from portal.meetings.models import Meeting
from portal.moderation import queue
from portal.notifications import mail
from portal.notifications.models import Delivery, Follow, Kind, Notification
from portal.notifications.services import (
    Notice,
    announce_once,
    school_audience,
    school_staff,
    schools_under,
    tell,
)
from portal.notifications.texts import both_names, digest_subject, reader_language, words
from portal.web import public_url

REMINDER_WORKING_DAYS = 10
OVERDUE_WORKING_DAYS = feedback_services.ANSWER_WORKING_DAYS
QUEUE_WAITING_WORKING_DAYS = 2
REMINDER_HOUR = 9  # on the schools' clock: staff hear of what waits at the start of a working day
DIGEST_HOUR = 18


def _subject(subject_type: str, subject_id: int):
    model = {
        "Consultation": Consultation,
        "Decision": Decision,
        "CharterVersion": CharterVersion,
        "Meeting": Meeting,
    }[subject_type]
    return db.session.get(model, subject_id)


def _news(event: str, subject) -> tuple[Notice, list[int]] | None:
    """What a school's (or a district's) news says, and to whom."""
    if isinstance(subject, Consultation):
        owner = subject.school if subject.school is not None else subject.authority
        params = {"title": subject.title, "owner": both_names(owner), "closes": subject.closes_at.isoformat()}
        link = ("consultations.show", {"consultation_id": subject.id})
        if event == "consultation.outcome_published":
            params["decisions"] = [decision.number for decision in subject.answering_decisions]
            responders = select(Response.author_id).where(Response.consultation_id == subject.id)
            followers = select(Follow.user_id).where(Follow.consultation_id == subject.id)
            audience = list(db.session.scalars(responders.union(followers)))
            return Notice(Kind.OUTCOMES, event, *link, params, subject.school_id), audience
        schools = [subject.school_id] if subject.school_id is not None else schools_under(subject.authority)
        return Notice(Kind.SCHOOL_NEWS, event, *link, params, subject.school_id), school_audience(schools)
    if isinstance(subject, Decision):
        params = {"school": both_names(subject.school), "number": subject.number, "title": subject.title}
        notice = Notice(
            Kind.SCHOOL_NEWS, event, "decisions.show", {"decision_id": subject.id}, params, subject.school_id
        )
        return notice, school_audience([subject.school_id])
    if isinstance(subject, CharterVersion):
        params = {"school": both_names(subject.school), "number": subject.number}
        link = {"slug": subject.school.slug, "n": subject.number}
        notice = Notice(Kind.SCHOOL_NEWS, event, "charters.version", link, params, subject.school_id)
        return notice, school_audience([subject.school_id])
    if isinstance(subject, Meeting):
        params = {"title": subject.title, "body": subject.body.name, "school": both_names(subject.school)}
        notice = Notice(Kind.SCHOOL_NEWS, event, "meetings.show", {"meeting_id": subject.id}, params, subject.school_id)
        return notice, school_audience([subject.school_id])
    return None


@jobs.task()
def fan_out(event: str, subject_type: str, subject_id: int, actor_id: int | None) -> None:
    """Tell the school's (or district's) audience about `event`, once."""
    subject = _subject(subject_type, subject_id)
    if subject is None or not announce_once(f"{event}:{subject_type}:{subject_id}"):
        db.session.rollback()
        return
    news = _news(event, subject)
    if news is not None:
        notice, audience = news
        tell(audience, notice, exclude=actor_id)
    db.session.commit()


# --- on a schedule ------------------------------------------------------------------------


def _local_hour(now) -> int:
    return now.astimezone(clock.school_timezone()).hour


@jobs.periodic(jobs.crontab(minute="*/5"))
def announce_opened_consultations(now=None) -> None:
    """Consultations approved to open later are announced when they open (each once)."""
    now = now or clock.utcnow()
    due = db.session.scalars(
        select(Consultation.id).where(
            Consultation.in_phase(Phase.OPEN, now), Consultation.opens_at >= now - timedelta(days=2)
        )
    ).all()
    for consultation_id in due:
        fan_out.call_local("consultation.opened", "Consultation", consultation_id, None)


def working_days_waited(received, today) -> int:
    """How many whole working days have passed since `received` (a moment), by `today`."""
    return workdays.working_days_between(clock.local_date(received), today)


@jobs.periodic(jobs.crontab(minute="15"))
def remind_unanswered_feedback(now=None) -> None:
    """From 09:00 on the schools' clock: the school's staff are reminded of feedback waiting 10
    working days for an answer, and told when it is overdue, the day after its 15th working day
    (each once per item; overdue says it all, with no reminder on top)."""
    now = now or clock.utcnow()
    if _local_hour(now) < REMINDER_HOUR:
        return
    today = clock.local_date(now)
    waiting = db.session.scalars(
        select(Feedback)
        .where(
            Feedback.status.in_([FeedbackStatus.RECEIVED, FeedbackStatus.IN_PROGRESS]),
            Feedback.created_at >= now - timedelta(days=90),  # 15 working days are at most ~5 weeks
        )
        .options(joinedload(Feedback.school))
    ).all()
    for feedback in waiting:
        # Overdue is the feedback's own rule (past its answer day); it says it all, no reminder on top.
        if feedback_services.is_overdue(feedback, today):
            event, days = "feedback.overdue", OVERDUE_WORKING_DAYS
        elif working_days_waited(feedback.created_at, today) >= REMINDER_WORKING_DAYS:
            event, days = "feedback.reminder", REMINDER_WORKING_DAYS
        else:
            continue
        if announce_once(f"{event}:{feedback.id}"):
            notice = Notice(
                Kind.INBOX,
                event,
                "feedback.manage_item",
                {"slug": feedback.school.slug, "feedback_id": feedback.id},
                {"reference": feedback.reference, "school": both_names(feedback.school), "days": days},
                feedback.school_id,
            )
            tell(school_staff(feedback.school_id), notice)
    db.session.commit()


@jobs.periodic(jobs.crontab(minute="20"))
def remind_moderators_of_waiting_queue(now=None) -> None:
    """From 09:00 on the schools' clock, once a day: each moderator (and commission admin) whose
    queue holds items waiting more than 2 working days hears how many."""
    now = now or clock.utcnow()
    if _local_hour(now) < REMINDER_HOUR:
        return
    today = clock.local_date(now)
    moderators = db.session.scalars(
        select(User)
        .where(User.id.in_(select(Membership.user_id).where(Membership.role.in_(list(AUTHORITY_ROLES)))))
        .options(selectinload(User.memberships))
    ).all()
    for moderator in moderators:
        count = queue.waiting_longer_than(moderator, QUEUE_WAITING_WORKING_DAYS, today)
        if count and announce_once(f"moderation.waiting:{moderator.id}:{today.isoformat()}"):
            notice = Notice(Kind.MODERATION, "moderation.waiting", "moderation.queue", {}, {"count": count})
            tell([moderator.id], notice)
    db.session.commit()


@jobs.periodic(jobs.crontab(minute="5"))
def send_daily_digests(now=None) -> None:
    """Every hour: once it is 18:00 or later on the schools' clock, each person with something
    for the digest gets one mail, grouped by school; nothing is in two digests, and nobody gets
    two in a day."""
    now = now or clock.utcnow()
    if _local_hour(now) < DIGEST_HOUR:
        return
    today = clock.local_date(now)
    people = db.session.scalars(
        select(Notification.user_id)
        .where(
            Notification.delivery == Delivery.DIGEST, Notification.mailed_at.is_(None), Notification.created_at <= now
        )
        .distinct()
    ).all()
    for user_id in people:
        if announce_once(f"digest:{user_id}:{today.isoformat()}"):
            send_digest(user_id, now)
        db.session.commit()


def send_digest(user_id: int, now) -> None:
    """One person's digest: their notifications waiting for it, grouped by school (those of no
    school last), queued as one mail; each is then marked digested, whether or not the person can
    be mailed (an account without an address, or closed, reads them in the portal, and so does one
    who stopped the digest, or that kind of news by mail, since they were written)."""
    items = list(
        db.session.scalars(
            select(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.delivery == Delivery.DIGEST,
                Notification.mailed_at.is_(None),
                Notification.created_at <= now,
            )
            .options(joinedload(Notification.school))
            .order_by(Notification.school_id, Notification.id)
        )
    )
    if not items:
        return
    person = db.session.get(User, user_id)
    wanted = mail.still_mailed(items)
    mailed = [item for item in items if item.id in wanted]
    if person is not None and person.active and person.email and mailed:

        def build():
            groups = defaultdict(list)
            for item in mailed:
                school = item.school.name(reader_language()) if item.school is not None else ""
                groups[school].append(
                    {"text": words(item.event, item.params), "url": public_url(item.endpoint, **item.url_args)}
                )
            ordered = sorted(groups.items(), key=lambda group: (group[0] == "", group[0]))
            return {"subject": digest_subject(len(mailed)), "groups": ordered, "count": len(mailed)}

        mail.queue_mail(person, None, "digest", build)
        jobs.after_commit(db.session, mail.deliver_mails)
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_([item.id for item in items]))
        .values(mailed_at=now)
        .execution_options(synchronize_session=False)
    )
