"""Who is told what: one listener per event the features announce (portal.events).

One or a few people (the sender of feedback, the author of a response or of a consultation, the
staff of a school, the moderators of a district) are told in the transaction of the event. A whole
school or district (its verified parents and followers, the responders of a consultation) is told
by a job after the commit: the request that caused it does not wait for thousands of rows.
"""

from sqlalchemy import delete

from portal import events, jobs
from portal.extensions import db
from portal.notifications import mail, tasks
from portal.notifications.models import Follow, Kind
from portal.notifications.services import Notice, moderators_of, school_staff, tell
from portal.notifications.texts import both_names


def _school_name(record) -> dict:
    return both_names(record.school) if getattr(record, "school", None) is not None else {"zh": "", "en": ""}


def _owner(consultation) -> dict:
    return both_names(consultation.school if consultation.school is not None else consultation.authority)


# --- the suggestion box -------------------------------------------------------------------


def _feedback_notice(feedback, event: str, **params) -> Notice:
    return Notice(
        Kind.FEEDBACK,
        event,
        "feedback.my_item",
        {"feedback_id": feedback.id},
        {"reference": feedback.reference, "school": both_names(feedback.school), **params},
        feedback.school_id,
    )


@events.on("feedback.sent")
def _feedback_sent(event):
    feedback = event.subject
    notice = Notice(
        Kind.INBOX,
        event.name,
        "feedback.manage_item",
        {"slug": feedback.school.slug, "feedback_id": feedback.id},
        {"reference": feedback.reference, "school": both_names(feedback.school)},
        feedback.school_id,
    )
    tell(school_staff(feedback.school_id), notice, exclude=feedback.author_id)


@events.on("feedback.status_changed")
def _feedback_status(event):
    feedback = event.subject
    tell(
        [feedback.author_id],
        _feedback_notice(feedback, event.name, status=event.data["after"]),
        exclude=event.actor and event.actor.id,
    )


@events.on("feedback.answered")
@events.on("feedback.replied")
def _feedback_answered(event):
    feedback = event.subject
    tell([feedback.author_id], _feedback_notice(feedback, event.name), exclude=event.actor and event.actor.id)


@events.on("feedback.escalated")
def _feedback_escalated(event):
    """The sender sees where their item went; the school's supervisors find it in their queue."""
    feedback = event.subject
    tell([feedback.author_id], _feedback_notice(feedback, event.name), exclude=event.actor and event.actor.id)
    notice = Notice(
        Kind.SUPERVISION,
        "feedback.escalated.supervisor",
        "supervision.case",
        {"case_id": event.data["case_id"]},
        {"reference": feedback.reference, "school": both_names(feedback.school)},
        feedback.school_id,
    )
    tell(event.data["supervisor_ids"], notice)


@events.on("feedback.supervisor_answered")
def _supervisor_answered(event):
    """The sender reads the answer; when the supervisor directs the school, its staff are told by when."""
    feedback = event.subject
    tell([feedback.author_id], _feedback_notice(feedback, event.name), exclude=event.actor and event.actor.id)
    if event.data.get("school_to_answer_by"):
        notice = Notice(
            Kind.INBOX,
            "feedback.supervisor_directed",
            "feedback.manage_item",
            {"slug": feedback.school.slug, "feedback_id": feedback.id},
            {
                "reference": feedback.reference,
                "school": both_names(feedback.school),
                "date": event.data["school_to_answer_by"],
            },
            feedback.school_id,
        )
        tell(school_staff(feedback.school_id), notice)


# --- responses and their moderation -------------------------------------------------------


def _response_notice(response, event: str, **params) -> Notice:
    consultation = response.consultation
    return Notice(
        Kind.MY_RESPONSES,
        event,
        "consultations.show",
        {"consultation_id": consultation.id},
        {"title": consultation.title, **params},
        consultation.school_id,
    )


@events.on("response.published")
@events.on("response.restored")
def _response_published(event):
    tell([event.subject.author_id], _response_notice(event.subject, event.name))


@events.on("response.rejected")
@events.on("response.hidden")
def _response_taken_down(event):
    tell([event.subject.author_id], _response_notice(event.subject, event.name, reason=event.data.get("reason", "")))


@events.on("response.unfinished")
def _response_unfinished(event):
    """Someone who started a response and did not send it, told once before the consultation closes."""
    draft = event.subject
    consultation = draft.consultation
    notice = Notice(
        Kind.MY_RESPONSES,
        event.name,
        "consultations.show",
        {"consultation_id": consultation.id, "_anchor": "respond"},
        {"title": consultation.title, "closes": consultation.closed_at.isoformat()},
        consultation.school_id,
    )
    tell([draft.user_id], notice)


@events.on("response.reported")
def _response_reported(event):
    """Moderators are told when reports hide a response, and when as many reports as would hide
    it came mostly from accounts too new to (it stays visible: they decide)."""
    if event.data.get("threshold_reached"):
        said = event.name
    elif event.data.get("held_for_moderators"):
        said = "response.reported_held"
    else:
        return
    consultation = event.subject.consultation
    notice = Notice(
        Kind.MODERATION,
        said,
        "moderation.queue",
        {"consultation": consultation.id, "kind": "reported"},
        {"title": consultation.title, "count": event.data.get("open_reports", 0)},
        consultation.school_id,
    )
    tell(moderators_of(consultation.owner_authority), notice)


# --- consultations ------------------------------------------------------------------------


@events.on("consultation.submitted")
def _consultation_submitted(event):
    consultation = event.subject
    notice = Notice(
        Kind.MODERATION,
        event.name,
        "moderation.queue",
        {"consultation": consultation.id},
        {"title": consultation.title, "owner": _owner(consultation)},
        consultation.school_id,
    )
    tell(moderators_of(consultation.owner_authority), notice, exclude=event.actor and event.actor.id)


@events.on("consultation.approved")
@events.on("consultation.sent_back")
def _consultation_decided(event):
    consultation = event.subject
    notice = Notice(
        Kind.MY_CONSULTATIONS,
        event.name,
        "consultations.edit",
        {"consultation_id": consultation.id},
        {"title": consultation.title, "reason": event.data.get("reason", "")},
        consultation.school_id,
    )
    tell([consultation.created_by_id], notice, exclude=event.actor and event.actor.id)


# --- news of a school: told to its parents and followers, by a job ------------------------


@events.on("consultation.opened")
@events.on("consultation.outcome_published")
@events.on("decision.published")
@events.on("charter.adopted")
@events.on("minutes.approved")
def _school_news(event):
    jobs.after_commit(
        db.session,
        tasks.fan_out,
        event.name,
        type(event.subject).__name__,
        event.subject.id,
        getattr(event.actor, "id", None),
    )


@events.on("account.mail_requested")
def account_mail(event):
    """A mail an account asked for (a registration or password-reset link): queued like the
    others, without an unsubscribe link (the person asked for this very mail)."""
    data = event.data
    mail.queue_message(
        data["to_address"],
        data["language"],
        data["template"],
        data["build"],
        user_id=getattr(event.subject, "id", None),
    )


# --- a person's own data --------------------------------------------------------------------


@events.on("personal_data.export_failed")
def _export_failed(event):
    """The copy the person asked for could not be prepared: they are told in the portal (their
    mail is queued by the caller, as for every mail of their own), so they can ask again."""
    tell([event.subject.id], Notice(Kind.MY_DATA, event.name, "pages.my_data", {}, {}))


@events.on("consultation.discarded")
def _forget_follows_of_a_deleted_draft(event):
    """A draft about to be deleted: nobody follows it any more (so that it can go)."""
    db.session.execute(delete(Follow).where(Follow.consultation_id == event.subject.id))
