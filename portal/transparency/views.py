"""The log's public endpoints (/log/...), the witnesses' cosignatures, and evidence bundles.

Everything here is public and machine-read: bad parameters answer 400 with a JSON
{"error": ...} (never a 500); answers carry an ETag and say how long they may be cached —
entries and proofs for a given tree size never change, the checkpoint does at each publication."""

import base64
import json

from flask import abort, jsonify, make_response, request

from portal.charters import services as charters
from portal.consultations.models import Consultation, ConsultationStatus
from portal.decisions import services as decisions
from portal.documents import services as documents
from portal.extensions import csrf, db
from portal.meetings import services as meetings
from portal.text import whole_number
from portal.transparency import bp, notes, services
from portal.web import found_or_404, public_url, school_or_404

ONE_YEAR = 365 * 24 * 3600
CHECKPOINT_MAX_AGE = 5  # seconds: a witness polling every few seconds sees a new one soon enough
COSIGNATURE_MAX_BYTES = 8192
CERTIFICATES_MAX_AGE = 300  # the list changes only when the signing key is rotated


class BadRequest(Exception):
    def __init__(self, message: str):
        self.message = message


@bp.errorhandler(BadRequest)
def _bad_request(error):
    response = jsonify({"error": error.message})
    response.status_code = 400
    response.headers["Cache-Control"] = "no-store"
    return response


def _number(name: str, *, default: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        if default is None:
            raise BadRequest(f"{name} is required")
        return default
    value = whole_number(raw, max_digits=12)
    if value is None:
        raise BadRequest(f"{name} must be a whole number")
    return value


def _cacheable(response, *, max_age: int, immutable: bool = False):
    response.add_etag()
    response.headers["Cache-Control"] = f"public, max-age={max_age}" + (", immutable" if immutable else "")
    return response.make_conditional(request)


def _text(body: str):
    response = make_response(body)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    return response


def _current_note() -> str:
    checkpoint = services.latest_checkpoint()
    if checkpoint is None:  # nothing published yet: the empty tree, signed (Ed25519 is deterministic)
        body = notes.Checkpoint(services.origin(), 0, services.merkle.EMPTY_ROOT).body
        return notes.sign_note(body, services.log_key())
    return services.checkpoint_with_cosignatures(checkpoint)


@bp.get("/log/checkpoint")
def checkpoint():
    return _cacheable(_text(_current_note()), max_age=CHECKPOINT_MAX_AGE)


@bp.get("/log/key")
def key():
    return _cacheable(_text(str(services.verifier_key()) + "\n"), max_age=3600)


@bp.get("/log/entries")
def entries():
    size = services.tree_size()
    start = _number("start", default=0)
    end = _number("end", default=min(start + services.ENTRIES_PAGE_MAX, size))
    if end < start:
        raise BadRequest("end must not be smaller than start")
    if end - start > services.ENTRIES_PAGE_MAX:
        raise BadRequest(f"at most {services.ENTRIES_PAGE_MAX} entries at a time")
    if end > size:
        raise BadRequest(f"the log has {size} entries")
    response = jsonify({"entries": [services.describe(leaf) for leaf in services.entries(start, end)]})
    return _cacheable(response, max_age=ONE_YEAR, immutable=True)


@bp.get("/log/proof")
def proof():
    digest = (request.args.get("sha256") or "").strip().lower()
    if len(digest) != services.SHA256_HEX_LENGTH or any(c not in "0123456789abcdef" for c in digest):
        raise BadRequest("sha256 must be 64 hexadecimal digits")
    latest = services.latest_checkpoint()
    size = _number("tree_size", default=latest.tree_size if latest else 0)
    if size == 0 or size > services.tree_size():
        raise BadRequest("tree_size must be between 1 and the size of the log")
    leaf = services.newest_leaf_for_sha256(digest, below=size)
    if leaf is None:
        response = jsonify({"error": "no entry with this sha256 in a tree of this size"})
        response.status_code = 404
        return response
    inclusion = services.inclusion_proof(leaf.leaf_index, size)
    response = jsonify(
        {
            "index": leaf.leaf_index,
            "tree_size": size,
            "leaf": base64.b64encode(leaf.leaf).decode(),
            "inclusion": [node.hex() for node in inclusion],
        }
    )
    explicit = bool(request.args.get("tree_size"))
    return _cacheable(response, max_age=ONE_YEAR if explicit else CHECKPOINT_MAX_AGE, immutable=explicit)


@bp.get("/log/consistency")
def consistency():
    first, second = _number("first"), _number("second")
    if not first <= second <= services.tree_size():
        raise BadRequest("need first <= second <= the size of the log")
    nodes = services.consistency_proof(first, second)
    return _cacheable(jsonify({"consistency": [node.hex() for node in nodes]}), max_age=ONE_YEAR, immutable=True)


# Witnesses post from their own machines, without a session: the cosignature is its own proof
# (only keys in PORTAL_WITNESS_KEYS are accepted, and each is verified before it is stored).
@bp.post("/log/cosignatures")
@csrf.exempt
def cosignatures():
    if (request.content_length or 0) > COSIGNATURE_MAX_BYTES:
        raise BadRequest("too long")
    body = request.get_data(cache=False, as_text=False)[:COSIGNATURE_MAX_BYTES]
    try:
        note_text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the note must be UTF-8 text") from None
    try:
        stored = services.add_cosignatures(note_text)
    except services.CosignatureRefused as refusal:
        raise BadRequest(str(refusal)) from None
    db.session.commit()
    response = jsonify({"stored": len(stored)})
    response.status_code = 201 if stored else 200
    response.headers["Cache-Control"] = "no-store"
    return response


# --- evidence bundles -------------------------------------------------------------------------


def _certificate_chain() -> list[str]:
    """Every certificate the portal has signed with: a document signed before a key rotation
    verifies against the certificate it was signed with."""
    return [
        "-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der).decode("ascii") + "-----END CERTIFICATE-----\n"
        for der in documents.certificate_ders()
    ]


def _evidence_response(record: str, sha256: str | None, document_url: str, file_name: str):
    if not sha256:
        abort(404)
    bundle = services.evidence_bundle(record, sha256, _certificate_chain(), document_url)
    if bundle is None:
        abort(404)
    response = make_response(json.dumps(bundle, ensure_ascii=False, indent=1))
    response.headers["Content-Type"] = "application/json"
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return _cacheable(response, max_age=CHECKPOINT_MAX_AGE)


@bp.get("/decisions/<int:decision_id>/evidence.json")
def decision_evidence(decision_id):
    decision = found_or_404(decisions.published_decision(decision_id))
    return _evidence_response(
        f"/decisions/{decision.id}",
        decision.document_sha256,
        public_url("decisions.pdf", decision_id=decision.id),
        f"decision-{decision.id}-evidence.json",
    )


@bp.get("/schools/<slug>/charter/versions/<int:n>/evidence.json")
def charter_version_evidence(slug, n):
    school = school_or_404(slug)
    version = found_or_404(charters.get_version(school, n))
    if not version.is_adopted:
        abort(404)
    return _evidence_response(
        f"/schools/{school.slug}/charter/versions/{version.number}",
        version.document_sha256,
        public_url("charters.version_pdf", slug=school.slug, n=version.number),
        f"charter-{school.slug}-{version.number}-evidence.json",
    )


@bp.get("/meetings/<int:meeting_id>/evidence.json")
def minutes_evidence(meeting_id):
    meeting = found_or_404(meetings.meeting_by_id(meeting_id))
    if not meeting.minutes_approved:
        abort(404)
    return _evidence_response(
        f"/meetings/{meeting.id}",
        meeting.minutes_document_sha256,
        public_url("meetings.minutes_pdf", meeting_id=meeting.id),
        f"minutes-{meeting.id}-evidence.json",
    )


@bp.get("/consultations/<int:consultation_id>/evidence.json")
def outcome_evidence(consultation_id):
    consultation = found_or_404(db.session.get(Consultation, consultation_id))
    if consultation.status != ConsultationStatus.OUTCOME_PUBLISHED:
        abort(404)
    return _evidence_response(
        f"/consultations/{consultation.id}",
        consultation.outcome_document_sha256,
        public_url("consultations.outcome_pdf", consultation_id=consultation.id),
        f"outcome-{consultation.id}-evidence.json",
    )


@bp.get("/log/certificates")
def signing_certificates():
    """Every certificate the portal has signed documents with, so that anyone can check a copy's
    signature against it without asking the portal. A rotated certificate stays on the list: the
    documents it signed keep verifying."""
    current = documents.current_certificate_sha256()
    certificates = [
        {
            "sha256": certificate.sha256,
            "subject": certificate.subject,
            "not_before": certificate.not_before.isoformat(),
            "not_after": certificate.not_after.isoformat(),
            "added_at": certificate.added_at.isoformat(),
            "current": certificate.sha256 == current,
            "pem": certificate.pem,
        }
        for certificate in documents.signing_certificates()
    ]
    response = jsonify({"certificates": certificates})
    response.headers["Cache-Control"] = f"public, max-age={CERTIFICATES_MAX_AGE}"
    return response
