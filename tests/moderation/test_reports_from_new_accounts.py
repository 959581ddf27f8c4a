"""Reports that one person cannot multiply: only reports from accounts older than
PORTAL_REPORT_MIN_ACCOUNT_AGE, or from verified parents and staff, count toward hiding a response.
A burst of reports from accounts made today puts the response in the moderators' queue and leaves
it published."""

import pytest

from portal.config import _days
from portal.consultations.models import ResponseState
from portal.extensions import db as _db
from portal.moderation import services as moderation_services
from tests.helpers.consultations import someone


def _made_days_ago(days):
    return someone(days_old=days)


def _report_by(response, reporters):
    for reporter in reporters:
        moderation_services.report_response(reporter, response, {"reason": "人身攻击"})
    _db.session.commit()


def test_three_reports_from_accounts_made_today_do_not_hide_a_response(client, login_as, moderator, published):
    _report_by(published, [someone() for _ in range(3)])

    assert published.state == ResponseState.PUBLISHED
    assert "已发布的意见" in client.get(f"/consultations/{published.consultation_id}").get_data(as_text=True)


def test_three_reports_from_accounts_made_today_put_the_response_in_the_queue(client, login_as, moderator, published):
    _report_by(published, [someone() for _ in range(3)])
    login_as(moderator)

    queue = client.get("/moderation?kind=reported").get_data(as_text=True)

    assert f"moderation-item-{published.id}" in queue


def test_three_reports_from_older_accounts_hide_it(published):
    _report_by(published, [_made_days_ago(4) for _ in range(3)])

    assert published.state == ResponseState.HIDDEN


def test_an_account_exactly_the_minimum_age_counts(published):
    _report_by(published, [_made_days_ago(3) for _ in range(3)])

    assert published.state == ResponseState.HIDDEN


def test_verified_parents_count_from_their_first_day(make_user, school, published):
    parents = [make_user(role="parent", scope=school) for _ in range(3)]

    _report_by(published, parents)

    assert published.state == ResponseState.HIDDEN


def test_staff_count_from_their_first_day(make_user, school, district, published):
    staff = [
        make_user(role="board_member", scope=school),
        make_user(role="school_admin", scope=school),
        make_user(role="moderator", scope=district),
    ]

    _report_by(published, staff)

    assert published.state == ResponseState.HIDDEN


def test_new_accounts_do_not_tip_the_balance_for_two_trusted_reports(published):
    _report_by(published, [_made_days_ago(10), _made_days_ago(10), someone(), someone(), someone()])

    assert published.state == ResponseState.PUBLISHED
    assert moderation_services.open_report_count(published) == 5
    assert moderation_services.trusted_open_report_count(published) == 2


def test_the_third_trusted_report_hides_it_after_a_burst_of_new_ones(published):
    _report_by(published, [someone(), someone(), someone(), _made_days_ago(5), _made_days_ago(5)])
    assert published.state == ResponseState.PUBLISHED

    _report_by(published, [_made_days_ago(5)])

    assert published.state == ResponseState.HIDDEN


def test_the_minimum_age_is_configurable(app, published):
    app.config["PORTAL_REPORT_MIN_ACCOUNT_AGE"] = 0
    try:
        with app.app_context():
            _report_by(published, [someone() for _ in range(3)])
    finally:
        app.config["PORTAL_REPORT_MIN_ACCOUNT_AGE"] = 3

    assert published.state == ResponseState.HIDDEN


def test_the_default_minimum_age_is_three_days(app):
    assert app.config["PORTAL_REPORT_MIN_ACCOUNT_AGE"] == 3


@pytest.mark.parametrize("written, days", [("3 days", 3), ("3", 3), ("1 day", 1), (" 7d ", 7), ("0", 0)])
def test_the_setting_is_read_as_days(written, days):
    assert _days(written) == days


@pytest.mark.parametrize("written", ["", "three days", "3 weeks", "-1", "²", "3.5 days"])
def test_a_setting_that_is_not_a_number_of_days_stops_the_start(written):
    with pytest.raises(ValueError):
        _days(written)
