"""The consultation's page reads its results and its rejected responses' reasons in one query:
the same counts as each of them read alone."""

from sqlalchemy import event

from portal.consultations import responses
from portal.moderation import services as moderation_services
from tests.helpers.consultations import respond, someone


def test_results_and_rejection_reasons_together_are_each_of_them_alone(app, db, make_consultation):
    consultation = make_consultation()
    respond(consultation, someone(), "support", answers={}, publish=True)
    respond(consultation, someone(), "oppose", publish=True)
    for reason in ["off_topic", "advertising", "off_topic", "写得太长了"]:
        response = respond(consultation, someone(), "neutral")
        moderation_services.moderate(None, response, "reject", reason=reason)
    db.session.commit()

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
    assert results == responses.results(consultation)
    assert results.published == 2
    assert reasons == responses.rejection_reasons(consultation)
    assert sorted(reasons) == [("advertising", 1), ("off_topic", 2), ("写得太长了", 1)]


def test_a_consultation_without_responses_counts_nothing(db, make_consultation):
    consultation = make_consultation()

    results, reasons = responses.results_and_rejection_reasons(consultation)

    assert results == responses.results(consultation)
    assert results.published == 0
    assert reasons == []
