"""Staff find their work: /me lists, for each school and district they serve, what is waiting for
them, each count linked to the list where it is handled; a school's management home and
/oversight show the same counts for their own scope; the header links staff to their work. The
page costs the same queries for one school as for twenty. Parents' /me has none of it."""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from portal.accounts import services as account_services
from portal.accounts.models import Role
from portal.clock import utcnow
from portal.consultations import services as consultation_services
from portal.consultations.models import Phase
from portal.decisions import services as decision_services
from portal.extensions import db as _db
from portal.feedback import services as feedback_services
from tests.helpers import factories
from tests.helpers.consultations import create_consultation, respond, someone
from tests.helpers.feedback import token
from tests.helpers.pages import ENGLISH

LONG_AGO = timedelta(days=60)  # more than 15 working days, whatever the holidays


def send_feedback(school, *, at=None):
    author = someone()
    feedback = feedback_services.send_feedback(
        author,
        school,
        {"category": "canteen", "body": "午餐是凉的。", "private": False, "submission_token": token()},
        now=at,
    )
    _db.session.commit()
    return feedback


def decision_draft(school):
    draft = decision_services.create_draft(
        None,
        school,
        {
            "title": "关于加强学校食堂管理的决定",
            "body": "决定如下。",
            "meeting_id": None,
            "votes_for": None,
            "votes_against": None,
            "votes_abstain": None,
            "effective_on": None,
        },
    )
    _db.session.commit()
    return draft


@dataclass
class World:
    city: object
    district: object
    school: object
    other_school: object
    people: dict


@pytest.fixture(scope="module")
def world(app, module_db):
    """Built once for the module (each test runs in a savepoint): the city, two districts, a school
    in each, the staff and a parent, and what waits at the first school: two items of feedback (one
    overdue), a decision draft, and consultations: a draft, one sent back, one awaiting approval,
    one closed without an outcome, one open with a response awaiting moderation."""
    city = factories.authority(**factories.CITY)
    district = factories.authority(**factories.DISTRICT, parent=city)
    other_district = factories.authority(**factories.OTHER_DISTRICT, parent=city)
    school = factories.school(district, **factories.SCHOOL)
    other_school = factories.school(other_district, **factories.OTHER_SCHOOL)
    people = {
        "board_member": factories.user(role="board_member", scope=school),
        "school_admin": factories.user(role="school_admin", scope=school),
        "parent": factories.user(role="parent", scope=school),
        "moderator": factories.user(role="moderator", scope=district),
        "other_moderator": factories.user(role="moderator", scope=other_district),
        "city_admin": factories.user(role="commission_admin", scope=city),
    }
    send_feedback(school, at=utcnow() - LONG_AGO)
    send_feedback(school)
    decision_draft(school)
    create_consultation(school, Phase.DRAFT)
    sent_back = create_consultation(school, Phase.SUBMITTED, title="被退回的征集")
    consultation_services.send_back(None, sent_back, "请补充材料。")
    create_consultation(school, Phase.SUBMITTED, title="待审核的征集")
    create_consultation(school, Phase.CLOSED, title="已截止的征集")
    open_one = create_consultation(school, Phase.OPEN, title="进行中的征集")
    respond(open_one, someone())
    module_db.session.commit()
    return World(city, district, school, other_school, people)


@pytest.fixture
def db(world, savepoint_db):
    return savepoint_db


@pytest.fixture
def busy_school(world):
    return world.school


@pytest.fixture
def person(world):
    return lambda role: world.people[role]


def work_section(page: str) -> str:
    match = re.search(r'<section aria-labelledby="work-heading".*?</section>', page, re.S)
    assert match, "no 'Waiting for you' section"
    return re.sub(r"\s+", " ", match.group(0))


def count_of(section: str, label: str) -> tuple[int, str]:
    """The number shown beside `label` and where its link leads."""
    match = re.search(
        r'<a href="([^"]+)"><span class="work-count-number">([\d,]+)</span> '
        rf'<span class="work-count-text"><span class="work-count-label">{re.escape(label)}</span>',
        section,
    )
    assert match, label
    return int(match.group(2).replace(",", "")), match.group(1).replace("&amp;", "&")


def test_board_member_sees_what_waits_in_their_school_with_links_to_where_it_is_handled(
    client, busy_school, person, login_as
):
    login_as(person("board_member"))

    section = work_section(client.get("/me", headers=ENGLISH).get_data(as_text=True))

    slug = busy_school.slug
    assert count_of(section, "Feedback waiting for an answer") == (2, f"/schools/{slug}/manage/feedback")
    assert count_of(section, "Feedback overdue (no answer within 15 working days)") == (
        1,
        f"/schools/{slug}/manage/feedback?status=overdue",
    )
    assert count_of(section, "Decision drafts") == (1, f"/schools/{slug}/manage/decisions#drafts-heading")
    assert count_of(section, "Consultation drafts") == (1, f"/schools/{slug}/manage/consultations#draft-heading")
    assert count_of(section, "Consultations sent back by the moderators")[0] == 1
    assert count_of(section, "Consultations awaiting approval") == (
        1,
        f"/schools/{slug}/manage/consultations#submitted-heading",
    )
    assert count_of(section, "Consultations closed without an outcome")[0] == 1
    assert "Needs attention" in section  # the overdue feedback, in words
    assert "First Test Primary School" in section and "Board member" in section


def test_moderator_sees_the_queue_of_their_district(client, world, person, login_as):
    district = world.district
    login_as(person("moderator"))

    section = work_section(client.get("/me", headers=ENGLISH).get_data(as_text=True))

    assert count_of(section, "Responses awaiting moderation") == (
        1,
        f"/moderation?district={district.id}&kind=pending",
    )
    assert count_of(section, "Consultations awaiting approval") == (
        1,
        f"/moderation?district={district.id}&kind=consultation",
    )
    assert count_of(section, "Reported responses")[0] == 0
    assert "Feedback waiting" not in section  # moderators oversee the inbox, they do not answer it


def test_city_commission_admin_counts_every_district_and_the_city_s_own_consultations(client, world, person, login_as):
    city = world.city
    create_consultation(None, Phase.DRAFT, authority=city, title="全市征集草稿")
    login_as(person("city_admin"))

    section = work_section(client.get("/me", headers=ENGLISH).get_data(as_text=True))

    assert count_of(section, "Responses awaiting moderation")[0] == 1  # from the district's school
    assert count_of(section, "Consultation drafts") == (1, f"/authorities/{city.id}/manage/consultations#draft-heading")


def test_moderator_of_another_district_sees_nothing_of_this_one(client, busy_school, person, login_as):
    login_as(person("other_moderator"))

    section = work_section(client.get("/me", headers=ENGLISH).get_data(as_text=True))

    assert count_of(section, "Responses awaiting moderation")[0] == 0
    assert count_of(section, "Consultations awaiting approval")[0] == 0


def test_parent_s_account_page_has_no_work_section_and_no_work_link(client, busy_school, person, login_as):
    login_as(person("parent"))

    page = client.get("/me", headers=ENGLISH).get_data(as_text=True)

    assert 'id="work"' not in page
    assert "My work" not in page


def test_header_links_staff_of_one_school_to_its_management_home(client, busy_school, person, login_as):
    login_as(person("board_member"))

    page = client.get("/", headers=ENGLISH).get_data(as_text=True)

    assert f'<a href="/schools/{busy_school.slug}/manage" class="work-link">My work</a>' in page


def test_header_links_staff_of_several_places_to_their_work_on_my_account(client, db, world, make_user, login_as):
    school, other_school = world.school, world.other_school
    person = make_user(role="school_admin", scope=school)
    account_services.grant_membership(None, person, Role.BOARD_MEMBER, other_school)
    db.session.commit()
    login_as(person)

    page = client.get("/", headers=ENGLISH).get_data(as_text=True)

    assert '<a href="/me#work" class="work-link">My work</a>' in page


def test_the_work_link_costs_parents_no_query(client, db, person, make_user, login_as, count_queries):
    parent = person("parent")
    login_as(make_user())
    client.get("/schools")
    with count_queries() as without_role:
        client.get("/schools")
    login_as(parent)
    client.get("/schools")
    with count_queries() as as_parent:
        client.get("/schools")

    assert len(as_parent) == len(without_role)


def test_management_home_shows_the_school_s_counts(client, busy_school, person, login_as):
    login_as(person("school_admin"))

    section = work_section(client.get(f"/schools/{busy_school.slug}/manage", headers=ENGLISH).get_data(as_text=True))

    assert count_of(section, "Feedback waiting for an answer")[0] == 2
    assert count_of(section, "Decision drafts")[0] == 1


def test_management_home_counts_only_what_the_commission_admin_may_open(client, busy_school, person, login_as):
    login_as(person("city_admin"))

    page = client.get(f"/schools/{busy_school.slug}/manage", headers=ENGLISH).get_data(as_text=True)

    assert 'id="work"' not in page  # they edit the profile and invitations; the inbox is the school's


def test_oversight_shows_what_waits_in_the_moderator_s_district(client, busy_school, person, login_as):
    login_as(person("moderator"))

    section = work_section(client.get("/oversight", headers=ENGLISH).get_data(as_text=True))

    assert count_of(section, "Responses awaiting moderation")[0] == 1


def test_my_work_takes_the_same_queries_for_one_school_as_for_twenty(
    client, db, world, person, login_as, count_queries
):
    district, school_admin = world.district, person("school_admin")
    login_as(school_admin)
    client.get("/me")
    with count_queries() as one:
        assert client.get("/me").status_code == 200

    others = []
    for _ in range(19):
        other = factories.school(district)
        others.append(other)
        account_services.grant_membership(None, school_admin, Role.SCHOOL_ADMIN, other)
        send_feedback(other, at=utcnow() - LONG_AGO)
        decision_draft(other)
        create_consultation(other, Phase.SUBMITTED, questions=[])
    db.session.commit()
    with count_queries() as twenty:
        page = client.get("/me", headers=ENGLISH).get_data(as_text=True)

    assert page.count('class="work-place"') == 20
    for other in others:  # each school's counts lead to its own lists
        assert f'href="/schools/{other.slug}/manage/feedback?status=overdue"' in page
        assert f'href="/schools/{other.slug}/manage/consultations#submitted-heading"' in page
    assert len(twenty) == len(one), (len(one), len(twenty))
    assert len(one) <= 10  # the person, their notifications and moderation news, the calendar, one per count


def test_a_count_that_changes_is_shown_changed_at_the_next_visit(client, busy_school, person, login_as):
    # A place's counts are made once per process for what they show (web.made_once): a new count
    # is a new piece, never the one kept for the old count.
    login_as(person("board_member"))
    before = count_of(work_section(client.get("/me", headers=ENGLISH).text), "Decision drafts")[0]

    decision_draft(busy_school)
    _db.session.commit()
    after = count_of(work_section(client.get("/me", headers=ENGLISH).text), "Decision drafts")[0]

    assert after == before + 1
