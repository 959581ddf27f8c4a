"""Leaves for the features' publications: each listener runs in the transaction of the change it
hears about, appends the leaves and signs the new checkpoint there (transparency.services), so a
publication and its leaf are committed together or not at all."""

from sqlalchemy import select

from portal import events
from portal.documents.models import PublicationLogEntry
from portal.documents.render import body_fingerprint
from portal.extensions import db
from portal.transparency import services
from portal.transparency.services import NewLeaf

REPLACED_STATUS = {"superseded": "superseded", "revoked": "revoked"}


def archive_entry(object_type: str, object_id: int, sha256: str | None) -> dict:
    """The archive's publication log entry of this publication (its entry hash): the leaf commits
    to it, so the archive's chain cannot be reordered or recomputed without disagreeing with the log."""
    entry_hash = db.session.scalar(
        select(PublicationLogEntry.entry_hash)
        .where(
            PublicationLogEntry.object_type == object_type,
            PublicationLogEntry.object_id == object_id,
            PublicationLogEntry.document_sha256 == sha256,
        )
        .order_by(PublicationLogEntry.sequence.desc())
        .limit(1)
    )
    return {"archive_entry": entry_hash} if entry_hash else {}


def decision_record(decision) -> str:
    return f"/decisions/{decision.id}"


def decision_leaf_fields(decision) -> dict:
    """What a decision's publication leaf commits to besides its file: the number, and the
    fingerprint of the text the page shows (so an edited page no longer matches its leaf)."""
    return {
        "number": decision.number,
        "text_sha256": body_fingerprint(decision.body),
        **archive_entry("decision", decision.id, decision.document_sha256),
    }


@events.on("decision.published")
def log_decision(event):
    decision = event.subject
    leaves = [
        NewLeaf(
            "decision",
            decision_record(decision),
            "published",
            decision.document_sha256,
            decision_leaf_fields(decision),
        )
    ]
    # The decision it replaces keeps its leaf; its new status is a leaf of its own.
    for target, status in ((decision.supersedes, "superseded"), (decision.revokes, "revoked")):
        if target is not None:
            by = {"by": decision_record(decision)}
            leaves.append(NewLeaf("decision", decision_record(target), status, target.document_sha256, by))
    services.record_leaves(leaves)


@events.on("charter.adopted")
def log_charter_version(event):
    version = event.subject
    record = f"/schools/{version.school.slug}/charter/versions/{version.number}"
    fields = {
        "text_sha256": body_fingerprint(version.body),
        **archive_entry("charter_version", version.id, version.document_sha256),
    }
    services.record_leaves([NewLeaf("charter_version", record, "adopted", version.document_sha256, fields)])


@events.on("minutes.approved")
def log_minutes(event):
    meeting = event.subject
    sha256 = meeting.minutes_document_sha256
    fields = archive_entry("minutes", meeting.id, sha256)
    services.record_leaves([NewLeaf("minutes", f"/meetings/{meeting.id}", "approved", sha256, fields)])


@events.on("consultation.outcome_published")
def log_outcome(event):
    consultation = event.subject
    sha256 = consultation.outcome_document_sha256
    fields = archive_entry("outcome", consultation.id, sha256)
    services.record_leaves([NewLeaf("outcome", f"/consultations/{consultation.id}", "published", sha256, fields)])


@events.on("signing.key_rotated")
def log_signing_key(event):
    """A new PDF signing certificate (emitted by the key rotation command): data carries
    certificate_sha256 (hex of the DER certificate) and not_before (ISO 8601)."""
    services.record_leaves(
        [
            NewLeaf(
                "signing_key",
                "/log/certificates",
                "active",
                str(event.data["certificate_sha256"]).lower(),
                {"not_before": str(event.data.get("not_before") or "")},
            )
        ]
    )
