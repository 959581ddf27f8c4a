"""Governing bodies and meetings, as everyone sees them: a school's meetings, a meeting with its
agenda, attendance and (approved) minutes, a body with its members, the calendar feed and the
archived PDF of approved minutes. Their management is in manage_views.py."""

import re

from flask import abort, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock, policy
from portal.accounts import services as account_services
from portal.clock import utcnow
from portal.documents.download import pdf_response
from portal.documents.services import find_by_sha256
from portal.meetings import bp, calendar, services
from portal.text import render_markdown
from portal.web import (
    current_language,
    found_or_404,
    htmx_target,
    page_arg,
    public_host,
    public_url,
    query_args,
    school_or_404,
)


@bp.get("/schools/<slug>/meetings")
@query_args("page")
def index(slug):
    school = school_or_404(slug)
    now = utcnow()
    past = services.past_meetings(school, now, page=page_arg())
    if htmx_target() == "past-meetings":
        return render_template(
            "meetings/_past_meetings.html",
            school=school,
            past=past,
            endpoint="meetings.index",
            args={"slug": slug},
            now=now,
        )
    return render_template(
        "meetings/index.html",
        school=school,
        upcoming=services.upcoming_meetings(school, now),
        past=past,
        now=now,
        bodies=services.bodies_of_school(school),
        can_manage=policy.can(current_user, "manage_meetings", school),
    )


@bp.get("/meetings/<int:meeting_id>")
@query_args()
def show(meeting_id):
    meeting = found_or_404(services.meeting_by_id(meeting_id))
    members = services.members_for_meeting(meeting)
    attendance = services.attendance_summary(meeting, members)
    # Draft minutes may still change: only the body's members and the school's staff read them.
    may_read_draft = not meeting.minutes_approved and policy.can(current_user, "read_draft_minutes", meeting)
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        school=meeting.school,
        present=[member for member in members if attendance[member.id] is True],
        badges=account_services.staff_badges(member.user_id for member in members),
        absent=[member for member in members if attendance[member.id] is False],
        may_read_draft=may_read_draft,
        minutes_html=render_markdown(meeting.minutes) if meeting.minutes_approved or may_read_draft else None,
        can_manage=policy.can(current_user, "manage_meetings", meeting.school),
    )


@bp.get("/meetings/<int:meeting_id>/minutes.pdf")
def minutes_pdf(meeting_id):
    """The archived PDF of approved minutes, exactly as signed at approval. Draft minutes have
    none: not found, whoever asks (members read drafts on the meeting's page)."""
    meeting = found_or_404(services.meeting_by_id(meeting_id))
    if not meeting.minutes_approved or not meeting.minutes_document_sha256:
        abort(404)
    document = found_or_404(find_by_sha256(meeting.minutes_document_sha256))
    day = clock.local_date(meeting.starts_at)
    return pdf_response(document, f"{meeting.school.name_zh}{meeting.body.name}会议纪要{day.isoformat()}")


@bp.get("/schools/<slug>/bodies/<int:body_id>")
@query_args("former", "page")
def body(slug, body_id):
    school = school_or_404(slug)
    body = found_or_404(services.body_in_school(school, body_id))
    today, now = clock.today(), utcnow()
    show_former = request.args.get("former") == "1"
    former = services.former_members(body, today) if show_former else []
    past = services.past_meetings(school, now, body=body, page=page_arg())
    if htmx_target() == "past-meetings":
        args = {"slug": slug, "body_id": body.id, **({"former": 1} if show_former else {})}
        return render_template(
            "meetings/_past_meetings.html", school=school, past=past, endpoint="meetings.body", args=args, now=now
        )
    members = services.current_members(body, today)
    return render_template(
        "meetings/body.html",
        school=school,
        body=body,
        members=members,
        badges=account_services.staff_badges(member.user_id for member in members),
        show_former=show_former,
        former=former,
        former_count=len(former) if show_former else services.former_member_count(body, today),
        upcoming=services.upcoming_meetings(school, now, body=body),
        past=past,
        now=now,
        can_manage=policy.can(current_user, "manage_bodies", school),
    )


# The endpoint is "meetings.calendar"; the function has another name, beside the calendar module.
@bp.get("/schools/<slug>/meetings.ics", endpoint="calendar")
@query_args()
def calendar_feed(slug):
    school = school_or_404(slug)
    # The UID must not change between downloads, or calendars show every meeting twice: it rests
    # on the public address's host, never on whichever name the request used.
    host = public_host()
    events = []
    for meeting in services.meetings_for_calendar(school, utcnow()):
        agenda = "\n".join(f"{item.position}. {item.title}" for item in meeting.agenda_items)
        events.append(
            calendar.Event(
                uid=f"meeting-{meeting.id}@{host}",
                stamp=meeting.updated_at,
                start=meeting.starts_at,
                duration=services.DEFAULT_MEETING_DURATION,
                summary=_("%(body)s: %(title)s", body=meeting.body.name, title=meeting.title),
                location=meeting.place,
                description=_("Agenda:") + "\n" + agenda if agenda else "",
                url=public_url("meetings.show", meeting_id=meeting.id),
            )
        )
    text = calendar.render_calendar(events, name=_("Meetings of %(school)s", school=school.name(current_language())))
    response = make_response(text.encode("utf-8"))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    filename = re.sub(r"[^a-z0-9-]", "", school.slug) or "school"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}-meetings.ics"'
    return response
