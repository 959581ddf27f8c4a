"""A feedback item is called by one name in Chinese notifications: 意见建议, as the feedback pages
call it (“我的意见建议”), never the bare 意见 that consultations' responses are called."""

import re

import pytest

from portal.notifications import texts

PARAMS = {
    "reference": "FB-2026-000001",
    "school": {"zh": "测试第一小学", "en": "First Test Primary School"},
    "status": "in_progress",
    "date": "2026-12-01",
    "days": 15,
}
FEEDBACK_EVENTS = sorted(event for event in texts.TEXTS if event.startswith("feedback."))


@pytest.mark.parametrize("event", FEEDBACK_EVENTS)
def test_chinese_feedback_notifications_call_it_意见建议(app, compiled_catalogues, event):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        chinese = texts.words(event, PARAMS)

    assert "FB-2026-000001" in chinese
    assert "意见建议" in chinese
    assert not re.search(r"意见(?!建议)", chinese), chinese
