"""`flask portal seed-demo` fills the moderation queue: the 渝中区 moderator has at least ten
pending responses across two schools or more, two reported responses and a consultation awaiting
approval; 沙坪坝区 has pending responses the 渝中区 moderator never sees. Seeding again adds nothing."""

import pytest

from portal.accounts.services import find_user_by_email
from portal.moderation import queue


@pytest.fixture(scope="module")
def seeded_twice(demo_world, seed_demo):
    """The demo world seeded a second time (idempotence): what the queue shows after both."""
    seed_demo()


@pytest.fixture
def db(seeded_twice, savepoint_db):
    return savepoint_db


def _names(page):
    return {item.consultation.school.slug if item.consultation.school else "district" for item in page.items}


def test_the_yuzhong_moderator_has_a_full_queue(app, db):
    with app.app_context():
        page = queue.queue_page(find_user_by_email("moderator@example.org"), per_page=100)
        pending = queue.queue_page(find_user_by_email("moderator@example.org"), kind="pending", per_page=100)

    assert page.counts["pending"] >= 10
    assert page.counts["reported"] == 2
    assert page.counts["consultation"] >= 1
    assert len(_names(pending) - {"district"}) >= 2
    assert not any(slug in _names(page) for slug in ("ciqikou-primary", "jialingjiang-senior"))


def test_shapingba_has_pending_items_the_city_sees(app, db):
    with app.app_context():
        page = queue.queue_page(find_user_by_email("admin@example.org"), kind="pending", per_page=100)

    assert "ciqikou-primary" in _names(page)
