"""The reports threshold: a published response with PORTAL_REPORT_THRESHOLD open reports is hidden
until a moderator decides; its tallies follow; reporter and author learn the outcome on /me."""

from sqlalchemy import select

from portal.accounts.models import User
from portal.consultations.models import ResponseState, Tally
from portal.extensions import db as _db
from portal.moderation import services as moderation_services
from tests.helpers.consultations import someone

# Reporters whose accounts are old enough for their reports to count (PORTAL_REPORT_MIN_ACCOUNT_AGE).
ESTABLISHED = 10


def _published_tally(response):
    return _db.session.scalar(
        select(Tally.count).where(Tally.consultation_id == response.consultation_id, Tally.key == "published")
    )


def _report(response, times):
    reporters = [someone(days_old=ESTABLISHED) for _ in range(times)]
    for reporter in reporters:
        moderation_services.report_response(reporter, response, {"reason": "人身攻击"})
    _db.session.commit()
    return reporters


def test_two_reports_leave_a_response_published(published):
    _report(published, 2)

    assert published.state == ResponseState.PUBLISHED
    assert _published_tally(published) == 1


def test_the_third_report_hides_it_and_the_tally_drops(published):
    _report(published, 3)

    assert published.state == ResponseState.HIDDEN
    assert _published_tally(published) == 0


def test_the_threshold_is_configurable(app, published):
    app.config["PORTAL_REPORT_THRESHOLD"] = 1
    try:
        with app.app_context():
            _report(published, 1)
    finally:
        app.config["PORTAL_REPORT_THRESHOLD"] = 3

    assert published.state == ResponseState.HIDDEN


def test_a_response_hidden_by_reports_waits_in_the_queue_and_dismissing_restores_it(
    client, login_as, moderator, published
):
    _report(published, 3)
    login_as(moderator)

    assert f"moderation-item-{published.id}" in client.get("/moderation").get_data(as_text=True)
    response = client.post(f"/moderation/responses/{published.id}", data={"action": "dismiss", "expected": "hidden"})

    assert response.status_code == 303
    _db.session.expire_all()
    assert _db.session.get(type(published), published.id).state == ResponseState.PUBLISHED
    assert _published_tally(published) == 1


def test_reporter_and_author_are_told_the_outcome_on_their_account_page(client, login_as, moderator, published):
    reporters = _report(published, 3)
    login_as(moderator)
    # The moderator reads Chinese; the author reads the reason in English all the same.
    client.post(
        f"/moderation/responses/{published.id}",
        data={"action": "hide", "expected": "hidden", "reason": "personal_attack"},
    )

    login_as(reporters[0])
    reporter_page = client.get("/me", headers={"Accept-Language": "en"}).get_data(as_text=True)
    login_as(_db.session.get(User, published.author_id))
    author_page = client.get("/me", headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert "was upheld: the response is hidden" in reporter_page
    assert "was hidden. Reason: Personal attack" in author_page
