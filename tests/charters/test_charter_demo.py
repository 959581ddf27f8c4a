"""The demo charter, and the small services other pages use."""

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.charters import services, structure
from portal.charters.demo import seed_charter
from portal.charters.models import CharterStatus, CharterVersion
from portal.schools.models import SchoolType


@pytest.fixture(autouse=True)
def _in_app(with_app):
    """The demo adopts charters and approves minutes, which renders and signs their PDFs."""
    with with_app():
        yield


def test_demo_charter_has_two_adopted_versions_of_a_realistic_charter(db, school):
    seed_charter(school)
    db.session.commit()

    first, second = sorted(services.versions_of(school), key=lambda v: v.number)
    assert (first.status, second.status) == (CharterStatus.ADOPTED, CharterStatus.ADOPTED)
    assert first.adopted_on.year < 2025 <= second.adopted_on.year
    assert services.latest_adopted(school).number == 2
    document = structure.parse(second.body)
    assert [c.label for c in document.titled_chapters] == [f"第{n}章" for n in "一二三四五六七八"]
    assert document.titled_chapters[0].title == "总则"
    assert 25 <= len(document.articles) <= 32
    assert [a.number for a in document.articles] == list(range(1, len(document.articles) + 1))
    assert school.name_zh in document.articles[0].body
    assert "《中华人民共和国教育法》《中华人民共和国义务教育法》" in document.articles[0].body
    for words in ("校长负责制", "校务委员会", "教职工代表大会", "家长委员会", "食堂", "收费"):
        assert words in second.body


def test_demo_amendment_changes_a_few_articles_and_adds_one(db, school):
    seed_charter(school)

    first, second = sorted(services.versions_of(school), key=lambda v: v.number)
    diff = services.compare(first, second)

    assert 3 <= diff.changed_count <= 4
    assert (diff.added_count, diff.removed_count) == (1, 0)
    assert diff.other == []


def test_demo_charter_is_seeded_once_and_audited(db, school):
    seed_charter(school)
    seed_charter(school)
    db.session.commit()

    assert len(services.versions_of(school)) == 2
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.school_id == school.id, AuditEvent.action.like("charter.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["charter.draft_start", "charter.draft_edit", "charter.adopt"] * 2


def test_demo_charter_fits_every_kind_of_school(db, make_school):
    for school_type in SchoolType:
        school = make_school(type=school_type)
        seed_charter(school)
        assert "义务教育" in services.latest_adopted(school).body or school_type in (
            SchoolType.SENIOR,
            SchoolType.VOCATIONAL,
        )
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CharterVersion)) == 2 * len(SchoolType)


def test_current_version_and_its_summary_cost_one_query(db, school, count_queries):
    seed_charter(school)
    db.session.commit()

    with count_queries() as queries:
        version = services.latest_adopted(school)
        summary = services.charter_summary(version)

    assert len(queries) == 1
    assert summary["number"] == 2
    assert (summary["chapter_count"], summary["article_count"]) == (8, 29)
    assert summary["chapter_titles"][0] == "第一章\u3000总则"
    assert len(summary["chapter_titles"]) == 4
    assert summary["adopted_on"] == version.adopted_on and summary["effective_on"] == version.effective_on


def test_school_without_a_charter_has_no_current_version(db, school):
    assert services.latest_adopted(school) is None
