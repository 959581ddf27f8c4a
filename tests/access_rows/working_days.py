"""Access rows for the working calendar (/oversight/working-days): the whole city's, so only the
commission admins of the city (the top authority) list, set and remove days; district moderators
and everyone else with an account are refused, visitors log in."""

from datetime import date

from portal.extensions import db
from portal.workdays import WorkingDayOverride
from tests.access_rows import Action, url_arguments
from tests.access_rows.moderation import commission_admins_only


def arguments(school, other_school):
    override = WorkingDayOverride(day=date(2026, 12, 31), is_working_day=False, note="全市停课")
    db.session.add(override)
    db.session.commit()
    return {
        **url_arguments("oversight.working_days"),
        **url_arguments("oversight.remove_working_day", override_id=override.id),
    }


EXPECTED = {
    "oversight.working_days": commission_admins_only(200),
    "oversight.remove_working_day": commission_admins_only(303),
}

EXPECTED_POST = {
    "oversight.working_days": commission_admins_only(422),  # posted empty: the form's messages
}

ACTIONS = {
    "set a day off on the working calendar": Action(
        "oversight.working_days",
        {"day": "2027-03-16", "kind": "off", "note": "全市中小学停课"},
        commission_admins_only(303),
    ),
}


def action_arguments(school, other_school):
    return {"set a day off on the working calendar": {}}
