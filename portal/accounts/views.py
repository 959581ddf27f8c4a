"""Registration, login and logout, "my account", and the school's invitation codes."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from portal import policy
from portal.accounts import bp, forms, services
from portal.accounts.models import normalize_email
from portal.clock import utcnow
from portal.extensions import client_address, db, limiter
from portal.web import current_language, is_htmx, managed_school, redirect_to, safe_next

LOGIN_FAILED = _l("That email and password do not match an account. Check both and try again.")
INVITATION_ERRORS = {
    "unknown": _l("This code is not known. Check it against the one your school gave you."),
    "used": _l("This code has already been used. Each code works once: ask your school for a new one."),
    "expired": _l("This code has expired. Ask your school for a new one."),
    "already_parent": _l("You are already a verified parent of this school."),
}


def _login_failed(response) -> bool:
    """Only failed attempts count against the login limits."""
    return response.status_code == 422


def _login_account_key() -> str:
    return "login-account:" + normalize_email(request.form.get("email", ""))[:254]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"], deduct_when=lambda response: response.status_code == 303)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.me"))
    form = forms.RegistrationForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
                language=current_language(),
                ip_address=client_address(),
            )
        except services.AccountError:
            form.email.errors.append(
                _("An account with this email address already exists. Log in instead, or use another address.")
            )
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name), "success")
            return redirect_to(url_for("accounts.me"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/register.html", form=form), status


@bp.post("/register/email")
def check_email():
    """Inline check of the email field while registering (htmx); the full form checks it again."""
    form = forms.EmailCheckForm()
    valid = form.validate()
    if valid and services.email_is_taken(form.email.data):
        form.email.errors = [
            _("An account with this email address already exists. Log in instead, or use another address.")
        ]
        valid = False
    if not is_htmx():
        return redirect_to(url_for("accounts.register"))
    return render_template("accounts/_email_field.html", field=form.email, checked=True), 200 if valid else 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["PORTAL_LOGIN_LIMIT_PER_IP"],
    methods=["POST"],
    deduct_when=_login_failed,
    scope="login-ip",
)
@limiter.limit(
    lambda: current_app.config["PORTAL_LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    deduct_when=_login_failed,
    key_func=_login_account_key,
    scope="login-account",
)
def login():
    target = safe_next(request.values.get("next"), url_for("accounts.me"))
    if current_user.is_authenticated:
        return redirect(target)
    form = forms.LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data, ip_address=client_address())
        if user is not None:
            db.session.commit()
            # A new session at login: nothing set before (by anyone) survives into the logged-in session.
            session.clear()
            login_user(user, remember=form.remember.data)
            return redirect_to(target)
        db.session.commit()  # keeps the audit record of the failed attempt
        form.password.errors.append(LOGIN_FAILED)
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form, next=target), status


@bp.post("/logout")
def logout():
    session.clear()
    # After clearing: logout_user() leaves a mark in the session that tells Flask-Login to delete
    # the "keep me logged in" cookie; cleared away, that cookie would log the person straight back in.
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect_to(url_for("main.home"))


def _render_me(status=200, **forms_given):
    profile = forms_given.get("profile_form") or forms.ProfileForm(
        formdata=None, display_name=current_user.display_name, language=current_user.language or current_language()
    )
    password = forms_given.get("password_form") or forms.PasswordChangeForm(formdata=None)
    invitation = forms_given.get("invitation_form") or forms.RedeemInvitationForm(formdata=None)
    return (
        render_template(
            "accounts/me.html",
            profile_form=profile,
            password_form=password,
            invitation_form=invitation,
            memberships=current_user.memberships,
            # What moderators decided about the person's responses and reports, and a block in force.
            moderation_decisions=moderation_services.decisions_for(current_user),
            block_message=policy.block_message(block) if (block := policy.block_in_force(current_user)) else None,
        ),
        status,
    )


from portal.moderation import services as moderation_services  # noqa: E402  (moderation builds on accounts)


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
    services.update_profile(current_user, display_name=form.display_name.data, language=form.language.data)
    db.session.commit()
    flash(_("Your profile is saved."), "success")
    return redirect_to(url_for("accounts.me"))


@bp.post("/me/password")
def change_password():
    policy.require(current_user, "view_own_account")
    form = forms.PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, current_password=form.current_password.data, new_password=form.new_password.data
            )
        except services.AccountError:
            form.current_password.errors.append(_("Your current password is not correct."))
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # this session goes on with the new token; all others end
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect_to(url_for("accounts.me"))
    return _render_me(422, password_form=form)


@bp.post("/me/invitation")
def redeem_invitation():
    policy.require(current_user, "redeem_invitation")
    form = forms.RedeemInvitationForm()
    if form.validate_on_submit():
        try:
            membership = services.redeem_invitation(current_user, form.code.data)
        except services.AccountError as error:
            db.session.rollback()
            form.code.errors.append(INVITATION_ERRORS.get(error.reason, INVITATION_ERRORS["unknown"]))
        else:
            db.session.commit()
            flash(
                _("You are now a verified parent of %(school)s.", school=membership.school.name(current_language())),
                "success",
            )
            return redirect_to(url_for("accounts.me"))
    return _render_me(422, invitation_form=form)


@bp.route("/schools/<slug>/manage/invitations", methods=["GET", "POST"])
def invitations(slug):
    school = managed_school(slug, "manage_invitations")
    form = forms.InvitationBatchForm(
        data={"valid_days": current_app.config["PORTAL_INVITATION_DAYS"]} if request.method == "GET" else None
    )
    if form.validate_on_submit():
        created = services.create_invitations(
            current_user, school, count=form.count.data, valid_days=form.valid_days.data, note=form.note.data or ""
        )
        db.session.commit()
        # Shown once, right after the redirect; only hashes stay in the database.
        session["new_invitation_codes"] = [code for _invitation, code in created]
        return redirect_to(url_for("accounts.invitations", slug=slug))
    new_codes = session.pop("new_invitation_codes", []) if request.method == "GET" else []
    status = 422 if form.is_submitted() else 200
    return (
        render_template(
            "accounts/invitations.html",
            school=school,
            form=form,
            new_codes=new_codes,
            invitations=services.recent_invitations(school),
            now=utcnow(),
        ),
        status,
    )
