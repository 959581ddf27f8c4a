"""Where a school stands on an item, on a given day: published, not yet due (and by when), or
overdue by so many working days. Deadlines count in working days on the official calendar
(holidays, make-up working days) and the commission's overrides, from the day after the
information was formed."""

from datetime import UTC, date, datetime

import pytest

from portal.disclosure.models import (
    DisclosureItem,
    DisclosureStatus,
    ItemState,
    SchoolDisclosure,
    item_status,
)
from portal.workdays import WorkingCalendar

OFFICIAL = WorkingCalendar(overrides={})
# Formed on Tuesday 15 September 2026: 20 working days later, over the Mid-Autumn Festival
# (25-27 Sept) and National Day (1-7 Oct), with Sunday 20 Sept and Saturday 10 Oct worked, is
# Monday 19 October (20 weekdays alone would have ended on Tuesday 13 October).
FORMED = date(2026, 9, 15)
DUE = date(2026, 10, 19)


def item(days=20):
    return DisclosureItem(code="fees", title_zh="收费", title_en="Fees", deadline_days=days)


def draft(formed_on=FORMED):
    return SchoolDisclosure(formed_on=formed_on, status=DisclosureStatus.DRAFT, text="")


def test_nothing_recorded_is_not_yet_due_without_a_date():
    status = item_status(item(), None, date(2026, 12, 1), OFFICIAL)

    assert status.state == ItemState.NOT_YET_DUE
    assert status.due_on is None


def test_the_deadline_counts_working_days_over_the_holidays_and_make_up_days():
    status = item_status(item(), draft(), date(2026, 10, 13), OFFICIAL)

    assert status.state == ItemState.NOT_YET_DUE
    assert status.due_on == DUE


def test_on_the_due_day_itself_an_item_is_not_yet_overdue():
    assert item_status(item(), draft(), DUE, OFFICIAL).state == ItemState.NOT_YET_DUE


def test_the_working_day_after_the_due_day_it_is_overdue_by_one_working_day():
    status = item_status(item(), draft(), date(2026, 10, 20), OFFICIAL)

    assert (status.state, status.days_overdue) == (ItemState.OVERDUE, 1)


@pytest.mark.parametrize(
    "today, overdue_days",
    [
        (date(2026, 10, 23), 4),  # Friday
        (date(2026, 10, 24), 4),  # Saturday: not a working day, nothing more late
        (date(2026, 10, 26), 5),  # Monday
    ],
)
def test_lateness_counts_only_working_days(today, overdue_days):
    assert item_status(item(), draft(), today, OFFICIAL).days_overdue == overdue_days


def test_the_weekend_after_a_friday_deadline_is_not_yet_overdue():
    formed = date(2026, 11, 5)  # Thursday; 1 working day later is Friday 6 November
    saturday, monday = date(2026, 11, 7), date(2026, 11, 9)

    assert item_status(item(days=1), draft(formed), saturday, OFFICIAL).state == ItemState.NOT_YET_DUE
    assert item_status(item(days=1), draft(formed), monday, OFFICIAL).days_overdue == 1


def test_a_day_the_commission_closes_the_schools_moves_the_deadline():
    closed = WorkingCalendar(overrides={date(2026, 10, 19): False})

    assert item_status(item(), draft(), date(2026, 10, 20), closed).state == ItemState.NOT_YET_DUE
    assert item_status(item(), draft(), date(2026, 10, 20), closed).due_on == date(2026, 10, 20)


def test_a_published_disclosure_counts_whatever_the_date():
    published = SchoolDisclosure(
        formed_on=FORMED,
        status=DisclosureStatus.PUBLISHED,
        published_at=datetime(2026, 11, 30, 2, tzinfo=UTC),
        text="已公示",
    )

    status = item_status(item(), published, date(2026, 12, 1), OFFICIAL)

    assert status.state == ItemState.PUBLISHED
    assert status.published_on == date(2026, 11, 30)


def test_a_record_the_portal_keeps_satisfies_the_item():
    status = item_status(item(), None, date(2026, 12, 1), OFFICIAL, record=(date(2026, 3, 1), "/schools/x/charter"))

    assert (status.state, status.published_on, status.url) == (
        ItemState.PUBLISHED,
        date(2026, 3, 1),
        "/schools/x/charter",
    )


def test_information_changed_after_publication_is_due_again():
    changed = draft(date(2026, 11, 2))

    status = item_status(item(), changed, date(2026, 12, 31), OFFICIAL)

    assert status.state == ItemState.OVERDUE
