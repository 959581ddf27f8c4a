"""Demo data for the moderation queue (called from `flask portal seed-demo`, after the
consultations' demo): the 渝中区 moderator finds pending responses at two schools of the district
(besides those the consultations' demo leaves pending), two reported responses and the
consultation awaiting approval that the consultations' demo submits; 沙坪坝区 has pending
responses of its own, which the 渝中区 moderator never sees. Safe to run again: it does nothing
once its consultations exist."""

from datetime import timedelta

from sqlalchemy import select

from portal.clock import utcnow
from portal.consultations import responses, services
from portal.consultations.demo import _responders
from portal.consultations.models import Consultation, QuestionKind, Response, ResponseState
from portal.extensions import db
from portal.moderation import services as moderation
from portal.schools.models import School

TITLE = "关于调整学生到校时间的意见征集"
SUMMARY = "学校拟将学生到校时间由7:50调整为8:10，征求家长和社区居民意见。"
PROPOSAL = "## 提案\n\n为保证学生睡眠时间，拟自下学期起将到校时间调整为8:10，早读相应顺延。"
TEXTS = [
    ("support", "支持，孩子早上能多睡二十分钟。"),
    ("oppose", "我们上班早，8:10到校不方便接送，希望学校提供早到看护。"),
    ("neutral", "希望同时公布放学时间是否调整。"),
    ("support", "赞成，初中生普遍睡眠不足。"),
    ("oppose", "这个学校的老师都是骗子，大家别信！"),  # a personal attack: to be rejected
    ("support", "同意。可否在校门口增设护学岗？"),
    ("neutral", "加我微信 wx123456 了解更多课外辅导优惠。"),  # advertising: to be rejected
    ("support", "支持调整，建议试行一个学期后再评估。"),
    ("oppose", "冬天天亮得晚，8:10也没有明显区别。"),
]
REPORTS = [
    "内容与征集主题无关。",
    "含有其他家长的个人信息。",
]


def _consultation(school: School, now, title: str) -> Consultation:
    consultation = services.create_consultation(
        None,
        school=school,
        data={
            "title": title,
            "summary": SUMMARY,
            "proposal": PROPOSAL,
            "audience": "registered",
            "moderation": "pre",
            "opens_at": now - timedelta(days=5),
            "closes_at": now + timedelta(days=25),
        },
    )
    services.add_question(None, consultation, kind=QuestionKind.TEXT, prompt="其他建议", choices=[])
    services.submit(None, consultation, now=now - timedelta(days=7))
    services.approve(None, consultation, now=now - timedelta(days=6))
    return consultation


def _pending(consultation: Consultation, people, texts, now, *, moderator=None) -> None:
    """Responses awaiting the moderators; the first one is already published (so the
    consultation's page has something to show)."""
    for n, (person, (stance, body)) in enumerate(zip(people, texts, strict=False)):
        response = responses.submit_response(
            person,
            consultation,
            {"stance": stance, "body": body, "answers": {}, "show_name": n % 2 == 0},
            now=now - timedelta(days=4, hours=-n * 5),
        )
        if n == 0:
            moderation.moderate(moderator, response, "publish", now=now - timedelta(days=3))


def seed_moderation(schools: dict[str, School], people: dict, *, password: str) -> None:
    """See the module docstring. `schools` maps the demo schools' slugs to them."""
    pipashan, ciqikou = schools.get("pipashan-middle"), schools.get("ciqikou-primary")
    if pipashan is None or ciqikou is None:
        return
    if db.session.scalar(
        select(Consultation.id).where(Consultation.school_id == pipashan.id, Consultation.title == TITLE)
    ):
        return
    now = utcnow().replace(second=0, microsecond=0)
    responders = _responders(password)
    residents = responders[20:]

    _pending(
        _consultation(pipashan, now, TITLE),
        residents,
        [TEXTS[0], *TEXTS],
        now,
        moderator=people.get("moderator@example.org"),
    )

    # Two published responses at 渝中区's schools, reported by residents (below the threshold:
    # they stay published until a moderator decides).
    published = list(
        db.session.scalars(
            select(Response)
            .join(Response.consultation)
            .where(
                Response.state == ResponseState.PUBLISHED,
                Consultation.school_id.in_([pipashan.id, schools["jiefang-road-primary"].id]),
            )
            .order_by(Response.id)
            .limit(2)
        )
    )
    for response, reason in zip(published, REPORTS, strict=False):
        reporter = next(person for person in reversed(responders) if person.id != response.author_id)
        moderation.report_response(reporter, response, {"reason": reason})

    # 沙坪坝区: pending responses the 渝中区 moderator never sees.
    _pending(_consultation(ciqikou, now, "关于增设校园开放日的意见征集"), residents[:4], TEXTS[:4], now)
    db.session.flush()
