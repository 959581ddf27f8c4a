"""The moderation queue and a consultation's management page read as Chinese, not as English
with Chinese words: full-width punctuation around the counts, no "(0 天)"."""

import re

from portal.consultations.models import Phase
from tests.helpers.consultations import create_consultation, respond, someone

CHINESE = {"Accept-Language": "zh-CN"}


def test_queue_counts_and_waiting_time_read_as_chinese(
    client, login_as, moderator, school, pending, compiled_catalogues
):
    create_consultation(school, Phase.SUBMITTED, title="待审批的征集")  # submitted 50 days ago
    login_as(moderator)

    page = client.get("/moderation", headers=CHINESE).get_data(as_text=True)

    assert re.search(r'[\u4e00-\u9fff）]：<strong id="count-pending">1</strong>', page)
    assert ": <strong" not in page
    assert re.search(r"自.+起等待（已\d+天）", page, re.S)
    assert "天)" not in page and "(0" not in page


def test_an_item_that_arrived_today_says_since_when_without_zero_days(
    client, login_as, moderator, open_consultation, compiled_catalogues
):
    from datetime import timedelta

    from portal.clock import utcnow
    from portal.consultations import responses as response_services
    from portal.extensions import db

    response_services.submit_response(
        someone("作者丙"),
        open_consultation,
        {"stance": "support", "body": "今天的意见。", "answers": {}, "show_name": False},
        now=utcnow() - timedelta(minutes=5),
    )
    db.session.commit()
    login_as(moderator)

    page = client.get("/moderation", headers=CHINESE).get_data(as_text=True)

    assert "（已0天）" not in page and "0 天" not in page


def test_consultation_management_page_counts_responses_in_one_chinese_sentence(
    client, login_as, school_admin, open_consultation, compiled_catalogues
):
    respond(open_consultation, someone("甲"), publish=True)
    respond(open_consultation, someone("乙"))
    login_as(school_admin)

    page = client.get(f"/manage/consultations/{open_consultation.id}", headers=CHINESE).get_data(as_text=True)

    assert re.search(r"截止。已发布意见1条，待审核1条。", page)
    assert "条, " not in page and "条." not in page
