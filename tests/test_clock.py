"""The portal's clock can be set to a moment for a block (the demo seeding's back-dated
publications), and is the real time again outside it and in other threads."""

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from portal import clock

LONG_AGO = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)


def test_within_the_block_it_is_the_moment_set_and_today_follows():
    with clock.set_to(LONG_AGO):
        assert clock.utcnow() == LONG_AGO
        assert clock.today().isoformat() == "2026-03-31"  # 10:00 in Beijing
    assert abs(clock.utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_moment_given_in_another_zone_is_kept_in_utc():
    with clock.set_to(LONG_AGO.astimezone(timezone(timedelta(hours=8)))):
        assert clock.utcnow().tzinfo is UTC and clock.utcnow() == LONG_AGO


def test_the_real_time_comes_back_even_when_the_block_fails():
    with pytest.raises(RuntimeError), clock.set_to(LONG_AGO):
        raise RuntimeError
    assert clock.utcnow() > LONG_AGO + timedelta(days=1)


def test_another_thread_reads_the_real_time():
    seen = []
    with clock.set_to(LONG_AGO):
        thread = threading.Thread(target=lambda: seen.append(clock.utcnow()))
        thread.start()
        thread.join()
    assert seen[0] > LONG_AGO + timedelta(days=1)


def test_a_moment_without_a_zone_is_refused():
    with pytest.raises(ValueError), clock.set_to(datetime(2026, 3, 31, 2, 0)):
        pass
