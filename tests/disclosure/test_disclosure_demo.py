"""`flask portal seed-demo` seeds the disclosure catalogue (15 items or more in 5 categories, each
with its source), 解放路小学 with items published, items not yet due and two overdue, and the
responsible supervisor of the two 渝中区 schools with one escalated item and one review request."""

import re
from collections import Counter

import pytest
from sqlalchemy import select

from portal.disclosure.models import DisclosureItem
from portal.extensions import db as _db
from portal.supervision.models import CaseKind, SupervisionCase
from tests.helpers.pages import ENGLISH, log_in


@pytest.fixture
def db(demo_world, savepoint_db):
    return savepoint_db


def test_the_catalogue_has_at_least_15_items_in_5_categories_each_with_its_source(db):
    items = list(_db.session.scalars(select(DisclosureItem)))

    assert len(items) >= 15
    assert len(Counter(item.category for item in items)) == 5
    assert all(item.source_title and item.basis for item in items)
    assert any(item.source_url.startswith("https://www.shqp.gov.cn/") for item in items)


def test_jiefang_road_shows_published_due_and_two_overdue_items(client, demo_world):
    page = client.get("/schools/jiefang-road-primary/disclosure", headers=ENGLISH).text

    states = Counter(re.findall(r'data-state="(\w+)"', page))
    assert states["overdue"] == 2
    assert states["published"] >= 6
    assert states["not_yet_due"] >= 2
    assert "Overdue by" in page


def test_the_supervisor_has_an_escalated_item_and_a_review_request(client, demo_world, db):
    from portal.accounts.services import find_user_by_email

    supervisor = find_user_by_email("supervisor@example.org")
    roles = [m.role.value for m in supervisor.memberships]
    kinds = {case.kind for case in _db.session.scalars(select(SupervisionCase))}
    log_in(client, supervisor)

    queue = client.get("/supervision").text

    assert kinds == {CaseKind.ESCALATED, CaseKind.REVIEW}
    assert queue.count('id="supervision-case-') == 2
    assert roles == ["supervisor", "supervisor"]
