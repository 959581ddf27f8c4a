"""The person's notification pages (/me/notifications, its settings, /me/following), the follow
buttons of schools and consultations, and unsubscribing from a mail's link without logging in."""

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from portal import policy
from portal.consultations import services as consultation_services
from portal.extensions import csrf, db
from portal.notifications import bp, forms, mail, services
from portal.notifications.models import Delivery
from portal.notifications.page_parts import consultation_button, school_button
from portal.notifications.texts import words
from portal.web import (
    current_language,
    found_or_404,
    int_arg,
    is_htmx,
    redirect_to,
    safe_next,
    school_or_404,
    writes,
)

# --- the person's notifications -------------------------------------------------------------


def _target(notification) -> str:
    """Where a notification leads (its page may have moved away since: then the list)."""
    try:
        return url_for(notification.endpoint, **(notification.url_args or {}))
    except (BuildError, TypeError, ValueError):
        return url_for("notifications.index")


@bp.get("/me/notifications")
def index():
    policy.require(current_user, "view_own_account")
    before = int_arg("before")
    items = services.notifications_of(current_user, before_id=before, limit=services.PAGE_SIZE + 1)
    older = items[services.PAGE_SIZE - 1].id if len(items) > services.PAGE_SIZE else None
    shown = [
        {
            "id": item.id,
            "text": words(item.event, item.params),
            "unread": item.unread,
            "created_at": item.created_at,
            "url": url_for("notifications.open_item", notification_id=item.id),
        }
        for item in items[: services.PAGE_SIZE]
    ]
    return render_template(
        "notifications/index.html",
        notifications=shown,
        older=older,
        first_page=before is None,
        unread=services.unread_count(current_user),
    )


@bp.get("/me/notifications/<int:notification_id>")
@writes
def open_item(notification_id):
    """Opening a notification marks it read and goes where it points."""
    policy.require(current_user, "view_own_account")
    notification = found_or_404(services.notification_of(current_user, notification_id))
    services.mark_read(current_user, notification)
    db.session.commit()
    return redirect_to(_target(notification))


@bp.post("/me/notifications/read")
def mark_all_read():
    policy.require(current_user, "view_own_account")
    marked = services.mark_all_read(current_user, current_user)
    db.session.commit()
    if marked:
        flash(_("All your notifications are marked read."), "success")
    return redirect_to(url_for("notifications.index"))


# --- how the person wants to be told --------------------------------------------------------


@bp.route("/me/notifications/settings", methods=["GET", "POST"])
def settings():
    policy.require(current_user, "view_own_account")
    form = forms.preferences_form(services.preferences_of(current_user), services.kinds_for(current_user))
    if form.is_submitted():
        if form.validate():
            data = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
            services.set_preferences(current_user, current_user, data)
            db.session.commit()
            flash(_("Your notification settings are saved."), "success")
            return redirect_to(url_for("notifications.settings"))
        return render_template("notifications/settings.html", form=form, has_email=bool(current_user.email)), 422
    return render_template("notifications/settings.html", form=form, has_email=bool(current_user.email))


# --- following ------------------------------------------------------------------------------


@bp.get("/me/following")
def following():
    policy.require(current_user, "view_own_account")
    return render_template(
        "notifications/following.html", follows=services.followed_by(current_user), language=current_language()
    )


def _after_follow(button: dict, default: str):
    """htmx swaps the button as it is now; a plain form goes back to the page it came from."""
    if is_htmx():
        return render_template("notifications/_follow.html", **button)
    return redirect_to(safe_next(request.form.get("next") or request.args.get("next"), default))


@bp.post("/schools/<slug>/follow")
def follow_school(slug):
    school = school_or_404(slug)
    policy.require(current_user, "follow", school)
    services.follow(current_user, school=school)
    db.session.commit()
    if not is_htmx():
        flash(
            _("You follow %(school)s: its news reaches you as you chose.", school=school.name(current_language())),
            "success",
        )
    return _after_follow(school_button(school, current_user), url_for("pages.school", slug=slug))


@bp.post("/schools/<slug>/unfollow")
def unfollow_school(slug):
    school = school_or_404(slug)
    policy.require(current_user, "follow", school)
    services.unfollow(current_user, school=school)
    db.session.commit()
    if not is_htmx():
        flash(_("You no longer follow %(school)s.", school=school.name(current_language())), "success")
    return _after_follow(school_button(school, current_user), url_for("pages.school", slug=slug))


def _consultation(consultation_id: int):
    consultation = found_or_404(consultation_services.consultation_by_id(consultation_id))
    policy.require(current_user, "follow_consultation", consultation)
    return consultation


@bp.post("/consultations/<int:consultation_id>/follow")
def follow_consultation(consultation_id):
    consultation = _consultation(consultation_id)
    services.follow(current_user, consultation=consultation)
    db.session.commit()
    if not is_htmx():
        flash(_("You follow this consultation: you will be told of its outcome."), "success")
    return _after_follow(
        consultation_button(consultation, current_user),
        url_for("consultations.show", consultation_id=consultation_id),
    )


@bp.post("/consultations/<int:consultation_id>/unfollow")
def unfollow_consultation(consultation_id):
    consultation = _consultation(consultation_id)
    services.unfollow(current_user, consultation=consultation)
    db.session.commit()
    if not is_htmx():
        flash(_("You no longer follow this consultation."), "success")
    return _after_follow(
        consultation_button(consultation, current_user),
        url_for("consultations.show", consultation_id=consultation_id),
    )


# --- unsubscribing from a mail's link -------------------------------------------------------


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed link is the proof (RFC 8058: mail programs post it without a session or token)
def unsubscribe(token):
    """GET shows what the link stops and a button (a link opened by a mail scanner changes
    nothing); POST stops those mails. A forged, changed or expired link, or one of another
    person than the one logged in, changes nothing and says so."""
    found = mail.read_unsubscribe_token(token)
    if found is None:
        return render_template("notifications/unsubscribe.html", problem="invalid"), 400
    user_id, kind = found
    person = services.person(user_id)
    if person is None:
        return render_template("notifications/unsubscribe.html", problem="invalid"), 400
    if current_user.is_authenticated and current_user.id != user_id:
        return render_template("notifications/unsubscribe.html", problem="other_person"), 403
    if request.method == "POST":
        stopped = services.unsubscribe(None, person, kind)
        db.session.commit()
        if request.form.get("List-Unsubscribe") == "One-Click":
            return "", 204  # the mail program asked; nobody reads a page
        return render_template("notifications/unsubscribe.html", kind=kind, done=True, stopped=stopped)
    delivery = services.preferences_of(person)
    if kind is None:
        mailed = any(choice == Delivery.DIGEST for choice in delivery.values())
    else:
        mailed = delivery[kind] in (Delivery.EMAIL, Delivery.DIGEST)
    return render_template("notifications/unsubscribe.html", kind=kind, done=False, mailed=mailed)
