"""The job that publishes a decision (services.request_publication enqueues it): rendering and
signing take seconds and ~250 MiB, so they never run in a web request.

Exactly once: the job carries the key of the request that asked for it, and publishes only a
draft that still carries that key, inside the transaction that publishes it, with the draft's
row locked. A second worker, or a retry after a crash, finds the decision published (or the key
gone) and does nothing; the number is taken inside that same transaction.

Never lost for good: a request whose job could not be queued (the queue was unreachable when the
request committed; portal/jobs.py logs it and /healthz counts it) is asked for again by a sweep
every minute, from PUBLISHING_ASKED_AGAIN_AFTER until PUBLISHING_GIVES_UP_AFTER, after which the
draft's page says the publication was lost and offers to publish it again."""

import logging
import time

from portal import errors, jobs
from portal.accounts.models import User
from portal.decisions import services
from portal.decisions.models import DecisionRefusal
from portal.domain import DomainError
from portal.extensions import db

log = logging.getLogger(__name__)


def _still_asked(decision_id: int, key: str):
    """The draft, locked, if this request is still the one to carry out; else None."""
    decision = services.draft_to_publish(decision_id)
    if decision is None or not decision.is_draft or decision.publishing_key != key:
        return None  # published already, deleted, or a later request carries on
    return decision


@jobs.task()
def publish_requested_decision(decision_id: int, key: str, actor_id: int | None) -> None:
    """Publish the draft whose publication was asked for with `key`, once. What the draft's state
    refuses (it is not ready any more) and a PDF that cannot be made are recorded on the draft,
    which its page then shows; a fault of the database or the disk is raised, and the queue
    retries the job later."""
    decision = _still_asked(decision_id, key)
    if decision is None:
        db.session.rollback()
        return
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    try:
        services.publish_decision(actor, decision)
    except DomainError as error:
        db.session.rollback()
        _failed(decision_id, key, actor_id, error.reason)
        return
    except Exception as error:
        db.session.rollback()
        if errors.is_fault(error):
            raise
        # Rendering or signing failed (a broken font, a missing key): nothing was published and
        # no number used. Trying again at once would fail the same way: the person is told.
        log.exception("publishing decision %s failed", decision_id)
        _failed(decision_id, key, actor_id, DecisionRefusal.PDF_FAILED)
        return
    db.session.commit()


@jobs.periodic(jobs.crontab(minute="*"))
def ask_again_for_stalled_publications(now=None) -> int:
    """Queue the job of every publication asked for and not carried out within
    PUBLISHING_ASKED_AGAIN_AFTER (see services.stalled_publications); returns how many."""
    stalled = services.stalled_publications(now)
    db.session.rollback()  # read only: the jobs read the drafts afresh
    for request in stalled:
        log.warning("publication of decision %s asked again: its job has not run", request.decision_id)
        jobs.enqueue(
            publish_requested_decision, request.decision_id, request.key, request.actor_id, enqueued_at=time.time()
        )
    return len(stalled)


def _failed(decision_id: int, key: str, actor_id: int | None, reason) -> None:
    decision = _still_asked(decision_id, key)
    if decision is None:
        db.session.rollback()
        return
    if not isinstance(reason, DecisionRefusal):
        reason = DecisionRefusal.PDF_FAILED  # a charter version's refusal is said as the decision's
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    services.record_publication_failure(actor, decision, reason)
    db.session.commit()
