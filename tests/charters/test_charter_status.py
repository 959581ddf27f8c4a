"""Where each version of a charter stands on a given day (CharterVersion.status_on), with a fixed
clock: a version adopted now that takes effect on 1 January 2027 is not yet in force the day
before, and the version it replaces stays the charter in force until then."""

import re
from datetime import date

import pytest

import portal.models  # noqa: F401  (every model mapped before objects are built at import)
from portal.charters import services
from portal.charters.models import CharterStatus, CharterVersion
from tests.helpers.charters import VERSION_2
from tests.helpers.clock import beijing, freeze
from tests.helpers.pages import ENGLISH
from tests.helpers.translations import compile_with_new_messages, use_catalogues

VERSION_3 = VERSION_2.replace("校务委员会每学年至少召开两次会议。", "校务委员会每学年至少召开三次会议。")


@pytest.fixture(scope="module")
def _catalogues(tmp_path_factory):
    return compile_with_new_messages(tmp_path_factory.mktemp("translations"))


@pytest.fixture
def chinese(app, _catalogues, monkeypatch):
    """Pages in Chinese, with the words this branch added (NEW_MESSAGES.json)."""
    use_catalogues(app, _catalogues, monkeypatch)


@pytest.fixture
def amended(school, charter, add_version):
    """Versions 1 and 2, and version 3: adopted on 1 December 2026, in force from 1 January 2027."""
    return add_version(school, VERSION_3, adopted_on=date(2026, 12, 1), effective_on=date(2027, 1, 1))


def version(number, effective_on, status=CharterStatus.ADOPTED):
    return CharterVersion(number=number, status=status, body="", adopted_on=effective_on, effective_on=effective_on)


def badges(page: str) -> dict[int, str]:
    """Version number → the words of its status badge, on the history page."""
    found = re.findall(r'第(\d+)版 <span class="charter-badge charter-status-[a-z_]+">([^<]*)</span>', page)
    return {int(number): words for number, words in found}


V1, V2, V3 = version(1, date(2021, 9, 1)), version(2, date(2025, 4, 1)), version(3, date(2027, 1, 1))
ADOPTED = [V1, V2, V3]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 31), ("superseded", "ending", "not_yet_in_force")),  # the day before
        (date(2027, 1, 1), ("superseded", "superseded", "in_force")),  # the day it takes effect
        (date(2027, 1, 2), ("superseded", "superseded", "in_force")),  # the day after
    ],
)
def test_the_newest_version_that_has_taken_effect_is_in_force(today, expected):
    assert tuple(v.status_on(today, ADOPTED).value for v in ADOPTED) == expected


def test_a_draft_is_a_draft_whatever_the_day():
    draft = version(4, None, status=CharterStatus.DRAFT)

    assert draft.status_on(date(2030, 1, 1), ADOPTED).value == "draft"


def test_the_status_names_the_day_it_comes_into_force(app):
    with app.test_request_context(headers=ENGLISH):
        assert V3.status_on(date(2026, 12, 31), ADOPTED).label == "Not yet in force (from January 1, 2027)"
        assert V2.status_on(date(2026, 12, 31), ADOPTED).label == (
            "In force until January 1, 2027, when the next version comes into force"
        )


def test_until_its_day_the_public_reads_the_version_in_force_and_is_told_of_the_next(
    chinese, client, school, amended, monkeypatch
):
    freeze(monkeypatch, beijing(2026, 12, 31, 23, 59))

    charter = client.get(f"/schools/{school.slug}/charter").get_data(as_text=True)
    assert "每学年至少召开两次会议" in charter and "每学年至少召开三次会议" not in charter
    assert "第3版已于2026年12月1日通过，自2027年1月1日起施行。" in charter
    assert "现行有效（2027年1月1日起由新版本取代）" in charter

    history = client.get(f"/schools/{school.slug}/charter/versions").get_data(as_text=True)
    assert badges(history) == {
        3: "尚未生效（2027年1月1日起施行）",
        2: "现行有效（2027年1月1日起由新版本取代）",
        1: "已失效",
    }

    third = client.get(f"/schools/{school.slug}/charter/versions/3").get_data(as_text=True)
    assert "本版自2027年1月1日起施行。" in third and "在此之前，第2版继续有效。" in third
    assert "这是历史版本" not in third

    school_page = client.get(f"/schools/{school.slug}").get_data(as_text=True)
    assert 'id="charter-upcoming"' in school_page and "第2版" in school_page


def test_on_its_day_the_new_version_is_the_charter_in_force(chinese, client, school, amended, monkeypatch):
    freeze(monkeypatch, beijing(2027, 1, 1, 0, 0))

    charter = client.get(f"/schools/{school.slug}/charter").get_data(as_text=True)
    assert "每学年至少召开三次会议" in charter
    assert 'charter-status-in_force">现行有效<' in charter and 'id="charter-upcoming"' not in charter
    history = client.get(f"/schools/{school.slug}/charter/versions").get_data(as_text=True)
    assert badges(history) == {3: "现行有效", 2: "已失效", 1: "已失效"}
    second = client.get(f"/schools/{school.slug}/charter/versions/2").get_data(as_text=True)
    assert "这是历史版本，已不再生效。" in second


def test_an_amendment_starts_from_the_newest_adopted_version_even_before_it_is_in_force(
    db, school, amended, monkeypatch
):
    freeze(monkeypatch, beijing(2026, 12, 15, 9))

    draft = services.start_draft(None, school)

    assert draft.based_on_number == 3 and "每学年至少召开三次会议" in draft.body
    assert services.in_force_version(school, date(2026, 12, 15)).number == 2
    assert services.upcoming_version(school, date(2026, 12, 15)).number == 3
    in_force, upcoming = services.in_force_and_upcoming(school, date(2026, 12, 31))
    assert (in_force.number, upcoming.number) == (2, 3)
    in_force, upcoming = services.in_force_and_upcoming(school, date(2027, 1, 1))
    assert (in_force.number, upcoming) == (3, None)


def test_the_management_page_shows_the_charter_in_force_and_the_one_waiting(
    client, school, amended, school_admin, login_as, monkeypatch
):
    login_as(school_admin)
    freeze(monkeypatch, beijing(2026, 12, 31, 12))

    page = client.get(f"/schools/{school.slug}/manage/charter", headers=ENGLISH).get_data(as_text=True)

    in_force = page.split('id="charter-in-force-heading"')[1].split("</section>")[0]
    assert "Version 2" in in_force and "Not yet in force (from January 1, 2027)" in in_force
