"""The consultation's page reads its results and its rejected responses' reasons in one query, from
running tallies: the same counts as counting the responses themselves, after every way a
response comes to be rejected or stops being so (rejected by a moderator, edited by its author
so that it awaits a moderator again, erased with its author's account)."""

from sqlalchemy import event, func, select

from portal.consultations import responses
from portal.consultations.models import Response, ResponseState, Tally
from portal.extensions import db as _db
from portal.moderation import services as moderation_services
from tests.helpers.consultations import respond, someone


def counted(consultation) -> list[tuple[str, int]]:
    """The rejected responses by reason, counted one by one (what the tallies must agree with)."""
    return [
        tuple(row)
        for row in _db.session.execute(
            select(Response.reject_reason, func.count())
            .where(Response.consultation_id == consultation.id, Response.state == ResponseState.REJECTED)
            .group_by(Response.reject_reason)
            .order_by(Response.reject_reason)
        )
    ]


def rejected(consultation, reason, author=None):
    response = respond(consultation, author or someone(), "neutral")
    moderation_services.moderate(None, response, "reject", reason=reason)
    _db.session.commit()
    return response


def test_results_and_rejection_reasons_together_are_each_of_them_alone(app, db, make_consultation):
    consultation = make_consultation()
    respond(consultation, someone(), "support", answers={}, publish=True)
    respond(consultation, someone(), "oppose", publish=True)
    for reason in ["off_topic", "advertising", "off_topic", "写得太长了"]:
        rejected(consultation, reason)

    statements = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        results, reasons = responses.results_and_rejection_reasons(consultation)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert len(statements) == 1
    assert "consultation_response" not in statements[0]  # the tallies alone, not the responses
    assert results == responses.results(consultation)
    assert results.published == 2
    assert reasons == counted(consultation) == [("advertising", 1), ("off_topic", 2), ("写得太长了", 1)]


def test_a_consultation_without_responses_counts_nothing(db, make_consultation):
    consultation = make_consultation()

    results, reasons = responses.results_and_rejection_reasons(consultation)

    assert results == responses.results(consultation)
    assert results.published == 0
    assert reasons == []


def test_a_rejected_response_its_author_edits_no_longer_counts_as_rejected(db, make_consultation):
    consultation = make_consultation()
    author = someone()
    rejected(consultation, "off_topic", author)
    rejected(consultation, "off_topic")

    respond(consultation, author, "support", body="改过了，与主题有关。")  # awaits a moderator again

    assert responses.results_and_rejection_reasons(consultation)[1] == counted(consultation) == [("off_topic", 1)]


def test_a_reason_no_response_is_rejected_for_any_more_is_not_listed(db, make_consultation):
    consultation = make_consultation()
    author = someone()
    rejected(consultation, "duplicate", author)

    respond(consultation, author, "support", body="重写了。")

    assert responses.results_and_rejection_reasons(consultation)[1] == counted(consultation) == []


def test_an_erased_account_takes_its_rejected_responses_out_of_the_counts(with_app, make_consultation):
    from portal.pages import personal_data

    consultation = make_consultation()
    author = someone()
    rejected(consultation, "advertising", author)
    rejected(consultation, "advertising")

    with with_app():
        personal_data.erase_account(author, password="correct horse battery")  # someone()'s password
        _db.session.commit()

    assert responses.results_and_rejection_reasons(consultation)[1] == counted(consultation) == [("advertising", 1)]


def test_reasons_of_any_length_are_counted_apart_under_their_own_words(db, make_consultation):
    consultation = make_consultation()
    long_reason = "off_topic: " + "与本次征集的主题无关，" * 90  # about 900 characters
    rejected(consultation, long_reason)
    rejected(consultation, long_reason)
    rejected(consultation, long_reason + "。")

    reasons = responses.results_and_rejection_reasons(consultation)[1]

    assert reasons == counted(consultation) == [(long_reason, 2), (long_reason + "。", 1)]
    keys = _db.session.scalars(select(Tally.key).where(Tally.consultation_id == consultation.id)).all()
    assert all(len(key) <= 60 for key in keys)
