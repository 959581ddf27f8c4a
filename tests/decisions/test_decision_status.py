"""Where a decision stands on a given day, as every page and list shows it: Decision.status_on
with a fixed clock, at the boundaries of its effective date and of the day a later decision
replaces it (the day before, the day of, the day after)."""

import re
from datetime import UTC, date, datetime

import pytest

from portal.decisions.models import DecisionStatus
from tests.helpers.clock import beijing, freeze
from tests.helpers.decisions import insert_published
from tests.helpers.pages import ENGLISH
from tests.helpers.translations import compile_with_new_messages, use_catalogues

EFFECTIVE = date(2027, 1, 4)
PUBLISHED = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)  # 10:00 on 20 December in Beijing


@pytest.fixture(scope="module")
def _catalogues(tmp_path_factory):
    return compile_with_new_messages(tmp_path_factory.mktemp("translations"))


@pytest.fixture
def chinese(app, _catalogues, monkeypatch):
    """Pages in Chinese, with the words this branch added (NEW_MESSAGES.json)."""
    use_catalogues(app, _catalogues, monkeypatch)


def tag(page: str) -> str:
    """The words of the first decision status tag on the page."""
    match = re.search(r'<span class="tag decision-status decision-status-([a-z_]+)">([^<]*)</span>', page)
    assert match, "no status tag"
    return f"{match.group(1)}: {match.group(2)}"


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 20), "not_yet_in_force"),  # the day it is published
        (date(2027, 1, 3), "not_yet_in_force"),  # the day before it takes effect
        (date(2027, 1, 4), "in_force"),  # the day it takes effect
        (date(2027, 1, 5), "in_force"),  # the day after
    ],
)
def test_a_decision_is_in_force_from_its_effective_date(db, school, today, expected):
    decision = insert_published(school, published_at=PUBLISHED, effective_on=EFFECTIVE)

    assert decision.status_on(today).value == expected


def test_a_decision_without_an_effective_date_is_in_force_from_the_day_it_was_published(db, school):
    # Published at 23:30 on 31 December in Beijing: already 1 January there, still 31 December in UTC.
    decision = insert_published(school, published_at=beijing(2027, 1, 1, 0, 30))

    assert decision.status_on(date(2026, 12, 31)).value == "not_yet_in_force"
    assert decision.status_on(date(2027, 1, 1)).value == "in_force"


@pytest.mark.parametrize("how", [DecisionStatus.SUPERSEDED, DecisionStatus.REVOKED])
@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 1, 3), "ending"),  # the day before the later decision takes effect: still in force
        (date(2027, 1, 4), "replaced"),
        (date(2027, 1, 5), "replaced"),
    ],
)
def test_a_replaced_decision_stays_in_force_until_the_later_one_takes_effect(db, school, how, today, expected):
    earlier = insert_published(school, published_at=datetime(2026, 3, 2, 2, tzinfo=UTC), status=how)
    link = "supersedes_id" if how == DecisionStatus.SUPERSEDED else "revokes_id"
    insert_published(school, published_at=PUBLISHED, effective_on=EFFECTIVE, **{link: earlier.id})
    db.session.expire_all()

    status = db.session.get(type(earlier), earlier.id).status_on(today)

    assert status.value == (how.value if expected == "replaced" else expected)


def test_a_decision_replaced_before_it_took_effect_never_comes_into_force(db, school):
    earlier = insert_published(
        school, published_at=PUBLISHED, effective_on=date(2027, 2, 1), status=DecisionStatus.SUPERSEDED
    )
    insert_published(school, published_at=PUBLISHED, effective_on=EFFECTIVE, supersedes_id=earlier.id)
    db.session.expire_all()

    assert db.session.get(type(earlier), earlier.id).status_on(date(2027, 1, 3)).value == "superseded"


def test_every_page_says_not_yet_in_force_with_the_date_until_the_day_it_takes_effect(
    chinese, client, db, school, monkeypatch
):
    school.decision_prefix = "渝解小校委"
    db.session.commit()
    decision = insert_published(school, published_at=PUBLISHED, effective_on=EFFECTIVE, sequence=5)
    pages = {
        "the decision": f"/decisions/{decision.id}",
        "the archive": "/decisions",
        "the school": f"/schools/{school.slug}",
        "the home page": "/",
    }

    freeze(monkeypatch, beijing(2027, 1, 3, 23, 59))
    for where, url in pages.items():
        page = client.get(url).get_data(as_text=True)
        assert tag(page) == "not_yet_in_force: 尚未生效（2027年1月4日起施行）", where
        assert "现行有效" not in page, where
    english = client.get(f"/decisions/{decision.id}", headers=ENGLISH).get_data(as_text=True)
    assert tag(english) == "not_yet_in_force: Not yet in force (from January 4, 2027)"

    freeze(monkeypatch, beijing(2027, 1, 4, 0, 0))
    for where, url in pages.items():
        assert tag(client.get(url).get_data(as_text=True)) == "in_force: 现行有效", where


def test_the_page_of_a_replaced_decision_says_until_when_it_stays_in_force(chinese, client, db, school, monkeypatch):
    earlier = insert_published(school, published_at=datetime(2026, 3, 2, 2, tzinfo=UTC))
    earlier.replace(DecisionStatus.SUPERSEDED)
    later = insert_published(school, published_at=PUBLISHED, effective_on=EFFECTIVE, supersedes_id=earlier.id)

    freeze(monkeypatch, beijing(2027, 1, 3, 12))
    page = client.get(f"/decisions/{earlier.id}").get_data(as_text=True)
    assert tag(page) == "ending: 现行有效（2027年1月4日起由新决定取代）"
    assert "本决定自2027年1月4日起由新决定取代，在此之前继续有效。" in page
    assert "已不再有效" not in page and f"/decisions/{later.id}" in page

    freeze(monkeypatch, beijing(2027, 1, 4, 12))
    page = client.get(f"/decisions/{earlier.id}", headers=ENGLISH).get_data(as_text=True)
    assert tag(page) == "superseded: Superseded"
    assert "This decision was superseded and is no longer in force." in page


def test_the_management_list_marks_what_is_not_in_force(client, db, school, school_admin, login_as, monkeypatch):
    insert_published(school, title="将来生效的决定", published_at=PUBLISHED, effective_on=EFFECTIVE)
    insert_published(school, title="现行的决定", published_at=PUBLISHED)
    login_as(school_admin)
    freeze(monkeypatch, beijing(2027, 1, 2, 12))

    page = client.get(f"/schools/{school.slug}/manage/decisions", headers=ENGLISH).get_data(as_text=True)

    future = page.split("将来生效的决定")[1].split("</li>")[0]
    current = page.split("现行的决定")[1].split("</li>")[0]
    assert "Not yet in force (from January 4, 2027)" in future
    assert "badge" not in current
