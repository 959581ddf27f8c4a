"""What notifications add to pages that are not theirs: the unread count in the header, and the
follow button on a school's page and on a consultation's page (portal.web.adds_to): whether the
viewer follows it, and where the button posts. Visitors get a button that asks them to log in."""

from dataclasses import dataclass

from flask import url_for
from flask_login import current_user

from portal.notifications import bp, services
from portal.web import adds_to


@bp.app_template_global("unread_notifications")
def header_unread_count() -> int | None:
    """The header's count of unread notifications: one query on an index, only where a full page
    draws the header for a person who is logged in (None for a visitor: no query)."""
    if not current_user.is_authenticated:
        return None
    return services.unread_count(current_user)


@dataclass(frozen=True)
class FollowButton:
    following: bool
    follow_url: str
    unfollow_url: str
    logged_in: bool
    subject: str  # "school" or "consultation": the button's words differ a little


@adds_to("school")
def school_button(school, viewer) -> dict:
    logged_in = bool(getattr(viewer, "is_authenticated", False))
    return {
        "follow": FollowButton(
            following=logged_in and services.follows(viewer, school=school),
            follow_url=url_for("notifications.follow_school", slug=school.slug),
            unfollow_url=url_for("notifications.unfollow_school", slug=school.slug),
            logged_in=logged_in,
            subject="school",
        )
    }


@adds_to("consultation")
def consultation_button(consultation, viewer) -> dict:
    logged_in = bool(getattr(viewer, "is_authenticated", False))
    return {
        "follow": FollowButton(
            following=logged_in and services.follows(viewer, consultation=consultation),
            follow_url=url_for("notifications.follow_consultation", consultation_id=consultation.id),
            unfollow_url=url_for("notifications.unfollow_consultation", consultation_id=consultation.id),
            logged_in=logged_in,
            subject="consultation",
        )
    }
