"""A school's public page: profile, charter, bodies with current members, meetings."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from portal.charters.models import CharterStatus, CharterVersion
from portal.meetings.models import BodyKind, BodyMember, Constituency, GoverningBody, Meeting, MinutesStatus, Position
from tests.helpers.pages import ENGLISH, log_in


def add_board(db, school, members=3, meetings=3):
    body = GoverningBody(school_id=school.id, kind=BodyKind.SCHOOL_BOARD, name="校务委员会", description="")
    db.session.add(body)
    db.session.flush()
    for n in range(members):
        db.session.add(
            BodyMember(
                body_id=body.id,
                name=f"委员{n:03d}",
                position=Position.CHAIR if n == 0 else Position.MEMBER,
                constituency=Constituency.TEACHER,
                term_start=date(2024, 9, 1),
                term_end=date(2099, 8, 31),
            )
        )
    db.session.add(
        BodyMember(
            body_id=body.id,
            name="离任委员",
            position=Position.MEMBER,
            constituency=Constituency.PARENT,
            term_start=date(2020, 9, 1),
            term_end=date(2023, 8, 31),
        )
    )
    now = datetime.now(UTC)
    for n in range(meetings):
        db.session.add(
            Meeting(
                body_id=body.id,
                school_id=school.id,
                title=f"第{n}次会议",
                starts_at=now + timedelta(days=n - meetings // 2),
                place="会议室",
                minutes="纪要" if n < meetings // 2 else "",
                minutes_status=MinutesStatus.APPROVED if n < meetings // 2 else MinutesStatus.DRAFT,
            )
        )
    db.session.commit()
    return body


def add_charter(db, school):
    version = CharterVersion(
        school_id=school.id,
        number=1,
        status=CharterStatus.ADOPTED,
        body="# 第一章 总则\n\n第一条 本校依法办学。",
        adopted_on=date(2023, 6, 1),
        effective_on=date(2023, 9, 1),
    )
    db.session.add(version)
    db.session.commit()
    return version


def test_visitor_sees_the_school_profile(client, school):
    page = client.get(f"/schools/{school.slug}").get_data(as_text=True)

    assert school.name_zh in page
    assert school.address in page
    assert school.authority.name_zh in page


def test_school_page_shows_current_members_but_not_former_ones(client, db, school):
    add_board(db, school)

    page = client.get(f"/schools/{school.slug}").get_data(as_text=True)

    assert "委员000" in page
    assert "离任委员" not in page


def test_a_body_named_as_its_kind_is_not_labelled_with_its_kind_again(client, db, school, compiled_catalogues):
    board = add_board(db, school, members=1, meetings=0)
    group = GoverningBody(school_id=school.id, kind=BodyKind.PARENTS_COMMITTEE, name="初一年级家长小组", description="")
    db.session.add(group)
    db.session.commit()

    chinese = client.get(f"/schools/{school.slug}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    english = client.get(f"/schools/{school.slug}", headers=ENGLISH).get_data(as_text=True)

    def body_heading(page, body):
        return re.search(rf'<h3 id="body-{body.id}">.*?</h3>', page, re.S).group(0)

    assert body_heading(chinese, board).count("校务委员会") == 1
    assert "家长委员会" in body_heading(chinese, group)  # the kind says what the name does not
    assert "School board" in body_heading(english, board)  # the name is Chinese, the kind English


def test_school_page_links_to_the_current_charter(client, db, school):
    add_charter(db, school)

    page = client.get(f"/schools/{school.slug}", headers=ENGLISH).get_data(as_text=True)

    assert f'href="/schools/{school.slug}/charter"' in page
    assert "Version 1" in page


def test_school_without_charter_says_so(client, school):
    page = client.get(f"/schools/{school.slug}", headers=ENGLISH).get_data(as_text=True)

    assert "has not published its charter" in page


def test_school_page_lists_upcoming_and_recent_meetings(client, db, school):
    add_board(db, school, meetings=4)

    page = client.get(f"/schools/{school.slug}").get_data(as_text=True)

    assert "第0次会议" in page  # two days ago
    assert "第3次会议" in page  # tomorrow
    assert f'href="/schools/{school.slug}/meetings.ics"' in page


def test_unknown_school_is_not_found(client, db):
    assert client.get("/schools/no-such-school").status_code == 404


def test_school_staff_see_a_link_into_management_and_parents_do_not(client, db, school, make_user):
    board_member = make_user(role="board_member", scope=school)
    parent = make_user(role="parent", scope=school)

    log_in(client, parent)
    assert f'href="/schools/{school.slug}/manage"' not in client.get(f"/schools/{school.slug}").get_data(as_text=True)
    log_in(client, board_member)
    assert f'href="/schools/{school.slug}/manage"' in client.get(f"/schools/{school.slug}").get_data(as_text=True)


@pytest.mark.parametrize("logged_in", [False, True])
def test_school_page_needs_at_most_ten_queries_with_50_members_and_100_meetings(
    client, db, school, make_user, count_queries, logged_in
):
    add_board(db, school, members=50, meetings=100)
    add_charter(db, school)
    if logged_in:
        log_in(client, make_user(role="board_member", scope=school))

    with count_queries() as queries:
        response = client.get(f"/schools/{school.slug}")

    assert response.status_code == 200
    # A logged-in person costs two more: whether they follow the school, and the header's unread count.
    # The school's responsible supervisors (portal.supervision) are one query more for everyone.
    assert len(queries) <= (13 if logged_in else 11), "\n".join(queries)


def test_a_body_s_own_page_and_the_list_of_bodies_do_not_repeat_a_name_that_is_its_kind(
    client, db, school, compiled_catalogues
):
    board = add_board(db, school, members=1, meetings=0)
    chinese = {"Accept-Language": "zh-CN"}

    own_page = client.get(f"/schools/{school.slug}/bodies/{board.id}", headers=chinese).get_data(as_text=True)
    listed = client.get(f"/schools/{school.slug}/meetings", headers=chinese).get_data(as_text=True)

    assert re.sub(r"<title>.*?</title>", "", own_page, flags=re.S).count("校务委员会") == 1
    assert listed.count(">校务委员会<") == 1 and '<span class="muted">校务委员会</span>' not in listed


def test_the_school_s_decisions_each_begin_with_published_and_the_date(client, school):
    """On the school's own page the school's name is left out of each decision's line; what is
    left starts the line, so it starts with a capital in English."""
    from tests.helpers.decisions import insert_published

    insert_published(school, published_at=datetime(2026, 9, 23, 2, 0, tzinfo=UTC))

    english = client.get(f"/schools/{school.slug}", headers=ENGLISH).get_data(as_text=True)
    chinese = client.get(f"/schools/{school.slug}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)

    meta = re.search(r'<span class="decision-card-meta">\s*(.*?)\s*</span>', english, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", meta) == "Published Sep 23, 2026"
    meta_zh = re.search(r'<span class="decision-card-meta">\s*(.*?)\s*</span>', chinese, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", meta_zh) == "发布于2026年9月23日"
