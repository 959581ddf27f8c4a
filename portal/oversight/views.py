"""Oversight's pages: /audit (the audit log of a commission admin's scope) and /oversight (the
dashboard of a moderator's or commission admin's districts and schools), each with its CSV."""

import re
from datetime import date
from itertools import chain

from flask import abort, render_template
from flask_login import current_user

from portal import policy, workdays
from portal.accounts import services as account_services
from portal.clock import today, utcnow
from portal.consultations.services import outcome_due_days
from portal.oversight import audit_log, bp, dashboard, transparency
from portal.pages.work import staff_work  # the counts of what waits, one home for /me and here
from portal.web import csv_response, htmx_target, int_arg, text_arg

# --- the audit log ------------------------------------------------------------------------

ACTOR_MAX = 254  # an email address at most
ACTION_MAX = 60  # as AuditEvent.action
OBJECT_TYPE_MAX = 40  # as AuditEvent.object_type
EARLIEST_YEAR, LATEST_YEAR = 1900, 9998  # the day after the last must still be a date
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII: \\d matches every script's digits


def _date_arg(name: str) -> tuple[str, date | None]:
    """What was typed, and the date it is (None when it is not a date)."""
    typed = text_arg(name, 10)
    if not ISO_DATE.fullmatch(typed):
        return typed, None
    try:
        day = date.fromisoformat(typed)
    except ValueError:  # 2026-02-30
        return typed, None
    return typed, day if EARLIEST_YEAR <= day.year <= LATEST_YEAR else None


def _audit_form() -> dict:
    """The filters as the form shows them, from the query string. A value that makes no sense
    (text for an id, a 12-digit number, 2026-13-45) is ignored, and a date is flagged; an id,
    action or kind of object the log does not have finds nothing."""
    typed_from, since = _date_arg("from")
    typed_to, until = _date_arg("to")
    return {
        "actor": text_arg("actor", ACTOR_MAX),
        "action": text_arg("action", ACTION_MAX),
        "object": text_arg("object", OBJECT_TYPE_MAX),
        "object_id": int_arg("object_id"),
        "from": since.isoformat() if since else "",
        "to": until.isoformat() if until else "",
        "school": int_arg("school"),
        "bad_dates": [
            name for name, typed, day in (("from", typed_from, since), ("to", typed_to, until)) if typed and day is None
        ],
        # An end before the start finds nothing; the form says why beside the end.
        "reversed_dates": since is not None and until is not None and until < since,
    }


def _audit_filters(form: dict, actions: list[str]) -> audit_log.AuditFilters:
    return audit_log.AuditFilters(
        actor=form["actor"],
        actions=audit_log.matching_actions(form["action"], actions),
        object_type=form["object"],
        object_id=form["object_id"],
        since=date.fromisoformat(form["from"]) if form["from"] else None,
        until=date.fromisoformat(form["to"]) if form["to"] else None,
        school_id=form["school"],
    )


def _filter_args(form: dict) -> dict:
    """The filters in effect, for the links of the pager and the export."""
    return {
        key: value
        for key, value in form.items()
        if key not in ("bad_dates", "reversed_dates") and value not in (None, "")
    }


@bp.get("/audit")
def audit():
    policy.require(current_user, "read_audit_log")
    scope = audit_log.audit_scope(current_user)
    actions = audit_log.recorded_actions()
    form = _audit_form()
    before, after = int_arg("before"), int_arg("after")
    results = audit_log.audit_page(
        scope, _audit_filters(form, actions), before=before, after=after if before is None else None
    )
    context = {
        "results": results,
        "form": form,
        "filter_args": _filter_args(form),
        "badges": account_services.staff_badges(event.actor_id for event in results.events),
    }
    if htmx_target() == "audit-results":
        return render_template("oversight/_audit_results.html", **context)
    schools = audit_log.schools_in_scope(scope)
    return render_template(
        "oversight/audit.html",
        actions=actions,
        action_labels=audit_log.ACTION_LABELS,
        family_labels=audit_log.ACTION_FAMILY_LABELS,
        object_types=audit_log.recorded_object_types(),
        object_labels=audit_log.OBJECT_LABELS,
        # Only the schools of the reader's scope: one asked for by id from elsewhere is not named.
        schools=schools,
        **context,
    )


@bp.get("/audit.csv")
def audit_csv():
    """The filtered events as CSV: UTF-8 with a BOM (so that Excel reads the Chinese right),
    newest first, streamed from the database a batch at a time."""
    policy.require(current_user, "read_audit_log")
    scope = audit_log.audit_scope(current_user)
    filters = _audit_filters(_audit_form(), audit_log.recorded_actions())

    rows = chain([audit_log.CSV_HEADER], audit_log.export_rows(scope, filters))
    return csv_response(rows, f"audit-{today().isoformat()}.csv")


# --- the oversight dashboard ---------------------------------------------------------------


def _oversight_data():
    """The district rows of the reader's scope and, for ?district=<id> (or the only district),
    that district and its school rows. A district out of the reader's scope is not found (404):
    its numbers are never shown to moderators of other districts."""
    policy.require(current_user, "oversee")
    scope = dashboard.oversight_scope(current_user)
    now = utcnow()
    asked = int_arg("district")
    district_rows = dashboard.district_rows(scope, now)
    if asked is not None:
        district = dashboard.district_in_scope(scope, asked)
        if district is None:
            abort(404)
    elif len(district_rows) == 1:
        district = dashboard.district_in_scope(scope, district_rows[0].id)
    else:
        district = None
    schools = dashboard.schools_of(district) if district is not None else []
    school_rows = dashboard.school_rows(district, now, schools) if district is not None else []
    return now, district_rows, district, schools, school_rows


@bp.get("/oversight", endpoint="dashboard")
def dashboard_page():
    now, district_rows, district, schools, school_rows = _oversight_data()
    # The school's inbox only where the reader may open it, asked as the inbox asks (moderators
    # and the commission read single items, not the inbox); elsewhere the number stands alone.
    # No query per school: policy reads the reader's memberships, and a board member's seats once
    # per school where they hold that role.
    inboxes = {school.id: school.slug for school in schools if policy.can(current_user, "manage_feedback", school)}
    scope_districts = dashboard.districts(dashboard.oversight_scope(current_user))
    completeness, transparency_districts, transparency_schools = transparency.rows(scope_districts, district, today())
    return render_template(
        "oversight/dashboard.html",
        may_manage_mail=policy.can(current_user, "manage_mail"),
        district_rows=district_rows,
        district=district,
        school_rows=school_rows,
        inboxes=inboxes,
        outcome_days=outcome_due_days(),
        answer_days=dashboard.ANSWER_WORKING_DAYS,
        today=today(),
        # What waits for the reader in each authority they serve (the queue, their own consultations).
        work=staff_work(current_user, utcnow(), authorities_only=True),
        may_manage_working_days=policy.can(current_user, "manage_working_days"),
        missing_calendar_years=workdays.years_without_official_calendar(today()),
        disclosure_completeness=completeness,
        transparency_districts=transparency_districts,
        transparency_schools=transparency_schools,
    )


@bp.get("/oversight.csv")
def dashboard_csv():
    """The dashboard's rows as CSV: the districts, then the schools of the chosen district."""
    now, district_rows, district, schools, school_rows = _oversight_data()
    rows = chain([dashboard.CSV_HEADER], dashboard.csv_rows(district_rows + school_rows))
    return csv_response(rows, f"oversight-{today().isoformat()}.csv")
