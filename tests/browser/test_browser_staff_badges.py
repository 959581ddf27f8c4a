"""Staff shown as staff, in a real browser: the badge beside a staff member's name on a
consultation's responses, the school's feedback item, a governing body's page and the audit log,
in Chinese and English, on a phone (390 px) and a desktop (1280 px). Each page passes axe and
does not scroll sideways on the phone; screenshots are kept in screenshots/staff-badges-*.png."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import policy
from portal.accounts.models import User
from portal.clock import utcnow
from portal.consultations import responses as response_services
from portal.consultations.models import Consultation, Phase, Stance
from portal.extensions import db
from portal.feedback.models import Feedback, FeedbackEvent
from portal.meetings import services as meeting_services
from portal.meetings.models import BodyKind, BodyMember, Constituency, GoverningBody, Position
from portal.moderation import services as moderation_services
from portal.schools.models import School
from tests.helpers.browser import SCREENSHOT_EVERY_PAGE, assert_no_horizontal_scrolling
from tests.helpers.translations import compile_with_new_messages, use_catalogues

pytestmark = pytest.mark.browser

SLUG = "jiefang-road-primary"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def staff_named(live_server):
    """The demo board member (校务委员 刘洋) responds under their name to an open consultation of
    the school, and sits on its school board with their account; the page addresses to look at."""
    app = live_server.app
    with app.app_context():
        board = db.session.scalar(select(User).where(User.email == "board@example.org"))
        school = db.session.scalar(select(School).where(School.slug == SLUG))
        consultation = next(
            c
            for c in db.session.scalars(select(Consultation).where(Consultation.school_id == school.id))
            if c.phase(utcnow()) == Phase.OPEN and policy.in_audience(board, c)
        )
        response = response_services.submit_response(
            board,
            consultation,
            {
                "stance": Stance.SUPPORT,
                "body": "作为校务委员会委员，我支持这个方案。",
                "answers": {},
                "show_name": True,
            },
        )
        if response.state.value == "pending":
            moderation_services.moderate(None, response, "publish")
        body = db.session.scalar(
            select(GoverningBody).where(
                GoverningBody.school_id == school.id, GoverningBody.kind == BodyKind.SCHOOL_BOARD
            )
        )
        if not db.session.scalar(select(BodyMember.id).where(BodyMember.user_id == board.id)):
            meeting_services.add_member(
                None,
                body,
                {
                    "name": "刘洋",
                    "position": Position.SECRETARY,
                    "constituency": Constituency.TEACHER,
                    "term_start": date(2024, 9, 1),
                    "term_end": None,
                    "account_email": board.email,
                },
            )
        answered = db.session.scalar(
            select(Feedback.id)
            .join(FeedbackEvent, FeedbackEvent.feedback_id == Feedback.id)
            .where(Feedback.school_id == school.id, FeedbackEvent.actor_id == board.id)
            .limit(1)
        )
        db.session.commit()
        names = {"zh": school.name_zh, "en": school.name_en}
        pages = {
            "consultation": (None, f"/consultations/{consultation.id}#responses"),
            "body": (None, f"/schools/{SLUG}/bodies/{body.id}"),
            "feedback": ("board@example.org", f"/schools/{SLUG}/manage/feedback/{answered}#timeline"),
            "audit": ("admin@example.org", "/audit?actor=board%40example.org"),
        }
        db.session.remove()
    return pages, names


@pytest.fixture(scope="module")
def chinese_with_new_messages(tmp_path_factory):
    return compile_with_new_messages(tmp_path_factory.mktemp("catalogues"))


# Each place once, the two languages in turn: the badge is one macro, its words one message.
@pytest.mark.parametrize(
    ("where", "language"), [("consultation", "zh"), ("body", "en"), ("feedback", "zh"), ("audit", "en")]
)
def test_staff_names_carry_their_badge(
    live_server,
    staff_named,
    new_page,
    log_in,
    demo_password,
    check_accessibility,
    chinese_with_new_messages,
    monkeypatch,
    where,
    language,
):
    use_catalogues(live_server.app, chinese_with_new_messages, monkeypatch)
    pages, school_names = staff_named
    who, address = pages[where]
    role = "校务委员" if language == "zh" else "Board member"
    separator = "·" if language == "zh" else " · "  # Chinese sets the middle dot without spaces
    expected = f"{role}{separator}{school_names[language]}"  # "校务委员·重庆市渝中区解放路小学"
    for width, viewport in WIDTHS.items():
        page = new_page(language, viewport)
        if who:
            log_in(page, who, demo_password)
        page.goto(address)

        badge = page.locator(".staff-badge", has_text=expected).first
        badge.scroll_into_view_if_needed()
        assert badge.is_visible(), f"{where} ({language}, {width}) shows no badge {expected!r}"
        if width == "phone":
            page.set_viewport_size({"width": 360, "height": 740})
            assert_no_horizontal_scrolling(page, f"{where} in {language}")
            page.set_viewport_size(viewport)
        name = f"staff-badges-{where}-{language}-{viewport['width']}"
        check_accessibility(page, name)
        # The part of the page around the badge, to look at without scrolling a whole page.
        box = page.locator(".staff-badge", has_text=expected).first.bounding_box()
        top = max(0, box["y"] + page.evaluate("() => window.scrollY") - 240)
        clip = {"x": 0, "y": top, "width": viewport["width"], "height": 480}
        if SCREENSHOT_EVERY_PAGE:
            page.screenshot(path=str(SCREENSHOTS / f"{name}-near.png"), full_page=True, clip=clip)
