"""Keeping a school's governing bodies and the record of their meetings, under
/schools/<slug>/manage/bodies and /schools/<slug>/manage/meetings. The public pages are in views.py."""

from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from portal import clock, policy
from portal.clock import utcnow
from portal.domain import DomainError
from portal.extensions import db
from portal.meetings import bp, forms, services
from portal.text import render_markdown
from portal.web import found_or_404, is_htmx, managed_school, page_arg, redirect_to

# What each refusal of portal.meetings.services means for the person who tried.
REFUSALS = {
    "term_order": _l("The term cannot end before it starts."),
    "seat_overlap": _l(
        "This person already holds a seat in this body during these dates. End that term first, or correct it."
    ),
    "unknown_account": _l(
        "No portal account has this email address. Leave the field empty if the member has no account."
    ),
    "unknown_body": forms.BODY_UNKNOWN,
    "not_a_member": _l(
        "Attendance can only be recorded for members of this body whose term covers the meeting's date."
    ),
    "unknown_agenda_item": _l("This item is no longer on the agenda. Reload the page to see the agenda as it is now."),
    "agenda_changed": _l("Someone else changed the agenda at the same moment. Please try again."),
    "minutes_approved": _l("The minutes of this meeting are approved, so its record can no longer be changed."),
    "minutes_empty": _l("Write the minutes and save them before approving them."),
}
PRESENCE_INVALID = _l("Choose present, absent or not recorded for each member.")


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


MEMBER_FIELD_FOR_REFUSAL = {"term_order": "term_end", "seat_overlap": "name", "unknown_account": "account_email"}


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
            form[MEMBER_FIELD_FOR_REFUSAL[error.reason]].errors.append(REFUSALS[error.reason])
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
            form[MEMBER_FIELD_FOR_REFUSAL[error.reason]].errors.append(REFUSALS[error.reason])
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
            end_form.last_day.errors.append(REFUSALS[error.reason])
        else:
            db.session.commit()
            flash(
                _(
                    "The term of %(name)s ends on %(date)s.",
                    name=member.name,
                    date=_format_date(end_form.last_day.data),
                ),
                "success",
            )
            return redirect_to(url_for("meetings.manage_body", slug=slug, body_id=body.id))
    form = forms.MemberForm(formdata=None, obj=member, account_email=member.user.email if member.user else "")
    return _member_form_page(school, body, form, member, end_form=end_form, status=422)


def _format_date(day):
    return format_date(day, "long")


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
    bodies = [SelectChoice(body.id, body.name) for body in services.bodies_of_school(school)]
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
            form.body_id.errors.append(REFUSALS[error.reason])
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


def _manage_meeting_page(school, meeting, status=200, *, template="meetings/manage_meeting.html", **given):
    """The meeting's management page (or one of its fragments), with the forms given (holding
    what was typed and its messages) and fresh ones for the others."""
    members = services.members_for_meeting(meeting)
    context = {
        "school": school,
        "meeting": meeting,
        "members": members,
        "details_form": given.get("details_form") or _meeting_form(school, meeting),
        "agenda_form": given.get("agenda_form") or forms.AgendaItemForm(formdata=None),
        "minutes_form": given.get("minutes_form") or forms.MinutesForm(formdata=None, minutes=meeting.minutes),
        "attendance": given.get("attendance") or services.attendance_summary(meeting, members),
        "attendance_error": given.get("attendance_error"),
        "minutes_html": render_markdown(meeting.minutes),
        "agenda_error": given.get("agenda_error"),
        "approve_error": given.get("approve_error"),
        "refused": given.get("refused"),
        "status_message": given.get("status_message"),
    }
    return render_template(template, **context), status


def _refused(school, meeting, error: DomainError):
    """A change the meeting's state does not allow (its minutes are approved): 409 and why.
    htmx reloads the page instead, which then shows the message and the record as it now is."""
    db.session.rollback()
    if is_htmx():
        flash(REFUSALS[error.reason], "error")
        return "", 409, {"HX-Refresh": "true"}
    meeting = services.meeting_in_school(school, meeting.id)
    return _manage_meeting_page(school, meeting, 409, refused=REFUSALS[error.reason])


def _locked_meeting(school, meeting_id):
    """The meeting for a change: its row locked until the commit (see meeting_in_school)."""
    return found_or_404(services.meeting_in_school(school, meeting_id, for_update=request.method == "POST"))


def _meeting_to_change(slug, meeting_id):
    """The school and meeting a change is about, the meeting's row locked until the commit.
    Once its minutes are approved the record is closed: the request ends here with 409."""
    school = managed_school(slug, "manage_meetings")
    meeting = _locked_meeting(school, meeting_id)
    if meeting.minutes_approved:
        abort(make_response(_refused(school, meeting, DomainError("minutes_approved"))))
    return school, meeting


@bp.route("/schools/<slug>/manage/meetings/<int:meeting_id>", methods=["GET", "POST"])
def manage_meeting(slug, meeting_id):
    if request.method == "GET":
        school = managed_school(slug, "manage_meetings")
        return _manage_meeting_page(school, _locked_meeting(school, meeting_id))
    school, meeting = _meeting_to_change(slug, meeting_id)
    form = _meeting_form(school)
    if form.validate_on_submit():
        try:
            changes = services.update_meeting(current_user, meeting, _meeting_data(form))
        except DomainError as error:
            if error.reason == "minutes_approved":
                return _refused(school, meeting, error)
            db.session.rollback()
            form.body_id.errors.append(REFUSALS[error.reason])
        else:
            db.session.commit()
            flash(_("The meeting's details are saved.") if changes else _("Nothing was changed."), "success")
            return redirect_to(url_for("meetings.manage_meeting", slug=slug, meeting_id=meeting.id))
    return _manage_meeting_page(school, meeting, 422, details_form=form)


def _agenda_response(school, meeting, status=200, **given):
    """After a change to the agenda: the agenda fragment for htmx, else back to the page."""
    if is_htmx():
        return _manage_meeting_page(school, meeting, status, template="meetings/_agenda.html", **given)
    if status == 200:
        return redirect_to(url_for("meetings.manage_meeting", slug=school.slug, meeting_id=meeting.id) + "#agenda")
    return _manage_meeting_page(school, meeting, status, **given)


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/agenda")
def add_agenda_item(slug, meeting_id):
    school, meeting = _meeting_to_change(slug, meeting_id)
    form = forms.AgendaItemForm()
    if not form.validate_on_submit():
        return _agenda_response(school, meeting, 422, agenda_form=form)
    try:
        item = services.add_agenda_item(current_user, meeting, form.item_title.data)
    except DomainError as error:
        if error.reason == "minutes_approved":
            return _refused(school, meeting, error)
        db.session.rollback()
        form.item_title.errors.append(REFUSALS[error.reason])
        return _agenda_response(school, meeting, 422, agenda_form=form)
    db.session.commit()
    message = _("Added to the agenda: %(title)s", title=item.title)
    if not is_htmx():
        flash(message, "success")
    return _agenda_response(school, meeting, status_message=message)


def _change_agenda(slug, meeting_id, change):
    school, meeting = _meeting_to_change(slug, meeting_id)
    form = forms.AgendaChangeForm()
    if not form.validate_on_submit():
        return _agenda_response(school, meeting, 422, agenda_error=REFUSALS["unknown_agenda_item"])
    try:
        message = change(school, meeting, form)
    except DomainError as error:
        if error.reason == "minutes_approved":
            return _refused(school, meeting, error)
        db.session.rollback()
        meeting = services.meeting_in_school(school, meeting.id)
        return _agenda_response(school, meeting, 422, agenda_error=REFUSALS[error.reason])
    db.session.commit()
    if not is_htmx():
        flash(message, "success")
    return _agenda_response(school, meeting, status_message=message)


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/agenda/move")
def move_agenda_item(slug, meeting_id):
    def move(school, meeting, form):
        direction = "up" if form.direction.data == "up" else "down"
        services.move_agenda_item(current_user, meeting, forms.int_or_none(form.item_id.data), direction)
        return _("The agenda's order is saved.")

    return _change_agenda(slug, meeting_id, move)


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/agenda/remove")
def remove_agenda_item(slug, meeting_id):
    def remove(school, meeting, form):
        item_id = forms.int_or_none(form.item_id.data)
        title = next((item.title for item in meeting.agenda_items if item.id == item_id), "")
        services.remove_agenda_item(current_user, meeting, item_id)
        return _("Removed from the agenda: %(title)s", title=title)

    return _change_agenda(slug, meeting_id, remove)


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/attendance")
def record_attendance(slug, meeting_id):
    school, meeting = _meeting_to_change(slug, meeting_id)
    form = forms.AttendanceForm()
    presence, valid = forms.presence_from(request.form)
    error = None
    if not form.validate_on_submit() or not valid:
        error = PRESENCE_INVALID
    else:
        try:
            services.record_attendance(current_user, meeting, presence)
        except DomainError as refusal:
            if refusal.reason == "minutes_approved":
                return _refused(school, meeting, refusal)
            db.session.rollback()
            error = REFUSALS[refusal.reason]
    if error is not None:
        members = services.members_for_meeting(meeting)
        typed = {
            **services.attendance_summary(meeting, members),
            **{k: v for k, v in presence.items() if k in {m.id for m in members}},
        }
        if is_htmx():
            # The form posts with swap "none"; a refusal must replace the section to be seen.
            body, status = _manage_meeting_page(
                school, meeting, 422, template="meetings/_attendance.html", attendance=typed, attendance_error=error
            )
            return body, status, {"HX-Reswap": "outerHTML"}
        return _manage_meeting_page(school, meeting, 422, attendance=typed, attendance_error=error)
    db.session.commit()
    message = _("Attendance is saved.")
    if is_htmx():
        return _manage_meeting_page(school, meeting, template="meetings/_attendance.html", status_message=message)
    flash(message, "success")
    return redirect_to(url_for("meetings.manage_meeting", slug=slug, meeting_id=meeting.id) + "#attendance")


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/minutes")
def edit_minutes(slug, meeting_id):
    school, meeting = _meeting_to_change(slug, meeting_id)
    form = forms.MinutesForm()
    if not form.validate_on_submit():
        return _manage_meeting_page(school, meeting, 422, minutes_form=form)
    try:
        changed = services.edit_minutes(current_user, meeting, form.minutes.data or "")
    except DomainError as error:
        return _refused(school, meeting, error)
    db.session.commit()
    flash(_("The draft minutes are saved.") if changed else _("Nothing was changed."), "success")
    return redirect_to(url_for("meetings.manage_meeting", slug=slug, meeting_id=meeting.id) + "#minutes-section")


@bp.post("/schools/<slug>/manage/meetings/<int:meeting_id>/approve")
def approve_minutes(slug, meeting_id):
    school, meeting = _meeting_to_change(slug, meeting_id)
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        return _manage_meeting_page(school, meeting, 422)
    try:
        services.approve_minutes(current_user, meeting)
    except DomainError as error:
        if error.reason == "minutes_approved":
            return _refused(school, meeting, error)
        db.session.rollback()
        meeting = services.meeting_in_school(school, meeting.id)
        return _manage_meeting_page(school, meeting, 422, approve_error=REFUSALS[error.reason])
    db.session.commit()
    flash(_("The minutes are approved. They are now public and can no longer be changed."), "success")
    return redirect_to(url_for("meetings.manage_meeting", slug=slug, meeting_id=meeting.id))
