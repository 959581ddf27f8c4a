"""Access rows for notifications. /me/notifications, its settings and /me/following are each
person's own (the notification the rows open belongs to somebody else, so it is not found for
anyone); following a school or a consultation needs an account; the unsubscribe link works
without logging in (its signed token is the proof) and refuses anyone logged in as another
person; the mail queue is the city's commission admins'."""

from portal.accounts import services as account_services
from portal.extensions import db
from portal.notifications import mail, services
from portal.notifications.models import Kind, Mail, MailStatus
from tests.access_rows import url_arguments, visitor_then
from tests.access_rows.consultations import closed_with_a_published_response


def arguments(school, other_school):
    reader = account_services.register_user(
        email="notified@example.org", display_name="收信人", password="a long enough password", language=None
    )
    services.notify(
        [reader.id], services.Notice(Kind.SCHOOL_NEWS, "decision.published", "pages.school", {"slug": school.slug}, {})
    )
    db.session.flush()
    notification = services.notifications_of(reader, limit=1)[0]
    queued = Mail(
        user_id=reader.id,
        to_address=reader.email,
        subject="测试",
        text_body="测试",
        html_body="<p>测试</p>",
        status=MailStatus.FAILED,
    )
    db.session.add(queued)
    consultation, _response = closed_with_a_published_response(school)
    db.session.commit()
    return {
        **url_arguments(
            "notifications.index",
            "notifications.mark_all_read",
            "notifications.settings",
            "notifications.following",
            "notifications.mail_queue",
        ),
        **url_arguments("notifications.open_item", notification_id=notification.id),
        **url_arguments("notifications.follow_school", "notifications.unfollow_school", slug=school.slug),
        **url_arguments(
            "notifications.follow_consultation", "notifications.unfollow_consultation", consultation_id=consultation.id
        ),
        **url_arguments("notifications.unsubscribe", token=mail.unsubscribe_token(reader.id, Kind.SCHOOL_NEWS)),
        **url_arguments("notifications.send_again", mail_id=queued.id),
    }


def city_commission(allowed_status):
    """The city's commission admins get `allowed_status`; everyone else logged in 403."""
    return {**visitor_then(302, 403), "commission_admin": allowed_status}


# Every logged-in person but the one the unsubscribe link is for: refused, nothing changed.
NOT_THE_LINKS_PERSON = visitor_then(200, 403)

EXPECTED = {
    "notifications.index": visitor_then(302, 200),
    "notifications.open_item": visitor_then(302, 404),  # somebody else's notification
    "notifications.mark_all_read": visitor_then(302, 303),
    "notifications.settings": visitor_then(302, 200),
    "notifications.following": visitor_then(302, 200),
    "notifications.follow_school": visitor_then(302, 303),
    "notifications.unfollow_school": visitor_then(302, 303),
    "notifications.follow_consultation": visitor_then(302, 303),
    "notifications.unfollow_consultation": visitor_then(302, 303),
    "notifications.unsubscribe": NOT_THE_LINKS_PERSON,
    "notifications.mail_queue": city_commission(200),
    "notifications.send_again": city_commission(303),
}

EXPECTED_POST = {
    # A kind left out of the form keeps its current choice: an empty form saves them as they are.
    "notifications.settings": visitor_then(302, 303),
    "notifications.unsubscribe": NOT_THE_LINKS_PERSON,
}
