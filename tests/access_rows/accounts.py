"""Access rows for the accounts and main blueprints."""

from datetime import timedelta

from portal.accounts import services
from portal.accounts.models import Role, StaffInvitation, hash_link_token
from portal.clock import utcnow
from portal.extensions import db
from tests.access_rows import everyone, url_arguments, visitor_then
from tests.access_rows.disclosure import catalogue_admins


def arguments(school, other_school):
    """The invitation codes' page is a school's; ending a session names a session of somebody
    else's (so it is not found for anyone); a registration link is a genuine one to an address
    without an account, a reset link a genuine one of somebody's; the other routes take no
    arguments."""
    somebody = services.register_user(
        email="logged-in-elsewhere@example.org", display_name="别人", password="a long enough password", language=None
    )
    services.start_session(somebody, user_agent="Firefox")
    db.session.commit()
    (their_session,) = services.sessions_of(somebody)
    appointed = services.grant_membership(None, somebody, Role.BOARD_MEMBER, school)
    moderates = services.grant_membership(None, somebody, Role.MODERATOR, school.authority)

    def invitation(email, role, token, **where):
        made = StaffInvitation(
            email=email, role=role, token_hash=hash_link_token(token), expires_at=utcnow() + timedelta(days=14), **where
        )
        db.session.add(made)
        return made

    # A staff invitation's link, to an address without an account: a visitor may create it there.
    invitation("invited-newcomer@example.org", Role.BOARD_MEMBER, "access-matrix-invitation", school=school)
    school_invitation = invitation("invited-admin@example.org", Role.SCHOOL_ADMIN, "access-matrix-1", school=school)
    authority_invitation = invitation(
        "invited-moderator@example.org", Role.MODERATOR, "access-matrix-2", authority=school.authority
    )
    (code, _clear) = services.create_invitations(somebody, school, count=1, valid_days=30)[0]
    db.session.commit()
    return {
        **url_arguments(*EXPECTED),
        **url_arguments("accounts.invitations", slug=school.slug),
        **url_arguments("accounts.withdraw_invitation", slug=school.slug, invitation_id=code.id),
        **url_arguments("accounts.staff", slug=school.slug),
        **url_arguments("accounts.remove_staff", slug=school.slug, membership_id=appointed.id),
        **url_arguments("accounts.authority_staff", authority_id=school.authority_id),
        **url_arguments(
            "accounts.remove_authority_staff", authority_id=school.authority_id, membership_id=moderates.id
        ),
        **url_arguments("accounts.resend_staff_invitation", slug=school.slug, invitation_id=school_invitation.id),
        **url_arguments("accounts.withdraw_staff_invitation", slug=school.slug, invitation_id=school_invitation.id),
        **url_arguments(
            "accounts.resend_authority_staff_invitation",
            authority_id=school.authority_id,
            invitation_id=authority_invitation.id,
        ),
        **url_arguments(
            "accounts.withdraw_authority_staff_invitation",
            authority_id=school.authority_id,
            invitation_id=authority_invitation.id,
        ),
        **url_arguments("accounts.staff_invitation", token="access-matrix-invitation"),
        **url_arguments("accounts.end_session", session_id=their_session.id),
        **url_arguments("accounts.complete_registration", token=services.registration_token("newcomer@example.org")),
        **url_arguments("accounts.reset_password", token=services.reset_token(somebody)),
    }


# 302 for a visitor is the redirect to log in; for a logged-in person, the redirect to /me.
EXPECTED = {
    "pages.home": everyone(200),
    "pages.healthz": everyone(200),
    "pages.set_language": everyone(303),  # no language given: back to the page, nothing set
    "accounts.register": visitor_then(200, 302),
    "accounts.check_email": everyone(303),  # without htmx: back to the registration form
    "accounts.registration_sent": everyone(200),
    "accounts.complete_registration": visitor_then(200, 302),  # logged in: to /me
    # A staff invitation to an address without an account: a visitor creates it there; anyone
    # logged in is logged in with another address (409: log out first).
    "accounts.staff_invitation": visitor_then(200, 409),
    "accounts.request_password_reset": everyone(200),
    "accounts.password_reset_sent": everyone(200),
    "accounts.reset_password": everyone(200),  # the link is the proof, whoever opens it
    "accounts.login": visitor_then(200, 302),
    "accounts.logout": visitor_then(302, 303),
    "pages.me": visitor_then(302, 200),
    "pages.update_profile": visitor_then(302, 422),
    "pages.change_password": visitor_then(302, 422),
    "pages.redeem_invitation": visitor_then(302, 422),
    "accounts.sessions": visitor_then(302, 200),
    "accounts.end_session": visitor_then(302, 404),  # somebody else's session
    "accounts.end_all_sessions": visitor_then(302, 303),  # logged out everywhere
    "accounts.invitations": {
        "visitor": 302,
        "parent": 403,
        "board_member": 403,
        "school_admin": 200,
        "school_admin_other_school": 404,
        "moderator_same_district": 403,
        "moderator_other_district": 404,
        "commission_admin": 200,
    },
}

# A school's staff are appointed by the commission above it: the school's own people are refused,
# another district's staff do not find the school's management area.
COMMISSION_ONLY = {
    "visitor": 302,
    "parent": 403,
    "board_member": 403,
    "school_admin": 403,
    "school_admin_other_school": 404,
    "moderator_same_district": 403,
    "moderator_other_district": 404,
}
EXPECTED["accounts.staff"] = {**COMMISSION_ONLY, "commission_admin": 200}
# Withdrawing a code: its school's admins (and the commission above); 303 back to the codes' page.
EXPECTED["accounts.withdraw_invitation"] = {
    **EXPECTED["accounts.invitations"],
    "school_admin": 303,
    "commission_admin": 303,
}
# Posted without "confirm": the page that asks first.
EXPECTED["accounts.remove_staff"] = {**COMMISSION_ONLY, "commission_admin": 200}
# A district's staff: its commission admins and the city's (as a district's catalogue).
EXPECTED["accounts.authority_staff"] = catalogue_admins(200)
EXPECTED["accounts.remove_authority_staff"] = catalogue_admins(200)
EXPECTED["accounts.resend_staff_invitation"] = {**COMMISSION_ONLY, "commission_admin": 303}
EXPECTED["accounts.withdraw_staff_invitation"] = {**COMMISSION_ONLY, "commission_admin": 303}
EXPECTED["accounts.resend_authority_staff_invitation"] = catalogue_admins(303)
EXPECTED["accounts.withdraw_authority_staff_invitation"] = catalogue_admins(303)

EXPECTED_POST = {
    "accounts.register": visitor_then(422, 302),
    "accounts.complete_registration": visitor_then(422, 302),
    "accounts.staff_invitation": visitor_then(422, 409),
    "accounts.request_password_reset": everyone(422),
    "accounts.reset_password": everyone(422),
    "accounts.login": visitor_then(422, 302),
    "accounts.invitations": {
        "visitor": 302,
        "parent": 403,
        "board_member": 403,
        "school_admin": 422,
        "school_admin_other_school": 404,
        "moderator_same_district": 403,
        "moderator_other_district": 404,
        "commission_admin": 422,
    },
    "accounts.staff": {**COMMISSION_ONLY, "commission_admin": 422},
    "accounts.authority_staff": catalogue_admins(422),
}
