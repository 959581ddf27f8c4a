"""The working calendar (/oversight/working-days), for the city's commission admins: the official
holidays and make-up working days the portal counts with, and the days the commission makes
working days or days off (a year the State Council has not published yet, a day the city closes
its schools). Every deadline in working days counts on it (portal.workdays).

Adding many schools from a CSV file (/schools/import), for the commission admins who add schools:
the file is checked whole, then confirmed, then added (portal.oversight.school_import)."""

from flask import Response, flash, render_template, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from portal import policy, workdays
from portal.accounts.models import Role
from portal.clock import today
from portal.domain import DomainError
from portal.extensions import db
from portal.oversight import bp, school_import
from portal.oversight.forms import SchoolImportForm, WorkingDayOverrideForm
from portal.schools import services as school_services
from portal.web import current_language, redirect_to


def _city(user):
    """The authority the change is recorded under: the city commission the admin serves."""
    return next(
        m.authority
        for m in user.memberships
        if m.role == Role.COMMISSION_ADMIN and m.authority is not None and m.authority.parent_id is None
    )


def _long(day) -> str:
    return format_date(day, "long")


def _page(form, status=200):
    this_year = today().year
    years = [(year, *workdays.official_year(year)) for year in (this_year, this_year + 1)]
    return (
        render_template(
            "oversight/working_days.html",
            form=form,
            overrides=workdays.overrides(),
            years=years,
            known_years=workdays.official_years(),
            # Years counted Monday to Friday for want of the State Council's notice, with how many
            # of their days the commission has set: said at the top, where it cannot be missed.
            missing_years=[
                (year, workdays.overrides_in_year(year)) for year in workdays.years_without_official_calendar(today())
            ],
            today=today(),
        ),
        status,
    )


@bp.route("/oversight/working-days", methods=["GET", "POST"])
def working_days():
    policy.require(current_user, "manage_working_days")
    form = WorkingDayOverrideForm()
    if not form.is_submitted():
        return _page(WorkingDayOverrideForm(formdata=None))
    if form.validate():
        try:
            override = workdays.add_override(current_user, _city(current_user), form.details())
        except DomainError as error:
            db.session.rollback()
            form[error.field].errors.append(error.message)
        else:
            db.session.commit()
            flash(
                _("%(date)s is now a working day.", date=_long(override.day))
                if override.is_working_day
                else _("%(date)s is now a day off.", date=_long(override.day)),
                "success",
            )
            return redirect_to(url_for("oversight.working_days"))
    return _page(form, 422)


@bp.post("/oversight/working-days/<int:override_id>/remove")
def remove_working_day(override_id):
    policy.require(current_user, "manage_working_days")
    override = db.session.get(workdays.WorkingDayOverride, override_id)
    if override is None:
        # Removed already (a second click, or another admin): nothing to do, and it is said so.
        flash(workdays.WorkdayRefusal.GONE.message, "info")
        return redirect_to(url_for("oversight.working_days"))
    day = override.day
    workdays.remove_override(current_user, _city(current_user), override)
    db.session.commit()
    flash(_("%(date)s counts as the official calendar says again.", date=_long(day)), "success")
    return redirect_to(url_for("oversight.working_days"))


@bp.route("/schools/import", methods=["GET", "POST"])
def import_schools():
    """Upload a file (checked, shown), then confirm (added); nothing is added while a row has a
    problem, and the page lists each, by line."""
    policy.require(current_user, "add_schools")
    authorities = school_services.authorities_under(policy.administered_authorities(current_user))
    form = SchoolImportForm()
    rows = None
    if form.validate_on_submit():
        if form.file.data:
            try:
                raw = form.file.data.read(school_import.MAX_BYTES + 1)
            finally:
                form.file.data.close()  # a big upload is a temporary file: closed at once
        else:
            raw = (form.csv_text.data or "").encode()
        try:
            rows = school_import.read(raw) if raw.strip() else None
        except DomainError as error:
            form.file.errors.append(error.message)
        else:
            if rows is None:
                form.file.errors.append(_("Choose the CSV file of the schools to add."))
            else:
                school_import.check_rows(rows, authorities)
    problems = [row for row in rows or () if row.problems]
    if rows and not problems and form.confirm.data:
        for authority in {row.authority for row in rows}:
            policy.require(current_user, "create_school", authority)
        added = school_import.add_schools(current_user, rows, language=current_language())
        db.session.commit()
        flash(_added_words(added), "success")
        return redirect_to(url_for("schools.index"))
    status = 422 if form.is_submitted() and (form.errors or problems or not rows) else 200
    form.csv_text.data = school_import.as_csv(rows) if rows and not problems else ""
    return (
        render_template(
            "oversight/school_import.html",
            form=form,
            rows=rows,
            problems=problems,
            authorities=authorities,
            columns=school_import.COLUMNS,
            type_names=school_import.type_names(current_language()),
        ),
        status,
    )


def _added_words(added: school_import.Added) -> str:
    words = ngettext("%(num)d school was added.", "%(num)d schools were added.", len(added.schools))
    if added.appointed:
        words += " " + ngettext(
            "%(num)d administrator was appointed.", "%(num)d administrators were appointed.", added.appointed
        )
    if added.invited:
        words += " " + ngettext(
            "%(num)d administrator was invited by email.",
            "%(num)d administrators were invited by email.",
            added.invited,
        )
    return words


@bp.get("/schools/import/template.csv")
def school_import_template():
    policy.require(current_user, "add_schools")
    return Response(
        school_import.template_csv(current_language()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=schools.csv"},
    )
