"""Access rows for managing consultations (/schools/<slug>/manage/consultations, the authority's
own under /authorities/<id>/manage/consultations, and one consultation at /manage/consultations/<id>/...).

A school's admins draft, submit and close early; its board members see the list and write the
outcome. A draft exists only for those who may see it (a parent gets 404); an approved
consultation is public, so a parent is refused (403). Staff of other schools and districts do
not see the school's management area at all (404). Commission staff oversee: they moderate
(elsewhere), they do not draft the school's consultations (403). An authority's own
consultations are its commission admins'.

Each route gets a consultation in the phase it is about: the drafting routes a draft (with a
question), closing early an open consultation, the outcome a closed one."""

from datetime import timedelta

from portal.clock import utcnow
from portal.consultations import services
from portal.extensions import db
from tests.access_rows import management, url_arguments


def _consultation(school, title, *, opens, closes, approve=True):
    now = utcnow()
    data = {
        "title": title,
        "summary": "",
        "proposal": "## 提案\n\n拟调整。",
        "audience": "registered",
        "moderation": "pre",
        "opens_at": opens,
        "closes_at": closes,
    }
    consultation = services.create_consultation(None, school=school, data=data)
    if approve:
        real_closes = consultation.closes_at
        consultation.closes_at = max(real_closes, now + timedelta(days=1))  # submitted and approved before it closed
        services.submit(None, consultation, now=now - timedelta(days=60))
        services.approve(None, consultation, now=now - timedelta(days=60))
        consultation.closes_at = real_closes
    return consultation


def arguments(school, other_school):
    now = utcnow()
    draft = _consultation(
        school,
        "关于午休安排的意见征集（草稿）",
        opens=now + timedelta(days=7),
        closes=now + timedelta(days=30),
        approve=False,
    )
    question = services.add_question(None, draft, kind="text", prompt="其他建议")
    running = _consultation(
        school, "关于课后服务时间的意见征集", opens=now - timedelta(days=1), closes=now + timedelta(days=20)
    )
    closed = _consultation(
        school, "关于校服采购的意见征集", opens=now - timedelta(days=40), closes=now - timedelta(days=10)
    )
    db.session.commit()
    return {
        **url_arguments("consultations.manage", "consultations.new", slug=school.slug),
        **url_arguments(
            "consultations.authority_manage", "consultations.authority_new", authority_id=school.authority_id
        ),
        **url_arguments(
            "consultations.edit",
            "consultations.add_question",
            "consultations.submit",
            "consultations.discard",
            consultation_id=draft.id,
        ),
        **url_arguments("consultations.remove_question", consultation_id=draft.id, question_id=question.id),
        **url_arguments("consultations.close", consultation_id=running.id),
        **url_arguments("consultations.outcome", consultation_id=closed.id),
    }


def drafting(allowed_status):
    """A draft: a parent does not know it exists."""
    return {**management(allowed_status), "parent": 404}


def authority_area(allowed_status):
    """The authority's own consultations: its commission admins (and those above them)."""
    return {
        "visitor": 302,
        "parent": 403,
        "board_member": 403,
        "school_admin": 403,
        "school_admin_other_school": 403,
        "moderator_same_district": 403,  # moderators approve consultations; they do not draft them
        "moderator_other_district": 403,
        "commission_admin": allowed_status,
    }


EXPECTED = {
    "consultations.manage": management(200, board_member=True),
    "consultations.new": management(200),
    "consultations.authority_manage": authority_area(200),
    "consultations.authority_new": authority_area(200),
    "consultations.edit": drafting(200),
    "consultations.add_question": drafting(422),  # no question typed
    "consultations.remove_question": drafting(303),  # removed, back to the draft
    "consultations.submit": drafting(303),  # complete: sent to the moderators
    "consultations.discard": drafting(422),  # not confirmed: nothing deleted
    "consultations.close": management(422),  # open, and public: no reason given
    "consultations.outcome": management(200, board_member=True),  # closed: board members write it too
}

EXPECTED_POST = {
    "consultations.new": management(422),  # no title, no dates
    "consultations.authority_new": authority_area(422),
    "consultations.edit": drafting(422),
    "consultations.outcome": management(422, board_member=True),  # nothing written
}
