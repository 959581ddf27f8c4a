"""Demo disclosures: the national catalogue, and 解放路小学 with some items published, some due
and two overdue (the other schools a few published each). Safe to run again: a school that has
disclosures already is left as it is."""

from datetime import timedelta

from sqlalchemy import func, select

from portal.clock import today, utcnow
from portal.disclosure import services
from portal.disclosure.catalogue import seed_national_catalogue
from portal.disclosure.models import DisclosureItem, SchoolDisclosure
from portal.extensions import db
from portal.schools.models import School

# code: (days before today the information was formed, the text published; None: a draft only)
FULL = {
    "basic-profile": (200, "本校为公办小学，现有24个教学班、学生约1100人，教职工86人。地址：渝中区解放东路118号。"),
    "basic-organisation": (150, "校长1人，副校长2人；设教导处、德育处、总务处、安全办公室。"),
    "admissions-policy": (120, "2026年秋季招生按渝中区义务教育招生工作实施方案执行，随迁子女凭居住证入学。"),
    "admissions-catchment": (118, "招生范围：解放东路、新华路、望龙门街道所辖社区，详见区教委公布的学区划分图。"),
    "finance-fees": (
        90,
        "本学期不收学杂费；课后服务按区定标准收费，家长自愿参加。监督电话：023-6380 1234。",
    ),
    "safety-emergency": (60, "已修订防汛、地震、传染病等突发事件应急预案，每学期组织两次疏散演练。"),
    # Formed recently: not yet due.
    "admissions-plan": (5, None),
    "finance-aid": (3, None),
    # Formed two months ago and still not published: overdue.
    "finance-budget": (62, None),
    "safety-supervisor": (58, None),
}
OTHERS = ("basic-profile", "admissions-policy", "finance-fees")


def seed_disclosures(schools: list[School], admin) -> None:
    """The catalogue, and each school's disclosures; the first school gets the full set."""
    seed_national_catalogue()
    items = {item.code: item for item in db.session.scalars(select(DisclosureItem))}
    now, day = utcnow(), today()
    for index, school in enumerate(schools):
        if db.session.scalar(
            select(func.count()).select_from(SchoolDisclosure).where(SchoolDisclosure.school_id == school.id)
        ):
            continue
        plan = FULL if index == 0 else {code: FULL[code] for code in OTHERS}
        for code, (days_ago, text) in plan.items():
            data = {"formed_on": day - timedelta(days=days_ago), "text": text or ""}
            if text is None:
                services.save_draft(admin if index == 0 else None, school, items[code], data, today=day)
            else:
                disclosure = services.publish_disclosure(
                    admin if index == 0 else None, school, items[code], data, pdf_bytes=None, today=day
                )
                # Published a few days after it was formed, as a school would.
                disclosure.published_at = now - timedelta(days=max(days_ago - 4, 1))
    db.session.flush()
