"""`flask portal seed-demo` publishes demo decisions: a history in the first school (one decision
superseding another, one adopting the charter's new version, a draft) and one in every other
school, all numbered, signed and archived."""

import re
from datetime import UTC

import pytest
from sqlalchemy import select

from portal.charters import services as charters
from portal.charters.models import CharterStatus
from portal.cli import SCHOOL_PROFILES, SCHOOLS
from portal.clock import local_date
from portal.decisions.models import Decision, DecisionStatus
from portal.decisions.services import present_count
from portal.documents.services import find_by_sha256, verify_archive

FIRST_SCHOOL = SCHOOLS[0][1]


@pytest.fixture
def db(demo_world, savepoint_db):
    """This module's tests read the demo world, seeded once for the module; each in a savepoint."""
    return savepoint_db


def decisions_of(db, school) -> list[Decision]:
    return list(db.session.scalars(select(Decision).where(Decision.school_id == school.id).order_by(Decision.id)))


def test_the_first_school_has_published_decisions_one_superseding_another_and_a_draft(db, demo_world):
    decisions = decisions_of(db, demo_world[FIRST_SCHOOL])

    published = [d for d in decisions if not d.is_draft]
    drafts = [d for d in decisions if d.is_draft]
    assert len(published) >= 3
    assert len(drafts) == 1 and drafts[0].title and drafts[0].body
    # Numbered in the order they were published, with the school's own prefix.
    prefix = SCHOOL_PROFILES[FIRST_SCHOOL]["decision_prefix"]
    assert [d.number_sequence for d in sorted(published, key=lambda d: d.published_at)] == list(
        range(1, len(published) + 1)
    )
    for decision in published:
        assert re.fullmatch(re.escape(prefix) + r"〔\d{4}〕\d+号", decision.number), decision.number

    (superseded,) = [d for d in decisions if d.status == DecisionStatus.SUPERSEDED]
    (successor,) = [d for d in decisions if d.supersedes_id == superseded.id]
    assert successor.status == DecisionStatus.PUBLISHED
    assert successor.published_at > superseded.published_at
    assert superseded.replaced_by.id == successor.id


def test_a_demo_decision_adopts_the_charter_version_in_force(db, demo_world):
    school = demo_world[FIRST_SCHOOL]

    (adopting,) = [d for d in decisions_of(db, school) if d.charter_version_id is not None]
    current = charters.latest_adopted(school)
    assert adopting.charter_version_id == current.id
    assert current.status == CharterStatus.ADOPTED
    assert current.adopted_on == local_date(adopting.published_at.replace(tzinfo=adopting.published_at.tzinfo or UTC))
    assert charters.draft_of(school) is None  # the charter journey in the browser starts its own
    previous = charters.previous_adopted(current)
    diff = charters.compare(previous, current)
    assert (diff.changed_count, diff.added_count, diff.removed_count) == (1, 0, 0)


def test_every_school_has_a_published_decision_numbered_with_its_own_prefix(db, demo_world):
    for slug, school in demo_world.items():
        published = [d for d in decisions_of(db, school) if not d.is_draft]
        assert published, slug
        assert school.decision_prefix == SCHOOL_PROFILES[slug]["decision_prefix"]
        assert all(d.number.startswith(school.decision_prefix + "〔") for d in published), slug
        for decision in published:  # the votes fit the members recorded present
            assert 0 < decision.votes_total <= present_count(decision.meeting), decision.number
    assert len({school.decision_prefix for school in demo_world.values()}) == len(demo_world)


def test_every_demo_pdf_is_archived_signed_and_verifies(app, db, demo_world):
    published = [d for school in demo_world.values() for d in decisions_of(db, school) if not d.is_draft]

    for decision in published:
        document = find_by_sha256(decision.document_sha256)
        assert document is not None and document.signed, decision.number
        assert document.content.startswith(b"%PDF-"), decision.number
    with app.app_context():  # the signatures are checked against the app's certificate
        assert verify_archive() == []
