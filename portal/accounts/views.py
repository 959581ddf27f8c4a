"""Registration, login and logout. The person's own page is portal/pages/me.py; a school's
invitation codes are in manage_views.py."""

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from portal import policy
from portal.accounts import bp, forms, services
from portal.accounts.models import normalize_email
from portal.domain import DomainError
from portal.extensions import client_address, db, limiter
from portal.web import current_language, is_htmx, reads_only, redirect_to, safe_next, unavailable_says

LOGIN_FAILED = _l("That email and password do not match an account. Check both and try again.")


def _login_failed(response) -> bool:
    """Only failed attempts count against the login limits."""
    return response.status_code == 422


def _login_account_key() -> str:
    return "login-account:" + normalize_email(request.form.get("email", ""))[:254]


# Every attempt counts against the registration limits, whatever its answer (303, 204 for htmx,
# 422 for a form with mistakes): a script learns nothing by changing headers or sending bad forms.
@bp.route("/register", methods=["GET", "POST"])
@unavailable_says(
    _l("Your account was not created"),
    _l("The portal could not store your account, so it was not created. Please try again in a moment."),
)
@limiter.limit(lambda: current_app.config["PORTAL_REGISTER_LIMIT_PER_IP"], methods=["POST"], scope="register-ip")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("pages.me"))
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
        except DomainError as error:
            form[error.field].errors.append(error.message)
        else:
            services.start_session(user, user_agent=request.user_agent.string, address=client_address())
            db.session.commit()
            session.clear()
            login_user(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name), "success")
            return redirect_to(url_for("pages.me"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/register.html", form=form), status


@bp.post("/register/email")
@reads_only
@limiter.limit(lambda: current_app.config["PORTAL_EMAIL_CHECK_LIMIT_PER_IP"], scope="register-email-check")
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
    target = safe_next(request.values.get("next"), url_for("pages.me"))
    if current_user.is_authenticated:
        return redirect(target)
    form = forms.LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data, ip_address=client_address())
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
    return redirect_to(url_for("pages.home"))


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
