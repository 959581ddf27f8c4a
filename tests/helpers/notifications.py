"""Reading what people were told: their notifications as stored, their mails, a mail's parts."""

from sqlalchemy import select

from portal.extensions import db
from portal.notifications.models import Mail, Notification


def notifications_of(user) -> list[Notification]:
    return list(
        db.session.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))
    )


def events_told(user) -> list[str]:
    return [notification.event for notification in notifications_of(user)]


def mails_to(user) -> list[Mail]:
    return list(db.session.scalars(select(Mail).where(Mail.user_id == user.id).order_by(Mail.id)))


def body_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def body_html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
