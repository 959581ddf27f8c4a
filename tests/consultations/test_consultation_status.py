"""Where a consultation stands (Consultation.phase, the one rule for pages, lists and queries)
at the boundaries: the moment it opens and the moment it closes, awaiting approval, sent back,
closed early, outcome published; and its page says so, never "open for comment" once it is not."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import portal.models  # noqa: F401  (every model mapped before objects are built at import)
from portal.consultations.models import Consultation, ConsultationStatus, Phase
from portal.extensions import db as _db
from tests.helpers.clock import freeze
from tests.helpers.consultations import create_consultation, publish_outcome
from tests.helpers.translations import compile_with_new_messages, use_catalogues

OPENS = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
CLOSES = datetime(2027, 3, 31, 0, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.fixture(scope="module")
def _catalogues(tmp_path_factory):
    return compile_with_new_messages(tmp_path_factory.mktemp("translations"))


@pytest.fixture
def chinese(app, _catalogues, monkeypatch):
    """Pages in Chinese, with the words this branch added (NEW_MESSAGES.json)."""
    use_catalogues(app, _catalogues, monkeypatch)


def consultation(status=ConsultationStatus.APPROVED, **fields) -> Consultation:
    fields.setdefault("sent_back_reason", "")
    return Consultation(title="测试", opens_at=OPENS, closes_at=CLOSES, status=status, **fields)


CASES = [
    (consultation(), OPENS - TICK, Phase.SCHEDULED),  # the moment before it opens
    (consultation(), OPENS, Phase.OPEN),  # the moment it opens
    (consultation(), CLOSES - TICK, Phase.OPEN),  # the moment before it closes
    (consultation(), CLOSES, Phase.CLOSED),  # the moment it closes
    (consultation(ConsultationStatus.DRAFT), OPENS, Phase.DRAFT),
    (consultation(ConsultationStatus.DRAFT, sent_back_reason="请补充提案全文。"), OPENS, Phase.SENT_BACK),
    # Awaiting approval stays so past its opening date: nobody may respond before approval.
    (consultation(ConsultationStatus.SUBMITTED), OPENS + TICK, Phase.SUBMITTED),
    (consultation(ConsultationStatus.CLOSED, closed_early_at=OPENS + TICK), OPENS + 2 * TICK, Phase.CLOSED),
    (consultation(ConsultationStatus.OUTCOME_PUBLISHED), CLOSES + timedelta(days=10), Phase.OUTCOME_PUBLISHED),
]  # fmt: skip


@pytest.mark.parametrize(("item", "now", "expected"), CASES)
def test_where_a_consultation_stands(item, now, expected):
    assert item.phase(now) == expected


@pytest.mark.parametrize(("item", "now", "expected"), CASES)
def test_lists_and_dashboards_ask_the_database_the_same_question(db, school, item, now, expected):
    row = Consultation(
        school_id=school.id,
        title=item.title,
        opens_at=item.opens_at,
        closes_at=item.closes_at,
        status=item.status,
        sent_back_reason=item.sent_back_reason,
        closed_early_at=item.closed_early_at,
    )
    _db.session.add(row)
    _db.session.flush()

    found = {
        phase
        for phase in Phase
        if _db.session.scalar(
            select(Consultation.id).where(Consultation.id == row.id, Consultation.in_phase(phase, now))
        )
    }

    assert found == {expected}


def facts(page: str) -> dict[str, str]:
    """The consultation's facts (<dt> → <dd> text)."""
    pairs = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", page.split('class="facts consultation-facts"')[1], re.S)
    return {dt.strip(): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", dd)).strip() for dt, dd in pairs}


def phase_tag(page: str) -> str:
    return re.search(r'<span class="tag consultation-phase consultation-phase-([a-z_]+)">([^<]*)</span>', page).group(2)


@pytest.mark.parametrize(
    ("phase", "words"),
    [
        (Phase.SUBMITTED, "待审核"),
        (Phase.SCHEDULED, "即将开始"),
        (Phase.OPEN, "正在征集"),
        (Phase.CLOSED, "已截止"),
        ("closed_early", "已截止"),
        (Phase.OUTCOME_PUBLISHED, "已公布结果"),
    ],
)
def test_the_page_says_where_it_stands_and_calls_its_dates_the_comment_period(
    chinese, client, db, school, moderator, login_as, phase, words
):
    item = create_consultation(school, Phase.CLOSED if phase in ("closed_early", Phase.OUTCOME_PUBLISHED) else phase)
    if phase == "closed_early":
        item = create_consultation(school, Phase.OPEN)
        item.close_early(item.opens_at + timedelta(hours=1), "情况有变")
        db.session.commit()
    if phase == Phase.OUTCOME_PUBLISHED:
        publish_outcome(item)
    login_as(moderator)  # a consultation awaiting approval is shown to its moderators only

    page = client.get(f"/consultations/{item.id}").get_data(as_text=True)

    assert phase_tag(page) == words
    assert "征集时间" in facts(page)
    assert "正在征集" not in facts(page)
    if phase != Phase.OPEN:
        assert "正在征集" not in page.split("<main")[1].split('id="proposal-heading"')[0]


def test_a_consultation_is_open_from_its_opening_moment_to_its_closing_moment(chinese, client, db, school, monkeypatch):
    item = create_consultation(school, Phase.SCHEDULED)
    url = f"/consultations/{item.id}"

    freeze(monkeypatch, item.opens_at - TICK)
    assert phase_tag(client.get(url).get_data(as_text=True)) == "即将开始"
    freeze(monkeypatch, item.opens_at)
    assert phase_tag(client.get(url).get_data(as_text=True)) == "正在征集"
    freeze(monkeypatch, item.closes_at - TICK)
    assert phase_tag(client.get(url).get_data(as_text=True)) == "正在征集"
    freeze(monkeypatch, item.closes_at)
    assert phase_tag(client.get(url).get_data(as_text=True)) == "已截止"


def test_a_draft_sent_back_is_marked_sent_back_for_its_managers(client, db, school, school_admin, login_as):
    item = create_consultation(school, Phase.SUBMITTED)
    item.send_back("请补充提案全文。")
    db.session.commit()
    login_as(school_admin)

    page = client.get(f"/manage/consultations/{item.id}").get_data(as_text=True)

    assert '<span class="badge">被审核员退回</span>' in page
