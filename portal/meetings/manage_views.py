"""Keeping a school's governing bodies and the record of their meetings, under
/schools/<slug>/manage/bodies (the school's admins: policy "manage_bodies") and
/schools/<slug>/manage/meetings (its board members and admins: "manage_meetings").

A meeting's management page has parts that htmx changes on their own: the agenda (#agenda) and
the attendance (#attendance). Once the minutes are approved the meeting's record no longer
changes: every change is refused with 409 (web.conflict), htmx getting the part that asked, as
it now is, with the reason in it; a plain form the whole page, the reason at its top. The public
pages are in views.py."""

from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal import clock, policy
from portal.clock import utcnow
from portal.domain import DomainError
from portal.extensions import db
from portal.meetings import bp, forms, services
from portal.meetings.models import MINUTES_MAX, MeetingRefusal
from portal.text import render_markdown
from portal.web import conflict, found_or_404, is_htmx, managed_school, page_arg, redirect_to

MEETING_PAGE = "meetings/manage_meeting.html"
AGENDA_PART = "meetings/_agenda.html"
ATTENDANCE_PART = "meetings/_attendance.html"
MINUTES_PREVIEW = "meetings/_minutes_preview.html"


# --- managing bodies and members ----------------------------------------------------------


@bp.route("/schools/<slug>/manage/bodies", methods=["GET", "POST"])
def manage_bodies(slug):
    school = managed_school(slug, "manage_bodies")
    form = forms.BodyForm()
    if form.validate_on_submit():
        body = services.create_body(current_user, school, form.data)
        db.session.commit()
        flash(_("%(name)s is added. Now add its members.", name=body.name), "success")
        return redirect_to(url_for("meetings.manage_body", slug=slug, body_id=body.id))
    return (
        render_template(
            "meetings/manage_bodies.html",
            school=school,
            form=form,
            bodies=services.bodies_with_current_members(school, clock.today()),
        ),
        422 if form.is_submitted() else 200,
    )


@bp.route("/schools/<slug>/manage/bodies/<int:body_id>", methods=["GET", "POST"])
def manage_body(slug, body_id):
    school = managed_school(slug, "manage_bodies")
    body = found_or_404(services.body_in_school(school, body_id))
    form = forms.BodyForm(obj=body if request.method == "GET" else None)
    if form.validate_on_submit():
        changes = services.update_body(current_user, body, form.data)
        db.session.commit()
        flash(_("The body's details are saved.") if changes else _("Nothing was changed."), "success")
        return redirect_to(url_for("meetings.manage_body", slug=slug, body_id=body.id))
    today = clock.today()
    return (
        render_template(
            "meetings/manage_body.html",
            school=school,
            body=body,
            form=form,
            members=services.current_members(body, today, with_accounts=True),
            future=services.future_members(body, today, with_accounts=True),
            former=services.former_members(body, today, with_accounts=True),
        ),
        422 if form.is_submitted() else 200,
    )


def _member_form_page(school, body, form, member=None, end_form=None, status=200):
    today = clock.today()
    serving = member is not None and (member.term_end is None or member.term_end >= today)
    return (
        render_template(
            "meetings/member_form.html",
            school=school,
            body=body,
            form=form,
            member=member,
            # Ending a term is for someone still serving; a past term is corrected in the form above.
            end_form=end_form or (forms.EndTermForm(formdata=None, last_day=today) if serving else None),
        ),
        status,
    )


@bp.route("/schools/<slug>/manage/bodies/<int:body_id>/members/new", methods=["GET", "POST"])
def new_member(slug, body_id):
    school = managed_school(slug, "manage_bodies")
    body = found_or_404(services.body_in_school(school, body_id))
    form = forms.MemberForm()
    if form.validate_on_submit():
        try:
            member = services.add_member(current_user, body, form.data)
        except DomainError as error:
            db.session.rollback()
            form[error.field].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("%(name)s is added to %(body)s.", name=member.name, body=body.name), "success")
            return redirect_to(url_for("meetings.manage_body", slug=slug, body_id=body.id))
    return _member_form_page(school, body, form, status=422 if form.is_submitted() else 200)


@bp.route("/schools/<slug>/manage/bodies/<int:body_id>/members/<int:member_id>", methods=["GET", "POST"])
def edit_member(slug, body_id, member_id):
    school = managed_school(slug, "manage_bodies")
    body = found_or_404(services.body_in_school(school, body_id))
    member = found_or_404(services.member_in_body(body, member_id))
    if request.method == "GET":
        form = forms.MemberForm(obj=member, account_email=member.user.email if member.user else "")
    else:
        form = forms.MemberForm()
    if form.validate_on_submit():
        try:
            changes = services.update_member(current_user, member, form.data)
        except DomainError as error:
            db.session.rollback()
            form[error.field].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The member's details are saved.") if changes else _("Nothing was changed."), "success")
            return redirect_to(url_for("meetings.manage_body", slug=slug, body_id=body.id))
    return _member_form_page(school, body, form, member, status=422 if form.is_submitted() else 200)


@bp.post("/schools/<slug>/manage/bodies/<int:body_id>/members/<int:member_id>/end-term")
def end_member_term(slug, body_id, member_id):
    school = managed_school(slug, "manage_bodies")
    body = found_or_404(services.body_in_school(school, body_id))
    member = found_or_404(services.member_in_body(body, member_id))
    end_form = forms.EndTermForm()
    if end_form.validate_on_submit():
        try:
            services.end_member_term(current_user, member, end_form.last_day.data)
        except DomainError as error:
            db.session.rollback()
            # TERM_ORDER or END_AFTER_TERM: on this form both are about the last day given.
            end_form.last_day.errors.append(error.message)
        else:
            db.session.commit()
            flash(
                _(
                    "The term of %(name)s ends on %(date)s.",
                    name=member.name,
                    date=format_date(end_form.last_day.data, "long"),
                ),
                "success",
            )
            return redirect_to(url_for("meetings.manage_body", slug=slug, body_id=body.id))
    form = forms.MemberForm(formdata=None, obj=member, account_email=member.user.email if member.user else "")
    return _member_form_page(school, body, form, member, end_form=end_form, status=422)


# --- managing meetings --------------------------------------------------------------------


@bp.get("/schools/<slug>/manage/meetings")
def manage_meetings(slug):
    school = managed_school(slug, "manage_meetings")
    now = utcnow()
    return render_template(
        "meetings/manage_meetings.html",
        school=school,
        upcoming=services.upcoming_meetings(school, now),
        past=services.past_meetings(school, now, page=page_arg()),
        now=now,
        has_bodies=bool(services.bodies_of_school(school)),
        can_manage_bodies=policy.can(current_user, "manage_bodies", school),
    )


def _meeting_form(school, meeting=None):
    """The meeting's details form, filled from `meeting` if given, else from what was posted.
    Its body select lists only this school's bodies."""
    if meeting is not None:
        form = forms.MeetingForm(
            formdata=None,
            body_id=meeting.body_id,
            title=meeting.title,
            day=clock.local_date(meeting.starts_at),
            start_time=clock.local_time(meeting.starts_at),
            place=meeting.place,
        )
    else:
        form = forms.MeetingForm()
    # A board member schedules and moves meetings only of the bodies they sit on now.
    bodies = [
        SelectChoice(body.id, body.name)
        for body in services.bodies_of_school(school)
        if policy.can(current_user, "keep_meeting_record", body)
    ]
    form.body_id.choices = [SelectChoice("", _("Choose a body")), *bodies]
    if len(bodies) == 1 and form.body_id.data is None and not form.is_submitted():
        form.body_id.data = bodies[0].value
    return form


def _meeting_data(form) -> dict:
    return {
        "body_id": form.body_id.data,
        "title": form.title.data,
        "starts_at": clock.local_to_utc(form.day.data, form.start_time.data),
        "place": form.place.data,
    }


@bp.route("/schools/<slug>/manage/meetings/new", methods=["GET", "POST"])
def new_meeting(slug):
    school = managed_school(slug, "manage_meetings")
    form = _meeting_form(school)
    if form.validate_on_submit():
        try:
            meeting = services.create_meeting(current_user, school, _meeting_data(form))
        except DomainError as error:
            db.session.rollback()
            form[error.field].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The meeting is scheduled. Now set its agenda."), "success")
            return redirect_to(url_for("meetings.manage_meeting", slug=slug, meeting_id=meeting.id))
    return (
        render_template(
            "meetings/new_meeting.html",
            school=school,
            form=form,
            can_manage_bodies=policy.can(current_user, "manage_bodies", school),
        ),
        422 if form.is_submitted() else 200,
    )


# The meeting's management page and its parts. Each part's context is built on its own, so that
# htmx, which asks for one part, does not run the queries of the others.


def _agenda_context(school, meeting, **given) -> dict:
    """The agenda part (meetings/_agenda.html): the items, the form to add one (as typed, with its
    messages, if given), a refusal and what was done."""
    return {
        "school": school,
        "meeting": meeting,
        "agenda_form": given.get("agenda_form") or forms.AgendaItemForm(formdata=None),
        "agenda_error": given.get("agenda_error"),
        "status_message": given.get("status_message"),
    }


def _attendance_context(school, meeting, **given) -> dict:
    """The attendance part (meetings/_attendance.html): the members serving on the meeting's day
    with what is recorded for them (or, if given, what was chosen), a refusal and what was done."""
    members = services.members_for_meeting(meeting)
    return {
        "school": school,
        "meeting": meeting,
        "members": members,
        "attendance": given.get("attendance") or services.attendance_summary(meeting, members),
        "attendance_error": given.get("attendance_error"),
        "status_message": given.get("status_message"),
        # Who was present is recorded once the meeting has begun (MeetingRefusal.MEETING_NOT_HELD).
        "meeting_held": meeting.has_begun(utcnow()),
    }


def _page_context(school, meeting, **given) -> dict:
    """The whole page: every part, with the forms given (holding what was typed and its messages)
    and fresh ones for the others."""
    return {
        **_agenda_context(school, meeting, **given),
        **_attendance_context(school, meeting, **given),
        "details_form": given.get("details_form") or _meeting_form(school, meeting),
        "minutes_form": given.get("minutes_form") or forms.MinutesForm(formdata=None, minutes=meeting.minutes),
        "minutes_html": render_markdown(meeting.minutes),
        "minutes_preview": given.get("minutes_preview") or _minutes_preview(meeting.minutes, unsaved=False),
        "previewing": "minutes_preview" in given,
        "approve_form": given.get("approve_form") or forms.ApproveMinutesForm(formdata=None),
        "approve_error": given.get("approve_error"),
        "refused": given.get("refused"),
        "now": utcnow(),
    }


def _meeting_page(school, meeting, status=200, **given):
    return render_template(MEETING_PAGE, **_page_context(school, meeting, **given)), status


def _replacing_attendance(body, status):
    """The attendance form posts with swap "none" (see _attendance.html): an answer that is not a
    success must say to replace the part, or it would not be seen."""
    return body, status, ({"HX-Reswap": "outerHTML"} if is_htmx() else {})


def _refused(school, meeting, reason: MeetingRefusal, part: str | None = None, **given):
    """The meeting's state refused the change (its minutes are approved; the agenda changed at
    the same moment): nothing is changed, 409 and why, with the meeting as it now is. htmx gets
    the part of the page that sent the request (`part`: "agenda" or "attendance") with the reason
    in it; a plain form the whole page with the reason at its top (web.conflict). `given` keeps
    what was typed, to send again."""
    db.session.rollback()
    meeting = found_or_404(services.meeting_in_school(school, meeting.id))
    message = str(reason.message)

    def whole_page():
        return _page_context(school, meeting, refused=message, **given)

    if part == "agenda":
        context = _agenda_context(school, meeting, agenda_error=message, **given)
        return conflict(MEETING_PAGE, AGENDA_PART, page_context=whole_page, **context)
    if part == "attendance":
        context = _attendance_context(school, meeting, attendance_error=message, **given)
        return _replacing_attendance(*conflict(MEETING_PAGE, ATTENDANCE_PART, page_context=whole_page, **context))
    # The details, the draft minutes and their approval are plain forms, on the page alone.
    return conflict(MEETING_PAGE, MEETING_PAGE, **whole_page())


def _meeting_to_change(slug, meeting_id, part: str | None = None):
    """The school and meeting a change is about, the meeting's row locked until the commit (see
    meeting_in_school). Once its minutes are approved the record is closed: the request ends
    here, answered as _refused answers (409), before any form is read."""
    school = managed_school(slug, "manage_meetings")
    meeting = found_or_404(services.meeting_in_school(school, meeting_id, for_update=True))
    policy.require(current_user, "keep_meeting_record", meeting)
    if meeting.minutes_approved:
        abort(make_response(_refused(school, meeting, MeetingRefusal.MINUTES_APPROVED, part)))
    return school, meeting


@bp.route("/schools/<slug>/manage/meetings/<int:meeting_id>", methods=["GET", "POST"])
def manage_meeting(slug, meeting_id):
    if request.method == "GET":
        school = managed_school(slug, "manage_meetings")
        meeting = found_or_404(services.meeting_in_school(school, meeting_id))
        policy.require(current_user, "keep_meeting_record", meeting)
        return _meeting_page(school, meeting)
    school, meeting = _meeting_to_change(slug, meeting_id)
    form = _meeting_form(school)
    if form.validate_on_submit():
        try:
            changes = services.update_meeting(current_user, meeting, _meeting_data(form))
        except DomainError as error:
            if error.field is None:  # not what was typed: the minutes were approved meanwhile
                return _refused(school, meeting, error.reason)
            db.session.rollback()
            form[error.field].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The meeting's details are saved.") if changes else _("Nothing was changed."), "success")
            return redirect_to(url_for("meetings.manage_meeting", slug=slug, meeting_id=meeting.id))
    return _meeting_page(school, meeting, 422, details_form=form)


def _agenda_response(school, meeting, status=200, **given):
    """After a change to the agenda: the agenda part for htmx, else back to the page."""
    if is_htmx():
        return render_template(AGENDA_PART, **_agenda_context(school, meeting, **given)), status
    if status == 200:
        return redirect_to(url_for("meetings.manage_meeting", slug=school.slug, meeting_id=meeting.id) + "#agenda")
    return _meeting_page(school, meeting, status, **given)


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/agenda")
def add_agenda_item(slug, meeting_id):
    school, meeting = _meeting_to_change(slug, meeting_id, part="agenda")
    form = forms.AgendaItemForm()
    if not form.validate_on_submit():
        return _agenda_response(school, meeting, 422, agenda_form=form)
    try:
        item = services.add_agenda_item(current_user, meeting, form.item_title.data)
    except DomainError as error:
        # Someone else added an item at the same moment (or approved the minutes): the title
        # typed stays in the form, to add it to the agenda as it now is.
        return _refused(school, meeting, error.reason, "agenda", agenda_form=form)
    db.session.commit()
    message = _("Added to the agenda: %(title)s", title=item.title)
    if not is_htmx():
        flash(message, "success")
    return _agenda_response(school, meeting, status_message=message)


def _change_agenda(slug, meeting_id, change):
    school, meeting = _meeting_to_change(slug, meeting_id, part="agenda")
    form = forms.AgendaChangeForm()
    if not form.validate_on_submit():
        return _agenda_response(school, meeting, 422, agenda_error=MeetingRefusal.UNKNOWN_AGENDA_ITEM.message)
    try:
        message = change(meeting, form)
    except DomainError as error:
        # The item is no longer on the agenda (someone removed it), or the minutes were approved.
        return _refused(school, meeting, error.reason, "agenda")
    db.session.commit()
    if not is_htmx():
        flash(message, "success")
    return _agenda_response(school, meeting, status_message=message)


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/agenda/move")
def move_agenda_item(slug, meeting_id):
    def move(meeting, form):
        direction = "up" if form.direction.data == "up" else "down"
        services.move_agenda_item(current_user, meeting, forms.int_or_none(form.item_id.data), direction)
        return _("The agenda's order is saved.")

    return _change_agenda(slug, meeting_id, move)


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/agenda/remove")
def remove_agenda_item(slug, meeting_id):
    def remove(meeting, form):
        item_id = forms.int_or_none(form.item_id.data)
        title = next((item.title for item in meeting.agenda_items if item.id == item_id), "")
        services.remove_agenda_item(current_user, meeting, item_id)
        return _("Removed from the agenda: %(title)s", title=title)

    return _change_agenda(slug, meeting_id, remove)


def _attendance_not_recorded(school, meeting, presence, message):
    """Attendance that cannot be recorded as it was sent: 422 and why, the choices as they were
    made (for the members serving on the meeting's day), nothing saved."""
    members = services.members_for_meeting(meeting)
    serving = {member.id for member in members}
    chosen = {
        **services.attendance_summary(meeting, members),
        **{member_id: value for member_id, value in presence.items() if member_id in serving},
    }
    if is_htmx():
        context = _attendance_context(school, meeting, attendance=chosen, attendance_error=message)
        return _replacing_attendance(render_template(ATTENDANCE_PART, **context), 422)
    return _meeting_page(school, meeting, 422, attendance=chosen, attendance_error=message)


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/attendance")
def record_attendance(slug, meeting_id):
    school, meeting = _meeting_to_change(slug, meeting_id, part="attendance")
    form = forms.AttendanceForm()
    presence, valid = forms.presence_from(request.form)
    if not form.validate_on_submit() or not valid:
        return _attendance_not_recorded(school, meeting, presence, forms.PRESENCE_INVALID)
    try:
        services.record_attendance(current_user, meeting, presence)
    except DomainError as error:
        if error.reason in (MeetingRefusal.NOT_A_MEMBER, MeetingRefusal.MEETING_NOT_HELD):  # said in the section
            db.session.rollback()
            return _attendance_not_recorded(school, meeting, presence, error.message)
        return _refused(school, meeting, error.reason, "attendance")
    db.session.commit()
    message = _("Attendance is saved.")
    if is_htmx():
        return render_template(ATTENDANCE_PART, **_attendance_context(school, meeting, status_message=message))
    flash(message, "success")
    return redirect_to(url_for("meetings.manage_meeting", slug=slug, meeting_id=meeting.id) + "#attendance")


def _minutes_preview(minutes: str | None, *, unsaved: bool) -> dict:
    """The minutes as they will be published: the renderer of the public meeting page, never
    saved from here."""
    minutes = minutes or ""
    if len(minutes) > MINUTES_MAX:
        return {"too_long": True}
    return {"too_long": False, "empty": not minutes.strip(), "html": render_markdown(minutes), "unsaved": unsaved}


def _previewed_minutes(school, meeting, form):
    """The meeting's page with the minutes as typed and their preview (the Preview button
    without JavaScript): nothing is saved. 422 when the text is too long, said beside it."""
    status = 200 if form.validate() else 422
    preview = _minutes_preview(form.minutes.data, unsaved=True)
    return _meeting_page(school, meeting, status, minutes_form=form, minutes_preview=preview)


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/minutes")
def edit_minutes(slug, meeting_id):
    school, meeting = _meeting_to_change(slug, meeting_id)
    form = forms.MinutesForm()
    if request.form.get("action") == "preview":
        return _previewed_minutes(school, meeting, form)
    if not form.validate_on_submit():
        return _meeting_page(school, meeting, 422, minutes_form=form)
    try:
        changed = services.edit_minutes(current_user, meeting, form.minutes.data or "")
    except DomainError as error:
        return _refused(school, meeting, error.reason)
    db.session.commit()
    flash(_("The draft minutes are saved.") if changed else _("Nothing was changed."), "success")
    return redirect_to(url_for("meetings.manage_meeting", slug=slug, meeting_id=meeting.id) + "#minutes-section")


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/minutes/preview")
def preview_minutes(slug, meeting_id):
    """For htmx, as the draft minutes are typed (or the Preview button is pressed): the preview
    panel with the text as it will be published. Nothing is saved. Minutes approved meanwhile
    cannot change: 409, and the panel says so. Without htmx, the meeting's page with the preview,
    as from the minutes form's own Preview button."""
    school = managed_school(slug, "manage_meetings")
    meeting = found_or_404(services.meeting_in_school(school, meeting_id))
    policy.require(current_user, "keep_meeting_record", meeting)
    form = forms.MinutesForm()
    if meeting.minutes_approved:
        if not is_htmx():
            return _refused(school, meeting, MeetingRefusal.MINUTES_APPROVED)
        return render_template(MINUTES_PREVIEW, refused=str(MeetingRefusal.MINUTES_APPROVED.message)), 409
    if not is_htmx():
        return _previewed_minutes(school, meeting, form)
    status = 200 if form.validate() else 422
    return render_template(MINUTES_PREVIEW, minutes_preview=_minutes_preview(form.minutes.data, unsaved=True)), status


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/approve")
def approve_minutes(slug, meeting_id):
    school, meeting = _meeting_to_change(slug, meeting_id)
    form = forms.ApproveMinutesForm()
    if not form.validate_on_submit():  # not confirmed: nothing is approved, and the tick says why
        return _meeting_page(school, meeting, 422, approve_form=form)
    try:
        services.approve_minutes(current_user, meeting)
    except DomainError as error:
        if error.reason in (MeetingRefusal.MINUTES_EMPTY, MeetingRefusal.MEETING_NOT_HELD):  # said beside the button
            db.session.rollback()
            meeting = found_or_404(services.meeting_in_school(school, meeting.id))
            return _meeting_page(school, meeting, 422, approve_form=form, approve_error=error.message)
        return _refused(school, meeting, error.reason)
    db.session.commit()
    flash(_("The minutes are approved. They are now public and can no longer be changed."), "success")
    return redirect_to(url_for("meetings.manage_meeting", slug=slug, meeting_id=meeting.id))
