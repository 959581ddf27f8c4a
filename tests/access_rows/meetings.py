"""Access rows for governing bodies, members and meetings: the public pages and the feed, and
their management. The meeting the rows use has approved minutes, so every change to it is
refused with 409 for those who may manage meetings."""

from datetime import UTC, date, datetime

from portal.extensions import db
from portal.meetings import services
from portal.meetings.models import BodyKind, Constituency, Position
from tests.access_rows import everyone, management, url_arguments


# Commission admins oversee a school's bodies and meetings; they do not keep them (403).
def bodies(allowed_status):
    return management(allowed_status)


def meetings(allowed_status):
    return management(allowed_status, board_member=True)


def arguments(school, other_school):
    body = services.create_body(None, school, {"kind": BodyKind.SCHOOL_BOARD, "name": "校务委员会", "description": ""})
    member = services.add_member(
        None,
        body,
        {
            "name": "周建华",
            "position": Position.CHAIR,
            "constituency": Constituency.PRINCIPAL,
            "term_start": date(2024, 9, 1),
            "term_end": date(2027, 8, 31),
        },
    )
    meeting = services.create_meeting(
        None,
        school,
        {
            "body_id": body.id,
            "title": "校务委员会会议",
            "starts_at": datetime(2026, 3, 2, 7, 30, tzinfo=UTC),
            "place": "会议室",
        },
    )
    services.add_agenda_item(None, meeting, "审议2026学年度工作计划")
    services.edit_minutes(None, meeting, "会议原则通过工作计划。")
    services.approve_minutes(None, meeting)
    db.session.commit()
    return {
        **url_arguments("meetings.show", "meetings.minutes_pdf", meeting_id=meeting.id),
        **url_arguments(
            "meetings.index",
            "meetings.calendar",
            "meetings.manage_bodies",
            "meetings.manage_meetings",
            "meetings.new_meeting",
            slug=school.slug,
        ),
        **url_arguments(
            "meetings.body", "meetings.manage_body", "meetings.new_member", slug=school.slug, body_id=body.id
        ),
        **url_arguments(
            "meetings.edit_member", "meetings.end_member_term", slug=school.slug, body_id=body.id, member_id=member.id
        ),
        **url_arguments(
            "meetings.manage_meeting",
            "meetings.add_agenda_item",
            "meetings.move_agenda_item",
            "meetings.remove_agenda_item",
            "meetings.record_attendance",
            "meetings.edit_minutes",
            "meetings.preview_minutes",
            "meetings.approve_minutes",
            slug=school.slug,
            meeting_id=meeting.id,
        ),
    }


EXPECTED = {
    "meetings.index": everyone(200),
    "meetings.show": everyone(200),
    "meetings.body": everyone(200),
    "meetings.calendar": everyone(200),
    "meetings.minutes_pdf": everyone(200),  # the minutes are approved: their archived PDF
    "meetings.manage_bodies": bodies(200),
    "meetings.manage_body": bodies(200),
    "meetings.new_member": bodies(200),
    "meetings.edit_member": bodies(200),
    "meetings.end_member_term": bodies(422),  # no last day given
    "meetings.manage_meetings": meetings(200),
    "meetings.new_meeting": meetings(200),
    "meetings.manage_meeting": meetings(200),
    # The meeting's minutes are approved: its record no longer changes.
    "meetings.add_agenda_item": meetings(409),
    "meetings.move_agenda_item": meetings(409),
    "meetings.remove_agenda_item": meetings(409),
    "meetings.record_attendance": meetings(409),
    "meetings.edit_minutes": meetings(409),
    "meetings.preview_minutes": meetings(409),  # approved minutes have nothing left to preview
    "meetings.approve_minutes": meetings(409),
}

EXPECTED_POST = {
    "meetings.manage_bodies": bodies(422),
    "meetings.manage_body": bodies(422),
    "meetings.new_member": bodies(422),
    "meetings.edit_member": bodies(422),
    "meetings.new_meeting": meetings(422),
    "meetings.manage_meeting": meetings(409),
}
