"""The public verification page (/verify): anyone, without an account, checks whether a PDF —
or the SHA-256 of one, or the fingerprint printed at the foot of its pages — is a record the
portal published, which record it is, and where that record stands now (in force, not yet,
superseded, revoked). `/verify?sha256=<hex>` and `/verify?fingerprint=<…>` are links to the
answer (the footer's QR code is one)."""

from dataclasses import dataclass
from datetime import datetime

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.charters import services as charter_services
from portal.consultations import services as consultation_services
from portal.decisions import services as decision_services
from portal.disclosure import services as disclosure_services
from portal.documents import checking, services
from portal.documents.forms import MALFORMED_SHA256, VerifyForm, normalise_digest
from portal.documents.models import PublicationLogEntry
from portal.domain import Status
from portal.extensions import limiter
from portal.meetings import services as meeting_services
from portal.pages import bp
from portal.transparency import services as transparency
from portal.web import is_htmx, reads_only

# Checking a file parses up to MAX_CONTENT_LENGTH of untrusted PDF: enough for anyone to check
# a few copies, not for one address to keep the server busy.
VERIFY_LIMITS = "20 per minute;300 per day"


@dataclass(frozen=True)
class PublishedRecord:
    """One publication of a document, for the page: what it records (`obj`, a Decision,
    CharterVersion or Meeting with its school, or a Consultation of a school or an authority;
    None if it is not public) and where to read it."""

    object_type: str
    published_at: datetime
    obj: object | None
    url: str | None
    # Where the record stands now (its kind's own status function), and the record that replaced
    # it, if one did (a decision superseded or revoked by a later one), with its page.
    status: Status | None = None
    replaced_by: object | None = None
    replaced_by_url: str | None = None


def _minutes(meeting_id: int):
    meeting = meeting_services.meeting_by_id(meeting_id)
    return meeting if meeting is not None and meeting.minutes_approved else None


# By the publication log's object_type: how to load the public object it records, and its page.
# Each loader finds public objects only (a published decision, an adopted version, approved
# minutes, a consultation whose outcome is published).
RECORDS = {
    "decision": (
        decision_services.published_decision,
        lambda decision: url_for("decisions.show", decision_id=decision.id),
    ),
    "charter_version": (
        charter_services.adopted_version_by_id,
        lambda version: url_for("charters.version", slug=version.school.slug, n=version.number),
    ),
    "minutes": (_minutes, lambda meeting: url_for("meetings.show", meeting_id=meeting.id)),
    "outcome": (
        consultation_services.published_outcome,
        lambda consultation: url_for("consultations.show", consultation_id=consultation.id),
    ),
    "school_disclosure": (
        disclosure_services.published_disclosure_by_id,
        lambda disclosure: url_for("disclosure.published", slug=disclosure.school.slug, disclosure_id=disclosure.id),
    ),
}


# By object_type: where the record stands at `now`, by the one rule its kind has, and the record
# that replaced it (or None).
def _decision_status(decision, now):
    return decision.status_on(clock.local_date(now)), decision.replaced_by


def _charter_status(version, now):
    return version.status_on(clock.local_date(now), charter_services.adopted_versions(version.school)), None


def _minutes_status(meeting, now):
    return meeting.minutes_status_on(now), None


def _outcome_status(consultation, now):
    return Status(consultation.phase(now)), None


def _no_status(obj, now):
    """A record that is not in force or out of force (a disclosure): it is published, and that is all."""
    return None, None


STATUSES = {
    "decision": _decision_status,
    "charter_version": _charter_status,
    "minutes": _minutes_status,
    "outcome": _outcome_status,
}


def published_record(entry: PublicationLogEntry, now: datetime | None = None) -> PublishedRecord:
    load, page = RECORDS.get(entry.object_type, (lambda _id: None, None))
    obj = load(entry.object_id)
    if obj is None:
        return PublishedRecord(entry.object_type, entry.created_at, None, None)
    status, replaced_by = STATUSES.get(entry.object_type, _no_status)(obj, now or clock.utcnow())
    return PublishedRecord(
        entry.object_type,
        entry.created_at,
        obj,
        page(obj),
        status,
        replaced_by,
        page(replaced_by) if replaced_by is not None else None,
    )


def _render(form, status=200, *, verification=None, checked_file=False, busy=None):
    now = clock.utcnow()
    """The whole page, or for htmx the result region's content with the form out of band (it
    carries the messages beside its fields, or comes back empty after a check)."""
    context = {
        "form": form,
        "verification": verification,
        "records": [published_record(entry, now) for entry in verification.publications] if verification else [],
        "checked_file": checked_file,
        "busy": busy,
        # Where the public transparency log holds the file: (leaf index, the checkpoint containing it).
        "in_log": transparency.entry_for_sha256(verification.document.sha256)
        if verification and verification.document
        else None,
    }
    template = "pages/_verify_response.html" if is_htmx() else "pages/verify.html"
    return render_template(template, **context), status


# How long to wait before sending the file again when every slot for reading files is taken.
RETRY_AFTER_SECONDS = 10


def _busy(form):
    """Every slot for reading an unknown file is taken: 503, come back in a moment (the form keeps
    its typed SHA-256; a file must be chosen again, browsers never keep it)."""
    message = _("Many files are being checked right now. Please send yours again in a few seconds.")
    body, _status = _render(form, 503, busy=message)
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


# A deep link's answer changes only when a record's status does (a later decision supersedes it):
# caches may keep it a few minutes.
DEEP_LINK_CACHE_SECONDS = 300


def _deep_link():
    """GET /verify?sha256=<hex> or ?fingerprint=<…>: the answer for that digest, as the form gives
    it for a typed one. Spaces, dashes and capitals are forgiven; anything else is a 404."""
    given = [name for name in ("sha256", "fingerprint") if request.args.get(name) is not None]
    if not given:
        return None
    if len(given) > 1:
        abort(404)
    digest = normalise_digest(request.args[given[0]])
    if not services.SHA256_HEX.match(digest):
        # A link cut short (a copied address missing its end): the form, with what the link held
        # and what is wrong with it, so that the reader can complete it. 404 all the same.
        form = VerifyForm(formdata=None, data={"sha256": request.args[given[0]][:200]})
        form.sha256.errors = [MALFORMED_SHA256]
        body, _status = _render(form, 404)
        return body, 404
    verification = services.verify_sha256(digest) if given[0] == "sha256" else services.verify_fingerprint(digest)
    body, status = _render(VerifyForm(formdata=None), verification=verification)
    if current_user.is_authenticated:  # the page names who is logged in: never in a shared cache
        return body, status
    # The page's language follows Accept-Language or the language cookie.
    return (
        body,
        status,
        {"Cache-Control": f"public, max-age={DEEP_LINK_CACHE_SECONDS}", "Vary": "Accept-Language, Cookie"},
    )


@bp.route("/verify", methods=["GET", "POST"])
@reads_only
@limiter.limit(VERIFY_LIMITS, methods=["POST"])
def verify():
    form = VerifyForm()
    if request.method == "GET":
        return _deep_link() or _render(form)
    if not form.validate_on_submit():
        return _render(form, 422)
    if form.pdf_bytes is not None:
        try:
            verification = services.verify_upload(form.pdf_bytes)
        except checking.CheckerBusy:
            return _busy(form)
    else:
        verification = services.verify_digest(form.sha256.data)
    # Nothing is written: the answer depends only on the archive. A fresh form, to check the next
    # copy; a SHA-256 that found nothing stays typed, so that a slip in it is put right in place.
    typed = form.sha256.data if form.pdf_bytes is None and verification.document is None else None
    next_form = VerifyForm(formdata=None, data={"sha256": typed}) if typed else VerifyForm(formdata=None)
    return _render(next_form, verification=verification, checked_file=form.pdf_bytes is not None)
