"""Publishing a decision: one atomic step that numbers, renders, signs, archives and audits."""
from portal.decisions.models import DecisionStatus
from portal.documents.services import archive_counts, find_by_sha256


def test_publishing_numbers_the_decision_and_archives_its_signed_pdf(app, db, make_published, school):
    school.decision_prefix = "渝解小校委"
    db.session.commit()

    decision = make_published()

    assert decision.status == DecisionStatus.PUBLISHED
    assert decision.number == f"渝解小校委〔{decision.number_year}〕1号"
    document = find_by_sha256(decision.document_sha256)
    assert document is not None and document.content.startswith(b"%PDF")
    assert archive_counts() == (1, 1)

