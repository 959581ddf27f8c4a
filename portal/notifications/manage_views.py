"""The mail queue, for the city's commission admins: how many mails wait, went, failed or are
uncertain (a worker died while sending them), the ones that need a person, and sending one again."""

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import policy
from portal.domain import DomainError
from portal.extensions import db
from portal.notifications import bp, mail
from portal.web import found_or_404, page_arg, redirect_to


@bp.get("/oversight/mail")
def mail_queue():
    policy.require(current_user, "manage_mail")
    return render_template(
        "notifications/mail_queue.html",
        counts=mail.status_counts(),
        problems=mail.mails_needing_attention(page_arg()),
    )


@bp.post("/oversight/mail/<int:mail_id>/send-again")
def send_again(mail_id):
    policy.require(current_user, "manage_mail")
    queued = found_or_404(db.session.get(mail.Mail, mail_id))
    try:
        mail.send_again(current_user, queued)
    except DomainError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return redirect_to(url_for("notifications.mail_queue"))
    db.session.commit()
    flash(_("The mail to %(address)s is queued to be sent again.", address=queued.to_address), "success")
    return redirect_to(url_for("notifications.mail_queue"))
