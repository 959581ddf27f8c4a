"""policy: the one place that answers "may this person do this to that?"."""

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from portal import errors, policy
from portal.accounts import services
from portal.accounts.models import Role
from portal.clock import utcnow
from portal.consultations.models import Audience, Phase
from portal.moderation.models import Block
from portal.schools.models import Authority
from tests.helpers.consultations import create_consultation


@pytest.fixture
def school_in_other_district(make_school, other_district):
    return make_school(authority=other_district)


def test_city_moderator_reaches_schools_in_every_district(make_user, city, school, school_in_other_district):
    moderator = make_user(role="moderator", scope=city)

    assert policy.roles_for_school(moderator, school) == {Role.MODERATOR}
    assert policy.roles_for_school(moderator, school_in_other_district) == {Role.MODERATOR}


def test_district_moderator_reaches_only_schools_of_their_district(
    make_user, district, school, school_in_other_district
):
    moderator = make_user(role="moderator", scope=district)

    assert policy.roles_for_school(moderator, school) == {Role.MODERATOR}
    assert policy.roles_for_school(moderator, school_in_other_district) == set()


def test_city_moderator_covers_every_district_authority(make_user, city, district, other_district):
    moderator = make_user(role="moderator", scope=city)

    assert policy.roles_for_authority(moderator, city) == {Role.MODERATOR}
    assert policy.roles_for_authority(moderator, district) == {Role.MODERATOR}
    assert policy.roles_for_authority(moderator, other_district) == {Role.MODERATOR}


def test_district_moderator_covers_neither_the_city_nor_another_district(make_user, city, district, other_district):
    moderator = make_user(role="moderator", scope=district)

    assert policy.roles_for_authority(moderator, district) == {Role.MODERATOR}
    assert policy.roles_for_authority(moderator, other_district) == set()
    assert policy.roles_for_authority(moderator, city) == set()


def test_authority_whose_id_starts_like_another_is_not_covered_by_it():
    """Paths are "/1/2/" and "/1/23/": covering is a prefix match that must stop at the slash."""
    district_2 = Authority(path="/1/2/")
    district_23 = Authority(path="/1/23/")
    city = Authority(path="/1/")

    assert not district_2.covers(district_23)
    assert not district_23.covers(district_2)
    assert city.covers(district_2) and city.covers(district_23)
    assert district_2.covers(district_2)


def test_school_roles_reach_only_their_own_school(make_user, school, school_in_other_district):
    admin = make_user(role="school_admin", scope=school)

    assert policy.roles_for_school(admin, school) == {Role.SCHOOL_ADMIN}
    assert policy.roles_for_school(admin, school_in_other_district) == set()


def test_roles_held_in_several_places_are_all_counted(db, make_user, district, school):
    person = make_user(role="parent", scope=school)
    services.grant_membership(None, person, Role.BOARD_MEMBER, school)
    services.grant_membership(None, person, Role.MODERATOR, district)
    db.session.commit()

    assert policy.roles_for_school(person, school) == {Role.PARENT, Role.BOARD_MEMBER, Role.MODERATOR}


def test_visitor_holds_no_role_anywhere(app, school, district):
    visitor = AnonymousUserMixin()

    assert policy.roles_for_school(visitor, school) == set()
    assert policy.roles_for_authority(visitor, district) == set()
    assert policy.can(visitor, "manage_invitations", school) is False
    assert policy.can(visitor, "view_own_account") is False


@pytest.mark.parametrize(
    "role, scope, allowed",
    [
        ("parent", "school", False),
        ("board_member", "school", False),
        ("school_admin", "school", True),
        ("school_admin", "school_in_other_district", False),
        ("moderator", "district", False),
        ("commission_admin", "district", True),
        ("commission_admin", "other_district", False),
        ("commission_admin", "city", True),
    ],
)
def test_who_can_manage_invitation_codes(request, make_user, school, school_in_other_district, role, scope, allowed):
    user = make_user(role=role, scope=request.getfixturevalue(scope))

    assert policy.can(user, "manage_invitations", school) is allowed


def test_every_board_member_and_admin_can_manage_their_school_but_a_parent_cannot(make_user, school):
    for role, allowed in [("parent", False), ("board_member", True), ("school_admin", True)]:
        assert policy.can(make_user(role=role, scope=school), "manage_school", school) is allowed, role


def test_an_action_without_a_rule_is_refused_even_to_the_top_administrator(make_user, city, school):
    admin = make_user(role="commission_admin", scope=city)

    assert policy.can(admin, "delete_everything", school) is False
    assert policy.can(admin, "", None) is False


def test_logged_in_active_person_may_see_their_account_and_use_a_code(make_user):
    person = make_user()

    assert policy.can(person, "view_own_account")
    assert policy.can(person, "redeem_invitation")


def test_inactive_account_may_do_nothing(db, make_user):
    person = make_user(active=False)

    assert policy.can(person, "view_own_account") is False


# check() says why not, require() raises it, and the error layer renders it: 404 out of scope,
# 403 in scope without the right (saying why when a block or the audience is the reason), log in
# for visitors.


def refused(user, action, obj=None):
    """The refusal require() raises, or None when it lets the person through."""
    try:
        policy.require(user, action, obj)
    except policy.Refusal as refusal:
        assert policy.check(user, action, obj).kind == refusal.kind  # check() says the same
        return refusal
    assert policy.check(user, action, obj) is None
    return None


def test_require_lets_an_allowed_person_through(app, make_user, school):
    admin = make_user(role="school_admin", scope=school)

    with app.test_request_context():
        assert refused(admin, "manage_invitations", school) is None


def test_require_answers_403_to_a_person_who_sees_the_school_but_lacks_the_right(app, make_user, school):
    for role in ("parent", "board_member"):
        with app.test_request_context():
            refusal = refused(make_user(role=role, scope=school), "manage_invitations", school)
        assert refusal.kind == policy.RefusalKind.FORBIDDEN and refusal.status == 403


def test_require_answers_404_to_staff_of_another_school_or_district(
    app, make_user, school, school_in_other_district, other_district
):
    for role, scope in [
        ("school_admin", school_in_other_district),
        ("board_member", school_in_other_district),
        ("moderator", other_district),
        ("commission_admin", other_district),
    ]:
        person = make_user(role=role, scope=scope)
        with app.test_request_context():
            refusal = refused(person, "manage_invitations", school)
        assert refusal.kind == policy.RefusalKind.NOT_FOUND and refusal.status == 404


def test_require_answers_403_to_a_moderator_above_the_school(app, make_user, school, district):
    moderator = make_user(role="moderator", scope=district)

    with app.test_request_context():
        assert refused(moderator, "manage_invitations", school).status == 403


def test_require_sends_a_visitor_to_log_in(app, school):
    with app.test_request_context("/schools/x/manage/invitations"):
        refusal = refused(AnonymousUserMixin(), "manage_invitations", school)
        response = errors.render_refusal(refusal)

    assert refusal.kind == policy.RefusalKind.LOGIN
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_require_refuses_an_unknown_action_with_403(app, make_user, school):
    admin = make_user(role="school_admin", scope=school)

    with app.test_request_context():
        assert refused(admin, "no_such_action", school).kind == policy.RefusalKind.FORBIDDEN


def test_a_blocked_person_is_refused_with_the_block_and_when_it_ends(app, db, make_user, city):
    person = make_user()
    ends = utcnow() + timedelta(days=7)
    db.session.add(Block(user_id=person.id, reason="人身攻击", ends_at=ends, authority_id=city.id))
    db.session.commit()

    with app.test_request_context(headers={"Accept-Language": "en"}):
        refusal = refused(person, "send_feedback")
        body, status = errors.render_refusal(refusal)
        message = refusal.message

    assert refusal.kind == policy.RefusalKind.BLOCKED and refusal.until == ends and status == 403
    assert "blocked your account" in message and "人身攻击" in message
    assert 'id="blocked-notice"' in body and "人身攻击" in body


def test_someone_outside_a_consultations_audience_is_told_how_to_join_it(app, db, make_user, school):
    consultation = create_consultation(school, Phase.OPEN, audience=Audience.PARENTS)
    resident = make_user()

    with app.test_request_context(headers={"Accept-Language": "en"}):
        refusal = refused(resident, "respond", consultation)
        assert refused(make_user(role="parent", scope=school), "respond", consultation) is None
        message = refusal.message

    assert refusal.kind == policy.RefusalKind.NOT_IN_AUDIENCE and refusal.status == 403
    assert "Only verified parents of First Test Primary School" in message
    assert "invitation code" in message


def test_only_the_listed_pages_are_public(app):
    public = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint in policy.PUBLIC_ENDPOINTS}

    assert public == {
        "static",
        "pages.home",
        "pages.healthz",
        "pages.set_language",
        "pages.privacy",
        "pages.terms",
        "accounts.login",
        "accounts.register",
        "accounts.check_email",
        "accounts.registration_sent",
        "accounts.complete_registration",
        "accounts.request_password_reset",
        "accounts.password_reset_sent",
        "accounts.reset_password",
        "accounts.staff_invitation",
        "schools.index",
        "pages.school",
        "charters.current",
        "charters.versions",
        "charters.version",
        "charters.diff",
        "meetings.index",
        "meetings.show",
        "meetings.body",
        "meetings.calendar",
        "meetings.minutes_pdf",
        "charters.version_pdf",
        "pages.verify",
        "decisions.index",
        "decisions.show",
        "decisions.pdf",
        "decisions.feed",
        "decisions.school_feed",
        "feedback.new",
        "consultations.index",
        "consultations.show",
        "consultations.responses",
        "consultations.export_csv",
        "consultations.export_json",
        "consultations.outcome_pdf",
        "disclosure.school",
        "disclosure.published",
        "disclosure.pdf",
        "notifications.unsubscribe",
        # The transparency log: read by anyone, and witnesses post their cosignatures without an account.
        "transparency.checkpoint",
        "transparency.key",
        "transparency.entries",
        "transparency.proof",
        "transparency.consistency",
        "transparency.cosignatures",
        "transparency.decision_evidence",
        "transparency.charter_version_evidence",
        "transparency.minutes_evidence",
        "transparency.outcome_evidence",
        "transparency.signing_certificates",
        "search.index",
    }


def test_a_refusal_must_be_a_typed_reason_so_no_view_meets_one_it_has_no_words_for():
    from portal.consultations.models import ConsultationRefusal
    from portal.domain import DomainError

    with pytest.raises(TypeError):
        DomainError("not_a_draft")
    error = DomainError(ConsultationRefusal.NOT_A_DRAFT)
    assert error.reason == "not_a_draft" and error.field is None and error.message
