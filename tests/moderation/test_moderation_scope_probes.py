"""A moderator of one district asking for an item, an action or a dashboard row of another
district gets 404, as if it did not exist. The probes are generated from the URL map: every
moderation route that takes an item (a response or a consultation) is asked for one of the
other district's, so a new route cannot forget the rule."""

import pytest
from flask import url_for

from portal.consultations.models import Phase
from tests.helpers.consultations import create_consultation, respond, someone
from tests.helpers.pages import log_in

ITEM_ARGUMENTS = {"response_id", "consultation_id"}


# Reporting a published response is for anyone with an account, not a moderator's action.
NOT_MODERATORS_ACTIONS = {"moderation.report"}


def moderation_routes(app):
    """Routes of moderators' actions on items: the moderation blueprint's (a consultation's page
    uses the same ones)."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.arguments & ITEM_ARGUMENTS
        and rule.endpoint.startswith("moderation.")
        and rule.endpoint not in NOT_MODERATORS_ACTIONS
    ]


@pytest.fixture
def items_of_other_district(db, other_school):
    """A submitted consultation and a pending and a published response, of a school in the other district."""
    submitted = create_consultation(other_school, Phase.SUBMITTED)
    open_one = create_consultation(other_school, Phase.OPEN)
    pending = respond(open_one, someone("他区作者"))
    return {"submitted": submitted, "open": open_one, "pending": pending}


def test_there_are_moderation_routes_to_probe(app):
    endpoints = {rule.endpoint for rule in moderation_routes(app)}

    assert {
        "moderation.act",
        "moderation.act_on_consultation",
        "moderation.block_author",
        "moderation.unblock_author",
    } <= endpoints


def test_moderator_of_another_district_gets_404_for_every_item_route(
    app, client, make_user, district, items_of_other_district
):
    log_in(client, make_user(role="moderator", scope=district))
    answers = {}

    for rule in moderation_routes(app):
        if "response_id" in rule.arguments:
            arguments = {
                "response_id": items_of_other_district["pending"].id,
                "consultation_id": items_of_other_district["open"].id,
            }
        else:
            arguments = {"consultation_id": items_of_other_district["submitted"].id}
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: arguments[name] for name in rule.arguments})
        method = "GET" if "GET" in rule.methods else "POST"
        data = {"action": "publish", "reason": "other", "expected": "pending"} if method == "POST" else None
        answers[rule.endpoint] = client.open(url, method=method, data=data).status_code

    assert answers and set(answers.values()) == {404}, answers


@pytest.mark.parametrize("path", ["/oversight?district={id}", "/oversight.csv?district={id}"])
def test_moderator_of_another_district_gets_404_for_its_dashboard_rows(
    client, make_user, district, other_district, path
):
    log_in(client, make_user(role="moderator", scope=district))

    assert client.get(path.format(id=other_district.id)).status_code == 404


def test_moderator_of_another_district_never_sees_its_items_in_the_queue(
    client, make_user, district, items_of_other_district
):
    log_in(client, make_user(role="moderator", scope=district))

    page = client.get("/moderation").get_data(as_text=True)

    assert f'moderation-item-{items_of_other_district["pending"].id}"' not in page
    assert f'moderation-item-c{items_of_other_district["submitted"].id}"' not in page


def test_moderators_find_the_queue_in_the_header_and_others_do_not(client, make_user, district, school):
    log_in(client, make_user(role="moderator", scope=district))
    assert 'href="/moderation"' in client.get("/").get_data(as_text=True)

    log_in(client, make_user(role="school_admin", scope=school))
    assert 'href="/moderation"' not in client.get("/").get_data(as_text=True)
