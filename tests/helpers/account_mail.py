"""The mails with a link that accounts send (to register, to reset a password, to join as staff),
read from the mail queue in the database, and the links in them."""

import re

from sqlalchemy import select

from portal.notifications.models import Mail

LINK = re.compile(r"https?://[^/\s\"]+(/(?:register/complete|password/reset|staff-invitation)/[A-Za-z0-9_.\-]+)")


def mails_to(db, address: str) -> list[Mail]:
    return list(db.session.scalars(select(Mail).where(Mail.to_address == address).order_by(Mail.id)))


def link_in(mail: Mail) -> str:
    """The path of the one link in a mail's text (and the same link in its HTML)."""
    (path,) = set(LINK.findall(mail.text_body))
    assert path in mail.html_body
    return path


def last_link_to(db, address: str) -> str:
    return link_in(mails_to(db, address)[-1])


def mailed_link(app, address: str) -> str:
    """The link in the latest mail to `address` queued by a running portal (`app` of the live
    server in the browser journeys): what the person clicks in their mailbox."""
    from portal.extensions import db

    with app.app_context():
        try:
            return link_in(mails_to(db, address)[-1])
        finally:
            db.session.remove()
