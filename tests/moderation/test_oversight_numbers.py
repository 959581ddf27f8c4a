"""/oversight's numbers, against a world counted by hand (tests/helpers/oversight.py's EXPECTED)."""

import re
from datetime import date

import pytest

from portal.accounts.models import Role
from portal.oversight import dashboard as oversight
from portal.oversight import views as oversight_views
from portal.workdays import working_days_after
from tests.helpers.oversight import DAY, EXPECTED, HOUR, NOW, build_world, consultation, numbers, response
from tests.helpers.pages import ENGLISH
from tests.helpers.translations import compile_with_new_messages, use_catalogues


@pytest.fixture
def world(db, make_authority, make_school, make_user):
    return build_world(make_authority, make_school, make_user)


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(oversight_views, "utcnow", lambda: NOW)


@pytest.fixture(scope="module")
def _catalogues(tmp_path_factory):
    return compile_with_new_messages(tmp_path_factory.mktemp("translations"))


@pytest.fixture
def chinese(app, _catalogues, monkeypatch):
    use_catalogues(app, _catalogues, monkeypatch)


@pytest.fixture
def city_admin(world, make_user):
    return make_user(role=Role.COMMISSION_ADMIN, scope=world["city"])


def test_every_district_number_is_the_hand_count(app, world, city_admin):
    with app.test_request_context():
        rows = {row.id: row for row in oversight.district_rows(oversight.oversight_scope(city_admin), NOW)}

    assert set(rows) == {world["yuzhong"].id, world["shapingba"].id}
    assert numbers(rows[world["yuzhong"].id]) == EXPECTED["yuzhong"]
    assert numbers(rows[world["shapingba"].id]) == EXPECTED["shapingba"]


def test_every_school_number_is_the_hand_count(app, world):
    with app.test_request_context():
        rows = {row.id: row for row in oversight.school_rows(world["yuzhong"], NOW)}

    assert set(rows) == {world["a1"].id, world["a2"].id}
    assert numbers(rows[world["a1"].id]) == EXPECTED["a1"]
    assert numbers(rows[world["a2"].id]) == EXPECTED["a2"]


def test_rates_are_shares_and_none_when_nothing_is_counted(app, world):
    with app.test_request_context():
        rows = {row.id: row for row in oversight.school_rows(world["yuzhong"], NOW)}

    assert rows[world["a1"].id].participation == pytest.approx(3 / 5)
    assert rows[world["a1"].id].feedback_share == pytest.approx(3 / 6)
    assert rows[world["a2"].id].feedback_share is None
    assert rows[world["a2"].id].median_moderation_hours is None


def test_a_school_without_verified_parents_has_no_participation_rate(app, db, world, make_school):
    lonely = make_school(authority=world["yuzhong"], slug="yz-lonely")
    with app.test_request_context():
        rows = {row.id: row for row in oversight.school_rows(world["yuzhong"], NOW)}

    assert rows[lonely.id].verified_parents == 0
    assert rows[lonely.id].participation is None


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (date(2026, 11, 2), date(2026, 11, 23)),  # Monday → the Monday three weeks later
        (date(2026, 11, 1), date(2026, 11, 20)),  # Sunday → Friday of the third week
        (date(2026, 11, 7), date(2026, 11, 27)),  # Saturday
        (date(2026, 11, 6), date(2026, 11, 27)),  # Friday
    ],
)
def test_fifteen_working_days_skip_weekends(received, deadline):
    assert working_days_after(received, oversight.ANSWER_WORKING_DAYS) == deadline


def test_the_page_shows_the_numbers_and_the_overdue_consultations(client, world, city_admin, login_as, frozen_now):
    login_as(city_admin)

    page = client.get(f"/oversight?district={world['yuzhong'].id}", headers=ENGLISH).get_data(as_text=True)

    assert "Yuzhong No. 1 Primary" in page and "Yuzhong No. 2 Primary" in page
    assert "67%" in page  # Yuzhong: 4 of 6 verified parents responded
    assert "60%" in page  # Yuzhong No. 1: 3 of 5
    assert "4.0 h" in page and "6.0 h" in page  # the medians
    assert "50%" in page  # feedback answered in time: 3 of 6
    assert f'href="/consultations/{world["c2"].id}"' in page and f'href="/consultations/{world["c13"].id}"' in page
    # A commission admin reads a school's items, not its inbox: the share is not linked to it.
    assert f'href="/schools/{world["a1"].slug}/manage/feedback"' not in page
    assert f'href="/consultations?school={world["a1"].id}"' in page
    assert f"/moderation?school={world['a1'].id}" in page
    assert "How these are counted" in page
    assert 'id="chart-districts-participation"' in page and 'id="chart-schools-backlog"' in page


def test_the_page_says_dash_without_verified_parents(client, db, world, make_school, city_admin, login_as, frozen_now):
    empty = make_school(authority=world["yuzhong"], slug="yz-empty", name_en="Empty School")
    login_as(city_admin)

    page = client.get(f"/oversight?district={world['yuzhong'].id}", headers=ENGLISH).get_data(as_text=True)

    row = page.split(f'id="oversight-school-{empty.id}"')[1].split("</tr>")[0]
    participation = row.split('data-label="Participation rate">')[1].split("</td>")[0]
    assert participation.strip().startswith("—")
    assert "0 of 0" in participation


def test_the_number_of_queries_does_not_grow_with_the_schools(
    app, db, client, make_authority, make_school, make_user, login_as, count_queries
):
    city = make_authority("计数市", "Counting City")
    district = make_authority("计数区", "Counting District", parent=city)
    moderator = login_as(make_user(role=Role.MODERATOR, scope=district))
    make_school(authority=district)
    with count_queries() as few:
        assert client.get(f"/oversight?district={district.id}").status_code == 200
    for _ in range(20):
        school = make_school(authority=district)
        make_user(role=Role.PARENT, scope=school)
    with count_queries() as many:
        assert client.get(f"/oversight?district={district.id}").status_code == 200

    assert moderator is not None
    assert len(many) == len(few)
    # The dashboard's own, plus the working calendar (feedback's answer days) and what waits for
    # the reader in the queue (the "Waiting for you" block), and the disclosure and supervision
    # figures (the schools, the catalogue, the latest disclosures, the four kinds of records that
    # satisfy items, the supervision cases: portal.oversight.transparency).
    assert len(many) <= 31, len(many)


def test_a_consultation_open_to_everyone_never_makes_the_rate_pass_100_percent(
    chinese, client, db, world, make_school, make_user, city_admin, login_as, frozen_now
):
    # One verified parent, and many more people answering a consultation open to any account:
    # residents, and a parent of the neighbouring school (a parent there, not here).
    busy = make_school(authority=world["shapingba"], slug="spb-busy", name_zh="沙坪坝热闹小学", name_en="Busy Primary")
    neighbour = make_school(authority=world["shapingba"], slug="spb-next", name_en="Next Door Primary")
    parent = make_user(role="parent", scope=busy)
    open_to_all = consultation(busy, "Busy open to all", NOW - 5 * DAY, NOW + 5 * DAY)
    response(open_to_all, parent, NOW - 4 * DAY, state="published", moderated=NOW - 4 * DAY + HOUR)
    for _ in range(3):
        response(open_to_all, make_user(), NOW - 3 * DAY)
    response(open_to_all, make_user(role="parent", scope=neighbour), NOW - 3 * DAY)
    scope = oversight.oversight_scope(city_admin)
    db.session.commit()

    with client.application.test_request_context():
        schools = {row.id: row for row in oversight.school_rows(world["shapingba"], NOW)}
        districts = {row.id: row for row in oversight.district_rows(scope, NOW)}
    busy_row, district_row = schools[busy.id], districts[world["shapingba"].id]
    assert (busy_row.responders, busy_row.parent_responders, busy_row.other_responders) == (5, 1, 4)
    assert busy_row.participation == 1.0
    # In the district the neighbour's parent is one of its own parents: p6, the busy school's
    # parent and the neighbour's, of three verified parents; the three residents are the others.
    assert (district_row.parent_responders, district_row.verified_parents, district_row.other_responders) == (3, 3, 3)
    assert all(row.participation is None or row.participation <= 1 for row in [*schools.values(), *districts.values()])

    login_as(city_admin)
    page = client.get(f"/oversight?district={world['shapingba'].id}").get_data(as_text=True)
    row = page.split(f'id="oversight-school-{busy.id}"')[1].split("</tr>")[0]
    assert "100%" in row and "另有4位其他居民参与" in row
    percents = [int(value) for value in re.findall(r"(\d+)%", page.split('id="definitions-heading"')[0])]
    assert percents and max(percents) <= 100
    english = client.get(f"/oversight?district={world['shapingba'].id}", headers=ENGLISH).get_data(as_text=True)
    assert "4 other residents also took part" in english.split(f'id="oversight-school-{busy.id}"')[1].split("</tr>")[0]


# The share of feedback answered in time links to the school's inbox only for those who may open it.


def _feedback_cell(page, school) -> str:
    row = page.split(f'id="oversight-school-{school.id}"')[1].split("</tr>")[0]
    return row.split('data-label="Feedback answered within 15 working days">')[1].split("</td>")[0]


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.COMMISSION_ADMIN])
def test_overseers_see_the_feedback_share_without_a_link_to_an_inbox_they_cannot_open(
    client, world, make_user, login_as, frozen_now, role
):
    overseer = login_as(make_user(role=role, scope=world["yuzhong"]))

    page = client.get(f"/oversight?district={world['yuzhong'].id}", headers=ENGLISH).get_data(as_text=True)

    cell = _feedback_cell(page, world["a1"])
    assert "50%" in cell and "<a " not in cell
    assert "/manage/feedback" not in page
    assert client.get(f"/schools/{world['a1'].slug}/manage/feedback").status_code == 403, overseer


def test_an_overseer_who_also_answers_a_schools_feedback_is_linked_to_its_inbox(
    client, world, make_user, login_as, frozen_now
):
    from portal.accounts.services import grant_membership
    from portal.extensions import db

    moderator = make_user(role=Role.MODERATOR, scope=world["yuzhong"])
    grant_membership(None, moderator, Role.SCHOOL_ADMIN, world["a1"])
    db.session.commit()
    login_as(moderator)

    page = client.get(f"/oversight?district={world['yuzhong'].id}", headers=ENGLISH).get_data(as_text=True)

    inbox = f"/schools/{world['a1'].slug}/manage/feedback"
    assert f'<a href="{inbox}">50%</a>' in _feedback_cell(page, world["a1"])
    assert "<a " not in _feedback_cell(page, world["a2"])  # not the school admin there
    assert client.get(inbox).status_code == 200


def test_responses_say_which_number_is_published(client, world, city_admin, login_as, frozen_now):
    login_as(city_admin)

    page = client.get(f"/oversight?district={world['yuzhong'].id}", headers=ENGLISH).get_data(as_text=True)

    row = page.split(f'id="oversight-school-{world["a1"].id}"')[1].split("</tr>")[0]
    cell = row.split('data-label="Responses">')[1].split("</td>")[0]
    assert re.fullmatch(r'\s*<a href="[^"]+">\d+</a>, \d+ published\s*', cell), cell
    assert "Responses (published)" not in page


def test_responses_say_which_number_is_published_in_chinese(client, world, city_admin, login_as, frozen_now, chinese):
    login_as(city_admin)

    page = client.get(f"/oversight?district={world['yuzhong'].id}", headers={"Accept-Language": "zh-CN"})

    text = page.get_data(as_text=True)
    assert '<th scope="col">意见数</th>' in text
    assert re.search(r'<a href="[^"]+">\d+</a>条，其中已发布\d+条', text)
