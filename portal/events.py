"""What happened, announced: a feature's service says `events.emit("feedback.answered", feedback,
actor)` in the transaction of the change, and whoever cares (notifications, later search and
the page cache) has subscribed with `@events.on("feedback.answered")`. The feature does not know
who listens; the listeners import the feature, never the other way round.

A listener runs at once, in the same transaction: what it writes (a notification per recipient,
a job to fan out to thousands after the commit) is saved with the change or not at all. It must
be quick and must not commit; anything slow it hands to a job (portal.jobs.after_commit).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_listeners: dict[str, list[Callable[["Event"], None]]] = defaultdict(list)

# The events the features announce. A listener for a name not in this list is a typo.
NAMES = frozenset(
    {
        "feedback.sent",  # a person sent feedback to a school
        "feedback.status_changed",  # the school moved it (data: before, after)
        "feedback.answered",  # the school replied, and the item is answered (data: public)
        "feedback.replied",  # the school replied, and the item is not answered yet (data: public)
        # Referred to the school's responsible supervisor: left unanswered too long (actor None),
        # or the sender asked for a review (data: kind, supervisor_ids, case_id)
        "feedback.escalated",
        "feedback.supervisor_answered",  # data: public, school_to_answer_by (ISO date or None)
        "response.published",  # a moderator published a response (or it was published at once)
        "response.rejected",  # data: reason
        "response.hidden",  # data: reason, by_reports
        "response.restored",
        "response.reported",
        # A person started a response and has not sent it; the consultation closes within two
        # days (subject: the ResponseDraft; once per draft)
        "response.unfinished",  # data: open_reports, threshold_reached (hidden), held_for_moderators
        "consultation.submitted",
        "consultation.approved",
        "consultation.sent_back",  # data: reason
        # A draft deleted by its authors (nobody but them and the moderators ever saw it): those who
        # keep rows that refer to it let go of them, before it goes (subject: the Consultation).
        "consultation.discarded",
        "consultation.opened",  # approved and its opening time reached
        "consultation.outcome_published",
        "decision.published",
        "charter.adopted",
        "minutes.approved",
        # A new key signs documents from now on (flask portal rotate-signing-key); the old
        # certificate stays published. data: certificate_sha256 (hex, of the new DER), not_before (ISO)
        "signing.key_rotated",
        "school.created",
        "school.profile_changed",  # data: changes ({field: {before, after}})
        # An account needs a mail of its own (a link to finish registering, to reset a password):
        # data: to_address, language, template, build (gives the subject and the template's words)
        "account.mail_requested",
        # The copy of a person's data they asked for (/me/data) could not be prepared: the subject
        # is the person, who is told so and may ask again.
        "personal_data.export_failed",
    }
)


@dataclass(frozen=True)
class Event:
    name: str
    subject: Any  # the record it is about (a Feedback, a Response, a Consultation, ...)
    actor: Any = None  # who did it (None: the portal itself, e.g. the reports threshold)
    data: dict = field(default_factory=dict)


def on(name: str):
    """Subscribe the decorated function to the event `name`."""
    if name not in NAMES:
        raise ValueError(f"no event is called {name!r}")

    def subscribe(listener: Callable[[Event], None]):
        _listeners[name].append(listener)
        return listener

    return subscribe


def emit(name: str, subject, actor=None, **data) -> None:
    """Announce that `name` happened to `subject`, in the caller's transaction."""
    if name not in NAMES:
        raise ValueError(f"no event is called {name!r}")
    happened = Event(name, subject, actor, data)
    for listener in _listeners[name]:
        listener(happened)
