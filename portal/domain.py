"""The domain's shared vocabulary: enums whose members carry their words (Labelled), and the
refusals that business rules raise, typed: each feature lists its reasons as members of a
`Reason` enum, each carrying the words people read and, where it belongs to one, the form field.

A service raises `DomainError(FeedbackRefusal.INVALID_TRANSITION)`; the view shows `error.message`
beside `error.field` (or at the top of the page), with 409 when the object's state refused the
change and 422 when what was typed did. A reason that is not a member cannot be raised, so no view
can meet a refusal it has no words for.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from flask_babel import format_date


class Labelled(StrEnum):
    """A StrEnum whose members carry the words people read, in their language:
    `DRAFT = "draft", _l("Draft")`; `member.label` is the words, the value what is stored."""

    def __new__(cls, value: str, label=""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


@dataclass(frozen=True)
class Status:
    """Where a record stands on a given day, in the words every page, list, feed and export shows:
    a member of the record's own Labelled enum of states and, for a state whose words name a day
    ("not yet in force (from 4 January 2027)"), that day. Each kind of record has one function
    that makes it, and takes the clock (Decision.status_on, CharterVersion.status_on,
    Consultation.phase, Meeting.minutes_status_on, Feedback's stored status).

    `value` is stable, for CSS classes and tests; `label` the words in the reader's language."""

    state: Labelled
    day: date | None = None

    @property
    def value(self) -> str:
        return self.state.value

    @property
    def label(self) -> str:
        if self.day is None:
            return str(self.state.label)
        return str(self.state.label) % {"date": format_date(self.day, "long")}

    def __str__(self) -> str:
        return self.label


class Reason(StrEnum):
    """The base of every feature's refusals. Members are written `NAME = "code", message` or
    `NAME = "code", message, "field"`; the code is what tests and logs compare (a member equals
    its code as a string)."""

    def __new__(cls, code: str, message="", field: str | None = None):
        member = str.__new__(cls, code)
        member._value_ = code
        member.message = message
        member.field = field
        return member


class DomainError(Exception):
    """A rule refused the change; `reason` says which (a member of a feature's Reason enum)."""

    def __init__(self, reason: Reason):
        if not isinstance(reason, Reason):
            raise TypeError(f"DomainError needs a member of a Reason enum, not {reason!r}")
        super().__init__(reason.value)
        self.reason = reason

    @property
    def message(self) -> str:
        """What the person is told, in their language."""
        return str(self.reason.message)

    @property
    def field(self) -> str | None:
        """The form field the message belongs beside, or None for the top of the page."""
        return self.reason.field
