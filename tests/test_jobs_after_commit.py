"""A job asked for during a change is queued when the change is committed, and only then: a
savepoint released or rolled back on the way (a service's `begin_nested`) neither queues it early
nor forgets it."""

from sqlalchemy import text

from portal import jobs


def queue_into(queued):
    return lambda what, **_when: queued.append(what)


def test_a_job_waits_for_the_whole_change_to_commit_not_for_a_savepoint(app, db):
    queued = []
    with app.app_context():
        jobs.after_commit(db.session, queue_into(queued), "mail 1")
        with db.session.begin_nested():
            pass  # released: nothing is committed yet
        assert queued == []
        try:
            with db.session.begin_nested():
                raise LookupError("a savepoint rolled back")
        except LookupError:
            pass
        db.session.commit()

    assert queued == ["mail 1"]


def test_a_job_asked_for_in_a_change_that_is_rolled_back_is_never_queued(app, db):
    queued = []
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # a change has begun
        jobs.after_commit(db.session, queue_into(queued), "mail 1")
        db.session.rollback()
        db.session.commit()

    assert queued == []
