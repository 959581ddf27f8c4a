"""The layout of a decision's PDF, after GB/T 9704《党政机关公文格式》: the issuing body (not the
school alone) in red at the top, the number under it, and the sign-off on the same page as the
text's last paragraph however long the text is: never alone at the top of a page."""

from datetime import date

import pytest
from weasyprint import HTML

from portal.decisions import services
from portal.documents import pdf_writer, render
from tests.helpers.pdfs import pdf_text

PARAGRAPH = (
    "学校食堂实行校长负责制，总务处负责日常管理。每学期开学前对食堂从业人员进行健康检查和食品安全培训，"
    "检查结果报区教育委员会备案，并在学校治理门户公布。"
)


def laid_out(decision, paragraphs: int):
    """The decision's PDF laid out (not written) with `paragraphs` paragraphs of text."""
    decision.body = "\n\n".join(f"（{n}）{PARAGRAPH}" for n in range(1, paragraphs + 1))
    context = services.pdf_context(decision, number="渝解小校委〔2026〕5号", published_on=date(2026, 3, 2), draft=False)
    root = render.static_root()
    html = HTML(
        string=render.render_html("decision", context),
        base_url=root.resolve().as_uri() + "/",
        url_fetcher=pdf_writer.StaticOnlyFetcher(root),
    )
    return html.render()


def pages_of(document, predicate) -> list[int]:
    """The pages (from 0) holding a box of an element that `predicate` accepts."""
    return [
        number
        for number, page in enumerate(document.pages)
        if any(box.element is not None and predicate(box.element) for box in page._page_box.descendants())
    ]


def classes(element) -> set[str]:
    return set((element.get("class") or "").split())


@pytest.fixture
def decision(app, db, school, make_draft):
    school.name_zh = "重庆市渝中区解放路小学"
    db.session.commit()
    with app.app_context():
        yield make_draft()


def test_the_header_names_the_issuing_body_and_the_number_and_the_sign_off_the_body_and_its_day(
    app, decision, decision_meeting
):
    with app.app_context():
        context = services.pdf_context(
            decision, number="渝解小校委〔2026〕5号", published_on=date(2026, 3, 4), draft=False
        )
        text = pdf_text(render.render_pdf("decision", context))

    body_name = decision_meeting.body.name
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    issuer = f"重庆市渝中区解放路小学{body_name}"
    assert lines[0] == f"{issuer}文件"  # 发文机关标志: the body, not the school alone
    assert lines[1].replace(" ", "") == "渝解小校委〔2026〕5号"  # 发文字号, under it
    assert lines[2] == "关于加强学校食堂管理的决定"  # the title, below the red line
    meeting_day = decision_meeting.starts_at.astimezone(render_timezone()).date()
    signed = f"{meeting_day.year}年{meeting_day.month}月{meeting_day.day}日"
    assert lines.index(issuer) + 1 == lines.index(signed)  # 发文机关署名, then 成文日期 (the meeting's day)
    assert "2026年3月4日" in text  # the day it was issued, in the record


def render_timezone():
    from portal.clock import school_timezone

    return school_timezone()


def test_the_sign_off_stays_on_the_page_of_the_last_paragraph_whatever_the_length(app, decision):
    # From one page to two: somewhere in this range the text ends near the foot of page 1, where
    # the sign-off (and the vote below it) used to fall alone onto the next page.
    with app.app_context():
        for paragraphs in range(5, 12):
            document = laid_out(decision, paragraphs)
            sign_off = pages_of(document, lambda element: "sign-off" in classes(element))
            last_words = f"（{paragraphs}）"
            last = pages_of(
                document,
                lambda element, words=last_words: element.tag == "p" and (element.text or "").startswith(words),
            )
            record = pages_of(document, lambda element: "record" in classes(element))
            assert len(sign_off) == 1, paragraphs
            assert last[-1] == sign_off[0], f"{paragraphs} paragraphs: the sign-off left its last paragraph"
            assert record[0] == sign_off[0], f"{paragraphs} paragraphs: the vote left the sign-off"
