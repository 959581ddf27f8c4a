"""Where a meeting's minutes stand (Meeting.minutes_status_on, what every meeting list and page
shows): a meeting that has not begun has no minutes to approve yet."""

from datetime import UTC, datetime, timedelta

import pytest

import portal.models  # noqa: F401  (every model mapped before objects are built)
from portal.meetings.models import Meeting, MinutesStatus

STARTS = datetime(2027, 1, 4, 7, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("minutes_status", "now", "expected"),
    [
        (MinutesStatus.DRAFT, STARTS - TICK, "not_held"),  # the moment before it begins
        (MinutesStatus.DRAFT, STARTS, "draft"),  # from the moment it begins
        (MinutesStatus.DRAFT, STARTS + timedelta(days=1), "draft"),
        (MinutesStatus.APPROVED, STARTS + timedelta(days=1), "approved"),
    ],
)
def test_where_the_minutes_stand(minutes_status, now, expected):
    meeting = Meeting(title="校务委员会会议", starts_at=STARTS, minutes_status=minutes_status)

    assert meeting.minutes_status_on(now).value == expected


def test_the_words_say_so(app):
    meeting = Meeting(title="校务委员会会议", starts_at=STARTS, minutes_status=MinutesStatus.DRAFT)

    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert meeting.minutes_status_on(STARTS - TICK).label == "Meeting not held yet"
        assert meeting.minutes_status_on(STARTS).label == "Minutes not yet approved"
