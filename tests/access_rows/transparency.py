"""Access rows for the transparency log: everything is public, witnesses included (they post
cosignatures without an account). Asked without their parameters, the proofs answer 400 (a JSON
error) and an empty cosignature is refused with 400, for everyone alike. The evidence bundles of
a charter version, minutes and an outcome are asked for records that have none (404 for everyone
alike); tests/transparency/test_evidence_bundle.py serves them for logged records."""

from portal.extensions import db
from portal.transparency import services
from portal.transparency.services import NewLeaf
from tests.access_rows import everyone, url_arguments
from tests.helpers.decisions import insert_published


def arguments(school, other_school):
    """A published decision (stand-in PDF, written straight into the database) and its leaf."""
    decision = insert_published(school, with_document=True)
    services.record_leaves([NewLeaf("decision", f"/decisions/{decision.id}", "published", decision.document_sha256)])
    db.session.commit()
    return {
        **url_arguments(
            "transparency.checkpoint",
            "transparency.key",
            "transparency.entries",
            "transparency.proof",
            "transparency.consistency",
            "transparency.cosignatures",
            "transparency.signing_certificates",
        ),
        **url_arguments("transparency.decision_evidence", decision_id=decision.id),
        **url_arguments("transparency.charter_version_evidence", slug=school.slug, n=99),
        **url_arguments("transparency.minutes_evidence", meeting_id=999_999),
        **url_arguments("transparency.outcome_evidence", consultation_id=999_999),
    }


EXPECTED = {
    "transparency.checkpoint": everyone(200),
    "transparency.key": everyone(200),
    "transparency.entries": everyone(200),
    "transparency.proof": everyone(400),
    "transparency.consistency": everyone(400),
    "transparency.cosignatures": everyone(400),
    "transparency.signing_certificates": everyone(200),
    "transparency.decision_evidence": everyone(200),
    "transparency.charter_version_evidence": everyone(404),
    "transparency.minutes_evidence": everyone(404),
    "transparency.outcome_evidence": everyone(404),
}
