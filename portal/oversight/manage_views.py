"""The working calendar (/oversight/working-days), for the city's commission admins: the official
holidays and make-up working days the portal counts with, and the days the commission makes
working days or days off (a year the State Council has not published yet, a day the city closes
its schools). Every deadline in working days counts on it (portal.workdays)."""

from flask import flash, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from portal import policy, workdays
from portal.accounts.models import Role
from portal.clock import today
from portal.domain import DomainError
from portal.extensions import db
from portal.oversight import bp
from portal.oversight.forms import WorkingDayOverrideForm
from portal.web import redirect_to


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
