"""Tracking references: FB-<year>-<6 digits>, one sequence for all schools, counting up within a
year of the schools' calendar (Beijing time) and starting again at 1 the next year. Two items
sent at the same moment never get the same number."""

import threading
import time

import pytest
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from portal.extensions import db as _db
from portal.feedback import services
from portal.feedback.models import Feedback, FeedbackReferenceCounter, format_reference
from tests.helpers.feedback import token, utc


def send_at(author, school, at):
    return services.send_feedback(
        author, school, {"category": "other", "body": "意见", "private": False, "submission_token": token()}, now=at
    )


def test_references_count_up_within_a_year_and_restart_the_next(db, school, other_school, parent):
    in_2026 = [
        send_at(parent, school, utc(2026, 3, 1)),
        send_at(parent, other_school, utc(2026, 6, 1)),
        send_at(parent, school, utc(2026, 9, 1)),
    ]
    in_2027 = [send_at(parent, school, utc(2027, 2, 1)), send_at(parent, school, utc(2027, 2, 2))]

    assert [f.reference for f in in_2026] == ["FB-2026-000001", "FB-2026-000002", "FB-2026-000003"]
    assert [f.reference for f in in_2027] == ["FB-2027-000001", "FB-2027-000002"]
    assert [(f.year, f.sequence) for f in in_2027] == [(2027, 1), (2027, 2)]


def test_the_year_is_beijing_s(db, school, parent):
    new_years_eve_in_utc = utc(2026, 12, 31, 16, 30)  # 00:30 on 1 January 2027 in Chongqing
    still_2026 = utc(2026, 12, 31, 15, 59)  # 23:59 on 31 December in Chongqing

    assert send_at(parent, school, still_2026).reference == "FB-2026-000001"
    assert send_at(parent, school, new_years_eve_in_utc).reference == "FB-2027-000001"


def test_a_refused_send_gives_its_number_back(db, school, parent):
    first = send_at(parent, school, utc(2026, 5, 1))
    db.session.commit()
    try:
        with db.session.begin_nested():
            services.take_sequence(db.session, 2026)
            raise RuntimeError("the request failed after taking a number")
    except RuntimeError:
        pass

    assert send_at(parent, school, utc(2026, 5, 2)).sequence == first.sequence + 1


def test_reference_has_six_digits_and_grows_beyond_a_million():
    assert format_reference(2026, 123) == "FB-2026-000123"
    assert format_reference(2026, 1_234_567) == "FB-2026-1234567"


def test_numbers_taken_at_the_same_moment_are_consecutive_and_never_the_same(app):
    """Two transactions on their own connections take a number of the same year at once: the
    first holds the counter's row until it commits, the second waits, then takes the next one.
    (Really committed, in a year no other test uses; removed afterwards.)"""
    year = 2999
    barrier = threading.Barrier(2)
    taken, errors = [], []

    def take():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                number = services.take_sequence(_db.session, year)
                time.sleep(0.3)  # hold the row a while: the other must wait, not read the same value
                _db.session.commit()
                taken.append(number)
            except Exception as error:  # noqa: BLE001 - reported below
                _db.session.rollback()
                errors.append(repr(error))

    threads = [threading.Thread(target=take) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert sorted(taken) == [1, 2]
        with app.app_context():
            assert _db.session.get(FeedbackReferenceCounter, year).last_sequence == 2
    finally:
        with app.app_context():
            _db.session.execute(delete(FeedbackReferenceCounter).where(FeedbackReferenceCounter.year == year))
            _db.session.commit()


def test_the_database_refuses_a_reference_given_twice(db, school, parent):
    """The last defence, should the counter ever be bypassed: (year, sequence) and the reference are unique."""
    first = send_at(parent, school, utc(2026, 4, 1))
    twin = Feedback(
        school_id=school.id,
        author_id=parent.id,
        category=first.category,
        body="x",
        reference=first.reference,
        year=first.year,
        sequence=first.sequence,
        submission_token=token(),
    )
    db.session.add(twin)

    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("dialect", ["as it is", "another database"])
def test_the_year_s_counter_is_made_once_however_many_ask_for_it(db, monkeypatch, dialect):
    # extensions.insert_if_absent: INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL, a
    # look and a savepointed insert on any other database.
    if dialect == "another database":
        monkeypatch.setattr(db.session.get_bind().dialect, "name", "another")

    numbers = [services.take_sequence(db.session, 2031) for _ in range(3)]

    assert numbers == [1, 2, 3]
    assert db.session.query(FeedbackReferenceCounter).filter_by(year=2031).count() == 1
