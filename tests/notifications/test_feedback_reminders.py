"""The school's staff are reminded of feedback after 10 working days and told it is overdue the
day after its 15th, counted on the official calendar: the 2026 Mid-Autumn and National Day
holidays do not count, the make-up Saturday of October 10 does. Each is told once."""

from datetime import UTC, datetime

from portal.feedback import services as feedback_services
from portal.notifications import tasks
from tests.helpers.feedback import token
from tests.helpers.notifications import events_told


def at_half_past_nine_in_beijing(year, month, day):
    return datetime(year, month, day, 1, 30, tzinfo=UTC)


def test_reminder_and_overdue_skip_the_national_day_holidays(db, parent, school, board_member, run_job):
    feedback_services.send_feedback(
        parent,
        school,
        {"category": "canteen", "body": "午餐是凉的。", "private": False, "submission_token": token()},
        now=datetime(2026, 9, 24, 2, tzinfo=UTC),  # Thursday Sept 24, 10:00 in Beijing
    )
    db.session.commit()

    def told_on(month, day):
        run_job(tasks.remind_unanswered_feedback, now=at_half_past_nine_in_beijing(2026, month, day))
        return [event for event in events_told(board_member) if event != "feedback.sent"]

    # Weekdays alone would make Oct 15 the 15th working day; on the official calendar it is the 10th.
    assert told_on(10, 14) == []
    assert told_on(10, 15) == ["feedback.reminder"]
    assert told_on(10, 22) == ["feedback.reminder"]  # its answer day: not overdue yet
    assert sorted(told_on(10, 23)) == ["feedback.overdue", "feedback.reminder"]
    assert sorted(told_on(10, 26)) == ["feedback.overdue", "feedback.reminder"]  # once each
