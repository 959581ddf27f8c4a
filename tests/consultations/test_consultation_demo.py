"""`flask portal seed-demo` seeds consultations: in the first school one open with some thirty
responses, one with its outcome published, one whose outcome is overdue, one awaiting approval
and one sent back; one open consultation in every other school; and one district-wide
consultation of Yuzhong."""

from collections import Counter

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.cli import DISTRICTS, SCHOOLS
from portal.clock import utcnow
from portal.consultations import responses as response_services
from portal.consultations import services
from portal.consultations.models import Consultation, Phase, Response, ResponseState
from portal.decisions.models import Decision
from portal.documents.models import DocumentKind
from portal.documents.services import find_by_sha256
from portal.schools.models import Authority
from tests.helpers.pages import ENGLISH, log_in
from tests.helpers.pdfs import pdf_text

FIRST_SCHOOL = SCHOOLS[0][1]


@pytest.fixture
def db(demo_world, savepoint_db):
    """This module's tests read the demo world, seeded once for the module; each in a savepoint."""
    return savepoint_db


def by_phase(db, **owner) -> dict[Phase, list[Consultation]]:
    now = utcnow()
    phases: dict[Phase, list[Consultation]] = {}
    for consultation in services.consultations_of(**owner):
        phases.setdefault(consultation.phase(now), []).append(consultation)
    return phases


def responses_of(db, consultation) -> list[Response]:
    return list(db.session.scalars(select(Response).where(Response.consultation_id == consultation.id)))


def test_the_first_school_has_an_open_consultation_with_at_least_thirty_varied_responses(db, demo_world):
    (open_one,) = by_phase(db, school=demo_world[FIRST_SCHOOL])[Phase.OPEN]
    responses = responses_of(db, open_one)

    assert len(responses) >= 30
    assert set(Counter(response.stance.value for response in responses)) == {"support", "oppose", "neutral"}
    states = Counter(response.state for response in responses)
    assert states[ResponseState.PENDING] >= 3 and states[ResponseState.PUBLISHED] >= 20
    assert any(response.show_name for response in responses) and any(not response.show_name for response in responses)
    results = response_services.results(open_one)
    assert results.published == states[ResponseState.PUBLISHED]
    for question, choices in results.questions:  # the choice questions were answered
        assert sum(count for _, count in choices) > 0, question.prompt


def test_the_first_school_has_a_closed_consultation_with_its_outcome_published_and_archived(db, demo_world):
    (published,) = by_phase(db, school=demo_world[FIRST_SCHOOL])[Phase.OUTCOME_PUBLISHED]

    document = find_by_sha256(published.outcome_document_sha256)
    assert document.kind == DocumentKind.OUTCOME and document.signed
    assert published.outcome_heard and published.outcome_changes and len(published.themes) >= 3
    assert max(theme.count for theme in published.themes) <= response_services.results(published).published
    answering = db.session.scalars(select(Decision).where(Decision.consultation_id == published.id)).all()
    assert len(answering) == 1 and answering[0].number
    text = pdf_text(document.content)
    assert answering[0].number in text.replace(" ", "") and "征求意见结果报告" in text


def test_the_first_school_has_a_closed_consultation_whose_outcome_is_overdue(db, demo_world):
    closed = by_phase(db, school=demo_world[FIRST_SCHOOL])[Phase.CLOSED]

    overdue = [c for c in closed if c.outcome_overdue(utcnow(), services.outcome_due_days())]
    assert len(overdue) == 1 and responses_of(db, overdue[0])


def test_the_first_school_has_one_awaiting_approval_and_one_sent_back(db, demo_world):
    phases = by_phase(db, school=demo_world[FIRST_SCHOOL])

    assert len(phases[Phase.SUBMITTED]) == 1
    (sent_back,) = phases[Phase.SENT_BACK]
    assert sent_back.sent_back_reason and Phase.DRAFT not in phases


def test_every_other_school_has_an_open_consultation_with_responses(db, demo_world):
    for slug, school in demo_world.items():
        if slug == FIRST_SCHOOL:
            continue
        open_ones = by_phase(db, school=school).get(Phase.OPEN, [])
        assert open_ones, slug
        assert response_services.results(open_ones[0]).published > 0, slug


def test_yuzhong_has_an_open_district_wide_consultation_for_verified_parents(db, demo_world):
    yuzhong = db.session.scalar(select(Authority).where(Authority.name_zh == DISTRICTS[0][0]))

    (district_wide,) = by_phase(db, authority=yuzhong)[Phase.OPEN]

    assert district_wide.audience.value == "parents" and district_wide.school_id is None
    assert services.verified_parent_count(district_wide) >= 10
    assert responses_of(db, district_wide)


def test_the_demo_school_admin_sees_the_consultations_by_phase(client, db, demo_world):
    admin = db.session.scalar(select(User).where(User.email == "schooladmin@example.org"))
    log_in(client, admin)

    page = client.get(f"/schools/{FIRST_SCHOOL}/manage/consultations", headers=ENGLISH).text

    for heading in (
        "Sent back by the moderators",
        "Awaiting approval",
        "Open, or opening soon",
        "Closed: the outcome is to be written",
        "Outcome published",
    ):
        assert heading in page
    assert "Outcome overdue" in page


def test_seeding_again_adds_no_consultation(app, db, demo_world):
    before = db.session.scalar(select(Consultation.id).order_by(Consultation.id.desc()).limit(1))

    result = app.test_cli_runner().invoke(args=["portal", "seed-demo"])

    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Consultation.id).order_by(Consultation.id.desc()).limit(1)) == before
