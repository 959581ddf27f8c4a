"""The privacy notice (/privacy), the rules of participation (/terms), and a person's rights over
their data: a copy of it (/me/data) and erasure of the account (/me/delete)."""

from flask import abort, current_app, flash, g, make_response, render_template, send_file, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from portal import policy
from portal.accounts import forms
from portal.accounts import services as account_services
from portal.accounts.models import PRIVACY_NOTICE_VERSION, DataExport
from portal.clock import utcnow
from portal.domain import DomainError
from portal.extensions import client_address, db
from portal.i18n import LANGUAGE_COOKIE
from portal.moderation.models import STANDARD_REASONS
from portal.notifications.mail import UNDELIVERED_ADDRESS_KEPT
from portal.pages import bp, me, personal_data
from portal.pages.personal_data import EXPORT_DAYS
from portal.web import query_args, redirect_to


@bp.get("/privacy")
@query_args()
def privacy():
    return render_template(
        "pages/privacy.html",
        version=PRIVACY_NOTICE_VERSION,
        contact=current_app.config["PORTAL_PRIVACY_CONTACT"],
        export_days=EXPORT_DAYS,
        undelivered_days=UNDELIVERED_ADDRESS_KEPT.days,
        # The cookies' real names and lifetimes, so that the notice says what the portal sets.
        session_cookie=current_app.config["SESSION_COOKIE_NAME"],
        remember_cookie=current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        remember_days=account_services.remembered_for().days,
        language_cookie=LANGUAGE_COOKIE,
    )


# Why each of the moderation queue's standard reasons (portal.moderation.models) removes a
# response; a reason added there shows here under its name even before it has an explanation.
REASON_EXPLANATIONS = {
    "off_topic": _l("It is not about the consultation's proposal or questions."),
    "personal_attack": _l("It insults, threatens or mocks a person, rather than arguing with what they say."),
    "personal_data": _l(
        "It gives away someone's personal information: a child's or teacher's name, a phone number, an address."
    ),
    "advertising": _l("It advertises something or repeats the same text to many places."),
    "duplicate": _l("It repeats, word for word, a response already published."),
}


@bp.get("/terms")
@query_args()
def terms():
    return render_template(
        "pages/terms.html",
        reasons=STANDARD_REASONS,
        explanations=REASON_EXPLANATIONS,
        contact=current_app.config["PORTAL_PRIVACY_CONTACT"],
    )


# --- a copy of one's data -------------------------------------------------------------------


def _render_data(status=200):
    export = personal_data.latest_export(current_user)
    now = utcnow()
    return (
        render_template(
            "pages/my_data.html",
            form=forms.DataExportForm(formdata=None),
            export=export,
            downloadable=export is not None and export.is_downloadable(now),
            preparing=export is not None and export.is_being_prepared(now),
            token=personal_data.download_token(export) if export is not None else None,
            export_days=EXPORT_DAYS,
        ),
        status,
    )


@bp.get("/me/data")
def my_data():
    policy.require(current_user, "view_own_account")
    return _render_data()


@bp.post("/me/data")
def request_data_export():
    policy.require(current_user, "view_own_account")
    form = forms.DataExportForm()
    if not form.validate_on_submit():
        return _render_data(422)
    try:
        personal_data.request_export(current_user, ip_address=client_address())
    except DomainError as error:
        # Already being prepared: nothing to add, the page says so.
        flash(error.message, "info")
        return redirect_to(url_for("pages.my_data"))
    db.session.commit()
    flash(_("We are preparing a copy of your data. We will email you a link when it is ready."), "success")
    return redirect_to(url_for("pages.my_data"))


@bp.get("/me/data/<token>")
def download_data(token):
    """The file, to the person it belongs to only, until it expires. A link that is forged,
    someone else's or expired answers 404: it says nothing about anyone's data."""
    policy.require(current_user, "view_own_account")
    found = personal_data.read_download_token(token)
    if found is None or found[1] != current_user.id:
        abort(404)
    export = db.session.get(DataExport, found[0])
    if export is None or export.user_id != current_user.id or not export.is_downloadable(utcnow()):
        abort(404)
    path = personal_data.export_file(export)
    if not path.is_file():
        abort(404)
    personal_data.record_download(current_user, export, ip_address=client_address())
    db.session.commit()
    response = send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"portal-data-{export.ready_at:%Y%m%d}.zip",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- erasure --------------------------------------------------------------------------------


def _render_delete(form=None, status=200):
    return (
        render_template(
            "pages/delete_account.html",
            form=form or forms.DeleteAccountForm(formdata=None),
            staff=personal_data.staff_memberships(current_user),
        ),
        status,
    )


@bp.get("/me/delete")
def delete_account_form():
    policy.require(current_user, "view_own_account")
    return _render_delete()


def _too_many_password_guesses(limit):
    """The page again, the lock said beside the password's field (429)."""
    minutes = max(1, -(-limit.limit.get_expiry() // 60))
    form = forms.DeleteAccountForm()
    form.password.errors = [
        _(
            "Too many wrong guesses of your password. Deleting your account is locked for %(minutes)d minutes.",
            minutes=minutes,
        )
    ]
    return make_response(_render_delete(form, 429))


# Wrong passwords here count with those of /me/password: one limit, so a borrowed session
# cannot go on guessing on one form once the other has locked.
me.LOCKED_PAGES["pages.delete_account"] = _too_many_password_guesses


@bp.post("/me/delete")
@me.password_guesses
def delete_account():
    policy.require(current_user, "view_own_account")
    form = forms.DeleteAccountForm()
    if not form.validate_on_submit():
        return _render_delete(form, 422)
    try:
        personal_data.erase_account(current_user, password=form.password.data, ip_address=client_address())
    except DomainError as error:
        db.session.rollback()
        g.wrong_current_password = error.field == "password"
        if error.field:
            form[error.field].errors.append(error.message)
            return _render_delete(form, 422)
        flash(error.message, "error")
        return _render_delete(form, 409)
    db.session.commit()
    session.clear()
    logout_user()
    flash(
        _("Your account is deleted and your personal data erased. We have sent a last email to confirm it."), "success"
    )
    return redirect_to(url_for("pages.home"))
