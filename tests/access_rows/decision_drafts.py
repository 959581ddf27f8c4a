"""Access rows for drafting and publishing decisions (/schools/<slug>/manage/decisions/...): the
school's board members and admins only. Commission staff oversee; they do not draft (403), and
staff of other schools and districts do not see the area at all (404)."""

from portal.decisions import services
from portal.extensions import db
from tests.access_rows import management, url_arguments


def drafting(allowed_status):
    return management(allowed_status, board_member=True)


def arguments(school, other_school):
    draft = services.create_draft(None, school, {"title": "关于课后服务的决定（草稿）", "body": "正文。"})
    db.session.commit()
    return {
        **url_arguments("decisions.manage", "decisions.new_draft", "decisions.text_preview", slug=school.slug),
        **url_arguments(
            "decisions.edit_draft",
            "decisions.preview_pdf",
            "decisions.preview",
            "decisions.publish",
            "decisions.publishing",
            "decisions.discard",
            slug=school.slug,
            decision_id=draft.id,
        ),
    }


EXPECTED = {
    "decisions.manage": drafting(200),
    "decisions.new_draft": drafting(200),
    "decisions.edit_draft": drafting(200),
    "decisions.preview_pdf": drafting(200),
    "decisions.preview": drafting(303),  # without htmx: on to the PDF
    "decisions.text_preview": drafting(303),  # without htmx: back to the drafts (the form previews itself)
    "decisions.publish": drafting(422),  # not confirmed
    "decisions.publishing": drafting(303),  # not being published: back to the draft
    "decisions.discard": drafting(422),  # not confirmed: nothing is deleted
}

EXPECTED_POST = {
    "decisions.new_draft": drafting(422),  # no title
    "decisions.edit_draft": drafting(422),
}
