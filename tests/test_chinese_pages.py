"""The main public pages of the demo, read in Chinese as a native reader writes it: full-width
brackets, colons and commas beside Chinese (“决定（6）”, never “决定 (6)”), documents cited in a
sentence by their title in 《》, and dates as 2026年12月4日, never 2026-12-04."""

import re

import pytest
from sqlalchemy import select

from portal.charters.models import CharterVersion
from portal.consultations.models import Consultation, ConsultationStatus
from portal.decisions.models import Decision, DecisionStatus
from portal.extensions import db as _db
from tests.helpers import chinese_text
from tests.helpers.pages import ENGLISH
from tests.helpers.translations import compile_with_new_messages, use_catalogues

JIEFANG = "/schools/jiefang-road-primary"


@pytest.fixture(scope="module")
def _catalogues(tmp_path_factory):
    return compile_with_new_messages(tmp_path_factory.mktemp("translations"))


@pytest.fixture
def db(demo_world, savepoint_db):
    return savepoint_db


@pytest.fixture(autouse=True)
def chinese(app, _catalogues, monkeypatch):
    """Pages in Chinese, with the words this branch added (NEW_MESSAGES.json)."""
    use_catalogues(app, _catalogues, monkeypatch)


def _first(query):
    return _db.session.scalars(query.order_by(None).limit(1)).first()


def _decision(status: DecisionStatus) -> Decision:
    return _first(select(Decision).where(Decision.status == status).order_by(Decision.id))


def _consultation(status: ConsultationStatus) -> Consultation:
    return _first(select(Consultation).where(Consultation.status == status).order_by(Consultation.id))


def _superseding() -> Decision:
    return _first(select(Decision).where(Decision.supersedes_id.is_not(None)).order_by(Decision.id))


PAGES = {
    "home": lambda: "/",
    "schools": lambda: "/schools",
    "school": lambda: JIEFANG,
    "charter": lambda: f"{JIEFANG}/charter",
    "disclosure": lambda: f"{JIEFANG}/disclosure",
    "meetings": lambda: f"{JIEFANG}/meetings",
    "feedback": lambda: f"{JIEFANG}/feedback",
    "decisions": lambda: "/decisions",
    "decision": lambda: f"/decisions/{_decision(DecisionStatus.PUBLISHED).id}",
    "superseded decision": lambda: f"/decisions/{_decision(DecisionStatus.SUPERSEDED).id}",
    "consultations": lambda: "/consultations",
    "open consultation": lambda: f"/consultations/{_consultation(ConsultationStatus.APPROVED).id}",
    "consultation with outcome": lambda: f"/consultations/{_consultation(ConsultationStatus.OUTCOME_PUBLISHED).id}",
    "search results": lambda: "/search?q=%E5%AD%A6%E6%A0%A1",  # 学校: hits of every kind
}
WITH_DATES = ["home", "school", "charter", "decision", "superseded decision", "open consultation"]


def read(page: str) -> str:
    """The Chinese text as read: without the spaces and line breaks of the markup."""
    return re.sub(r"\s+", "", chinese_text.shown_text(page))


def chinese_page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.mark.parametrize("name", PAGES)
def test_a_chinese_page_has_no_ascii_punctuation_beside_chinese(client, name):
    page = chinese_page(client, PAGES[name]())

    assert chinese_text.ascii_punctuation_beside_chinese(page) == []


@pytest.mark.parametrize("name", WITH_DATES)
def test_dates_on_a_chinese_page_are_written_the_chinese_way(client, name):
    page = chinese_page(client, PAGES[name]())

    assert chinese_text.CHINESE_DATE.search(chinese_text.shown_text(page))
    assert chinese_text.dates_not_in_chinese(page) == []


def test_search_counts_each_kind_in_full_width_brackets_in_chinese_and_plain_ones_in_english(client):
    chinese = read(chinese_page(client, PAGES["search results"]()))
    english = client.get(PAGES["search results"](), headers=ENGLISH).get_data(as_text=True)

    assert re.search(r"决定（\d+）", chinese)
    assert re.search(r">Decisions \(\d+\)</a>", english)


def test_a_decision_cites_the_one_that_replaced_it_by_its_title_in_book_title_marks(client):
    superseded = _decision(DecisionStatus.SUPERSEDED)
    later = _superseding()

    page = read(chinese_page(client, f"/decisions/{superseded.id}"))
    cited = read(chinese_page(client, f"/decisions/{later.id}"))

    assert later.supersedes_id == superseded.id
    assert f"被以下决定取代：《{later.title}》（{later.number}），发布于" in page
    assert f"《{superseded.title}》（{superseded.number}）" in cited


def test_the_same_citation_in_english_gives_the_number_then_the_title(client):
    superseded = _decision(DecisionStatus.SUPERSEDED)
    later = _superseding()

    page = client.get(f"/decisions/{superseded.id}", headers=ENGLISH).get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))

    assert f"{later.number} {later.title}, published" in text


def test_verify_names_the_charter_and_the_outcome_it_found_by_their_titles_in_book_title_marks(client):
    charter = _first(
        select(CharterVersion).where(CharterVersion.document_sha256.is_not(None)).order_by(CharterVersion.id)
    )
    outcome = _consultation(ConsultationStatus.OUTCOME_PUBLISHED)

    found_charter = read(chinese_page(client, f"/verify?sha256={charter.document_sha256}"))
    found_outcome = read(chinese_page(client, f"/verify?sha256={outcome.outcome_document_sha256}"))

    assert f"《{charter.school.name_zh}章程》（第{charter.number}版）" in found_charter
    assert f"《{outcome.title}》的征集结果" in found_outcome


def test_the_public_responses_page_cites_the_consultation_in_book_title_marks(client):
    consultation = _consultation(ConsultationStatus.OUTCOME_PUBLISHED)

    page = chinese_page(client, f"/consultations/{consultation.id}/responses")

    assert f"对《{consultation.title}》的意见" in read(page)


# --- the check itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<li><a>决定 (12)</a></li>",
        "<p>决定草稿: 关于校服</p>",
        "<p>(0 天)</p>",
        "<p>29 条, 待审核 4 条</p>",
        '<p>核验：<a href="/verify">核验副本</a>.</p>',
        '<button aria-label="删除 (草稿)">x</button>',
    ],
)
def test_the_check_catches_ascii_punctuation_readers_noticed(html):
    assert chinese_text.ascii_punctuation_beside_chinese(html)


@pytest.mark.parametrize(
    "html",
    [
        "<li><a>决定（12）</a></li>",
        "<p>上午8:00到校，时间为10:30。</p>",
        '<p>学校名称<span lang="en">Jiefang Road (Primary), Chongqing</span></p>',
        "<script>var a = '决定 (12)';</script>",
        "<p>SHA-256 指纹：abc</p>",
    ],
)
def test_the_check_accepts_chinese_as_it_should_be(html):
    assert not chinese_text.ascii_punctuation_beside_chinese(html)


def test_the_date_check_tells_iso_and_english_dates_from_chinese_ones():
    assert chinese_text.dates_not_in_chinese("<p>截止2026-12-04</p>")
    assert chinese_text.dates_not_in_chinese("<p>截止Dec 4, 2026</p>")
    assert not chinese_text.dates_not_in_chinese('<p><time datetime="2026-12-04">2026年12月4日</time></p>')
