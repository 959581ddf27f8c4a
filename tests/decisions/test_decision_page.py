"""A published decision's public page, /decisions/<id>: what was decided, by whom and how they
voted, what it replaced or what replaced it, and the archived PDF with its fingerprint."""

import re

import pytest

from portal.charters import services as charters
from portal.decisions.models import DecisionStatus
from tests.helpers.pages import ENGLISH, heading, log_in


@pytest.fixture(autouse=True)
def _pdfs_rendered_once(pdfs_rendered_once_per_run):
    """The page is the subject here, not the PDF: test after test publishes the same decisions,
    whose PDFs are rendered once per run (each publication is still signed and archived)."""


def decision_page(client, decision) -> str:
    response = client.get(f"/decisions/{decision.id}", headers=ENGLISH)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def fact(page: str, term: str) -> str:
    """The text of the <dd> after the <dt> `term`, without tags."""
    match = re.search(rf"<dt>{re.escape(term)}</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S)
    assert match, f"no fact {term!r}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


def test_decision_page_shows_number_title_text_and_when_it_was_published(client, db, school, make_published):
    school.decision_prefix = "渝测一小校委"
    db.session.commit()
    decision = make_published()

    page = decision_page(client, decision)

    assert heading(page) == f"渝测一小校委〔{decision.number_year}〕1号 关于加强学校食堂管理的决定"
    assert fact(page, "Number") == decision.number
    assert fact(page, "Status") == "In force"
    assert "<li>每学期组织家长代表陪餐检查不少于两次。</li>" in page
    assert f'<time datetime="{decision.published_at.isoformat()}">' in page
    assert fact(page, "School").startswith(school.name_en)


def test_decision_page_shows_the_vote_and_the_members_present(client, make_published):
    decision = make_published(votes_for=2, votes_against=0, votes_abstain=1)

    page = decision_page(client, decision)

    vote = re.search(r'<table class="decision-vote">.*?</table>', page, re.S).group(0)
    assert re.findall(r'<th scope="col">([^<]+)</th>', vote) == ["For", "Against", "Abstained", "Members present"]
    assert re.findall(r"<td[^>]*>(\d+)</td>", vote) == ["2", "0", "1", "3"]  # 3 of the board's 4 were there


def test_decision_page_links_to_the_meeting_that_took_it(client, make_published, decision_meeting):
    page = decision_page(client, make_published())

    assert f'<a href="/meetings/{decision_meeting.id}">2026年第一次校务委员会会议</a>' in page
    assert fact(page, "Taken at").endswith("校务委员会 · March 2, 2026")


def test_decision_without_a_date_of_effect_is_in_force_from_its_publication(client, make_published):
    decision = make_published()

    assert fact(decision_page(client, decision), "In force from") == fact(
        decision_page(client, decision), "Published on"
    )


def test_decision_with_a_date_of_effect_shows_it(client, make_published):
    from datetime import date

    page = decision_page(client, make_published(effective_on=date(2026, 9, 1)))

    assert fact(page, "In force from") == "September 1, 2026"


def test_decision_page_shows_the_pdf_fingerprint_and_links_to_download_and_verify(client, make_published):
    decision = make_published()

    page = decision_page(client, decision)

    assert re.fullmatch(r"[0-9a-f]{64}", decision.document_sha256)
    assert f'<code class="fingerprint">{decision.document_sha256}</code>' in page
    assert f'href="/decisions/{decision.id}.pdf"' in page
    assert 'href="/verify"' in page


def test_superseded_decision_links_to_the_decision_that_replaced_it(client, db, make_published):
    earlier = make_published()
    later = make_published(title="关于修订食堂管理办法的决定", replaces_id=earlier.id, replaces_how="supersedes")

    page = decision_page(client, earlier)

    notice = re.search(r'<div class="notice notice-replaced" id="replaced-notice">(.*?)</div>', page, re.S).group(1)
    assert "This decision was superseded and is no longer in force." in notice
    assert (
        f'<a href="/decisions/{later.id}"><span lang="zh-CN">{later.number} 关于修订食堂管理办法的决定</span></a>'
        in notice
    )
    assert fact(page, "Status") == "Superseded"


def test_revoked_decision_says_so_and_links_to_the_decision_that_revoked_it(client, make_published):
    earlier = make_published()
    later = make_published(title="关于废止食堂管理决定的决定", replaces_id=earlier.id, replaces_how="revokes")

    page = decision_page(client, earlier)

    assert "This decision was revoked and is no longer in force." in page
    assert f'href="/decisions/{later.id}"' in page
    assert fact(page, "Status") == "Revoked"


def test_the_later_decision_links_to_the_one_it_supersedes(client, make_published):
    earlier = make_published()
    later = make_published(title="关于修订食堂管理办法的决定", replaces_id=earlier.id, replaces_how="supersedes")

    page = decision_page(client, later)

    assert fact(page, "Supersedes") == f"{earlier.number} 关于加强学校食堂管理的决定"
    assert f'<a href="/decisions/{earlier.id}" lang="zh-CN">' in page
    assert 'id="replaced-notice"' not in page


def test_a_draft_naming_a_decision_does_not_mark_it_replaced(client, make_published, make_draft):
    earlier = make_published()
    make_draft(title="尚在起草的修订", replaces_id=earlier.id, replaces_how="supersedes")

    page = decision_page(client, earlier)

    assert 'id="replaced-notice"' not in page
    assert "尚在起草的修订" not in page


def test_decision_adopting_a_charter_version_links_to_that_version(client, db, school, make_published):
    draft = charters.start_draft(None, school, from_template=False)
    charters.edit_draft(None, draft, body="# 第一章 总则\n\n第一条 本校名称。", change_note="首版章程")
    db.session.commit()

    page = decision_page(client, make_published(title="关于通过学校章程的决定", charter_version_id=draft.id))

    assert f'href="/schools/{school.slug}/charter/versions/{draft.number}"' in page
    assert fact(page, "Charter") == f"Adopts version {draft.number} of the school's charter"


def test_decision_text_cannot_carry_scripts_or_htmx_attributes(client, add_published):
    decision = add_published(body='正文<script>alert(1)</script>\n\n[链接](javascript:alert(1)) <b hx-get="/x">粗</b>')

    page = decision_page(client, decision)

    assert "<script>alert(1)" not in page
    assert 'href="javascript:' not in page
    assert '<b hx-get="/x">' not in page


@pytest.mark.parametrize("role", [None, "school_admin", "commission_admin"])
def test_draft_decisions_are_not_found_for_anyone(client, make_draft, make_user, school, city, role):
    draft = make_draft()
    if role is not None:
        log_in(client, make_user(role=role, scope=city if role == "commission_admin" else school))

    assert client.get(f"/decisions/{draft.id}").status_code == 404


@pytest.mark.parametrize(
    "address",
    ["/decisions/0", "/decisions/999999", "/decisions/99999999999999999999", "/decisions/-1", "/decisions/abc"],
)
def test_unknown_decisions_are_not_found(client, db, address):
    assert client.get(address).status_code == 404


def test_decision_page_takes_a_fixed_number_of_queries(client, db, make_published, count_queries):
    earlier = make_published()
    later = make_published(replaces_id=earlier.id, replaces_how="supersedes")
    db.session.remove()

    for decision in (earlier, later):
        with count_queries() as queries:
            decision_page(client, decision)
        # The decision with everything it links to, and the members present at its meeting.
        assert len(queries) <= 2, "\n".join(queries)


def test_inserted_stand_in_has_no_download_when_it_has_no_document(client, add_published):
    # Only rows written by tests lack a document: a real publication always archives its PDF.
    decision = add_published(status=DecisionStatus.PUBLISHED)

    page = decision_page(client, decision)

    assert ".pdf" not in page
    assert client.get(f"/decisions/{decision.id}.pdf").status_code == 404


def test_a_chinese_page_puts_no_space_after_full_width_punctuation_an_english_one_keeps_its_space(
    client, make_published
):
    decision = make_published()

    chinese = client.get(f"/decisions/{decision.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    english = decision_page(client, decision)

    assert re.search(r"：<a href=\"/verify\">", chinese), "the link follows the colon directly"
    assert not re.search(r"：\s+<a ", chinese)
    assert 'unchanged: <a href="/verify">' in english


def test_a_decision_cited_on_a_chinese_page_nests_its_own_title_marks(client, make_published):
    earlier = make_published(title="关于修订《某某小学章程》的决定")
    later = make_published(title="新决定", replaces_id=earlier.id, replaces_how="supersedes")

    chinese = client.get(f"/decisions/{later.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    english = decision_page(client, later)

    assert "《关于修订〈某某小学章程〉的决定》" in chinese
    assert "《关于修订《" not in chinese
    assert "关于修订《某某小学章程》的决定" in english  # English does not set it in 《》: shown as it is
