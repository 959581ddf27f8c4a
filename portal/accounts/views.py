"""Registration (the address first, then the mailed link), a forgotten password, login, logout
and one's logged-in devices. The person's own page is portal/pages/me.py; a school's
invitation codes and its staff are in manage_views.py; a staff invitation is accepted here."""

import hashlib

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from portal import policy
from portal.accounts import bp, forms, services
from portal.accounts.models import normalize_email
from portal.domain import DomainError
from portal.extensions import client_address, db, limiter
from portal.web import (
    current_language,
    is_htmx,
    reads_first,
    reads_only,
    redirect_to,
    safe_next,
    unavailable_says,
    write_lock_from_here,
)

LOGIN_FAILED = _l("That email and password do not match an account. Check both and try again.")


def _login_failed(response) -> bool:
    """Only failed attempts count against the login limits."""
    return response.status_code == 422


def _login_account_key() -> str:
    return "login-account:" + normalize_email(request.form.get("email", ""))[:254]


def _typed_email() -> str:
    return normalize_email(request.form.get("email", ""))[:254]


def _typed_email_key() -> str:
    # A digest, not the address: the limits' storage (Redis) never holds people's email addresses.
    return hashlib.sha256(_typed_email().encode()).hexdigest()[:32]


def _no_email_typed() -> bool:
    # An empty form is refused beside its field; it sends no mail, so it uses none of an address's mails.
    return not _typed_email()


# A link that did work once, and no longer does (410); the others were never genuine (400).
_GONE_LINKS = {
    services.AccountRefusal.LINK_EXPIRED,
    services.AccountRefusal.LINK_USED,
    services.AccountRefusal.INVITATION_EXPIRED,
    services.AccountRefusal.INVITATION_USED,
    services.AccountRefusal.INVITATION_WITHDRAWN,
}


def _link_problem(error: DomainError, again_endpoint: str | None):
    """The page of a registration, reset or invitation link that is forged, expired or used: what
    happened, and where to ask for a new one (an invitation is sent again by the commission, not
    asked for here: `again_endpoint` None). Nothing changes."""
    status = 410 if error.reason in _GONE_LINKS else 400
    again = url_for(again_endpoint) if again_endpoint else None
    return render_template("accounts/link_problem.html", message=error.message, again=again), status


# Registration: the address first, then the link mailed to it. The page says the same words
# whether or not the address has an account (the mail to it tells which), so nobody can read out
# the list of accounts. Every attempt counts against the limits, whatever its answer (303, 204
# for htmx, 422 for a form with mistakes): a script learns nothing by changing headers or sending
# bad forms; and one address gets a few mails an hour at most, whoever asks.
@bp.route("/register", methods=["GET", "POST"])
@unavailable_says(
    _l("No email was sent"),
    _l("The portal could not store your request, so no email was sent. Please try again in a moment."),
)
@limiter.limit(lambda: current_app.config["PORTAL_REGISTER_LIMIT_PER_IP"], methods=["POST"], scope="register-ip")
@limiter.limit(
    lambda: current_app.config["PORTAL_VERIFY_MAIL_LIMIT_PER_EMAIL"],
    methods=["POST"],
    key_func=lambda: "verify-mail:" + _typed_email_key(),
    exempt_when=_no_email_typed,
    scope="verify-mail-email",
)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("pages.me"))
    return _mail_a_link(
        forms.RegistrationForm(), services.request_registration, "accounts.registration_sent", "accounts/register.html"
    )


def _mail_a_link(form, ask_for_it, sent_endpoint: str, template: str):
    """Registering and resetting a password start alike: an address typed, a link mailed to it
    (`ask_for_it` decides what the mail says), and the same "mail sent" page whatever the
    address, which is kept for that page only."""
    if form.validate_on_submit():
        ask_for_it(form.email.data, language=current_language(), ip_address=client_address())
        db.session.commit()
        session["mail_sent_to"] = normalize_email(form.email.data)
        return redirect_to(url_for(sent_endpoint))
    return render_template(template, form=form), 422 if form.is_submitted() else 200


@bp.get("/register/sent")
def registration_sent():
    # Shown once: on a shared phone the next person to open this page does not see the address.
    return render_template("accounts/mail_sent.html", purpose="register", email=session.pop("mail_sent_to", ""))


@bp.route("/register/complete/<token>", methods=["GET", "POST"])
@unavailable_says(
    _l("Your account was not created"),
    _l("The portal could not store your account, so it was not created. Please try again in a moment."),
)
def complete_registration(token):
    """The link from the mail: the address is proved; choose a name and a password."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.me"))
    try:
        email = services.read_registration_token(token)
    except DomainError as error:
        return _link_problem(error, "accounts.register")
    form = forms.CompleteRegistrationForm(account_email=email)
    if form.validate_on_submit():
        return _create_account(email, form, services.AccountRefusal.LINK_USED, "accounts.register")
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/complete_registration.html", form=form, email=email, token=token), status


# A staff invitation: the commission appointed someone by an address no account used. The link
# proves the address, like a registration link; opening it changes nothing (mail scanners open
# links), the person acts on the page: creating their account, or accepting with the one they have.
@bp.route("/staff-invitation/<token>", methods=["GET", "POST"])
@unavailable_says(
    _l("The invitation was not accepted"),
    _l("The portal could not store your answer, so nothing changed. Please try again in a moment."),
)
def staff_invitation(token):
    try:
        invitation = services.read_staff_invitation(token)
    except DomainError as error:
        if error.reason == services.AccountRefusal.INVITATION_USED and current_user.is_authenticated:
            flash(error.message, "info")  # most likely by them, a moment ago: their roles are on /me
            return redirect_to(url_for("pages.me"))
        return _link_problem(error, None)
    place = invitation.scope.name(current_language())
    context = {"invitation": invitation, "place": place, "token": token}
    if current_user.is_authenticated:
        if normalize_email(current_user.email) != invitation.email:
            return render_template("accounts/staff_invitation.html", step="other_account", **context), 409
        form = forms.AcceptInvitationForm()
        if form.validate_on_submit():
            try:
                services.accept_staff_invitation(current_user, invitation)
            except DomainError as error:
                db.session.rollback()
                return _link_problem(error, None)
            db.session.commit()
            flash(_role_held(invitation.role, place), "success")
            return redirect_to(url_for("pages.me"))
        status = 422 if form.is_submitted() else 200
        return render_template("accounts/staff_invitation.html", step="accept", form=form, **context), status
    if services.email_is_taken(invitation.email):
        login = url_for("accounts.login", next=url_for("accounts.staff_invitation", token=token))
        return render_template("accounts/staff_invitation.html", step="log_in", login=login, **context)
    form = forms.CompleteRegistrationForm(account_email=invitation.email)
    if form.validate_on_submit():
        return _create_account(invitation.email, form, services.AccountRefusal.INVITATION_USED, None)
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/staff_invitation.html", step="register", form=form, **context), status


def _create_account(email: str, form, used: services.AccountRefusal, again_endpoint: str | None):
    """Where both links end (registration, staff invitation): the account made with the name and
    password typed, this browser logged in to it, and the roles that waited at the address said.
    A link used twice at the same moment makes one account: the other request gets `used`."""
    try:
        user = services.register_user(
            email=email,
            display_name=form.display_name.data,
            password=form.password.data,
            language=current_language(),
            ip_address=client_address(),
        )
    except DomainError:
        db.session.rollback()
        return _link_problem(DomainError(used), again_endpoint)
    services.start_session(user, user_agent=request.user_agent.string, address=client_address())
    db.session.commit()
    session.clear()
    login_user(user)
    flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name), "success")
    # Staff invited at this address before it had an account: the roles are now theirs.
    for membership in user.memberships:
        flash(_role_held(membership.role, membership.scope.name(current_language())), "success")
    return redirect_to(url_for("pages.me"))


def _role_held(role, place: str) -> str:
    return _("You now hold the role “%(role)s” at %(place)s.", role=role.label, place=place)


@bp.post("/register/email")
@reads_only
@limiter.limit(lambda: current_app.config["PORTAL_EMAIL_CHECK_LIMIT_PER_IP"], scope="register-email-check")
def check_email():
    """Inline check of the email field while registering (htmx): its form only. Whether the
    address has an account is never said here (the mail to it says so)."""
    form = forms.EmailCheckForm()
    valid = form.validate()
    if not is_htmx():
        return redirect_to(url_for("accounts.register"))
    return render_template("accounts/_email_field.html", field=form.email, checked=True), 200 if valid else 422


# --- a forgotten password ------------------------------------------------------------------


@bp.route("/password/reset", methods=["GET", "POST"])
@unavailable_says(
    _l("No email was sent"),
    _l("The portal could not store your request, so no email was sent. Please try again in a moment."),
)
@limiter.limit(lambda: current_app.config["PORTAL_RESET_LIMIT_PER_IP"], methods=["POST"], scope="reset-ip")
@limiter.limit(
    lambda: current_app.config["PORTAL_RESET_MAIL_LIMIT_PER_EMAIL"],
    methods=["POST"],
    key_func=lambda: "reset-mail:" + _typed_email_key(),
    exempt_when=_no_email_typed,
    scope="reset-mail-email",
)
def request_password_reset():
    """The same answer for every address: a mail goes only to one with an account."""
    return _mail_a_link(
        forms.PasswordResetRequestForm(),
        services.request_password_reset,
        "accounts.password_reset_sent",
        "accounts/password_reset_request.html",
    )


@bp.get("/password/reset/sent")
def password_reset_sent():
    return render_template("accounts/mail_sent.html", purpose="reset", email=session.pop("mail_sent_to", ""))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@unavailable_says(
    _l("Your password was not changed"),
    _l("The portal could not store your new password, so it was not changed. Please try again in a moment."),
)
def reset_password(token):
    """The link from the mail: a new password; every session of the account ends, and this
    browser is logged in afresh."""
    try:
        user = services.read_reset_token(token)
    except DomainError as error:
        return _link_problem(error, "accounts.request_password_reset")
    form = forms.PasswordResetForm(account_email=user.email, account_name=user.display_name)
    if form.validate_on_submit():
        services.reset_password(user, new_password=form.new_password.data, ip_address=client_address())
        services.start_session(user, user_agent=request.user_agent.string, address=client_address())
        db.session.commit()
        session.clear()
        logout_user()
        login_user(user)
        flash(_("Your password is changed. Every other device was logged out."), "success")
        return redirect_to(url_for("pages.me"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/password_reset.html", form=form, token=token, email=user.email), status


@bp.route("/login", methods=["GET", "POST"])
@reads_first
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
    target = safe_next(request.values.get("next"), url_for("pages.me"))
    if current_user.is_authenticated:
        return redirect(target)
    form = forms.LoginForm()
    if form.validate_on_submit():
        # The password is checked first, while the request only reads: on SQLite other people's
        # changes do not wait for its hash. Then the lock, and the login's writes.
        checked = services.check_password(form.email.data, form.password.data)
        write_lock_from_here()
        user = services.authenticate(form.email.data, form.password.data, ip_address=client_address(), checked=checked)
        if user is not None:
            services.start_session(
                user, user_agent=request.user_agent.string, address=client_address(), remember=form.remember.data
            )
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
def logout():  # writes: the server forgets the session (so it waits its turn for the lock)
    if current_user.is_authenticated:
        services.log_out(current_user)  # the server forgets this session: a copied cookie opens nothing
        db.session.commit()
    session.clear()
    # After clearing: logout_user() leaves a mark in the session that tells Flask-Login to delete
    # the "keep me logged in" cookie; cleared away, that cookie would log the person straight back in.
    logout_user()
    flash(_("You are logged out."), "success")
    # Back to the home page, or to an address of ours the form names (a staff invitation's page).
    return redirect_to(safe_next(request.form.get("next"), url_for("pages.home")))


# --- the person's logged-in devices ----------------------------------------------------------


@bp.get("/me/sessions")
def sessions():
    policy.require(current_user, "view_own_account")
    return render_template(
        "accounts/sessions.html", sessions=services.sessions_of(current_user), current_token=current_user.session_token
    )


@bp.post("/me/sessions/<int:session_id>/end")
def end_session(session_id):
    """Log out one device; ending this very one is logging out."""
    policy.require(current_user, "view_own_account")
    ending_this_one = any(
        record.id == session_id and record.token == current_user.session_token
        for record in services.sessions_of(current_user)
    )
    if not services.end_session(current_user, current_user, session_id):
        abort(404)
    db.session.commit()
    if ending_this_one:
        session.clear()
        logout_user()
        flash(_("You are logged out."), "success")
        return redirect_to(url_for("pages.home"))
    flash(_("That device is logged out."), "success")
    return redirect_to(url_for("accounts.sessions"))


@bp.post("/me/sessions/end-all")
def end_all_sessions():
    """Log out everywhere, this device included."""
    policy.require(current_user, "view_own_account")
    services.end_sessions(current_user, current_user)
    db.session.commit()
    session.clear()
    logout_user()
    flash(_("You are logged out on every device."), "success")
    return redirect_to(url_for("pages.home"))
