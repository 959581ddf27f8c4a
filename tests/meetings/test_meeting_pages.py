"""The public side: a school's meetings, one meeting, one governing body. Draft minutes stay
with the body's members and the school's staff until they are approved."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from portal import clock
from portal.clock import utcnow
from portal.meetings import services
from portal.meetings.models import Constituency, Position
from tests.helpers.pages import ENGLISH, HTMX, heading

NOT_YET_APPROVED = "The minutes of this meeting are not yet approved."
DRAFT_NOTICE = "Draft minutes, not yet approved."


def text_of(response) -> str:
    return response.get_data(as_text=True)


# A school's meetings


def test_visitor_sees_upcoming_and_past_meetings_of_a_school(client, school, board, make_meeting):
    make_meeting(school, board, title="下周的会议", starts_at=utcnow() + timedelta(days=7))
    make_meeting(school, board, title="上个月的会议", starts_at=utcnow() - timedelta(days=30))

    page = text_of(client.get(f"/schools/{school.slug}/meetings", headers=ENGLISH))

    upcoming, past = page.split('id="past-heading"')
    assert "下周的会议" in upcoming and "上个月的会议" not in upcoming
    assert "上个月的会议" in past
    assert f'href="/schools/{school.slug}/meetings.ics"' in page
    assert f'href="/schools/{school.slug}/bodies/{board.id}"' in page


def test_school_without_meetings_says_so(client, school):
    page = text_of(client.get(f"/schools/{school.slug}/meetings", headers=ENGLISH))

    assert "No meetings are scheduled." in page
    assert "No meetings have been held yet." in page


def test_past_meetings_come_a_page_at_a_time_latest_first(client, school, board, make_meeting):
    start = utcnow() - timedelta(days=100)
    for n in range(25):
        make_meeting(school, board, title=f"会议{n:02d}", starts_at=start + timedelta(days=n))

    first = text_of(client.get(f"/schools/{school.slug}/meetings", headers=ENGLISH))
    second = text_of(client.get(f"/schools/{school.slug}/meetings?page=2", headers=ENGLISH))

    assert first.index("会议24") < first.index("会议23")
    assert "会议05" in first and "会议04" not in first
    assert "会议04" in second and "会议00" in second and "会议05" not in second
    assert "Page 1 of 2" in first
    assert f'href="/schools/{school.slug}/meetings?page=2"' in first


def test_paging_with_htmx_returns_only_the_list_of_past_meetings(client, school, board, make_meeting):
    for n in range(21):
        make_meeting(school, board, title=f"会议{n:02d}", starts_at=utcnow() - timedelta(days=n + 1))

    response = client.get(f"/schools/{school.slug}/meetings?page=2", headers={**HTMX, "HX-Target": "past-meetings"})

    page = text_of(response)
    assert page.lstrip().startswith('<div id="past-meetings">')
    assert "<html" not in page and "会议20" in page


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999999999"])
def test_odd_page_numbers_show_a_page_rather_than_an_error(client, school, board, page):
    assert client.get(f"/schools/{school.slug}/meetings?page={page}").status_code == 200


def test_meetings_of_a_school_that_does_not_exist_are_not_found(client, db):
    assert client.get("/schools/no-such-school/meetings").status_code == 404
    assert client.get("/schools/no-such-school/meetings.ics").status_code == 404


# One meeting


def test_meeting_page_shows_body_time_place_agenda_and_attendance(client, db, school, board, past_meeting):
    members = {m.name: m for m in services.members_for_meeting(past_meeting)}
    services.record_attendance(None, past_meeting, {members["周建华"].id: True, members["李秀英"].id: False})
    db.session.commit()

    response = client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH)

    page = text_of(response)
    assert response.status_code == 200
    assert heading(page) == "2026年第一次校务委员会会议"
    assert f'href="/schools/{school.slug}/bodies/{board.id}"' in page
    # Stored in UTC (07:30), shown on Beijing time.
    assert "Monday, March 2, 2026" in page and "3:30" in page
    assert 'datetime="2026-03-02T07:30:00+00:00"' in page
    assert "学校三楼会议室" in page
    assert page.index("审议2026学年度工作计划") < page.index("食堂膳食管理情况通报")
    present, absent = re.search(
        r"Present \(1\)</dt>\s*<dd>(.*?)</dd>\s*<dt>Absent \(1\)</dt>\s*<dd>(.*?)</dd>", page, re.S
    ).groups()
    assert "周建华" in present and "李秀英" in absent


def test_meeting_page_in_chinese_shows_beijing_time(client, past_meeting):
    page = text_of(client.get(f"/meetings/{past_meeting.id}", headers={"Accept-Language": "zh-CN"}))

    assert "2026年3月2日星期一" in page and "15:30" in page


def test_former_member_is_not_on_the_attendance_of_a_meeting_after_their_term(client, db, past_meeting):
    names = [member.name for member in services.members_for_meeting(past_meeting)]

    assert sorted(names) == sorted(["周建华", "李秀英", "王国平"])  # 赵雪梅's term ended in 2025


def test_visitor_reads_approved_minutes(client, school, board, make_meeting):
    meeting = make_meeting(school, board, minutes="## 决定\n\n同意**工作计划**。", approved=True)

    page = text_of(client.get(f"/meetings/{meeting.id}", headers=ENGLISH))

    assert "<strong>工作计划</strong>" in page
    assert "<h3>决定</h3>" in page
    assert NOT_YET_APPROVED not in page


def test_visitor_is_told_draft_minutes_are_not_yet_approved(client, past_meeting):
    page = text_of(client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH))

    assert NOT_YET_APPROVED in page
    assert "原则通过" not in page


def test_parent_of_the_school_does_not_see_draft_minutes(client, past_meeting, parent, login_as):
    login_as(parent)

    page = text_of(client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH))

    assert NOT_YET_APPROVED in page and "原则通过" not in page


def test_parent_who_sits_on_the_body_reads_its_draft_minutes(
    client, db, board, past_meeting, parent, make_member, login_as
):
    make_member(board, "家长代表", Position.MEMBER, Constituency.PARENT, account_email=parent.email)
    login_as(parent)

    page = text_of(client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH))

    assert DRAFT_NOTICE in page and "原则通过" in page


def test_parent_who_sits_on_another_body_does_not_read_these_draft_minutes(
    client, school, past_meeting, parent, make_body, make_member, login_as
):
    committee = make_body(school, name="家长委员会")
    make_member(committee, "家长代表", Position.MEMBER, Constituency.PARENT, account_email=parent.email)
    login_as(parent)

    page = text_of(client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH))

    assert NOT_YET_APPROVED in page and "原则通过" not in page


@pytest.mark.parametrize(
    "role, scope", [("board_member", "school"), ("school_admin", "school"), ("moderator", "district")]
)
def test_staff_of_the_school_read_draft_minutes(client, request, make_user, past_meeting, login_as, role, scope):
    login_as(make_user(role=role, scope=request.getfixturevalue(scope)))

    page = text_of(client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH))

    assert DRAFT_NOTICE in page and "原则通过" in page


def test_staff_of_another_school_do_not_read_draft_minutes(client, make_user, other_school, past_meeting, login_as):
    login_as(make_user(role="school_admin", scope=other_school))

    page = text_of(client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH))

    assert NOT_YET_APPROVED in page and "原则通过" not in page


def test_markup_in_meeting_records_is_shown_as_text(client, db, school, board, make_meeting):
    meeting = make_meeting(
        school,
        board,
        title="<script>alert(1)</script>",
        place="<img src=x onerror=alert(2)>",
        agenda=["<b hx-get='/evil'>item</b>"],
        minutes="<script>alert(3)</script> [link](javascript:alert(4))",
        approved=True,
    )

    page = text_of(client.get(f"/meetings/{meeting.id}"))

    assert "<script>alert" not in page and "<img src=x" not in page and "<b hx-get" not in page
    assert 'href="javascript:' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("meeting_id", ["999999", "2147483648", "99999999999999999999"])
def test_meeting_that_does_not_exist_is_not_found(client, db, meeting_id):
    assert client.get(f"/meetings/{meeting_id}").status_code == 404


# A governing body


def test_body_page_shows_current_members_with_position_constituency_and_term(client, school, board):
    response = client.get(f"/schools/{school.slug}/bodies/{board.id}", headers=ENGLISH)

    page = text_of(response)
    assert response.status_code == 200
    assert heading(page) == "校务委员会"
    assert "学校重大事项的议事和决策机构。" in page
    members = page[page.index('id="members-heading"') : page.index('id="upcoming-heading"')]
    assert members.index("周建华") < members.index("李秀英")  # the chair first
    assert "Chair" in members and "Principal" in members and "Parent representative" in members
    assert "Sep 1, 2024 to Aug 31, 2027" in members
    assert "赵雪梅" not in page  # a former member, shown only on request


def test_former_members_are_shown_on_request(client, school, board):
    page = text_of(client.get(f"/schools/{school.slug}/bodies/{board.id}", headers=ENGLISH))
    assert f'href="/schools/{school.slug}/bodies/{board.id}?former=1#former-heading"' in page
    assert "Show former members (1)" in page

    page = text_of(client.get(f"/schools/{school.slug}/bodies/{board.id}?former=1", headers=ENGLISH))

    former = page[page.index('id="former-heading"') :]
    assert "赵雪梅" in former and "Sep 1, 2024 to Aug 31, 2025" in former


def test_body_page_lists_the_body_s_meetings_only(client, school, board, make_body, make_meeting):
    committee = make_body(school, name="家长委员会")
    make_meeting(school, board, title="校务会议", starts_at=utcnow() + timedelta(days=3))
    make_meeting(school, committee, title="家委会会议", starts_at=utcnow() + timedelta(days=4))
    make_meeting(school, board, title="上次校务会议", starts_at=utcnow() - timedelta(days=4))

    page = text_of(client.get(f"/schools/{school.slug}/bodies/{board.id}"))

    assert "校务会议" in page and "上次校务会议" in page
    assert "家委会会议" not in page


def test_body_of_another_school_is_not_found_under_this_school(client, school, other_school, make_body):
    theirs = make_body(other_school)

    assert client.get(f"/schools/{school.slug}/bodies/{theirs.id}").status_code == 404
    assert client.get(f"/schools/{other_school.slug}/bodies/{theirs.id}").status_code == 200


def test_member_whose_term_has_not_started_is_not_yet_listed(client, school, board, make_member):
    make_member(board, "新委员", term_start=date.today() + timedelta(days=30))

    page = text_of(client.get(f"/schools/{school.slug}/bodies/{board.id}"))

    assert "新委员" not in page


def test_meeting_on_a_known_day_is_stored_in_utc(db, school, board):
    meeting = services.create_meeting(
        None,
        school,
        {
            "body_id": board.id,
            "title": "会议",
            "starts_at": clock.local_to_utc(date(2026, 3, 2), datetime.min.time()),
            "place": "",
        },
    )

    assert meeting.starts_at == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


# The records are written in Chinese: on an English page each piece of them says so (WCAG 3.1.2),
# so that a screen reader reads them with a Chinese voice; the words around them stay English.

ZH = 'lang="zh-CN"'


def test_an_english_meeting_page_marks_the_meeting_s_chinese_words_as_chinese(client, school, board, make_meeting):
    meeting = make_meeting(school, board, title="第一次校务委员会会议", minutes="同意**工作计划**。", approved=True)

    page = text_of(client.get(f"/meetings/{meeting.id}", headers=ENGLISH))

    assert re.search(r'<h1 lang="zh-CN">第一次校务委员会会议</h1>', page)
    assert re.search(rf"{ZH}>校务委员会</a>", page)
    assert re.search(r'<div class="prose minutes" lang="zh-CN">', page)
    assert re.search(r'<h2 id="minutes-heading">Minutes</h2>', page)  # the page's own words: English


def test_an_english_body_page_and_school_page_mark_names_and_descriptions_as_chinese(client, school, board):
    body_page = text_of(client.get(f"/schools/{school.slug}/bodies/{board.id}", headers=ENGLISH))
    school_page = text_of(client.get(f"/schools/{school.slug}", headers=ENGLISH))

    assert '<h1 lang="zh-CN">校务委员会</h1>' in body_page
    assert '<p class="text-block" lang="zh-CN">学校重大事项的议事和决策机构。</p>' in body_page
    assert re.search(rf'<a href="[^"]+" {ZH}>周建华</a>|<span {ZH}>周建华</span>', body_page)
    assert re.search(rf"{ZH}>校务委员会</a>", school_page)
    assert f'<span class="member-name" {ZH}>周建华</span>' in school_page
