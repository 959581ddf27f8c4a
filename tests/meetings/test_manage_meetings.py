"""Board members and school administrators keep the record of meetings: details, agenda,
attendance and minutes, until the minutes are approved; from then on nothing changes."""

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import url_for
from sqlalchemy import func, insert, select

from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.extensions import db as portal_db
from portal.meetings import services
from portal.meetings.forms import EndTermForm, MeetingForm, MemberForm
from portal.meetings.models import AgendaItem, Attendance, Meeting, MeetingRefusal, MinutesStatus
from tests.helpers.pages import ENGLISH, HTMX, field_error, field_value, forms_on, location_path

APPROVED_REFUSAL = "The minutes of this meeting are approved, so its record can no longer be changed."


def manage_url(school, meeting=None):
    base = f"/schools/{school.slug}/manage/meetings"
    return base if meeting is None else f"{base}/{meeting.id}"


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def fresh(db, meeting):
    """The meeting as the database has it now. (A request ends its session the same way: the
    objects the test made stay readable, detached, and nothing is expired under them.)"""
    db.session.remove()
    return db.session.get(Meeting, meeting.id)


def agenda_titles(db, meeting):
    return [item.title for item in fresh(db, meeting).agenda_items]


def meeting_form(body, **changes):
    return {
        "body_id": str(body.id),
        "title": "2026年第四次校务委员会会议",
        "day": "2026-12-15",
        "start_time": "15:30",
        "place": "学校三楼会议室",
        **changes,
    }


@pytest.fixture
def approved_meeting(with_app, db, past_meeting):
    with with_app():  # approving renders and signs the minutes' PDF
        services.approve_minutes(None, past_meeting)
        db.session.commit()
    return past_meeting


# Scheduling


def test_board_member_schedules_a_meeting_on_beijing_time(client, db, school, board, board_member, login_as):
    login_as(board_member)

    response = client.post(f"{manage_url(school)}/new", data=meeting_form(board))

    meeting = db.session.scalar(select(Meeting).where(Meeting.school_id == school.id))
    assert response.status_code == 303
    assert location_path(response) == manage_url(school, meeting)
    assert meeting.starts_at == datetime(2026, 12, 15, 7, 30, tzinfo=UTC)
    assert (meeting.body_id, meeting.title, meeting.place) == (board.id, "2026年第四次校务委员会会议", "学校三楼会议室")
    assert meeting.minutes_status == MinutesStatus.DRAFT
    (event,) = events(db, "meeting.create")
    assert (event.actor_id, event.object_id, event.school_id) == (board_member.id, meeting.id, school.id)


def test_body_choice_lists_only_this_school_s_bodies(
    client, school, other_school, board, board_member, make_body, login_as
):
    theirs = make_body(other_school, name="别校校务委员会")
    login_as(board_member)

    page = client.get(f"{manage_url(school)}/new").get_data(as_text=True)

    assert f'value="{board.id}"' in page and "校务委员会" in page
    assert f'value="{theirs.id}"' not in page and "别校校务委员会" not in page


@pytest.mark.parametrize("forged", ["other", "999999", "abc", "99999999999999999999"])
def test_meeting_of_an_unknown_body_is_refused_beside_the_body_choice(
    client, db, school, other_school, board, board_member, make_body, login_as, forged
):
    theirs = make_body(other_school)
    login_as(board_member)
    body_id = str(theirs.id) if forged == "other" else forged

    response = client.post(f"{manage_url(school)}/new", data=meeting_form(board, body_id=body_id), headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "body_id") == "Choose one of this school's governing bodies."
    assert field_value(page, "title") == "2026年第四次校务委员会会议"
    assert count(db, Meeting) == 0


def test_service_refuses_a_body_of_another_school_too(db, school, other_school, make_body):
    theirs = make_body(other_school)

    with pytest.raises(services.DomainError) as refusal:
        services.create_meeting(None, school, {"body_id": theirs.id, "title": "x", "starts_at": datetime.now(UTC)})

    assert refusal.value.reason is MeetingRefusal.UNKNOWN_BODY


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("day", "2026-13-01", "Enter a date such as 2026-09-01."),
        ("day", "15/12/2026", "Enter a date such as 2026-09-01."),
        ("day", "", "Please enter the date of the meeting."),
        ("day", "9999-12-31", "Enter a date between the years 1990 and 2100."),
        ("start_time", "25:00", "Enter a time such as 14:30."),
        ("start_time", "half past three", "Enter a time such as 14:30."),
        ("start_time", "", "Please enter the time the meeting starts."),
        ("title", "", "Please enter a title for the meeting."),
        ("title", "会" * 201, "This has 201 characters; it can have at most 200."),
        ("place", "地" * 201, "This has 201 characters; it can have at most 200."),
        ("title", "会议\x00", "This contains characters that are not allowed."),
        ("body_id", "", "Please choose the body that meets."),
    ],
)
def test_bad_meeting_details_are_refused_beside_the_field(
    client, db, school, board, board_member, login_as, field, value, message
):
    login_as(board_member)

    response = client.post(f"{manage_url(school)}/new", data=meeting_form(board, **{field: value}), headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, field) == message
    if field not in ("body_id",) and "\x00" not in value:
        assert field_value(page, field) == value
    assert count(db, Meeting) == 0


def test_time_with_seconds_from_some_browsers_is_understood(client, db, school, board, board_member, login_as):
    login_as(board_member)

    response = client.post(f"{manage_url(school)}/new", data=meeting_form(board, start_time="09:05:00"))

    assert response.status_code == 303
    assert db.session.scalar(select(Meeting)).starts_at == datetime(2026, 12, 15, 1, 5, tzinfo=UTC)


def test_school_without_bodies_is_told_to_add_them_first(client, school, school_admin, login_as):
    login_as(school_admin)

    page = client.get(f"{manage_url(school)}/new", headers=ENGLISH).get_data(as_text=True)

    assert "this school has none listed yet" in page
    assert f'href="/schools/{school.slug}/manage/bodies"' in page


def test_meeting_details_can_be_changed_and_are_audited(
    client, db, school, board, past_meeting, board_member, login_as
):
    login_as(board_member)

    form = client.get(manage_url(school, past_meeting)).get_data(as_text=True)
    assert field_value(form, "day") == "2026-03-02" and field_value(form, "start_time") == "15:30"

    response = client.post(
        manage_url(school, past_meeting), data=meeting_form(board, title="改期后的会议", day="2026-03-03")
    )

    assert response.status_code == 303
    meeting = fresh(db, past_meeting)
    assert meeting.title == "改期后的会议"
    assert meeting.starts_at == datetime(2026, 3, 3, 7, 30, tzinfo=UTC)
    (event,) = events(db, "meeting.update")
    assert event.data["changes"]["title"]["after"] == "改期后的会议"
    assert event.school_id == school.id


def test_meetings_list_for_managers_links_to_each_meeting(client, school, past_meeting, board_member, login_as):
    login_as(board_member)

    page = client.get(manage_url(school)).get_data(as_text=True)

    assert f'href="{manage_url(school, past_meeting)}"' in page


# The agenda


def test_agenda_item_is_added_at_the_end(client, db, school, past_meeting, board_member, login_as):
    login_as(board_member)

    response = client.post(f"{manage_url(school, past_meeting)}/agenda", data={"item_title": "校服采购方案征求意见"})

    assert response.status_code == 303
    assert location_path(response) == manage_url(school, past_meeting)
    assert agenda_titles(db, past_meeting) == ["审议2026学年度工作计划", "食堂膳食管理情况通报", "校服采购方案征求意见"]
    event = events(db, "meeting.agenda")[-1]
    assert event.data["change"] == "add" and event.school_id == school.id and event.actor_id == board_member.id


def test_agenda_item_added_with_htmx_returns_the_agenda_alone(client, db, school, past_meeting, board_member, login_as):
    login_as(board_member)

    response = client.post(
        f"{manage_url(school, past_meeting)}/agenda",
        data={"item_title": "校服采购方案征求意见"},
        headers={**HTMX, **ENGLISH},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith('<section class="panel" id="agenda"')
    assert "<html" not in page
    assert "校服采购方案征求意见" in page
    assert 'id="meeting-status" hx-swap-oob="innerHTML">Added to the agenda: 校服采购方案征求意见' in page


def test_empty_agenda_item_is_refused_and_htmx_shows_the_message_in_place(
    client, db, school, past_meeting, board_member, login_as
):
    login_as(board_member)

    response = client.post(
        f"{manage_url(school, past_meeting)}/agenda", data={"item_title": " "}, headers={**HTMX, **ENGLISH}
    )

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "item_title") == "Please enter the agenda item."
    # The swapped section carries its error summary, which takes focus (the button pressed is gone).
    assert '<div class="error-summary" role="alert" tabindex="-1" autofocus>' in response.get_data(as_text=True)
    assert len(agenda_titles(db, past_meeting)) == 2


def test_overlong_agenda_item_is_refused_and_kept(client, db, school, past_meeting, board_member, login_as):
    login_as(board_member)
    title = "议" * 201

    response = client.post(f"{manage_url(school, past_meeting)}/agenda", data={"item_title": title}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "item_title") == "This has 201 characters; it can have at most 200."
    assert field_value(page, "item_title") == title


def test_agenda_items_move_up_and_down(client, db, school, past_meeting, board_member, login_as):
    login_as(board_member)
    first, second = fresh(db, past_meeting).agenda_items
    url = f"{manage_url(school, past_meeting)}/agenda/move"

    assert client.post(url, data={"item_id": str(second.id), "direction": "up"}).status_code == 303
    assert agenda_titles(db, past_meeting) == ["食堂膳食管理情况通报", "审议2026学年度工作计划"]

    assert client.post(url, data={"item_id": str(second.id), "direction": "down"}, headers=HTMX).status_code == 200
    assert agenda_titles(db, past_meeting) == ["审议2026学年度工作计划", "食堂膳食管理情况通报"]
    assert [item.position for item in fresh(db, past_meeting).agenda_items] == [1, 2]
    # At the end already: it stays.
    assert client.post(url, data={"item_id": str(second.id), "direction": "down"}).status_code == 303
    assert agenda_titles(db, past_meeting) == ["审议2026学年度工作计划", "食堂膳食管理情况通报"]
    assert [e.data["change"] for e in events(db, "meeting.agenda")][-2:] == ["move", "move"]


def test_removing_an_agenda_item_closes_the_gap(client, db, school, past_meeting, board_member, login_as):
    services.add_agenda_item(None, past_meeting, "校服采购方案征求意见")
    db.session.commit()
    login_as(board_member)
    middle = fresh(db, past_meeting).agenda_items[1]

    response = client.post(f"{manage_url(school, past_meeting)}/agenda/remove", data={"item_id": str(middle.id)})

    assert response.status_code == 303
    assert agenda_titles(db, past_meeting) == ["审议2026学年度工作计划", "校服采购方案征求意见"]
    assert [item.position for item in fresh(db, past_meeting).agenda_items] == [1, 2]
    assert events(db, "meeting.agenda")[-1].data["item"] == "食堂膳食管理情况通报"


def test_agenda_item_of_another_meeting_cannot_be_moved_or_removed(
    client, db, school, board, past_meeting, make_meeting, board_member, login_as
):
    other = make_meeting(school, board, agenda=["别的议程"])
    theirs = fresh(db, other).agenda_items[0]
    login_as(board_member)

    for action in ("move", "remove"):
        response = client.post(
            f"{manage_url(school, past_meeting)}/agenda/{action}",
            data={"item_id": str(theirs.id), "direction": "up"},
            headers=ENGLISH,
        )
        # Not on this meeting's agenda: to the page, as to someone who saw it before it was removed.
        assert response.status_code == 409
        assert "This item is no longer on the agenda." in response.get_data(as_text=True)
    assert agenda_titles(db, other) == ["别的议程"]
    assert agenda_titles(db, past_meeting) == ["审议2026学年度工作计划", "食堂膳食管理情况通报"]


@pytest.mark.parametrize("action", ["move", "remove"])
def test_agenda_item_someone_else_removed_meanwhile_is_refused_with_the_agenda_as_it_now_is(
    client, db, school, past_meeting, board_member, login_as, action
):
    meeting = fresh(db, past_meeting)
    removed = meeting.agenda_items[1]
    removed_id = removed.id
    services.remove_agenda_item(None, meeting, removed_id)  # by someone else, a moment before
    db.session.commit()
    audit_before = len(events(db, "meeting.agenda"))
    login_as(board_member)

    response = client.post(
        f"{manage_url(school, past_meeting)}/agenda/{action}",
        data={"item_id": str(removed_id), "direction": "up"},
        headers={**HTMX, **ENGLISH},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert page.lstrip().startswith('<section class="panel" id="agenda"')  # the part that asked, swapped
    assert "<html" not in page
    assert "This item is no longer on the agenda." in page
    assert "审议2026学年度工作计划" in page and "食堂膳食管理情况通报" not in page
    assert agenda_titles(db, past_meeting) == ["审议2026学年度工作计划"]
    assert len(events(db, "meeting.agenda")) == audit_before


@pytest.fixture
def someone_adds_an_item_at_the_same_moment(monkeypatch):
    """The next request that reads a meeting to change it finds, when it adds its item, that
    someone else's item took the same place on the agenda after it was read."""
    read = services.meeting_in_school

    def read_then_someone_else_adds(school, meeting_id, *, for_update=False):
        meeting = read(school, meeting_id, for_update=for_update)
        if for_update:
            position = len(meeting.agenda_items) + 1
            portal_db.session.execute(insert(AgendaItem).values(meeting_id=meeting.id, position=position, title="他人"))
        return meeting

    monkeypatch.setattr(services, "meeting_in_school", read_then_someone_else_adds)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain form"])
def test_agenda_item_added_at_the_same_moment_as_someone_else_s_is_refused_and_kept_to_add_again(
    client, db, school, past_meeting, board_member, login_as, someone_adds_an_item_at_the_same_moment, htmx
):
    audit_before = len(events(db, "meeting.agenda"))
    login_as(board_member)

    response = client.post(
        f"{manage_url(school, past_meeting)}/agenda",
        data={"item_title": "校服采购方案征求意见"},
        headers={**(HTMX if htmx else {}), **ENGLISH},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed the agenda at the same moment. Please try again." in page
    assert field_value(page, "item_title") == "校服采购方案征求意见"
    if htmx:
        assert page.lstrip().startswith('<section class="panel" id="agenda"')
        assert "<html" not in page
    else:
        assert "<html" in page and 'id="attendance"' in page
    assert agenda_titles(db, past_meeting) == ["审议2026学年度工作计划", "食堂膳食管理情况通报"]
    assert len(events(db, "meeting.agenda")) == audit_before


# Attendance


def members_by_name(meeting):
    return {member.name: member for member in services.members_for_meeting(meeting)}


def test_attendance_is_recorded_for_the_members_serving_on_the_day(
    client, db, school, past_meeting, board_member, login_as
):
    members = members_by_name(past_meeting)
    login_as(board_member)

    response = client.post(
        f"{manage_url(school, past_meeting)}/attendance",
        data={
            f"member-{members['周建华'].id}": "present",
            f"member-{members['李秀英'].id}": "absent",
            f"member-{members['王国平'].id}": "",
        },
    )

    assert response.status_code == 303
    recorded = {row.member.name: row.present for row in fresh(db, past_meeting).attendance}
    assert recorded == {"周建华": True, "李秀英": False}
    (event,) = events(db, "meeting.attendance")
    assert event.data["changes"]["周建华"] == {"before": None, "after": True}
    assert event.school_id == school.id


def test_attendance_toggled_with_htmx_returns_the_attendance_alone(
    client, db, school, past_meeting, board_member, login_as
):
    members = members_by_name(past_meeting)
    login_as(board_member)
    url = f"{manage_url(school, past_meeting)}/attendance"
    client.post(url, data={f"member-{members['周建华'].id}": "present"})

    response = client.post(url, data={f"member-{members['周建华'].id}": "absent"}, headers={**HTMX, **ENGLISH})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith('<section class="panel" id="attendance"')
    assert f'name="member-{members["周建华"].id}" value="absent" checked' in page
    assert "Attendance is saved." in page
    assert [row.present for row in fresh(db, past_meeting).attendance] == [False]


def test_attendance_cannot_be_recorded_twice_for_one_member(client, db, school, past_meeting, board_member, login_as):
    member = members_by_name(past_meeting)["周建华"]
    login_as(board_member)
    for value in ("present", "present", "absent"):
        client.post(f"{manage_url(school, past_meeting)}/attendance", data={f"member-{member.id}": value})

    assert count(db, Attendance, Attendance.meeting_id == past_meeting.id) == 1


@pytest.mark.parametrize("who", ["former", "other_body", "other_school", "unknown"])
def test_attendance_for_someone_who_is_not_a_member_is_refused(
    client, db, school, other_school, board, past_meeting, board_member, make_body, make_member, login_as, who
):
    if who == "former":
        member_id = next(m.id for m in board.members if m.name == "赵雪梅")
    elif who == "other_body":
        member_id = make_member(make_body(school, name="家长委员会"), "家长代表").id
    elif who == "other_school":
        member_id = make_member(make_body(other_school), "别校委员").id
    else:
        member_id = 999999
    chair = members_by_name(past_meeting)["周建华"]
    login_as(board_member)

    response = client.post(
        f"{manage_url(school, past_meeting)}/attendance",
        data={f"member-{chair.id}": "present", f"member-{member_id}": "present"},
        headers=ENGLISH,
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Attendance can only be recorded for members of this body" in page
    assert f'name="member-{chair.id}" value="present" checked' in page  # what was chosen stays
    assert count(db, Attendance) == 0
    assert not events(db, "meeting.attendance")


@pytest.mark.parametrize("value", ["maybe", "1"])
def test_attendance_other_than_present_or_absent_is_refused(
    client, db, school, past_meeting, board_member, login_as, value
):
    chair = members_by_name(past_meeting)["周建华"]
    login_as(board_member)

    response = client.post(
        f"{manage_url(school, past_meeting)}/attendance",
        data={f"member-{chair.id}": value},
        headers={**HTMX, **ENGLISH},
    )

    assert response.status_code == 422
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert "Choose present, absent or not recorded for each member." in response.get_data(as_text=True)
    assert count(db, Attendance) == 0


# Minutes


def test_draft_minutes_are_saved_and_audited(client, db, school, past_meeting, board_member, login_as):
    login_as(board_member)

    response = client.post(f"{manage_url(school, past_meeting)}/minutes", data={"minutes": "## 纪要\r\n\r\n会议同意。"})

    assert response.status_code == 303
    assert fresh(db, past_meeting).minutes == "## 纪要\n\n会议同意。"
    assert events(db, "meeting.minutes_edit")[-1].actor_id == board_member.id


def test_overlong_minutes_are_refused_and_kept(client, db, school, past_meeting, board_member, login_as):
    login_as(board_member)
    minutes = "纪" * 100_001

    response = client.post(f"{manage_url(school, past_meeting)}/minutes", data={"minutes": minutes}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "minutes") == "This has 100,001 characters; it can have at most 100,000."
    assert minutes in page
    assert fresh(db, past_meeting).minutes.startswith("## 一、审议工作计划")


def test_approving_minutes_makes_them_public_and_is_audited(client, db, school, past_meeting, board_member, login_as):
    login_as(board_member)

    response = client.post(f"{manage_url(school, past_meeting)}/approve", data={"confirm": "y"})

    assert response.status_code == 303
    meeting = fresh(db, past_meeting)
    assert meeting.minutes_approved and meeting.minutes_approved_by_id == board_member.id
    (event,) = events(db, "meeting.minutes_approve")
    assert (event.actor_id, event.object_id, event.school_id) == (board_member.id, meeting.id, school.id)
    public = client.get(f"/meetings/{meeting.id}", headers=ENGLISH).get_data(as_text=True)
    assert "原则通过" in public and "Draft minutes" not in public


def test_empty_minutes_cannot_be_approved(client, db, school, board, make_meeting, board_member, login_as):
    meeting = make_meeting(school, board)
    login_as(board_member)

    response = client.post(f"{manage_url(school, meeting)}/approve", data={"confirm": "y"}, headers=ENGLISH)

    assert response.status_code == 422
    assert "Write the minutes and save them before approving them." in response.get_data(as_text=True)
    assert not fresh(db, meeting).minutes_approved
    assert not events(db, "meeting.minutes_approve")


NOT_HELD = "This meeting has not taken place yet. Its attendance and its minutes are recorded once it has begun."


def test_minutes_of_a_meeting_that_has_not_taken_place_cannot_be_approved(
    client, db, school, board, make_meeting, board_member, login_as
):
    meeting = make_meeting(school, board, starts_at=utcnow() + timedelta(days=14), minutes="会议议定：……")
    login_as(board_member)

    response = client.post(f"{manage_url(school, meeting)}/approve", data={"confirm": "y"}, headers=ENGLISH)

    assert response.status_code == 422
    assert NOT_HELD in response.get_data(as_text=True)
    assert not fresh(db, meeting).minutes_approved
    assert fresh(db, meeting).minutes == "会议议定：……"  # the draft is kept
    assert not events(db, "meeting.minutes_approve")


def test_attendance_of_a_meeting_that_has_not_taken_place_is_not_offered_and_refused(
    client, db, school, board, make_meeting, board_member, login_as
):
    meeting = make_meeting(school, board, starts_at=utcnow() + timedelta(days=14))
    chair = members_by_name(meeting)["周建华"]
    login_as(board_member)

    page = client.get(manage_url(school, meeting), headers=ENGLISH).text
    response = client.post(
        f"{manage_url(school, meeting)}/attendance", data={f"member-{chair.id}": "present"}, headers=ENGLISH
    )

    assert "Attendance is recorded once the meeting has begun." in page
    assert f'name="member-{chair.id}"' not in page  # nothing to click that could only be refused
    assert response.status_code == 422
    assert NOT_HELD in response.text
    assert count(db, Attendance) == 0


def test_approving_without_the_tick_approves_nothing_and_says_why_beside_it(
    client, db, school, past_meeting, board_member, login_as
):
    login_as(board_member)

    response = client.post(f"{manage_url(school, past_meeting)}/approve", data={}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "confirm") == "Tick the box to confirm before approving the minutes."
    assert 'class="error-summary" role="alert" tabindex="-1" autofocus' in page
    assert not fresh(db, past_meeting).minutes_approved
    assert not events(db, "meeting.minutes_approve")


def test_the_approve_button_says_it_is_working_while_the_pdf_is_made(
    client, school, past_meeting, board_member, login_as
):
    login_as(board_member)

    page = client.get(manage_url(school, past_meeting), headers=ENGLISH).get_data(as_text=True)

    assert 'class="approve-form stack" data-working' in page
    assert "Approving: the PDF of the minutes is being made and signed…" in page


# The meeting's page holds five forms (details, agenda, attendance, minutes, approval). When one is
# refused, it keeps what was typed with the reason beside it; the others show what is saved.


REFUSED_FORMS = {
    "details": ("", {"body_id": "{body}", "title": "", "day": "2026-03-02", "start_time": "15:30", "place": "礼堂"}),
    "agenda": ("/agenda", {"item_title": ""}),
    "minutes": ("/minutes", {"minutes": "纪" * 100_001}),
    "approval": ("/approve", {}),
}


@pytest.mark.parametrize("refused", REFUSED_FORMS)
def test_a_refused_form_on_the_meeting_page_leaves_the_others_as_saved(
    client, db, school, board, past_meeting, board_member, login_as, refused
):
    login_as(board_member)
    page_url = manage_url(school, past_meeting)
    as_shown = forms_on(client.get(page_url).get_data(as_text=True), under=page_url)
    path, data = REFUSED_FORMS[refused]
    data = {key: value.format(body=board.id) for key, value in data.items()}

    response = client.post(page_url + path, data=data, headers=ENGLISH)

    assert response.status_code == 422
    after = forms_on(response.get_data(as_text=True), under=page_url)
    assert after.keys() == as_shown.keys()
    for action, fields in as_shown.items():
        if action != page_url + path:
            assert after[action] == fields, action
    saved = after[page_url]
    assert saved["title"] == (["2026年第一次校务委员会会议"] if refused != "details" else [""])
    assert after[page_url + "/minutes"]["minutes"][0].startswith(
        "## 一、审议工作计划" if refused != "minutes" else "纪纪纪"
    )
    meeting = fresh(db, past_meeting)
    assert meeting.title == "2026年第一次校务委员会会议" and meeting.minutes.startswith("## 一、审议工作计划")
    assert not meeting.minutes_approved


@pytest.mark.parametrize(
    "path, data",
    [
        ("/minutes", {"minutes": "改过的纪要"}),
        ("/approve", {}),
        ("/agenda", {"item_title": "补充议程"}),
        ("/agenda/move", {"item_id": "{item}", "direction": "down"}),
        ("/agenda/remove", {"item_id": "{item}"}),
        ("/attendance", {"member-{member}": "present"}),
        ("", {"body_id": "{body}", "title": "改过的标题", "day": "2026-03-02", "start_time": "15:30", "place": ""}),
    ],
)
def test_record_of_a_meeting_with_approved_minutes_never_changes(
    client, db, school, board, approved_meeting, board_member, login_as, path, data
):
    values = {"item": approved_meeting.agenda_items[0].id, "member": board.members[0].id, "body": board.id}
    data = {key.format(**values): value.format(**values) for key, value in data.items()}
    before = fresh(db, approved_meeting)
    snapshot = (
        before.title,
        before.minutes,
        [i.title for i in before.agenda_items],
        len(before.attendance),
        before.minutes_approved_at,
    )
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    login_as(board_member)

    response = client.post(f"{manage_url(school, approved_meeting)}{path}", data=data, headers=ENGLISH)

    assert response.status_code == 409
    assert APPROVED_REFUSAL in response.get_data(as_text=True)
    after = fresh(db, approved_meeting)
    assert (
        after.title,
        after.minutes,
        [i.title for i in after.agenda_items],
        len(after.attendance),
        after.minutes_approved_at,
    ) == snapshot
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audit_before


@pytest.mark.parametrize(
    "path, data",
    [
        ("/agenda", {"item_title": "补充议程"}),
        ("/agenda/move", {"item_id": "{item}", "direction": "down"}),
        ("/agenda/remove", {"item_id": "{item}"}),
    ],
)
def test_htmx_change_to_the_agenda_of_an_approved_meeting_shows_the_reason_in_the_agenda(
    client, db, school, approved_meeting, board_member, login_as, path, data
):
    item = approved_meeting.agenda_items[0].id
    data = {key: value.format(item=item) for key, value in data.items()}
    login_as(board_member)

    response = client.post(f"{manage_url(school, approved_meeting)}{path}", data=data, headers={**HTMX, **ENGLISH})

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "HX-Refresh" not in response.headers and "HX-Redirect" not in response.headers
    assert page.lstrip().startswith('<section class="panel" id="agenda"')  # the part that asked, swapped
    assert "<html" not in page
    assert APPROVED_REFUSAL in page
    assert 'name="item_title"' not in page and "/agenda/remove" not in page  # as it now is: final
    assert agenda_titles(db, approved_meeting) == ["审议2026学年度工作计划", "食堂膳食管理情况通报"]


def test_htmx_attendance_for_an_approved_meeting_replaces_the_attendance_with_the_reason(
    client, db, school, board, approved_meeting, board_member, login_as
):
    chair = board.members[0]
    login_as(board_member)

    response = client.post(
        f"{manage_url(school, approved_meeting)}/attendance",
        data={f"member-{chair.id}": "present"},
        headers={**HTMX, **ENGLISH},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    # The attendance form posts with swap "none": the refusal must say to replace the part.
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert page.lstrip().startswith('<section class="panel" id="attendance"')
    assert "<html" not in page
    assert APPROVED_REFUSAL in page
    assert 'type="radio"' not in page  # as it now is: final
    assert count(db, Attendance) == 0


def test_management_page_of_an_approved_meeting_offers_no_changes(
    client, school, approved_meeting, board_member, login_as
):
    login_as(board_member)

    page = client.get(manage_url(school, approved_meeting), headers=ENGLISH).get_data(as_text=True)

    assert "can no longer be changed" in page
    assert 'name="item_title"' not in page and 'name="minutes"' not in page and "/approve" not in page


def test_model_refuses_to_edit_approved_minutes(db, approved_meeting):
    with pytest.raises(services.DomainError) as editing:
        approved_meeting.edit_minutes("改")
    with pytest.raises(services.DomainError) as approving:
        services.approve_minutes(None, approved_meeting)
    assert editing.value.reason is approving.value.reason is MeetingRefusal.MINUTES_APPROVED


def test_every_refusal_beside_a_field_names_a_field_of_a_form_that_shows_it():
    """A refusal's field is where the view puts its message: a field no form has would be a 500."""
    fields = set(MemberForm.__dict__) | set(MeetingForm.__dict__) | set(EndTermForm.__dict__)
    assert {reason.field for reason in MeetingRefusal if reason.field} <= fields
    assert all(str(reason.message) for reason in MeetingRefusal)


# Who may


def test_school_admin_may_manage_meetings_too(client, school, past_meeting, school_admin, login_as):
    login_as(school_admin)

    assert client.get(manage_url(school, past_meeting)).status_code == 200


@pytest.mark.parametrize("role, scope", [("parent", "school"), ("commission_admin", "city"), ("moderator", "district")])
def test_others_may_not_change_a_meeting(client, db, request, make_user, school, past_meeting, login_as, role, scope):
    login_as(make_user(role=role, scope=request.getfixturevalue(scope)))

    assert client.post(f"{manage_url(school, past_meeting)}/minutes", data={"minutes": "改"}).status_code == 403
    assert client.post(f"{manage_url(school, past_meeting)}/approve").status_code == 403
    assert not fresh(db, past_meeting).minutes_approved


def test_meeting_of_another_school_is_not_found_under_this_school(
    client, db, school, other_school, make_body, make_meeting, board_member, login_as
):
    theirs = make_meeting(other_school, make_body(other_school), minutes="他校纪要")
    login_as(board_member)

    assert client.get(manage_url(school, theirs)).status_code == 404
    assert client.post(f"{manage_url(school, theirs)}/approve").status_code == 404
    assert client.post(f"{manage_url(school, theirs)}/minutes", data={"minutes": "改"}).status_code == 404
    assert not fresh(db, theirs).minutes_approved


def test_school_admin_of_another_school_gets_404_on_every_management_route(
    app, client, db, school, other_school, board, past_meeting, make_user, login_as
):
    """Staff of school A probing school B's management addresses learn nothing: every one of them
    answers 404, whatever the method, as if it did not exist."""
    member = services.members_for_meeting(past_meeting)[0]
    login_as(make_user(role="school_admin", scope=other_school))
    arguments = {"slug": school.slug, "body_id": board.id, "member_id": member.id, "meeting_id": past_meeting.id}
    rules = [
        rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("meetings.") and "/manage/" in rule.rule
    ]
    assert len(rules) >= 14

    for rule in rules:
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: arguments[name] for name in rule.arguments})
        for method in sorted(rule.methods & {"GET", "POST"}):
            assert client.open(url, method=method).status_code == 404, (method, url)


def test_day_of_the_meeting_decides_who_was_serving(db, school, board, make_meeting, make_member):
    newcomer = make_member(board, "新委员", term_start=date(2026, 3, 3), term_end=None)
    meeting = make_meeting(school, board, starts_at=datetime(2026, 3, 2, 15, 59, tzinfo=UTC))  # 23:59 in Beijing

    assert newcomer.id not in {m.id for m in services.members_for_meeting(meeting)}
