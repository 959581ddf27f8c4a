"""The person's own page (/me): for staff, what is waiting for them (portal.pages.work); their
profile, password, roles and parent verification, what moderators decided about what they wrote
or reported, and a block in force. The forms on it post
to the routes below; each shows the page again with its messages when something is wrong."""

from flask import current_app, flash, g, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import policy
from portal.accounts import forms
from portal.accounts import services as account_services
from portal.clock import utcnow
from portal.domain import DomainError
from portal.extensions import db, limiter
from portal.moderation import services as moderation_services
from portal.pages import bp, work
from portal.supervision import services as supervision_services
from portal.web import current_language, redirect_to


def _render_me(status=200, **forms_given):
    profile = forms_given.get("profile_form") or forms.ProfileForm(
        formdata=None, display_name=current_user.display_name, language=current_user.language or current_language()
    )
    password = forms_given.get("password_form") or forms.PasswordChangeForm(formdata=None)
    invitation = forms_given.get("invitation_form") or forms.RedeemInvitationForm(formdata=None)
    return (
        render_template(
            "pages/me.html",
            profile_form=profile,
            password_form=password,
            invitation_form=invitation,
            memberships=current_user.memberships,
            # What moderators decided about the person's responses and reports, and the blocks in
            # force (each says where it applies and until when).
            moderation_decisions=moderation_services.decisions_for(current_user),
            block_messages=[policy.block_message(block) for block in policy.blocks_in_force(current_user)],
            # For staff: what waits for them in each school and authority they serve (parents: nothing, no query).
            work=work.staff_work(current_user, utcnow()) if policy.is_staff(current_user) else [],
            # For a responsible supervisor: the cases referred to them that wait for an answer.
            open_cases=supervision_services.open_cases_count(current_user),
        ),
        status,
    )


@bp.get("/me")
def me():
    policy.require(current_user, "view_own_account")
    return _render_me()


@bp.post("/me/profile")
def update_profile():
    policy.require(current_user, "view_own_account")
    form = forms.ProfileForm()
    if not form.validate_on_submit():
        return _render_me(422, profile_form=form)
    account_services.update_profile(current_user, display_name=form.display_name.data, language=form.language.data)
    db.session.commit()
    flash(_("Your profile is saved."), "success")
    return redirect_to(url_for("pages.me"))


def _password_guesses_key() -> str:
    return f"password-check:{current_user.get_id().partition(':')[0] if current_user.is_authenticated else ''}"


def _too_many_password_guesses(limit):
    """The page again, the lock said beside the current password's field (429)."""
    minutes = max(1, -(-limit.limit.get_expiry() // 60))
    form = forms.PasswordChangeForm()
    form.current_password.errors = [
        _(
            "Too many wrong guesses of your current password. Changing it is locked for %(minutes)d minutes.",
            minutes=minutes,
        )
    ]
    return make_response(_render_me(429, password_form=form))


# The page each form that asks for the password shows when guessing is locked (by endpoint).
LOCKED_PAGES = {"pages.change_password": _too_many_password_guesses}

# Only wrong guesses of the password count; after five in 15 minutes the forms that ask for it
# (changing it here, deleting the account in privacy.py: one limit for both) are locked, the
# right password included, so that a borrowed session cannot try passwords until one fits.
password_guesses = limiter.shared_limit(
    lambda: current_app.config["PORTAL_PASSWORD_CHECK_LIMIT_PER_ACCOUNT"],
    scope="password-check",
    key_func=_password_guesses_key,
    deduct_when=lambda response: bool(g.get("wrong_current_password")),
    on_breach=lambda limit: LOCKED_PAGES[request.endpoint](limit),
)


@bp.post("/me/password")
@password_guesses
def change_password():
    policy.require(current_user, "view_own_account")
    form = forms.PasswordChangeForm()
    if form.validate_on_submit():
        try:
            account_services.change_password(
                current_user, current_password=form.current_password.data, new_password=form.new_password.data
            )
        except DomainError as error:
            g.wrong_current_password = error.field == "current_password"
            form[error.field].errors.append(error.message)
        else:
            db.session.commit()  # this session goes on; every other one has ended
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect_to(url_for("pages.me"))
    return _render_me(422, password_form=form)


@bp.post("/me/invitation")
def redeem_invitation():
    policy.require(current_user, "redeem_invitation")
    form = forms.RedeemInvitationForm()
    if form.validate_on_submit():
        try:
            membership = account_services.redeem_invitation(current_user, form.code.data)
        except DomainError as error:
            db.session.rollback()
            form[error.field].errors.append(error.message)
        else:
            db.session.commit()
            flash(
                _("You are now a verified parent of %(school)s.", school=membership.school.name(current_language())),
                "success",
            )
            return redirect_to(url_for("pages.me"))
    return _render_me(422, invitation_form=form)
